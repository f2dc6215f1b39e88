"""A Responses answer's served tier is priced at the tier's own price where the price data has
one; elsewhere the standard price applies and `tier_priced` says so (never a made-up figure)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from playground.core.models import PriceOverride, Usage
from playground.core.money.pricing import LOCAL_PROVIDER, Pricer

AT = datetime(2026, 12, 7, tzinfo=UTC)
USAGE = Usage(input_tokens=1_000_000, output_tokens=1_000_000, reasoning_tokens=500_000)


def test_a_tier_the_price_data_knows_has_its_own_price() -> None:
    pricer = Pricer()
    standard = pricer.cost("gpt-5-mini", USAGE, at=AT)
    flex = pricer.cost("gpt-5-mini", USAGE, at=AT, service_tier="flex")
    priority = pricer.cost("gpt-5-mini", USAGE, at=AT, service_tier="priority")
    assert standard is not None
    assert flex is not None
    assert priority is not None
    assert flex < standard < priority
    assert pricer.tier_priced("gpt-5-mini", "flex", at=AT)
    assert pricer.tier_priced("gpt-5-mini", "priority", at=AT)


def test_a_tier_it_does_not_know_is_the_standard_price_and_says_so() -> None:
    pricer = Pricer()
    assert pricer.cost("gpt-4o-mini", USAGE, at=AT, service_tier="flex") == pricer.cost(
        "gpt-4o-mini", USAGE, at=AT
    )
    assert not pricer.tier_priced("gpt-4o-mini", "flex", at=AT)


def test_standard_tiers_and_free_servers_need_no_note() -> None:
    pricer = Pricer({"my-ft": PriceOverride(Decimal(1), Decimal(2))})
    for tier in (None, "", "auto", "default"):
        assert pricer.tier_priced("gpt-4o-mini", tier, at=AT)
        assert pricer.cost("gpt-4o-mini", USAGE, at=AT, service_tier=tier) == pricer.cost(
            "gpt-4o-mini", USAGE, at=AT
        )
    assert pricer.tier_priced("llama3", "flex", LOCAL_PROVIDER)
    assert not pricer.tier_priced("my-ft", "flex")  # the user's own price is one price
    assert not pricer.tier_priced("no-such-model", "flex")


def test_cached_and_reasoning_tokens_are_priced_as_the_api_bills_them() -> None:
    pricer = Pricer()
    plain = pricer.cost("gpt-5-mini", Usage(input_tokens=1_000_000), at=AT)
    cached = pricer.cost(
        "gpt-5-mini", Usage(input_tokens=1_000_000, cached_tokens=1_000_000), at=AT
    )
    assert plain is not None
    assert cached is not None
    assert cached < plain
    output = pricer.cost("gpt-5-mini", Usage(output_tokens=1_000), at=AT)
    # Reasoning tokens are part of the output tokens and billed as output: no extra charge.
    assert (
        pricer.cost("gpt-5-mini", Usage(output_tokens=1_000, reasoning_tokens=800), at=AT) == output
    )
