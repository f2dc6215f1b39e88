"""A long conversation opens with only its newest turns built; earlier ones load on demand."""

from __future__ import annotations

from typing import Any

import pytest

from playground.core.models import Message
from playground.ui.widgets.conversation_view import (
    EARLIER_PAGE,
    OPEN_WINDOW,
    ConversationView,
)

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
