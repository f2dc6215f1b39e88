"""Streams a long reply through the Responses API into the real Chat tab and measures how long the
GUI event loop stalls: `chat_stream.py`'s benchmark, with Responses on both sides.

Not a test: run it by hand after changing the Responses streaming path, and read the table.

    python -m bench.responses_stream [--runs 3] [--tokens 20000] [--rate 2000] [--json PATH]

The fake OpenAI server streams the same Markdown reply as `chat_stream.py` (about 20,000 o200k
tokens, one token per `response.output_text.delta` event, paced at about 2,000 tokens/s, the
server in a child process). Three ways of showing it are timed in a rotating order:

* app: the real main window with an OpenAI profile, whose Chat conversations go through the
  Responses API by default (the run checks that the tab shows "Responses"): a message is typed and
  Send is clicked; each delta is timed as the Responses engine hands it to the Chat controller.
* append: a bare QTextEdit; each `response.output_text.delta` read with the raw SDK
  (`client.responses.create(stream=True)`) on the same qasync loop goes in with `append`.
* insert: the same, inserting each delta as plain text at the end.

Stalls, render time and the rest are measured and reported exactly as `chat_stream.py` does (its
`StallProbe`, `summarize`, `ROWS` and targets: stall p99 ≤ 16 ms, max ≤ 50 ms, render ≤ 2× the bare
append). The suite (`python -m bench`) lists the figures as "responses".
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench import chat_stream as cs
from bench.common import (
    FAKE_KEY,
    MODEL,
    WINDOW_SIZE,
    ChildServer,
    Figure,
    serve_until_stdin_closes,
)

NAME = "responses"


def make_fake(tokens: int, rate: float, pacing: str) -> tuple[Any, dict[str, Any]]:
    """`chat_stream.make_fake` for Responses bodies: the long reply, or a short one to an input
    with the warm-up mark; paced the same way."""
    from tests.fakes import openai_payloads as payloads
    from tests.fakes.openai_server import FakeOpenAI, Scenario

    reply = cs.build_reply(tokens, payloads.count_tokens)
    warm = cs.build_reply(min(tokens, 800), payloads.count_tokens)
    schedule = threading.local()

    def reply_for(body: dict[str, Any]) -> str:
        schedule.next_at = None
        sent = json.dumps(body.get("input") or body.get("messages") or "")
        return warm if cs.WARM_MARK in sent else reply

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
            return sleep(schedule.next_at - now)

        fake._pause = paced
    return fake, {**cs.reply_stats(reply), "warm": cs.reply_stats(warm)}


def serve(tokens: int, rate: float, pacing: str) -> int:
    fake, stats = make_fake(tokens, rate, pacing)
    return serve_until_stdin_closes(fake, reply=stats)


class Server:
    """The fake server in a child process."""

    def __init__(self, tokens: int, rate: float, pacing: str) -> None:
        self._child: ChildServer | None = ChildServer(
            "bench.responses_stream",
            *("--tokens", str(tokens), "--rate", str(rate), "--pacing", pacing),
        )
        self.base_url = self._child.base_url
        self.reply = self._child.hello["reply"]
        self.server_errors: list[str] = []

    def close(self) -> None:
        child, self._child = self._child, None
        if child is not None:
            child.close()
            self.server_errors = child.server_errors


class Bench(cs.Bench):
    """`chat_stream.Bench` with the app's Responses engine timed and a raw-SDK Responses baseline."""

    API = "responses"

    def _measure_baseline(
        self, variant: str, run: int, message: str, expect: dict[str, Any]
    ) -> cs.Measurement:
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
        deltas = cs.Deltas()

        async def consume() -> float:
            stream = await client.responses.create(
                model=MODEL, input=message, stream=True, store=False
            )
            async with stream:
                async for event in stream:
                    if event.type == "response.output_text.delta" and event.delta:
                        deltas.timed(sink, event.delta)
            return time.perf_counter()

        self.settle(0.3)
        self.probe.start()
        cpu0 = time.thread_time()
        try:
            ended = self.loop.run_until_complete(asyncio.wait_for(consume(), self.timeout_s))
        finally:
            self.settle(cs.SETTLE_S)
            stamps = self.probe.stop()
            cpu = time.thread_time() - cpu0
            self.loop.run_until_complete(client.close())
        ok = self._text_ok(deltas, "".join(deltas.parts), expect)
        result = cs.summarize(variant, run, stamps, deltas, ended, cpu, ok)
        edit.close()
        edit.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        return result


def figures(results: list[cs.Measurement]) -> list[Figure]:
    """The suite's figures: the app against the bare `QTextEdit.append` baseline."""
    out = []
    for row in cs.ROWS:
        if row.label not in cs.SUITE_ROWS:
            continue
        out.append(
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
        )
    return out


def table(results: list[cs.Measurement]) -> tuple[str, list[dict[str, Any]]]:
    # Same table as chat_stream's; kept here so both stay independent to read.
    text, verdicts = cs.table(results)
    return text, verdicts


@contextlib.contextmanager
def _server(tokens: int, rate: float, pacing: str) -> Iterator[Server]:
    server = Server(tokens, rate, pacing)
    try:
        yield server
    finally:
        server.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="measured runs of each (default 3)")
    parser.add_argument("--tokens", type=int, default=20_000, help="reply length (default 20000)")
    parser.add_argument("--rate", type=float, default=2000, help="tokens/s (default 2000)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write every number here")
    parser.add_argument("--pacing", choices=("deadline", "fake"), default="deadline")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        return serve(args.tokens, args.rate, args.pacing)

    begun = time.perf_counter()
    info = cs.machine()
    timeout_s = max(60.0, 6 * args.tokens / args.rate)
    with (
        tempfile.TemporaryDirectory(prefix="playground-bench-") as tmp,
        _server(args.tokens, args.rate, args.pacing) as server,
    ):
        reply = server.reply
        print(
            f"reply: {reply['tokens']:,} tokens, {reply['chunks']:,} deltas through /v1/responses; "
            f"{args.rate:g} tok/s ({args.pacing} pacing); server in a process"
        )
        print(f"machine: {info['cpus']} CPUs ({info['cpu']}), Qt {info['qt']}, {info['qpa']}")
        bench = Bench(server, Path(tmp), timeout_s)  # type: ignore[arg-type]
        results = cs.measure_runs(bench, args.runs, reply)
    settings = {"runs": args.runs, "tokens": args.tokens, "rate": args.rate}
    return cs.report(
        args, info, settings, reply, results, server, begun, table_of=table, figures_of=figures
    )


if __name__ == "__main__":
    sys.exit(main())
