""" "Keep on OpenAI" as an OpenAI conversation, end to end against the fake server (requests as
recorded on the wire): seeding (in batches of 20), only the new turn afterwards, a new
conversation after an edit, a restart, a 404, "Also delete it on OpenAI", and a server without
conversations."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QPushButton

from playground.core.chat.codegen import parse_request
from playground.core.chat.responses import to_responses
from playground.core.chat.service import ChatService, Conversation, ResponsesRequest
from playground.core.models import Message
from playground.core.storage.history import MessageMeta
from playground.ui.chat.code_dialog import CodeDialog
from playground.ui.chat.controller import ChatController
from playground.ui.chat.state import fields_of
from playground.ui.chat.tab import ChatTab
from playground.ui.common.chat_params import API_RESPONSES
from tests.conftest import MakeParts, Parts
from tests.fakes.conversations import FakeConversations
from tests.fakes.openai_server import DEFAULT_REPLY, FakeOpenAI
from tests.fakes.responses import StoredResponses

pytestmark = pytest.mark.gui


def _chat(qtbot: Any, parts: Parts) -> tuple[ChatController, ChatTab]:
    tab = ChatTab()
    qtbot.addWidget(tab)
    s = parts.services
    controller = ChatController(
        tab,
        ChatService(s.session.client),
        s.session,
        parts.runner,
        s.counter,
        s.accounting,
        parts.counters,
        history=s.history,
        default_api=lambda: API_RESPONSES,
        parent=tab,
    )
    tab.set_model("gpt-4o-mini")
    tab.show()
    return controller, tab


def _keep_as_conversation(tab: ChatTab) -> None:
    keep = tab.findChild(QCheckBox, "keepOnOpenAICheck")
    how = tab.findChild(QComboBox, "keepHowCombo")
    assert keep is not None
    assert how is not None
    assert not how.isEnabled()  # a choice only while the switch is on
    keep.click()
    assert how.isEnabled()
    how.setCurrentIndex(how.findText("as an OpenAI conversation"))
    note = tab.findChild(QLabel, "keepOnOpenAINote")
    assert note is not None
    assert "until it is deleted" in note.text()
    assert "delete it on OpenAI" in note.text()


def _send(tab: ChatTab, parts: Parts, qtbot: Any, wait_until: Any, text: str) -> None:
    tab.input_edit.setPlainText(text)
    qtbot.mouseClick(tab.send_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: not parts.runner.is_busy("chat"))
    assert not tab.error_box.isVisible(), tab.error_label.text()


def _bodies(fake: FakeOpenAI, path: str = "/responses") -> list[dict[str, Any]]:
    return [r.json for r in fake.requests if r.path == "/v1" + path and r.json is not None]


def _texts(items: list[dict[str, Any]]) -> list[str]:
    out = []
    for item in items:
        content = item.get("content")
        out += [content] if isinstance(content, str) else [part["text"] for part in content or ()]
    return out


def _held(fake: FakeOpenAI, conversation_id: str) -> list[str]:
    state = fake.state(FakeConversations)
    with state.lock:
        return _texts(state.items[conversation_id])


def _info(tab: ChatTab) -> str:
    return str(tab.conversation.turns[-1].meta_label.text())


def test_the_first_send_makes_the_conversation_and_the_next_sends_only_the_new_turn(
    parts: Parts, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    controller, tab = _chat(qtbot, parts)
    _keep_as_conversation(tab)
    _send(tab, parts, qtbot, wait_until, "Hello")
    (created,) = _bodies(fake_openai, "/conversations")
    assert not created.get("items")  # nothing to seed before the first message
    (first,) = _bodies(fake_openai)
    conversation_id = first["conversation"]
    assert conversation_id.startswith("conv_")
    assert "previous_response_id" not in first
    assert _texts(first["input"]) == ["Hello"]
    assert "started an OpenAI conversation" in _info(tab)

    _send(tab, parts, qtbot, wait_until, "Again")
    assert len(_bodies(fake_openai, "/conversations")) == 1  # no second conversation
    second = _bodies(fake_openai)[-1]
    assert second["conversation"] == conversation_id
    assert _texts(second["input"]) == ["Again"]
    assert "only the new message was sent (kept in an OpenAI conversation)" in _info(tab)
    assert _held(fake_openai, conversation_id) == ["Hello", DEFAULT_REPLY, "Again", DEFAULT_REPLY]

    # View code shows the request as it would go out: naming the conversation.
    tab.input_edit.setPlainText("Third")
    body = to_responses(controller.sending.request_as_sent())
    assert body["conversation"] == conversation_id
    assert _texts(body["input"]) == ["Third"]
    controller.show_code()
    dialog = tab.findChild(CodeDialog)
    assert dialog is not None
    qtbot.addWidget(dialog)
    assert any(conversation_id in editor.toPlainText() for editor in dialog.editors.values())
    note = dialog.findChild(QLabel, "keptOnOpenAINote")
    assert note is not None
    assert note.isVisible()
    assert "names the OpenAI conversation" in note.text()
    dialog.close()


def test_a_long_conversation_is_seeded_twenty_turns_at_a_time(
    parts: Parts, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    controller, tab = _chat(qtbot, parts)
    turns = [Message("user" if i % 2 == 0 else "assistant", f"turn {i}") for i in range(24)]
    settings = ResponsesRequest(
        model="gpt-4o-mini", messages=(), store=True, keep_as="conversation"
    )
    controller.conversations.load(
        Conversation(turns=turns),
        [MessageMeta() for _ in turns],
        system_prompt="Be brief.",
        fields=fields_of(settings),
        model="gpt-4o-mini",
        api=API_RESPONSES,
    )
    how = tab.findChild(QComboBox, "keepHowCombo")
    assert how is not None
    assert how.currentText() == "as an OpenAI conversation"  # stored with the conversation
    _send(tab, parts, qtbot, wait_until, "Next")
    (created,) = _bodies(fake_openai, "/conversations")
    assert _texts(created["items"]) == [f"turn {i}" for i in range(20)]
    body = _bodies(fake_openai)[-1]
    (added,) = [
        r.json for r in fake_openai.requests if r.path.endswith(f"{body['conversation']}/items")
    ]
    assert added is not None
    assert _texts(added["items"]) == [f"turn {i}" for i in range(20, 24)]
    assert _texts(body["input"]) == ["Next"]
    assert body["instructions"] == "Be brief."  # sent every time, never seeded
    assert _held(fake_openai, body["conversation"])[:24] == [f"turn {i}" for i in range(24)]
    assert "with the 24 earlier turns" in _info(tab)


def test_an_edit_in_the_middle_starts_a_new_conversation_with_the_turns_before_it(
    parts: Parts, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    _controller, tab = _chat(qtbot, parts)
    _keep_as_conversation(tab)
    for text in ("One", "Two", "Three"):
        _send(tab, parts, qtbot, wait_until, text)
    old = _bodies(fake_openai)[-1]["conversation"]

    turn = tab.conversation.turns[2]  # "Two"
    turn.edit_button.click()
    turn.editor.setPlainText("Two, edited")
    turn.resend_button.click()
    wait_until(lambda: not parts.runner.is_busy("chat"))
    assert not tab.error_box.isVisible(), tab.error_label.text()

    created = _bodies(fake_openai, "/conversations")[-1]
    assert _texts(created["items"]) == ["One", DEFAULT_REPLY]  # the turns up to the edit
    body = _bodies(fake_openai)[-1]
    assert body["conversation"] != old
    assert _texts(body["input"]) == ["Two, edited"]
    # The old conversation held "Two" and "Three": it is deleted on OpenAI, and the user is told.
    wait_until(lambda: old in fake_openai.state(FakeConversations).deleted)
    assert "earlier one was deleted on OpenAI" in _info(tab)
    assert _held(fake_openai, body["conversation"]) == [
        "One",
        DEFAULT_REPLY,
        "Two, edited",
        DEFAULT_REPLY,
    ]


def test_after_a_restart_the_same_conversation_goes_on(
    make_parts: MakeParts, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    first = make_parts()
    controller, tab = _chat(qtbot, first)
    _keep_as_conversation(tab)
    _send(tab, first, qtbot, wait_until, "Hello")
    conversation_id = _bodies(fake_openai)[-1]["conversation"]
    local_id = controller.conversation.id

    again = make_parts()  # a new start on the same home: the history file is read again
    controller2, tab2 = _chat(qtbot, again)
    controller2.open_conversation(local_id)
    how = tab2.findChild(QComboBox, "keepHowCombo")
    assert how is not None
    assert how.currentText() == "as an OpenAI conversation"
    _send(tab2, again, qtbot, wait_until, "Still there?")
    body = _bodies(fake_openai)[-1]
    assert body["conversation"] == conversation_id
    assert _texts(body["input"]) == ["Still there?"]
    assert len(_bodies(fake_openai, "/conversations")) == 1


def test_a_conversation_openai_no_longer_has_is_made_again_once_and_the_user_is_told(
    parts: Parts, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    _controller, tab = _chat(qtbot, parts)
    _keep_as_conversation(tab)
    _send(tab, parts, qtbot, wait_until, "Hello")
    state = fake_openai.state(FakeConversations)
    with state.lock:
        state.conversations.clear()  # deleted elsewhere (another app, the dashboard)
        state.items.clear()
    _send(tab, parts, qtbot, wait_until, "Again")
    failed, whole = _bodies(fake_openai)[-2:]
    assert failed["conversation"] != whole["conversation"]
    created = _bodies(fake_openai, "/conversations")[-1]
    assert _texts(created["items"]) == ["Hello", DEFAULT_REPLY]
    assert _texts(whole["input"]) == ["Again"]
    assert [t.text() for t in tab.conversation.turns] == [
        "Hello",
        DEFAULT_REPLY,
        "Again",
        DEFAULT_REPLY,
    ]
    assert "OpenAI no longer had this conversation: a new one was started" in _info(tab)

    # Gone again: not made a third time; the error says what happened and the turn stays.
    with state.lock:
        state.conversations.clear()
        state.items.clear()
    tab.input_edit.setPlainText("Third")
    qtbot.mouseClick(tab.send_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: not parts.runner.is_busy("chat"))
    assert tab.error_box.isVisible()
    assert len(_bodies(fake_openai, "/conversations")) == 2
    assert tab.conversation.turns[-1].text() == "Third"


def _delete_in_history(local_id: str, tab: ChatTab, qtbot: Any) -> QPushButton:
    tab.delete_conversation_requested.emit(local_id)  # as the panel's Delete does
    button = tab.findChild(QPushButton, "deleteOnOpenAIButton")
    assert button is not None
    qtbot.waitUntil(button.isVisible)
    return button


def test_deleting_in_history_offers_to_delete_the_conversation_and_answers_on_openai(
    parts: Parts, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    controller, tab = _chat(qtbot, parts)
    _keep_as_conversation(tab)
    _send(tab, parts, qtbot, wait_until, "Hello")
    _send(tab, parts, qtbot, wait_until, "Again")
    conversation_id = _bodies(fake_openai)[-1]["conversation"]
    answers = [m.response_id for m in controller.state.metas if m.response_id]
    local_id = controller.conversation.id
    button = _delete_in_history(local_id, tab, qtbot)
    assert parts.services.history.load(local_id).deleted_at is not None  # deleted here at once
    button.click()
    result = tab.findChild(QLabel, "deleteOnOpenAIResult")
    assert result is not None
    wait_until(lambda: result.text() == "Deleted on OpenAI too.")
    assert fake_openai.state(FakeConversations).deleted == [conversation_id]
    assert fake_openai.state(StoredResponses).deleted == answers
    assert parts.services.history.server_state(local_id) == ""


def test_the_chain_way_deletes_the_stored_answers_and_a_failure_keeps_the_local_delete(
    parts: Parts, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    controller, tab = _chat(qtbot, parts)
    keep = tab.findChild(QCheckBox, "keepOnOpenAICheck")
    assert keep is not None
    keep.click()  # as a chain of answers (the default way)
    _send(tab, parts, qtbot, wait_until, "Hello")
    answers = [m.response_id for m in controller.state.metas if m.response_id]
    assert len(answers) == 1
    local_id = controller.conversation.id
    fake_openai.fail_next(500)
    button = _delete_in_history(local_id, tab, qtbot)
    button.click()
    result = tab.findChild(QLabel, "deleteOnOpenAIResult")
    assert result is not None
    wait_until(lambda: result.text().startswith("Not deleted on OpenAI"))
    assert "still deleted here" in result.text()
    assert parts.services.history.load(local_id).deleted_at is not None
    assert _bodies(fake_openai, "/conversations") == []

    controller.conversations.undo_delete(local_id)  # Undo, then delete again: it works now
    button = _delete_in_history(local_id, tab, qtbot)
    button.click()
    wait_until(lambda: result.text() == "Deleted on OpenAI too.")
    assert fake_openai.state(StoredResponses).deleted == answers


def test_nothing_kept_on_openai_offers_nothing(
    parts: Parts, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    controller, tab = _chat(qtbot, parts)
    _send(tab, parts, qtbot, wait_until, "Hello")
    tab.delete_conversation_requested.emit(controller.conversation.id)
    button = tab.findChild(QPushButton, "deleteOnOpenAIButton")
    assert button is not None
    assert not button.isVisible()


def test_a_server_without_conversations_falls_back_to_the_chain_and_says_why(
    parts: Parts, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    fake_openai.state(FakeConversations).available = False
    controller, tab = _chat(qtbot, parts)
    _keep_as_conversation(tab)
    _send(tab, parts, qtbot, wait_until, "Hello")
    (body,) = _bodies(fake_openai)
    assert "conversation" not in body
    assert body["store"] is True  # kept as a chain of answers instead
    assert "cannot keep OpenAI conversations" in _info(tab)
    assert [t.text() for t in tab.conversation.turns] == ["Hello", DEFAULT_REPLY]
    how = tab.findChild(QComboBox, "keepHowCombo")
    note = tab.findChild(QLabel, "keepOnOpenAINote")
    assert how is not None
    assert note is not None
    assert not how.isEnabled()
    assert how.currentText() == "as a chain of answers"
    assert "has no OpenAI conversations" in note.text()
    _send(tab, parts, qtbot, wait_until, "Again")
    assert _bodies(fake_openai)[-1]["previous_response_id"] == controller.state.metas[1].response_id
    assert len(_bodies(fake_openai, "/conversations")) == 1  # not asked again


def test_a_pasted_request_naming_a_conversation_keeps_its_turns_and_starts_its_own(
    parts: Parts, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    controller, tab = _chat(qtbot, parts)
    parsed = parse_request(
        '{"model": "gpt-4o-mini", "conversation": "conv_someone_elses", "input": ['
        '{"role": "user", "content": "Earlier"}, {"role": "assistant", "content": "Yes"}, '
        '{"role": "user", "content": "Now"}]}'
    )
    assert any("made elsewhere" in note for note in parsed.notes)
    controller.exports._apply_parsed(parsed)
    keep = tab.findChild(QCheckBox, "keepOnOpenAICheck")
    how = tab.findChild(QComboBox, "keepHowCombo")
    assert keep is not None
    assert how is not None
    assert keep.isChecked()
    assert how.currentText() == "as an OpenAI conversation"
    qtbot.mouseClick(tab.send_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: not parts.runner.is_busy("chat"))
    body = _bodies(fake_openai)[-1]
    assert body["conversation"] != "conv_someone_elses"
    (created,) = _bodies(fake_openai, "/conversations")
    assert _texts(created["items"]) == ["Earlier", "Yes"]
    assert _texts(body["input"]) == ["Now"]


def test_after_a_broken_answer_the_retry_starts_a_new_conversation(
    parts: Parts, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    _controller, tab = _chat(qtbot, parts)
    _keep_as_conversation(tab)
    _send(tab, parts, qtbot, wait_until, "Hello")
    old = _bodies(fake_openai)[-1]["conversation"]
    fake_openai.scenario.stream_error = {"message": "The server had an error.", "code": None}
    tab.input_edit.setPlainText("Again")
    qtbot.mouseClick(tab.send_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: not parts.runner.is_busy("chat"))
    assert tab.error_box.isVisible()
    # What OpenAI appended of the broken answer is unknown: Retry does not trust the old one.
    fake_openai.scenario.stream_error = None
    tab.retry_requested.emit()
    wait_until(lambda: not parts.runner.is_busy("chat"))
    assert not tab.error_box.isVisible(), tab.error_label.text()
    body = _bodies(fake_openai)[-1]
    assert body["conversation"] != old
    created = _bodies(fake_openai, "/conversations")[-1]
    assert _texts(created["items"]) == ["Hello", DEFAULT_REPLY]
    assert _texts(body["input"]) == ["Again"]
    wait_until(lambda: old in fake_openai.state(FakeConversations).deleted)


def test_a_fork_starts_its_own_conversation_and_the_original_keeps_its_own(
    parts: Parts, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    controller, tab = _chat(qtbot, parts)
    _keep_as_conversation(tab)
    _send(tab, parts, qtbot, wait_until, "One")
    _send(tab, parts, qtbot, wait_until, "Two")
    original, old = controller.conversation.id, _bodies(fake_openai)[-1]["conversation"]
    tab.conversation.turns[1].action("forkTurn").trigger()
    wait_until(lambda: controller.conversation.id != original)
    _send(tab, parts, qtbot, wait_until, "Branch")
    body = _bodies(fake_openai)[-1]
    assert body["conversation"] != old
    assert _texts(_bodies(fake_openai, "/conversations")[-1]["items"]) == ["One", DEFAULT_REPLY]
    assert _texts(body["input"]) == ["Branch"]
    assert old not in fake_openai.state(FakeConversations).deleted  # the original still uses it
    controller.open_conversation(original)
    _send(tab, parts, qtbot, wait_until, "Three")
    assert _bodies(fake_openai)[-1]["conversation"] == old
    assert _texts(_bodies(fake_openai)[-1]["input"]) == ["Three"]


def test_a_rerolled_answer_starts_a_new_conversation_without_it(
    parts: Parts, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    _controller, tab = _chat(qtbot, parts)
    _keep_as_conversation(tab)
    _send(tab, parts, qtbot, wait_until, "One")
    _send(tab, parts, qtbot, wait_until, "Two")
    old = _bodies(fake_openai)[-1]["conversation"]
    tab.conversation.turns[3].regenerate_button.click()
    wait_until(lambda: not parts.runner.is_busy("chat"))
    body = _bodies(fake_openai)[-1]
    assert body["conversation"] != old
    assert _texts(_bodies(fake_openai, "/conversations")[-1]["items"]) == ["One", DEFAULT_REPLY]
    assert _texts(body["input"]) == ["Two"]
    wait_until(lambda: old in fake_openai.state(FakeConversations).deleted)
