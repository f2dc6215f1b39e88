"""The local ledger checked against OpenAI's own bill (an admin key only). No Qt.

`fetch_bill` reads the organisation's costs per day (`GET /v1/organization/costs`) and its
completions usage per day and model (`GET /v1/organization/usage/completions`) with the SDK's
admin endpoints; `reconcile` sets them beside the ledger's sums, with the difference and its
likely reasons. The admin key lives in the keyring under `ADMIN_KEY_ID`, like the API key, and is
only used here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from playground.core.api.errors import AppError, from_exception
from playground.core.api.gateway import make_client
from playground.core.api.providers import Connection
from playground.core.models import ProviderProfile
from playground.core.money.ledger import UsageLedger

#: Where the admin key is kept in the keyring (next to the profiles' API keys).
ADMIN_KEY_ID: Final = "openai-admin"
MAX_DAYS: Final = 31  # the costs endpoint's largest page of daily buckets


@dataclass(frozen=True, slots=True)
class ModelUsage:
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True, slots=True)
class Bill:
    """What OpenAI counted: dollars per day, and completions usage per model."""

    costs: dict[date, Decimal]
    models: dict[str, ModelUsage]


@dataclass(frozen=True, slots=True)
class DayRow:
    day: date
    ledger: Decimal
    bill: Decimal

    @property
    def difference(self) -> Decimal:
        return self.bill - self.ledger


@dataclass(frozen=True, slots=True)
class ModelRow:
    model: str
    ledger: ModelUsage
    bill: ModelUsage


@dataclass(frozen=True, slots=True)
class Reconciliation:
    first: date
    last: date
    days: tuple[DayRow, ...]
    models: tuple[ModelRow, ...]
    reasons: tuple[str, ...]

    @property
    def ledger_total(self) -> Decimal:
        return sum((d.ledger for d in self.days), Decimal(0))

    @property
    def bill_total(self) -> Decimal:
        return sum((d.bill for d in self.days), Decimal(0))


def _epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


async def fetch_bill(
    profile: ProviderProfile, connection: Connection, admin_key: str, first: date, last: date
) -> Bill:
    """OpenAI's costs and completions usage from `first` to `last` (UTC days, at most 31).

    Raises:
        AppError: in plain words; a 401 or 403 says what kind of key is needed.
    """
    last = min(last, first + timedelta(days=MAX_DAYS - 1))
    client = make_client(profile, dataclasses.replace(connection, api_key=admin_key))
    client.admin_api_key = admin_key
    start, end = _epoch(first), _epoch(last + timedelta(days=1))
    try:
        usage_api: Any = client.admin.organization.usage  # the SDK boundary
        costs: dict[date, Decimal] = {}
        page: str | None = None
        while True:
            response: Any = await usage_api.costs(
                start_time=start,
                end_time=end,
                bucket_width="1d",
                limit=MAX_DAYS,
                **({"page": page} if page else {}),
            )
            for bucket in response.data:
                day = datetime.fromtimestamp(bucket.start_time, UTC).date()
                for result in bucket.results:
                    amount = getattr(result, "amount", None)
                    if amount is not None and amount.value is not None:
                        costs[day] = costs.get(day, Decimal(0)) + Decimal(str(amount.value))
            page = response.next_page if response.has_more else None
            if not page:
                break
        models: dict[str, ModelUsage] = {}
        page = None
        while True:
            response = await usage_api.completions(
                start_time=start,
                end_time=end,
                bucket_width="1d",
                group_by=["model"],
                limit=MAX_DAYS,
                **({"page": page} if page else {}),
            )
            for bucket in response.data:
                for result in bucket.results:
                    name = getattr(result, "model", None) or "(not said)"
                    old = models.get(name, ModelUsage())
                    models[name] = ModelUsage(
                        old.requests + int(result.num_model_requests or 0),
                        old.input_tokens + int(result.input_tokens or 0),
                        old.output_tokens + int(result.output_tokens or 0),
                    )
            page = response.next_page if response.has_more else None
            if not page:
                break
    except Exception as exc:
        raise _admin_error(exc) from exc
    finally:
        await client.close()
    return Bill(costs, models)


def _admin_error(exc: Exception) -> AppError:
    status = getattr(exc, "status_code", None)
    if status == 401:
        return AppError.local(
            "Admin key refused (401)",
            "OpenAI did not accept this admin key. Create one as an organisation owner on the "
            "platform site (Settings → Organization → Admin keys) and paste it here; an ordinary "
            "API key cannot read the bill.",
        )
    if status == 403:
        return AppError.local(
            "Admin key cannot read the bill (403)",
            "This admin key has no permission to read usage and costs. Create one with read "
            "access to usage, or ask an organisation owner.",
        )
    return from_exception(exc)


def reconcile(
    ledger: UsageLedger, bill: Bill, first: date, last: date, provider: str
) -> Reconciliation:
    """The ledger's rows of `provider` beside the bill, per day and per model, with reasons.

    Raises:
        LedgerError: the ledger could not be read.
    """
    days: list[DayRow] = []
    day = first
    while day <= last:
        local = ledger.totals(day=day, provider=provider).cost
        days.append(DayRow(day, local, bill.costs.get(day, Decimal(0))))
        day += timedelta(days=1)
    local_models = {
        g.key: ModelUsage(g.requests, g.input_tokens, g.output_tokens)
        for g in ledger.group_totals(first, last, "model")
    }
    names = sorted(set(local_models) | set(bill.models))
    rows = tuple(
        ModelRow(n, local_models.get(n, ModelUsage()), bill.models.get(n, ModelUsage()))
        for n in names
    )
    return Reconciliation(first, last, tuple(days), rows, _reasons(days, rows))


def _reasons(days: list[DayRow], models: tuple[ModelRow, ...]) -> tuple[str, ...]:
    bill = sum((d.bill for d in days), Decimal(0))
    local = sum((d.ledger for d in days), Decimal(0))
    reasons: list[str] = []
    if bill > local:
        reasons.append(
            "OpenAI counted more than this app: requests from other apps, keys or people in "
            "your organisation are on the same bill."
        )
    if local > bill:
        reasons.append(
            "This app counted more than OpenAI: the bill may not include the last hours yet, "
            "or prices changed (the app prices with its price table, 'Update prices now')."
        )
    if any(r.bill.requests and not r.ledger.requests for r in models):
        reasons.append("Some models on the bill were never used from this app.")
    if any(
        r.ledger.requests and r.bill.requests and r.ledger.input_tokens != r.bill.input_tokens
        for r in models
    ):
        reasons.append(
            "Token counts differ for some models: estimated counts (≈), cache and long-prompt "
            "prices the table does not model, or requests sent elsewhere."
        )
    reasons.append(
        "OpenAI's days are UTC days; this app's are your local days, so requests near midnight "
        "can fall on different days."
    )
    return tuple(reasons)
