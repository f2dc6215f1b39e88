"""Tests for the fake OpenAI server, driven through the real ``openai`` SDK."""

from __future__ import annotations

import base64
import io
import json
import math
import threading
import time
import wave
from collections.abc import AsyncIterator, Iterator

import httpx2
import openai
import pytest
from openai import AsyncAzureOpenAI, AsyncOpenAI
from openai.types import ModerationMultiModalInputParam
from openai.types.chat import ChatCompletionMessageParam
from PIL import Image

from tests.fakes import openai_payloads as payloads
from tests.fakes.openai_server import DEFAULT_REPLY, FakeOpenAI

HELLO: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Hello"}]


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server
    assert server.server_errors == []


@pytest.fixture
async def client(fake: FakeOpenAI) -> AsyncIterator[AsyncOpenAI]:
    api = AsyncOpenAI(base_url=fake.base_url, api_key="test", max_retries=0)
    yield api
    await api.close()


def _dot(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def _png(width: int = 64, height: int = 64) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (10, 20, 30, 255)).save(out, format="PNG")
    return out.getvalue()


# ------------------------------------------------------------------------------------------------
# Lifecycle, recording, models
# ------------------------------------------------------------------------------------------------


def test_urls_and_stop_twice() -> None:
    server = FakeOpenAI().start()
    try:
        assert server.base_url == f"http://127.0.0.1:{server.port}/v1"
        assert server.url == f"http://127.0.0.1:{server.port}"
    finally:
        server.stop()
    server.stop()  # idempotent
    with pytest.raises(RuntimeError):
        _ = server.base_url


async def test_stop_interrupts_a_slow_stream_and_joins_threads() -> None:
    server = FakeOpenAI().start()
    server.scenario.tokens_per_second = 0.5  # 2 s per word
    api = AsyncOpenAI(base_url=server.base_url, api_key="test", max_retries=0)
    try:
        stream = await api.chat.completions.create(model="gpt-4o-mini", messages=HELLO, stream=True)
        first = await stream.__anext__()
        assert first.choices[0].delta.role == "assistant"
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 1.0
        assert not [t for t in threading.enumerate() if t.name.startswith("fake-openai")]
        with pytest.raises(openai.APIConnectionError):
            await stream.__anext__()
    finally:
        await api.close()


async def test_models_list_and_retrieve(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    fake.scenario.models = [
        "gpt-4o-mini",
        {"id": "ft:gpt-4o-mini:acme::abc", "owned_by": "user-acme"},
    ]
    models = [m async for m in client.models.list()]
    assert [m.id for m in models] == ["gpt-4o-mini", "ft:gpt-4o-mini:acme::abc"]
    assert models[0].object == "model"
    assert models[0].shutdown_date == "2027-01-14"
    assert models[1].owned_by == "user-acme"
    assert models[1].shutdown_date is None

    model = await client.models.retrieve("ft:gpt-4o-mini:acme::abc")
    assert model.id == "ft:gpt-4o-mini:acme::abc"
    with pytest.raises(openai.NotFoundError) as info:
        await client.models.retrieve("gpt-nope")
    assert info.value.code == "model_not_found"


async def test_default_models_are_realistic(client: AsyncOpenAI) -> None:
    ids = {m.id async for m in client.models.list()}
    assert {"gpt-4o-mini", "text-embedding-3-small", "whisper-1", "gpt-image-1", "tts-1"} <= ids


async def test_requests_are_recorded_with_headers(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    await client.chat.completions.create(
        model="gpt-4o-mini", messages=HELLO, extra_query={"x": "1"}
    )
    request = fake.last("/chat/completions")
    assert request.method == "POST"
    assert request.path == "/v1/chat/completions"
    assert request.endpoint == "/chat/completions"
    assert request.query == {"x": "1"}
    assert request.headers["authorization"] == "Bearer test"
    assert request.headers["content-type"] == "application/json"
    assert request.json is not None
    assert request.json["messages"] == HELLO
    assert json.loads(request.body) == request.json
    assert fake.requests == [request]
    with pytest.raises(LookupError):
        fake.last("/embeddings")
    fake.clear_requests()
    assert fake.requests == []


async def test_every_response_has_request_id_and_ratelimit_headers(client: AsyncOpenAI) -> None:
    raw = await client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=HELLO
    )
    assert raw.headers["x-request-id"].startswith("req_")
    assert raw.request_id == raw.headers["x-request-id"]
    assert int(raw.headers["openai-processing-ms"]) >= 1
    assert raw.headers["x-ratelimit-limit-requests"] == "5000"
    assert raw.headers["x-ratelimit-remaining-requests"] == "4999"
    completion = raw.parse()
    assert completion.choices[0].message.content == DEFAULT_REPLY


async def test_unknown_url_is_404(client: AsyncOpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        await client.get("/nope", cast_to=object)
    assert "Invalid URL (GET /v1/nope)" in info.value.message


# ------------------------------------------------------------------------------------------------
# Chat completions
# ------------------------------------------------------------------------------------------------


async def test_chat_completion_shape_and_predictable_usage(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    fake.scenario.reply_text = "Paris is the capital of France."
    messages: list[ChatCompletionMessageParam] = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Capital of France?", "name": "ann"},
    ]
    completion = await client.chat.completions.create(model="gpt-4.1", messages=messages)
    assert completion.id.startswith("chatcmpl-")
    assert completion.object == "chat.completion"
    assert completion.model == "gpt-4.1"
    assert completion.system_fingerprint == "fp_fake000001"
    choice = completion.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content == "Paris is the capital of France."
    assert choice.finish_reason == "stop"
    assert choice.logprobs is None
    usage = completion.usage
    assert usage is not None
    assert usage.prompt_tokens == payloads.count_prompt_tokens({"messages": messages})
    assert usage.completion_tokens == payloads.count_tokens("Paris is the capital of France.") == 7
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert usage.prompt_tokens_details is not None
    assert usage.prompt_tokens_details.cached_tokens == 0
    assert usage.completion_tokens_details is not None
    assert usage.completion_tokens_details.reasoning_tokens == 0


def test_prompt_token_rule() -> None:
    # 3 priming + (3 per message + "user" 1 token + "Hello" 1 token)
    assert payloads.count_prompt_tokens({"messages": HELLO}) == 8
    with_image = [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]
    assert (
        payloads.count_prompt_tokens({"messages": with_image})
        == 3 + 3 + 1 + payloads.IMAGE_PART_TOKENS
    )


async def test_chat_usage_overrides(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    fake.scenario.usage = {"prompt_tokens": 100, "completion_tokens": 20}
    fake.scenario.cached_tokens = 64
    fake.scenario.reasoning_tokens = 5
    completion = await client.chat.completions.create(model="o3", messages=HELLO)
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (100, 20)
    assert completion.usage.total_tokens == 120
    assert completion.usage.prompt_tokens_details is not None
    assert completion.usage.prompt_tokens_details.cached_tokens == 64
    assert completion.usage.completion_tokens_details is not None
    assert completion.usage.completion_tokens_details.reasoning_tokens == 5


async def test_chat_n_choices_and_logprobs(client: AsyncOpenAI) -> None:
    completion = await client.chat.completions.create(
        model="gpt-4o-mini", messages=HELLO, n=3, logprobs=True, top_logprobs=2
    )
    assert [c.index for c in completion.choices] == [0, 1, 2]
    logprobs = completion.choices[0].logprobs
    assert logprobs is not None
    assert logprobs.content is not None
    assert "".join(t.token for t in logprobs.content) == DEFAULT_REPLY
    assert all(
        len(t.top_logprobs) == 2 and t.top_logprobs[0].token == t.token for t in logprobs.content
    )
    assert completion.usage is not None
    assert completion.usage.completion_tokens == 3 * payloads.count_tokens(DEFAULT_REPLY)


async def test_chat_max_tokens_and_stop(client: AsyncOpenAI) -> None:
    short = await client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, max_tokens=3)
    assert short.choices[0].finish_reason == "length"
    assert short.choices[0].message.content == payloads.truncate_tokens(DEFAULT_REPLY, 3)
    assert short.usage is not None
    assert short.usage.completion_tokens == 3
    stopped = await client.chat.completions.create(
        model="gpt-4o-mini", messages=HELLO, stop=["This"]
    )
    assert stopped.choices[0].message.content == "Hello! "
    assert stopped.choices[0].finish_reason == "stop"


async def test_chat_reply_callable_and_finish_override(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    fake.scenario.reply_text = lambda body: "echo: " + body["messages"][-1]["content"]
    fake.scenario.finish_reason = "content_filter"
    completion = await client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    assert completion.choices[0].message.content == "echo: Hello"
    assert completion.choices[0].finish_reason == "content_filter"


async def test_chat_tool_calls(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    fake.scenario.tool_calls = [("get_weather", '{"city": "Paris"}'), ("get_time", "{}")]
    completion = await client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    message = completion.choices[0].message
    assert completion.choices[0].finish_reason == "tool_calls"
    assert message.content is None
    assert message.tool_calls is not None
    calls = [
        (c.function.name, c.function.arguments) for c in message.tool_calls if c.type == "function"
    ]
    assert calls == fake.scenario.tool_calls
    assert all(c.id.startswith("call_") for c in message.tool_calls)


async def test_chat_validation_errors(client: AsyncOpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        await client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, temperature=3)
    assert info.value.code == "decimal_above_max_value"
    assert info.value.param == "temperature"
    with pytest.raises(openai.BadRequestError) as info:
        await client.chat.completions.create(model="gpt-4o-mini", messages=[])
    assert info.value.code == "empty_array"
    with pytest.raises(openai.BadRequestError) as info:
        await client.chat.completions.create(model="o3", messages=HELLO, max_tokens=10)
    assert info.value.code == "unsupported_parameter"
    with pytest.raises(openai.BadRequestError) as info:
        await client.chat.completions.create(model="gpt-5-mini", messages=HELLO, temperature=0.2)
    assert info.value.code == "unsupported_value"


# ------------------------------------------------------------------------------------------------
# Chat streaming
# ------------------------------------------------------------------------------------------------


async def test_chat_stream_with_include_usage(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    stream = await client.chat.completions.create(
        model="gpt-4o-mini", messages=HELLO, stream=True, stream_options={"include_usage": True}
    )
    async with stream:
        chunks = [chunk async for chunk in stream]
    assert stream.response.headers["content-type"].startswith("text/event-stream")
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert len({c.id for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    content = [
        c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content
    ]
    assert content[:3] == ["Hello!", " This", " is"]
    assert "".join(content) == DEFAULT_REPLY
    assert chunks[-2].choices[0].finish_reason == "stop"
    last = chunks[-1]
    assert last.choices == []
    assert last.usage is not None
    assert last.usage.prompt_tokens == payloads.count_prompt_tokens({"messages": HELLO})
    assert last.usage.completion_tokens == payloads.count_tokens(DEFAULT_REPLY)
    assert all(c.usage is None for c in chunks[:-1])


async def test_chat_stream_without_usage_and_chunking(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    fake.scenario.reply_text = "abcdefg"
    fake.scenario.chunk_unit = "char"
    fake.scenario.chunk_size = 3
    stream = await client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, stream=True)
    chunks = [chunk async for chunk in stream]
    pieces = [c.choices[0].delta.content for c in chunks[1:-1]]
    assert pieces == ["abc", "def", "g"]
    assert all(c.usage is None for c in chunks)


async def test_chat_stream_tool_call_reassembly(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    fake.scenario.tool_calls = [
        ("get_weather", '{"city": "Paris", "unit": "celsius"}'),
        ("get_time", '{"tz": "Europe/Paris"}'),
    ]
    stream = await client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, stream=True)
    calls: dict[int, dict[str, str]] = {}
    finish = None
    argument_chunks = 0
    async for chunk in stream:
        choice = chunk.choices[0]
        finish = choice.finish_reason or finish
        for delta in choice.delta.tool_calls or []:
            entry = calls.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
            entry["id"] += delta.id or ""
            if delta.function is not None:
                entry["name"] += delta.function.name or ""
                entry["arguments"] += delta.function.arguments or ""
                argument_chunks += bool(delta.function.arguments)
    assert finish == "tool_calls"
    assert [
        (c["name"], c["arguments"]) for _, c in sorted(calls.items())
    ] == fake.scenario.tool_calls
    assert all(c["id"].startswith("call_") for c in calls.values())
    assert argument_chunks > 4  # the arguments really arrive in pieces
    assert json.loads(calls[0]["arguments"]) == {"city": "Paris", "unit": "celsius"}


async def test_chat_stream_with_logprobs_and_n(client: AsyncOpenAI) -> None:
    stream = await client.chat.completions.create(
        model="gpt-4o-mini", messages=HELLO, stream=True, n=2, logprobs=True, top_logprobs=1
    )
    texts: dict[int, str] = {0: "", 1: ""}
    tokens = 0
    async for chunk in stream:
        for choice in chunk.choices:
            texts[choice.index] += choice.delta.content or ""
            if choice.logprobs and choice.logprobs.content:
                tokens += len(choice.logprobs.content)
    assert texts == {0: DEFAULT_REPLY, 1: DEFAULT_REPLY}
    assert tokens == 2 * payloads.count_tokens(DEFAULT_REPLY)


async def test_chat_stream_dropped_mid_way(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    fake.scenario.drop_after_chunks = 4  # the role chunk + 3 content chunks
    stream = await client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, stream=True)
    received: list[str] = []

    async def consume() -> None:
        async for chunk in stream:
            received.append(chunk.choices[0].delta.content or "")

    with pytest.raises(openai.APIConnectionError):
        await consume()
    assert "".join(received) == "Hello! This is"


async def test_chat_stream_is_paced(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    fake.scenario.tokens_per_second = 100
    fake.scenario.reply_text = "one two three four five six seven eight nine ten"  # 10 tokens
    stream = await client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, stream=True)
    arrivals: list[float] = []
    async for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            arrivals.append(time.monotonic())
    assert len(arrivals) == 10
    assert arrivals[-1] - arrivals[0] >= 0.07  # 9 gaps of 10 ms each


async def test_latency_triggers_client_timeout(fake: FakeOpenAI) -> None:
    fake.scenario.latency_s = 5
    api = AsyncOpenAI(base_url=fake.base_url, api_key="test", max_retries=0, timeout=0.2)
    try:
        with pytest.raises(openai.APITimeoutError):
            await api.models.list()
    finally:
        await api.close()


# ------------------------------------------------------------------------------------------------
# Errors and fault injection
# ------------------------------------------------------------------------------------------------


async def test_wrong_api_key_is_401(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    fake.scenario.api_key = "sk-right-key-123456"
    with pytest.raises(openai.AuthenticationError) as info:
        await client.models.list()
    assert info.value.status_code == 401
    assert info.value.code == "invalid_api_key"
    assert info.value.type == "invalid_request_error"
    good = AsyncOpenAI(base_url=fake.base_url, api_key="sk-right-key-123456", max_retries=0)
    try:
        assert [m.id async for m in good.models.list()]
        bad = good.with_options(api_key="sk-wrong-key-abcdef")
        with pytest.raises(openai.AuthenticationError) as info:
            await bad.models.list()
        assert "Incorrect API key provided: sk-************cdef." in info.value.message
    finally:
        await good.close()


async def test_unknown_model_is_404(client: AsyncOpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        await client.chat.completions.create(model="gpt-3.5-turbo", messages=HELLO)
    assert info.value.code == "model_not_found"
    assert info.value.message.endswith(
        "The model `gpt-3.5-turbo` does not exist or you do not have access to it."
    )
    with pytest.raises(openai.NotFoundError):
        await client.embeddings.create(model="text-embedding-ada-002", input="x")


async def test_rate_limit_429(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    fake.rate_limit(retry_after=2)
    with pytest.raises(openai.RateLimitError) as info:
        await client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    error = info.value
    assert error.status_code == 429
    assert error.code == "rate_limit_exceeded"
    headers = error.response.headers
    assert headers["retry-after"] == "2"
    assert headers["x-ratelimit-remaining-requests"] == "0"
    assert headers["x-ratelimit-reset-requests"] == "2s"
    assert headers["x-ratelimit-limit-tokens"] == "2000000"
    assert headers["x-request-id"].startswith("req_")
    # the fault was used up: the next request succeeds
    await client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)


async def test_sdk_retry_honours_retry_after(fake: FakeOpenAI) -> None:
    fake.rate_limit(retry_after=0.05, times=1)
    api = AsyncOpenAI(base_url=fake.base_url, api_key="test", max_retries=1)
    try:
        completion = await api.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    finally:
        await api.close()
    assert completion.choices[0].message.content == DEFAULT_REPLY
    assert len(fake.requests_to("/chat/completions")) == 2
    assert fake.requests[1].headers["x-stainless-retry-count"] == "1"


async def test_quota_exceeded(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    fake.quota_exceeded()
    with pytest.raises(openai.RateLimitError) as info:
        await client.models.list()
    assert info.value.code == "insufficient_quota"


@pytest.mark.parametrize(
    ("status", "error_type"),
    [(500, "server_error"), (502, "cf_bad_gateway"), (503, "server_error")],
)
async def test_server_errors(
    fake: FakeOpenAI, client: AsyncOpenAI, status: int, error_type: str
) -> None:
    fake.fail_next(status)
    with pytest.raises(openai.InternalServerError) as info:
        await client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    assert info.value.status_code == status
    assert info.value.type == error_type


async def test_fail_next_custom_path_and_times(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    fake.fail_next(
        400,
        message="This model's maximum context length is 128000 tokens.",
        code="context_length_exceeded",
        param="messages",
        path="/chat/completions",
        times=2,
    )
    await client.embeddings.create(model="text-embedding-3-small", input="unaffected")
    for _ in range(2):
        with pytest.raises(openai.BadRequestError) as info:
            await client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
        assert info.value.code == "context_length_exceeded"
        assert info.value.param == "messages"
    await client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)


async def test_fail_next_404_names_the_requested_model(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    fake.fail_next(404)
    with pytest.raises(openai.NotFoundError) as info:
        await client.embeddings.create(model="text-embedding-3-small", input="x")
    assert info.value.code == "model_not_found"
    assert "`text-embedding-3-small` does not exist" in info.value.message


async def test_raw_html_error_body(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    fake.fail_next(
        502, raw_body="<html><body>502 Bad Gateway</body></html>", content_type="text/html"
    )
    with pytest.raises(openai.InternalServerError) as info:
        await client.models.list()
    assert "502 Bad Gateway" in str(info.value.body)


async def test_invalid_json_response(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    fake.invalid_json_next()
    # The SDK does not wrap this: the json module's error escapes as is.
    with pytest.raises(json.JSONDecodeError):
        await client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)
    assert (await client.chat.completions.create(model="gpt-4o-mini", messages=HELLO)).choices


async def test_invalid_json_in_stream(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    fake.invalid_json_next()
    stream = await client.chat.completions.create(model="gpt-4o-mini", messages=HELLO, stream=True)
    with pytest.raises(json.JSONDecodeError):
        async for _ in stream:
            pass


# ------------------------------------------------------------------------------------------------
# Embeddings and moderation
# ------------------------------------------------------------------------------------------------


async def test_embeddings_float_and_base64(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    texts = ["the cat sat on the mat", "a cat on a mat", "quarterly revenue grew"]
    as_float = await client.embeddings.create(
        model="text-embedding-3-small", input=texts, encoding_format="float"
    )
    assert fake.last("/embeddings").json == {
        "model": "text-embedding-3-small",
        "input": texts,
        "encoding_format": "float",
    }
    # the SDK asks for base64 by default and decodes it
    as_b64 = await client.embeddings.create(model="text-embedding-3-small", input=texts)
    assert fake.last("/embeddings").json is not None
    assert fake.last("/embeddings").json["encoding_format"] == "base64"  # type: ignore[index]
    vectors = [d.embedding for d in as_float.data]
    assert [d.embedding for d in as_b64.data] == vectors
    assert [d.index for d in as_float.data] == [0, 1, 2]
    assert all(len(v) == 1536 for v in vectors)
    assert all(math.isclose(_dot(v, v), 1.0, rel_tol=1e-5) for v in vectors)
    assert _dot(vectors[0], vectors[1]) > 0.3 > abs(_dot(vectors[0], vectors[2]))
    expected = payloads.embedding_vector(texts[0], 1536)
    assert all(math.isclose(a, b, abs_tol=1e-6) for a, b in zip(vectors[0], expected, strict=True))
    assert as_float.usage.prompt_tokens == sum(payloads.count_tokens(t) for t in texts)
    assert as_float.usage.total_tokens == as_float.usage.prompt_tokens


async def test_embeddings_dimensions_tokens_and_limits(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    small = await client.embeddings.create(
        model="text-embedding-3-large", input="hello world", dimensions=8
    )
    vector = small.data[0].embedding
    assert len(vector) == 8
    assert math.isclose(_dot(vector, vector), 1.0, rel_tol=1e-5)
    tokens = await client.embeddings.create(
        model="text-embedding-3-small", input=[[1, 2, 3], [4, 5]]
    )
    assert len(tokens.data) == 2
    assert tokens.usage.prompt_tokens == 5
    with pytest.raises(openai.BadRequestError):
        await client.embeddings.create(model="text-embedding-3-small", input=["x"] * 2049)


async def test_moderation_text_list_and_multimodal(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    single = await client.moderations.create(
        model="omni-moderation-latest", input="I will kill the process"
    )
    assert single.id.startswith("modr-")
    result = single.results[0]
    assert result.flagged
    assert result.categories.violence
    assert not result.categories.hate
    assert result.category_scores.violence > 0.9 > result.category_scores.hate
    assert set(result.model_dump(by_alias=True)["categories"]) == set(
        payloads.MODERATION_CATEGORIES
    )
    assert result.category_applied_input_types.violence == ["text"]

    several = await client.moderations.create(input=["hello", "I hate mondays"])
    assert [r.flagged for r in several.results] == [False, True]
    assert several.results[1].categories.hate
    assert several.model == "omni-moderation-latest"

    parts: list[ModerationMultiModalInputParam] = [
        {"type": "text", "text": "a photo"},
        {"type": "image_url", "image_url": {"url": "https://example.com/gore.png"}},
    ]
    mixed = await client.moderations.create(model="omni-moderation-latest", input=parts)
    assert len(mixed.results) == 1
    assert mixed.results[0].categories.violence_graphic
    assert mixed.results[0].category_applied_input_types.violence == ["text", "image"]
    assert mixed.results[0].category_applied_input_types.hate == ["text"]


# ------------------------------------------------------------------------------------------------
# Images
# ------------------------------------------------------------------------------------------------


async def test_image_generation_b64_and_usage(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    response = await client.images.generate(
        model="gpt-image-1", prompt="a red fox", size="1536x1024", n=2
    )
    assert response.data is not None
    assert len(response.data) == 2
    first = response.data[0]
    assert first.b64_json is not None
    image = Image.open(io.BytesIO(base64.b64decode(first.b64_json)))
    assert (image.format, image.size) == ("PNG", (1536, 1024))
    assert first.revised_prompt
    assert response.usage is not None
    assert response.usage.input_tokens_details.text_tokens == payloads.count_tokens("a red fox")
    assert response.usage.output_tokens == 2 * payloads.IMAGE_OUTPUT_TOKENS["medium"]["wide"]
    assert response.size == "1536x1024"
    assert fake.last("/images/generations").json == {
        "model": "gpt-image-1",
        "prompt": "a red fox",
        "size": "1536x1024",
        "n": 2,
    }


async def test_image_generation_url(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    response = await client.images.generate(
        model="gpt-image-1", prompt="a fox", size="256x256", response_format="url"
    )
    assert response.data is not None
    url = response.data[0].url
    assert url is not None
    assert url.startswith(fake.url + "/files/")
    async with httpx2.AsyncClient() as http:
        download = await http.get(url)
    assert download.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(download.content)).size == (256, 256)


async def test_image_generation_stream_partial_images(client: AsyncOpenAI) -> None:
    stream = await client.images.generate(
        model="gpt-image-1", prompt="a fox", size="1024x1024", stream=True, partial_images=2
    )
    events = [event async for event in stream]
    assert [e.type for e in events] == [
        "image_generation.partial_image",
        "image_generation.partial_image",
        "image_generation.completed",
    ]
    assert [getattr(e, "partial_image_index", None) for e in events[:2]] == [0, 1]
    last = events[-1]
    assert last.type == "image_generation.completed"
    assert last.usage.output_tokens == payloads.IMAGE_OUTPUT_TOKENS["medium"]["square"]
    assert Image.open(io.BytesIO(base64.b64decode(last.b64_json))).size == (1024, 1024)


async def test_image_edit_multipart_is_recorded(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    source, mask = _png(128, 128), _png(128, 128)
    response = await client.images.edit(
        model="gpt-image-1",
        image=("photo.png", source, "image/png"),
        mask=("mask.png", mask, "image/png"),
        prompt="add a hat",
    )
    assert response.data is not None
    assert response.data[0].b64_json is not None
    edited = Image.open(io.BytesIO(base64.b64decode(response.data[0].b64_json)))
    assert edited.size == (128, 128)  # defaults to the input size
    request = fake.last("/images/edits")
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert request.form == {"prompt": "add a hat", "model": "gpt-image-1"}
    assert request.files["image"] == ("photo.png", "image/png", source)
    assert request.files["mask"].filename == "mask.png"
    assert response.usage is not None
    assert response.usage.input_tokens_details.image_tokens == payloads.IMAGE_INPUT_TOKENS


async def test_image_edit_several_images_and_stream(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    stream = await client.images.edit(
        model="gpt-image-1",
        image=[("a.png", _png(), "image/png"), ("b.png", _png(), "image/png")],
        prompt="merge",
        stream=True,
        partial_images=1,
    )
    events = [event async for event in stream]
    assert [e.type for e in events] == ["image_edit.partial_image", "image_edit.completed"]
    request = fake.last("/images/edits")
    assert [name for name, _ in request.file_items] == ["image[]", "image[]"]
    assert request.form["stream"] == "true"


async def test_image_variation(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    with pytest.warns(
        DeprecationWarning, match="deprecated"
    ):  # the SDK marks variations as deprecated
        response = await client.images.create_variation(
            image=("cat.png", _png(), "image/png"), n=2, size="256x256"
        )
    assert response.data is not None
    assert len(response.data) == 2
    assert response.usage is None
    assert fake.last("/images/variations").files["image"].filename == "cat.png"


# ------------------------------------------------------------------------------------------------
# Audio
# ------------------------------------------------------------------------------------------------


async def test_speech_wav_pcm_and_recorded_params(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    speech = await client.audio.speech.create(
        model="gpt-4o-mini-tts",
        voice="coral",
        input="Hello there",
        response_format="wav",
        speed=1.5,
        instructions="Cheerful",
    )
    assert speech.response.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(speech.content), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 24000)
        assert math.isclose(
            wav.getnframes() / 24000, payloads.speech_duration("Hello there", 1.5), abs_tol=1e-3
        )
    request = fake.last("/audio/speech")
    assert request.json == {
        "input": "Hello there",
        "model": "gpt-4o-mini-tts",
        "voice": "coral",
        "instructions": "Cheerful",
        "response_format": "wav",
        "speed": 1.5,
    }
    longer = await client.audio.speech.create(
        model="tts-1", voice="alloy", input="Hello there " * 5, response_format="pcm"
    )
    assert longer.response.headers["content-type"] == "audio/pcm"
    assert len(longer.content) == 2 * int(24000 * payloads.speech_duration("Hello there " * 5))
    mp3 = await client.audio.speech.create(model="tts-1", voice="alloy", input="Hi")
    assert mp3.response.headers["content-type"] == "audio/mpeg"


async def test_speech_streaming_response_to_file(
    client: AsyncOpenAI, tmp_path: pytest.TempPathFactory
) -> None:
    async with client.audio.speech.with_streaming_response.create(
        model="tts-1", voice="alloy", input="Stream me", response_format="wav"
    ) as response:
        data = b"".join([chunk async for chunk in response.iter_bytes()])
    assert data.startswith(b"RIFF")


async def test_transcription_formats(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    audio = payloads.pcm_to_wav(payloads.speech_pcm("x" * 90))  # 2.0 s of audio
    text = fake.scenario.transcript_text
    plain = await client.audio.transcriptions.create(
        model="whisper-1", file=("a.wav", audio, "audio/wav")
    )
    assert plain.text == text
    assert plain.usage is not None
    assert plain.usage.type == "duration"
    request = fake.last("/audio/transcriptions")
    assert request.files["file"] == ("a.wav", "audio/wav", audio)
    assert request.form == {"model": "whisper-1"}

    as_text = await client.audio.transcriptions.create(
        model="whisper-1",
        file=("a.wav", audio),
        response_format="text",
        language="de",
        prompt="Names",
        temperature=0.2,
    )
    assert as_text == text + "\n"
    assert fake.last("/audio/transcriptions").form == {
        "model": "whisper-1",
        "language": "de",
        "prompt": "Names",
        "response_format": "text",
        "temperature": "0.2",
    }
    srt = await client.audio.transcriptions.create(
        model="whisper-1", file=("a.wav", audio), response_format="srt"
    )
    assert srt.startswith("1\n00:00:00,000 --> 00:00:")
    vtt = await client.audio.transcriptions.create(
        model="whisper-1", file=("a.wav", audio), response_format="vtt"
    )
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> ")

    verbose = await client.audio.transcriptions.create(
        model="whisper-1",
        file=("a.wav", audio),
        response_format="verbose_json",
        timestamp_granularities=["word", "segment"],
        language="de",
    )
    assert verbose.language == "german"
    assert math.isclose(verbose.duration, 2.0)
    assert verbose.segments is not None
    assert [s.id for s in verbose.segments] == [0, 1]
    assert verbose.segments[-1].end == pytest.approx(2.0)
    assert verbose.words is not None
    assert [w.word for w in verbose.words[:3]] == ["Hello", "from", "the"]
    assert fake.last("/audio/transcriptions").form_values("timestamp_granularities[]") == [
        "word",
        "segment",
    ]


async def test_transcription_token_usage_and_stream(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    fake.scenario.transcript_text = "One two three."
    result = await client.audio.transcriptions.create(
        model="gpt-4o-transcribe", file=("a.mp3", b"ID3fake")
    )
    assert result.usage is not None
    assert result.usage.type == "tokens"
    stream = await client.audio.transcriptions.create(
        model="gpt-4o-transcribe", file=("a.mp3", b"ID3fake"), stream=True
    )
    events = [event async for event in stream]
    deltas = [e.delta for e in events if e.type == "transcript.text.delta"]
    assert deltas == ["One", " two", " three."]
    done = events[-1]
    assert done.type == "transcript.text.done"
    assert done.text == "One two three."
    assert done.usage is not None
    assert done.usage.output_tokens == payloads.count_tokens("One two three.")
    with pytest.raises(openai.BadRequestError) as info:
        await client.audio.transcriptions.create(
            model="gpt-4o-transcribe", file=("a.mp3", b"ID3"), response_format="verbose_json"
        )
    assert info.value.param == "response_format"


async def test_translation_and_upload_limit(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    with pytest.warns(
        DeprecationWarning, match="deprecated"
    ):  # the SDK marks translations as deprecated
        translation = await client.audio.translations.create(
            model="whisper-1", file=("ar.mp3", b"ID3fake")
        )
    assert translation.text == fake.scenario.transcript_text
    with pytest.warns(DeprecationWarning, match="deprecated"):
        verbose = await client.audio.translations.create(
            model="whisper-1", file=("ar.mp3", b"ID3fake"), response_format="verbose_json"
        )
    assert verbose.language == "english"
    fake.scenario.max_upload_bytes = 1000
    with pytest.raises(openai.APIStatusError) as info:
        await client.audio.transcriptions.create(model="whisper-1", file=("big.wav", b"\0" * 1001))
    assert info.value.status_code == 413
    assert "Maximum content size limit (1000) exceeded" in info.value.message


# ------------------------------------------------------------------------------------------------
# Azure
# ------------------------------------------------------------------------------------------------


async def test_azure_client(fake: FakeOpenAI) -> None:
    fake.scenario.api_key = "azure-key"
    fake.scenario.azure_deployments = ["dep"]
    azure = AsyncAzureOpenAI(
        azure_endpoint=fake.url,
        api_key="azure-key",
        api_version="2024-10-21",
        azure_deployment="dep",
        max_retries=0,
    )
    try:
        completion = await azure.chat.completions.create(model="ignored-by-azure", messages=HELLO)
        assert completion.choices[0].message.content == DEFAULT_REPLY
        request = fake.last("/chat/completions")
        assert request.path == "/openai/deployments/dep/chat/completions"
        assert request.deployment == "dep"
        assert request.azure
        assert request.query == {"api-version": "2024-10-21"}
        assert request.headers["api-key"] == "azure-key"

        stream = await azure.chat.completions.create(model="x", messages=HELLO, stream=True)
        chunks = [chunk async for chunk in stream]
        assert chunks[0].choices == []  # Azure's prompt_filter_results chunk comes first
        assert (
            "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == DEFAULT_REPLY
        )

        embedding = await azure.embeddings.create(model="x", input="hi")
        assert len(embedding.data[0].embedding) == 1536
        assert fake.last("/embeddings").path == "/openai/deployments/dep/embeddings"
        assert [m.id async for m in azure.models.list()]
        assert fake.last("/models").path == "/openai/models"

        other = AsyncAzureOpenAI(
            azure_endpoint=fake.url,
            api_key="azure-key",
            api_version="2024-10-21",
            azure_deployment="nope",
            max_retries=0,
        )
        try:
            with pytest.raises(openai.NotFoundError) as info:
                await other.chat.completions.create(model="x", messages=HELLO)
            assert info.value.code == "DeploymentNotFound"
        finally:
            await other.close()
        with pytest.raises(openai.AuthenticationError):
            await azure.with_options(api_key="wrong").chat.completions.create(
                model="x", messages=HELLO
            )
    finally:
        await azure.close()
    assert fake.server_errors == []


def test_connections_send_small_writes_at_once(fake: FakeOpenAI) -> None:
    """Streams go out with TCP_NODELAY (as real servers send them): with Nagle's algorithm each
    small SSE write waited for the client's delayed ACK, up to 40 ms (bench/overhead.py)."""
    import socket

    with socket.create_connection(("127.0.0.1", fake.port)) as conn:
        conn.sendall(b"GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer test\r\n\r\n")
        assert conn.recv(65536).startswith(b"HTTP/1.1 200")
        server = fake._server
        assert server is not None
        with server._conn_lock:
            accepted = list(server._connections)
        assert accepted
        for sock in accepted:
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


# -- the split by endpoint family ------------------------------------------------------------------


def test_every_family_module_is_served() -> None:
    """A family module left out of FAMILIES would register routes nobody serves."""
    import importlib
    import pkgutil

    import tests.fakes
    from tests.fakes.openai_server import FAMILIES
    from tests.fakes.server import Family

    found = {}
    for info in pkgutil.iter_modules(tests.fakes.__path__):
        module = importlib.import_module(f"tests.fakes.{info.name}")
        family = getattr(module, "FAMILY", None)
        if isinstance(family, Family):
            found[info.name] = family
    assert set(found) == {
        "models",
        "chat",
        "responses",
        "images",
        "audio",
        "embeddings",
        "moderation",
        "batches",
        "decisions",
        "files",
        "vector_stores",
        "fine_tuning",
        "organization",
        "realtime",
        "conversations",
    }
    assert [name for name, family in found.items() if family not in FAMILIES] == []


def test_route_patterns_and_parameters() -> None:
    from tests.fakes.server import Family, Handler, Router

    family = Family("sample")

    @family.route("POST", "/things/{thing_id}/cancel")
    def cancel(h: Handler) -> None: ...

    @family.route("GET", "/models/{model_id:path}")
    def model(h: Handler) -> None: ...

    router = Router([family])
    assert router.match("POST", "/things/t_1/cancel") == (cancel, {"thing_id": "t_1"})
    assert router.match("GET", "/models/ft:gpt-4o/org%2Fx") == (
        model,
        {"model_id": "ft:gpt-4o/org%2Fx"},
    )
    assert router.match("GET", "/things/t_1/cancel") is None  # wrong method
    assert router.match("POST", "/things/a/b/cancel") is None  # {name} is one segment
    assert router.match("POST", "/things/t_1/cancel/more") is None  # the whole path must match


def test_router_refuses_one_route_in_two_families() -> None:
    from tests.fakes.server import Family, Handler, Router

    first, second = Family("first"), Family("second")

    @first.route("POST", "/embeddings")
    @second.route("POST", "/embeddings")
    def create(h: Handler) -> None: ...

    with pytest.raises(ValueError, match="'first' and 'second'"):
        Router([first, second])
