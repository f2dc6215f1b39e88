"""What a send does between the click and the first token (bench/overhead.py measures how long).

The click only starts the request. The turns and the emptied input appear at the first fragment, or a
frame after the click when none has come; the history rows and the moderation check follow (the
estimate of the next draft comes with the answer). Whatever ends the send first (answer, error, Stop, another conversation),
the turns and rows are all there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from playground.core.models import RequestStatus
from playground.core.storage.history import MessageStatus
from tests.conftest import AppHarness
from tests.fakes.openai_server import DEFAULT_REPLY, FakeOpenAI
from tests.gui.drivers import chat_idle, send_in_chat

pytestmark = pytest.mark.gui


def test_the_click_only_starts_the_request(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any
) -> None:
    app = make_app()
    tab = app.chat_tab
    send_in_chat(app, qtbot, "Hello")
    assert app.runner.is_busy("chat")
    assert tab.stop_button.isEnabled()
    # Nothing else has run yet: no turn, the text still in the box, nothing filed.
    assert tab.conversation.turns == []
    assert tab.input_edit.toPlainText() == "Hello"
    assert not app.services.history.exists(app.chat.conversation.id)


def test_turns_and_rows_appear_while_the_first_token_is_awaited(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    fake_openai.scenario.latency_s = 30  # the answer does not start until Stop
    app = make_app()
    tab = app.chat_tab
    send_in_chat(app, qtbot, "Are you there?")
    wait_until(lambda: len(tab.conversation.turns) == 2)

    user, answer = tab.conversation.turns
    assert user.text() == "Are you there?"
    assert answer.text() == ""
    assert tab.input_edit.toPlainText() == ""
    assert tab.reply_info.text() == "Waiting for the first token…"
    conversation_id = app.chat.conversation.id
    wait_until(lambda: app.services.history.exists(conversation_id))
    stored = app.services.history.load(conversation_id).messages
    assert [m.message.content for m in stored] == ["Are you there?", ""]
    assert stored[-1].meta.status is MessageStatus.STREAMING

    app.chat.stop()
    wait_until(chat_idle(app))
    # Stopped before anything came: no empty answer is left to be sent (and charged) next time.
    assert [t.text() for t in tab.conversation.turns] == ["Are you there?"]
    assert tab.reply_info.text().startswith("Stopped after")
    stored = app.services.history.load(conversation_id).messages
    assert [m.message.content for m in stored] == ["Are you there?"]
    row = app.services.ledger.recent()[0]
    assert row.status == RequestStatus.CANCELLED
    assert row.cost == 0
    assert row.usage.input_tokens == 0


def test_the_first_fragment_is_filed_with_the_answer(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    fake_openai.scenario.reply_text = " ".join(f"word{i}" for i in range(200))
    fake_openai.scenario.tokens_per_second = 100
    app = make_app()
    send_in_chat(app, qtbot, "Count")
    conversation_id = app.chat.conversation.id
    wait_until(lambda: "word2 " in app.chat_tab.conversation.plain_text())
    app.chat.history.flush_streams()
    # The first fragment was shown before the answer's row existed: it is in the row all the same.
    stored = app.services.history.load(conversation_id).messages
    assert [m.message.role for m in stored] == ["user", "assistant"]
    assert stored[-1].message.content.startswith("word0 word1 word2")
    app.chat.stop()
    wait_until(chat_idle(app))


def test_an_error_before_any_token_still_shows_and_files_the_turns(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    tab = app.chat_tab
    fake_openai.fail_next(500)
    send_in_chat(app, qtbot, "Hello?")
    wait_until(chat_idle(app))
    # The message stays (Retry sends it); no empty answer is kept to be sent and charged again.
    assert [t.text() for t in tab.conversation.turns] == ["Hello?"]
    assert tab.error_box.isVisible()
    assert tab.input_edit.toPlainText() == ""
    assert tab.reply_info.text().startswith("Failed after")
    stored = app.services.history.load(app.chat.conversation.id).messages
    assert [m.message.content for m in stored] == ["Hello?"]
    row = app.services.ledger.recent()[0]
    assert (row.status, row.cost, row.usage.input_tokens) == (RequestStatus.ERROR, 0, 0)


def test_new_chat_right_after_send_files_the_message_in_its_conversation(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    fake_openai.scenario.latency_s = 30
    app = make_app()
    tab = app.chat_tab
    send_in_chat(app, qtbot, "Keep me")
    old_id = app.chat.conversation.id
    qtbot.mouseClick(tab.clear_button, Qt.MouseButton.LeftButton)  # before any turn is shown
    wait_until(chat_idle(app))
    assert tab.conversation.turns == []
    assert app.chat.conversation.id != old_id
    stored = app.services.history.load(old_id).messages
    assert [m.message.content for m in stored] == ["Keep me"]


def test_the_emptied_input_is_estimated_after_the_send(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    tab = app.chat_tab
    send_in_chat(app, qtbot, "First")
    wait_until(chat_idle(app))
    shown = tab.estimate_label.text()
    tab.input_edit.setPlainText("x")  # the estimate the controller makes for the same state...
    tab.input_edit.setPlainText("")
    assert tab.estimate_label.text() == shown  # ...is the one shown after the send
    assert shown


def test_a_clicked_send_leaves_the_focus_in_the_input(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    tab = app.chat_tab
    tab.send_button.setFocus()
    send_in_chat(app, qtbot, "Hi")
    assert QApplication.focusWidget() is tab.input_edit  # not the parameters panel after Send
    wait_until(chat_idle(app))
    assert DEFAULT_REPLY in tab.conversation.plain_text()
