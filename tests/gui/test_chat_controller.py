"""The Chat controller on its own: built with its tab and the fake server, without the window.

It also counts what one send costs the rest of the app: the history store is written once per row
the send makes (no reads), the history list is refreshed once, the conversation's totals are
queried once and the draft is estimated again once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from PySide6.QtCore import Qt

from playground.core.api.secrets import MemorySecretStore
from playground.core.api.session import ApiSession
from playground.core.chat.service import ChatService
from playground.core.models import Message, ProviderProfile, UsageTotals
from playground.core.money.accounting import Accounting
from playground.core.money.ledger import UsageLedger
from playground.core.money.pricing import Pricer
from playground.core.money.tokens import TiktokenCounter
from playground.core.storage.history import ConversationSummary, HistoryStore, MessageStatus
from playground.core.storage.settings import ChatSettings, Settings
from playground.ui.chat.controller import ChatController
from playground.ui.chat.tab import ChatTab
from playground.ui.shell.bridge import TaskRunner
from playground.ui.shell.counters import CountersController
from playground.ui.shell.counters_bar import CountersBar
from tests.conftest import TEST_KEY
from tests.fakes.openai_server import DEFAULT_REPLY, FakeOpenAI

pytestmark = pytest.mark.gui

# Streamed text goes to the store a fragment at a time (kept in memory, written at most once a
# second) and a timer flushes it: those are the stream, not the send's rows.
STREAMING = {"stream_update", "flush_streams"}


class CountingHistory(HistoryStore):
    """An in-memory history store that counts each public call made to it from outside (a call
    the store makes to itself, as `finish_reply` to `update_message`, is part of the outer one)."""

    def __init__(self) -> None:
        super().__init__(None)
        self.calls: Counter[str] = Counter()
        self._depth = 0

    def __getattribute__(self, name: str) -> Any:
        value = super().__getattribute__(name)
        if name.startswith("_") or name == "calls" or not callable(value):
            return value

        def counted(*args: Any, **kwargs: Any) -> Any:
            if self._depth == 0:
                self.calls[name] += 1
            self._depth += 1
            try:
                return value(*args, **kwargs)
            finally:
                self._depth -= 1

        return counted


class CountingTab(ChatTab):
    """The Chat tab, counting how often the history list is refreshed."""

    def __init__(self) -> None:
        super().__init__()
        self.list_refreshes = 0

    def show_conversations(
        self, rows: Sequence[ConversationSummary], current_id: str | None
    ) -> None:
        self.list_refreshes += 1
        super().show_conversations(rows, current_id)


class CountingAccounting(Accounting):
    """Accounting that counts the conversation-totals queries."""

    totals_queries = 0

    def conversation_totals(self, conversation_id: str) -> UsageTotals:
        self.totals_queries += 1
        return super().conversation_totals(conversation_id)


class CountingCounters(CountersController):
    """The status-bar counters, counting the draft estimates asked for."""

    estimates = 0

    def estimate_draft(self, messages: tuple[Message, ...], model: str, profile: Any) -> None:
        self.estimates += 1
        super().estimate_draft(messages, model, profile)


@dataclass
class Built:
    controller: ChatController
    tab: CountingTab
    history: CountingHistory
    accounting: CountingAccounting
    counters: CountingCounters
    runner: TaskRunner


@pytest.fixture
def chat(qtbot: Any, qloop: Any, fake_openai: FakeOpenAI, wait_until: Any) -> Iterator[Built]:
    profile = ProviderProfile(
        id="openai", name="OpenAI", base_url=fake_openai.base_url, max_retries=0
    )
    secrets = MemorySecretStore()
    secrets.set("openai", TEST_KEY)
    session = ApiSession(
        Settings(profiles=(profile,), chat=ChatSettings(model="gpt-4o-mini")), secrets, {}
    )
    ledger = UsageLedger.in_memory()
    accounting = CountingAccounting(ledger, Pricer())
    counter = TiktokenCounter()
    runner = TaskRunner()
    bar = CountersBar()
    qtbot.addWidget(bar)
    counters = CountingCounters(bar, counter, accounting, runner)
    history = CountingHistory()
    tab = CountingTab()
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
        parent=tab,  # its timers go with the tab when the test ends
    )
    tab.set_model("gpt-4o-mini")
    tab.show()
    yield Built(controller, tab, history, accounting, counters, runner)
    qloop.run_until_complete(runner.shutdown())
    qloop.run_until_complete(session.aclose())
    history.close()
    ledger.close()
    runner.deleteLater()


def _idle(built: Built) -> bool:
    return not any(
        built.runner.is_busy(g) for g in ("chat", "model-info", "draft-count", "chat-moderation")
    )


def test_a_chat_controller_works_without_the_window(
    chat: Built, qtbot: Any, wait_until: Any
) -> None:
    chat.tab.input_edit.setPlainText("Hello")
    qtbot.mouseClick(chat.tab.send_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: _idle(chat))

    assert [t.text() for t in chat.tab.conversation.turns] == ["Hello", DEFAULT_REPLY]
    stored = chat.history.load(chat.controller.conversation.id)
    assert [m.message.content for m in stored.messages] == ["Hello", DEFAULT_REPLY]
    assert stored.messages[-1].meta.status is MessageStatus.OK
    assert "This conversation: 1 request" in chat.tab.conversation_totals.text()


def test_one_send_touches_the_store_the_list_and_the_totals_once_each(
    chat: Built, qtbot: Any, wait_until: Any
) -> None:
    chat.tab.input_edit.setPlainText("Hello")
    wait_until(lambda: _idle(chat))
    # Count from the click on: building the controller and typing are not the send.
    chat.history.calls.clear()
    chat.tab.list_refreshes = 0
    chat.accounting.totals_queries = 0
    chat.counters.estimates = 0

    qtbot.mouseClick(chat.tab.send_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: _idle(chat) and chat.controller.state.unfiled is None)

    rows = {name: n for name, n in chat.history.calls.items() if name not in STREAMING}
    # One write per row: the conversation (with its settings), the message, the answer's row
    # (begun, then finished); and the one read of the list. Before the split: exists, create,
    # append_message, save_params, begin_reply, finish_reply and two list reads.
    assert rows == {
        "create": 1,
        "append_message": 1,
        "begin_reply": 1,
        "finish_reply": 1,
        "list": 1,
    }
    assert chat.tab.list_refreshes == 1
    assert chat.accounting.totals_queries == 1
    assert chat.counters.estimates == 1


def test_a_second_send_in_a_stored_conversation_writes_no_settings_again(
    chat: Built, qtbot: Any, wait_until: Any
) -> None:
    chat.tab.input_edit.setPlainText("Hello")
    qtbot.mouseClick(chat.tab.send_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: _idle(chat) and chat.controller.state.unfiled is None)
    chat.tab.input_edit.setPlainText("And again")
    wait_until(lambda: _idle(chat))
    chat.history.calls.clear()

    qtbot.mouseClick(chat.tab.send_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: _idle(chat) and chat.controller.state.unfiled is None)

    rows = {name: n for name, n in chat.history.calls.items() if name not in STREAMING}
    assert rows == {"append_message": 1, "begin_reply": 1, "finish_reply": 1, "list": 1}
