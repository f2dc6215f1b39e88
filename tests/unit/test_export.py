"""Conversation export: Markdown to read, JSON to re-import (exactly), and no way to reach secrets."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from playground.core.chat.export import (
    CONVERSATION_FORMAT,
    CONVERSATION_VERSION,
    ExportConversation,
    ExportTurn,
    from_json,
    to_json,
    to_markdown,
    totals,
)
from playground.core.models import ImagePart, Message, ToolCall, Usage

T0 = datetime(2026, 5, 1, 9, 30, 15, 123456, tzinfo=UTC)
PNG = "data:image/png;base64," + "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ" * 50
TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}

WEATHER = ExportConversation(
    title="Weather | Paris",
    system_prompt="You are brief.",
    params={"model": "gpt-4o", "temperature": 0.7, "stop": ["END"], "tools": [TOOL]},
    turns=(
        ExportTurn(
            Message(
                "user",
                "What's the weather, and what is in this picture?",
                images=(ImagePart(PNG, "high", 640, 480), ImagePart("https://e.test/a (1).png")),
            )
        ),
        ExportTurn(
            Message(
                "assistant",
                "",
                tool_calls=(ToolCall("call_1", "get_weather", '{"city": "Paris"}'),),
            ),
            usage=Usage(input_tokens=1234, output_tokens=56, cached_tokens=1000),
            cost=Decimal("0.004200"),
            model="gpt-4o-2024-08-06",
            finish_reason="tool_calls",
        ),
        ExportTurn(Message("tool", '{"temp_c": 21}', tool_call_id="call_1")),
        ExportTurn(
            Message("assistant", "It is **21 °C**.\n\n```python\nprint('sunny')\n```"),
            usage=Usage(input_tokens=1300, output_tokens=80, reasoning_tokens=12),
            cost=None,
            model="gpt-4o-2024-08-06",
            finish_reason="stop",
        ),
    ),
    created=T0,
)

CONVERSATIONS: dict[str, ExportConversation] = {
    "weather": WEATHER,
    "empty": ExportConversation(title="", created=T0),
    "naive time, odd values": ExportConversation(
        title="Ünïcode ✓ 日本語 🙂",
        system_prompt="",
        params={"model": "local-llama", "nested": {"a": [1, 2.5, None, True]}},
        turns=(
            ExportTurn(Message("user", 'hi\r\n\ttab \u2028 \\ "quoted"', name="alice")),
            ExportTurn(
                Message("assistant", "", name="bot"),
                usage=Usage(
                    input_tokens=3,
                    output_tokens=0,
                    images=2,
                    audio_seconds=1.25,
                    characters=17,
                    estimated=True,
                ),
                cost=Decimal("1E-7"),
                model=None,
                finish_reason="length",
            ),
            ExportTurn(Message("developer", "dev note"), cost=Decimal("12.50")),
        ),
        created=datetime(2026, 1, 2, 3, 4, 5),
    ),
    "other offset": ExportConversation(
        title="x",
        turns=(ExportTurn(Message("system", "mid-conversation system message")),),
        created=datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-5))),
    ),
}


# --- JSON ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CONVERSATIONS))
def test_json_round_trip_is_exact(name: str) -> None:
    conversation = CONVERSATIONS[name]
    text = to_json(conversation)
    back, problems = from_json(text)
    assert problems == []
    assert back == conversation
    assert back is not None
    assert [str(t.cost) for t in back.turns] == [str(t.cost) for t in conversation.turns]
    assert back.created.tzinfo == conversation.created.tzinfo
    assert to_json(back) == text


def test_the_json_document() -> None:
    document = json.loads(to_json(WEATHER))
    assert document["format"] == CONVERSATION_FORMAT == "playground-conversation"
    assert document["version"] == CONVERSATION_VERSION == 1
    assert document["created"] == "2026-05-01T09:30:15.123456+00:00"
    assert document["params"] == WEATHER.params
    first, second = document["turns"][:2]
    assert first == {
        "message": {
            "role": "user",
            "content": "What's the weather, and what is in this picture?",
            "images": [
                {"url": PNG, "detail": "high", "width": 640, "height": 480},
                {"url": "https://e.test/a (1).png", "detail": "auto"},
            ],
        },
        "usage": None,
        "cost": None,
        "model": None,
        "finish_reason": None,
    }
    assert second["cost"] == "0.004200"  # a string: every digit kept
    assert second["usage"] == {
        "input_tokens": 1234,
        "output_tokens": 56,
        "cached_tokens": 1000,
        "reasoning_tokens": 0,
        "images": 0,
        "audio_seconds": 0.0,
        "characters": 0,
        "estimated": False,
        "image_input_tokens": 0,
        "image_output_tokens": 0,
        "audio_tokens": 0,
        "output_audio_tokens": 0,
        "cache_write_tokens": 0,
        "web_searches": 0,
        "file_searches": 0,
        "code_runs": 0,
    }
    assert second["message"]["tool_calls"] == [
        {"id": "call_1", "name": "get_weather", "arguments": '{"city": "Paris"}'}
    ]


def test_odd_params_are_written_not_dropped() -> None:
    conversation = ExportConversation(
        title="t",
        params={"stop": ("a", "b"), "when": T0, "price": Decimal("0.10"), "tags": {"x"}},
        created=T0,
    )
    back, problems = from_json(to_json(conversation))
    assert problems == []
    assert back is not None
    assert back.params == {
        "stop": ["a", "b"],
        "when": T0.isoformat(),
        "price": "0.10",
        "tags": ["x"],
    }


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "This is not valid JSON: line 1, column 1:"),
        ('{"format": "playground-conversation",', "This is not valid JSON: line 1, column 38"),
        ("[]", "This is not an exported conversation"),
        ('{"format": "playground-presets", "version": 1}', "This is a presets file"),
        ('{"format": "playground-conversation", "turns": []}', 'no valid "version"'),
        ('{"format": "playground-conversation", "version": 0, "turns": []}', 'no valid "version"'),
        ('{"format": "playground-conversation", "version": 2, "turns": []}', "newer version"),
        ('{"format": "playground-conversation", "version": 1}', 'no "turns" list'),
        ('{"format": "playground-conversation", "version": 1, "turns": {}}', 'no "turns" list'),
        ("[" * 100_000, "This is not valid JSON"),
    ],
)
def test_documents_that_cannot_be_opened(text: str, problem: str) -> None:
    conversation, problems = from_json(text)
    assert conversation is None
    assert len(problems) == 1
    assert problem in problems[0]


def _document(**changes: Any) -> str:
    document = json.loads(to_json(WEATHER))
    document.update(changes)
    return json.dumps(document)


def _turn(**changes: Any) -> dict[str, Any]:
    turn: dict[str, Any] = {
        "message": {"role": "assistant", "content": "ok"},
        "usage": None,
        "cost": None,
        "model": None,
        "finish_reason": None,
    }
    turn.update(changes)
    return turn


@pytest.mark.parametrize(
    ("turn", "problem"),
    [
        ("text", "it is not an object."),
        (_turn(message=None), "it has no message."),
        (_turn(message={"role": "robot", "content": "x"}), 'its role "robot" is not one of'),
        (_turn(message={"role": "user", "content": 5}), "its content is not text."),
        (_turn(message={"role": "user", "content": "", "name": 1}), "its name is not text."),
        (_turn(message={"role": "user", "content": "", "images": {}}), "its images is not a list."),
        (_turn(message={"role": "user", "content": "", "images": [{}]}), "an image has no URL."),
        (
            _turn(message={"role": "user", "content": "", "images": [{"url": "u", "width": "1"}]}),
            "an image's width or height is not a whole number.",
        ),
        (
            _turn(message={"role": "user", "content": "", "images": [{"url": "u", "detail": 1}]}),
            "an image's detail is not text.",
        ),
        (
            _turn(message={"role": "assistant", "content": "", "tool_calls": [{"id": "c"}]}),
            "a tool call needs id, name and arguments as text.",
        ),
        (
            _turn(message={"role": "assistant", "content": "", "tool_calls": ["c"]}),
            "a tool call is not an object.",
        ),
        (_turn(usage=[]), "its usage is not an object."),
        (_turn(usage={"input_tokens": -1}), "its usage input_tokens is -1."),
        (_turn(usage={"output_tokens": 1.5}), "its usage output_tokens is 1.5."),
        (_turn(usage={"estimated": "yes"}), 'its usage estimated is "yes".'),
        (_turn(usage={"audio_seconds": "1"}), 'its usage audio_seconds is "1".'),
        (_turn(cost="cheap"), 'its cost "cheap" is not a number.'),
        (_turn(cost="NaN"), 'its cost "NaN" is not a number.'),
        (_turn(cost=True), "its cost is not a number."),
        (_turn(model=3), "its model is not text."),
        (_turn(finish_reason=[]), "its finish_reason is not text."),
    ],
)
def test_turns_that_cannot_be_read_are_skipped(turn: Any, problem: str) -> None:
    good = _turn()
    conversation, problems = from_json(_document(turns=[good, turn, good]))
    assert conversation is not None
    assert len(conversation.turns) == 2
    assert len(problems) == 1
    assert problems[0].startswith("Turn 2 was skipped: ")
    assert problem in problems[0]


def test_lenient_where_nothing_is_lost() -> None:
    turn = _turn(
        message={"role": "assistant", "content": None, "images": None, "tool_calls": None},
        usage={"input_tokens": 5, "from_the_future": 1},
        cost=0.5,
    )
    conversation, problems = from_json(_document(turns=[turn], title=None))
    assert problems == []
    assert conversation is not None
    assert conversation.title == ""
    assert conversation.turns[0] == ExportTurn(
        Message("assistant", ""), usage=Usage(input_tokens=5), cost=Decimal("0.5")
    )


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"title": 5}, '"title" is not text; it was left empty.'),
        ({"system_prompt": []}, '"system_prompt" is not text; it was left empty.'),
        ({"params": []}, '"params" is not an object; the parameters were left out.'),
        ({"created": "yesterday"}, '"created" is not a date and time; the import time was used.'),
    ],
)
def test_header_problems_keep_the_turns(changes: dict[str, Any], problem: str) -> None:
    conversation, problems = from_json(_document(**changes))
    assert problems == [problem]
    assert conversation is not None
    assert conversation.turns == WEATHER.turns


# --- Markdown ------------------------------------------------------------------------------------


def test_markdown_reads_well() -> None:
    text = to_markdown(WEATHER)
    lines = text.splitlines()
    assert lines[0] == "# Weather | Paris"
    assert "Created 2026-05-01 09:30 UTC" in lines
    assert "| model | `gpt-4o` |" in lines
    assert "| temperature | 0.7 |" in lines
    assert '| stop | `["END"]` |' in lines
    assert "| tools | `get_weather` (below) |" in lines
    assert "### tools" in lines
    for heading in ("## System", "## User", "## Assistant", "## Tool result for `call_1`"):
        assert heading in lines
    assert lines.index("## System") < lines.index("## User")
    assert "You are brief." in lines
    assert (
        "*gpt-4o-2024-08-06 · 1,234 tok in (1,000 cached) · 56 tok out · cost $0.0042 · "
        "finish: tool\\_calls*"
    ) in lines
    assert (
        "*gpt-4o-2024-08-06 · 1,300 tok in · 80 tok out (12 reasoning) · cost — · finish: stop*"
        in lines
    )
    assert lines[-1] == (
        "**Total:** 2 replies · 2,534 tok in (1,000 cached) · 136 tok out (12 reasoning) · "
        "cost $0.0042 + ? (1 unpriced)"
    )


def test_markdown_images() -> None:
    text = to_markdown(WEATHER)
    assert PNG not in text
    shown = [line for line in text.splitlines() if line.startswith("![image](")]
    assert len(shown) == 2
    assert shown[0].startswith("![image](<" + PNG[:50])
    assert len(shown[0]) < 120
    assert shown[1] == "![image](<https://e.test/a (1).png>)"


def _fenced_blocks(text: str) -> list[tuple[str, str]]:
    """(info string, body) of each fenced block, fences of any length."""
    blocks: list[tuple[str, str]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            fence = line[: len(line) - len(line.lstrip("`"))]
            info = line[len(fence) :]
            end = lines.index(fence, i + 1)
            blocks.append((info, "\n".join(lines[i + 1 : end])))
            i = end + 1
        else:
            i += 1
    return blocks


def test_markdown_tool_calls_and_results_are_fenced_json() -> None:
    blocks = _fenced_blocks(to_markdown(WEATHER))
    parsed = [json.loads(body) for info, body in blocks if info == "json"]
    assert parsed[0] == [TOOL]
    assert {"id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}} in parsed
    assert {"temp_c": 21} in parsed


def test_markdown_fences_outlast_backticks_in_the_content() -> None:
    conversation = ExportConversation(
        title="t",
        turns=(
            ExportTurn(Message("tool", "```\nnot json ```` here", tool_call_id="c")),
            ExportTurn(Message("assistant", "", tool_calls=(ToolCall("c", "f", "not json ```"),))),
        ),
        created=T0,
    )
    text = to_markdown(conversation)
    assert "`````\n```\nnot json ```` here\n`````" in text
    assert _fenced_blocks(text)[1][1] == json.dumps(
        {"id": "c", "name": "f", "arguments": "not json ```"}, indent=2
    )


def test_markdown_of_an_empty_conversation() -> None:
    text = to_markdown(CONVERSATIONS["empty"])
    assert text.splitlines()[0] == "# Conversation"
    assert "| Parameter |" not in text
    assert text.splitlines()[-1] == "**Total:** 0 replies"


def test_markdown_estimates_and_odd_turns() -> None:
    text = to_markdown(CONVERSATIONS["naive time, odd values"])
    lines = text.splitlines()
    assert "Created 2026-01-02 03:04" in lines
    assert "## User (alice)" in lines
    assert "## Assistant (bot)" in lines
    assert "## Developer" in lines
    assert "*(empty)*" in lines
    assert "*≈3 tok in · ≈0 tok out · cost <$0.000001 · finish: length*" in lines
    assert "*cost $12.50*" in lines
    assert '| nested | `{"a": [1, 2.5, null, true]}` |' in lines
    assert lines[-1] == "**Total:** 1 reply · ≈3 tok in · ≈0 tok out · cost ≈$12.50"


def test_markdown_escapes_table_cells() -> None:
    conversation = ExportConversation(title="t", params={"note": "a | b\nc"}, created=T0)
    assert "| note | a \\| b<br>c |" in to_markdown(conversation).splitlines()


def test_totals() -> None:
    sums = totals(WEATHER)
    assert sums.replies == 2
    assert sums.usage == Usage(
        input_tokens=2534, output_tokens=136, cached_tokens=1000, reasoning_tokens=12
    )
    assert sums.cost == Decimal("0.004200")
    assert (sums.priced, sums.unpriced) == (1, 1)


def test_a_fully_unpriced_conversation_says_so() -> None:
    conversation = ExportConversation(
        title="t",
        turns=(ExportTurn(Message("assistant", "x"), usage=Usage(1, 1)),),
        created=T0,
    )
    assert to_markdown(conversation).splitlines()[-1] == (
        "**Total:** 1 reply · 1 tok in · 1 tok out · cost —"
    )


# --- secrets -------------------------------------------------------------------------------------


def test_a_key_looking_value_is_just_data() -> None:
    """Nothing is special-cased: params hold what the caller put there, and only that."""
    key_like = "sk-proj-NOTAREALKEY0123456789abcdef"
    conversation = ExportConversation(title="t", params={"note": key_like}, created=T0)
    assert key_like in to_json(conversation)
    assert key_like in to_markdown(conversation)
    back, _ = from_json(to_json(conversation))
    assert back == conversation


MODULES = (
    "playground.core.chat.export",
    "playground.core.chat.codegen",
    "playground.core.chat.presets",
)
SECRET_HOLDERS = (
    "playground.core.api.secrets",
    "playground.core.storage.settings",
    "playground.core.api.providers",
    "playground.core.api.gateway",
    "keyring",
    "openai",
)


def test_no_path_from_these_modules_to_settings_or_secrets() -> None:
    """Imported alone (a fresh interpreter), they load nothing that holds or finds a key."""
    code = (
        "import sys\n"
        f"for name in {MODULES!r}:\n"
        "    __import__(name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {SECRET_HOLDERS!r} "
        f"or m in {SECRET_HOLDERS!r})\n"
        "print(bad)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("module", MODULES)
def test_no_direct_import_of_settings_or_secrets(module: str) -> None:
    path = Path(__file__).resolve().parents[2] / (module.replace(".", "/") + ".py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    ] + [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert not [name for name in imported if name.startswith(SECRET_HOLDERS)]
