"""The fake server's Responses family through the real SDK's typed models (a contract check)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import openai
import pytest
from openai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseTextDeltaEvent,
)

from tests.fakes.openai_server import DEFAULT_REPLY, FakeOpenAI

GPT6 = ["gpt-6-astra", "gpt-6.1-sol", "gpt-5-mini", "gpt-4o-mini"]


@pytest.fixture
async def client(fake_openai: FakeOpenAI) -> AsyncIterator[openai.AsyncOpenAI]:
    fake_openai.scenario.models = GPT6
    sdk = openai.AsyncOpenAI(base_url=fake_openai.base_url, api_key="test", max_retries=0)
    yield sdk
    await sdk.close()


async def test_the_stream_is_the_real_event_sequence(
    fake_openai: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    fake_openai.scenario.reasoning_summary = "Thinking."
    fake_openai.scenario.builtin_items = [
        {"type": "web_search_call", "action": {"type": "search", "query": "q"}},
        {"type": "code_interpreter_call", "code": "print(1)", "outputs": []},
    ]
    stream = await client.responses.create(
        model="gpt-6-astra",
        input="Hello",
        reasoning={"effort": "low", "summary": "auto"},
        tools=[{"type": "web_search"}, {"type": "code_interpreter", "container": {"type": "auto"}}],
        stream=True,
    )
    events = [event async for event in stream]
    kinds = [e.type for e in events]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] == "response.completed"
    for expected in (
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done",
        "response.web_search_call.searching",
        "response.web_search_call.completed",
        "response.code_interpreter_call_code.delta",
        "response.code_interpreter_call.interpreting",
        "response.content_part.added",
        "response.output_text.done",
        "response.content_part.done",
    ):
        assert expected in kinds
    assert [e.sequence_number for e in events] == list(range(len(events)))
    text = "".join(e.delta for e in events if isinstance(e, ResponseTextDeltaEvent))
    assert text == DEFAULT_REPLY
    done = events[-1]
    assert isinstance(done, ResponseCompletedEvent)
    assert done.response.output_text == DEFAULT_REPLY
    assert [item.type for item in done.response.output] == [
        "reasoning",
        "web_search_call",
        "code_interpreter_call",
        "message",
    ]


async def test_the_non_streamed_form_parses(
    fake_openai: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    response = await client.responses.create(model="gpt-4o-mini", input="Hello", store=False)
    assert isinstance(response, Response)
    assert response.output_text == DEFAULT_REPLY
    assert response.status == "completed"
    assert response.usage is not None
    assert response.usage.output_tokens > 0
    with pytest.raises(openai.NotFoundError):  # not stored
        await client.responses.retrieve(response.id)


async def test_input_tokens_are_counted(client: openai.AsyncOpenAI) -> None:
    short = await client.responses.input_tokens.count(model="gpt-4o-mini", input="Hi")
    long = await client.responses.input_tokens.count(
        model="gpt-4o-mini",
        input="Hi there, a much longer question than before",
        instructions="Be brief.",
    )
    assert 0 < short.input_tokens < long.input_tokens


async def test_background_responses_are_retrieved_and_cancelled(
    fake_openai: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    fake_openai.scenario.background_polls = 1
    started = await client.responses.create(model="gpt-4o-mini", input="Hello", background=True)
    assert started.status == "queued"
    assert (await client.responses.retrieve(started.id)).status == "in_progress"
    finished = await client.responses.retrieve(started.id)
    assert finished.status == "completed"
    assert finished.output_text == DEFAULT_REPLY
    other = await client.responses.create(model="gpt-4o-mini", input="Hello", background=True)
    cancelled = await client.responses.cancel(other.id)
    assert cancelled.status == "cancelled"
    assert (await client.responses.retrieve(other.id)).status == "cancelled"


async def test_previous_response_id_must_exist(client: openai.AsyncOpenAI) -> None:
    first = await client.responses.create(model="gpt-4o-mini", input="Hello")
    second = await client.responses.create(
        model="gpt-4o-mini", input="More", previous_response_id=first.id
    )
    assert second.previous_response_id == first.id
    with pytest.raises(openai.BadRequestError) as caught:
        await client.responses.create(
            model="gpt-4o-mini", input="More", previous_response_id="resp_unknown"
        )
    assert caught.value.param == "previous_response_id"


@pytest.mark.parametrize(
    ("model", "params", "param"),
    [
        ("gpt-6-astra", {"temperature": 0.5, "reasoning": {"effort": "high"}}, "temperature"),
        ("gpt-6-astra", {"top_p": 0.5}, "top_p"),
        ("gpt-6.1-sol", {"reasoning": {"effort": "none"}}, "reasoning.effort"),
        ("gpt-5-mini", {"reasoning": {"effort": "xhigh"}}, "reasoning.effort"),
        ("gpt-5-mini", {"temperature": 0.5}, "temperature"),
        ("gpt-4o-mini", {"reasoning": {"effort": "low"}}, "reasoning.effort"),
    ],
)
async def test_rejected_parameters_are_the_apis_400(
    client: openai.AsyncOpenAI, model: str, params: dict[str, object], param: str
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        await client.responses.create(model=model, input="Hi", **params)  # type: ignore[arg-type]
    assert caught.value.param == param
    assert param in caught.value.message


async def test_temperature_is_taken_at_effort_none_on_gpt6(client: openai.AsyncOpenAI) -> None:
    response = await client.responses.create(
        model="gpt-6-astra", input="Hi", temperature=0.5, top_p=0.9, reasoning={"effort": "none"}
    )
    assert response.output_text == DEFAULT_REPLY


async def test_failed_and_incomplete_responses(
    fake_openai: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    fake_openai.scenario.incomplete_reason = "content_filter"
    response = await client.responses.create(model="gpt-4o-mini", input="Hi")
    assert response.status == "incomplete"
    assert response.incomplete_details is not None
    assert response.incomplete_details.reason == "content_filter"
    fake_openai.scenario.incomplete_reason = None
    fake_openai.scenario.response_failure = {"code": "server_error", "message": "Boom"}
    stream = await client.responses.create(model="gpt-4o-mini", input="Hi", stream=True)
    events = [event async for event in stream]
    assert events[-1].type == "response.failed"
    fake_openai.scenario.response_failure = None
    fake_openai.scenario.stream_error = {"code": "server_error", "message": "Oops"}
    stream = await client.responses.create(model="gpt-4o-mini", input="Hi", stream=True)
    events = [event async for event in stream]
    assert events[-1].type == "error"
