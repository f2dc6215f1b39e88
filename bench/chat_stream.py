"""Streams a long reply into the real Chat tab and measures how long the GUI event loop stalls.

Not a test: run it by hand after changing the chat streaming path, and read the table.

    python -m bench.chat_stream [--runs 3] [--tokens 20000] [--rate 2000] [--json PATH]

The fake OpenAI server (tests/fakes) streams a Markdown reply of about 20,000 o200k tokens (prose
paragraphs, bullets, a few fenced code blocks and tables) one token per SSE chunk, pacing the chunks
at about 2,000 tokens/s. By default the server runs in a child process, as a real server would: in a
thread of this process it would compete with the GUI thread for the GIL, and its pacing would slow
down exactly when the GUI is busy.

Three ways of showing that stream are timed, in a rotating order, `--runs` times:

* app: the real main window (built like `tests/conftest.py` `make_app` does, in a throw-away home,
  1180 x 760, offscreen): a message is typed in the Chat tab and Send is clicked; the loop runs until
  `runner.is_busy("chat")` is false.
* append: a bare QTextEdit in a shown 1180 x 760 window; each delta goes in with `append` (one
  paragraph per call), which is the baseline the issue names.
* insert: the same bare QTextEdit, but each delta is inserted as plain text at the end (the text
  stays one piece, as in the app); a tighter baseline.

The baselines read the same stream through the real openai SDK on the same qasync loop, so HTTP and
SSE parsing cost the same in all three. While a stream runs, a 1 ms precise QTimer records when it
fires; each gap longer than 1 ms is a stall of the event loop (gap - 1 ms). The window starts at the
click (or request) and ends 250 ms after the reply is finished, so the work done when the reply
ends (final render, ledger, history) is in it. The table shows the median and range over the runs
and the ratio app / baseline; the JSON file has every number, including each run's timer firings,
delta arrival times and per-delta handler times. bench/README.md explains each figure.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import gc
import hashlib
import json
import math
import os
import statistics
import sys
import tempfile
import threading
import time
from array import array
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402  (after the path set-up, for `python bench/...`)
    FAKE_KEY,
    MODEL,
    WINDOW_SIZE,
    AppUnderTest,
    ChildServer,
    Figure,
    Gui,
    format_table,
    serve_until_stdin_closes,
    spread,
)
from bench.common import machine as common_machine  # noqa: E402

TIMER_MS = 1.0
SETTLE_S = 0.25  # measured after the reply ends: the layout and paint of the final render
WARM_MARK = "[warm-up]"
VARIANTS = ("app", "append", "insert")

# Targets from the performance issue.
TARGET_STALL_P99_MS = 16.0
TARGET_STALL_MAX_MS = 50.0
TARGET_RENDER_RATIO = 2.0

# --------------------------------------------------------------------------------------------------
# The reply
# --------------------------------------------------------------------------------------------------

TOPICS = (
    "Why streaming matters",
    "Reading server-sent events",
    "Back-pressure and buffers",
    "Rendering Markdown incrementally",
    "Keeping the event loop free",
    "Measuring what the user feels",
    "Tokens, chunks and bytes",
    "When the stream drops",
)

PROSE = (
    "Streaming turns one long wait into many short ones. In part {n} we look at how the client "
    "reads each **server-sent event**, decodes the JSON in it and hands the `delta.content` to "
    "the view. A reply of twenty thousand tokens arrives as twenty thousand small pieces, so the "
    "cost of each piece, not the size of the reply, decides whether the window stays responsive. "
    "See [the streaming guide](https://example.org/guide/{n}) for the wire format.",
    "The view keeps the text it has already drawn and only adds what is new. Anything that grows "
    "with the length of the reply, like re-parsing the whole document or measuring every line "
    "again, adds up to *quadratic* work: fine for a short answer, painful for a long one. Step "
    "{k} of this section keeps the work per fragment flat, which is what `append_stream()` is for.",
    "A busy event loop shows up as a cursor that stops blinking, a scroll bar that jumps, or a "
    "Stop button that answers late. Users notice a pause of fifty milliseconds; sixteen is one "
    "frame at sixty hertz. Note {n}.{k}: measure the gaps between timer ticks, not the mean time "
    "per fragment, because one long pause hides behind a thousand short ones.",
    "Network code should never block the GUI thread. The SDK reads the socket when the loop says "
    "it is readable, parses a few events and yields them; the loop then paints. If painting takes "
    "longer than the gap between chunks, the socket buffers fill up and the server slows down, "
    "which is why we report the render time next to a plain `QTextEdit` doing the same work.",
)

BULLETS = (
    "keep each **fragment** cheap: insert, do not re-render",
    "scroll only if the user is already at the bottom",
    "write the history to disk at most once a second",
    "highlight a code block once, when its closing fence arrives",
    "let `QTextDocument` lay out only the changed blocks",
    "count tokens in a worker thread, never on the GUI thread",
    "show progress in the status bar at a few hertz, not per token",
)

CODE_LINE = "    total_{i} = sum(x * {i} for x in range({n}))  # step {i} of section {n}\n"


def build_reply(target_tokens: int, count: Callable[[str], int]) -> str:
    """Markdown of about `target_tokens` tokens: prose, bullets, a few code blocks and tables."""
    parts = ["# A long answer, streamed\n\n"]
    total = count(parts[0])
    n = 0
    while total < target_tokens:
        n += 1
        section = [f"## {n}. {TOPICS[n % len(TOPICS)]}\n\n"]
        section.extend(PROSE[(n + k) % len(PROSE)].format(n=n, k=k) + "\n\n" for k in range(3))
        section.append("".join(f"- {BULLETS[(n + i) % len(BULLETS)]}\n" for i in range(5)))
        section.append("\n")
        if n % 6 == 3:  # a few fenced code blocks, one of them long
            lines = 60 if n % 24 == 3 else 14
            section.append(f"```python\ndef section_{n}() -> int:\n")
            section.append("".join(CODE_LINE.format(i=i, n=n) for i in range(lines)))
            section.append("    return 0\n```\n\n")
        if n % 10 == 5:  # and a table now and then
            section.append("| Chunk | Tokens | Bytes | Note |\n|:------|-------:|------:|:-----|\n")
            section.append(
                "".join(f"| {n}.{i} | {i * 7} | {i * 31} | row {i} of {n} |\n" for i in range(8))
            )
            section.append("\n")
        text = "".join(section)
        parts.append(text)
        total += count(text)
    return "".join(parts)


def reply_stats(reply: str) -> dict[str, Any]:
    from tests.fakes import openai_payloads as payloads

    return {
        "tokens": payloads.count_tokens(reply),
        "chars": len(reply),
        "chunks": len(payloads.split_chunks(reply, 1, "token")),
        "code_blocks": reply.count("```") // 2,
        "tables": reply.count("|:------|"),
        "sha256": hashlib.sha256(reply.encode("utf-8")).hexdigest(),
    }


# --------------------------------------------------------------------------------------------------
# The fake server (in a child process by default)
# --------------------------------------------------------------------------------------------------


def make_fake(tokens: int, rate: float, pacing: str) -> tuple[Any, dict[str, Any]]:
    """A stopped FakeOpenAI streaming the long reply (a short one to messages with WARM_MARK).

    `pacing="fake"` keeps the fake's own pacing: before each chunk it sleeps `tokens / rate`, so
    the sleep overshoot and the write of every chunk add up, and the stream runs slower than `rate`
    (about 1,450 instead of 2,000 tokens/s here). `pacing="deadline"` (the default) keeps the same
    sleeps but on a schedule that starts with each request, `tokens / rate` apart: a late chunk
    makes the next sleep shorter, so the stream keeps `rate` on average, as a model that generates
    at that rate would, and a reader that falls behind gets what is buffered at once.
    """
    from tests.fakes import openai_payloads as payloads
    from tests.fakes.openai_server import FakeOpenAI, Scenario

    reply = build_reply(tokens, payloads.count_tokens)
    warm = build_reply(min(tokens, 800), payloads.count_tokens)
    schedule = threading.local()  # one handler thread per connection, one request at a time

    def reply_for(body: dict[str, Any]) -> str:
        schedule.next_at = None  # called once per request, in the handler thread, before the chunks
        messages = body.get("messages") or [{}]
        return warm if WARM_MARK in str(messages[-1].get("content", "")) else reply

    scenario = Scenario(
        reply_text=reply_for, chunk_unit="token", chunk_size=1, tokens_per_second=rate
    )
    fake = FakeOpenAI(scenario)
    if pacing == "deadline":
        sleep = fake._pause

        def paced(seconds: float) -> bool:
            if seconds <= 0:
                return sleep(seconds)
            now = time.monotonic()
            due = getattr(schedule, "next_at", None)
            schedule.next_at = (now if due is None else due) + seconds
            return sleep(schedule.next_at - now)  # <= 0 when late: no sleep, just the stop check

        fake._pause = paced
    return fake, {**reply_stats(reply), "warm": reply_stats(warm)}


def serve(tokens: int, rate: float, pacing: str) -> int:
    """Child process (`ChildServer`): the long reply, paced; the reply's figures in the hello."""
    fake, stats = make_fake(tokens, rate, pacing)
    return serve_until_stdin_closes(fake, reply=stats)


class Server:
    """The fake server in a child process (`mode="process"`) or in a thread of this one."""

    def __init__(self, tokens: int, rate: float, mode: str, pacing: str) -> None:
        self.mode = mode
        self.server_errors: list[str] = []
        self._child: ChildServer | None = None
        self._fake: Any = None
        if mode == "thread":
            self._fake, self.reply = make_fake(tokens, rate, pacing)
            self._fake.start()
            self.base_url: str = self._fake.base_url
            return
        self._child = ChildServer(
            "bench.chat_stream",
            *("--tokens", str(tokens), "--rate", str(rate), "--pacing", pacing),
        )
        self.base_url = self._child.base_url
        self.reply = self._child.hello["reply"]

    def close(self) -> None:
        if self._fake is not None:
            self._fake.stop()
            self.server_errors = list(self._fake.server_errors)
            self._fake = None
        child, self._child = self._child, None
        if child is not None:
            child.close()
            self.server_errors = child.server_errors


# --------------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------------


class StallProbe:
    """A 1 ms precise QTimer; the gaps between its firings show how long the event loop stalled."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(round(TIMER_MS))
        self._timer.timeout.connect(self._tick)
        self.stamps = array("d")

    def _tick(self) -> None:
        self.stamps.append(time.perf_counter())

    def start(self) -> None:
        self.stamps = array("d", [time.perf_counter()])
        self._timer.start()

    def stop(self) -> array[float]:
        """Stops; returns the start, every firing and now (perf_counter seconds)."""
        self._timer.stop()
        self.stamps.append(time.perf_counter())
        return self.stamps

    def close(self) -> None:
        self._timer.stop()
        self._timer.deleteLater()


@dataclass
class Deltas:
    """When each delta's handler started and ended (perf_counter seconds), and its text."""

    starts: array[float] = field(default_factory=lambda: array("d"))
    ends: array[float] = field(default_factory=lambda: array("d"))
    parts: list[str] = field(default_factory=list)

    def timed(self, handler: Callable[[str], None], text: str) -> None:
        start = time.perf_counter()
        handler(text)
        self.ends.append(time.perf_counter())
        self.starts.append(start)
        self.parts.append(text)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


@dataclass
class Measurement:
    variant: str
    run: int
    chunks: int
    stall_max_ms: float
    stall_p99_ms: float
    stall_p50_ms: float
    stalls_over_16ms: int
    stalls_over_50ms: int
    ticks: int
    render_s: float  # first delta handled -> last delta handled
    request_s: float  # click (or request) -> reply finished
    finish_ms: float  # last delta handled -> reply finished (final render, ledger, history)
    gui_cpu_s: float  # CPU time of the GUI thread over the whole window
    rate_tok_s: float  # chunks / render_s (one token per chunk)
    handler_total_s: float  # time spent in the delta handlers (the app: on_delta; else the sink)
    handler_p99_ms: float
    handler_max_ms: float
    longest_stall_deltas: int  # deltas handled during the longest stall (a backlog handled at once)
    text_ok: bool
    # Raw: probe firings and delta handler starts in ms from the probe start, handler durations in µs.
    ticks_ms: list[float] = field(repr=False)
    delta_start_ms: list[float] = field(repr=False)
    handler_us: list[int] = field(repr=False)


def summarize(
    variant: str,
    run: int,
    stamps: array[float],
    deltas: Deltas,
    finished: float,
    cpu_s: float,
    text_ok: bool,
) -> Measurement:
    origin = stamps[0]
    gaps = [(stamps[i + 1] - stamps[i]) * 1000 for i in range(len(stamps) - 1)]
    stalls = [max(0.0, g - TIMER_MS) for g in gaps]
    longest = max(range(len(gaps)), key=gaps.__getitem__)
    starts = list(deltas.starts)
    in_longest = bisect.bisect(starts, stamps[longest + 1]) - bisect.bisect(starts, stamps[longest])
    handler = [(e - s) * 1000 for s, e in zip(deltas.starts, deltas.ends, strict=True)]
    n = len(deltas.starts)
    render_s = deltas.ends[-1] - deltas.starts[0] if n else float("nan")
    return Measurement(
        variant=variant,
        run=run,
        chunks=n,
        stall_max_ms=max(stalls),
        stall_p99_ms=percentile(stalls, 99),
        stall_p50_ms=percentile(stalls, 50),
        stalls_over_16ms=sum(s > 16 for s in stalls),
        stalls_over_50ms=sum(s > 50 for s in stalls),
        ticks=len(gaps),
        render_s=render_s,
        request_s=finished - origin,
        finish_ms=(finished - deltas.ends[-1]) * 1000 if n else float("nan"),
        gui_cpu_s=cpu_s,
        rate_tok_s=n / render_s if n and render_s > 0 else float("nan"),
        handler_total_s=sum(handler) / 1000,
        handler_p99_ms=percentile(handler, 99) if handler else float("nan"),
        handler_max_ms=max(handler) if handler else float("nan"),
        longest_stall_deltas=in_longest,
        text_ok=text_ok,
        ticks_ms=[round((t - origin) * 1000, 3) for t in stamps[1:]],
        delta_start_ms=[round((t - origin) * 1000, 3) for t in starts],
        handler_us=[round(h * 1000) for h in handler],
    )


# --------------------------------------------------------------------------------------------------
# The three contestants
# --------------------------------------------------------------------------------------------------


class Bench:
    API = "chat.completions"
    """What the app's Chat sends through (the engine timed); a subclass may name "responses"."""
    STREAM = "stream"
    """The engine method timed (bench/background_stream.py: "stream_background")."""

    def prepare(self, tab: Any) -> None:
        """Sets the Chat tab up before the message is typed (a subclass: its own settings)."""

    def __init__(self, server: Server, home_root: Path, timeout_s: float) -> None:
        self.server = server
        self.home_root = home_root
        self.timeout_s = timeout_s
        self.gui = Gui()
        self.loop = self.gui.loop
        self.probe = StallProbe()
        self._homes = 0

    def close(self) -> None:
        self.probe.close()
        self.gui.close()

    def settle(self, seconds: float) -> None:
        self.gui.settle(seconds)

    def warm_up(self) -> None:
        """What the app does in a worker before its first request (SDK, lexers), then one short
        reply through each contestant, so first-use costs are not in the first measured run."""
        import openai  # noqa: F401

        from playground.core.chat.markdown import warm_up

        warm_up()
        for variant in VARIANTS:
            self.measure(variant, -1, f"{WARM_MARK} Say a little.", self.server.reply["warm"])

    def measure(self, variant: str, run: int, message: str, expect: dict[str, Any]) -> Measurement:
        gc.collect()
        if variant == "app":
            return self._measure_app(run, message, expect)
        return self._measure_baseline(variant, run, message, expect)

    @staticmethod
    def _text_ok(deltas: Deltas, text: str, expect: dict[str, Any]) -> bool:
        if not deltas.parts:
            raise RuntimeError("no delta arrived; is the fake server up?")
        return hashlib.sha256(text.encode("utf-8")).hexdigest() == expect["sha256"]

    def _measure_app(self, run: int, message: str, expect: dict[str, Any]) -> Measurement:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        self._homes += 1
        # Built and started as run_app does once the window is up: the model refresh builds the
        # SDK client, so the measured Send finds it ready (building one costs 20-40 ms).
        app = AppUnderTest.build(
            self.gui, self.server.base_url, self.home_root / f"home-{self._homes}", api=self.API
        )
        runner, controller = app.runner, app.controller
        chat = controller.chat
        tab = chat.view
        if tab.api() != self.API:
            raise RuntimeError(f"the Chat tab sends through {tab.api()}, not {self.API}")
        self.prepare(tab)
        engine = chat.sending.engine(self.API)
        deltas = Deltas()
        original_stream = getattr(engine, self.STREAM)

        def stream(
            request: Any, on_delta: Callable[[int, str], None], progress: Any = None, **more: Any
        ) -> Any:
            def timed(index: int, fragment: str) -> None:
                if index == 0:
                    deltas.timed(lambda text: on_delta(0, text), fragment)
                else:
                    on_delta(index, fragment)

            return original_stream(request, timed, progress, **more)

        setattr(engine, self.STREAM, stream)  # times each delta as Chat handles it
        tab.input_edit.setPlainText(message)
        self.settle(0.3)  # the draft estimate and autosave timers fire before the clock starts

        finished = self.loop.create_future()

        def on_busy(group: str, busy: bool) -> None:
            if group == "chat" and not busy and not finished.done():
                finished.set_result(time.perf_counter())

        runner.busy_changed.connect(on_busy)
        self.probe.start()
        cpu0 = time.thread_time()
        QTest.mouseClick(tab.send_button, Qt.MouseButton.LeftButton)
        try:
            self.loop.run_until_complete(asyncio.wait_for(asyncio.shield(finished), self.timeout_s))
        finally:
            ended = finished.result() if finished.done() else time.perf_counter()
            self.settle(SETTLE_S)
            stamps = self.probe.stop()
            cpu = time.thread_time() - cpu0
        assert not runner.is_busy("chat")
        turns = chat.conversation.turns
        text = turns[-1].content if turns and turns[-1].role == "assistant" else ""
        if tab.error_box.isVisible():
            print(f"app error: {tab.error_label.text()}", file=sys.stderr)
        ok = self._text_ok(deltas, text, expect) and not tab.error_box.isVisible()
        result = summarize("app", run, stamps, deltas, ended, cpu, ok)
        app.close(self.gui)
        return result

    def _measure_baseline(
        self, variant: str, run: int, message: str, expect: dict[str, Any]
    ) -> Measurement:
        import openai
        from PySide6.QtCore import QCoreApplication, QEvent
        from PySide6.QtGui import QTextCursor
        from PySide6.QtWidgets import QTextEdit

        edit = QTextEdit()
        edit.setWindowTitle(f"Baseline: QTextEdit {variant}")
        edit.resize(*WINDOW_SIZE)
        edit.show()
        if variant == "append":
            sink: Callable[[str], None] = edit.append
        else:

            def sink(text: str) -> None:
                edit.moveCursor(QTextCursor.MoveOperation.End)
                edit.insertPlainText(text)

        client = openai.AsyncOpenAI(base_url=self.server.base_url, api_key=FAKE_KEY, max_retries=0)
        deltas = Deltas()

        async def consume() -> float:
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
                            deltas.timed(sink, text)
            return time.perf_counter()

        self.settle(0.3)
        self.probe.start()
        cpu0 = time.thread_time()
        try:
            ended = self.loop.run_until_complete(asyncio.wait_for(consume(), self.timeout_s))
        finally:
            self.settle(SETTLE_S)
            stamps = self.probe.stop()
            cpu = time.thread_time() - cpu0
            self.loop.run_until_complete(client.close())
        ok = self._text_ok(deltas, "".join(deltas.parts), expect)
        result = summarize(variant, run, stamps, deltas, ended, cpu, ok)
        edit.close()
        edit.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        return result


# --------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    label: str
    attr: str
    fmt: str
    target: str = ""
    check: Callable[[float, float], bool] | None = None  # (app median, ratio to append) -> pass


ROWS = (
    Row(
        "stall p99 (ms)",
        "stall_p99_ms",
        "{:.1f}",
        f"≤ {TARGET_STALL_P99_MS:g} ms",
        lambda app, _ratio: app <= TARGET_STALL_P99_MS,
    ),
    Row(
        "stall max (ms)",
        "stall_max_ms",
        "{:.1f}",
        f"≤ {TARGET_STALL_MAX_MS:g} ms",
        lambda app, _ratio: app <= TARGET_STALL_MAX_MS,
    ),
    Row("stall median (ms)", "stall_p50_ms", "{:.2f}"),
    Row("stalls > 16 ms (count)", "stalls_over_16ms", "{:.0f}"),
    Row("deltas in the longest stall", "longest_stall_deltas", "{:.0f}"),
    Row(
        "render time (s)",
        "render_s",
        "{:.2f}",
        f"≤ {TARGET_RENDER_RATIO:g}× append",
        lambda _app, ratio: ratio <= TARGET_RENDER_RATIO,
    ),
    Row("request time (s)", "request_s", "{:.2f}"),
    Row("finish after last delta (ms)", "finish_ms", "{:.0f}"),
    Row("GUI thread CPU (s)", "gui_cpu_s", "{:.2f}"),
    Row("delta handlers total (s)", "handler_total_s", "{:.2f}"),
    Row("delta handler p99 (ms)", "handler_p99_ms", "{:.2f}"),
    Row("delta handler max (ms)", "handler_max_ms", "{:.1f}"),
    Row("achieved rate (tok/s)", "rate_tok_s", "{:.0f}"),
    Row("chunks received", "chunks", "{:.0f}"),
)


# The figures the suite (`python -m bench`) shows: the targets and the headline numbers.
SUITE_ROWS = ("stall p99 (ms)", "stall max (ms)", "render time (s)", "GUI thread CPU (s)")


def figures(results: list[Measurement]) -> list[Figure]:
    """The suite's figures: the app against the bare `QTextEdit.append` baseline."""
    out = []
    for row in ROWS:
        if row.label not in SUITE_ROWS:
            continue
        out.append(
            Figure(
                "streaming",
                row.label,
                [float(getattr(m, row.attr)) for m in results if m.variant == "app"],
                [float(getattr(m, row.attr)) for m in results if m.variant == "append"],
                "append",
                row.target,
                row.check,
                row.fmt,
            )
        )
    return out


def ratio_text(a: float, b: float) -> str:
    if b == 0 or math.isnan(a) or math.isnan(b):
        return "—"
    return f"{a / b:.2f}×"


def table(results: list[Measurement]) -> tuple[str, list[dict[str, Any]]]:
    by = {v: [m for m in results if m.variant == v] for v in VARIANTS}
    header = (
        "metric",
        "app median (min–max)",
        "append median (min–max)",
        "app/append",
        "insert median (min–max)",
        "app/insert",
        "target",
        "result",
    )
    lines: list[tuple[str, ...]] = [header]
    verdicts: list[dict[str, Any]] = []
    for row in ROWS:
        vals = {v: [float(getattr(m, row.attr)) for m in by[v]] for v in VARIANTS}
        med = {v: statistics.median(vals[v]) for v in VARIANTS}
        verdict = ""
        if row.check is not None:
            ratio = med["app"] / med["append"] if med["append"] else math.inf
            passed = row.check(med["app"], ratio)
            verdict = "PASS" if passed else "MISS"
            verdicts.append(
                {
                    "metric": row.label,
                    "app_median": med["app"],
                    "target": row.target,
                    "pass": passed,
                }
            )
        lines.append(
            (
                row.label,
                spread(vals["app"], row.fmt),
                spread(vals["append"], row.fmt),
                ratio_text(med["app"], med["append"]),
                spread(vals["insert"], row.fmt),
                ratio_text(med["app"], med["insert"]),
                row.target,
                verdict,
            )
        )
    return format_table(lines), verdicts


def machine() -> dict[str, Any]:
    """`bench.common.machine`, with the Qt version."""
    from PySide6.QtCore import qVersion

    return {**common_machine(), "qt": qVersion()}


@contextlib.contextmanager
def _server(tokens: int, rate: float, mode: str, pacing: str) -> Iterator[Server]:
    server = Server(tokens, rate, mode, pacing)
    try:
        yield server
    finally:
        server.close()


def measure_runs(
    bench: Any, runs: int, reply: dict[str, Any], variants: tuple[str, ...] = VARIANTS
) -> list[Measurement]:
    """Warms `bench` up, then measures each variant `runs` times, the order rotated each run
    (so no variant always goes first), printing each run as it ends; closes `bench`."""
    results: list[Measurement] = []
    try:
        bench.warm_up()
        for run in range(runs):
            order = variants[run % len(variants) :] + variants[: run % len(variants)]
            for variant in order:
                m = bench.measure(variant, run, f"Write a long guide (run {run + 1}).", reply)
                results.append(m)
                print_run(run, variant, m)
    finally:
        bench.close()
    return results


def print_run(run: int, variant: str, m: Measurement) -> None:
    """One measured stream, as it ends."""
    print(
        f"run {run + 1} {variant:<6} stall p99 {m.stall_p99_ms:6.1f} ms  "
        f"max {m.stall_max_ms:6.1f} ms  render {m.render_s:6.2f} s  "
        f"finish {m.finish_ms:4.0f} ms  cpu {m.gui_cpu_s:5.2f} s  "
        f"chunks {m.chunks:,}" + ("" if m.text_ok else "  TEXT MISMATCH"),
        flush=True,
    )


def report(
    args: argparse.Namespace,
    info: dict[str, Any],
    settings: dict[str, Any],
    reply: dict[str, Any],
    results: list[Measurement],
    server: Any,
    begun: float,
    *,
    tabled: bool = True,
    table_of: Callable[[list[Measurement]], tuple[str, list[dict[str, Any]]]] | None = None,
    figures_of: Callable[[list[Measurement]], list[Figure]] | None = None,
) -> int:
    """Prints the table (when every variant ran), writes `args.json`; 0 when every text matched
    and the server saw no error. `table_of`/`figures_of`: another benchmark's own (its names)."""
    table_of = table_of or table
    figures_of = figures_of or figures
    if server.server_errors:
        print(f"fake server errors: {len(server.server_errors)}\n{server.server_errors[0]}")
    verdicts: list[dict[str, Any]] = []
    if tabled and results:
        text, verdicts = table_of(results)
        print()
        print(text)
    elapsed = time.perf_counter() - begun
    print(f"\n{len(results)} streams in {elapsed:.0f} s")
    if args.json:
        payload = {
            "machine": info,
            "settings": settings,
            "reply": reply,
            "verdicts": verdicts,
            "figures": [f.as_dict() for f in figures_of(results)],
            "server_errors": server.server_errors,
            "elapsed_s": elapsed,
            "results": [asdict(m) for m in results],
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=1), encoding="utf-8")
        print(f"wrote {args.json}")
    ok = all(m.text_ok for m in results) and not server.server_errors
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="measured runs of each (default 3)")
    parser.add_argument("--tokens", type=int, default=20_000, help="reply length (default 20000)")
    parser.add_argument("--rate", type=float, default=2000, help="tokens/s (default 2000)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write every number here")
    parser.add_argument(
        "--server",
        choices=("process", "thread"),
        default="process",
        help="run the fake server in a child process (default) or in a thread of this one",
    )
    parser.add_argument(
        "--pacing",
        choices=("deadline", "fake"),
        default="deadline",
        help="keep --rate on average (default) or use the fake's per-chunk sleeps, which run slower",
    )
    parser.add_argument(
        "--only", choices=VARIANTS, action="append", help="measure only these (for profiling)"
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        return serve(args.tokens, args.rate, args.pacing)

    variants = tuple(args.only or VARIANTS)
    begun = time.perf_counter()
    info = machine()
    timeout_s = max(60.0, 6 * args.tokens / args.rate)
    with (
        tempfile.TemporaryDirectory(prefix="playground-bench-") as tmp,
        _server(args.tokens, args.rate, args.server, args.pacing) as server,
    ):
        reply = server.reply
        print(
            f"reply: {reply['tokens']:,} tokens, {reply['chars']:,} characters, "
            f"{reply['chunks']:,} chunks, {reply['code_blocks']} code blocks, "
            f"{reply['tables']} tables; {args.rate:g} tok/s ({args.pacing} pacing); "
            f"server in a {args.server}"
        )
        print(f"machine: {info['cpus']} CPUs ({info['cpu']}), Qt {info['qt']}, {info['qpa']}")
        results = measure_runs(Bench(server, Path(tmp), timeout_s), args.runs, reply, variants)
    settings = {
        "runs": args.runs,
        "tokens": args.tokens,
        "rate": args.rate,
        "server": args.server,
        "pacing": args.pacing,
        "timer_ms": TIMER_MS,
        "settle_s": SETTLE_S,
        "window": WINDOW_SIZE,
    }
    return report(
        args, info, settings, reply, results, server, begun, tabled=set(variants) == set(VARIANTS)
    )


if __name__ == "__main__":
    sys.exit(main())
