"""A local fake OpenAI server that speaks the real wire format, for tests through the real SDK.

Usage::

    with FakeOpenAI() as fake:                       # or the ``fake_openai`` fixture
        fake.scenario.reply_text = "Hi there"
        fake.rate_limit(retry_after=2)               # the next request gets a 429
        client = AsyncOpenAI(base_url=fake.base_url, api_key="test", max_retries=0)
        ...
        await client.close()
        assert fake.last("/chat/completions").json["model"] == "gpt-4o-mini"

The server is a stdlib :class:`http.server.ThreadingHTTPServer` on ``127.0.0.1`` (port 0) in a
daemon thread. It speaks HTTP/1.1 with keep-alive: ordinary responses carry ``Content-Length``,
streams (SSE, speech audio) use ``Transfer-Encoding: chunked`` and are flushed chunk by chunk, so a
dropped stream (``Scenario.drop_after_chunks``) is an incomplete chunked body that the SDK reports
as :class:`openai.APIConnectionError`.

Routes (each also under Azure's ``/openai/deployments/{deployment}/…?api-version=…`` for the
deployment-based endpoints, and ``/openai/models`` for the model list):

* ``GET /v1/models``, ``GET /v1/models/{id}``
* ``POST /v1/chat/completions`` (JSON or SSE, ``n``, ``logprobs``, tool calls, ``stop``,
  ``max_tokens``/``max_completion_tokens`` truncation, ``stream_options.include_usage``)
* ``POST /v1/images/generations`` (JSON), ``/v1/images/edits``, ``/v1/images/variations``
  (multipart); ``response_format="url"`` links to ``GET /files/<name>`` on this server;
  ``stream=true`` sends ``image_generation.*`` / ``image_edit.*`` events
* ``POST /v1/audio/speech`` (a real WAV tone for ``wav``, raw 24 kHz PCM for ``pcm``; ``mp3``,
  ``opus``, ``aac`` and ``flac`` get the same WAV bytes under their own content type),
  ``/v1/audio/transcriptions``, ``/v1/audio/translations`` (``Scenario.transcript_text``)
* ``POST /v1/embeddings``, ``POST /v1/moderations``

Token counts and other generated content follow :mod:`tests.fakes.openai_payloads`; see
:func:`~tests.fakes.openai_payloads.count_prompt_tokens` and
:func:`~tests.fakes.openai_payloads.count_tokens` to predict ``usage``.
"""

from __future__ import annotations

import base64
import contextlib
import email.message
import io
import json
import math
import re
import secrets
import socket
import socketserver
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, NamedTuple, cast
from urllib.parse import parse_qsl, unquote, urlsplit

from PIL import Image, UnidentifiedImageError

from tests.fakes import fake_batches
from tests.fakes import openai_payloads as payloads

JsonDict = dict[str, Any]

DEFAULT_REPLY = "Hello! This is a reply from the fake OpenAI server."
"""Default ``Scenario.reply_text`` (10 words, so 10 content chunks with the default chunking)."""

DEFAULT_TRANSCRIPT = (
    "Hello from the fake transcription service. It returns the same words every time."
)
"""Default ``Scenario.transcript_text``, used for transcriptions and translations."""

DEFAULT_MODELS: tuple[str, ...] = (
    "gpt-4o-mini",
    "gpt-4.1",
    "gpt-5-mini",
    "o3",
    "text-embedding-3-small",
    "text-embedding-3-large",
    "omni-moderation-latest",
    "gpt-image-1",
    "tts-1",
    "gpt-4o-mini-tts",
    "whisper-1",
    "gpt-4o-transcribe",
)
"""Model ids served by ``GET /v1/models`` unless ``Scenario.models`` is changed."""

_MODEL_META: dict[str, JsonDict] = {
    "gpt-4o-mini": {"created": 1721172741, "owned_by": "system", "shutdown_date": "2027-01-14"},
    "gpt-4.1": {"created": 1744316542, "owned_by": "system", "shutdown_date": "2027-01-14"},
    "gpt-5-mini": {"created": 1754425928, "owned_by": "system", "shutdown_date": "2026-12-11"},
    "o3": {"created": 1744225308, "owned_by": "system"},
    "text-embedding-3-small": {"created": 1705948997, "owned_by": "system"},
    "text-embedding-3-large": {"created": 1705953180, "owned_by": "system"},
    "omni-moderation-latest": {"created": 1731689265, "owned_by": "system"},
    "gpt-image-1": {"created": 1745517030, "owned_by": "system"},
    "tts-1": {"created": 1681940951, "owned_by": "openai-internal", "shutdown_date": "2027-01-06"},
    "gpt-4o-mini-tts": {"created": 1742403959, "owned_by": "system", "shutdown_date": "2027-01-06"},
    "whisper-1": {
        "created": 1677532384,
        "owned_by": "openai-internal",
        "shutdown_date": "2027-02-26",
    },
    "gpt-4o-transcribe": {
        "created": 1742068463,
        "owned_by": "system",
        "shutdown_date": "2027-02-26",
    },
}

_REASONING_MODEL_RE = re.compile(r"^(o\d|gpt-5)")
_LANGUAGES = {
    "en": "english",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "nl": "dutch",
    "pt": "portuguese",
    "ru": "russian",
    "ja": "japanese",
    "zh": "chinese",
    "ar": "arabic",
}
_AUDIO_CONTENT_TYPES = {
    "mp3": "audio/mpeg",
    "opus": "audio/opus",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}
_IMAGE_CONTENT_TYPES = {"png": "image/png", "webp": "image/webp", "jpeg": "image/jpeg"}
_AZURE_DEPLOYMENT_RE = re.compile(r"^/openai/deployments/([^/]+)(/.*)$")

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


# ------------------------------------------------------------------------------------------------
# Public data types
# ------------------------------------------------------------------------------------------------


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
class Scenario:
    """What the fake server answers; every test gets a fresh one with a fresh server.

    Attributes:
        models: Model ids (or full model dicts, merged over the defaults) for ``GET /v1/models``;
            a request naming a model not listed here gets 404 ``model_not_found``.
        reply_text: The chat reply, or a callable receiving the request body and returning it.
        chunk_size: Units per streamed content chunk.
        chunk_unit: ``"word"`` (default; ``"Hello"``, ``" world"``), ``"char"`` or ``"token"``.
        tokens_per_second: None streams as fast as possible; otherwise each chunk waits
            ``count_tokens(chunk) / tokens_per_second`` seconds before it is sent.
        latency_s: Delay before any response starts.
        drop_after_chunks: Close the socket abruptly after this many SSE events (every
            ``data:`` event counts, including the role chunk), with no ``[DONE]``; for raw
            speech audio, after this many 16 KiB pieces; a transcription or translation that
            is not streamed gets no answer at all.
        api_key: None accepts any key; otherwise ``Authorization: Bearer <key>`` (or Azure's
            ``api-key`` header) must match or the answer is 401.
        tool_calls: ``(name, arguments_json)`` pairs the chat reply calls instead of answering.
        finish_reason: Overrides the computed ``finish_reason`` (``stop``/``length``/``tool_calls``).
        system_fingerprint: Sent in chat responses and chunks.
        usage: Keys merged over the computed chat ``usage`` (``total_tokens`` is recomputed
            unless given).
        reasoning_tokens: Added to ``completion_tokens`` and reported in
            ``completion_tokens_details.reasoning_tokens``.
        cached_tokens: Reported in ``prompt_tokens_details.cached_tokens``.
        transcript_text: Text returned by transcriptions and translations.
        azure_deployments: None accepts every Azure deployment; otherwise others get 404
            ``DeploymentNotFound``.
        max_upload_bytes: Audio uploads larger than this get 413 (the API's 25 MB limit).
        ratelimit_requests: ``x-ratelimit-limit-requests`` on every API response.
        ratelimit_tokens: ``x-ratelimit-limit-tokens`` on every API response.
        image_urls: Answer non-streamed image requests with links to ``GET /files/<name>`` on
            this server even when base64 was asked for (as some compatible servers do).
        embedding_failures: ``{n: status}``: the n-th ``POST /v1/embeddings`` (1-based, counting
            every one this server received) fails with that status (a failed batch mid-run).
    """

    models: list[str | JsonDict] = field(default_factory=lambda: list(DEFAULT_MODELS))
    reply_text: str | Callable[[JsonDict], str] = DEFAULT_REPLY
    chunk_size: int = 1
    chunk_unit: payloads.ChunkUnit = "word"
    tokens_per_second: float | None = None
    latency_s: float = 0.0
    drop_after_chunks: int | None = None
    api_key: str | None = None
    tool_calls: list[tuple[str, str]] = field(default_factory=list)
    finish_reason: str | None = None
    system_fingerprint: str | None = "fp_fake000001"
    usage: JsonDict | None = None
    reasoning_tokens: int = 0
    cached_tokens: int = 0
    transcript_text: str = DEFAULT_TRANSCRIPT
    azure_deployments: list[str] | None = None
    max_upload_bytes: int = 25 * 1024 * 1024
    ratelimit_requests: int = 5000
    ratelimit_tokens: int = 2_000_000
    image_urls: bool = False
    embedding_failures: dict[int, int] = field(default_factory=dict)

    def model_entries(self) -> list[JsonDict]:
        """Return the ``GET /v1/models`` entries for ``models``.

        Returns:
            Dicts with ``id``, ``object``, ``created``, ``owned_by`` and ``shutdown_date``.
        """
        entries: list[JsonDict] = []
        for item in self.models:
            model_id = item if isinstance(item, str) else str(item["id"])
            meta = _MODEL_META.get(model_id, {"created": 1700000000, "owned_by": "system"})
            entry: JsonDict = {
                "id": model_id,
                "object": "model",
                "created": meta["created"],
                "owned_by": meta["owned_by"],
                "shutdown_date": meta.get("shutdown_date"),
            }
            if not isinstance(item, str):
                entry.update(item)
            entries.append(entry)
        return entries

    def model_ids(self) -> set[str]:
        """Return the ids in ``models``.

        Returns:
            The set of served model ids.
        """
        return {item if isinstance(item, str) else str(item["id"]) for item in self.models}


@dataclass
class _Fault:
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


def _mask_key(key: str) -> str:
    if len(key) <= 8:
        return key
    return key[:3] + "*" * (len(key) - 7) + key[-4:]


def _reset_text(seconds: float) -> str:
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    minutes, secs = divmod(seconds, 60)
    secs_text = f"{secs:g}s"
    return f"{int(minutes)}m{secs_text}" if minutes else secs_text


def _new_id(prefix: str, length: int = 24) -> str:
    return prefix + secrets.token_hex(length // 2 + 1)[:length]


# ------------------------------------------------------------------------------------------------
# The server object
# ------------------------------------------------------------------------------------------------


class FakeOpenAI:
    """A fake OpenAI (and Azure OpenAI) server on ``127.0.0.1`` with fault injection.

    Attributes:
        scenario: What the server answers; change fields at any time (or assign a new one).
        server_errors: Tracebacks of exceptions raised inside the fake's handlers (a test can
            assert this is empty; such requests are answered with a 500).
    """

    def __init__(self, scenario: Scenario | None = None) -> None:
        """Create a stopped server.

        Args:
            scenario: Initial scenario (default: ``Scenario()``).
        """
        self.scenario = scenario or Scenario()
        self.server_errors: list[str] = []
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._in_flight = 0
        self.max_in_flight = 0  # the most requests being answered at the same time so far
        self._faults: list[_Fault] = []
        self._files: dict[str, tuple[bytes, str]] = {}
        self.batches = fake_batches.FakeBatches()  # the Files and Batch API (fake_batches.py)
        self._tokens_used = 0
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> FakeOpenAI:
        """Bind to a free port and serve in a daemon thread.

        Returns:
            self, for chaining.
        """
        if self._server is not None:
            raise RuntimeError("FakeOpenAI is already running")
        self._stopping.clear()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name="fake-openai",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close open connections and sockets, and join all threads."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        server.join_handlers(timeout=5.0)
        if thread is not None:
            thread.join(timeout=5.0)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (the server must be running)."""
        if self._server is None:
            raise RuntimeError("FakeOpenAI is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: the Azure endpoint, and the root of served files."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/v1``: pass as ``base_url`` to ``AsyncOpenAI``."""
        return f"{self.url}/v1"

    # -- recorded requests ----------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, path_suffix: str) -> list[RecordedRequest]:
        """Return the requests whose path ends with a suffix.

        Args:
            path_suffix: E.g. ``"/chat/completions"`` (matches OpenAI and Azure paths).

        Returns:
            The matching requests, oldest first.
        """
        return [r for r in self.requests if r.path.endswith(path_suffix)]

    def last(self, path_suffix: str = "") -> RecordedRequest:
        """Return the last request whose path ends with a suffix.

        Args:
            path_suffix: E.g. ``"/embeddings"``; empty matches any request.

        Returns:
            The most recent matching request.

        Raises:
            LookupError: No request matched.
        """
        matching = self.requests_to(path_suffix)
        if not matching:
            seen = [f"{r.method} {r.path}" for r in self.requests]
            raise LookupError(f"no request to a path ending with {path_suffix!r}; received {seen}")
        return matching[-1]

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        with self._lock:
            self._requests.clear()

    # -- fault injection ------------------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        *,
        message: str | None = None,
        type: str | None = None,
        code: str | int | None = None,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
        times: int = 1,
        path: str | None = None,
        raw_body: bytes | str | None = None,
        content_type: str = "application/json",
    ) -> None:
        """Answer the next matching request(s) with an OpenAI error.

        Faults are queued; each request takes the first queued fault whose ``path`` matches.
        Defaults per status: 400 ``invalid_request_error``, 401 ``invalid_api_key``, 403
        ``unsupported_country_region_territory``, 404 ``model_not_found`` (naming the request's
        model), 429 ``rate_limit_exceeded``, 5xx the bodies in :data:`SERVER_ERROR_BODIES`.

        Args:
            status: HTTP status.
            message: ``error.message`` (default per status).
            type: ``error.type`` (default per status).
            code: ``error.code`` (default per status).
            param: ``error.param``.
            headers: Extra response headers (e.g. ``{"retry-after": "1"}``).
            times: How many requests get this fault.
            path: Only requests whose path ends with this (e.g. ``"/chat/completions"``).
            raw_body: Send this body verbatim instead of a JSON error (e.g. an HTML 502 page).
            content_type: Content type for ``raw_body``.
        """
        if raw_body is not None:
            body = raw_body.encode("utf-8") if isinstance(raw_body, str) else raw_body
            ctype = content_type
        else:
            error = dict(self._default_error(status)["error"])
            if message is not None:
                error["message"] = message
            if type is not None:
                error["type"] = type
            if code is not None:
                error["code"] = code
            if param is not None:
                error["param"] = param
            body = json.dumps({"error": error}).encode("utf-8")
            ctype = "application/json"
        fault = _Fault(status, body, ctype, dict(headers or {}), max(times, 1), path)
        with self._lock:
            self._faults.append(fault)

    def rate_limit(
        self,
        retry_after: float = 2,
        *,
        times: int = 1,
        path: str | None = None,
        kind: Literal["requests", "tokens"] = "requests",
    ) -> None:
        """Answer the next matching request(s) with a 429 ``rate_limit_exceeded``.

        The response carries ``retry-after`` and the ``x-ratelimit-{limit,remaining,reset}-
        {requests,tokens}`` headers (remaining 0 for ``kind``).

        Args:
            retry_after: Seconds in ``retry-after`` (note: the SDK honours it when retrying).
            times: How many requests get the 429.
            path: Only requests whose path ends with this.
            kind: Which limit was hit: ``requests`` (RPM) or ``tokens`` (TPM).
        """
        s = self.scenario
        reset = _reset_text(retry_after)
        headers = {
            "retry-after": f"{retry_after:g}",
            "x-ratelimit-limit-requests": str(s.ratelimit_requests),
            "x-ratelimit-limit-tokens": str(s.ratelimit_tokens),
            "x-ratelimit-remaining-requests": "0"
            if kind == "requests"
            else str(s.ratelimit_requests - 1),
            "x-ratelimit-remaining-tokens": "0" if kind == "tokens" else str(s.ratelimit_tokens),
            "x-ratelimit-reset-requests": reset if kind == "requests" else "120ms",
            "x-ratelimit-reset-tokens": reset if kind == "tokens" else "6ms",
        }
        limit = s.ratelimit_requests if kind == "requests" else s.ratelimit_tokens
        unit = "requests per min (RPM)" if kind == "requests" else "tokens per min (TPM)"
        message = (
            f"Rate limit reached for default-model in organization org-fake on {unit}: "
            f"Limit {limit}, Used {limit}, Requested 1. Please try again in {reset}. "
            "Visit https://platform.openai.com/account/rate-limits to learn more."
        )
        self.fail_next(
            429,
            message=message,
            type=kind,
            code="rate_limit_exceeded",
            headers=headers,
            times=times,
            path=path,
        )

    def quota_exceeded(self, *, times: int = 1, path: str | None = None) -> None:
        """Answer the next matching request(s) with the 429 ``insufficient_quota`` error.

        Args:
            times: How many requests get it.
            path: Only requests whose path ends with this.
        """
        self.fail_next(
            429,
            message=(
                "You exceeded your current quota, please check your plan and billing details. "
                "For more information on this error, read the docs: "
                "https://platform.openai.com/docs/guides/error-codes/api-errors."
            ),
            type="insufficient_quota",
            code="insufficient_quota",
            times=times,
            path=path,
        )

    def refuse_image_next(
        self, *, legacy: bool = False, times: int = 1, path: str | None = None
    ) -> None:
        """Answer the next matching request(s) with the Images API's safety refusal.

        GPT image models answer 400 ``moderation_blocked`` (type ``image_generation_user_error``,
        with ``moderation_details``); ``legacy=True`` sends DALL·E's ``content_policy_violation``.

        Args:
            legacy: Send the DALL·E-era body instead.
            times: How many requests get it.
            path: Only requests whose path ends with this (e.g. ``"/images/edits"``).
        """
        if legacy:
            error: JsonDict = {
                "message": "Your request was rejected as a result of our safety system. Your "
                "prompt may contain text that is not allowed by our safety system.",
                "type": "invalid_request_error",
                "param": None,
                "code": "content_policy_violation",
            }
        else:
            error = {
                "message": "Your request was rejected by the safety system. If you believe this "
                "is an error, contact us at help.openai.com and include the request ID "
                f"{_new_id('', 32)}. safety_violations=[violence].",
                "type": "image_generation_user_error",
                "param": None,
                "code": "moderation_blocked",
                "moderation_details": {"moderation_stage": "input", "categories": ["violence"]},
            }
        self.fail_next(400, raw_body=json.dumps({"error": error}), times=times, path=path)

    def invalid_json_next(self, times: int = 1, *, path: str | None = None) -> None:
        """Answer the next matching request(s) with 200 and a body that is not valid JSON.

        Non-streaming requests get ``content-type: application/json`` with a truncated JSON
        object; streaming requests get an SSE stream whose first ``data:`` line is broken.

        Args:
            times: How many requests get it.
            path: Only requests whose path ends with this.
        """
        fault = _Fault(
            200,
            b'{"id": "chatcmpl-broken", "object": "chat.completion", "choices": [',
            "application/json",
            {},
            max(times, 1),
            path,
            kind="invalid_json",
        )
        with self._lock:
            self._faults.append(fault)

    # -- internals used by the handler ----------------------------------------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _answering(self, delta: int) -> None:
        with self._lock:
            self._in_flight += delta
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def _take_fault(self, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.path is None or path.endswith(fault.path):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _store_file(self, data: bytes, content_type: str, extension: str) -> str:
        name = f"{_new_id('img-', 20)}.{extension}"
        with self._lock:
            self._files[name] = (data, content_type)
        return f"{self.url}/files/{name}"

    def _file(self, name: str) -> tuple[bytes, str] | None:
        with self._lock:
            return self._files.get(name)

    def _add_tokens(self, count: int) -> None:
        with self._lock:
            self._tokens_used += count

    def _ratelimit_headers(self) -> dict[str, str]:
        s = self.scenario
        with self._lock:
            used_requests = len(self._requests)
            used_tokens = self._tokens_used
        return {
            "x-ratelimit-limit-requests": str(s.ratelimit_requests),
            "x-ratelimit-limit-tokens": str(s.ratelimit_tokens),
            "x-ratelimit-remaining-requests": str(max(s.ratelimit_requests - used_requests, 0)),
            "x-ratelimit-remaining-tokens": str(max(s.ratelimit_tokens - used_tokens, 0)),
            "x-ratelimit-reset-requests": "12ms",
            "x-ratelimit-reset-tokens": "6ms",
        }

    def _pause(self, seconds: float) -> bool:
        """Sleep unless the server stops; return False if it is stopping."""
        if seconds <= 0:
            return not self._stopping.is_set()
        return not self._stopping.wait(seconds)

    def _default_error(self, status: int, model: str | None = None) -> JsonDict:
        if status in SERVER_ERROR_BODIES:
            return {"error": dict(SERVER_ERROR_BODIES[status])}
        if status >= 500:
            return {"error": dict(SERVER_ERROR_BODIES[500])}
        if status == 401:
            return error_body(
                "Incorrect API key provided: sk-fake*********************XXXX. You can find your "
                "API key at https://platform.openai.com/account/api-keys.",
                code="invalid_api_key",
            )
        if status == 403:
            return error_body(
                "Country, region, or territory not supported",
                "request_forbidden",
                code="unsupported_country_region_territory",
            )
        if status == 404:
            return _model_not_found(model or "unknown-model")
        if status == 429:
            return error_body(
                "Rate limit reached for requests. Please try again in 2s.",
                "requests",
                code="rate_limit_exceeded",
            )
        return error_body("Bad request.")


def _model_not_found(model: str) -> JsonDict:
    return error_body(
        f"The model `{model}` does not exist or you do not have access to it.",
        code="model_not_found",
    )


# ------------------------------------------------------------------------------------------------
# HTTP plumbing
# ------------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    """ThreadingHTTPServer that tracks its connections and handler threads."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, fake: FakeOpenAI) -> None:
        self.fake = fake
        self._conn_lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._handlers: set[threading.Thread] = set()
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), which can stall on a slow resolver.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._serve_connection,
            args=(request, client_address),
            name="fake-openai-conn",
            daemon=True,
        )
        with self._conn_lock:
            self._connections.add(request)
            self._handlers.add(thread)
        thread.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            with self._conn_lock:
                self._connections.discard(request)
                self._handlers.discard(threading.current_thread())

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return  # the client went away (reset, broken pipe, closed); nothing to report
        self.fake.server_errors.append(traceback.format_exc())

    def close_connections(self) -> None:
        with self._conn_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def join_handlers(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            with self._conn_lock:
                threads = list(self._handlers)
            if not threads:
                return
            for thread in threads:
                thread.join(max(deadline - time.monotonic(), 0.0))
            if time.monotonic() >= deadline:
                return


class _Reply(Exception):
    """Raised by a route to send an error response and stop."""

    def __init__(
        self, status: int, body: JsonDict, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def _parse_multipart(
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


class _Handler(BaseHTTPRequestHandler):
    """Request handler; one instance per connection (keep-alive serves several requests)."""

    protocol_version = "HTTP/1.1"
    server_version = "fake-openai/1.0"
    sys_version = ""
    timeout = 30
    # TCP_NODELAY, as real API servers and proxies set it for streams. Without it, Nagle's algorithm
    # held each small SSE write until the client acknowledged the previous one, and the client's
    # delayed ACK (40 ms on Linux) made about one streamed request in five take 45 ms instead of 5
    # (bench/overhead.py's raw-SDK baseline).
    disable_nagle_algorithm = True

    _started = 0.0
    _headers_sent = False
    _record: RecordedRequest

    @property
    def fake(self) -> FakeOpenAI:
        return cast(_Server, self.server).fake

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    # -- request parsing ------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            data = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(data)
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self) -> None:
        self.fake._answering(+1)
        try:
            self._answer()
        finally:
            self.fake._answering(-1)

    def _answer(self) -> None:
        self._started = time.monotonic()
        self._headers_sent = False
        fake = self.fake
        body = self._read_body()
        split = urlsplit(self.path)
        path = split.path
        headers = {k.lower(): v for k, v in self.headers.items()}
        content_type = headers.get("content-type", "")
        parsed_json: JsonDict | None = None
        json_error = False
        form_items: list[tuple[str, str]] = []
        file_items: list[tuple[str, UploadedFile]] = []
        if content_type.startswith("multipart/form-data"):
            form_items, file_items = _parse_multipart(body, content_type)
        elif body and "json" in content_type:
            try:
                loaded = json.loads(body)
            except ValueError:
                json_error = True
            else:
                parsed_json = loaded if isinstance(loaded, dict) else None
        endpoint, deployment, azure = self._split_prefix(path)
        files: dict[str, UploadedFile] = {}
        for name, upload in file_items:
            files.setdefault(name, upload)
        self._record = RecordedRequest(
            method=self.command,
            path=path,
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers=headers,
            body=body,
            json=parsed_json,
            form=dict(form_items),
            files=files,
            form_items=form_items,
            file_items=file_items,
            endpoint=endpoint,
            deployment=deployment,
            azure=azure,
        )
        fake._record(self._record)
        try:
            if not fake._pause(fake.scenario.latency_s):
                self.close_connection = True
                return
            fault = fake._take_fault(path)
            if fault is not None:
                self._send_fault(fault)
            elif path.startswith("/files/") and self.command == "GET":
                self._serve_file(path.removeprefix("/files/"))
            elif endpoint is None:
                self._invalid_url()
            else:
                self._check_access()
                if json_error:
                    raise _Reply(
                        400,
                        error_body(
                            "We could not parse the JSON body of your request. (HINT: This likely means"
                            " you aren't using your HTTP library correctly. The OpenAI API expects a JSON"
                            " payload, but what was sent was not valid JSON. If you have trouble figuring"
                            " out how to fix this, please contact us through our help center at"
                            " help.openai.com.)"
                        ),
                    )
                self._route(endpoint)
        except _Reply as reply:
            self._send_json(reply.status, reply.body, reply.headers)
        except OSError:
            self.close_connection = True
        except Exception:
            fake.server_errors.append(traceback.format_exc())
            if self._headers_sent:
                self.close_connection = True
            else:
                self._send_json(500, {"error": dict(SERVER_ERROR_BODIES[500])})

    @staticmethod
    def _split_prefix(path: str) -> tuple[str | None, str | None, bool]:
        if path.startswith("/v1/"):
            return path.removeprefix("/v1"), None, False
        match = _AZURE_DEPLOYMENT_RE.match(path)
        if match:
            return match.group(2), unquote(match.group(1)), True
        if path.startswith("/openai/"):
            return path.removeprefix("/openai"), None, True
        return None, None, False

    def _check_access(self) -> None:
        record = self._record
        scenario = self.fake.scenario
        if record.azure and "api-version" not in record.query:
            raise _Reply(404, {"error": {"code": "404", "message": "Resource not found"}})
        if scenario.api_key is not None:
            authorization = record.headers.get("authorization", "")
            bearer = authorization[7:] if authorization.lower().startswith("bearer ") else None
            key = bearer if bearer is not None else record.headers.get("api-key")
            if key != scenario.api_key:
                if record.azure:
                    raise _Reply(
                        401,
                        {
                            "error": {
                                "code": "401",
                                "message": "Access denied due to invalid subscription key or wrong API "
                                "endpoint. Make sure to provide a valid key for an active subscription "
                                "and use a correct regional API endpoint for your resource.",
                            }
                        },
                    )
                if not key:
                    raise _Reply(
                        401,
                        error_body(
                            "You didn't provide an API key. You need to provide your API key in an "
                            "Authorization header using Bearer auth (i.e. Authorization: Bearer "
                            "YOUR_KEY), or as the password field (with blank username) if you're "
                            "accessing the API from your browser and are prompted for a username and "
                            "password. You can obtain an API key from "
                            "https://platform.openai.com/account/api-keys."
                        ),
                    )
                raise _Reply(
                    401,
                    error_body(
                        f"Incorrect API key provided: {_mask_key(key)}. You can find your API key at "
                        "https://platform.openai.com/account/api-keys.",
                        code="invalid_api_key",
                    ),
                )
        allowed = scenario.azure_deployments
        if (
            record.deployment is not None
            and allowed is not None
            and record.deployment not in allowed
        ):
            raise _Reply(
                404,
                {
                    "error": {
                        "code": "DeploymentNotFound",
                        "message": "The API deployment for this resource does not exist. If you created "
                        "the deployment within the last 5 minutes, please wait a moment and try again.",
                    }
                },
            )

    def _route(self, endpoint: str) -> None:
        method = self.command
        routes: dict[tuple[str, str], Callable[[], None]] = {
            ("GET", "/models"): self._models,
            ("POST", "/chat/completions"): self._chat,
            ("POST", "/embeddings"): self._embeddings,
            ("POST", "/moderations"): self._moderations,
            ("POST", "/images/generations"): self._images_generate,
            ("POST", "/images/edits"): self._images_edit,
            ("POST", "/images/variations"): self._images_variation,
            ("POST", "/audio/speech"): self._speech,
            ("POST", "/audio/transcriptions"): self._transcription,
            ("POST", "/audio/translations"): self._translation,
        }
        route = routes.get((method, endpoint))
        if route is not None:
            route()
        elif method == "GET" and endpoint.startswith("/models/"):
            self._model(unquote(endpoint.removeprefix("/models/")))
        elif endpoint.startswith(("/files", "/batches")) and fake_batches.route(
            self, method, endpoint
        ):
            pass
        else:
            self._invalid_url()

    # -- response plumbing ----------------------------------------------------------------------

    def _common_headers(self, api: bool = True) -> dict[str, str]:
        headers = {
            "x-request-id": _new_id("req_", 32),
            "openai-processing-ms": str(max(round((time.monotonic() - self._started) * 1000), 1)),
            "openai-version": "2020-10-01",
            "openai-organization": "user-fake",
        }
        if api:
            headers.update(self.fake._ratelimit_headers())
        return headers

    def _send_head(
        self, status: int, content_type: str, headers: Mapping[str, str], length: int | None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if length is None:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(length))
        for name, value in {**self._common_headers(), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self._headers_sent = True

    def _send_bytes(
        self, status: int, body: bytes, content_type: str, headers: Mapping[str, str] | None = None
    ) -> None:
        self._send_head(status, content_type, headers or {}, len(body))
        self.wfile.write(body)
        self.wfile.flush()

    def _send_json(
        self, status: int, obj: object, headers: Mapping[str, str] | None = None
    ) -> None:
        self._send_bytes(status, json.dumps(obj).encode("utf-8"), "application/json", headers)

    def _write_chunk(self, data: bytes) -> None:
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

    def _end_chunks(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _abort(self) -> None:
        """Drop the connection mid-body, as a crashed proxy would."""
        self.wfile.flush()
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _send_sse(self, events: Iterable[tuple[str | None, object, int]], *, done: bool) -> None:
        """Send ``(event_name, payload, tokens)`` as SSE, honouring pacing and drops."""
        scenario = self.fake.scenario
        self._send_head(
            200, "text/event-stream; charset=utf-8", {"cache-control": "no-cache"}, None
        )
        for sent, (name, payload, tokens) in enumerate(events):
            if scenario.drop_after_chunks is not None and sent >= scenario.drop_after_chunks:
                self._abort()
                return
            tps = scenario.tokens_per_second
            if tps and tokens and not self.fake._pause(tokens / tps):
                self._abort()
                return
            data = payload if isinstance(payload, str) else json.dumps(payload)
            prefix = f"event: {name}\n" if name else ""
            self._write_chunk(f"{prefix}data: {data}\n\n".encode())
        if scenario.drop_after_chunks is not None:
            self._abort()
            return
        if done:
            self._write_chunk(b"data: [DONE]\n\n")
        self._end_chunks()

    def _send_fault(self, fault: _Fault) -> None:
        if fault.kind == "invalid_json" and self._wants_stream():
            self._send_head(200, "text/event-stream; charset=utf-8", fault.headers, None)
            self._write_chunk(b'data: {"id": "chatcmpl-broken", "choices": [\n\n')
            self._end_chunks()
            return
        body = fault.body
        if fault.status == 404 and fault.kind == "error" and b"unknown-model" in body:
            model = (
                self._record.json.get("model")
                if self._record.json
                else self._record.form.get("model")
            )
            if isinstance(model, str):
                body = body.replace(b"unknown-model", model.encode("utf-8"))
        self._send_bytes(fault.status, body, fault.content_type, fault.headers)

    def _wants_stream(self) -> bool:
        record = self._record
        if record.json is not None:
            return bool(record.json.get("stream"))
        return record.form.get("stream") == "true"

    def _invalid_url(self) -> None:
        self._send_json(404, error_body(f"Invalid URL ({self.command} {self._record.path})"))

    def _serve_file(self, name: str) -> None:
        stored = self.fake._file(name)
        if stored is None:
            self._send_bytes(404, b"Not found", "text/plain")
        else:
            self._send_bytes(200, stored[0], stored[1])

    # -- validation helpers ---------------------------------------------------------------------

    def _json_body(self) -> JsonDict:
        body = self._record.json
        if body is None:
            raise _Reply(400, error_body("You must provide a JSON body.", code="invalid_json"))
        return body

    def _require(self, params: Mapping[str, object], name: str) -> object:
        value = params.get(name)
        if value is None or value == "":
            raise _Reply(
                400,
                error_body(
                    f"Missing required parameter: '{name}'.",
                    param=name,
                    code="missing_required_parameter",
                ),
            )
        return value

    def _check_model(self, model: object, *, required: bool = True) -> str | None:
        if model is None or model == "":
            if required:
                raise _Reply(400, error_body("you must provide a model parameter"))
            return None
        name = str(model)
        if not self._record.azure and name not in self.fake.scenario.model_ids():
            raise _Reply(404, _model_not_found(name))
        return name

    @staticmethod
    def _check_range(
        params: Mapping[str, object], name: str, low: float, high: float, *, integer: bool = False
    ) -> None:
        value = params.get(name)
        if value is None or isinstance(value, bool) or not isinstance(value, int | float):
            return
        kind = "integer" if integer else "decimal"
        if value > high:
            raise _Reply(
                400,
                error_body(
                    f"Invalid '{name}': {kind} above maximum value. Expected a value <= {high:g}, "
                    f"but got {value:g} instead.",
                    param=name,
                    code=f"{kind}_above_max_value",
                ),
            )
        if value < low:
            raise _Reply(
                400,
                error_body(
                    f"Invalid '{name}': {kind} below minimum value. Expected a value >= {low:g}, "
                    f"but got {value:g} instead.",
                    param=name,
                    code=f"{kind}_below_min_value",
                ),
            )

    # -- models ---------------------------------------------------------------------------------

    def _models(self) -> None:
        self._send_json(200, {"object": "list", "data": self.fake.scenario.model_entries()})

    def _model(self, model_id: str) -> None:
        for entry in self.fake.scenario.model_entries():
            if entry["id"] == model_id:
                self._send_json(200, entry)
                return
        raise _Reply(
            404,
            error_body(
                f"The model '{model_id}' does not exist", param="model", code="model_not_found"
            ),
        )

    # -- chat -----------------------------------------------------------------------------------

    def _validate_chat(self, body: JsonDict) -> str:
        model = self._check_model(body.get("model"))
        assert model is not None
        messages = body.get("messages")
        if messages is None:
            self._require(body, "messages")
        if not isinstance(messages, list):
            raise _Reply(
                400,
                error_body(
                    f"Invalid type for 'messages': expected an array, but got {type(messages).__name__}"
                    " instead.",
                    param="messages",
                    code="invalid_type",
                ),
            )
        if not messages:
            raise _Reply(
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
                raise _Reply(
                    400,
                    error_body(
                        f"Invalid value: '{role}'. Supported values are: 'system', 'assistant', 'user',"
                        " 'function', 'tool', and 'developer'.",
                        param=f"messages[{index}].role",
                        code="invalid_value",
                    ),
                )
        self._check_range(body, "temperature", 0, 2)
        self._check_range(body, "top_p", 0, 1)
        self._check_range(body, "presence_penalty", -2, 2)
        self._check_range(body, "frequency_penalty", -2, 2)
        self._check_range(body, "n", 1, 128, integer=True)
        self._check_range(body, "top_logprobs", 0, 20, integer=True)
        if not self._record.azure and _REASONING_MODEL_RE.match(model):
            if body.get("max_tokens") is not None:
                raise _Reply(
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
                raise _Reply(
                    400,
                    error_body(
                        f"Unsupported value: 'temperature' does not support {temperature} with this"
                        " model. Only the default (1) value is supported.",
                        param="temperature",
                        code="unsupported_value",
                    ),
                )
        return model

    def _reply_text(self, body: JsonDict) -> tuple[str, str]:
        """Return the reply text after ``stop``/``max_tokens`` handling, and its finish reason."""
        reply = self.fake.scenario.reply_text
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

    def _chat_usage(self, prompt_tokens: int, completion_tokens: int) -> JsonDict:
        scenario = self.fake.scenario
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
                usage["total_tokens"] = int(usage["prompt_tokens"]) + int(
                    usage["completion_tokens"]
                )
        self.fake._add_tokens(int(usage["total_tokens"]))
        return usage

    def _chat(self) -> None:
        body = self._json_body()
        model = self._validate_chat(body)
        scenario = self.fake.scenario
        n = body.get("n") or 1
        text, finish = self._reply_text(body)
        calls = [(name, args, _new_id("call_", 24)) for name, args in scenario.tool_calls]
        if calls:
            finish = "tool_calls"
            per_choice = sum(
                payloads.count_tokens(name) + payloads.count_tokens(args) for name, args, _ in calls
            )
        else:
            per_choice = payloads.count_tokens(text)
        finish = scenario.finish_reason or finish
        usage = self._chat_usage(
            payloads.count_prompt_tokens(body), n * per_choice + scenario.reasoning_tokens
        )
        base: JsonDict = {
            "id": _new_id("chatcmpl-", 29),
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
            chunks = self._chat_chunks(
                base, n, text, calls, finish, usage if include_usage else None, want_logprobs, top
            )
            self._send_sse(chunks, done=True)
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
            {"content": payloads.token_logprobs(text, top), "refusal": None}
            if want_logprobs
            else None
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
        if self._record.azure:
            response["prompt_filter_results"] = [
                {"prompt_index": 0, "content_filter_results": _azure_filters()}
            ]
            for choice in response["choices"]:
                choice["content_filter_results"] = _azure_filters()
        self._send_json(200, response)

    def _chat_chunks(
        self,
        base: JsonDict,
        n: int,
        text: str,
        calls: list[tuple[str, str, str]],
        finish: str,
        usage: JsonDict | None,
        want_logprobs: bool,
        top: int,
    ) -> Iterator[tuple[str | None, object, int]]:
        scenario = self.fake.scenario

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

        if self._record.azure:
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

    # -- embeddings -----------------------------------------------------------------------------

    def _embeddings(self) -> None:
        number = len(self.fake.requests_to("/embeddings"))  # this request is recorded already
        failure = self.fake.scenario.embedding_failures.get(number)
        if failure is not None:
            raise _Reply(failure, self.fake._default_error(failure))
        body = self._json_body()
        model = self._check_model(body.get("model"))
        assert model is not None
        raw = self._require(body, "input")
        inputs: list[str | list[int]]
        if isinstance(raw, str):
            inputs = [raw]
        elif isinstance(raw, list) and raw and all(isinstance(t, int) for t in raw):
            inputs = [cast(list[int], raw)]
        elif isinstance(raw, list) and raw and all(isinstance(t, str | list) for t in raw):
            inputs = cast(list[str | list[int]], raw)
        else:
            raise _Reply(
                400,
                error_body(
                    "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
                ),
            )
        if len(inputs) > 2048:
            raise _Reply(
                400,
                error_body(
                    f"Too many inputs. The max number of inputs is 2048. We received {len(inputs)}.",
                    param="input",
                ),
            )
        # The API's limits: 8,192 tokens per input, 300,000 tokens per request.
        counts = [payloads.count_tokens(t) if isinstance(t, str) else len(t) for t in inputs]
        for index, n in enumerate(counts):
            if n > payloads.EMBEDDING_MAX_INPUT_TOKENS:
                raise _Reply(
                    400,
                    error_body(
                        f"This model's maximum context length is "
                        f"{payloads.EMBEDDING_MAX_INPUT_TOKENS} tokens, however you requested "
                        f"{n} tokens in input[{index}]. Please reduce your prompt.",
                        param="input",
                    ),
                )
        if sum(counts) > payloads.EMBEDDING_MAX_REQUEST_TOKENS:
            raise _Reply(
                400,
                error_body(
                    f"Requested {sum(counts)} tokens, max {payloads.EMBEDDING_MAX_REQUEST_TOKENS} "
                    "tokens per request",
                    param="input",
                ),
            )
        native = payloads.EMBEDDING_DIMENSIONS.get(model.rsplit("/", 1)[-1], 1536)
        dims = body.get("dimensions")
        if dims is not None:
            if "ada-002" in model:
                raise _Reply(
                    400,
                    error_body(
                        "This model does not support specifying dimensions.", param="dimensions"
                    ),
                )
            if not isinstance(dims, int) or not 1 <= dims <= native:
                raise _Reply(
                    400,
                    error_body(
                        f"Invalid value for 'dimensions' = {dims}. Must be between 1 and {native}.",
                        param="dimensions",
                    ),
                )
        size = dims or native
        base64_format = body.get("encoding_format") == "base64"
        data: list[JsonDict] = []
        prompt_tokens = 0
        for index, item in enumerate(inputs):
            text = item if isinstance(item, str) else " ".join(f"tok:{t}" for t in item)
            prompt_tokens += counts[index]
            # SHAKE-256 output is prefix-stable, so the first `size` values of the native vector
            # are computed directly (same vector after normalising, far less work).
            full = payloads.embedding_vector(text, size)
            norm = math.sqrt(sum(v * v for v in full)) or 1.0
            vector = [v / norm for v in full]
            packed = struct.pack(f"<{size}f", *vector)
            embedding: object = (
                base64.b64encode(packed).decode("ascii")
                if base64_format
                else list(struct.unpack(f"<{size}f", packed))
            )
            data.append({"object": "embedding", "index": index, "embedding": embedding})
        self.fake._add_tokens(prompt_tokens)
        self._send_json(
            200,
            {
                "object": "list",
                "data": data,
                "model": model,
                "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
            },
        )

    # -- moderations ----------------------------------------------------------------------------

    def _moderations(self) -> None:
        body = self._json_body()
        model = self._check_model(body.get("model"), required=False) or "omni-moderation-latest"
        raw = self._require(body, "input")
        results: list[JsonDict] = []
        if isinstance(raw, str):
            results.append(payloads.moderation_result([raw]))
        elif isinstance(raw, list) and raw and all(isinstance(item, str) for item in raw):
            results.extend(payloads.moderation_result([item]) for item in raw)
        elif isinstance(raw, list) and raw and all(isinstance(item, dict) for item in raw):
            if not model.startswith("omni-moderation"):
                # Like the API: only the omni models take multi-modal (image) input.
                raise _Reply(
                    400,
                    error_body(f"Model {model} does not support image inputs.", param="input"),
                )
            texts = [str(part.get("text", "")) for part in raw if part.get("type") == "text"]
            images = [
                str((part.get("image_url") or {}).get("url", ""))
                for part in raw
                if part.get("type") == "image_url"
            ]
            results.append(payloads.moderation_result(texts, images))
        else:
            raise _Reply(400, error_body("'$.input' is invalid.", param="input"))
        self._send_json(200, {"id": _new_id("modr-", 24), "model": model, "results": results})

    # -- images ---------------------------------------------------------------------------------

    def _image_params(self, params: Mapping[str, object]) -> tuple[int, tuple[int, int], str, str]:
        n_raw = params.get("n") or 1
        try:
            n = int(str(n_raw))
        except ValueError:
            n = 0
        if not 1 <= n <= 10:
            raise _Reply(
                400,
                error_body(
                    f"Invalid 'n': integer above maximum value. Expected a value <= 10, but got {n_raw} instead.",
                    param="n",
                    code="integer_above_max_value",
                ),
            )
        size = payloads.parse_size(params.get("size"))
        if size is None:
            raise _Reply(
                400,
                error_body(
                    f"Invalid value: '{params.get('size')}'. Supported values are: '1024x1024', "
                    "'1024x1536', '1536x1024', and 'auto'.",
                    param="size",
                    code="invalid_value",
                ),
            )
        fmt = str(params.get("output_format") or "png")
        if fmt not in _IMAGE_CONTENT_TYPES:
            fmt = "png"
        quality = str(params.get("quality") or "auto")
        return n, size, fmt, quality

    def _images_respond(
        self,
        params: Mapping[str, object],
        model: str | None,
        prompt: str,
        *,
        kind: Literal["generation", "edit", "variation"],
        input_images: int = 0,
        default_size: tuple[int, int] | None = None,
    ) -> None:
        n, size, fmt, quality = self._image_params(params)
        if params.get("size") in (None, "auto") and default_size is not None:
            size = default_size
        width, height = size
        gpt_image = model is None or model.startswith("gpt-image")
        transparent = params.get("background") == "transparent"
        effective_quality = quality if quality in payloads.IMAGE_OUTPUT_TOKENS else "medium"
        shape = "square" if width == height else "wide"
        text_tokens = payloads.count_tokens(prompt)
        image_tokens = payloads.IMAGE_INPUT_TOKENS * input_images
        output_tokens = n * payloads.IMAGE_OUTPUT_TOKENS[effective_quality][shape]
        usage: JsonDict = {
            "input_tokens": text_tokens + image_tokens,
            "input_tokens_details": {"text_tokens": text_tokens, "image_tokens": image_tokens},
            "output_tokens": output_tokens,
            "output_tokens_details": {"text_tokens": 0, "image_tokens": output_tokens},
            "total_tokens": text_tokens + image_tokens + output_tokens,
        }
        created = int(time.time())
        stream = params.get("stream") in (True, "true")
        if stream and kind != "variation":
            prefix = "image_generation" if kind == "generation" else "image_edit"
            partials = int(str(params.get("partial_images") or 0))
            common: JsonDict = {
                "background": "transparent" if transparent else "opaque",
                "created_at": created,
                "output_format": fmt,
                "quality": effective_quality,
                "size": f"{width}x{height}",
            }

            def events() -> Iterator[tuple[str | None, object, int]]:
                for i in range(n):
                    seed = f"{prompt}|{i}"
                    for p in range(partials):
                        data = payloads.make_image(
                            width,
                            height,
                            seed,
                            fmt=fmt,
                            transparent=transparent,
                            progress=(p + 1) / (partials + 1),
                        )
                        event = {
                            **common,
                            "type": f"{prefix}.partial_image",
                            "b64_json": base64.b64encode(data).decode("ascii"),
                            "partial_image_index": p,
                        }
                        yield event["type"], event, 0
                    data = payloads.make_image(
                        width, height, seed, fmt=fmt, transparent=transparent
                    )
                    done = {
                        **common,
                        "type": f"{prefix}.completed",
                        "b64_json": base64.b64encode(data).decode("ascii"),
                        "usage": usage,
                    }
                    yield done["type"], done, 0

            self.fake._add_tokens(int(usage["total_tokens"]))
            self._send_sse(events(), done=False)
            return
        as_url = params.get("response_format") == "url" or self.fake.scenario.image_urls
        items: list[JsonDict] = []
        for i in range(n):
            data = payloads.make_image(
                width, height, f"{prompt}|{i}", fmt=fmt, transparent=transparent
            )
            item: JsonDict = {}
            if as_url:
                item["url"] = self.fake._store_file(data, _IMAGE_CONTENT_TYPES[fmt], fmt)
            else:
                item["b64_json"] = base64.b64encode(data).decode("ascii")
            if kind != "variation" and model != "dall-e-2":
                item["revised_prompt"] = f"{prompt} (revised by the fake server)"
            items.append(item)
        response: JsonDict = {"created": created, "data": items}
        if gpt_image and kind != "variation":
            response.update(
                {
                    "background": "transparent" if transparent else "opaque",
                    "output_format": fmt,
                    "quality": effective_quality,
                    "size": f"{width}x{height}",
                    "usage": usage,
                }
            )
            self.fake._add_tokens(int(usage["total_tokens"]))
        self._send_json(200, response)

    def _images_generate(self) -> None:
        body = self._json_body()
        model = self._check_model(body.get("model"), required=False)
        prompt = str(self._require(body, "prompt"))
        self._images_respond(body, model, prompt, kind="generation")

    def _uploaded_images(self) -> list[UploadedFile]:
        images = [
            upload for name, upload in self._record.file_items if name in ("image", "image[]")
        ]
        if not images:
            self._require({}, "image")
        return images

    @staticmethod
    def _image_size(upload: UploadedFile) -> tuple[int, int] | None:
        try:
            with Image.open(io.BytesIO(upload.data)) as image:
                return (int(image.width), int(image.height))
        except (UnidentifiedImageError, OSError, ValueError):
            return None

    def _images_edit(self) -> None:
        form = self._record.form
        model = self._check_model(form.get("model"), required=False)
        images = self._uploaded_images()
        prompt = str(self._require(form, "prompt"))
        mask = self._record.files.get("mask")
        if mask is not None:
            self._check_mask(mask, images[0])
        self._images_respond(
            form,
            model,
            prompt,
            kind="edit",
            input_images=len(images),
            default_size=self._image_size(images[0]),
        )

    def _check_mask(self, mask: UploadedFile, image: UploadedFile) -> None:
        """The API's checks of ``mask``: a PNG with an alpha channel, the first image's size."""
        try:
            with Image.open(io.BytesIO(mask.data)) as picture:
                fmt, mode, size = picture.format, picture.mode, picture.size
        except (UnidentifiedImageError, OSError, ValueError):
            fmt, mode, size = None, "", (0, 0)
        if fmt != "PNG":
            raise _Reply(
                400,
                error_body(
                    "Invalid mask image format - mask must be a PNG file.",
                    param="mask",
                    code="invalid_image_format",
                ),
            )
        if mode not in ("RGBA", "LA", "L"):
            raise _Reply(
                400,
                error_body(
                    f"Invalid input image - format must be in ['RGBA', 'LA', 'L'], got {mode}.",
                    param="mask",
                    code="invalid_image_format",
                ),
            )
        if size != self._image_size(image):
            raise _Reply(
                400,
                error_body(
                    "Invalid mask image format - mask size does not match image size",
                    param="mask",
                    code="invalid_image_format",
                ),
            )

    def _images_variation(self) -> None:
        form = self._record.form
        model = self._check_model(form.get("model"), required=False)
        images = self._uploaded_images()
        self._images_respond(
            form,
            model,
            "variation",
            kind="variation",
            default_size=self._image_size(images[0]),
        )

    # -- audio ----------------------------------------------------------------------------------

    def _speech(self) -> None:
        """Text to speech.

        ``wav`` is a real WAV (24 kHz, 16-bit mono, 440 Hz tone of
        :func:`~tests.fakes.openai_payloads.speech_duration` seconds); ``pcm`` is the same frames
        raw. ``mp3``/``opus``/``aac``/``flac`` return the WAV bytes with that format's content type
        (no encoder is needed for tests). The body is sent chunked, like the real API, in 16 KiB
        pieces; ``Scenario.drop_after_chunks`` drops the connection after that many pieces.
        ``stream_format="sse"`` (not for tts-1/tts-1-hd) sends the pieces base64-encoded as
        ``speech.audio.delta`` events and ends with ``speech.audio.done`` carrying token usage
        (output tokens: 50 per piece). ``instructions`` are refused for tts-1/tts-1-hd.
        """
        body = self._json_body()
        self._check_model(body.get("model"))
        text = str(self._require(body, "input"))
        self._require(body, "voice")
        if len(text) > 4096:
            raise _Reply(
                400,
                error_body(
                    "Invalid 'input': string too long. Expected a string with maximum length 4096, but"
                    f" got a string with length {len(text)} instead.",
                    param="input",
                    code="string_above_max_length",
                ),
            )
        fmt = str(body.get("response_format") or "mp3")
        if fmt not in _AUDIO_CONTENT_TYPES:
            raise _Reply(
                400,
                error_body(
                    f"Invalid value: '{fmt}'. Supported values are: 'mp3', 'opus', 'aac', 'flac', 'wav',"
                    " and 'pcm'.",
                    param="response_format",
                    code="invalid_value",
                ),
            )
        self._check_range(body, "speed", 0.25, 4.0)
        speed = float(body.get("speed") or 1.0)
        model = str(body.get("model"))
        stream_format = body.get("stream_format") or "audio"
        if stream_format == "sse" and model.startswith("tts-1"):
            raise _Reply(
                400,
                error_body(
                    f"stream_format 'sse' is not supported for model '{model}'.",
                    param="stream_format",
                    code="unsupported_value",
                ),
            )
        if body.get("instructions") and model.startswith("tts-1"):
            raise _Reply(
                400,
                error_body(
                    f"instructions are not supported for model '{model}'.",
                    param="instructions",
                    code="unsupported_value",
                ),
            )
        pcm = payloads.speech_pcm(text, speed)
        audio = pcm if fmt == "pcm" else payloads.pcm_to_wav(pcm)
        pieces = [audio[offset : offset + 16384] for offset in range(0, len(audio), 16384)]
        if stream_format == "sse":
            input_tokens = payloads.count_tokens(text) + payloads.count_tokens(
                str(body.get("instructions") or "")
            )
            usage = {
                "input_tokens": input_tokens,
                "output_tokens": len(pieces) * 50,
                "total_tokens": input_tokens + len(pieces) * 50,
            }

            def events() -> Iterator[tuple[str | None, object, int]]:
                for piece in pieces:
                    yield (
                        None,
                        {
                            "type": "speech.audio.delta",
                            "audio": base64.b64encode(piece).decode("ascii"),
                        },
                        0,
                    )
                yield None, {"type": "speech.audio.done", "usage": usage}, 0

            self._send_sse(events(), done=False)
            return
        drop = self.fake.scenario.drop_after_chunks
        self._send_head(200, _AUDIO_CONTENT_TYPES[fmt], {}, None)
        for sent, piece in enumerate(pieces):
            if drop is not None and sent >= drop:
                self._abort()
                return
            self._write_chunk(piece)
        self._end_chunks()

    def _audio_upload(self) -> tuple[str, UploadedFile, str]:
        form = self._record.form
        upload = self._record.files.get("file")
        if upload is None:
            self._require({}, "file")
        assert upload is not None
        limit = self.fake.scenario.max_upload_bytes
        if len(upload.data) > limit:
            raise _Reply(
                413,
                error_body(
                    f"Maximum content size limit ({limit}) exceeded ({len(self._record.body)} bytes read)",
                    "server_error",
                ),
            )
        model = self._check_model(form.get("model"))
        assert model is not None
        fmt = form.get("response_format") or "json"
        if fmt not in ("json", "text", "srt", "verbose_json", "vtt"):
            raise _Reply(
                400,
                error_body(
                    f"Invalid value: '{fmt}'. Supported values are: 'json', 'text', 'srt', 'verbose_json',"
                    " and 'vtt'.",
                    param="response_format",
                    code="invalid_value",
                ),
            )
        if model != "whisper-1" and fmt not in ("json", "text"):
            raise _Reply(
                400,
                error_body(
                    f"response_format '{fmt}' is not compatible with model '{model}'. Use 'json' or 'text'"
                    " instead.",
                    param="response_format",
                    code="unsupported_value",
                ),
            )
        return model, upload, fmt

    def _transcribe(self, task: Literal["transcribe", "translate"]) -> None:
        model, upload, fmt = self._audio_upload()
        form = self._record.form
        scenario = self.fake.scenario
        text = scenario.transcript_text
        duration = payloads.audio_duration(upload.data, text)
        prompt_tokens = payloads.count_tokens(form.get("prompt", ""))
        audio_tokens = math.ceil(duration * 10)
        output_tokens = payloads.count_tokens(text)
        token_usage: JsonDict = {
            "type": "tokens",
            "input_tokens": audio_tokens + prompt_tokens,
            "input_token_details": {"text_tokens": prompt_tokens, "audio_tokens": audio_tokens},
            "output_tokens": output_tokens,
            "total_tokens": audio_tokens + prompt_tokens + output_tokens,
        }
        duration_usage: JsonDict = {"type": "duration", "seconds": math.ceil(duration)}
        usage = duration_usage if model == "whisper-1" else token_usage
        if task == "transcribe" and form.get("stream") == "true":
            if model == "whisper-1":
                raise _Reply(
                    400,
                    error_body(
                        "Streaming is not supported for the whisper-1 model.",
                        param="stream",
                        code="unsupported_value",
                    ),
                )

            def events() -> Iterator[tuple[str | None, object, int]]:
                for piece in payloads.split_chunks(text, scenario.chunk_size, scenario.chunk_unit):
                    yield (
                        None,
                        {"type": "transcript.text.delta", "delta": piece},
                        payloads.count_tokens(piece),
                    )
                yield None, {"type": "transcript.text.done", "text": text, "usage": token_usage}, 0

            self._send_sse(events(), done=False)
            return
        if scenario.drop_after_chunks is not None:  # the connection drops before any answer
            self._abort()
            return
        if fmt == "text":
            self._send_bytes(200, (text + "\n").encode("utf-8"), "text/plain; charset=utf-8")
            return
        segments, words = payloads.transcript_segments(text, duration)
        if fmt in ("srt", "vtt"):
            subtitle = payloads.subtitles(segments, "srt" if fmt == "srt" else "vtt")
            self._send_bytes(200, subtitle.encode("utf-8"), "text/plain; charset=utf-8")
            return
        if fmt == "json":
            self._send_json(
                200, {"text": text, "usage": usage} if task == "transcribe" else {"text": text}
            )
            return
        language = (
            "english"
            if task == "translate"
            else _LANGUAGES.get(form.get("language", "en"), "english")
        )
        granularities = self._record.form_values("timestamp_granularities[]") or ["segment"]
        verbose: JsonDict = {
            "task": task,
            "language": language,
            "duration": round(duration, 3),
            "text": text,
        }
        if "segment" in granularities:
            verbose["segments"] = segments
        if "word" in granularities and task == "transcribe":
            verbose["words"] = words
        if task == "transcribe":
            verbose["usage"] = duration_usage
        self._send_json(200, verbose)

    def _transcription(self) -> None:
        self._transcribe("transcribe")

    def _translation(self) -> None:
        self._transcribe("translate")


def _azure_filters() -> JsonDict:
    safe = {"filtered": False, "severity": "safe"}
    return {"hate": safe, "self_harm": safe, "sexual": safe, "violence": safe}
