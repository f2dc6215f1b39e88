"""Issue 20's Chat leftovers: the Tab key (item 18), the "draft" badge (item 19), the bottom row and
the reply line at large text sizes (item 16), and the history panel's "this session only" line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from playground.ui.chat.tab import ChatTab
from tests.conftest import AppHarness
from tests.fakes.openai_server import FakeOpenAI
from tests.gui.drivers import chat_idle

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


# --- the "draft" badge (item 19) ------------------------------------------------------------------


def _badges(app: AppHarness) -> dict[str, bool]:
    """Each listed conversation's "draft" badge, as the history panel has it."""
    model = app.chat_tab.history.model
    return {model.summary(r).id: model.summary(r).has_draft for r in range(model.rowCount())}


def _typed_then_sent(app: AppHarness, qtbot: Any, wait_until: Any, text: str) -> None:
    """Types `text` the way a user does (the draft is saved while typing), then sends it."""
    tab = app.chat_tab
    tab.input_edit.setFocus()
    tab.input_edit.setPlainText(text)
    app.chat.conversations.save_draft()  # what the pause in typing does
    qtbot.mouseClick(tab.send_button, Qt.MouseButton.LeftButton)
    wait_until(chat_idle(app))
    app.chat.conversations.save_draft()


def test_a_sent_conversation_has_no_draft_badge_whatever_path(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    tab = app.chat_tab
    _typed_then_sent(app, qtbot, wait_until, "Hello")
    first = app.chat.conversation.id
    assert _badges(app) == {first: False}, "after a send"

    qtbot.mouseClick(tab.clear_button, Qt.MouseButton.LeftButton)
    assert _badges(app) == {first: False}, "after New chat"
    _typed_then_sent(app, qtbot, wait_until, "Another")
    second = app.chat.conversation.id
    assert _badges(app) == {first: False, second: False}, "after a second conversation"

    app.chat.open_conversation(first)
    assert _badges(app) == {first: False, second: False}, "after reopening"
    tab.conversation.turns[0]  # the turn widgets exist
    app.chat.editing.edited(0, "Hello again", True)
    wait_until(chat_idle(app))
    assert not _badges(app)[first], "after editing a turn and sending it again"
    app.chat.editing.regenerate(1)
    wait_until(chat_idle(app))
    assert not _badges(app)[first], "after regenerating"
    app.chat.conversations.rename(first, "Greeting")
    assert not _badges(app)[first], "after renaming"

    app.chat.exports.save_preset("Tutor")
    qtbot.mouseClick(tab.clear_button, Qt.MouseButton.LeftButton)
    app.chat.exports.load_preset("Tutor")
    _typed_then_sent(app, qtbot, wait_until, "From a preset")
    third = app.chat.conversation.id
    assert not _badges(app)[third], "after sending from a preset"

    tab.input_edit.setPlainText("Half-typed")
    app.chat.conversations.save_draft()
    assert _badges(app)[third], "unsent text is a draft"
    tab.input_edit.clear()
    app.chat.conversations.save_draft()
    assert not _badges(app)[third], "emptied again"

    # An example turn added with Add empties the box: no draft is left.
    tab.input_edit.setPlainText("An example question")
    app.chat.conversations.save_draft()
    assert _badges(app)[third]
    qtbot.mouseClick(tab.add_button, Qt.MouseButton.LeftButton)
    app.chat.conversations.save_draft()  # what the pause after the change does
    assert not _badges(app)[third], "after adding an example turn"

    restarted = make_app(home=app.home)
    assert not any(_badges(restarted).values()), "after a restart"
