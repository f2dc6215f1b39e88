"""Audio core: the capability table, request building, file checks, WAV writing, transcripts, the
clip history, and the service against the fake server through the real SDK."""

from __future__ import annotations

import io
import json
import math
import wave
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from openai import AsyncOpenAI

from playground.core.api.errors import AppError, ErrorKind
from playground.core.audio.clips import ClipStore
from playground.core.audio.files import (
    WavStreamReader,
    WavWriter,
    check_upload,
    format_clock,
    format_size,
    pcm_to_wav,
    peak_level,
)
from playground.core.audio.models import (
    ALL_VOICES,
    CLASSIC_VOICES,
    speech_caps,
    transcription_caps,
)
from playground.core.audio.service import (
    AudioService,
    SpeechProgress,
    SpeechRequest,
    TranscriptionRequest,
    usage_of_transcription,
)
from playground.core.audio.transcripts import (
    Segment,
    from_response,
    parse_subtitles,
    save_text,
    to_srt,
    to_vtt,
)
from playground.core.models import Usage
from playground.core.money.pricing import Pricer
from tests.fakes import openai_payloads as payloads
from tests.fakes.openai_server import DEFAULT_TRANSCRIPT, FakeOpenAI


def tone_wav(path: Path, seconds: float = 1.0, rate: int = 16000) -> Path:
    frames = int(seconds * rate)
    pcm = b"".join(
        int(8000 * math.sin(2 * math.pi * 440 * i / rate)).to_bytes(2, "little", signed=True)
        for i in range(frames)
    )
    path.write_bytes(pcm_to_wav(pcm, rate))
    return path


# --- capability table ------------------------------------------------------------------------------


def test_voices_and_options_per_model() -> None:
    assert speech_caps("tts-1").voices == CLASSIC_VOICES
    assert "ballad" not in speech_caps("tts-1-hd").voices
    assert speech_caps("gpt-4o-mini-tts").voices == ALL_VOICES
    assert speech_caps("gpt-4o-mini-tts-2025-12-15").instructions
    assert not speech_caps("tts-1").instructions
    assert speech_caps("gpt-4o-mini-tts").sse
    assert not speech_caps("tts-1").sse
    assert speech_caps("some-local-tts").voices == ALL_VOICES  # unknown: permissive


def test_transcription_formats_streaming_and_translation_per_model() -> None:
    whisper = transcription_caps("whisper-1")
    assert whisper.formats == ("text", "json", "srt", "vtt", "verbose_json")
    assert whisper.translation
    assert whisper.timestamps
    assert not whisper.streaming
    gpt = transcription_caps("gpt-4o-transcribe")
    assert gpt.formats == ("text", "json")
    assert gpt.streaming
    assert not gpt.translation
    assert not transcription_caps("gpt-4o-transcribe-diarize").prompt
    assert transcription_caps("gpt-4o-mini-transcribe").max_bytes == 25 * 1024 * 1024


# --- requests --------------------------------------------------------------------------------------


def test_speech_request_drops_what_the_model_rejects() -> None:
    request = SpeechRequest(
        "tts-1", "alloy", "Hi", instructions="calmly", speed=1.5, response_format="wav"
    )
    assert request.to_api() == {
        "model": "tts-1",
        "voice": "alloy",
        "input": "Hi",
        "response_format": "wav",
        "speed": 1.5,
    }
    mini = SpeechRequest("gpt-4o-mini-tts", "voice_abc123", "Hi", instructions=" calmly ")
    assert mini.to_api() == {
        "model": "gpt-4o-mini-tts",
        "voice": {"id": "voice_abc123"},
        "input": "Hi",
        "response_format": "mp3",
        "instructions": "calmly",
        "stream_format": "sse",
    }


@pytest.mark.parametrize(
    ("request_", "title"),
    [
        (SpeechRequest("tts-1", "alloy", "   "), "No text"),
        (SpeechRequest("tts-1", "alloy", "x" * 4097), "Text too long"),
        (SpeechRequest("tts-1", "", "Hi"), "No voice"),
        (SpeechRequest("tts-1", "alloy", "Hi", speed=5), "Speed out of range"),
        (SpeechRequest("", "alloy", "Hi"), "No model"),
    ],
)
def test_speech_request_problems(request_: SpeechRequest, title: str) -> None:
    problem = request_.problem()
    assert problem is not None
    assert problem.title == title
    assert SpeechRequest("tts-1", "alloy", "x" * 4096).problem() is None


def test_transcription_request_fields(tmp_path: Path) -> None:
    file = tmp_path / "a.wav"
    request = TranscriptionRequest(
        "whisper-1",
        file,
        language="de",
        prompt="Names: Zoë",
        temperature=0.2,
        response_format="verbose_json",
        word_timestamps=True,
        stream=True,
    )
    assert request.to_api() == {
        "model": "whisper-1",
        "response_format": "verbose_json",
        "language": "de",
        "prompt": "Names: Zoë",
        "temperature": 0.2,
        "timestamp_granularities": ["segment", "word"],
    }
    assert not request.streams  # whisper-1 cannot stream
    translate = TranscriptionRequest("gpt-4o-transcribe", file, task="translate")
    problem = translate.problem()
    assert problem is not None
    assert "whisper-1" in problem.hint
    srt = TranscriptionRequest("gpt-4o-transcribe", file, response_format="srt").problem()
    assert srt is not None
    assert srt.title == "Format not offered"


# --- files -----------------------------------------------------------------------------------------


def test_upload_checks(tmp_path: Path) -> None:
    wav = tone_wav(tmp_path / "tone.wav", 1.5)
    info = check_upload(wav)
    assert info.suffix == "wav"
    assert info.duration_s == pytest.approx(1.5)
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(AppError, match="not a type the API transcribes"):
        check_upload(tmp_path / "notes.txt")
    (tmp_path / "fake.mp3").write_text("this is text, not audio")
    with pytest.raises(AppError) as excinfo:
        check_upload(tmp_path / "fake.mp3")
    assert excinfo.value.title == "Not an audio file"
    (tmp_path / "empty.m4a").write_bytes(b"")
    with pytest.raises(AppError, match="empty"):
        check_upload(tmp_path / "empty.m4a")
    with pytest.raises(AppError) as big:
        check_upload(wav, max_bytes=1000)
    assert big.value.title == "File too large"
    assert "46.9 KB" in big.value.message
    broken = tmp_path / "broken.wav"
    broken.write_bytes(wav.read_bytes()[:12] + b"garbage-garbage-garbage")
    with pytest.raises(AppError) as damaged:
        check_upload(broken)
    assert damaged.value.title == "Damaged WAV file"
    assert damaged.value.kind is ErrorKind.LOCAL
    with pytest.raises(AppError, match="cannot be read"):
        check_upload(tmp_path / "missing.wav")
    (tmp_path / "song.mp3").write_bytes(b"ID3\x04" + bytes(200))
    assert check_upload(tmp_path / "song.mp3").duration_s is None


def test_wav_writer_and_stream_reader(tmp_path: Path) -> None:
    writer = WavWriter(tmp_path / "take.wav", 16000)
    writer.write(b"\x01\x00" * 8000)
    writer.write(b"\x02\x00" * 8000 + b"\x03")  # a half frame is dropped, never misaligns
    writer.close()
    with wave.open(str(tmp_path / "take.wav")) as wav:
        assert wav.getnframes() == 16000
        assert wav.getframerate() == 16000
    assert writer.duration_s == 1.0

    pcm = bytes(range(200)) * 10
    data = pcm_to_wav(pcm, 24000)
    reader = WavStreamReader()
    out = b"".join(reader.feed(data[i : i + 7]) for i in range(0, len(data), 7))
    assert out == pcm
    assert reader.rate == 24000


def test_levels_and_formatting() -> None:
    assert peak_level(b"") == 0.0
    assert peak_level((16384).to_bytes(2, "little", signed=True)) == 0.5
    assert format_size(25 * 1024 * 1024) == "25.0 MB"
    assert format_clock(62.4) == "1:02"
    assert format_clock(None) == "--:--"


# --- transcripts -----------------------------------------------------------------------------------


def test_subtitles_parse_and_write_back() -> None:
    segments = (Segment(0.0, 1.5, "Hello there."), Segment(1.5, 3.25, "General Kenobi."))
    srt = to_srt(segments)
    vtt = to_vtt(segments)
    assert "00:00:01,500 --> 00:00:03,250" in srt
    assert vtt.startswith("WEBVTT")
    assert parse_subtitles(srt) == segments
    assert parse_subtitles(vtt) == segments
    assert parse_subtitles("1\nnot a timing\nwords\n\n") == ()
    transcript = from_response("srt", srt)
    assert transcript.text == "Hello there. General Kenobi."
    assert save_text(transcript, "vtt") == vtt
    assert save_text(transcript, "txt") == "Hello there. General Kenobi.\n"


def test_verbose_json_becomes_segments() -> None:
    body = {
        "task": "transcribe",
        "language": "english",
        "duration": 3.2,
        "text": "A. B.",
        "segments": [{"id": 0, "start": 0, "end": 1.2, "text": " A."}],
        "words": [{"word": "A", "start": 0, "end": 0.4}],
    }
    transcript = from_response("verbose_json", body)
    assert transcript.segments == (Segment(0, 1.2, "A."),)
    assert transcript.words == (Segment(0, 0.4, "A"),)
    assert transcript.language == "english"
    assert transcript.duration_s == 3.2
    assert json.loads(transcript.raw)["text"] == "A. B."


# --- pricing ---------------------------------------------------------------------------------------


def test_audio_usage_is_priced_per_unit() -> None:
    pricer = Pricer()
    assert pricer.cost("tts-1", Usage(characters=1000)) == Decimal("0.015")
    assert pricer.cost("whisper-1", Usage(audio_seconds=60)) == Decimal("0.006")
    tokens = Usage(input_tokens=1010, audio_tokens=1000, output_tokens=20)
    assert pricer.cost("gpt-4o-transcribe", tokens) == Decimal("0.006225")
    # Without knowing which tokens were audio, the price stays unknown rather than wrong.
    assert pricer.cost("gpt-4o-transcribe", Usage(input_tokens=1010, output_tokens=20)) is None
    prices = pricer.prices("gpt-4o-transcribe")
    assert prices is not None
    assert prices.input_audio_per_mtok == Decimal(6)
    assert usage_of_transcription({"type": "duration", "seconds": 7}) == Usage(audio_seconds=7)


# --- clip history ----------------------------------------------------------------------------------


def test_clip_store_keeps_settings_and_survives_restart(tmp_path: Path) -> None:
    store = ClipStore.under(tmp_path)
    clip = store.add(
        b"RIFF....",
        model="tts-1",
        voice="nova",
        response_format="wav",
        speed=1.25,
        instructions="",
        text="Hello",
        cost="0.000075",
    )
    assert store.path(clip).read_bytes() == b"RIFF...."
    store.update(clip, duration_s=2.5)
    again = ClipStore.under(tmp_path)
    [loaded] = again.clips()
    assert (loaded.voice, loaded.speed, loaded.duration_s, loaded.text) == (
        "nova",
        1.25,
        2.5,
        "Hello",
    )
    again.remove(loaded.id)
    assert not store.path(clip).exists()
    assert ClipStore.under(tmp_path).clips() == []
    (tmp_path / "audio" / "clips" / "index.json").write_text("{broken")
    assert ClipStore.under(tmp_path).clips() == []


# --- the service against the fake server -----------------------------------------------------------


@pytest.fixture
async def client(fake_openai: FakeOpenAI) -> AsyncIterator[AsyncOpenAI]:
    sdk = AsyncOpenAI(base_url=fake_openai.base_url, api_key="test", max_retries=0)
    yield sdk
    await sdk.close()


async def test_speech_streams_raw_audio(fake_openai: FakeOpenAI, client: AsyncOpenAI) -> None:
    pieces: list[bytes] = []
    text = "Hello there " * 80
    result = await AudioService(lambda: client).speech(
        SpeechRequest("tts-1", "echo", text, speed=2.0, response_format="wav"), pieces.append
    )
    sent = fake_openai.last("/audio/speech").json
    assert sent == {
        "model": "tts-1",
        "voice": "echo",
        "input": text,
        "response_format": "wav",
        "speed": 2.0,
    }
    assert len(pieces) > 1  # it arrived in pieces
    assert b"".join(pieces) == result.audio
    with wave.open(io.BytesIO(result.audio)) as wav:
        assert wav.getnframes() / wav.getframerate() == pytest.approx(
            payloads.speech_duration(text, 2.0), abs=0.01
        )
    assert result.usage == Usage(characters=len(text))
    assert result.request_id


async def test_speech_sse_reports_token_usage(fake_openai: FakeOpenAI, client: AsyncOpenAI) -> None:
    result = await AudioService(lambda: client).speech(
        SpeechRequest("gpt-4o-mini-tts", "marin", "Hi there", "cheerfully", response_format="pcm")
    )
    sent = fake_openai.last("/audio/speech").json
    assert sent["stream_format"] == "sse"
    assert sent["instructions"] == "cheerfully"
    assert result.audio == payloads.speech_pcm("Hi there")
    assert result.usage.input_tokens == payloads.count_tokens("Hi there") + payloads.count_tokens(
        "cheerfully"
    )
    assert result.usage.output_tokens == 50 * math.ceil(len(result.audio) / 16384)


async def test_dropped_speech_keeps_what_arrived(
    fake_openai: FakeOpenAI, client: AsyncOpenAI
) -> None:
    fake_openai.scenario.drop_after_chunks = 1
    progress = SpeechProgress()
    with pytest.raises(AppError) as excinfo:
        await AudioService(lambda: client).speech(
            SpeechRequest("tts-1", "alloy", "long " * 200, response_format="pcm"),
            progress=progress,
        )
    assert excinfo.value.kind is ErrorKind.CONNECTION
    assert len(progress.audio) == 16384


@pytest.mark.parametrize("fmt", ["text", "json", "srt", "vtt", "verbose_json"])
async def test_transcription_formats(
    fake_openai: FakeOpenAI, client: AsyncOpenAI, tmp_path: Path, fmt: str
) -> None:
    wav = tone_wav(tmp_path / "speech.wav", 4.0)
    result = await AudioService(lambda: client).transcribe(
        TranscriptionRequest("whisper-1", wav, language="en", response_format=fmt)
    )
    sent = fake_openai.last("/audio/transcriptions")
    assert sent.form["model"] == "whisper-1"
    assert sent.form["response_format"] == fmt
    assert sent.form["language"] == "en"
    assert sent.files["file"].filename == "speech.wav"
    assert sent.files["file"].data == wav.read_bytes()
    assert result.transcript.text.split() == DEFAULT_TRANSCRIPT.split()
    if fmt in ("srt", "vtt", "verbose_json"):
        assert len(result.transcript.segments) == 2
        assert result.transcript.segments[-1].end == pytest.approx(4.0, abs=0.01)
    if fmt in ("json", "verbose_json"):
        assert result.usage == Usage(audio_seconds=4)
    if fmt == "verbose_json":
        assert sent.form_values("timestamp_granularities[]") == ["segment"]


async def test_streamed_transcript_arrives_in_pieces(
    fake_openai: FakeOpenAI, client: AsyncOpenAI, tmp_path: Path
) -> None:
    wav = tone_wav(tmp_path / "speech.wav", 2.0)
    pieces: list[str] = []
    result = await AudioService(lambda: client).transcribe(
        TranscriptionRequest("gpt-4o-transcribe", wav, stream=True, prompt="Fake"), pieces.append
    )
    assert fake_openai.last("/audio/transcriptions").form["stream"] == "true"
    assert len(pieces) == len(DEFAULT_TRANSCRIPT.split())
    assert result.transcript.text == DEFAULT_TRANSCRIPT
    assert result.usage is not None
    assert result.usage.audio_tokens == 20


async def test_translation(fake_openai: FakeOpenAI, client: AsyncOpenAI, tmp_path: Path) -> None:
    wav = tone_wav(tmp_path / "rede.wav", 1.0)
    result = await AudioService(lambda: client).transcribe(
        TranscriptionRequest(
            "whisper-1", wav, task="translate", language="de", response_format="json"
        )
    )
    sent = fake_openai.last("/audio/translations")
    assert "language" not in sent.form  # translations always go to English
    assert sent.form["response_format"] == "json"
    assert result.transcript.task == "translate"
    assert result.transcript.text == DEFAULT_TRANSCRIPT


async def test_dropped_transcription_is_a_connection_error(
    fake_openai: FakeOpenAI, client: AsyncOpenAI, tmp_path: Path
) -> None:
    fake_openai.scenario.drop_after_chunks = 0
    with pytest.raises(AppError) as excinfo:
        await AudioService(lambda: client).transcribe(
            TranscriptionRequest("whisper-1", tone_wav(tmp_path / "a.wav"))
        )
    assert excinfo.value.kind is ErrorKind.CONNECTION
