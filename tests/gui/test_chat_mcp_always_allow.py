"""Chat's "Always allow" for a remote MCP server is kept per server label, in settings: it
follows the label into every conversation and across a restart, and a server the user did not
tick is never auto-approved (not even when a reopened or pasted request said "never")."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt

from playground.core.chat.codegen import parse_request
from playground.core.storage.settings import JsonSettingsStore
from playground.ui.common.chat_params import API_RESPONSES
from tests.conftest import AppHarness
from tests.fakes.openai_server import FakeOpenAI
from tests.gui.drivers import chat_idle, send_in_chat

pytestmark = pytest.mark.gui

URL = "https://mcp.example.org/mcp"


def _approval_sent(app: AppHarness, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any) -> str:
    """Sends a message; what the request asked of the MCP server's calls."""
    send_in_chat(app, qtbot, "Ask the docs about tides")
    wait_until(chat_idle(app))
    (tool,) = (fake_openai.last("/responses").json or {})["tools"]
    return str(tool["require_approval"])


def _use_server(app: AppHarness, label: str) -> None:
    params = app.chat_tab.params
    params.mcp_check.setChecked(True)
    params.mcp_url_edit.setText(URL)
    params.mcp_label_edit.setText(label)


def test_always_allow_is_kept_per_server_label_across_conversations_and_a_restart(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    first = make_app()
    first.chat_tab.set_api(API_RESPONSES)
    params = first.chat_tab.params
    _use_server(first, "deepwiki")
    assert not params.mcp_always_check.isChecked()
    assert _approval_sent(first, fake_openai, qtbot, wait_until) == "always"
    qtbot.mouseClick(params.mcp_always_check, Qt.MouseButton.LeftButton)
    assert params.mcp_always_check.text() == "Always allow “deepwiki” (all chats)"
    assert _approval_sent(first, fake_openai, qtbot, wait_until) == "never"
    # Another server label: not ticked, so it asks.
    params.mcp_label_edit.setText("docs")
    assert not params.mcp_always_check.isChecked()
    assert _approval_sent(first, fake_openai, qtbot, wait_until) == "always"
    first.window.close()

    saved = JsonSettingsStore(first.home / "config" / "settings.json").load()
    assert saved.chat.mcp_always_allow == ["deepwiki"]

    second = make_app(home=first.home)
    second.chat_tab.set_api(API_RESPONSES)
    second.controller.chat.new_conversation()
    _use_server(second, "deepwiki")
    assert second.chat_tab.params.mcp_always_check.isChecked()  # kept for the server
    assert _approval_sent(second, fake_openai, qtbot, wait_until) == "never"


def test_a_pasted_request_saying_never_does_not_auto_approve_an_unticked_server(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    body = {
        "model": "gpt-4o-mini",
        "input": "Hi",
        "tools": [
            {
                "type": "mcp",
                "server_label": "stranger",
                "server_url": URL,
                "require_approval": "never",
            }
        ],
    }
    app.controller.chat.exports._apply_parsed(parse_request(json.dumps(body)))
    params = app.chat_tab.params
    assert params.mcp_check.isChecked()
    assert params.mcp_label_edit.text() == "stranger"
    assert not params.mcp_always_check.isChecked()
    assert _approval_sent(app, fake_openai, qtbot, wait_until) == "always"
