"""Chat's background answers stream live: text before the response is complete, picked up again
after a dropped connection and after a restart (from the saved event, nothing twice), Stop
cancels on OpenAI and keeps the text, servers that cannot stream them are polled, and a failed
response says so."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox

from playground.core.chat.service import ChatRequest
from playground.core.models import Message, RequestStatus
from playground.core.storage.history import HistoryStore, MessageMeta, MessageStatus, StoredMessage
from playground.core.storage.paths import AppPaths
from playground.ui.chat.sending import BACKGROUND_NOTE
from playground.ui.common.chat_params import API_RESPONSES
from tests.conftest import AppHarness
from tests.fakes.openai_server import DEFAULT_REPLY, FakeOpenAI
from tests.fakes.responses import StoredResponses
from tests.gui.drivers import chat_idle, send_in_chat

pytestmark = pytest.mark.gui

HELD = " ".join(DEFAULT_REPLY.split(" ")[:4])
"""What a background answer held after 8 events shows: its first four words."""


def _background_app(make_app: Callable[..., AppHarness], **kwargs: Any) -> AppHarness:
    app = make_app(**kwargs)
    app.chat_tab.set_api(API_RESPONSES)
    check = app.chat_tab.findChild(QCheckBox, "backgroundCheck")
    if not check.isChecked():
        check.click()
    return app


def _answer(app: AppHarness) -> str:
    turns = app.chat_tab.conversation.turns
    return turns[-1].text() if len(turns) >= 2 else ""


def _row(app: AppHarness) -> StoredMessage:
    return app.services.history.load(app.chat.conversation.id).messages[-1]


def _streamed_retrievals(fake: FakeOpenAI) -> list[dict[str, str]]:
    return [
        r.query
        for r in fake.requests
        if r.method == "GET" and "/responses/" in r.path and r.query.get("stream") == "true"
    ]


def _closed_mid_answer(
    make_app: Callable[..., AppHarness],
    fake: FakeOpenAI,
    qtbot: Any,
    qloop: Any,
    wait_until: Any,
) -> AppHarness:
    """An app whose window closed while OpenAI was still answering (held after 8 events): the
    request is dropped here only, the answer's row kept for the next start."""
    fake.state(StoredResponses).hold_after = 8
    app = _background_app(make_app)
    send_in_chat(app, qtbot, "Hello")
    wait_until(lambda: _answer(app) and _row(app).meta.response_id)
    app.window.close()
    qloop.run_until_complete(app.runner.shutdown())
    return app


def test_the_answer_shows_before_the_response_is_complete(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    stored = fake_openai.state(StoredResponses)
    stored.hold_after = 8  # created, in progress, the item, the part, then four words
    app = _background_app(make_app)
    send_in_chat(app, qtbot, "Hello")
    wait_until(lambda: _answer(app))
    partial = _answer(app)
    assert DEFAULT_REPLY.startswith(partial)
    assert partial != DEFAULT_REPLY
    assert app.runner.is_busy("chat")
    wait_until(lambda: BACKGROUND_NOTE in app.chat_tab.conversation.turns[-1].meta_label.text())
    stored.release()
    wait_until(chat_idle(app))
    assert _answer(app) == DEFAULT_REPLY
    row = _row(app)
    assert row.message.content == DEFAULT_REPLY
    assert row.meta.status is MessageStatus.OK
    assert row.meta.response_id is not None
    assert row.meta.stream_mark is None  # done: nothing left to pick up
    body = fake_openai.last("/responses").json or {}
    assert (body["background"], body["stream"]) == (True, True)


def test_a_dropped_connection_is_picked_up_again_without_repeating_text(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    stored = fake_openai.state(StoredResponses)
    stored.drop_after = 6  # the first connection breaks after two words
    stored.hold_after = 9  # the stream picked up again waits here, to be seen
    app = _background_app(make_app)
    send_in_chat(app, qtbot, "Hello")
    wait_until(lambda: "Reconnected" in app.chat_tab.conversation.turns[-1].meta_label.text())
    stored.release()
    wait_until(chat_idle(app))
    assert _answer(app) == DEFAULT_REPLY  # nothing lost, nothing twice
    assert not app.chat_tab.error_box.isVisible()
    assert _streamed_retrievals(fake_openai) == [{"stream": "true", "starting_after": "5"}]
    assert _row(app).message.content == DEFAULT_REPLY


def test_after_a_restart_the_saved_text_shows_and_the_rest_streams_in(
    make_app: Callable[..., AppHarness],
    fake_openai: FakeOpenAI,
    qtbot: Any,
    qloop: Any,
    wait_until: Any,
) -> None:
    stored = fake_openai.state(StoredResponses)
    app = _closed_mid_answer(make_app, fake_openai, qtbot, qloop, wait_until)
    assert fake_openai.requests_to("/cancel") == []
    partial = _answer(app)  # all that arrived is shown, and saved
    assert DEFAULT_REPLY.startswith(partial)
    assert partial != DEFAULT_REPLY
    row = _row(app)
    assert row.meta.status is MessageStatus.STREAMING
    assert row.message.content == partial
    assert row.meta.stream_mark is not None
    after, length = row.meta.stream_mark
    assert length == len(partial)

    again = make_app(home=app.home)  # the next start: shown at once, then it goes on live
    wait_until(lambda: _streamed_retrievals(fake_openai))
    assert _streamed_retrievals(fake_openai) == [{"stream": "true", "starting_after": str(after)}]
    assert again.chat.conversation.id == app.chat.conversation.id
    assert _answer(again) == partial
    wait_until(lambda: "Picked up" in again.chat_tab.conversation.turns[-1].meta_label.text())
    stored.release()
    wait_until(lambda: not again.runner.is_busy("chat-resume"))
    assert _answer(again) == DEFAULT_REPLY  # the saved words once, then the rest
    row = _row(again)
    assert row.message.content == DEFAULT_REPLY
    assert row.meta.status is MessageStatus.OK
    assert row.meta.usage is not None
    # Counted once, with OpenAI's numbers (not also as an interrupted estimate at start).
    conversation = again.chat.conversation.id
    (entry,) = [e for e in again.services.ledger.recent() if e.conversation_id == conversation]
    assert entry.status == RequestStatus.OK
    assert not entry.usage.estimated


def test_stop_cancels_on_openai_and_keeps_the_text(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    fake_openai.state(StoredResponses).hold_after = 8
    app = _background_app(make_app)
    send_in_chat(app, qtbot, "Hello")
    wait_until(lambda: _answer(app) == HELD and _row(app).meta.response_id)
    response_id = _row(app).meta.response_id
    qtbot.mouseClick(app.chat_tab.stop_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: chat_idle(app)() and not app.runner.is_busy("chat-cancel"))
    (cancel,) = fake_openai.requests_to("/cancel")
    assert cancel.path.endswith(f"/responses/{response_id}/cancel")
    assert _answer(app) == HELD
    row = _row(app)
    assert row.message.content == HELD
    assert row.meta.status is MessageStatus.STOPPED


def test_an_answer_picked_up_after_a_restart_can_be_stopped_and_leaving_does_not_stop_it(
    make_app: Callable[..., AppHarness],
    fake_openai: FakeOpenAI,
    qtbot: Any,
    qloop: Any,
    wait_until: Any,
) -> None:
    app = _closed_mid_answer(make_app, fake_openai, qtbot, qloop, wait_until)
    response_id = _row(app).meta.response_id

    again = make_app(home=app.home)
    tab = again.chat_tab
    wait_until(lambda: "Picked up" in tab.conversation.turns[-1].meta_label.text())
    assert tab.stop_button.isEnabled()  # it is coming into the open conversation
    # Leaving the conversation does not stop it; coming back, Stop stops it again.
    conversation_id = again.chat.conversation.id
    again.chat.new_conversation()
    assert not tab.stop_button.isEnabled()
    assert again.runner.is_busy("chat-resume")
    assert fake_openai.requests_to("/cancel") == []
    again.chat.open_conversation(conversation_id)
    wait_until(lambda: tab.stop_button.isEnabled())
    qtbot.mouseClick(tab.stop_button, Qt.MouseButton.LeftButton)
    wait_until(
        lambda: not again.runner.is_busy("chat-resume") and not again.runner.is_busy("chat-cancel")
    )
    (cancel,) = fake_openai.requests_to("/cancel")
    assert cancel.path.endswith(f"/responses/{response_id}/cancel")
    assert not tab.stop_button.isEnabled()
    assert _answer(again) == HELD  # what came is kept
    row = _row(again)
    assert row.message.content == HELD
    assert row.meta.status is MessageStatus.STOPPED
    assert row.meta.stream_mark is None  # not picked up again at the next start
    assert "Stopped on OpenAI" in tab.reply_info.text()
    (entry,) = [e for e in again.services.ledger.recent() if e.conversation_id == conversation_id]
    assert entry.status == RequestStatus.CANCELLED


def test_a_server_that_cannot_stream_it_again_is_asked_until_done(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    stored = fake_openai.state(StoredResponses)
    stored.drop_after = 6
    stored.stream_retrieval = False
    app = _background_app(make_app)
    send_in_chat(app, qtbot, "Hello")
    wait_until(chat_idle(app))
    assert not app.chat_tab.error_box.isVisible(), app.chat_tab.error_label.text()
    assert _answer(app) == DEFAULT_REPLY
    polls = [r for r in fake_openai.requests if r.method == "GET" and not r.query]
    assert polls
    assert _row(app).message.content == DEFAULT_REPLY


def test_a_failed_background_response_says_so_in_plain_words(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    fake_openai.scenario.response_failure = {
        "code": "server_error",
        "message": "The model stopped with an internal error.",
    }
    app = _background_app(make_app)
    send_in_chat(app, qtbot, "Hello")
    wait_until(chat_idle(app))
    tab = app.chat_tab
    assert tab.error_box.isVisible()
    assert "The model stopped with an internal error." in tab.error_label.text()
    assert _streamed_retrievals(fake_openai) == []  # a failure is not a dropped connection
    assert _row(app).meta.status is MessageStatus.ERROR


def test_an_answer_openai_no_longer_has_says_so_and_keeps_its_text(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, tmp_path: Path, wait_until: Any
) -> None:
    home = tmp_path / "home"
    paths = AppPaths.under(home)
    paths.ensure()
    store = HistoryStore(paths.history_file)  # closed while a background answer ran, long ago
    store.create("gone", title="Gone", params=ChatRequest(model="gpt-4o-mini", messages=()))
    store.append_message("gone", Message("user", "Tell me a story"))
    reply = store.begin_reply("gone", "gpt-4o-mini")
    meta = MessageMeta(
        status=MessageStatus.STREAMING,
        model="gpt-4o-mini",
        response_id="resp_expired",
        stream_mark=(9, len("Once upon a time")),
    )
    store.update_message(reply, content="Once upon a time", meta=meta)
    store.close()

    app = make_app(home=home)
    wait_until(lambda: not app.runner.is_busy("chat-resume"))
    assert fake_openai.requests_to("/responses/resp_expired")  # it was looked for
    app.chat.open_conversation("gone")
    answer = app.chat_tab.conversation.turns[-1]
    assert answer.text() == "Once upon a time"
    assert "OpenAI no longer has this answer" in answer.error_label.text()
    row = _row(app)
    assert row.meta.status is MessageStatus.ERROR
    assert row.message.content == "Once upon a time"
    (entry,) = [e for e in app.services.ledger.recent() if e.conversation_id == "gone"]
    assert entry.status == RequestStatus.ERROR  # what it cost is estimated from what came
    assert entry.usage.estimated
