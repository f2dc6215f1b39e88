"""JSON Schema, Structured Outputs rules, reply checks and tool definitions (core/schema.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from playground.core.chat.schema import (
    JSON_OBJECT,
    JSON_SCHEMA,
    TEXT,
    check_name,
    check_reply,
    check_schema_text,
    check_tools_text,
    parse_json,
    response_format_for,
    strict_problems,
)

STRICT_OK: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "price": {"type": "number"}},
                "required": ["name", "price"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["title", "items"],
    "additionalProperties": False,
}


# --- JSON syntax ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ('{\n  "a": 1\n  "b": 2\n}', 3, 3, "comma is missing"),
        ('{\n  "a": 1,\n}', 3, 1, "comma too many"),
        ("{'a': 1}", 1, 2, "double quotes"),
        ('{"a" 1}', 1, 6, "colon"),
        ('{"a": "open', 1, 7, "not closed"),
        ('{"a": 1} trailing', 1, 10, "more text after"),
        ("[1, 2,]", 1, 7, "value is missing"),
    ],
)
def test_json_errors_give_line_column_and_plain_words(
    text: str, line: int, column: int, words: str
) -> None:
    check = check_schema_text(text)
    assert check.json_error is not None
    assert (check.json_error.line, check.json_error.column) == (line, column)
    assert words in check.json_error.message
    assert not check.ok
    assert check.problems == (
        f"Not valid JSON. Line {line}, column {column}: {check.json_error.message}.",
    )
    assert check.schema is None


def test_parse_json_returns_value_or_error() -> None:
    assert parse_json('{"a": [1, 2]}') == ({"a": [1, 2]}, None)
    value, error = parse_json("")
    assert value is None
    assert error is not None
    assert (error.line, error.column) == (1, 1)


# --- schema validity ------------------------------------------------------------------------------


def test_blank_schema_is_a_problem_of_its_own() -> None:
    check = check_schema_text("   \n")
    assert check.empty
    assert not check.ok
    assert "empty" in check.problems[0]


@pytest.mark.parametrize("text", ["[1, 2]", '"string"', "42", "true", "null"])
def test_json_that_is_not_an_object_is_not_a_schema(text: str) -> None:
    check = check_schema_text(text)
    assert check.json_error is None
    assert not check.ok
    assert check.problems[0].startswith("A JSON Schema must be an object")


def test_metaschema_errors_say_where() -> None:
    text = json.dumps(
        {
            "type": "object",
            "properties": {"a": {"type": "strin"}, "b": {"type": "number", "minimum": "zero"}},
        }
    )
    check = check_schema_text(text, strict=False)
    assert check.json_error is None
    assert check.schema is not None
    assert len(check.schema_errors) == 2
    first, second = check.schema_errors
    assert '"properties.a.type"' in first
    assert '"strin" is not a type JSON Schema knows' in first
    assert "string, number, integer, boolean, object, array or null" in first
    assert '"properties.b.minimum"' in second
    assert "'zero' is not of type 'number'" in second


def test_an_invalid_schema_is_not_also_judged_by_the_strict_rules() -> None:
    check = check_schema_text('{"type": 5, "properties": {"a": {}}}')
    assert check.schema_errors
    assert check.strict_problems == ()


def test_valid_schema_without_strict_is_ok() -> None:
    check = check_schema_text(
        '{"type": "object", "properties": {"a": {"type": "string"}}}', strict=False
    )
    assert check.ok
    assert check.problems == ()
    assert check.schema == {"type": "object", "properties": {"a": {"type": "string"}}}


# --- strict mode ----------------------------------------------------------------------------------


def test_strict_ok_schema_has_no_problems() -> None:
    check = check_schema_text(json.dumps(STRICT_OK))
    assert check.ok, check.problems


def test_strict_root_must_be_an_object() -> None:
    (problem,) = strict_problems({"type": "array", "items": {"type": "string"}})
    assert 'the root must be an object ("type": "object")' in problem
    assert '"type": "array"' in problem
    (problem,) = strict_problems({"anyOf": [{"type": "string"}, {"type": "number"}]})
    assert 'not an "anyOf" choice' in problem


def test_strict_every_property_required_and_no_additional_properties() -> None:
    schema = {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "price": {"type": "number"},
            "shop": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
        "required": ["title", "shop"],
        "additionalProperties": False,
    }
    check = check_schema_text(json.dumps(schema))
    assert not check.ok
    assert check.strict_problems == (
        'In strict mode every property must be listed in "required": the root object is missing '
        '"price". For an optional field, allow null instead: "type": ["string", "null"].',
        'In strict mode the object at "shop" needs "additionalProperties": false.',
    )


def test_strict_rules_reach_array_items_defs_and_any_of() -> None:
    schema = {
        "type": "object",
        "properties": {
            "rows": {"type": "array", "items": {"$ref": "#/$defs/row"}},
            "value": {
                "anyOf": [
                    {"type": "string"},
                    {"type": "object", "properties": {"x": {"type": "number"}}},
                ]
            },
        },
        "required": ["rows", "value"],
        "additionalProperties": False,
        "$defs": {"row": {"type": "object", "properties": {"id": {"type": "integer"}}}},
    }
    problems = check_schema_text(json.dumps(schema)).strict_problems
    text = "\n".join(problems)
    assert 'the object at "value (anyOf option 2)" is missing "x"' in text
    assert 'the object at "$defs.row" is missing "id"' in text
    assert 'the object at "$defs.row" needs "additionalProperties": false' in text
    # The hint about optional fields is said once, not after every object.
    assert text.count("For an optional field") == 1
    nested = {"type": "array", "items": {"type": "object", "properties": {}}}
    wrapper = {
        "type": "object",
        "properties": {"list": nested},
        "required": ["list"],
        "additionalProperties": False,
    }
    assert strict_problems(wrapper) == [
        'In strict mode the object at "list[]" needs "additionalProperties": false.'
    ]


def test_strict_is_only_checked_when_asked() -> None:
    loose = '{"type": "object", "properties": {"a": {"type": "string"}}}'
    assert check_schema_text(loose, strict=False).ok
    assert not check_schema_text(loose, strict=True).ok


# --- response_format -----------------------------------------------------------------------------


def test_response_format_for_each_mode() -> None:
    assert response_format_for(TEXT) is None
    assert response_format_for(JSON_OBJECT) == {"type": "json_object"}
    assert response_format_for(JSON_SCHEMA, json.dumps(STRICT_OK), "order", True) == {
        "type": "json_schema",
        "json_schema": {"name": "order", "schema": STRICT_OK, "strict": True},
    }
    loose = response_format_for(JSON_SCHEMA, '{"type": "object"}', "  ", False)
    assert loose == {
        "type": "json_schema",
        "json_schema": {"name": "response", "schema": {"type": "object"}, "strict": False},
    }


def test_response_format_refuses_what_cannot_be_sent() -> None:
    with pytest.raises(ValueError, match="Line 1, column 2"):
        response_format_for(JSON_SCHEMA, "{oops}", "x", True)
    with pytest.raises(ValueError, match="must be an object"):
        response_format_for(JSON_SCHEMA, "[]", "x", True)
    with pytest.raises(ValueError, match="unknown response format"):
        response_format_for("yaml")


def test_check_name() -> None:
    assert check_name("get_weather-2") is None
    assert check_name("a" * 64) is None
    assert "empty" in (check_name("") or "")
    assert "no spaces" in (check_name("get weather") or "")
    assert check_name("a" * 65) is not None


# --- replies --------------------------------------------------------------------------------------


def test_reply_that_matches_has_no_problems() -> None:
    reply = json.dumps({"title": "Order", "items": [{"name": "tea", "price": 3.5}]})
    assert check_reply(reply, STRICT_OK) == []


def test_reply_problems_are_readable_paths_in_order() -> None:
    schema = {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"price": {"type": "number", "minimum": 0}},
                    "required": ["price"],
                },
            },
            "odd key": {"type": "string"},
        },
        "required": ["items"],
    }
    items = [{"price": 1}] * 2 + [{"price": -1}] + [{"price": 2}] * 7 + [{}]
    reply = json.dumps({"items": items, "odd key": 5})
    assert check_reply(reply, schema) == [
        "items[2].price: -1 is less than the minimum of 0",
        "items[10]: 'price' is a required property",
        "[\"odd key\"]: 5 is not of type 'string'",
    ]


def test_reply_top_level_problem_names_the_whole_reply() -> None:
    assert check_reply("[1]", {"type": "object"}) == ["(whole reply): [1] is not of type 'object'"]


def test_reply_that_is_not_json() -> None:
    (problem,) = check_reply("Sure! Here is the JSON: {", STRICT_OK)
    assert problem.startswith("The reply is not valid JSON. Line 1, column 1:")
    assert check_reply("  ", STRICT_OK) == ["The reply is empty, so it is not JSON."]


def test_reply_against_a_broken_schema_says_the_schema_is_at_fault() -> None:
    problems = check_reply("{}", {"type": "strin"})
    assert problems[0] == "The schema itself is not valid, so the reply cannot be checked."


# --- tools ----------------------------------------------------------------------------------------

WEATHER_PARAMS: dict[str, Any] = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
    "additionalProperties": False,
}


def test_blank_tools_text_means_no_tools() -> None:
    check = check_tools_text("  \n")
    assert check.ok
    assert check.tools == ()


def test_api_shaped_tools_pass_through() -> None:
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather in a city",
                "parameters": WEATHER_PARAMS,
                "strict": True,
            },
        }
    ]
    check = check_tools_text(json.dumps(tools))
    assert check.ok, check.problems
    assert check.tools == tuple(tools)
    assert check.names == ("get_weather",)


def test_bare_function_definitions_are_wrapped() -> None:
    bare = [
        {"name": "get_weather", "parameters": WEATHER_PARAMS},
        {"name": "now", "description": "The current time"},
    ]
    check = check_tools_text(json.dumps(bare))
    assert check.ok, check.problems
    assert check.tools == (
        {"type": "function", "function": {"name": "get_weather", "parameters": WEATHER_PARAMS}},
        {"type": "function", "function": {"name": "now", "description": "The current time"}},
    )
    # One definition on its own, without the list around it, is accepted too.
    single = check_tools_text(json.dumps(bare[1]))
    assert single.tools == check.tools[1:]


def test_tools_problems_in_plain_words() -> None:
    text = json.dumps(
        [
            {"name": "get weather"},
            {"name": "x", "parameters": {"type": "string"}},
            {"name": "y", "parameters": {"type": "object", "properties": {"a": {"type": "int"}}}},
            {"name": "z", "parameter": {}},
            {"name": "z"},
            {"type": "custom", "custom": {"name": "grammar"}},
            {"description": "no name"},
            3,
        ]
    )
    check = check_tools_text(text)
    assert not check.ok
    assert check.tools == ()  # nothing is sent while anything is wrong
    assert check.problems == (
        'Tool 1\'s name "get weather" is not allowed: use letters, digits, _ and - only, '
        "1 to 64 characters, no spaces.",
        'Tool 2 ("x"): "parameters" must describe an object ("type": "object"); it has '
        '"type": "string".',
        'Tool 3 ("y"): "parameters" is not a valid JSON Schema at "properties.a.type": "int" is '
        "not a type JSON Schema knows (use string, number, integer, boolean, object, array or "
        "null).",
        'Tool 4 ("z"): unknown field "parameter" (expected name, description, parameters, strict).',
        'Tool 5: the name "z" is used twice.',
        'Tool 6 has "type": "custom"; only "function" tools can be used here.',
        'Tool 7 needs a "name" (letters, digits, _ and - only, 1 to 64 characters, no spaces).',
        "Tool 8 must be an object in { … }, not a number.",
    )
    assert check.names == ("get weather", "x", "y", "z", "z")


def test_tools_text_must_be_a_list_of_objects() -> None:
    check = check_tools_text('"get_weather"')
    assert check.problems == (
        "Tools must be a JSON list [ … ] of function definitions, not a text value.",
    )
    broken = check_tools_text('[{"name": "a"},]')
    assert broken.json_error is not None
    assert broken.problems[0].startswith("Not valid JSON. Line 1, column 16:")


def test_strict_tools_follow_the_strict_rules() -> None:
    loose = {"type": "object", "properties": {"city": {"type": "string"}}}
    check = check_tools_text(json.dumps([{"name": "w", "strict": True, "parameters": loose}]))
    assert len(check.problems) == 2
    assert all(p.startswith('Tool 1 ("w"): In strict mode') for p in check.problems)
    assert check_tools_text(json.dumps([{"name": "w", "parameters": loose}])).ok


def test_wrapped_tool_needs_a_function_object() -> None:
    check = check_tools_text('[{"type": "function", "name": "x"}]')
    assert check.problems == ('Tool 1 needs a "function" object with at least a "name".',)
    extra = check_tools_text('[{"type": "function", "function": {"name": "x"}, "strict": true}]')
    assert extra.problems == ('Tool 1: unknown field "strict" next to "function".',)
