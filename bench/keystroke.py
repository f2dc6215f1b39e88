"""Typing at the end of a 100,000-token draft in the real Chat tab, with the live token counter on
and off: keystroke-to-paint latency.

Not a test: run it by hand after changing what a keystroke in the Chat input does, and read the table.

    python -m bench.keystroke [--runs 5] [--keys 60] [--interval-ms 100] [--json PATH]

(Run it with `-m`. Its name shadows the standard library's `typing` for scripts run as
`python bench/<name>.py`; the first lines below hand such an import the real module.)

Two instances of the real main window are measured, in alternating order, `--runs` times each:

* app: the app as shipped. Every keystroke re-counts the draft (`CountersController.estimate_draft`,
  fed by `ChatController._on_view_draft_changed`; long drafts are counted in a worker thread and the
  status bar's "Draft:" counter and the estimate line update when the count is back).
* counter off (the baseline): the same app with that path disconnected in this instance only
  (`chat.counters.estimate_draft` replaced by a no-op), so no count runs.

Each instance is built like `tests/conftest.py` `make_app` builds it (throw-away home, fake key,
a fake OpenAI server in a thread for the model list), 1180 x 760, offscreen. The draft (the Markdown
prose-and-code text of bench/chat_stream.py, about 100,000 o200k tokens, 387,000 characters) is put
into the message box and its first count is left to finish. Then `--keys` characters are typed at
its end with `QTest.keyClick`, one every `--interval-ms` (or as soon as the previous keystroke has
been painted, if that took longer).

Latency of a keystroke: from just before the key event is sent to the end of the frame in which the
input's viewport next paints (an event filter on the viewport sees the `Paint` event and queues a
zero-delay timer, which fires once the frame has been painted and flushed). No sleeps are timed.

bench/usage_page.py (`python -m bench --only usage`) measures a third variant, "budgets": the app
as shipped with a limit per day, month and session set and a 100,000-row ledger, against the app
without budgets ("typing stays as fast with budgets on", issue 18).

Counter shown: from the last keystroke until the status bar's "Draft:" label has painted the final
draft's count (app only; its `draft_estimated` signal carries the count, checked against a count of
the final text).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# `python bench/keystroke.py` (a script) needs the repository root on sys.path for `bench` and `tests`.
if str(Path(__file__).resolve().parents[1]) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    MODEL,
    AppUnderTest,
    Figure,
    Gui,
    PaintWatch,
    percentile,
    table_rows,
    write_json,
)

VARIANTS = ("app", "off")
TEXT = "and so the counter keeps up with every word typed here "
TARGET_RATIO = 1.2


@dataclass
class Run:
    variant: str
    run: int
    latencies_ms: list[float] = field(default_factory=list)
    late_keys: int = 0  # keys sent late because the previous one had not been painted yet
    counter_ms: float = math.nan  # last key -> "Draft:" label painted with the final count
    counter_signal_ms: float = math.nan  # last key -> draft_estimated with the final count
    counter_ok: bool = True


def build_draft(tokens: int) -> str:
    from bench.chat_stream import build_reply
    from tests.fakes.openai_payloads import count_tokens

    return build_reply(tokens, count_tokens)


#: The budgets of the "budgets" variant (Settings.tabs["budgets"]): far above what the ledger holds.
BUDGETS = {
    "budgets": [
        {"period": "day", "limit": "100000", "provider": ""},
        {"period": "month", "limit": "100000", "provider": "OpenAI"},
        {"period": "session", "limit": "100000", "provider": ""},
    ],
    "warn_at": [50, 80],
}


class Bench:
    """`ledger`: a ledger file the "budgets" variant starts with (copied into its home)."""

    def __init__(
        self, gui: Gui, base_url: str, tmp: Path, draft: str, ledger: Path | None = None
    ) -> None:
        self.gui = gui
        self.base_url = base_url
        self.tmp = tmp
        self.draft = draft
        self.ledger = ledger
        self._homes = 0

    def measure(self, variant: str, run: int, keys: int, interval_s: float) -> Run:
        from PySide6.QtGui import QTextCursor
        from PySide6.QtTest import QTest

        gui = self.gui
        self._homes += 1
        home = self.tmp / f"home-{self._homes}"
        if variant == "budgets" and self.ledger is not None:
            import shutil

            from playground.core.storage.paths import AppPaths

            target = AppPaths.under(home).database_file
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.ledger, target)
        app = AppUnderTest.build(gui, self.base_url, home)
        chat = app.chat
        counters = chat.counters
        if variant == "off":
            counters.estimate_draft = lambda *_args, **_kwargs: None  # this instance only
        if variant == "budgets":
            settings = app.controller.settings
            app.controller.settings = settings.replace(tabs={**settings.tabs, "budgets": BUDGETS})
            counters.budgets.refresh()
            read_out = not app.window.counters.budget_label.isHidden()
            if len(counters.budgets.settings().budgets) != 3 or not read_out:
                raise RuntimeError("the budgets are not on")
        tab = chat.view
        edit = tab.input_edit
        result = Run(variant, run)
        try:
            tab.set_input(self.draft)
            edit.setFocus()
            edit.moveCursor(QTextCursor.MoveOperation.End)
            gui.run_until(lambda: not counters.runner.is_busy("draft-count"), 30)
            gui.settle(0.3)

            viewport = PaintWatch(edit.viewport())
            label = PaintWatch(app.window.counters.draft_label)
            emitted: list[tuple[float, int, bool]] = []  # (when, tokens, label text changed)
            shown = [label.widget.text()]

            def on_estimate(tokens: int, _cost: object) -> None:
                # The label has its new text already; an unchanged text is not painted again.
                text = label.widget.text()
                changed = text != shown[0]
                shown[0] = text
                emitted.append((time.perf_counter(), tokens, changed))
                if changed:
                    label.arm()

            counters.draft_estimated.connect(on_estimate)
            start = time.perf_counter()
            last_key = start
            for i in range(keys):
                due = start + i * interval_s
                if time.perf_counter() < due:
                    gui.settle(due - time.perf_counter())  # typing pace, not a measurement
                else:
                    result.late_keys += i > 0
                viewport.arm()
                last_key = time.perf_counter()
                QTest.keyClick(edit, TEXT[i % len(TEXT)])
                if not gui.run_until(lambda: viewport.done is not None, 10):
                    raise RuntimeError("the input was not painted within 10 s of a keystroke")
                assert viewport.done is not None
                result.latencies_ms.append((viewport.done - last_key) * 1000)
            if variant != "off":
                gui.run_until(
                    lambda: (
                        not counters.runner.is_busy("draft-count")
                        and counters._pending is None
                        and (label.done is not None or not label.armed)
                    ),
                    30,
                )
                final = [e for e in emitted if e[0] > last_key]
                expected = app.services.counter.count_messages(
                    chat.current_request().messages, MODEL
                )
                if final and final[-1][1] == expected:
                    signalled, _tokens, changed = final[-1]
                    result.counter_signal_ms = (signalled - last_key) * 1000
                    # Text unchanged (the last key did not change the count): shown at the signal.
                    done = label.done if changed else signalled
                    result.counter_ok = done is not None
                    if done is not None:
                        result.counter_ms = (done - last_key) * 1000
                else:
                    result.counter_ok = False
            counters.draft_estimated.disconnect(on_estimate)
            viewport.close()
            label.close()
            typed = "".join(TEXT[i % len(TEXT)] for i in range(keys))
            if edit.toPlainText() != self.draft + typed:
                raise RuntimeError("the draft does not end with the typed text")
        finally:
            app.close(gui)
        return result


def figures(results: list[Run]) -> list[Figure]:
    app = [r for r in results if r.variant == "app"]
    off = [r for r in results if r.variant == "off"]

    def per_run(runs: list[Run], fn: Any) -> list[float]:
        return [fn(r.latencies_ms) for r in runs]

    base = "counter off"
    return [
        Figure(
            "typing",
            "keystroke to paint, median (ms)",
            per_run(app, lambda v: percentile(v, 50)),
            per_run(off, lambda v: percentile(v, 50)),
            base,
            f"≤ {TARGET_RATIO:g}× counter off",
            lambda _app, ratio: ratio <= TARGET_RATIO,
            "{:.1f}",
        ),
        Figure(
            "typing",
            "keystroke to paint, p95 (ms)",
            per_run(app, lambda v: percentile(v, 95)),
            per_run(off, lambda v: percentile(v, 95)),
            base,
        ),
        Figure(
            "typing",
            "keystroke to paint, max (ms)",
            per_run(app, max),
            per_run(off, max),
            base,
        ),
        Figure(
            "typing",
            "keys sent late (previous not painted)",
            [float(r.late_keys) for r in app],
            [float(r.late_keys) for r in off],
            base,
            fmt="{:.0f}",
        ),
        Figure(
            "typing",
            "last key to counter painted (ms)",
            [r.counter_ms for r in app],
            fmt="{:.0f}",
        ),
        Figure(
            "typing",
            "last key to count signalled (ms)",
            [r.counter_signal_ms for r in app],
            fmt="{:.0f}",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="measured runs of each (default 5)")
    parser.add_argument("--keys", type=int, default=60, help="keystrokes per run (default 60)")
    parser.add_argument(
        "--interval-ms", type=float, default=100, help="time between keystrokes (default 100)"
    )
    parser.add_argument("--tokens", type=int, default=100_000, help="draft size (default 100000)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write every number here")
    args = parser.parse_args(argv)

    from tests.fakes.openai_server import FakeOpenAI

    begun = time.perf_counter()
    gui = Gui()
    draft = build_draft(args.tokens)
    from tests.fakes.openai_payloads import count_tokens

    print(f"draft: {count_tokens(draft):,} tokens, {len(draft):,} characters")
    results: list[Run] = []
    interval = args.interval_ms / 1000
    try:
        with (
            tempfile.TemporaryDirectory(prefix="playground-typing-") as tmp,
            FakeOpenAI() as fake,  # only answers the model list; a thread of this process
        ):
            bench = Bench(gui, fake.base_url, Path(tmp), draft)
            for variant in VARIANTS:  # warm-up: first-use costs stay out of run 1
                bench.measure(variant, -1, 5, interval)
            for run in range(args.runs):
                order = VARIANTS if run % 2 == 0 else VARIANTS[::-1]
                for variant in order:
                    r = bench.measure(variant, run, args.keys, interval)
                    results.append(r)
                    lat = r.latencies_ms
                    print(
                        f"run {run + 1} {variant:<3}  median {percentile(lat, 50):6.1f} ms  "
                        f"p95 {percentile(lat, 95):6.1f} ms  max {max(lat):6.1f} ms  "
                        f"late {r.late_keys:2d}"
                        + (f"  counter {r.counter_ms:6.0f} ms" if variant == "app" else "")
                        + ("" if r.counter_ok else "  COUNTER NOT UPDATED"),
                        flush=True,
                    )
    finally:
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
                "keys": args.keys,
                "interval_ms": args.interval_ms,
                "tokens": args.tokens,
                "draft_chars": len(draft),
                "target": f"median keystroke latency ≤ {TARGET_RATIO:g}× counter off",
            },
            elapsed_s=elapsed,
            runs=[vars(r) for r in results],
        )
    return 0 if all(r.counter_ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
