"""Prompt Lab suites in and out: the small YAML reader/writer, a Promptfoo config exported and
read back, a hand-written Promptfoo config with features Prompt Lab lacks, OpenAI Evals data."""

from __future__ import annotations

import contextlib
import json
import random

import pytest

from playground.core.lab.graders import GraderSettings
from playground.core.lab.portable import (
    Suite,
    SuiteFileError,
    cases_from_openai_evals,
    from_promptfoo,
    looks_like_openai_evals,
    to_promptfoo,
)
from playground.core.lab.suite import (
    CaseFileError,
    Expectation,
    ExpectKind,
    Prompt,
    TestCase,
    Variant,
)
from playground.core.lab.yaml_lite import YamlError, dump, load

SCHEMA = '{"type": "object", "required": ["city"]}'


@pytest.mark.parametrize(
    "value",
    [
        {"a": 1, "b": [1, 2.5, True, None], "c": {"d": "e: f", "g": []}, "h": {}},
        {"text": "two\nlines", "tricky": "  lead\n", "quote": 'it\'s "x" #1', "n": "007"},
        [{"id": "p1", "raw": '[\n  {"role": "user"}\n]'}, "openai:chat:gpt-4o", ["x", 1]],
        {"unicode": "Brasília ✔", "empty": "", "key with space": "v", "colon:key": 1},
    ],
)
def test_yaml_round_trip(value: object) -> None:
    assert load(dump(value)) == value


def test_yaml_reads_what_people_write() -> None:
    text = """---
# a comment
description: My eval   # trailing comment
prompts:
- 'Say ''hi'' to {{name}}'
- |
  Line one
  Line two
providers: [openai:gpt-4.1, "openai:chat:o3"]
tests:
  - vars: {name: Ann, age: 3}
    assert:
      - type: contains
        value: >-
          folded
          text
"""
    data = load(text)
    assert data["description"] == "My eval"
    assert data["prompts"] == ["Say 'hi' to {{name}}", "Line one\nLine two\n"]
    assert data["providers"] == ["openai:gpt-4.1", "openai:chat:o3"]
    assert data["tests"][0]["vars"] == {"name": "Ann", "age": 3}
    assert data["tests"][0]["assert"][0] == {"type": "contains", "value": "folded text"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &x 1\nb: *x\n", "anchors"),
        ("a: 1\n  b: 2\n", "Line 2: unexpected indentation"),
        ('a: "open\n', "not closed"),
        ("a: 1\na: 2\n", "appears twice"),
        ("a: 1\n---\nb: 2\n", "second document"),
    ],
)
def test_yaml_refuses_with_the_line(text: str, message: str) -> None:
    with pytest.raises(YamlError, match=message):
        load(text)


def _suite() -> Suite:
    v1 = Prompt("Be brief.", "Capital of {{country}}?")
    v2 = Prompt("Be brief.", "What is the capital of {{country}}?\nOne word.")
    cases = [
        TestCase({"country": "France"}, Expectation(ExpectKind.CONTAINS, "Paris")),
        TestCase({"country": "Peru"}, Expectation(ExpectKind.EQUALS, "Lima")),
        TestCase({"country": "Chile"}, Expectation(ExpectKind.REGEX, r"^Santiago\.?$")),
        TestCase({"country": "Japan"}, Expectation(ExpectKind.SCHEMA, SCHEMA)),
        TestCase({"country": "Italy"}, Expectation(ExpectKind.RUBRIC, 'Names "Rome"')),
        TestCase({"country": "Spain"}, Expectation(ExpectKind.SIMILAR, "Madrid is the capital.")),
        TestCase({"country": "Peru"}, Expectation(ExpectKind.LABEL, "Lima | Cusco")),
        TestCase({"country": "Cuba"}, images=("map.png",)),
    ]
    variants = [
        Variant("Short", v1, "gpt-4o-mini", {"temperature": 0.2, "max_output_tokens": 50}, 1),
        Variant("Long", v2, "gpt-4.1", {"reasoning_effort": "low", "api": "responses"}, 2),
    ]
    return Suite(
        [("v1", v1), ("v2", v2)],
        variants,
        cases,
        GraderSettings("gpt-4.1", pass_score=0.8, similarity=0.9),
    )


def test_promptfoo_export_reads_back_the_same_suite() -> None:
    suite = _suite()
    text = to_promptfoo(suite)
    assert text.startswith(
        "# yaml-language-server: $schema=https://promptfoo.dev/config-schema.json"
    )
    assert "label check (“Lima | Cusco”) has no Promptfoo assertion" in text
    assert "Case 8: its pictures are not exported (1)." in text
    config = load(text)
    assert [p["id"] for p in config["prompts"]] == ["p1", "p2"]
    assert config["providers"][0] == {
        "id": "openai:chat:gpt-4o-mini",
        "label": "Short",
        "config": {"temperature": 0.2, "max_tokens": 50},
        "prompts": ["p1"],
    }
    assert config["providers"][1]["id"] == "openai:responses:gpt-4.1"
    assert config["defaultTest"] == {"options": {"provider": "openai:chat:gpt-4.1"}}
    types = [t.get("assert", [{}])[0].get("type") for t in config["tests"]]
    assert types == ["icontains", "equals", "regex", "is-json", "llm-rubric", "similar", None, None]
    assert config["tests"][3]["assert"][0]["value"] == json.loads(SCHEMA)

    back = from_promptfoo(text)
    assert back.skipped == []
    again = back.suite
    assert [p for _t, p in again.prompts] == [p for _t, p in suite.prompts]
    assert [(v.name, v.model, v.prompt) for v in again.variants] == [
        (v.name, v.model, v.prompt) for v in suite.variants
    ]
    assert again.variants[0].fields == {"temperature": 0.2, "max_output_tokens": 50}
    assert again.variants[1].fields == {"reasoning_effort": "low", "api": "responses"}
    kept = [c for c in suite.cases if c.expect.kind != ExpectKind.LABEL]
    assert [(c.values, c.expect.kind) for c in again.cases if c.expect.kind != ExpectKind.NONE] == [
        (c.values, c.expect.kind) for c in kept if c.expect.kind != ExpectKind.NONE
    ]
    assert json.loads(again.cases[3].expect.value) == json.loads(SCHEMA)
    assert again.graders == GraderSettings("gpt-4.1", pass_score=0.8, similarity=0.9)


def test_promptfoo_import_takes_what_it_can_and_lists_the_rest() -> None:
    text = """
description: hand written
prompts:
  - file://prompts/main.txt
  - "Summarise: {{text}}"
providers:
  - openai:gpt-4o-mini
  - anthropic:messages:claude-sonnet
  - id: openai:chat:gpt-4.1
    config:
      temperature: 0
      frequency_penalty: 1
sharing: false
tests:
  - vars:
      text: A long story.
    assert:
      - type: contains-any
        value: [story, tale]
      - type: llm-rubric
        value: Is short
  - file://tests.csv
"""
    result = from_promptfoo(text)
    suite = result.suite
    assert [p for _t, p in suite.prompts] == [Prompt("", "Summarise: {{text}}")]
    assert [(v.model, v.fields) for v in suite.variants] == [
        ("gpt-4o-mini", {}),
        ("gpt-4.1", {"temperature": 0}),
    ]
    assert suite.cases[0].expect == Expectation(ExpectKind.RUBRIC, "Is short")
    assert len(suite.cases) == 1
    joined = " ".join(result.skipped)
    for fragment in (
        "“sharing”",
        "Prompt 1: prompts in files",
        "claude-sonnet",
        "“frequency_penalty”",
        "“contains-any” has no Prompt Lab check",
        "Test 2: tests in files",
    ):
        assert fragment in joined


@pytest.mark.parametrize("text", ["just text", "- a\n- b\n", "other: 1\n"])
def test_not_a_promptfoo_config(text: str) -> None:
    with pytest.raises(SuiteFileError):
        from_promptfoo(text)


def test_openai_evals_data_becomes_cases() -> None:
    items = "\n".join(
        json.dumps(x)
        for x in (
            {"item": {"question": "Capital of France?", "answer": "Paris", "n": 1}},
            {"item": {"question": "Capital of Peru?", "answer": "Lima", "n": 2}},
        )
    )
    assert looks_like_openai_evals(items)
    cases, names = cases_from_openai_evals(items)
    assert names == ["question", "answer", "n"]
    assert cases[1].values == {"question": "Capital of Peru?", "answer": "Lima", "n": "2"}
    legacy = json.dumps(
        {
            "input": [
                {"role": "system", "content": "Answer briefly."},
                {"role": "user", "content": "2+2?"},
            ],
            "ideal": ["4", "four"],
        }
    )
    assert looks_like_openai_evals(legacy)
    (case,), names = cases_from_openai_evals(legacy)
    assert names == ["system", "input"]
    assert case.values == {"system": "Answer briefly.", "input": "2+2?"}
    assert case.expect == Expectation(ExpectKind.CONTAINS, "4")
    assert not looks_like_openai_evals('{"vars": {"a": 1}}')
    with pytest.raises(CaseFileError, match="Line 2"):
        cases_from_openai_evals(items.split("\n")[0] + "\n[1, 2]\n")


def test_yaml_round_trips_awkward_text_and_refuses_garbage_plainly() -> None:
    rng = random.Random(3)
    alphabet = [*"ab :#-'\"\n\t\r{}[],|>&*!?%@`~\\é ", "  ", "\n\n", "- ", ": ", " #", "true"]
    alphabet += ["null", "1.5", "yes", "~", "yes:"]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        for value in ({"k": text}, [text], {"k": [text, {"j": text}]}, {text or "e": 1}):
            assert load(dump(value)) == value, repr(text)
    pieces = ["a:", " b", "- ", ":", "'", '"', "[", "]", "{", "}", ",", "|", ">", "#", "\n", "  "]
    pieces += ["\t", "x", "1", "&a", "*a", "---", "? ", "prompts:", "tests:", "- type: x"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 25)))
        with contextlib.suppress(SuiteFileError):  # the only error a file can cause
            from_promptfoo(text)
