"""Compare and Prompt Lab record what a request really carried when the server sends no usage:
the messages, and also its images, tool definitions and tool calls (as Chat always did)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from playground.core.chat.service import ChatProgress, ChatRequest, ChatResult, ChatService
from playground.core.chat.vision import image_tokens
from playground.core.lab.suite import TestCase
from playground.core.models import Message, RequestStatus
from playground.core.money.tokens import TiktokenCounter
from tests.conftest import AppHarness, WaitUntil
from tests.fakes import openai_payloads as payloads
from tests.fakes.openai_server import FakeOpenAI, JsonDict

pytestmark = pytest.mark.gui

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The weather in a city.",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]


class NoUsageChatService(ChatService):
    """The real SDK stream from the fake server, with its usage dropped: a compatible server that
    sends none (as some local servers do), so the tab has to estimate."""

    async def stream(
        self,
        request: ChatRequest,
        on_delta: Callable[[int, str], None],
        progress: ChatProgress | None = None,
    ) -> ChatResult:
        result = await super().stream(request, on_delta, progress)
        return dataclasses.replace(result, usage=None)


def _messages_of(body: JsonDict) -> tuple[Message, ...]:
    """The sent messages' text, as the chat-format count sees it (pictures apart)."""
    out = []
    for m in body["messages"]:
        content = m["content"]
        if isinstance(content, list):
            content = "".join(p.get("text", "") for p in content if p["type"] == "text")
        out.append(Message(m["role"], content or ""))
    return tuple(out)


def test_compare_counts_tool_definitions_in_its_estimates(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: WaitUntil
) -> None:
    fake_openai.scenario.drop_after_chunks = 3  # every answer breaks off: no usage, an estimate
    app = make_app()
    app.window.show_tab("compare")
    app.controller.refresh_models()
    view = app.feature("compare").view
    wait_until(lambda: view.columns[0].model_combo.count() > 0)
    for column, model in zip(view.columns[:2], ("gpt-4o-mini", "gpt-4.1"), strict=True):
        column.model_combo.setCurrentText(model)
        column.set_api("chat.completions")  # the Chat Completions wire format
        column.params.tools_edit.setPlainText(json.dumps(TOOLS))
    view.input_edit.setPlainText("What is the weather in Paris?")
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: not app.runner.is_busy("compare"))

    counter = TiktokenCounter()
    bodies = {
        r.json["model"]: r.json for r in fake_openai.requests_to("/chat/completions") if r.json
    }
    rows = app.services.ledger.recent()
    assert sorted(r.model for r in rows) == ["gpt-4.1", "gpt-4o-mini"]
    for row in rows:
        body = bodies[row.model]
        assert body["tools"]  # the column's tools were sent
        messages = counter.count_messages(_messages_of(body), row.model)
        tools = counter.count(json.dumps(body["tools"]), row.model)
        assert row.status == RequestStatus.ERROR
        assert row.usage.estimated
        assert row.usage.input_tokens == messages + tools  # before: `messages` alone


def test_lab_counts_pictures_and_tools_when_the_server_sends_no_usage(
    make_app: Callable[..., AppHarness],
    fake_openai: FakeOpenAI,
    wait_until: WaitUntil,
    qtbot: Any,
    tmp_path: Path,
) -> None:
    photo = tmp_path / "cat.png"
    photo.write_bytes(payloads.make_image(80, 60, "cat"))
    fake_openai.scenario.reply_text = "A cat sits on a mat."
    app = make_app()
    app.window.show_tab("lab")
    app.controller.refresh_models()
    lab = app.feature("lab")
    view = lab.view
    wait_until(lambda: view.variants.rows[0].model_combo.count() > 0)
    lab.apply_settings(app.controller.settings.replace(cost_guard_usd=1000.0))
    lab.service = NoUsageChatService(app.services.session.client)
    view.template_edit.setPlainText("What is in the picture? {{hint}}")
    view.cases.set_cases([TestCase({"hint": "An animal."}, images=(str(photo),))])
    row = view.variants.rows[0]
    row.model_combo.setCurrentText("gpt-4o-mini")
    row.params.tools_edit.setPlainText(json.dumps(TOOLS))
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: not any(app.runner.is_busy(g) for g in ("lab", "lab-estimate")))

    (sent,) = [r.json for r in fake_openai.requests_to("/chat/completions") if r.json]
    assert sent["tools"]
    picture = sent["messages"][-1]["content"][1]["image_url"]
    counter = TiktokenCounter()
    messages = counter.count_messages(_messages_of(sent), "gpt-4o-mini")
    tools = counter.count(json.dumps(sent["tools"]), "gpt-4o-mini")
    pictures = image_tokens(80, 60, picture["detail"])
    (row_,) = app.services.ledger.recent()
    assert row_.usage.estimated
    assert row_.usage.input_tokens == messages + pictures + tools  # before: `messages` alone
    assert row_.usage.output_tokens == counter.count("A cat sits on a mat.", "gpt-4o-mini")
