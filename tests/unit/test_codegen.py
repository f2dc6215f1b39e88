"""View code (JSON, curl, Python) and paste-to-fill (`parse_request`).

The generated curl and Python are also run for real against the loopback fake server, so "the code
sends exactly this body" is checked end to end, not only by reading the text.
"""

from __future__ import annotations

import ast
import json
import os
import random
import shutil
import subprocess
import sys
from typing import Any

import pytest

from playground.core.chat.codegen import (
    DEFAULT_BASE_URL,
    KEY_REMOVED,
    PARAM_FIELDS,
    ParsedRequest,
    chat_params_from_dict,
    chat_params_to_dict,
    code_views,
    parse_request,
    shorten_data_url,
    to_curl,
    to_json,
    to_python,
)
from playground.core.chat.service import ChatRequest
from playground.core.models import ImagePart, Message, ToolCall
from tests.fakes.openai_server import DEFAULT_REPLY, FakeOpenAI

KEY = "sk-proj-CODEGENKEY0123456789abcdefZZZZ"
PNG = "data:image/png;base64," + "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4" * 40

WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
SCHEMA: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {
        "name": "answer",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {"text": {"type": "string"}},
            "required": ["text"],
            "additionalProperties": False,
        },
    },
}


def _user(text: str) -> tuple[Message, ...]:
    return (Message("user", text),)


# Requests that survive `to_api` unchanged (each parameter is one its model accepts), so that
# request -> text -> parse gives the same ChatRequest back.
ROUND_TRIP: dict[str, ChatRequest] = {
    "minimal": ChatRequest(model="gpt-4o-mini", messages=_user("Hello!")),
    "every classic parameter": ChatRequest(
        model="gpt-4o",
        messages=(Message("system", "You are terse."), Message("user", "Hi")),
        temperature=0.7,
        top_p=0.9,
        max_output_tokens=256,
        frequency_penalty=-0.5,
        presence_penalty=1.5,
        seed=42,
        stop=("END", "\n\n"),
        n=2,
        logprobs=True,
        top_logprobs=5,
        response_format=SCHEMA,
        tools=(WEATHER_TOOL,),
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    ),
    "reasoning model": ChatRequest(
        model="o3",
        messages=(Message("developer", "Think step by step."), Message("user", "2+2?")),
        max_output_tokens=1000,
        reasoning_effort="high",
    ),
    "images and tool calls": ChatRequest(
        model="gpt-4o",
        messages=(
            Message(
                "user",
                "What is in these?",
                images=(ImagePart(PNG, "high"), ImagePart("https://example.com/a.jpg", "low")),
            ),
            Message("user", "", images=(ImagePart("https://example.com/b.png"),)),
            Message(
                "assistant",
                "",
                tool_calls=(
                    ToolCall("call_1", "get_weather", '{"city": "Paris"}'),
                    ToolCall("call_2", "get_weather", '{"city": "Oslo"}'),
                ),
            ),
            Message("tool", '{"temp": 21}', tool_call_id="call_1"),
            Message("tool", '{"temp": -3}', tool_call_id="call_2"),
            Message("assistant", "Paris is warmer.", name="bot"),
        ),
        tools=(WEATHER_TOOL,),
        tool_choice="auto",
    ),
    "awkward text": ChatRequest(
        model="gpt-4o-mini",
        messages=(
            Message(
                "system", "It's \"quoted\" and 'single' \\ back\\slash $HOME `pwd` $(id) %PATH%"
            ),
            Message(
                "user",
                "Ünïcödé ✓ 日本語 🙂\nline two\ttab\r\n'''\"\"\"\u2028 ^ & | ; > < # -d",
                name="alice",
            ),
        ),
        stop=("'", '"', "\\"),
    ),
}


def _recorded_body(fake: FakeOpenAI) -> dict[str, Any]:
    body = fake.last("/chat/completions").json
    assert body is not None
    return body


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment without anything the SDK or curl would pick up from this machine."""
    drop = ("OPENAI_", "AZURE_OPENAI_", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "CURL_")
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(drop)}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env.update(extra)
    return env


def _create_kwargs(code: str) -> dict[str, Any]:
    """The literal keyword arguments of the `client.chat.completions.create(...)` call."""
    tree = ast.parse(code)
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "client.chat.completions.create"
    ]
    assert len(calls) == 1
    return {kw.arg: ast.literal_eval(kw.value) for kw in calls[0].keywords if kw.arg}


# --- JSON ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("name", list(ROUND_TRIP))
def test_json_is_exactly_the_api_body(name: str, stream: bool) -> None:
    request = ROUND_TRIP[name]
    text = to_json(request, stream=stream)
    assert json.loads(text) == request.to_api(stream=stream)
    assert text == json.dumps(request.to_api(stream=stream), indent=2, ensure_ascii=False)


def test_json_drops_what_the_model_rejects_like_the_app_does() -> None:
    request = ChatRequest(model="o3", messages=_user("x"), temperature=0.3, logprobs=True)
    body = json.loads(to_json(request, stream=False))
    assert "temperature" not in body
    assert "logprobs" not in body


# --- shortening image data ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shortened"),
    [
        ("https://example.com/" + "a" * 500, False),
        ("data:image/png;base64,iVBORw0KGgo=", False),
        (PNG, True),
        ("DATA:image/jpeg;base64," + "A" * 1000, True),
    ],
)
def test_shorten_data_url(url: str, shortened: bool) -> None:
    short = shorten_data_url(url)
    if not shortened:
        assert short == url
        return
    assert len(short) < 100
    assert short.startswith(url[:40])
    assert "characters]" in short


def test_copied_code_keeps_image_data_and_display_shortens_it() -> None:
    request = ROUND_TRIP["images and tool calls"]
    for exact in (
        to_json(request, stream=False),
        to_curl(request, stream=False),
        to_python(request, base_url=None, stream=False),
    ):
        assert PNG in exact
        assert "shortened" not in exact

    views = code_views(request, base_url=None, stream=False)
    assert views.shortened == 1
    assert "shortened for display" in views.note
    for shown in (views.json, views.curl, views.python):
        assert PNG not in shown
        assert PNG[:50] in shown
        assert "https://example.com/a.jpg" in shown
    assert "shortened for display" in views.python
    assert "shortened for display" in views.curl
    compile(views.python, "<view>", "exec")

    exact_views = code_views(request, base_url=None, stream=False, abbreviate_data=False)
    assert exact_views.shortened == 0
    assert exact_views.note == ""
    assert exact_views.json == to_json(request, stream=False)


def test_nothing_to_shorten_gives_no_note() -> None:
    views = code_views(ROUND_TRIP["minimal"], base_url=None, stream=True)
    assert views.note == ""
    assert views.shortened == 0
    assert views.curl == to_curl(ROUND_TRIP["minimal"], stream=True)


# --- curl ----------------------------------------------------------------------------------------


def test_curl_looks_like_the_docs() -> None:
    text = to_curl(ROUND_TRIP["minimal"], base_url=None, stream=False)
    assert text.splitlines()[:3] == [
        "curl https://api.openai.com/v1/chat/completions \\",
        '  -H "Content-Type: application/json" \\',
        '  -H "Authorization: Bearer $OPENAI_API_KEY" \\',
    ]
    assert text.splitlines()[3] == "  -d '{"
    assert text.endswith("  }'")


@pytest.mark.parametrize(
    ("kwargs", "url"),
    [
        ({}, "https://api.openai.com/v1/chat/completions"),
        ({"base_url": "http://localhost:11434/v1/"}, "http://localhost:11434/v1/chat/completions"),
        (
            {
                "base_url": "https://res.openai.azure.com",
                "azure": True,
                "api_version": "2024-10-21",
            },
            "'https://res.openai.azure.com/openai/deployments/gpt-4o-mini/chat/completions"
            "?api-version=2024-10-21'",
        ),
        (
            {"azure": True, "deployment": "my dep"},
            '"$AZURE_OPENAI_ENDPOINT/openai/deployments/my%20dep/chat/completions'
            '?api-version=$OPENAI_API_VERSION"',
        ),
        (
            {"base_url": "https://res.openai.azure.com/openai/v1", "azure": True},
            "https://res.openai.azure.com/openai/v1/chat/completions",
        ),
    ],
)
def test_curl_url(kwargs: dict[str, Any], url: str) -> None:
    text = to_curl(ROUND_TRIP["minimal"], stream=False, **kwargs)
    assert text.splitlines()[0] == f"curl {url} \\"
    if kwargs.get("azure"):
        assert '-H "api-key: $AZURE_OPENAI_API_KEY"' in text
        assert "Authorization" not in text
    else:
        assert '-H "Authorization: Bearer $OPENAI_API_KEY"' in text


def test_streamed_curl_does_not_buffer() -> None:
    assert " -N \\" in to_curl(ROUND_TRIP["minimal"], stream=True).splitlines()[0]


needs_curl = pytest.mark.skipif(
    shutil.which("curl") is None or shutil.which("bash") is None, reason="needs curl and bash"
)


@needs_curl
@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("name", list(ROUND_TRIP))
def test_curl_runs_and_sends_exactly_the_body(
    fake_openai: FakeOpenAI, name: str, stream: bool
) -> None:
    fake_openai.scenario.api_key = KEY
    fake_openai.scenario.models = ["gpt-4o", "gpt-4o-mini", "o3"]
    request = ROUND_TRIP[name]
    command = to_curl(request, base_url=fake_openai.base_url, stream=stream)
    done = subprocess.run(
        ["bash", "-c", command + " --silent --show-error"],
        env=_clean_env(OPENAI_API_KEY=KEY),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert _recorded_body(fake_openai) == request.to_api(stream=stream)
    assert fake_openai.last().headers["authorization"] == f"Bearer {KEY}"
    assert ("data: [DONE]" in done.stdout) is stream


@needs_curl
@pytest.mark.parametrize("from_env", [False, True])
def test_azure_curl_runs(fake_openai: FakeOpenAI, from_env: bool) -> None:
    fake_openai.scenario.api_key = KEY
    request = ROUND_TRIP["minimal"]
    env = _clean_env(AZURE_OPENAI_API_KEY=KEY)
    if from_env:
        env.update(AZURE_OPENAI_ENDPOINT=fake_openai.url, OPENAI_API_VERSION="2024-10-21")
        command = to_curl(request, stream=False, azure=True, deployment="team-mini")
    else:
        command = to_curl(
            request,
            base_url=fake_openai.url,
            stream=False,
            azure=True,
            deployment="team-mini",
            api_version="2024-10-21",
        )
    done = subprocess.run(
        ["bash", "-c", command + " -sS"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    sent = fake_openai.last("/chat/completions")
    assert sent.azure
    assert sent.deployment == "team-mini"
    assert sent.query["api-version"] == "2024-10-21"
    assert sent.headers["api-key"] == KEY
    assert sent.json == request.to_api(stream=False)


# --- Python --------------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("name", list(ROUND_TRIP))
def test_python_compiles_and_passes_exactly_the_body(name: str, stream: bool) -> None:
    request = ROUND_TRIP[name]
    code = to_python(request, base_url=None, stream=stream)
    compile(code, "<generated>", "exec")
    assert _create_kwargs(code) == request.to_api(stream=stream)
    assert "from openai import OpenAI" in code
    assert "client = OpenAI()" in code
    assert KEY not in code
    if stream:
        assert "for chunk in stream:" in code
        assert "if chunk.choices and chunk.choices[0].delta.content:" in code


@pytest.mark.parametrize(
    ("base_url", "client_line"),
    [
        (None, "client = OpenAI()"),
        (DEFAULT_BASE_URL, "client = OpenAI()"),
        (DEFAULT_BASE_URL + "/", "client = OpenAI()"),
        ("http://localhost:1234/v1", 'client = OpenAI(base_url="http://localhost:1234/v1")'),
    ],
)
def test_python_writes_base_url_only_when_not_default(
    base_url: str | None, client_line: str
) -> None:
    code = to_python(ROUND_TRIP["minimal"], base_url=base_url, stream=False)
    assert client_line in code.splitlines()
    assert "OPENAI_API_KEY" in code


def test_python_lines_stay_short_where_they_can() -> None:
    code = to_python(ROUND_TRIP["every classic parameter"], base_url=None, stream=True)
    too_long = [line for line in code.splitlines() if len(line) > 88]
    assert too_long == []


def test_lone_surrogates_and_odd_floats() -> None:
    request = ChatRequest(model="gpt-4o", messages=_user("bad \ud800 half"), temperature=1e-05)
    code = to_python(request, base_url=None, stream=False)
    code.encode("utf-8")  # writable to a file or the clipboard
    assert _create_kwargs(code) == request.to_api(stream=False)
    body = to_json(request, stream=False)
    body.encode("utf-8")
    assert json.loads(body) == request.to_api(stream=False)
    to_curl(request, stream=False).encode("utf-8")
    assert parse_request(to_curl(request, stream=False)).request == request


def test_python_prints_every_choice_and_tool_calls() -> None:
    several = to_python(ROUND_TRIP["every classic parameter"], base_url=None, stream=False)
    assert "for choice in completion.choices:" in several
    with_tools = to_python(ROUND_TRIP["images and tool calls"], base_url=None, stream=False)
    assert "message.tool_calls" in with_tools


def test_azure_python() -> None:
    code = to_python(
        ROUND_TRIP["minimal"],
        base_url="https://res.openai.azure.com",
        stream=False,
        azure=True,
        deployment="team-mini",
        api_version="2024-10-21",
    )
    compile(code, "<azure>", "exec")
    assert "from openai import AzureOpenAI" in code
    assert 'azure_endpoint="https://res.openai.azure.com",' in code
    assert 'azure_deployment="team-mini",' in code
    assert 'api_version="2024-10-21",' in code
    assert "AZURE_OPENAI_API_KEY" in code
    from_env = to_python(ROUND_TRIP["minimal"], base_url=None, stream=False, azure=True)
    assert "client = AzureOpenAI()" in from_env
    assert "AZURE_OPENAI_ENDPOINT" in from_env
    assert "OPENAI_API_VERSION" in from_env


def _run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("stream", [False, True])
def test_python_runs_against_a_server(fake_openai: FakeOpenAI, stream: bool) -> None:
    fake_openai.scenario.api_key = KEY
    request = ChatRequest(
        model="gpt-4o-mini",
        messages=(Message("system", "Be brief."), Message("user", "Hi")),
        temperature=0.5,
        stop=("END",),
    )
    code = to_python(request, base_url=fake_openai.base_url, stream=stream)
    done = _run_python(code, _clean_env(OPENAI_API_KEY=KEY))
    assert done.returncode == 0, done.stderr
    assert _recorded_body(fake_openai) == request.to_api(stream=stream)
    assert DEFAULT_REPLY in done.stdout
    if stream:
        assert "Tokens: " in done.stdout


def test_azure_python_runs_against_a_server(fake_openai: FakeOpenAI) -> None:
    fake_openai.scenario.api_key = KEY
    request = ROUND_TRIP["minimal"]
    code = to_python(
        request,
        base_url=fake_openai.url,
        stream=True,
        azure=True,
        deployment="team-mini",
        api_version="2024-10-21",
    )
    done = _run_python(code, _clean_env(AZURE_OPENAI_API_KEY=KEY))
    assert done.returncode == 0, done.stderr
    sent = fake_openai.last("/chat/completions")
    assert sent.deployment == "team-mini"
    assert sent.headers["api-key"] == KEY
    assert sent.json == request.to_api(stream=True)


# --- parameters as JSON values ---------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ROUND_TRIP))
def test_params_round_trip(name: str) -> None:
    request = ROUND_TRIP[name]
    raw = chat_params_to_dict(request)
    assert json.loads(json.dumps(raw)) == raw
    fields, problems, unknown = chat_params_from_dict(json.loads(json.dumps(raw)))
    assert (problems, unknown) == ([], [])
    assert ChatRequest(messages=request.messages, **fields) == request


def test_params_keep_what_to_api_would_drop() -> None:
    request = ChatRequest(model="o3", messages=(), temperature=0.2, logprobs=True)
    assert chat_params_to_dict(request) == {"model": "o3", "temperature": 0.2, "logprobs": True}
    assert chat_params_to_dict(request, include_model=False) == {
        "temperature": 0.2,
        "logprobs": True,
    }


def test_every_request_field_but_messages_is_a_param() -> None:
    assert set(PARAM_FIELDS) == set(ChatRequest.__dataclass_fields__) - {"messages"}


@pytest.mark.parametrize(
    ("raw", "expected", "problem"),
    [
        ({"temperature": "high"}, {}, 'temperature should be a number, not "high"'),
        ({"temperature": True}, {}, "temperature should be a number, not true"),
        ({"temperature": 1}, {"temperature": 1.0}, None),
        ({"max_output_tokens": 10.0}, {"max_output_tokens": 10}, None),
        ({"max_output_tokens": 10.5}, {}, "max_output_tokens should be a whole number"),
        ({"seed": None}, {}, None),
        ({"stop": "END"}, {"stop": ("END",)}, None),
        ({"stop": ["a", 1]}, {}, "stop should be text or a list of texts"),
        ({"logprobs": 1}, {}, "logprobs should be true or false"),
        ({"tools": {"type": "function"}}, {}, "tools should be a list of tool objects"),
        ({"tool_choice": 3}, {}, "tool_choice should be"),
        ({"response_format": "json"}, {}, "response_format should be a JSON object"),
        ({"model": ["gpt"]}, {}, "model should be text, not a list"),
    ],
)
def test_params_from_dict_checks_types(
    raw: dict[str, Any], expected: dict[str, Any], problem: str | None
) -> None:
    fields, problems, _ = chat_params_from_dict(raw, where="Preset X: ")
    assert fields == expected
    if problem is None:
        assert problems == []
    else:
        assert len(problems) == 1
        assert problems[0].startswith("Preset X: " + problem)


def test_params_from_dict_lists_unknown_names() -> None:
    _, _, unknown = chat_params_from_dict({"temperature": 1, "max_tokens": 5, "user": "u"})
    assert unknown == ["max_tokens", "user"]


# --- round trips through parse_request --------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("name", list(ROUND_TRIP))
def test_curl_round_trip(name: str, stream: bool) -> None:
    request = ROUND_TRIP[name]
    parsed = parse_request(to_curl(request, base_url="http://localhost:8000/v1", stream=stream))
    assert parsed.request == request
    assert parsed.ok, parsed.messages_for_user()
    assert parsed.source == "curl"
    assert parsed.stream is stream
    assert parsed.base_url == "http://localhost:8000/v1"
    assert not parsed.azure
    assert (parsed.ignored, parsed.notes, parsed.key_dropped) == ([], [], False)


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("name", list(ROUND_TRIP))
def test_json_round_trip(name: str, stream: bool) -> None:
    request = ROUND_TRIP[name]
    parsed = parse_request(to_json(request, stream=stream))
    assert parsed.request == request
    assert parsed.ok
    assert parsed.source == "json"
    assert parsed.stream is stream
    assert parsed.base_url is None


@pytest.mark.parametrize(
    ("kwargs", "base_url", "deployment", "api_version"),
    [
        (
            {"base_url": "https://res.openai.azure.com", "api_version": "2024-10-21"},
            "https://res.openai.azure.com",
            "gpt-4o-mini",
            "2024-10-21",
        ),
        ({"deployment": "team mini"}, None, "team mini", None),
        (
            {"base_url": "https://res.openai.azure.com/openai/v1"},
            "https://res.openai.azure.com/openai/v1",
            None,
            None,
        ),
    ],
)
def test_azure_curl_round_trip(
    kwargs: dict[str, Any], base_url: str | None, deployment: str | None, api_version: str | None
) -> None:
    request = ROUND_TRIP["minimal"]
    parsed = parse_request(to_curl(request, stream=False, azure=True, **kwargs))
    assert parsed.request == request
    assert parsed.problems == []
    assert parsed.azure
    assert (parsed.base_url, parsed.deployment, parsed.api_version) == (
        base_url,
        deployment,
        api_version,
    )


def test_parse_of_displayed_code_keeps_the_shortened_text() -> None:
    views = code_views(ROUND_TRIP["images and tool calls"], base_url=None, stream=False)
    parsed = parse_request(views.curl)
    assert parsed.request is not None
    assert parsed.request.messages[0].images[0].url.endswith("characters]")


# --- curl samples in the style of OpenAI's docs and of other tools ---------------------------------

DOCS_BASIC = """curl https://api.openai.com/v1/chat/completions \\
  -H "Content-Type: application/json" \\
  -H "Authorization: Bearer $OPENAI_API_KEY" \\
  -d '{
    "model": "gpt-4o",
    "messages": [
      {
        "role": "developer",
        "content": "You are a helpful assistant."
      },
      {
        "role": "user",
        "content": "Hello!"
      }
    ]
  }'
"""

DOCS_VISION = """curl https://api.openai.com/v1/chat/completions \\
  -H "Content-Type: application/json" \\
  -H "Authorization: Bearer $OPENAI_API_KEY" \\
  -d '{
    "model": "gpt-4.1",
    "messages": [
      {
        "role": "user",
        "content": [
          {
            "type": "text",
            "text": "What'\\''s in this image?"
          },
          {
            "type": "image_url",
            "image_url": {
              "url": "https://upload.wikimedia.org/wikipedia/commons/thumb/d/dd/Gfp-wisconsin-madison-the-nature-boardwalk.jpg/2560px-Gfp-wisconsin-madison-the-nature-boardwalk.jpg"
            }
          }
        ]
      }
    ],
    "max_tokens": 300
  }'
"""

DOCS_STREAM = """curl https://api.openai.com/v1/chat/completions \\
  -H "Content-Type: application/json" \\
  -H "Authorization: Bearer $OPENAI_API_KEY" \\
  -d '{
    "model": "gpt-4o-mini",
    "messages": [
      {"role": "developer", "content": "You are a helpful assistant."},
      {"role": "user", "content": "Hello!"}
    ],
    "stream": true
  }'
"""

DOCS_FUNCTIONS = """curl https://api.openai.com/v1/chat/completions \\
-H "Content-Type: application/json" \\
-H "Authorization: Bearer $OPENAI_API_KEY" \\
-d '{
  "model": "gpt-4.1",
  "messages": [
    {
      "role": "user",
      "content": "What is the weather like in Boston today?"
    }
  ],
  "tools": [
    {
      "type": "function",
      "function": {
        "name": "get_current_weather",
        "description": "Get the current weather in a given location",
        "parameters": {
          "type": "object",
          "properties": {
            "location": {
              "type": "string",
              "description": "The city and state, e.g. San Francisco, CA"
            },
            "unit": {
              "type": "string",
              "enum": ["celsius", "fahrenheit"]
            }
          },
          "required": ["location"]
        }
      }
    }
  ],
  "tool_choice": "auto"
}'
"""

DOCS_LOGPROBS = """curl https://api.openai.com/v1/chat/completions \\
  -H "Content-Type: application/json" \\
  -H "Authorization: Bearer $OPENAI_API_KEY" \\
  -d '{
    "model": "gpt-4o",
    "messages": [
      {
        "role": "user",
        "content": "Hello!"
      }
    ],
    "logprobs": true,
    "top_logprobs": 2
  }'
"""

WINDOWS_CMD = r"""curl https://api.openai.com/v1/chat/completions ^
  -H "Content-Type: application/json" ^
  -H "Authorization: Bearer %OPENAI_API_KEY%" ^
  -d "{\"model\": \"gpt-4o-mini\", \"messages\": [{\"role\": \"user\", \"content\": \"Say \\\"hi\\\" ^& wave\"}], \"temperature\": 0.2}"
"""

POWERSHELL = """curl.exe https://api.openai.com/v1/chat/completions `
  -H "Content-Type: application/json" `
  -H "Authorization: Bearer $env:OPENAI_API_KEY" `
  -d '{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}'
"""

CHROME_COPY_AS_CURL = """curl 'https://api.openai.com/v1/chat/completions' \\
  -H 'accept: application/json' \\
  -H 'content-type: application/json' \\
  -H 'authorization: Bearer $OPENAI_API_KEY' \\
  --data-raw $'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"It\\'s line one\\\\nline two"}],"temperature":1}' \\
  --compressed
"""


def _parsed(text: str) -> tuple[ParsedRequest, ChatRequest]:
    parsed = parse_request(text)
    assert parsed.request is not None, parsed.messages_for_user()
    return parsed, parsed.request


def test_docs_basic_sample() -> None:
    parsed, request = _parsed(DOCS_BASIC)
    assert parsed.ok
    assert parsed.base_url == DEFAULT_BASE_URL
    assert request == ChatRequest(
        model="gpt-4o",
        messages=(
            Message("developer", "You are a helpful assistant."),
            Message("user", "Hello!"),
        ),
    )
    assert not parsed.key_dropped


def test_docs_vision_sample() -> None:
    parsed, request = _parsed(DOCS_VISION)
    assert parsed.ok
    message = request.messages[0]
    assert message.content == "What's in this image?"
    assert message.images[0].url.endswith("boardwalk.jpg")
    assert message.images[0].detail == "auto"
    assert request.max_output_tokens == 300  # the old max_tokens name is taken too


def test_docs_stream_sample() -> None:
    parsed, request = _parsed(DOCS_STREAM)
    assert parsed.ok
    assert parsed.stream
    assert [m.role for m in request.messages] == ["developer", "user"]


def test_docs_functions_sample() -> None:
    parsed, request = _parsed(DOCS_FUNCTIONS)
    assert parsed.ok
    assert request.tools[0]["function"]["name"] == "get_current_weather"
    assert request.tool_choice == "auto"


def test_docs_logprobs_sample() -> None:
    _, request = _parsed(DOCS_LOGPROBS)
    assert (request.logprobs, request.top_logprobs) == (True, 2)


def test_windows_cmd_sample() -> None:
    parsed, request = _parsed(WINDOWS_CMD)
    assert parsed.ok, parsed.messages_for_user()
    assert request.messages[0].content == 'Say "hi" ^& wave'
    assert request.temperature == 0.2
    assert not parsed.key_dropped


def test_powershell_sample() -> None:
    parsed, request = _parsed(POWERSHELL)
    assert parsed.ok, parsed.messages_for_user()
    assert request.messages[0].content == "Hi"
    assert not parsed.key_dropped


def test_chrome_copy_as_curl() -> None:
    parsed, request = _parsed(CHROME_COPY_AS_CURL)
    assert parsed.ok, parsed.messages_for_user()
    assert request.messages[0].content == "It's line one\nline two"
    assert request.temperature == 1.0


@pytest.mark.parametrize(
    "command",
    [
        # attached short options, combined flags, -X, --url
        """curl -sS -XPOST --url https://api.openai.com/v1/chat/completions -H"Content-Type: application/json" -d'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}'""",
        # --json, a shell prompt, a pipe, a comment
        """$ curl --json '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}' https://api.openai.com/v1/chat/completions | jq .  # pretty""",
        # the backslashes lost, with trailing spaces after one of them
        'curl https://api.openai.com/v1/chat/completions \\   \n  -H "Content-Type: application/json"\n'
        '  -d \'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}\'',
        # text before the command, a heredoc-free redirect after it
        'export X=1\ncurl https://api.openai.com/v1/chat/completions --data-binary \'{"model":"gpt-4o-mini",'
        '"messages":[{"role":"user","content":"Hi"}]}\' -o out.json > /dev/null\necho done',
        # ${VAR} and a double-quoted body with escapes
        'curl "https://api.openai.com/v1/chat/completions" -H "Authorization: Bearer ${OPENAI_API_KEY}" '
        '-d "{\\"model\\":\\"gpt-4o-mini\\",\\"messages\\":[{\\"role\\":\\"user\\",\\"content\\":\\"Hi\\"}]}"',
    ],
)
def test_curl_variants(command: str) -> None:
    parsed, request = _parsed(command)
    assert parsed.problems == []
    assert request == ChatRequest(model="gpt-4o-mini", messages=_user("Hi"))
    assert parsed.base_url == DEFAULT_BASE_URL
    assert not parsed.key_dropped


def test_shell_variables_in_the_body_are_left_as_is() -> None:
    _, request = _parsed(
        'curl https://x.test/v1/chat/completions -d "{\\"model\\": \\"$MODEL\\", '
        '\\"messages\\": [{\\"role\\": \\"user\\", \\"content\\": \\"$PROMPT\\"}]}"'
    )
    assert request.model == "$MODEL"
    assert request.messages[0].content == "$PROMPT"


def test_a_bare_body_copied_with_its_quotes() -> None:
    _, request = _parsed(
        """'{"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]}'"""
    )
    assert request.model == "gpt-4o"


@pytest.mark.parametrize(
    ("url", "base_url", "azure", "deployment", "api_version"),
    [
        ("https://api.openai.com/v1/chat/completions/", DEFAULT_BASE_URL, False, None, None),
        ("api.openai.com/v1/chat/completions", DEFAULT_BASE_URL, False, None, None),
        (
            "http://localhost:11434/v1/chat/completions",
            "http://localhost:11434/v1",
            False,
            None,
            None,
        ),
        (
            "'https://r.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21'",
            "https://r.openai.azure.com",
            True,
            "gpt-4o",
            "2024-10-21",
        ),
        ("$OPENAI_BASE_URL/chat/completions", None, False, None, None),
    ],
)
def test_urls(
    url: str, base_url: str | None, azure: bool, deployment: str | None, api_version: str | None
) -> None:
    parsed = parse_request(
        f'curl {url} -d \'{{"model": "m", "messages": [{{"role": "user", "content": "x"}}]}}\''
    )
    assert parsed.problems == []
    assert (parsed.base_url, parsed.azure, parsed.deployment, parsed.api_version) == (
        base_url,
        azure,
        deployment,
        api_version,
    )


# --- keys are never kept ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f'curl https://api.openai.com/v1/chat/completions -H "Authorization: Bearer {KEY}" -d @BODY',
        "curl https://r.openai.azure.com/openai/deployments/d/chat/completions?api-version=1 -H 'api-key: 0123456789abcdef0123456789abcdef' -d @BODY",
        f"curl https://api.openai.com/v1/chat/completions -u :{KEY} -d @BODY",
        f"curl https://api.openai.com/v1/chat/completions --oauth2-bearer {KEY} -d @BODY",
        f"curl https://user:{KEY}@api.openai.com/v1/chat/completions -d @BODY",
        f"export OPENAI_API_KEY={KEY}\ncurl https://api.openai.com/v1/chat/completions -d @BODY",
        '{"model": "m", "api_key": "hunter2", "messages": [{"role": "user", "content": "x"}]}',
    ],
)
def test_keys_in_the_paste_are_dropped(text: str) -> None:
    body = '\'{"model": "m", "messages": [{"role": "user", "content": "x"}]}\''
    text = text.replace("@BODY", body)
    parsed = parse_request(text)
    assert parsed.request is not None
    assert parsed.request.messages == _user("x")
    assert parsed.key_dropped
    assert any("API key" in note and "dropped" in note for note in parsed.notes)
    assert any("dropped" in line for line in parsed.messages_for_user())
    for secret in (KEY, "0123456789abcdef0123456789abcdef", "hunter2"):
        assert secret not in repr(parsed)


def test_a_key_inside_the_body_is_removed_everywhere() -> None:
    token = "0123456789abcdef0123456789abcdef"
    text = (
        f"curl https://x.test/v1/chat/completions -H 'api-key: {token}' -d '"
        + json.dumps(
            {
                "model": "m",
                "messages": [
                    {"role": "user", "content": f"my key is {KEY}, the other {token}"},
                ],
                "tools": [{"type": "function", "function": {"name": "f", "description": KEY}}],
            }
        )
        + "'"
    )
    parsed = parse_request(text)
    assert parsed.request is not None
    assert parsed.request.messages[0].content == f"my key is {KEY_REMOVED}, the other {KEY_REMOVED}"
    assert parsed.request.tools[0]["function"]["description"] == KEY_REMOVED
    assert KEY not in repr(parsed)
    assert token not in repr(parsed)
    assert parsed.azure  # an api-key header means Azure


@pytest.mark.parametrize(
    "header",
    [
        "Authorization: Bearer $OPENAI_API_KEY",
        "Authorization: Bearer ${OPENAI_API_KEY}",
        "Authorization: Bearer %OPENAI_API_KEY%",
        "Authorization: Bearer $env:OPENAI_API_KEY",
        "Authorization: Bearer YOUR_API_KEY",
        "Authorization: Bearer <your-api-key>",
        "api-key: $AZURE_OPENAI_API_KEY",
    ],
)
def test_variables_and_placeholders_are_not_keys(header: str) -> None:
    parsed = parse_request(
        f'curl https://x.test/v1/chat/completions -H "{header}" '
        '-d \'{"model": "m", "messages": [{"role": "user", "content": "x"}]}\''
    )
    assert parsed.problems == []
    assert not parsed.key_dropped
    assert parsed.notes == []


def test_words_that_merely_start_with_sk_are_kept() -> None:
    _, request = _parsed(
        '{"model": "m", "messages": [{"role": "user", "content": "use sk-learn and sk-1234"}]}'
    )
    assert request.messages[0].content == "use sk-learn and sk-1234"


# --- what cannot be used is said in plain words ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "Nothing to read"),
        ("   \n  ", "Nothing to read"),
        ("hello there", "neither a curl command nor a JSON request body"),
        ("print('hi')", "neither a curl command nor a JSON request body"),
        (
            '{\n  "model": "gpt-4o",\n  "messages": [\n    {"role": "user" "content": "x"}\n  ]\n}',
            "This is not valid JSON: line 4, column 21: expecting ',' delimiter.",
        ),
        ('{"model": "gpt-4o", "messages": [],}', "(a comma before a closing bracket"),
        ("{'model': 'gpt-4o'}", "JSON needs double quotes"),
        ('{"model": "gpt-4o", "logprobs": True}', "lower case"),
        ('{"model": "gpt-4o", "temperature": NaN}', "NaN is not allowed in JSON"),
        ('{"model": "gpt-4o", "messages": [', "line 1, column 34: expecting value."),
        ("[1, 2]", "The JSON is a list"),
        ('{"object": "chat.completion", "choices": []}', "looks like a response"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("curl https://api.openai.com/v1/chat/completions", "no request body"),
        (
            "curl https://x.test/v1/chat/completions -d @request.json",
            "read from a file (@request.json)",
        ),
        ('curl https://x.test/v1/chat/completions -d \'{"model": "m"', "never closed"),
        ('curl https://x.test/v1/chat/completions -d "{', "never closed"),
        ("curl https://x.test/v1/chat/completions -d $'{", "never closed"),
        ("curl https://x.test/v1/chat/completions -d", "-d at the end of the command has no value"),
        ("curl https://x.test/v1/chat/completions -d '{\"model\": \"m\"}' -d '{}'", "several -d"),
        ("curl https://x.test/v1/chat/completions -F file=@a.png -d '{}'", "--form sends a file"),
    ],
)
def test_problems_in_plain_words(text: str, problem: str) -> None:
    parsed = parse_request(text)
    assert not parsed.ok
    assert any(problem in p for p in parsed.problems), parsed.problems


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"model": "m"}, "No messages in the request."),
        ({"model": "m", "messages": []}, "No messages in the request."),
        ({"messages": [{"role": "user", "content": "x"}]}, "No model in the request"),
        ({"model": "m", "messages": "hi"}, 'messages should be a list, not "hi"'),
        ({"model": "m", "messages": [{"content": "x"}]}, "Message 1 has no role; skipped."),
        ({"model": "m", "messages": [1]}, "Message 1 is 1, not an object; skipped."),
        (
            {"model": "m", "messages": [{"role": "function", "name": "f", "content": "x"}]},
            'Message 1: the role "function" is not supported here; skipped.',
        ),
        (
            {
                "model": "m",
                "messages": [
                    {
                        "role": "user",
                        "content": [{"type": "input_audio", "input_audio": {"data": "AAA"}}],
                    }
                ],
            },
            "Message 1: a input_audio part is not supported here; skipped.",
        ),
        (
            {"model": "m", "messages": [{"role": "user", "content": [{"type": "image_url"}]}]},
            "Message 1: an image part has no URL; skipped.",
        ),
        (
            {"model": "m", "messages": [{"role": "assistant", "tool_calls": [{"id": "c"}]}]},
            "Message 1: a tool call without a function name was skipped.",
        ),
        (
            {"model": "m", "messages": [{"role": "user", "content": "x"}], "temperature": "hot"},
            'temperature should be a number, not "hot"; left unset.',
        ),
        (
            {"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": "yes"},
            'stream should be true or false, not "yes".',
        ),
    ],
)
def test_body_problems(body: dict[str, Any], problem: str) -> None:
    parsed = parse_request(json.dumps(body))
    assert parsed.request is not None  # what could be read is still offered
    assert any(p.startswith(problem) for p in parsed.problems), parsed.problems


def test_partial_requests_keep_the_good_parts() -> None:
    parsed = parse_request(
        json.dumps(
            {
                "model": "gpt-4o",
                "messages": [
                    {"role": "wizard", "content": "x"},
                    {"role": "user", "content": [{"type": "text", "text": "a"}, "b"]},
                ],
                "temperature": "warm",
                "top_p": 0.5,
            }
        )
    )
    assert parsed.request == ChatRequest(model="gpt-4o", messages=_user("a\nb"), top_p=0.5)
    assert len(parsed.problems) == 2


def test_unknown_parameters_are_listed_not_taken() -> None:
    parsed = parse_request(
        json.dumps(
            {
                "model": "gpt-4o",
                "messages": [{"role": "user", "content": "x", "refusal": None}],
                "user": "me",
                "store": True,
                "metadata": {"a": "b"},
                "max_tokens": 5,
                "max_completion_tokens": 7,
                "stream_options": {"include_usage": True},
            }
        )
    )
    assert parsed.request is not None
    assert parsed.request.max_output_tokens == 7
    assert parsed.ignored == ["user", "store", "metadata", "max_tokens", "refusal (message 1)"]
    assert parsed.problems == []
    assert parsed.messages_for_user()[-1].startswith("Not taken: user, store")


def test_curl_notes_and_ignored_headers() -> None:
    parsed = parse_request(
        "curl -X PUT https://api.openai.com/v1/chat/completions extra-word "
        "-H 'OpenAI-Organization: org-1' -H 'X-Bad' "
        '-d \'{"model": "m", "messages": [{"role": "user", "content": "x"}]}\''
    )
    assert parsed.problems == []
    assert parsed.notes == ["The command uses PUT; chat requests are always POST."]
    assert parsed.ignored == ["header OpenAI-Organization", "header 'X-Bad'", "extra-word"]


def test_other_endpoints_are_named() -> None:
    # /responses is read (tests/unit/test_codegen_responses.py); other endpoints are named.
    parsed = parse_request(
        'curl https://api.openai.com/v1/embeddings -d \'{"model": "gpt-4o", "prompt": "hi"}\''
    )
    assert parsed.base_url is None
    assert any("/embeddings, not /chat/completions" in p for p in parsed.problems)
    assert "No messages in the request." in parsed.problems
    assert parsed.ignored == ["prompt"]


def test_image_detail_and_string_image_urls() -> None:
    _, request = _parsed(
        json.dumps(
            {
                "model": "gpt-4o",
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "image_url", "image_url": "https://e.test/a.png"},
                            {
                                "type": "image_url",
                                "image_url": {"url": "https://e.test/b.png", "detail": "huge"},
                            },
                            {
                                "type": "input_image",
                                "image_url": "https://e.test/c.png",
                                "detail": "low",
                            },
                        ],
                    }
                ],
            }
        )
    )
    assert request.messages[0].images == (
        ImagePart("https://e.test/a.png"),
        ImagePart("https://e.test/b.png"),
        ImagePart("https://e.test/c.png", "low"),
    )


def test_tool_call_arguments_given_as_an_object() -> None:
    _, request = _parsed(
        json.dumps(
            {
                "model": "m",
                "messages": [
                    {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": "c1",
                                "type": "function",
                                "function": {"name": "f", "arguments": {"a": 1}},
                            }
                        ],
                    }
                ],
            }
        )
    )
    assert request.messages[0].tool_calls == (ToolCall("c1", "f", '{"a": 1}'),)


def test_never_raises_on_mangled_input() -> None:
    rng = random.Random(20260501)
    samples = [
        DOCS_BASIC,
        DOCS_FUNCTIONS,
        WINDOWS_CMD,
        CHROME_COPY_AS_CURL,
        to_curl(ROUND_TRIP["images and tool calls"], stream=True),
        to_json(ROUND_TRIP["every classic parameter"], stream=False),
    ]
    alphabet = "{}[]\"'\\$^`\n :,-dH@#|x0"
    for _ in range(1500):
        text = rng.choice(samples)
        for _ in range(rng.randint(1, 4)):
            cut = rng.randrange(len(text) + 1)
            action = rng.random()
            if action < 0.4:
                text = text[:cut]
            elif action < 0.7:
                text = text[:cut] + rng.choice(alphabet) + text[cut:]
            else:
                text = text[:cut] + text[cut + rng.randint(1, 20) :]
        parsed = parse_request(text)
        assert isinstance(parsed, ParsedRequest)
        assert parsed.request is not None or parsed.problems
        assert not any("internal error" in p for p in parsed.problems), text
