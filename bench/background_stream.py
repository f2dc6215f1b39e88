"""Streams a long reply as a background response (Chat's "Keep running if I close the window")
into the real Chat tab and measures how long the GUI event loop stalls: `responses_stream.py`'s
benchmark with the background path timed instead of the plain Responses stream.

Not a test: run it by hand after changing how background answers stream, and read the table.

    python -m bench.background_stream [--runs 3] [--tokens 20000] [--rate 2000] [--json PATH]

The app's path differs from a plain Responses answer in three places, which is why it has its own
figure: `ResponsesEngine.stream_background` (each event goes through a wrapper that keeps its
sequence number), `ChatSending._in_background`, and the history row, which once a second gets
the whole text with the last event read (`_mark_background`: the pending fragments rendered
first, then one `update_message`) instead of the streaming store's throttled text write. The
server (`responses_stream.py`'s, a background request streams from a thread of its own there),
the same-run baselines (the raw SDK's plain Responses stream into a bare `QTextEdit`, `append`
and `insert`), the table and the targets (stall p99 ≤ 16 ms, max ≤ 50 ms) are those of
`responses_stream.py`. The suite (`python -m bench`) lists the figures as "background".
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import chat_stream as cs
from bench import responses_stream as rs
from bench.common import Figure

NAME = "background"


class Bench(rs.Bench):
    """`responses_stream.Bench` with Chat's background mode on: `stream_background` is timed."""

    STREAM = "stream_background"

    def prepare(self, tab: Any) -> None:
        from PySide6.QtWidgets import QCheckBox

        check = tab.findChild(QCheckBox, "backgroundCheck")
        if check is None:
            raise RuntimeError("the Chat tab has no background switch")
        check.setChecked(True)


def figures(results: list[cs.Measurement]) -> list[Figure]:
    """The suite's figures: the app against the bare `QTextEdit.append` baseline."""
    return [
        Figure(
            NAME,
            row.label,
            [float(getattr(m, row.attr)) for m in results if m.variant == "app"],
            [float(getattr(m, row.attr)) for m in results if m.variant == "append"],
            "append",
            row.target,
            row.check,
            row.fmt,
        )
        for row in cs.ROWS
        if row.label in cs.SUITE_ROWS
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="measured runs of each (default 3)")
    parser.add_argument("--tokens", type=int, default=20_000, help="reply length (default 20000)")
    parser.add_argument("--rate", type=float, default=2000, help="tokens/s (default 2000)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write every number here")
    parser.add_argument("--pacing", choices=("deadline", "fake"), default="deadline")
    args = parser.parse_args(argv)

    begun = time.perf_counter()
    info = cs.machine()
    timeout_s = max(60.0, 6 * args.tokens / args.rate)
    server = rs.Server(args.tokens, args.rate, args.pacing)
    try:
        with tempfile.TemporaryDirectory(prefix="playground-bench-") as tmp:
            reply = server.reply
            print(
                f"reply: {reply['tokens']:,} tokens, {reply['chunks']:,} deltas through a "
                f"background /v1/responses stream; {args.rate:g} tok/s ({args.pacing} pacing)"
            )
            print(f"machine: {info['cpus']} CPUs ({info['cpu']}), Qt {info['qt']}, {info['qpa']}")
            bench = Bench(server, Path(tmp), timeout_s)  # type: ignore[arg-type]
            results = cs.measure_runs(bench, args.runs, reply)
    finally:
        server.close()
    settings = {"runs": args.runs, "tokens": args.tokens, "rate": args.rate}
    return cs.report(
        args, info, settings, reply, results, server, begun, table_of=rs.table, figures_of=figures
    )


if __name__ == "__main__":
    sys.exit(main())
