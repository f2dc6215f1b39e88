"""Chat when the conversation outgrows the model's window (issue 21): the estimate warns, and the
conversation's strategy decides what is sent — drop the oldest turns, summarise them into an
editable note with a chosen model (metered), or let OpenAI truncate — with the turns left out
greyed and marked "not sent"."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from playground.core.chat.context import Strategy, is_summary
from playground.core.chat.service import ChatService
from playground.ui.chat.controller import ChatController
from playground.ui.chat.tab import ChatTab
from playground.ui.common.chat_params import API_CHAT_COMPLETIONS, API_RESPONSES
from tests.conftest import Parts
from tests.fakes.openai_server import DEFAULT_REPLY, FakeOpenAI

pytestmark = pytest.mark.gui

MODEL = "gpt-4"  # an 8,192-token window
LONG = "word " * 300  # about 300 tokens


@dataclass
class Built:
    controller: ChatController
    tab: ChatTab
    parts: Parts


def small_window_chat(qtbot: Any, parts: Parts, fake: FakeOpenAI) -> Built:
    """Chat on `MODEL` (an 8,192-token window) with 7,000 tokens kept for the answer: about
    1,200 tokens of conversation fit (tests of what a long conversation sends)."""
    if MODEL not in fake.scenario.models:
        fake.scenario.models = [*fake.scenario.models, MODEL]
    services = parts.services
    services.counter.load(MODEL)  # counted on the GUI thread from the first keystroke
    tab = ChatTab()
    qtbot.addWidget(tab)
    controller = ChatController(
        tab,
        ChatService(services.session.client),
        services.session,
        parts.runner,
        services.counter,
        services.accounting,
        parts.counters,
        history=services.history,
        default_api=lambda: API_RESPONSES,
        parent=tab,
    )
    tab.set_model(MODEL)
    tab.params.max_tokens_spin.setValue(7_000)  # leaves about 1,200 tokens to read
    tab.show()
    return Built(controller, tab, parts)


@pytest.fixture
def chat(qtbot: Any, parts: Parts, fake_openai: FakeOpenAI) -> Iterator[Built]:
    built = small_window_chat(qtbot, parts, fake_openai)
    yield built
    # An empty chat counts nothing: no draft count is left waiting when the loop closes.
    built.controller.new_conversation()
    built.tab.input_edit.clear()


def _strategy(chat: Built, strategy: Strategy) -> None:
    combo = chat.tab.params.context_combo
    combo.setCurrentIndex(combo.findData(strategy.value))


def _send(chat: Built, qtbot: Any, wait_until: Any, text: str) -> None:
    chat.tab.input_edit.setPlainText(text)
    qtbot.mouseClick(chat.tab.send_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: not chat.parts.runner.is_busy("chat"))
    assert not chat.tab.error_box.isVisible(), chat.tab.error_label.text()


def _fill(chat: Built, qtbot: Any, wait_until: Any) -> None:
    for n in range(3):
        _send(chat, qtbot, wait_until, f"{n} {LONG}")


def _texts(body: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for item in body.get("input") or body.get("messages") or ():
        content = item.get("content")
        out += [content] if isinstance(content, str) else [p["text"] for p in content or ()]
    return out


def _not_sent(chat: Built) -> list[int]:
    return [t.index for t in chat.tab.conversation.turns if t.not_sent]


def test_dropping_the_oldest_turns_warns_first_and_greys_what_was_left_out(
    chat: Built, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    _strategy(chat, Strategy.DROP)
    _fill(chat, qtbot, wait_until)
    chat.tab.input_edit.setPlainText(f"3 {LONG}")
    wait_until(lambda: "will not be sent" in chat.tab.estimate_label.text())
    assert "the 2 oldest turns" in chat.tab.estimate_label.text()
    assert _not_sent(chat) == [0, 1]  # shown before sending
    qtbot.mouseClick(chat.tab.send_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: not chat.parts.runner.is_busy("chat"))
    body = [r.json for r in fake_openai.requests_to("/responses") if r.json][-1]
    texts = _texts(body)
    assert texts[0].startswith("1 word")  # the first exchange was left out
    assert texts[-1].startswith("3 word")
    assert DEFAULT_REPLY in texts
    assert _not_sent(chat) == [0, 1]
    assert not chat.tab.conversation.turns[2].not_sent


def test_asking_first_is_the_default_and_nothing_is_left_out(
    chat: Built, qtbot: Any, wait_until: Any
) -> None:
    _fill(chat, qtbot, wait_until)
    chat.tab.input_edit.setPlainText(f"3 {LONG}")
    wait_until(lambda: "too long for this model" in chat.tab.estimate_label.text())
    assert _not_sent(chat) == []


def test_summarising_writes_an_editable_metered_note_with_the_chosen_model(
    chat: Built, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    chat.tab.set_api(API_CHAT_COMPLETIONS)
    _strategy(chat, Strategy.SUMMARISE)
    assert chat.tab.params.summary_model_combo.isVisible()
    chat.tab.params.summary_model_combo.setCurrentText("gpt-4o-mini")
    _fill(chat, qtbot, wait_until)
    chat.tab.input_edit.setPlainText(f"3 {LONG}")
    wait_until(lambda: "will be summarised" in chat.tab.estimate_label.text())
    qtbot.mouseClick(chat.tab.send_button, Qt.MouseButton.LeftButton)
    wait_until(
        lambda: not chat.parts.runner.is_busy("chat") and len(chat.tab.conversation.turns) == 9
    )
    summary, answer = [r.json for r in fake_openai.requests_to("/chat/completions") if r.json][-2:]
    assert summary["model"] == "gpt-4o-mini"
    assert "0 word" in summary["messages"][1]["content"]
    turns = chat.controller.conversation.turns
    note = turns[2]
    assert is_summary(note)
    assert note.content.endswith(DEFAULT_REPLY)
    sent = [m["content"] for m in answer["messages"]]
    assert sent[0] == note.content
    assert not any(str(s).startswith("0 word") for s in sent)
    assert _not_sent(chat) == [0, 1]
    # The note is a turn like any other: shown, editable, stored; its cost is in the totals.
    assert chat.tab.conversation.turns[2].edit_button.isVisibleTo(chat.tab.conversation.turns[2])
    stored = chat.parts.services.history.load(chat.controller.conversation.id).messages
    assert is_summary(stored[2].message)
    assert stored[2].meta.model == "gpt-4o-mini"
    assert "5 requests" in chat.tab.conversation_totals.text()


def test_letting_openai_truncate_sends_everything_with_truncation_auto(
    chat: Built, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    _strategy(chat, Strategy.SERVER)
    _fill(chat, qtbot, wait_until)
    _send(chat, qtbot, wait_until, f"3 {LONG}")
    first, *_, last = [r.json for r in fake_openai.requests_to("/responses") if r.json]
    assert "truncation" not in first
    assert last["truncation"] == "auto"
    assert _texts(last)[0].startswith("0 word")
    # Chat Completions has no such option: it is not offered there.
    chat.tab.set_api(API_CHAT_COMPLETIONS)
    assert chat.tab.params.context_combo.currentData() == Strategy.ASK.value


def test_a_failed_summary_keeps_the_message_and_retry_asks_again(
    chat: Built, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    chat.tab.set_api(API_CHAT_COMPLETIONS)
    _strategy(chat, Strategy.SUMMARISE)
    _fill(chat, qtbot, wait_until)
    fake_openai.fail_next(500, path="/chat/completions")
    chat.tab.input_edit.setPlainText(f"3 {LONG}")
    qtbot.mouseClick(chat.tab.send_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: chat.tab.error_box.isVisible())
    # The message is kept, shown and stored, though nothing was sent yet.
    assert chat.controller.conversation.turns[-1].content.startswith("3 word")
    stored = chat.parts.services.history.load(chat.controller.conversation.id).messages
    assert stored[-1].message.content.startswith("3 word")
    chat.tab.retry_button.click()
    wait_until(
        lambda: not chat.parts.runner.is_busy("chat") and len(chat.tab.conversation.turns) == 9
    )
    assert is_summary(chat.controller.conversation.turns[2])
    assert chat.controller.conversation.turns[-1].content == DEFAULT_REPLY


def test_a_pinned_turn_is_sent_when_the_oldest_turns_are_dropped(
    chat: Built, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    _strategy(chat, Strategy.DROP)
    _fill(chat, qtbot, wait_until)
    first = chat.tab.conversation.turns[0]
    pin = first.action("pinTurn")
    assert pin.text() == "Pin: always send this turn"
    pin.trigger()
    first = chat.tab.conversation.turns[0]  # the view is rebuilt
    assert first.pinned
    assert first.findChild(QLabel, "pinMark").isVisibleTo(first)
    assert first.action("pinTurn").text() == "Unpin"
    chat.tab.input_edit.setPlainText(f"3 {LONG}")
    wait_until(lambda: "will not be sent" in chat.tab.estimate_label.text())
    assert 0 not in _not_sent(chat)
    qtbot.mouseClick(chat.tab.send_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: not chat.parts.runner.is_busy("chat"))
    texts = _texts([r.json for r in fake_openai.requests_to("/responses") if r.json][-1])
    assert texts[0].startswith("0 word")  # pinned: sent although it is the oldest
    assert texts[-1].startswith("3 word")
    assert chat.controller.history.load(chat.controller.conversation.id).messages[0].meta.pinned
