"""The Audio tab end to end against the fake server: speech, voice comparison, transcription and
translation from files and from a real recording, bad input, and the no-device case.

Recording and playback use a private PulseAudio daemon (a null sink as the speaker and a pipe
source as the microphone, fed with known PCM from Python) when `pulseaudio` is installed. Without
it those tests skip, unless PLAYGROUND_REQUIRE_AUDIO=1 (as `bash scripts/dev.sh test` sets), which
turns the skip into a failure.
"""

from __future__ import annotations

import array
import contextlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from playground.core.audio.files import pcm_to_wav
from playground.core.models import Endpoint, RequestStatus, Usage
from tests.conftest import AppHarness, WaitUntil
from tests.fakes import openai_payloads as payloads
from tests.fakes.openai_server import DEFAULT_TRANSCRIPT, FakeOpenAI
from tests.gui.drivers import TabDriver, opener

pytestmark = [
    pytest.mark.gui,
    # QtMultimedia's own start-up notes (no PipeWire library, no sound server, no device) are
    # expected on test machines; everything else Qt warns about still fails the test.
    pytest.mark.qt_log_ignore(
        r"Couldn't (load|resolve) pipewire",
        r"PulseAudioService: pa_context_connect\(\) failed",
        r"No audio device detected",
        # The FFmpeg back end says this when a file it is still opening is replaced or its
        # player is deleted (a clip deleted, a window closed right after a load): a cancellation.
        r"Could not open media\. FFmpeg error description: Immediate exit requested",
    ),
]

REQUIRE_AUDIO = os.environ.get("PLAYGROUND_REQUIRE_AUDIO") == "1"
MIC_RATE = 16_000


# --- a private PulseAudio server -------------------------------------------------------------------


@dataclass
class Pulse:
    """A running private PulseAudio daemon with a null speaker and a pipe microphone."""

    pipe: Path

    def feed(self, pcm: bytes) -> threading.Thread:
        """Plays `pcm` (16 kHz mono s16le) into the microphone at real-time pace, like a voice;
        a writer that dumps everything at once makes the source skip data."""

        def _write() -> None:
            step = MIC_RATE * 2 // 100  # 10 ms
            with self.pipe.open("wb", buffering=0) as pipe:
                for offset in range(0, len(pcm), step):
                    pipe.write(pcm[offset : offset + step])
                    time.sleep(0.01)

        thread = threading.Thread(target=_write, daemon=True)
        thread.start()
        return thread


#: The daemon of this process, shared by every module that imports `pulse_server`: QtMultimedia
#: connects to a sound server once per process, so a second daemon would never be heard.
_RUNNING: list[Pulse | None] = []


@pytest.fixture(scope="session")
def pulse_server() -> Iterator[Pulse | None]:
    if _RUNNING:  # another module's copy of this fixture started it
        yield _RUNNING[0]
        return
    with _pulse_daemon() as pulse:
        _RUNNING.append(pulse)
        try:
            yield pulse
        finally:
            _RUNNING.clear()


@contextlib.contextmanager
def _pulse_daemon() -> Iterator[Pulse | None]:
    exe = shutil.which("pulseaudio")
    if exe is None:
        yield None
        return
    root = Path(tempfile.mkdtemp(prefix="pg-pulse-"))
    runtime, home = root / "run", root / "home"
    for folder in (runtime, home):
        folder.mkdir(mode=0o700)
    socket_path, pipe = runtime / "native", runtime / "mic"
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
            f"--load=module-native-protocol-unix auth-anonymous=1 socket={socket_path}",
            f"--load=module-pipe-source source_name=mic file={pipe} format=s16le rate={MIC_RATE}"
            " channels=1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while not (socket_path.exists() and pipe.exists()):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            shutil.rmtree(root, ignore_errors=True)
            pytest.fail("the private PulseAudio daemon did not start")
        time.sleep(0.02)  # polling for the daemon's socket, not timing a test
    previous = os.environ.get("PULSE_SERVER")
    os.environ["PULSE_SERVER"] = f"unix:{socket_path}"
    try:
        yield Pulse(pipe)
    finally:
        if previous is None:
            os.environ.pop("PULSE_SERVER", None)
        else:
            os.environ["PULSE_SERVER"] = previous
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(autouse=True)
def _audio_server_first(pulse_server: Pulse | None) -> None:
    """Starts the server before any test here touches QtMultimedia (it connects only once)."""


@pytest.fixture
def pulse(pulse_server: Pulse | None) -> Pulse:
    if pulse_server is None:
        if REQUIRE_AUDIO:
            pytest.fail("PLAYGROUND_REQUIRE_AUDIO=1 but pulseaudio is not installed")
        pytest.skip("pulseaudio is not installed: no virtual microphone or speaker")
    return pulse_server


# --- helpers ---------------------------------------------------------------------------------------


def tone(seconds: float, rate: int = MIC_RATE, freq: float = 440.0) -> bytes:
    frames = int(seconds * rate)
    samples = array.array(
        "h", (int(9000 * math.sin(2 * math.pi * freq * i / rate)) for i in range(frames))
    )
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()


def wav_file(path: Path, seconds: float = 3.0) -> Path:
    path.write_bytes(pcm_to_wav(tone(seconds), MIC_RATE))
    return path


def accept_dialog(widget: Any, name: str, path: Path) -> None:
    open_ones = [d for d in widget.findChildren(QFileDialog, name) if d.isVisible()]
    assert len(open_ones) == 1, f"{name} did not open (or an old one stayed open)"
    open_ones[0].selectFile(str(path))
    open_ones[0].accept()


class AudioTab(TabDriver):
    """A running app with its model list loaded and the Audio tab shown, and the steps that most
    tests here take on it: fill in a page, choose a file, run a request and wait until it ends."""

    key = "audio"

    def prepare(self) -> None:
        self.app.controller.refresh_models()
        self.wait_until(lambda: self.app.controller.features._snapshot is not None)
        self.app.window.show_tab(self.key)

    @property
    def controller(self) -> Any:
        return self.feature  # the tab's controller is its feature controller

    @property
    def speech(self) -> Any:
        return self.view.speech

    def show_page(self, name: str) -> Any:
        """Shows one of the tab's pages (speech, compare, stt) and returns it."""
        view = self.view
        page = getattr(view, name)
        view.pages.setCurrentWidget(page)
        return page

    def speech_page(
        self, model: str | None = None, *, fmt: str | None = None, text: str | None = None
    ) -> Any:
        """The Speech page with `model`, then `fmt`, then `text` set (those given)."""
        page = self.speech
        if model is not None:
            page.model_combo.setCurrentText(model)
        if fmt is not None:
            page.set_format(fmt)
        if text is not None:
            page.text_edit.setPlainText(text)
        return page

    def stt_page(self, model: str | None = None, *, fmt: str | None = None) -> Any:
        """Shows the Speech to text page with `model`, then `fmt`, set (those given)."""
        page = self.show_page("stt")
        if model is not None:
            page.model_combo.setCurrentText(model)
        if fmt is not None:
            page.format_combo.setCurrentIndex(page.format_combo.findData(fmt))
        return page

    def compare_page(self, text: str, voices: list[str], models: set[str] | None = None) -> Any:
        """Shows the Compare page with `text`, `voices` and `models` ticked (all when None)."""
        page = self.show_page("compare")
        page.text_edit.setPlainText(text)
        for i in range(page.models.count()):
            item = page.models.item(i)
            ticked = models is None or item.text() in models
            item.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)
        page.set_checked_voices(voices)
        return page

    def render_compare(self) -> None:
        """Clicks Render on the Compare page and waits until every clip has ended."""
        self.click(self.view.compare.render_button)
        self.wait_idle("audio-compare")

    def choose_file(self, path: Path) -> None:
        """Picks `path` in the Speech to text page's real file dialog."""
        stt = self.show_page("stt")
        self.click(stt.choose_button)
        accept_dialog(stt, "sttOpenDialog", path)

    def generate(self) -> None:
        """Clicks Generate on the Speech page and waits until the request has ended."""
        self.click(self.speech.generate_button)
        self.wait_idle("audio-speech")

    def run_stt(self) -> None:
        """Clicks Transcribe (or Translate) and waits until the request has ended."""
        self.click(self.view.stt.run_button)
        self.wait_idle("audio-stt")

    def transcribe(self, path: Path) -> None:
        """Chooses `path`, then runs the Speech to text page on it."""
        self.choose_file(path)
        self.run_stt()

    def play_row(self, page: Any, row: int, seconds: float) -> None:
        """Clicks the text of `row` in the page's segment (or word) table, checks that the player
        plays from `seconds` on, and stops it."""
        rect = page.segments.visualItemRect(page.segments.item(row, 3))
        self.qtbot.mouseClick(
            page.segments.viewport(), Qt.MouseButton.LeftButton, pos=rect.center()
        )
        self.wait_until(lambda: page.player.player.playing)
        self.wait_until(lambda: page.player.player.position_ms >= seconds * 1000)
        page.player.stop()

    def ledger(self) -> list[Any]:
        """The usage ledger, oldest request first."""
        return list(reversed(self.app.services.ledger.recent(50)))


@pytest.fixture
def open_audio(
    make_app: Callable[..., AppHarness], qtbot: Any, wait_until: WaitUntil
) -> Callable[..., AudioTab]:
    """Starts an app (`make_app`'s keywords), loads its model list and shows the Audio tab."""
    return opener(AudioTab, make_app, qtbot, wait_until)


# --- text to speech --------------------------------------------------------------------------------


def test_speech_sends_every_field_saves_a_playable_clip_and_records_cost(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI, qtbot: Any, tmp_path: Path
) -> None:
    tab = open_audio()
    page = tab.speech_page("gpt-4o-mini-tts")
    assert "marin" in [page.voice_combo.itemText(i) for i in range(page.voice_combo.count())]
    page.voice_combo.setCurrentText("marin")
    page.instructions.setPlainText("Speak calmly, like a teacher.")
    page.speed.setValue(1.5)
    page.set_format("wav")
    page.live_check.setChecked(False)
    qtbot.keyClicks(page.text_edit, "Hello from the audio tab.")
    assert page.char_count.text() == "25 / 4,096 characters"
    # The text is counted with the model's encoding (loaded off the GUI thread if need be).
    tab.wait_until(lambda: page.estimate_label.text().startswith("Cost before sending: ≈$"))
    assert "audio output at $12.00 per 1M tokens" in page.estimate_label.text()

    tab.generate()

    sent = fake_openai.last("/audio/speech").json
    assert sent == {
        "model": "gpt-4o-mini-tts",
        "voice": "marin",
        "input": "Hello from the audio tab.",
        "response_format": "wav",
        "speed": 1.5,
        "instructions": "Speak calmly, like a teacher.",
        "stream_format": "sse",
    }
    [clip] = tab.controller.clips.clips()
    assert (clip.voice, clip.speed, clip.response_format) == ("marin", 1.5, "wav")
    stored = tab.controller.clips.path(clip)
    with wave.open(str(stored)) as wav:
        seconds = wav.getnframes() / wav.getframerate()
    assert seconds == pytest.approx(
        payloads.speech_duration("Hello from the audio tab.", 1.5), abs=0.01
    )
    assert page.history.count() == 1
    assert page.player.player.path == stored
    tab.wait_until(lambda: page.player.player.duration_ms > 0)

    [row] = tab.ledger()
    assert row.endpoint is Endpoint.SPEECH
    assert row.status is RequestStatus.OK
    assert row.usage.output_tokens > 0
    assert row.cost is not None
    assert row.cost == tab.app.services.pricer.cost("gpt-4o-mini-tts", row.usage)
    assert "$" in tab.app.window.counters.last_label.text()

    # Save as…: a real file dialog, then a playable copy.
    tab.click(page.save_button)
    target = tmp_path / "saved.wav"
    accept_dialog(page, "speechSaveDialog", target)
    assert target.read_bytes() == stored.read_bytes()
    assert "Saved saved.wav" in page.result_label.text()


def test_tts1_is_priced_per_character_before_and_after(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI
) -> None:
    tab = open_audio()
    page = tab.speech_page("tts-1")
    assert not page.instructions.isEnabled()
    assert "tts-1" in page.instructions.toolTip()
    assert "ballad" not in [page.voice_combo.itemText(i) for i in range(page.voice_combo.count())]
    text = "x" * 1000
    page.text_edit.setPlainText(text)
    assert "≈$0.015" in page.estimate_label.text()
    assert "per 1M characters" in page.estimate_label.text()
    page.custom_voice.setText("voice_custom42")
    tab.generate()
    sent = fake_openai.last("/audio/speech").json
    assert sent["voice"] == {"id": "voice_custom42"}
    assert "instructions" not in sent
    assert "stream_format" not in sent
    [row] = tab.ledger()
    assert row.usage == Usage(characters=1000)
    assert row.cost == Decimal("0.015")


def test_empty_and_too_long_text_never_reach_the_server(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI, qtbot: Any
) -> None:
    page = open_audio().speech
    assert not page.generate_button.isEnabled()
    page.text_edit.setFocus()
    qtbot.keyClick(page.text_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    page.text_edit.setPlainText("y" * 4097)
    assert page.char_count.text() == "4,097 / 4,096 characters"
    assert "color: #d93025" in page.char_count.styleSheet()
    assert not page.generate_button.isEnabled()
    assert "1 characters over" in page.generate_button.toolTip()
    page.generate_requested.emit(page.request(), False)  # even if something sends it anyway
    assert page.message.isVisible()
    assert "Text too long" in page.message.plain
    page.text_edit.setPlainText("   ")
    page.generate_requested.emit(page.request(), False)
    assert "No text" in page.message.plain
    assert fake_openai.requests_to("/audio/speech") == []
    assert page.text_edit.toPlainText() == "   "


def test_dropped_connection_keeps_the_text_and_stores_nothing(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI
) -> None:
    fake_openai.scenario.drop_after_chunks = 1
    tab = open_audio()
    text = "A long passage. " * 60
    page = tab.speech_page("tts-1", fmt="pcm", text=text)
    tab.generate()
    assert "Connection dropped" in page.message.plain
    assert "Your text and settings are kept" in page.message.plain
    assert page.text_edit.toPlainText() == text
    assert tab.controller.clips.clips() == []
    [row] = tab.ledger()
    assert row.status is RequestStatus.ERROR
    assert row.usage.estimated


def test_ctrl_enter_generates_and_esc_stops(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI, qtbot: Any
) -> None:
    tab = open_audio()
    fake_openai.scenario.latency_s = 30  # the answer would take long: there is time to stop it
    page = tab.speech_page("tts-1", text="Never mind.")
    page.text_edit.setFocus()
    qtbot.keyClick(page.text_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert tab.app.runner.is_busy("audio-speech")
    assert page.stop_button.isVisible()
    tab.wait_until(lambda: fake_openai.requests_to("/audio/speech") != [])
    qtbot.keyClick(page.text_edit, Qt.Key.Key_Escape)
    tab.wait_idle("audio-speech")
    assert page.generate_button.isVisible()
    assert page.result_label.text() == "Stopped; nothing was saved."
    assert page.text_edit.toPlainText() == "Never mind."
    assert tab.controller.clips.clips() == []
    [row] = tab.ledger()
    assert row.status is RequestStatus.CANCELLED


def test_server_error_is_shown_next_to_generate(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI
) -> None:
    tab = open_audio()
    fake_openai.fail_next(500)
    page = tab.speech_page(text="Hello")
    tab.generate()
    assert page.message.isVisible()
    assert page.message.error is not None
    assert page.message.error.status == 500
    assert page.generate_button.isVisible()


def test_history_survives_restart_and_restores_settings(
    open_audio: Callable[..., AudioTab],
) -> None:
    tab = open_audio()
    page = tab.speech_page("tts-1")
    page.voice_combo.setCurrentText("onyx")
    page.speed.setValue(0.75)
    page.text_edit.setPlainText("Remember me.")
    tab.generate()
    page.text_edit.setPlainText("A new draft")
    tab.app.controller.save_window_state()

    again = open_audio(home=tab.app.home)
    page2 = again.speech
    assert page2.text_edit.toPlainText() == "A new draft"
    assert page2.model == "tts-1"
    assert page2.voice == "onyx"
    assert page2.history.count() == 1
    assert "onyx · tts-1" in page2.history.item(0).text()
    assert "Speed: 0.75×" in page2.history.item(0).toolTip()
    page2.history.setCurrentRow(0)
    again.click(page2.reuse_button)
    assert page2.text_edit.toPlainText() == "Remember me."
    again.click(page2.delete_button)
    assert page2.history.count() == 0
    assert again.controller.clips.clips() == []


def test_live_playback_starts_before_the_clip_is_complete(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI, pulse: Pulse
) -> None:
    tab = open_audio()
    controller = tab.controller
    page = tab.speech_page("tts-1", fmt="pcm")
    assert page.live_check.isEnabled()
    page.live_check.setChecked(True)
    page.text_edit.setPlainText("Stream me. " * 370)  # ~82 s of audio, ~4 MB
    started_while_busy: list[bool] = []
    original = controller.live.start

    def spy(rate: int, channels: int = 1) -> bool:
        started_while_busy.append(tab.app.runner.is_busy("audio-speech"))
        return original(rate, channels)

    controller.live.start = spy  # an instance hook to observe when playback starts
    tab.generate()
    assert started_while_busy == [True]
    assert controller.live.active  # still playing what arrived
    controller.live.stop()
    assert fake_openai.last("/audio/speech").json["response_format"] == "pcm"


def test_player_plays_pauses_and_seeks(open_audio: Callable[..., AudioTab], pulse: Pulse) -> None:
    tab = open_audio()
    page = tab.speech_page("tts-1", fmt="wav")
    page.live_check.setChecked(False)
    page.text_edit.setPlainText("Play me back. " * 20)
    tab.generate()
    bar = page.player
    tab.wait_until(lambda: bar.player.playing)  # generated clips start playing on their own
    tab.wait_until(lambda: bar.player.position_ms > 0)
    assert bar.play_button.accessibleName() == "Pause"
    tab.click(bar.play_button)
    tab.wait_until(lambda: not bar.player.playing)
    bar.player.seek(2000)
    tab.wait_until(lambda: bar.player.position_ms >= 2000)
    assert bar.time_label.text().startswith("0:02 / ")


# --- compare voices --------------------------------------------------------------------------------


def test_compare_renders_each_voice_with_its_own_player(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI
) -> None:
    tab = open_audio()
    page = tab.compare_page("Which voice do you like?", ["alloy", "echo", "nova"], {"tts-1"})
    assert page.count_label.text() == "3 clips"
    assert "tts-1 ×3" in page.estimate_label.text()
    tab.render_compare()
    voices = sorted(r.json["voice"] for r in fake_openai.requests_to("/audio/speech"))
    assert voices == ["alloy", "echo", "nova"]
    assert [r.title.text() for r in page.rows] == [
        "<b>alloy · tts-1</b>",
        "<b>echo · tts-1</b>",
        "<b>nova · tts-1</b>",
    ]
    for row in page.rows:
        assert row.play_button.isEnabled()
        assert row.player.player.path is not None
        assert row.player.player.path.exists()
        assert "$" in row.state.text()
    assert [e.endpoint for e in tab.ledger()] == [Endpoint.SPEECH] * 3
    assert len(tab.controller.clips.clips()) == 3
    tab.click(page.rows[1].use_button)  # the user picked echo by ear
    speech = tab.speech
    assert tab.view.pages.currentWidget() is speech
    assert (speech.model, speech.voice) == ("tts-1", "echo")


def test_compare_models_and_a_failed_row(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI
) -> None:
    tab = open_audio()
    page = tab.compare_page("Same words, two models.", ["coral"])
    assert page.count_label.text() == "2 clips"
    fake_openai.fail_next(500)
    tab.render_compare()
    states = [r.state.text() for r in page.rows]
    assert states.count("Failed") == 1
    [ok] = [s for s in states if s != "Failed"]
    assert "$" in ok
    failed = next(r for r in page.rows if r.state.text() == "Failed")
    assert failed.message.error is not None
    assert failed.message.error.status == 500
    assert not failed.play_button.isEnabled()
    assert sorted(r.json["model"] for r in fake_openai.requests_to("/audio/speech")) == [
        "gpt-4o-mini-tts",
        "tts-1",
    ]


# --- speech to text --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json", "srt", "vtt", "verbose_json"])
def test_transcription_in_every_format(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI, tmp_path: Path, fmt: str
) -> None:
    tab = open_audio()
    page = tab.stt_page("whisper-1", fmt=fmt)
    page.language_combo.setCurrentIndex(page.language_combo.findData("de"))
    page.prompt_edit.setText("Zoë, Kraków")
    page.temperature.setValue(0.2)
    source = wav_file(tmp_path / "interview.wav", 4.0)
    tab.choose_file(source)
    assert page.source == source
    assert "interview.wav" in page.file_info.text()
    assert "0:04" in page.file_info.text()
    assert "≈$0.0004" in page.estimate_label.text()  # 4 s of whisper-1 at $0.006 a minute

    tab.run_stt()

    sent = fake_openai.last("/audio/transcriptions")
    assert sent.form == {
        "model": "whisper-1",
        "response_format": fmt,
        "language": "de",
        "prompt": "Zoë, Kraków",
        "temperature": "0.2",
        **({"timestamp_granularities[]": "segment"} if fmt == "verbose_json" else {}),
    }
    assert sent.files["file"].filename == "interview.wav"
    assert sent.files["file"].content_type == "audio/wav"
    assert sent.files["file"].data == source.read_bytes()
    transcript = page.transcript
    assert transcript is not None
    assert transcript.text.split() == DEFAULT_TRANSCRIPT.split()
    shown = page.text_view.toPlainText()
    if fmt == "text":
        assert shown == DEFAULT_TRANSCRIPT
    elif fmt == "json":
        assert json.loads(shown)["text"] == DEFAULT_TRANSCRIPT
    elif fmt == "srt":
        assert "00:00:00,000 -->" in shown
    elif fmt == "vtt":
        assert shown.startswith("WEBVTT")
    if fmt in ("srt", "vtt", "verbose_json"):
        assert page.result_stack.currentWidget() is page.segments
        assert page.segments.rowCount() == 2
        assert page.segments.item(0, 0).text() == "0:00"
        assert page.segments.item(1, 1).text() == "0:04"
        assert page.segments.item(0, 3).text().startswith("Hello from the fake")
        page.view_combo.setCurrentIndex(page.view_combo.findData("text"))
        assert page.result_stack.currentWidget() is page.text_view
        assert page.view_combo.findData("words") == -1  # not asked for
    else:
        assert page.result_stack.currentWidget() is page.text_view
        assert not page.view_combo.isVisible()
    [row] = tab.ledger()
    assert row.endpoint is Endpoint.TRANSCRIPTION
    assert row.usage.audio_seconds == 4
    assert row.cost == Decimal("0.0004")

    # Save and copy.
    tab.click(page.save_button)
    target = tmp_path / f"out.{transcript.suffix}"
    accept_dialog(page, "sttSaveDialog", target)
    saved = target.read_text(encoding="utf-8")
    assert DEFAULT_TRANSCRIPT.split()[0] in saved
    tab.click(page.copy_button)
    from PySide6.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text() == transcript.text


def test_compressed_file_length_is_measured_before_upload(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    # 115 silent MPEG-1 Layer III frames at 128 kbit/s, 44.1 kHz: 3.0 s of valid MP3.
    mp3 = tmp_path / "memo.mp3"
    mp3.write_bytes((b"\xff\xfb\x90\x64" + bytes(413)) * 115)
    tab = open_audio()
    page = tab.stt_page("whisper-1")
    tab.choose_file(mp3)
    assert page.source == mp3
    assert "46.8 KB · measuring…" in page.file_info.text()
    # The WAV header reader cannot say how long an MP3 is; the media player measures it.
    tab.wait_until(lambda: "0:03" in page.file_info.text())
    assert "measuring" not in page.file_info.text()
    assert "≈$0.0003 for 0:03" in page.estimate_label.text()
    tab.run_stt()
    upload = fake_openai.last("/audio/transcriptions").files["file"]
    assert (upload.filename, upload.content_type) == ("memo.mp3", "audio/mpeg")


def test_clicking_a_segment_plays_from_its_start(
    open_audio: Callable[..., AudioTab], tmp_path: Path, pulse: Pulse
) -> None:
    tab = open_audio()
    page = tab.stt_page("whisper-1", fmt="verbose_json")
    tab.transcribe(wav_file(tmp_path / "talk.wav", 6.0))
    start = page.transcript.segments[1].start
    assert start > 1
    tab.play_row(page, 1, start)


def test_word_timings_are_asked_for_shown_and_play_from_the_clicked_word(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI, tmp_path: Path, pulse: Pulse
) -> None:
    tab = open_audio()
    page = tab.stt_page("whisper-1", fmt="text")
    assert not page.words_check.isEnabled()  # only with the timestamped format
    page.format_combo.setCurrentIndex(page.format_combo.findData("verbose_json"))
    assert page.words_check.isEnabled()
    page.words_check.setChecked(True)
    tab.transcribe(wav_file(tmp_path / "talk.wav", 6.0))

    sent = fake_openai.last("/audio/transcriptions")
    assert sent.form_values("timestamp_granularities[]") == ["segment", "word"]
    words = page.transcript.words
    assert [w.text for w in words] == DEFAULT_TRANSCRIPT.replace(".", "").split()
    assert page.view_combo.isVisible()
    assert page.result_stack.currentWidget() is page.segments  # segments first
    page.view_combo.setCurrentIndex(page.view_combo.findData("words"))
    assert page.segments.rowCount() == len(words)
    assert page.segments.item(3, 3).text() == words[3].text
    tab.play_row(page, 5, words[5].start)
    # Translations have no word timings.
    page.translate_radio.setChecked(True)
    assert not page.words_check.isEnabled()
    assert "no word timings" in page.words_check.toolTip()


def test_segment_click_without_a_speaker_says_so(
    open_audio: Callable[..., AudioTab], tmp_path: Path
) -> None:
    tab = open_audio()
    if tab.controller.devices_have_output():
        pytest.skip("this machine has an audio output; see the no-device subprocess test")
    page = tab.stt_page("whisper-1", fmt="srt")
    tab.transcribe(wav_file(tmp_path / "talk.wav", 3.0))
    page.segments.cellClicked.emit(0, 2)
    assert "No speaker or headphones" in page.player.message.plain


def test_streamed_transcript_appears_as_it_arrives(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.scenario.transcript_text = " ".join(f"word{i}" for i in range(60))
    fake_openai.scenario.tokens_per_second = 150
    tab = open_audio()
    page = tab.stt_page("gpt-4o-transcribe")
    assert page.format_combo.count() == 2  # text and json only
    assert not page.translate_radio.isEnabled()
    assert page.stream_check.isEnabled()
    assert "Priced per token" in page.estimate_label.text()
    tab.choose_file(wav_file(tmp_path / "memo.wav", 2.0))
    tab.click(page.run_button)
    tab.wait_until(lambda: "word3" in page.text_view.toPlainText())
    assert tab.app.runner.is_busy("audio-stt")  # text is showing while more is coming
    tab.wait_idle("audio-stt")
    assert page.text_view.toPlainText() == fake_openai.scenario.transcript_text
    assert fake_openai.last("/audio/transcriptions").form["stream"] == "true"
    [row] = tab.ledger()
    assert row.usage.input_tokens == 20  # 2 s of audio, no prompt
    # Priced only because the reply said which input tokens were audio ($6 / 1M for them).
    assert row.cost == tab.app.services.pricer.cost(
        "gpt-4o-transcribe",
        Usage(input_tokens=20, audio_tokens=20, output_tokens=row.usage.output_tokens),
    )
    assert row.cost is not None


def test_translation_to_english(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    tab = open_audio()
    page = tab.stt_page("whisper-1")
    tab.click(page.translate_radio)
    assert page.run_button.text() == "Translate"
    assert not page.language_combo.isEnabled()
    page.format_combo.setCurrentIndex(page.format_combo.findData("verbose_json"))
    page.prompt_edit.setText("A speech in German.")
    tab.transcribe(wav_file(tmp_path / "rede.wav", 2.0))
    sent = fake_openai.last("/audio/translations")
    assert sent.form == {
        "model": "whisper-1",
        "response_format": "verbose_json",
        "prompt": "A speech in German.",
    }
    assert sent.files["file"].data == (tmp_path / "rede.wav").read_bytes()
    assert page.result_title.text() == "Translation (English)"
    assert page.segments.rowCount() == 2
    [row] = tab.ledger()
    assert row.endpoint is Endpoint.TRANSLATION
    assert row.usage.audio_seconds == pytest.approx(2.0)
    # A model without translation turns the option off instead of failing later.
    page.model_combo.setCurrentText("gpt-4o-transcribe")
    assert page.transcribe_radio.isChecked()
    assert not page.translate_radio.isEnabled()


def test_bad_files_are_refused_before_upload_and_the_good_one_is_kept(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    tab = open_audio()
    page = tab.stt_page()
    good = wav_file(tmp_path / "good.wav", 1.0)
    tab.choose_file(good)
    assert page.source == good

    notes = tmp_path / "notes.txt"
    notes.write_text("not audio")
    tab.choose_file(notes)
    assert "Unsupported file" in page.source_message.plain

    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunkjunkjunk")
    tab.choose_file(corrupt)
    assert "Damaged WAV file" in page.source_message.plain

    renamed = tmp_path / "song.mp3"
    renamed.write_text("plain text pretending to be an mp3")
    tab.choose_file(renamed)
    assert "Not an audio file" in page.source_message.plain

    huge = tmp_path / "huge.wav"
    with huge.open("wb") as handle:
        handle.write(pcm_to_wav(tone(0.1)))
        handle.truncate(26 * 1024 * 1024)  # sparse: cheap to make
    tab.choose_file(huge)
    assert "File too large" in page.source_message.plain
    assert "26.0 MB" in page.source_message.plain
    assert "25.0 MB" in page.source_message.plain

    assert page.source == good  # nothing chosen before is lost
    assert page.run_button.isEnabled()
    assert fake_openai.requests_to("/audio/transcriptions") == []


def test_dropped_upload_keeps_the_audio(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.scenario.drop_after_chunks = 0
    tab = open_audio()
    page = tab.stt_page("whisper-1")
    source = wav_file(tmp_path / "keep.wav", 1.0)
    tab.transcribe(source)
    assert page.message.error is not None
    assert "The audio is kept (keep.wav)" in page.message.plain
    assert page.source == source
    assert source.exists()
    [row] = tab.ledger()
    assert row.status is RequestStatus.ERROR


def test_unreadable_answer_and_rate_limit_are_explained(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    tab = open_audio()
    page = tab.stt_page("whisper-1", fmt="json")
    tab.choose_file(wav_file(tmp_path / "a.wav", 1.0))
    fake_openai.invalid_json_next(path="/audio/transcriptions")
    tab.run_stt()
    assert page.message.error is not None
    assert page.message.error.title == "Unreadable answer"

    fake_openai.rate_limit(retry_after=7, path="/audio/transcriptions")
    tab.run_stt()
    assert page.message.error is not None
    assert page.message.error.status == 429
    assert page.message.error.retry_after == 7
    assert "7 s" in page.message.plain
    tab.run_stt()  # and the same audio goes through once the wait is over
    assert page.transcript is not None
    assert [r.status for r in tab.ledger()] == [
        RequestStatus.ERROR,
        RequestStatus.ERROR,
        RequestStatus.OK,
    ]


def test_a_real_recording_is_captured_saved_and_uploaded(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI, tmp_path: Path, pulse: Pulse
) -> None:
    tab = open_audio()
    controller = tab.controller
    page = tab.stt_page()
    tab.click(page.mic_radio)
    tab.wait_until(lambda: page.device_combo.isEnabled() and page.device_combo.count() > 0)
    assert page.record_button.isEnabled()
    assert "mic" in page.device_id

    tab.click(page.record_button)
    assert controller.recorder.recording
    assert page.record_button.accessibleName() == "Stop recording"
    fed = tone(1.0, freq=523.25)
    feeder = pulse.feed(fed)
    expected = len(fed) // 2
    tab.wait_until(lambda: controller.recorder.frames >= expected, timeout=20)
    tab.wait_until(lambda: not feeder.is_alive())
    assert page.level.value() > 0 or page.record_time.text() != "0:00"
    tab.click(page.record_button)  # stop
    assert not controller.recorder.recording
    source = page.source
    assert source is not None
    assert source.parent == controller.clips.recordings_dir
    assert "saved in" in page.file_info.text()
    assert page.save_take_button.isVisible()
    tab.click(page.save_take_button)
    copy = tmp_path / "my-take.wav"
    accept_dialog(page, "sttSaveTakeDialog", copy)
    assert copy.read_bytes() == source.read_bytes()
    assert "Saved a copy as my-take.wav" in page.source_message.plain

    with wave.open(str(source)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (MIC_RATE, 1, 2)
        frames = wav.readframes(wav.getnframes())
    recorded = array.array("h", frames)
    loud = [i for i, v in enumerate(recorded) if abs(v) > 200]
    # Everything fed in was captured, in one piece, with nothing but silence around it.
    assert loud[-1] - loud[0] + 1 == pytest.approx(expected, abs=MIC_RATE // 100)
    assert len(recorded) == pytest.approx(expected, abs=MIC_RATE // 10)

    page.model_combo.setCurrentText("whisper-1")
    tab.run_stt()
    upload = fake_openai.last("/audio/transcriptions").files["file"]
    assert upload.filename == source.name
    assert upload.data == source.read_bytes()
    assert page.transcript is not None
    [row] = tab.ledger()
    assert row.usage.audio_seconds == 1  # the fake's ceil(duration of what was uploaded)


# --- no audio device -------------------------------------------------------------------------------

_NO_DEVICE_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from playground.window import build_window
    from playground.services import build_services
    from playground.core.audio.files import pcm_to_wav
    from playground.core.storage.paths import AppPaths
    from playground.core.api.secrets import MemorySecretStore
    from playground.core.storage.settings import MemorySettingsStore
    from playground.ui.shell.bridge import TaskRunner, install_loop
    install_loop(app)
    home = Path(sys.argv[1])
    services = build_services(AppPaths.under(home), secrets=MemorySecretStore(), environ={},
                              settings_store=MemorySettingsStore())
    window, controller = build_window(services, TaskRunner())
    window.show()
    audio = controller.features.controller("audio")
    stt = audio.view.stt
    stt.mic_radio.click()
    clip = home / "clip.wav"
    clip.write_bytes(pcm_to_wav(bytes(48000)))
    speech = audio.view.speech
    speech.player.load(clip)
    speech.player.play_button.click()
    audio.view.speech.text_edit.setPlainText("The rest of the tab works.")
    audio.view.show_page(audio.view.voice)
    print(json.dumps({
        "voice_note": audio.view.voice.device_note.plain,
        "voice_start_enabled": audio.view.voice.start_button.isEnabled(),
        "device_note": stt.device_note.plain,
        "record_enabled": stt.record_button.isEnabled(),
        "choose_enabled": stt.choose_button.isEnabled(),
        "player_message": speech.player.message.plain,
        "generate_enabled": speech.generate_button.isEnabled(),
        "recorder_start": audio.recorder.start("missing", home / "x.wav"),
    }))
    services.close()
    """
)


def test_without_any_audio_device_the_tab_says_so_and_works(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "PULSE_SERVER": f"unix:{tmp_path / 'no-such-server'}",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "PLAYGROUND_HOME": str(tmp_path / "home"),
    }
    done = subprocess.run(
        [sys.executable, "-c", _NO_DEVICE_SCRIPT, str(tmp_path / "home")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    state = json.loads(done.stdout.strip().splitlines()[-1])
    assert "No microphone was found" in state["device_note"]
    assert "everything else on this tab works" in state["device_note"]
    assert state["record_enabled"] is False
    assert state["choose_enabled"] is False  # the microphone is selected; files are one click away
    assert "No speaker or headphones were found" in state["player_message"]
    assert state["generate_enabled"] is True
    assert state["recorder_start"] is False
    assert "No microphone was found, so voice chat cannot listen" in state["voice_note"]
    assert "everything else on this tab works" in state["voice_note"]
    assert state["voice_start_enabled"] is False


def test_the_controller_runs_with_its_view_and_the_fake_server_alone(
    parts: Any, qtbot: Any, wait_until: WaitUntil, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    from playground.core.audio.clips import ClipStore
    from playground.core.audio.service import AudioService
    from playground.ui.audio.controller import AudioController
    from playground.ui.audio.media import AudioDevices, LivePlayer, Recorder
    from playground.ui.audio.tab import AudioTab as Tab

    services, runner = parts.services, parts.runner
    view = Tab()
    qtbot.addWidget(view)
    clips = ClipStore.under(tmp_path / "data")
    controller = AudioController(
        view,
        AudioService(services.session.client),
        clips,
        LivePlayer(view),
        Recorder(view),
        lambda: AudioDevices(view),
        services.session,
        services.pricer,
        services.counter,
        parts.counters,
        runner,
    )
    page = view.speech
    page.set_models(["gpt-4o-mini-tts"], "gpt-4o-mini-tts")
    page.set_format("wav")
    page.set_text("Hello from a controller on its own.")
    page.generate_requested.emit(page.request(), False)
    wait_until(lambda: not runner.is_busy("audio-speech"), message="the request never ended")

    assert fake_openai.last("/audio/speech").json["input"] == "Hello from a controller on its own."
    [clip] = clips.clips()
    assert (clip.model, clip.response_format) == ("gpt-4o-mini-tts", "wav")
    assert page.current_clip() == clip
    [row] = [e for e in services.ledger.recent(10) if e.endpoint is Endpoint.SPEECH]
    assert row.status is RequestStatus.OK
    assert "Done in" in page.result_label.text()
    controller.shutdown()


def test_speech_to_text_offers_the_replacement_for_a_retired_model(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI, qtbot: Any, tmp_path: Path
) -> None:
    """A retired model's 404 names the model and its date and offers "Use <replacement>"."""
    from tests.fakes.scenario import RETIREMENT_MODELS, RETIREMENT_TODAY

    retired = {"id": "gpt-4o-mini-transcribe", "created": 1742068463, "shutdown_date": "2026-12-01"}
    fake_openai.scenario.models = [*RETIREMENT_MODELS, retired]
    fake_openai.scenario.today = RETIREMENT_TODAY
    tab = open_audio()
    page = tab.stt_page()
    tab.wait_until(lambda: page.model_combo.findText("gpt-transcribe") >= 0)
    page.model_combo.retired_toggle.setChecked(True)
    page.model_combo.setCurrentText("gpt-4o-mini-transcribe")
    tab.transcribe(wav_file(tmp_path / "note.wav", 1.0))
    tab.wait_until(lambda: page.use_replacement.isVisible(), message="no Use button")
    assert "OpenAI retired “gpt-4o-mini-transcribe” on 1 Dec 2026" in page.message.text()
    assert page.use_replacement.text() == "Use gpt-transcribe"
    tab.click(page.use_replacement)
    assert page.model == "gpt-transcribe"
