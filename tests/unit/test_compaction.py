"""OpenAI compacts (`core.chat.context` compaction notes, `core.chat.compaction`): the older
turns sent to `/responses/compact`, kept as a note turn and sent back as its items."""

from __future__ import annotations

from decimal import Decimal

import openai
import pytest

from playground.core.api.errors import AppError
from playground.core.chat.compaction import compact, is_refusal
from playground.core.chat.context import (
    COMPACTION_NAME,
    RESPONSES_ONLY,
    STRATEGY_LABELS,
    Compaction,
    Strategy,
    compaction_items,
    compaction_note,
    fit,
    is_compaction,
    left_out,
    note_size,
    read_compaction,
    summary_note,
)
from playground.core.chat.responses import input_items, to_responses
from playground.core.chat.service import ResponsesRequest
from playground.core.models import Message
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.responses import COMPACTION_TOKENS, StoredResponses, decode_compaction

ITEMS = (
    {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "one"}]},
    {"type": "compaction", "encrypted_content": "opaque"},
)
NOTE = compaction_note(Compaction(ITEMS, 3, 900, 12, "gpt-4", Decimal("0.004")))
TURNS = [
    Message("user", "one"),
    Message("assistant", "A1"),
    Message("user", "two"),
    NOTE,
    Message("assistant", "A2"),
    Message("user", "three"),
]


def test_compacting_is_offered_in_plain_words_and_only_on_responses() -> None:
    assert STRATEGY_LABELS[Strategy.COMPACT] == "OpenAI compacts"
    assert Strategy.COMPACT in RESPONSES_ONLY
    assert Strategy.SUMMARISE not in RESPONSES_ONLY


def test_a_note_keeps_the_compaction_and_reads_back_the_same() -> None:
    assert is_compaction(NOTE)
    assert NOTE.name == COMPACTION_NAME
    kept = read_compaction(NOTE)
    assert kept is not None
    assert kept.items == ITEMS
    assert kept.text() == "Earlier turns compacted by OpenAI: 3 turns, 900 → 12 tokens, cost $0.004"
    assert note_size(NOTE) == 12
    assert note_size(Message("user", "x")) is None
    assert read_compaction(Message("user", "{}", name=COMPACTION_NAME)) is None  # damaged


def test_on_responses_the_note_replaces_the_turns_before_it() -> None:
    assert left_out(TURNS) == (0, 1, 2)
    assert left_out(TURNS, pinned={0}) == (1, 2)
    shaped = fit(TURNS, [100] * 6, 0, 10_000)
    assert shaped.kept == (3, 4, 5)


def test_chat_completions_sends_the_original_turns_instead_of_the_note() -> None:
    assert left_out(TURNS, compacted=False) == (3,)
    shaped = fit(TURNS, [100] * 6, 0, 10_000, compacted=False)
    assert shaped.kept == (0, 1, 2, 4, 5)
    # A summary note still replaces what came before it.
    with_summary = [*TURNS, summary_note("they talked"), Message("user", "four")]
    assert left_out(with_summary, compacted=False) == (0, 1, 2, 3, 4, 5)


def test_the_note_goes_out_as_its_items_in_the_responses_input() -> None:
    items = input_items([NOTE, Message("user", "three")])
    assert items[:2] == list(ITEMS)
    assert items[2]["content"][0]["text"] == "three"
    body = to_responses(ResponsesRequest("gpt-4", (NOTE,)))
    assert body["input"] == list(ITEMS)
    assert compaction_items(Message("user", "not a note")) == []


async def test_compact_sends_the_turns_and_returns_the_items_and_usage(
    fake_openai: FakeOpenAI,
) -> None:
    client = openai.AsyncOpenAI(base_url=fake_openai.base_url, api_key="test", max_retries=0)
    try:
        done = await compact(lambda: client, "gpt-4o-mini", TURNS[:3], "Be brief.")
    finally:
        await client.close()
    body = fake_openai.last("/responses/compact").json or {}
    assert body["instructions"] == "Be brief."
    assert [i["content"][0]["text"] for i in body["input"] if i.get("role") == "user"] == [
        "one",
        "two",
    ]
    kinds = [i["type"] for i in done.items]
    assert kinds == ["message", "message", "compaction"]
    assert decode_compaction(done.items[-1]["encrypted_content"]) == ["one", "A1", "two"]
    assert done.usage is not None
    assert done.usage.output_tokens == COMPACTION_TOKENS
    assert done.usage.input_tokens > COMPACTION_TOKENS


async def test_a_model_that_cannot_compact_is_a_refusal(fake_openai: FakeOpenAI) -> None:
    fake_openai.state(StoredResponses).cannot_compact.add("gpt-4o-mini")
    client = openai.AsyncOpenAI(base_url=fake_openai.base_url, api_key="test", max_retries=0)
    try:
        with pytest.raises(AppError) as caught:
            await compact(lambda: client, "gpt-4o-mini", TURNS[:3])
    finally:
        await client.close()
    assert is_refusal(caught.value)
    assert caught.value.status == 400


async def test_a_server_error_is_not_a_refusal(fake_openai: FakeOpenAI) -> None:
    fake_openai.fail_next(500, path="/responses/compact")
    client = openai.AsyncOpenAI(base_url=fake_openai.base_url, api_key="test", max_retries=0)
    try:
        with pytest.raises(AppError) as caught:
            await compact(lambda: client, "gpt-4o-mini", TURNS[:3])
    finally:
        await client.close()
    assert not is_refusal(caught.value)


def test_a_markdown_export_shows_the_note_not_the_encrypted_content() -> None:
    from datetime import datetime

    from playground.core.chat.export import ExportConversation, ExportTurn, to_markdown

    turns = [ExportTurn(m) for m in TURNS]
    text = to_markdown(ExportConversation("Long", "", {}, turns, datetime(2026, 12, 7)))
    assert "Earlier turns compacted by OpenAI: 3 turns, 900 → 12 tokens, cost $0.004" in text
    assert "opaque" not in text
