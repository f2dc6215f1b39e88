"""The Chat slice end to end: type, send, stream, stop, fail; counters and ledger follow."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt

from playground.core.models import Endpoint, RequestStatus
from tests.conftest import TEST_KEY, AppHarness
from tests.fakes import openai_payloads as payloads
from tests.fakes.openai_server import DEFAULT_REPLY, FakeOpenAI
from tests.gui.drivers import chat_idle, send_in_chat

pytestmark = pytest.mark.gui


def _long_reply_streaming(
    make_app: Callable[..., AppHarness], fake: FakeOpenAI, qtbot: Any, wait_until: Any
) -> AppHarness:
    """Sends a message whose 400-word reply streams slowly; returns once the first words are shown."""
    fake.scenario.reply_text = " ".join(f"word{i}" for i in range(400))
    fake.scenario.tokens_per_second = 200
    app = make_app()
    send_in_chat(app, qtbot, "Write a lot")
    wait_until(lambda: "word3 " in app.chat_tab.conversation.plain_text())
    return app


def test_send_streams_reply_records_ledger_and_updates_counters(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    app.chat_tab.set_api("chat.completions")  # the Chat Completions wire format
    tab = app.chat_tab
    tab.system_edit.setPlainText("Answer briefly.")
    assert app.window.counters.last_label.text() == "Last: —"

    send_in_chat(app, qtbot, "Say hello")
    assert tab.stop_button.isEnabled()
    assert not tab.send_button.isEnabled()
    wait_until(chat_idle(app))

    assert DEFAULT_REPLY in tab.conversation.plain_text()
    assert "finish: stop" in tab.reply_info.text()
    assert tab.input_edit.toPlainText() == ""

    sent = fake_openai.last("/chat/completions")
    assert sent.headers["authorization"] == f"Bearer {TEST_KEY}"
    assert sent.json is not None
    assert sent.json["stream"] is True
    assert sent.json["stream_options"] == {"include_usage": True}
    assert sent.json["messages"] == [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "Say hello"},
    ]

    rows = app.services.ledger.recent()
    assert len(rows) == 1
    row = rows[0]
    assert row.model == "gpt-4o-mini"
    assert row.endpoint == Endpoint.CHAT
    assert row.status == RequestStatus.OK
    assert not row.usage.estimated
    assert row.usage.input_tokens == payloads.count_prompt_tokens(sent.json)
    assert row.usage.output_tokens == payloads.count_tokens(DEFAULT_REPLY)
    assert row.cost is not None
    assert row.cost > 0
    assert row.request_id
    assert row.request_id.startswith("req_")

    counters = app.window.counters
    assert f"{row.usage.input_tokens:,} tok in" in counters.last_label.text()
    assert "1 request" in counters.session_label.text()
    assert "1 request" in counters.today_label.text()
    assert "1 request" in tab.conversation_totals.text()


def test_second_turn_sends_the_history(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    app.chat_tab.set_api("chat.completions")  # the Chat Completions wire format
    fake_openai.scenario.reply_text = "First answer."
    send_in_chat(app, qtbot, "One")
    wait_until(chat_idle(app))
    fake_openai.scenario.reply_text = "Second answer."
    send_in_chat(app, qtbot, "Two")
    wait_until(chat_idle(app))
    body = fake_openai.last("/chat/completions").json
    assert body is not None
    assert [m["content"] for m in body["messages"]] == ["One", "First answer.", "Two"]
    assert "2 requests" in app.window.counters.session_label.text()


def test_stop_keeps_the_partial_answer(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = _long_reply_streaming(make_app, fake_openai, qtbot, wait_until)
    tab = app.chat_tab
    qtbot.keyClick(tab.input_edit, Qt.Key.Key_Escape)  # Esc stops, like the Stop button
    wait_until(chat_idle(app))

    text = tab.conversation.plain_text()
    assert "word0" in text
    assert "word399" not in text
    assert "stopped" in tab.conversation.turns[-1].meta_label.text()
    assert not tab.stop_button.isEnabled()
    tab.input_edit.setPlainText("next question")
    assert tab.send_button.isEnabled()
    row = app.services.ledger.recent()[0]
    assert row.status == RequestStatus.CANCELLED
    assert row.usage.estimated
    assert row.usage.output_tokens > 0
    partial = app.chat.conversation.turns[-1]
    assert partial.role == "assistant"
    assert partial.content.startswith("word0")


def test_dropped_stream_keeps_partial_text_and_explains(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    fake_openai.scenario.drop_after_chunks = 4
    app = make_app()
    app.chat_tab.set_api("chat.completions")  # the Chat Completions wire format
    tab = app.chat_tab
    send_in_chat(app, qtbot, "Hello")
    wait_until(chat_idle(app))
    assert "Hello!" in tab.conversation.plain_text()
    assert tab.error_box.isVisibleTo(tab)
    assert "dropped" in tab.error_label.text()
    assert "kept" in tab.error_label.text()
    assert app.services.ledger.recent()[0].status == RequestStatus.ERROR


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (lambda f: f.fail_next(401), "API key rejected"),
        (lambda f: f.rate_limit(retry_after=7), "Try again in 7 seconds"),
        (lambda f: f.fail_next(500), "Server error"),
        (lambda f: f.quota_exceeded(), "Out of credit"),
        (lambda f: f.invalid_json_next(), "Unreadable answer"),
    ],
    ids=["401", "429", "500", "quota", "invalid-json"],
)
def test_errors_are_shown_in_plain_words(
    make_app: Callable[..., AppHarness],
    fake_openai: FakeOpenAI,
    qtbot: Any,
    wait_until: Any,
    setup: Callable[[FakeOpenAI], None],
    expected: str,
) -> None:
    app = make_app()
    setup(fake_openai)
    send_in_chat(app, qtbot, "Hello")
    wait_until(chat_idle(app))
    assert expected in app.chat_tab.error_label.text()
    assert TEST_KEY not in app.chat_tab.error_label.text() + app.chat_tab.error_label.toolTip()
    assert app.services.ledger.recent()[0].status == RequestStatus.ERROR


def test_unknown_model_gets_a_hint(
    make_app: Callable[..., AppHarness], qtbot: Any, wait_until: Any
) -> None:
    app = make_app(model="gpt-retired-2023")
    send_in_chat(app, qtbot, "Hello")
    wait_until(chat_idle(app))
    text = app.chat_tab.error_label.text()
    assert "Model not found" in text
    assert "gpt-retired-2023" in text
    assert "Refresh" in text


def test_empty_message_is_not_sent(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any
) -> None:
    app = make_app()
    tab = app.chat_tab
    tab.input_edit.setPlainText("   ")
    assert not tab.send_button.isEnabled()
    assert "Type a message first" in tab.send_button.toolTip()
    qtbot.keyClick(tab.input_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert fake_openai.requests_to("/chat/completions") == []
    tab.input_edit.setPlainText("now there is text")
    assert tab.send_button.isEnabled()


def test_draft_counter_follows_typing(
    make_app: Callable[..., AppHarness], qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    label = app.window.counters.draft_label
    counter = app.services.counter
    qtbot.keyClicks(app.chat_tab.input_edit, "hello world")
    expected = counter.count_messages(
        app.chat.conversation.messages_with("hello world"), "gpt-4o-mini"
    )
    wait_until(
        lambda: f"≈{expected:,} tok" in label.text(),
        message=f"draft label stuck at {label.text()!r}",
    )
    assert "$" in label.text()

    long_text = "lorem ipsum dolor sit amet " * 2000  # long enough to be counted off the GUI thread
    app.chat_tab.input_edit.setPlainText(long_text)
    expected_long = (
        counter.count_messages(  # sent without the trailing space, so counted without it
            app.chat.conversation.messages_with(long_text.strip()), "gpt-4o-mini"
        )
    )
    wait_until(
        lambda: f"≈{expected_long:,} tok" in label.text(),
        message=f"draft label stuck at {label.text()!r}",
    )


def test_emptied_draft_shows_no_count_even_if_a_count_was_running(
    make_app: Callable[..., AppHarness], qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    label = app.window.counters.draft_label
    counters = app.chat.counters
    app.chat_tab.input_edit.setPlainText("lorem ipsum dolor sit amet " * 2000)  # counted off-thread
    assert counters._counting
    app.chat_tab.input_edit.clear()  # emptied while that count runs
    assert label.text() == "Draft: —"
    wait_until(lambda: not app.runner.is_busy("draft-count"))
    assert label.text() == "Draft: —"  # the finished count of the old text is not shown
    qtbot.keyClicks(app.chat_tab.input_edit, "hi")
    wait_until(lambda: label.text() != "Draft: —", message="a new draft is counted again")


def test_models_come_from_the_server_filtered_to_chat(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, wait_until: Any
) -> None:
    fake_openai.scenario.models = [
        "gpt-4o-mini",
        "gpt-4.1",
        "text-embedding-3-small",
        "tts-1",
        "whisper-1",
    ]
    app = make_app()
    app.controller.refresh_models()
    combo = app.chat_tab.model_combo
    wait_until(lambda: not app.runner.is_busy("models"))
    items = [combo.itemText(i) for i in range(combo.count())]
    assert items == ["gpt-4.1", "gpt-4o-mini"]
    assert combo.currentText() == "gpt-4o-mini"
    assert "2 models" not in app.window.connection_label.text()  # counts every model, not only chat
    assert "5 models" in app.window.connection_label.text()
    # cached for the next start (offline)
    again = make_app(home=app.home)
    items = [
        again.chat_tab.model_combo.itemText(i) for i in range(again.chat_tab.model_combo.count())
    ]
    assert items == ["gpt-4.1", "gpt-4o-mini"]


def test_reasoning_model_disables_temperature(make_app: Callable[..., AppHarness]) -> None:
    app = make_app()
    tab = app.chat_tab
    tab.model_combo.setCurrentText("o3")
    assert not tab.params.temperature_row.supported
    assert "Reasoning" in tab.params.temperature_row.slider.toolTip()
    tab.model_combo.setCurrentText("gpt-4o-mini")
    assert tab.params.temperature_row.supported


def test_reasoning_model_request_omits_temperature(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app(model="o3")
    app.chat_tab.set_api("chat.completions")  # the Chat Completions wire format
    send_in_chat(app, qtbot, "Think")
    wait_until(chat_idle(app))
    body = fake_openai.last("/chat/completions").json
    assert body is not None
    assert "temperature" not in body


def test_new_chat_while_streaming_detaches_the_reply(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = _long_reply_streaming(make_app, fake_openai, qtbot, wait_until)
    tab = app.chat_tab
    old = app.chat.conversation
    qtbot.mouseClick(tab.clear_button, Qt.MouseButton.LeftButton)
    wait_until(chat_idle(app))
    assert tab.conversation.plain_text() == ""
    assert app.chat.conversation is not old
    assert app.chat.conversation.turns == []
    assert tab.conversation_totals.text() == "No requests yet"
    assert old.turns[-1].content.startswith("word0")
    row = app.services.ledger.recent()[0]
    assert row.conversation_id == old.id
    assert row.status == RequestStatus.CANCELLED
