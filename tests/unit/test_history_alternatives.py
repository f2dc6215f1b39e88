"""The answers Regenerate keeps beside the one shown (issue 20 item 20) are stored with the turn,
in order, each with its own numbers, and survive reopening the file."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from playground.core.chat.service import ChatRequest
from playground.core.models import Message, Usage
from playground.core.storage.history import (
    Alternative,
    HistoryStore,
    MessageMeta,
    MessageStatus,
    pick_answer,
)


def _meta(model: str, cost: str) -> MessageMeta:
    return MessageMeta(
        model=model, usage=Usage(input_tokens=3, output_tokens=5), cost=Decimal(cost)
    )


def test_kept_answers_round_trip_through_the_file(tmp_path: Path) -> None:
    first, second = (
        Alternative("One", _meta("a", "0.001")),
        Alternative("Two", MessageMeta(status=MessageStatus.STOPPED, model="b", error="stopped")),
    )
    shown = MessageMeta(
        model="c", cost=Decimal("0.003"), alternatives=(first, second), alternative_index=1
    )
    path = tmp_path / "history.sqlite3"
    with HistoryStore(path) as store:
        store.create("c1", params=ChatRequest(model="c", messages=()))
        store.append_message("c1", Message("user", "Q"))
        store.append_message("c1", Message("assistant", "Three"), shown)
    with HistoryStore(path) as store:
        meta = store.load("c1").messages[-1].meta
    assert meta.alternatives == (first, second)
    assert meta.alternative_index == 1
    answers = meta.answers("Three")
    assert [a.text for a in answers] == ["One", "Three", "Two"]
    assert answers[1].meta.cost == Decimal("0.003")

    text, picked = pick_answer(answers, 2)  # show the stopped one: it keeps its own status
    assert text == "Two"
    assert picked.status is MessageStatus.STOPPED
    assert picked.alternative_index == 2
    assert [a.text for a in picked.answers(text)] == ["One", "Three", "Two"]


def test_a_turn_without_kept_answers_stores_nothing_extra(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        store.create("c1", params=ChatRequest(model="c", messages=()))
        store.append_message("c1", Message("assistant", "Only"), _meta("a", "0.001"))
        meta = store.load("c1").messages[-1].meta
    assert meta.alternatives == ()
    assert meta.answers("Only") == [Alternative("Only", _meta("a", "0.001"))]
