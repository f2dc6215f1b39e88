"""A text change inside a tab repaints what changed, not the whole window, and does not lay the
conversation out again (docs/overhead.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QWidget

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
    # What start-up still fetches (the model list, the key, prices) may repaint the panel when it
    # lands: measure once it has.
    wait_until(app.runner.is_idle)
    QApplication.processEvents()
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


def test_a_long_status_line_does_not_resize_the_conversation(
    make_app: Callable[..., AppHarness], wait_until: Any
) -> None:
    app = make_app()
    tab = app.chat_tab
    conversation = tab.conversation
    wait_until(lambda: conversation.width() > 0)
    tab.reply_info.setText("finish: stop · first token 420 ms · 41 tok in · 112 tok out · " * 3)
    QApplication.processEvents()
    tab.reply_info.setText("")
    QApplication.processEvents()
    width = conversation.width()
    resized: list[tuple[int, int]] = []
    watch = _Resizes(conversation, resized)
    tab.reply_info.setText("finish: stop · first token 420 ms · 41 tok in · 112 tok out · " * 3)
    QApplication.processEvents()
    tab.reply_info.setText("Waiting for the first token…")
    QApplication.processEvents()
    assert resized == []  # the turns are not laid out again for a status line
    assert conversation.width() == width
    watch.deleteLater()


class _Resizes(QObject):
    def __init__(self, widget: QWidget, into: list[tuple[int, int]]) -> None:
        super().__init__()
        self._into = into
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            size = event.size()  # type: ignore[attr-defined]
            self._into.append((size.width(), size.height()))
        return False
