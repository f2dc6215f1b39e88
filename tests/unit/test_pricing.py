"""Costs from genai-prices and the user's overrides: exact Decimals, None when unknown."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from playground.core.models import PriceOverride, Usage
from playground.core.money.pricing import LOCAL_PROVIDER, ModelPrices, Pricer, data_info

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def pricer() -> Pricer:
    return Pricer()


# --- known costs ---------------------------------------------------------------------------------


def test_gpt_4o_mini(pricer: Pricer) -> None:
    # machine-notes §7: $0.15 / $0.60 per 1M tokens -> 1000 in + 500 out = $0.00045
    cost = pricer.cost("gpt-4o-mini", Usage(input_tokens=1000, output_tokens=500))
    assert cost == Decimal("0.00045")
    assert isinstance(cost, Decimal)


def test_dated_snapshot_matches_its_model(pricer: Pricer) -> None:
    usage = Usage(input_tokens=1000, output_tokens=500)
    assert pricer.cost("gpt-4o-mini-2024-07-18", usage) == Decimal("0.00045")
    assert pricer.matched_name("gpt-4o-mini-2024-07-18") == "gpt-4o-mini"


def test_snapshot_with_its_own_price_is_not_folded_into_the_base(pricer: Pricer) -> None:
    # gpt-4o-2024-05-13 kept its launch price ($5 / $15), gpt-4o is $2.50 / $10.
    usage = Usage(input_tokens=1_000_000)
    assert pricer.cost("gpt-4o-2024-05-13", usage) == Decimal(5)
    assert pricer.cost("gpt-4o", usage) == Decimal("2.5")


def test_date_suffix_fallback_where_genai_prices_does_not_match(pricer: Pricer) -> None:
    assert pricer.matched_name("gpt-4o-mini-tts-2025-03-20") == "gpt-4o-mini-tts"
    assert pricer.matched_name("tts-1-1106") == "tts-1"


def test_unmatched_fine_tune_does_not_fall_back_to_its_base(pricer: Pricer) -> None:
    usage = Usage(input_tokens=1000, output_tokens=500)
    assert pricer.cost("ft:gpt-4.1-mini-2025-04-14:org::abc", usage) is None
    # A fine-tune genai-prices knows is priced at the fine-tuned rate ($0.30 / $1.20), not the base.
    assert pricer.cost("ft:gpt-4o-mini-2024-07-18:org::abc", usage) == Decimal("0.0009")


def test_embedding_model(pricer: Pricer) -> None:
    # $0.02 per 1M tokens
    assert pricer.cost("text-embedding-3-small", Usage(input_tokens=1000)) == Decimal("0.00002")
    assert pricer.cost("text-embedding-3-large", Usage(input_tokens=1_000_000)) == Decimal("0.13")


def test_cached_tokens_at_the_cached_rate(pricer: Pricer) -> None:
    # 600 fresh at $0.15 + 400 cached at $0.075 + 500 out at $0.60, per 1M
    usage = Usage(input_tokens=1000, output_tokens=500, cached_tokens=400)
    expected = (600 * Decimal("0.15") + 400 * Decimal("0.075") + 500 * Decimal("0.6")) / 10**6
    assert pricer.cost("gpt-4o-mini", usage) == expected == Decimal("0.00042")


def test_reasoning_tokens_are_part_of_output(pricer: Pricer) -> None:
    plain = pricer.cost("o4-mini", Usage(input_tokens=1000, output_tokens=2000))
    with_reasoning = pricer.cost(
        "o4-mini", Usage(input_tokens=1000, output_tokens=2000, reasoning_tokens=1500)
    )
    assert plain == with_reasoning == (1000 * Decimal("1.1") + 2000 * Decimal("4.4")) / 10**6


def test_text_to_speech_per_character(pricer: Pricer) -> None:
    # tts-1: $15 per 1M characters
    assert pricer.cost("tts-1", Usage(characters=1000)) == Decimal("0.015")
    assert pricer.cost("tts-1-hd", Usage(characters=1000)) == Decimal("0.03")


def test_transcription_per_minute(pricer: Pricer) -> None:
    # whisper-1: $0.006 per minute
    assert pricer.cost("whisper-1", Usage(audio_seconds=60.0)) == Decimal("0.006")
    assert pricer.cost("whisper-1", Usage(audio_seconds=90.5)) == Decimal("0.00905")


def test_price_depends_on_the_request_date(pricer: Pricer) -> None:
    # o3 dropped from $10 / $40 to $2 / $8 on 2025-06-10.
    usage = Usage(input_tokens=1_000_000)
    assert pricer.cost("o3", usage, at=datetime(2025, 5, 1, tzinfo=UTC)) == Decimal(10)
    assert pricer.cost("o3", usage, at=datetime(2025, 7, 1, tzinfo=UTC)) == Decimal(2)


def test_free_model(pricer: Pricer) -> None:
    assert pricer.cost("omni-moderation-latest", Usage(input_tokens=500)) == Decimal(0)


def test_azure_uses_openai_prices(pricer: Pricer) -> None:
    usage = Usage(input_tokens=1000, output_tokens=500)
    assert pricer.cost("gpt-4o-mini", usage, "azure") == Decimal("0.00045")


# --- unknown stays unknown ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "usage", "provider"),
    [
        ("no-such-model-xyz", Usage(input_tokens=10, output_tokens=10), "openai"),
        ("gpt-4o-mini", Usage(input_tokens=10), "no-such-provider"),
        ("gpt-4o-mini", Usage(input_tokens=10), ""),  # unknown provider: overrides only
        ("dall-e-3", Usage(images=1), "openai"),  # no per-image prices in genai-prices
        ("whisper-1", Usage(input_tokens=100), "openai"),  # priced per minute, not per token
        ("tts-1", Usage(input_tokens=100), "openai"),  # priced per character
        ("gpt-4o-mini-tts", Usage(characters=100), "openai"),  # priced per token
        # audio / image tokens have their own price, and Usage does not say how many there were
        ("gpt-4o-transcribe", Usage(input_tokens=100, output_tokens=20), "openai"),
        ("gpt-image-1", Usage(input_tokens=50, output_tokens=4160, images=1), "openai"),
    ],
)
def test_unknown_is_none(model: str, usage: Usage, provider: str, pricer: Pricer) -> None:
    assert pricer.cost(model, usage, provider) is None


def test_unknown_model_has_no_prices(pricer: Pricer) -> None:
    assert pricer.prices("no-such-model-xyz") is None
    assert pricer.prices("gpt-4o-mini", "") is None
    assert pricer.estimate("no-such-model-xyz", 1000) is None


# --- overrides and local servers -------------------------------------------------------------------


def test_override_wins() -> None:
    override = PriceOverride(Decimal(1), Decimal(2), cached_input_per_mtok=Decimal("0.5"))
    pricer = Pricer({"gpt-4o-mini": override})
    usage = Usage(input_tokens=1_000_000, output_tokens=1_000_000, cached_tokens=200_000)
    assert pricer.cost("gpt-4o-mini", usage) == Decimal("0.8") + Decimal("0.1") + Decimal(2)
    # ...for any provider, including unknown and local ones
    assert pricer.cost("gpt-4o-mini", usage, "") == Decimal("2.9")
    assert pricer.cost("gpt-4o-mini", usage, LOCAL_PROVIDER) == Decimal("2.9")
    assert pricer.prices("gpt-4o-mini") == ModelPrices(
        Decimal(1), Decimal(2), Decimal("0.5"), source="override"
    )


def test_override_without_cached_rate_uses_the_input_rate() -> None:
    pricer = Pricer({"my-model": PriceOverride(Decimal(3), Decimal(12))})
    usage = Usage(input_tokens=1000, output_tokens=1000, cached_tokens=500)
    assert pricer.cost("my-model", usage, "") == Decimal("0.015")


def test_override_is_for_the_exact_model_id() -> None:
    pricer = Pricer({"gpt-4o-mini": PriceOverride(Decimal(1), Decimal(2))})
    assert pricer.cost("gpt-4o-mini-2024-07-18", Usage(input_tokens=1000)) == Decimal("0.00015")


def test_override_does_not_price_characters_or_audio() -> None:
    pricer = Pricer({"my-tts": PriceOverride(Decimal(1), Decimal(2))})
    assert pricer.cost("my-tts", Usage(characters=100), "") is None
    assert pricer.cost("my-tts", Usage(audio_seconds=3.0), "") is None


def test_set_overrides() -> None:
    pricer = Pricer()
    assert pricer.cost("mine", Usage(input_tokens=10), "") is None
    pricer.set_overrides({"mine": PriceOverride(Decimal(0), Decimal(0))})
    assert pricer.cost("mine", Usage(input_tokens=10), "") == Decimal(0)


def test_local_server_is_free(pricer: Pricer) -> None:
    usage = Usage(input_tokens=123_456, output_tokens=7_890)
    assert pricer.cost("llama3.1:8b", usage, LOCAL_PROVIDER) == Decimal(0)
    assert pricer.cost("gpt-4o", usage, LOCAL_PROVIDER) == Decimal(0)
    assert pricer.prices("llama3.1:8b", LOCAL_PROVIDER) == ModelPrices(
        Decimal(0), Decimal(0), source="local"
    )


# --- list prices, estimate, info ----------------------------------------------------------------


def test_prices_per_million(pricer: Pricer) -> None:
    prices = pricer.prices("gpt-4o-mini")
    assert prices == ModelPrices(Decimal("0.15"), Decimal("0.6"), Decimal("0.075"))


def test_prices_of_audio_models(pricer: Pricer) -> None:
    tts = pricer.prices("tts-1")
    assert tts is not None
    assert tts.input_per_mtok is None
    assert tts.per_million_characters == Decimal(15)
    whisper = pricer.prices("whisper-1")
    assert whisper is not None
    assert whisper.per_audio_minute == Decimal("0.006")


def test_tiered_prices_show_the_base_tier(pricer: Pricer) -> None:
    prices = pricer.prices("gpt-5.5")
    assert prices is not None
    assert prices.tiered
    assert prices.input_per_mtok == Decimal(5)


def test_estimate_prices_input_only(pricer: Pricer) -> None:
    assert pricer.estimate("gpt-4o-mini", 1000) == Decimal("0.00015")
    assert pricer.estimate("gpt-4o-mini", 0) == Decimal(0)
    assert pricer.estimate("anything", 1000, LOCAL_PROVIDER) == Decimal(0)


def test_lookups_are_cached(pricer: Pricer) -> None:
    usage = Usage(input_tokens=1000)
    assert pricer.cost("no-such-model-xyz", usage) is None
    assert ("openai", "no-such-model-xyz") in pricer._matches
    assert pricer.cost("gpt-4o-mini", usage) == pricer.cost("gpt-4o-mini", usage)


def test_data_info(pricer: Pricer) -> None:
    import genai_prices

    info = data_info()
    assert genai_prices.__version__ in info
    assert pricer.data_info() == info


def test_genai_prices_is_not_imported_at_module_import() -> None:
    code = (
        "import sys; import playground.core.money.pricing; "
        "assert 'genai_prices' not in sys.modules, 'imported too early'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=60)
