"""Budgets: parsing the user's limits, what the ledger has spent against each, and the verdicts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from playground.core.models import Endpoint, LedgerEntry, RequestStatus, Usage
from playground.core.money.budgets import (
    Budget,
    BudgetSettings,
    Level,
    Period,
    budgets_from_state,
    budgets_to_state,
    check,
    parse_limit,
    parse_percentages,
    spent,
)
from playground.core.money.ledger import UsageLedger

TODAY = date(2026, 12, 7)


def row(
    day: date, cost: str | None, *, provider: str = "OpenAI", session: str = "s1"
) -> LedgerEntry:
    return LedgerEntry(
        time=datetime(day.year, day.month, day.day, 12, 0).astimezone(UTC),
        provider=provider,
        model="gpt-4o-mini",
        endpoint=Endpoint.CHAT,
        usage=Usage(input_tokens=10, output_tokens=5),
        cost=None if cost is None else Decimal(cost),
        latency_ms=1.0,
        status=RequestStatus.OK,
        session_id=session,
    )


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[UsageLedger]:
    with UsageLedger(tmp_path / "ledger.sqlite3") as led:
        yield led


@pytest.mark.parametrize(
    ("text", "value"),
    [("5", Decimal(5)), ("$2.50", Decimal("2.50")), (" 1,000 ", Decimal(1000)), ("", None)],
)
def test_parse_limit_reads_amounts(text: str, value: Decimal | None) -> None:
    assert parse_limit(text) == (value, "")


@pytest.mark.parametrize("text", ["0", "-3", "$0.00"])
def test_a_limit_of_zero_or_less_is_refused_in_plain_words(text: str) -> None:
    value, problem = parse_limit(text)
    assert value is None
    assert "more than $0" in problem


def test_a_limit_that_is_not_a_number_says_what_to_type() -> None:
    value, problem = parse_limit("ten dollars")
    assert value is None
    assert "for example 5" in problem


def test_percentages() -> None:
    assert parse_percentages("80, 50,50%") == ((50, 80), "")
    assert parse_percentages("120")[1]


def test_state_round_trip_and_bad_entries_are_dropped_and_named() -> None:
    settings = BudgetSettings(
        (Budget(Period.DAY, Decimal("1.5")), Budget(Period.MONTH, Decimal(20), "OpenAI")),
        (50, 90),
        "2026-12-07",
    )
    assert budgets_from_state(budgets_to_state(settings)) == settings
    problems: list[str] = []
    state = {"budgets": [{"period": "day", "limit": "-1"}, {"period": "week", "limit": "1"}, 3]}
    assert budgets_from_state(state, problems).budgets == ()
    assert len(problems) == 3


def test_spent_per_day_month_and_session_and_per_provider(ledger: UsageLedger) -> None:
    ledger.record(row(TODAY, "0.50"))
    ledger.record(row(TODAY, "0.25", provider="Azure"))
    ledger.record(row(TODAY, None))  # unknown price: not counted
    ledger.record(row(date(2026, 12, 1), "1.00", session="old"))
    ledger.record(row(date(2026, 11, 30), "4.00", session="old"))  # last month
    day, month = Budget(Period.DAY, Decimal(1)), Budget(Period.MONTH, Decimal(10))
    assert spent(ledger, day, "s1", TODAY) == Decimal("0.75")
    assert spent(ledger, Budget(Period.DAY, Decimal(1), "OpenAI"), "s1", TODAY) == Decimal("0.50")
    assert spent(ledger, month, "s1", TODAY) == Decimal("1.75")
    assert spent(ledger, Budget(Period.SESSION, Decimal(1)), "s1", TODAY) == Decimal("0.75")


def test_check_levels_use_the_upper_end_of_the_next_request() -> None:
    settings = BudgetSettings((Budget(Period.DAY, Decimal(1)),), (50, 80))
    spent_of = {settings.budgets[0]: Decimal("0.40")}.__getitem__
    assert check(settings, spent_of, upcoming=Decimal("0.05")).level is Level.OK
    warn = check(settings, spent_of, upcoming=Decimal("0.20"))
    assert warn.level is Level.WARN
    assert "60%" in warn.message
    over = check(settings, spent_of, upcoming=Decimal("0.70"))
    assert over.over
    assert "up to $0.70" in over.message
    assert "$1" in over.message
    assert "Settings → Budgets" in over.message


def test_check_only_applies_budgets_of_the_provider() -> None:
    azure = Budget(Period.DAY, Decimal(1), "Azure")
    settings = BudgetSettings((azure,))
    verdict = check(settings, lambda _b: Decimal(5), provider="OpenAI", upcoming=Decimal(0))
    assert verdict.level is Level.OK
    assert check(settings, lambda _b: Decimal(5), provider="Azure").over


def test_a_reached_limit_blocks_even_a_request_of_unknown_price() -> None:
    settings = BudgetSettings((Budget(Period.SESSION, Decimal(1)),))
    verdict = check(settings, lambda _b: Decimal(1), upcoming=None)
    assert verdict.over
    assert "no known price" in verdict.message
