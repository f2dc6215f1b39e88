"""Rate limits from the x-ratelimit-* headers: durations, per model, after the reset, none sent."""

from __future__ import annotations

import pytest

from playground.core.money.ratelimits import (
    RateLimits,
    format_wait,
    limits_from_headers,
    parse_reset,
)

HEADERS = {
    "x-ratelimit-limit-requests": "5000",
    "x-ratelimit-remaining-requests": "4999",
    "x-ratelimit-reset-requests": "12ms",
    "X-RateLimit-Limit-Tokens": "2000000",
    "x-ratelimit-remaining-tokens": "1999000",
    "x-ratelimit-reset-tokens": "6m0s",
}


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("6m0s", 360.0),
        ("1s", 1.0),
        ("20ms", 0.02),
        ("1h2m3.5s", 3723.5),
        ("2.5", 2.5),
        ("", None),
        ("soon", None),
        ("5x", None),
    ],
)
def test_parse_reset(text: str, seconds: float | None) -> None:
    assert (
        parse_reset(text) == pytest.approx(seconds)
        if seconds is not None
        else parse_reset(text) is None
    )


def test_limits_from_headers_reads_both_kinds_case_blind() -> None:
    found = limits_from_headers("gpt-4o-mini", HEADERS, now=100.0)
    assert found is not None
    assert found.requests is not None
    assert (found.requests.limit, found.requests.remaining) == (5000, 4999)
    assert found.tokens is not None
    assert found.tokens.reset_s == 360.0
    assert found.tokens.resets_in(160.0) == 300.0
    assert found.tokens.remaining_at(160.0) == 1_999_000
    assert found.tokens.remaining_at(461.0) == 2_000_000  # full again after the reset


def test_no_headers_means_nothing_known() -> None:
    assert limits_from_headers("m", {"x-request-id": "r"}) is None
    changes: list[int] = []
    limits = RateLimits(on_change=lambda: changes.append(1))
    limits.take("m", {})
    assert limits.latest() is None
    assert changes == []


def test_kept_per_model_latest_first() -> None:
    clock = [0.0]
    limits = RateLimits(clock=lambda: clock[0])
    limits.take("a", HEADERS)
    limits.take("b", {**HEADERS, "x-ratelimit-remaining-requests": "10"})
    assert [m.model for m in limits.all()] == ["b", "a"]
    latest = limits.latest()
    assert latest is not None
    assert latest.requests is not None
    assert latest.requests.remaining == 10


def test_format_wait() -> None:
    assert format_wait(0) == "now"
    assert format_wait(12.4) == "in 12 s"
    assert format_wait(330) == "in 5 min 30 s"
    assert format_wait(0.2) == "in under a second"
