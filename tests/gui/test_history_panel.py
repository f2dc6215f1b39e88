"""The conversation list: rows in, the user's intents out (open, new, rename, duplicate, delete, undo)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLineEdit, QMenu

from playground.core.storage.history import ConversationSummary
from playground.ui.chat.history_panel import (
    NEW_CHAT_TITLE,
    SEARCH_DELAY_MS,
    UNDO_SECONDS,
    HistoryPanel,
    relative_time,
)

pytestmark = pytest.mark.gui

NOW = datetime(2026, 5, 10, 15, 0, tzinfo=UTC)


def summary(
    cid: str,
    title: str,
    *,
    ago: timedelta = timedelta(hours=2),
    count: int = 4,
    model: str = "gpt-4o",
    snippet: str = "",
    highlights: tuple[tuple[int, int], ...] = (),
    draft: bool = False,
) -> ConversationSummary:
    when = NOW - ago
    return ConversationSummary(
        cid, title, when, when, when, count, model, f"{title} preview", draft, snippet, highlights
    )


ROWS = [
    summary("a", "Trip to Lisbon", ago=timedelta(minutes=3), count=12),
    summary("b", "", count=1, draft=True),
    summary("c", "Regex for postcodes", ago=timedelta(days=1, hours=3), model="gpt-4.1-mini"),
]


@pytest.fixture
def panel(qtbot: Any) -> HistoryPanel:
    widget = HistoryPanel(clock=lambda: NOW)
    qtbot.addWidget(widget)
    widget.resize(300, 500)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def titles(panel: HistoryPanel) -> list[str]:
    model = panel.model
    return [model.data(model.index(row)) for row in range(model.rowCount())]  # type: ignore[misc]


def select(panel: HistoryPanel, cid: str) -> None:
    panel.list_view.setCurrentIndex(panel.model.index(panel.model.row_of(cid)))


# -- rendering --------------------------------------------------------------------------------------


def test_set_conversations_renders_titles(panel: HistoryPanel) -> None:
    panel.set_conversations(ROWS, current_id="a")

    assert titles(panel) == ["Trip to Lisbon", NEW_CHAT_TITLE, "Regex for postcodes"]
    assert panel.stack.currentWidget() is panel.list_view
    assert panel.current_id() == "a"
    assert panel.selected_id() == "a"
    model = panel.model
    assert model.meta_text(ROWS[0]) == "3 min ago · gpt-4o · 12 messages"
    assert model.meta_text(ROWS[1]) == "2 h ago · gpt-4o · 1 message"
    assert model.meta_text(ROWS[2]) == "yesterday · gpt-4.1-mini · 4 messages"
    tip = model.data(model.index(1), Qt.ItemDataRole.ToolTipRole)
    assert isinstance(tip, str)
    assert "unsent draft" in tip
    accessible = model.data(model.index(0), Qt.ItemDataRole.AccessibleTextRole)
    assert accessible == "Trip to Lisbon, 3 min ago · gpt-4o · 12 messages"


def test_search_results_are_taller_and_paint(panel: HistoryPanel) -> None:
    hit = summary("a", "Trip", snippet="…we land in Lisbon on Friday…", highlights=((12, 18),))
    panel.set_conversations([hit, ROWS[2]], current_id=None)

    first = panel.list_view.visualRect(panel.model.index(0))
    second = panel.list_view.visualRect(panel.model.index(1))
    assert first.height() > second.height()
    assert not panel.list_view.viewport().grab().isNull()  # paints without errors


def test_empty_states(panel: HistoryPanel) -> None:
    panel.set_conversations([], current_id=None)
    assert panel.stack.currentWidget() is panel.empty_label
    assert "No saved conversations yet" in panel.empty_label.text()

    panel.search_edit.setText("zebra")
    panel.set_conversations([], current_id=None)
    assert "Nothing matches “zebra”" in panel.empty_label.text()

    panel.set_conversations(ROWS, current_id=None)
    assert panel.stack.currentWidget() is panel.list_view


def test_set_current_moves_the_marker_without_signals(panel: HistoryPanel, qtbot: Any) -> None:
    panel.set_conversations(ROWS, current_id="a")

    with qtbot.assertNotEmitted(panel.open_requested):
        panel.set_current("c")

    assert panel.current_id() == "c"
    assert panel.selected_id() == "c"


def test_selection_survives_a_refresh(panel: HistoryPanel) -> None:
    panel.set_conversations(ROWS, current_id="a")
    select(panel, "c")

    panel.set_conversations([ROWS[2], ROWS[0]], current_id="a")

    assert panel.selected_id() == "c"


# -- signals ----------------------------------------------------------------------------------------


def test_click_opens(panel: HistoryPanel, qtbot: Any) -> None:
    panel.set_conversations(ROWS, current_id="a")
    rect = panel.list_view.visualRect(panel.model.index(2))

    with qtbot.waitSignal(panel.open_requested) as blocker:
        qtbot.mouseClick(panel.list_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())

    assert blocker.args == ["c"]


def test_clicking_the_open_conversation_does_nothing(panel: HistoryPanel, qtbot: Any) -> None:
    panel.set_conversations(ROWS, current_id="a")
    rect = panel.list_view.visualRect(panel.model.index(0))

    with qtbot.assertNotEmitted(panel.open_requested):
        qtbot.mouseClick(panel.list_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_new_chat_button(panel: HistoryPanel, qtbot: Any) -> None:
    assert panel.new_button.accessibleName() == "New chat"
    with qtbot.waitSignal(panel.new_requested):
        panel.new_button.click()


def test_search_is_debounced(panel: HistoryPanel, qtbot: Any) -> None:
    received: list[str] = []
    panel.search_changed.connect(received.append)
    assert panel.search_edit.placeholderText() == "Search conversations"

    qtbot.keyClicks(panel.search_edit, "lisb")
    assert received == []  # nothing while typing

    with qtbot.waitSignal(panel.search_changed, timeout=SEARCH_DELAY_MS * 10) as blocker:
        pass
    assert blocker.args == ["lisb"]
    assert received == ["lisb"]


def test_escape_clears_search_at_once(panel: HistoryPanel, qtbot: Any) -> None:
    panel.search_edit.setText("old")
    with qtbot.waitSignal(panel.search_changed, timeout=SEARCH_DELAY_MS * 10):
        pass

    with qtbot.waitSignal(panel.search_changed, timeout=50) as blocker:
        qtbot.keyClick(panel.search_edit, Qt.Key.Key_Escape)

    assert blocker.args == [""]
    assert panel.search_edit.text() == ""


def test_enter_in_search_searches_now_and_moves_into_the_list(
    panel: HistoryPanel, qtbot: Any
) -> None:
    panel.set_conversations(ROWS, current_id=None)
    panel.search_edit.setText("regex")

    with qtbot.waitSignal(panel.search_changed, timeout=50) as blocker:
        qtbot.keyClick(panel.search_edit, Qt.Key.Key_Return)

    assert blocker.args == ["regex"]
    assert panel.focusWidget() is panel.list_view
    assert panel.selected_id() == "a"


def test_focus_search(panel: HistoryPanel) -> None:
    panel.search_edit.setText("abc")
    panel.focus_search()

    assert panel.focusWidget() is panel.search_edit
    assert panel.search_edit.selectedText() == "abc"


def test_rename_in_place(panel: HistoryPanel, qtbot: Any) -> None:
    panel.set_conversations(ROWS, current_id="a")
    select(panel, "c")
    panel.list_view.setFocus()

    qtbot.keyClick(panel.list_view, Qt.Key.Key_F2)
    editor = panel.list_view.findChild(QLineEdit, "conversationTitleEdit")
    assert isinstance(editor, QLineEdit)
    assert editor.text() == "Regex for postcodes"
    editor.setText("  UK   postcodes ")

    with qtbot.waitSignal(panel.rename_requested) as blocker:
        qtbot.keyClick(editor, Qt.Key.Key_Return)

    assert blocker.args == ["c", "UK postcodes"]
    assert titles(panel)[2] == "UK postcodes"  # shown at once


def test_rename_cancelled_with_escape(panel: HistoryPanel, qtbot: Any) -> None:
    panel.set_conversations(ROWS, current_id="a")
    select(panel, "a")
    panel.rename_button.click()
    editor = panel.list_view.findChild(QLineEdit, "conversationTitleEdit")
    assert isinstance(editor, QLineEdit)
    editor.setText("Something else")

    with qtbot.assertNotEmitted(panel.rename_requested):
        qtbot.keyClick(editor, Qt.Key.Key_Escape)

    assert titles(panel)[0] == "Trip to Lisbon"


def test_duplicate_button(panel: HistoryPanel, qtbot: Any) -> None:
    panel.set_conversations(ROWS, current_id="a")
    select(panel, "b")

    with qtbot.waitSignal(panel.duplicate_requested) as blocker:
        panel.duplicate_button.click()

    assert blocker.args == ["b"]


def test_buttons_need_a_selection(panel: HistoryPanel) -> None:
    panel.set_conversations(ROWS, current_id=None)
    assert not panel.delete_button.isEnabled()

    select(panel, "a")
    assert panel.delete_button.isEnabled()
    assert panel.rename_button.isEnabled()
    assert panel.duplicate_button.isEnabled()


def test_delete_key_and_undo(panel: HistoryPanel, qtbot: Any) -> None:
    panel.set_conversations(ROWS, current_id="a")
    select(panel, "c")
    panel.list_view.setFocus()

    with qtbot.waitSignal(panel.delete_requested) as blocker:
        qtbot.keyClick(panel.list_view, Qt.Key.Key_Delete)
    assert blocker.args == ["c"]

    panel.show_undo("c", "Regex for postcodes")
    assert panel.undo_bar.isVisibleTo(panel)
    assert panel.undo_label.text() == "Deleted “Regex for postcodes”."
    assert panel.undo_timer.isActive()
    assert panel.undo_timer.interval() == UNDO_SECONDS * 1000

    with qtbot.waitSignal(panel.undo_delete_requested) as blocker:
        panel.undo_button.click()
    assert blocker.args == ["c"]
    assert panel.undo_bar.isHidden()
    assert not panel.undo_timer.isActive()


def test_undo_bar_goes_away_by_itself(panel: HistoryPanel, qtbot: Any) -> None:
    panel.undo_timer.setInterval(20)  # instead of UNDO_SECONDS
    panel.show_undo("x", "")

    assert panel.undo_label.text() == f"Deleted “{NEW_CHAT_TITLE}”."
    qtbot.waitUntil(panel.undo_bar.isHidden, timeout=2000)
    with qtbot.assertNotEmitted(panel.undo_delete_requested):
        panel.undo_button.click()  # a late click on a hidden bar does nothing


def test_keyboard_moves_and_enter_opens(panel: HistoryPanel, qtbot: Any) -> None:
    panel.set_conversations(ROWS, current_id="a")
    panel.list_view.setFocus()

    qtbot.keyClick(panel.list_view, Qt.Key.Key_Down)
    assert panel.selected_id() == "b"
    qtbot.keyClick(panel.list_view, Qt.Key.Key_Down)
    assert panel.selected_id() == "c"
    qtbot.keyClick(panel.list_view, Qt.Key.Key_Up)

    with qtbot.waitSignal(panel.open_requested) as blocker:
        qtbot.keyClick(panel.list_view, Qt.Key.Key_Return)
    assert blocker.args == ["b"]


def test_down_from_search_enters_the_list(panel: HistoryPanel, qtbot: Any) -> None:
    panel.set_conversations(ROWS, current_id=None)
    panel.focus_search()

    qtbot.keyClick(panel.search_edit, Qt.Key.Key_Down)

    assert panel.focusWidget() is panel.list_view
    assert panel.selected_id() == "a"


def test_context_menu_offers_the_actions(panel: HistoryPanel, qtbot: Any) -> None:
    panel.set_conversations(ROWS, current_id="a")

    menu = panel.context_menu_at(panel.list_view.visualRect(panel.model.index(2)).center())

    assert isinstance(menu, QMenu)
    texts = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert texts == ["Open", "Rename…", "Duplicate", "Delete"]
    assert panel.selected_id() == "c"
    with qtbot.waitSignal(panel.delete_requested) as blocker:
        panel.delete_action.trigger()
    assert blocker.args == ["c"]
    menu.deleteLater()


# The offscreen platform cannot raise a popup or grab the keyboard; it says so, harmlessly.
@pytest.mark.qt_log_ignore("does not support raise", "does not support grabbing the keyboard")
def test_right_click_pops_the_menu_up(panel: HistoryPanel, qtbot: Any) -> None:
    panel.set_conversations(ROWS, current_id="a")

    panel.list_view.customContextMenuRequested.emit(
        panel.list_view.visualRect(panel.model.index(1)).center()
    )

    menu = panel.findChild(QMenu, "historyContextMenu")
    assert isinstance(menu, QMenu)
    qtbot.waitUntil(menu.isVisible)
    assert panel.selected_id() == "b"
    menu.close()


def test_no_menu_on_empty_space(panel: HistoryPanel) -> None:
    panel.set_conversations(ROWS[:1], current_id=None)

    assert panel.context_menu_at(QPoint(5, 400)) is None


def test_every_control_is_named(panel: HistoryPanel) -> None:
    for widget in (
        panel.search_edit,
        panel.new_button,
        panel.list_view,
        panel.rename_button,
        panel.duplicate_button,
        panel.delete_button,
        panel.undo_button,
        panel.undo_close_button,
    ):
        assert widget.objectName()
        assert widget.accessibleName()
    for widget in (
        panel.search_edit,
        panel.new_button,
        panel.rename_button,
        panel.duplicate_button,
        panel.delete_button,
        panel.undo_button,
        panel.undo_close_button,
    ):
        assert widget.toolTip()


# -- relative time ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ago", "text"),
    [
        (timedelta(seconds=-30), "just now"),
        (timedelta(seconds=20), "just now"),
        (timedelta(minutes=5), "5 min ago"),
        (timedelta(hours=2, minutes=59), "2 h ago"),
        (timedelta(days=3), "3 days ago"),
        (timedelta(days=30), "10 Apr"),
        (timedelta(days=400), "5 Apr 2025"),
    ],
)
def test_relative_time(ago: timedelta, text: str) -> None:
    assert relative_time(NOW - ago, NOW) == text


def test_relative_time_yesterday_is_by_calendar_day() -> None:
    evening = datetime(2026, 5, 10, 20, 0).astimezone()
    assert relative_time(evening - timedelta(hours=22), evening) == "yesterday"
    assert relative_time(evening - timedelta(hours=12), evening) == "12 h ago"
