"""The live translation session (core/audio/live_translate.py `TranslationSession`) against the
fake `/v1/realtime/translations` WebSocket: audio handed over as it comes goes out in whole
200 ms frames, text arrives while audio still goes in, `finish()` flushes, the wait for
`session.closed` is bounded, and a socket that drops mid-take says so in plain words."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from openai import AsyncOpenAI

from playground.core.api.errors import AppError, ErrorKind
from playground.core.audio.live_translate import FRAME_BYTES, TranslationSession, translate_file
from tests.fakes import openai_payloads as payloads
from tests.fakes.openai_server import DEFAULT_TRANSCRIPT, FakeOpenAI
from tests.fakes.realtime import DEFAULT_TRANSLATION, RealtimeLog, RealtimeSession
from tests.unit.test_realtime_translate import tone

RT = "gpt-realtime-translate"
#: Not a multiple of the frame: the session has to cut and join the pieces.
PIECE = 7_000


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        server.scenario.models = [*server.scenario.models, RT]
        yield server


@pytest.fixture
async def client(fake: FakeOpenAI) -> AsyncIterator[AsyncOpenAI]:
    async with AsyncOpenAI(base_url=fake.base_url, api_key="test", max_retries=0) as c:
        yield c


async def until(predicate: Callable[[], object], what: str) -> None:
    """Lets the loop run until `predicate()` holds (the bound only stops a hang)."""

    async def _wait() -> None:
        while not predicate():  # noqa: ASYNC110 (the fake's state, on its own thread: no event)
            await asyncio.sleep(0.01)

    try:
        await asyncio.wait_for(_wait(), 10)
    except TimeoutError:
        pytest.fail(f"never happened: {what}")


def sent(state: RealtimeSession) -> list[bytes]:
    return [
        base64.b64decode(e["audio"]) for e in state.of_type("session.input_audio_buffer.append")
    ]


async def test_audio_goes_out_in_whole_frames_and_text_comes_while_it_does(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    fake.state(RealtimeLog).translate_as_heard = True
    pieces: list[str] = []
    source: list[str] = []
    speech: list[bytes] = []
    opened: list[bool] = []
    session = TranslationSession(
        client,
        model=RT,
        transcribe_model="gpt-live-transcribe",
        on_text=pieces.append,
        on_source=source.append,
        on_audio=speech.append,
        on_open=lambda: opened.append(True),
    )
    run = asyncio.ensure_future(session.run())
    pcm = tone(1.1, 24_000)  # 5 whole frames and a part
    # Handed over in pieces that are not frames, as a microphone delivers them.
    for offset in range(0, 5 * FRAME_BYTES, PIECE):
        session.append(pcm[offset : min(offset + PIECE, 5 * FRAME_BYTES)])
    await until(lambda: len(pieces) >= 3, "translated words while audio still went in")
    [state] = fake.realtime_sessions
    assert opened == [True]
    assert session.open
    assert state.of_type("session.close") == []
    assert all(len(frame) == FRAME_BYTES for frame in sent(state))
    assert "".join(pieces).strip() == " ".join(DEFAULT_TRANSLATION.split()[: len(pieces)])
    assert session.text == "".join(pieces).strip()
    assert source  # the source-language words come too, when a transcription model is set

    session.append(pcm[5 * FRAME_BYTES :])
    session.finish()
    session.append(b"\x00\x00" * 100)  # after finish: ignored
    result = await run
    frames = sent(state)
    assert [len(f) for f in frames] == [FRAME_BYTES] * 5 + [len(pcm) - 5 * FRAME_BYTES]
    assert b"".join(frames) == pcm
    assert state.events[-1]["type"] == "session.close"
    assert state.events[0]["session"]["audio"]["input"] == {
        "transcription": {"model": "gpt-live-transcribe"}
    }
    assert result.complete
    assert result.text == DEFAULT_TRANSLATION == "".join(pieces)
    assert result.source_text == DEFAULT_TRANSCRIPT == "".join(source)
    assert result.pcm == payloads.speech_pcm(DEFAULT_TRANSLATION) == b"".join(speech)
    assert result.seconds == pytest.approx(1.1)
    assert not session.open


async def test_finish_flushes_what_the_session_still_holds(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    """A session that answers only at the flush: nothing is lost at the end of the take."""
    pieces: list[str] = []
    session = TranslationSession(client, model=RT, on_text=pieces.append)
    run = asyncio.ensure_future(session.run())
    session.append(tone(0.5, 24_000))
    await until(lambda: fake.state(RealtimeLog).appended_bytes >= 2 * FRAME_BYTES, "two frames")
    assert pieces == []
    session.finish()
    result = await run
    assert result.complete
    assert result.text == DEFAULT_TRANSLATION
    assert result.source_text == ""  # none asked for
    [state] = fake.realtime_sessions
    assert "input" not in state.events[0]["session"]["audio"]


async def test_the_wait_for_the_flush_is_bounded(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    log = fake.state(RealtimeLog)
    log.translate_as_heard = True
    log.translation_ignores_close = True
    session = TranslationSession(client, model=RT, flush_timeout=0.2)
    run = asyncio.ensure_future(session.run())
    session.append(tone(0.6, 24_000))
    await until(lambda: session.text, "the first words")
    session.finish()
    # It ends although session.closed never comes (the outer bound only turns a hang into a
    # failure).
    result = await asyncio.wait_for(run, 10)
    assert session.timed_out
    assert not result.complete
    assert result.text == " ".join(DEFAULT_TRANSLATION.split()[:3])

    # Nothing came at all within the bound: said, not shown as an empty "Done".
    log.translate_as_heard = False
    quiet = TranslationSession(client, model=RT, flush_timeout=0.2)
    quiet.append(tone(0.2, 24_000))
    quiet.finish()
    with pytest.raises(AppError) as nothing:
        await asyncio.wait_for(quiet.run(), 10)
    assert nothing.value.kind is ErrorKind.TIMEOUT
    assert nothing.value.title == "No translation came"


async def test_a_socket_that_drops_mid_take_keeps_the_words_that_came(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    fake.state(RealtimeLog).translate_as_heard = True
    fake.scenario.drop_after_chunks = 2
    session = TranslationSession(client, model=RT)
    run = asyncio.ensure_future(session.run())
    session.append(tone(1.0, 24_000))
    with pytest.raises(AppError) as dropped:
        await run
    assert dropped.value.kind is ErrorKind.CONNECTION
    assert "the 2 words that came" in dropped.value.message
    assert session.text == " ".join(DEFAULT_TRANSLATION.split()[:2])
    assert not session.finishing
    session.append(tone(0.2, 24_000))  # the microphone goes on: nothing breaks


async def test_a_429_at_connect_is_a_rate_limit_with_its_wait(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    fake.rate_limit(retry_after=7, path="/v1/realtime/translations")
    session = TranslationSession(client, model=RT)
    session.append(tone(0.4, 24_000))
    with pytest.raises(AppError) as limited:
        await session.run()
    assert limited.value.kind is ErrorKind.RATE_LIMIT
    assert limited.value.retry_after == 7


async def test_an_error_event_ends_a_file_but_a_live_session_goes_on(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    fake.scenario.stream_error = {"code": "invalid_value", "message": "Transcription model busy"}
    with pytest.raises(AppError, match="Transcription model busy"):
        await translate_file(client, model=RT, pcm=tone(0.4, 24_000))
    reported: list[AppError] = []
    session = TranslationSession(client, model=RT, on_error=reported.append)
    session.append(tone(0.4, 24_000))
    session.finish()
    result = await session.run()
    [error] = reported
    assert error.title == "The live session reported an error"
    assert error.message == "Transcription model busy."
    assert error.hint == "The translation goes on."
    assert result.text == DEFAULT_TRANSLATION
