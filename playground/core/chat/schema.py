"""JSON Schema and tool definitions for the Chat tab, checked in plain words.

Used for Structured Outputs (`response_format`) and function tools: the text the user typed is
parsed, checked against the JSON Schema metaschema and, for `strict` mode, against the rules the
OpenAI API adds (root is an object, every property required, `additionalProperties: false`
everywhere). Replies can be checked against the schema afterwards.

`jsonschema` takes about 0.1 s to import, so it is imported inside the functions that need it, the
first time a schema is actually checked, not at start-up.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

TEXT: Final = "text"
JSON_OBJECT: Final = "json_object"
JSON_SCHEMA: Final = "json_schema"
RESPONSE_MODES: Final = (TEXT, JSON_OBJECT, JSON_SCHEMA)

DEFAULT_SCHEMA_NAME: Final = "response"

# The API's rule for `response_format.json_schema.name` and `function.name`.
NAME_RE: Final = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
NAME_RULE: Final = "letters, digits, _ and - only, 1 to 64 characters, no spaces"

_FUNCTION_KEYS: Final = ("name", "description", "parameters", "strict")
_TYPES: Final = "use string, number, integer, boolean, object, array or null"

# Python's json messages, said for people who do not write JSON every day.
_JSON_HINTS: Final = (
    ("Expecting ',' delimiter", "a comma is missing between two items"),
    ("Expecting ':' delimiter", "a colon ':' is missing after a property name"),
    (
        "Expecting property name enclosed in double quotes",
        'expected a property name in "double quotes" (or there is a comma too many before a closing })',
    ),
    ("Expecting value", "a value is missing here (or there is a comma too many before a ] or })"),
    ("Extra data", "there is more text after the end of the JSON"),
    ("Unterminated string", 'a text value is not closed with "'),
    (
        "Invalid control character",
        r"a line break or tab inside a text value must be written \n or \t",
    ),
    ("Invalid \\escape", r"a backslash must be written \\ inside a text value"),
    ("Invalid \\uXXXX escape", r"a \u escape needs four hex digits"),
)


# --- results --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JsonError:
    """Where and why a text is not valid JSON.

    Attributes:
        line: 1-based line of the problem.
        column: 1-based column of the problem.
        message: what is wrong, in plain words.
    """

    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"Line {self.line}, column {self.column}: {self.message}."


@dataclass(frozen=True, slots=True)
class SchemaCheck:
    """The verdict on a JSON Schema the user typed.

    Attributes:
        schema: the parsed schema, or None if the text is empty or not JSON.
        json_error: where the JSON is broken, or None.
        schema_errors: where the text is JSON but not a valid JSON Schema.
        strict_problems: the Structured Outputs `strict` rules it breaks (empty when not strict).
        empty: the text was blank.
    """

    schema: dict[str, Any] | None = None
    json_error: JsonError | None = None
    schema_errors: tuple[str, ...] = ()
    strict_problems: tuple[str, ...] = ()
    empty: bool = False

    @property
    def ok(self) -> bool:
        """True when the schema can be sent as it is."""
        return not self.problems

    @property
    def problems(self) -> tuple[str, ...]:
        """Everything wrong, most basic first, each a sentence."""
        if self.empty:
            return ("The schema is empty: write or paste a JSON Schema.",)
        if self.json_error is not None:
            return (f"Not valid JSON. {self.json_error}",)
        return self.schema_errors + self.strict_problems


@dataclass(frozen=True, slots=True)
class ToolsCheck:
    """The verdict on the tools text.

    Attributes:
        tools: the tools in the API's shape (`{"type": "function", "function": {...}}`); empty when
            there are problems or the text is blank.
        problems: what is wrong, each a sentence.
        json_error: where the JSON is broken, or None.
        names: the function names found, in order (filled even when other problems exist).
    """

    tools: tuple[dict[str, Any], ...] = ()
    problems: tuple[str, ...] = ()
    json_error: JsonError | None = None
    names: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


# --- JSON ----------------------------------------------------------------------------------------


def parse_json(text: str) -> tuple[Any, JsonError | None]:
    """Parses `text`; on failure returns `(None, JsonError)` with the line and column."""
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, JsonError(exc.lineno, exc.colno, _plain_json_message(exc.msg))
    except RecursionError:
        return None, JsonError(1, 1, "the JSON is nested too deeply")


def _plain_json_message(msg: str) -> str:
    for prefix, plain in _JSON_HINTS:
        if msg.startswith(prefix):
            return plain
    return msg[:1].lower() + msg[1:]


# --- schemas --------------------------------------------------------------------------------------


def check_schema_text(text: str, *, strict: bool = True) -> SchemaCheck:
    """Checks a JSON Schema typed by the user.

    Args:
        text: the schema as JSON text.
        strict: also check the rules of Structured Outputs `strict` mode.

    Returns:
        A `SchemaCheck`; `ok` is true when the schema can be sent.
    """
    if not text.strip():
        return SchemaCheck(empty=True)
    data, error = parse_json(text)
    if error is not None:
        return SchemaCheck(json_error=error)
    if not isinstance(data, dict):
        return SchemaCheck(
            schema_errors=(f"A JSON Schema must be an object in {{ … }}, not {_json_kind(data)}.",),
        )
    errors = tuple(schema_errors(data))
    return SchemaCheck(
        schema=data,
        schema_errors=errors,
        # The strict rules only make sense for a schema that is valid to begin with.
        strict_problems=tuple(strict_problems(data)) if strict and not errors else (),
    )


def schema_errors(schema: Mapping[str, Any]) -> list[str]:
    """Where `schema` breaks the JSON Schema metaschema (its `$schema`, else draft 2020-12)."""
    validator_class = _validator_class(schema)
    meta = validator_class(validator_class.META_SCHEMA)
    errors = sorted(meta.iter_errors(schema), key=lambda e: _path_key(e.absolute_path))
    out: list[str] = []
    for err in errors:
        where = _schema_path(err.absolute_path)
        message = err.message
        if err.absolute_path and err.absolute_path[-1] == "type" and err.validator == "anyOf":
            message = f"{json.dumps(err.instance)} is not a type JSON Schema knows ({_TYPES})"
        out.append(f"Not a valid JSON Schema at {where}: {message}.")
    return out


def strict_problems(schema: Mapping[str, Any], *, check_root: bool = True) -> list[str]:
    """The OpenAI Structured Outputs `strict` rules `schema` breaks, in plain words.

    The rules: the root is an object (not `anyOf`), every object lists all its properties in
    `required` (an optional field is written as a union with "null") and sets
    `"additionalProperties": false`.
    """
    out: list[str] = []
    hint = ' For an optional field, allow null instead: "type": ["string", "null"].'
    if not check_root or _is_object(schema):
        pass
    elif "anyOf" in schema:
        out.append(
            'In strict mode the root must be an object ("type": "object"), not an "anyOf" choice.'
        )
    else:
        got = schema.get("type")
        what = f'"type": {json.dumps(got)}' if got is not None else 'no "type"'
        out.append(f'In strict mode the root must be an object ("type": "object"); it has {what}.')
    for where, sub in _subschemas(schema, ()):
        if not _is_object(sub):
            continue
        place = "the root object" if not where else f'the object at "{_join(where)}"'
        props = sub.get("properties")
        names = list(props) if isinstance(props, dict) else []
        required = sub.get("required")
        required_names = (
            {r for r in required if isinstance(r, str)} if isinstance(required, list) else set()
        )
        missing = [n for n in names if n not in required_names]
        if missing:
            listed = ", ".join(f'"{n}"' for n in missing)
            out.append(
                f'In strict mode every property must be listed in "required": {place} is missing '
                f"{listed}.{hint}"
            )
            hint = ""  # said once is enough
        if sub.get("additionalProperties") is not False:
            out.append(f'In strict mode {place} needs "additionalProperties": false.')
    return out


def response_format_for(
    mode: str, schema_text: str = "", name: str = "", strict: bool = True
) -> dict[str, Any] | None:
    """The API's `response_format` for a mode of the Output format picker.

    Args:
        mode: "text" (no `response_format`), "json_object" or "json_schema".
        schema_text: the JSON Schema as text (for "json_schema").
        name: the schema's name; blank means "response".
        strict: ask the API to follow the schema exactly.

    Returns:
        None for "text", `{"type": "json_object"}`, or
        `{"type": "json_schema", "json_schema": {"name", "schema", "strict"}}`.

    Raises:
        ValueError: an unknown mode, or a schema text that is not a JSON object (check it first with
            `check_schema_text`).
    """
    if mode == TEXT:
        return None
    if mode == JSON_OBJECT:
        return {"type": "json_object"}
    if mode != JSON_SCHEMA:
        raise ValueError(f"unknown response format {mode!r}; expected one of {RESPONSE_MODES}")
    data, error = parse_json(schema_text)
    if error is not None:
        raise ValueError(f"The schema is not valid JSON. {error}")
    if not isinstance(data, dict):
        raise ValueError("A JSON Schema must be an object in { … }.")
    return {
        "type": "json_schema",
        "json_schema": {
            "name": name.strip() or DEFAULT_SCHEMA_NAME,
            "schema": data,
            "strict": strict,
        },
    }


def check_name(name: str, what: str = "The name") -> str | None:
    """A sentence saying why `name` is not a valid schema or function name, or None."""
    if NAME_RE.fullmatch(name):
        return None
    if not name:
        return f"{what} is empty; use {NAME_RULE}."
    return f'{what} "{name}" is not allowed: use {NAME_RULE}.'


# --- replies --------------------------------------------------------------------------------------


def check_reply(text: str, schema: Mapping[str, Any]) -> list[str]:
    """Checks a model reply against a JSON Schema.

    Args:
        text: the reply text.
        schema: the JSON Schema it should match.

    Returns:
        One readable line per problem, e.g. `items[2].price: -1 is less than the minimum of 0`;
        empty when the reply matches.
    """
    if not text.strip():
        return ["The reply is empty, so it is not JSON."]
    data, error = parse_json(text)
    if error is not None:
        return [f"The reply is not valid JSON. {error}"]
    problems = schema_errors(schema)
    if problems:
        return ["The schema itself is not valid, so the reply cannot be checked.", *problems]
    validator = _validator_class(schema)(schema)
    errors = sorted(
        validator.iter_errors(data), key=lambda e: (_path_key(e.absolute_path), e.message)
    )
    return [f"{_data_path(err.absolute_path)}: {err.message}" for err in errors]


# --- tools ---------------------------------------------------------------------------------------


def check_tools_text(text: str) -> ToolsCheck:
    """Checks the tools text and brings every tool into the API's shape.

    Accepted: a JSON array of tools as the API takes them
    (`{"type": "function", "function": {"name", "description", "parameters", "strict"}}`), or of bare
    function definitions (`{"name", ...}`, wrapped here), or one such object on its own. A blank
    text means "no tools".

    Returns:
        A `ToolsCheck`; its `tools` go to `ChatRequest.tools` when `ok`.
    """
    if not text.strip():
        return ToolsCheck()
    data, error = parse_json(text)
    if error is not None:
        return ToolsCheck(problems=(f"Not valid JSON. {error}",), json_error=error)
    items: list[Any] = [data] if isinstance(data, dict) else data
    if not isinstance(items, list):
        return ToolsCheck(
            problems=(
                f"Tools must be a JSON list [ … ] of function definitions, not {_json_kind(data)}.",
            )
        )
    problems: list[str] = []
    tools: list[dict[str, Any]] = []
    names: list[str] = []
    for index, item in enumerate(items, start=1):
        tool, tool_problems = _normalize_tool(item, f"Tool {index}")
        problems += tool_problems
        if tool is not None:
            name = tool["function"].get("name")
            if isinstance(name, str) and name:
                if name in names:
                    problems.append(f'Tool {index}: the name "{name}" is used twice.')
                names.append(name)
            tools.append(tool)
    return ToolsCheck(
        tools=() if problems else tuple(tools),
        problems=tuple(problems),
        names=tuple(names),
    )


def _normalize_tool(item: Any, label: str) -> tuple[dict[str, Any] | None, list[str]]:
    if not isinstance(item, dict):
        return None, [f"{label} must be an object in {{ … }}, not {_json_kind(item)}."]
    if "type" in item or "function" in item:
        kind = item.get("type", "function")
        if kind != "function":
            return None, [
                f'{label} has "type": {json.dumps(kind)}; only "function" tools can be used here.'
            ]
        extra = sorted(set(item) - {"type", "function"})
        function = item.get("function")
        if not isinstance(function, dict):
            return None, [f'{label} needs a "function" object with at least a "name".']
        problems = [f'{label}: unknown field "{k}" next to "function".' for k in extra]
    else:
        function = item
        problems = []

    name = function.get("name")
    shown = f'{label} ("{name}")' if isinstance(name, str) and name else label
    if not isinstance(name, str):
        problems.append(f'{label} needs a "name" ({NAME_RULE}).')
    else:
        bad = check_name(name, f"{label}'s name")
        if bad:
            problems.append(bad)
    for key in function:
        if key not in _FUNCTION_KEYS:
            expected = ", ".join(_FUNCTION_KEYS)
            problems.append(f'{shown}: unknown field "{key}" (expected {expected}).')
    description = function.get("description")
    if description is not None and not isinstance(description, str):
        problems.append(f'{shown}: "description" must be text.')
    strict = function.get("strict")
    if strict is not None and not isinstance(strict, bool):
        problems.append(f'{shown}: "strict" must be true or false.')
    if "parameters" in function:
        params = function["parameters"]
        if not isinstance(params, dict):
            problems.append(
                f'{shown}: "parameters" must be a JSON Schema object in {{ … }}, not {_json_kind(params)}.'
            )
        else:
            problems += [f"{shown}: {p}" for p in _parameter_problems(params, strict is True)]
    normalized = {k: function[k] for k in _FUNCTION_KEYS if k in function}
    return {"type": "function", "function": normalized}, problems


def _parameter_problems(params: Mapping[str, Any], strict: bool) -> list[str]:
    problems = [
        p.replace("Not a valid JSON Schema", '"parameters" is not a valid JSON Schema', 1)
        for p in schema_errors(params)
    ]
    if problems:
        return problems
    if not _is_object(params):
        got = params.get("type")
        what = f'"type": {json.dumps(got)}' if got is not None else 'no "type"'
        problems.append(f'"parameters" must describe an object ("type": "object"); it has {what}.')
    if strict:
        problems += strict_problems(params, check_root=False)
    return problems


# --- helpers -------------------------------------------------------------------------------------


def _validator_class(schema: Mapping[str, Any]) -> type[Validator]:
    from jsonschema.validators import Draft202012Validator, validator_for

    return validator_for(schema, default=Draft202012Validator)


def _is_object(schema: Mapping[str, Any]) -> bool:
    kind = schema.get("type")
    if kind == "object":
        return True
    if isinstance(kind, list) and "object" in kind:
        return True
    return kind is None and isinstance(schema.get("properties"), dict)


def _subschemas(schema: Any, where: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every schema inside `schema` (itself first) with a readable path to it."""
    if not isinstance(schema, dict):
        return
    yield where, schema
    props = schema.get("properties")
    if isinstance(props, dict):
        for name, sub in props.items():
            yield from _subschemas(sub, (*where, str(name)))
    items = schema.get("items")
    if isinstance(items, dict):
        yield from _subschemas(items, (*where, "[]"))
    elif isinstance(items, list):
        for i, sub in enumerate(items):
            yield from _subschemas(sub, (*where, f"[{i}]"))
    prefix = schema.get("prefixItems")
    if isinstance(prefix, list):
        for i, sub in enumerate(prefix):
            yield from _subschemas(sub, (*where, f"[{i}]"))
    for key in ("anyOf", "oneOf", "allOf"):
        options = schema.get(key)
        if isinstance(options, list):
            for i, sub in enumerate(options, start=1):
                yield from _subschemas(sub, (*where, f"({key} option {i})"))
    for key in ("$defs", "definitions"):
        defs = schema.get(key)
        if isinstance(defs, dict):
            for name, sub in defs.items():
                yield from _subschemas(sub, (f"{key}.{name}",))
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        yield from _subschemas(extra, (*where, "(any other property)"))


def _path_key(path: Iterable[str | int]) -> list[tuple[int, int, str]]:
    """Sorts `items[2]` before `items[10]`."""
    return [(0, p, "") if isinstance(p, int) else (1, 0, p) for p in path]


def _join(parts: Iterable[str]) -> str:
    out = ""
    for part in parts:
        if part.startswith(("[", "(")):
            out += part if part.startswith("[") else f" {part}"
        else:
            out += f".{part}" if out else part
    return out


def _schema_path(path: Sequence[str | int]) -> str:
    """A metaschema error location: `properties.price.type` or "the top level"."""
    if not path:
        return "the top level"
    return (
        '"' + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".") + '"'
    )


_IDENT_RE: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def _data_path(path: Sequence[str | int]) -> str:
    """A location in a reply: `items[2].price`, or "(whole reply)" for the top."""
    if not path:
        return "(whole reply)"
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENT_RE.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out


def _json_kind(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a text value"
    return "a number"
