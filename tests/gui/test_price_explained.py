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
from tests.gui.test_usage import chatted


def test_clicking_the_last_cost_explains_it(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: WaitUntil
) -> None:
    app = chatted(make_app, qtbot, wait_until)
    assert len(fake_openai.requests_to("/chat/completions")) == 1
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


def test_chats_reply_line_and_conversation_totals_explain_their_costs(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: WaitUntil
) -> None:
    app = make_app()
    app.chat_tab.set_api("chat.completions")
    for text in ("Hello", "And again"):
        send_in_chat(app, qtbot, text)
        wait_until(lambda: bool(app.services.ledger.recent()) and chat_idle(app)())
        wait_until(chat_idle(app))
    conversation_id = app.feature("chat").conversation.id
    rows = app.services.ledger.conversation_rows(conversation_id)
    assert len(rows) == 2
    assert all(row.cost is not None and row.tab == "chat" for row in rows)
    counters = app.controller.features.context.counters
    view = app.chat_tab

    # The reply line under the answer: the newest request alone.
    assert "$" in view.reply_info.text()
    qtbot.mouseClick(view.reply_info, Qt.MouseButton.LeftButton)
    wait_until(lambda: counters.price_dialog is not None and counters.price_dialog.isVisible())
    dialog = counters.price_dialog
    assert dialog.explanation.total == rows[-1].cost
    assert dialog.explanation.usage == rows[-1].usage
    assert dialog.lines_text()[-1] == ["Total", "", "", format_cost_full(rows[-1].cost)]
    assert "recorded at" not in dialog.notes_label.text()
    dialog.close()
    counters.price_dialog = None

    # The conversation totals: every request, line by line, adding up to what was recorded.
    qtbot.mouseClick(view.conversation_totals, Qt.MouseButton.LeftButton)
    wait_until(lambda: counters.price_dialog is not None and counters.price_dialog.isVisible())
    dialog = counters.price_dialog
    recorded = app.services.ledger.totals(conversation_id=conversation_id).cost
    e = dialog.explanation
    assert e.total == recorded == sum(line.amount for line in e.lines)
    names = [row[0] for row in dialog.lines_text()]
    assert sum("Input tokens (not cached)" in n for n in names) == 2
    assert all(row.model in n for row, n in zip(rows, names[::2], strict=False))
    assert dialog.lines_text()[-1][-1] == format_cost_full(recorded)
    dialog.close()
