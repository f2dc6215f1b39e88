"""A text change inside a tab repaints what changed, not the whole window (docs/overhead.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget

from tests.conftest import AppHarness

pytestmark = pytest.mark.gui


class _Paints(QObject):
    """Counts the paint events of the widgets it watches."""

    def __init__(self, *widgets: QWidget) -> None:
        super().__init__()
        self.counts = {w: 0 for w in widgets}
        for widget in widgets:
            widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and watched in self.counts:
            self.counts[watched] += 1  # type: ignore[index]
        return False


def test_a_status_line_change_does_not_repaint_the_window(
    make_app: Callable[..., AppHarness], wait_until: Any
) -> None:
    app = make_app()
    tab = app.chat_tab
    tab_bar = app.window.tab_widget.tabBar()
    params = tab.params
    tab.reply_info.setText("Waiting for the first token…")  # the first layout request passes
    wait_until(lambda: not tab.reply_info.visibleRegion().isEmpty())
    paints = _Paints(tab.reply_info, tab_bar, params)
    for n in range(1, 4):
        tab.reply_info.setText(f"Streaming… {n} tokens")
        wait_until(lambda n=n: paints.counts[tab.reply_info] >= n)
    assert paints.counts[tab_bar] == 0
    assert paints.counts[params] == 0


def test_a_page_that_needs_more_room_still_widens_the_window_minimum(
    make_app: Callable[..., AppHarness], wait_until: Any
) -> None:
    app = make_app()
    window = app.window
    wait_until(lambda: window.isVisible())
    before = window.minimumSizeHint().width()
    app.chat_tab.setMinimumWidth(before + 300)
    wait_until(lambda: window.tab_widget.minimumSizeHint().width() >= before + 300)
    wait_until(lambda: window.minimumSizeHint().width() >= before + 300)
