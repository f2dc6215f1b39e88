"""Translation through a live Realtime translation session (core/audio/live_translate.py)
against the fake `/v1/realtime/translations` WebSocket: the WAV converted to 24 kHz mono and
sent in 200 ms frames, the translated text and speech collected, faults in plain words."""

from __future__ import annotations

import array
import base64
import math
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from openai import AsyncOpenAI

from playground.core.api.errors import AppError, ErrorKind
from playground.core.audio.files import pcm_to_wav
from playground.core.audio.live_translate import (
    FRAME_BYTES,
    is_translation_model,
    pcm24_of_wav,
    translate_file,
)
from tests.fakes import openai_payloads as payloads
from tests.fakes.openai_server import DEFAULT_TRANSCRIPT, FakeOpenAI
from tests.fakes.realtime import DEFAULT_TRANSLATION, RealtimeLog

RT = "gpt-realtime-translate"


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        server.scenario.models = [*server.scenario.models, RT]
        yield server


@pytest.fixture
async def client(fake: FakeOpenAI) -> AsyncIterator[AsyncOpenAI]:
    async with AsyncOpenAI(base_url=fake.base_url, api_key="test", max_retries=0) as c:
        yield c


def tone(seconds: float, rate: int, channels: int = 1) -> bytes:
    frames = int(seconds * rate)
    samples = array.array(
        "h",
        (
            int(8000 * math.sin(2 * math.pi * 220 * (i // channels) / rate))
            for i in range(frames * channels)
        ),
    )
    return samples.tobytes()


def test_a_wav_becomes_24_khz_mono(tmp_path: Path) -> None:
    same = tmp_path / "same.wav"
    same.write_bytes(pcm_to_wav(tone(1.0, 24_000), 24_000))
    assert pcm24_of_wav(same) == tone(1.0, 24_000)
    low = tmp_path / "low.wav"
    low.write_bytes(pcm_to_wav(tone(1.0, 16_000), 16_000))
    assert len(pcm24_of_wav(low)) == 2 * 24_000
    stereo = tmp_path / "stereo.wav"
    stereo.write_bytes(pcm_to_wav(tone(0.5, 48_000, 2), 48_000, channels=2))
    assert len(pcm24_of_wav(stereo)) == 2 * 12_000
    bad = tmp_path / "song.wav"
    bad.write_bytes(b"not a wav")
    with pytest.raises(AppError, match="A live translation reads WAV files"):
        pcm24_of_wav(bad)
    assert is_translation_model(RT)
    assert not is_translation_model("whisper-1")
    assert not is_translation_model("gpt-realtime-2.1-mini")


async def test_a_file_is_translated_through_a_live_session(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    pcm = tone(1.0, 24_000)
    pieces: list[str] = []
    result = await translate_file(
        client,
        model=RT,
        pcm=pcm,
        language="en",
        transcribe_model="gpt-live-transcribe",
        on_text=pieces.append,
    )
    [state] = fake.realtime_sessions
    assert state.model == RT
    update = state.of_type("session.update")[0]["session"]
    assert update == {
        "audio": {
            "output": {"language": "en"},
            "input": {"transcription": {"model": "gpt-live-transcribe"}},
        }
    }
    appends = state.of_type("session.input_audio_buffer.append")
    assert [len(base64.b64decode(a["audio"])) for a in appends] == [FRAME_BYTES] * 5
    assert b"".join(base64.b64decode(a["audio"]) for a in appends) == pcm
    assert state.events[-1]["type"] == "session.close"
    assert result.text == DEFAULT_TRANSLATION
    assert "".join(pieces) == DEFAULT_TRANSLATION
    assert result.source_text == DEFAULT_TRANSCRIPT
    assert result.pcm == payloads.speech_pcm(DEFAULT_TRANSLATION)
    assert result.seconds == 1.0


async def test_faults_in_plain_words(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    fake.scenario.drop_after_chunks = 2
    with pytest.raises(AppError) as dropped:
        await translate_file(client, model=RT, pcm=tone(0.5, 24_000))
    assert dropped.value.kind is ErrorKind.CONNECTION
    assert "the 2 words that came" in dropped.value.message
    fake.scenario.drop_after_chunks = None
    with pytest.raises(AppError, match="is not a two-letter language code"):
        await translate_file(client, model=RT, pcm=tone(0.5, 24_000), language="english")
    with pytest.raises(AppError, match="heard no speech"):
        await translate_file(client, model=RT, pcm=b"")
    fake.rate_limit(retry_after=12, path="/v1/realtime/translations")
    with pytest.raises(AppError) as limited:
        await translate_file(client, model=RT, pcm=tone(0.5, 24_000))
    assert limited.value.kind is ErrorKind.RATE_LIMIT
    assert limited.value.retry_after == 12
    fake.state(RealtimeLog).translation_text = "Bonjour."
    result = await translate_file(client, model=RT, pcm=tone(0.5, 24_000), language="fr")
    assert result.text == "Bonjour."
