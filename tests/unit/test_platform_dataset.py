"""The Dataset doctor (`core/platform/dataset.py`): each kind of problem at its line, counts,
fixes, the cost estimate by hand, and the split."""

from __future__ import annotations

import json
from decimal import Decimal

from playground.core.platform.dataset import (
    apply_fixes,
    check_dataset,
    split_dataset,
    training_cost,
)


def words(text: str) -> int:
    """A token counter a test can follow: one token per word."""
    return len(text.split())


def _example(question: str, answer: str = "Sure.") -> dict[str, object]:
    return {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ]
    }


def _jsonl(items: list[object]) -> bytes:
    return ("\n".join(i if isinstance(i, str) else json.dumps(i) for i in items) + "\n").encode()


def test_each_kind_of_problem_is_found_at_its_line() -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{oops"}}
    lines: list[object] = [
        _example("q1"),  # 1
        "{not json",  # 2
        {"prompt": "old format"},  # 3
        {"messages": [{"role": "User", "content": "hi"}, {"role": "assistant", "content": "yo"}]},
        {"messages": [{"role": "user", "content": "only a question"}]},  # 5
        {"messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": "x"}]},
        {
            "messages": [
                {"role": "user", "content": "x"},
                {"role": "assistant", "tool_calls": [call]},
            ]
        },
        {
            "messages": [
                {"role": "user", "content": "x"},
                {"role": "assistant", "content": "y"},
                {"role": "tool", "content": "z"},
            ]
        },
        _example("q1"),  # 9: the same as line 1
        {
            "messages": [
                {"role": "user", "content": [{"type": "audio"}]},
                {"role": "assistant", "content": "y", "weight": 2},
            ]
        },
    ]
    report = check_dataset(_jsonl(lines), words)
    found = [(f.line, f.message, f.error) for f in report.findings]
    assert found == [
        (
            0,
            "The file has 8 readable examples; fine-tuning needs at least 10.",
            True,
        ),
        (2, "This line is not valid JSON.", True),
        (3, 'Each line must be an object with a "messages" list.', True),
        (
            4,
            'message 1 has the role "User", which is not one of system, developer, user, '
            "assistant, tool.",
            True,
        ),
        (5, "The example has no assistant answer to learn from.", True),
        (6, "message 1 (user) is empty.", True),
        (7, "message 2: a tool call's arguments are not valid JSON.", True),
        (8, "message 3 (tool) does not say which tool call it answers.", True),
        (
            8,
            "The example does not end with the assistant's answer; what follows the last "
            "answer is not learned.",
            False,
        ),
        (9, "The same example as line 1.", False),
        (10, 'message 1 has a content part of unknown type "audio".', True),
        (10, "message 2: weight must be 0 or 1.", True),
    ]
    assert report.findings[3].fix == 'write the role as "user".'
    assert not report.ok


def test_fixes_are_applied_and_the_file_then_passes() -> None:
    broken = [
        {"messages": [{"role": "Human", "content": f"q{i}"}, {"role": "bot", "content": "a"}]}
        for i in range(12)
    ]
    report = check_dataset(_jsonl(broken), words)
    assert report.fixable
    fixed = check_dataset(apply_fixes(_jsonl(broken)), words)
    assert fixed.ok
    assert [f.message for f in fixed.warnings] == [
        "12 examples: it works, but 50 or more usually train clearly better."
    ]


def test_tokens_longest_context_and_histogram() -> None:
    items = [_example("one two three four five six", "a b c d")] + [
        _example(f"q{i}") for i in range(11)
    ]
    report = check_dataset(_jsonl(items), words, context_window=20)
    # 3 per example + 4 per message + words: 3 + (4+2) + (4+6) + (4+4) = 27 for the first.
    longest = report.longest
    assert longest is not None
    assert (longest.line, longest.tokens) == (1, 27)
    assert report.examples[1].tokens == 3 + (4 + 2) + (4 + 1) + (4 + 1)
    assert report.total_tokens == 27 + 11 * 19
    assert [f.text for f in report.warnings if f.line == 1] == [
        "Line 1: The example is ≈27 tokens, longer than the model's 20; it would be cut."
    ]
    histogram = report.histogram(bins=3)
    assert [count for _low, _high, count in histogram] == [11, 0, 1]


def test_training_cost_by_hand_and_unknown_without_a_price() -> None:
    assert training_cost(250_000, 3, Decimal("25")) == Decimal("18.75")  # 0.25 M × 3 × $25
    assert training_cost(250_000, 3, None) is None


def test_validation_overlap_and_the_split_never_overlaps() -> None:
    train = [_example(f"q{i}") for i in range(20)]
    validation = [_example("q3"), _example("new")]
    report = check_dataset(_jsonl(train), words, validation=_jsonl(validation))
    overlap = [f for f in report.findings if "also in the training file" in f.message]
    assert [(f.line, f.error) for f in overlap] == [(1, False)]
    assert "(line 4)" in overlap[0].message
    assert report.validation_examples == 2

    split = split_dataset(report, validation_share=0.25)
    assert (split.train_count, split.validation_count) == (15, 5)
    again = check_dataset(split.train, words, validation=split.validation)
    assert not [f for f in again.findings if "also in the training file" in f.message]
    assert split_dataset(report, validation_share=0.25) == split  # the same every time


def test_a_file_that_is_not_text() -> None:
    report = check_dataset("caf\xe9".encode("latin-1"), words)
    assert not report.ok
    assert report.findings[0].line == 0


def _pair(question: str, better: object, worse: object) -> dict[str, object]:
    return {
        "input": {"messages": [{"role": "user", "content": question}]},
        "preferred_output": better,
        "non_preferred_output": worse,
    }


def test_preference_pairs_for_dpo_are_checked_and_counted() -> None:
    good = [{"role": "assistant", "content": "Yes, two words."}]
    bad = [{"role": "assistant", "content": "No."}]
    lines: list[object] = [_pair(f"q {i}", good, bad) for i in range(10)]
    lines.append(_pair("q x", good, "just text"))  # 11
    lines.append({"input": {}, "preferred_output": good, "non_preferred_output": bad})  # 12
    report = check_dataset(_jsonl(lines), words)
    assert [(f.line, f.message) for f in report.errors] == [
        (11, '"non_preferred_output" must hold one assistant message (the worse answer).'),
        (12, 'A preference pair needs "input" with a "messages" list.'),
    ]
    assert len(report.examples) == 10
    assert report.method == "dpo"
    # per example: 3 + (4 + 2 words) + (4 + 3 words) + (4 + 1 word) = 21
    assert report.examples[0].tokens == 21
    mixed = check_dataset(_jsonl([*lines[:10], _example("q")]), words)
    assert mixed.method == ""
    assert check_dataset(_jsonl([_example(f"q{i}") for i in range(10)]), words).method == (
        "supervised"
    )
