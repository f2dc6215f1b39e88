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
from playground.core.money.metering import RequestRecord
from playground.core.money.pricing import Pricer


class Accounting:
    """Prices and records requests; sums them per session, day and conversation."""

    def __init__(self, ledger: UsageLedger, pricer: Pricer, session_id: str | None = None) -> None:
        self.ledger = ledger
        self.pricer = pricer
        self.session_id = session_id or uuid.uuid4().hex

    def cost(
        self,
        profile: ProviderProfile,
        model: str,
        usage: Usage,
        *,
        batch: bool = False,
        service_tier: str | None = None,
    ) -> Decimal | None:
        return self.pricer.cost(
            model, usage, profile.price_provider, batch=batch, service_tier=service_tier
        )

    def write(self, record: RequestRecord) -> LedgerEntry:
        """Prices `record` (at the Batch API's price when `record.batch`) and writes one ledger
        row: the one typed way a finished request reaches the ledger."""
        entry = self.entry_for(record)
        self.ledger.record(entry)
        return entry

    def entry_for(self, record: RequestRecord) -> LedgerEntry:
        """The priced ledger row of `record`, not written yet (`write` writes it)."""
        usage = record.usage
        return LedgerEntry(
            time=datetime.now(UTC),
            provider=record.profile.name,
            model=record.model,
            endpoint=record.endpoint,
            usage=usage,
            cost=self.cost(
                record.profile,
                record.model,
                usage,
                batch=record.batch,
                service_tier=record.service_tier,
            ),
            latency_ms=record.latency_ms,
            status=record.status,
            session_id=self.session_id,
            conversation_id=record.conversation_id,
            request_id=record.request_id,
            tab=record.tab,
        )

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
        tab: str = "",
    ) -> LedgerEntry:
        """Deprecated: build a `RequestRecord` and call `write`.

        Kept as a thin wrapper while the Images, Audio, Embeddings, Moderation and Chat paths
        (through `CountersController.record`) and the screenshot samples still call it; it goes
        once they write `RequestRecord`s.
        """
        return self.write(
            RequestRecord(
                profile=profile,
                model=model,
                endpoint=endpoint,
                usage=usage,
                status=status,
                latency_ms=latency_ms,
                conversation_id=conversation_id,
                request_id=request_id,
                batch=batch,
                tab=tab,
            )
        )

    def session_totals(self) -> UsageTotals:
        return self.ledger.totals(session_id=self.session_id)

    def today_totals(self) -> UsageTotals:
        return self.ledger.totals(day=date.today())

    def conversation_totals(self, conversation_id: str) -> UsageTotals:
        return self.ledger.totals(conversation_id=conversation_id)
