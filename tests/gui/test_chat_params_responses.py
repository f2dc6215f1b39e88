"""The parameter panel takes exactly what the model takes (`allowed(model, effort)`), and shows the
Responses API's own settings and built-in tools only when that API is chosen."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from playground.core.api.capabilities import EFFORTS, capabilities
from playground.core.chat.builtin_tools import FileSearchTool, McpTool, WebSearchTool
from playground.core.chat.service import ChatRequest, ResponsesRequest
from playground.core.models import Message
from playground.ui.common.chat_params import (
    API_CHAT_COMPLETIONS,
    API_RESPONSES,
    ChatParamsPanel,
    build_request,
)

pytestmark = pytest.mark.gui


@pytest.fixture
def panel(qtbot: Any) -> ChatParamsPanel:
    widget = ChatParamsPanel()
    qtbot.addWidget(widget)
    return widget


def _pick(panel: ChatParamsPanel, model: str) -> None:
    panel.model_combo.setCurrentText(model)
    panel.set_capabilities(capabilities(model), model)


def _efforts(panel: ChatParamsPanel) -> list[Any]:
    combo = panel.reasoning_combo
    return [combo.itemData(i) for i in range(1, combo.count())]


def test_efforts_offered_are_the_family_s(panel: ChatParamsPanel) -> None:
    _pick(panel, "gpt-6-sol")
    assert _efforts(panel) == list(EFFORTS)
    assert "GPT-5" not in panel.reasoning_combo.toolTip()
    _pick(panel, "gpt-6.1-sol")
    assert _efforts(panel) == list(EFFORTS[1:])
    _pick(panel, "gpt-5-mini")
    assert _efforts(panel) == ["minimal", "low", "medium", "high"]
    _pick(panel, "o3")
    assert _efforts(panel) == ["low", "medium", "high"]


def test_sampling_and_logprobs_follow_the_effort(panel: ChatParamsPanel) -> None:
    _pick(panel, "gpt-6-sol")
    combo = panel.reasoning_combo
    combo.setCurrentIndex(combo.findData("high"))
    assert not panel.temperature_row.check.isEnabled()
    assert not panel.logprobs_check.isEnabled()
    assert "none" in panel.temperature_row.check.toolTip()
    assert panel.sampling_note.isVisibleTo(panel)

    combo.setCurrentIndex(combo.findData("none"))
    assert panel.temperature_row.check.isEnabled()
    assert panel.logprobs_check.isEnabled()
    panel.temperature_row.check.setChecked(True)
    panel.logprobs_check.setChecked(True)
    fields = panel.request_fields()
    assert fields["temperature"] is not None
    assert fields["logprobs"] is True

    combo.setCurrentIndex(combo.findData("low"))
    fields = panel.request_fields()
    assert fields["temperature"] is None
    assert fields["logprobs"] is False


def test_pasted_effort_none_keeps_its_temperature(panel: ChatParamsPanel) -> None:
    panel.set_fields({"model": "gpt-6-sol", "reasoning_effort": "none", "temperature": 0.5})
    panel.set_capabilities(capabilities("gpt-6-sol"), "gpt-6-sol")
    assert panel.request_fields()["temperature"] == 0.5
    assert panel.request_fields()["reasoning_effort"] == "none"


def test_an_effort_the_model_lacks_is_kept_marked_and_not_sent(panel: ChatParamsPanel) -> None:
    panel.set_fields({"model": "gpt-6.1-sol", "reasoning_effort": "none"})
    panel.set_capabilities(capabilities("gpt-6.1-sol"), "gpt-6.1-sol")
    combo = panel.reasoning_combo
    assert combo.currentData() == "none"
    assert "not taken" in combo.currentText()
    assert "does not take" in combo.toolTip()


def test_responses_settings_show_only_on_responses(panel: ChatParamsPanel) -> None:
    _pick(panel, "gpt-6-astra")
    assert panel.api() == API_CHAT_COMPLETIONS
    assert not panel.responses_group.isVisibleTo(panel)
    assert not panel.builtin_group.isVisibleTo(panel)
    panel.set_api(API_RESPONSES)
    assert panel.responses_group.isVisibleTo(panel)
    assert panel.builtin_group.isVisibleTo(panel)
    panel.summary_combo.setCurrentIndex(panel.summary_combo.findData("detailed"))
    panel.tier_combo.setCurrentIndex(panel.tier_combo.findData("flex"))
    panel.verbosity_combo.setCurrentIndex(panel.verbosity_combo.findData("low"))
    assert panel.responses_fields()["reasoning_summary"] == "detailed"
    assert panel.responses_fields()["service_tier"] == "flex"

    # A local model: no summary, no tiers, no built-in tools, each saying why.
    _pick(panel, "llama3.2:3b")
    assert not panel.summary_combo.isEnabled()
    assert "reasoning" in panel.summary_combo.toolTip()
    assert not panel.tier_combo.isEnabled()
    assert not panel.web_search_check.isEnabled()
    assert panel.responses_fields() == {
        "reasoning_summary": None,
        "verbosity": None,
        "service_tier": None,
        "builtin_tools": (),
        "store": False,
        "background": False,
        "context_strategy": None,
        "summary_model": None,
        "prompt_cache_key": None,
        "prompt_cache_ttl": None,
        "keep_as": None,
    }


def test_builtin_tools_round_trip(panel: ChatParamsPanel) -> None:
    _pick(panel, "gpt-6-astra")
    panel.set_api(API_RESPONSES)
    panel.web_search_check.setChecked(True)
    panel.file_search_check.setChecked(True)
    assert any("vector store" in p for p in panel.problems())
    panel.set_vector_stores([("vs_1", "Manuals · 3 of 3 ready"), ("vs_2", "Notes")])
    for row in range(2):
        panel.vector_stores.list.item(row).setCheckState(Qt.CheckState.Checked)
    panel.mcp_check.setChecked(True)
    assert any("URL" in p for p in panel.problems())
    panel.mcp_url_edit.setText("https://mcp.example/mcp")
    panel.mcp_label_edit.setText("docs")
    panel.mcp_tools_edit.setText("search, fetch")
    assert panel.problems() == []
    tools = panel.responses_fields()["builtin_tools"]
    assert tools == (
        WebSearchTool(),
        FileSearchTool(vector_store_ids=("vs_1", "vs_2")),
        McpTool(
            server_label="docs",
            server_url="https://mcp.example/mcp",
            allowed_tools=("search", "fetch"),
        ),
    )
    settings = panel.settings()

    other = ChatParamsPanel()
    other.set_fields({"model": "gpt-6-astra", **settings})
    other.set_capabilities(capabilities("gpt-6-astra"), "gpt-6-astra")
    assert other.settings() == settings
    other.deleteLater()


def test_build_request_picks_the_class(panel: ChatParamsPanel) -> None:
    messages = (Message("user", "hi"),)
    _pick(panel, "gpt-4o-mini")
    plain = panel.build_request("gpt-4o-mini", messages)
    assert type(plain) is ChatRequest
    panel.set_api(API_RESPONSES)
    request = panel.build_request("gpt-4o-mini", messages)
    assert isinstance(request, ResponsesRequest)
    assert build_request("m", messages, {"api": API_CHAT_COMPLETIONS, "verbosity": "low"}) == (
        ResponsesRequest(model="m", messages=messages, verbosity="low")
    )
