"""Text to speech through the Realtime API in the Audio tab, against the fake Realtime server
(`tests/fakes/realtime.py`, a WebSocket on the fake server's own port): the route chosen from the
model list and shown, speech end to end (text sent verbatim, audio kept as a playable WAV, clip
history, ledger row), Compare voices on the live route, an `error` event, a dropped socket and a
429 at connect.

The module's name sorts after test_audio_tab.py on purpose: QtMultimedia connects to a sound
server once per process, and that module's session fixture starts the private PulseAudio daemon
before anything touches QtMultimedia. Importing that fixture here would start a second daemon.
Run alone, these tests need no sound server (playback start is observed, not heard)."""

from __future__ import annotations

import wave
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from playground.core.audio.realtime import VERBATIM_INSTRUCTIONS
from playground.core.models import Endpoint, RequestStatus, Usage
from playground.core.money.formatting import format_cost
from tests.conftest import AppHarness, WaitUntil
from tests.fakes import openai_payloads as payloads
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.realtime import expected_deltas
from tests.fakes.scenario import RETIREMENT_MODELS
from tests.gui.drivers import opener
from tests.gui.test_audio_tab import AudioTab

pytestmark = [
    pytest.mark.gui,
    pytest.mark.qt_log_ignore(
        r"Couldn't (load|resolve) pipewire",
        r"PulseAudioService: pa_context_connect\(\) failed",
        r"No audio device detected",
        r"Could not open media\. FFmpeg error description: Immediate exit requested",
    ),
]

RT = "gpt-realtime-2.1-mini"
TTS = ("tts-1", "gpt-4o-mini-tts")
TEXT = "Is it raining? Please read this sentence, do not answer it."


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    """The fake server with the Realtime family; after 2027-01-06 (no speech models listed)."""
    with FakeOpenAI() as fake:
        fake.scenario.models = [m for m in fake.scenario.models if m not in TTS]
        fake.scenario.models += ["gpt-realtime-2.1", RT, "gpt-realtime-transcribe"]
        yield fake


@pytest.fixture
def open_audio(
    make_app: Callable[..., AppHarness], qtbot: Any, wait_until: WaitUntil
) -> Callable[..., AudioTab]:
    return opener(AudioTab, make_app, qtbot, wait_until)


def _models(page: Any) -> list[str]:
    return [page.model_combo.itemText(i) for i in range(page.model_combo.count())]


def test_realtime_speech_end_to_end(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI
) -> None:
    tab = open_audio()
    page = tab.speech
    # No speech-endpoint model is listed: the realtime model is chosen, and the page says so.
    assert page.model == RT
    assert _models(page) == [RT, "gpt-realtime-2.1"]  # the transcription model cannot speak
    assert page.route_label.text().startswith(
        f"Spoken by {RT} through a live session (Realtime API)."
    )
    assert "nothing installed with the app encodes MP3" in page.route_label.text()
    assert page.response_format == "wav"
    voices = [page.voice_combo.itemText(i) for i in range(page.voice_combo.count())]
    assert {"marin", "cedar"} <= set(voices)
    assert "onyx" not in voices
    page.voice_combo.setCurrentText("cedar")
    page.instructions.setPlainText("Warm and slow.")
    page.text_edit.setPlainText(TEXT)
    started: list[bool] = []
    original = tab.controller.live.start

    def spy(rate: int, channels: int = 1) -> bool:
        started.append(tab.app.runner.is_busy("audio-speech") and rate == 24_000)
        return original(rate, channels)

    tab.controller.live.start = spy  # playback starts while the answer is still coming
    page.live_check.setChecked(True)
    tab.generate()

    assert started == [True]
    tab.controller.live.stop()
    [session] = fake_openai.realtime_sessions
    update = session.of_type("session.update")[0]["session"]
    assert update["instructions"] == f"{VERBATIM_INSTRUCTIONS}\n\nHow to speak: Warm and slow."
    assert update["audio"]["output"]["voice"] == "cedar"
    [item] = session.of_type("conversation.item.create")
    assert item["item"]["content"] == [{"type": "input_text", "text": TEXT}]
    assert fake_openai.requests_to("/audio/speech") == []

    [clip] = tab.controller.clips.clips()
    assert (clip.model, clip.voice, clip.response_format, clip.text) == (RT, "cedar", "wav", TEXT)
    assert clip.instructions == "Warm and slow."
    with wave.open(str(tab.controller.clips.path(clip))) as wav:
        assert wav.getframerate() == 24_000
        assert wav.readframes(wav.getnframes()) == payloads.speech_pcm(TEXT)
    assert page.history.count() == 1
    assert page.player.player.path == tab.controller.clips.path(clip)

    [row] = tab.ledger()
    assert row.endpoint is Endpoint.SPEECH
    assert row.status is RequestStatus.OK
    assert row.model == RT
    assert row.usage.input_tokens > 0
    assert row.usage.output_tokens > 0
    assert "audio out" in page.result_label.text()


def test_realtime_speech_row_is_priced_at_the_audio_token_rates(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI
) -> None:
    import genai_prices

    tab = open_audio()
    tab.speech.text_edit.setPlainText(TEXT)
    tab.generate()
    [row] = tab.ledger()
    [session] = fake_openai.realtime_sessions
    instructions = session.of_type("session.update")[0]["session"]["instructions"]
    text_in = payloads.count_tokens(instructions) + payloads.count_tokens(TEXT)
    audio_out = 2 * expected_deltas(TEXT)  # the fake counts 2 audio tokens per 100 ms delta
    text_out = payloads.count_tokens(TEXT)
    assert (row.usage.input_tokens, row.usage.output_tokens) == (text_in, audio_out + text_out)
    # The price table's own answer for text in, text and audio out, each at its own rate.
    table = genai_prices.calc_price(
        genai_prices.Usage(
            input_tokens=text_in, output_tokens=audio_out + text_out, output_audio_tokens=audio_out
        ),
        model_ref=RT,
        provider_id="openai",
    )
    assert row.cost == table.total_price
    assert row.cost > 0
    assert f"cost {format_cost(row.cost)}" in tab.speech.result_label.text()


def test_a_realtime_model_the_price_table_does_not_know_costs_a_dash(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI
) -> None:
    fake_openai.scenario.models.remove(RT)
    fake_openai.scenario.models.remove("gpt-realtime-2.1")
    fake_openai.scenario.models.append("acme-realtime-9")
    tab = open_audio()
    assert tab.speech.model == "acme-realtime-9"
    tab.speech.text_edit.setPlainText(TEXT)
    tab.generate()
    [row] = tab.ledger()
    assert row.status is RequestStatus.OK
    assert row.cost is None
    assert "cost —" in tab.speech.result_label.text()


def test_route_follows_the_model_list_and_the_user_may_pick_either(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI
) -> None:
    fake_openai.scenario.models += list(TTS)  # before 2027-01-06: both routes exist
    tab = open_audio()
    page = tab.speech
    assert sorted(_models(page)[:2]) == sorted(TTS)
    assert _models(page)[2:] == [RT, "gpt-realtime-2.1"]
    assert page.model in TTS  # the speech endpoint while its models exist
    assert "through the speech endpoint" in page.route_label.text()
    assert "2027-01-06" in page.route_label.text()
    page.model_combo.setCurrentText(RT)
    assert page.route_label.text().startswith(f"Spoken by {RT} through a live session")
    page.model_combo.setCurrentText("gpt-4o-mini-tts")
    assert "through the speech endpoint" in page.route_label.text()


def test_compare_voices_on_the_realtime_route(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI
) -> None:
    tab = open_audio()
    page = tab.compare_page("Which voice reads best?", ["alloy", "marin", "cedar"], {RT})
    page.format_combo.setCurrentIndex(page.format_combo.findData("mp3"))
    tab.render_compare()
    sessions = fake_openai.realtime_sessions
    voices = sorted(
        s.of_type("session.update")[0]["session"]["audio"]["output"]["voice"] for s in sessions
    )
    assert voices == ["alloy", "cedar", "marin"]
    for row in page.rows:
        assert row.player.player.path is not None
        assert row.player.player.path.suffix == ".wav"  # MP3 cannot be made from a live session
    assert [e.status for e in tab.ledger()] == [RequestStatus.OK] * 3
    assert len(tab.controller.clips.clips()) == 3


def test_an_error_event_is_shown_in_plain_words(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI
) -> None:
    fake_openai.scenario.stream_error = {"code": "server_error", "message": "The voice is busy"}
    tab = open_audio()
    page = tab.speech
    page.text_edit.setPlainText(TEXT)
    tab.generate()
    assert page.message.error is not None
    assert page.message.error.title == "The live session reported an error"
    assert "The voice is busy." in page.message.plain
    assert tab.controller.clips.clips() == []
    assert page.text() == TEXT
    [row] = tab.ledger()
    assert row.status is RequestStatus.ERROR


def test_a_dropped_socket_keeps_the_audio_that_came_and_marks_it_interrupted(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI
) -> None:
    fake_openai.scenario.drop_after_chunks = 4
    tab = open_audio()
    page = tab.speech
    page.live_check.setChecked(False)
    page.text_edit.setPlainText(TEXT)
    tab.generate()
    [clip] = tab.controller.clips.clips()
    with wave.open(str(tab.controller.clips.path(clip))) as wav:
        assert wav.readframes(wav.getnframes()) == payloads.speech_pcm(TEXT)[: 4 * 4800]
    assert page.result_label.text().startswith("Interrupted: the live session dropped")
    [row] = tab.ledger()
    assert row.status is RequestStatus.ERROR
    assert row.usage == Usage(characters=len(TEXT), estimated=True)


def test_a_429_at_connect_shows_the_countdown(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI
) -> None:
    fake_openai.rate_limit(retry_after=30, path="/v1/realtime")
    tab = open_audio()
    page = tab.speech
    page.text_edit.setPlainText(TEXT)
    tab.generate()
    assert page.message.error is not None
    assert page.message.error.retry_after == 30
    assert "Try again in" in page.message.plain
    assert fake_openai.realtime_sessions == []


def test_compare_voices_after_the_speech_models_retired(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On 2027-01-07 the speech models are still listed (with their date) but answer 404: Compare
    offers only the realtime models, every voice is spoken through a live session, and each row
    shows what that voice cost."""
    import tests.conftest

    monkeypatch.setattr(tests.conftest, "TODAY", date(2027, 1, 7))  # the app's today
    fake_openai.scenario.models = [*RETIREMENT_MODELS, RT, "gpt-realtime-2.1"]
    fake_openai.scenario.today = "2027-01-07"
    tab = open_audio()
    page = tab.compare_page("Which voice reads best?", ["alloy", "marin"])
    listed = [page.models.item(i).text() for i in range(page.models.count())]
    assert listed == [RT, "gpt-realtime-2.1"]  # tts-1 and gpt-4o-mini-tts are gone
    assert "tts" not in page.estimate_label.text()
    tab.render_compare()
    assert fake_openai.requests_to("/audio/speech") == []
    assert len(fake_openai.realtime_sessions) == 4  # two voices × two models
    entries = tab.ledger()
    assert [e.status for e in entries] == [RequestStatus.OK] * 4
    for row in page.rows:
        assert row.player.player.path is not None
        assert row.player.player.path.suffix == ".wav"
    # Each row names its own cost (the rows finish in any order; match them by clip).
    costs = {clip.id: Decimal(clip.cost) for clip in tab.controller.clips.clips()}
    assert sorted(costs.values()) == sorted(e.cost for e in entries if e.cost is not None)
    for row in page.rows:
        assert costs[row.clip_id] > 0
        assert format_cost(costs[row.clip_id]) in row.state.text()
