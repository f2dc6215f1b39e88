"""The ledger's aggregates for the Usage page: per day and group, totals, the most expensive, CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from playground.core.models import Endpoint, LedgerEntry, RequestStatus, Usage
from playground.core.money.ledger import UsageLedger

D1, D2 = date(2026, 12, 6), date(2026, 12, 7)


def row(
    day: date,
    model: str,
    cost: str | None,
    endpoint: Endpoint = Endpoint.CHAT,
    conv: str | None = "c1",
) -> LedgerEntry:
    return LedgerEntry(
        time=datetime(day.year, day.month, day.day, 12, 0).astimezone(UTC),
        provider="OpenAI",
        model=model,
        endpoint=endpoint,
        usage=Usage(input_tokens=100, output_tokens=10, cached_tokens=4, reasoning_tokens=2),
        cost=None if cost is None else Decimal(cost),
        latency_ms=3.5,
        status=RequestStatus.OK,
        session_id="s1",
        conversation_id=conv,
    )


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[UsageLedger]:
    with UsageLedger(tmp_path / "ledger.sqlite3") as led:
        led.record(row(D1, "gpt-4o", "0.1"))
        led.record(row(D1, "gpt-4o", "0.2"))
        led.record(row(D1, "gpt-4o-mini", "0.0001"))
        led.record(row(D2, "gpt-4o-mini", "0.0003", Endpoint.EMBEDDINGS, None))
        led.record(row(D2, "mystery", None))
        led.record(row(date(2026, 11, 1), "gpt-4o", "9"))
        yield led


def test_daily_costs_are_exact_sums_per_day_and_model(ledger: UsageLedger) -> None:
    assert ledger.daily_costs(D1, D2, "model") == [
        (D1, "gpt-4o", Decimal("0.3")),
        (D1, "gpt-4o-mini", Decimal("0.0001")),
        (D2, "gpt-4o-mini", Decimal("0.0003")),
        (D2, "mystery", Decimal(0)),
    ]
    by_kind = ledger.daily_costs(D1, D2, "endpoint")
    assert (D2, "embeddings", Decimal("0.0003")) in by_kind


def test_group_totals_most_expensive_first(ledger: UsageLedger) -> None:
    totals = ledger.group_totals(D1, D2, "model")
    assert [t.key for t in totals] == ["gpt-4o", "gpt-4o-mini", "mystery"]
    assert totals[0].cost == Decimal("0.3")
    assert totals[0].requests == 2
    assert totals[2].unpriced == 1
    conversations = ledger.group_totals(D1, D2, "conversation")
    assert {t.key for t in conversations} == {"c1", ""}
    with pytest.raises(ValueError, match="cannot group"):
        ledger.group_totals(D1, D2, "id; DROP TABLE usage_ledger")


def test_most_expensive_keeps_exact_costs(ledger: UsageLedger) -> None:
    top = ledger.most_expensive(D1, D2, limit=2)
    assert [e.cost for e in top] == [Decimal("0.2"), Decimal("0.1")]


def test_export_csv_has_every_column_and_row(ledger: UsageLedger) -> None:
    out = io.StringIO()
    assert ledger.export_csv(out, D1, D2) == 5
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(rows) == 5
    assert {"time_utc", "model", "cached_tokens", "reasoning_tokens", "cost", "request_id"} <= set(
        rows[0]
    )
    assert rows[0]["cost"] == "0.1"
    everything = io.StringIO()
    assert ledger.export_csv(everything) == 6


def test_totals_over_days(ledger: UsageLedger) -> None:
    totals = ledger.totals(days=(D1, D2))
    assert totals.requests == 5
    assert totals.cost == Decimal("0.3004")
    assert totals.usage.cached_tokens == 20
