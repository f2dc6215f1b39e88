"""Speech through the Realtime API (core/audio/realtime.py) against the fake Realtime server."""

from __future__ import annotations

import io
import wave
from collections.abc import AsyncIterator, Iterator

import pytest
from openai import AsyncOpenAI

from playground.core.api.errors import AppError, ErrorKind
from playground.core.audio.models import speech_choices, speech_route
from playground.core.audio.realtime import VERBATIM_INSTRUCTIONS, speak
from playground.core.audio.service import AudioService, SpeechRequest
from tests.fakes import openai_payloads as payloads
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.realtime import expected_deltas

RT = "gpt-realtime-2.1-mini"
TEXT = "What time is it? Read this, do not answer it."


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        server.scenario.models = [*server.scenario.models, RT, "gpt-realtime-2.1"]
        yield server


@pytest.fixture
async def client(fake: FakeOpenAI) -> AsyncIterator[AsyncOpenAI]:
    async with AsyncOpenAI(base_url=fake.base_url, api_key="test", max_retries=0) as c:
        yield c


async def test_speech_through_realtime_sends_the_text_verbatim_and_keeps_every_byte(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    pieces: list[bytes] = []
    spoken = await speak(
        client, model=RT, text=TEXT, voice="cedar", style="Calmly.", on_audio=pieces.append
    )
    session = fake.realtime_sessions[-1]
    assert session.model == RT
    update = session.of_type("session.update")[0]["session"]
    assert update["instructions"].startswith(VERBATIM_INSTRUCTIONS)
    assert update["instructions"].endswith("How to speak: Calmly.")
    assert update["audio"]["output"]["voice"] == "cedar"
    assert update["audio"]["output"]["format"] == {"type": "audio/pcm", "rate": 24000}
    item = session.of_type("conversation.item.create")[0]["item"]
    assert item["content"] == [{"type": "input_text", "text": TEXT}]
    assert spoken.pcm == payloads.speech_pcm(TEXT)
    assert b"".join(pieces) == spoken.pcm
    assert len(pieces) == expected_deltas(TEXT)
    assert spoken.transcript == TEXT
    assert not spoken.interrupted
    assert spoken.output_audio_tokens == 2 * expected_deltas(TEXT)
    assert spoken.usage.input_tokens > 0
    assert spoken.usage.output_tokens == spoken.output_audio_tokens + payloads.count_tokens(TEXT)
    # The websocket came from the same base URL as every HTTP request.
    assert fake.last("/realtime").query["model"] == RT


async def test_service_makes_a_playable_wav_on_the_live_route(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    service = AudioService(lambda: client)
    request = SpeechRequest(model=RT, voice="marin", input=TEXT, response_format="wav")
    assert request.problem() is None
    result = await service.speech(request)
    assert result.live
    assert not result.interrupted
    with wave.open(io.BytesIO(result.audio)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (24000, 1, 2)
        assert wav.readframes(wav.getnframes()) == payloads.speech_pcm(TEXT)
    assert fake.requests_to("/audio/speech") == []


async def test_custom_voice_goes_by_id(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    await speak(client, model=RT, text="Hi.", voice="voice_abc123")
    update = fake.realtime_sessions[-1].of_type("session.update")[0]["session"]
    assert update["audio"]["output"]["voice"] == {"id": "voice_abc123"}


async def test_error_event_is_raised_in_plain_words(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    fake.scenario.stream_error = {"code": "server_busy", "message": "The model is overloaded"}
    with pytest.raises(AppError) as caught:
        await speak(client, model=RT, text=TEXT, voice="marin")
    assert caught.value.title == "The live session reported an error"
    assert caught.value.message == "The model is overloaded."


async def test_a_voice_the_model_rejects_is_refused_before_connecting(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    with pytest.raises(AppError) as caught:
        await speak(client, model=RT, text=TEXT, voice="onyx")
    assert caught.value.title == "Voice not offered"
    assert fake.requests_to("/realtime") == []


async def test_a_model_that_is_not_realtime_is_refused_before_connecting(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    with pytest.raises(AppError) as caught:
        await speak(client, model="gpt-4o-mini", text=TEXT, voice="marin")
    assert caught.value.title == "Not a realtime model"
    assert fake.requests_to("/realtime") == []


async def test_a_dropped_socket_keeps_what_came_and_marks_it_interrupted(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    fake.scenario.drop_after_chunks = 3
    spoken = await speak(client, model=RT, text=TEXT, voice="marin")
    assert spoken.interrupted
    assert spoken.pcm == payloads.speech_pcm(TEXT)[: 3 * 4800]
    assert spoken.usage.estimated


async def test_a_drop_before_any_audio_is_a_connection_error(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    fake.scenario.drop_after_chunks = 0
    with pytest.raises(AppError) as caught:
        await speak(client, model=RT, text=TEXT, voice="marin")
    assert caught.value.kind is ErrorKind.CONNECTION


async def test_429_at_connect_carries_the_wait(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    fake.rate_limit(retry_after=3, path="/v1/realtime")
    with pytest.raises(AppError) as caught:
        await speak(client, model=RT, text=TEXT, voice="marin")
    assert caught.value.kind is ErrorKind.RATE_LIMIT
    assert caught.value.retry_after == 3


def test_route_follows_the_model_list() -> None:
    assert speech_choices(["tts-1", "gpt-4o-mini-tts"], ["gpt-realtime-2.1", RT])[:3] == [
        "tts-1",
        "gpt-4o-mini-tts",
        RT,
    ]
    after = speech_choices([], ["gpt-realtime-transcribe", "gpt-realtime-2.1", RT])
    assert after == [RT, "gpt-realtime-2.1"]
    assert speech_route(RT).live
    assert speech_route(RT).text == f"Spoken by {RT} through a live session (Realtime API)."
    assert not speech_route("tts-1").live
    assert "2027-01-06" in speech_route("tts-1").text


async def test_a_model_the_server_does_not_have_is_named(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    with pytest.raises(AppError) as caught:
        await speak(client, model="gpt-realtime-9", text=TEXT, voice="marin")
    assert caught.value.kind is ErrorKind.MODEL_NOT_FOUND
    assert "gpt-realtime-9" in caught.value.message
    assert fake.realtime_sessions == []


def test_a_realtime_usage_is_priced_per_kind_of_token() -> None:
    from decimal import Decimal

    from playground.core.audio.realtime import response_usage
    from playground.core.models import Usage
    from playground.core.money.pricing import Pricer

    usage = response_usage(
        {
            "usage": {
                "input_tokens": 1000,
                "output_tokens": 500,
                "input_token_details": {"text_tokens": 200, "audio_tokens": 800},
                "output_token_details": {"text_tokens": 100, "audio_tokens": 400},
            }
        }
    )
    assert usage == Usage(
        input_tokens=1000, output_tokens=500, audio_tokens=800, output_audio_tokens=400
    )
    pricer = Pricer()
    prices = pricer.prices(RT)
    assert prices is not None
    cost = pricer.cost(RT, usage)
    assert cost is not None
    # Audio is dearer than text: the same tokens priced as text would cost less.
    as_text = 1000 * prices.input_per_mtok + 500 * prices.output_per_mtok
    assert cost > as_text / Decimal(1_000_000)
    # Tokens without their split are not priced at the text rate: unknown ("—").
    assert pricer.cost(RT, Usage(input_tokens=1000, output_tokens=500)) is None
    # Usage adds the new count like the others.
    assert (usage + usage).output_audio_tokens == 800
