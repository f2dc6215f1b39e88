"""Prompt caching for the chat families (:mod:`~tests.fakes.chat`, :mod:`~tests.fakes.responses`).

Not a family (it has no routes): both families call it.

* :func:`check` gives the API's 400s for ``prompt_cache_key`` and ``prompt_cache_options``: a key
  that is not text, options that are not an object, an unknown option, a ``ttl`` the API does
  not take (Responses: ``30m``, ``12h``; Chat Completions: only ``30m``), a ``mode`` other than
  ``implicit``/``explicit``, ``prewarm`` (Responses only) that is not true or false.
* :func:`cached_tokens` is a small in-memory cache per server: a request with a
  ``prompt_cache_key`` reads from the cache the longest start (whole messages or input items) it
  shares with an earlier request under the same key, and is remembered for the next one. A
  request without a key caches nothing (so every other test's usage is unchanged). Unlike the
  real API there is no 1,024-token minimum and nothing expires.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from tests.fakes.wire import JsonDict, Reply, error_body

RESPONSES_TTLS: tuple[str, ...] = ("30m", "12h")
"""``prompt_cache_options.ttl`` values ``POST /v1/responses`` takes."""
CHAT_TTLS: tuple[str, ...] = ("30m",)
"""``prompt_cache_options.ttl`` values ``POST /v1/chat/completions`` takes."""
_MODES = ("implicit", "explicit")


def _supported(values: Sequence[str]) -> str:
    quoted = [f"'{v}'" for v in values]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _invalid_value(param: str, value: object, supported: Sequence[str]) -> Reply:
    return Reply(
        400,
        error_body(
            f"Invalid value: '{value}'. Supported values are: {_supported(supported)}.",
            param=param,
            code="invalid_value",
        ),
    )


def _invalid_type(param: str, expected: str, value: object) -> Reply:
    return Reply(
        400,
        error_body(
            f"Invalid type for '{param}': expected {expected}, but got "
            f"{type(value).__name__} instead.",
            param=param,
            code="invalid_type",
        ),
    )


def check(body: JsonDict, *, ttls: Sequence[str], prewarm: bool) -> None:
    """Raise the API's 400 for prompt cache settings it would refuse.

    Args:
        body: The request body.
        ttls: The lifetimes the endpoint takes (:data:`RESPONSES_TTLS` or :data:`CHAT_TTLS`).
        prewarm: The endpoint takes ``prompt_cache_options.prewarm`` (Responses).
    """
    key = body.get("prompt_cache_key")
    if key is not None and not isinstance(key, str):
        raise _invalid_type("prompt_cache_key", "a string", key)
    options = body.get("prompt_cache_options")
    if options is None:
        return
    if not isinstance(options, dict):
        raise _invalid_type("prompt_cache_options", "an object", options)
    known = {"ttl", "mode"} | ({"prewarm", "comparison_response_id"} if prewarm else set())
    for name in options:
        if name not in known:
            raise Reply(
                400,
                error_body(
                    f"Unknown parameter: 'prompt_cache_options.{name}'.",
                    param=f"prompt_cache_options.{name}",
                    code="unknown_parameter",
                ),
            )
    if "ttl" in options and options["ttl"] not in ttls:
        raise _invalid_value("prompt_cache_options.ttl", options["ttl"], ttls)
    if "mode" in options and options["mode"] not in _MODES:
        raise _invalid_value("prompt_cache_options.mode", options["mode"], _MODES)
    if "prewarm" in options and not isinstance(options["prewarm"], bool):
        raise _invalid_type("prompt_cache_options.prewarm", "a boolean", options["prewarm"])


class _Cache:
    """The starts of earlier requests, per ``prompt_cache_key``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.starts: dict[str, list[tuple[str, ...]]] = {}


_CACHES: weakref.WeakKeyDictionary[Any, _Cache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def _cache_of(fake: Any) -> _Cache:
    with _CACHES_LOCK:
        cache = _CACHES.get(fake)
        if cache is None:
            cache = _CACHES[fake] = _Cache()
        return cache


def cached_tokens(
    fake: Any, body: JsonDict, parts: Sequence[object], count: Callable[[int], int]
) -> int:
    """The input tokens a request reads from the prompt cache; call once per request.

    Args:
        fake: The server (``h.fake``): each has its own cache.
        body: The request body (its ``prompt_cache_key`` picks the cache entry).
        parts: What the request's input is made of, in order (messages; for Responses the
            instructions, then the input items).
        count: The input tokens of the first ``n`` parts.

    Returns:
        The tokens of the longest start of ``parts`` an earlier request under the same key sent
        (0 without a key or without such a request).
    """
    key = body.get("prompt_cache_key")
    if not isinstance(key, str) or not key:
        return 0
    mine = tuple(json.dumps(p, sort_keys=True) for p in parts)
    cache = _cache_of(fake)
    with cache.lock:
        earlier = cache.starts.setdefault(key, [])
        shared = max(
            (len(start) for start in earlier if start and mine[: len(start)] == start), default=0
        )
        earlier.append(mine)
    return count(shared) if shared else 0
