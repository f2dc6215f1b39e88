"""Rate limits from the x-ratelimit-* headers: durations, per model, after the reset, none sent."""

from __future__ import annotations

from typing import Any

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


def test_reserve_paces_by_what_is_left_in_the_window() -> None:
    clock = [0.0]
    limits = RateLimits(clock=lambda: clock[0])
    assert limits.reserve("m") == 0  # nothing known: one request goes first
    assert limits.reserve("m") > 0  # the others wait for its reply
    limits.take(
        "m",
        {
            "x-ratelimit-limit-requests": "3",
            "x-ratelimit-remaining-requests": "2",
            "x-ratelimit-reset-requests": "1s",
        },
    )
    limits.release("m")
    assert limits.reserve("m") == 0
    assert limits.reserve("m") == 0
    assert limits.reserve("m") == pytest.approx(1.02)  # none left: wait for the reset
    # A reply that lags behind the requests already sent does not raise what is left.
    limits.take(
        "m",
        {
            "x-ratelimit-limit-requests": "3",
            "x-ratelimit-remaining-requests": "2",
            "x-ratelimit-reset-requests": "1s",
        },
    )
    assert limits.reserve("m") > 0
    clock[0] = 1.5  # the window reset: one request finds out how much is left again
    assert limits.reserve("m") == 0
    assert limits.reserve("m") > 0


def test_a_server_without_limits_is_never_waited_for() -> None:
    limits = RateLimits()
    assert limits.reserve("local") == 0
    limits.take("local", {"content-type": "application/json"})
    assert all(limits.reserve("local") == 0 for _ in range(10))


async def test_the_fake_server_enforces_its_window(fake_openai: Any) -> None:
    """The window the Lab pacing test relies on: a burst over the limit gets 429s."""
    import asyncio

    from openai import AsyncOpenAI, RateLimitError

    fake_openai.scenario.ratelimit_requests = 2
    fake_openai.scenario.ratelimit_window_s = 30.0
    async with AsyncOpenAI(base_url=fake_openai.base_url, api_key="test", max_retries=0) as client:

        async def one() -> object:
            return await client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
            )

        results = await asyncio.gather(*(one() for _ in range(3)), return_exceptions=True)
    refused = [r for r in results if isinstance(r, RateLimitError)]
    assert len(refused) == 1
    assert fake_openai.window_rejections == 1
    headers = refused[0].response.headers
    assert headers["x-ratelimit-remaining-requests"] == "0"
    assert parse_reset(headers["x-ratelimit-reset-requests"]) > 20


def test_a_large_limit_is_counted_down_again_after_its_reset() -> None:
    clock = [0.0]
    limits = RateLimits(clock=lambda: clock[0])
    limits.take(
        "m",
        {
            "x-ratelimit-limit-requests": "5000",
            "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": "12ms",
        },
    )
    assert limits.reserve("m") > 0
    clock[0] = 0.05
    assert all(limits.reserve("m") == 0 for _ in range(8))  # no one-at-a-time probing


def test_reserve_paces_by_the_tokens_left_too() -> None:
    clock = [0.0]
    limits = RateLimits(clock=lambda: clock[0])
    limits.take(
        "m",
        {
            "x-ratelimit-limit-requests": "500",
            "x-ratelimit-remaining-requests": "499",
            "x-ratelimit-reset-requests": "1s",
            "x-ratelimit-limit-tokens": "10000",
            "x-ratelimit-remaining-tokens": "9000",
            "x-ratelimit-reset-tokens": "6s",
        },
    )
    assert limits.reserve("m", 4000) == 0
    assert limits.reserve("m", 4000) == 0  # 1,000 tokens left
    assert limits.reserve("m", 4000) == pytest.approx(6.02)  # wait for the tokens window
    assert limits.reserve("m", 500) == 0  # a small one still fits
    # A reply that lags behind the requests on their way does not give their tokens back.
    limits.take(
        "m",
        {
            "x-ratelimit-limit-requests": "500",
            "x-ratelimit-remaining-requests": "497",
            "x-ratelimit-reset-requests": "1s",
            "x-ratelimit-limit-tokens": "10000",
            "x-ratelimit-remaining-tokens": "5000",
            "x-ratelimit-reset-tokens": "6s",
        },
    )
    assert limits.reserve("m", 4000) > 0
    assert limits.reserve("m", 20_000) == 0  # larger than the whole limit: never held back
    assert limits.reserve("m") == 0  # a request of unknown size is paced by requests only
    clock[0] = 7.0  # the tokens window is full again
    assert limits.reserve("m", 4000) == 0
    assert limits.reserve("m", 4000) == 0
    assert limits.reserve("m", 4000) > 0
