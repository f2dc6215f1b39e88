"""ChatService and ChatRequest against the fake server, through the real SDK."""

from __future__ import annotations

import json

import openai
import pytest

from playground.core.api.errors import AppError, ErrorKind
from playground.core.chat.service import ChatProgress, ChatRequest, ChatResult, ChatService
from playground.core.models import ImagePart, Message, ToolCall
from tests.fakes import openai_payloads as payloads
from tests.fakes.openai_server import DEFAULT_REPLY, FakeOpenAI

HELLO = (Message("user", "Hello"),)


async def _stream(
    fake: FakeOpenAI, request: ChatRequest
) -> tuple[ChatResult, list[tuple[int, str]]]:
    client = openai.AsyncOpenAI(base_url=fake.base_url, api_key="test", max_retries=0)
    deltas: list[tuple[int, str]] = []
    try:
        result = await ChatService(lambda: client).stream(
            request, lambda i, t: deltas.append((i, t))
        )
    finally:
        await client.close()
    return result, deltas


async def test_streams_text_and_usage(fake_openai: FakeOpenAI) -> None:
    result, deltas = await _stream(fake_openai, ChatRequest("gpt-4o-mini", HELLO))
    assert "".join(t for _, t in deltas) == DEFAULT_REPLY
    assert result.text == DEFAULT_REPLY
    assert result.finish_reason == "stop"
    assert result.usage.input_tokens == payloads.count_prompt_tokens(fake_openai.last().json or {})
    assert result.request_id.startswith("req_")
    assert result.system_fingerprint == "fp_fake000001"
    assert result.ttft_ms is not None


async def test_n_answers_arrive_separately(fake_openai: FakeOpenAI) -> None:
    result, deltas = await _stream(fake_openai, ChatRequest("gpt-4o-mini", HELLO, n=3))
    assert {i for i, _ in deltas} == {0, 1, 2}
    assert [c.index for c in result.choices] == [0, 1, 2]
    assert all(c.text == DEFAULT_REPLY for c in result.choices)


async def test_tool_calls_are_reassembled(fake_openai: FakeOpenAI) -> None:
    fake_openai.scenario.tool_calls = [("get_weather", '{"city": "Paris", "unit": "celsius"}')]
    tools = (
        {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}},
    )
    result, _ = await _stream(
        fake_openai, ChatRequest("gpt-4o-mini", HELLO, tools=tools, tool_choice="auto")
    )
    choice = result.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert len(choice.tool_calls) == 1
    call = choice.tool_calls[0]
    assert call.name == "get_weather"
    assert json.loads(call.arguments) == {"city": "Paris", "unit": "celsius"}
    assert call.id.startswith("call_")
    sent = fake_openai.last("/chat/completions").json or {}
    assert sent["tools"] == list(tools)
    assert sent["tool_choice"] == "auto"


async def test_logprobs_are_collected(fake_openai: FakeOpenAI) -> None:
    result, _ = await _stream(
        fake_openai, ChatRequest("gpt-4o-mini", HELLO, logprobs=True, top_logprobs=3)
    )
    tokens = result.choices[0].logprobs
    assert "".join(t.token for t in tokens) == DEFAULT_REPLY
    assert all(0 < t.probability <= 1 for t in tokens)
    assert all(len(t.top) == 3 for t in tokens)
    sent = fake_openai.last("/chat/completions").json or {}
    assert sent["logprobs"] is True
    assert sent["top_logprobs"] == 3


async def test_every_parameter_reaches_the_wire(fake_openai: FakeOpenAI) -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "required": ["a"],
        "additionalProperties": False,
    }
    request = ChatRequest(
        "gpt-4o-mini",
        HELLO,
        temperature=0.2,
        top_p=0.9,
        max_output_tokens=50,
        frequency_penalty=0.5,
        presence_penalty=-0.5,
        seed=42,
        stop=("END", "STOP"),
        n=2,
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "x", "schema": schema, "strict": True},
        },
    )
    await _stream(fake_openai, request)
    sent = fake_openai.last("/chat/completions").json or {}
    assert sent["temperature"] == 0.2
    assert sent["top_p"] == 0.9
    assert sent["max_completion_tokens"] == 50
    assert sent["frequency_penalty"] == 0.5
    assert sent["presence_penalty"] == -0.5
    assert sent["seed"] == 42
    assert sent["stop"] == ["END", "STOP"]
    assert sent["n"] == 2
    assert sent["response_format"]["json_schema"]["strict"] is True
    assert sent["stream_options"] == {"include_usage": True}


def test_reasoning_models_never_get_rejected_parameters() -> None:
    request = ChatRequest(
        "o3",
        HELLO,
        temperature=0.2,
        top_p=0.5,
        frequency_penalty=1.0,
        logprobs=True,
        stop=("x",),
        reasoning_effort="low",
        max_output_tokens=100,
    )
    body = request.to_api(stream=False)
    for name in ("temperature", "top_p", "frequency_penalty", "logprobs", "stop"):
        assert name not in body
    assert body["reasoning_effort"] == "low"
    assert body["max_completion_tokens"] == 100
    assert request.omitted() == ["temperature", "top_p", "frequency_penalty", "logprobs", "stop"]
    assert "reasoning_effort" not in ChatRequest(
        "gpt-4o-mini", HELLO, reasoning_effort="low"
    ).to_api(stream=False)


async def test_image_parts_and_tool_turns_are_sent_in_wire_shape(fake_openai: FakeOpenAI) -> None:
    image = ImagePart("data:image/png;base64,iVBORw0KGgo=", detail="low")
    call = ToolCall("call_1", "lookup", '{"q": "x"}')
    messages = (
        Message("user", "What is this?", images=(image,)),
        Message("assistant", "", tool_calls=(call,)),
        Message("tool", '{"answer": 1}', tool_call_id="call_1"),
    )
    await _stream(fake_openai, ChatRequest("gpt-4o-mini", messages))
    sent = (fake_openai.last("/chat/completions").json or {})["messages"]
    assert sent[0]["content"] == [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": image.url, "detail": "low"}},
    ]
    assert sent[1]["tool_calls"][0]["function"] == {"name": "lookup", "arguments": '{"q": "x"}'}
    assert sent[1]["content"] is None
    assert sent[2] == {"role": "tool", "content": '{"answer": 1}', "tool_call_id": "call_1"}


async def test_a_dropped_stream_keeps_what_arrived(fake_openai: FakeOpenAI) -> None:
    fake_openai.scenario.drop_after_chunks = 4
    client = openai.AsyncOpenAI(base_url=fake_openai.base_url, api_key="test", max_retries=0)
    progress = ChatProgress()
    try:
        with pytest.raises(AppError) as info:
            await ChatService(lambda: client).stream(
                ChatRequest("gpt-4o-mini", HELLO), lambda i, t: None, progress
            )
    finally:
        await client.close()
    assert info.value.kind == ErrorKind.CONNECTION
    assert progress.text.startswith("Hello!")
    assert progress.text != DEFAULT_REPLY
    assert progress.chunks == 3
