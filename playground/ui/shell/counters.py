"""Keeps the status-bar counters current: the live draft estimate, the last request and the totals.

Counting tokens of a long draft takes time, so it runs in a worker thread. Requests are coalesced:
while one count runs, newer edits only mark the draft dirty, and one more count runs when the first
ends, but no sooner than `MIN_COUNT_INTERVAL_S` after the previous one started, so typing into a
100,000-token draft does not keep a core busy recounting it (bench/keystroke.py). A count after a
pause starts at once. Short drafts are counted at once on the GUI thread once the encoding is loaded.
A long draft's recount is cheap (`TiktokenCounter` caches each line's count), so the interval is
short: the count follows the typing about 35 ms behind.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from playground.core.models import (
    Endpoint,
    LedgerEntry,
    Message,
    ProviderProfile,
    RequestStatus,
    Usage,
)
from playground.core.money.accounting import Accounting
from playground.core.money.explain import (
    PriceExplanation,
    explain,
    explain_rows,
    price_provider_for,
)
from playground.core.money.ledger import LedgerError
from playground.core.money.metering import RequestRecord
from playground.core.money.ratelimits import RateLimits
from playground.core.money.tokens import TokenCounter
from playground.ui.shell.bridge import TaskRunner
from playground.ui.shell.budget_gate import BudgetGate
from playground.ui.shell.counters_bar import CountersBar
from playground.ui.shell.price_dialog import open_price_dialog
from playground.ui.shell.rate_limits_popup import RateLimitsPopup

log = logging.getLogger(__name__)

CHAT_TAB = "chat"  # the tab whose drafts are counted unless a caller names another
SYNC_COUNT_LIMIT = 4_000  # characters; below this a count takes well under a millisecond
MIN_COUNT_INTERVAL_S = 0.1  # between the starts of two off-thread counts while the user types


class CountersController(QObject):
    """Feeds the `CountersBar` from the token counter, the pricer and the ledger.

    Signals:
        draft_estimated: a new draft estimate is shown. args: input tokens, cost (Decimal or None).
        totals_changed: a request was recorded and the totals were re-read.
        ledger_failed: the ledger could not be read. arg: the `LedgerError`.
        write_failed: a row could not be written (a full disk); it is kept in memory and written
            by the next `write` or `save_unsaved`. arg: the `LedgerError`.
    """

    draft_estimated = Signal(int, object)
    totals_changed = Signal()
    ledger_failed = Signal(object)
    write_failed = Signal(object)

    def __init__(
        self,
        bar: CountersBar,
        counter: TokenCounter,
        accounting: Accounting,
        runner: TaskRunner,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.bar = bar
        self.counter = counter
        self.accounting = accounting
        self.runner = runner
        self._pending: tuple[tuple[Message, ...], str, ProviderProfile, str] | None = None
        # The newest estimate of each tab that counts drafts (Chat); the bar shows the current
        # tab's, or none on a tab without one.
        self._drafts: dict[str, tuple[int, Decimal | None]] = {}
        self._current_tab = CHAT_TAB
        self._unsaved: list[LedgerEntry] = []  # rows a failed write kept back, oldest first
        self.write_error: LedgerError | None = None  # why the last write failed (None: it didn't)
        self._counting = False
        self._discard_running = False  # the draft was emptied while a count ran
        self._last_start = -MIN_COUNT_INTERVAL_S
        self._next_count = QTimer(self)
        self._next_count.setSingleShot(True)
        self._next_count.timeout.connect(self._start_pending)
        # The budget check every send goes through (Chat, Compare, Lab); its level colours the bar.
        self.budgets = BudgetGate(accounting, self)
        self.budgets.level_changed.connect(bar.set_budget)
        # Clicking the last request's cost explains it (ui/shell/price_dialog.py).
        self._last: tuple[RequestRecord, LedgerEntry] | None = None
        self.price_dialog: QWidget | None = None
        bar.price_requested.connect(self.explain_last)
        # Every reply's x-ratelimit-* headers, per model (the engines report them: take_headers).
        self.rate_limits = RateLimits(on_change=self._show_rate_limit)
        self.limits_popup: RateLimitsPopup | None = None
        bar.limits_requested.connect(self.show_rate_limits)
        self.refresh_totals()

    # --- draft -------------------------------------------------------------------------------

    def set_current_tab(self, key: str) -> None:
        """The window shows tab `key`: the bar shows its draft estimate, or none."""
        self._current_tab = key
        self.bar.set_draft(*self._drafts.get(key, (None, None)))

    def estimate_draft(
        self,
        messages: tuple[Message, ...],
        model: str,
        profile: ProviderProfile,
        tab: str = CHAT_TAB,
    ) -> None:
        """Shows the estimated input tokens and cost of sending `messages` to `model`, for the
        draft of tab `tab` (shown while that tab is the current one)."""
        if not model or not any(m.content for m in messages):
            # Nothing typed and no history: nothing to count, and no reason to load the encoding
            # (43 MiB) for a window that sits idle (bench/startup.py, idle memory).
            self._pending = None
            self._next_count.stop()
            self._discard_running = self._counting
            self._drafts.pop(tab, None)
            if tab == self._current_tab:
                self.bar.set_draft(None, None)
            return
        size = sum(len(m.content) for m in messages)
        if not self._counting and size <= SYNC_COUNT_LIMIT and self.counter.is_loaded(model):
            self._pending = None  # a longer draft waiting for its turn is out of date now
            self._next_count.stop()
            self._show_draft(self.counter.count_messages(messages, model), model, profile, tab)
            return
        self._pending = (messages, model, profile, tab)
        if not self._counting:
            self._start_pending()

    def _start_pending(self) -> None:
        """Starts counting the newest draft now, or when the interval since the last start is up."""
        if self._counting or self._pending is None:
            return
        wait = self._last_start + MIN_COUNT_INTERVAL_S - time.monotonic()
        if wait > 0:
            if not self._next_count.isActive():
                self._next_count.start(max(1, round(wait * 1000)))
            return
        self._start_count()

    def _start_count(self) -> None:
        assert self._pending is not None
        messages, model, profile, tab = self._pending
        self._pending = None
        self._counting = True
        self._discard_running = False
        self._last_start = time.monotonic()

        def _done(tokens: int) -> None:
            self._counting = False
            if self._discard_running:
                self._discard_running = False
                self._start_pending()
            elif self._pending is None:
                self._show_draft(tokens, model, profile, tab)
            else:  # the user typed on while we counted: count the newest draft instead
                self._start_pending()

        def _stopped(*_args: object) -> None:
            self._counting = False
            self._pending = None

        # Only plain objects go to the worker thread (the bound method of a plain counter).
        self.runner.start_blocking(
            self.counter.count_messages,
            messages,
            model,
            group="draft-count",
            on_result=_done,
            on_error=_stopped,
            on_cancel=_stopped,
        )

    def set_tab_draft(self, tab: str, tokens: int | None, cost: Decimal | None) -> None:
        """A draft estimate a tab counted itself (Compare: its whole run), shown while `tab` is
        the current one; None: nothing to estimate."""
        if tokens is None:
            self._drafts.pop(tab, None)
        else:
            self._drafts[tab] = (tokens, cost)
        if tab == self._current_tab:
            self.bar.set_draft(tokens, cost)

    def _show_draft(self, tokens: int, model: str, profile: ProviderProfile, tab: str) -> None:
        cost = self.accounting.pricer.estimate(model, tokens, profile.price_provider)
        self._drafts[tab] = (tokens, cost)
        if tab == self._current_tab:
            self.bar.set_draft(tokens, cost)
        self.draft_estimated.emit(tokens, cost)

    # --- after requests ----------------------------------------------------------------------

    def write(self, record: RequestRecord) -> LedgerEntry:
        """Writes one ledger row (priced by `Accounting`) and shows it in the counters.

        A row that cannot be written (disk full, file gone read-only) is kept in memory and
        written first by the next `write`, or by `save_unsaved` (Save now, Retry, closing): the
        request that made it is never held up by the ledger, and no row is lost while the app
        runs. `write_failed` says so.
        """
        entry = self.accounting.entry_for(record)
        self._last = (record, entry)
        self._unsaved.append(entry)
        self.save_unsaved()
        self.request_recorded(entry)
        return entry

    @property
    def unsaved(self) -> int:
        """How many rows wait for a write that failed to be tried again."""
        return len(self._unsaved)

    def save_unsaved(self) -> bool:
        """Writes the rows a failed write kept back, oldest first; True when none is left."""
        while self._unsaved:
            try:
                self.accounting.ledger.record(self._unsaved[0])
            except LedgerError as exc:
                log.warning("usage ledger: %s", exc)
                self.write_error = exc
                self.write_failed.emit(exc)
                return False
            except ValueError:  # a row the ledger refuses (not a passing failure): not kept
                self._unsaved.pop(0)
                raise
            self._unsaved.pop(0)
        self.write_error = None
        return True

    def record(self, **fields: Any) -> LedgerEntry:
        """Deprecated: call `write` with a `RequestRecord` (the same fields, typed).

        Kept while the Images, Audio, Embeddings and Chat controllers still call it.
        """
        return self.write(RequestRecord(**fields))

    def record_moderation(
        self,
        profile: ProviderProfile,
        model: str,
        status: RequestStatus,
        latency_ms: float | None,
        request_id: str | None,
    ) -> LedgerEntry:
        """A moderation request's row. The API reports no usage for moderation (and OpenAI does not
        charge for it): the row says so with zero tokens, and the price table prices it at $0."""
        return self.write(
            RequestRecord(
                profile=profile,
                model=model,
                endpoint=Endpoint.MODERATIONS,
                tab="moderation",
                usage=Usage(),
                status=status,
                latency_ms=latency_ms,
                request_id=request_id,
            )
        )

    def request_recorded(self, entry: LedgerEntry) -> None:
        self.bar.set_last(entry.usage, entry.cost)
        self.refresh_totals()

    def take_headers(self, model: str, headers: Mapping[str, str]) -> None:
        """A reply's headers (the engines' `on_headers`): its rate limits are kept and shown."""
        self.rate_limits.take(model, headers)

    def _show_rate_limit(self) -> None:
        latest = self.rate_limits.latest()
        if latest is None:
            self.bar.set_rate_limit("")
            return
        now = self.rate_limits.clock()
        parts = [
            f"{x.remaining_at(now):,} {'req' if x.kind == 'requests' else 'tok'}"
            for x in latest.limits()
        ]
        self.bar.set_rate_limit("Left this minute: " + " · ".join(parts))

    def show_rate_limits(self) -> None:
        """Opens the gauges (a small window that keeps counting down)."""
        if self.limits_popup is None:
            self.limits_popup = RateLimitsPopup(self.rate_limits, self.bar.window())
        self.limits_popup.show()

    def explain_last(self) -> None:
        """Opens how the last request's price was made (priced off the GUI thread)."""
        if self._last is None:
            return
        record, entry = self._last
        pricer, provider = self.accounting.pricer, record.profile.price_provider

        def show(explanation: PriceExplanation) -> None:
            when = entry.time.astimezone().strftime("%H:%M")
            self.price_dialog = open_price_dialog(
                self.bar.window(), explanation, charged=entry.cost, when=f"last request, {when}"
            )

        self.runner.start_blocking(
            functools.partial(explain, at=entry.time, batch=record.batch),
            pricer,
            record.model,
            record.usage,
            provider,
            group="price-explain",
            on_result=show,
        )

    def explain_conversation(
        self, conversation_id: str, profile: ProviderProfile, *, last_only: bool
    ) -> None:
        """Opens how a conversation's cost was made: its newest request's (`last_only`: the reply
        line under an answer) or every request's (the conversation totals). The rows are read and
        priced off the GUI thread; a conversation without requests opens nothing."""
        ledger, pricer = self.accounting.ledger, self.accounting.pricer

        def work() -> tuple[PriceExplanation, Decimal | None, str] | None:
            try:
                rows = ledger.conversation_rows(conversation_id)
            except LedgerError as exc:
                unreadable = PriceExplanation(
                    "This conversation",
                    Usage(),
                    None,
                    "unknown",
                    notes=(f"{exc} Its costs cannot be explained until it can be read.",),
                )
                return unreadable, None, ""
            if not rows:
                return None
            if last_only:
                rows = rows[-1:]
            pairs = [(row, price_provider_for(row.provider, profile)) for row in rows]
            costs = [row.cost for row in rows]
            charged = None if None in costs else sum((c for c in costs if c), Decimal(0))
            when = rows[-1].time.astimezone().strftime("%H:%M")
            label = f"last answer, {when}" if last_only else "this conversation"
            return explain_rows(pricer, pairs), charged, label

        def show(result: tuple[PriceExplanation, Decimal | None, str] | None) -> None:
            if result is not None:
                explanation, charged, when = result
                self.price_dialog = open_price_dialog(
                    self.bar.window(), explanation, charged=charged, when=when
                )

        self.runner.start_blocking(work, group="price-explain", on_result=show)

    def refresh_totals(self) -> None:
        try:
            session, today = self.accounting.session_totals(), self.accounting.today_totals()
        except LedgerError as exc:  # a damaged file found while reading: say so, keep going
            log.warning("usage totals unreadable: %s", exc)
            self.ledger_failed.emit(exc)
            return
        self.bar.set_totals(session, today)
        self.budgets.refresh()
        self.totals_changed.emit()
