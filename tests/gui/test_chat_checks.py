"""Questions Chat asks before sending (issue 20, items 13 and 24): a secret in the prompt, a request
too long for the model. Each says what it found, offers "Send anyway", and never blocks silently."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox

from playground.core.models import RequestStatus
from tests.conftest import AppHarness
from tests.fakes.openai_server import FakeOpenAI
from tests.gui.drivers import chat_idle, send_in_chat

KEY = "sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"


def _question(name: str) -> QMessageBox | None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMessageBox) and widget.objectName() == name and widget.isVisible():
            return widget
    return None


@pytest.mark.parametrize("answer", [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes])
def test_a_key_in_the_message_is_asked_about_first(
    make_app: Callable[..., AppHarness],
    fake_openai: FakeOpenAI,
    qtbot: Any,
    wait_until: Any,
    answer: QMessageBox.StandardButton,
) -> None:
    app = make_app()
    app.chat_tab.set_api("chat.completions")  # the Chat Completions wire format
    send_in_chat(app, qtbot, f"Why is my key {KEY} rejected?")
    wait_until(lambda: _question("chatAskSecrets") is not None)
    box = _question("chatAskSecrets")
    assert box is not None
    assert "an OpenAI API key (line 1)" in box.text()
    assert KEY not in box.text()
    assert fake_openai.requests_to("/chat/completions") == []
    box.button(answer).click()
    wait_until(chat_idle(app))
    sent = fake_openai.requests_to("/chat/completions")
    if answer == QMessageBox.StandardButton.Yes:
        wait_until(lambda: len(fake_openai.requests_to("/chat/completions")) == 1)
    else:
        assert sent == []
        assert app.chat_tab.input_edit.toPlainText().startswith("Why is my key")  # nothing lost


def test_a_request_too_long_for_the_model_is_asked_about_with_its_count(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()  # gpt-4o-mini reads 128,000 tokens
    send_in_chat(app, qtbot, "word " * 700_000)
    wait_until(lambda: _question("chatAskLength") is not None)
    box = _question("chatAskLength")
    assert box is not None
    assert "tokens; gpt-4o-mini reads at most 128,000" in box.text()
    box.button(QMessageBox.StandardButton.No).click()
    assert fake_openai.requests_to("/chat/completions") == []


def test_opening_a_conversation_that_is_not_utf8_says_so(
    make_app: Callable[..., AppHarness], tmp_path: Any
) -> None:
    path = tmp_path / "old.json"
    path.write_bytes('{"title": "Caf\u00e9"}'.encode("cp1252"))
    app = make_app()
    exports = app.chat.exports
    exports._ask_open_path = lambda _filter: str(path)  # the file dialog's seam
    exports.import_conversation()
    tab = app.chat_tab
    assert tab.error_box.isVisibleTo(tab)
    assert "old.json" in tab.error_label.text()
    assert "not UTF-8 text" in tab.error_label.text()


def test_a_reply_cut_off_by_a_crash_is_marked_when_opened_again(
    make_app: Callable[..., AppHarness], tmp_path: Any
) -> None:
    from playground.core.chat.service import ChatRequest
    from playground.core.models import Message
    from playground.core.storage.history import HistoryStore
    from playground.core.storage.paths import AppPaths

    home = tmp_path / "home"
    paths = AppPaths.under(home)
    paths.ensure()
    store = HistoryStore(paths.history_file)  # the app as it was when it was killed mid-answer
    params = ChatRequest(model="gpt-4o-mini", messages=())
    store.create("killed", title="Killed", params=params)
    store.append_message("killed", Message("user", "Tell me a story"))
    reply = store.begin_reply("killed", "gpt-4o-mini")
    store.stream_update(reply, "Once upon a time")
    store.flush_streams()
    store.close()

    app = make_app(home=home)  # the next start marks the reply (history.recover_interrupted)
    app.chat.open_conversation("killed")
    answer = app.chat_tab.conversation.turns[-1]
    assert answer.text() == "Once upon a time"
    assert "interrupted" in answer.meta_label.text()
    # Its request is counted after all: an estimated row, marked as an error.
    (row,) = [r for r in app.services.ledger.recent() if r.conversation_id == "killed"]
    assert row.status == RequestStatus.ERROR
    assert row.usage.estimated
    assert row.usage.output_tokens > 0
    assert row.usage.input_tokens > 0


def test_sending_to_a_model_that_retires_soon_says_so_once_and_offers_the_replacement(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    from tests.fakes.scenario import RETIREMENT_MODELS, RETIREMENT_TODAY

    fake_openai.scenario.models = list(RETIREMENT_MODELS)
    fake_openai.scenario.today = RETIREMENT_TODAY
    app = make_app(model="gpt-5-mini")  # retires on 11 Dec 2026, in 4 days
    app.controller.refresh_models()
    tab = app.chat_tab
    wait_until(lambda: tab.current_model() == "gpt-5-mini" and tab.params.model_combo.count() > 3)
    send_in_chat(app, qtbot, "Hello")
    wait_until(chat_idle(app))
    assert tab.notice_box.isVisibleTo(tab)
    assert "gpt-5-mini retires on 11 Dec 2026" in tab.notice_label.text()
    replacement = tab.notice_action.text().removeprefix("Use ")
    assert replacement
    tab.hide_notice()
    send_in_chat(app, qtbot, "Again")
    wait_until(chat_idle(app))
    assert not tab.notice_box.isVisibleTo(tab)  # once per conversation
    tab.show_notice("x", replacement)
    tab.notice_action.click()
    assert tab.current_model() == replacement


def test_ids_live_in_the_tooltip_not_in_the_line_under_the_answer(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    app.chat_tab.set_api("chat.completions")  # the fake sends a fingerprint there
    send_in_chat(app, qtbot, "Hello")
    wait_until(chat_idle(app))
    line = app.chat_tab.reply_info
    assert "finish: stop" in line.text()
    assert "fingerprint" not in line.text()
    assert "fp_fake000001" not in app.chat_tab.conversation.turns[-1].meta_label.text()
    assert "System fingerprint: fp_fake000001" in line.toolTip()


def test_after_new_chat_the_previous_conversation_is_no_longer_highlighted(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    from PySide6.QtCore import Qt

    app = make_app()
    tab = app.chat_tab
    send_in_chat(app, qtbot, "Hello")
    wait_until(chat_idle(app))
    panel = tab.history
    wait_until(lambda: panel.selected_id() == app.chat.conversation.id)
    qtbot.mouseClick(tab.clear_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: panel.selected_id() is None)
    assert not panel.list_view.selectionModel().hasSelection()
