"""Background responses that stream: live text, picked up again after a drop or a restart from
the last event read (never twice), polled where the server cannot stream them, and failures in
plain words."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import openai
import pytest

from playground.core.api.errors import AppError
from playground.core.chat.responses import (
    BACKGROUND_DROPPED,
    BACKGROUND_POLLING,
    BACKGROUND_RECONNECTED,
    BACKGROUND_STARTED,
    BackgroundRun,
    ResponsesEngine,
)
from playground.core.chat.service import ChatProgress, ResponsesRequest
from playground.core.models import Message
from tests.fakes.openai_server import DEFAULT_REPLY, FakeOpenAI
from tests.fakes.responses import StoredResponses

HELLO = ResponsesRequest("gpt-4o-mini", (Message("user", "Hello"),))


@pytest.fixture
async def client(fake_openai: FakeOpenAI) -> AsyncIterator[openai.AsyncOpenAI]:
    client = openai.AsyncOpenAI(base_url=fake_openai.base_url, api_key="test", max_retries=0)
    yield client
    await client.close()


def _engine(client: openai.AsyncOpenAI, naps: list[float] | None = None) -> ResponsesEngine:
    async def nap(seconds: float) -> None:  # back-offs are counted, not waited for
        if naps is not None:
            naps.append(seconds)

    return ResponsesEngine(lambda: client, sleep=nap)


def _retrievals(fake: FakeOpenAI) -> list[dict[str, str]]:
    return [r.query for r in fake.requests if r.method == "GET" and "/responses/" in r.path]


async def _until(event: asyncio.Event) -> None:
    await asyncio.wait_for(event.wait(), 15)  # bounds a hang only


async def test_a_background_answer_streams_before_it_is_complete(
    fake_openai: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    stored = fake_openai.state(StoredResponses)
    stored.hold_after = 8  # created, in progress, the item, the part, then 4 words
    deltas: list[str] = []
    told: list[str] = []
    arrived = asyncio.Event()

    def on_delta(_index: int, text: str) -> None:
        deltas.append(text)
        arrived.set()

    run = BackgroundRun(listener=told.append)
    task = asyncio.ensure_future(_engine(client).stream_background(HELLO, on_delta, run=run))
    await _until(arrived)
    assert not task.done()  # the answer shows while the response still runs
    assert run.response_id is not None
    assert told[0] == BACKGROUND_STARTED
    stored.release()
    result = await task
    assert result.text == DEFAULT_REPLY == "".join(deltas)
    assert result.response_id == run.response_id
    assert result.finish_reason == "stop"
    assert result.usage is not None
    body = fake_openai.last("/responses").json or {}
    assert (body["background"], body["store"], body["stream"]) == (True, True, True)
    assert _retrievals(fake_openai) == []  # one stream, nothing picked up again


async def test_a_dropped_stream_goes_on_from_the_last_event_read(
    fake_openai: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    fake_openai.state(StoredResponses).drop_after = 6  # created … the first two words
    deltas: list[str] = []
    told: list[str] = []
    naps: list[float] = []
    run = BackgroundRun(listener=told.append)
    result = await _engine(client, naps).stream_background(
        HELLO, lambda _i, t: deltas.append(t), run=run
    )
    assert result.text == DEFAULT_REPLY == "".join(deltas)  # nothing lost, nothing twice
    (query,) = _retrievals(fake_openai)
    assert query == {"stream": "true", "starting_after": "5"}
    assert told == [BACKGROUND_STARTED, BACKGROUND_DROPPED, BACKGROUND_RECONNECTED]
    assert run.reconnects == 1
    assert naps == [0.5]


async def test_after_a_restart_only_the_rest_streams_in(
    fake_openai: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    stored = fake_openai.state(StoredResponses)
    stored.hold_after = 8
    shown: list[str] = []
    arrived = asyncio.Event()

    def on_delta(_index: int, text: str) -> None:
        shown.append(text)
        arrived.set()

    run = BackgroundRun()
    progress = ChatProgress()
    task = asyncio.ensure_future(
        _engine(client).stream_background(HELLO, on_delta, progress, run=run)
    )
    await _until(arrived)
    task.cancel()  # the window closed; the response runs on at OpenAI
    with pytest.raises(asyncio.CancelledError):
        await task
    saved_text, saved_after = progress.text, run.after
    assert saved_text
    assert saved_text == "".join(shown)
    assert saved_after is not None
    stored.release()
    # The next start: a fresh engine, the id, the last event read and the text shown.
    rest: list[str] = []
    again = BackgroundRun(after=saved_after)
    result = await _engine(client).follow_background(
        str(run.response_id), "gpt-4o-mini", lambda _i, t: rest.append(t), run=again,
        text=saved_text,
    )  # fmt: skip
    assert result.text == DEFAULT_REPLY
    assert saved_text + "".join(rest) == DEFAULT_REPLY
    assert _retrievals(fake_openai)[-1] == {"stream": "true", "starting_after": str(saved_after)}


async def test_with_nothing_saved_it_is_read_from_the_start(
    fake_openai: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    stored = fake_openai.state(StoredResponses)
    stored.hold_after = 5
    run = BackgroundRun()
    started = asyncio.Event()
    run.listener = lambda what: started.set()
    task = asyncio.ensure_future(
        _engine(client).stream_background(HELLO, lambda _i, _t: None, run=run)
    )
    await _until(started)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    stored.release()
    deltas: list[str] = []
    result = await _engine(client).follow_background(
        str(run.response_id), "gpt-4o-mini", lambda _i, t: deltas.append(t)
    )
    assert result.text == DEFAULT_REPLY == "".join(deltas)
    assert _retrievals(fake_openai)[-1] == {"stream": "true"}


async def test_a_server_that_cannot_stream_it_again_is_polled(
    fake_openai: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    stored = fake_openai.state(StoredResponses)
    stored.drop_after = 6
    stored.stream_retrieval = False
    deltas: list[str] = []
    told: list[str] = []
    result = await _engine(client).stream_background(
        HELLO, lambda _i, t: deltas.append(t), run=BackgroundRun(listener=told.append)
    )
    assert result.text == DEFAULT_REPLY == "".join(deltas)  # only the rest was added
    assert BACKGROUND_POLLING in told
    assert {"stream": "true", "starting_after": "5"} in _retrievals(fake_openai)
    assert _retrievals(fake_openai)[-1] == {}  # then plain retrievals until it was done


async def test_a_failed_background_response_says_so(
    fake_openai: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    fake_openai.scenario.response_failure = {
        "code": "server_error",
        "message": "The model crashed while answering.",
    }
    with pytest.raises(AppError) as caught:
        await _engine(client).stream_background(HELLO, lambda _i, _t: None)
    assert caught.value.title == "The response failed"
    assert "crashed" in caught.value.message
    assert _retrievals(fake_openai) == []  # a failure is not a drop


async def test_an_expired_background_response_says_so(client: openai.AsyncOpenAI) -> None:
    with pytest.raises(AppError) as caught:
        await _engine(client).follow_background("resp_gone", "gpt-4o-mini", lambda _i, _t: None)
    assert caught.value.title == "The answer is no longer on OpenAI"
    assert "30 days" in caught.value.message


async def test_a_cancelled_background_stream_says_so(
    fake_openai: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    stored = fake_openai.state(StoredResponses)
    stored.hold_after = 6
    engine = _engine(client)
    started = asyncio.Event()
    run = BackgroundRun(listener=lambda what: started.set())
    task = asyncio.ensure_future(engine.stream_background(HELLO, lambda _i, _t: None, run=run))
    await _until(started)
    await engine.cancel_background(str(run.response_id))
    with pytest.raises(AppError, match="cancelled"):
        await task
