"""The window fits the screen it opens on, and the status-bar counters never clip (issue 20, items
16 and 19)."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

from PySide6.QtWidgets import QApplication, QDialog, QWidget

from playground.core.models import Usage, UsageTotals
from playground.core.storage.window_state import UiSettings
from playground.ui.shell.counters_bar import CountersBar
from playground.ui.shell.main_window import MainWindow, TabSpec, fit_to_screen


def _window(qtbot: Any) -> MainWindow:
    window = MainWindow([TabSpec("chat", "Chat", "chat", QWidget())])
    qtbot.addWidget(window)
    return window


def _fits(window: MainWindow) -> bool:
    area = window.screen().availableGeometry()
    return area.contains(window.frameGeometry())


def test_the_default_size_fits_a_small_screen(qtbot: Any) -> None:
    area = QApplication.primaryScreen().availableGeometry()
    window = _window(qtbot)
    # the offscreen screen (800×800) is narrower than the default 1180×760
    assert area.width() < 1180
    assert window.width() <= area.width()
    assert window.height() <= area.height()
    window.show()
    assert _fits(window)


def test_a_stored_size_from_a_larger_screen_is_clamped(qtbot: Any) -> None:
    big = _window(qtbot)
    big.setMinimumSize(1, 1)
    big.setGeometry(300, 200, 2400, 1500)  # as saved on a larger screen
    saved = base64.b64encode(bytes(big.saveGeometry().data())).decode()
    window = _window(qtbot)
    window.restore_layout(UiSettings(geometry=saved))
    window.show()
    assert _fits(window)


def test_the_minimum_size_never_exceeds_the_screen(qtbot: Any) -> None:
    window = _window(qtbot)
    area = window.screen().availableGeometry()
    window.resize(5000, 5000)
    window.move(-4000, 3000)
    window.fit_to_screen()
    assert window.minimumWidth() <= area.width()
    assert window.minimumHeight() <= area.height()
    assert _fits(window)


def _totals(cost: str, requests: int, unpriced: int = 0) -> UsageTotals:
    return UsageTotals(
        requests=requests, usage=Usage(1000, 2000), cost=Decimal(cost), unpriced=unpriced
    )


def test_counters_shrink_with_an_ellipsis_and_keep_the_whole_text_in_the_tooltip(
    qtbot: Any,
) -> None:
    bar = CountersBar()
    qtbot.addWidget(bar)
    bar.set_totals(_totals("0.00007335", 12), _totals("1.5", 1234))
    bar.set_last(Usage(12345, 67890), Decimal("0.00007335"))
    bar.resize(bar.sizeHint())
    bar.show()
    assert bar.today_label.shown_text() == bar.today_label.text()  # room enough: whole
    assert "12 requests" in bar.session_label.text()
    bar.resize(bar.minimumSizeHint().width() + 10, bar.height())
    label = bar.session_label
    assert label.text() == "Session: $0.000073 · 3,000 tok · 12 requests"  # the whole text
    assert label.shown_text().endswith("…")
    assert label.fontMetrics().horizontalAdvance(label.shown_text()) <= label.width()
    assert label.toolTip().startswith(label.text())
    assert bar.minimumSizeHint().width() < bar.sizeHint().width()


def test_money_tooltips_give_the_full_figure(qtbot: Any) -> None:
    bar = CountersBar()
    qtbot.addWidget(bar)
    bar.set_last(Usage(41, 112), Decimal("0.00007335"))
    assert "$0.000073" in bar.last_label.text()
    assert "$0.00007335" in bar.last_label.toolTip()
    bar.set_draft(169, Decimal("0.0000253"))
    assert "≈$0.000025" in bar.draft_label.text()
    assert "$0.0000253" in bar.draft_label.toolTip()
    assert "estimate" in bar.draft_label.toolTip()


def test_the_question_mark_is_explained(qtbot: Any) -> None:
    bar = CountersBar()
    qtbot.addWidget(bar)
    bar.set_totals(_totals("0.5", 3), _totals("0.5", 5, unpriced=2))
    assert "+ ?" not in bar.session_label.text()
    assert "+ ?" not in bar.session_label.toolTip()
    assert bar.today_label.text().startswith("Today: $0.50 + ?")
    tip = bar.today_label.toolTip()
    assert "+ ? means 2 requests used a model whose price" in tip
    assert "Everything sent today" in tip


def test_the_helper_fits_a_dialog_too(qtbot: Any) -> None:
    dialog = QDialog()
    qtbot.addWidget(dialog)
    dialog.setMinimumSize(2000, 300)
    dialog.resize(2500, 2500)
    dialog.show()
    fit_to_screen(dialog)  # once shown: its frame and screen are known
    assert dialog.screen().availableGeometry().contains(dialog.frameGeometry())
    assert dialog.minimumHeight() == 300  # what fits is kept
