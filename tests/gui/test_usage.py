"""The Usage tab (issue 18, item 2): the chart's figures are the ledger's sums, the period picker,
the tables, the CSV export, an unreadable ledger said in words, and the status bar's way in."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from playground.core.models import Endpoint, LedgerEntry, RequestStatus, Usage
from playground.core.money.formatting import format_cost, format_tokens
from playground.core.money.ledger import UsageLedger
from playground.core.money.usage import PeriodChoice
from tests.conftest import TODAY, AppHarness, Parts, WaitUntil


def _row(
    day: date, model: str, cost: str | None, endpoint: Endpoint = Endpoint.CHAT
) -> LedgerEntry:
    return LedgerEntry(
        time=datetime(day.year, day.month, day.day, 12, 0).astimezone(UTC),
        provider="OpenAI",
        model=model,
        endpoint=endpoint,
        usage=Usage(input_tokens=1000, output_tokens=200, cached_tokens=100, reasoning_tokens=50),
        cost=None if cost is None else Decimal(cost),
        latency_ms=10.0,
        status=RequestStatus.OK,
        session_id="s",
        conversation_id="conv-1",
    )


ROWS = [
    (TODAY, "gpt-4o", "0.0125", Endpoint.CHAT),
    (TODAY, "gpt-4o", "0.0075", Endpoint.CHAT),
    (TODAY, "text-embedding-3-small", "0.00002", Endpoint.EMBEDDINGS),
    (TODAY - timedelta(days=1), "gpt-4o-mini", "0.0003", Endpoint.CHAT),
    (TODAY - timedelta(days=3), "gpt-image-1", "0.04", Endpoint.IMAGES),
    (TODAY - timedelta(days=3), "mystery-model", None, Endpoint.CHAT),
    (TODAY - timedelta(days=20), "gpt-4o", "1.5", Endpoint.CHAT),  # outside the last 7 days
]


def _seed(ledger: UsageLedger) -> None:
    for day, model, cost, endpoint in ROWS:
        ledger.record(_row(day, model, cost, endpoint))


def chatted(
    make_app: Callable[..., AppHarness],
    qtbot: Any,
    wait_until: WaitUntil,
    text: str = "Hello",
    api: str = "chat.completions",
) -> AppHarness:
    """A new app that has sent `text` in Chat (through `api`) and got its answer."""
    from tests.gui.drivers import chat_idle, send_in_chat

    app = make_app()
    app.chat_tab.set_api(api)
    send_in_chat(app, qtbot, text)
    wait_until(chat_idle(app))
    return app


def open_usage(app: AppHarness, wait_until: WaitUntil) -> Any:
    """Shows the Usage tab and waits for its whole report; returns its controller."""
    app.window.show_tab("usage")
    usage = app.feature("usage")
    wait_until(lambda: usage.report is not None and usage.report.complete)
    return usage


def test_the_chart_shows_the_ledgers_sums_per_day_and_model(
    make_app: Callable[..., AppHarness], wait_until: WaitUntil
) -> None:
    app = make_app()
    ledger = app.services.ledger
    _seed(ledger)
    usage = open_usage(app, wait_until)
    view = usage.view
    view.set_period_choice(PeriodChoice.LAST_7)
    wait_until(
        lambda: usage.report.first == TODAY - timedelta(days=6) and not app.runner.is_busy("usage")
    )
    chart = view.chart
    assert len(chart.days) == 7
    assert chart.days[-1] == TODAY
    for i, day in enumerate(chart.days):
        drawn = sum((values[i] for values in chart.series.values()), Decimal(0))
        assert drawn == ledger.totals(day=day).cost, day
    assert chart.series["gpt-4o"][-1] == Decimal("0.0200")
    assert sum(sum(v) for v in chart.series.values()) == Decimal("0.06032")  # the $1.50 is older
    assert chart.plot.isVisibleTo(view)

    assert f"<b>{format_cost(Decimal('0.06032'))}</b>" in view.summary_label.text()
    assert "6 requests (1 with no known price)" in view.summary_label.text()
    models = [view.model_table.item(r, 0).text() for r in range(view.model_table.rowCount())]
    assert models == [
        "gpt-image-1",
        "gpt-4o",
        "gpt-4o-mini",
        "text-embedding-3-small",
        "mystery-model",
    ]
    assert view.model_table.item(4, 4).text().endswith("+ ?")
    kinds = {view.kind_table.item(r, 0).text() for r in range(view.kind_table.rowCount())}
    assert kinds == {"Chat and text", "Embeddings", "Images"}
    assert view.top_table.rowCount() == 5  # priced requests only
    assert view.top_table.item(0, 1).text() == "gpt-image-1"
    tokens = {
        view.tokens_table.item(r, 0).text(): view.tokens_table.item(r, 1).text()
        for r in range(view.tokens_table.rowCount())
    }
    assert tokens["  of which cached"] == format_tokens(600)
    assert tokens["Input tokens (all)"] == format_tokens(6000)

    view.set_stack_by("endpoint")  # stacked by kind of request instead
    wait_until(lambda: usage.report.stack_by == "endpoint" and usage.report.complete)
    assert set(chart.series) == {"Chat and text", "Embeddings", "Images"}

    view.set_period_choice(PeriodChoice.LAST_30)
    wait_until(lambda: len(usage.report.days) == 30 and usage.report.complete)
    assert usage.report.totals.cost == Decimal("1.56032")


def test_a_period_without_requests_says_so(
    make_app: Callable[..., AppHarness], wait_until: WaitUntil
) -> None:
    app = make_app()
    usage = open_usage(app, wait_until)
    assert usage.report.empty
    assert "No requests from" in usage.view.summary_label.text()
    assert usage.view.chart.empty_label.isVisibleTo(usage.view)
    assert "Nothing spent" in usage.view.chart.empty_label.text()
    assert not usage.view.export_button.isEnabled()


def test_export_csv_has_every_column_of_the_periods_rows(
    make_app: Callable[..., AppHarness], wait_until: WaitUntil, tmp_path: Path
) -> None:
    app = make_app()
    _seed(app.services.ledger)
    usage = open_usage(app, wait_until)
    target = tmp_path / "usage.csv"
    usage.view.ask_export_path = lambda _suggested: str(target)  # the file dialog's seam
    usage.view.export_button.click()
    wait_until(lambda: "Saved" in usage.view.message_label.text())
    assert usage.view.message_label.text() == "Saved 7 requests to usage.csv."
    with target.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 7
    assert {
        "time_utc",
        "local_date",
        "provider",
        "model",
        "endpoint",
        "input_tokens",
        "output_tokens",
        "cached_tokens",
        "reasoning_tokens",
        "images",
        "audio_seconds",
        "characters",
        "estimated",
        "cost",
        "latency_ms",
        "status",
        "session_id",
        "conversation_id",
        "request_id",
        "tab",
        "cache_write_tokens",
        "audio_tokens",
        "output_audio_tokens",
        "image_input_tokens",
        "image_output_tokens",
        "web_searches",
        "file_searches",
        "code_runs",
    } == set(rows[0])
    assert sorted(r["cost"] for r in rows) == sorted(c or "" for _d, _m, c, _e in ROWS)


def test_an_unreadable_ledger_is_said_on_the_page(
    parts: Parts, qtbot: Any, wait_until: WaitUntil
) -> None:
    from playground.ui.usage.controller import UsageController
    from playground.ui.usage.tab import UsageTab

    broken = UsageLedger.in_memory()
    broken.close()  # every read now fails
    view = UsageTab()
    qtbot.addWidget(view)
    usage = UsageController(view, lambda: broken, parts.runner, parts.counters, today=lambda: TODAY)
    wait_until(lambda: not parts.runner.is_busy("usage") and view.message_label.text())
    assert "could not be read" in view.message_label.text()
    assert usage.report is None
    assert view.chart.empty_label.text().startswith("Nothing to show")
    assert not view.export_button.isEnabled()
    # The app's own ledger (what sends write to) is untouched.
    parts.counters.refresh_totals()
    assert parts.services.ledger.totals().requests == 0


def test_clicking_todays_total_opens_the_usage_page(
    make_app: Callable[..., AppHarness], qtbot: Any, wait_until: WaitUntil
) -> None:
    app = make_app()
    assert app.window.current_tab_key() != "usage"
    qtbot.mouseClick(app.window.counters.today_label, Qt.MouseButton.LeftButton)
    assert app.window.current_tab_key() == "usage"
    wait_until(lambda: app.feature("usage").report is not None)


def test_the_chart_comes_first_then_the_tables(
    make_app: Callable[..., AppHarness], wait_until: WaitUntil
) -> None:
    """The first read fills the chart and the per-model table; the second the others."""
    app = make_app()
    _seed(app.services.ledger)
    usage = open_usage(app, wait_until)
    usage.view.kind_table.setRowCount(0)
    usage.refresh_now(complete=False)
    assert not usage.report.complete
    assert usage.view.model_table.rowCount() == 5
    assert usage.view.kind_table.rowCount() == 0
    assert (
        usage.report.totals.cost
        == app.services.ledger.totals(days=(usage.report.first, TODAY)).cost
    )
    usage.refresh()
    wait_until(lambda: usage.report.complete)
    assert usage.view.kind_table.rowCount() == 3


def test_the_period_and_stacking_survive_a_restart(
    make_app: Callable[..., AppHarness], wait_until: WaitUntil
) -> None:
    app = make_app()
    usage = open_usage(app, wait_until)
    usage.view.set_period_choice(PeriodChoice.LAST_90)
    usage.view.set_stack_by("endpoint")
    assert usage.save_state() == {"period": "90", "stack_by": "endpoint"}
    usage.restore_state({"period": "nonsense"})
    assert usage.view.period_choice() is PeriodChoice.LAST_30


def test_a_most_expensive_request_opens_its_conversation(
    make_app: Callable[..., AppHarness], fake_openai: Any, qtbot: Any, wait_until: WaitUntil
) -> None:
    app = chatted(make_app, qtbot, wait_until, "Remember the blue whale")
    wait_until(lambda: app.services.ledger.totals().requests == 1)
    first = app.services.ledger.recent(1)[0].conversation_id
    assert first
    app.chat.new_conversation()
    assert app.chat.state.conversation.id != first
    usage = open_usage(app, wait_until)
    view = usage.view
    assert view.top_table.rowCount() == 1
    assert not view.open_button.isEnabled()  # nothing chosen yet
    view.top_table.selectRow(0)
    assert view.open_button.isEnabled()
    qtbot.mouseClick(view.open_button, Qt.MouseButton.LeftButton)
    assert app.window.current_tab_key() == "chat"
    wait_until(lambda: app.chat.state.conversation.id == first)


def _bill_page(app: AppHarness, wait_until: WaitUntil) -> Any:
    usage = open_usage(app, wait_until)
    page = usage.bill_page
    wait_until(lambda: page.key_status.text() != "")
    return usage, page


def test_without_an_admin_key_the_bill_page_says_what_it_would_show(
    make_app: Callable[..., AppHarness], wait_until: WaitUntil
) -> None:
    app = make_app()
    _usage, page = _bill_page(app, wait_until)
    assert "admin key" in page.intro_label.text()
    assert "Without one, nothing is sent" in page.intro_label.text()
    assert page.key_status.text() == "No admin key stored."
    assert not page.check_button.isEnabled()


@pytest.mark.parametrize("good_key", [True, False])
def test_the_ledger_is_checked_against_openais_bill(
    make_app: Callable[..., AppHarness],
    fake_openai: Any,
    qtbot: Any,
    wait_until: WaitUntil,
    good_key: bool,
) -> None:
    admin = "sk-admin-test-1234567890"
    fake_openai.scenario.admin_key = admin
    fake_openai.scenario.org_costs = {
        TODAY.isoformat(): 0.05,
        (TODAY - timedelta(days=1)).isoformat(): 0.0003,
    }
    fake_openai.scenario.org_usage = {
        TODAY.isoformat(): {"gpt-4o": (2000, 400, 2), "o3": (10, 1, 1)}
    }
    app = make_app()
    _seed(app.services.ledger)
    usage, page = _bill_page(app, wait_until)
    usage.view.set_period_choice(PeriodChoice.LAST_7)
    page.key_edit.setText(admin if good_key else "sk-proj-not-an-admin-key")
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: page.key_status.text().startswith("Admin key stored"))
    assert admin not in page.key_status.text()  # masked
    assert page.key_edit.text() == ""
    qtbot.mouseClick(page.check_button, Qt.MouseButton.LeftButton)
    if not good_key:
        wait_until(lambda: "(401)" in page.message_label.text())
        assert "ordinary API key cannot read the bill" in page.message_label.text()
        return
    wait_until(lambda: usage.reconciliation is not None)
    rec = usage.reconciliation
    assert rec.days[-1].day == TODAY
    assert rec.days[-1].ledger == app.services.ledger.totals(day=TODAY).cost
    assert rec.days[-1].bill == Decimal("0.05")
    days = page.cells(page.days_table)
    assert len(days) == 7
    assert days[-1][2] == format_cost(Decimal("0.05"))
    models = {row[0]: row for row in page.cells(page.models_table)}
    assert models["o3"][1:3] == ["0", "1"]
    assert "Likely reasons" in page.reasons_label.text()
    assert "OpenAI billed" in page.message_label.text()
