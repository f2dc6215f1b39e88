"""Chat Completions: build the request from what the user set, stream the answer, measure it.

The service never touches widgets: it hands each text fragment to a callback and returns a
`ChatResult`. What arrived before a failure or a cancel stays readable in the `ChatProgress` the
caller passed in, so a dropped stream never loses the partial answer.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from playground.core.api.capabilities import Capabilities, allowed, capabilities
from playground.core.api.errors import from_exception
from playground.core.api.replies import (
    interrupted,
    is_event_stream,
    json_body,
    nothing_came,
    unexpected_body,
)
from playground.core.api.retry import RetryWait, as_sent, quiet_client, with_retries
from playground.core.chat.builtin_tools import BuiltinTool, Citation, McpApproval, ToolStep
from playground.core.models import Message, ToolCall, Usage

PROMPT_CACHE_TTLS: tuple[str, ...] = ("30m", "12h")
"""The prompt cache lifetimes the Responses API takes (`prompt_cache_options.ttl`)."""
CHAT_PROMPT_CACHE_TTLS: tuple[str, ...] = ("30m",)
"""The lifetimes Chat Completions takes: only its default (the SDK's `PromptCacheOptions`)."""


def takes_prompt_cache(caps: Capabilities) -> bool:
    """Whether a model gets the prompt cache settings: OpenAI's own models do (the ones that
    take a service tier); a compatible server's models do not. A server that refuses them
    anyway is learned from (`core/chat/learned.py`)."""
    return caps.service_tier


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """Everything the user set for one chat request.

    Parameters the model does not accept (see `capabilities`) are dropped by `to_api` and listed by
    `omitted`, so the request never carries them. `None` means "the model's default" (not sent).

    Attributes:
        model: the model id.
        messages: system prompt first (if any), then the turns.
        temperature: 0–2.
        top_p: 0–1.
        max_output_tokens: the longest answer; sent as the model's own parameter name.
        frequency_penalty: -2–2.
        presence_penalty: -2–2.
        seed: for best-effort repeatable answers.
        stop: up to 4 stop sequences.
        n: how many answers to generate.
        logprobs: return token log-probabilities.
        top_logprobs: alternatives per token (0–20), with `logprobs`.
        response_format: the API's `response_format` object (json_object or json_schema), or None.
        tools: function tool definitions in the API's shape.
        tool_choice: "auto", "none", "required" or {"type": "function", ...}; None leaves it out.
        reasoning_effort: for reasoning models ("none", "minimal", "low", "medium", "high",
            "xhigh", "max"; which ones a model takes is in `capabilities`). At "none" a GPT-6
            model takes the sampling parameters and logprobs again.

    The Responses API's own settings (reasoning summary, verbosity, service tier, stored state,
    built-in tools) are in the subclass `ResponsesRequest`.
    """

    model: str
    messages: tuple[Message, ...]
    temperature: float | None = None
    top_p: float | None = None
    max_output_tokens: int | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    seed: int | None = None
    stop: tuple[str, ...] = ()
    n: int = 1
    logprobs: bool = False
    top_logprobs: int | None = None
    response_format: dict[str, Any] | None = None
    tools: tuple[dict[str, Any], ...] = ()
    tool_choice: str | dict[str, Any] | None = None
    reasoning_effort: str | None = None

    def omitted(self) -> list[str]:
        """Parameters the user set that this model does not accept (never sent)."""
        caps = capabilities(self.model)
        knobs = allowed(self.model, self.reasoning_effort)
        out: list[str] = []
        if not knobs.sampling:
            out += [
                name
                for name, value in (
                    ("temperature", self.temperature),
                    ("top_p", self.top_p),
                    ("frequency_penalty", self.frequency_penalty),
                    ("presence_penalty", self.presence_penalty),
                )
                if value is not None
            ]
        if not knobs.logprobs and self.logprobs:
            out.append("logprobs")
        if not caps.stop and self.stop:
            out.append("stop")
        if self.reasoning_effort and not (caps.reasoning and knobs.effort_ok):
            out.append("reasoning_effort")
        if isinstance(self, ResponsesRequest):
            if self.prompt_cache_key and not takes_prompt_cache(caps):
                out.append("prompt_cache_key")
            ttl = self.prompt_cache_ttl
            if ttl and not (takes_prompt_cache(caps) and ttl in CHAT_PROMPT_CACHE_TTLS):
                out.append("prompt_cache_ttl")  # 12 hours is a Responses lifetime
            if self.builtin_tools:
                out.append("builtin_tools")  # Responses only
            if self.reasoning_summary:
                out.append("reasoning_summary")  # Responses only
            if self.previous_response_id:
                out.append("previous_response_id")  # Responses only
        return out

    def to_api(self, *, stream: bool) -> dict[str, Any]:
        """The request body for `chat.completions.create`, with only what this model accepts."""
        caps = capabilities(self.model)
        knobs = allowed(self.model, self.reasoning_effort)
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [m.to_api() for m in self.messages],
        }
        if knobs.sampling:
            for name, value in (
                ("temperature", self.temperature),
                ("top_p", self.top_p),
                ("frequency_penalty", self.frequency_penalty),
                ("presence_penalty", self.presence_penalty),
            ):
                if value is not None:
                    body[name] = value
        if self.max_output_tokens is not None:
            body[caps.max_tokens_param] = self.max_output_tokens
        if self.seed is not None:
            body["seed"] = self.seed
        if self.stop and caps.stop:
            body["stop"] = list(self.stop[:4])
        if self.n != 1:
            body["n"] = self.n
        if self.logprobs and knobs.logprobs:
            body["logprobs"] = True
            if self.top_logprobs is not None:
                body["top_logprobs"] = self.top_logprobs
        if self.response_format is not None:
            body["response_format"] = self.response_format
        if self.tools:
            body["tools"] = list(self.tools)
            if self.tool_choice is not None:
                body["tool_choice"] = self.tool_choice
        if self.reasoning_effort and caps.reasoning and knobs.effort_ok:
            body["reasoning_effort"] = self.reasoning_effort
        if isinstance(self, ResponsesRequest):  # the knobs Chat Completions shares
            if self.verbosity and caps.verbosity:
                body["verbosity"] = self.verbosity
            if self.service_tier and caps.service_tier:
                body["service_tier"] = self.service_tier
            if self.prompt_cache_key and takes_prompt_cache(caps):
                body["prompt_cache_key"] = self.prompt_cache_key
            ttl = self.prompt_cache_ttl
            if ttl in CHAT_PROMPT_CACHE_TTLS and takes_prompt_cache(caps):
                body["prompt_cache_options"] = {"ttl": ttl}
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body


@dataclass(frozen=True, slots=True)
class ResponsesRequest(ChatRequest):
    """A `ChatRequest` with the Responses API's own settings (`ChatService` sends `verbosity` and
    `service_tier` too, and lists the rest as omitted).

    Kept apart from `ChatRequest`'s fields on purpose: history and View code enumerate those
    fields, and learn these when the Responses UI lands.

    Attributes:
        reasoning_summary: "auto", "concise" or "detailed": stream the model's reasoning summary;
            None asks for none.
        verbosity: "low", "medium" or "high"; None leaves it out.
        service_tier: "auto", "default", "flex", "priority", …; None leaves it out.
        previous_response_id: continue from this stored response: only the turns after the last
            assistant turn are sent.
        store: keep the response on OpenAI (on by itself with `previous_response_id`, so the
            chain can go on).
        builtin_tools: web search, file search, code interpreter, image generation, remote MCP
            servers.
        mcp_approvals: the user's Approve / Deny answers to MCP approval requests of the previous
            reply, sent after the turns.
        truncation: "auto" lets the server drop the oldest input that does not fit the window
            (Responses only; None leaves it out).
        context_strategy: what the conversation does when it outgrows the window
            (`core.chat.context.Strategy`; a setting of the conversation, never sent); None asks.
        summary_model: the model that summarises older turns (None: the conversation's model).
        background: run as a background response that goes on if the app closes (Chat sends it
            through `ResponsesEngine.start_background`; a setting of the conversation).
        prompt_cache_key: requests with the same key share OpenAI's prompt cache (both APIs;
            None leaves it out).
        prompt_cache_ttl: how long the cache is kept, `prompt_cache_options.ttl`: "30m" or
            "12h" on Responses, only "30m" on Chat Completions; None leaves it to the server
            (30 minutes).
        keep_as: how "Keep on OpenAI" keeps the conversation: None, a chain of stored answers
            (`previous_response_id`), or "conversation", an OpenAI conversation object (a setting
            of the conversation, never sent; see `core.chat.server_state`).
        conversation: the OpenAI conversation ("conv_…") this send continues: only the turns
            after the last assistant turn are sent (cannot go with `previous_response_id`).
    """

    reasoning_summary: str | None = None
    verbosity: str | None = None
    service_tier: str | None = None
    previous_response_id: str | None = None
    store: bool = False
    builtin_tools: tuple[BuiltinTool, ...] = ()
    mcp_approvals: tuple[McpApproval, ...] = ()
    truncation: str | None = None
    context_strategy: str | None = None
    summary_model: str | None = None
    background: bool = False
    prompt_cache_key: str | None = None
    prompt_cache_ttl: str | None = None
    keep_as: str | None = None
    conversation: str | None = None


@dataclass(frozen=True, slots=True)
class TokenLogprob:
    """One output token with its log-probability and the alternatives the model considered."""

    token: str
    logprob: float
    top: tuple[tuple[str, float], ...] = ()

    @property
    def probability(self) -> float:
        return math.exp(self.logprob)


@dataclass(slots=True)
class _ToolCallParts:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ChoiceProgress:
    """One answer (of `n`) as it streams in."""

    text_parts: list[str] = field(default_factory=list)
    finish_reason: str = ""
    refusal_parts: list[str] = field(default_factory=list)
    tool_calls: dict[int, _ToolCallParts] = field(default_factory=dict)
    logprobs: list[TokenLogprob] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.text_parts)

    def result(self, index: int) -> ChoiceResult:
        return ChoiceResult(
            index=index,
            text=self.text,
            finish_reason=self.finish_reason,
            tool_calls=tuple(
                ToolCall(c.id, c.name, "".join(c.arguments))
                for _, c in sorted(self.tool_calls.items())
            ),
            logprobs=tuple(self.logprobs),
            refusal="".join(self.refusal_parts) or None,
        )


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    """A piece of the model's reasoning summary (the "Thinking" section)."""

    text: str


@dataclass(frozen=True, slots=True)
class RefusalDelta:
    """A piece of the model's refusal (choice 0)."""

    text: str


@dataclass(frozen=True, slots=True)
class StepChanged:
    """A built-in tool step appeared or changed; `index` is its place in `ChatProgress.steps`."""

    index: int
    step: ToolStep


@dataclass(frozen=True, slots=True)
class FunctionCallStarted:
    """The model began a function call (its arguments follow)."""

    call_id: str
    name: str


ProgressEvent = ReasoningDelta | RefusalDelta | StepChanged | FunctionCallStarted
"""What `ChatProgress.listener` is told besides answer text (which goes to `on_delta`)."""


@dataclass(slots=True)
class ChatProgress:
    """Filled in while a reply streams; readable after a failure or cancel.

    Attributes:
        choices: each answer so far, by index (one unless `n` > 1).
        started: monotonic time the request was sent.
        first_token_at: monotonic time the first text arrived, or None.
        chunks: content fragments received (about one token each): the live output count.
        reasoning_parts: the reasoning summary so far (Responses), in pieces.
        steps: built-in tool steps so far, in the order they appeared (Responses).
        citations: sources the answer cites so far (Responses annotations).
        response_id: the response's id (Responses), once the server said it.
        listener: told of every `ProgressEvent` as it arrives (the caller sets it; None: nobody).
    """

    choices: dict[int, ChoiceProgress] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    first_token_at: float | None = None
    chunks: int = 0
    reasoning_parts: list[str] = field(default_factory=list)
    steps: list[ToolStep] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    response_id: str | None = None
    listener: Callable[[ProgressEvent], None] | None = None

    @property
    def reasoning(self) -> str:
        """The reasoning summary so far."""
        return "".join(self.reasoning_parts)

    def reset(self) -> None:
        """Forget everything that arrived (a retry starts clean); keeps the listener."""
        self.choices.clear()
        self.reasoning_parts.clear()
        self.steps.clear()
        self.citations.clear()
        self.response_id = None
        self.first_token_at = None
        self.chunks = 0

    def choice(self, index: int) -> ChoiceProgress:
        if index not in self.choices:
            self.choices[index] = ChoiceProgress()
        return self.choices[index]

    @property
    def text(self) -> str:
        """The first answer so far."""
        first = self.choices.get(0)
        return first.text if first is not None else ""

    @property
    def elapsed_ms(self) -> float:
        return (time.monotonic() - self.started) * 1000.0

    @property
    def ttft_ms(self) -> float | None:
        if self.first_token_at is None:
            return None
        return (self.first_token_at - self.started) * 1000.0


@dataclass(frozen=True, slots=True)
class ChoiceResult:
    """One finished answer.

    Attributes:
        index: its position among the `n` answers.
        text: the answer text.
        finish_reason: "stop", "length", "content_filter", "tool_calls" or "" if none came.
        tool_calls: the functions the model asked to call.
        logprobs: per output token, when logprobs were requested.
        refusal: the model's refusal message (structured outputs), if it refused.
    """

    index: int
    text: str
    finish_reason: str
    tool_calls: tuple[ToolCall, ...] = ()
    logprobs: tuple[TokenLogprob, ...] = ()
    refusal: str | None = None


@dataclass(frozen=True, slots=True)
class ChatResult:
    """A finished reply with the numbers shown under it.

    Attributes:
        choices: the answers (one unless `n` > 1), by index.
        usage: the server's usage, or None if it sent none (then the caller estimates).
        system_fingerprint: the backend configuration, for reproducibility with a seed.
        request_id: the server's x-request-id.
        ttft_ms: time to first token.
        elapsed_ms: time from sending to the last byte.
        model: the model the server says answered.
        api: "chat.completions" or "responses": the engine that answered.
        reasoning_summary: the model's reasoning summary (Responses), or "".
        steps: the built-in tool steps, in order (Responses).
        citations: sources the answer cites (Responses).
        response_id: the response's id (Responses): the next turn's `previous_response_id`.
        service_tier: the tier the server says served the request (decides the price).
        incomplete_reason: why the server stopped early ("max_output_tokens", "content_filter"),
            or None.
    """

    choices: tuple[ChoiceResult, ...]
    usage: Usage | None
    system_fingerprint: str | None
    request_id: str | None
    ttft_ms: float | None
    elapsed_ms: float
    model: str
    api: str = "chat.completions"
    reasoning_summary: str = ""
    steps: tuple[ToolStep, ...] = ()
    citations: tuple[Citation, ...] = ()
    response_id: str | None = None
    service_tier: str | None = None
    incomplete_reason: str | None = None

    @property
    def text(self) -> str:
        return self.choices[0].text if self.choices else ""

    @property
    def finish_reason(self) -> str:
        return self.choices[0].finish_reason if self.choices else ""

    @property
    def tokens_per_second(self) -> float | None:
        """Output speed after the first token, or None if it cannot be measured."""
        if self.usage is None or self.ttft_ms is None:
            return None
        seconds = (self.elapsed_ms - self.ttft_ms) / 1000.0
        if seconds <= 0 or self.usage.output_tokens <= 1:
            return None
        return (self.usage.output_tokens - 1) / seconds


def usage_from_dict(raw: dict[str, Any] | None) -> Usage | None:
    """Our `Usage` from a wire `usage` object as JSON (a streamed chunk's, a batch result's)."""
    if raw is None:
        return None
    prompt_details = raw.get("prompt_tokens_details") or {}
    completion_details = raw.get("completion_tokens_details") or {}
    return Usage(
        input_tokens=int(raw.get("prompt_tokens") or 0),
        output_tokens=int(raw.get("completion_tokens") or 0),
        cached_tokens=int(prompt_details.get("cached_tokens") or 0),
        reasoning_tokens=int(completion_details.get("reasoning_tokens") or 0),
    )


YIELD_EVERY_S = 0.008

DeltaCallback = Callable[[int, str], None]
"""Called with (choice index, text fragment) for each piece of streamed text."""


#: Gets (model, headers) of each reply (core/money/ratelimits.py keeps the x-ratelimit-* ones).
HeadersSink = Callable[[str, Mapping[str, str]], None]


def report_headers(sink: HeadersSink | None, model: str, response: Any) -> None:
    headers = getattr(response, "headers", None)
    if sink is not None and headers is not None:
        sink(model, headers)


class ChatService:
    """Sends chat requests through the client the `client_source` returns (an `AsyncOpenAI`).

    Args:
        client_source: returns the current SDK client; called per request so a changed key or
            provider takes effect on the next send. Its `max_retries` is how often the app retries
            (the SDK itself is told not to).
        sleep: waits between attempts.
    """

    def __init__(
        self,
        client_source: Callable[[], Any],
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        on_headers: HeadersSink | None = None,
    ) -> None:
        self._client_source = client_source
        #: Gets (model, headers) of every reply, 429s included (the rate-limit gauges).
        self.on_headers = on_headers
        self._sleep = sleep  # the wait between attempts (tests record it instead of waiting)

    async def stream(
        self,
        request: ChatRequest,
        on_delta: DeltaCallback,
        progress: ChatProgress | None = None,
        on_wait: Callable[[RetryWait], None] | None = None,
    ) -> ChatResult:
        """Streams one reply, calling `on_delta(index, text)` with each fragment as it arrives.

        Failures before anything arrived are retried as often as the profile says, each wait
        announced to `on_wait` as it starts (`core.api.retry`).

        A server that ignores `stream` and sends one JSON body is read as that body. The reply
        counts as complete only when every choice got its finish reason or the final usage chunk
        came (the SDK ends quietly when a connection closes cleanly mid-answer).

        Raises:
            AppError: for every failure, mapped to plain words: also an interrupted stream, a body
                that is not the API's (a proxy's web page) and an answer with nothing in it.
                Cancelling raises CancelledError; in every case `progress` holds what arrived.
        """
        progress = progress if progress is not None else ChatProgress()
        client = self._client_source()
        base_url = str(client.base_url)
        # The app retries, visibly (on_wait), instead of the SDK's silent retries: never both.
        attempts = int(getattr(client, "max_retries", 0) or 0) + 1
        quiet = quiet_client(client)
        reply = _Reply(model=request.model)

        async def attempt() -> None:
            progress.choices.clear()  # a retry starts clean (nothing was shown)
            progress.started = time.monotonic()
            try:
                raw = await quiet.chat.completions.with_raw_response.create(
                    **as_sent(request.to_api(stream=True), messages=())
                )
            except Exception as exc:  # a 429 says which limit was hit: its headers count too
                report_headers(self.on_headers, request.model, getattr(exc, "response", None))
                raise
            report_headers(self.on_headers, request.model, raw)
            reply.request_id = raw.headers.get("x-request-id")
            if is_event_stream(raw.headers):
                await self._read_stream(raw, reply, progress, on_delta)
            else:  # some compatible servers ignore `stream`; a proxy may send its own page
                body = await raw.http_response.aread()
                self._take_chunk(
                    _whole_reply(body, raw.headers.get("content-type", "")),
                    reply,
                    progress,
                    on_delta,
                )
            if not progress.choices and reply.usage is None:
                raise nothing_came()
            if reply.usage is None and not all(c.finish_reason for c in progress.choices.values()):
                raise interrupted()

        await with_retries(
            attempt,
            attempts=attempts,
            to_error=lambda exc: from_exception(exc, model=request.model, base_url=base_url),
            on_wait=on_wait,
            may_retry=lambda: progress.chunks == 0 and not _has_tool_calls(progress),
            sleep=self._sleep,
        )
        return ChatResult(
            choices=tuple(c.result(i) for i, c in sorted(progress.choices.items())),
            usage=reply.usage,
            system_fingerprint=reply.fingerprint,
            request_id=reply.request_id,
            ttft_ms=progress.ttft_ms,
            elapsed_ms=progress.elapsed_ms,
            model=reply.model,
            service_tier=reply.service_tier,
        )

    async def _read_stream(
        self, raw: Any, reply: _Reply, progress: ChatProgress, on_delta: DeltaCallback
    ) -> None:
        from openai import AsyncStream  # the SDK is loaded by the first request, not at start-up

        try:
            # Chunks as plain dicts: the SDK still reads the SSE stream and raises its errors,
            # but skips building a pydantic object per chunk, which was 4x the cost of
            # rendering the text on the GUI thread (bench/chat_stream.py, py-spy).
            stream = raw.parse(to=AsyncStream[object])
        except BaseException:
            await raw.http_response.aclose()  # a body we cannot read must not leak its connection
            raise
        async with stream:
            last_yield = time.monotonic()
            async for chunk in stream:
                # When chunks pile up, the SDK hands them over without returning to the event
                # loop; give the GUI a turn every few milliseconds so it never stalls.
                if time.monotonic() - last_yield > YIELD_EVERY_S:
                    await asyncio.sleep(0)
                    last_yield = time.monotonic()
                if isinstance(chunk, dict):
                    self._take_chunk(chunk, reply, progress, on_delta)

    def _take_chunk(
        self,
        chunk: dict[str, Any],
        reply: _Reply,
        progress: ChatProgress,
        on_delta: DeltaCallback,
    ) -> None:
        reply.model = chunk.get("model") or reply.model
        reply.fingerprint = chunk.get("system_fingerprint") or reply.fingerprint
        reply.service_tier = chunk.get("service_tier") or reply.service_tier
        if chunk.get("usage") is not None:
            reply.usage = usage_from_dict(chunk["usage"])
        for choice in chunk.get("choices") or ():  # empty for the usage chunk (and Azure's first)
            self._take(choice, progress, on_delta)

    @staticmethod
    def _take(choice: dict[str, Any], progress: ChatProgress, on_delta: DeltaCallback) -> None:
        """One streamed choice, as the wire has it (`choices[i]` of a chat.completion.chunk)."""
        index = int(choice.get("index") or 0)
        state = progress.choice(index)
        if choice.get("finish_reason"):
            state.finish_reason = choice["finish_reason"]
        delta = choice.get("delta") or {}
        for call in delta.get("tool_calls") or ():
            parts = state.tool_calls.setdefault(int(call.get("index") or 0), _ToolCallParts())
            started = not parts.name
            parts.id = call.get("id") or parts.id
            function = call.get("function")
            if function:
                parts.name = function.get("name") or parts.name
                if function.get("arguments"):
                    parts.arguments.append(function["arguments"])
            if started and parts.name and index == 0 and progress.listener is not None:
                progress.listener(FunctionCallStarted(parts.id, parts.name))
        if delta.get("refusal"):
            state.refusal_parts.append(delta["refusal"])
            if index == 0 and progress.listener is not None:
                progress.listener(RefusalDelta(delta["refusal"]))
        logprobs = choice.get("logprobs")
        if logprobs and logprobs.get("content"):
            state.logprobs.extend(
                TokenLogprob(
                    t["token"],
                    float(t["logprob"]),
                    tuple(
                        (alt["token"], float(alt["logprob"])) for alt in t.get("top_logprobs") or ()
                    ),
                )
                for t in logprobs["content"]
            )
        text = delta.get("content")
        if text:
            if progress.first_token_at is None:
                progress.first_token_at = time.monotonic()
            state.text_parts.append(text)
            progress.chunks += 1
            on_delta(index, text)


@dataclass(slots=True)
class _Reply:
    """What a reply says about itself besides its choices, as it arrives."""

    model: str
    request_id: str | None = None
    fingerprint: str | None = None
    usage: Usage | None = None
    service_tier: str | None = None


def _has_tool_calls(progress: ChatProgress) -> bool:
    return any(c.tool_calls for c in progress.choices.values())


def _whole_reply(body: bytes, content_type: str) -> dict[str, Any]:
    """A whole `chat.completion` body as one chunk (each `message` read as its `delta`), or the
    error saying what came instead."""
    reply = json_body(body)
    if reply is None or not isinstance(reply.get("choices"), list):
        raise unexpected_body(body, content_type)
    choices = [
        {**c, "delta": _as_delta(c.get("message"))} for c in reply["choices"] if isinstance(c, dict)
    ]
    return {**reply, "choices": choices}


def _as_delta(message: object) -> dict[str, Any]:
    """A whole `message` as one streamed `delta` (tool calls numbered as a stream numbers them)."""
    if not isinstance(message, dict):
        return {}
    calls = message.get("tool_calls")
    if isinstance(calls, list):
        numbered = [{**c, "index": i} for i, c in enumerate(calls) if isinstance(c, dict)]
        return {**message, "tool_calls": numbered}
    return message


@dataclass(slots=True)
class Conversation:
    """The turns of one chat, in order. The system prompt is kept apart and sent first."""

    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    system_prompt: str = ""
    turns: list[Message] = field(default_factory=list)

    def messages_with(self, user_text: str | None = None) -> tuple[Message, ...]:
        """What would be sent: the system prompt (if any), every turn, then `user_text` (if any)."""
        out: list[Message] = []
        if self.system_prompt.strip():
            out.append(Message("system", self.system_prompt))
        out.extend(self.turns)
        if user_text:
            out.append(Message("user", user_text))
        return tuple(out)
