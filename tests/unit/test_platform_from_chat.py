"""Fine-tuning examples from saved Chat conversations (`core/platform/from_chat.py`), read from a
real history store; the doctor then passes them."""

from __future__ import annotations

import json
from pathlib import Path

from playground.core.models import Message
from playground.core.platform.dataset import check_dataset
from playground.core.platform.from_chat import answer_turns, build_dataset
from playground.core.storage.history import HistoryStore


def _store(tmp_path: Path) -> HistoryStore:
    history = HistoryStore(tmp_path / "history.sqlite3")
    history.create("c1", system_prompt="You answer for Acme lamps.")
    for role, text in (
        ("user", "My lamp flickers."),
        ("assistant", "Screw the bulb in fully."),
        ("user", "Still flickers."),
        ("assistant", "Try another socket."),
        ("user", "Thanks"),
    ):
        history.append_message("c1", Message(role, text))  # type: ignore[arg-type]
    return history


def test_each_chosen_answer_is_one_example_with_earlier_answers_at_weight_zero(
    tmp_path: Path,
) -> None:
    history = _store(tmp_path)
    try:
        conversation = history.load("c1")
    finally:
        history.close()
    turns = answer_turns(conversation)
    assert [(t.index, t.question, t.answer) for t in turns] == [
        (1, "My lamp flickers.", "Screw the bulb in fully."),
        (3, "Still flickers.", "Try another socket."),
    ]  # the last question has no answer: no turn
    every = [json.loads(line) for line in build_dataset([(conversation, None)]).splitlines()]
    assert every[1]["messages"] == [
        {"role": "system", "content": "You answer for Acme lamps."},
        {"role": "user", "content": "My lamp flickers."},
        {"role": "assistant", "content": "Screw the bulb in fully.", "weight": 0},
        {"role": "user", "content": "Still flickers."},
        {"role": "assistant", "content": "Try another socket."},
    ]
    only_second = build_dataset([(conversation, [3])]).splitlines()
    assert [json.loads(line) for line in only_second] == [every[1]]
    assert build_dataset([(conversation, [])]) == b""
    report = check_dataset(build_dataset([(conversation, None)] * 5), lambda t: len(t.split()))
    assert report.errors == []  # the doctor takes them (duplicates are notes)
    assert len(report.examples) == 10
