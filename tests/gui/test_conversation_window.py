"""A long conversation opens with only its newest turns built; earlier ones load on demand. A
turn builds its rarely used rows on first need, and the next send's two turns are built ahead."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QPlainTextEdit, QTabWidget

from playground.core.chat.service import TokenLogprob
from playground.core.models import Message
from playground.ui.chat.conversation_view import (
    EARLIER_PAGE,
    OPEN_WINDOW,
    ConversationView,
    TurnInfo,
    TurnWidget,
)
from playground.ui.chat.logprobs_view import LogprobsView

pytestmark = pytest.mark.gui


def _messages(n: int) -> list[Message]:
    return [Message("user" if i % 2 == 0 else "assistant", f"turn number {i}") for i in range(n)]


def _view(qtbot: Any, n: int) -> ConversationView:
    view = ConversationView()
    qtbot.addWidget(view)
    view.resize(700, 500)
    view.set_turns(_messages(n))
    view.show()
    qtbot.waitExposed(view)
    return view


def test_only_the_newest_turns_are_built_and_the_text_is_all_there(qtbot: Any) -> None:
    view = _view(qtbot, 150)
    assert len(view.turns) == OPEN_WINDOW
    assert view.first_built == 150 - OPEN_WINDOW
    assert [t.index for t in view.turns] == list(range(150 - OPEN_WINDOW, 150))
    assert view.earlier_button.isVisible()
    assert f"{150 - OPEN_WINDOW} not shown yet" in view.earlier_button.text()
    text = view.plain_text()
    assert "turn number 0\n" in text
    assert text.endswith("turn number 149")


def test_earlier_turns_load_a_page_at_a_time_and_signal_their_own_index(qtbot: Any) -> None:
    view = _view(qtbot, 150)
    view.earlier_button.click()
    assert len(view.turns) == OPEN_WINDOW + EARLIER_PAGE
    assert view.turns[0].index == 150 - OPEN_WINDOW - EARLIER_PAGE
    with qtbot.waitSignal(view.delete_requested) as signal:
        view.turns[0].delete_requested.emit(view.turns[0].index)
    assert signal.args == [150 - OPEN_WINDOW - EARLIER_PAGE]
    while view.unbuilt:
        view.load_earlier()
    assert len(view.turns) == 150
    assert [t.index for t in view.turns] == list(range(150))
    assert not view.earlier_button.isVisible()


def test_scrolling_to_the_top_builds_the_earlier_page(qtbot: Any) -> None:
    view = _view(qtbot, 150)
    before = len(view.turns)
    view.verticalScrollBar().setValue(0)
    qtbot.waitUntil(lambda: len(view.turns) > before)
    assert len(view.turns) == before + EARLIER_PAGE
    # What was on screen stays on screen: once laid out, the view scrolls down by the new page.
    qtbot.waitUntil(lambda: view.verticalScrollBar().value() > 0)
    assert view.unbuilt == 150 - before - EARLIER_PAGE


def test_a_rebuild_keeps_every_turn_that_was_built(qtbot: Any) -> None:
    view = _view(qtbot, 150)
    view.load_earlier()
    built = len(view.turns)
    view.set_turns(_messages(150))  # e.g. after an edit
    assert len(view.turns) == built
    view.add_turn(Message("user", "one more"))
    assert view.turns[-1].index == 150
    assert view.plain_text().endswith("one more")


def _spares(view: ConversationView) -> list[TurnWidget]:
    return [t for t in view.findChildren(TurnWidget) if t not in view.turns]


def test_the_next_sends_turns_are_built_ahead_and_stay_hidden(qtbot: Any) -> None:
    view = ConversationView()
    qtbot.addWidget(view)
    view.resize(700, 500)
    view.set_turns([])
    qtbot.waitUntil(lambda: view.spare_roles == ("user", "assistant"))
    spares = _spares(view)
    assert len(spares) == 2
    view.show()  # a parent that is shown shows the children that were not hidden explicitly
    qtbot.waitExposed(view)
    assert not any(s.isVisible() for s in spares)

    user = view.add_turn(Message("user", "Hello there"))
    answer = view.add_turn(Message("assistant", ""), TurnInfo(status="streaming"))
    assert {user, answer} == set(spares)
    assert view.turns == [user, answer]
    assert (user.index, user.objectName(), answer.index, answer.objectName()) == (
        0,
        "turn0",
        1,
        "turn1",
    )
    qtbot.waitUntil(lambda: user.isVisible() and answer.isVisible())
    assert user.text() == "Hello there"
    assert user.view.role_label.text() == "You"
    assert answer.view.role_label.text() == "Assistant"
    assert not user.regenerate_button.isVisibleTo(user)
    assert answer.regenerate_button.isVisibleTo(answer)
    for turn in (user, answer):
        for button in (turn.edit_button, turn.delete_button, turn.more_button):
            assert button.isVisibleTo(turn)
        assert turn.action("forkTurn").isVisible()
        assert turn.action("roleToggle").isVisible()
    assert view.plain_text() == "You\nHello there\n\nAssistant\n"
    # Used spares are replaced, a little later.
    qtbot.waitUntil(lambda: view.spare_roles == ("user", "assistant"))
    assert len(_spares(view)) == 2

    answer.append_stream(0, "Hi!")
    with qtbot.waitSignal(view.regenerate_requested) as regenerate:
        answer.regenerate_button.click()
    assert regenerate.args == [1]
    user.edit_button.click()
    assert user.editor.isVisible()
    assert user.editor.toPlainText() == "Hello there"
    with qtbot.waitSignal(view.edit_committed) as edited:
        user.resend_button.click()
    assert edited.args == [0, "Hello there", True]


def test_rarely_used_rows_are_built_on_first_need_in_their_place(qtbot: Any) -> None:
    view = _view(qtbot, 0)
    turn = view.add_turn(Message("assistant", "An answer"), TurnInfo(meta="finish: stop"))
    assert turn.findChild(QPlainTextEdit) is None
    assert turn.findChild(QTabWidget) is None
    assert turn.findChild(LogprobsView) is None

    layout = turn.layout()
    assert layout is not None
    turn.set_info(TurnInfo(meta="finish: stop", error="Something went wrong"))
    turn.start_edit()
    turn.set_logprobs([TokenLogprob("An", -0.1), TokenLogprob(" answer", -0.5)])
    turn.show_choices(["An answer", "Another answer"])
    rows = [
        turn.view,
        turn.choices_tabs,
        turn.use_choice_button,
        turn.logprobs_view,
        turn.editor,
        turn.edit_bar,
        turn.meta_label,
        turn.error_label,
    ]
    assert [layout.indexOf(w) for w in rows] == sorted(layout.indexOf(w) for w in rows)
    assert turn.error_label.isVisibleTo(turn)
    assert turn.editor.isVisibleTo(turn)
    assert not turn.resend_button.isVisibleTo(turn)  # an answer is saved, not resent
    assert turn.logprobs_button.isVisibleTo(turn)
    header = turn.view.header_widgets()
    assert header.index(turn.logprobs_button) == header.index(turn.delete_button) + 1
    turn.cancel_edit()
    assert not turn.editor.isVisibleTo(turn)
    assert turn.view.body.isVisibleTo(turn)
