"""The one budget check every send goes through: the hook the shell gives Chat, Compare and Lab.

`BudgetGate.guard(...)` looks at the user's limits (`core/money/budgets.py`, kept in
`Settings.tabs["budgets"]`) with the upper end of what the request or run may cost added. Under
the limit it goes on at once. Over it, it asks, window-modal and without blocking the loop, with
"Send anyway", "Allow for the rest of today" and "Don't send": never a silent block. "Allow for the
rest of today" is kept in the settings (`allowed_on`), so it lasts past a restart that day. A ledger
that cannot be read never stops a send (the Usage page says what is wrong with it).

After every recorded request `refresh()` re-reads the spend: the status bar's budget read-out takes
a quiet colour at the first warning percentage, and crossing a percentage for the first time in a
period opens a short message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from playground.core.models import ProviderProfile, Usage
from playground.core.money.budgets import (
    STATE_KEY,
    Budget,
    BudgetSettings,
    BudgetVerdict,
    Level,
    budgets_from_state,
    check,
    spent,
)
from playground.core.money.formatting import format_cost
from playground.core.money.ledger import LedgerError

if TYPE_CHECKING:
    from playground.core.money.accounting import Accounting
    from playground.core.storage.settings import Settings

log = logging.getLogger(__name__)


class BudgetGate(QObject):
    """Checks sends against the user's budgets.

    Signals:
        level_changed: the spend's level changed or was re-read. args: `Level` (int), a sentence
            ("" when no budget is set).
        warning_crossed: a warning percentage was crossed for the first time. arg: the sentence.
    """

    level_changed = Signal(int, str)
    warning_crossed = Signal(str)

    def __init__(
        self,
        accounting: Accounting,
        parent: QObject | None = None,
        today: Callable[[], date] = date.today,
    ) -> None:
        super().__init__(parent)
        self.accounting = accounting
        self.today = today
        self._source: Callable[[], Settings] | None = None
        self._keep: Callable[[Settings], None] | None = None
        self._window: QWidget | None = None
        self._allowed_on: date | None = None  # "Allow for the rest of today" (kept: `_keep`)
        self._warned: set[tuple[Budget, str, int]] = set()  # (budget, period key, percentage)
        self.box: QMessageBox | None = None  # the question or warning open now

    def set_settings_source(
        self, source: Callable[[], Settings], keep: Callable[[Settings], None] | None = None
    ) -> None:
        """Where the current settings come from (the app controller's, read at each check), and
        how changed ones are kept (saved; may raise OSError): "Allow for the rest of today"."""
        self._source, self._keep = source, keep
        self.refresh()

    def set_window(self, window: QWidget) -> None:
        """The window warnings open over (none: only `warning_crossed` is emitted)."""
        self._window = window

    def settings(self) -> BudgetSettings:
        if self._source is None:
            return BudgetSettings()
        return budgets_from_state(self._source().tabs.get(STATE_KEY, {}))

    def allowed_today(self) -> bool:
        return self._allowed_on == self.today() or self.settings().allowed_today(self.today())

    def allow_today(self) -> None:
        """Sends go on past the limits for the rest of today, also after a restart today."""
        self._allowed_on = self.today()
        if self._source is None or self._keep is None:
            return
        settings = self._source()
        state = {**settings.tabs.get(STATE_KEY, {}), "allowed_on": self.today().isoformat()}
        try:
            self._keep(settings.replace(tabs={**settings.tabs, STATE_KEY: state}))
        except OSError as exc:  # it still holds for this run
            log.warning("budgets: 'allow for today' not saved: %s", exc)

    def upper_cost(
        self, model: str, input_tokens: int, max_output: int, profile: ProviderProfile
    ) -> Decimal | None:
        """The most one request may cost: its input plus its whole maximum output."""
        return self.accounting.pricer.cost(
            model,
            Usage(input_tokens=input_tokens, output_tokens=max_output),
            profile.price_provider,
        )

    def verdict(
        self, provider: str = "", upcoming: Decimal | None = Decimal(0), what: str = "This request"
    ) -> BudgetVerdict:
        """The check now; a ledger that cannot be read gives no verdict (sends go on)."""
        settings = self.settings()
        if not settings.budgets:
            return BudgetVerdict()
        ledger, session, today = self.accounting.ledger, self.accounting.session_id, self.today()
        try:
            return check(
                settings,
                lambda b: spent(ledger, b, session, today),
                provider=provider,
                upcoming=upcoming,
                what=what,
            )
        except LedgerError as exc:
            log.warning("budgets: the ledger cannot be read: %s", exc)
            return BudgetVerdict()

    def guard(
        self,
        parent: QWidget,
        name: str,
        provider: str,
        upcoming: Decimal | None,
        proceed: Callable[[], None],
        *,
        what: str = "This request",
        on_refused: Callable[[str], None] | None = None,
    ) -> QMessageBox | None:
        """Calls `proceed` now when `upcoming` (the upper end of the cost; None when unknown) fits
        every budget of `provider`, or the user allowed spending past them today. Otherwise asks,
        window-modal, and returns the open box (named `name`); `on_refused(message)` runs when the
        user keeps it unsent."""
        verdict = self.verdict(provider, upcoming, what)
        if not verdict.over or self.allowed_today():
            proceed()
            return None
        box, send, allow = budget_box(parent, name, verdict.message)
        self.box = box

        def done(_code: int) -> None:
            clicked = box.clickedButton()
            box.deleteLater()
            if self.box is box:
                self.box = None
            if clicked is allow:
                self.allow_today()
            if clicked in (send, allow):
                proceed()
            elif on_refused is not None:
                on_refused(verdict.message)

        box.finished.connect(done)
        box.open()
        return box

    def refresh(self) -> None:
        """Re-reads the spend of every budget (after a request was recorded, settings changed)."""
        settings = self.settings()
        if not settings.budgets:
            self.level_changed.emit(int(Level.OK), "")
            return
        verdict = self.verdict()
        statuses = verdict.statuses
        if not statuses:  # the ledger could not be read
            self.level_changed.emit(int(Level.OK), "")
            return
        top = verdict.status or max(statuses, key=lambda s: s.percent)
        limit = top.budget
        who = f" on {limit.provider}" if limit.provider else ""
        text = (
            f"Budget: {min(top.percent, 999)}% of {format_cost(limit.limit)} "
            f"{limit.period.label}{who}"
        )
        self.level_changed.emit(int(verdict.level), text)
        today = self.today()
        for s in statuses:
            key = s.budget.period.value
            period = {"day": today.isoformat(), "month": today.isoformat()[:7]}.get(key, "session")
            crossed = [p for p in (*settings.warn_at, 100) if s.percent >= p]
            if not crossed:
                continue
            mark = (s.budget, period, max(crossed))
            if mark in self._warned:
                continue
            self._warned.add(mark)
            message = check(BudgetSettings((s.budget,), settings.warn_at), _fixed(s.spent)).message
            self.warning_crossed.emit(message)
            self._show_warning(message)
            break  # one message at a time

    def _show_warning(self, message: str) -> None:
        if self._window is None or self.box is not None:
            return
        box = QMessageBox(QMessageBox.Icon.Information, "Budget", message, parent=self._window)
        box.setObjectName("budgetWarning")
        box.finished.connect(box.deleteLater)
        box.open()


def budget_box(
    parent: QWidget, name: str, message: str
) -> tuple[QMessageBox, QPushButton, QPushButton]:
    """The question asked at a limit (not yet open): (box, "Send anyway", "Allow for the rest of
    today"); "Don't send" is the default and the Esc button."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Over your budget", message, parent=parent)
    box.setObjectName(name)
    send = box.addButton("Send anyway", QMessageBox.ButtonRole.AcceptRole)
    send.setObjectName("budgetSendAnyway")
    allow = box.addButton("Allow for the rest of today", QMessageBox.ButtonRole.AcceptRole)
    allow.setObjectName("budgetAllowToday")
    stop = box.addButton("Don't send", QMessageBox.ButtonRole.RejectRole)
    stop.setObjectName("budgetDontSend")
    box.setDefaultButton(stop)
    box.setEscapeButton(stop)
    return box, send, allow


def _fixed(value: Decimal) -> Callable[[Budget], Decimal]:
    """A spend lookup that answers `value` for any budget."""
    return lambda _budget: value
