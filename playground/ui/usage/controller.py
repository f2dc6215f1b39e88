"""The Usage tab's controller: reads the ledger's aggregates off the GUI thread and exports CSV.

A ledger that cannot be read is said on the page; sending is never affected (the ledger is only
read here).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from playground.core.api.errors import AppError
from playground.core.api.secrets import mask_key
from playground.core.api.session import ApiSession
from playground.core.models import LedgerEntry
from playground.core.money.explain import PriceExplanation, explain
from playground.core.money.ledger import LedgerError, UsageLedger
from playground.core.money.pricing import Pricer
from playground.core.money.reconcile import (
    ADMIN_KEY_ID,
    MAX_DAYS,
    Reconciliation,
    fetch_bill,
    reconcile,
)
from playground.core.money.usage import PeriodChoice, UsageReport, build_report, period_dates
from playground.ui.common.feature import FeatureController
from playground.ui.shell.bridge import TaskRunner
from playground.ui.shell.counters import CountersController
from playground.ui.shell.price_dialog import open_price_dialog
from playground.ui.shell.rate_limits_popup import RateLimitGauges
from playground.ui.usage.bill_page import BillPage
from playground.ui.usage.tab import UsageTab

log = logging.getLogger(__name__)

GROUP = "usage"
BILL_GROUP = "usage-bill"


def _report(
    ledger: UsageLedger,
    first: date,
    last: date,
    by: str,
    complete: bool,
    tab_names: Mapping[str, str] | None = None,
) -> UsageReport | str:
    """The report, or a sentence saying why the ledger could not be read (worker thread)."""
    try:
        return build_report(ledger, first, last, by, complete=complete, tab_names=tab_names)
    except LedgerError as exc:
        return f"Your usage record could not be read, so nothing can be shown. {exc}"


def _export(ledger: UsageLedger, path: str, first: date, last: date) -> int:
    """Writes the period's rows to `path` as CSV (worker thread); returns how many."""
    with Path(path).open("w", encoding="utf-8", newline="") as out:
        return ledger.export_csv(out, first, last)


class UsageController(FeatureController):
    """Fills the Usage tab for the chosen period and writes its CSV export.

    Args:
        ledger: where the current ledger is (the app may swap a damaged one for one in memory).
        today: the local date (tests pin it).
        notice: what is wrong with the ledger file now ("" when nothing), said above the chart.
        pricer: prices a row again to explain it (None: rows are not explained).
        price_provider: the price table's provider for a provider's name as the ledger has it.
        open_conversation: opens a conversation in Chat by id (None: rows open nothing).
        session: the connection and keyring, for the "OpenAI's bill" page (None: no such page).
        tab_names: each tab's title by its key (the ledger keeps keys), for "By tab".
    """

    busy_groups = (GROUP,)
    view: UsageTab

    def __init__(
        self,
        view: UsageTab,
        ledger: Callable[[], UsageLedger],
        runner: TaskRunner,
        counters: CountersController,
        parent: QObject | None = None,
        today: Callable[[], date] = date.today,
        notice: Callable[[], str] = lambda: "",
        pricer: Pricer | None = None,
        price_provider: Callable[[str], str] = lambda _name: "openai",
        open_conversation: Callable[[str], None] | None = None,
        session: ApiSession | None = None,
        tab_names: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(view, parent)
        self.tab_names = dict(tab_names or {})
        view.set_tab_names(self.tab_names)
        self.ledger = ledger
        self.notice = notice
        self.pricer = pricer
        self.price_provider = price_provider
        self.price_dialog: QWidget | None = None
        self.runner = runner
        self.today = today
        self.report: UsageReport | None = None
        self.reconciliation: Reconciliation | None = None
        self._generation = 0  # of the newest read; an older one's result is dropped
        view.report_requested.connect(self.refresh)
        view.export_requested.connect(self.export)
        view.explain_requested.connect(self.explain)
        if open_conversation is not None:
            view.conversation_requested.connect(open_conversation)
        self.gauges = RateLimitGauges(counters.rate_limits)
        view.add_page("Rate limits", self.gauges)
        self.session = session
        self.bill_page: BillPage | None = None
        if session is not None:
            self.bill_page = BillPage()
            view.add_page("OpenAI's bill", self.bill_page)
            self.bill_page.key_save_requested.connect(self.save_admin_key)
            self.bill_page.key_forget_requested.connect(self.forget_admin_key)
            self.bill_page.check_requested.connect(self.check_bill)
            self._read_admin_key()
        # New requests show up while the page is open.
        counters.totals_changed.connect(self._on_totals_changed)
        self.refresh()

    def period(self) -> tuple[date, date]:
        choice = self.view.period_choice()
        if choice is PeriodChoice.CUSTOM:
            first, last = self.view.custom_dates()
            return (first, last) if first <= last else (last, first)
        return period_dates(choice, self.today())

    def refresh(self) -> None:
        """Reads the report of the period shown in a worker: first what the chart needs (one
        index read), then the rest. A newer refresh makes the results of an older one dropped."""
        first, last = self.period()
        self.view.show_period(first, last)
        self._generation += 1
        self._read(first, last, self.view.stack_by(), self._generation, complete=False)

    def _read(self, first: date, last: date, by: str, generation: int, *, complete: bool) -> None:
        def done(result: UsageReport | str) -> None:
            if generation != self._generation:
                return  # a newer read was asked for meanwhile
            self._show(result)
            if not complete and not isinstance(result, str):
                self._read(first, last, by, generation, complete=True)

        self.runner.start_blocking(
            _report,
            self.ledger(),
            first,
            last,
            by,
            complete,
            self.tab_names,
            group=GROUP,
            on_result=done,
            on_error=self._failed,
        )

    def refresh_now(self, *, complete: bool = True) -> None:
        """Reads and shows the report on this thread, at once (screenshots and bench/usage_page.py
        only: the app reads it in a worker, `refresh`)."""
        first, last = self.period()
        self.view.show_period(first, last)
        self._generation += 1
        by = self.view.stack_by()
        self._show(_report(self.ledger(), first, last, by, complete, self.tab_names))

    def _show(self, result: UsageReport | str) -> None:
        if isinstance(result, str):
            self.report = None
            self.view.show_unreadable(result)
        else:
            self.report = result
            notice = self.notice()
            self.view.set_message(notice, error=bool(notice))
            self.view.show_report(result)

    def _failed(self, error: AppError) -> None:
        log.warning("usage: %s", error.text)
        self.view.show_unreadable(f"The usage page could not be filled: {error.message}")

    def _on_totals_changed(self) -> None:
        if self.view.isVisible():
            self.refresh()

    def export(self, path: str) -> None:
        first, last = self.period()

        def done(rows: int) -> None:
            what = "1 request" if rows == 1 else f"{rows:,} requests"
            self.view.set_message(f"Saved {what} to {Path(path).name}.")

        def failed(error: AppError) -> None:
            self.view.set_message(
                f"The CSV file was not saved: {error.message} Choose another folder and try again.",
                error=True,
            )

        self.runner.start_blocking(
            _export, self.ledger(), path, first, last, group=GROUP, on_result=done, on_error=failed
        )

    def explain(self, entry: LedgerEntry) -> None:
        """Opens how `entry`'s price was made (priced again, off the GUI thread)."""
        if self.pricer is None:
            return

        def show(explanation: PriceExplanation) -> None:
            when = entry.time.astimezone().strftime("%d %b %Y %H:%M")
            self.price_dialog = open_price_dialog(
                self.view, explanation, charged=entry.cost, when=when
            )

        self.runner.start_blocking(
            functools.partial(explain, at=entry.time),
            self.pricer,
            entry.model,
            entry.usage,
            self.price_provider(entry.provider),
            group="price-explain",
            on_result=show,
        )

    # --- OpenAI's bill (an admin key) -----------------------------------------------------------

    def _read_admin_key(self) -> None:
        """Whether an admin key is stored (read off the GUI thread, like every keyring call)."""
        assert self.session is not None
        assert self.bill_page is not None
        page, secrets = self.bill_page, self.session.secrets

        def show(key: str | None) -> None:
            page.set_key_state(
                bool(key),
                f"Admin key stored: {mask_key(key)}." if key else "No admin key stored.",
            )

        def failed(error: AppError) -> None:
            page.set_key_state(False, f"The keyring could not be read: {error.message}")

        self.runner.start_blocking(
            secrets.get, ADMIN_KEY_ID, group=BILL_GROUP, on_result=show, on_error=failed
        )

    def save_admin_key(self, key: str) -> None:
        assert self.session is not None
        assert self.bill_page is not None
        page = self.bill_page

        def failed(error: AppError) -> None:
            page.set_key_state(False, f"The admin key was not saved: {error.message}")

        self.runner.start_blocking(
            self.session.secrets.set,
            ADMIN_KEY_ID,
            key,
            group=BILL_GROUP,
            on_result=lambda _none: self._read_admin_key(),
            on_error=failed,
        )

    def forget_admin_key(self) -> None:
        assert self.session is not None
        self.runner.start_blocking(
            self.session.secrets.delete,
            ADMIN_KEY_ID,
            group=BILL_GROUP,
            on_result=lambda _none: self._read_admin_key(),
        )

    def check_bill(self) -> None:
        """Fetches the bill for the period shown (its last 31 days) and sets it beside the ledger."""
        assert self.session is not None
        assert self.bill_page is not None
        session, page, runner = self.session, self.bill_page, self.runner
        first, last = self.period()
        first = max(first, last - timedelta(days=MAX_DAYS - 1))
        ledger = self.ledger()
        profile = session.profile

        async def check() -> Reconciliation:
            key = await runner.run_blocking(session.secrets.get, ADMIN_KEY_ID)
            if not key:
                raise AppError.local("No admin key", "Paste an admin key and save it first.")
            connection = await runner.run_blocking(session.connection, profile)
            bill = await fetch_bill(profile, connection, key, first, last)
            return await runner.run_blocking(reconcile, ledger, bill, first, last, profile.name)

        def failed(error: AppError) -> None:
            page.set_busy(False)
            page.set_message(f"{error.title}. {error.message}", error=True)

        def done(result: Reconciliation) -> None:
            page.set_busy(False)
            self.reconciliation = result
            page.show_reconciliation(result)

        page.set_busy(True)
        runner.start(check(), group=BILL_GROUP, on_result=done, on_error=failed)

    def restore_state(self, state: dict[str, Any]) -> None:
        try:
            choice = PeriodChoice(str(state.get("period", PeriodChoice.LAST_30.value)))
        except ValueError:
            choice = PeriodChoice.LAST_30
        self.view.set_period_choice(choice)
        self.view.set_stack_by(str(state.get("stack_by", "model")))

    def save_state(self) -> dict[str, Any]:
        return {"period": self.view.period_choice().value, "stack_by": self.view.stack_by()}
