"""ResponsesEngine and the request conversion against the fake server, through the real SDK."""

from __future__ import annotations

import json

import openai
import pytest

from playground.core.api.errors import AppError, ErrorKind
from playground.core.chat.builtin_tools import (
    CodeInterpreterTool,
    FileSearchTool,
    ImageGenerationTool,
    McpApproval,
    McpTool,
    UserLocation,
    WebSearchTool,
)
from playground.core.chat.engine import Api, Engine, engine_for
from playground.core.chat.responses import ResponsesEngine, responses_omitted, to_responses
from playground.core.chat.service import (
    ChatProgress,
    ChatRequest,
    ChatResult,
    ChatService,
    FunctionCallStarted,
    ProgressEvent,
    ReasoningDelta,
    ResponsesRequest,
    StepChanged,
)
from playground.core.models import ImagePart, Message, ToolCall
from tests.fakes.openai_server import DEFAULT_REPLY, FakeOpenAI
from tests.fakes.responses import StoredResponses, count_input_tokens

HELLO = (Message("user", "Hello"),)
GPT6 = ["gpt-6-astra", "gpt-6.1-sol", "gpt-6-sol", "gpt-4o-mini", "gpt-5-mini", "o3"]
PATH = "/responses"


async def _run(
    fake: FakeOpenAI,
    request: ChatRequest,
    engine_kind: Api = Api.RESPONSES,
    progress: ChatProgress | None = None,
) -> tuple[ChatResult, list[str], list[ProgressEvent]]:
    client = openai.AsyncOpenAI(base_url=fake.base_url, api_key="test", max_retries=0)
    deltas: list[str] = []
    events: list[ProgressEvent] = []
    progress = progress if progress is not None else ChatProgress()
    progress.listener = events.append
    engine: Engine = engine_for(engine_kind, lambda: client)
    try:
        result = await engine.stream(request, lambda _i, t: deltas.append(t), progress)
    finally:
        await client.close()
    return result, deltas, events


# -- the stream ----------------------------------------------------------------------------------


async def test_streams_text_usage_and_the_response_id(fake_openai: FakeOpenAI) -> None:
    result, deltas, _ = await _run(fake_openai, ResponsesRequest("gpt-4o-mini", HELLO))
    assert "".join(deltas) == DEFAULT_REPLY == result.text
    assert result.api == "responses"
    assert result.finish_reason == "stop"
    assert result.response_id is not None
    assert result.response_id.startswith("resp_")
    assert result.service_tier == "default"
    assert result.usage is not None
    assert result.usage.input_tokens == count_input_tokens(fake_openai.last(PATH).json or {})
    assert result.request_id is not None
    assert result.ttft_ms is not None


async def test_both_engines_give_the_same_text_for_one_conversation(
    fake_openai: FakeOpenAI,
) -> None:
    turns = (
        Message("system", "Be brief."),
        Message("user", "Hi"),
        Message("assistant", "Hello."),
        Message("user", "Tell me more"),
    )
    request = ResponsesRequest("gpt-4o-mini", turns, temperature=0.4)
    chat, chat_deltas, _ = await _run(fake_openai, request, Api.CHAT_COMPLETIONS)
    sent_chat = fake_openai.last("/chat/completions").json or {}
    responses, resp_deltas, _ = await _run(fake_openai, request, Api.RESPONSES)
    sent = fake_openai.last(PATH).json or {}
    assert chat.text == responses.text == DEFAULT_REPLY
    assert chat_deltas == resp_deltas
    assert chat.finish_reason == responses.finish_reason == "stop"
    assert chat.api == "chat.completions"
    assert chat.service_tier == responses.service_tier == "default"
    assert sent_chat["temperature"] == sent["temperature"] == 0.4
    assert sent["instructions"] == "Be brief."
    assert [i["role"] for i in sent["input"]] == ["user", "assistant", "user"]
    assert sent["store"] is False


async def test_reasoning_summary_streams_into_its_own_section(fake_openai: FakeOpenAI) -> None:
    fake_openai.scenario.models = GPT6
    fake_openai.scenario.reasoning_summary = "First I read it.\n\nThen I answer."
    fake_openai.scenario.reasoning_tokens = 40
    request = ResponsesRequest(
        "gpt-6-astra", HELLO, reasoning_effort="high", reasoning_summary="auto", verbosity="low"
    )
    result, _, events = await _run(fake_openai, request)
    assert result.reasoning_summary == "First I read it.\n\nThen I answer."
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    assert reasoning == result.reasoning_summary
    assert result.usage is not None
    assert result.usage.reasoning_tokens == 40
    sent = fake_openai.last(PATH).json or {}
    assert sent["reasoning"] == {"effort": "high", "summary": "auto"}
    assert sent["text"] == {"verbosity": "low"}
    assert result.text == DEFAULT_REPLY


async def test_function_calls_come_back_as_tool_calls(fake_openai: FakeOpenAI) -> None:
    fake_openai.scenario.tool_calls = [("get_weather", '{"city": "Paris"}')]
    tools = (
        {
            "type": "function",
            "function": {"name": "get_weather", "parameters": {"type": "object"}, "strict": True},
        },
    )
    request = ResponsesRequest(
        "gpt-4o-mini",
        HELLO,
        tools=tools,
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    )
    result, deltas, events = await _run(fake_openai, request)
    assert deltas == []
    choice = result.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert [(c.name, c.arguments) for c in choice.tool_calls] == [
        ("get_weather", '{"city": "Paris"}')
    ]
    assert choice.tool_calls[0].id.startswith("call_")
    assert any(isinstance(e, FunctionCallStarted) and e.name == "get_weather" for e in events)
    sent = fake_openai.last(PATH).json or {}
    assert sent["tools"] == [
        {
            "type": "function",
            "name": "get_weather",
            "parameters": {"type": "object"},
            "strict": True,
        }
    ]
    assert sent["tool_choice"] == {"type": "function", "name": "get_weather"}


async def test_refusal_is_kept_apart_from_the_text(fake_openai: FakeOpenAI) -> None:
    fake_openai.scenario.refusal_text = "I can't help with that."
    result, deltas, _ = await _run(fake_openai, ResponsesRequest("gpt-4o-mini", HELLO))
    assert deltas == []
    assert result.choices[0].refusal == "I can't help with that."


WEB = {
    "type": "web_search_call",
    "action": {
        "type": "search",
        "query": "weather paris",
        "sources": [{"type": "url", "url": "https://example.org/paris"}],
    },
}
FILES = {
    "type": "file_search_call",
    "queries": ["refund policy"],
    "results": [
        {
            "file_id": "file_1",
            "filename": "policy.pdf",
            "score": 0.91,
            "text": "Refunds in 30 days.",
        }
    ],
}
CODE = {
    "type": "code_interpreter_call",
    "code": "print(6 * 7)\nprint('done')",
    "outputs": [{"type": "logs", "logs": "42\ndone"}],
}
IMAGE = {"type": "image_generation_call", "result": "aGVsbG8=", "revised_prompt": "A red cat"}
MCP = {
    "type": "mcp_call",
    "server_label": "deepwiki",
    "name": "ask_question",
    "arguments": '{"q": "x"}',
    "output": "An answer",
}
MCP_DOWN = {**MCP, "error": {"type": "http_error", "message": "Server unreachable"}}
APPROVAL = {
    "type": "mcp_approval_request",
    "server_label": "deepwiki",
    "name": "ask_question",
    "arguments": '{"q": "x"}',
}
ALL_TOOLS = (
    WebSearchTool(
        context_size="low",
        allowed_domains=("example.org",),
        user_location=UserLocation(city="Paris"),
    ),
    FileSearchTool(("vs_1",), max_num_results=4),
    CodeInterpreterTool(),
    ImageGenerationTool(partial_images=1),
    McpTool("deepwiki", "https://mcp.example.org/sse", headers=(("Authorization", "Bearer s"),)),
)


async def test_every_built_in_tool_becomes_a_step(fake_openai: FakeOpenAI) -> None:
    fake_openai.scenario.builtin_items = [WEB, FILES, CODE, IMAGE, MCP]
    fake_openai.scenario.annotations = [
        {
            "type": "url_citation",
            "start_index": 0,
            "end_index": 5,
            "url": "https://example.org/paris",
            "title": "Paris",
        }
    ]
    request = ResponsesRequest("gpt-4o-mini", HELLO, builtin_tools=ALL_TOOLS)
    result, _, events = await _run(fake_openai, request)
    kinds = [s.kind for s in result.steps]
    assert kinds == [
        "web_search_call",
        "file_search_call",
        "code_interpreter_call",
        "image_generation_call",
        "mcp_call",
    ]
    assert all(s.status == "completed" for s in result.steps)
    web, files, code, image, mcp = result.steps
    assert web.queries == ("weather paris",)
    assert web.sources == ("https://example.org/paris",)
    assert "weather paris" in web.summary
    assert files.hits[0].filename == "policy.pdf"
    assert files.hits[0].score == 0.91
    assert "1 passage" in files.summary
    assert code.code == "print(6 * 7)\nprint('done')"
    assert code.output == "42\ndone"
    assert "2 lines" in code.summary
    assert image.images == ("aGVsbG8=",)
    assert image.output == "A red cat"
    assert mcp.output == "An answer"
    assert mcp.server_label == "deepwiki"
    assert result.citations[0].url == "https://example.org/paris"
    assert result.text == DEFAULT_REPLY
    # Steps were announced while they ran (added, then each status change and the partial image).
    changed = [e for e in events if isinstance(e, StepChanged)]
    assert {e.step.status for e in changed} >= {"in_progress", "searching", "completed"}
    assert any(e.step.kind == "image_generation_call" and e.step.images for e in changed)
    sent = fake_openai.last(PATH).json or {}
    assert [t["type"] for t in sent["tools"]] == [
        "web_search",
        "file_search",
        "code_interpreter",
        "image_generation",
        "mcp",
    ]
    assert sent["tools"][0] == {
        "type": "web_search",
        "search_context_size": "low",
        "filters": {"allowed_domains": ["example.org"]},
        "user_location": {"type": "approximate", "city": "Paris"},
    }
    assert sent["tools"][4]["headers"] == {"Authorization": "Bearer s"}
    assert "Bearer" not in repr(ALL_TOOLS[4])


async def test_an_mcp_server_that_is_down_is_a_failed_step_and_the_answer_stays(
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.scenario.builtin_items = [MCP_DOWN]
    request = ResponsesRequest("gpt-4o-mini", HELLO, builtin_tools=(ALL_TOOLS[4],))
    result, _, _ = await _run(fake_openai, request)
    (step,) = result.steps
    assert step.status == "failed"
    assert step.error == "Server unreachable"
    assert "failed" in step.summary
    assert result.text == DEFAULT_REPLY


async def test_an_mcp_approval_request_waits_for_the_user(fake_openai: FakeOpenAI) -> None:
    fake_openai.scenario.builtin_items = [APPROVAL]
    request = ResponsesRequest("gpt-4o-mini", HELLO, builtin_tools=(ALL_TOOLS[4],))
    result, _, _ = await _run(fake_openai, request)
    (step,) = result.steps
    assert step.kind == "mcp_approval_request"
    assert step.status == "awaiting_approval"
    assert step.tool_name == "ask_question"
    assert step.item_id.startswith("mcpr_")
    assert result.text == ""


@pytest.mark.parametrize("server_state", [False, True])
@pytest.mark.parametrize("approve", [True, False])
async def test_an_mcp_approval_goes_back_and_the_answer_follows(
    fake_openai: FakeOpenAI, approve: bool, server_state: bool
) -> None:
    fake_openai.scenario.builtin_items = [APPROVAL]
    mcp = (ALL_TOOLS[4],)
    first, _, _ = await _run(
        fake_openai, ResponsesRequest("gpt-4o-mini", HELLO, builtin_tools=mcp, store=server_state)
    )
    (request_step,) = first.steps
    turns = (*HELLO, Message("assistant", first.text))
    second, _, _ = await _run(
        fake_openai,
        ResponsesRequest(
            "gpt-4o-mini",
            turns,
            builtin_tools=mcp,
            mcp_approvals=(McpApproval(request_step, approve=approve),),
            previous_response_id=first.response_id if server_state else None,
        ),
    )
    sent = fake_openai.last(PATH).json or {}
    assert sent["input"][-1] == {
        "type": "mcp_approval_response",
        "approval_request_id": request_step.item_id,
        "approve": approve,
    }
    echoed = [i for i in sent["input"] if i.get("type") == "mcp_approval_request"]
    assert len(echoed) == (0 if server_state else 1)
    assert second.text == DEFAULT_REPLY
    if approve:
        (call,) = second.steps
        assert call.kind == "mcp_call"
        assert call.tool_name == "ask_question"
        assert call.output == "The MCP tool's answer."
    else:
        assert second.steps == ()


# -- faults --------------------------------------------------------------------------------------


async def test_incomplete_shows_its_reason_and_keeps_the_text(fake_openai: FakeOpenAI) -> None:
    result, _, _ = await _run(
        fake_openai, ResponsesRequest("gpt-4o-mini", HELLO, max_output_tokens=3)
    )
    assert result.incomplete_reason == "max_output_tokens"
    assert result.finish_reason == "length"
    assert result.text == "Hello! This"
    fake_openai.scenario.incomplete_reason = "content_filter"
    result, _, _ = await _run(fake_openai, ResponsesRequest("gpt-4o-mini", HELLO))
    assert result.incomplete_reason == "content_filter"
    assert result.finish_reason == "content_filter"


async def test_a_failed_response_raises_its_message_and_keeps_the_text(
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.scenario.response_failure = {
        "code": "server_error",
        "message": "The model crashed halfway.",
    }
    progress = ChatProgress()
    with pytest.raises(AppError) as caught:
        await _run(fake_openai, ResponsesRequest("gpt-4o-mini", HELLO), progress=progress)
    assert caught.value.message == "The model crashed halfway."
    assert caught.value.kind is ErrorKind.SERVER
    assert progress.text == DEFAULT_REPLY


async def test_an_error_event_raises_its_message(fake_openai: FakeOpenAI) -> None:
    fake_openai.scenario.stream_error = {
        "code": "invalid_prompt",
        "message": "Vector store vs_missing was not found.",
    }
    progress = ChatProgress()
    with pytest.raises(AppError) as caught:
        await _run(fake_openai, ResponsesRequest("gpt-4o-mini", HELLO), progress=progress)
    assert caught.value.message == "Vector store vs_missing was not found."
    assert caught.value.kind is ErrorKind.BAD_REQUEST
    assert progress.text == DEFAULT_REPLY


async def test_a_dropped_connection_keeps_the_text(fake_openai: FakeOpenAI) -> None:
    fake_openai.scenario.drop_after_chunks = 8  # created, in_progress, item, part, 4 deltas
    progress = ChatProgress()
    with pytest.raises(AppError) as caught:
        await _run(fake_openai, ResponsesRequest("gpt-4o-mini", HELLO), progress=progress)
    assert caught.value.kind is ErrorKind.CONNECTION
    assert progress.text == "Hello! This is a"


async def test_a_stream_that_ends_without_completed_is_interrupted(
    fake_openai: FakeOpenAI,
) -> None:
    events = [
        {"type": "response.created", "response": {"id": "resp_1", "status": "in_progress"}},
        {"type": "response.output_text.delta", "delta": "Half an ", "item_id": "m"},
        {"type": "response.output_text.delta", "delta": "answer", "item_id": "m"},
    ]
    body = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)
    fake_openai.fail_next(200, raw_body=body, content_type="text/event-stream", path=PATH)
    progress = ChatProgress()
    with pytest.raises(AppError) as caught:
        await _run(fake_openai, ResponsesRequest("gpt-4o-mini", HELLO), progress=progress)
    assert caught.value.title == "Answer interrupted"
    assert progress.text == "Half an answer"
    assert progress.response_id == "resp_1"


async def test_a_json_body_is_read_as_the_whole_response(fake_openai: FakeOpenAI) -> None:
    whole = {
        "id": "resp_whole",
        "object": "response",
        "status": "completed",
        "model": "gpt-4o-mini",
        "service_tier": "flex",
        "output": [
            {
                "type": "reasoning",
                "id": "rs_1",
                "summary": [{"type": "summary_text", "text": "Hm."}],
            },
            {**WEB, "id": "ws_1", "status": "completed"},
            {
                "type": "message",
                "id": "msg_1",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Whole answer.", "annotations": []}],
            },
        ],
        "usage": {
            "input_tokens": 5,
            "output_tokens": 3,
            "input_tokens_details": {"cached_tokens": 2},
            "output_tokens_details": {"reasoning_tokens": 1},
        },
    }
    fake_openai.fail_next(200, raw_body=json.dumps(whole), path=PATH)
    result, deltas, _ = await _run(fake_openai, ResponsesRequest("gpt-4o-mini", HELLO))
    assert deltas == ["Whole answer."]
    assert result.text == "Whole answer."
    assert result.reasoning_summary == "Hm."
    assert [s.kind for s in result.steps] == ["web_search_call"]
    assert result.service_tier == "flex"
    assert result.response_id == "resp_whole"
    assert result.usage is not None
    assert (result.usage.cached_tokens, result.usage.reasoning_tokens) == (2, 1)


async def test_a_web_page_says_so(fake_openai: FakeOpenAI) -> None:
    page = "<!DOCTYPE html><html><head><title>Sign in</title></head><body>Log in</body></html>"
    fake_openai.fail_next(200, raw_body=page, content_type="text/html", path=PATH)
    with pytest.raises(AppError, match="web page"):
        await _run(fake_openai, ResponsesRequest("gpt-4o-mini", HELLO))


async def test_a_failure_before_anything_arrived_is_retried_visibly(
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.fail_next(503, path=PATH)
    client = openai.AsyncOpenAI(base_url=fake_openai.base_url, api_key="test", max_retries=1)
    waits: list[float] = []

    async def no_sleep(seconds: float) -> None:
        waits.append(seconds)

    try:
        result = await ResponsesEngine(lambda: client, sleep=no_sleep).stream(
            ResponsesRequest("gpt-4o-mini", HELLO), lambda _i, _t: None, on_wait=lambda w: None
        )
    finally:
        await client.close()
    assert result.text == DEFAULT_REPLY
    assert len(waits) == 1
    assert len(fake_openai.requests_to(PATH)) == 2


async def test_a_rejected_parameter_is_the_apis_400(fake_openai: FakeOpenAI) -> None:
    fake_openai.scenario.models = GPT6
    fake_openai.fail_next(400, message="Unsupported parameter: 'top_p'", param="top_p", path=PATH)
    with pytest.raises(AppError) as caught:
        await _run(fake_openai, ResponsesRequest("gpt-6-astra", HELLO))
    assert caught.value.status == 400
    assert "top_p" in (caught.value.text + caught.value.details)


async def test_a_vector_store_that_does_not_exist_is_said(fake_openai: FakeOpenAI) -> None:
    fake_openai.scenario.vector_stores = ["vs_real"]
    request = ResponsesRequest("gpt-4o-mini", HELLO, builtin_tools=(FileSearchTool(("vs_gone",)),))
    with pytest.raises(AppError) as caught:
        await _run(fake_openai, request)
    assert caught.value.status == 400
    assert "vs_gone" in caught.value.text + caught.value.details


async def test_a_tool_the_model_does_not_support_is_said(fake_openai: FakeOpenAI) -> None:
    fake_openai.scenario.models = ["gpt-4.1-nano"]
    request = ResponsesRequest("gpt-4.1-nano", HELLO, builtin_tools=(WebSearchTool(),))
    with pytest.raises(AppError) as caught:
        await _run(fake_openai, request)
    assert caught.value.status == 400
    assert "web_search" in caught.value.text + caught.value.details


@pytest.mark.parametrize("api", [Api.CHAT_COMPLETIONS, Api.RESPONSES])
async def test_both_engines_announce_a_function_call(fake_openai: FakeOpenAI, api: Api) -> None:
    fake_openai.scenario.tool_calls = [("lookup", '{"q": 1}')]
    tools = (
        {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}},
    )
    result, _, events = await _run(
        fake_openai, ResponsesRequest("gpt-4o-mini", HELLO, tools=tools), api
    )
    started = [e for e in events if isinstance(e, FunctionCallStarted)]
    assert [e.name for e in started] == ["lookup"]
    assert started[0].call_id == result.choices[0].tool_calls[0].id
    assert result.finish_reason == "tool_calls"


async def test_the_exact_input_count_matches_what_the_reply_reports(
    fake_openai: FakeOpenAI,
) -> None:
    request = ResponsesRequest("gpt-4o-mini", (Message("system", "Be brief."), *HELLO))
    client = openai.AsyncOpenAI(base_url=fake_openai.base_url, api_key="test", max_retries=2)
    try:
        counted = await ResponsesEngine(lambda: client).input_tokens(request)
    finally:
        await client.close()
    result, _, _ = await _run(fake_openai, request)
    assert result.usage is not None
    assert counted == result.usage.input_tokens
    sent = fake_openai.last("/responses/input_tokens").json or {}
    assert "stream" not in sent
    assert "store" not in sent


async def test_an_input_count_that_fails_is_an_app_error(fake_openai: FakeOpenAI) -> None:
    fake_openai.fail_next(404, path="/responses/input_tokens", message="Invalid URL")
    client = openai.AsyncOpenAI(base_url=fake_openai.base_url, api_key="test", max_retries=0)
    try:
        with pytest.raises(AppError):
            await ResponsesEngine(lambda: client).input_tokens(
                ResponsesRequest("gpt-4o-mini", HELLO)
            )
    finally:
        await client.close()


# -- conversation state --------------------------------------------------------------------------


async def test_previous_response_id_sends_only_the_new_turn(fake_openai: FakeOpenAI) -> None:
    first, _, _ = await _run(fake_openai, ResponsesRequest("gpt-4o-mini", HELLO, store=True))
    assert first.response_id in fake_openai.state(StoredResponses).items
    turns = (
        Message("system", "Be brief."),
        *HELLO,
        Message("assistant", first.text),
        Message("user", "And now?"),
    )
    second, _, _ = await _run(
        fake_openai,
        ResponsesRequest("gpt-4o-mini", turns, previous_response_id=first.response_id),
    )
    sent = fake_openai.last(PATH).json or {}
    assert sent["previous_response_id"] == first.response_id
    assert sent["input"] == [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "And now?"}]}
    ]
    assert sent["instructions"] == "Be brief."
    assert sent["store"] is True
    assert second.text == DEFAULT_REPLY


async def test_an_unknown_previous_response_is_a_400(fake_openai: FakeOpenAI) -> None:
    with pytest.raises(AppError) as caught:
        await _run(
            fake_openai, ResponsesRequest("gpt-4o-mini", HELLO, previous_response_id="resp_gone")
        )
    assert caught.value.status == 400
    assert "resp_gone" in (caught.value.text + caught.value.details)


# -- request conversion --------------------------------------------------------------------------


def test_turns_become_typed_input_items() -> None:
    call = ToolCall("call_1", "get_weather", '{"city": "Paris"}')
    turns = (
        Message("system", "Sys"),
        Message("user", "Look", images=(ImagePart("data:image/png;base64,AAA", "low"),)),
        Message("assistant", "", tool_calls=(call,)),
        Message("tool", "18 C", tool_call_id="call_1"),
        Message("assistant", "It is 18 C."),
    )
    body = to_responses(ResponsesRequest("gpt-4o-mini", turns), stream=False)
    assert body["instructions"] == "Sys"
    assert body["input"] == [
        {
            "type": "message",
            "role": "user",
            "content": [
                {"type": "input_text", "text": "Look"},
                {"type": "input_image", "image_url": "data:image/png;base64,AAA", "detail": "low"},
            ],
        },
        {
            "type": "function_call",
            "call_id": "call_1",
            "name": "get_weather",
            "arguments": '{"city": "Paris"}',
        },
        {"type": "function_call_output", "call_id": "call_1", "output": "18 C"},
        {"type": "message", "role": "assistant", "content": "It is 18 C."},
    ]
    assert "stream" not in body


def test_json_schema_becomes_text_format() -> None:
    schema = {"type": "object", "properties": {}}
    request = ResponsesRequest(
        "gpt-4o-mini",
        HELLO,
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "answer", "schema": schema, "strict": True},
        },
        service_tier="flex",
        max_output_tokens=99,
    )
    body = to_responses(request)
    assert body["text"] == {
        "format": {"type": "json_schema", "name": "answer", "schema": schema, "strict": True}
    }
    assert body["service_tier"] == "flex"
    assert body["max_output_tokens"] == 99
    assert body["stream"] is True


@pytest.mark.parametrize(
    ("model", "effort", "sent"),
    [
        ("gpt-6-astra", "none", True),
        ("gpt-6-astra", "low", False),
        ("gpt-6-astra", None, False),
        ("gpt-5-mini", "minimal", False),
        ("gpt-4o-mini", None, True),
    ],
)
def test_sampling_and_logprobs_only_where_the_model_takes_them(
    model: str, effort: str | None, sent: bool
) -> None:
    request = ResponsesRequest(
        model,
        HELLO,
        temperature=0.5,
        top_p=0.9,
        logprobs=True,
        top_logprobs=3,
        reasoning_effort=effort,
    )
    body = to_responses(request)
    assert ("temperature" in body) is sent
    assert ("top_logprobs" in body) is sent
    assert ("temperature" in responses_omitted(request)) is not sent
    assert ("temperature" in request.to_api(stream=True)) is sent  # Chat Completions agrees


def test_an_effort_the_model_lacks_is_left_out_and_said() -> None:
    request = ResponsesRequest("gpt-6.1-sol", HELLO, reasoning_effort="none")
    assert "reasoning" not in to_responses(request)
    assert "reasoning_effort" in responses_omitted(request)
    assert "reasoning_effort" in request.omitted()


def test_new_fields_leave_chat_completions_bodies_unchanged() -> None:
    request = ChatRequest("gpt-4o-mini", HELLO, temperature=0.3, max_output_tokens=10)
    same = ResponsesRequest("gpt-4o-mini", HELLO, temperature=0.3, max_output_tokens=10)
    assert same.to_api(stream=True) == request.to_api(stream=True)
    assert to_responses(same) == to_responses(request)
    tiered = ResponsesRequest("gpt-5-mini", HELLO, service_tier="flex", verbosity="low")
    assert tiered.to_api(stream=False)["service_tier"] == "flex"
    assert tiered.to_api(stream=False)["verbosity"] == "low"
    assert request.to_api(stream=True) == {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "Hello"}],
        "temperature": 0.3,
        "max_completion_tokens": 10,
        "stream": True,
        "stream_options": {"include_usage": True},
    }


async def test_logprobs_at_effort_none_reach_the_result(fake_openai: FakeOpenAI) -> None:
    fake_openai.scenario.models = GPT6
    request = ResponsesRequest(
        "gpt-6-astra",
        HELLO,
        reasoning_effort="none",
        temperature=0.2,
        logprobs=True,
        top_logprobs=2,
    )
    result, _, _ = await _run(fake_openai, request)
    assert "".join(t.token for t in result.choices[0].logprobs) == DEFAULT_REPLY
    assert len(result.choices[0].logprobs[0].top) == 2


def test_chat_service_is_an_engine() -> None:
    engines: list[Engine] = [ChatService(lambda: None), ResponsesEngine(lambda: None)]
    assert len(engines) == 2
