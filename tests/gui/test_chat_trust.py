"""Issue 20's Chat leftovers: the Tab key (item 18), the "draft" badge (item 19), the bottom row and
the reply line at large text sizes (item 16), and the history panel's "this session only" line."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from playground.ui.chat.tab import ChatTab

pytestmark = pytest.mark.gui


def test_tab_moves_focus_out_of_the_message_and_system_prompt_boxes(qtbot: Any) -> None:
    tab = ChatTab()
    qtbot.addWidget(tab)
    tab.show()
    tab.activateWindow()
    qtbot.waitExposed(tab)
    for box in (tab.input_edit, tab.system_edit):
        box.setFocus(Qt.FocusReason.OtherFocusReason)
        qtbot.waitUntil(box.hasFocus)
        qtbot.keyClick(box, Qt.Key.Key_Tab)
        assert "\t" not in box.toPlainText()
        assert not box.hasFocus()
        assert QApplication.focusWidget() is not None
        box.setFocus(Qt.FocusReason.OtherFocusReason)
        qtbot.keyClick(box, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
        assert not box.hasFocus()
        assert "Tab moves to the next control" in box.toolTip()
    # Pasted tabs are kept.
    tab.input_edit.setFocus(Qt.FocusReason.OtherFocusReason)
    QApplication.clipboard().setText("a\tb")
    tab.input_edit.paste()
    assert tab.input_edit.toPlainText() == "a\tb"
