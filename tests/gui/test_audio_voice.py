"""The Voice chat page end to end: the microphone (the private PulseAudio pipe source, fed with
known PCM) into the fake Realtime server, the answers out of the null speaker. A turn with server
voice detection (transcript of both sides, cost, saved, replayed, exported), an interruption that
truncates, push-to-talk with Space and an `error` event, a function call answered by the user, a
dropped socket with Reconnect, and a 429 at connect.

The module's name sorts after test_audio_tab*.py, and it imports that module's `pulse_server`
(one daemon per process: QtMultimedia connects to a sound server only once)."""

from __future__ import annotations

import base64
import wave
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from playground.core.models import Endpoint, RequestStatus
from tests.conftest import AppHarness, WaitUntil
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.realtime import DEFAULT_REPLY, DEFAULT_TRANSLATION, DEFAULT_USER_SAYS, RealtimeLog
from tests.gui.drivers import opener
from tests.gui.test_audio_tab import (
    MIC_RATE,
    AudioTab,
    Pulse,
    _audio_server_first,
    accept_dialog,
    pulse,
    pulse_server,
    tone,
)

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

RT = "gpt-realtime-2.1-mini"
LIVE = "gpt-live-transcribe"


def quiet(seconds: float) -> bytes:
    return bytes(int(seconds * MIC_RATE) * 2)


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        fake.scenario.models = [
            m for m in fake.scenario.models if m not in ("tts-1", "gpt-4o-mini-tts")
        ]
        fake.scenario.models += [RT, "gpt-realtime-2.1", LIVE]
        yield fake


@pytest.fixture
def open_audio(
    make_app: Callable[..., AppHarness], qtbot: Any, wait_until: WaitUntil
) -> Callable[..., AudioTab]:
    return opener(AudioTab, make_app, qtbot, wait_until)


class Voice:
    """The Voice chat page of a running app, and the steps the tests take on it."""

    def __init__(self, tab: AudioTab, pulse: Pulse) -> None:
        self.tab = tab
        self.pulse = pulse
        self.page = tab.show_page("voice")
        self.controller = tab.controller.voice
        tab.wait_until(lambda: "mic" in self.page.device_id)
        models = [self.page.model_combo.itemText(i) for i in range(self.page.model_combo.count())]
        assert sorted(models) == sorted([RT, "gpt-realtime-2.1"])  # not the transcription model
        self.page.model_combo.setCurrentText(RT)

    def start(self) -> None:
        self.tab.click(self.page.start_button)
        self.tab.wait_until(lambda: self.session is not None and self.session.open, timeout=10)

    @property
    def session(self) -> Any:
        return self.controller.session

    @property
    def turns(self) -> list[Any]:
        conv = self.controller.conversation
        return list(conv.turns) if conv is not None else []

    def say(self, pcm: bytes) -> None:
        """Speaks `pcm` (16 kHz) into the microphone and waits until it has all gone in."""
        feeder = self.pulse.feed(pcm)
        self.tab.wait_until(lambda: not feeder.is_alive(), timeout=20)

    def answers(self) -> list[Any]:
        return [t for t in self.turns if t.role == "assistant" and t.usage is not None]

    def wait_answers(self, count: int) -> None:
        self.tab.wait_until(lambda: len(self.answers()) >= count, timeout=20)

    def lines(self) -> list[str]:
        return [self.page.transcript.item(i).text() for i in range(self.page.transcript.count())]


def test_a_spoken_turn_is_answered_priced_saved_replayed_and_exported(
    open_audio: Callable[..., AudioTab],
    fake_openai: FakeOpenAI,
    pulse: Pulse,
    tmp_path: Path,
) -> None:
    tab = open_audio()
    voice = Voice(tab, pulse)
    page = voice.page
    page.voice_combo.setCurrentText("cedar")
    page.instructions.setPlainText("Answer in one sentence.")
    started: list[int] = []
    live = voice.controller.live
    original = live.start

    def spy(rate: int, channels: int = 1) -> bool:
        started.append(rate)
        return original(rate, channels)

    live.start = spy
    levels: list[float] = []
    voice.controller.recorder.level_changed.connect(levels.append)
    voice.start()
    assert page.start_button.text() == "Stop"
    assert not page.model_combo.isEnabled()  # settings are fixed while talking

    voice.say(tone(0.8) + quiet(0.8))
    voice.wait_answers(1)
    assert started == [24_000]  # the answer played as it came

    [state] = fake_openai.realtime_sessions
    update = state.of_type("session.update")[0]["session"]
    assert update["instructions"] == "Answer in one sentence."
    assert update["audio"]["output"]["voice"] == "cedar"
    assert update["audio"]["input"]["turn_detection"]["type"] == "server_vad"
    assert update["audio"]["input"]["transcription"] == {"model": LIVE}
    assert fake_openai.state(RealtimeLog).appended_bytes > 0.8 * 48_000  # the microphone went out
    user, answer = voice.turns
    assert user.text == DEFAULT_USER_SAYS
    assert len(user.pcm) > 0.6 * 48_000  # the speech, cut where the server heard it
    assert answer.text == DEFAULT_REPLY
    tab.wait_until(lambda: voice.lines()[-1].startswith(f"Assistant: {DEFAULT_REPLY}"))
    assert voice.lines()[0].startswith(f"You: {DEFAULT_USER_SAYS}")
    assert max(levels) > 0.1  # the level meter followed the voice

    [row] = tab.ledger()
    assert row.endpoint is Endpoint.REALTIME
    assert row.model == RT
    assert row.status is RequestStatus.OK
    assert row.cost is not None
    assert row.cost > 0
    assert answer.cost == row.cost
    assert "per minute" in page.cost_label.text()
    assert "Last answer $" in page.cost_label.text()

    tab.click(page.start_button)  # Stop
    assert voice.session is None
    assert page.start_button.text() == "Start talking"
    # Saved with the audio of both sides, and listed.
    assert page.history.count() == 1
    store = voice.controller.store
    [saved] = store.saved()
    assert saved.title == DEFAULT_USER_SAYS
    assert store.audio_path(saved.id, 0) is not None
    assert store.audio_path(saved.id, 1) is not None
    # The take is on disk too (written before it was sent).
    assert list(tab.controller.clips.recordings_dir.glob("voice-*.wav"))

    # Replay: pick the saved chat, then a turn.
    page.history.itemClicked.emit(page.history.item(0))
    assert voice.lines()[0].startswith("You:")
    page.transcript.itemClicked.emit(page.transcript.item(1))
    assert page.player.player.path == store.audio_path(saved.id, 1)

    tab.click(page.export_button)
    target = tmp_path / "chat.zip"
    accept_dialog(page, "voiceExportDialog", target)
    with zipfile.ZipFile(target) as archive:
        names = set(archive.namelist())
        transcript = archive.read("transcript.md").decode()
    assert {"001-user.wav", "002-assistant.wav", "transcript.md"} <= names
    assert f"**You**: {DEFAULT_USER_SAYS}" in transcript
    assert f"**Assistant**: {DEFAULT_REPLY}" in transcript


def test_speaking_over_the_answer_stops_it_and_truncates_it(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI, pulse: Pulse
) -> None:
    fake_openai.scenario.tokens_per_second = 20  # the answer comes at the pace it is spoken
    fake_openai.state(RealtimeLog).replies.append(  # about four seconds: time to speak over it
        "This is a long answer that goes on and on, long enough to be spoken over by you. "
        "It keeps going with more words, and then some more words, so that even a slow machine "
        "hears you start speaking before it is over."
    )
    tab = open_audio()
    voice = Voice(tab, pulse)
    voice.start()
    voice.say(tone(0.6) + quiet(0.7))
    tab.wait_until(lambda: voice.controller.live.played_ms > 200, timeout=20)
    voice.say(tone(0.5) + quiet(0.8))
    voice.wait_answers(2)

    [state] = fake_openai.realtime_sessions
    [truncate] = state.of_type("conversation.item.truncate")
    first = next(t for t in voice.turns if t.role == "assistant")
    assert truncate["item_id"] == first.item_id
    assert first.interrupted
    assert 0 < truncate["audio_end_ms"] == first.heard_ms <= first.audio_ms
    assert not state.dropped
    assert any("interrupted after" in line for line in voice.lines())
    statuses = [row.status for row in tab.ledger()]
    assert statuses == [RequestStatus.ERROR, RequestStatus.OK]  # the cut answer, the new one
    tab.click(voice.page.start_button)


def test_push_to_talk_with_space_and_an_error_event(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI, pulse: Pulse
) -> None:
    tab = open_audio()
    voice = Voice(tab, pulse)
    page = voice.page
    page.ptt_radio.setChecked(True)
    assert page.talk_button.isVisible()
    voice.start()
    fake_openai.scenario.stream_error = {"code": "server_error", "message": "The model is busy"}

    def hold_space_and_say(pcm: bytes) -> None:
        # Space goes to the focused Stop button (just clicked): it talks, it does not stop.
        QTest.keyPress(page.start_button, Qt.Key.Key_Space)
        assert page.talking
        voice.say(pcm)
        QTest.keyRelease(page.start_button, Qt.Key.Key_Space)
        assert not page.talking
        assert voice.session is not None

    hold_space_and_say(tone(0.5))
    tab.wait_until(lambda: page.message.error is not None, timeout=10)
    assert page.message.error.title == "The live session reported an error"
    assert "The model is busy." in page.message.plain
    assert voice.session is not None  # the chat goes on
    assert voice.session.open

    fake_openai.scenario.stream_error = None
    hold_space_and_say(tone(0.5))
    voice.wait_answers(1)
    [state] = fake_openai.realtime_sessions
    assert state.of_type("session.update")[0]["session"]["audio"]["input"]["turn_detection"] is None
    assert len(state.of_type("input_audio_buffer.commit")) == 2
    assert voice.turns[-1].text == DEFAULT_REPLY
    tab.click(page.start_button)


def test_a_function_call_is_answered_with_what_the_user_types(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI, pulse: Pulse
) -> None:
    fake_openai.state(RealtimeLog).tool_calls.append(("get_weather", '{"city": "Oslo"}'))
    tab = open_audio()
    voice = Voice(tab, pulse)
    page = voice.page
    page.tools_edit.setPlainText('[{"name": "get_weather", "description": "Weather now"}]')
    voice.start()
    voice.say(tone(0.6) + quiet(0.7))
    tab.wait_until(lambda: page.tool_box.isVisible(), timeout=20)
    assert "get_weather" in page.tool_label.text()
    assert any("waiting for your result" in line for line in voice.lines())
    page.tool_result.setText("12 °C and raining")
    tab.click(page.tool_send)
    tab.wait_until(lambda: voice.turns[-1].text == "The result is 12 °C and raining.", timeout=20)
    [state] = fake_openai.realtime_sessions
    assert state.of_type("session.update")[0]["session"]["tools"][0]["name"] == "get_weather"
    [output] = state.of_type("conversation.item.create")
    assert output["item"]["output"] == "12 °C and raining"
    assert any("result: 12 °C and raining" in line for line in voice.lines())
    tab.click(page.start_button)


def test_a_dropped_socket_keeps_the_chat_and_offers_reconnect(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI, pulse: Pulse
) -> None:
    fake_openai.scenario.drop_after_chunks = 3
    tab = open_audio()
    voice = Voice(tab, pulse)
    page = voice.page
    voice.start()
    voice.say(tone(0.6) + quiet(0.7))
    tab.wait_until(lambda: page.reconnect_button.isVisible(), timeout=20)
    assert "Connection dropped" in page.message.plain
    assert "Reconnect" in page.message.plain
    answer = voice.turns[-1]
    assert answer.interrupted
    assert len(answer.pcm) == 3 * 4800  # what came is kept
    assert any(line.startswith("Assistant:") and "interrupted" in line for line in voice.lines())
    assert page.history.count() == 1  # saved as it stood

    fake_openai.scenario.drop_after_chunks = None
    tab.click(page.reconnect_button)
    tab.wait_until(lambda: voice.session is not None and voice.session.open, timeout=10)
    assert not page.reconnect_button.isVisible()
    tab.wait_until(
        lambda: len(fake_openai.realtime_sessions[-1].of_type("conversation.item.create")) == 2
    )
    items = fake_openai.realtime_sessions[-1].of_type("conversation.item.create")
    assert items[0]["item"]["content"][0]["text"] == DEFAULT_USER_SAYS  # the context went again
    tab.click(page.start_button)


def test_a_429_at_connect_shows_the_wait(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI, pulse: Pulse
) -> None:
    fake_openai.rate_limit(retry_after=30, path="/v1/realtime")
    tab = open_audio()
    voice = Voice(tab, pulse)
    page = voice.page
    tab.click(page.start_button)
    tab.wait_until(lambda: page.message.error is not None, timeout=10)
    assert page.message.error.retry_after == 30
    assert "Try again in" in page.message.plain
    assert voice.session is None
    assert page.start_button.text() == "Start talking"
    assert fake_openai.realtime_sessions == []


def test_live_transcription_writes_the_microphone_down_as_it_is_spoken(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI, pulse: Pulse
) -> None:
    fake_openai.state(RealtimeLog).user_says += ["First sentence here.", "And the last words."]
    tab = open_audio()
    page = tab.stt_page()
    tab.click(page.mic_radio)
    tab.wait_until(lambda: "mic" in page.device_id)
    assert page.live_check.isVisibleTo(page)
    page.live_check.setChecked(True)
    tab.click(page.record_button)
    live = tab.controller.live_stt
    tab.wait_until(lambda: live.session is not None and live.session.open, timeout=10)
    feeder = pulse.feed(tone(0.6) + quiet(0.8))
    tab.wait_until(lambda: page.text_view.toPlainText() == "First sentence here.", timeout=20)
    assert page.result_title.text() == "Live transcript"
    tab.wait_until(lambda: not feeder.is_alive(), timeout=20)
    # Stop in the middle of a sentence: the last words are still written down.
    feeder = pulse.feed(tone(0.8))
    tab.wait_until(lambda: live.session is not None and live.session.hearing, timeout=20)
    tab.click(page.record_button)
    tab.wait_until(lambda: live.session is None, timeout=20)
    assert page.text_view.toPlainText() == "First sentence here.\nAnd the last words."

    [state] = fake_openai.realtime_sessions
    assert state.model == LIVE
    update = state.of_type("session.update")[0]["session"]
    assert update["type"] == "transcription"
    assert update["audio"]["input"]["transcription"] == {"model": LIVE}
    assert len(state.of_type("input_audio_buffer.commit")) == 1  # the one made at Stop
    assert state.of_type("response.create") == []
    rows = tab.ledger()
    assert [(r.endpoint, r.model) for r in rows] == [(Endpoint.TRANSCRIPTION, LIVE)] * 2
    # The take was kept (24 kHz, what the session was sent) and is the page's source.
    assert page.source is not None
    import wave

    with wave.open(str(page.source)) as wav:
        assert wav.getframerate() == 24_000
    tab.wait_until(lambda: not feeder.is_alive(), timeout=20)


def test_a_voice_or_tools_that_cannot_work_are_refused_before_connecting(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI, pulse: Pulse
) -> None:
    tab = open_audio()
    voice = Voice(tab, pulse)
    page = voice.page
    page.voice_combo.setCurrentText("onyx")  # a speech-endpoint voice only
    tab.click(page.start_button)
    assert page.message.error is not None
    assert page.message.error.title == "Voice not offered"
    assert "marin" in page.message.plain
    assert voice.session is None
    assert fake_openai.realtime_sessions == []
    page.tools_edit.setPlainText("{not json")
    page.voice_combo.setCurrentText("marin")
    tab.click(page.start_button)
    assert page.message.error is not None
    assert page.message.error.title == "Tools are not valid JSON"
    assert voice.session is None


def test_translation_from_the_microphone_through_a_live_session(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI, pulse: Pulse
) -> None:
    """After 2027-02-26: a take recorded from the (pipe) microphone is translated through
    `/v1/realtime/translations`; the spoken English is kept in the clip history and plays."""
    fake_openai.scenario.models = [
        m for m in fake_openai.scenario.models if m not in ("whisper-1", LIVE)
    ] + ["gpt-transcribe", "gpt-realtime-translate"]
    tab = open_audio()
    page = tab.stt_page("gpt-transcribe")
    tab.click(page.mic_radio)
    tab.wait_until(lambda: "mic" in page.device_id)
    page.translate_radio.setChecked(True)
    assert page.run_button.text() == "Translate"
    tab.click(page.record_button)
    tab.wait_until(lambda: tab.controller.recorder.recording, timeout=10)
    feeder = pulse.feed(tone(1.0))
    tab.wait_until(lambda: not feeder.is_alive(), timeout=20)
    tab.click(page.record_button)
    tab.wait_until(lambda: page.source is not None, timeout=10)
    take = page.source
    assert take.parent == tab.controller.clips.recordings_dir  # on disk before it is sent
    tab.run_stt()

    [state] = fake_openai.realtime_sessions
    assert state.model == "gpt-realtime-translate"
    sent = b"".join(
        base64.b64decode(e["audio"]) for e in state.of_type("session.input_audio_buffer.append")
    )
    with wave.open(str(take)) as wav:
        seconds = wav.getnframes() / wav.getframerate()
    assert seconds >= 0.9
    assert abs(len(sent) / 48_000 - seconds) < 0.01  # the whole take, as 24 kHz mono
    assert page.text_view.toPlainText() == DEFAULT_TRANSLATION
    [row] = tab.ledger()
    assert (row.endpoint, row.status) == (Endpoint.TRANSLATION, RequestStatus.OK)
    [clip] = tab.controller.clips.clips()
    assert clip.text == DEFAULT_TRANSLATION
    assert page.speech_player.player.path == tab.controller.clips.playable_path(clip)
    tab.click(page.speech_player.play_button)
    tab.wait_until(lambda: page.speech_player.player.playing, timeout=10)
    page.speech_player.stop()


def test_a_live_api_model_is_a_second_choice_and_talks_through_the_live_api(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI, pulse: Pulse
) -> None:
    """gpt-live-1.1 in the model list: offered after the realtime models, the route line and the
    voices follow it, a spoken turn goes through `/v1/live/sessions` and is answered, billed per
    second (a price the table lacks shows "—") and saved."""
    fake_openai.scenario.models += ["gpt-live-1.1"]
    tab = open_audio()
    page = tab.show_page("voice")
    controller = tab.controller.voice
    tab.wait_until(lambda: "mic" in page.device_id)
    models = [page.model_combo.itemText(i) for i in range(page.model_combo.count())]
    assert sorted(models[:2]) == sorted([RT, "gpt-realtime-2.1"])
    assert models[2:] == ["gpt-live-1.1"]  # not gpt-live-transcribe
    assert "Realtime API" in page.route_label.text()
    page.model_combo.setCurrentText("gpt-live-1.1")
    assert "through the Live API" in page.route_label.text()
    assert page.voice_combo.findText("willow") >= 0  # a Live voice
    page.voice_combo.setCurrentText("willow")
    tab.click(page.start_button)
    tab.wait_until(lambda: controller.session is not None and controller.session.open, timeout=10)

    feeder = pulse.feed(tone(0.8) + quiet(0.8))
    tab.wait_until(lambda: not feeder.is_alive(), timeout=20)
    conv = controller.conversation
    tab.wait_until(lambda: any(t.role == "assistant" and t.done for t in conv.turns), timeout=20)
    [state] = fake_openai.realtime_sessions
    begin = state.of_type("session.start")[0]["session"]
    assert (begin["model"], begin["audio"]["output"]["voice"]) == ("gpt-live-1.1", "willow")
    assert state.of_type("session.input_audio.append")
    user, answer = conv.turns
    assert (user.text, answer.text) == (DEFAULT_USER_SAYS, DEFAULT_REPLY)
    [row] = tab.ledger()
    assert (row.endpoint, row.model, row.status) == (
        Endpoint.REALTIME,
        "gpt-live-1.1",
        RequestStatus.OK,
    )
    assert row.usage.audio_seconds >= 1
    assert row.cost is None  # no price for the Live model in the table: "—", never a guess
    tab.wait_until(lambda: page.transcript.count() == 2)
    assert page.transcript.item(1).text().startswith(f"Assistant: {DEFAULT_REPLY}")

    tab.click(page.start_button)  # Stop
    assert controller.session is None
    [saved] = controller.store.saved()
    assert controller.store.audio_path(saved.id, 1) is not None
