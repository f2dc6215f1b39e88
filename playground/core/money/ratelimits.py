"""Rate limits as the server reports them: the `x-ratelimit-*` headers of every reply, per model.

OpenAI sends, with each answer, how many requests and tokens a minute the key may use
(`x-ratelimit-limit-requests`, `-tokens`), how many are left (`-remaining-…`) and when the window
is full again (`-reset-…`, a duration such as "6m0s", "1s" or "20ms"). A compatible server may
send none: then nothing is known (and the app shows no gauge rather than a zero). No Qt here.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

_DURATION: Final = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT_SECONDS: Final = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
KINDS: Final = ("requests", "tokens")


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

    def take(self, model: str, headers: Mapping[str, str]) -> None:
        """Keeps the limits of one reply's headers (a reply without any changes nothing)."""
        found = limits_from_headers(model, headers, self.clock())
        if found is None:
            return
        with self._lock:
            self._by_model[model] = found
            self._latest = model
        if self.on_change is not None:
            self.on_change()

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
