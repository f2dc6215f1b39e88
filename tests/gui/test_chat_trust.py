"""Issue 20's Chat leftovers: the Tab key (item 18), the "draft" badge (item 19), the bottom row and
the reply line at large text sizes (item 16), and the history panel's "this session only" line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel

from playground.ui.chat.tab import ChatTab
from playground.ui.shell.counters_bar import CountersBar
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


# --- empty states and the status bar's draft (issue 20 items 19, 21, 23) -------------------------


def test_a_history_that_cannot_be_saved_says_kept_for_this_session_only(
    make_app: Callable[..., AppHarness], tmp_path: Any
) -> None:
    home = tmp_path / "home"
    (home / "data" / "history.sqlite3").mkdir(parents=True)  # no file can be made there
    app = make_app(home=home)
    panel = app.chat_tab.history
    assert not app.services.history.persistent
    assert panel.session_only_label.isVisibleTo(panel)
    assert "session only" in panel.session_only_label.text()
    assert "saved" not in panel.empty_label.text().lower()

    saved = make_app(home=tmp_path / "other")
    assert not saved.chat_tab.history.session_only_label.isVisibleTo(saved.chat_tab.history)


def test_compare_and_lab_say_what_to_do_first_while_empty(
    make_app: Callable[..., AppHarness], wait_until: Any
) -> None:
    app = make_app()
    compare = app.feature("compare").view
    assert compare.hint_label.isVisibleTo(compare)
    assert "Run" in compare.hint_label.text()
    compare.input_edit.setPlainText("Why?")
    assert not compare.hint_label.isVisibleTo(compare)
    lab = app.feature("lab").view
    assert lab.empty_hint.isVisibleTo(lab)
    lab.template_edit.setPlainText("Translate: {{text}}")
    assert not lab.empty_hint.isVisibleTo(lab)


def test_the_status_bar_shows_the_current_tabs_draft_estimate(
    make_app: Callable[..., AppHarness], wait_until: Any
) -> None:
    app = make_app()
    bar = app.window.findChild(CountersBar)
    app.controller.refresh_models()
    wait_until(lambda: not app.runner.is_busy("models"))
    app.window.show_tab("compare")
    compare = app.feature("compare")
    assert bar.draft_label.text() == "Draft: —"
    compare.view.input_edit.setPlainText("Why is the sky blue?")
    wait_until(lambda: bar.draft_label.text() != "Draft: —", message="Compare's run estimate")
    assert "tok" in bar.draft_label.text()
    app.window.show_tab("lab")
    assert bar.draft_label.text() == "Draft: —"  # Prompt Lab counts none: nothing, not Chat's
    app.window.show_tab("compare")
    assert "tok" in bar.draft_label.text()


# --- large text (issue 20 item 16) ----------------------------------------------------------------


@pytest.mark.parametrize("scale", [1.0, 1.25, 1.5, 2.0])
def test_the_bottom_row_and_reply_line_fit_at_every_text_size(qtbot: Any, scale: float) -> None:
    """A 1600x1000 screen at `scale` gives the window 1600/scale logical pixels: nothing in the
    row under the message box is clipped or overlaps, and the reply line ends in "…" with all of
    it in the tooltip."""
    tab = ChatTab()
    qtbot.addWidget(tab)
    tab.resize(int(1600 / scale), int(1000 / scale))
    tab.show()
    qtbot.waitExposed(tab)
    row = tab.buttons_row
    qtbot.waitUntil(lambda: row.width() > 0)
    QApplication.processEvents()
    widgets = [
        tab.clear_button,
        tab.enter_sends_check,
        tab.moderation_check,
        tab.add_button,
        tab.add_role_combo,
        tab.stop_button,
        tab.send_button,
    ]
    boxes = []
    for widget in widgets:
        assert widget.width() >= widget.sizeHint().width(), f"{widget.objectName()} is clipped"
        top_left = widget.mapTo(row, widget.rect().topLeft())
        box = widget.rect().translated(top_left)
        assert row.rect().contains(box), f"{widget.objectName()} sticks out of the row"
        boxes.append((widget.objectName(), box))
    for i, (name, box) in enumerate(boxes):
        for other, other_box in boxes[i + 1 :]:
            assert not box.intersects(other_box), f"{name} overlaps {other}"

    long = (
        "finish: stop · first token 420 ms · 88 tok/s · 1,234 tok in · 5,678 tok out · $0.0042 " * 3
    )
    tab.set_reply_info(long, "request req_123")
    assert tab.reply_info.text() == long  # painted with "…" when narrow, whole here
    assert long in tab.reply_info.toolTip()
    assert tab.reply_info.sizeHint().width() > tab.reply_info.width()  # it would be cut


@pytest.mark.parametrize("width", [900, 520, 380, 280])
def test_an_answers_header_wraps_instead_of_clipping(qtbot: Any, width: int) -> None:
    """The role, "‹ 2/3 ›" and the actions of an answer stay whole when the column is narrow
    (200 % text on a 1600-pixel screen leaves the conversation about 480 pixels)."""
    from playground.core.models import Message
    from playground.ui.chat.conversation_view import TurnInfo, TurnWidget

    turn = TurnWidget(
        1, Message("assistant", "Blue light scatters most."), TurnInfo(answers=(1, 3))
    )
    qtbot.addWidget(turn)
    turn.resize(width, 300)
    turn.show()
    qtbot.waitExposed(turn)
    QApplication.processEvents()
    header = turn.view.header_row
    shown = [
        w
        for w in (
            turn.view.role_label,
            turn.findChild(QLabel, "answerPosition"),
            turn.regenerate_button,
            turn.compare_button,
            turn.edit_button,
            turn.more_button,
            turn.delete_button,
            turn.view.raw_toggle,
            turn.view.copy_button,
        )
        if w is not None
    ]
    assert len(shown) == 9
    boxes = []
    for widget in shown:
        assert widget.isVisibleTo(turn)
        assert widget.width() >= widget.sizeHint().width(), widget.objectName()
        box = widget.rect().translated(widget.mapTo(turn, widget.rect().topLeft()))
        assert turn.rect().contains(box), f"{widget.objectName()} is cut off"
        boxes.append(box)
    assert all(not a.intersects(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    assert (len(header.lines()) == 1) == (width >= 900)
