"""What the Usage page shows for a period, read from the ledger in one go (no Qt).

`build_report` runs in a worker thread (a few SQL aggregates; about 100 ms over 100,000 rows, see
bench/usage_page.py) and returns plain data the page draws: spend per day stacked by model, by tab
or by kind of request, totals per model, tab, kind, provider and conversation, the ten most
expensive requests, and the tokens by kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Final

from playground.core.models import Endpoint, LedgerEntry, Usage, UsageTotals
from playground.core.money.ledger import GroupTotal, UsageLedger

#: The chart stacks at most this many models (or kinds); the rest are summed as "Other".
MAX_SERIES: Final = 6
OTHER: Final = "Other"

#: The kinds of request, as the page names them.
KIND_NAMES: Final = {
    Endpoint.CHAT.value: "Chat and text",
    Endpoint.IMAGES.value: "Images",
    Endpoint.SPEECH.value: "Speech",
    Endpoint.TRANSCRIPTION.value: "Transcription",
    Endpoint.TRANSLATION.value: "Translation",
    Endpoint.EMBEDDINGS.value: "Embeddings",
    Endpoint.MODERATIONS.value: "Moderation",
    Endpoint.MODELS.value: "Model list",
}


#: What the page calls rows recorded before the ledger kept the tab.
NO_TAB: Final = "Before tabs were recorded"


def kind_name(endpoint: str) -> str:
    return KIND_NAMES.get(endpoint, endpoint)


def tab_name(key: str, names: Mapping[str, str]) -> str:
    """A tab's title from its key (`names`: key -> title); `NO_TAB` for rows without one."""
    return names.get(key, key) if key else NO_TAB


class PeriodChoice(StrEnum):
    LAST_7 = "7"
    LAST_30 = "30"
    LAST_90 = "90"
    THIS_MONTH = "month"
    LAST_MONTH = "last-month"
    CUSTOM = "custom"

    @property
    def label(self) -> str:
        return {
            "7": "Last 7 days",
            "30": "Last 30 days",
            "90": "Last 90 days",
            "month": "This month",
            "last-month": "Last month",
            "custom": "Custom…",
        }[self.value]


def period_dates(choice: PeriodChoice, today: date) -> tuple[date, date]:
    """The first and last day (both included) of `choice` around `today` (custom: the last 30)."""
    if choice is PeriodChoice.THIS_MONTH:
        return today.replace(day=1), today
    if choice is PeriodChoice.LAST_MONTH:
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    days = {"7": 7, "90": 90}.get(choice.value, 30)
    return today - timedelta(days=days - 1), today


@dataclass(frozen=True, slots=True)
class UsageReport:
    """Everything the Usage page shows for `first`..`last`.

    Attributes:
        days: every day of the period, in order (days without requests too).
        series: per model, tab or kind (`stack_by` says which: "model", "tab" or "endpoint"), the
            exact spend of each day of `days`; the most expensive first, the rest summed as
            "Other". Tabs and kinds are named as the page shows them.
        totals: the whole period's totals (tokens by kind, requests, cost, unpriced rows).
        by_model, by_tab, by_kind, by_provider, by_conversation: totals per group (keys as the
            ledger has them), most expensive first.
        top: the ten most expensive requests, most expensive first.
        complete: False for the first, quick part (see `build_report`).
    """

    first: date
    last: date
    stack_by: str
    days: tuple[date, ...]
    series: dict[str, tuple[Decimal, ...]]
    totals: UsageTotals
    by_model: tuple[GroupTotal, ...] = ()
    by_tab: tuple[GroupTotal, ...] = ()
    by_kind: tuple[GroupTotal, ...] = ()
    by_provider: tuple[GroupTotal, ...] = ()
    by_conversation: tuple[GroupTotal, ...] = ()
    top: tuple[LedgerEntry, ...] = field(default_factory=tuple)
    complete: bool = True

    @property
    def empty(self) -> bool:
        return self.totals.requests == 0

    def day_total(self, day: date) -> Decimal:
        i = self.days.index(day)
        return sum((values[i] for values in self.series.values()), Decimal(0))


def build_report(
    ledger: UsageLedger,
    first: date,
    last: date,
    stack_by: str = "model",
    *,
    complete: bool = True,
    tab_names: Mapping[str, str] | None = None,
) -> UsageReport:
    """The Usage page's data for `first`..`last` (both included), stacked by `stack_by` ("model",
    "tab" or "endpoint"; `tab_names` names the tabs: key -> title). Without `complete`, only what the chart and the per-model table need (read from
    one index, so the chart comes first on a large ledger): `totals` then holds only requests,
    input and output tokens and cost, and the other tables are empty.

    Raises:
        LedgerError: the ledger could not be read.
        ValueError: `stack_by` is not something the ledger can group by, or `last` is before `first`.
    """
    if last < first:
        raise ValueError("the period ends before it starts")
    days = tuple(first + timedelta(days=i) for i in range((last - first).days + 1))
    index = {d: i for i, d in enumerate(days)}
    per_key: dict[str, list[Decimal]] = {}
    for day, key, cost in ledger.daily_costs(first, last, stack_by):
        per_key.setdefault(key, [Decimal(0)] * len(days))[index[day]] += cost
    ranked = sorted(per_key.items(), key=lambda kv: (-sum(kv[1]), kv[0]))
    series: dict[str, tuple[Decimal, ...]] = {}
    if len(ranked) > MAX_SERIES:
        kept, rest = ranked[: MAX_SERIES - 1], ranked[MAX_SERIES - 1 :]
        other = [sum((values[i] for _, values in rest), Decimal(0)) for i in range(len(days))]
        ranked = [*kept, (OTHER, other)]
    for key, values in ranked:
        label = key
        if stack_by == "endpoint":
            label = kind_name(key)
        elif stack_by == "tab":
            label = tab_name(key, tab_names or {})
        series[label] = tuple(values)
    by_model = tuple(ledger.group_totals(first, last, "model"))
    if not complete:
        return UsageReport(
            first=first,
            last=last,
            stack_by=stack_by,
            days=days,
            series=series,
            totals=_summed(by_model),
            by_model=by_model,
            complete=False,
        )
    return UsageReport(
        first=first,
        last=last,
        stack_by=stack_by,
        days=days,
        series=series,
        totals=ledger.totals(days=(first, last)),
        by_model=by_model,
        by_tab=tuple(ledger.group_totals(first, last, "tab")),
        by_kind=tuple(ledger.group_totals(first, last, "endpoint")),
        by_provider=tuple(ledger.group_totals(first, last, "provider")),
        by_conversation=tuple(ledger.group_totals(first, last, "conversation")),
        top=tuple(ledger.most_expensive(first, last, 10)),
    )


def _summed(groups: tuple[GroupTotal, ...]) -> UsageTotals:
    return UsageTotals(
        requests=sum(g.requests for g in groups),
        usage=Usage(
            input_tokens=sum(g.input_tokens for g in groups),
            output_tokens=sum(g.output_tokens for g in groups),
        ),
        cost=sum((g.cost for g in groups), Decimal(0)),
        unpriced=sum(g.unpriced for g in groups),
    )
