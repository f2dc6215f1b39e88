"""Retries the user can see: the app waits out a 429 or a server hiccup itself and says so.

The SDK retries quietly (a 429 cost ~6 s of an unchanging "Waiting…", a silent server three full
timeouts). Requests that go through `with_retries` run with the SDK's retries off and the profile's
retry count here instead, so every wait is announced as it starts (`RetryWait`, with the attempt
and the seconds, honouring the server's `Retry-After`) and the wait is an `asyncio.sleep` that Stop
cancels. Only failures before anything arrived are retried: a stream that already showed text is
never silently sent again.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from playground.core.api.errors import AppError, ErrorKind

T = TypeVar("T")

RETRYABLE = frozenset(
    {ErrorKind.RATE_LIMIT, ErrorKind.SERVER, ErrorKind.TIMEOUT, ErrorKind.CONNECTION}
)
"""What a new attempt can cure. A used-up quota, a rejected key or a bad request cannot."""

_QUIET: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def quiet_client(client: T) -> T:
    """`client` with the SDK's own retries off (the app retries, visibly), made once per client:
    `with_options` copies the client, which cost ~0.4 ms on every send before the first byte."""
    if not int(getattr(client, "max_retries", 0) or 0):
        return client
    quiet = _QUIET.get(client)
    if quiet is None:
        quiet = _QUIET[client] = client.with_options(max_retries=0)  # type: ignore[attr-defined]
    return quiet  # type: ignore[no-any-return]


def as_sent(body: dict[str, Any], **named: Any) -> dict[str, Any]:
    """The SDK call's keyword arguments for `body`, a request body already in wire form (plain
    JSON): `model` (and `stream`) named, `named` added (a required argument's placeholder), the
    rest passed as `extra_body`. The SDK walks every named argument against its request types
    before sending (1.0 ms for a short Chat Completions body, 1.9 ms for a Responses one, on the
    GUI thread, before the first byte goes out); for these bodies that walk changes nothing
    (tests/unit/test_retry.py holds it to that), so it is skipped."""
    rest = {k: v for k, v in body.items() if k not in ("model", "stream")}
    out: dict[str, Any] = {"model": body["model"], **named, "extra_body": rest}
    if "stream" in body:
        out["stream"] = body["stream"]
    return out


FIRST_DELAY_S = 0.5
MAX_DELAY_S = 8.0
MAX_RETRY_AFTER_S = 60.0
"""A longer Retry-After is not waited out automatically: the user sees the error and its countdown."""


@dataclass(frozen=True, slots=True)
class RetryWait:
    """A wait before the next attempt, announced when it starts.

    Attributes:
        attempt: the attempt that comes after the wait (2 for the first retry).
        attempts: how many attempts there are at most.
        seconds: how long the wait is.
        error: what went wrong with the previous attempt.
    """

    attempt: int
    attempts: int
    seconds: float
    error: AppError

    def text(self, remaining: float | None = None) -> str:
        """One line for a status or reply line: "Rate limit reached: retrying in 3 s (attempt 2
        of 3)." `remaining` replaces the full wait while it counts down."""
        left = max(0, round(self.seconds if remaining is None else remaining))
        when = f"in {left} s" if left else "now"
        return f"{self.error.title}: retrying {when} (attempt {self.attempt} of {self.attempts})."


def retry_delay(error: AppError, attempt: int) -> float | None:
    """Seconds to wait after failed `attempt` (1-based), or None when retrying cannot help."""
    if error.kind not in RETRYABLE:
        return None
    if error.retry_after is not None:
        return error.retry_after if error.retry_after <= MAX_RETRY_AFTER_S else None
    return min(FIRST_DELAY_S * (1 << (attempt - 1)), MAX_DELAY_S)


async def with_retries(
    attempt: Callable[[], Awaitable[T]],
    *,
    attempts: int,
    to_error: Callable[[BaseException], AppError],
    on_wait: Callable[[RetryWait], None] | None = None,
    may_retry: Callable[[], bool] = lambda: True,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> T:
    """Runs `attempt` up to `attempts` times, waiting between tries as the failure asks.

    Args:
        attempt: one try; raises on failure.
        attempts: the most tries (the profile's retries + 1); 1 means no retry.
        to_error: maps what `attempt` raised to an `AppError`.
        on_wait: told of each wait as it starts.
        may_retry: False once retrying would repeat something the user already saw (a stream that
            showed text).
        sleep: how to wait (tests pass one that records the delays).

    Raises:
        AppError: the last attempt's failure, or the first one that retrying cannot cure.
    """
    number = 1
    while True:
        try:
            return await attempt()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            error = to_error(exc)
            delay = retry_delay(error, number) if number < attempts and may_retry() else None
            if delay is None:
                if error is exc:
                    raise
                raise error from exc
        number += 1
        if on_wait is not None:
            on_wait(RetryWait(number, attempts, delay, error))
        await sleep(delay)
