"""Budgets that hold (issue 18, item 1): a send over a limit is stopped with a clear message and
"Send anyway" / "Allow for the rest of today", never silently; the status bar warns at the chosen
percentages; Prompt Lab's run is checked by its whole estimate; Settings → Budgets validates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton

from playground.core.lab.suite import TestCase
from playground.core.models import Endpoint, LedgerEntry, RequestStatus, Usage
from playground.core.money.budgets import STATE_KEY
from playground.core.storage.settings import ChatSettings, Settings
from tests.conftest import AppHarness, MakeParts, WaitUntil
from tests.fakes.openai_server import FakeOpenAI
from tests.gui.drivers import chat_idle, opener, send_in_chat
from tests.gui.test_lab import LabTab


def _settings(
    fake: FakeOpenAI, *budgets: dict[str, str], warn_at: list[int] | None = None
) -> Settings:
    from playground.core.models import ProviderProfile

    profile = ProviderProfile(id="openai", name="OpenAI", base_url=fake.base_url, max_retries=0)
    state: dict[str, Any] = {"budgets": list(budgets)}
    if warn_at is not None:
        state["warn_at"] = warn_at
    return Settings(
        profiles=(profile,),
        chat=ChatSettings(model="gpt-4o-mini"),
        first_run_done=True,
        tabs={STATE_KEY: state},
    )


def _spend(services: Any, cost: str, provider: str = "OpenAI") -> None:
    """A request already in today's ledger, costing `cost` dollars."""
    services.accounting.ledger.record(
        LedgerEntry(
            time=datetime.now(UTC),
            provider=provider,
            model="gpt-4o-mini",
            endpoint=Endpoint.CHAT,
            usage=Usage(input_tokens=10, output_tokens=10),
            cost=Decimal(cost),
            latency_ms=1.0,
            status=RequestStatus.OK,
            session_id="earlier",
        )
    )


def _box(name: str) -> QMessageBox | None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMessageBox) and widget.objectName() == name and widget.isVisible():
            return widget
    return None


def _button(box: QMessageBox, name: str) -> QPushButton:
    button = box.findChild(QPushButton, name)
    assert button is not None
    return button


def _asked(app: AppHarness, qtbot: Any, wait_until: WaitUntil, text: str) -> QMessageBox:
    """Sends `text` in Chat and returns the budget question it opens."""
    send_in_chat(app, qtbot, text)
    wait_until(lambda: _box("chatBudget") is not None)
    box = _box("chatBudget")
    assert box is not None
    return box


def _answer(
    app: AppHarness,
    fake: FakeOpenAI,
    box: QMessageBox,
    name: str,
    sent: int,
    qtbot: Any,
    wait_until: WaitUntil,
) -> None:
    """Clicks the budget question's button `name` and waits until `sent` chat requests went out
    and the last answer arrived."""
    qtbot.mouseClick(_button(box, name), Qt.MouseButton.LeftButton)
    wait_until(lambda: len(fake.requests_to("/chat/completions")) == sent)
    wait_until(chat_idle(app))


def _over_the_days_limit(
    make_app: Callable[..., AppHarness],
    fake: FakeOpenAI,
    qtbot: Any,
    wait_until: WaitUntil,
    text: str,
) -> tuple[AppHarness, QMessageBox]:
    """An app whose $0.01 daily limit is spent ($0.02 today), and the question sending `text`
    opens."""
    app = make_app(settings=_settings(fake, {"period": "day", "limit": "0.01"}))
    app.chat_tab.set_api("chat.completions")
    _spend(app.services, "0.02")
    return app, _asked(app, qtbot, wait_until, text)


def test_a_send_at_the_days_limit_is_stopped_and_can_be_sent_anyway(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: WaitUntil
) -> None:
    app, box = _over_the_days_limit(make_app, fake_openai, qtbot, wait_until, "Hello there")
    assert "You have spent $0.02 of your $0.01 limit for today" in box.text()
    assert "the limit is reached" in box.text()
    assert "Settings → Budgets" in box.text()
    assert fake_openai.requests_to("/chat/completions") == []

    qtbot.mouseClick(_button(box, "budgetDontSend"), Qt.MouseButton.LeftButton)
    wait_until(lambda: _box("chatBudget") is None)
    assert fake_openai.requests_to("/chat/completions") == []
    assert "Not sent" in app.chat_tab.error_label.text()
    assert app.chat_tab.input_edit.toPlainText() == "Hello there"  # nothing lost

    box = _asked(app, qtbot, wait_until, "Hello there")
    _answer(app, fake_openai, box, "budgetSendAnyway", 1, qtbot, wait_until)

    send_in_chat(app, qtbot, "And again")  # "Send anyway" was for one send only
    wait_until(lambda: _box("chatBudget") is not None)


def test_allow_for_the_rest_of_today_lets_the_next_sends_through(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: WaitUntil
) -> None:
    app = make_app(settings=_settings(fake_openai, {"period": "session", "limit": "5"}))
    app.chat_tab.set_api("chat.completions")
    _spend_session(app.services, "5")
    box = _asked(app, qtbot, wait_until, "One")
    assert "limit for this session" in box.text()
    _answer(app, fake_openai, box, "budgetAllowToday", 1, qtbot, wait_until)
    send_in_chat(app, qtbot, "Two")
    wait_until(lambda: len(fake_openai.requests_to("/chat/completions")) == 2)
    assert _box("chatBudget") is None


def test_allow_for_the_rest_of_today_outlasts_a_restart_that_day(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: WaitUntil
) -> None:
    app, box = _over_the_days_limit(make_app, fake_openai, qtbot, wait_until, "One")
    _answer(app, fake_openai, box, "budgetAllowToday", 1, qtbot, wait_until)
    # Kept at once (no quit needed): the settings file says so.
    saved = app.services.settings_store.load().tabs[STATE_KEY]
    assert (
        saved["allowed_on"] == app.controller.features.context.counters.budgets.today().isoformat()
    )
    assert saved["budgets"] == [{"period": "day", "limit": "0.01"}]

    again = make_app(home=app.home)  # a restart the same day: no question
    again.chat_tab.set_api("chat.completions")
    assert again.controller.features.context.counters.budgets.allowed_today()
    send_in_chat(again, qtbot, "Two")
    wait_until(lambda: len(fake_openai.requests_to("/chat/completions")) == 2)
    assert _box("chatBudget") is None


def _spend_session(services: Any, cost: str) -> None:
    """A request of this app session already in the ledger, costing `cost` dollars."""
    services.accounting.ledger.record(
        LedgerEntry(
            time=datetime.now(UTC),
            provider="OpenAI",
            model="gpt-4o-mini",
            endpoint=Endpoint.CHAT,
            usage=Usage(),
            cost=Decimal(cost),
            latency_ms=None,
            status=RequestStatus.OK,
            session_id=services.accounting.session_id,
        )
    )


def test_a_request_that_could_cross_the_limit_says_so_before_it_goes(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: WaitUntil
) -> None:
    """Under the limit now, but the upper end of the request (its whole maximum output) is not."""
    app = make_app(settings=_settings(fake_openai, {"period": "month", "limit": "1"}))
    _spend(app.services, "0.999")
    send_in_chat(app, qtbot, "Write a long story")
    wait_until(lambda: _box("chatBudget") is not None)
    box = _box("chatBudget")
    assert box is not None
    assert "limit for this month" in box.text()
    assert "This request may cost up to $0.0" in box.text()
    assert "That could take you over the limit." in box.text()
    box.reject()
    wait_until(lambda: _box("chatBudget") is None)
    assert fake_openai.requests_to("/chat/completions") == []


def test_a_budget_for_another_provider_does_not_stop_this_one(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: WaitUntil
) -> None:
    app = make_app(
        settings=_settings(fake_openai, {"period": "day", "limit": "0.01", "provider": "Azure"})
    )
    app.chat_tab.set_api("chat.completions")
    _spend(app.services, "1", provider="Azure")
    send_in_chat(app, qtbot, "Hello")
    wait_until(lambda: len(fake_openai.requests_to("/chat/completions")) == 1)
    assert _box("chatBudget") is None


def test_the_status_bar_warns_at_the_chosen_percentage_once(
    make_parts: MakeParts, fake_openai: FakeOpenAI
) -> None:
    settings = _settings(fake_openai, {"period": "day", "limit": "1"}, warn_at=[50, 80])
    parts = make_parts(settings)
    gate, bar = parts.counters.budgets, parts.counters.bar
    warnings: list[str] = []
    gate.warning_crossed.connect(warnings.append)
    gate.set_settings_source(lambda: settings)
    assert bar.budget_label.text() == "Budget: 0% of $1.00 today"
    assert bar.budget_label.property("budgetLevel") == 0
    assert warnings == []

    _spend(parts.services, "0.55")
    parts.counters.refresh_totals()
    assert bar.budget_label.text() == "Budget: 55% of $1.00 today"
    assert bar.budget_label.property("budgetLevel") == 1
    assert bar.budget_label.styleSheet()  # a quiet colour
    assert len(warnings) == 1
    assert "You have spent $0.55 of your $1.00 limit for today (55%" in warnings[0]

    parts.counters.refresh_totals()
    assert len(warnings) == 1  # said once per percentage

    _spend(parts.services, "0.30")
    parts.counters.refresh_totals()
    assert len(warnings) == 2  # 80 % crossed

    _spend(parts.services, "0.20")
    parts.counters.refresh_totals()
    assert bar.budget_label.property("budgetLevel") == 2
    assert "limit is reached" in warnings[-1]


def test_no_budget_no_read_out(parts: Any) -> None:
    parts.counters.budgets.set_settings_source(lambda: Settings())
    assert not parts.counters.bar.budget_label.isVisibleTo(parts.counters.bar)


def test_a_lab_run_is_refused_by_its_estimate(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: WaitUntil
) -> None:
    lab = opener(LabTab, make_app, qtbot, wait_until)(
        settings=_settings(fake_openai, {"period": "day", "limit": "0.0001"})
    )
    view = lab.set_up([TestCase({"country": "France"}), TestCase({"country": "Peru"})])
    lab.click(view.run_button)
    wait_until(lambda: _box("labBudget") is not None)
    box = _box("labBudget")
    assert box is not None
    assert "This run may cost up to $" in box.text()
    assert "That could take you over the limit." in box.text()
    qtbot.mouseClick(_button(box, "budgetDontSend"), Qt.MouseButton.LeftButton)
    wait_until(lambda: _box("labBudget") is None)
    assert "Not run." in view.status_label.text()
    assert fake_openai.requests_to("/chat/completions") == []

    lab.click(view.run_button)
    wait_until(lambda: _box("labBudget") is not None)
    box = _box("labBudget")
    assert box is not None
    qtbot.mouseClick(_button(box, "budgetSendAnyway"), Qt.MouseButton.LeftButton)
    lab.wait_done()
    assert len(fake_openai.requests_to("/chat/completions")) == 2


@pytest.mark.parametrize("typed", ["0", "-2"])
def test_settings_refuses_a_limit_of_zero_or_less_in_plain_words(
    make_app: Callable[..., AppHarness], typed: str
) -> None:
    from playground.ui.shell.settings_dialog import SettingsDialog

    app = make_app()
    dialog = SettingsDialog(app.controller.settings, app.window)
    dialog.findChild(object, "budgetDayLimit").setText(typed)
    dialog._on_ok()
    assert not dialog.result()  # not accepted
    assert "A limit must be more than $0" in dialog.problems_label.text()
    dialog.close()


def test_settings_keeps_the_budgets(make_app: Callable[..., AppHarness]) -> None:
    from playground.ui.shell.settings_dialog import SettingsDialog

    app = make_app()
    dialog = SettingsDialog(app.controller.settings, app.window)
    dialog.findChild(object, "budgetMonthLimit").setText("$20")
    provider = dialog.findChild(object, "budgetMonthProvider")
    provider.setCurrentIndex(provider.findData("OpenAI"))
    dialog.findChild(object, "budgetWarnAt").setText("50, 90")
    state = dialog.result_settings().tabs[STATE_KEY]
    assert state["budgets"] == [{"period": "month", "limit": "20", "provider": "OpenAI"}]
    assert state["warn_at"] == [50, 90]
    dialog.close()


def test_update_prices_now_from_settings_shows_the_data_before_and_after(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, wait_until: WaitUntil
) -> None:
    import json

    import genai_prices.data_snapshot

    from tests.unit.test_price_update import TABLE

    url = fake_openai.serve_file(json.dumps(TABLE).encode())
    app = make_app(environ={"PLAYGROUND_PRICES_URL": url})
    try:
        dialog = app.controller.open_settings()
        assert dialog.price_data_label.text() == "Newer prices are downloaded only when you ask."
        dialog.update_prices_button.click()
        wait_until(lambda: dialog.price_data_label.text().startswith("Prices updated"))
        text = dialog.price_data_label.text()
        assert "Before: genai-prices" in text
        assert "Now: downloaded" in text
        assert dialog.update_prices_button.isEnabled()
        assert app.services.pricer.cost("gpt-4o-mini", Usage(input_tokens=1_000_000)) == Decimal(
            "0.3"
        )
        dialog.reject()
        # A restart (genai-prices' table in memory is gone) uses the kept download again.
        genai_prices.data_snapshot.set_custom_snapshot(None)
        again = make_app(home=app.home, environ={"PLAYGROUND_PRICES_URL": url})
        price = again.services.pricer.cost("gpt-4o-mini", Usage(input_tokens=1_000_000))
        assert price == Decimal("0.3")
        dialog = again.controller.open_settings()
        wait_until(lambda: dialog.price_age_label.text().startswith("downloaded"))
        dialog.reject()
    finally:
        genai_prices.data_snapshot.set_custom_snapshot(None)
