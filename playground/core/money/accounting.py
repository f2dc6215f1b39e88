"""Turns finished requests into priced ledger rows and answers "how much so far?".

One `Accounting` object per app run: it knows the session id, prices each request with the `Pricer`
and writes it to the `UsageLedger`. Totals for the session, today and a conversation come from the
ledger, so they survive restarts and agree with what was written.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from playground.core.models import (
    Endpoint,
    LedgerEntry,
    ProviderProfile,
    RequestStatus,
    Usage,
    UsageTotals,
)
from playground.core.money.ledger import UsageLedger
from playground.core.money.pricing import Pricer


class Accounting:
    """Prices and records requests; sums them per session, day and conversation."""

    def __init__(self, ledger: UsageLedger, pricer: Pricer, session_id: str | None = None) -> None:
        self.ledger = ledger
        self.pricer = pricer
        self.session_id = session_id or uuid.uuid4().hex

    def cost(
        self, profile: ProviderProfile, model: str, usage: Usage, *, batch: bool = False
    ) -> Decimal | None:
        return self.pricer.cost(model, usage, profile.price_provider, batch=batch)

    def record(
        self,
        *,
        profile: ProviderProfile,
        model: str,
        endpoint: Endpoint,
        usage: Usage,
        latency_ms: float | None,
        status: RequestStatus,
        conversation_id: str | None = None,
        request_id: str | None = None,
        batch: bool = False,
    ) -> LedgerEntry:
        """Prices `usage` (at the Batch API's price when `batch`) and writes one ledger row."""
        entry = LedgerEntry(
            time=datetime.now(UTC),
            provider=profile.name,
            model=model,
            endpoint=endpoint,
            usage=usage,
            cost=self.cost(profile, model, usage, batch=batch),
            latency_ms=latency_ms,
            status=status,
            session_id=self.session_id,
            conversation_id=conversation_id,
            request_id=request_id,
        )
        self.ledger.record(entry)
        return entry

    def session_totals(self) -> UsageTotals:
        return self.ledger.totals(session_id=self.session_id)

    def today_totals(self) -> UsageTotals:
        return self.ledger.totals(day=date.today())

    def conversation_totals(self, conversation_id: str) -> UsageTotals:
        return self.ledger.totals(conversation_id=conversation_id)
