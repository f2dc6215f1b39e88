"""Translating while speaking on the Speech to text page, end to end: the microphone (the private
PulseAudio pipe source, fed with known PCM) streamed to the fake `/v1/realtime/translations`
session while the take is recorded, the English shown before the take ends, the flush at Stop,
the spoken English in the clip history, the ledger row; and the faults (a refused handshake, a
429, a socket that drops mid-take) said in plain words with the take kept and translatable as a
file afterwards.

The module's name sorts after test_audio_tab*.py, and it imports that module's `pulse_server`
(one daemon per process: QtMultimedia connects to a sound server only once)."""

from __future__ import annotations

import base64
import wave
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtGui import QGuiApplication

from playground.core.audio.files import format_clock
from playground.core.audio.live_translate import FRAME_BYTES
from playground.core.models import Endpoint, RequestStatus
from playground.ui.audio.media import RECORD_RATE
from tests.conftest import AppHarness, WaitUntil
from tests.fakes.openai_server import DEFAULT_TRANSCRIPT, FakeOpenAI
from tests.fakes.realtime import DEFAULT_TRANSLATION, RealtimeLog, RealtimeSession
from tests.gui.drivers import meanwhile, opener
from tests.gui.test_audio_tab import AudioTab, Pulse, _audio_server_first, pulse, pulse_server, tone

pytestmark = [
    pytest.mark.gui,
    pytest.mark.qt_log_ignore(
        r"Couldn't (load|resolve) pipewire",
        r"PulseAudioService: pa_context_connect\(\) failed",
        r"No audio device detected",
        r"Could not open media\. FFmpeg error description: Immediate exit requested",
    ),
]

#: The fixtures shared with test_audio_tab.py (one PulseAudio daemon for the process).
SHARED_FIXTURES = (pulse_server, _audio_server_first, pulse)

TRANSLATOR = "gpt-realtime-translate"
LIVE = "gpt-live-transcribe"
PATH = "/v1/realtime/translations"


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        fake.scenario.models += ["gpt-transcribe", LIVE, TRANSLATOR]
        fake.state(RealtimeLog).translate_as_heard = True  # as the real session: while it hears
        yield fake


@pytest.fixture
def open_audio(
    make_app: Callable[..., AppHarness], qtbot: Any, wait_until: WaitUntil
) -> Callable[..., AudioTab]:
    return opener(AudioTab, make_app, qtbot, wait_until)


def sent(state: RealtimeSession) -> list[bytes]:
    return [
        base64.b64decode(e["audio"]) for e in state.of_type("session.input_audio_buffer.append")
    ]


def record_translating(tab: AudioTab) -> Any:
    """The Speech to text page on the microphone, Translate chosen, "Translate as I speak"
    ticked, recording."""
    page = tab.stt_page("gpt-transcribe")
    tab.click(page.mic_radio)
    tab.wait_until(lambda: "mic" in page.device_id)
    tab.click(page.translate_radio)
    box = page.live_check
    assert box.isVisibleTo(page)
    assert box.isEnabled()
    assert box.text() == "Translate as I speak"
    box.setChecked(True)
    tab.click(page.record_button)
    tab.wait_until(lambda: tab.controller.recorder.recording, timeout=10)
    return page


def stop_and_keep_the_take(tab: AudioTab, page: Any, rate: int = 24_000) -> Any:
    """Stops recording; returns the take (recorded at `rate`), which is the page's source."""
    tab.click(page.record_button)
    tab.wait_until(lambda: page.source is not None and not tab.controller.recorder.recording)
    take = page.source
    assert take.parent == tab.controller.clips.recordings_dir
    with wave.open(str(take)) as wav:
        assert wav.getframerate() == rate  # 24 kHz: what a session is sent
        assert wav.getnframes() > 0
    return take


def test_translating_while_speaking_shows_the_english_before_stop_and_keeps_the_speech(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI, pulse: Pulse
) -> None:
    tab = open_audio()
    page = record_translating(tab)
    live = tab.controller.live_tr
    feeder = pulse.feed(tone(1.6))
    # The English grows while the take is still being recorded.
    tab.wait_until(lambda: len(page.text_view.toPlainText().split()) >= 3, timeout=20)
    [state] = fake_openai.realtime_sessions
    assert state.model == TRANSLATOR
    assert tab.controller.recorder.recording
    assert state.of_type("session.close") == []
    frames = sent(state)
    assert frames
    assert all(len(f) == FRAME_BYTES for f in frames)
    assert page.result_title.text() == "Live translation (English)"
    assert page.result_info.text() == f"Translating as you speak ({TRANSLATOR})…"
    assert DEFAULT_TRANSLATION.startswith(page.text_view.toPlainText())
    # What is shown so far can be copied already.
    meanwhile(
        tab.wait_until,
        lambda: True,
        lambda: tab.click(page.copy_button),
        lambda: True,
    )
    copied = QGuiApplication.clipboard().text()
    assert copied
    assert DEFAULT_TRANSLATION.startswith(copied)
    # What was said, in its own language, on the quieter line (a live transcription model is
    # listed, so the session was asked for it).
    assert page.live_source.isVisibleTo(page)
    assert page.live_source.text().startswith("Heard: ")
    assert state.events[0]["session"]["audio"]["input"] == {"transcription": {"model": LIVE}}
    tab.wait_until(lambda: not feeder.is_alive(), timeout=20)

    take = stop_and_keep_the_take(tab, page)
    tab.wait_until(lambda: not live.active, timeout=20)  # flushed and closed
    assert state.events[-1]["type"] == "session.close"
    frames = sent(state)
    assert all(len(f) == FRAME_BYTES for f in frames[:-1])
    assert len(frames[-1]) <= FRAME_BYTES
    seconds = len(b"".join(frames)) / 48_000
    assert seconds >= 1.4
    with wave.open(str(take), "rb") as recorded:  # every byte of the take went out, the last too
        assert b"".join(frames) == recorded.readframes(recorded.getnframes())
    assert page.text_view.toPlainText() == DEFAULT_TRANSLATION
    assert page.result_title.text() == "Translation (English)"
    assert page.live_source.text() == f"Heard: {DEFAULT_TRANSCRIPT}"
    info = page.result_info.text()
    assert info.startswith(
        f"Translated as you spoke by {TRANSLATOR} · {format_clock(seconds)} of audio · cost $"
    )
    assert "the spoken English is also in Text to speech's history" in info
    # One ledger row, priced per minute of audio from the price data.
    [row] = tab.ledger()
    assert (row.endpoint, row.model, row.status) == (
        Endpoint.TRANSLATION,
        TRANSLATOR,
        RequestStatus.OK,
    )
    assert row.usage.audio_seconds == pytest.approx(seconds)
    assert row.cost is not None
    assert row.cost > 0
    # The translated speech is in the clip history and plays here.
    [clip] = tab.controller.clips.clips()
    assert clip.text == DEFAULT_TRANSLATION
    assert clip.model == TRANSLATOR
    assert page.speech_player.player.path == tab.controller.clips.playable_path(clip)
    assert page.speech_box.isVisibleTo(page)
    # The take stays the source: it can still be translated as a file.
    assert page.source == take
    assert page.run_button.isEnabled()


@pytest.mark.parametrize(
    ("status", "title", "said"),
    [
        (503, "Live session refused", "The server refused the live session (503)."),
        (429, "Rate limit reached", "Too many live sessions or tokens for now (429)."),
    ],
)
def test_a_refused_session_is_said_and_the_take_is_translated_as_a_file_after(
    open_audio: Callable[..., AudioTab],
    fake_openai: FakeOpenAI,
    pulse: Pulse,
    status: int,
    title: str,
    said: str,
) -> None:
    if status == 429:
        fake_openai.rate_limit(retry_after=20, path=PATH)
    else:
        fake_openai.fail_next(status, path=PATH)
    tab = open_audio()
    page = record_translating(tab)
    tab.wait_until(lambda: page.message.error is not None, timeout=10)
    error = page.message.error
    assert error.title == title
    assert said in error.message
    assert "Recording goes on and the take is kept" in page.message.plain
    if status == 429:
        assert error.retry_after == 20
        assert "Try again in 20 seconds." in page.message.plain
    assert tab.controller.recorder.recording  # the take goes on
    assert fake_openai.realtime_sessions == []
    feeder = pulse.feed(tone(0.6))
    tab.wait_until(lambda: not feeder.is_alive(), timeout=20)
    take = stop_and_keep_the_take(tab, page)
    assert page.message.error is error  # still said after the take is saved
    [failed] = tab.ledger()
    assert (failed.endpoint, failed.status, failed.cost) == (
        Endpoint.TRANSLATION,
        RequestStatus.ERROR,
        0,
    )

    tab.run_stt()  # the take, translated as a file
    [state] = fake_openai.realtime_sessions
    assert len(b"".join(sent(state))) > 0
    assert page.text_view.toPlainText() == DEFAULT_TRANSLATION
    assert page.message.error is None
    assert page.source == take
    assert [(r.endpoint, r.status) for r in tab.ledger()] == [
        (Endpoint.TRANSLATION, RequestStatus.ERROR),
        (Endpoint.TRANSLATION, RequestStatus.OK),
    ]


def test_a_socket_that_drops_mid_take_is_said_and_the_take_is_kept(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI, pulse: Pulse
) -> None:
    fake_openai.scenario.drop_after_chunks = 2
    tab = open_audio()
    page = record_translating(tab)
    feeder = pulse.feed(tone(1.2))
    tab.wait_until(lambda: page.message.error is not None, timeout=20)
    assert page.message.error.title == "Live translation stopped"
    assert page.message.error.message == (
        f"The connection to {TRANSLATOR} dropped while you spoke; the 2 words that came are shown."
    )
    assert "Recording goes on and the take is kept" in page.message.plain
    assert tab.controller.recorder.recording
    # The words that came stay on screen.
    two = " ".join(DEFAULT_TRANSLATION.split()[:2])
    assert page.text_view.toPlainText() == two
    assert page.result_info.text() == "Live translation stopped; the 2 words that came are shown."
    tab.wait_until(lambda: not feeder.is_alive(), timeout=20)
    take = stop_and_keep_the_take(tab, page)
    assert page.message.error is not None
    assert page.text_view.toPlainText() == two
    [row] = tab.ledger()
    assert (row.endpoint, row.status) == (Endpoint.TRANSLATION, RequestStatus.ERROR)
    assert row.usage.estimated
    assert row.usage.audio_seconds > 0
    assert tab.controller.clips.clips() == []

    fake_openai.scenario.drop_after_chunks = None
    tab.run_stt()  # the take, translated as a file
    assert len(fake_openai.realtime_sessions) == 2
    assert page.text_view.toPlainText() == DEFAULT_TRANSLATION
    assert page.source == take
    assert [r.status for r in tab.ledger()] == [RequestStatus.ERROR, RequestStatus.OK]


def test_without_a_live_translation_model_the_box_says_why(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI, pulse: Pulse
) -> None:
    fake_openai.scenario.models = [m for m in fake_openai.scenario.models if m != TRANSLATOR]
    tab = open_audio()
    page = tab.stt_page("whisper-1")  # translates files itself
    tab.click(page.mic_radio)
    tab.wait_until(lambda: "mic" in page.device_id)
    assert page.live_check.text() == "Write it down as I speak"
    page.live_check.setChecked(True)
    tab.click(page.translate_radio)
    box = page.live_check
    assert box.text() == "Translate as I speak"
    assert box.isVisibleTo(page)
    assert not box.isEnabled()
    assert "no live translation model" in box.toolTip()
    assert "press Translate" in box.toolTip()
    assert not page.live_translate
    assert not page.live_transcribe
    tab.click(page.record_button)
    tab.wait_until(lambda: tab.controller.recorder.recording, timeout=10)
    assert not tab.controller.live_tr.active
    assert not tab.controller.live_stt.active
    feeder = pulse.feed(tone(0.3))
    tab.wait_until(lambda: not feeder.is_alive(), timeout=20)
    stop_and_keep_the_take(tab, page, RECORD_RATE)
    assert fake_openai.realtime_sessions == []
    assert tab.ledger() == []


def test_an_error_event_is_said_and_the_translation_goes_on(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI, pulse: Pulse
) -> None:
    fake_openai.scenario.stream_error = {"code": "invalid_value", "message": "Source text paused"}
    tab = open_audio()
    page = record_translating(tab)
    feeder = pulse.feed(tone(0.8))
    tab.wait_until(lambda: page.message.error is not None, timeout=20)
    assert page.message.plain == (
        "The live session reported an error. Source text paused. The translation goes on."
    )
    tab.wait_until(lambda: page.text_view.toPlainText() != "", timeout=20)
    tab.wait_until(lambda: not feeder.is_alive(), timeout=20)
    stop_and_keep_the_take(tab, page)
    tab.wait_until(lambda: not tab.controller.live_tr.active, timeout=20)
    assert page.text_view.toPlainText() == DEFAULT_TRANSLATION
    [row] = tab.ledger()
    assert row.status is RequestStatus.OK


def test_a_translation_model_the_price_data_does_not_know_costs_a_dash(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI, pulse: Pulse
) -> None:
    other = "acme-live-translator"
    fake_openai.scenario.models = [m for m in fake_openai.scenario.models if m != TRANSLATOR] + [
        other
    ]
    tab = open_audio()
    page = record_translating(tab)
    feeder = pulse.feed(tone(0.6))
    tab.wait_until(lambda: not feeder.is_alive(), timeout=20)
    stop_and_keep_the_take(tab, page)
    tab.wait_until(lambda: not tab.controller.live_tr.active, timeout=20)
    [state] = fake_openai.realtime_sessions
    assert state.model == other
    [row] = tab.ledger()
    assert (row.model, row.status, row.cost) == (other, RequestStatus.OK, None)
    assert row.usage.audio_seconds > 0
    assert " · cost — · " in page.result_info.text()


def test_a_flush_that_never_ends_is_bounded_and_the_take_waits_for_it(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI, pulse: Pulse
) -> None:
    fake_openai.state(RealtimeLog).translation_ignores_close = True
    tab = open_audio()
    live = tab.controller.live_tr
    live.flush_seconds = 1.0
    page = record_translating(tab)
    feeder = pulse.feed(tone(0.8))
    tab.wait_until(lambda: page.text_view.toPlainText() != "", timeout=20)
    tab.wait_until(lambda: not feeder.is_alive(), timeout=20)
    tab.click(page.record_button)
    # While the session is flushing, Translate does not start a second (paid) translation.
    meanwhile(
        tab.wait_until,
        lambda: page.source is not None and live.active,
        lambda: tab.click(page.run_button),
        lambda: not live.active,
    )
    assert len(fake_openai.realtime_sessions) == 1  # no second session
    assert page.message.error is not None
    assert page.message.error.title == "Still translating"
    info = page.result_info.text()
    assert info.endswith(
        "the session did not confirm the end within 1 s, so the last words may be missing · "
        "the spoken English is also in Text to speech's history"
    )
    assert DEFAULT_TRANSLATION.startswith(page.text_view.toPlainText())
    [row] = tab.ledger()
    assert (row.endpoint, row.status) == (Endpoint.TRANSLATION, RequestStatus.OK)
