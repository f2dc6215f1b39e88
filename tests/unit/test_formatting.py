"""The numbers a user reads: units, precision, "≈" and rounding edges."""

from __future__ import annotations

from decimal import Decimal

import pytest

from playground.core.money.formatting import (
    cost_tooltip,
    format_cost,
    format_cost_full,
    format_duration_ms,
    format_price,
    format_price_pair,
    format_price_per_mtok,
    format_tokens,
    format_total,
    unpriced_explanation,
)


@pytest.mark.parametrize(
    ("n", "estimated", "text"),
    [
        (0, False, "0 tok"),
        (7, False, "7 tok"),
        (999, False, "999 tok"),
        (1000, False, "1,000 tok"),
        (1234, True, "≈1,234 tok"),
        (1_234_567, False, "1,234,567 tok"),
    ],
)
def test_format_tokens(n: int, estimated: bool, text: str) -> None:
    assert format_tokens(n, estimated=estimated) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "—"),
        (Decimal(0), "$0"),
        (Decimal("0.000"), "$0"),
        # below a hundredth of a cent
        (Decimal("0.00002"), "$0.00002"),
        (Decimal("0.0000577"), "$0.000058"),
        (Decimal("0.00007335"), "$0.000073"),  # not 8 decimals (issue 20, item 19)
        (Decimal("0.0000005"), "<$0.000001"),
        (Decimal("0.00009999"), "$0.0001"),
        (Decimal("0.0000009999999"), "<$0.000001"),  # compared before rounding
        # 2 significant digits below $1, at least 2 decimals: plain cents from ten cents up
        (Decimal("0.0001"), "$0.0001"),
        (Decimal("0.00045"), "$0.00045"),
        (Decimal("0.000150075"), "$0.00015"),
        (Decimal("0.0042"), "$0.0042"),
        (Decimal("0.00420"), "$0.0042"),
        (Decimal("0.00995"), "$0.01"),
        (Decimal("0.012345"), "$0.012"),
        (Decimal("0.015"), "$0.015"),
        (Decimal("0.123449"), "$0.12"),
        (Decimal("0.125"), "$0.13"),  # half-up at the 2nd digit
        (Decimal("0.5"), "$0.50"),
        (Decimal("0.3000"), "$0.30"),
        (Decimal("0.994"), "$0.99"),
        (Decimal("0.99994"), "$1.00"),  # rounds up into dollars
        # 2 decimals from $1
        (Decimal(1), "$1.00"),
        (Decimal("1.005"), "$1.01"),  # half-up, not banker's rounding
        (Decimal("1.004999"), "$1.00"),
        (Decimal("2.675"), "$2.68"),
        (Decimal("1234.567"), "$1,234.57"),
        (Decimal("1E+3"), "$1,000.00"),
        (Decimal("-0.5"), "-$0.50"),
        (Decimal("NaN"), "—"),
        (Decimal("Infinity"), "—"),
    ],
)
def test_format_cost(value: Decimal | None, text: str) -> None:
    assert format_cost(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("0.0042"), "≈$0.0042"),
        (Decimal("12.3"), "≈$12.30"),
        (Decimal(0), "≈$0"),
        (Decimal("0.00001"), "≈$0.00001"),
        (Decimal("0.0000001"), "<$0.000001"),
        (None, "—"),
    ],
)
def test_format_cost_estimated(value: Decimal | None, text: str) -> None:
    assert format_cost(value, estimated=True) == text


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (None, "—"),
        (float("nan"), "—"),
        (-5.0, "0 ms"),
        (0, "0 ms"),
        (0.4, "0 ms"),
        (0.5, "1 ms"),
        (850, "850 ms"),
        (999.4, "999 ms"),
        (999.5, "1.0 s"),  # no "1000 ms"
        (1000, "1.0 s"),
        (1049.9, "1.0 s"),
        (1050, "1.1 s"),
        (12_345, "12.3 s"),
        (59_949, "59.9 s"),
        (59_950, "1 min 0 s"),  # no "60.0 s"
        (61_000, "1 min 1 s"),
        (125_000, "2 min 5 s"),
        (3_599_499, "59 min 59 s"),
        (3_599_500, "1 h 0 min"),  # no "60 min 0 s"
        (3_723_000, "1 h 2 min"),
    ],
)
def test_format_duration_ms(ms: float | None, text: str) -> None:
    assert format_duration_ms(ms) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "—"),
        (Decimal("0.15"), "$0.15 / 1M tok"),
        (Decimal("0.6"), "$0.60 / 1M tok"),
        (Decimal("2.5"), "$2.50 / 1M tok"),
        (Decimal(15), "$15.00 / 1M tok"),
        (Decimal("0.075"), "$0.075 / 1M tok"),
        (Decimal("0.0375"), "$0.0375 / 1M tok"),
        (Decimal(0), "$0.00 / 1M tok"),
        (Decimal(1250), "$1,250.00 / 1M tok"),
    ],
)
def test_format_price_per_mtok(value: Decimal | None, text: str) -> None:
    assert format_price_per_mtok(value) == text


def test_format_price_keeps_published_digits_and_guards_absurd_ones() -> None:
    assert format_price(Decimal("0.00000012345")) == "$0.0000001235"
    assert format_price(Decimal("1E-30")) == "$0.00"


def test_format_price_pair() -> None:
    assert format_price_pair(Decimal("0.15"), Decimal("0.6")) == "$0.15 / $0.60 per 1M tokens"
    assert format_price_pair(Decimal("0.02"), None) == "$0.02 / — per 1M tokens"
    assert format_price_pair(None, None) == "—"


@pytest.mark.parametrize(
    ("value", "estimated", "text"),
    [
        (Decimal("0.00007335"), False, "$0.00007335"),
        (Decimal("0.0000001"), False, "$0.0000001"),
        (Decimal("0.50"), False, "$0.50"),
        (Decimal("1234.5678"), False, "$1,234.5678"),
        (Decimal("1E+3"), False, "$1,000.00"),
        (Decimal("0.00007335"), True, "≈$0.00007335 (estimate)"),
        (Decimal("-0.25"), False, "-$0.25"),
        (None, False, "unknown price"),
    ],
)
def test_format_cost_full_keeps_every_digit(
    value: Decimal | None, estimated: bool, text: str
) -> None:
    assert format_cost_full(value, estimated=estimated) == text


def test_cost_tooltip() -> None:
    assert cost_tooltip(Decimal("0.00007335")) == "Exactly $0.00007335."
    assert "estimate" in cost_tooltip(Decimal("0.0001"), estimated=True)
    assert "$0.0001" in cost_tooltip(Decimal("0.0001"), estimated=True)
    assert "unknown" in cost_tooltip(None)


def test_totals_explain_the_question_mark() -> None:
    assert format_total(Decimal("0.12"), 0) == "$0.12"
    assert format_total(Decimal("0.12"), 2) == "$0.12 + ?"
    assert unpriced_explanation(0) == ""
    text = unpriced_explanation(2)
    assert text.startswith("+ ? means 2 requests used a model whose price")
    assert "Settings → Prices" in text
    assert "1 request used" in unpriced_explanation(1)
