"""The Chat workbench against the fake server: what the UI shows and what request the app sent."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from playground.core.chat.export import from_json
from playground.core.models import RequestStatus
from tests.conftest import AppHarness
from tests.fakes.openai_server import DEFAULT_REPLY, FakeOpenAI
from tests.gui.drivers import chat_idle, send_in_chat

pytestmark = pytest.mark.gui


def _sent(fake: FakeOpenAI) -> dict[str, Any]:
    body = fake.last("/chat/completions").json
    assert body is not None
    return body


def _add(app: AppHarness, qtbot: Any, role: str, text: str) -> None:
    tab = app.chat_tab
    tab.input_edit.setPlainText(text)
    tab.add_role_combo.setCurrentIndex(tab.add_role_combo.findData(role))
    qtbot.mouseClick(tab.add_button, Qt.MouseButton.LeftButton)


def test_few_shot_turns_are_edited_in_place_and_sent_in_order(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    app.chat_tab.set_api("chat.completions")  # the Chat Completions wire format
    conv = app.chat_tab.conversation
    _add(app, qtbot, "user", "2+2?")
    _add(app, qtbot, "assistant", "Four")
    _add(app, qtbot, "user", "3+3?")
    assert len(conv.turns) == 3
    assert fake_openai.requests_to("/chat/completions") == []  # adding never sends

    conv.turns[1].start_edit()
    conv.turns[1].editor.setPlainText("4")
    conv.turns[1].save_button.click()
    conv.turns[2].action("roleToggle").trigger()  # now an assistant turn
    conv.turns[2].action("roleToggle").trigger()  # and back to user
    conv.turns[0].action("moveDown").trigger()  # swap the first two…
    conv.turns[1].action("moveUp").trigger()  # …and back
    _add(app, qtbot, "user", "delete me")
    conv.turns[3].delete_button.click()
    assert [t.message.content for t in conv.turns] == ["2+2?", "4", "3+3?"]

    send_in_chat(app, qtbot, "And 5+5?")
    wait_until(chat_idle(app))
    sent = [(m["role"], m["content"]) for m in _sent(fake_openai)["messages"]]
    assert sent == [("user", "2+2?"), ("assistant", "4"), ("user", "3+3?"), ("user", "And 5+5?")]


def test_image_attachment_is_sent_as_a_data_url_with_its_mime_type(
    make_app: Callable[..., AppHarness],
    fake_openai: FakeOpenAI,
    qtbot: Any,
    wait_until: Any,
    tmp_path: Path,
) -> None:
    path = tmp_path / "cat.jpg"
    Image.new("RGB", (640, 480), (200, 120, 40)).save(path, "JPEG")
    app = make_app()
    app.chat_tab.set_api("chat.completions")  # the Chat Completions wire format
    bar = app.chat_tab.attachments
    bar.add_files([str(path)])
    wait_until(lambda: bar.count() == 1 and not bar.is_loading())
    assert bar.estimated_tokens() > 85
    send_in_chat(app, qtbot, "What colour is this?")
    wait_until(chat_idle(app))
    content = _sent(fake_openai)["messages"][-1]["content"]
    assert content[0] == {"type": "text", "text": "What colour is this?"}
    assert content[1]["type"] == "image_url"
    assert content[1]["image_url"]["url"].startswith("data:image/jpeg;base64,")
    assert content[1]["image_url"]["detail"] in ("auto", "low", "high")
    assert bar.count() == 0  # sent images leave the box


def test_parameters_from_the_panel_reach_the_wire(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    app.chat_tab.set_api("chat.completions")  # the Chat Completions wire format
    panel = app.chat_tab.params
    panel.set_fields(
        {"temperature": 0.2, "seed": 7, "stop": ("END",), "top_p": 0.9, "max_output_tokens": 100}
    )
    send_in_chat(app, qtbot, "Hi")
    wait_until(chat_idle(app))
    body = _sent(fake_openai)
    assert body["temperature"] == 0.2
    assert body["seed"] == 7
    assert body["stop"] == ["END"]
    assert body["top_p"] == 0.9
    assert body["max_completion_tokens"] == 100
    assert body["stream_options"] == {"include_usage": True}


def test_several_answers_show_as_tabs_and_one_continues(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    fake_openai.scenario.reply_text = lambda body: "An answer."
    app = make_app()
    app.chat_tab.set_api("chat.completions")  # the Chat Completions wire format
    app.chat_tab.params.set_fields({"n": 3})
    send_in_chat(app, qtbot, "Say something")
    wait_until(chat_idle(app))
    assert _sent(fake_openai)["n"] == 3
    turn = app.chat_tab.conversation.last()
    assert turn is not None
    assert turn.choices_tabs.count() == 3
    assert turn.use_choice_button.isVisibleTo(turn)
    turn.choices_tabs.setCurrentIndex(2)
    turn.use_choice_button.click()
    assert app.chat.conversation.turns[-1].content == "An answer."


def test_logprobs_lens_colours_the_answer(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    app.chat_tab.set_api("chat.completions")  # the Chat Completions wire format
    app.chat_tab.params.set_fields({"logprobs": True, "top_logprobs": 3})
    send_in_chat(app, qtbot, "Hi")
    wait_until(chat_idle(app))
    body = _sent(fake_openai)
    assert body["logprobs"] is True
    assert body["top_logprobs"] == 3
    turn = app.chat_tab.conversation.last()
    assert turn is not None
    assert turn.logprobs_button.isVisibleTo(turn)
    turn.logprobs_button.click()
    assert turn.logprobs_view.isVisibleTo(turn)
    assert "(chosen)" in turn.logprobs_view.token_details(0)
    assert "tokens" in turn.logprobs_view.details.text()


def test_tool_call_shows_and_the_typed_result_continues_the_chat(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    fake_openai.scenario.tool_calls = [("get_weather", '{"city": "Paris"}')]
    app = make_app()
    app.chat_tab.set_api("chat.completions")  # the Chat Completions wire format
    tools = [
        {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
    ]
    app.chat_tab.params.tools_edit.setPlainText(json.dumps(tools))
    send_in_chat(app, qtbot, "Weather in Paris?")
    wait_until(chat_idle(app))
    assert _sent(fake_openai)["tools"][0]["function"]["name"] == "get_weather"
    turn = app.chat_tab.conversation.last()
    assert turn is not None
    assert "get_weather" in turn.tools_box.findChildren(type(turn.meta_label))[0].text()
    call_id = app.chat.conversation.turns[-1].tool_calls[0].id
    box = turn.findChild(type(turn.editor), f"toolResult_{call_id}")
    assert box is not None
    box.setPlainText('{"temp_c": 21}')
    fake_openai.scenario.tool_calls = []
    turn.findChild(type(turn.save_button), "sendToolResults").click()
    wait_until(chat_idle(app))
    messages = _sent(fake_openai)["messages"]
    assert messages[-2]["tool_calls"][0]["id"] == call_id
    assert messages[-1] == {"role": "tool", "content": '{"temp_c": 21}', "tool_call_id": call_id}
    assert DEFAULT_REPLY in app.chat_tab.conversation.plain_text()


def test_json_schema_answer_is_checked(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    }
    fake_openai.scenario.reply_text = '{"town": "Paris"}'
    app = make_app()
    app.chat_tab.set_api("chat.completions")  # the Chat Completions wire format
    app.chat_tab.params.set_fields(
        {
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "place", "schema": schema, "strict": True},
            }
        }
    )
    send_in_chat(app, qtbot, "Where?")
    wait_until(chat_idle(app))
    assert _sent(fake_openai)["response_format"]["json_schema"]["strict"] is True
    turn = app.chat_tab.conversation.last()
    assert turn is not None
    assert "does not match the schema" in turn.error_label.text()


def test_invalid_tools_json_blocks_send(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI
) -> None:
    app = make_app()
    app.chat_tab.params.tools_edit.setPlainText("[{not json")
    app.chat_tab.input_edit.setPlainText("Hi")
    assert not app.chat_tab.send_button.isEnabled()
    assert "Can't send yet" in app.chat_tab.send_button.toolTip()


def test_regenerate_and_edit_and_resend(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    app.chat_tab.set_api("chat.completions")  # the Chat Completions wire format
    send_in_chat(app, qtbot, "First")
    wait_until(chat_idle(app))
    conv = app.chat_tab.conversation
    conv.turns[1].regenerate_button.click()
    wait_until(chat_idle(app))
    assert [m["content"] for m in _sent(fake_openai)["messages"]] == ["First"]
    assert len(app.chat.conversation.turns) == 2
    conv.turns[0].start_edit()
    conv.turns[0].editor.setPlainText("First, edited")
    conv.turns[0].resend_button.click()
    wait_until(chat_idle(app))
    assert [m["content"] for m in _sent(fake_openai)["messages"]] == ["First, edited"]
    assert [m.content for m in app.chat.conversation.turns] == ["First, edited", DEFAULT_REPLY]


def test_history_persists_searches_reopens_forks_and_undoes_delete(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    send_in_chat(app, qtbot, "Tell me about zebras")
    wait_until(chat_idle(app))
    first_id = app.chat.conversation.id
    qtbot.keyClick(
        app.chat_tab.input_edit, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier
    )  # Ctrl+N
    assert app.chat.conversation.id != first_id
    assert app.chat_tab.conversation.turns == []
    send_in_chat(app, qtbot, "Something about lions")
    wait_until(chat_idle(app))

    app.chat.conversations.refresh_history("zebra")
    rows = app.services.history.search("zebra")
    assert [r.id for r in rows] == [first_id]

    app.chat_tab.history.open_requested.emit(first_id)
    assert app.chat.conversation.id == first_id
    assert "zebras" in app.chat_tab.conversation.plain_text()

    app.chat_tab.conversation.turns[0].action("forkTurn").trigger()
    assert app.chat.conversation.id != first_id
    assert [m.content for m in app.chat.conversation.turns] == ["Tell me about zebras"]

    app.chat_tab.history.delete_requested.emit(first_id)
    assert not any(r.id == first_id for r in app.services.history.list())
    app.chat_tab.history.undo_delete_requested.emit(first_id)
    assert any(r.id == first_id for r in app.services.history.list())


def test_a_reply_is_in_history_while_it_streams(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    fake_openai.scenario.reply_text = " ".join(f"word{i}" for i in range(300))
    fake_openai.scenario.tokens_per_second = 150
    app = make_app()
    send_in_chat(app, qtbot, "Long one")
    conversation_id = app.chat.conversation.id
    wait_until(lambda: "word3 " in app.chat_tab.conversation.plain_text())
    app.chat.history.flush_streams()
    stored = app.services.history.load(conversation_id)
    assert stored.messages[-1].message.content.startswith("word0")
    assert stored.messages[-1].meta.status == "streaming"
    app.chat.stop()
    wait_until(chat_idle(app))
    assert app.services.history.load(conversation_id).messages[-1].meta.status == "stopped"


def test_variables_form_fills_the_prompt(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    app.chat_tab.set_api("chat.completions")  # the Chat Completions wire format
    tab = app.chat_tab
    tab.system_edit.setPlainText("Answer in {{language}}.")
    tab.input_edit.setPlainText("Describe {{thing}}")
    assert tab.variables.names() == ["language", "thing"]
    assert not tab.send_button.isEnabled()
    tab.variables.editor("language").setText("French")
    tab.variables.editor("thing").setText("the sea")
    assert tab.send_button.isEnabled()
    qtbot.mouseClick(tab.send_button, Qt.MouseButton.LeftButton)
    wait_until(chat_idle(app))
    messages = _sent(fake_openai)["messages"]
    assert messages[0] == {"role": "system", "content": "Answer in French."}
    assert messages[1]["content"] == "Describe the sea"


def test_presets_save_and_load(make_app: Callable[..., AppHarness]) -> None:
    app = make_app()
    app.chat_tab.set_api("chat.completions")  # the Chat Completions wire format
    tab = app.chat_tab
    tab.system_edit.setPlainText("You are a poet.")
    tab.params.set_fields({"temperature": 1.4, "seed": 3})
    app.chat.save_preset("Poet")
    tab.system_edit.setPlainText("")
    tab.params.set_fields({})
    app.chat.exports.load_preset("Poet")
    assert tab.system_edit.toPlainText() == "You are a poet."
    assert tab.params.request_fields()["temperature"] == 1.4
    assert tab.params.request_fields()["seed"] == 3
    assert tab.preset_menu.names() == ["Poet"]


def test_view_code_and_paste_a_curl(make_app: Callable[..., AppHarness], qtbot: Any) -> None:
    from playground.ui.chat.code_dialog import CodeDialog, ImportRequestDialog

    app = make_app()
    app.chat_tab.input_edit.setPlainText("Hello there")
    app.chat.show_code()
    dialog = app.chat_tab.findChild(CodeDialog)
    assert dialog is not None
    python = dialog.exact_code("python")
    # An OpenAI profile: the conversation goes through the Responses API.
    assert "client.responses.create(" in python
    assert '"text": "Hello there"' in python
    assert "sk-" not in python
    dialog.close()

    app.chat.exports.paste_request()
    paste = app.chat_tab.findChild(ImportRequestDialog)
    assert paste is not None
    paste.set_text(
        'curl https://api.openai.com/v1/chat/completions \\\n  -H "Content-Type: application/json" \\\n'
        '  -H "Authorization: Bearer $OPENAI_API_KEY" \\\n  -d \'{"model": "gpt-4.1", "temperature": 0.3,'
        ' "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi!"}]}\''
    )
    paste.refresh()
    assert paste.parsed() is not None
    paste.request_applied.emit(paste.parsed())
    assert app.chat_tab.system_edit.toPlainText() == "Be brief."
    assert app.chat_tab.input_edit.toPlainText() == "Hi!"
    assert app.chat_tab.params.current_model() == "gpt-4.1"
    assert app.chat_tab.params.request_fields()["temperature"] == 0.3
    paste.close()


def test_export_json_round_trips_with_usage_and_cost(
    make_app: Callable[..., AppHarness],
    fake_openai: FakeOpenAI,
    qtbot: Any,
    wait_until: Any,
    tmp_path: Path,
) -> None:
    app = make_app()
    send_in_chat(app, qtbot, "Hi")
    wait_until(chat_idle(app))
    target = tmp_path / "chat.json"
    app.chat.exports._ask_save_path = lambda suggested, filter_: str(target)  # type: ignore[method-assign]
    app.chat.export_conversation("json")
    conversation, problems = from_json(target.read_text(encoding="utf-8"))
    assert problems == []
    assert conversation is not None
    assert [t.message.content for t in conversation.turns] == ["Hi", DEFAULT_REPLY]
    reply = conversation.turns[1]
    assert reply.usage is not None
    assert reply.usage.output_tokens > 0
    assert reply.cost is not None
    md = tmp_path / "chat.md"
    app.chat.exports._ask_save_path = lambda suggested, filter_: str(md)  # type: ignore[method-assign]
    app.chat.export_conversation("markdown")
    assert DEFAULT_REPLY in md.read_text(encoding="utf-8")


def test_estimate_shows_context_fill_and_cost_range(
    make_app: Callable[..., AppHarness], wait_until: Any
) -> None:
    app = make_app()
    app.chat_tab.input_edit.setPlainText("How long is a piece of string?")
    wait_until(lambda: "of 128,000 context" in app.chat_tab.estimate_label.text())
    text = app.chat_tab.estimate_label.text()
    assert text.startswith("≈")
    assert "–$" in text  # from input only to input plus the maximum output


def test_rate_limit_counts_down_before_retry(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    fake_openai.rate_limit(retry_after=3)
    app = make_app()
    send_in_chat(app, qtbot, "Hi")
    wait_until(chat_idle(app))
    tab = app.chat_tab
    assert tab.retry_button.isVisibleTo(tab)
    assert tab.retry_button.text() == "Retry in 3 s"
    assert not tab.retry_button.isEnabled()
    wait_until(lambda: tab.retry_button.isEnabled(), timeout=10)
    tab.retry_button.click()
    wait_until(chat_idle(app))
    assert DEFAULT_REPLY in tab.conversation.plain_text()
    assert [r.status for r in app.services.ledger.recent()] == [
        RequestStatus.OK,
        RequestStatus.ERROR,
    ]


def test_copy_last_answer_and_enter_sends(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    app.chat_tab.set_api("chat.completions")  # the Chat Completions wire format
    tab = app.chat_tab
    tab.enter_sends_check.setChecked(True)
    tab.input_edit.setPlainText("Hi")
    qtbot.keyClick(tab.input_edit, Qt.Key.Key_Return)
    wait_until(chat_idle(app))
    assert len(fake_openai.requests_to("/chat/completions")) == 1
    qtbot.keyClick(
        tab.input_edit,
        Qt.Key.Key_C,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert QApplication.clipboard().text() == DEFAULT_REPLY


def test_ctrl_f_searches_history_and_ctrl_s_saves_a_preset(
    make_app: Callable[..., AppHarness], qtbot: Any
) -> None:
    app = make_app()
    tab = app.chat_tab
    qtbot.keyClick(tab.input_edit, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is tab.history.search_edit
    tab.preset_menu.ask_name = lambda *args, **kwargs: "From the keyboard"  # type: ignore[method-assign]
    tab.system_edit.setPlainText("Be kind.")
    qtbot.keyClick(tab.input_edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert app.services.presets.get("From the keyboard") is not None


def test_a_prompt_over_the_context_window_warns_before_sending(
    make_app: Callable[..., AppHarness], wait_until: Any
) -> None:
    app = make_app(model="gpt-4")  # an 8,192-token window
    app.chat_tab.input_edit.setPlainText("word " * 3_000 + "end")  # counted on the GUI thread
    wait_until(lambda: "of 8,192 context" in app.chat_tab.estimate_label.text())
    app.chat_tab.input_edit.setPlainText(
        "lorem ipsum " * 5_000
    )  # 10,000 tokens, counted off the GUI thread
    wait_until(lambda: "too long for this model" in app.chat_tab.estimate_label.text())
