"""Every price explained: the lines' arithmetic, checked against genai-prices itself."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import genai_prices
import pytest

from playground.core.models import PriceOverride, Usage
from playground.core.money.explain import explain
from playground.core.money.pricing import Pricer

AT = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _genai_total(
    model: str, usage: Usage, provider: str = "openai", batch: bool = False
) -> Decimal:
    result = genai_prices.calc_price(
        genai_prices.Usage(
            input_tokens=usage.input_tokens or None,
            cache_read_tokens=usage.cached_tokens or None,
            output_tokens=usage.output_tokens or None,
        ),
        model_ref=model,
        provider_id=provider,
        genai_request_timestamp=AT,
        price_context={"processing": "batch"} if batch else None,
    )
    total: Decimal = result.total_price
    return total


@pytest.mark.parametrize(
    ("model", "usage"),
    [
        ("gpt-4o-mini", Usage(input_tokens=1234, output_tokens=567)),
        ("gpt-4.1", Usage(input_tokens=300_000, cached_tokens=1000, output_tokens=5000)),
        ("gpt-5", Usage(input_tokens=2000, output_tokens=900, reasoning_tokens=700)),
    ],
)
def test_each_line_is_quantity_times_rate_and_they_add_up_to_genai_prices(
    model: str, usage: Usage
) -> None:
    pricer = Pricer()
    e = explain(pricer, model, usage, at=AT)
    assert e.source == "genai-prices"
    assert e.lines
    for line in e.lines:
        assert line.amount == line.quantity * line.rate / line.per
    assert e.total == sum(line.amount for line in e.lines)
    assert e.total == pricer.cost(model, usage, at=AT)
    assert e.total == _genai_total(model, usage)
    assert "genai-prices" in e.data


def test_cached_tokens_are_their_own_line_at_the_cached_rate() -> None:
    e = explain(
        Pricer(), "gpt-4.1", Usage(input_tokens=10_000, cached_tokens=4000, output_tokens=10), at=AT
    )
    lines = {line.what: line for line in e.lines}
    assert lines["Input tokens (not cached)"].quantity == 6000
    assert lines["Cached input tokens"].quantity == 4000
    assert lines["Cached input tokens"].rate < lines["Input tokens (not cached)"].rate


def test_a_long_prompt_tier_is_named() -> None:
    """gemini-2.5-pro's prices rise above 200,000 input tokens (a genai-prices tier)."""
    usage = Usage(input_tokens=250_000, output_tokens=1000)
    e = explain(Pricer(), "gemini-2.5-pro", usage, "google", at=AT)
    assert any(line.note.startswith("long-prompt price") for line in e.lines)
    assert e.total == _genai_total("gemini-2.5-pro", usage, "google")
    short = explain(Pricer(), "gemini-2.5-pro", Usage(input_tokens=1000), "google", at=AT)
    assert short.lines[0].note.startswith("base price")


def test_the_batch_price_is_used_and_said() -> None:
    usage = Usage(input_tokens=100_000, output_tokens=10_000)
    e = explain(Pricer(), "gpt-4o-mini", usage, at=AT, batch=True)
    assert e.total == Pricer().cost("gpt-4o-mini", usage, at=AT, batch=True)
    assert e.total == _genai_total("gpt-4o-mini", usage, batch=True)
    assert e.total < Pricer().cost("gpt-4o-mini", usage, at=AT)
    assert any("Batch API" in n for n in e.notes)


def test_an_override_is_explained_with_its_own_rates() -> None:
    pricer = Pricer({"my-model": PriceOverride(Decimal(1), Decimal(3), Decimal("0.5"))})
    usage = Usage(input_tokens=2_000_000, cached_tokens=1_000_000, output_tokens=1_000_000)
    e = explain(pricer, "my-model", usage, at=AT)
    assert e.source == "override"
    assert [(line.quantity, line.rate) for line in e.lines] == [
        (1_000_000, 1),
        (1_000_000, Decimal("0.5")),
        (1_000_000, 3),
    ]
    assert e.total == Decimal("4.5") == pricer.cost("my-model", usage, at=AT)
    assert "Settings → Prices" in e.notes[0]


def test_unknown_and_local() -> None:
    e = explain(Pricer(), "no-such-model-xyz", Usage(input_tokens=5), at=AT)
    assert e.total is None
    assert "Settings → Prices" in e.notes[0]
    local = explain(Pricer(), "llama", Usage(input_tokens=5), "local", at=AT)
    assert local.total == 0


def test_cache_writes_are_their_own_line_where_a_provider_charges_for_them() -> None:
    usage = Usage(
        input_tokens=10_000, cached_tokens=2_000, cache_write_tokens=3_000, output_tokens=500
    )
    pricer = Pricer()
    e = explain(pricer, "claude-sonnet-4-5", usage, "anthropic", at=AT)
    lines = {line.what: line for line in e.lines}
    assert lines["Tokens written to the cache"].quantity == 3_000
    assert lines["Input tokens (not cached)"].quantity == 10_000 - 2_000 - 3_000
    expected = genai_prices.calc_price(
        genai_prices.Usage(
            input_tokens=10_000,
            cache_read_tokens=2_000,
            cache_write_tokens=3_000,
            output_tokens=500,
        ),
        model_ref="claude-sonnet-4-5",
        provider_id="anthropic",
        genai_request_timestamp=AT,
    ).total_price
    assert e.total == pricer.cost("claude-sonnet-4-5", usage, "anthropic", at=AT) == expected
