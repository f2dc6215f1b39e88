"""Time to first audio byte handed to the player, for text to speech through a Realtime session:
the app against the raw openai SDK reading the same fake socket.

    python -m bench.realtime_speech [--requests 30] [--warm-up 3] [--json PATH]

The fake server (``FakeOpenAI`` with tests/fakes/realtime.py, a WebSocket on the HTTP fake's
own port) runs in a child process (`--serve`) and lists gpt-realtime-2.1-mini but no speech-endpoint
model (the model list after 2027-01-06), so the Audio tab picks the live route on its own. It
answers at once (no pacing): 100 ms of PCM per ``response.output_audio.delta``.

Speech goes into a private PulseAudio daemon with a null sink (the tests' recipe) when
`pulseaudio` is installed, so the app's live player really opens an output; without it, the
player's `start` is told it succeeded and the figure still ends where the bytes are handed over.

* app: one real main window (bench/common.py `AppUnderTest`), Audio tab, Text to speech page on
  gpt-realtime-2.1-mini, "Play as it arrives" on, the text typed (not timed). The clock starts at
  the Generate click; first audio = the first call of the controller's `LivePlayer.feed` (the PCM
  handed to the player). The loop then runs until the clip is stored (`audio-speech` not busy).
* sdk (baseline): `client.realtime.connect(model=...)` on the same qasync loop, the same three
  events (`session.update` with the same session, `conversation.item.create`, `response.create`),
  then `async for event in connection` until the first ``response.output_audio.delta``, base64
  decoded; whole clip = ``response.done``.

Target: app median - SDK median ≤ 20 ms (issue 16).

GUI stalls while audio and transcript stream (`--turns N`, 0 to skip): the Voice chat page of
the same window talks to the same fake for N turns. The private PulseAudio daemon also has a pipe
source as its microphone, fed from a thread at real-time pace with 0.6 s of tone then 3 s of
silence per turn; the fake's server voice detection ends each turn and answers it at the pace it
is spoken (``RealtimeLog.voice_tokens_per_second``: 100 ms of audio, one word of transcript, every
100 ms), so the page plays the answer and grows both transcripts while a 1 ms precise QTimer
(bench/chat_stream.py `StallProbe`) measures the event loop's gaps from Start to Stop. Target:
stall p99 ≤ 16 ms (one frame at 60 Hz). Skipped without `pulseaudio` (no microphone to feed).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if str(Path(__file__).resolve().parents[1]) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    FAKE_KEY,
    AppUnderTest,
    ChildServer,
    Figure,
    Gui,
    percentile,
    serve_until_stdin_closes,
    table_rows,
    write_json,
)

MODEL = "gpt-realtime-2.1-mini"
TARGET_OVERHEAD_MS = 20.0
TEXT = "Good morning. This sentence is read aloud, word for word, through a live session."
TRANSCRIBER = "gpt-live-transcribe"
STALL_TARGET_MS = 16.0
MIC_RATE = 16_000


def serve() -> int:
    from tests.fakes.openai_server import FakeOpenAI
    from tests.fakes.realtime import RealtimeLog
    from tests.fakes.scenario import Scenario

    scenario = Scenario()
    scenario.models = [m for m in scenario.models if "tts" not in m] + [MODEL, TRANSCRIBER]
    fake = FakeOpenAI(scenario)
    fake.state(RealtimeLog).voice_tokens_per_second = 20  # 2 audio tokens = 100 ms a delta
    return serve_until_stdin_closes(fake)


@contextlib.contextmanager
def null_speaker() -> Any:
    """A private PulseAudio daemon with a null sink as the default output and a pipe source
    (`<runtime>/mic`, 16 kHz mono) as the microphone; yields its socket (None without one)."""
    exe = shutil.which("pulseaudio")
    if exe is None:
        yield None
        return
    root = Path(tempfile.mkdtemp(prefix="pg-bench-pulse-"))
    runtime, home = root / "run", root / "home"
    for folder in (runtime, home):
        folder.mkdir(mode=0o700)
    sock = runtime / "native"
    env = {**os.environ, "HOME": str(home), "XDG_RUNTIME_DIR": str(runtime)}
    env.pop("PULSE_SERVER", None)
    proc = subprocess.Popen(
        [
            exe,
            "--daemonize=no",
            "--exit-idle-time=-1",
            "-n",
            "--disable-shm=yes",
            "--load=module-null-sink sink_name=speaker",
            f"--load=module-native-protocol-unix auth-anonymous=1 socket={sock}",
            f"--load=module-pipe-source source_name=mic file={runtime / 'mic'} format=s16le "
            f"rate={MIC_RATE} channels=1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while not sock.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    if not sock.exists():
        proc.kill()
        proc.wait()
        shutil.rmtree(root, ignore_errors=True)
        yield None
        return
    os.environ["PULSE_SERVER"] = f"unix:{sock}"
    try:
        yield sock
    finally:
        os.environ.pop("PULSE_SERVER", None)
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Sample:
    variant: str
    index: int
    first_audio_ms: float
    total_ms: float = math.nan
    bytes_ok: bool = True


class Bench:
    def __init__(self, gui: Gui, server: ChildServer, home: Path, *, speaker: bool) -> None:
        import openai

        self.gui = gui
        self.app = AppUnderTest.build(gui, server.base_url, home)
        self.client = openai.AsyncOpenAI(base_url=server.base_url, api_key=FAKE_KEY, max_retries=0)
        self.app.window.show_tab("audio")
        gui.settle(0.2)
        self.audio = self.app.controller.features.controller("audio")
        self.page = self.audio.view.speech
        self.page.model_combo.setCurrentText(MODEL)
        self.page.set_format("wav")
        self.page.live_check.setChecked(True)
        self.page.text_edit.setPlainText(TEXT)
        assert self.page.route_label.text().startswith(f"Spoken by {MODEL} through a live session")
        live = self.audio.live
        self.first: list[float] = []
        feed = live.feed

        def timed_feed(pcm: bytes) -> None:
            if not self.first:
                self.first.append(time.perf_counter())
            feed(pcm)

        live.feed = timed_feed  # an instance hook: the moment PCM is handed to the player
        if not speaker:
            start = live.start

            def started(rate: int, channels: int = 1) -> bool:
                start(rate, channels)
                return True

            live.start = started
        from tests.fakes import openai_payloads as payloads

        self.expected = payloads.speech_pcm(TEXT)

    def close(self) -> None:
        self.gui.loop.run_until_complete(self.client.close())
        self.app.close(self.gui)

    def measure_app(self, index: int) -> Sample:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        runner = self.app.runner
        self.gui.settle(0.03)
        self.first.clear()
        before = len(self.audio.clips.clips())
        t0 = time.perf_counter()
        QTest.mouseClick(self.page.generate_button, Qt.MouseButton.LeftButton)
        if not self.gui.run_until(lambda: not runner.is_busy("audio-speech"), 30):
            raise RuntimeError("the clip did not finish within 30 s")
        end = time.perf_counter()
        self.audio.live.stop()
        clips = self.audio.clips.clips()
        ok = len(clips) == before + 1
        if ok:
            import io
            import wave

            with wave.open(io.BytesIO(self.audio.clips.path(clips[0]).read_bytes())) as wav:
                ok = wav.readframes(wav.getnframes()) == self.expected
        return Sample(
            "app",
            index,
            first_audio_ms=(self.first[0] - t0) * 1000 if self.first else math.nan,
            total_ms=(end - t0) * 1000,
            bytes_ok=ok,
        )

    def measure_sdk(self, index: int) -> Sample:
        from playground.core.audio.realtime import session_config, text_item

        self.gui.settle(0.03)
        stamps: dict[str, float] = {}
        pcm = bytearray()

        async def request() -> float:
            t0 = time.perf_counter()
            async with self.client.realtime.connect(model=MODEL) as connection:
                await connection.send(
                    {"type": "session.update", "session": session_config("marin", "", 1.0)}
                )
                await connection.send({"type": "conversation.item.create", "item": text_item(TEXT)})
                await connection.send({"type": "response.create"})
                async for event in connection:
                    if event.type == "response.output_audio.delta":
                        data = base64.b64decode(event.delta)
                        stamps.setdefault("first", time.perf_counter())
                        pcm.extend(data)
                    elif event.type == "response.done":
                        stamps["end"] = time.perf_counter()
                        break
            return t0

        t0 = self.gui.loop.run_until_complete(asyncio.wait_for(request(), 30))
        return Sample(
            "sdk",
            index,
            first_audio_ms=(stamps["first"] - t0) * 1000,
            total_ms=(stamps["end"] - t0) * 1000,
            bytes_ok=bytes(pcm) == self.expected,
        )

    def measure(self, variant: str, index: int) -> Sample:
        return self.measure_app(index) if variant == "app" else self.measure_sdk(index)

    def measure_stalls(self, mic: Path, turns: int) -> tuple[list[float], int]:
        """Talks `turns` turns on the Voice chat page; returns the event loop's stalls (ms) from
        Start to Stop, and how many answers came."""
        import threading

        from bench.chat_stream import TIMER_MS, StallProbe

        view = self.audio.view
        view.show_page(view.voice)
        page = view.voice
        voice = self.audio.voice
        self.gui.run_until(lambda: "mic" in page.device_id, 10)
        if "mic" not in page.device_id:
            raise RuntimeError("the pipe microphone is not listed")
        page.model_combo.setCurrentText(MODEL)
        page.vad_radio.setChecked(True)
        stop = threading.Event()

        def speak() -> None:
            turn = tone(0.6) + bytes(int(3.0 * MIC_RATE) * 2)
            step = MIC_RATE * 2 // 100  # 10 ms, as a voice comes
            with mic.open("wb", buffering=0) as pipe:
                for _ in range(turns):
                    for offset in range(0, len(turn), step):
                        if stop.is_set():
                            return
                        pipe.write(turn[offset : offset + step])
                        time.sleep(0.01)

        def answers() -> int:
            conv = voice.conversation
            turns_done = conv.turns if conv is not None else []
            return sum(1 for t in turns_done if t.role == "assistant" and t.usage is not None)

        probe = StallProbe()
        page.start_button.click()
        if not self.gui.run_until(lambda: voice.session is not None and voice.session.open, 10):
            raise RuntimeError(f"voice chat did not connect: {page.message.plain}")
        feeder = threading.Thread(target=speak, daemon=True)
        probe.start()
        feeder.start()
        self.gui.run_until(lambda: answers() >= turns, 5 + 4 * turns)
        stamps = probe.stop()
        stop.set()
        feeder.join(5)
        page.start_button.click()  # Stop
        probe.close()
        gaps = [(stamps[i + 1] - stamps[i]) * 1000 for i in range(len(stamps) - 1)]
        return [max(0.0, g - TIMER_MS) for g in gaps], answers()


def tone(seconds: float) -> bytes:
    """A 300 Hz tone, 16-bit mono at the microphone's rate."""
    import array

    frames = int(seconds * MIC_RATE)
    samples = array.array(
        "h", (int(9000 * math.sin(2 * math.pi * 300 * i / MIC_RATE)) for i in range(frames))
    )
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()


def stall_figures(stalls: list[float], answered: int, turns: int) -> list[Figure]:
    return [
        Figure(
            "realtime-speech",
            f"voice chat: GUI stall p99 while audio and transcript stream ({answered}/{turns} "
            "answers) (ms)",
            [percentile(stalls, 99)],
            target=f"≤ {STALL_TARGET_MS:g} ms",
            check=lambda app_median, _ratio: answered == turns and app_median <= STALL_TARGET_MS,
        ),
        Figure("realtime-speech", "voice chat: longest GUI stall (ms)", [max(stalls, default=0)]),
    ]


def figures(samples: list[Sample]) -> list[Figure]:
    app = [s for s in samples if s.variant == "app" and s.index >= 0]
    sdk = [s for s in samples if s.variant == "sdk" and s.index >= 0]
    sdk_median = percentile([s.first_audio_ms for s in sdk], 50)
    sdk_by_index = {s.index: s.first_audio_ms for s in sdk}
    pairs = [s.first_audio_ms - sdk_by_index[s.index] for s in app if s.index in sdk_by_index]
    base = "raw SDK"
    return [
        Figure(
            "realtime-speech",
            "time to first audio byte handed to the player (ms)",
            [s.first_audio_ms for s in app],
            [s.first_audio_ms for s in sdk],
            base,
            f"≤ SDK + {TARGET_OVERHEAD_MS:g} ms",
            lambda app_median, _ratio: app_median - sdk_median <= TARGET_OVERHEAD_MS,
        ),
        Figure(
            "realtime-speech",
            "time to first audio byte, p90 (ms)",
            [percentile([s.first_audio_ms for s in app], 90)],
            [percentile([s.first_audio_ms for s in sdk], 90)],
            base,
        ),
        Figure("realtime-speech", "app − SDK, clip by clip (ms)", pairs),
        Figure(
            "realtime-speech",
            "whole clip (ms)",
            [s.total_ms for s in app],
            [s.total_ms for s in sdk],
            base,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30, help="measured clips of each")
    parser.add_argument("--runs", type=int, default=0, help="for the suite: clips = 10 x RUNS")
    parser.add_argument("--warm-up", type=int, default=3, help="unmeasured clips of each first")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write every number here")
    parser.add_argument(
        "--turns", type=int, default=0, help="voice chat turns for the GUI stall part (0: skip)"
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.runs:
        args.requests = 10 * args.runs
        args.turns = args.turns or 2 + args.runs
    if args.serve:
        return serve()

    begun = time.perf_counter()
    samples: list[Sample] = []
    stalls: list[float] = []
    answered = 0
    with null_speaker() as speaker:
        gui = Gui()
        server = ChildServer("bench.realtime_speech")
        try:
            with tempfile.TemporaryDirectory(prefix="playground-rt-") as tmp:
                bench = Bench(gui, server, Path(tmp) / "home", speaker=speaker is not None)
                try:
                    for i in range(args.warm_up):
                        for variant in ("app", "sdk"):
                            bench.measure(variant, -1 - i)
                    for i in range(args.requests):
                        order = ("app", "sdk") if i % 2 == 0 else ("sdk", "app")
                        for variant in order:
                            sample = bench.measure(variant, i)
                            samples.append(sample)
                            if not sample.bytes_ok:
                                print(f"clip {i + 1} {variant}: AUDIO MISMATCH", flush=True)
                    if args.turns and speaker is not None:
                        stalls, answered = bench.measure_stalls(speaker.parent / "mic", args.turns)
                finally:
                    bench.close()
        finally:
            server.close()
            gui.close()

    figs = figures(samples)
    if stalls:
        figs += stall_figures(stalls, answered, args.turns)
    app_med, sdk_med = figs[0].app_median, figs[0].baseline_median
    print(table_rows([f.as_dict() for f in figs]))
    print(f"\noverhead: app median - SDK median = {app_med - sdk_med:.1f} ms")
    print("speaker: private PulseAudio null sink" if speaker else "speaker: none (start stubbed)")
    if server.server_errors:
        print(f"fake server errors: {len(server.server_errors)}\n{server.server_errors[0]}")
    elapsed = time.perf_counter() - begun
    print(f"{len(samples)} clips in {elapsed:.0f} s")
    if args.json:
        write_json(
            args.json,
            figs,
            {
                "requests": args.requests,
                "warm_up": args.warm_up,
                "text": TEXT,
                "speaker": "null sink" if speaker else "none",
                "voice_turns": args.turns if stalls else 0,
                "target": f"app median - SDK median ≤ {TARGET_OVERHEAD_MS:g} ms",
            },
            overhead_ms=app_med - sdk_med,
            elapsed_s=elapsed,
            server_errors=server.server_errors,
            samples=[vars(s) for s in samples],
        )
    ok = all(s.bytes_ok for s in samples) and not server.server_errors
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
