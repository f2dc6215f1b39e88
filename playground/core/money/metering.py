"""Metering: what one request used, and the one typed record that writes its ledger row.

Every chat-shaped request (Chat, Compare, Prompt Lab, batches) ends the same way: the server's
`usage` when it sent one, else a local estimate, then one priced ledger row. This module is the
only place that estimates, so every tab counts the same things:

* input: the messages in the chat format (`TokenCounter.count_messages`), plus what that count
  leaves out: each attached image (`core.chat.vision.image_tokens`), the tool definitions (their
  JSON) and the tool calls earlier assistant messages made (name and arguments);
* output: the answer's text and the tool calls it made.

An estimate is marked `Usage.estimated`. The row itself is a `RequestRecord` handed to
`Accounting.write`, one typed call instead of loose keyword arguments.

The tool numbers are estimates by nature: OpenAI does not publish how tool definitions are turned
into prompt tokens; counting their JSON is close and errs on the high side.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from playground.core.chat.vision import image_tokens
from playground.core.models import (
    Endpoint,
    Message,
    ProviderProfile,
    RequestStatus,
    ToolCall,
    Usage,
)
from playground.core.money.tokens import TokenCounter, TokenizerError

log = logging.getLogger(__name__)


class ChatShaped(Protocol):
    """What an estimate reads from a request (`ChatRequest` has it; no import of the chat package)."""

    @property
    def model(self) -> str: ...

    @property
    def messages(self) -> Sequence[Message]: ...

    @property
    def tools(self) -> Sequence[Mapping[str, object]]: ...


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One finished request, as the ledger records it (`Accounting.write` prices and stores it).

    Attributes:
        profile: the provider it went to (its price table and name).
        model: the model id it asked for.
        endpoint: which API it called.
        usage: the server's usage, or an estimate (`Usage.estimated`).
        status: how it ended.
        latency_ms: time from sending to the last byte, if known.
        conversation_id: the Chat conversation it belongs to, if any.
        request_id: the server's x-request-id, if one came.
        batch: sent through the Batch API (priced at the batch price).
        tab: the tab that sent it, by its key in `ui/registry.py` ("chat", "images", ...);
            the Usage page stacks and totals spend by it.
        service_tier: the tier that served it (Responses: "flex", "priority"…), priced at that
            tier's price where the price data has one.
    """

    profile: ProviderProfile
    model: str
    endpoint: Endpoint
    usage: Usage
    status: RequestStatus
    latency_ms: float | None = None
    conversation_id: str | None = None
    request_id: str | None = None
    batch: bool = False
    tab: str = ""
    service_tier: str | None = None


# --- counting ------------------------------------------------------------------------------------


def image_input_tokens(messages: Sequence[Message]) -> int:
    """The tokens the messages' attached images cost (by `image_tokens`' published rule)."""
    return sum(image_tokens(i.width, i.height, i.detail) for m in messages for i in m.images)


def tool_call_tokens(counter: TokenCounter, calls: Sequence[ToolCall], model: str) -> int:
    """The tokens of tool calls: each call's function name and its JSON arguments."""
    return sum(counter.count(c.name, model) + counter.count(c.arguments, model) for c in calls)


def tool_definition_tokens(
    counter: TokenCounter, tools: Sequence[Mapping[str, object]], model: str
) -> int:
    """The tokens of the tool definitions, counted as their JSON (0 without tools)."""
    return counter.count(json.dumps(list(tools)), model) if tools else 0


def extra_input_tokens(counter: TokenCounter, request: ChatShaped) -> int:
    """What `TokenCounter.count_messages` leaves out of a request's input: images, tool
    definitions and the tool calls of earlier assistant messages.

    Raises:
        TokenizerError: the model's encoding cannot be loaded.
    """
    model = request.model
    calls = [c for m in request.messages for c in m.tool_calls]
    return (
        image_input_tokens(request.messages)
        + tool_definition_tokens(counter, request.tools, model)
        + tool_call_tokens(counter, calls, model)
    )


def input_tokens(counter: TokenCounter, request: ChatShaped) -> int:
    """The estimated input tokens of a request: its messages and everything they carry.

    Raises:
        TokenizerError: the model's encoding cannot be loaded.
    """
    return counter.count_messages(request.messages, request.model) + extra_input_tokens(
        counter, request
    )


class Bounded(ChatShaped, Protocol):
    """A request that says the most it may write."""

    @property
    def max_output_tokens(self) -> int | None: ...


def limit_tokens(counter: TokenCounter, request: Bounded) -> int:
    """What a request counts against a tokens-per-minute limit, as OpenAI counts it: its input
    and the most it may write (pacing by `x-ratelimit-remaining-tokens`).

    Raises:
        TokenizerError: the model's encoding cannot be loaded.
    """
    return input_tokens(counter, request) + (request.max_output_tokens or 0)


def output_tokens(
    counter: TokenCounter, model: str, text: str, tool_calls: Sequence[ToolCall] = ()
) -> int:
    """The estimated output tokens of an answer: its text and the tool calls it made.

    Raises:
        TokenizerError: the model's encoding cannot be loaded.
    """
    text_tokens = counter.count(text, model) if text else 0
    return text_tokens + tool_call_tokens(counter, tool_calls, model)


def estimate_usage(
    counter: TokenCounter,
    request: ChatShaped,
    output_text: str,
    output_tool_calls: Sequence[ToolCall] = (),
) -> Usage:
    """A local estimate of what a request used (for a reply without server usage: stopped,
    failed, or from a server that sends none). Marked `estimated`.

    Raises:
        TokenizerError: the model's encoding cannot be loaded.
    """
    return Usage(
        input_tokens=input_tokens(counter, request),
        output_tokens=output_tokens(counter, request.model, output_text, output_tool_calls),
        estimated=True,
    )


def reply_usage(
    counter: TokenCounter,
    request: ChatShaped,
    server_usage: Usage | None,
    output_text: str,
    output_tool_calls: Sequence[ToolCall] = (),
) -> Usage:
    """The usage to record for a reply: the server's when it sent one, else `estimate_usage`.

    An estimate that cannot be made (the encoding does not load, an image with a bad detail) is
    logged and recorded as an estimated zero: the answer must never be lost over a count.
    """
    if server_usage is not None:
        return server_usage
    try:
        return estimate_usage(counter, request, output_text, output_tool_calls)
    except (TokenizerError, ValueError):
        log.exception("token estimate for %s failed", request.model)
        return Usage(estimated=True)


def unfinished_usage(
    counter: TokenCounter,
    request: ChatShaped,
    server_usage: Usage | None,
    output_text: str,
    output_tool_calls: Sequence[ToolCall] = (),
) -> Usage:
    """The usage to record for a reply that failed or was stopped.

    Money that was never spent is never counted: a request that produced no output (a 429, a 500, a
    rejected key, a refused connection, Stop before the first token) records zero tokens, so its row
    costs $0 and only says what happened. One that produced output is charged what the server
    reported or, without that, the estimate (marked estimated, shown "≈").
    """
    if server_usage is not None:
        return server_usage
    if not output_text and not output_tool_calls:
        return Usage()
    return reply_usage(counter, request, None, output_text, output_tool_calls)
