"""Replies that are not what was asked for are never shown as finished (issue 20, items 1-3).

Each case is served byte for byte by the fake server (`fail_next` with a status of 200 and a raw
body) and read through the real SDK by the real services.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from openai import AsyncOpenAI

from playground.core.api.errors import AppError, ErrorKind
from playground.core.api.replies import unexpected_body
from playground.core.chat.service import ChatProgress, ChatRequest, ChatService
from playground.core.models import Message
from tests.fakes.openai_server import FakeOpenAI

CHAT = "/chat/completions"


def _chunk(content: str | None = None, finish: str | None = None) -> str:
    delta = {"content": content} if content is not None else {"role": "assistant"}
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    body = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "gpt-4o-mini"}
    return "data: " + json.dumps({**body, "choices": [choice]}) + "\n\n"


@pytest.fixture
async def service(fake_openai: FakeOpenAI) -> AsyncIterator[ChatService]:
    client = AsyncOpenAI(base_url=fake_openai.base_url, api_key="sk-test", max_retries=0)
    try:
        yield ChatService(lambda: client)
    finally:
        await client.close()


def _request() -> ChatRequest:
    return ChatRequest(model="gpt-4o-mini", messages=(Message("user", "Hi"),))


async def _stream(service: ChatService, progress: ChatProgress | None = None) -> str:
    parts: list[str] = []
    result = await service.stream(_request(), lambda _i, t: parts.append(t), progress)
    assert result.text == "".join(parts)
    return result.text


async def test_a_stream_that_just_stops_is_interrupted_and_keeps_its_text(
    fake_openai: FakeOpenAI, service: ChatService
) -> None:
    body = _chunk() + _chunk("The sky") + _chunk(" is")  # no finish_reason, no usage, no [DONE]
    fake_openai.fail_next(200, raw_body=body, content_type="text/event-stream", path=CHAT)
    progress = ChatProgress()
    with pytest.raises(AppError) as caught:
        await _stream(service, progress)
    assert caught.value.kind == ErrorKind.CONNECTION
    assert caught.value.title == "Answer interrupted"
    assert "kept" in caught.value.hint
    assert progress.text == "The sky is"


async def test_a_stream_with_its_finish_reason_but_no_done_is_complete(
    fake_openai: FakeOpenAI, service: ChatService
) -> None:
    body = _chunk() + _chunk("Blue.") + _chunk(finish="stop")
    fake_openai.fail_next(200, raw_body=body, content_type="text/event-stream", path=CHAT)
    assert await _stream(service) == "Blue."


async def test_an_html_page_says_what_it_is(fake_openai: FakeOpenAI, service: ChatService) -> None:
    page = "<!DOCTYPE html><html><head><title>Corporate sign-in</title></head><body>Log in</body></html>"
    fake_openai.fail_next(200, raw_body=page, content_type="text/html", path=CHAT)
    with pytest.raises(AppError) as caught:
        await _stream(service)
    error = caught.value
    assert error.kind == ErrorKind.INVALID_RESPONSE
    assert "web page" in error.message
    assert "Corporate sign-in" in error.message
    assert "proxy or login page" in error.message


async def test_plain_text_is_quoted(fake_openai: FakeOpenAI, service: ChatService) -> None:
    fake_openai.fail_next(200, raw_body="Service paused", content_type="text/plain", path=CHAT)
    with pytest.raises(AppError) as caught:
        await _stream(service)
    assert "Service paused" in caught.value.message


async def test_an_empty_200_is_not_an_answer(fake_openai: FakeOpenAI, service: ChatService) -> None:
    fake_openai.fail_next(200, raw_body="", content_type="text/event-stream", path=CHAT)
    with pytest.raises(AppError) as caught:
        await _stream(service)
    assert caught.value.title == "Empty answer"


async def test_a_server_that_ignores_stream_is_read_as_one_body(
    fake_openai: FakeOpenAI, service: ChatService
) -> None:
    reply = {
        "id": "chatcmpl-2",
        "object": "chat.completion",
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Whole answer."},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
    }
    fake_openai.fail_next(200, raw_body=json.dumps(reply), path=CHAT)
    result = await service.stream(_request(), lambda _i, _t: None)
    assert result.text == "Whole answer."
    assert result.finish_reason == "stop"
    assert result.usage is not None
    assert result.usage.output_tokens == 3


async def test_a_whole_body_keeps_each_tool_call_apart(
    fake_openai: FakeOpenAI, service: ChatService
) -> None:
    calls = [
        {"id": f"call_{i}", "type": "function", "function": {"name": n, "arguments": "{}"}}
        for i, n in enumerate(("weather", "time"))
    ]
    reply = {
        "id": "chatcmpl-3",
        "object": "chat.completion",
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": None, "tool_calls": calls},
                "finish_reason": "tool_calls",
            }
        ],
    }
    fake_openai.fail_next(200, raw_body=json.dumps(reply), path=CHAT)
    result = await service.stream(_request(), lambda _i, _t: None)
    assert [c.name for c in result.choices[0].tool_calls] == ["weather", "time"]


def test_unexpected_body_never_shows_a_key() -> None:
    error = unexpected_body("Bad key sk-proj-abcdefghijklmnopqrstuvwxyz012345", "text/plain")
    assert "abcdefghijklmnop" not in error.message
