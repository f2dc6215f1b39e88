"""View code and Paste request for the Responses API: `client.responses.create`, `/responses`, and
a pasted Responses body or curl read back into a `ResponsesRequest`."""

from __future__ import annotations

import ast
import json

from playground.core.chat.builtin_tools import FileSearchTool, McpTool, WebSearchTool
from playground.core.chat.codegen import (
    code_views,
    parse_request,
    to_curl,
    to_json,
    to_python,
)
from playground.core.chat.responses import to_responses
from playground.core.chat.service import ChatRequest, ResponsesRequest
from playground.core.models import Message

REQUEST = ResponsesRequest(
    model="gpt-6-sol",
    messages=(Message("system", "Be brief."), Message("user", "Hi")),
    reasoning_effort="none",
    temperature=0.5,
    reasoning_summary="auto",
    verbosity="low",
    service_tier="flex",
    builtin_tools=(WebSearchTool(context_size="high"), FileSearchTool(vector_store_ids=("vs_1",))),
)


def test_json_is_the_body_the_engine_sends() -> None:
    assert json.loads(to_json(REQUEST, stream=True)) == to_responses(REQUEST, stream=True)
    chat = json.loads(to_json(REQUEST, stream=True, api="chat.completions"))
    assert "messages" in chat
    assert "input" not in chat


def test_curl_and_python_call_responses() -> None:
    curl = to_curl(REQUEST, stream=True)
    assert "https://api.openai.com/v1/responses -N" in curl
    python = to_python(REQUEST, base_url=None, stream=False)
    assert "response = client.responses.create(" in python
    assert "print(response.output_text)" in python
    call = python[python.index("client.responses.create(") :]
    module = ast.parse(python)
    assert module.body  # valid Python
    assert "temperature=0.5" in call
    streamed = to_python(REQUEST, base_url=None, stream=True)
    assert "response.output_text.delta" in streamed
    views = code_views(ChatRequest(model="gpt-4o", messages=(Message("user", "x"),)),
                       base_url=None, stream=True, api="responses")  # fmt: skip
    assert "/responses" in views.curl
    assert "client.responses.create" in views.python


def test_pasted_responses_body_round_trips() -> None:
    parsed = parse_request(to_json(REQUEST, stream=True))
    assert parsed.ok, parsed.messages_for_user()
    assert parsed.api == "responses"
    assert parsed.stream
    request = parsed.request
    assert isinstance(request, ResponsesRequest)
    assert request.messages == REQUEST.messages
    assert request.temperature == 0.5
    assert request.reasoning_effort == "none"
    assert (request.reasoning_summary, request.verbosity, request.service_tier) == (
        "auto",
        "low",
        "flex",
    )
    assert request.builtin_tools == REQUEST.builtin_tools
    assert to_responses(request) == to_responses(REQUEST)


def test_pasted_responses_curl_with_an_mcp_header_drops_the_header() -> None:
    body = {
        "model": "gpt-6-astra",
        "input": "Look it up",
        "tools": [
            {
                "type": "mcp",
                "server_label": "docs",
                "server_url": "https://mcp.example/mcp",
                "headers": {"Authorization": "Bearer abc"},
            }
        ],
        "frobnicate": 1,
    }
    text = (
        "curl https://api.openai.com/v1/responses -H 'Authorization: Bearer $OPENAI_API_KEY' "
        f"-d '{json.dumps(body)}'"
    )
    parsed = parse_request(text)
    assert parsed.api == "responses"
    assert parsed.base_url == "https://api.openai.com/v1"
    assert isinstance(parsed.request, ResponsesRequest)
    assert parsed.request.builtin_tools == (
        McpTool(server_label="docs", server_url="https://mcp.example/mcp"),
    )
    assert parsed.request.messages == (Message("user", "Look it up"),)
    assert "frobnicate" in parsed.ignored
    assert any("headers" in n for n in parsed.notes)


def test_function_calls_and_outputs_become_turns() -> None:
    body = {
        "model": "gpt-6-sol",
        "input": [
            {"role": "user", "content": [{"type": "input_text", "text": "Weather?"}]},
            {"type": "function_call", "call_id": "c1", "name": "get_weather", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "sunny"},
        ],
        "tools": [{"type": "function", "name": "get_weather", "parameters": {"type": "object"}}],
    }
    parsed = parse_request(json.dumps(body))
    assert parsed.ok, parsed.messages_for_user()
    request = parsed.request
    assert request is not None
    assert [m.role for m in request.messages] == ["user", "assistant", "tool"]
    assert request.messages[1].tool_calls[0].name == "get_weather"
    assert request.tools[0]["function"]["name"] == "get_weather"


def test_a_chat_body_stays_chat_completions() -> None:
    parsed = parse_request('{"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]}')
    assert parsed.api == "chat.completions"
    assert type(parsed.request) is ChatRequest
