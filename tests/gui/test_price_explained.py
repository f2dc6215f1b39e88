"""Every price explained (issue 18, item 3): clicking a cost opens how it was made, and its lines
add up to what the ledger recorded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt

from playground.core.models import Endpoint, LedgerEntry, RequestStatus, Usage
from playground.core.money.formatting import format_cost_full
from tests.conftest import TODAY, AppHarness, WaitUntil
from tests.fakes.openai_server import FakeOpenAI
from tests.gui.drivers import chat_idle, send_in_chat


def test_clicking_the_last_cost_explains_it(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: WaitUntil
) -> None:
    app = make_app()
    app.chat_tab.set_api("chat.completions")
    send_in_chat(app, qtbot, "Hello")
    wait_until(lambda: len(fake_openai.requests_to("/chat/completions")) == 1)
    wait_until(chat_idle(app))
    counters = app.controller.features.context.counters
    entry = app.services.ledger.recent(1)[0]
    assert entry.cost is not None
    assert entry.usage.input_tokens
    qtbot.mouseClick(app.window.counters.last_label, Qt.MouseButton.LeftButton)
    wait_until(lambda: counters.price_dialog is not None and counters.price_dialog.isVisible())
    dialog = counters.price_dialog
    rows = dialog.lines_text()
    assert rows[0][0] == "Input tokens (not cached)"
    assert rows[0][1] == f"{entry.usage.input_tokens:,}"
    assert rows[-1] == ["Total", "", "", format_cost_full(entry.cost)]
    e = dialog.explanation
    assert sum(line.amount for line in e.lines) == entry.cost
    assert "genai-prices" in dialog.notes_label.text()
    dialog.close()


def test_a_usage_row_explains_its_price_and_says_when_prices_changed(
    make_app: Callable[..., AppHarness], qtbot: Any, wait_until: WaitUntil
) -> None:
    app = make_app()
    usage = Usage(input_tokens=10_000, cached_tokens=2_000, output_tokens=3_000)
    app.services.ledger.record(
        LedgerEntry(
            time=datetime(TODAY.year, TODAY.month, TODAY.day, 10).astimezone(UTC),
            provider="OpenAI",
            model="gpt-4.1",
            endpoint=Endpoint.CHAT,
            usage=usage,
            cost=Decimal("9.99"),  # not what the table says: the dialog must say so
            latency_ms=5.0,
            status=RequestStatus.OK,
            session_id="s",
        )
    )
    app.window.show_tab("usage")
    page = app.feature("usage")
    wait_until(lambda: page.report is not None and page.report.complete)
    view = page.view
    assert view.top_table.rowCount() == 1
    view.top_table.cellClicked.emit(0, 5)
    wait_until(lambda: page.price_dialog is not None and page.price_dialog.isVisible())
    dialog = page.price_dialog
    names = [row[0] for row in dialog.lines_text()]
    assert names == [
        "Input tokens (not cached)",
        "Cached input tokens",
        "Output tokens (reasoning included)",
        "Total",
    ]
    expected = app.services.pricer.cost("gpt-4.1", usage)
    assert dialog.explanation.total == expected
    assert "recorded at $9.99" in dialog.notes_label.text()
    dialog.close()
