"""Prompt caching (`prompt_cache_key`, `prompt_cache_options.ttl`): both request bodies, what is
left out and why, View code, Paste request, history, learned refusals, and the fake server's
cache through the real SDK."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import openai
import pytest

from playground.core.api.errors import AppError
from playground.core.chat.codegen import parse_request, to_curl, to_json, to_python
from playground.core.chat.engine import Api, engine_for
from playground.core.chat.learned import Learned, refused_setting, setting_for, without
from playground.core.chat.responses import responses_omitted, to_responses
from playground.core.chat.service import ChatProgress, ChatRequest, ResponsesRequest
from playground.core.models import Message
from playground.core.storage.history import HistoryStore
from tests.fakes.openai_server import FakeOpenAI

SYSTEM = Message("system", "You answer questions about the tides of Brittany, briefly.")
HELLO = (SYSTEM, Message("user", "Hello"))
CACHED = {"prompt_cache_key": "tides-bot", "prompt_cache_ttl": "12h"}


def _request(model: str = "gpt-4.1", **extra: object) -> ResponsesRequest:
    return ResponsesRequest(model, HELLO, **{**CACHED, **extra})  # type: ignore[arg-type]


# -- the bodies ----------------------------------------------------------------------------------


def test_responses_body_carries_the_key_and_the_lifetime() -> None:
    body = to_responses(_request())
    assert body["prompt_cache_key"] == "tides-bot"
    assert body["prompt_cache_options"] == {"ttl": "12h"}
    assert "prompt_cache_retention" not in body  # deprecated: never sent
    assert responses_omitted(_request()) == []


def test_chat_completions_body_carries_the_key_but_not_twelve_hours() -> None:
    # The SDK: Chat Completions takes only "30m" (its default) as `prompt_cache_options.ttl`.
    request = _request()
    body = request.to_api(stream=True)
    assert body["prompt_cache_key"] == "tides-bot"
    assert "prompt_cache_options" not in body
    assert request.omitted() == ["prompt_cache_ttl"]
    thirty = _request(prompt_cache_ttl="30m")
    assert thirty.to_api(stream=False)["prompt_cache_options"] == {"ttl": "30m"}
    assert thirty.omitted() == []


def test_nothing_is_sent_without_a_key_or_to_a_compatible_servers_model() -> None:
    plain = ResponsesRequest("gpt-4.1", HELLO)
    assert "prompt_cache_key" not in to_responses(plain)
    assert "prompt_cache_key" not in plain.to_api(stream=False)
    local = _request("llama3.2:3b")
    assert "prompt_cache_key" not in to_responses(local)
    assert "prompt_cache_options" not in to_responses(local)
    assert "prompt_cache_key" not in local.to_api(stream=False)
    assert responses_omitted(local) == ["prompt_cache_key", "prompt_cache_ttl"]
    assert local.omitted() == ["prompt_cache_key", "prompt_cache_ttl"]


# -- View code -----------------------------------------------------------------------------------


@pytest.mark.parametrize("api", ["responses", "chat.completions"])
def test_view_code_shows_the_key_in_json_curl_and_python(api: str) -> None:
    request = _request()
    body = json.loads(to_json(request, stream=False, api=api))
    assert body["prompt_cache_key"] == "tides-bot"
    assert ("prompt_cache_options" in body) == (api == "responses")
    curl = to_curl(request, stream=False, api=api)
    assert '"prompt_cache_key": "tides-bot"' in curl
    python = to_python(request, base_url=None, stream=False, api=api)
    assert (
        "    prompt_cache_key='tides-bot'," in python
        or '    prompt_cache_key="tides-bot",' in python
    )
    if api == "responses":
        line = next(x for x in python.splitlines() if x.startswith("    prompt_cache_options="))
        assert ast.literal_eval(line.split("=", 1)[1].rstrip(",")) == {"ttl": "12h"}


# -- Paste request -------------------------------------------------------------------------------


def test_a_pasted_responses_body_fills_the_cache_settings() -> None:
    body = {
        "model": "gpt-5-mini",
        "instructions": "Be brief.",
        "input": "Hello",
        "prompt_cache_key": "tides-bot",
        "prompt_cache_options": {"ttl": "12h", "mode": "implicit"},
    }
    parsed = parse_request(json.dumps(body))
    request = parsed.request
    assert isinstance(request, ResponsesRequest)
    assert parsed.api == "responses"
    assert request.prompt_cache_key == "tides-bot"
    assert request.prompt_cache_ttl == "12h"
    assert "prompt_cache_key" not in parsed.ignored
    assert parsed.ignored == ["prompt_cache_options.mode"]  # said, not silently dropped
    assert to_responses(request)["prompt_cache_options"] == {"ttl": "12h"}


def test_a_pasted_chat_completions_curl_keeps_its_key_and_its_api() -> None:
    text = (
        "curl https://api.openai.com/v1/chat/completions \\\n"
        '  -H "Authorization: Bearer $OPENAI_API_KEY" \\\n'
        '  -H "Content-Type: application/json" \\\n'
        '  -d \'{"model": "gpt-4.1", "messages": [{"role": "user", "content": "Hi"}],'
        ' "prompt_cache_key": "tides-bot", "prompt_cache_options": {"ttl": "30m"}}\''
    )
    parsed = parse_request(text)
    assert parsed.ok, parsed.messages_for_user()
    assert parsed.api == "chat.completions"
    request = parsed.request
    assert isinstance(request, ResponsesRequest)
    assert (request.prompt_cache_key, request.prompt_cache_ttl) == ("tides-bot", "30m")
    assert parsed.ignored == []
    body = request.to_api(stream=False)
    assert body["prompt_cache_key"] == "tides-bot"
    assert body["prompt_cache_options"] == {"ttl": "30m"}


def test_a_chat_body_without_cache_settings_stays_a_plain_request() -> None:
    parsed = parse_request('{"model": "gpt-4.1", "messages": [{"role": "user", "content": "Hi"}]}')
    assert type(parsed.request) is ChatRequest
    assert parsed.api == "chat.completions"


def test_wrong_cache_values_are_said() -> None:
    parsed = parse_request(
        json.dumps(
            {
                "model": "gpt-4.1",
                "messages": [{"role": "user", "content": "Hi"}],
                "prompt_cache_key": 42,
                "prompt_cache_options": "12h",
            }
        )
    )
    assert parsed.request is not None
    assert any("prompt_cache_key should be text" in p for p in parsed.problems)
    assert any("prompt_cache_options should be an object" in p for p in parsed.problems)


# -- history and learned refusals --------------------------------------------------------------


def test_history_keeps_the_cache_settings(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")
    try:
        store.create("c1", params=_request(), api="chat.completions")
    finally:
        store.close()
    reopened = HistoryStore(tmp_path / "history.sqlite3")
    try:
        loaded = reopened.load("c1").params
    finally:
        reopened.close()
    assert isinstance(loaded, ResponsesRequest)
    assert (loaded.prompt_cache_key, loaded.prompt_cache_ttl) == ("tides-bot", "12h")


def test_a_refused_cache_setting_is_learned_and_left_out() -> None:
    request = _request()
    code = "unsupported_parameter"
    assert refused_setting(request, "prompt_cache_key", code, "") == "prompt_cache_key"
    assert setting_for("prompt_cache_options", code) == "prompt_cache_ttl"
    assert setting_for("prompt_cache_options.ttl", "", "Unsupported value") == "prompt_cache_ttl"
    learned = Learned.from_dict({"gpt-4.1": ["prompt_cache_key", "prompt_cache_ttl"]})
    assert learned.of("gpt-4.1") == {"prompt_cache_key", "prompt_cache_ttl"}
    bare = without(request, learned.of("gpt-4.1"))
    assert isinstance(bare, ResponsesRequest)
    assert "prompt_cache_key" not in to_responses(bare)
    assert "prompt_cache_options" not in to_responses(bare)


# -- the fake server, through the SDK ------------------------------------------------------------


@pytest.mark.parametrize("api", [Api.RESPONSES, Api.CHAT_COMPLETIONS])
async def test_the_second_send_under_one_key_reads_the_cache(
    fake_openai: FakeOpenAI, api: Api
) -> None:
    fake_openai.scenario.models = [*fake_openai.scenario.models, "gpt-4.1"]
    client = openai.AsyncOpenAI(base_url=fake_openai.base_url, api_key="test", max_retries=0)
    engine = engine_for(api, lambda: client)
    ttl = "12h" if api is Api.RESPONSES else None
    try:
        first = await engine.stream(
            _request(prompt_cache_ttl=ttl), lambda _i, _t: None, ChatProgress()
        )
        turns = (*HELLO, Message("assistant", first.text), Message("user", "And tomorrow?"))
        second = await engine.stream(
            ResponsesRequest("gpt-4.1", turns, prompt_cache_key="tides-bot", prompt_cache_ttl=ttl),
            lambda _i, _t: None,
            ChatProgress(),
        )
        other_key = await engine.stream(
            ResponsesRequest("gpt-4.1", turns, prompt_cache_key="another"),
            lambda _i, _t: None,
            ChatProgress(),
        )
    finally:
        await client.close()
    assert first.usage is not None
    assert second.usage is not None
    assert other_key.usage is not None
    assert first.usage.cached_tokens == 0
    assert 0 < second.usage.cached_tokens < second.usage.input_tokens
    assert other_key.usage.cached_tokens == 0


async def test_the_fake_refuses_a_lifetime_the_api_does_not_take(fake_openai: FakeOpenAI) -> None:
    client = openai.AsyncOpenAI(base_url=fake_openai.base_url, api_key="test", max_retries=0)
    try:
        with pytest.raises(openai.BadRequestError) as chat:
            await client.chat.completions.create(
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": "Hi"}],
                prompt_cache_options={"ttl": "12h"},  # type: ignore[typeddict-item]
            )
        with pytest.raises(openai.BadRequestError) as responses:
            await client.responses.create(
                model="gpt-4o-mini",
                input="Hi",
                prompt_cache_options={"ttl": "1h"},  # type: ignore[typeddict-item]
            )
        ok = await client.responses.create(
            model="gpt-4o-mini", input="Hi", prompt_cache_options={"ttl": "12h"}
        )
    finally:
        await client.close()
    assert chat.value.status_code == 400
    assert chat.value.body is not None
    assert chat.value.body["param"] == "prompt_cache_options.ttl"  # type: ignore[index]
    assert "'30m'" in chat.value.message
    assert responses.value.body["code"] == "invalid_value"  # type: ignore[index]
    assert "'30m' and '12h'" in responses.value.message
    assert ok.status == "completed"


async def test_a_refusal_through_the_engine_names_the_setting(fake_openai: FakeOpenAI) -> None:
    fake_openai.scenario.models = [*fake_openai.scenario.models, "gpt-4.1"]
    fake_openai.fail_next(
        400,
        message="Unsupported parameter: 'prompt_cache_key' is not supported with this model.",
        code="unsupported_parameter",
        param="prompt_cache_key",
        path="/responses",
    )
    client = openai.AsyncOpenAI(base_url=fake_openai.base_url, api_key="test", max_retries=0)
    request = _request()
    try:
        with pytest.raises(AppError) as caught:
            await engine_for(Api.RESPONSES, lambda: client).stream(
                request, lambda _i, _t: None, ChatProgress()
            )
    finally:
        await client.close()
    err = caught.value
    assert refused_setting(request, err.param, err.code or "", err.text) == "prompt_cache_key"
