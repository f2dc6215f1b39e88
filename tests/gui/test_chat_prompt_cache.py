"""Prompt caching in Chat, Compare and Prompt Lab against the fake server: the cache key and
lifetime go out on both APIs, the second reply says what came from the cache, the settings come
back with the conversation (and after a restart), View code shows them, Paste request fills them,
and a server that refuses them is learned from."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt

from playground.core.lab.suite import TestCase
from playground.ui.chat.code_dialog import CodeDialog, ImportRequestDialog
from playground.ui.common.chat_params import API_CHAT_COMPLETIONS, API_RESPONSES, ChatParamsPanel
from tests.conftest import AppHarness
from tests.fakes.openai_server import DEFAULT_REPLY, FakeOpenAI
from tests.gui.drivers import chat_idle, send_in_chat

pytestmark = pytest.mark.gui

PATHS = {API_RESPONSES: "/responses", API_CHAT_COMPLETIONS: "/chat/completions"}


def _set_cache(params: ChatParamsPanel, qtbot: Any, key: str, ttl: str | None = "12h") -> None:
    params.cache_key_edit.clear()
    qtbot.keyClicks(params.cache_key_edit, key)
    params.cache_ttl_combo.setCurrentIndex(params.cache_ttl_combo.findData(ttl))


def _send(app: AppHarness, qtbot: Any, wait_until: Any, text: str) -> None:
    send_in_chat(app, qtbot, text)
    wait_until(chat_idle(app))
    assert not app.chat_tab.error_box.isVisible(), app.chat_tab.error_label.text()


def _bodies(fake: FakeOpenAI, api: str) -> list[dict[str, Any]]:
    return [r.json for r in fake.requests_to(PATHS[api]) if r.json]


def test_key_and_lifetime_go_out_on_responses_and_the_second_reply_reads_the_cache(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    tab = app.chat_tab
    tab.set_api(API_RESPONSES)
    assert tab.params.cache_key_edit.isEnabled()
    assert tab.params.cache_ttl_combo.isEnabled()
    _set_cache(tab.params, qtbot, "tides-bot")
    _send(app, qtbot, wait_until, "Hello")
    assert "from the cache" not in tab.reply_info.text()
    _send(app, qtbot, wait_until, "And tomorrow?")

    first, second = _bodies(fake_openai, API_RESPONSES)
    for body in (first, second):
        assert body["prompt_cache_key"] == "tides-bot"
        assert body["prompt_cache_options"] == {"ttl": "12h"}
    row = app.services.ledger.recent()[0]
    assert 0 < row.usage.cached_tokens < row.usage.input_tokens
    line = tab.reply_info.text()
    assert f"{row.usage.input_tokens:,} tok in ({row.usage.cached_tokens:,} from the cache)" in line


def test_chat_completions_sends_the_key_and_says_why_not_twelve_hours(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    tab = app.chat_tab
    params = tab.params
    tab.set_api(API_CHAT_COMPLETIONS)
    _set_cache(params, qtbot, "tides-bot")
    # Chat Completions keeps the cache 30 minutes only (the SDK takes ttl "30m" only there).
    assert not params.cache_ttl_combo.isEnabled()
    assert params.cache_note.isVisibleTo(params)
    assert "30 minutes" in params.cache_note.text()
    assert "Responses" in params.cache_note.text()
    _send(app, qtbot, wait_until, "Hello")
    _send(app, qtbot, wait_until, "And tomorrow?")

    first, second = _bodies(fake_openai, API_CHAT_COMPLETIONS)
    assert first["prompt_cache_key"] == second["prompt_cache_key"] == "tides-bot"
    assert "prompt_cache_options" not in first
    row = app.services.ledger.recent()[0]
    assert row.usage.cached_tokens > 0
    assert f"({row.usage.cached_tokens:,} from the cache)" in tab.reply_info.text()
    stored = app.services.history.load(app.chat.conversation.id).params
    assert getattr(stored, "prompt_cache_ttl", None) == "12h"  # kept, though not sent here

    tab.set_api(API_RESPONSES)  # the choice was kept, and goes out where it is taken
    assert params.cache_ttl_combo.isEnabled()
    assert not params.cache_note.isVisibleTo(params)
    _send(app, qtbot, wait_until, "Third")
    assert _bodies(fake_openai, API_RESPONSES)[-1]["prompt_cache_options"] == {"ttl": "12h"}


def test_a_compatible_servers_model_gets_no_cache_settings_and_says_why(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    fake_openai.scenario.models = [*fake_openai.scenario.models, "llama3.2:3b"]
    app = make_app()
    tab = app.chat_tab
    params = tab.params
    tab.set_api(API_CHAT_COMPLETIONS)
    _set_cache(params, qtbot, "tides-bot", None)
    tab.set_model("llama3.2:3b")
    assert not params.cache_key_edit.isEnabled()
    assert "OpenAI's own models" in params.cache_key_edit.toolTip()
    assert params.cache_note.isVisibleTo(params)
    assert "not sent" in params.cache_note.text()
    _send(app, qtbot, wait_until, "Hello")
    assert "prompt_cache_key" not in _bodies(fake_openai, API_CHAT_COMPLETIONS)[-1]
    stored = app.services.history.load(app.chat.conversation.id).params
    assert getattr(stored, "prompt_cache_key", None) == "tides-bot"  # what was typed is kept


def test_the_settings_come_back_with_the_conversation_and_after_a_restart(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    first = make_app()
    tab = first.chat_tab
    tab.set_api(API_RESPONSES)
    _set_cache(tab.params, qtbot, "tides-bot")
    _send(first, qtbot, wait_until, "Hello")
    conversation_id = first.chat.conversation.id

    first.chat.new_conversation()
    _set_cache(tab.params, qtbot, "another-task", None)
    _send(first, qtbot, wait_until, "Something else")
    first.chat.open_conversation(conversation_id)
    assert tab.params.cache_key_edit.text() == "tides-bot"
    assert tab.params.cache_ttl_combo.currentData() == "12h"
    first.window.close()

    second = make_app(home=first.home)
    second.chat.open_conversation(conversation_id)
    params = second.chat_tab.params
    assert params.cache_key_edit.text() == "tides-bot"
    assert params.cache_ttl_combo.currentData() == "12h"
    _send(second, qtbot, wait_until, "Again")
    body = _bodies(fake_openai, API_RESPONSES)[-1]
    assert body["prompt_cache_key"] == "tides-bot"
    assert body["prompt_cache_options"] == {"ttl": "12h"}


def test_view_code_shows_the_cache_settings(
    make_app: Callable[..., AppHarness], qtbot: Any
) -> None:
    app = make_app()
    tab = app.chat_tab
    tab.set_api(API_RESPONSES)
    _set_cache(tab.params, qtbot, "tides-bot")
    tab.input_edit.setPlainText("Hello")
    app.chat.exports.show_code()
    dialog = tab.findChild(CodeDialog)
    assert dialog is not None
    body = json.loads(dialog.exact_code("json"))
    assert body["prompt_cache_key"] == "tides-bot"
    assert body["prompt_cache_options"] == {"ttl": "12h"}
    assert '"prompt_cache_key": "tides-bot"' in dialog.exact_code("curl")
    assert "prompt_cache_key=" in dialog.exact_code("python")
    dialog.close()


def test_a_pasted_request_with_cache_settings_fills_the_panel(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    tab = app.chat_tab
    app.chat.exports.paste_request()
    dialog = tab.findChild(ImportRequestDialog)
    assert dialog is not None
    dialog.text_edit.setPlainText(
        json.dumps(
            {
                "model": "gpt-4o-mini",
                "instructions": "Be brief.",
                "input": "Hello",
                "prompt_cache_key": "pasted-key",
                "prompt_cache_options": {"ttl": "12h"},
            }
        )
    )
    qtbot.waitUntil(dialog.apply_button.isEnabled)
    summary = dialog.summary_label.text()
    assert "prompt cache key pasted-key" in summary
    assert "cache lifetime 12 hours" in summary
    dialog.apply_button.click()

    params = tab.params
    assert tab.api() == API_RESPONSES
    assert params.cache_key_edit.text() == "pasted-key"
    assert params.cache_ttl_combo.currentData() == "12h"
    qtbot.mouseClick(tab.send_button, Qt.MouseButton.LeftButton)
    wait_until(chat_idle(app))
    assert _bodies(fake_openai, API_RESPONSES)[-1]["prompt_cache_key"] == "pasted-key"


def test_a_server_that_refuses_the_key_is_learned_and_send_again_works(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    tab = app.chat_tab
    tab.set_api(API_CHAT_COMPLETIONS)
    _set_cache(tab.params, qtbot, "tides-bot", None)
    fake_openai.fail_next(
        400,
        message="Unsupported parameter: 'prompt_cache_key' is not supported by this server.",
        code="unsupported_parameter",
        param="prompt_cache_key",
        path="/chat/completions",
    )
    send_in_chat(app, qtbot, "Hello")
    wait_until(lambda: tab.error_box.isVisible())
    assert "gpt-4o-mini does not take prompt cache key" in tab.error_label.text()
    assert tab.retry_button.text() == "Send again without it"

    tab.retry_button.click()
    wait_until(chat_idle(app))
    assert not tab.error_box.isVisible()
    refused, accepted = _bodies(fake_openai, API_CHAT_COMPLETIONS)
    assert refused["prompt_cache_key"] == "tides-bot"
    assert "prompt_cache_key" not in accepted
    assert tab.conversation.turns[-1].text() == DEFAULT_REPLY
    assert app.chat.save_state()["learned"] == {"gpt-4o-mini": ["prompt_cache_key"]}
    assert "prompt cache key" in tab.params.learned_label.text()
    _send(app, qtbot, wait_until, "Again")  # remembered: left out at once
    assert "prompt_cache_key" not in _bodies(fake_openai, API_CHAT_COMPLETIONS)[-1]


def test_compare_columns_carry_the_cache_settings(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    app.window.show_tab("compare")
    app.controller.refresh_models()
    feature = app.feature("compare")
    view = feature.view
    wait_until(lambda: view.columns[0].model_combo.count() > 0)
    a, b = view.columns[0], view.columns[1]
    a.model_combo.setCurrentText("gpt-4o-mini")
    b.model_combo.setCurrentText("gpt-4.1")
    a.set_api(API_RESPONSES)
    b.set_api(API_CHAT_COMPLETIONS)
    _set_cache(a.params, qtbot, "column-a")
    _set_cache(b.params, qtbot, "column-b", None)
    view.input_edit.setPlainText("Hello")
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: not app.runner.is_busy("compare"))
    (responses,) = _bodies(fake_openai, API_RESPONSES)
    (chat,) = _bodies(fake_openai, API_CHAT_COMPLETIONS)
    assert (responses["prompt_cache_key"], responses["prompt_cache_options"]) == (
        "column-a",
        {"ttl": "12h"},
    )
    assert chat["prompt_cache_key"] == "column-b"
    state = feature.save_state()["settings"]
    assert state[0]["fields"]["prompt_cache_key"] == "column-a"  # kept with the column


def test_lab_variants_carry_the_cache_settings(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    fake_openai.scenario.reply_text = "Paris"
    app = make_app()
    app.window.show_tab("lab")
    app.controller.refresh_models()
    lab = app.feature("lab")
    view = lab.view
    wait_until(lambda: view.variants.rows[0].model_combo.count() > 0)
    lab.apply_settings(app.controller.settings.replace(cost_guard_usd=1000.0))
    view.template_edit.setPlainText("Capital of {{country}}?")
    view.cases.set_cases([TestCase(values={"country": "France"})])
    row = view.variants.rows[0]
    row.model_combo.setCurrentText("gpt-4.1")
    row.set_api(API_RESPONSES)
    _set_cache(row.params, qtbot, "capitals")
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: not any(app.runner.is_busy(g) for g in ("lab", "lab-estimate")))
    (body,) = _bodies(fake_openai, API_RESPONSES)
    assert body["prompt_cache_key"] == "capitals"
    assert body["prompt_cache_options"] == {"ttl": "12h"}
    saved = lab.save_state()["variants"][0]["fields"]
    assert saved["prompt_cache_key"] == "capitals"
