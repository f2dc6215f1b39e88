"""Chat through the Responses API against the fake server: the API per conversation (switchable,
stored), the Thinking section and tool steps from a real stream, MCP approve/deny, and a pasted
Responses request."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLabel

from playground.core.api.secrets import MemorySecretStore
from playground.core.api.session import ApiSession
from playground.core.chat.codegen import parse_request
from playground.core.chat.service import ChatService
from playground.core.models import ProviderProfile
from playground.core.money.accounting import Accounting
from playground.core.money.ledger import UsageLedger
from playground.core.money.pricing import Pricer
from playground.core.money.tokens import TiktokenCounter
from playground.core.storage.history import HistoryStore
from playground.core.storage.settings import ChatSettings, Settings
from playground.ui.chat.controller import ChatController
from playground.ui.chat.tab import ChatTab
from playground.ui.common.chat_params import API_CHAT_COMPLETIONS, API_RESPONSES
from playground.ui.shell.bridge import TaskRunner
from playground.ui.shell.counters import CountersController
from playground.ui.shell.counters_bar import CountersBar
from tests.conftest import TEST_KEY
from tests.fakes.openai_server import DEFAULT_REPLY, FakeOpenAI
from tests.fakes.responses import StoredResponses, count_input_tokens

pytestmark = pytest.mark.gui

APPROVAL = {
    "type": "mcp_approval_request",
    "server_label": "deepwiki",
    "name": "ask_question",
    "arguments": '{"q": "tides"}',
}
SEARCH = {"type": "web_search_call", "action": {"type": "search", "query": "tides in Brest"}}


@dataclass
class Built:
    controller: ChatController
    tab: ChatTab
    history: HistoryStore
    runner: TaskRunner
    ledger: UsageLedger


@contextlib.contextmanager
def _built(
    qtbot: Any, qloop: Any, fake_openai: FakeOpenAI, history: HistoryStore
) -> Iterator[Built]:
    profile = ProviderProfile(
        id="openai", name="OpenAI", base_url=fake_openai.base_url, max_retries=0
    )
    secrets = MemorySecretStore()
    secrets.set("openai", TEST_KEY)
    session = ApiSession(
        Settings(profiles=(profile,), chat=ChatSettings(model="gpt-4o-mini")), secrets, {}
    )
    ledger = UsageLedger.in_memory()
    accounting = Accounting(ledger, Pricer())
    counter = TiktokenCounter()
    runner = TaskRunner()
    bar = CountersBar()
    qtbot.addWidget(bar)
    counters = CountersController(bar, counter, accounting, runner)
    tab = ChatTab()
    qtbot.addWidget(tab)
    controller = ChatController(
        tab,
        ChatService(session.client),
        session,
        runner,
        counter,
        accounting,
        counters,
        history=history,
        default_api=lambda: API_RESPONSES,
        parent=tab,
    )
    tab.set_model("gpt-4o-mini")
    tab.show()
    try:
        yield Built(controller, tab, history, runner, ledger)
    finally:
        qloop.run_until_complete(runner.shutdown())
        qloop.run_until_complete(session.aclose())
        ledger.close()
        runner.deleteLater()


@pytest.fixture
def chat(qtbot: Any, qloop: Any, fake_openai: FakeOpenAI) -> Iterator[Built]:
    fake_openai.scenario.models = [*fake_openai.scenario.models, "gpt-5-mini", "gpt-6-sol"]
    history = HistoryStore.in_memory()
    with _built(qtbot, qloop, fake_openai, history) as built:
        yield built
    history.close()


def _send(chat: Built, qtbot: Any, wait_until: Any, text: str) -> None:
    chat.tab.input_edit.setPlainText(text)
    qtbot.mouseClick(chat.tab.send_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: not chat.runner.is_busy("chat"))
    assert not chat.tab.error_box.isVisible(), chat.tab.error_label.text()


def test_both_engines_on_one_conversation_and_the_choice_is_stored(
    chat: Built, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    assert chat.tab.api() == API_RESPONSES
    _send(chat, qtbot, wait_until, "Hello")
    (first,) = [r.json for r in fake_openai.requests_to("/responses") if r.json]
    assert first["input"][-1]["content"][0]["text"] == "Hello"
    assert fake_openai.requests_to("/chat/completions") == []
    assert "Responses" in chat.tab.conversation.turns[-1].meta_label.text()

    chat.tab.set_api(API_CHAT_COMPLETIONS)
    _send(chat, qtbot, wait_until, "Again")
    (second,) = [r.json for r in fake_openai.requests_to("/chat/completions") if r.json]
    assert [m["content"] for m in second["messages"]] == ["Hello", DEFAULT_REPLY, "Again"]
    conversation_id = chat.controller.conversation.id
    assert chat.history.load(conversation_id).api == API_CHAT_COMPLETIONS

    chat.controller.new_conversation()
    assert chat.tab.api() == API_RESPONSES  # a new conversation starts on the default
    chat.controller.open_conversation(conversation_id)
    assert chat.tab.api() == API_CHAT_COMPLETIONS


def test_thinking_and_a_tool_step_stream_into_the_answer(
    chat: Built, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    scenario = fake_openai.scenario
    scenario.reasoning_summary = "Tides follow the moon.\n\nI should search."
    scenario.reasoning_tokens = 24
    scenario.builtin_items = [SEARCH]
    params = chat.tab.params
    chat.tab.set_model("gpt-5-mini")
    params.summary_combo.setCurrentIndex(params.summary_combo.findData("auto"))
    params.web_search_check.setChecked(True)
    _send(chat, qtbot, wait_until, "When is high tide?")
    sent = fake_openai.last("/responses").json or {}
    assert sent["reasoning"] == {"summary": "auto"}
    assert sent["tools"] == [{"type": "web_search"}]
    turn = chat.tab.conversation.turns[-1]
    assert turn.has_thinking()
    assert "Tides follow the moon." in turn.thinking.text()
    assert "I should search." in turn.thinking.text()
    (step,) = turn.steps.steps
    assert "tides in Brest" in step.toggle.text()
    assert step.toggle.text().startswith("✓")
    assert turn.text() == DEFAULT_REPLY
    meta = turn.meta_label.text()
    assert "24 tok reasoning" in meta
    assert "tier default" in meta


@pytest.mark.parametrize("approve", [True, False])
def test_mcp_approval_buttons_send_the_answer(
    chat: Built, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any, approve: bool
) -> None:
    fake_openai.scenario.builtin_items = [APPROVAL]
    params = chat.tab.params
    params.mcp_check.setChecked(True)
    params.mcp_url_edit.setText("https://mcp.example.org/mcp")
    params.mcp_label_edit.setText("deepwiki")
    _send(chat, qtbot, wait_until, "Ask deepwiki about tides")
    asking = chat.tab.conversation.turns[-1]
    (step,) = asking.steps.steps
    assert step.approval_row.isVisibleTo(asking)
    button = step.approve_button if approve else step.deny_button
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    wait_until(lambda: not chat.runner.is_busy("chat"))
    sent = fake_openai.last("/responses").json or {}
    assert sent["input"][-1] == {
        "type": "mcp_approval_response",
        "approval_request_id": step.step.item_id,
        "approve": approve,
    }
    assert not step.approval_row.isVisibleTo(asking)
    answer = chat.tab.conversation.turns[-1]
    assert answer is not asking
    assert answer.text() == DEFAULT_REPLY
    if approve:
        (call,) = answer.steps.steps
        assert "ask_question" in call.toggle.text()
    else:
        assert not answer.steps.steps if answer._steps is not None else True


def test_a_pasted_responses_request_fills_the_tab(chat: Built, qtbot: Any) -> None:
    body = {
        "model": "gpt-6-sol",
        "instructions": "Be brief.",
        "input": "Hi",
        "reasoning": {"effort": "none", "summary": "concise"},
        "temperature": 0.5,
        "service_tier": "flex",
    }
    chat.tab.set_api(API_CHAT_COMPLETIONS)
    chat.controller.exports._apply_parsed(parse_request(json.dumps(body)))
    tab = chat.tab
    assert tab.api() == API_RESPONSES
    assert tab.current_model() == "gpt-6-sol"
    assert tab.system_edit.toPlainText() == "Be brief."
    fields = tab.params.request_fields()
    assert fields["temperature"] == 0.5  # effort none: GPT-6 takes it, so it is kept
    assert fields["reasoning_effort"] == "none"
    extras = tab.params.responses_fields()
    assert (extras["reasoning_summary"], extras["service_tier"]) == ("concise", "flex")


def test_citations_link_the_answer_and_an_incomplete_answer_says_why(
    chat: Built, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    url = "https://tides.example/brest"
    fake_openai.scenario.annotations = [
        {
            "type": "url_citation",
            "url": url,
            "title": "Brest tides",
            "start_index": 0,
            "end_index": len(DEFAULT_REPLY),
        }
    ]
    fake_openai.scenario.builtin_items = [SEARCH]
    chat.tab.params.web_search_check.setChecked(True)
    _send(chat, qtbot, wait_until, "Tides?")
    turn = chat.tab.conversation.turns[-1]
    assert turn.text() == f"{DEFAULT_REPLY} [[1]]({url})"
    assert chat.controller.conversation.turns[-1].content == DEFAULT_REPLY  # stored as sent
    assert f'href="{url}"' in turn.citations_label.text()

    fake_openai.scenario.annotations = []
    fake_openai.scenario.incomplete_reason = "content_filter"
    _send(chat, qtbot, wait_until, "And tomorrow?")
    assert "incomplete (content filter)" in chat.tab.conversation.turns[-1].meta_label.text()


def _bodies(fake: FakeOpenAI) -> list[dict[str, Any]]:
    return [r.json for r in fake.requests_to("/responses") if r.json]


def _texts(body: dict[str, Any]) -> list[str]:
    out = []
    for item in body["input"]:
        content = item.get("content")
        out += [content] if isinstance(content, str) else [part["text"] for part in content or ()]
    return out


def test_keep_on_openai_sends_only_the_new_message_and_stores_the_response_id(
    chat: Built, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    keep = chat.tab.findChild(QCheckBox, "keepOnOpenAICheck")
    note = chat.tab.findChild(QLabel, "keepOnOpenAINote")
    assert keep is not None
    assert note is not None
    assert keep.isVisible()
    assert not keep.isChecked()
    assert "whole conversation" in note.text()
    keep.click()
    assert "kept by OpenAI for 30 days" in note.text()

    _send(chat, qtbot, wait_until, "Hello")
    _send(chat, qtbot, wait_until, "Again")
    first, second = _bodies(fake_openai)
    assert first["store"] is True
    assert "previous_response_id" not in first
    answers = [m for m in chat.history.load(chat.controller.conversation.id).messages
               if m.message.role == "assistant"]  # fmt: skip
    ids = [m.meta.response_id for m in answers]
    assert all(ids)
    assert len(set(ids)) == 2
    assert second["previous_response_id"] == ids[0]
    assert _texts(second) == ["Again"]  # only the new turn goes out
    assert "only the new message" in chat.tab.conversation.turns[-1].meta_label.text()

    # Reopened from history, the conversation still continues where the server left it, and the
    # switch comes back with it.
    conversation_id = chat.controller.conversation.id
    chat.controller.new_conversation()
    keep.click()  # a new chat keeps the settings; this one is switched off
    assert not keep.isChecked()
    chat.controller.open_conversation(conversation_id)
    assert keep.isChecked()
    _send(chat, qtbot, wait_until, "Third")
    assert _bodies(fake_openai)[-1]["previous_response_id"] == ids[1]
    assert _texts(_bodies(fake_openai)[-1]) == ["Third"]


def test_editing_an_earlier_turn_continues_from_that_turns_answer(
    chat: Built, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    chat.tab.findChild(QCheckBox, "keepOnOpenAICheck").click()
    for text in ("One", "Two", "Three"):
        _send(chat, qtbot, wait_until, text)
    answers = [t for t in chat.controller.state.metas if t.response_id]
    first_answer = answers[0].response_id

    def edit_and_resend(index: int, text: str) -> dict[str, Any]:
        turn = chat.tab.conversation.turns[index]
        turn.edit_button.click()
        turn.editor.setPlainText(text)
        turn.resend_button.click()
        wait_until(lambda: not chat.runner.is_busy("chat"))
        assert not chat.tab.error_box.isVisible(), chat.tab.error_label.text()
        return _bodies(fake_openai)[-1]

    # "Two" (turn 2) edited: the answer to "One" still stands, so the chain goes on from it.
    body = edit_and_resend(2, "Two, edited")
    assert body["previous_response_id"] == first_answer
    assert _texts(body) == ["Two, edited"]
    # The first message edited: no stored answer saw it, so the whole conversation is sent.
    body = edit_and_resend(0, "One, edited")
    assert "previous_response_id" not in body
    assert body["store"] is True
    assert _texts(body) == ["One, edited"]


def test_without_keep_on_openai_the_whole_conversation_is_sent_and_nothing_kept(
    chat: Built, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    _send(chat, qtbot, wait_until, "Hello")
    _send(chat, qtbot, wait_until, "Again")
    second = _bodies(fake_openai)[-1]
    assert second["store"] is False
    assert "previous_response_id" not in second
    assert _texts(second) == ["Hello", DEFAULT_REPLY, "Again"]


def test_an_answer_openai_no_longer_keeps_sends_the_whole_conversation(
    chat: Built, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    chat.tab.findChild(QCheckBox, "keepOnOpenAICheck").click()
    _send(chat, qtbot, wait_until, "Hello")
    stored = fake_openai.state(StoredResponses)
    with stored.lock:
        stored.items.clear()  # 30 days later: OpenAI has deleted it
    _send(chat, qtbot, wait_until, "Again")
    failed, whole = _bodies(fake_openai)[-2:]
    assert failed["previous_response_id"]
    assert "previous_response_id" not in whole
    assert whole["store"] is True
    assert _texts(whole) == ["Hello", DEFAULT_REPLY, "Again"]
    assert [t.text() for t in chat.tab.conversation.turns] == [
        "Hello",
        DEFAULT_REPLY,
        "Again",
        DEFAULT_REPLY,
    ]
    assert "no longer had" in chat.tab.conversation.turns[-1].meta_label.text()


def test_a_fork_from_an_earlier_answer_continues_from_that_answer(
    chat: Built, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    chat.tab.findChild(QCheckBox, "keepOnOpenAICheck").click()
    _send(chat, qtbot, wait_until, "One")
    _send(chat, qtbot, wait_until, "Two")
    first_answer = chat.controller.state.metas[1].response_id
    original = chat.controller.conversation.id
    chat.tab.conversation.turns[1].action("forkTurn").trigger()
    wait_until(lambda: chat.controller.conversation.id != original)
    assert len(chat.controller.conversation.turns) == 2
    _send(chat, qtbot, wait_until, "Branch")
    body = _bodies(fake_openai)[-1]
    assert body["previous_response_id"] == first_answer
    assert _texts(body) == ["Branch"]


def test_the_draft_is_counted_exactly_by_openai_once_typing_pauses(
    chat: Built, fake_openai: FakeOpenAI, wait_until: Any
) -> None:
    label = chat.tab.estimate_label
    chat.tab.input_edit.setPlainText("How high are the tides in Brest?")
    wait_until(lambda: "(exact)" in label.text())
    (asked,) = [r.json for r in fake_openai.requests_to("/responses/input_tokens") if r.json]
    assert asked["input"][-1]["content"][0]["text"] == "How high are the tides in Brest?"
    exact = count_input_tokens(asked)
    assert label.text().startswith(f"{exact:,} tok (exact)")
    # Typing on shows the local estimate at once (≈) until the next exact count.
    chat.tab.input_edit.setPlainText("How high are the tides in Brest today?")
    assert label.text().startswith("≈")
    wait_until(lambda: "(exact)" in label.text())
    assert len(fake_openai.requests_to("/responses/input_tokens")) == 2


def test_a_server_that_cannot_count_keeps_the_local_estimate(
    chat: Built, fake_openai: FakeOpenAI, wait_until: Any
) -> None:
    fake_openai.fail_next(404, message="Not found", code="not_found", path="/input_tokens")
    label = chat.tab.estimate_label
    chat.tab.input_edit.setPlainText("How high are the tides in Brest?")
    wait_until(lambda: len(fake_openai.requests_to("/responses/input_tokens")) == 1)
    wait_until(lambda: not chat.runner.is_busy("chat-count"))
    assert label.text().startswith("≈")
    assert "(exact)" not in label.text()
    assert not chat.tab.error_box.isVisible()  # a failed count is not the user's error


def test_a_refused_setting_is_sent_again_without_it_and_remembered_for_the_model(
    chat: Built, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    # A model the capability table does not know: the panel offers temperature, the server
    # (an o-series model) refuses it.
    fake_openai.scenario.models = [*fake_openai.scenario.models, "o9-mini"]
    chat.tab.set_model("o9-mini")
    chat.tab.params.temperature_row.set_value(0.4)
    chat.tab.input_edit.setPlainText("Hello")
    qtbot.mouseClick(chat.tab.send_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: chat.tab.error_box.isVisible())
    assert "o9-mini does not take temperature" in chat.tab.error_label.text()
    assert chat.tab.retry_button.text() == "Send again without it"
    assert not chat.tab.params.learned_group.isVisibleTo(chat.tab.params)

    chat.tab.retry_button.click()
    wait_until(lambda: not chat.runner.is_busy("chat"))
    assert not chat.tab.error_box.isVisible()
    refused, accepted = _bodies(fake_openai)
    assert refused["temperature"] == 0.4
    assert "temperature" not in accepted
    assert chat.tab.conversation.turns[-1].text() == DEFAULT_REPLY
    assert chat.tab.params.learned_group.isVisibleTo(chat.tab.params)
    assert "o9-mini does not take temperature" in chat.tab.params.learned_label.text()
    assert chat.controller.save_state()["learned"] == {"o9-mini": ["temperature"]}

    # Remembered: the next send leaves it out at once; other models still get it.
    _send(chat, qtbot, wait_until, "Again")
    assert "temperature" not in _bodies(fake_openai)[-1]
    chat.tab.set_model("gpt-4o-mini")
    assert not chat.tab.params.learned_group.isVisibleTo(chat.tab.params)
    _send(chat, qtbot, wait_until, "Third")
    assert _bodies(fake_openai)[-1]["temperature"] == 0.4

    # Forget: it is sent again (and refused again).
    chat.tab.set_model("o9-mini")
    chat.tab.params.learned_reset.click()
    assert chat.controller.save_state()["learned"] == {}
    chat.tab.input_edit.setPlainText("Fourth")
    qtbot.mouseClick(chat.tab.send_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: chat.tab.error_box.isVisible())
    assert _bodies(fake_openai)[-1]["temperature"] == 0.4


def test_what_was_learned_comes_back_with_the_settings(chat: Built) -> None:
    chat.tab.set_model("o9-mini")
    chat.controller.restore_state({"model": "o9-mini", "learned": {"o9-mini": ["temperature"]}})
    assert chat.tab.params.learned_group.isVisibleTo(chat.tab.params)
    assert "temperature" in chat.tab.params.learned_label.text()


def _answer_row(chat: Built) -> Any:
    stored = chat.history.load(chat.controller.conversation.id)
    return stored.messages[-1]


def test_a_background_answer_is_asked_for_until_done(
    chat: Built, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    stored = fake_openai.state(StoredResponses)  # a server that cannot stream it again
    stored.drop_after, stored.stream_retrieval = 6, False
    chat.tab.findChild(QCheckBox, "backgroundCheck").click()
    _send(chat, qtbot, wait_until, "Hello")
    (created,) = _bodies(fake_openai)
    assert created["background"] is True
    assert created["store"] is True
    (polled,) = [r for r in fake_openai.requests if r.method == "GET" and not r.query]
    assert chat.tab.conversation.turns[-1].text() == DEFAULT_REPLY
    row = _answer_row(chat)
    assert row.message.content == DEFAULT_REPLY
    assert row.meta.response_id == polled.path.rsplit("/", 1)[-1]


def test_stop_cancels_a_background_answer_on_openai(
    chat: Built, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    fake_openai.state(StoredResponses).hold_after = 8  # still running when Stop is pressed
    chat.tab.findChild(QCheckBox, "backgroundCheck").click()
    chat.tab.input_edit.setPlainText("Hello")
    qtbot.mouseClick(chat.tab.send_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: _bodies(fake_openai) and chat.history.list())
    wait_until(lambda: _answer_row(chat).meta.response_id is not None)
    response_id = _answer_row(chat).meta.response_id
    chat.tab.stop_button.click()
    wait_until(lambda: not chat.runner.is_busy("chat") and not chat.runner.is_busy("chat-cancel"))
    (cancel,) = fake_openai.requests_to("/cancel")
    assert cancel.path.endswith(f"/responses/{response_id}/cancel")


def test_a_background_answer_left_running_at_close_is_picked_up_at_start(
    qtbot: Any, qloop: Any, fake_openai: FakeOpenAI, tmp_path: Path, wait_until: Any
) -> None:
    stored = fake_openai.state(StoredResponses)
    stored.hold_after = 8  # still running when the window closes
    path = tmp_path / "history.sqlite3"
    history = HistoryStore(path)
    with _built(qtbot, qloop, fake_openai, history) as chat:
        chat.tab.findChild(QCheckBox, "backgroundCheck").click()
        chat.tab.input_edit.setPlainText("Hello")
        qtbot.mouseClick(chat.tab.send_button, Qt.MouseButton.LeftButton)
        wait_until(lambda: _bodies(fake_openai) and chat.history.list())
        wait_until(lambda: _answer_row(chat).meta.response_id is not None)
        conversation_id = chat.controller.conversation.id
        response_id = _answer_row(chat).meta.response_id
    # The window closed (the runner shut down): the request is dropped here, not on OpenAI.
    history.close()
    assert fake_openai.requests_to("/cancel") == []
    assert response_id
    stored.release()  # OpenAI goes on meanwhile
    # The next start: the row is found cut off, with its id, and picked up.
    history = HistoryStore(path)
    assert history.recover_interrupted() == 1
    with _built(qtbot, qloop, fake_openai, history) as chat:
        wait_until(lambda: not chat.runner.is_busy("chat-resume"))
        chat.controller.open_conversation(conversation_id)
        assert chat.tab.conversation.turns[-1].text() == DEFAULT_REPLY
        row = _answer_row(chat)
        assert row.meta.status.value == "ok"
        assert row.meta.usage is not None
    history.close()


CODE = {
    "type": "code_interpreter_call",
    "code": "print(6 * 7)",
    "outputs": [{"type": "logs", "logs": "42"}],
}


def _answer_with_everything(chat: Built, fake: FakeOpenAI, qtbot: Any, wait_until: Any) -> str:
    """Sends one question answered with a reasoning summary, two tool steps and a citation;
    returns the conversation's id."""
    url = "https://tides.example/brest"
    scenario = fake.scenario
    scenario.reasoning_summary = "Tides follow the moon."
    scenario.builtin_items = [SEARCH, CODE]
    scenario.annotations = [
        {"type": "url_citation", "url": url, "title": "Brest tides", "start_index": 0,
         "end_index": len(DEFAULT_REPLY)}
    ]  # fmt: skip
    params = chat.tab.params
    chat.tab.set_model("gpt-5-mini")
    params.summary_combo.setCurrentIndex(params.summary_combo.findData("auto"))
    params.web_search_check.setChecked(True)
    params.code_check.setChecked(True)
    _send(chat, qtbot, wait_until, "When is high tide?")
    return chat.controller.conversation.id


def test_thinking_steps_and_sources_come_back_when_the_conversation_is_reopened(
    chat: Built, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    conversation_id = _answer_with_everything(chat, fake_openai, qtbot, wait_until)
    chat.controller.new_conversation()
    assert chat.tab.conversation.turns == []
    chat.controller.open_conversation(conversation_id)
    turn = chat.tab.conversation.turns[-1]
    assert turn.has_thinking()
    assert turn.thinking.text() == "Tides follow the moon."
    search, code = turn.steps.steps
    assert "tides in Brest" in search.toggle.text()
    assert "print(6 * 7)" in code.details.text()
    assert "42" in code.details.text()
    assert 'href="https://tides.example/brest"' in turn.citations_label.text()
    assert turn.text().endswith("(https://tides.example/brest)")  # the passage links its source


def test_the_export_keeps_thinking_steps_and_sources(
    chat: Built, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any, tmp_path: Path
) -> None:
    from playground.core.chat.export import from_json

    _answer_with_everything(chat, fake_openai, qtbot, wait_until)
    exports = chat.controller.exports
    target = tmp_path / "tides.json"
    exports._ask_save_path = lambda suggested, filter_: str(target)  # type: ignore[method-assign]
    exports.export_conversation("json")
    conversation, problems = from_json(target.read_text(encoding="utf-8"))
    assert problems == []
    assert conversation is not None
    reply = conversation.turns[-1]
    assert reply.reasoning == "Tides follow the moon."
    assert [s.kind for s in reply.steps] == ["web_search_call", "code_interpreter_call"]
    assert reply.steps[1].output == "42"
    assert [c.url for c in reply.citations] == ["https://tides.example/brest"]

    md = tmp_path / "tides.md"
    exports._ask_save_path = lambda suggested, filter_: str(md)  # type: ignore[method-assign]
    exports.export_conversation("markdown")
    text = md.read_text(encoding="utf-8")
    assert "> **Thinking**\n>\n> Tides follow the moon." in text
    assert "- **Web search:** Searched the web for “tides in Brest”" in text
    assert "print(6 * 7)" in text
    assert "1. [Brest tides](https://tides.example/brest)" in text

    # An imported export shows them again.
    exports._ask_open_path = lambda filter_: str(target)  # type: ignore[method-assign]
    exports.import_conversation()
    turn = chat.tab.conversation.turns[-1]
    assert turn.thinking.text() == "Tides follow the moon."
    assert len(turn.steps.steps) == 2


def test_file_search_picks_vector_stores_from_the_list_openai_gives(
    chat: Built, fake_openai: FakeOpenAI, qtbot: Any, qloop: Any, wait_until: Any
) -> None:
    from playground.core.platform.vector_stores import VectorStoresService

    params = chat.tab.params
    picker = params.vector_stores
    params.file_search_check.setChecked(True)  # the list is asked for when first needed
    wait_until(lambda: "Create one in the Platform tab" in picker.note.text())
    assert picker.list.count() == 0

    stores = VectorStoresService(chat.controller.sending.session.client)
    made = qloop.run_until_complete(stores.create("Tide tables"))
    qtbot.mouseClick(picker.refresh_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: picker.list.count() == 1)
    assert picker.list.item(0).text() == "Tide tables · No files yet"
    assert not picker.note.isVisible()
    assert any("tick at least one vector store" in p for p in params.problems())
    picker.list.item(0).setCheckState(Qt.CheckState.Checked)
    _send(chat, qtbot, wait_until, "When is high tide?")
    sent = fake_openai.last("/responses").json or {}
    assert sent["tools"] == [{"type": "file_search", "vector_store_ids": [made.id]}]

    qloop.run_until_complete(stores.delete(made.id))  # deleted in the Platform tab meanwhile
    qtbot.mouseClick(picker.refresh_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: "no longer exists" in picker.note.text())
    assert "Tick another one, or create one in the Platform tab." in picker.note.text()
    assert picker.chosen() == ()


def test_a_vector_store_list_that_cannot_be_fetched_says_why_and_keeps_the_choice(
    chat: Built, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    from playground.core.chat.builtin_tools import FileSearchTool

    fake_openai.fail_next(500, path="/vector_stores")  # the list request fails
    chat.tab.params.set_fields({"builtin_tools": (FileSearchTool(vector_store_ids=("vs_kept",)),)})
    picker = chat.tab.params.vector_stores
    wait_until(lambda: "could not be listed" in picker.note.text())
    assert "Press Refresh to try again." in picker.note.text()
    assert picker.chosen() == ("vs_kept",)


def test_a_vector_store_gone_at_send_time_is_said_in_plain_words(
    chat: Built, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    from playground.core.chat.builtin_tools import FileSearchTool

    fake_openai.scenario.vector_stores = []  # OpenAI knows none of them
    chat.tab.params.set_fields({"builtin_tools": (FileSearchTool(vector_store_ids=("vs_gone",)),)})
    chat.tab.input_edit.setPlainText("Search my notes")
    qtbot.mouseClick(chat.tab.send_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: chat.tab.error_box.isVisible())
    text = chat.tab.error_label.text()
    assert "no longer exists on OpenAI" in text
    assert "Press Refresh under File search" in text
    assert "vs_gone" not in text
    assert chat.controller.conversation.turns[-1].content == "Search my notes"  # kept


def test_files_the_code_interpreter_made_are_listed_and_downloadable(
    chat: Built, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any, tmp_path: Path
) -> None:
    from tests.fakes.responses import StoredResponses

    fake_openai.state(StoredResponses).container_files[("cntr_fake", "cfile_1")] = b"hour,m\n14,6\n"
    fake_openai.scenario.builtin_items = [CODE]
    fake_openai.scenario.annotations = [
        {"type": "container_file_citation", "container_id": "cntr_fake", "file_id": "cfile_1",
         "filename": "tides.csv", "start_index": 0, "end_index": 5},
        {"type": "container_file_citation", "container_id": "cntr_fake", "file_id": "cfile_gone",
         "filename": "old.png", "start_index": 0, "end_index": 5},
    ]  # fmt: skip
    chat.tab.params.code_check.setChecked(True)
    _send(chat, qtbot, wait_until, "Tabulate the tides")
    turn = chat.tab.conversation.turns[-1]
    (step,) = turn.steps.steps
    assert step.is_open
    assert "tides.csv" in step.files_box.findChildren(QLabel)[0].text()
    target = tmp_path / "saved.csv"
    chat.tab.ask_download_path = lambda filename: str(target)  # type: ignore[method-assign]
    qtbot.mouseClick(step.download_buttons[0], Qt.MouseButton.LeftButton)
    wait_until(lambda: target.exists())
    assert target.read_bytes() == b"hour,m\n14,6\n"
    wait_until(lambda: chat.tab.notice_label.text() == "Saved saved.csv.")

    qtbot.mouseClick(step.download_buttons[1], Qt.MouseButton.LeftButton)  # its sandbox expired
    wait_until(lambda: chat.tab.error_box.isVisible())
    assert "File no longer on OpenAI" in chat.tab.error_label.text()
    assert "Ask the model to make the file again." in chat.tab.error_label.text()

    conversation_id = chat.controller.conversation.id  # kept with the answer
    chat.controller.new_conversation()
    chat.controller.open_conversation(conversation_id)
    (kept,) = chat.tab.conversation.turns[-1].steps.steps
    assert len(kept.download_buttons) == 2


def test_an_mcp_servers_header_is_kept_in_the_keyring_and_only_sent(
    chat: Built, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any, tmp_path: Path
) -> None:
    secrets = chat.controller.sending.session.secrets
    params = chat.tab.params
    params.mcp_check.setChecked(True)
    params.mcp_url_edit.setText("https://mcp.example.org/mcp")
    params.mcp_label_edit.setText("deepwiki")
    params.mcp_always_check.setChecked(True)
    params.mcp_header_name_edit.setText("Authorization")
    params.mcp_header_value_edit.setText("Bearer s3cret-token")
    qtbot.mouseClick(params.mcp_header_save, Qt.MouseButton.LeftButton)
    wait_until(
        lambda: "Kept in your system keyring for “deepwiki”" in params.mcp_headers_note.text()
    )
    assert params.mcp_header_value_edit.text() == ""  # not left on screen
    assert "s3cret" not in params.mcp_headers_note.text()
    assert "s3cret-token" in (secrets.get("mcp-headers:deepwiki") or "")

    _send(chat, qtbot, wait_until, "Ask deepwiki about tides")
    (tool,) = (fake_openai.last("/responses").json or {})["tools"]
    assert tool["headers"] == {"Authorization": "Bearer s3cret-token"}
    assert tool["require_approval"] == "never"  # "always allow" for this server
    stored = chat.history.load(chat.controller.conversation.id)
    assert "s3cret" not in repr(stored.params)
    assert all(not getattr(t, "headers", ()) for t in stored.params.builtin_tools)
    target = tmp_path / "chat.json"
    exports = chat.controller.exports
    exports._ask_save_path = lambda suggested, filter_: str(target)  # type: ignore[method-assign]
    exports.export_conversation("json")
    assert "s3cret" not in target.read_text(encoding="utf-8")

    qtbot.mouseClick(params.mcp_header_forget, Qt.MouseButton.LeftButton)
    wait_until(lambda: secrets.get("mcp-headers:deepwiki") is None)
    wait_until(lambda: "press Keep in keyring" in params.mcp_headers_note.text())


@pytest.mark.parametrize(("model", "standard"), [("gpt-5-mini", False), ("gpt-4o-mini", True)])
def test_the_served_tier_is_priced_or_the_cost_says_standard_rates(
    chat: Built, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any, model: str, standard: bool
) -> None:
    from playground.core.money.pricing import Pricer

    fake_openai.scenario.service_tier = "flex"
    chat.tab.set_model(model)
    _send(chat, qtbot, wait_until, "Hello")
    line = chat.tab.conversation.turns[-1].meta_label.text()
    assert "tier flex" in line
    assert ("at standard rates" in line) is standard
    meta = chat.controller.state.metas[-1]
    assert meta.usage is not None
    assert meta.cost == Pricer().cost(meta.model, meta.usage, service_tier="flex")


def test_tool_calls_are_priced_where_the_price_data_knows_them(
    chat: Built, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    """A web search has a per-call price in the data: its step shows it and the answer's cost and
    ledger row include it. A code interpreter run has none: its step says "—", the line "+ ?"."""
    from playground.core.models import Usage
    from playground.core.money.pricing import Pricer

    conversation_id = _answer_with_everything(chat, fake_openai, qtbot, wait_until)
    meta = chat.controller.state.metas[-1]
    assert meta.usage is not None
    assert (meta.usage.web_searches, meta.usage.code_runs) == (1, 1)
    tokens_only = Pricer().cost(
        meta.model,
        Usage(input_tokens=meta.usage.input_tokens, output_tokens=meta.usage.output_tokens),
    )
    fee = Pricer().call_fee(meta.model, "web_search_call")
    assert fee is not None
    assert fee > 0
    assert tokens_only is not None
    assert meta.cost == tokens_only + fee
    (row,) = chat.ledger.conversation_rows(conversation_id)
    assert row.cost == meta.cost
    assert row.usage.web_searches == 1

    turn = chat.tab.conversation.turns[-1]
    search, code = turn.steps.steps
    assert search.toggle.text().endswith("· $0.01")
    assert "Cost of this call" in search.details.text()
    assert "— (the price data has no price for it" in code.details.text()
    assert "+ ?" in turn.meta_label.text()

    chat.controller.new_conversation()
    chat.controller.open_conversation(conversation_id)  # the fees come back with the steps
    turn = chat.tab.conversation.turns[-1]
    search, code = turn.steps.steps
    assert search.toggle.text().endswith("· $0.01")
    assert "— (the price data" in code.details.text()
    assert "+ ?" in turn.meta_label.text()
