"""History keeps a conversation's API and its Responses settings (never an MCP server's headers)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from playground.core.chat.builtin_tools import (
    CodeInterpreterTool,
    FileSearchTool,
    McpTool,
    UserLocation,
    WebSearchTool,
)
from playground.core.chat.service import ChatRequest, ResponsesRequest
from playground.core.models import Message
from playground.core.storage.history import HistoryStore, MessageMeta


@pytest.fixture
def store(tmp_path: Path) -> Iterator[HistoryStore]:
    history = HistoryStore(tmp_path / "history.sqlite3")
    yield history
    history.close()


def test_responses_settings_and_api_round_trip(store: HistoryStore, tmp_path: Path) -> None:
    params = ResponsesRequest(
        model="gpt-6-astra",
        messages=(),
        reasoning_effort="none",
        temperature=0.5,
        reasoning_summary="detailed",
        verbosity="low",
        service_tier="flex",
        builtin_tools=(
            WebSearchTool(
                context_size="high",
                allowed_domains=("example.org",),
                user_location=UserLocation(city="Lyon", country="FR"),
            ),
            FileSearchTool(vector_store_ids=("vs_1",)),
            CodeInterpreterTool(),
            McpTool(
                server_label="docs",
                server_url="https://mcp.example/mcp",
                headers=(("Authorization", "Bearer secret-token"),),
                allowed_tools=("search",),
            ),
        ),
    )
    store.create("c1", params=params, api="responses")
    loaded = store.load("c1")
    assert loaded.api == "responses"
    expected_tools = (*params.builtin_tools[:3], McpTool(
        server_label="docs", server_url="https://mcp.example/mcp", allowed_tools=("search",)
    ))  # fmt: skip
    assert loaded.params == dataclasses.replace(params, builtin_tools=expected_tools)
    store.flush_streams()
    assert b"secret-token" not in (tmp_path / "history.sqlite3").read_bytes()

    store.save_params("c1", ChatRequest(model="gpt-4o-mini", messages=()), api="chat.completions")
    loaded = store.load("c1")
    assert loaded.api == "chat.completions"
    assert type(loaded.params) is ChatRequest


def test_without_an_api_the_conversation_says_so(store: HistoryStore) -> None:
    store.create("c2", params=ChatRequest(model="gpt-4o-mini", messages=()))
    assert store.load("c2").api == ""
    assert type(store.load("c2").params) is ChatRequest


def test_an_answers_response_id_and_chain_are_kept(store: HistoryStore, tmp_path: Path) -> None:
    conversation = "c1"
    store.create(conversation, params=ResponsesRequest(model="gpt-6-sol", messages=(), store=True))
    meta = MessageMeta(model="gpt-6-sol", response_id="resp_1", response_chain="abc")
    store.append_message(conversation, Message("assistant", "Hi"), meta)
    store.close()
    reopened = HistoryStore(tmp_path / "history.sqlite3")
    try:
        loaded = reopened.load(conversation)
        (stored,) = loaded.messages
        assert (stored.meta.response_id, stored.meta.response_chain) == ("resp_1", "abc")
        assert isinstance(loaded.params, ResponsesRequest)
        assert loaded.params.store
    finally:
        reopened.close()


def test_an_answers_thinking_steps_and_citations_are_kept(
    store: HistoryStore, tmp_path: Path
) -> None:
    from playground.core.chat.builtin_tools import Citation, FileHit, ToolStep

    steps = (
        ToolStep("fs_1", "file_search_call", "completed", "Searched files", queries=("tides",),
                 hits=(FileHit("tides.pdf", "file_1", 0.91, "High tide 14:02"),)),
        ToolStep("ci_1", "code_interpreter_call", "failed", "Ran 1 line of Python",
                 code="print(1/0)", error="ZeroDivisionError"),
    )  # fmt: skip
    citations = (Citation(title="Brest", url="https://tides.example", start_index=0, end_index=2),)
    meta = MessageMeta(model="gpt-6-sol", reasoning="Moon.", steps=steps, citations=citations)
    store.create("c1", params=ResponsesRequest(model="gpt-6-sol", messages=()))
    store.append_message("c1", Message("assistant", "Hi"), meta)
    store.close()
    reopened = HistoryStore(tmp_path / "history.sqlite3")
    try:
        (stored,) = reopened.load("c1").messages
        assert stored.meta.reasoning == "Moon."
        assert stored.meta.steps == steps
        assert stored.meta.citations == citations
    finally:
        reopened.close()
