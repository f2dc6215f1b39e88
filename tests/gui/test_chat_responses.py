"""Chat through the Responses API against the fake server: the API per conversation (switchable,
stored), the Thinking section and tool steps from a real stream, MCP approve/deny, and a pasted
Responses request."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from PySide6.QtCore import Qt

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


@pytest.fixture
def chat(qtbot: Any, qloop: Any, fake_openai: FakeOpenAI) -> Iterator[Built]:
    fake_openai.scenario.models = [*fake_openai.scenario.models, "gpt-5-mini", "gpt-6-sol"]
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
    history = HistoryStore.in_memory()
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
    yield Built(controller, tab, history, runner)
    qloop.run_until_complete(runner.shutdown())
    qloop.run_until_complete(session.aclose())
    history.close()
    ledger.close()
    runner.deleteLater()


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
