"""Retries the user can see (issue 20, item 10): the app, not the SDK, waits and says so."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from openai import AsyncOpenAI

from playground.core.api.errors import AppError, ErrorKind, from_exception
from playground.core.api.retry import RetryWait, retry_delay, with_retries
from playground.core.chat.service import ChatRequest, ChatService
from playground.core.models import Message
from tests.fakes.openai_server import DEFAULT_REPLY, FakeOpenAI

CHAT = "/chat/completions"


class Clock:
    """Records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
async def client(fake_openai: FakeOpenAI) -> AsyncIterator[AsyncOpenAI]:
    sdk = AsyncOpenAI(base_url=fake_openai.base_url, api_key="sk-test", max_retries=2)
    try:
        yield sdk
    finally:
        await sdk.close()


def _request() -> ChatRequest:
    return ChatRequest(model="gpt-4o-mini", messages=(Message("user", "Hi"),))


async def test_a_429_is_announced_at_once_and_waited_out_by_the_app(
    fake_openai: FakeOpenAI, client: AsyncOpenAI
) -> None:
    fake_openai.rate_limit(retry_after=3, path=CHAT)
    clock, waits = Clock(), list[RetryWait]()
    service = ChatService(lambda: client, sleep=clock.sleep)
    result = await service.stream(_request(), lambda _i, _t: None, on_wait=waits.append)
    assert result.text == DEFAULT_REPLY
    assert [(w.attempt, w.attempts, w.seconds) for w in waits] == [(2, 3, 3.0)]
    assert waits[0].error.kind == ErrorKind.RATE_LIMIT
    assert waits[0].text() == f"{waits[0].error.title}: retrying in 3 s (attempt 2 of 3)."
    assert waits[0].text(remaining=0).endswith("retrying now (attempt 2 of 3).")
    assert clock.waits == [3.0]
    # Two requests in all: the SDK did not retry on its own as well.
    assert len(fake_openai.requests_to(CHAT)) == 2


async def test_server_errors_back_off_and_the_last_failure_is_shown(
    fake_openai: FakeOpenAI, client: AsyncOpenAI
) -> None:
    fake_openai.fail_next(500, times=3, path=CHAT)
    clock, waits = Clock(), list[RetryWait]()
    service = ChatService(lambda: client, sleep=clock.sleep)
    with pytest.raises(AppError) as caught:
        await service.stream(_request(), lambda _i, _t: None, on_wait=waits.append)
    assert caught.value.kind == ErrorKind.SERVER
    assert [w.attempt for w in waits] == [2, 3]
    assert clock.waits == [0.5, 1.0]
    assert len(fake_openai.requests_to(CHAT)) == 3


async def test_what_a_retry_cannot_cure_is_not_retried(
    fake_openai: FakeOpenAI, client: AsyncOpenAI
) -> None:
    fake_openai.fail_next(401, path=CHAT)
    service = ChatService(lambda: client, sleep=Clock().sleep)
    with pytest.raises(AppError) as caught:
        await service.stream(_request(), lambda _i, _t: None)
    assert caught.value.kind == ErrorKind.AUTH
    assert len(fake_openai.requests_to(CHAT)) == 1


async def test_a_stream_that_showed_text_is_never_sent_again(
    fake_openai: FakeOpenAI, client: AsyncOpenAI
) -> None:
    fake_openai.scenario.drop_after_chunks = 3
    service = ChatService(lambda: client, sleep=Clock().sleep)
    with pytest.raises(AppError):
        await service.stream(_request(), lambda _i, _t: None)
    assert len(fake_openai.requests_to(CHAT)) == 1


async def test_stop_cancels_the_wait() -> None:
    started = asyncio.Event()

    async def fail() -> None:
        raise AppError(ErrorKind.SERVER, "Server error", "Down.")

    def announce(_wait: RetryWait) -> None:
        started.set()

    task = asyncio.ensure_future(
        with_retries(fail, attempts=3, to_error=from_exception, on_wait=announce)
    )
    await started.wait()  # the real asyncio.sleep is now running
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_delays() -> None:
    limited = AppError(ErrorKind.RATE_LIMIT, "Rate limit reached", "", retry_after=7)
    assert retry_delay(limited, 1) == 7
    assert retry_delay(AppError(ErrorKind.RATE_LIMIT, "", "", retry_after=600), 1) is None
    assert retry_delay(AppError(ErrorKind.QUOTA, "", ""), 1) is None
    assert retry_delay(AppError(ErrorKind.TIMEOUT, "", ""), 5) == 8.0


def _full_requests() -> list[ChatRequest]:
    from playground.core.chat.builtin_tools import WebSearchTool
    from playground.core.chat.service import ResponsesRequest
    from playground.core.models import ImagePart, ToolCall

    picture = ImagePart("data:image/png;base64,AAAA", "low")
    messages = [
        Message("system", "Be brief."),
        Message("user", "What is this?", images=(picture,)),
        Message("assistant", "", tool_calls=(ToolCall("c1", "look", "{}"),)),
        Message("tool", "a cat", tool_call_id="c1"),
        Message("user", "And now?"),
    ]
    tool = {"type": "function", "function": {"name": "look", "parameters": {"type": "object"}}}
    common = {
        "model": "gpt-4.1",
        "messages": messages,
        "temperature": 0.5,
        "max_output_tokens": 100,
        "tools": (tool,),
        "response_format": {"type": "json_object"},
    }
    return [
        ChatRequest(**common, stop=("x",), n=2, seed=1),  # type: ignore[arg-type]
        ResponsesRequest(**common, builtin_tools=(WebSearchTool(),)),  # type: ignore[arg-type]
    ]


def test_the_sdks_transform_leaves_the_engines_bodies_as_they_are() -> None:
    """`as_sent` skips the SDK's per-field transform of a request body; that is only sound while
    the transform changes nothing in the bodies the engines build."""
    from openai._utils import maybe_transform
    from openai.types.chat import completion_create_params
    from openai.types.responses import response_create_params

    from playground.core.api.retry import as_sent
    from playground.core.chat.responses import to_responses

    chat, responses = _full_requests()
    bodies = [
        (chat.to_api(stream=True), completion_create_params.CompletionCreateParamsStreaming),
        (
            to_responses(responses, stream=True),
            response_create_params.ResponseCreateParamsStreaming,
        ),
    ]
    for body, params in bodies:
        assert len(body) > 5  # the fields above made it into the body
        assert maybe_transform(body, params) == body
        sent = as_sent(body)
        assert {"model": sent["model"], "stream": sent["stream"], **sent["extra_body"]} == body
