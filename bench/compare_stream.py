"""Eight replies streaming at once into the Compare tab (4 columns x 2 samples): GUI event-loop
stalls and time to finish, against eight bare `QTextEdit`s fed the same streams.

Not a test: run it by hand after changing how Compare renders, and read the table.

    python -m bench.compare_stream [--runs 3] [--tokens 1000] [--rate 250] [--json PATH]

The fake OpenAI server (tests/fakes) runs in a child process (bench/chat_stream.py's `--serve`,
deadline pacing) and answers every chat request with the same Markdown reply of `--tokens` tokens,
one token per SSE chunk, `--rate` tokens per second per stream: 8 streams at 250 tokens/s are
2,000 chunks a second into one GUI thread, the Chat benchmark's load spread over eight answers.

* app: the real main window (built like `tests/conftest.py` `make_app`, 1180 x 760, offscreen), its
  Compare tab with 4 columns and 2 samples each; Run is clicked with `QTest.mouseClick` and the loop
  runs until the tab is idle. The replies are checked against the server's SHA-256.
* bare (the baseline): eight `QTextEdit`s in one shown 1180 x 760 window (a 4 x 2 grid), each fed
  by its own `AsyncOpenAI` stream on the same qasync loop (`insertPlainText` at the end per chunk).

A 1 ms precise `QTimer` records each firing from the click (or the requests) until 250 ms after the
last reply finished; stall = gap between firings - 1 ms. Targets (the streaming targets of the
performance issue): stall p99 ≤ 16 ms and max ≤ 50 ms; time until every reply is shown ≤ 2x bare.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if str(Path(__file__).resolve().parents[1]) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.chat_stream import WARM_MARK, Server, StallProbe
from bench.common import (
    FAKE_KEY,
    MODEL,
    WINDOW_SIZE,
    AppUnderTest,
    Figure,
    Gui,
    percentile,
    ratio_at_most,
    table_rows,
    value_at_most,
    write_json,
)

COLUMNS, SAMPLES = 4, 2
STREAMS = COLUMNS * SAMPLES
TARGET_STALL_P99_MS = 16.0
TARGET_STALL_MAX_MS = 50.0
TARGET_FINISH_RATIO = 2.0
SETTLE_S = 0.25
TIMEOUT_S = 120.0
VARIANTS = ("app", "bare")
MESSAGE = "Explain streaming, please."


@dataclass
class Run:
    variant: str
    run: int
    stall_p99_ms: float
    stall_max_ms: float
    stalls_over_16ms: int
    finish_s: float  # click (or requests) -> every reply shown
    longest_stall_at_s: float  # when the longest stall began, from the click (for profiling)
    gui_cpu_s: float
    texts_ok: bool


def _stalls(stamps: Any) -> list[float]:
    return [max(0.0, (stamps[i + 1] - stamps[i]) * 1000 - 1.0) for i in range(len(stamps) - 1)]


def _result(
    variant: str, run: int, stamps: Any, start: float, end: float, cpu: float, ok: bool
) -> Run:
    stalls = _stalls(stamps)
    longest = max(range(len(stalls)), key=stalls.__getitem__)
    return Run(
        variant,
        run,
        stall_p99_ms=percentile(stalls, 99),
        stall_max_ms=max(stalls),
        stalls_over_16ms=sum(s > 16 for s in stalls),
        finish_s=end - start,
        longest_stall_at_s=stamps[longest] - start,
        gui_cpu_s=cpu,
        texts_ok=ok,
    )


class Bench:
    def __init__(self, gui: Gui, server: Server, home_root: Path) -> None:
        self.gui = gui
        self.server = server
        self.home_root = home_root
        self.probe = StallProbe()
        self._homes = 0

    def measure(self, variant: str, run: int) -> Run:
        gc.collect()
        warm = run < 0
        message = f"{WARM_MARK} {MESSAGE}" if warm else MESSAGE
        expect = self.server.reply["warm" if warm else "sha256"]
        sha = expect["sha256"] if isinstance(expect, dict) else expect
        if variant == "app":
            return self._app(run, message, sha)
        return self._bare(run, message, sha)

    def _app(self, run: int, message: str, sha: str) -> Run:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        self._homes += 1
        app = AppUnderTest.build(self.gui, self.server.base_url, self.home_root / str(self._homes))
        app.window.show_tab("compare")
        compare = app.controller.features.controller("compare")
        view = compare.view
        view.columns_spin.setValue(COLUMNS)
        for column in range(COLUMNS):  # as the baseline reads them: Chat Completions streams
            view.set_column_api(column, "chat.completions")
        view.samples_spin.setValue(SAMPLES)
        view.input_edit.setPlainText(message)
        self.gui.settle(0.3)  # the estimate timer fires before the clock starts
        self.probe.start()
        cpu0 = time.thread_time()
        start = time.perf_counter()
        QTest.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
        self.gui.run_until(lambda: not app.runner.is_busy("compare"), TIMEOUT_S)
        end = time.perf_counter()
        self.gui.settle(SETTLE_S)
        stamps = self.probe.stop()
        cpu = time.thread_time() - cpu0
        texts = [t for column in view.active_columns() for t in column.texts()]
        ok = len(texts) == STREAMS and all(_sha(t) == sha for t in texts)
        app.close(self.gui)
        return _result("app", run, stamps, start, end, cpu, ok)

    def _bare(self, run: int, message: str, sha: str) -> Run:
        import openai
        from PySide6.QtGui import QTextCursor
        from PySide6.QtWidgets import QGridLayout, QTextEdit, QWidget

        window = QWidget()
        window.setWindowTitle("Baseline: eight QTextEdits")
        grid = QGridLayout(window)
        edits = [QTextEdit() for _ in range(STREAMS)]
        for i, edit in enumerate(edits):
            grid.addWidget(edit, i // COLUMNS, i % COLUMNS)
        window.resize(*WINDOW_SIZE)
        window.show()
        client = openai.AsyncOpenAI(base_url=self.server.base_url, api_key=FAKE_KEY, max_retries=0)

        async def consume(edit: QTextEdit) -> None:
            stream = await client.chat.completions.create(
                model=MODEL,
                messages=[{"role": "user", "content": message}],
                stream=True,
                stream_options={"include_usage": True},
            )
            async with stream:
                async for chunk in stream:
                    for choice in chunk.choices:
                        text = choice.delta.content if choice.delta is not None else None
                        if text:
                            edit.moveCursor(QTextCursor.MoveOperation.End)
                            edit.insertPlainText(text)

        async def consume_all() -> None:
            await asyncio.gather(*(consume(edit) for edit in edits))

        self.gui.settle(0.3)
        self.probe.start()
        cpu0 = time.thread_time()
        start = time.perf_counter()
        try:
            self.gui.loop.run_until_complete(asyncio.wait_for(consume_all(), TIMEOUT_S))
        finally:
            end = time.perf_counter()
            self.gui.settle(SETTLE_S)
            stamps = self.probe.stop()
            cpu = time.thread_time() - cpu0
            self.gui.loop.run_until_complete(client.close())
        ok = all(_sha(edit.toPlainText()) == sha for edit in edits)
        window.close()
        window.deleteLater()
        self.gui.delete_later()
        return _result("bare", run, stamps, start, end, cpu, ok)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def figures(results: list[Run]) -> list[Figure]:
    def values(variant: str, attr: str) -> list[float]:
        return [float(getattr(r, attr)) for r in results if r.variant == variant and r.run >= 0]

    def fig(name: str, attr: str, fmt: str, target: str = "", check: Any = None) -> Figure:
        return Figure(
            "compare",
            name,
            values("app", attr),
            values("bare", attr),
            "8 bare QTextEdits",
            target,
            check,
            fmt,
        )

    return [
        fig(
            "8 streams: stall p99 (ms)",
            "stall_p99_ms",
            "{:.1f}",
            f"≤ {TARGET_STALL_P99_MS:g} ms",
            value_at_most(TARGET_STALL_P99_MS),
        ),
        fig(
            "8 streams: stall max (ms)",
            "stall_max_ms",
            "{:.1f}",
            f"≤ {TARGET_STALL_MAX_MS:g} ms",
            value_at_most(TARGET_STALL_MAX_MS),
        ),
        fig(
            "8 streams: all replies shown (s)",
            "finish_s",
            "{:.2f}",
            f"≤ {TARGET_FINISH_RATIO:g}× bare",
            ratio_at_most(TARGET_FINISH_RATIO),
        ),
        fig("8 streams: GUI thread CPU (s)", "gui_cpu_s", "{:.2f}"),
        fig("8 streams: stalls > 16 ms (count)", "stalls_over_16ms", "{:.0f}"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="measured runs of each (default 3)")
    parser.add_argument("--tokens", type=int, default=1000, help="reply length (default 1000)")
    parser.add_argument("--rate", type=float, default=250, help="tokens/s per stream (default 250)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write every number here")
    args = parser.parse_args(argv)

    begun = time.perf_counter()
    gui = Gui()
    server = Server(args.tokens, args.rate, "process", "deadline")
    results: list[Run] = []
    try:
        with tempfile.TemporaryDirectory(prefix="playground-compare-") as tmp:
            bench = Bench(gui, server, Path(tmp))
            for variant in VARIANTS:  # warm-up: a short reply each, first-use costs stay out
                bench.measure(variant, -1)
            for run in range(args.runs):
                order = VARIANTS if run % 2 == 0 else VARIANTS[::-1]
                for variant in order:
                    r = bench.measure(variant, run)
                    results.append(r)
                    print(
                        f"run {run + 1} {variant:<4}  stall p99 {r.stall_p99_ms:5.1f} ms  "
                        f"max {r.stall_max_ms:6.1f} ms  shown in {r.finish_s:5.2f} s  "
                        f"CPU {r.gui_cpu_s:5.2f} s  longest stall at {r.longest_stall_at_s:5.2f} s"
                        + ("" if r.texts_ok else "  TEXT MISMATCH"),
                        flush=True,
                    )
            bench.probe.close()
    finally:
        server.close()
        gui.close()
    figs = figures(results)
    print()
    print(table_rows([f.as_dict() for f in figs]))
    elapsed = time.perf_counter() - begun
    print(f"\n{len(results)} runs in {elapsed:.0f} s")
    if args.json:
        write_json(
            args.json,
            figs,
            {
                "runs": args.runs,
                "tokens": args.tokens,
                "rate_per_stream": args.rate,
                "streams": STREAMS,
                "server_errors": server.server_errors,
            },
            elapsed_s=elapsed,
            runs=[vars(r) for r in results],
        )
    return 0 if all(r.texts_ok for r in results) and not server.server_errors else 1


if __name__ == "__main__":
    sys.exit(main())
