"""The fake server's core: HTTP plumbing, routing, access checks, faults and the request log.

:class:`FakeServer` runs a stdlib :class:`http.server.ThreadingHTTPServer` on ``127.0.0.1`` (port
0) in a daemon thread. It speaks HTTP/1.1 with keep-alive: ordinary responses carry
``Content-Length``, streams (SSE, speech audio) use ``Transfer-Encoding: chunked`` and are flushed
chunk by chunk, so a dropped stream (``Scenario.drop_after_chunks``) is an incomplete chunked body
that the SDK reports as :class:`openai.APIConnectionError`.

Every request goes the same way through :class:`Handler`: parse (JSON or multipart), record,
wait ``Scenario.latency_s``, take a queued fault if one matches, serve ``GET /files/<name>``, check
the URL prefix (``/v1/…`` or Azure's ``/openai/…``), the API key and the Azure deployment, then
hand the request to the route a :class:`Family` registered for it (404 ``Invalid URL`` if none).
A route answers with the handler's helpers (:meth:`Handler.send_json`, :meth:`Handler.send_sse`,
…) or raises :class:`~tests.fakes.wire.Reply` to answer with an error.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import socketserver
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, ClassVar, Literal, Self, TypeVar, cast
from urllib.parse import parse_qsl, unquote, urlsplit

from tests.fakes.openai_payloads import count_tokens
from tests.fakes.scenario import Scenario
from tests.fakes.wire import (
    SERVER_ERROR_BODIES,
    Fault,
    JsonDict,
    RecordedRequest,
    Reply,
    UploadedFile,
    error_body,
    mask_key,
    model_not_found,
    new_id,
    parse_multipart,
    reset_text,
)

_T = TypeVar("_T")
_AZURE_DEPLOYMENT_RE = re.compile(r"^/openai/deployments/([^/]+)(/.*)$")
_PARAM_RE = re.compile(r"\{(\w+)(:path)?\}")

RouteFn = Callable[["Handler"], None]
"""A route: answers the handler's current request (path parameters are in ``handler.params``)."""


# ------------------------------------------------------------------------------------------------
# Routing
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One registered route: ``method`` and ``pattern`` answered by ``fn``."""

    method: str
    pattern: str
    regex: re.Pattern[str]
    fn: RouteFn


class Family:
    """One endpoint family (chat, images, …): the routes it answers and its per-server state.

    A family module makes one at import time and registers its routes with the decorator::

        FAMILY = Family("embeddings")

        @FAMILY.route("POST", "/embeddings")
        def create(h: Handler) -> None: ...

    Args:
        name: A short name for messages.
        state: A class (or factory) called once per server for state the family keeps between
            requests (uploaded files, batches); routes reach it with ``h.fake.state(kind)``.
    """

    def __init__(self, name: str, *, state: Callable[[], object] | None = None) -> None:
        self.name = name
        self.state = state
        self.routes: list[Route] = []

    def route(self, method: str, pattern: str) -> Callable[[RouteFn], RouteFn]:
        """Register a function for ``method`` and an endpoint pattern.

        Args:
            method: ``GET``, ``POST``, ...
            pattern: The endpoint without the ``/v1`` or Azure prefix, e.g.
                ``"/batches/{batch_id}/cancel"``: ``{name}`` matches one path segment,
                ``{name:path}`` the rest of the path (slashes included, possibly empty).
                Values land in ``handler.params`` still URL-encoded.

        Returns:
            A decorator that registers the function and returns it unchanged.
        """
        regex_text = ""
        last = 0
        for match in _PARAM_RE.finditer(pattern):
            regex_text += re.escape(pattern[last : match.start()])
            regex_text += f"(?P<{match.group(1)}>{'.*' if match.group(2) else '[^/]+'})"
            last = match.end()
        regex = re.compile(regex_text + re.escape(pattern[last:]))

        def register(fn: RouteFn) -> RouteFn:
            self.routes.append(Route(method, pattern, regex, fn))
            return fn

        return register


class Router:
    """The routes of several families, matched in order (first match wins).

    Raises:
        ValueError: Two families registered the same method and pattern.
    """

    def __init__(self, families: Sequence[Family]) -> None:
        self.routes: list[Route] = []
        seen: dict[tuple[str, str], str] = {}
        for family in families:
            for route in family.routes:
                key = (route.method, route.pattern)
                if key in seen:
                    raise ValueError(
                        f"{route.method} {route.pattern} is registered by both "
                        f"{seen[key]!r} and {family.name!r}"
                    )
                seen[key] = family.name
                self.routes.append(route)

    def match(self, method: str, endpoint: str) -> tuple[RouteFn, dict[str, str]] | None:
        """Find the route for a request.

        Args:
            method: The request method.
            endpoint: The path without prefix, e.g. ``"/models/gpt-4o-mini"``.

        Returns:
            The route's function and its path parameters, or None (an invalid URL).
        """
        for route in self.routes:
            if route.method == method:
                found = route.regex.fullmatch(endpoint)
                if found is not None:
                    return route.fn, found.groupdict()
        return None


# ------------------------------------------------------------------------------------------------
# The server object
# ------------------------------------------------------------------------------------------------


class FakeServer:
    """A fake OpenAI (and Azure OpenAI) server on ``127.0.0.1`` with fault injection.

    It serves the routes of the endpoint families it is given (a subclass names them in
    ``families``; :class:`tests.fakes.openai_server.FakeOpenAI` names them all). Everything that
    is not one endpoint's business lives here: the request log, queued faults, access checks,
    served files, token bookkeeping for the rate-limit headers.

    Attributes:
        families: The endpoint families served, in routing order.
        scenario: What the server answers; change fields at any time (or assign a new one).
        server_errors: Tracebacks of exceptions raised inside the fake's handlers (a test can
            assert this is empty; such requests are answered with a 500).
    """

    families: ClassVar[tuple[Family, ...]] = ()

    def __init__(self, scenario: Scenario | None = None) -> None:
        """Create a stopped server.

        Args:
            scenario: Initial scenario (default: ``Scenario()``).
        """
        self.router = Router(self.families)
        self._family_state: dict[type, object] = {}
        for family in self.families:
            if family.state is not None:
                state = family.state()
                self._family_state[type(state)] = state
        self.scenario = scenario or Scenario()
        self.server_errors: list[str] = []
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        # (arrival time, tokens counted) of the chat requests in the window (ratelimit_window_s)
        self._window: list[tuple[float, int]] = []
        self.window_rejections = 0  # chat requests refused by the enforced window
        self._in_flight = 0
        self.max_in_flight = 0  # the most requests being answered at the same time so far
        self._faults: list[Fault] = []
        self._files: dict[str, tuple[bytes, str]] = {}
        self._tokens_used = 0
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> Self:
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

    def __enter__(self) -> Self:
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
        fault = Fault(status, body, ctype, dict(headers or {}), max(times, 1), path)
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
        reset = reset_text(retry_after)
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
                f"{new_id('', 32)}. safety_violations=[violence].",
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
        fault = Fault(
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

    # -- internals used by the handler and the families ------------------------------------------

    def state(self, kind: type[_T]) -> _T:
        """Return the state object a family declared (``Family(state=kind)``).

        Args:
            kind: The state's class, e.g. :class:`tests.fakes.batches.FakeBatches`.

        Returns:
            This server's one instance of it.
        """
        return cast(_T, self._family_state[kind])

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _answering(self, delta: int) -> None:
        with self._lock:
            self._in_flight += delta
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.path is None or path.endswith(fault.path):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def serve_file(
        self, data: bytes, content_type: str = "application/json", extension: str = "json"
    ) -> str:
        """Serves `data` at ``GET /files/<name>`` (no key needed) and returns its URL (a local
        download, e.g. a price table for "Update prices now")."""
        return self._store_file(data, content_type, extension)

    def _store_file(self, data: bytes, content_type: str, extension: str) -> str:
        name = f"{new_id('img-', 20)}.{extension}"
        with self._lock:
            self._files[name] = (data, content_type)
        return f"{self.url}/files/{name}"

    def _file(self, name: str) -> tuple[bytes, str] | None:
        with self._lock:
            return self._files.get(name)

    def _add_tokens(self, count: int) -> None:
        with self._lock:
            self._tokens_used += count

    def _window_state(self, now: float) -> tuple[int, float, int, float]:
        """(requests in the enforced window, seconds until its oldest leaves it, their tokens,
        seconds until the newest leaves it: every token is back); call locked."""
        span = self.scenario.ratelimit_window_s or 0.0
        self._window = [(t, n) for t, n in self._window if now - t < span]
        oldest = self._window[0][0] if self._window else now
        newest = self._window[-1][0] if self._window else now
        tokens = sum(n for _, n in self._window)
        return (
            len(self._window),
            max(oldest + span - now, 0.0),
            tokens,
            max(newest + span - now, 0.0),
        )

    def _over_window(self, path: str, body: object) -> dict[str, str] | None:
        """With ``ratelimit_window_s``: None when a chat request may go (it is counted), else the
        headers of the 429 that refuses it. Its tokens are counted as OpenAI counts them against
        the tokens limit: its input and the most it may write."""
        s = self.scenario
        if s.ratelimit_window_s is None or not path.endswith(("/chat/completions", "/responses")):
            return None
        requested = _requested_tokens(body)
        now = time.monotonic()
        with self._lock:
            used, reset, tokens, full = self._window_state(now)
            if used < s.ratelimit_requests and tokens + requested <= s.ratelimit_tokens:
                self._window.append((now, requested))
                return None
            self.window_rejections += 1
        return {
            "retry-after": f"{max(reset, 0.001):.3f}",
            "x-ratelimit-limit-requests": str(s.ratelimit_requests),
            "x-ratelimit-remaining-requests": str(max(s.ratelimit_requests - used, 0)),
            "x-ratelimit-reset-requests": reset_text(reset),
            "x-ratelimit-limit-tokens": str(s.ratelimit_tokens),
            "x-ratelimit-remaining-tokens": str(max(s.ratelimit_tokens - tokens, 0)),
            "x-ratelimit-reset-tokens": reset_text(full),
        }

    def _ratelimit_headers(self) -> dict[str, str]:
        s = self.scenario
        with self._lock:
            used_requests = len(self._requests)
            used_tokens = self._tokens_used
        reset_requests = reset_tokens = "12ms"
        if s.ratelimit_window_s is not None:
            with self._lock:
                used_requests, reset, used_tokens, full = self._window_state(time.monotonic())
            reset_requests, reset_tokens = reset_text(reset), reset_text(full)
        return {
            "x-ratelimit-limit-requests": str(s.ratelimit_requests),
            "x-ratelimit-limit-tokens": str(s.ratelimit_tokens),
            "x-ratelimit-remaining-requests": str(max(s.ratelimit_requests - used_requests, 0)),
            "x-ratelimit-remaining-tokens": str(max(s.ratelimit_tokens - used_tokens, 0)),
            "x-ratelimit-reset-requests": reset_requests,
            "x-ratelimit-reset-tokens": reset_tokens,
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
            return model_not_found(model or "unknown-model")
        if status == 429:
            return error_body(
                "Rate limit reached for requests. Please try again in 2s.",
                "requests",
                code="rate_limit_exceeded",
            )
        return error_body("Bad request.")


class _Server(ThreadingHTTPServer):
    """ThreadingHTTPServer that tracks its connections and handler threads."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, fake: FakeServer) -> None:
        self.fake = fake
        self._conn_lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._handlers: set[threading.Thread] = set()
        super().__init__(("127.0.0.1", 0), Handler)

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


class Handler(BaseHTTPRequestHandler):
    """Request handler; one instance per connection (keep-alive serves several requests).

    What a family's route uses:

    * ``record``: the current request, parsed (:class:`~tests.fakes.wire.RecordedRequest`);
      ``params``: the route's path parameters; ``fake``: the server (``fake.scenario``,
      ``fake.state(kind)``, ``fake._add_tokens`` for the rate-limit headers, ``fake._store_file``
      for ``GET /files/<name>`` links).
    * Validation: :meth:`json_body`, :meth:`require`, :meth:`check_model`, :meth:`check_range`
      (each raises :class:`~tests.fakes.wire.Reply` with the API's error).
    * Answers: :meth:`send_json`, :meth:`send_bytes`, :meth:`send_sse` (pacing and drops from the
      scenario), or :meth:`send_head` + :meth:`write_chunk` + :meth:`end_chunks` for a chunked
      body, :meth:`abort` to drop the connection mid-body.
    """

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
    record: RecordedRequest
    params: dict[str, str]

    @property
    def fake(self) -> FakeServer:
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
            form_items, file_items = parse_multipart(body, content_type)
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
        self.record = RecordedRequest(
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
        fake._record(self.record)
        try:
            if not fake._pause(fake.scenario.latency_s):
                self.close_connection = True
                return
            fault = fake._take_fault(path)
            refused = None if fault is not None else fake._over_window(path, parsed_json)
            if fault is not None:
                self._send_fault(fault)
            elif refused is not None:
                on_tokens = refused["x-ratelimit-remaining-requests"] != "0"
                limit = (
                    fake.scenario.ratelimit_tokens
                    if on_tokens
                    else fake.scenario.ratelimit_requests
                )
                unit = "tokens per min (TPM)" if on_tokens else "requests per min (RPM)"
                message = (
                    f"Rate limit reached for default-model in organization org-fake on {unit}: "
                    f"Limit {limit}, Used {limit}, Requested 1."
                )
                kind = "tokens" if on_tokens else "requests"
                body = error_body(message, type=kind, code="rate_limit_exceeded")
                self.send_json(429, body, refused)
            elif path.startswith("/files/") and self.command == "GET":
                self._serve_file(path.removeprefix("/files/"))
            elif endpoint is None:
                self._invalid_url()
            else:
                self._check_access()
                if json_error:
                    raise Reply(
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
        except Reply as reply:
            self.send_json(reply.status, reply.body, reply.headers)
        except OSError:
            self.close_connection = True
        except Exception:
            fake.server_errors.append(traceback.format_exc())
            if self._headers_sent:
                self.close_connection = True
            else:
                self.send_json(500, {"error": dict(SERVER_ERROR_BODIES[500])})

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
        record = self.record
        scenario = self.fake.scenario
        if record.azure and "api-version" not in record.query:
            raise Reply(404, {"error": {"code": "404", "message": "Resource not found"}})
        if scenario.api_key is not None:
            authorization = record.headers.get("authorization", "")
            bearer = authorization[7:] if authorization.lower().startswith("bearer ") else None
            key = bearer if bearer is not None else record.headers.get("api-key")
            if key != scenario.api_key:
                if record.azure:
                    raise Reply(
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
                    raise Reply(
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
                raise Reply(
                    401,
                    error_body(
                        f"Incorrect API key provided: {mask_key(key)}. You can find your API key at "
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
            raise Reply(
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
        found = self.fake.router.match(self.command, endpoint)
        if found is None:
            self._invalid_url()
            return
        route, self.params = found
        route(self)

    # -- response plumbing ----------------------------------------------------------------------

    def _common_headers(self, api: bool = True) -> dict[str, str]:
        headers = {
            "x-request-id": new_id("req_", 32),
            "openai-processing-ms": str(max(round((time.monotonic() - self._started) * 1000), 1)),
            "openai-version": "2020-10-01",
            "openai-organization": "user-fake",
        }
        if api and self.fake.scenario.ratelimit_headers:
            headers.update(self.fake._ratelimit_headers())
        return headers

    def send_head(
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

    def send_bytes(
        self, status: int, body: bytes, content_type: str, headers: Mapping[str, str] | None = None
    ) -> None:
        self.send_head(status, content_type, headers or {}, len(body))
        self.wfile.write(body)
        self.wfile.flush()

    def send_json(self, status: int, obj: object, headers: Mapping[str, str] | None = None) -> None:
        self.send_bytes(status, json.dumps(obj).encode("utf-8"), "application/json", headers)

    def write_chunk(self, data: bytes) -> None:
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

    def end_chunks(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def abort(self) -> None:
        """Drop the connection mid-body, as a crashed proxy would."""
        self.wfile.flush()
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def send_sse(self, events: Iterable[tuple[str | None, object, int]], *, done: bool) -> None:
        """Send ``(event_name, payload, tokens)`` as SSE, honouring pacing and drops."""
        scenario = self.fake.scenario
        self.send_head(200, "text/event-stream; charset=utf-8", {"cache-control": "no-cache"}, None)
        for sent, (name, payload, tokens) in enumerate(events):
            if scenario.drop_after_chunks is not None and sent >= scenario.drop_after_chunks:
                self.abort()
                return
            tps = scenario.tokens_per_second
            if tps and tokens and not self.fake._pause(tokens / tps):
                self.abort()
                return
            data = payload if isinstance(payload, str) else json.dumps(payload)
            prefix = f"event: {name}\n" if name else ""
            self.write_chunk(f"{prefix}data: {data}\n\n".encode())
        if scenario.drop_after_chunks is not None:
            self.abort()
            return
        if done:
            self.write_chunk(b"data: [DONE]\n\n")
        self.end_chunks()

    def _send_fault(self, fault: Fault) -> None:
        if fault.kind == "invalid_json" and self._wants_stream():
            self.send_head(200, "text/event-stream; charset=utf-8", fault.headers, None)
            self.write_chunk(b'data: {"id": "chatcmpl-broken", "choices": [\n\n')
            self.end_chunks()
            return
        body = fault.body
        if fault.status == 404 and fault.kind == "error" and b"unknown-model" in body:
            model = (
                self.record.json.get("model") if self.record.json else self.record.form.get("model")
            )
            if isinstance(model, str):
                body = body.replace(b"unknown-model", model.encode("utf-8"))
        self.send_bytes(fault.status, body, fault.content_type, fault.headers)

    def _wants_stream(self) -> bool:
        record = self.record
        if record.json is not None:
            return bool(record.json.get("stream"))
        return record.form.get("stream") == "true"

    def _invalid_url(self) -> None:
        self.send_json(404, error_body(f"Invalid URL ({self.command} {self.record.path})"))

    def _serve_file(self, name: str) -> None:
        stored = self.fake._file(name)
        if stored is None:
            self.send_bytes(404, b"Not found", "text/plain")
        else:
            self.send_bytes(200, stored[0], stored[1])

    # -- validation helpers ---------------------------------------------------------------------

    def json_body(self) -> JsonDict:
        body = self.record.json
        if body is None:
            raise Reply(400, error_body("You must provide a JSON body.", code="invalid_json"))
        return body

    def require(self, params: Mapping[str, object], name: str) -> object:
        value = params.get(name)
        if value is None or value == "":
            raise Reply(
                400,
                error_body(
                    f"Missing required parameter: '{name}'.",
                    param=name,
                    code="missing_required_parameter",
                ),
            )
        return value

    def check_model(self, model: object, *, required: bool = True) -> str | None:
        if model is None or model == "":
            if required:
                raise Reply(400, error_body("you must provide a model parameter"))
            return None
        name = str(model)
        if not self.record.azure and name not in self.fake.scenario.model_ids():
            raise Reply(404, model_not_found(name))
        return name

    @staticmethod
    def check_range(
        params: Mapping[str, object], name: str, low: float, high: float, *, integer: bool = False
    ) -> None:
        value = params.get(name)
        if value is None or isinstance(value, bool) or not isinstance(value, int | float):
            return
        kind = "integer" if integer else "decimal"
        if value > high:
            raise Reply(
                400,
                error_body(
                    f"Invalid '{name}': {kind} above maximum value. Expected a value <= {high:g}, "
                    f"but got {value:g} instead.",
                    param=name,
                    code=f"{kind}_above_max_value",
                ),
            )
        if value < low:
            raise Reply(
                400,
                error_body(
                    f"Invalid '{name}': {kind} below minimum value. Expected a value >= {low:g}, "
                    f"but got {value:g} instead.",
                    param=name,
                    code=f"{kind}_below_min_value",
                ),
            )


def _requested_tokens(body: object) -> int:
    """What a chat request counts against the tokens limit: its messages' (or input's) text and
    the most it may write (its max tokens field)."""
    if not isinstance(body, dict):
        return 0
    most = 0
    for key in ("max_output_tokens", "max_completion_tokens", "max_tokens"):
        value = body.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            most = max(most, value)
    text = json.dumps(body.get("messages") or body.get("input") or "", ensure_ascii=False)
    return count_tokens(text) + most
