"""Chat's "OpenAI compacts" (issue 21): a conversation past the model's window sends its older
turns to `/responses/compact`, keeps the result as a note turn (shown with its cost, not editable,
deletable, stored) and sends the compacted form with only the newer turns; Chat Completions sends
the original turns; a model that cannot compact is learned and the user asked; a server error
keeps everything and sends nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QCheckBox, QMessageBox

from playground.core.chat.codegen import to_json
from playground.core.chat.context import (
    COMPACTED_PLACEHOLDER,
    Strategy,
    is_compaction,
    read_compaction,
)
from playground.ui.common.chat_params import API_CHAT_COMPLETIONS
from tests.conftest import Parts
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.responses import StoredResponses, decode_compaction
from tests.gui.test_chat_context import MODEL, Built, small_window_chat

pytestmark = pytest.mark.gui

ANSWER = "tide " * 400  # each answer about 400 tokens: three fill what the model reads


@pytest.fixture
def chat(qtbot: Any, parts: Parts, fake_openai: FakeOpenAI) -> Iterator[Built]:
    fake_openai.scenario.reply_text = ANSWER
    built = small_window_chat(qtbot, parts, fake_openai)
    yield built
    # An empty chat counts nothing: no draft count is left waiting when the loop closes.
    built.controller.new_conversation()
    built.tab.input_edit.clear()


def _compact(chat: Built) -> None:
    combo = chat.tab.params.context_combo
    combo.setCurrentIndex(combo.findData(Strategy.COMPACT.value))
    assert combo.currentText() == "OpenAI compacts"


def _send(chat: Built, qtbot: Any, wait_until: Any, text: str) -> None:
    chat.tab.input_edit.setPlainText(text)
    qtbot.mouseClick(chat.tab.send_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: not chat.parts.runner.is_busy("chat"))
    assert not chat.tab.error_box.isVisible(), chat.tab.error_label.text()


def _fill(chat: Built, qtbot: Any, wait_until: Any) -> None:
    for n in range(3):
        _send(chat, qtbot, wait_until, f"question {n}")


def _bodies(fake: FakeOpenAI, path: str) -> list[dict[str, Any]]:
    return [r.json for r in fake.requests_to(path) if r.json]


def _texts(body: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for item in body.get("input") or body.get("messages") or ():
        content = item.get("content")
        out += [content] if isinstance(content, str) else [p["text"] for p in content or ()]
    return out


def _not_sent(chat: Built) -> list[int]:
    return [t.index for t in chat.tab.conversation.turns if t.not_sent]


def _send_compacted(chat: Built, fake: FakeOpenAI, qtbot: Any, wait_until: Any) -> None:
    """Fills the window, then sends a fourth question: the first exchange is compacted."""
    _compact(chat)
    _fill(chat, qtbot, wait_until)
    chat.tab.input_edit.setPlainText("question 3")
    wait_until(lambda: "OpenAI will compact" in chat.tab.estimate_label.text())
    assert "the 2 oldest turns" in chat.tab.estimate_label.text()
    fake.scenario.reply_text = "A short answer."  # the conversation fits again afterwards
    qtbot.mouseClick(chat.tab.send_button, Qt.MouseButton.LeftButton)
    wait_until(
        lambda: not chat.parts.runner.is_busy("chat") and len(chat.tab.conversation.turns) == 9
    )
    assert not chat.tab.error_box.isVisible(), chat.tab.error_label.text()


def test_openai_compacts_the_older_turns_and_the_next_request_sends_the_compacted_form(
    chat: Built, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    _send_compacted(chat, fake_openai, qtbot, wait_until)
    compact = fake_openai.last("/responses/compact").json or {}
    assert compact["model"] == MODEL
    assert len(_texts(compact)) == 2  # the first exchange only
    assert _texts(compact)[0] == "question 0"
    assert _texts(compact)[1].startswith("tide tide")
    body = _bodies(fake_openai, "/responses")[-1]
    items = body["input"]
    # The compacted form first (the user messages it keeps, then the compaction item), then
    # only the newer turns.
    assert [i.get("type") for i in items[:2]] == ["message", "compaction"]
    assert items[0]["content"][0]["text"] == "question 0"
    assert decode_compaction(items[1]["encrypted_content"])[0] == "question 0"
    assert _texts({"input": items[2:]})[0] == "question 1"
    assert _texts(body)[-1] == "question 3"
    assert len(items) == 2 + 5  # question 1, its answer, question 2, its answer, question 3
    # The note: a turn of its own after the compacted turns, which are greyed "not sent".
    turns = chat.controller.conversation.turns
    note = turns[2]
    assert is_compaction(note)
    assert _not_sent(chat) == [0, 1]
    widget = chat.tab.conversation.turns[2]
    assert widget.text().startswith("Earlier turns compacted by OpenAI: 2 turns, ")
    assert "cost $" in widget.text()
    assert not widget.edit_button.isVisibleTo(widget)  # encrypted: not editable
    assert widget.delete_button.isVisibleTo(widget)
    assert "only OpenAI can read" in widget.toolTip()
    assert "Chat Completions" in widget.toolTip()
    # Metered: the compaction is a row of the ledger, counted with the conversation.
    rows = [
        e
        for e in chat.parts.services.ledger.recent()
        if e.conversation_id == chat.controller.conversation.id
    ]
    assert len(rows) == 5
    compacted = read_compaction(note)
    assert compacted is not None
    assert any(r.usage.input_tokens == compacted.tokens_before for r in rows)
    assert compacted.tokens_after < compacted.tokens_before
    assert "5 requests" in chat.tab.conversation_totals.text()
    # The estimate counts what Send sends: the note's few tokens, not the turns it replaced.
    chat.tab.input_edit.setPlainText("question 4")
    wait_until(lambda: "of 8,192 context" in chat.tab.estimate_label.text())
    assert "too long" not in chat.tab.estimate_label.text()
    assert _not_sent(chat) == [0, 1]
    # OpenAI's exact count is asked for the request as Send makes it.
    wait_until(lambda: "(exact)" in chat.tab.estimate_label.text())
    counted = _bodies(fake_openai, "/responses/input_tokens")[-1]
    assert counted["input"][1]["type"] == "compaction"
    assert _texts(counted)[-1] == "question 4"
    assert "too long" not in chat.tab.estimate_label.text()
    # View code shows the compaction item with a placeholder, and only the newer turns.
    shown = to_json(chat.controller.sending.request_as_sent(), stream=True, abbreviate_data=True)
    assert COMPACTED_PLACEHOLDER in shown
    assert items[1]["encrypted_content"] not in shown
    assert "question 0" in shown  # kept by the compaction as a user message


def test_the_compaction_survives_a_restart_and_sends_the_same_body(
    chat: Built, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    _send_compacted(chat, fake_openai, qtbot, wait_until)
    before = _bodies(fake_openai, "/responses")[-1]["input"]
    conversation_id = chat.controller.conversation.id
    again = small_window_chat(qtbot, chat.parts, fake_openai)  # a new window on the same history
    again.controller.open_conversation(conversation_id)
    wait_until(lambda: len(again.tab.conversation.turns) == 9)
    assert is_compaction(again.controller.conversation.turns[2])
    assert again.tab.conversation.turns[2].text().startswith("Earlier turns compacted")
    _compact(again)
    _send(again, qtbot, wait_until, "question 4")
    after = _bodies(fake_openai, "/responses")[-1]["input"]
    assert after[:2] == before[:2]  # the same compacted form, read back from the history
    assert _texts({"input": after[2:]})[: len(before) - 2] == _texts({"input": before[2:]})
    assert _texts({"input": after})[-1] == "question 4"
    again.controller.new_conversation()
    again.tab.input_edit.clear()


def test_deleting_the_note_sends_the_whole_conversation_again(
    chat: Built, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    _send_compacted(chat, fake_openai, qtbot, wait_until)
    chat.tab.conversation.turns[2].delete_button.click()
    wait_until(lambda: len(chat.controller.conversation.turns) == 8)
    assert not any(is_compaction(m) for m in chat.controller.conversation.turns)
    chat.tab.params.context_combo.setCurrentIndex(
        chat.tab.params.context_combo.findData(Strategy.SERVER.value)
    )  # OpenAI trims: everything goes out, nothing compacted again
    _send(chat, qtbot, wait_until, "question 4")
    body = _bodies(fake_openai, "/responses")[-1]
    assert not any(i.get("type") == "compaction" for i in body["input"])
    assert _texts(body)[0] == "question 0"
    assert _texts(body)[1].startswith("tide tide")
    assert _not_sent(chat) == []


def test_chat_completions_sends_the_original_turns_instead_of_the_note(
    chat: Built, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    _send_compacted(chat, fake_openai, qtbot, wait_until)
    chat.tab.set_api(API_CHAT_COMPLETIONS)
    # Not offered there: the conversation falls back to asking first.
    assert chat.tab.params.context_combo.currentData() == Strategy.ASK.value
    chat.tab.input_edit.setPlainText("question 4")
    # The note is what is left out there; the turns it replaced are not greyed any more.
    wait_until(lambda: _not_sent(chat) == [2])
    qtbot.mouseClick(chat.tab.send_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: not chat.parts.runner.is_busy("chat"))
    body = _bodies(fake_openai, "/chat/completions")[-1]
    contents = [m["content"] for m in body["messages"]]
    assert contents[0] == "question 0"  # the original turns, not the compacted form
    assert not any("compaction" in str(c) for c in contents)
    assert contents[-1] == "question 4"


def _question_box(qtbot: Any) -> QMessageBox:
    found: list[QMessageBox] = []

    def shown() -> bool:
        found[:] = [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, QMessageBox) and w.isVisible()
        ]
        return bool(found)

    qtbot.waitUntil(shown)
    return found[0]


def test_a_model_that_cannot_compact_is_learned_and_the_user_is_asked(
    chat: Built, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    fake_openai.state(StoredResponses).cannot_compact.add(MODEL)
    _compact(chat)
    _fill(chat, qtbot, wait_until)
    chat.tab.input_edit.setPlainText("question 3")
    qtbot.mouseClick(chat.tab.send_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: not chat.parts.runner.is_busy("chat"))
    box = _question_box(qtbot)
    assert "cannot compact" in box.text()
    box.button(QMessageBox.StandardButton.No).click()
    wait_until(lambda: chat.tab.error_box.isVisible())
    assert "cannot compact" in chat.tab.error_label.text()
    # Nothing was sent, nothing lost: the message is in the conversation and stored.
    assert len(_bodies(fake_openai, "/responses")) == 3
    assert chat.controller.conversation.turns[-1].content == "question 3"
    stored = chat.parts.services.history.load(chat.controller.conversation.id).messages
    assert stored[-1].message.content == "question 3"
    # Learned: the panel says so, and the estimate no longer promises a compaction.
    assert "compaction" in chat.controller.sending.learned.of(MODEL)
    assert "OpenAI compacts" in chat.tab.params.learned_label.text()
    chat.tab.input_edit.setPlainText("question 4")
    wait_until(lambda: "too long for this model" in chat.tab.estimate_label.text())


def test_a_server_error_keeps_everything_and_retry_compacts(
    chat: Built, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    _compact(chat)
    _fill(chat, qtbot, wait_until)
    fake_openai.fail_next(500, path="/responses/compact")
    chat.tab.input_edit.setPlainText("question 3")
    qtbot.mouseClick(chat.tab.send_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: chat.tab.error_box.isVisible())
    assert "Nothing was sent" in chat.tab.error_label.text()
    assert len(_bodies(fake_openai, "/responses")) == 3  # the request was not sent half-done
    assert chat.controller.conversation.turns[-1].content == "question 3"
    assert not any(is_compaction(m) for m in chat.controller.conversation.turns)
    chat.tab.retry_button.click()
    wait_until(
        lambda: not chat.parts.runner.is_busy("chat") and len(chat.tab.conversation.turns) == 9
    )
    assert is_compaction(chat.controller.conversation.turns[2])
    assert _bodies(fake_openai, "/responses")[-1]["input"][1]["type"] == "compaction"


def test_with_keep_on_openai_a_compaction_starts_a_new_chain(
    chat: Built, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    keep = chat.tab.findChild(QCheckBox, "keepOnOpenAICheck")
    assert keep is not None
    keep.click()
    _send_compacted(chat, fake_openai, qtbot, wait_until)
    compacted = _bodies(fake_openai, "/responses")[-1]
    # The compacted form is sent in full once, with no chain the older turns were part of.
    assert "previous_response_id" not in compacted
    assert compacted["store"] is True
    assert compacted["input"][1]["type"] == "compaction"
    _send(chat, qtbot, wait_until, "question 4")
    after = _bodies(fake_openai, "/responses")[-1]
    answer = chat.parts.services.history.load(chat.controller.conversation.id).messages[-3]
    assert after["previous_response_id"] == answer.meta.response_id
    assert _texts(after) == ["question 4"]  # only the new turn: the server holds the rest


def test_compare_this_gets_the_original_turns_not_the_note(
    chat: Built, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    _send_compacted(chat, fake_openai, qtbot, wait_until)
    got: list[Any] = []
    chat.controller.link().on_compare(got.append)
    last = chat.tab.conversation.turns[-1]
    qtbot.mouseClick(last.compare_button, Qt.MouseButton.LeftButton)
    (request,) = got
    assert request.message == "question 3"
    assert not any(is_compaction(m) for m in request.context)
    assert request.context[0].content == "question 0"
