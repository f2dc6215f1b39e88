"""Speech to text with gpt-transcribe in the Audio tab: the languages, keywords, known speakers
(added with the reference-clip dialog), chunking and streaming reach the multipart body, the
segments table shows who spoke, and the older models show their options with their shutdown date;
translation from a file through a live Realtime translation session once whisper-1 is gone.

The module's name sorts after test_audio_tab.py (QtMultimedia meets the sound server once per
process; that module starts the private daemon). Run alone, it needs no sound server."""

from __future__ import annotations

import array
import base64
import wave
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from playground.core.models import Endpoint, RequestStatus
from playground.core.money.formatting import format_cost
from tests.conftest import AppHarness, WaitUntil
from tests.fakes import openai_payloads as payloads
from tests.fakes.audio import flac_bytes
from tests.fakes.openai_server import DEFAULT_TRANSCRIPT, FakeOpenAI
from tests.fakes.realtime import DEFAULT_TRANSLATION
from tests.gui.drivers import opener
from tests.gui.test_audio_tab import MIC_RATE, AudioTab, accept_dialog, tone, wav_file

pytestmark = [
    pytest.mark.gui,
    pytest.mark.qt_log_ignore(
        r"Couldn't (load|resolve) pipewire",
        r"PulseAudioService: pa_context_connect\(\) failed",
        r"No audio device detected",
        r"Could not open media\. FFmpeg error description: Immediate exit requested",
        # The player tries the made-up MP3 of the live-translation test.
        r"Could not open media\. FFmpeg error description: Invalid data found",
    ),
]

GT = "gpt-transcribe"


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        fake.scenario.models = [*fake.scenario.models, GT]
        yield fake


@pytest.fixture
def open_audio(
    make_app: Callable[..., AppHarness], qtbot: Any, wait_until: WaitUntil
) -> Callable[..., AudioTab]:
    return opener(AudioTab, make_app, qtbot, wait_until)


def test_gpt_transcribe_fields_reach_the_body_and_speakers_label_the_segments(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    tab = open_audio()
    page = tab.stt_page(GT)
    options = page.options
    assert options.languages_edit.isVisibleTo(page)
    assert options.keywords_edit.isVisibleTo(page)
    assert not options.shutdown_note.isVisibleTo(page)  # no shutdown announced
    formats = [page.format_combo.itemData(i) for i in range(page.format_combo.count())]
    assert formats == ["text", "json", "diarized_json"]
    page.format_combo.setCurrentIndex(page.format_combo.findData("diarized_json"))
    options.languages_edit.setText("en, de")
    options.keywords_edit.setText("Playground, Oslo")
    options.chunking_check.setChecked(True)
    for name, seconds in (("Anna", 3.0), ("Ben", 2.5)):
        options.speaker_name.setText(name)
        tab.click(options.add_speaker_button)
        accept_dialog(options, "sttSpeakerClipDialog", wav_file(tmp_path / f"{name}.wav", seconds))
    assert [options.speaker_list.item(i).text() for i in range(2)] == [
        "Anna — Anna.wav",
        "Ben — Ben.wav",
    ]
    tab.controller.use_file(str(wav_file(tmp_path / "meeting.wav", 4.0)))
    tab.run_stt()

    sent = fake_openai.last("/audio/transcriptions")
    assert sent.form["response_format"] == "diarized_json"
    assert sent.form["stream"] == "true"  # shown as it arrives
    assert sent.form_values("languages[]") == ["en", "de"]
    assert sent.form_values("keywords[]") == ["Playground", "Oslo"]
    assert sent.form_values("known_speaker_names[]") == ["Anna", "Ben"]
    assert all(
        r.startswith("data:audio/wav;base64,")
        for r in sent.form_values("known_speaker_references[]")
    )
    assert sent.form["chunking_strategy"] == "auto"
    assert page.transcript is not None
    assert page.transcript.text == DEFAULT_TRANSCRIPT
    assert not page.segments.isColumnHidden(2)
    assert page.segments.horizontalHeaderItem(2).text() == "Speaker"
    speakers = {page.segments.item(r, 2).text() for r in range(page.segments.rowCount())}
    assert speakers == {"Anna", "Ben"}
    assert page.segments.item(0, 3).text()
    # What was set is kept for the next start.
    state = tab.controller.save_state()
    assert state["stt_keywords"] == "Playground, Oslo"
    assert [name for name, _clip in state["stt_speakers"]] == ["Anna", "Ben"]


def test_a_too_long_reference_clip_is_refused_before_sending(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    tab = open_audio()
    page = tab.stt_page(GT)
    page.options.add_speaker("Anna", wav_file(tmp_path / "long.wav", 12.0))
    tab.controller.use_file(str(wav_file(tmp_path / "meeting.wav", 2.0)))
    tab.click(page.run_button)
    assert page.message.error is not None
    assert page.message.error.title == "Reference clip too long"
    assert fake_openai.requests_to("/audio/transcriptions") == []


def test_older_models_show_their_options_with_their_shutdown_date(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI
) -> None:
    tab = open_audio()
    page = tab.stt_page("whisper-1")
    note = page.options.shutdown_note
    assert note.isVisibleTo(page)
    assert note.text() == (
        "whisper-1 and its options (subtitles, word timings, translation) work until "
        "2027-02-26, when OpenAI shuts it down; gpt-transcribe replaces it."
    )
    assert not page.options.keywords_edit.isVisibleTo(page)  # gpt-transcribe's only
    assert page.translate_radio.isEnabled()
    page.model_combo.setCurrentText("gpt-4o-transcribe")
    assert "gpt-4o-transcribe and its options work until 2027-02-26" in note.text()
    page.model_combo.setCurrentText(GT)
    assert not note.isVisibleTo(page)
    assert not page.translate_radio.isEnabled()


def test_translation_from_a_file_through_a_live_session_after_the_old_endpoint(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    # After 2027-02-26: whisper-1 is gone, a live translation model is listed.
    fake_openai.scenario.models = [m for m in fake_openai.scenario.models if m != "whisper-1"] + [
        "gpt-realtime-translate"
    ]
    tab = open_audio()
    page = tab.stt_page(GT)
    assert page.translate_radio.isEnabled()
    page.translate_radio.setChecked(True)
    assert page.run_button.text() == "Translate"
    note = page.options.shutdown_note
    assert note.isVisibleTo(page)
    assert note.text().startswith(
        "Translated into English by gpt-realtime-translate through a live session"
    )
    source = wav_file(tmp_path / "interview.wav", 1.0)
    tab.controller.use_file(str(source))
    estimate = page.estimate_label.text()
    tab.run_stt()

    assert fake_openai.requests_to("/audio/translations") == []
    [state] = fake_openai.realtime_sessions
    assert state.model == "gpt-realtime-translate"
    assert state.of_type("session.update")[0]["session"]["audio"]["output"] == {"language": "en"}
    assert state.events[-1]["type"] == "session.close"
    assert page.transcript is not None
    assert page.transcript.text == DEFAULT_TRANSLATION
    assert page.transcript.task == "translate"
    assert page.result_title.text() == "Translation (English)"
    assert page.text_view.toPlainText() == DEFAULT_TRANSLATION
    [row] = tab.ledger()
    assert row.endpoint is Endpoint.TRANSLATION
    assert row.model == "gpt-realtime-translate"
    assert row.status is RequestStatus.OK
    assert row.usage.audio_seconds == 1.0
    # Priced for the model that translated, and the estimate before sending said so (not
    # gpt-transcribe's rate).
    assert row.cost is not None
    assert estimate.startswith(f"Cost before sending: {format_cost(row.cost, estimated=True)} ")
    # The English speech the session sent is saved to the clip history and plays on the page.
    [clip] = tab.controller.clips.clips()
    assert (clip.model, clip.voice, clip.text) == (
        "gpt-realtime-translate",
        "",
        DEFAULT_TRANSLATION,
    )
    with wave.open(str(tab.controller.clips.path(clip))) as wav:
        assert wav.readframes(wav.getnframes()) == payloads.speech_pcm(DEFAULT_TRANSLATION)
    assert page.speech_box.isVisibleTo(page)
    assert page.speech_player.player.path == tab.controller.clips.playable_path(clip)
    assert page.speech_player.play_button.isEnabled()
    assert "spoken English" in page.result_info.text()
    assert (
        tab.speech.history.item(0).text().startswith("translated speech · gpt-realtime-translate")
    )


# The hand-made FLAC's first packet carries no timestamp (FFmpeg's demuxer says so and goes on);
# the closest mark wins, so the module's patterns come too.
@pytest.mark.qt_log_ignore(
    *pytestmark[1].args,
    r"QFFmpeg::Demuxer received AVPacket with pts == AV_NOPTS_VALUE",
)
def test_a_compressed_file_is_decoded_before_a_live_translation(
    open_audio: Callable[..., AudioTab], fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    """A FLAC file is decoded (QAudioDecoder) into a 24 kHz WAV that the live session is sent;
    a file no decoder can read is refused in plain words and nothing is sent."""
    fake_openai.scenario.models = [m for m in fake_openai.scenario.models if m != "whisper-1"] + [
        "gpt-realtime-translate"
    ]
    tab = open_audio()
    page = tab.stt_page(GT)
    page.translate_radio.setChecked(True)
    flac = tmp_path / "talk.flac"
    flac.write_bytes(flac_bytes(tone(2.0), MIC_RATE, block=512))
    tab.controller.use_file(str(flac))
    tab.click(page.run_button)
    tab.wait_until(lambda: page.transcript is not None, timeout=20)
    assert page.transcript.text == DEFAULT_TRANSLATION
    [state] = fake_openai.realtime_sessions
    sent = b"".join(
        base64.b64decode(e["audio"]) for e in state.of_type("session.input_audio_buffer.append")
    )
    # Two seconds at 24 kHz (Qt may drop a last 512-sample frame per extra CPU core, said below).
    assert 1.5 * 48_000 <= len(sent) <= 2 * 48_000
    assert max(abs(x) for x in array.array("h", sent)) > 8000  # the tone, not silence
    decoded = tab.controller.clips.decoded_dir / "talk-24k.wav"
    with wave.open(str(decoded)) as wav:
        assert (wav.getframerate(), wav.getnchannels()) == (24_000, 1)
        assert wav.readframes(wav.getnframes()) == sent
    [row] = tab.ledger()
    assert row.usage.audio_seconds == len(sent) / 48_000
    if len(sent) < 2 * 48_000 - 2400:
        assert "could not be read" in page.result_info.text()
    assert page.source == flac  # the user's file stays the source

    # Bytes that only look like an MP3: refused in plain words, nothing sent.
    mp3 = tmp_path / "talk.mp3"
    mp3.write_bytes(b"ID3" + bytes(4000))
    tab.controller.use_file(str(mp3))
    tab.click(page.run_button)
    tab.wait_until(lambda: page.message.error is not None, timeout=20)
    assert page.message.error.title == "Audio not readable"
    assert "talk.mp3 could not be read as audio" in page.message.error.message
    assert len(fake_openai.realtime_sessions) == 1
    assert not list(tab.controller.clips.decoded_dir.glob("talk-24k.wav.*"))
