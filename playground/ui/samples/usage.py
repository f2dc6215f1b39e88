"""Sample content for `--screenshot`: the Usage tab over a month of made-up requests (in a ledger
in memory, nothing written to the user's), Settings → Budgets filled in, and the question asked at
a limit.

Nothing here is used when the app runs normally.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from PySide6.QtWidgets import QApplication, QLabel, QWidget

from playground.core.models import Endpoint, LedgerEntry, RequestStatus, Usage
from playground.core.money.budgets import (
    STATE_KEY,
    Budget,
    BudgetSettings,
    Period,
    budgets_to_state,
    check,
)
from playground.core.money.explain import explain
from playground.core.money.ledger import UsageLedger
from playground.core.money.ratelimits import RateLimits
from playground.core.money.reconcile import Bill, ModelUsage, reconcile
from playground.ui.shell.budget_gate import budget_box
from playground.ui.shell.budgets_page import BudgetsPage
from playground.ui.shell.price_dialog import PriceDialog
from playground.ui.shell.rate_limits_popup import RateLimitsPopup
from playground.ui.usage.controller import UsageController

# (model, kind, input $/Mtok, output $/Mtok, requests a day at most, the tabs that send it)
_MODELS = (
    ("gpt-4o-mini", Endpoint.CHAT, "0.15", "0.60", 14, ("chat", "chat", "compare")),
    ("gpt-4.1", Endpoint.CHAT, "2", "8", 4, ("chat", "lab")),
    ("gpt-image-1", Endpoint.IMAGES, "5", "40", 1, ("images",)),
    ("text-embedding-3-small", Endpoint.EMBEDDINGS, "0.02", "0", 3, ("embeddings",)),
)


def sample_ledger(today: datetime, days: int = 30, seed: int = 18) -> UsageLedger:
    """A ledger in memory with `days` days of plausible requests up to `today`."""
    ledger = UsageLedger.in_memory()
    rng = random.Random(seed)
    for back in range(days):
        day = (today - timedelta(days=back)).date()
        for model, endpoint, inp, out, most, tabs in _MODELS:
            for n in range(rng.randint(0, most)):
                tokens_in = rng.randint(200, 6000)
                tokens_out = 0 if endpoint is Endpoint.EMBEDDINGS else rng.randint(50, 1500)
                cost = (Decimal(inp) * tokens_in + Decimal(out) * tokens_out) / Decimal(1_000_000)
                moment = datetime.combine(day, time(9 + n % 10, rng.randint(0, 59)))
                ledger.record(
                    LedgerEntry(
                        time=moment.astimezone(UTC),
                        provider="OpenAI",
                        model=model,
                        endpoint=endpoint,
                        usage=Usage(
                            input_tokens=tokens_in,
                            output_tokens=tokens_out,
                            cached_tokens=tokens_in // 4 if n % 3 == 0 else 0,
                            reasoning_tokens=tokens_out // 5 if model == "gpt-4.1" else 0,
                            images=1 if endpoint is Endpoint.IMAGES else 0,
                            image_output_tokens=tokens_out if endpoint is Endpoint.IMAGES else 0,
                        ),
                        cost=cost,
                        latency_ms=float(rng.randint(300, 4000)),
                        status=RequestStatus.OK,
                        session_id="sample",
                        conversation_id=f"conversation-{rng.randint(1, 6)}",
                        tab=tabs[n % len(tabs)],
                    )
                )
    return ledger


def fill(controller: UsageController) -> list[tuple[str, QWidget]]:
    """The tab over the sample month, then Settings → Budgets and the question at a limit."""
    now = datetime.combine(controller.today(), time(18, 0))
    ledger = sample_ledger(now)
    controller.ledger = lambda: ledger
    controller.refresh_now()
    view = controller.view
    shots: list[tuple[str, QWidget]] = []

    budgets = BudgetSettings(
        (Budget(Period.DAY, Decimal(2)), Budget(Period.MONTH, Decimal(25), "OpenAI")), (50, 80)
    )
    page = BudgetsPage(budgets_to_state(budgets), ["OpenAI", "Local server"])
    page.resize(640, 320)
    shots.append(("settings-budgets", page))
    verdict = check(
        BudgetSettings((budgets.budgets[0],)),
        lambda _b: Decimal("1.96"),
        upcoming=Decimal("0.0982"),
    )
    box, _send, _allow = budget_box(view, "chatBudget", verdict.message)
    box.show()  # laid out (and its text wrapped) as the user sees it
    shots.append(("budget-question", box))
    assert STATE_KEY  # the page edits Settings.tabs[STATE_KEY]
    chat = [e for e in ledger.recent(200) if e.model == "gpt-4.1" and e.usage.cached_tokens]
    if controller.pricer is not None and chat:
        top = chat[0]
        explanation = explain(controller.pricer, top.model, top.usage, at=top.time)
        dialog = PriceDialog(explanation, view, when="sample request")
        dialog.show()
        shots.append(("price-explained", dialog))
    pictures = [e for e in ledger.recent(200) if e.endpoint is Endpoint.IMAGES]
    if controller.pricer is not None and pictures:  # an Images row keeps its image tokens
        row = pictures[0]
        explanation = explain(controller.pricer, row.model, row.usage, at=row.time)
        dialog = PriceDialog(explanation, view, when="sample picture")
        dialog.show()
        shots.append(("price-explained-image", dialog))
    if controller.bill_page is not None and controller.report is not None:
        last = controller.report.last
        first = last - timedelta(days=6)
        costs = {
            first + timedelta(days=i): ledger.totals(day=first + timedelta(days=i)).cost
            * Decimal("1.18")
            for i in range(7)
        }
        extra = {"gpt-5-mini": ModelUsage(41, 120_400, 20_100)}
        bill = Bill(costs, extra)
        controller.bill_page.set_key_state(True, "Admin key stored: sk-ad…9f2c.")
        controller.bill_page.show_reconciliation(reconcile(ledger, bill, first, last, "OpenAI"))
        view.tables.setCurrentWidget(controller.bill_page)
        shots.append(("bill", _picture(view)))  # taken now: the tab goes back to its first table
        view.tables.setCurrentIndex(0)
    view.set_stack_by("tab")  # spend by tab, with its table
    controller.refresh_now()
    view.tables.setCurrentWidget(view.tab_table)
    shots.append(("by-tab", _picture(view)))  # taken now: the tab's own picture is by model
    view.tables.setCurrentWidget(view.tokens_table)
    shots.append(("tokens-by-kind", _picture(view)))
    view.set_stack_by("model")
    controller.refresh_now()
    view.tables.setCurrentIndex(0)
    limits = RateLimits()
    for model, left in (("gpt-4.1", "412"), ("gpt-4o-mini", "9870")):
        limits.take(
            model,
            {
                "x-ratelimit-limit-requests": "500" if model == "gpt-4.1" else "10000",
                "x-ratelimit-remaining-requests": left,
                "x-ratelimit-reset-requests": "7s",
                "x-ratelimit-limit-tokens": "30000",
                "x-ratelimit-remaining-tokens": "18250",
                "x-ratelimit-reset-tokens": "23s",
            },
        )
    gauges = RateLimitsPopup(limits, view)
    gauges.show()
    shots.append(("rate-limits", gauges))
    return shots


def _picture(view: QWidget) -> QLabel:
    """What `view` shows now, laid out as the user sees it, kept as a picture of its full size."""
    QApplication.processEvents()
    picture = QLabel()
    pixmap = view.grab()
    picture.setPixmap(pixmap)
    picture.resize(pixmap.deviceIndependentSize().toSize())
    return picture
