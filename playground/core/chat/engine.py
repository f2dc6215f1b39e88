"""The engine interface: one call shape for Chat Completions and the Responses API.

A tab holds an `Engine` per conversation (column, variant) and never asks which one it is: both
take a `ChatRequest`, hand answer text to `on_delta(index, text)`, fill the caller's
`ChatProgress` (reasoning summary, built-in tool steps, citations, function calls, refusals, told
to `ChatProgress.listener` as `ProgressEvent`s) and return a `ChatResult` with usage, the finish or
incomplete reason, the served tier and (Responses) the response id.

Implementations: `playground.core.chat.service.ChatService` (Chat Completions) and
`playground.core.chat.responses.ResponsesEngine` (Responses). `engine_for(api, client_source)`
builds the one an API name asks for.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, Protocol

from playground.core.api.retry import RetryWait
from playground.core.chat.responses import ResponsesEngine
from playground.core.chat.service import (
    ChatProgress,
    ChatRequest,
    ChatResult,
    ChatService,
    DeltaCallback,
    HeadersSink,
)


class Api(StrEnum):
    """The API an engine speaks (the value is what `ChatResult.api` says)."""

    CHAT_COMPLETIONS = "chat.completions"
    RESPONSES = "responses"


class Engine(Protocol):
    """Streams one reply to a `ChatRequest` (see the module docstring)."""

    async def stream(
        self,
        request: ChatRequest,
        on_delta: DeltaCallback,
        progress: ChatProgress | None = None,
        on_wait: Callable[[RetryWait], None] | None = None,
    ) -> ChatResult:
        """Streams one reply; raises `AppError` (or CancelledError) with `progress` kept."""
        ...


def engine_for(
    api: Api | str, client_source: Callable[[], Any], on_headers: HeadersSink | None = None
) -> Engine:
    """The engine for `api`, sending through the clients `client_source` returns; `on_headers`
    gets every reply's headers (the rate-limit gauges)."""
    if Api(api) is Api.RESPONSES:
        return ResponsesEngine(client_source, on_headers=on_headers)
    return ChatService(client_source, on_headers=on_headers)
