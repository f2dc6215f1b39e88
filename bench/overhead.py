"""Time to first token through the app against the raw openai SDK, on the same loop and fake server.

Not a test: run it by hand after changing what happens between the Send click and the first token.

    python -m bench.overhead [--requests 40] [--warm-up 5] [--json PATH] [--profile PATH]

The fake OpenAI server (tests/fakes) runs in a child process (`python -m bench.overhead --serve`),
as a remote server would, and answers every chat request at once with a short reply (one word per
SSE chunk, no pacing). Two contestants send requests to it in alternating order, `--requests`
times each, after `--warm-up` unmeasured requests each:

* app: one real main window for the whole run (built like `tests/conftest.py` `make_app`, 1180 x
  760, offscreen; `start()` has refreshed the models, so the SDK client exists). Before each request
  (not timed) "New chat" is clicked and the message is typed into the input; then the clock starts
  and `QTest.mouseClick` clicks Send. First token = the first fragment has been put into the answer's
  `MessageView` (the end of the turn widget's first `append_stream` call; the time it reached the
  controller's `on_delta`, which renders once per 16 ms frame, is reported too, by wrapping
  `chat.service.stream` as bench/chat_stream.py does). The loop then runs until
  the reply is finished (`runner.is_busy("chat")` is false).
* sdk (the baseline): one `openai.AsyncOpenAI` client for the whole run, on the same qasync loop:
  `await client.chat.completions.create(..., stream=True, stream_options={"include_usage": True})`,
  then `async for` over the stream. First token = the first chunk with text in `delta.content`
  (the app's first fragment is that chunk's text; the chunk before it carries only the role).

The same is measured through the Responses API, in the same run and on the same loop, with its
own rows (names ending in "— Responses"):

* app: the conversation's API is set to Responses after "New chat" (not timed); first token = the
  first fragment in the answer's `MessageView`, as above (on_delta: the Responses engine's).
* sdk: `await client.responses.create(..., stream=True)`, then `async for` over the events; first
  token = the first `response.output_text.delta` event (first chunk: the first event of any kind,
  `response.created`).

The target, for each API: app median - SDK median ≤ 5 ms. The table also gives the difference request by request
(request i of each ran back to back), whose median and p90 are less sensitive to a busy machine. `--profile PATH` runs pyinstrument (1 ms interval) over
the app's measured requests only, from the click to the first token, and writes the text report.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# `python bench/overhead.py` (a script) needs the repository root on sys.path for `bench` and `tests`.
if str(Path(__file__).resolve().parents[1]) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    FAKE_KEY,
    MODEL,
    AppUnderTest,
    ChildServer,
    Figure,
    Gui,
    PaintWatch,
    percentile,
    serve_until_stdin_closes,
    table_rows,
    write_json,
)

ROOT = Path(__file__).resolve().parents[1]
TARGET_OVERHEAD_MS = 5.0
REPLY = (
    "Hello! Here is a short answer, streamed one word at a time, so the first token comes at once."
)
MESSAGE = "Say hello in one sentence."
CHAT_COMPLETIONS = "chat.completions"
RESPONSES = "responses"
APIS = (CHAT_COMPLETIONS, RESPONSES)


# --------------------------------------------------------------------------------------------------
# The fake server, in a child process
# --------------------------------------------------------------------------------------------------


def serve() -> int:
    """Child process (`ChildServer`): answers at once, one word per SSE chunk."""
    from tests.fakes.openai_server import FakeOpenAI, Scenario

    return serve_until_stdin_closes(
        FakeOpenAI(Scenario(reply_text=REPLY, chunk_unit="word", chunk_size=1))
    )


# --------------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------------


@dataclass
class Sample:
    variant: str
    index: int  # -1 for warm-up
    first_token_ms: float  # click (request) -> first fragment in the view (first content chunk)
    first_chunk_ms: float = math.nan  # sdk: the role-only chunk before it; app: not seen
    click_ms: float = math.nan  # app: time spent inside the click (the synchronous part of Send)
    delta_ms: float = math.nan  # app: the first fragment reaches the controller's on_delta
    painted_ms: float = math.nan  # app: the answer's body has painted the first fragment
    total_ms: float = math.nan  # click (request) -> reply finished (stream ended)
    text_ok: bool = True
    api: str = CHAT_COMPLETIONS  # what the request went through


class Bench:
    def __init__(self, gui: Gui, server: ChildServer, home: Path) -> None:
        import openai

        self.gui = gui
        self.app = AppUnderTest.build(gui, server.base_url, home)
        self.client = openai.AsyncOpenAI(base_url=server.base_url, api_key=FAKE_KEY, max_retries=0)
        self.profiler: Any = None
        # When the first fragment reaches the controller's `on_delta` (before it waits for a frame).
        self.delta_at: list[float] = []
        sending = self.app.chat.sending
        for engine in (sending.engine(CHAT_COMPLETIONS), sending.engine(RESPONSES)):
            self._note_first_delta(engine)

    def _note_first_delta(self, engine: Any) -> None:
        original = engine.stream

        def stream(request: Any, on_delta: Any, progress: Any = None, **more: Any) -> Any:
            def noted(index: int, fragment: str) -> None:
                if not self.delta_at:
                    self.delta_at.append(time.perf_counter())
                on_delta(index, fragment)

            return original(request, noted, progress, **more)

        engine.stream = stream

    def close(self) -> None:
        self.gui.loop.run_until_complete(self.client.close())
        self.app.close(self.gui)

    def measure_app(self, index: int, api: str = CHAT_COMPLETIONS) -> Sample:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        gui, chat = self.gui, self.app.chat
        runner = self.app.runner
        tab = chat.view
        QTest.mouseClick(tab.clear_button, Qt.MouseButton.LeftButton)  # New chat
        tab.set_api(api)
        if tab.api() != api:
            raise RuntimeError(f"the Chat tab sends through {tab.api()}, not {api}")
        tab.input_edit.setPlainText(MESSAGE)
        gui.settle(0.03)
        first: list[float] = []

        self.delta_at.clear()
        if self.profiler is not None:
            self.profiler.start()
        from playground.ui.chat.conversation_view import TurnWidget

        # The app shows the turns at the first fragment (or a frame after the click, whichever
        # comes first), so the first fragment is caught where every turn receives it.
        watches: list[PaintWatch] = []
        append = TurnWidget.append_stream

        def timed(widget: TurnWidget, choice: int, fragment: str) -> None:
            append(widget, choice, fragment)
            if not first:
                first.append(time.perf_counter())
                watch = PaintWatch(widget.view.body.viewport())
                watch.arm()
                watches.append(watch)
                if self.profiler is not None:
                    self.profiler.stop()

        TurnWidget.append_stream = timed  # type: ignore[method-assign]
        t0 = time.perf_counter()
        QTest.mouseClick(tab.send_button, Qt.MouseButton.LeftButton)
        clicked = time.perf_counter()
        if not runner.is_busy("chat"):
            TurnWidget.append_stream = append  # type: ignore[method-assign]
            raise RuntimeError("Send did not start a reply")
        finished: list[float] = []

        def on_busy(group: str, busy: bool) -> None:
            if group == "chat" and not busy and not finished:
                finished.append(time.perf_counter())

        runner.busy_changed.connect(on_busy)
        try:
            if not gui.run_until(
                lambda: bool(finished) and bool(watches) and watches[0].done is not None, 30
            ):
                raise RuntimeError("the reply did not finish (or was not painted) within 30 s")
        finally:
            TurnWidget.append_stream = append  # type: ignore[method-assign]
            runner.busy_changed.disconnect(on_busy)
            for watch in watches:
                watch.close()
            if self.profiler is not None and self.profiler.is_running:
                self.profiler.stop()
        painted = watches[0]
        assert painted.done is not None
        text = chat.conversation.turns[-1].content if chat.conversation.turns else ""
        return Sample(
            "app",
            index,
            first_token_ms=(first[0] - t0) * 1000 if first else math.nan,
            click_ms=(clicked - t0) * 1000,
            delta_ms=(self.delta_at[0] - t0) * 1000 if self.delta_at else math.nan,
            painted_ms=(painted.done - t0) * 1000,
            total_ms=(finished[0] - t0) * 1000,
            text_ok=text == REPLY,
            api=api,
        )

    def measure_sdk(self, index: int) -> Sample:
        self.gui.settle(0.03)
        stamps: dict[str, float] = {}
        parts: list[str] = []

        async def request() -> float:
            t0 = time.perf_counter()
            stream = await self.client.chat.completions.create(
                model=MODEL,
                messages=[{"role": "user", "content": MESSAGE}],
                stream=True,
                stream_options={"include_usage": True},
            )
            async with stream:
                async for chunk in stream:
                    stamps.setdefault("chunk", time.perf_counter())
                    for choice in chunk.choices:
                        content = choice.delta.content if choice.delta is not None else None
                        if content:
                            stamps.setdefault("content", time.perf_counter())
                            parts.append(content)
            stamps["end"] = time.perf_counter()
            return t0

        t0 = self.gui.loop.run_until_complete(asyncio.wait_for(request(), 30))
        return Sample(
            "sdk",
            index,
            first_token_ms=(stamps["content"] - t0) * 1000,
            first_chunk_ms=(stamps["chunk"] - t0) * 1000,
            total_ms=(stamps["end"] - t0) * 1000,
            text_ok="".join(parts) == REPLY,
        )

    def measure_sdk_responses(self, index: int) -> Sample:
        self.gui.settle(0.03)
        stamps: dict[str, float] = {}
        parts: list[str] = []

        async def request() -> float:
            t0 = time.perf_counter()
            stream = await self.client.responses.create(model=MODEL, input=MESSAGE, stream=True)
            async with stream:
                async for event in stream:
                    stamps.setdefault("chunk", time.perf_counter())
                    if event.type == "response.output_text.delta" and event.delta:
                        stamps.setdefault("content", time.perf_counter())
                        parts.append(event.delta)
            stamps["end"] = time.perf_counter()
            return t0

        t0 = self.gui.loop.run_until_complete(asyncio.wait_for(request(), 30))
        return Sample(
            "sdk",
            index,
            first_token_ms=(stamps["content"] - t0) * 1000,
            first_chunk_ms=(stamps["chunk"] - t0) * 1000,
            total_ms=(stamps["end"] - t0) * 1000,
            text_ok="".join(parts) == REPLY,
            api=RESPONSES,
        )

    def measure(self, variant: str, index: int, api: str = CHAT_COMPLETIONS) -> Sample:
        if variant == "app":
            return self.measure_app(index, api)
        return self.measure_sdk_responses(index) if api == RESPONSES else self.measure_sdk(index)


def figures(samples: list[Sample], api: str = CHAT_COMPLETIONS) -> list[Figure]:
    """The rows of one API (the Responses rows' names end in " — Responses")."""
    mine = [s for s in samples if s.api == api and s.index >= 0]
    app = [s for s in mine if s.variant == "app"]
    sdk = [s for s in mine if s.variant == "sdk"]
    suffix = " — Responses" if api == RESPONSES else ""
    # Responses streams no role-only chunk: its first event is `response.created`.
    first_chunk = "sdk: first event (ms)" if api == RESPONSES else "sdk: first (role) chunk (ms)"
    sdk_median = percentile([s.first_token_ms for s in sdk], 50)

    def vals(items: list[Sample], attr: str) -> list[float]:
        return [float(getattr(s, attr)) for s in items]

    base = "raw SDK"
    # Request i of each contestant ran back to back (in alternating order): their difference
    # cancels the noise both share, such as the machine being busy for a moment.
    sdk_by_index = {s.index: s.first_token_ms for s in sdk}
    pair_diffs = [s.first_token_ms - sdk_by_index[s.index] for s in app if s.index in sdk_by_index]
    return [
        Figure(
            "overhead",
            "time to first token (ms)" + suffix,
            vals(app, "first_token_ms"),
            vals(sdk, "first_token_ms"),
            base,
            f"≤ SDK + {TARGET_OVERHEAD_MS:g} ms",
            lambda app_median, _ratio: app_median - sdk_median <= TARGET_OVERHEAD_MS,
            "{:.1f}",
        ),
        Figure(
            "overhead",
            "time to first token, p90 (ms)" + suffix,
            [percentile(vals(app, "first_token_ms"), 90)],
            [percentile(vals(sdk, "first_token_ms"), 90)],
            base,
        ),
        Figure("overhead", "app − SDK, request by request (ms)" + suffix, pair_diffs),
        Figure(
            "overhead",
            "app − SDK, request by request, p90 (ms)" + suffix,
            [percentile(pair_diffs, 90)],
        ),
        Figure("overhead", "app: inside the Send click (ms)" + suffix, vals(app, "click_ms")),
        Figure("overhead", "app: first fragment at on_delta (ms)" + suffix, vals(app, "delta_ms")),
        Figure("overhead", "app: first token painted (ms)" + suffix, vals(app, "painted_ms")),
        Figure("overhead", first_chunk + suffix, vals(sdk, "first_chunk_ms")),
        Figure(
            "overhead",
            "whole reply (ms)" + suffix,
            vals(app, "total_ms"),
            vals(sdk, "total_ms"),
            base,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40, help="measured requests of each")
    parser.add_argument(
        "--runs",
        type=int,
        default=0,
        help="for the suite: measured requests of each = 20 x RUNS (overrides --requests)",
    )
    parser.add_argument("--warm-up", type=int, default=5, help="unmeasured requests of each first")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write every number here")
    parser.add_argument(
        "--profile", type=Path, metavar="PATH", help="profile the app's click-to-first-token"
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.runs:
        args.requests = 20 * args.runs
    if args.serve:
        return serve()

    begun = time.perf_counter()
    samples: list[Sample] = []
    gui = Gui()
    server = ChildServer("bench.overhead")
    profiler: Any = None
    try:
        with tempfile.TemporaryDirectory(prefix="playground-overhead-") as tmp:
            bench = Bench(gui, server, Path(tmp) / "home")
            try:
                for i in range(args.warm_up):
                    for api in APIS:
                        for variant in ("app", "sdk"):
                            bench.measure(variant, -1 - i, api)
                if args.profile:
                    import pyinstrument

                    profiler = pyinstrument.Profiler(interval=0.001, async_mode="disabled")
                    bench.profiler = profiler
                for i in range(args.requests):
                    order = ("app", "sdk") if i % 2 == 0 else ("sdk", "app")
                    for api in APIS:
                        for variant in order:
                            s = bench.measure(variant, i, api)
                            samples.append(s)
                            if not s.text_ok:
                                print(f"request {i + 1} {variant} {api}: TEXT MISMATCH", flush=True)
            finally:
                bench.close()
    finally:
        server.close()
        gui.close()

    chat_figs, responses_figs = figures(samples), figures(samples, RESPONSES)
    figs = chat_figs + responses_figs
    app_med, sdk_med = chat_figs[0].app_median, chat_figs[0].baseline_median
    responses_overhead = responses_figs[0].app_median - responses_figs[0].baseline_median
    print(table_rows([f.as_dict() for f in figs]))
    print(f"\noverhead: app median - SDK median = {app_med - sdk_med:.1f} ms")
    print(f"overhead (Responses): app median - SDK median = {responses_overhead:.1f} ms")
    if server.server_errors:
        print(f"fake server errors: {len(server.server_errors)}\n{server.server_errors[0]}")
    if profiler is not None:
        args.profile.parent.mkdir(parents=True, exist_ok=True)
        args.profile.write_text(profiler.output_text(unicode=True), encoding="utf-8")
        print(f"wrote the profile to {args.profile}")
    elapsed = time.perf_counter() - begun
    print(f"{len(samples)} requests in {elapsed:.0f} s")
    if args.json:
        write_json(
            args.json,
            figs,
            {
                "requests": args.requests,
                "warm_up": args.warm_up,
                "reply": REPLY,
                "target": f"app median - SDK median ≤ {TARGET_OVERHEAD_MS:g} ms",
            },
            overhead_ms=app_med - sdk_med,
            overhead_responses_ms=responses_overhead,
            elapsed_s=elapsed,
            server_errors=server.server_errors,
            samples=[vars(s) for s in samples],
        )
    ok = all(s.text_ok for s in samples) and not server.server_errors
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
