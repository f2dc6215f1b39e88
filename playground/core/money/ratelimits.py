"""Rate limits as the server reports them: the `x-ratelimit-*` headers of every reply, per model.

OpenAI sends, with each answer, how many requests and tokens a minute the key may use
(`x-ratelimit-limit-requests`, `-tokens`), how many are left (`-remaining-…`) and when the window
is full again (`-reset-…`, a duration such as "6m0s", "1s" or "20ms"). A compatible server may
send none: then nothing is known (and the app shows no gauge rather than a zero). No Qt here.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Final

_DURATION: Final = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT_SECONDS: Final = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
KINDS: Final = ("requests", "tokens")
PROBE_POLL_S: Final = 0.02  # how often a request waiting for the first reply looks again
PROBE_TIMEOUT_S: Final = 10.0  # a first request this old no longer holds the others back
RESET_MARGIN_S: Final = 0.02  # waits end a little after the reset the server named
#: Limits below this many requests (free tiers: 3 a minute) are found out again, one request at a
#: time, after each reset; larger ones are counted down from the full limit.
PROBE_BELOW: Final = 32


async def wait_for_room(
    limits: RateLimits,
    model: str,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    tokens: int = 0,
) -> float:
    """Waits until `limits` lets one more request to `model` go (of about `tokens` tokens, its
    input and the most it may write: what OpenAI counts against the tokens limit); returns how
    long it waited. Call `limits.release(model)` when that request has ended."""
    waited = 0.0
    while (wait := limits.reserve(model, tokens)) > 0:
        await sleep(wait)
        waited += wait
    return waited


def parse_reset(text: str) -> float | None:
    """Seconds in a reset duration ("6m0s" -> 360.0, "20ms" -> 0.02, "1.5" -> 1.5); None when
    it is not one."""
    text = text.strip().lower()
    if not text:
        return None
    try:
        return max(float(text), 0.0)
    except ValueError:
        pass
    total, at = 0.0, 0
    for m in _DURATION.finditer(text):
        if m.start() != at:
            return None
        total += float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
        at = m.end()
    return total if at == len(text) else None


@dataclass(frozen=True, slots=True)
class Limit:
    """One limit (requests or tokens) as last reported, at `seen` (time.monotonic())."""

    kind: str
    limit: int
    remaining: int
    reset_s: float
    seen: float

    def resets_in(self, now: float) -> float:
        """Seconds until the window is full again (0 once it is)."""
        return max(self.reset_s - (now - self.seen), 0.0)

    def remaining_at(self, now: float) -> int:
        """What is left: as reported, or the whole limit once the reset has passed."""
        return self.limit if self.resets_in(now) <= 0 else self.remaining

    def used_share(self, now: float) -> float:
        """Share of the limit used now, 0..1."""
        if self.limit <= 0:
            return 0.0
        return 1.0 - self.remaining_at(now) / self.limit


@dataclass(frozen=True, slots=True)
class ModelLimits:
    """The limits last reported for one model (either may be missing)."""

    model: str
    requests: Limit | None = None
    tokens: Limit | None = None

    def limits(self) -> tuple[Limit, ...]:
        return tuple(x for x in (self.requests, self.tokens) if x is not None)


def limits_from_headers(
    model: str, headers: Mapping[str, str], now: float | None = None
) -> ModelLimits | None:
    """The limits in one reply's headers, or None when it carries none."""
    seen = time.monotonic() if now is None else now
    found: dict[str, Limit] = {}
    lowered = {k.lower(): v for k, v in headers.items()}
    for kind in KINDS:
        try:
            limit = int(lowered[f"x-ratelimit-limit-{kind}"])
            remaining = int(lowered[f"x-ratelimit-remaining-{kind}"])
        except (KeyError, ValueError):
            continue
        reset = parse_reset(lowered.get(f"x-ratelimit-reset-{kind}", "")) or 0.0
        found[kind] = Limit(kind, limit, max(remaining, 0), reset, seen)
    if not found:
        return None
    return ModelLimits(model, found.get("requests"), found.get("tokens"))


class RateLimits:
    """The newest limits per model; safe to use from any thread.

    Args:
        on_change: called (on the thread that called `take`) after new limits were kept.
        clock: `time.monotonic` unless a test passes another.
    """

    def __init__(
        self,
        on_change: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.on_change = on_change
        self.clock = clock
        self._lock = threading.Lock()
        self._by_model: dict[str, ModelLimits] = {}
        self._latest = ""
        self._probing: dict[str, float] = {}  # model -> when its one first request went
        self._unreported: set[str] = set()  # models whose server sends no limits

    def take(self, model: str, headers: Mapping[str, str]) -> None:
        """Keeps the limits of one reply's headers (a reply without any changes nothing, but
        says the server reports none for `model`: `reserve` then never waits for it)."""
        now = self.clock()
        found = limits_from_headers(model, headers, now)
        with self._lock:
            self._probing.pop(model, None)
            if found is None:
                self._unreported.add(model)
                return
            self._unreported.discard(model)
            old = self._by_model.get(model)
            for kind in KINDS:
                # Within one window a reply may lag behind requests already on their way: what
                # is left (requests, and the tokens they reserved) only goes down until the
                # window resets.
                was: Limit | None = getattr(old, kind) if old is not None else None
                told: Limit | None = getattr(found, kind)
                if was is not None and told is not None and was.resets_in(now) > 0:
                    left = min(told.remaining, was.remaining)
                    lower = replace(told, remaining=left)
                    found = (
                        replace(found, requests=lower)
                        if kind == "requests"
                        else replace(found, tokens=lower)
                    )
            self._by_model[model] = found
            self._latest = model
        if self.on_change is not None:
            self.on_change()

    def reserve(self, model: str, tokens: int = 0) -> float:
        """Seconds to wait before one more request to `model` of about `tokens` tokens (0: send
        it now; it is counted).

        Paces a big run (Prompt Lab) by the requests and tokens left in the current window
        instead of running into 429s: while nothing is known about the window (before the first
        reply, after a reset) one request at a time goes first and its reply says how much is
        left. A request larger than the whole tokens limit is not held back (it could never go;
        the server's answer says why). A server that reports no limits is never waited for.
        Pair each 0 with `release`.
        """
        with self._lock:
            now = self.clock()
            if model in self._unreported:
                return 0.0
            found = self._by_model.get(model)
            limit = found.requests if found is not None else None
            renewed = limit is not None and limit.resets_in(now) <= 0
            if found is not None and limit is not None and renewed and limit.limit >= PROBE_BELOW:
                # A large limit is full again after its reset and a few requests at once cannot
                # use it up: count down from it, for a window as long as the last one.
                limit = replace(limit, remaining=limit.limit, seen=now)
                self._by_model[model] = found = replace(found, requests=limit)
            if limit is None or limit.resets_in(now) <= 0:
                started = self._probing.get(model)
                if started is not None and now - started < PROBE_TIMEOUT_S:
                    return PROBE_POLL_S  # the first request's reply will say how much is left
                self._probing[model] = now
                return 0.0
            if limit.remaining <= 0:
                return limit.resets_in(now) + RESET_MARGIN_S
            assert found is not None
            budget = found.tokens
            if budget is not None and tokens > 0:
                if budget.resets_in(now) <= 0:  # the tokens window is full again
                    budget = replace(budget, remaining=budget.limit, seen=now)
                if budget.remaining < tokens <= budget.limit:
                    return budget.resets_in(now) + RESET_MARGIN_S
                budget = replace(budget, remaining=max(budget.remaining - tokens, 0))
            less = replace(limit, remaining=limit.remaining - 1)
            self._by_model[model] = replace(found, requests=less, tokens=budget)
            return 0.0

    def release(self, model: str) -> None:
        """A request `reserve` let go has ended (a reply without headers leaves no probe)."""
        with self._lock:
            self._probing.pop(model, None)

    def get(self, model: str) -> ModelLimits | None:
        with self._lock:
            return self._by_model.get(model)

    def latest(self) -> ModelLimits | None:
        """The limits of the model that answered last."""
        with self._lock:
            return self._by_model.get(self._latest)

    def all(self) -> list[ModelLimits]:
        """Every model's limits, the one that answered last first."""
        with self._lock:
            items = list(self._by_model.values())
            latest = self._latest
        return sorted(items, key=lambda m: (m.model != latest, m.model))


def format_wait(seconds: float) -> str:
    """ "now", "in 12 s", "in 5 min 30 s" — when a limit is full again."""
    if seconds <= 0:
        return "now"
    if seconds < 1:
        return "in under a second"
    whole = round(seconds)
    minutes, secs = divmod(whole, 60)
    if not minutes:
        return f"in {secs} s"
    return f"in {minutes} min {secs} s" if secs else f"in {minutes} min"
