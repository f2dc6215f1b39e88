"""``POST /v1/chat/completions``: JSON or SSE, ``n``, ``logprobs``, tool calls, ``stop``,
``max_tokens``/``max_completion_tokens`` truncation, ``stream_options.include_usage``, the
reasoning models' parameter checks, Azure's content-filter results and prompt caching
(:mod:`tests.fakes.prompt_cache`: a repeated start under one ``prompt_cache_key`` is reported
as ``cached_tokens``).

:func:`reply_text` and :func:`chat_usage` are shared with the Batch API (:mod:`tests.fakes.batches`),
which answers each line like a non-streamed chat request.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

from tests.fakes import openai_payloads as payloads
from tests.fakes import prompt_cache
from tests.fakes.server import Family, Handler
from tests.fakes.wire import JsonDict, Reply, error_body, new_id

FAMILY = Family("chat")

_REASONING_MODEL_RE = re.compile(r"^(o\d|gpt-5)")


def _validate_chat(h: Handler, body: JsonDict) -> str:
    model = h.check_model(body.get("model"))
    assert model is not None
    messages = body.get("messages")
    if messages is None:
        h.require(body, "messages")
    if not isinstance(messages, list):
        raise Reply(
            400,
            error_body(
                f"Invalid type for 'messages': expected an array, but got {type(messages).__name__}"
                " instead.",
                param="messages",
                code="invalid_type",
            ),
        )
    if not messages:
        raise Reply(
            400,
            error_body(
                "Invalid 'messages': empty array. Expected an array with minimum length 1, but got"
                " an empty array instead.",
                param="messages",
                code="empty_array",
            ),
        )
    roles = ("system", "assistant", "user", "function", "tool", "developer")
    for index, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if role not in roles:
            raise Reply(
                400,
                error_body(
                    f"Invalid value: '{role}'. Supported values are: 'system', 'assistant', 'user',"
                    " 'function', 'tool', and 'developer'.",
                    param=f"messages[{index}].role",
                    code="invalid_value",
                ),
            )
    h.check_range(body, "temperature", 0, 2)
    h.check_range(body, "top_p", 0, 1)
    h.check_range(body, "presence_penalty", -2, 2)
    h.check_range(body, "frequency_penalty", -2, 2)
    h.check_range(body, "n", 1, 128, integer=True)
    h.check_range(body, "top_logprobs", 0, 20, integer=True)
    prompt_cache.check(body, ttls=prompt_cache.CHAT_TTLS, prewarm=False)
    if not h.record.azure and _REASONING_MODEL_RE.match(model):
        if body.get("max_tokens") is not None:
            raise Reply(
                400,
                error_body(
                    "Unsupported parameter: 'max_tokens' is not supported with this model. Use"
                    " 'max_completion_tokens' instead.",
                    param="max_tokens",
                    code="unsupported_parameter",
                ),
            )
        temperature = body.get("temperature")
        if temperature is not None and temperature != 1:
            raise Reply(
                400,
                error_body(
                    f"Unsupported value: 'temperature' does not support {temperature} with this"
                    " model. Only the default (1) value is supported.",
                    param="temperature",
                    code="unsupported_value",
                ),
            )
    return model


def reply_text(h: Handler, body: JsonDict) -> tuple[str, str]:
    """Return the reply text after ``stop``/``max_tokens`` handling, and its finish reason."""
    reply = h.fake.scenario.reply_text
    text = reply(body) if callable(reply) else reply
    finish = "stop"
    stop = body.get("stop")
    stops = [stop] if isinstance(stop, str) else [s for s in stop or [] if isinstance(s, str)]
    positions = [text.find(s) for s in stops if s and s in text]
    if positions:
        text = text[: min(positions)]
    limit = body.get("max_completion_tokens", body.get("max_tokens"))
    if isinstance(limit, int) and payloads.count_tokens(text) > limit:
        text = payloads.truncate_tokens(text, limit)
        finish = "length"
    return text, finish


def chat_usage(h: Handler, prompt_tokens: int, completion_tokens: int) -> JsonDict:
    scenario = h.fake.scenario
    usage: JsonDict = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": scenario.cached_tokens, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": scenario.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }
    if scenario.usage:
        usage.update(scenario.usage)
        if "total_tokens" not in scenario.usage:
            usage["total_tokens"] = int(usage["prompt_tokens"]) + int(usage["completion_tokens"])
    h.fake._add_tokens(int(usage["total_tokens"]))
    return usage


@FAMILY.route("POST", "/chat/completions")
def _completions(h: Handler) -> None:
    body = h.json_body()
    model = _validate_chat(h, body)
    scenario = h.fake.scenario
    n = body.get("n") or 1
    text, finish = reply_text(h, body)
    calls = [(name, args, new_id("call_", 24)) for name, args in scenario.tool_calls]
    if calls:
        finish = "tool_calls"
        per_choice = sum(
            payloads.count_tokens(name) + payloads.count_tokens(args) for name, args, _ in calls
        )
    else:
        per_choice = payloads.count_tokens(text)
    finish = scenario.finish_reason or finish
    usage = chat_usage(
        h, payloads.count_prompt_tokens(body), n * per_choice + scenario.reasoning_tokens
    )
    messages = list(body["messages"])
    cached = prompt_cache.cached_tokens(
        h.fake, body, messages, lambda k: payloads.count_prompt_tokens({"messages": messages[:k]})
    )
    details = usage["prompt_tokens_details"]
    if cached and isinstance(details, dict):
        details["cached_tokens"] = max(int(details.get("cached_tokens") or 0), cached)
    base: JsonDict = {
        "id": new_id("chatcmpl-", 29),
        "created": int(time.time()),
        "model": model,
        "service_tier": "default",
        "system_fingerprint": scenario.system_fingerprint,
    }
    want_logprobs = bool(body.get("logprobs"))
    top = int(body.get("top_logprobs") or 0)
    if body.get("stream"):
        stream_options = body.get("stream_options") or {}
        include_usage = bool(stream_options.get("include_usage"))
        chunks = _chat_chunks(
            h, base, n, text, calls, finish, usage if include_usage else None, want_logprobs, top
        )
        h.send_sse(chunks, done=True)
        return
    message: JsonDict = {
        "role": "assistant",
        "content": None if calls else text,
        "refusal": None,
        "annotations": [],
    }
    if calls:
        message["tool_calls"] = [
            {"id": call_id, "type": "function", "function": {"name": name, "arguments": args}}
            for name, args, call_id in calls
        ]
    logprobs = (
        {"content": payloads.token_logprobs(text, top), "refusal": None} if want_logprobs else None
    )
    response: JsonDict = {
        **base,
        "object": "chat.completion",
        "choices": [
            {"index": i, "message": message, "logprobs": logprobs, "finish_reason": finish}
            for i in range(n)
        ],
        "usage": usage,
    }
    if h.record.azure:
        response["prompt_filter_results"] = [
            {"prompt_index": 0, "content_filter_results": _azure_filters()}
        ]
        for choice in response["choices"]:
            choice["content_filter_results"] = _azure_filters()
    h.send_json(200, response)


def _chat_chunks(
    h: Handler,
    base: JsonDict,
    n: int,
    text: str,
    calls: list[tuple[str, str, str]],
    finish: str,
    usage: JsonDict | None,
    want_logprobs: bool,
    top: int,
) -> Iterator[tuple[str | None, object, int]]:
    scenario = h.fake.scenario

    def chunk(choices: list[JsonDict], **extra: object) -> JsonDict:
        payload: JsonDict = {**base, "object": "chat.completion.chunk", "choices": choices}
        if usage is not None:
            payload["usage"] = None
        payload.update(extra)
        return payload

    def choice(
        index: int, delta: JsonDict, finish_reason: str | None = None, logprobs: object = None
    ) -> JsonDict:
        return {
            "index": index,
            "delta": delta,
            "logprobs": logprobs,
            "finish_reason": finish_reason,
        }

    def call_header(k: int) -> JsonDict:
        name, _, call_id = calls[k]
        return {
            "index": k,
            "id": call_id,
            "type": "function",
            "function": {"name": name, "arguments": ""},
        }

    if h.record.azure:
        filters = [{"prompt_index": 0, "content_filter_results": _azure_filters()}]
        yield (
            None,
            {
                "choices": [],
                "created": 0,
                "id": "",
                "model": "",
                "object": "",
                "prompt_filter_results": filters,
            },
            0,
        )
    for i in range(n):
        delta: JsonDict = {
            "role": "assistant",
            "content": None if calls else "",
            "refusal": None,
        }
        if calls:
            delta["tool_calls"] = [call_header(0)]
        yield None, chunk([choice(i, delta)]), 0
    if calls:
        for i in range(n):
            for k, (_, args, _) in enumerate(calls):
                if k > 0:
                    yield None, chunk([choice(i, {"tool_calls": [call_header(k)]})]), 0
                for piece in payloads.split_chunks(args, 1, "token"):
                    delta = {"tool_calls": [{"index": k, "function": {"arguments": piece}}]}
                    yield None, chunk([choice(i, delta)]), payloads.count_tokens(piece)
    else:
        for piece in payloads.split_chunks(text, scenario.chunk_size, scenario.chunk_unit):
            logprobs = (
                {"content": payloads.token_logprobs(piece, top), "refusal": None}
                if want_logprobs
                else None
            )
            for i in range(n):
                yield (
                    None,
                    chunk([choice(i, {"content": piece}, logprobs=logprobs)]),
                    payloads.count_tokens(piece),
                )
    for i in range(n):
        yield None, chunk([choice(i, {}, finish)]), 0
    if usage is not None:
        yield None, chunk([], usage=usage), 0


def _azure_filters() -> JsonDict:
    safe = {"filtered": False, "severity": "safe"}
    return {"hate": safe, "self_harm": safe, "sexual": safe, "violence": safe}
