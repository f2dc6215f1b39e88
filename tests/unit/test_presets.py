"""Presets: the model, the JSON document, the store on disk, and `{{variables}}`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from playground.core.chat.presets import (
    PRESETS_FORMAT,
    PRESETS_VERSION,
    Preset,
    PresetError,
    PresetStore,
    export_json,
    fill_messages,
    fill_variables,
    find_variables,
    import_json,
    missing_variables,
    unique_name,
)
from playground.core.chat.service import ChatRequest
from playground.core.models import ImagePart, Message

T0 = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)

SCHEMA: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {
        "name": "city",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {"name": {"type": "string"}},
            "required": ["name"],
            "additionalProperties": False,
        },
    },
}
TOOL: dict[str, Any] = {
    "type": "function",
    "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}},
}

PRESETS = [
    Preset("Plain", created=T0, updated=T0),
    Preset(
        "Terse translator",
        "Translate {{ text }} into {{language}}. Be terse.",
        ChatRequest(model="gpt-4o-mini", messages=(), temperature=0.2, stop=("\n\n",)),
        T0,
        T0 + timedelta(days=1),
    ),
    Preset(
        "Everything ✓ «ünïcode»",
        "Answer as JSON.",
        ChatRequest(
            model="",
            messages=(),
            temperature=1.5,
            top_p=0.5,
            max_output_tokens=4000,
            frequency_penalty=-1.0,
            presence_penalty=0.5,
            seed=7,
            stop=("END", "STOP"),
            n=3,
            logprobs=True,
            top_logprobs=4,
            response_format=SCHEMA,
            tools=(TOOL,),
            tool_choice={"type": "function", "function": {"name": "lookup"}},
            reasoning_effort="low",
        ),
        T0,
        T0,
    ),
]


class Clock:
    """A clock that moves one minute per call."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> PresetStore:
    return PresetStore(tmp_path / "presets.json", clock=clock)


# --- the Preset ----------------------------------------------------------------------------------


def test_from_request_keeps_parameters_not_messages() -> None:
    request = ChatRequest(
        model="gpt-4o",
        messages=(Message("user", "hi"),),
        temperature=0.3,
        tools=(TOOL,),
        response_format=SCHEMA,
    )
    preset = Preset.from_request("P", request, system_prompt="Be kind.", now=T0)
    assert preset.params.messages == ()
    assert preset.params.temperature == 0.3
    assert preset.params.tools == (TOOL,)
    assert preset.params.response_format == SCHEMA
    assert preset.model == "gpt-4o"
    assert preset.system_prompt == "Be kind."
    assert preset.created == preset.updated == T0
    assert Preset.from_request("P", request, keep_model=False).model == ""


@pytest.mark.parametrize(("preset_model", "used"), [("gpt-4o", "gpt-4o"), ("", "o3")])
def test_to_request(preset_model: str, used: str) -> None:
    preset = Preset("P", params=ChatRequest(model=preset_model, messages=(), seed=3))
    messages = [Message("system", "s"), Message("user", "u")]
    request = preset.to_request(model="o3", messages=messages)
    assert request == ChatRequest(model=used, messages=tuple(messages), seed=3)


# --- the JSON document -----------------------------------------------------------------------------


def test_export_import_round_trip() -> None:
    text = export_json(PRESETS)
    presets, problems = import_json(text)
    assert problems == []
    assert presets == PRESETS


def test_the_document_format() -> None:
    document = json.loads(export_json(PRESETS[:2]))
    assert document["format"] == PRESETS_FORMAT == "playground-presets"
    assert document["version"] == PRESETS_VERSION == 1
    assert document["presets"][0] == {
        "name": "Plain",
        "system_prompt": "",
        "params": {},
        "created": "2026-05-01T09:30:00+00:00",
        "updated": "2026-05-01T09:30:00+00:00",
    }
    assert document["presets"][1]["params"] == {
        "model": "gpt-4o-mini",
        "temperature": 0.2,
        "stop": ["\n\n"],
    }


def test_a_hand_written_minimal_document_imports() -> None:
    text = json.dumps(
        {
            "format": "playground-presets",
            "version": 1,
            "presets": [{"name": "  Short   one ", "params": {"max_output_tokens": 50}}],
        }
    )
    presets, problems = import_json(text)
    assert problems == []
    assert presets[0].name == "Short one"
    assert presets[0].system_prompt == ""
    assert presets[0].params == ChatRequest(model="", messages=(), max_output_tokens=50)
    assert presets[0].created.tzinfo is not None


def test_a_time_without_offset_is_taken_as_utc() -> None:
    text = json.dumps(
        {
            "format": PRESETS_FORMAT,
            "version": 1,
            "presets": [{"name": "A", "created": "2026-05-01T09:30:00", "updated": "nonsense"}],
        }
    )
    presets, _ = import_json(text)
    assert presets[0].created == T0
    assert presets[0].updated == T0  # an unreadable update time falls back to the creation time


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{", "This is not valid JSON: line 1, column 2:"),
        ("[]", 'This is not a presets file (it has no "format": "playground-presets").'),
        ('{"presets": []}', "This is not a presets file"),
        (
            '{"format": "playground-conversation", "version": 1, "turns": []}',
            "This is an exported conversation, not a presets file.",
        ),
        ('{"format": "playground-presets", "presets": []}', 'no valid "version"'),
        ('{"format": "playground-presets", "version": "1", "presets": []}', 'no valid "version"'),
        ('{"format": "playground-presets", "version": true, "presets": []}', 'no valid "version"'),
        ('{"format": "playground-presets", "version": 2, "presets": []}', "newer version"),
        ('{"format": "playground-presets", "version": 1}', 'no "presets" list'),
        ('{"format": "playground-presets", "version": 1, "presets": {}}', 'no "presets" list'),
    ],
)
def test_documents_that_cannot_be_imported(text: str, problem: str) -> None:
    presets, problems = import_json(text)
    assert presets == []
    assert len(problems) == 1
    assert problems[0].startswith(problem) or problem in problems[0]


def _document(*items: Any) -> str:
    return json.dumps({"format": PRESETS_FORMAT, "version": 1, "presets": list(items)})


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        ("text", "Preset 1 is not an object; skipped."),
        ({"system_prompt": "x"}, "Preset 1 has no name; skipped."),
        ({"name": "   "}, "Preset 1 has no name; skipped."),
        ({"name": 5}, "Preset 1 has no name; skipped."),
    ],
)
def test_presets_that_are_skipped(item: Any, problem: str) -> None:
    presets, problems = import_json(_document(item, {"name": "Good"}))
    assert [p.name for p in presets] == ["Good"]
    assert problems == [problem]


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        (
            {"name": "A", "system_prompt": ["x"]},
            'Preset "A": the system prompt is not text; left empty.',
        ),
        ({"name": "A", "params": []}, 'Preset "A": params is not an object; defaults used.'),
        (
            {"name": "A", "params": {"temperature": "warm"}},
            'Preset "A": temperature should be a number, not "warm"; left unset.',
        ),
        (
            {"name": "A", "params": {"max_tokens": 5}},
            'Preset "A": the unknown parameter "max_tokens" was skipped.',
        ),
    ],
)
def test_bad_values_fall_back_to_defaults(item: dict[str, Any], problem: str) -> None:
    presets, problems = import_json(_document(item))
    assert [p.name for p in presets] == ["A"]
    assert problems == [problem]
    assert presets[0].params == ChatRequest(model="", messages=())


def test_name_clashes_are_resolved() -> None:
    text = _document({"name": "Terse"}, {"name": "terse"}, {"name": "Other"}, {"name": "Terse (2)"})
    presets, problems = import_json(text, taken=["TERSE", "Other"])
    assert [p.name for p in presets] == ["Terse (2)", "terse (3)", "Other (2)", "Terse (4)"]
    assert problems == [
        '"Terse" was renamed "Terse (2)": that name is taken.',
        '"terse" was renamed "terse (3)": that name is taken.',
        '"Other" was renamed "Other (2)": that name is taken.',
        '"Terse (2)" was renamed "Terse (4)": that name is taken.',
    ]


@pytest.mark.parametrize(
    ("name", "taken", "expected"),
    [
        ("A", [], "A"),
        ("A", ["a"], "A (2)"),
        ("A", ["A", "A (2)"], "A (3)"),
        ("A (2)", ["A (2)"], "A (3)"),
        ("A (9)", ["A (9)", "A (10)"], "A (11)"),
        ("  spaced   name ", ["spaced name"], "spaced name (2)"),
        ("(2)", ["(2)"], "(2) (2)"),
    ],
)
def test_unique_name(name: str, taken: list[str], expected: str) -> None:
    assert unique_name(name, taken) == expected


# --- the store ----------------------------------------------------------------------------------


def test_an_absent_file_is_an_empty_store(store: PresetStore) -> None:
    assert store.list() == []
    assert store.get("x") is None
    assert store.problem is None
    assert not store.path.exists()


def test_save_list_get(store: PresetStore, clock: Clock) -> None:
    saved = [store.save(p) for p in PRESETS]
    assert [p.name for p in store.list()] == ["Everything ✓ «ünïcode»", "Plain", "Terse translator"]
    assert store.get("terse TRANSLATOR") == saved[1]
    assert saved[0].created == saved[0].updated == T0 + timedelta(minutes=1)
    # a second store on the same file sees the same presets
    assert PresetStore(store.path).list() == store.list()
    assert store.names() == [p.name for p in store.list()]


def test_saving_a_name_again_replaces_it_and_keeps_its_creation_time(store: PresetStore) -> None:
    first = store.save(Preset("Terse", "one"))
    second = store.save(Preset("terse", "two", ChatRequest(model="x", messages=())))
    assert len(store.list()) == 1
    assert second.created == first.created
    assert second.updated > first.updated
    assert store.get("Terse") == second
    assert second.name == "terse"


def test_save_drops_messages_and_tidies_the_name(store: PresetStore) -> None:
    params = ChatRequest(model="m", messages=(Message("user", "x", images=(ImagePart("u"),)),))
    saved = store.save(Preset("  Tidy   me ", params=params))
    assert saved.name == "Tidy me"
    assert saved.params.messages == ()


@pytest.mark.parametrize("name", ["", "   "])
def test_a_preset_needs_a_name(store: PresetStore, name: str) -> None:
    with pytest.raises(PresetError, match="needs a name"):
        store.save(Preset(name))
    store.save(Preset("A"))
    with pytest.raises(PresetError, match="needs a name"):
        store.rename("A", name)


def test_rename(store: PresetStore) -> None:
    store.save(Preset("Old", "prompt"))
    store.save(Preset("Other"))
    renamed = store.rename("old", "New")
    assert renamed.name == "New"
    assert renamed.system_prompt == "prompt"
    assert [p.name for p in store.list()] == ["New", "Other"]
    assert store.rename("New", "NEW").name == "NEW"  # a change of case only is allowed
    with pytest.raises(PresetError, match=r'A preset named "Other" already exists\.'):
        store.rename("NEW", "Other")
    with pytest.raises(PresetError, match=r'There is no preset "Missing"\.'):
        store.rename("Missing", "Whatever")


def test_delete(store: PresetStore) -> None:
    store.save(Preset("A"))
    store.save(Preset("B"))
    assert store.delete("a")
    assert not store.delete("a")
    assert [p.name for p in store.list()] == ["B"]


def test_store_export_and_import(tmp_path: Path, store: PresetStore) -> None:
    for preset in PRESETS:
        store.save(preset)
    everything = store.export_json()
    some = store.export_json(["plain"])
    assert [p["name"] for p in json.loads(some)["presets"]] == ["Plain"]

    other = PresetStore(tmp_path / "other.json")
    other.save(Preset("Plain", "mine"))
    added, problems = other.import_json(everything)
    assert [p.name for p in added] == ["Everything ✓ «ünïcode»", "Plain (2)", "Terse translator"]
    assert problems == ['"Plain" was renamed "Plain (2)": that name is taken.']
    assert other.get("Plain") is not None
    assert other.get("Plain").system_prompt == "mine"  # type: ignore[union-attr]
    assert other.get("Terse translator") == store.get("Terse translator")


def test_a_failed_import_changes_nothing(store: PresetStore) -> None:
    store.save(Preset("A"))
    before = store.path.read_bytes()
    added, problems = store.import_json("not json")
    assert added == []
    assert problems[0].startswith("This is not valid JSON")
    assert store.path.read_bytes() == before


def test_a_corrupt_file_is_kept_aside(store: PresetStore) -> None:
    store.path.write_text("{not json", encoding="utf-8")
    assert store.list() == []
    bad = store.path.with_name("presets.json.bad")
    assert bad.read_text(encoding="utf-8") == "{not json"
    assert store.problem is not None
    assert "presets.json.bad" in store.problem
    store.save(Preset("Fresh"))
    assert [p.name for p in store.list()] == ["Fresh"]


def test_a_file_of_another_format_is_kept_aside(store: PresetStore) -> None:
    store.path.write_text('{"format": "something-else"}', encoding="utf-8")
    assert store.list() == []
    assert store.path.with_name("presets.json.bad").exists()
    assert not store.path.exists()


def test_a_partly_bad_file_keeps_the_good_presets_and_a_copy(store: PresetStore) -> None:
    text = _document({"name": "Good"}, {"oops": True})
    store.path.write_text(text, encoding="utf-8")
    assert [p.name for p in store.list()] == ["Good"]
    assert store.path.with_name("presets.json.bad").read_text(encoding="utf-8") == text
    assert store.problem is not None
    assert "Preset 2 has no name" in store.problem


def test_writes_are_atomic_and_leave_no_temp_files(store: PresetStore) -> None:
    store.save(Preset("A"))
    store.save(Preset("B"))
    store.delete("A")
    assert sorted(p.name for p in store.path.parent.iterdir()) == ["presets.json"]
    document = json.loads(store.path.read_text(encoding="utf-8"))
    assert document["format"] == PRESETS_FORMAT
    assert [p["name"] for p in document["presets"]] == ["B"]


def test_the_store_creates_its_folder(tmp_path: Path) -> None:
    store = PresetStore(tmp_path / "deep" / "er" / "presets.json")
    store.save(Preset("A"))
    assert store.path.exists()


# --- variables -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("texts", "names"),
    [
        (["Hello {{name}}"], ["name"]),
        (["{{ name }} and {{\tname\t}} and {{other}}"], ["name", "other"]),
        (["{{b}}", "{{a}} {{b}}", "{{c}}"], ["b", "a", "c"]),
        (["{{user.first-name}} {{_x9}}"], ["user.first-name", "_x9"]),
        (["{{ 1 + 1 }} {{9lives}} {{-x}} {{}} {{ }}"], []),
        (['{{"a": 1}} and a lone {{ here, a }} there'], []),
        (["{{\nname\n}}"], []),  # a variable sits on one line
        (["{{{name}}}"], ["name"]),  # braces around a variable stay as text
        ([], []),
        ([""], []),
    ],
)
def test_find_variables(texts: list[str], names: list[str]) -> None:
    assert find_variables(texts) == names


@pytest.mark.parametrize(
    ("text", "values", "filled"),
    [
        ("Hello {{name}}!", {"name": "Ada"}, "Hello Ada!"),
        ("{{ a }}{{a}}", {"a": "x"}, "xx"),
        ("{{a}} {{b}}", {"a": "1"}, "1 {{b}}"),
        ("{{a}}", {"a": "{{b}}", "b": "no"}, "{{b}}"),  # one pass: values are not filled again
        ("{{a}}", {"a": "\\1 $0 \\g<0>"}, "\\1 $0 \\g<0>"),  # values are literal text
        ("{{a}}", {"a": ""}, ""),
        ("no variables", {"a": "x"}, "no variables"),
        ("{{{a}}}", {"a": "x"}, "{x}"),
    ],
)
def test_fill_variables(text: str, values: dict[str, str], filled: str) -> None:
    assert fill_variables(text, values) == filled


def test_missing_variables() -> None:
    texts = ["Translate {{text}} into {{ language }}.", "Tone: {{tone}}"]
    assert missing_variables(texts, {}) == ["text", "language", "tone"]
    assert missing_variables(texts, {"text": "hi", "tone": ""}) == ["language", "tone"]
    assert missing_variables(texts, {"text": "a", "language": "b", "tone": "c"}) == []


def test_fill_messages() -> None:
    image = ImagePart("https://e.test/{{a}}.png")
    messages = (Message("system", "Be {{tone}}."), Message("user", "{{q}}", images=(image,)))
    filled = fill_messages(messages, {"tone": "brief", "q": "Why?"})
    assert filled == (
        Message("system", "Be brief."),
        Message("user", "Why?", images=(image,)),
    )
