"""The Responses API engine: the same `ChatRequest` in, the same `ChatProgress` and `ChatResult` out.

`to_responses(request)` turns what the user set into a `responses.create` body (system prompt →
`instructions`, turns → typed `input` items, function tools in the Responses shape, JSON schema →
`text.format`, `reasoning`, `text.verbosity`, `service_tier`, `store`, `previous_response_id`, the
built-in tools), sending only what the capability table says the model takes at that effort.

`ResponsesEngine.stream` reads the SSE events as plain dicts (no pydantic object per event, as
`ChatService` does) and maps them onto the progress: output text to choice 0, the reasoning
summary, built-in tool steps, citations, function calls, refusals; `response.completed` /
`response.incomplete` bring usage, the served tier and the finish or incomplete reason. A stream
that ends without either is interrupted (the text is kept); `response.failed` and `error` events
raise an `AppError` with the server's message; a JSON body instead of a stream is read as the
non-streamed response; a web page says so.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from playground.core.api.capabilities import allowed, capabilities
from playground.core.api.errors import AppError, ErrorKind, from_exception
from playground.core.api.replies import (
    interrupted,
    is_event_stream,
    json_body,
    nothing_came,
    unexpected_body,
)
from playground.core.api.retry import RetryWait, as_sent, quiet_client, with_retries
from playground.core.chat.builtin_tools import (
    STEP_KINDS,
    Citation,
    ToolStep,
    step_from_item,
    with_container_files,
    with_tool_calls,
)
from playground.core.chat.context import compaction_items, is_compaction
from playground.core.chat.service import (
    PROMPT_CACHE_TTLS,
    YIELD_EVERY_S,
    ChatProgress,
    ChatRequest,
    ChatResult,
    DeltaCallback,
    FunctionCallStarted,
    HeadersSink,
    ReasoningDelta,
    RefusalDelta,
    ResponsesRequest,
    StepChanged,
    TokenLogprob,
    _ToolCallParts,
    report_headers,
    takes_prompt_cache,
)
from playground.core.models import Message, Usage

# ------------------------------------------------------------------------------------------------
# Request conversion
# ------------------------------------------------------------------------------------------------

_STEP_EVENTS: dict[str, tuple[str, ...]] = {
    "web_search_call": ("in_progress", "searching", "completed"),
    "file_search_call": ("in_progress", "searching", "completed"),
    "code_interpreter_call": ("in_progress", "interpreting", "completed"),
    "image_generation_call": ("in_progress", "generating", "completed"),
    "mcp_call": ("in_progress", "completed", "failed"),
    "mcp_list_tools": ("in_progress", "completed", "failed"),
}
"""The status events each built-in tool's item sends while it runs."""

_INPUT_TOKEN_PARAMS = frozenset(
    {
        "model",
        "input",
        "instructions",
        "previous_response_id",
        "reasoning",
        "text",
        "tool_choice",
        "tools",
    }
)
"""What `responses/input_tokens` takes of a create body."""

_NO_EXTRAS = ResponsesRequest(model="", messages=())
"""The Responses settings of a plain `ChatRequest`: all defaults."""

BACKGROUND_POLL_S = 2.0
"""How often a background response is asked about while it runs (servers that cannot stream it)."""
RECONNECT_DELAYS_S = (0.5, 1.0, 2.0, 4.0, 8.0)
"""The waits before each try to pick a dropped background stream up again (one try per wait)."""

_FINISH_FOR_INCOMPLETE = {"max_output_tokens": "length", "content_filter": "content_filter"}


def to_responses(request: ChatRequest, *, stream: bool = True) -> dict[str, Any]:
    """The `responses.create` body for `request`, with only what the model takes.

    With `previous_response_id` or a `conversation`, only the turns after the last assistant turn
    are sent (the server holds the rest); the system prompt still goes as `instructions` (the API does not
    carry instructions over from the previous response).
    """
    caps = capabilities(request.model)
    knobs = allowed(request.model, request.reasoning_effort)
    extra = request if isinstance(request, ResponsesRequest) else _NO_EXTRAS
    instructions = [m.content for m in request.messages if m.role == "system" and m.content.strip()]
    turns = [m for m in request.messages if m.role != "system"]
    held = bool(extra.previous_response_id or extra.conversation)  # the server has the rest
    if held:
        last_assistant = max((i for i, m in enumerate(turns) if m.role == "assistant"), default=-1)
        turns = turns[last_assistant + 1 :]
    items = input_items(turns)
    for approval in extra.mcp_approvals:
        items += approval.to_api(with_request=not held)
    body: dict[str, Any] = {"model": request.model, "input": items}
    if instructions:
        body["instructions"] = "\n\n".join(instructions)
    if extra.previous_response_id:
        body["previous_response_id"] = extra.previous_response_id
    elif extra.conversation:
        body["conversation"] = extra.conversation
    body["store"] = extra.store or bool(extra.previous_response_id)
    if knobs.sampling:
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if request.top_p is not None:
            body["top_p"] = request.top_p
    if request.logprobs and knobs.logprobs:
        body["top_logprobs"] = request.top_logprobs or 0
        body["include"] = ["message.output_text.logprobs"]
    if request.max_output_tokens is not None:
        body["max_output_tokens"] = request.max_output_tokens
    reasoning: dict[str, Any] = {}
    if caps.reasoning and request.reasoning_effort and knobs.effort_ok:
        reasoning["effort"] = request.reasoning_effort
    if extra.reasoning_summary and caps.reasoning_summary:
        reasoning["summary"] = extra.reasoning_summary
    if reasoning:
        body["reasoning"] = reasoning
    text: dict[str, Any] = {}
    text_format = _text_format(request.response_format)
    if text_format is not None:
        text["format"] = text_format
    if extra.verbosity and caps.verbosity:
        text["verbosity"] = extra.verbosity
    if text:
        body["text"] = text
    if extra.service_tier and caps.service_tier:
        body["service_tier"] = extra.service_tier
    if extra.truncation:
        body["truncation"] = extra.truncation
    if takes_prompt_cache(caps):
        if extra.prompt_cache_key:
            body["prompt_cache_key"] = extra.prompt_cache_key
        if extra.prompt_cache_ttl in PROMPT_CACHE_TTLS:
            body["prompt_cache_options"] = {"ttl": extra.prompt_cache_ttl}
    tools = [_function_tool(t) for t in request.tools]
    tools += [t.to_api() for t in extra.builtin_tools]
    if tools:
        body["tools"] = tools
        if request.tool_choice is not None:
            body["tool_choice"] = _tool_choice(request.tool_choice)
    if stream:
        body["stream"] = True
    return body


def responses_omitted(request: ChatRequest) -> list[str]:
    """Parameters the user set that the Responses request leaves out (never sent)."""
    knobs = allowed(request.model, request.reasoning_effort)
    caps = capabilities(request.model)
    extra = request if isinstance(request, ResponsesRequest) else _NO_EXTRAS
    out: list[str] = []
    if not knobs.sampling:
        out += [
            name
            for name, value in (("temperature", request.temperature), ("top_p", request.top_p))
            if value is not None
        ]
    # Responses has no penalties, seed, stop or n.
    out += [
        name
        for name, value in (
            ("frequency_penalty", request.frequency_penalty),
            ("presence_penalty", request.presence_penalty),
            ("seed", request.seed),
        )
        if value is not None
    ]
    if request.stop:
        out.append("stop")
    if request.n != 1:
        out.append("n")
    if request.logprobs and not knobs.logprobs:
        out.append("logprobs")
    if request.reasoning_effort and not (caps.reasoning and knobs.effort_ok):
        out.append("reasoning_effort")
    if extra.reasoning_summary and not caps.reasoning_summary:
        out.append("reasoning_summary")
    if extra.verbosity and not caps.verbosity:
        out.append("verbosity")
    if extra.service_tier and not caps.service_tier:
        out.append("service_tier")
    if extra.prompt_cache_key and not takes_prompt_cache(caps):
        out.append("prompt_cache_key")
    ttl = extra.prompt_cache_ttl
    if ttl and not (takes_prompt_cache(caps) and ttl in PROMPT_CACHE_TTLS):
        out.append("prompt_cache_ttl")
    return out


def input_items(turns: list[Message]) -> list[dict[str, Any]]:
    """Chat turns as Responses `input` items."""
    items: list[dict[str, Any]] = []
    for m in turns:
        if is_compaction(m):  # OpenAI's compacted form of earlier turns (core.chat.context)
            items.extend(compaction_items(m))
            continue
        if m.role == "tool":
            items.append(
                {
                    "type": "function_call_output",
                    "call_id": m.tool_call_id or "",
                    "output": m.content,
                }
            )
            continue
        if m.role == "assistant":
            if m.content:
                items.append({"type": "message", "role": "assistant", "content": m.content})
            items.extend(
                {
                    "type": "function_call",
                    "call_id": call.id,
                    "name": call.name,
                    "arguments": call.arguments,
                }
                for call in m.tool_calls
            )
            continue
        content: list[dict[str, Any]] = []
        if m.content or not m.images:
            content.append({"type": "input_text", "text": m.content})
        content.extend(
            {"type": "input_image", "image_url": image.url, "detail": image.detail}
            for image in m.images
        )
        items.append({"type": "message", "role": m.role, "content": content})
    return items


def _function_tool(tool: dict[str, Any]) -> dict[str, Any]:
    """A Chat Completions function tool (`{"type": "function", "function": {...}}`) in the
    Responses shape (the function's fields at the top level)."""
    function = tool.get("function")
    if tool.get("type") != "function" or not isinstance(function, dict):
        return dict(tool)  # already in the Responses shape (or another tool type): as given
    out: dict[str, Any] = {"type": "function", "name": function.get("name", "")}
    for name in ("description", "parameters", "strict"):
        if name in function:
            out[name] = function[name]
    return out


def _tool_choice(choice: str | dict[str, Any]) -> str | dict[str, Any]:
    if isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        return {"type": "function", "name": choice["function"].get("name", "")}
    return choice


def _text_format(response_format: dict[str, Any] | None) -> dict[str, Any] | None:
    if not response_format:
        return None
    kind = response_format.get("type")
    if kind == "json_schema":
        schema = response_format.get("json_schema") or {}
        out: dict[str, Any] = {"type": "json_schema", "name": schema.get("name", "answer")}
        for name in ("schema", "strict", "description"):
            if name in schema:
                out[name] = schema[name]
        return out
    if kind in ("json_object", "text"):
        return {"type": kind}
    return None


# ------------------------------------------------------------------------------------------------
# The engine
# ------------------------------------------------------------------------------------------------


def usage_from_response(raw: dict[str, Any] | None) -> Usage | None:
    """Our `Usage` from a Responses `usage` object as JSON."""
    if not raw:
        return None
    input_details = raw.get("input_tokens_details") or {}
    output_details = raw.get("output_tokens_details") or {}
    return Usage(
        input_tokens=int(raw.get("input_tokens") or 0),
        output_tokens=int(raw.get("output_tokens") or 0),
        cached_tokens=int(input_details.get("cached_tokens") or 0),
        reasoning_tokens=int(output_details.get("reasoning_tokens") or 0),
    )


class _Reader:
    """Reads one attempt's events into the progress (one small method per event type)."""

    def __init__(self, model: str, progress: ChatProgress, on_delta: DeltaCallback) -> None:
        self.model = model
        self.progress = progress
        self.on_delta = on_delta
        self.request_id: str | None = None
        self.usage: Usage | None = None
        self.service_tier: str | None = None
        self.incomplete_reason: str | None = None
        self.finished = False
        self.calls: dict[str, _ToolCallParts] = {}  # by item id
        self.step_at: dict[str, int] = {}  # item id -> index in progress.steps
        self.summary_parts = 0
        self.handlers: dict[str, Callable[[dict[str, Any]], None]] = {
            "response.output_text.delta": self.on_text_delta,
            "response.reasoning_summary_text.delta": self.on_reasoning_delta,
            "response.reasoning_summary_part.added": self.on_summary_part,
            "response.function_call_arguments.delta": self.on_arguments_delta,
            "response.output_item.added": self.on_item_added,
            "response.output_item.done": self.on_item_done,
            "response.refusal.delta": self.on_refusal_delta,
            "response.output_text.annotation.added": self.on_annotation,
            "response.code_interpreter_call_code.delta": self.on_code_delta,
            "response.image_generation_call.partial_image": self.on_partial_image,
            "response.created": self.on_response,
            "response.in_progress": self.on_response,
            "response.queued": self.on_response,
            "response.completed": self.on_response,
            "response.incomplete": self.on_response,
            "response.failed": self.on_failed,
            "error": self.on_error,
        }
        # Built-in tool progress: `response.<item type>.<status>` moves that step's status.
        for kind, statuses in _STEP_EVENTS.items():
            for status in statuses:
                self.handlers[f"response.{kind}.{status}"] = self.on_step_status

    async def read_stream(self, raw: Any) -> None:
        from openai import AsyncStream  # the SDK is loaded by the first request, not at start-up

        try:
            # Events as plain dicts, as ChatService reads chunks (a pydantic object per event
            # costs more than rendering its text).
            stream = raw.parse(to=AsyncStream[object])
        except BaseException:
            await raw.http_response.aclose()  # a body we cannot read must not leak its connection
            raise
        handlers = self.handlers
        async with stream:
            last_yield = time.monotonic()
            async for event in stream:
                if time.monotonic() - last_yield > YIELD_EVERY_S:
                    await asyncio.sleep(0)  # give the GUI a turn when events pile up
                    last_yield = time.monotonic()
                if isinstance(event, dict):
                    handler = handlers.get(event.get("type", ""))
                    if handler is not None:
                        handler(event)

    # -- event handlers (unknown event types are skipped) -------------------------------------

    def on_text_delta(self, event: dict[str, Any]) -> None:
        text = event.get("delta")
        if not text:
            return
        progress = self.progress
        choice = progress.choices.get(0) or progress.choice(0)
        if progress.first_token_at is None:
            progress.first_token_at = time.monotonic()
        choice.text_parts.append(text)
        logprobs = event.get("logprobs")
        if logprobs:
            choice.logprobs.extend(_logprobs(logprobs))
        progress.chunks += 1
        self.on_delta(0, text)

    def on_reasoning_delta(self, event: dict[str, Any]) -> None:
        text = event.get("delta")
        if text:
            self._reasoning(text)

    def on_summary_part(self, event: dict[str, Any]) -> None:
        del event
        self.summary_parts += 1
        if self.summary_parts > 1 and self.progress.reasoning_parts:  # parts are paragraphs
            self._reasoning("\n\n")

    def _reasoning(self, text: str) -> None:
        self.progress.reasoning_parts.append(text)
        if self.progress.listener is not None:
            self.progress.listener(ReasoningDelta(text))

    def on_arguments_delta(self, event: dict[str, Any]) -> None:
        parts = self.calls.get(event.get("item_id") or "")
        if parts is not None and event.get("delta"):
            parts.arguments.append(event["delta"])

    def on_refusal_delta(self, event: dict[str, Any]) -> None:
        text = event.get("delta")
        if text:
            self.progress.choice(0).refusal_parts.append(text)
            if self.progress.listener is not None:
                self.progress.listener(RefusalDelta(text))

    def on_annotation(self, event: dict[str, Any]) -> None:
        annotation = event.get("annotation")
        citation = _citation(annotation) if isinstance(annotation, dict) else None
        if citation is not None:
            self.progress.citations.append(citation)

    def on_code_delta(self, event: dict[str, Any]) -> None:
        index = self.step_at.get(event.get("item_id") or "")
        if index is not None and event.get("delta"):
            step = self.progress.steps[index]
            code = step.code + event["delta"]
            lines = code.count("\n") + 1
            summary = f"Writing code ({lines} line{'s' if lines != 1 else ''})"
            self._set_step(index, replace(step, code=code, summary=summary))

    def on_partial_image(self, event: dict[str, Any]) -> None:
        index = self.step_at.get(event.get("item_id") or "")
        b64 = event.get("partial_image_b64")
        if index is not None and b64:
            step = self.progress.steps[index]
            self._set_step(index, replace(step, images=(str(b64),), status="generating"))

    def on_step_status(self, event: dict[str, Any]) -> None:
        index = self.step_at.get(event.get("item_id") or "")
        if index is not None:
            status = str(event["type"]).rsplit(".", 1)[-1]
            step = self.progress.steps[index]
            if step.status != status and not (step.done and status != "failed"):
                self._set_step(index, replace(step, status=status))

    def on_item_added(self, event: dict[str, Any]) -> None:
        item = event.get("item")
        if isinstance(item, dict):
            self.take_item(item, done=False)

    def on_item_done(self, event: dict[str, Any]) -> None:
        item = event.get("item")
        if isinstance(item, dict):
            self.take_item(item, done=True)

    def take_item(self, item: dict[str, Any], *, done: bool) -> None:
        kind = item.get("type")
        progress = self.progress
        if kind == "function_call":
            item_id = str(item.get("id") or item.get("call_id") or "")
            parts = self.calls.get(item_id)
            if parts is None:
                parts = self.calls[item_id] = _ToolCallParts(
                    id=str(item.get("call_id") or ""), name=str(item.get("name") or "")
                )
                if progress.listener is not None:
                    progress.listener(FunctionCallStarted(parts.id, parts.name))
            if done and isinstance(item.get("arguments"), str):
                parts.arguments = [item["arguments"]]  # the whole text wins over the pieces
            return
        if kind in STEP_KINDS:
            item_id = str(item.get("id") or "")
            index = self.step_at.get(item_id)
            step = step_from_item(item, progress.steps[index] if index is not None else None)
            if index is None:
                self.step_at[item_id] = len(progress.steps)
                progress.steps.append(step)
                if progress.listener is not None:
                    progress.listener(StepChanged(len(progress.steps) - 1, step))
            else:
                self._set_step(index, step)

    def _set_step(self, index: int, step: ToolStep) -> None:
        self.progress.steps[index] = step
        if self.progress.listener is not None:
            self.progress.listener(StepChanged(index, step))

    def on_response(self, event: dict[str, Any]) -> None:
        response = event.get("response")
        if isinstance(response, dict):
            self.take_meta(response)

    def on_failed(self, event: dict[str, Any]) -> None:
        response = event.get("response") or {}
        self.take_meta(response)
        error = response.get("error") or {}
        raise self.server_error(
            str(error.get("message") or "The response failed."), error.get("code")
        )

    def on_error(self, event: dict[str, Any]) -> None:
        raise self.server_error(
            str(event.get("message") or "The server reported an error."), event.get("code")
        )

    def take_meta(self, response: dict[str, Any]) -> None:
        """The response object's own fields: id, model, served tier, status, usage."""
        self.progress.response_id = response.get("id") or self.progress.response_id
        self.model = response.get("model") or self.model
        self.service_tier = response.get("service_tier") or self.service_tier
        status = response.get("status") or ""
        if response.get("usage"):
            self.usage = usage_from_response(response["usage"])
        if status == "completed":
            self.finished = True
        elif status == "incomplete":
            self.finished = True
            details = response.get("incomplete_details") or {}
            self.incomplete_reason = str(details.get("reason") or "unknown")

    def take_whole(self, reply: dict[str, Any]) -> None:
        """A whole non-streamed `response` object, read as if it had streamed."""
        if reply.get("status") == "failed":
            error = reply.get("error") or {}
            raise self.server_error(
                str(error.get("message") or "The response failed."), error.get("code")
            )
        for item in reply.get("output") or ():
            if not isinstance(item, dict):
                continue
            kind = item.get("type")
            if kind == "message":
                for part in item.get("content") or ():
                    if isinstance(part, dict):
                        self._take_part(part)
            elif kind == "reasoning":
                for part in item.get("summary") or ():
                    if isinstance(part, dict) and part.get("text"):
                        if self.progress.reasoning_parts:
                            self._reasoning("\n\n")
                        self._reasoning(str(part["text"]))
            else:
                self.take_item(item, done=True)
        self.take_meta(reply)

    def _take_part(self, part: dict[str, Any]) -> None:
        if part.get("type") == "output_text" and part.get("text"):
            self.on_text_delta({"delta": part["text"], "logprobs": part.get("logprobs")})
            for annotation in part.get("annotations") or ():
                self.on_annotation({"annotation": annotation})
        elif part.get("type") == "refusal" and part.get("refusal"):
            self.on_refusal_delta({"delta": part["refusal"]})

    def server_error(self, message: str, code: object) -> AppError:
        """The AppError for a `response.failed` or `error` event (or a failed whole response)."""
        code_text = str(code or "")
        if "rate_limit" in code_text:
            kind, title = ErrorKind.RATE_LIMIT, "Rate limit reached"
        elif not code_text or "server" in code_text:
            kind, title = ErrorKind.SERVER, "The response failed"
        else:
            kind, title = ErrorKind.BAD_REQUEST, "The response failed"
        return AppError(
            kind,
            title,
            message,
            "What arrived so far is kept.",
            request_id=self.request_id,
            details=f"code: {code_text}" if code_text else "",
        )


# What a background run tells its listener (`BackgroundRun.listener`).
BACKGROUND_STARTED = "started"  # OpenAI said the response's id: it now runs there
BACKGROUND_DROPPED = "dropped"  # the stream broke off: picking it up again
BACKGROUND_RECONNECTED = "reconnected"  # the stream goes on from where it broke off
BACKGROUND_POLLING = "polling"  # the server cannot stream it: asked for every few seconds


@dataclass(slots=True)
class BackgroundRun:
    """Where a background response stands while it is read, to pick it up again after a drop
    or a restart.

    Attributes:
        response_id: its id, once the server said it (None before).
        after: the `sequence_number` of the last event read (None: none yet); a stream picked
            up again asks for the events after it, and an event at or below it is never read
            twice.
        reconnects: how often the stream was picked up again after it dropped.
        listener: told `BACKGROUND_STARTED`, `_DROPPED`, `_RECONNECTED` or `_POLLING`.
    """

    response_id: str | None = None
    after: int | None = None
    reconnects: int = 0
    listener: Callable[[str], None] | None = None

    def tell(self, what: str) -> None:
        if self.listener is not None:
            self.listener(what)


class _BackgroundReader(_Reader):
    """A `_Reader` for a background response: every handled event moves `run.after`, an
    event already read (a replay after a reconnect) is skipped, and a `response.failed` or
    `error` event is told apart from a dropped connection (`failed`)."""

    def __init__(
        self, model: str, progress: ChatProgress, on_delta: DeltaCallback, run: BackgroundRun
    ) -> None:
        super().__init__(model, progress, on_delta)
        self.run = run
        self.failed = False
        for kind, handler in list(self.handlers.items()):
            self.handlers[kind] = self._in_order(handler)

    def _in_order(
        self, handler: Callable[[dict[str, Any]], None]
    ) -> Callable[[dict[str, Any]], None]:
        run = self.run

        def handle(event: dict[str, Any]) -> None:
            number = event.get("sequence_number")
            if isinstance(number, int):
                if run.after is not None and number <= run.after:
                    return  # read before the stream dropped
                run.after = number
            try:
                handler(event)
            except AppError:
                self.failed = True
                raise
            if run.response_id is None and self.progress.response_id:
                run.response_id = self.progress.response_id
                run.tell(BACKGROUND_STARTED)

        return handle

    def seed(self, text: str, reasoning: str = "") -> None:
        """What was shown before a restart: it is the start of the answer, not told again."""
        if text:
            self.progress.choice(0).text_parts.append(text)
        if reasoning:
            self.progress.reasoning_parts.append(reasoning)

    def take_rest(self, reply: dict[str, Any]) -> None:
        """The whole finished `reply` after part of it was read: read as `take_whole`, but only
        the text that had not arrived yet goes to `on_delta` (the caller shows the whole text
        at the end in any case)."""
        progress, on_delta, listener = self.progress, self.on_delta, self.progress.listener
        shown = progress.text
        self.on_delta = lambda _index, _text: None
        progress.listener = None
        progress.choices.clear()
        progress.reasoning_parts.clear()
        progress.steps.clear()
        progress.citations.clear()
        self.calls.clear()
        self.step_at.clear()
        self.summary_parts = 0
        try:
            self.take_whole(reply)
        finally:
            self.on_delta, progress.listener = on_delta, listener
        text = progress.text
        if len(text) > len(shown) and text.startswith(shown):
            on_delta(0, text[len(shown) :])
        if self.progress.response_id and self.run.response_id is None:
            self.run.response_id = self.progress.response_id

    def note_id(self) -> None:
        """The response's id from a whole (non-streamed) response object, told once."""
        if self.run.response_id is None and self.progress.response_id:
            self.run.response_id = self.progress.response_id
            self.run.tell(BACKGROUND_STARTED)


class ResponsesEngine:
    """Sends requests to the Responses API through the client `client_source` returns.

    Same shape as `ChatService` (see `playground.core.chat.engine.Engine`).

    Args:
        client_source: returns the current SDK client, per request. Its `max_retries` is how often
            the app retries, visibly (the SDK itself is told not to).
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
        self._sleep = sleep

    async def stream(
        self,
        request: ChatRequest,
        on_delta: DeltaCallback,
        progress: ChatProgress | None = None,
        on_wait: Callable[[RetryWait], None] | None = None,
    ) -> ChatResult:
        """Streams one reply, calling `on_delta(0, text)` with each fragment of answer text.

        Failures before anything arrived are retried as often as the profile says, each wait
        announced to `on_wait` (`core.api.retry`).

        Raises:
            AppError: for every failure in plain words: an interrupted stream, a failed response
                or an `error` event (with the server's message), a body that is not the API's,
                an answer with nothing in it. Cancelling raises CancelledError; `progress` keeps
                what arrived in every case.
        """
        progress = progress if progress is not None else ChatProgress()
        client = self._client_source()
        base_url = str(client.base_url)
        attempts = int(getattr(client, "max_retries", 0) or 0) + 1
        quiet = quiet_client(client)
        body = to_responses(request, stream=True)
        reader = _Reader(request.model, progress, on_delta)

        async def attempt() -> None:
            nonlocal reader
            progress.reset()  # a retry starts clean (nothing was shown)
            progress.started = time.monotonic()
            reader = _Reader(request.model, progress, on_delta)
            try:
                raw = await quiet.responses.with_raw_response.create(**as_sent(body))
            except Exception as exc:  # a 429 says which limit was hit: its headers count too
                report_headers(self.on_headers, request.model, getattr(exc, "response", None))
                raise
            report_headers(self.on_headers, request.model, raw)
            reader.request_id = raw.headers.get("x-request-id")
            if is_event_stream(raw.headers):
                await reader.read_stream(raw)
            else:  # a server that ignores `stream`; a proxy may send its own page
                data = await raw.http_response.aread()
                reply = json_body(data)
                if reply is None or not isinstance(reply.get("output"), list):
                    raise unexpected_body(data, raw.headers.get("content-type", ""))
                reader.take_whole(reply)
            if not reader.finished:  # the SDK ends quietly when a connection closes cleanly
                raise interrupted()
            something = progress.choices or progress.steps or reader.calls
            if not something and not progress.reasoning_parts and reader.usage is None:
                raise nothing_came()

        await with_retries(
            attempt,
            attempts=attempts,
            to_error=lambda exc: from_exception(exc, model=request.model, base_url=base_url),
            on_wait=on_wait,
            may_retry=lambda: progress.chunks == 0 and not reader.calls and not progress.steps,
            sleep=self._sleep,
        )
        return _result(reader, progress)

    async def start_background(self, request: ChatRequest) -> str:
        """Starts `request` as a background response (`background: true`, kept on OpenAI, as
        the API requires): it keeps running on the server whatever happens here. Returns its
        id, for `wait_background` now or after a restart, and `cancel_background`.

        Raises:
            AppError: the request was refused or could not be sent.
        """
        client = self._client_source()
        body = to_responses(request, stream=False)
        body.update(background=True, store=True)
        try:
            created = await client.with_options(max_retries=0).responses.create(**body)
        except Exception as exc:
            raise from_exception(exc, model=request.model, base_url=str(client.base_url)) from exc
        return str(created.id)

    async def stream_background(
        self,
        request: ChatRequest,
        on_delta: DeltaCallback,
        progress: ChatProgress | None = None,
        run: BackgroundRun | None = None,
        on_wait: Callable[[RetryWait], None] | None = None,
    ) -> ChatResult:
        """Streams `request` as a background response (`background`, `store` and `stream` on):
        read as `stream` reads a reply, while it keeps running on OpenAI whatever happens here.
        `run` keeps its id and the last event read; a stream that drops before the response
        ends is picked up again from there (`retrieve(stream=True, starting_after=…)`, a few
        times, waiting longer each time), with nothing told twice. A server that cannot stream
        a stored response is asked for it every few seconds instead.

        Raises:
            AppError: as `stream`; a failed response says so with the server's message.
                Cancelling (Stop, or the window closing) leaves the response running on OpenAI:
                `cancel_background` stops it, `follow_background` picks it up again.
        """
        progress = progress if progress is not None else ChatProgress()
        run = run if run is not None else BackgroundRun()
        client = self._client_source()
        base_url = str(client.base_url)
        quiet = quiet_client(client)
        body = to_responses(request, stream=True)
        body.update(background=True, store=True)
        reader = _BackgroundReader(request.model, progress, on_delta, run)

        async def attempt() -> None:
            progress.started = time.monotonic()
            try:
                raw = await quiet.responses.with_raw_response.create(**as_sent(body))
            except Exception as exc:
                report_headers(self.on_headers, request.model, getattr(exc, "response", None))
                raise
            report_headers(self.on_headers, request.model, raw)
            reader.request_id = raw.headers.get("x-request-id")
            await self._read_background(reader, raw)

        try:
            await with_retries(
                attempt,
                attempts=int(getattr(client, "max_retries", 0) or 0) + 1,
                to_error=lambda exc: from_exception(exc, model=request.model, base_url=base_url),
                on_wait=on_wait,
                may_retry=lambda: run.response_id is None,  # nothing was started on OpenAI
                sleep=self._sleep,
            )
        except AppError:
            if run.response_id is None or reader.failed:
                raise
            run.tell(BACKGROUND_DROPPED)  # it runs on at OpenAI: pick it up again
        await self._follow(reader, quiet, base_url)
        something = progress.choices or progress.steps or reader.calls
        if not something and not progress.reasoning_parts and reader.usage is None:
            raise nothing_came()
        return _result(reader, progress)

    async def follow_background(
        self,
        response_id: str,
        model: str,
        on_delta: DeltaCallback,
        progress: ChatProgress | None = None,
        run: BackgroundRun | None = None,
        *,
        text: str = "",
        reasoning: str = "",
    ) -> ChatResult:
        """Picks background response `response_id` up again (after a restart): its events
        after `run.after` stream in (all of them when None), after `text` and `reasoning`, what
        was shown of it up to that event (not told again).

        Raises:
            AppError: as `stream_background`; one OpenAI no longer has (kept 30 days) says so.
        """
        progress = progress if progress is not None else ChatProgress()
        run = run if run is not None else BackgroundRun()
        run.response_id = progress.response_id = response_id
        progress.started = time.monotonic()
        client = self._client_source()
        reader = _BackgroundReader(model, progress, on_delta, run)
        reader.seed(text, reasoning)
        await self._follow(reader, quiet_client(client), str(client.base_url), resumed=True)
        something = progress.choices or progress.steps or reader.calls
        if not something and not progress.reasoning_parts and reader.usage is None:
            raise nothing_came()
        return _result(reader, progress)

    async def _read_background(self, reader: _BackgroundReader, raw: Any) -> None:
        """One answer about a background response: its events, or (a server that does not
        stream it) the response object, finished or not."""
        if is_event_stream(raw.headers):
            await reader.read_stream(raw)
            return
        data = await raw.http_response.aread()
        reply = json_body(data)
        if reply is None or not isinstance(reply.get("output"), list):
            raise unexpected_body(data, raw.headers.get("content-type", ""))
        if reply.get("status") in ("queued", "in_progress"):
            reader.take_meta(reply)
            reader.note_id()
        elif reply.get("status") == "cancelled":
            raise _cancelled(reader)
        else:
            reader.take_rest(reply)

    async def _follow(
        self, reader: _BackgroundReader, quiet: Any, base_url: str, *, resumed: bool = False
    ) -> None:
        """Reads background response `reader.run` until it ends: its stream picked up again
        after each drop (waiting `RECONNECT_DELAYS_S`), or polled when the server cannot stream
        it (a compatible server's 4xx, or a response object instead of events)."""
        run, model = reader.run, reader.model
        response_id = str(run.response_id)
        tries = 0
        while not reader.finished:
            if not resumed:
                if tries >= len(RECONNECT_DELAYS_S):
                    raise AppError(
                        ErrorKind.CONNECTION,
                        "Connection to OpenAI lost",
                        "The answer could not be picked up again after the connection dropped. "
                        "It may still finish on OpenAI.",
                        "What arrived so far is kept. Check your connection and try again.",
                        request_id=reader.request_id,
                    )
                await self._sleep(RECONNECT_DELAYS_S[tries])
                tries += 1
            after = {} if run.after is None else {"starting_after": run.after}
            try:
                raw = await quiet.responses.with_raw_response.retrieve(
                    response_id, stream=True, **after
                )
            except Exception as exc:
                error = from_exception(exc, model=model, base_url=base_url)
                if error.status == 404:
                    raise _gone(reader, error) from exc
                if error.status is not None and 400 <= error.status < 500 and error.status != 429:
                    run.tell(BACKGROUND_POLLING)  # this server cannot stream a stored response
                    await self._poll(reader, quiet, base_url)
                    return
                if resumed:  # offline at start: retried like a dropped stream
                    resumed = False
                continue
            reader.request_id = raw.headers.get("x-request-id") or reader.request_id
            if not is_event_stream(raw.headers):
                await self._read_background(reader, raw)  # the object: done, or poll it
                if not reader.finished:
                    run.tell(BACKGROUND_POLLING)
                    await self._poll(reader, quiet, base_url)
                return
            if not resumed:
                run.reconnects += 1
                run.tell(BACKGROUND_RECONNECTED)
            resumed = False
            before = run.after
            try:
                await reader.read_stream(raw)
            except AppError:
                raise  # the response failed on OpenAI
            except Exception as exc:  # the connection dropped again: picked up below
                reader.request_id = getattr(exc, "request_id", None) or reader.request_id
            if run.after != before:
                tries = 0  # it moved on: the next drop gets the short waits again
            elif not reader.finished:  # nothing new came: has it ended (cancelled) meanwhile?
                try:
                    raw = await quiet.responses.with_raw_response.retrieve(response_id)
                except Exception as exc:
                    if from_exception(exc).status == 404:
                        raise _gone(reader, from_exception(exc)) from exc
                    continue
                await self._read_background(reader, raw)
            if not reader.finished:
                run.tell(BACKGROUND_DROPPED)

    async def _poll(
        self,
        reader: _BackgroundReader,
        quiet: Any,
        base_url: str,
        poll_s: float = BACKGROUND_POLL_S,
    ) -> None:
        """Asks for background response `reader.run` every `poll_s` seconds until it ends, and
        reads it whole (only what had not arrived goes to `on_delta`)."""
        response_id, model = str(reader.run.response_id), reader.model
        while True:
            try:
                raw = await quiet.responses.with_raw_response.retrieve(response_id)
            except Exception as exc:
                error = from_exception(exc, model=model, base_url=base_url)
                raise (_gone(reader, error) if error.status == 404 else error) from exc
            reader.request_id = raw.headers.get("x-request-id")
            reply = json_body(await raw.http_response.aread())
            if reply is None:
                raise unexpected_body(b"", raw.headers.get("content-type", ""))
            status = reply.get("status")
            if status in ("queued", "in_progress"):
                await self._sleep(poll_s)
                continue
            if status == "cancelled":
                reader.take_meta(reply)
                raise _cancelled(reader)
            reader.take_rest(reply)
            if not reader.finished:
                raise interrupted()
            return

    async def wait_background(
        self,
        response_id: str,
        model: str,
        on_delta: DeltaCallback,
        progress: ChatProgress | None = None,
        poll_s: float = BACKGROUND_POLL_S,
    ) -> ChatResult:
        """Waits for background response `response_id` (polling every `poll_s` seconds) and
        returns it as `stream` would, its text handed to `on_delta` once it is complete.

        Raises:
            AppError: the response failed or was cancelled (with what came of it), or it could
                not be asked for (gone after 30 days, offline). Cancelling the wait leaves the
                response running: `cancel_background` stops it.
        """
        progress = progress if progress is not None else ChatProgress()
        progress.started = time.monotonic()
        progress.response_id = response_id
        client = self._client_source()
        reader = _BackgroundReader(model, progress, on_delta, BackgroundRun(response_id))
        await self._poll(reader, quiet_client(client), str(client.base_url), poll_s)
        return _result(reader, progress)

    async def cancel_background(self, response_id: str, model: str = "") -> None:
        """Stops background response `response_id` on the server.

        Raises:
            AppError: the server refused (it had finished, or is not a background response).
        """
        client = self._client_source()
        try:
            await client.with_options(max_retries=0).responses.cancel(response_id)
        except Exception as exc:
            raise from_exception(exc, model=model, base_url=str(client.base_url)) from exc

    async def input_tokens(self, request: ChatRequest) -> int:
        """The exact input token count of `request` (`POST /v1/responses/input_tokens`).

        One attempt, no retries: a draft's count is asked for again as the user types.

        Raises:
            AppError: the request failed (offline, another server without the endpoint).
        """
        client = self._client_source()
        body = to_responses(request, stream=False)
        params = {k: v for k, v in body.items() if k in _INPUT_TOKEN_PARAMS}
        try:
            counted = await client.with_options(max_retries=0).responses.input_tokens.count(
                **params
            )
        except Exception as exc:
            raise from_exception(exc, model=request.model, base_url=str(client.base_url)) from exc
        return int(counted.input_tokens)


def _result(reader: _Reader, progress: ChatProgress) -> ChatResult:
    first = progress.choices.get(0)
    if first is None and (reader.calls or reader.incomplete_reason):
        first = progress.choice(0)
    if first is not None:
        first.tool_calls = dict(enumerate(reader.calls.values()))
        if reader.incomplete_reason:
            first.finish_reason = _FINISH_FOR_INCOMPLETE.get(
                reader.incomplete_reason, reader.incomplete_reason
            )
        else:
            first.finish_reason = "tool_calls" if reader.calls else "stop"
    steps = with_container_files(tuple(progress.steps), tuple(progress.citations))
    return ChatResult(
        choices=tuple(c.result(i) for i, c in sorted(progress.choices.items())),
        usage=with_tool_calls(reader.usage, steps),
        system_fingerprint=None,
        request_id=reader.request_id,
        ttft_ms=progress.ttft_ms,
        elapsed_ms=progress.elapsed_ms,
        model=reader.model,
        api="responses",
        reasoning_summary=progress.reasoning,
        steps=steps,
        citations=tuple(progress.citations),
        response_id=progress.response_id,
        service_tier=reader.service_tier,
        incomplete_reason=reader.incomplete_reason,
    )


def _cancelled(reader: _Reader) -> AppError:
    return AppError(
        ErrorKind.LOCAL,
        "Cancelled",
        "The request running on OpenAI was cancelled before it finished.",
        "Send the message again to get an answer.",
        request_id=reader.request_id,
    )


def _gone(reader: _Reader, error: AppError) -> AppError:
    """OpenAI no longer has the background response (it keeps them 30 days, or it was deleted)."""
    return replace(
        error,
        kind=ErrorKind.NOT_FOUND,
        title="The answer is no longer on OpenAI",
        message="OpenAI no longer has this answer: it keeps answers run in the background for "
        "30 days, and this one has expired or was deleted.",
        hint="What arrived before is kept. Send the message again to get a new answer.",
        request_id=error.request_id or reader.request_id,
    )


def _citation(annotation: dict[str, Any]) -> Citation | None:
    kind = annotation.get("type")
    if kind == "url_citation":
        return Citation(
            title=str(annotation.get("title") or ""),
            url=str(annotation.get("url") or ""),
            start_index=annotation.get("start_index"),
            end_index=annotation.get("end_index"),
        )
    if kind in ("file_citation", "container_file_citation"):
        return Citation(
            file_id=str(annotation.get("file_id") or ""),
            filename=str(annotation.get("filename") or ""),
            start_index=annotation.get("start_index"),
            end_index=annotation.get("end_index"),
            container_id=str(annotation.get("container_id") or ""),
        )
    return None


def _logprobs(items: list[dict[str, Any]]) -> list[TokenLogprob]:
    return [
        TokenLogprob(
            str(t.get("token") or ""),
            float(t.get("logprob") or 0.0),
            tuple(
                (str(alt.get("token") or ""), float(alt.get("logprob") or 0.0))
                for alt in t.get("top_logprobs") or ()
            ),
        )
        for t in items
        if isinstance(t, dict)
    ]
