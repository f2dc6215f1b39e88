"""One error type for the whole app, and the mapping from SDK and network failures to plain words.

Every failure a user can see becomes an `AppError` with a short title, a sentence saying what happened,
a hint saying what to do next, and technical details kept one click away. The `openai` package is
imported lazily: this module sits on the start-up path, the SDK does not.
"""

from __future__ import annotations

import json
import socket
import traceback
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from playground.core.api.redaction import redact


class ErrorKind(StrEnum):
    AUTH = "auth"
    PERMISSION = "permission"
    NOT_FOUND = "not_found"
    MODEL_NOT_FOUND = "model_not_found"
    RATE_LIMIT = "rate_limit"
    QUOTA = "quota"
    BAD_REQUEST = "bad_request"
    CONTEXT_LENGTH = "context_length"
    SERVER = "server"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    INVALID_RESPONSE = "invalid_response"
    MISSING_KEY = "missing_key"
    LOCAL = "local"
    UNEXPECTED = "unexpected"


@dataclass(eq=False)  # not frozen: Python sets __traceback__ and friends on raise
class AppError(Exception):
    """A failure explained for the user.

    Attributes:
        kind: what went wrong, for code that reacts (e.g. opening Settings on AUTH).
        title: a few words for a heading ("API key rejected").
        message: one or two sentences on what happened.
        hint: the next step, or "".
        status: the HTTP status, if there was one.
        retry_after: seconds the server asked us to wait (429/503), if it said.
        request_id: the server's x-request-id, for support requests.
        details: technical text (exception chain, server body) with keys redacted.
        replacement: for a retired model's 404 (see `retirements.retired_error`), the listed
            model to switch to, for a "Use <model>" button; else None.
        param: the request parameter the server named as the problem (a 400's `param`), if any.
        code: the server's error code ("previous_response_not_found", …), or "".
    """

    kind: ErrorKind
    title: str
    message: str
    hint: str = ""
    status: int | None = None
    retry_after: float | None = None
    request_id: str | None = None
    details: str = ""
    replacement: str | None = None
    param: str | None = None
    code: str = ""

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()

    @property
    def text(self) -> str:
        """The message and the hint, as one line for a status bar or an inline label."""
        return str(self)

    def hint_at(self, seconds_left: float) -> str:
        """The hint while a countdown runs: for a wait the server asked for (429/503 with
        `retry-after`), the wait still left ("Try again in 2 seconds.", then "You can try again
        now."), so a shown hint never names a wait that is over; any other hint as it is."""
        if self.retry_after is None or self.kind not in (ErrorKind.RATE_LIMIT, ErrorKind.SERVER):
            return self.hint
        return retry_hint(max(seconds_left, 0))

    def text_at(self, seconds_left: float) -> str:
        """`text` with `hint_at(seconds_left)` as its hint."""
        return f"{self.message} {self.hint_at(seconds_left)}".strip()

    @classmethod
    def local(cls, title: str, message: str, hint: str = "") -> AppError:
        """An error found by the app itself (bad input, a full disk), not by the server."""
        return cls(ErrorKind.LOCAL, title, message, hint)


def from_exception(exc: BaseException, *, model: str = "", base_url: str = "") -> AppError:
    """Maps any exception from a request to an `AppError` a user can act on.

    Args:
        exc: what the request raised.
        model: the model the request used, for 404 hints.
        base_url: where the request went, for connection hints.
    """
    if isinstance(exc, AppError):
        return exc
    details = redact("".join(traceback.format_exception(exc)).strip())
    try:
        import openai  # deferred: only loaded once a request has failed
    except ImportError:  # pragma: no cover - openai is a hard dependency
        openai = None  # type: ignore[assignment]

    if openai is not None and isinstance(exc, openai.APIStatusError):
        return _from_status(exc, details, model=model)
    if openai is not None and isinstance(exc, openai.APITimeoutError):
        return AppError(
            ErrorKind.TIMEOUT,
            "Request timed out",
            "The server did not answer in time.",
            "Try again, or raise the timeout in Settings → Providers.",
            details=details,
        )
    if openai is not None and isinstance(exc, openai.APIResponseValidationError):
        return _invalid_response(details)
    if openai is not None and isinstance(exc, openai.APIConnectionError):
        return _connection(exc, details, base_url)
    if isinstance(exc, json.JSONDecodeError):
        return _invalid_response(details)
    if isinstance(exc, TimeoutError):
        return AppError(
            ErrorKind.TIMEOUT,
            "Request timed out",
            "The server did not answer in time.",
            "Try again.",
            details=details,
        )
    if isinstance(exc, ConnectionError | OSError) and not isinstance(exc, FileNotFoundError):
        return _connection(exc, details, base_url)
    from playground.core.api.gateway import (  # deferred: imports the SDK
        GatewayError,
        MissingKeyError,
    )
    from playground.core.api.secrets import SecretStoreError

    if isinstance(exc, MissingKeyError):
        return AppError(ErrorKind.MISSING_KEY, "No API key", str(exc))
    if isinstance(exc, GatewayError):
        return AppError(
            ErrorKind.LOCAL, "Provider not set up", str(exc), "Open Settings → Providers."
        )
    if isinstance(exc, SecretStoreError):
        return AppError(ErrorKind.LOCAL, "Keyring problem", str(exc), details=details)
    return AppError(
        ErrorKind.UNEXPECTED,
        "Something went wrong",
        f"{type(exc).__name__}: {redact(str(exc)) or 'no message'}",
        "The details below help if you report this.",
        details=details,
    )


def _from_status(exc: Any, details: str, *, model: str) -> AppError:
    status: int = exc.status_code
    code = (exc.code or "").lower()
    api_message = _sentence(redact(_api_message(exc)))
    headers = exc.response.headers
    request_id = headers.get("x-request-id")
    retry_after = _retry_after(headers)
    common: dict[str, Any] = {"status": status, "request_id": request_id, "details": details}
    param = getattr(exc, "param", None)
    common.update(param=param if isinstance(param, str) and param else None, code=code)

    if status == 401:
        return AppError(
            ErrorKind.AUTH,
            "API key rejected",
            f"The server rejected the API key (401). {api_message}".strip(),
            "Open Settings → Providers and check or replace the key.",
            **common,
        )
    if status == 403:
        return AppError(
            ErrorKind.PERMISSION,
            "Not allowed",
            f"This key may not use this (403). {api_message}".strip(),
            "Check the organization and project in Settings → Providers, or the key's permissions.",
            **common,
        )
    if status == 404:
        if code == "model_not_found" or "model" in api_message.lower():
            name = f"“{model}”" if model else "This model"
            return AppError(
                ErrorKind.MODEL_NOT_FOUND,
                "Model not found",
                f"{name} does not exist or this key has no access to it (404).",
                "Refresh the model list (View → Refresh models) and pick another model; "
                "OpenAI retires models every few months.",
                **common,
            )
        return AppError(
            ErrorKind.NOT_FOUND,
            "Not found",
            f"The server has no such endpoint (404). {api_message}".strip(),
            "Check the base URL in Settings → Providers (it usually ends in /v1).",
            **common,
        )
    if status == 429:
        if code == "insufficient_quota":
            return AppError(
                ErrorKind.QUOTA,
                "Out of credit",
                "The account has no credit left for this request (429 insufficient_quota).",
                "Add credit on the provider's billing page, then try again.",
                **common,
            )
        return AppError(
            ErrorKind.RATE_LIMIT,
            "Rate limit reached",
            f"Too many requests or tokens for now (429). {api_message}".strip(),
            retry_hint(retry_after),
            retry_after=retry_after,
            **common,
        )
    if status >= 500:
        return AppError(
            ErrorKind.SERVER,
            "Server error",
            f"The server had a problem ({status}). Nothing is wrong with your request.",
            retry_hint(retry_after),
            retry_after=retry_after,
            **common,
        )
    if code == "context_length_exceeded":
        return AppError(
            ErrorKind.CONTEXT_LENGTH,
            "Conversation too long",
            f"The request is longer than the model's context window. {api_message}".strip(),
            "Delete some turns, shorten the text or lower the maximum output tokens.",
            **common,
        )
    return AppError(
        ErrorKind.BAD_REQUEST,
        "Request refused",
        f"The server refused the request ({status}). {api_message}".strip(),
        "Check the highlighted settings and try again.",
        **common,
    )


def _connection(exc: BaseException, details: str, base_url: str) -> AppError:
    where = f" {base_url}" if base_url else " the server"
    links = _chain(exc)
    chain = " ".join(str(e) for e in links).lower()
    if any(isinstance(e, ConnectionRefusedError) for e in links) or "refused" in chain:
        message = f"Could not connect to{where}: the connection was refused."
        hint = "Is the server running? For a local server (Ollama, LM Studio) start it first."
    elif any(isinstance(e, socket.gaierror) for e in links) or "name or service not known" in chain:
        message = f"Could not find{where}: the address could not be looked up."
        hint = "Check your network connection and the base URL in Settings → Providers."
    elif (
        "incomplete" in chain
        or "peer closed" in chain
        or "disconnected" in chain
        or "reset" in chain
    ):
        message = "The connection dropped before the answer was complete."
        hint = "What arrived so far is kept. Try again."
    else:
        message = f"Could not reach{where}."
        hint = "Check your network connection, proxy and the base URL in Settings → Providers."
    return AppError(ErrorKind.CONNECTION, "No connection", message, hint, details=details)


def _invalid_response(details: str) -> AppError:
    return AppError(
        ErrorKind.INVALID_RESPONSE,
        "Unreadable answer",
        "The server's answer was not the JSON the API promises.",
        "If you use a custom server, check that its base URL points at an OpenAI-compatible API.",
        details=details,
    )


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _api_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])
        if isinstance(body.get("message"), str):
            return str(body["message"])
    return ""


def _retry_after(headers: Any) -> float | None:
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return float(raw_ms) / 1000.0
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if raw:
        try:
            return float(raw)
        except ValueError:
            return None
    return None


def retry_hint(seconds: float | None) -> str:
    """When to try again: "Try again in 3 seconds.", "Try again in a moment." (no wait was named)
    or, once the wait is over (0 or less), "You can try again now."."""
    if seconds is None:
        return "Try again in a moment."
    if seconds <= 0:
        return "You can try again now."
    return f"Try again in {_seconds(seconds)}."


def _sentence(text: str) -> str:
    """`text` ending like a sentence, so the hint that follows it reads as a new one (servers send
    "Rate limit reached for requests" with no full stop)."""
    text = text.strip()
    if text and text[-1] not in ".!?…":
        text += "."
    return text


def _seconds(value: float | None) -> str:
    if value is None:
        return "a moment"
    whole = max(1, round(value))
    return f"{whole} second" if whole == 1 else f"{whole} seconds"
