"""Spending limits: per day, per calendar month and per app session, for every provider or one.

No Qt here. The limits live in `Settings.tabs["budgets"]` (a plain dict, so the settings file's
schema does not change); `budgets_from_state` reads them back, never raising: a limit that is not a
positive amount is dropped and named in `problems`.

A check takes what each budget has already spent (from the ledger, `spent`) and the upper end of
what the next request or run may cost (input plus its maximum output), and says whether that stays
under the limit, crosses a warning percentage, or would go over the limit (`BudgetVerdict`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import IntEnum, StrEnum
from typing import Any, Final

from playground.core.money.formatting import format_cost
from playground.core.money.ledger import UsageLedger

#: Where the budgets are kept: `Settings.tabs[STATE_KEY]`.
STATE_KEY: Final = "budgets"
#: Warn at 80 % of a limit unless the user chose other percentages.
DEFAULT_WARN_AT: Final = (80,)


class Period(StrEnum):
    DAY = "day"
    MONTH = "month"
    SESSION = "session"

    @property
    def label(self) -> str:
        return {"day": "today", "month": "this month", "session": "this session"}[self.value]

    @property
    def heading(self) -> str:
        return {"day": "Per day", "month": "Per month", "session": "Per session"}[self.value]


class Level(IntEnum):
    """How close the spend is to a limit, in order."""

    OK = 0
    WARN = 1
    OVER = 2


@dataclass(frozen=True, slots=True)
class Budget:
    """One limit. `provider` is a provider's name as the ledger records it ("" for all)."""

    period: Period
    limit: Decimal
    provider: str = ""

    def describe(self) -> str:
        who = f" on {self.provider}" if self.provider else ""
        return f"{format_cost(self.limit)} {self.period.label}{who}"


@dataclass(frozen=True, slots=True)
class BudgetSettings:
    """Every limit, the warning percentages, and the day on which the user allowed sending past
    the limits for the rest of the day (an ISO date, "" for none)."""

    budgets: tuple[Budget, ...] = ()
    warn_at: tuple[int, ...] = DEFAULT_WARN_AT
    allowed_on: str = ""

    def allowed_today(self, today: date) -> bool:
        return self.allowed_on == today.isoformat()


def parse_limit(text: str) -> tuple[Decimal | None, str]:
    """A limit typed by the user: (amount, "") or (None, a sentence saying what to type).

    An empty field means no limit: (None, "").
    """
    cleaned = text.strip().lstrip("$").replace(",", "").strip()
    if not cleaned:
        return None, ""
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None, f"“{text.strip()}” is not an amount. Type dollars, for example 5 or 2.50."
    if not value.is_finite():
        return None, f"“{text.strip()}” is not an amount. Type dollars, for example 5 or 2.50."
    if value <= 0:
        return None, (
            "A limit must be more than $0. Leave the field empty for no limit, or type an "
            "amount such as 5."
        )
    return value, ""


def parse_percentages(text: str) -> tuple[tuple[int, ...], str]:
    """Warning percentages such as "50, 80": (sorted, unique values, "") or ((), a sentence)."""
    values: set[int] = set()
    for part in text.replace("%", "").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= 99:
            return (), (
                f"Warnings are percentages of a limit between 1 and 99, separated by commas "
                f"(“{part}” is not one)."
            )
        values.add(int(part))
    return tuple(sorted(values)), ""


def budgets_from_state(
    state: Mapping[str, Any], problems: list[str] | None = None
) -> BudgetSettings:
    """The budgets kept in `Settings.tabs["budgets"]`. Never raises; what cannot be read is left
    out and named in `problems`."""
    found: list[str] = [] if problems is None else problems
    budgets: list[Budget] = []
    raw_list = state.get("budgets", [])
    if not isinstance(raw_list, list):
        found.append("budgets")
        raw_list = []
    for i, raw in enumerate(raw_list):
        if not isinstance(raw, dict):
            found.append(f"budgets[{i}]")
            continue
        try:
            period = Period(str(raw.get("period", "")))
        except ValueError:
            found.append(f"budgets[{i}].period")
            continue
        limit, problem = parse_limit(str(raw.get("limit", "")))
        if limit is None:
            found.append(f"budgets[{i}].limit" + (f": {problem}" if problem else ""))
            continue
        provider = raw.get("provider", "")
        budgets.append(Budget(period, limit, provider if isinstance(provider, str) else ""))
    warn_raw = state.get("warn_at", list(DEFAULT_WARN_AT))
    warn: tuple[int, ...] = DEFAULT_WARN_AT
    if isinstance(warn_raw, list) and all(
        isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 99 for v in warn_raw
    ):
        warn = tuple(sorted(set(warn_raw)))
    else:
        found.append("warn_at")
    allowed = state.get("allowed_on", "")
    return BudgetSettings(tuple(budgets), warn, allowed if isinstance(allowed, str) else "")


def budgets_to_state(settings: BudgetSettings) -> dict[str, Any]:
    """`settings` as the JSON-able dict kept in `Settings.tabs["budgets"]`."""
    return {
        "budgets": [
            {"period": b.period.value, "limit": str(b.limit), "provider": b.provider}
            for b in settings.budgets
        ],
        "warn_at": list(settings.warn_at),
        "allowed_on": settings.allowed_on,
    }


def spent(ledger: UsageLedger, budget: Budget, session_id: str, today: date) -> Decimal:
    """What the ledger holds against `budget`: priced rows of today, this calendar month or this
    session, for its provider (every provider when it names none).

    Raises:
        LedgerError: the ledger could not be read.
    """
    provider = budget.provider or None
    if budget.period is Period.DAY:
        return ledger.totals(day=today, provider=provider).cost
    if budget.period is Period.MONTH:
        first = today.replace(day=1)
        return ledger.totals(days=(first, today), provider=provider).cost
    return ledger.totals(session_id=session_id, provider=provider).cost


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    """One budget with what it has spent and what the next request may add."""

    budget: Budget
    spent: Decimal
    upcoming: Decimal = Decimal(0)

    @property
    def after(self) -> Decimal:
        return self.spent + self.upcoming

    @property
    def percent(self) -> int:
        """Share of the limit used after the upcoming request, rounded down."""
        return int(self.after * 100 / self.budget.limit)


@dataclass(frozen=True, slots=True)
class BudgetVerdict:
    """What a check found: the level, the budget that set it, and a message for the user."""

    level: Level = Level.OK
    status: BudgetStatus | None = None
    statuses: tuple[BudgetStatus, ...] = field(default_factory=tuple)
    message: str = ""

    @property
    def over(self) -> bool:
        return self.level is Level.OVER


def check(
    settings: BudgetSettings,
    spent_of: Callable[[Budget], Decimal],
    *,
    provider: str = "",
    upcoming: Decimal | None = Decimal(0),
    what: str = "This request",
) -> BudgetVerdict:
    """Checks every budget that applies to `provider` ("" checks all of them) with `upcoming` added
    (the upper end of the next request's cost; None when its price is unknown, which adds nothing
    but says so).

    Returns:
        The worst level over every budget, with a message that names the limit, what is spent, what
        the request may add, and what the user can do.
    """
    applying = [
        b for b in settings.budgets if not b.provider or not provider or b.provider == provider
    ]
    statuses = tuple(BudgetStatus(b, spent_of(b), upcoming or Decimal(0)) for b in applying)
    worst: BudgetStatus | None = None
    level = Level.OK
    for s in statuses:
        this = _level(s, settings.warn_at)
        if this > level or (this == level and worst is not None and s.percent > worst.percent):
            level, worst = this, s
        elif worst is None and this == level and this is not Level.OK:
            worst = s
    if worst is None or level is Level.OK:
        return BudgetVerdict(Level.OK, None, statuses, "")
    return BudgetVerdict(level, worst, statuses, _message(level, worst, upcoming, what))


def _level(status: BudgetStatus, warn_at: Iterable[int]) -> Level:
    if status.after > status.budget.limit or status.spent >= status.budget.limit:
        return Level.OVER
    thresholds = list(warn_at)
    if thresholds and status.percent >= min(thresholds):
        return Level.WARN
    return Level.OK


def _message(level: Level, s: BudgetStatus, upcoming: Decimal | None, what: str) -> str:
    b = s.budget
    who = f" on {b.provider}" if b.provider else ""
    spent_text = f"You have spent {format_cost(s.spent)} of your {format_cost(b.limit)} limit for {b.period.label}{who}"
    if upcoming is None:
        may = f" {what} has no known price, so it is not counted."
    elif upcoming:
        may = f" {what} may cost up to {format_cost(upcoming)}."
    else:
        may = ""
    if level is Level.OVER:
        if s.spent >= b.limit:
            head = f"{spent_text}: the limit is reached.{may}"
        else:
            head = f"{spent_text}.{may} That could take you over the limit."
        return head + " Raise the limit in Settings → Budgets, or send anyway."
    share = f"{s.percent}% with what may be sent now" if upcoming else f"{s.percent}%"
    return f"{spent_text} ({share}).{may}"
