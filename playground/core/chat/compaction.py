"""OpenAI compacts: the older turns of a long conversation sent to `/responses/compact`.

`compact` asks the server for the compacted form of some turns (the conversation's system prompt
as `instructions`, the turns as Responses input items) and returns it with the request's usage;
`core.chat.context` keeps it as a note turn (`compaction_note`) that the Responses engine sends as
those items from then on. The request is metered like any other of that model (its usage comes
back with the result).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from playground.core.api.errors import AppError, ErrorKind, from_exception
from playground.core.api.replies import json_body, unexpected_body
from playground.core.api.retry import quiet_client, with_retries
from playground.core.chat.context import compacted_input
from playground.core.chat.responses import input_items, usage_from_response
from playground.core.models import Message, Usage


@dataclass(frozen=True, slots=True)
class Compacted:
    """What one `/responses/compact` request gave.

    Attributes:
        items: the compacted output as input items (`context.compacted_input`).
        usage: the request's usage (None when the server sent none).
        request_id: the server's x-request-id.
        elapsed_ms: from sending to the answer.
    """

    items: tuple[dict[str, Any], ...]
    usage: Usage | None
    request_id: str | None
    elapsed_ms: float


def compact_body(model: str, turns: Sequence[Message], system_prompt: str = "") -> dict[str, Any]:
    """The `/responses/compact` body for `turns` (the system prompt as `instructions`)."""
    body: dict[str, Any] = {"model": model, "input": input_items(list(turns))}
    if system_prompt.strip():
        body["instructions"] = system_prompt
    return body


def is_refusal(error: AppError) -> bool:
    """Whether `error` is the server saying it cannot compact (a 400: the model, or a server
    without the endpoint, 404/405), as opposed to a failure worth trying again."""
    return error.status in (400, 404, 405, 422)


async def compact(
    client_source: Callable[[], Any],
    model: str,
    turns: Sequence[Message],
    system_prompt: str = "",
) -> Compacted:
    """Compacts `turns` with `model`. Failures before an answer are retried as often as the
    profile says (5xx, 429, a dropped connection).

    Raises:
        AppError: in plain words; a refusal (`is_refusal`) keeps the server's status.
    """
    client = client_source()
    base_url = str(client.base_url)
    attempts = int(getattr(client, "max_retries", 0) or 0) + 1
    quiet = quiet_client(client)
    body = compact_body(model, turns, system_prompt)
    started = time.monotonic()

    async def attempt() -> Compacted:
        raw = await quiet.responses.with_raw_response.compact(
            model=model, extra_body={k: v for k, v in body.items() if k != "model"}
        )
        data = await raw.http_response.aread()
        reply = json_body(data)
        if reply is None or not isinstance(reply.get("output"), list):
            raise unexpected_body(data, raw.headers.get("content-type", ""))
        items = compacted_input(reply["output"])
        if not any(i["type"] == "compaction" for i in items):
            raise AppError(
                ErrorKind.LOCAL,
                "Nothing came back to compact with",
                "The server answered the compact request without a compacted form.",
                "Try again, or choose another way under Parameters → Long conversations.",
                request_id=raw.headers.get("x-request-id"),
            )
        return Compacted(
            items=items,
            usage=usage_from_response(reply.get("usage")),
            request_id=raw.headers.get("x-request-id"),
            elapsed_ms=(time.monotonic() - started) * 1000,
        )

    return await with_retries(
        attempt,
        attempts=attempts,
        to_error=lambda exc: from_exception(exc, model=model, base_url=base_url),
    )
