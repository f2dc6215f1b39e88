"""Spend by tab and tokens by kind (issue 18, item 2): each tab's requests are recorded with their
tab, the chart stacks by tab, and an Images row keeps its image tokens, so its price is explained
again line by line."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt

from playground.core.models import Endpoint
from playground.core.money.formatting import format_cost_full, format_tokens
from tests.conftest import TODAY, AppHarness, WaitUntil
from tests.fakes.openai_server import FakeOpenAI
from tests.gui.test_usage import chatted, open_usage


def _chat_and_a_picture(
    make_app: Callable[..., AppHarness], fake: FakeOpenAI, qtbot: Any, wait_until: WaitUntil
) -> AppHarness:
    """An app whose ledger holds one Chat request and one picture made in the Images tab."""
    fake.scenario.models = ["gpt-4o-mini", "gpt-image-1.5"]
    app = chatted(make_app, qtbot, wait_until)
    app.window.show_tab("images")
    images = app.feature("images")
    app.controller.refresh_models()
    wait_until(lambda: images.view.model_combo.count() > 0)
    wait_until(lambda: not app.runner.is_busy("images-load"))
    images.view.set_model("gpt-image-1.5")
    images.view.prompt.setPlainText("A lighthouse at dusk")
    qtbot.mouseClick(images.view.generate_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: not app.runner.is_busy("images"))
    assert len(app.services.ledger.recent()) == 2
    return app


def test_the_chart_stacks_spend_by_the_tab_that_sent_it(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: WaitUntil
) -> None:
    app = _chat_and_a_picture(make_app, fake_openai, qtbot, wait_until)
    ledger = app.services.ledger
    rows = {e.endpoint: e for e in ledger.recent()}
    assert rows[Endpoint.CHAT].tab == "chat"
    assert rows[Endpoint.IMAGES].tab == "images"

    page = open_usage(app, wait_until)
    view = page.view
    view.set_stack_by("tab")
    wait_until(lambda: page.report.stack_by == "tab" and page.report.complete)
    chart = view.chart
    assert set(chart.series) == {"Chat", "Images"}
    today = chart.days.index(TODAY)
    for entry in rows.values():
        assert entry.cost is not None
    assert chart.series["Chat"][today] == rows[Endpoint.CHAT].cost
    assert chart.series["Images"][today] == rows[Endpoint.IMAGES].cost
    drawn = sum((values[today] for values in chart.series.values()), Decimal(0))
    assert drawn == ledger.totals(day=TODAY).cost

    tabs = {view.tab_table.item(r, 0).text(): r for r in range(view.tab_table.rowCount())}
    assert set(tabs) == {"Chat", "Images"}
    assert view.tab_table.item(tabs["Images"], 1).text() == "1"
    # The choice is kept with the tab's state.
    assert page.save_state()["stack_by"] == "tab"


def test_an_images_row_keeps_its_image_tokens_and_is_explained_again(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: WaitUntil
) -> None:
    app = _chat_and_a_picture(make_app, fake_openai, qtbot, wait_until)
    [picture] = [e for e in app.services.ledger.recent() if e.endpoint is Endpoint.IMAGES]
    assert picture.usage.image_output_tokens > 0
    assert picture.cost is not None

    page = open_usage(app, wait_until)
    view = page.view
    # "of which images" is listed under input, then under output tokens.
    image_lines = [
        view.tokens_table.item(r, 1).text()
        for r in range(view.tokens_table.rowCount())
        if view.tokens_table.item(r, 0).text() == "  of which images"
    ]
    assert len(image_lines) == 2
    assert image_lines[-1] == format_tokens(picture.usage.image_output_tokens)

    row = next(i for i, e in enumerate(view.top_entries) if e.endpoint is Endpoint.IMAGES)
    view.top_table.cellClicked.emit(row, view.top_table.columnCount() - 1)
    wait_until(lambda: page.price_dialog is not None and page.price_dialog.isVisible())
    dialog = page.price_dialog
    names = [line[0] for line in dialog.lines_text()]
    assert "Image output tokens" in names
    assert dialog.explanation.total == picture.cost
    assert dialog.lines_text()[-1][-1] == format_cost_full(picture.cost)
    assert "cannot be worked out again" not in dialog.notes_label.text()
    dialog.close()
