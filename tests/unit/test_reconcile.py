"""The ledger checked against OpenAI's bill, through the SDK's admin endpoints on the fake."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from playground.core.api.errors import AppError
from playground.core.api.providers import resolve_connection
from playground.core.api.secrets import MemorySecretStore
from playground.core.models import Endpoint, LedgerEntry, ProviderProfile, RequestStatus, Usage
from playground.core.money.ledger import UsageLedger
from playground.core.money.reconcile import fetch_bill, reconcile
from tests.fakes.openai_server import FakeOpenAI

D1, D2 = date(2026, 12, 5), date(2026, 12, 6)
ADMIN = "sk-admin-test-0000"


def _profile(fake: FakeOpenAI) -> ProviderProfile:
    return ProviderProfile(id="openai", name="OpenAI", base_url=fake.base_url, max_retries=0)


def _bill_scenario(fake: FakeOpenAI) -> None:
    fake.scenario.admin_key = ADMIN
    fake.scenario.org_costs = {D1.isoformat(): 0.5, D2.isoformat(): 1.25}
    fake.scenario.org_usage = {
        D1.isoformat(): {"gpt-4o-mini": (1000, 100, 2)},
        D2.isoformat(): {"gpt-4o-mini": (500, 50, 1), "gpt-5": (9000, 900, 3)},
    }


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[UsageLedger]:
    with UsageLedger(tmp_path / "ledger.sqlite3") as led:
        for day, cost in ((D1, "0.5"), (D2, "0.25"), (D2, "0.25")):
            led.record(
                LedgerEntry(
                    time=datetime(day.year, day.month, day.day, 12).astimezone(UTC),
                    provider="OpenAI",
                    model="gpt-4o-mini",
                    endpoint=Endpoint.CHAT,
                    usage=Usage(input_tokens=500, output_tokens=50),
                    cost=Decimal(cost),
                    latency_ms=1.0,
                    status=RequestStatus.OK,
                    session_id="s",
                )
            )
        yield led


async def test_the_bill_beside_the_ledger_per_day_and_model(
    fake_openai: FakeOpenAI, ledger: UsageLedger
) -> None:
    _bill_scenario(fake_openai)
    profile = _profile(fake_openai)
    connection = resolve_connection(profile, MemorySecretStore(), {})
    bill = await fetch_bill(profile, connection, ADMIN, D1, D2)
    assert bill.costs == {D1: Decimal("0.5"), D2: Decimal("1.25")}
    assert bill.models["gpt-5"].requests == 3
    request = fake_openai.requests_to("/organization/costs")[0]
    assert request.headers["authorization"] == f"Bearer {ADMIN}"
    assert request.query["bucket_width"] == "1d"

    result = reconcile(ledger, bill, D1, D2, "OpenAI")
    assert [(d.day, d.ledger, d.bill, d.difference) for d in result.days] == [
        (D1, Decimal("0.5"), Decimal("0.5"), Decimal(0)),
        (D2, Decimal("0.50"), Decimal("1.25"), Decimal("0.75")),
    ]
    assert result.bill_total - result.ledger_total == Decimal("0.75")
    rows = {r.model: r for r in result.models}
    assert rows["gpt-4o-mini"].ledger.requests == 3
    assert rows["gpt-4o-mini"].bill.requests == 3
    assert rows["gpt-5"].ledger.requests == 0
    assert any("other apps" in r for r in result.reasons)
    assert any("never used from this app" in r for r in result.reasons)


@pytest.mark.parametrize(("forbidden", "says"), [(False, "(401)"), (True, "(403)")])
async def test_a_wrong_key_or_one_without_scope_is_explained(
    fake_openai: FakeOpenAI, forbidden: bool, says: str
) -> None:
    _bill_scenario(fake_openai)
    fake_openai.scenario.admin_forbidden = forbidden
    profile = _profile(fake_openai)
    connection = resolve_connection(profile, MemorySecretStore(), {})
    key = ADMIN if forbidden else "sk-proj-ordinary-key"
    with pytest.raises(AppError) as caught:
        await fetch_bill(profile, connection, key, D1, D2)
    assert says in caught.value.title
