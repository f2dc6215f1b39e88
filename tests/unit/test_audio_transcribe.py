"""gpt-transcribe's fields (languages, keywords, known speakers with reference clips, chunking,
streaming) from the request to the multipart body and back as speaker-labelled segments, against
the fake server through the real SDK; the older models keep their own options and their date."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from openai import AsyncOpenAI

from playground.core.audio.models import TRANSCRIPTION_SHUTDOWN, transcription_caps
from playground.core.audio.service import AudioService, TranscriptionRequest
from playground.core.audio.transcripts import save_text
from tests.fakes.openai_server import DEFAULT_TRANSCRIPT, FakeOpenAI
from tests.unit.test_audio import tone_wav

GT = "gpt-transcribe"


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        server.scenario.models = [*server.scenario.models, GT]
        yield server


@pytest.fixture
async def service(fake: FakeOpenAI) -> AsyncIterator[AudioService]:
    async with AsyncOpenAI(base_url=fake.base_url, api_key="test", max_retries=0) as client:
        yield AudioService(lambda: client)


def speakers(tmp_path: Path) -> tuple[tuple[str, Path], ...]:
    return (
        ("Anna", tone_wav(tmp_path / "anna.wav", 3.0)),
        ("Ben", tone_wav(tmp_path / "ben.wav", 2.5)),
    )


def test_gpt_transcribe_takes_the_new_fields_and_older_models_have_a_date() -> None:
    caps = transcription_caps(GT)
    assert (caps.languages, caps.keywords, caps.speakers, caps.chunking) == (True,) * 4
    assert caps.streaming
    assert caps.formats == ("text", "json", "diarized_json")
    assert caps.shutdown == ""
    for old in ("whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe-2025-12-15"):
        assert transcription_caps(old).shutdown == TRANSCRIPTION_SHUTDOWN == "2027-02-26"
        assert not transcription_caps(old).keywords
    assert transcription_caps("gpt-4o-transcribe-diarize").speakers


async def test_the_multipart_body_carries_every_field_and_segments_come_back_labelled(
    fake: FakeOpenAI, service: AudioService, tmp_path: Path
) -> None:
    known = speakers(tmp_path)
    request = TranscriptionRequest(
        GT,
        tone_wav(tmp_path / "meeting.wav", 4.0),
        languages=("en", " DE "),
        keywords=("Playground", "Oslo"),
        speakers=known,
        chunking="auto",
        response_format="diarized_json",
    )
    assert request.problem() is None
    result = await service.transcribe(request)
    sent = fake.last("/audio/transcriptions")
    assert sent.form["model"] == GT
    assert sent.form["response_format"] == "diarized_json"
    assert sent.form_values("languages[]") == ["en", "de"]
    assert sent.form_values("keywords[]") == ["Playground", "Oslo"]
    assert sent.form_values("known_speaker_names[]") == ["Anna", "Ben"]
    references = sent.form_values("known_speaker_references[]")
    assert [r.split(";base64,")[0] for r in references] == ["data:audio/wav"] * 2
    assert [base64.b64decode(r.split(";base64,")[1]) for r in references] == [
        clip.read_bytes() for _name, clip in known
    ]
    assert sent.form["chunking_strategy"] == "auto"
    transcript = result.transcript
    assert transcript.text == DEFAULT_TRANSCRIPT
    assert transcript.fmt == "diarized_json"
    assert transcript.segments
    assert {s.speaker for s in transcript.segments} <= {"Anna", "Ben"}
    assert transcript.segments[0].speaker == "Anna"
    assert save_text(transcript, "json") == transcript.raw


async def test_streamed_segments_keep_their_speakers(
    fake: FakeOpenAI, service: AudioService, tmp_path: Path
) -> None:
    pieces: list[str] = []
    request = TranscriptionRequest(
        GT, tone_wav(tmp_path / "call.wav", 3.0), response_format="diarized_json", stream=True
    )
    result = await service.transcribe(request, pieces.append)
    assert fake.last("/audio/transcriptions").form["stream"] == "true"
    assert "".join(pieces) == DEFAULT_TRANSCRIPT
    assert result.transcript.segments
    assert {s.speaker for s in result.transcript.segments} == {"A", "B"}  # no names given


async def test_older_models_get_none_of_the_new_fields(
    fake: FakeOpenAI, service: AudioService, tmp_path: Path
) -> None:
    request = TranscriptionRequest(
        "whisper-1",
        tone_wav(tmp_path / "a.wav", 2.0),
        languages=("en",),
        keywords=("Oslo",),
        speakers=speakers(tmp_path),
        chunking="auto",
        response_format="verbose_json",
    )
    params = request.to_api()
    assert not {"languages", "keywords", "known_speaker_names", "chunking_strategy"} & set(params)
    await service.transcribe(request)
    form = fake.last("/audio/transcriptions").form
    assert "chunking_strategy" not in form
    assert "keywords[]" not in form


def test_known_speakers_are_checked_before_sending(tmp_path: Path) -> None:
    audio = tone_wav(tmp_path / "a.wav", 1.0)
    long_clip = tone_wav(tmp_path / "long.wav", 11.0)
    short_clip = tone_wav(tmp_path / "short.wav", 1.0)
    ok = tone_wav(tmp_path / "ok.wav", 3.0)

    def problem(*known: tuple[str, Path]) -> str:
        error = TranscriptionRequest(GT, audio, speakers=known).problem()
        return "" if error is None else f"{error.title}: {error.message}"

    assert problem(("Anna", ok)) == ""
    assert problem(("Anna", long_clip)).startswith("Reference clip too long: Anna's clip")
    assert "2 to 10 seconds" in problem(("Anna", short_clip))
    assert problem(("  ", ok)).startswith("Speaker without a name")
    assert problem(*[(f"S{i}", ok) for i in range(5)]).startswith("Too many speakers")
    missing = problem(("Anna", tmp_path / "gone.wav"))
    assert missing.startswith("Reference clip not usable: Anna:")


async def test_the_fake_refuses_what_the_api_refuses(
    fake: FakeOpenAI, service: AudioService, tmp_path: Path
) -> None:
    from playground.core.api.errors import AppError

    audio = tone_wav(tmp_path / "a.wav", 1.0)
    async with AsyncOpenAI(base_url=fake.base_url, api_key="test", max_retries=0) as client:
        with pytest.raises(Exception, match="not supported with model 'whisper-1'"):
            await client.audio.transcriptions.create(
                file=("a.wav", audio.read_bytes(), "audio/wav"), model="whisper-1", keywords=["x"]
            )
        with pytest.raises(Exception, match="ISO-639-1"):
            await client.audio.transcriptions.create(
                file=("a.wav", audio.read_bytes(), "audio/wav"), model=GT, languages=["english"]
            )
    with pytest.raises(AppError):
        await service.transcribe(
            TranscriptionRequest("gpt-4o-transcribe", audio, response_format="diarized_json")
        )
