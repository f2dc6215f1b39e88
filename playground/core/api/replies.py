"""Replies that are not what was asked for: a stream that stops, a page instead of JSON, nothing.

Every service that reads an answer asks these questions the same way, so no tab shows a reply as
finished when it is not:

- a streamed answer whose connection closed cleanly before the server said it was finished (no
  `finish_reason`, no final usage) is *interrupted*, not done (`interrupted`);
- a `200 OK` whose body is an HTML page (a proxy's login page) or plain text is said to be so
  (`unexpected_body`), never shown as an empty answer;
- a server that ignores `stream: true` and answers with one JSON body is read as that body
  (`is_event_stream` tells the two apart before anything is parsed);
- an answer with nothing in it is an error (`nothing_came`), never "Done".
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from playground.core.api.errors import AppError, ErrorKind
from playground.core.api.redaction import redact

_SAMPLE_CHARS = 160


def is_event_stream(headers: Mapping[str, str]) -> bool:
    """Whether a response's headers announce a server-sent event stream."""
    return "text/event-stream" in (headers.get("content-type") or "").lower()


def interrupted(what: str = "answer") -> AppError:
    """A stream that ended, without an error, before the server said it was complete."""
    return AppError(
        ErrorKind.CONNECTION,
        "Answer interrupted",
        f"The server stopped sending before the {what} was finished.",
        "What arrived so far is kept. Try again.",
        details="The stream ended without a finish reason or final usage.",
    )


def nothing_came(what: str = "answer") -> AppError:
    """A successful status with nothing in it."""
    return AppError(
        ErrorKind.INVALID_RESPONSE,
        "Empty answer",
        f"The server said it succeeded but sent no {what}.",
        "Try again. If it keeps happening with a custom server, check that it supports this request.",
    )


def unexpected_body(body: bytes | str, content_type: str = "") -> AppError:
    """A successful status whose body is not the API's JSON: says what it was instead."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    stripped = text.strip()
    kind = (content_type or "").split(";")[0].strip().lower()
    sample = redact(_plain_sample(stripped))
    hint = "Check the base URL in Settings → Providers; it must point at an OpenAI-compatible API."
    if not stripped:
        return nothing_came()
    if kind == "text/html" or stripped[:15].lower().startswith(("<!doctype html", "<html")):
        title = _html_title(stripped)
        return AppError(
            ErrorKind.INVALID_RESPONSE,
            "A web page came back",
            "The server answered with a web page"
            + (f" (“{title}”)" if title else "")
            + ", not an API reply. Is a proxy or login page in the way?",
            hint,
            details=sample,
        )
    return AppError(
        ErrorKind.INVALID_RESPONSE,
        "Unreadable answer",
        f"The server answered with text the app cannot read as an API reply: “{sample}”",
        hint,
        details=sample,
    )


def json_body(body: bytes) -> dict[str, Any] | None:
    """`body` as a JSON object, or None when it is not one."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _plain_sample(text: str) -> str:
    text = re.sub(r"<[^>]{0,200}>", " ", text)
    text = " ".join(text.split())
    return text if len(text) <= _SAMPLE_CHARS else text[: _SAMPLE_CHARS - 1] + "…"


def _html_title(html: str) -> str:
    match = re.search(r"<title[^>]*>(.*?)</title>", html[:20_000], re.IGNORECASE | re.DOTALL)
    return " ".join(match.group(1).split())[:80] if match else ""
