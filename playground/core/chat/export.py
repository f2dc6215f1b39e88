"""Export a conversation as Markdown (to read) or JSON (to re-import), with usage and cost per turn.

The input is a small typed snapshot, `ExportConversation`, that the Chat tab builds from what it
shows. It carries no key and nothing from settings or the secret store, so nothing secret can end
up in an export by way of these functions.

The JSON document (`to_json`) round-trips exactly through `from_json`:

    {"format": "playground-conversation", "version": 1,
     "title": "…", "created": "2026-05-01T09:30:00+00:00", "system_prompt": "…",
     "params": {"model": "gpt-4o", "temperature": 0.7},
     "turns": [{"message": {"role": "user", "content": "Hi"},
                "usage": null, "cost": null, "model": null, "finish_reason": null},
               {"message": {"role": "assistant", "content": "Hello!"},
                "usage": {"input_tokens": 9, "output_tokens": 3, …}, "cost": "0.0000525",
                "model": "gpt-4o-2024-08-06", "finish_reason": "stop"}]}

Costs are written as strings so no digit is lost. Message fields that are empty are left out
(`name`, `images`, `tool_calls`, `tool_call_id`; an image's unknown `width`/`height`). A Responses
answer's turn may also carry `reasoning` (its reasoning summary), `steps` (its built-in tool steps,
as `builtin_tools.step_to_dict` writes them) and `citations`; each is left out when empty.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final, cast, get_args

from playground.core.chat.builtin_tools import (
    STEP_TITLES,
    Citation,
    ToolStep,
    citation_to_dict,
    citations_from_json,
    step_to_dict,
    steps_from_json,
)
from playground.core.chat.codegen import shorten_data_url
from playground.core.chat.context import read_compaction
from playground.core.models import ImagePart, Message, Role, ToolCall, Usage
from playground.core.money.formatting import UNKNOWN, format_cost, format_tokens
from playground.core.storage.textfiles import TextFileError, load_json, read_text_file

CONVERSATION_FORMAT: Final = "playground-conversation"
CONVERSATION_VERSION: Final = 1

_ROLES: Final[frozenset[str]] = frozenset(get_args(Role))
_HEADINGS: Final = {
    "system": "System",
    "developer": "Developer",
    "user": "User",
    "assistant": "Assistant",
    "tool": "Tool result",
}
_INLINE_LIMIT = 60  # longer parameter values go in their own section below the table


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ExportTurn:
    """One message of the conversation, with what its request cost (for assistant replies).

    Attributes:
        message: the message.
        usage: the reply's usage (server-reported or estimated), or None.
        cost: its cost in dollars, or None when unknown or not a reply.
        model: the model the server says answered, or None.
        finish_reason: why the reply ended ("stop", "length", "tool_calls"...), or None.
        reasoning: the reply's reasoning summary ("Thinking"), or "".
        steps: the reply's built-in tool steps (web search, code interpreter, …).
        citations: the sources the reply cites.
    """

    message: Message
    usage: Usage | None = None
    cost: Decimal | None = None
    model: str | None = None
    finish_reason: str | None = None
    reasoning: str = ""
    steps: tuple[ToolStep, ...] = ()
    citations: tuple[Citation, ...] = ()


@dataclass(frozen=True, slots=True)
class ExportConversation:
    """A conversation as exported.

    Attributes:
        title: a heading for the export ("" shows as "Conversation").
        system_prompt: the system prompt, shown first ("" for none).
        params: the request parameters as JSON values (`model`, `temperature`, `tools`...), as
            `codegen.chat_params_to_dict` gives them. Tuples come back from JSON as lists.
        turns: the messages in order, without the system prompt.
        created: when the conversation started.
    """

    title: str
    system_prompt: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    turns: tuple[ExportTurn, ...] = ()
    created: datetime = field(default_factory=_now)


@dataclass(frozen=True, slots=True)
class ExportTotals:
    """The sums shown at the end of an export.

    Attributes:
        replies: assistant turns.
        usage: summed usage of the turns that have one.
        cost: summed cost of the turns whose cost is known.
        priced: turns whose cost is known.
        unpriced: turns with usage but no known cost.
    """

    replies: int
    usage: Usage
    cost: Decimal
    priced: int
    unpriced: int


def totals(conversation: ExportConversation) -> ExportTotals:
    """Replies, usage and cost summed over the conversation."""
    usage = Usage()
    cost = Decimal(0)
    priced = unpriced = 0
    for turn in conversation.turns:
        if turn.usage is not None:
            usage = usage + turn.usage
        if turn.cost is not None:
            cost += turn.cost
            priced += 1
        elif turn.usage is not None:
            unpriced += 1
    replies = sum(1 for t in conversation.turns if t.message.role == "assistant")
    return ExportTotals(replies, usage, cost, priced, unpriced)


# --- Markdown ------------------------------------------------------------------------------------


def to_markdown(conversation: ExportConversation) -> str:
    """The conversation as readable Markdown.

    A title, the creation time, a table of the model and parameters (long values such as tools
    and schemas follow as fenced JSON), then each turn under a role heading: text as written
    (replies are Markdown already), images as `![image](…)` with data URLs shortened, tool calls
    and JSON tool results as fenced JSON, and under each reply a line with its model, tokens, cost
    and finish reason. Totals close the document.
    """
    out: list[str] = [f"# {_one_line(conversation.title) or 'Conversation'}", ""]
    out += [f"Created {_when(conversation.created)}", ""]
    out += _params_markdown(conversation.params)
    if conversation.system_prompt.strip():
        out += ["## System", "", conversation.system_prompt.strip("\n"), ""]
    for turn in conversation.turns:
        out += _turn_markdown(turn)
    out += ["---", "", _totals_line(totals(conversation)), ""]
    return "\n".join(out)


def _when(moment: datetime) -> str:
    if moment.utcoffset() == timedelta(0):
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    if moment.tzinfo is not None:
        return moment.strftime("%Y-%m-%d %H:%M UTC%z")
    return moment.strftime("%Y-%m-%d %H:%M")


def _params_markdown(params: dict[str, Any]) -> list[str]:
    shown = {k: v for k, v in params.items() if v is not None and v != [] and v != ()}
    if not shown:
        return []
    rows = ["| Parameter | Value |", "| --- | --- |"]
    sections: list[str] = []
    for name, value in shown.items():
        if isinstance(value, str):
            cell = f"`{value}`" if name == "model" else value
        elif isinstance(value, dict | list | tuple):
            compact = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
            if len(compact) <= _INLINE_LIMIT:
                cell = f"`{compact}`"
            else:
                cell = f"{_summary(name, value)} (below)"
                sections += [f"### {name}", "", *_fenced(_pretty(value), "json"), ""]
        else:
            cell = json.dumps(value)
        rows.append(f"| {_cell(name)} | {_cell(cell)} |")
    return [*rows, "", *sections]


def _summary(name: str, value: Any) -> str:
    """A few words for a long parameter: the tool names, the schema name…"""
    if name == "tools" and isinstance(value, list | tuple):
        names = [_tool_name(t) for t in value]
        return ", ".join(f"`{n}`" for n in names if n) or f"{len(value)} tools"
    if isinstance(value, dict):
        kind = value.get("type")
        schema = value.get("json_schema")
        schema_name = schema.get("name") if isinstance(schema, dict) else None
        if isinstance(kind, str) and isinstance(schema_name, str):
            return f"{kind} `{schema_name}`"
        if isinstance(kind, str):
            return kind
    if isinstance(value, list | tuple):
        return f"{len(value)} items"
    return "object"


def _tool_name(tool: Any) -> str:
    if not isinstance(tool, dict):
        return ""
    function = tool.get("function")
    name = function.get("name") if isinstance(function, dict) else tool.get("name")
    return name if isinstance(name, str) else ""


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", "<br>")


def _turn_markdown(turn: ExportTurn) -> list[str]:
    message = turn.message
    heading = _HEADINGS.get(message.role, message.role.title())
    if message.name:
        heading += f" ({_one_line(message.name)})"
    if message.tool_call_id:
        heading += f" for `{_one_line(message.tool_call_id)}`"
    out = [f"## {heading}", ""]
    if turn.reasoning.strip():
        out += [
            "> **Thinking**",
            ">",
            *(f"> {line}" for line in turn.reasoning.strip().split("\n")),
        ]
        out.append("")
    out += _steps_markdown(turn.steps)
    content = message.content.strip("\n")
    compaction = read_compaction(message)
    if compaction is not None:  # its plain line, not kilobytes only OpenAI can read
        content = compaction.text()
    if message.role == "tool" and content:
        parsed = _json_or_none(content)
        out += _fenced(
            content if parsed is None else _pretty(parsed), "" if parsed is None else "json"
        )
        out.append("")
    elif content:
        out += [content, ""]
    for image in message.images:
        out += [f"![image]({_link(shorten_data_url(image.url))})", ""]
    for call in message.tool_calls:
        arguments = _json_or_none(call.arguments)
        shown = {
            "id": call.id,
            "name": call.name,
            "arguments": call.arguments if arguments is None else arguments,
        }
        out += [f"Tool call `{_one_line(call.name)}`:", "", *_fenced(_pretty(shown), "json"), ""]
    if not content and not message.images and not message.tool_calls:
        out += ["*(empty)*", ""]
    out += _citations_markdown(turn.citations)
    line = _turn_line(turn)
    if line:
        out += [line, ""]
    return out


def _steps_markdown(steps: tuple[ToolStep, ...]) -> list[str]:
    """Each tool step as a list item (what it did), with the code it ran and what it printed."""
    out: list[str] = []
    for step in steps:
        title = STEP_TITLES.get(step.kind, step.kind.replace("_", " "))
        line = f"- **{title}:** {_escape_emphasis(_one_line(step.summary))}"
        if step.error:
            line += f" (failed: {_escape_emphasis(_one_line(step.error))})"
        out.append(line)
        for url in step.sources:
            out.append(f"  - {_link(url)}")
        if step.code:
            out += ["", *(f"  {row}" for row in _fenced(step.code, "python")), ""]
        if step.output and step.kind != "image_generation_call":
            out += ["", *(f"  {row}" for row in _fenced(step.output, "")), ""]
        elif step.output:
            out.append(f"  - prompt: {_escape_emphasis(_one_line(step.output))}")
    return [*out, ""] if out else []


def _citations_markdown(citations: tuple[Citation, ...]) -> list[str]:
    """The sources a reply cites, numbered, each once."""
    seen: list[tuple[str, str]] = []
    rows: list[str] = []
    for citation in citations:
        key = (citation.url, citation.file_id)
        if key in seen:
            continue
        seen.append(key)
        if citation.url:
            title = _one_line(citation.title or citation.url).replace("]", "\\]")
            rows.append(f"{len(seen)}. [{title}]({_link(citation.url)})")
        else:
            rows.append(f"{len(seen)}. {_one_line(citation.filename or citation.file_id)}")
    return ["Sources:", "", *rows, ""] if rows else []


def _turn_line(turn: ExportTurn) -> str:
    """`*gpt-4o · 1,234 tok in · 56 tok out · cost $0.0042 · finish: stop*`, or "" if nothing known."""
    parts: list[str] = []
    if turn.model:
        parts.append(_one_line(turn.model))
    if turn.usage is not None:
        parts += _usage_parts(turn.usage)
    if turn.usage is not None or turn.cost is not None:
        estimated = turn.usage.estimated if turn.usage is not None else False
        parts.append(f"cost {format_cost(turn.cost, estimated=estimated)}")
    if turn.finish_reason:
        parts.append(f"finish: {_one_line(turn.finish_reason)}")
    return f"*{_escape_emphasis(' · '.join(parts))}*" if parts else ""


def _usage_parts(usage: Usage) -> list[str]:
    estimated = usage.estimated
    tokens_in = f"{format_tokens(usage.input_tokens, estimated=estimated)} in"
    if usage.cached_tokens:
        tokens_in += f" ({usage.cached_tokens:,} cached)"
    tokens_out = f"{format_tokens(usage.output_tokens, estimated=estimated)} out"
    if usage.reasoning_tokens:
        tokens_out += f" ({usage.reasoning_tokens:,} reasoning)"
    return [tokens_in, tokens_out]


def _totals_line(sums: ExportTotals) -> str:
    parts = [f"{sums.replies:,} {'reply' if sums.replies == 1 else 'replies'}"]
    if sums.usage != Usage():
        parts += _usage_parts(sums.usage)
    if sums.priced:
        cost = format_cost(sums.cost, estimated=sums.usage.estimated)
        if sums.unpriced:
            cost += f" + ? ({sums.unpriced} unpriced)"
        parts.append(f"cost {cost}")
    elif sums.unpriced:
        parts.append(f"cost {UNKNOWN}")
    return f"**Total:** {' · '.join(parts)}"


def _fenced(text: str, language: str) -> list[str]:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{language}", text, fence]


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _json_or_none(text: str) -> Any:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict | list) else None


def _link(url: str) -> str:
    return f"<{url}>" if re.search(r"[\s()<>]", url) else url


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _escape_emphasis(text: str) -> str:
    return re.sub(r"([*_`\\])", r"\\\1", text)


# --- JSON ----------------------------------------------------------------------------------------


def to_json(conversation: ExportConversation) -> str:
    """The conversation as a versioned JSON document that `from_json` reads back exactly."""
    document = {
        "format": CONVERSATION_FORMAT,
        "version": CONVERSATION_VERSION,
        "title": conversation.title,
        "created": conversation.created.isoformat(),
        "system_prompt": conversation.system_prompt,
        "params": conversation.params,
        "turns": [_turn_to_dict(t) for t in conversation.turns],
    }
    return json.dumps(document, indent=2, ensure_ascii=False, default=_json_default) + "\n"


def _json_default(value: Any) -> Any:
    """Non-JSON values a caller may have put in `params`: written as text, never dropped."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    return str(value)


def _turn_to_dict(turn: ExportTurn) -> dict[str, Any]:
    return {
        "message": _message_to_dict(turn.message),
        "usage": dataclasses.asdict(turn.usage) if turn.usage is not None else None,
        "cost": str(turn.cost) if turn.cost is not None else None,
        "model": turn.model,
        "finish_reason": turn.finish_reason,
        **({"reasoning": turn.reasoning} if turn.reasoning else {}),
        **({"steps": [step_to_dict(step) for step in turn.steps]} if turn.steps else {}),
        **({"citations": [citation_to_dict(c) for c in turn.citations]} if turn.citations else {}),
    }


def _message_to_dict(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.name is not None:
        out["name"] = message.name
    if message.images:
        out["images"] = [
            {
                "url": image.url,
                "detail": image.detail,
                **({"width": image.width} if image.width is not None else {}),
                **({"height": image.height} if image.height is not None else {}),
            }
            for image in message.images
        ]
    if message.tool_calls:
        out["tool_calls"] = [
            {"id": call.id, "name": call.name, "arguments": call.arguments}
            for call in message.tool_calls
        ]
    if message.tool_call_id is not None:
        out["tool_call_id"] = message.tool_call_id
    return out


class _Invalid(ValueError):
    """A plain-language reason a part of the document cannot be read."""


class ConversationFileError(ValueError):
    """A conversation file that cannot be opened at all; the message says why in plain words.

    The only error `read_conversation` raises, whatever the file holds.
    """


MAX_CONVERSATION_BYTES: Final = 200 * 1024 * 1024  # images are inlined as data URLs
_MAX_TOKENS: Final = 10**15  # more than any request ever used; larger is a damaged file
_MAX_COST: Final = Decimal(10**9)
_MAX_SIDE: Final = 1_000_000  # pixels
_DETAILS: Final = frozenset({"auto", "low", "high"})


def read_conversation(path: Path) -> tuple[ExportConversation, list[str]]:
    """Reads a conversation file `to_json` wrote (UTF-8, with or without a byte-order mark, or
    UTF-16 with one).

    Returns:
        `(conversation, problems)`: `problems` lists the turns that were skipped and the fields
        left at their defaults, in plain words (see `from_json`).

    Raises:
        ConversationFileError: the file cannot be read, is not text, or is not a conversation
            Playground can open (the message says why); the only error, for any file.
    """
    try:
        text = read_text_file(path, max_bytes=MAX_CONVERSATION_BYTES)
    except TextFileError as exc:
        raise ConversationFileError(str(exc)) from None
    conversation, problems = from_json(text)
    if conversation is None:
        raise ConversationFileError(" ".join(problems))
    return conversation, problems


def from_json(text: str) -> tuple[ExportConversation | None, list[str]]:
    """Reads a document `to_json` wrote. Never raises on bad input.

    Returns:
        `(conversation, problems)`. The conversation is None when the document cannot be used at
        all (not JSON, not a conversation export, a newer format), and then `problems` says why;
        turns that cannot be read are skipped and listed in `problems`.
    """
    try:
        raw = load_json(text)
    except TextFileError as exc:
        return None, [str(exc)]
    if not isinstance(raw, dict) or raw.get("format") != CONVERSATION_FORMAT:
        if isinstance(raw, dict) and raw.get("format") == "playground-presets":
            return None, ["This is a presets file, not an exported conversation."]
        return None, [
            f'This is not an exported conversation (it has no "format": "{CONVERSATION_FORMAT}").'
        ]
    version = raw.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        return None, ['The conversation has no valid "version".']
    if version > CONVERSATION_VERSION:
        return None, [
            f"This conversation was exported by a newer version of Playground (format version "
            f"{version}); update the app to open it."
        ]
    turns_raw = raw.get("turns")
    if not isinstance(turns_raw, list):
        return None, ['The conversation has no "turns" list.']

    problems: list[str] = []
    title = _text_field(raw, "title", problems)
    system_prompt = _text_field(raw, "system_prompt", problems)
    params = raw.get("params", {})
    if not isinstance(params, dict):
        problems.append('"params" is not an object; the parameters were left out.')
        params = {}
    created = _parse_datetime(raw.get("created"))
    if created is None:
        problems.append('"created" is not a date and time; the import time was used.')
        created = _now()
    turns: list[ExportTurn] = []
    for index, item in enumerate(turns_raw, start=1):
        try:
            turns.append(_turn_from_dict(item))
        except _Invalid as exc:
            problems.append(f"Turn {index} was skipped: {exc}")
    conversation = ExportConversation(
        title=title,
        system_prompt=system_prompt,
        params=params,
        turns=tuple(turns),
        created=created,
    )
    return conversation, problems


def _text_field(raw: dict[str, Any], name: str, problems: list[str]) -> str:
    value = raw.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        problems.append(f'"{name}" is not text; it was left empty.')
        return ""
    return value


def _parse_datetime(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _turn_from_dict(raw: Any) -> ExportTurn:
    if not isinstance(raw, dict):
        raise _Invalid("it is not an object.")
    message = _message_from_dict(raw.get("message"))
    usage = _usage_from_dict(raw.get("usage"))
    cost = _cost_from(raw.get("cost"))
    model = _optional_text(raw, "model")
    finish_reason = _optional_text(raw, "finish_reason")
    reasoning = _optional_text(raw, "reasoning") or ""
    steps = steps_from_json(raw.get("steps"))
    citations = citations_from_json(raw.get("citations"))
    return ExportTurn(message, usage, cost, model, finish_reason, reasoning, steps, citations)


def _optional_text(raw: dict[str, Any], name: str) -> str | None:
    value = raw.get(name)
    if value is not None and not isinstance(value, str):
        raise _Invalid(f"its {name} is not text.")
    return value


def _message_from_dict(raw: Any) -> Message:
    if not isinstance(raw, dict):
        raise _Invalid("it has no message.")
    role = raw.get("role")
    if not isinstance(role, str) or role not in _ROLES:
        raise _Invalid(f"its role {_shown(role)} is not one of {', '.join(sorted(_ROLES))}.")
    content = raw.get("content", "")
    if content is None:
        content = ""
    if not isinstance(content, str):
        raise _Invalid("its content is not text.")
    name = _optional_text(raw, "name")
    tool_call_id = _optional_text(raw, "tool_call_id")
    images = tuple(_image_from_dict(i) for i in _list_field(raw, "images"))
    calls = tuple(_call_from_dict(c) for c in _list_field(raw, "tool_calls"))
    return Message(
        role=cast(Role, role),
        content=content,
        name=name,
        images=images,
        tool_calls=calls,
        tool_call_id=tool_call_id,
    )


def _list_field(raw: dict[str, Any], name: str) -> list[Any]:
    value = raw.get(name, [])
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Invalid(f"its {name} is not a list.")
    return value


def _image_from_dict(raw: Any) -> ImagePart:
    if not isinstance(raw, dict) or not isinstance(raw.get("url"), str):
        raise _Invalid("an image has no URL.")
    detail = raw.get("detail", "auto")
    if not isinstance(detail, str):
        raise _Invalid("an image's detail is not text.")
    if detail not in _DETAILS:
        raise _Invalid(f"an image's detail {_shown(detail)} is not auto, low or high.")
    size = [raw.get("width"), raw.get("height")]
    if any(v is not None and (isinstance(v, bool) or not isinstance(v, int)) for v in size):
        raise _Invalid("an image's width or height is not a whole number.")
    if any(v is not None and not 0 < v <= _MAX_SIDE for v in size):
        raise _Invalid(f"an image's width or height is not between 1 and {_MAX_SIDE:,} pixels.")
    return ImagePart(url=raw["url"], detail=detail, width=size[0], height=size[1])


def _call_from_dict(raw: Any) -> ToolCall:
    if not isinstance(raw, dict):
        raise _Invalid("a tool call is not an object.")
    values = [raw.get("id"), raw.get("name"), raw.get("arguments")]
    if not all(isinstance(v, str) for v in values):
        raise _Invalid("a tool call needs id, name and arguments as text.")
    return ToolCall(id=raw["id"], name=raw["name"], arguments=raw["arguments"])


def _usage_from_dict(raw: Any) -> Usage | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise _Invalid("its usage is not an object.")
    values: dict[str, Any] = {}
    for f in dataclasses.fields(Usage):
        if f.name not in raw:
            continue
        value = raw[f.name]
        if f.name == "audio_seconds":
            ok = not isinstance(value, bool) and isinstance(value, int | float)
            # math.isfinite raises OverflowError for an int too large for a float.
            ok = ok and 0 <= value < _MAX_TOKENS and math.isfinite(value)
            value = float(value) if ok else value
        elif f.name == "estimated":
            ok = isinstance(value, bool)
        else:
            ok = not isinstance(value, bool) and isinstance(value, int) and 0 <= value < _MAX_TOKENS
        if not ok:
            raise _Invalid(f"its usage {f.name} is {_shown(value)}.")
        values[f.name] = value
    return Usage(**values)


def _cost_from(raw: Any) -> Decimal | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise _Invalid("its cost is not a number.")
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise _Invalid(f"its cost {_shown(raw)} is not a number.") from None
    if not value.is_finite():
        raise _Invalid(f"its cost {_shown(raw)} is not a number.")
    if not 0 <= value < _MAX_COST:
        raise _Invalid(f"its cost {_shown(raw)} is not an amount in dollars.")
    return value


def _shown(value: Any) -> str:
    """A JSON value as a message quotes it: short, on one line, never raising."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if value is None or isinstance(value, bool | float):
        return json.dumps(value)
    if isinstance(value, int):
        return str(value) if abs(value) < 10**30 else "a very long number"
    text = " ".join(str(value).split())
    return json.dumps(text if len(text) <= 40 else text[:39] + "…", ensure_ascii=False)
