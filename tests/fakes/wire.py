"""The wire vocabulary every endpoint family shares: recorded requests, uploads, OpenAI error
bodies, ids, multipart parsing and the :class:`Reply` a route raises to answer with an error.

Nothing here knows about sockets or about any endpoint; :mod:`tests.fakes.server` serves HTTP with
it and the family modules (:mod:`tests.fakes.chat`, …) build answers with it.
"""

from __future__ import annotations

import email.message
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

JsonDict = dict[str, Any]

SERVER_ERROR_BODIES: dict[int, JsonDict] = {
    500: {
        "message": "The server had an error while processing your request. Sorry about that!",
        "type": "server_error",
        "param": None,
        "code": None,
    },
    502: {"message": "Bad gateway.", "type": "cf_bad_gateway", "param": None, "code": 502},
    503: {
        "message": "The engine is currently overloaded, please try again later.",
        "type": "server_error",
        "param": None,
        "code": None,
    },
    504: {"message": "Gateway timeout.", "type": "cf_gateway_timeout", "param": None, "code": 504},
}
"""Error bodies (the ``error`` object) the real API sends for 5xx statuses."""


class UploadedFile(NamedTuple):
    """One multipart file part, unpackable as ``(filename, content_type, data)``."""

    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake server received.

    Attributes:
        method: ``GET``, ``POST``, ...
        path: The URL path without the query (``/v1/chat/completions``).
        query: Query parameters (last value wins).
        headers: Request headers with lower-cased names.
        body: The raw body.
        json: The parsed JSON body if it was a JSON object, else None.
        form: Multipart text fields (last value wins; ``form_items`` has every value).
        files: Multipart file parts by field name (first part wins; ``file_items`` has all).
        form_items: Every multipart text field in order, e.g. repeated
            ``timestamp_granularities[]``.
        file_items: Every multipart file part in order, e.g. repeated ``image[]``.
        endpoint: The API endpoint without prefix (``/chat/completions``), or None if unknown.
        deployment: The Azure deployment from ``/openai/deployments/{deployment}/…``.
        azure: True for Azure-style ``/openai/…`` paths.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: JsonDict | None = None
    form: dict[str, str] = field(default_factory=dict)
    files: dict[str, UploadedFile] = field(default_factory=dict)
    form_items: list[tuple[str, str]] = field(default_factory=list)
    file_items: list[tuple[str, UploadedFile]] = field(default_factory=list)
    endpoint: str | None = None
    deployment: str | None = None
    azure: bool = False

    def form_values(self, name: str) -> list[str]:
        """Return every value of a repeated multipart field.

        Args:
            name: The field name as sent, e.g. ``"timestamp_granularities[]"``.

        Returns:
            The values in order.
        """
        return [value for key, value in self.form_items if key == name]


@dataclass
class Fault:
    """A queued answer that replaces the next ``remaining`` requests whose path ends with ``path``
    (any path if None): an error (``FakeServer.fail_next``) or broken JSON (``invalid_json_next``)."""

    status: int
    body: bytes
    content_type: str
    headers: dict[str, str]
    remaining: int
    path: str | None
    kind: Literal["error", "invalid_json"] = "error"


def error_body(
    message: str,
    type: str = "invalid_request_error",
    *,
    param: str | None = None,
    code: str | int | None = None,
) -> JsonDict:
    """Build an OpenAI error body.

    Args:
        message: ``error.message``.
        type: ``error.type``.
        param: ``error.param``.
        code: ``error.code``.

    Returns:
        ``{"error": {"message", "type", "param", "code"}}``.
    """
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def mask_key(key: str) -> str:
    if len(key) <= 8:
        return key
    return key[:3] + "*" * (len(key) - 7) + key[-4:]


def reset_text(seconds: float) -> str:
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    minutes, secs = divmod(seconds, 60)
    secs_text = f"{secs:g}s"
    return f"{int(minutes)}m{secs_text}" if minutes else secs_text


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + secrets.token_hex(length // 2 + 1)[:length]


def model_not_found(model: str) -> JsonDict:
    return error_body(
        f"The model `{model}` does not exist or you do not have access to it.",
        code="model_not_found",
    )


class Reply(Exception):
    """Raised by a route to send an error response and stop."""

    def __init__(
        self, status: int, body: JsonDict, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def parse_multipart(
    body: bytes, content_type: str
) -> tuple[list[tuple[str, str]], list[tuple[str, UploadedFile]]]:
    header = email.message.Message()
    header["content-type"] = content_type
    boundary = header.get_param("boundary")
    if not isinstance(boundary, str):
        return [], []
    fields: list[tuple[str, str]] = []
    files: list[tuple[str, UploadedFile]] = []
    for part in (b"\r\n" + body).split(b"\r\n--" + boundary.encode("latin-1"))[1:]:
        if part.startswith(b"--"):
            break
        head, _, content = part.partition(b"\r\n\r\n")
        part_headers = email.message.Message()
        for line in head.decode("utf-8", errors="replace").split("\r\n"):
            name, sep, value = line.partition(":")
            if sep:
                part_headers[name.strip()] = value.strip()
        disposition = part_headers.get("content-disposition", "")
        params = email.message.Message()
        params["content-disposition"] = disposition
        field_name = params.get_param("name", header="content-disposition")
        if not isinstance(field_name, str):
            continue
        filename = params.get_filename()
        if filename is None and part_headers.get("content-type") is None:
            fields.append((field_name, content.decode("utf-8", errors="replace")))
        else:
            files.append(
                (field_name, UploadedFile(filename, part_headers.get("content-type"), content))
            )
    return fields, files
