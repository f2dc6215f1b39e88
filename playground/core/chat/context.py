"""What to send when a conversation outgrows the model's context window.

The user picks a strategy per conversation (`Strategy`):

* **ask** (the default): nothing is left out; Send asks before sending a request the model
  cannot read whole.
* **drop**: the oldest turns are left out until the rest fits; the system prompt and pinned
  turns always stay, and so does the newest turn.
* **summarise**: the turns that would be dropped are summarised by a chosen (cheap) model into
  one note (`summary_request`, `summary_note`); the note is a turn of its own, shown and
  editable, and every turn before it is left out from then on (`left_out`).
* **server** (Responses only): everything is sent with `truncation: "auto"`; the server drops
  what does not fit.
* **compact** (Responses only): the turns that would be dropped are sent to OpenAI's
  `/responses/compact`, which returns them as the user messages plus one encrypted compaction
  item only OpenAI can read (`Compaction`). That result is kept as a note turn of its own
  (`compaction_note`; shown, not editable, deletable), sent as those items (`compaction_items`),
  and every turn before it is left out from then on. Chat Completions cannot read it: there
  the note is left out and the turns it replaced are sent again (`left_out(..., compacted=False)`).

Turns are counted in the conversation's own indexes (`Conversation.turns`, no system prompt), so
the view can grey out exactly the turns a request leaves out. The caller counts (each turn's
tokens once, so a long conversation is measured in one pass), so the logic needs neither a
tokenizer nor Qt.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from playground.core.models import Message
from playground.core.money.formatting import format_cost


class Strategy(StrEnum):
    """What happens when the conversation no longer fits the model's window."""

    ASK = "ask"
    DROP = "drop"
    SUMMARISE = "summarise"
    SERVER = "server"
    COMPACT = "compact"


STRATEGY_LABELS: dict[Strategy, str] = {
    Strategy.ASK: "Ask me first",
    Strategy.DROP: "Drop oldest",
    Strategy.SUMMARISE: "Summarise",
    Strategy.SERVER: "OpenAI trims",
    Strategy.COMPACT: "OpenAI compacts",
}
"""Plain words for each strategy, as the panel offers them."""

WARN_AT = 0.8
"""The share of the window at which the context bar warns that the limit is near."""

SUMMARY_NAME = "context_summary"
"""`Message.name` of a summary note (how a note is told from a turn the user wrote)."""

COMPACTION_NAME = "context_compaction"
"""`Message.name` of a compaction note (its content is the `Compaction` as JSON)."""

RESPONSES_ONLY: frozenset[Strategy] = frozenset({Strategy.SERVER, Strategy.COMPACT})
"""The strategies only the Responses API can carry out."""

SUMMARY_PREFIX = "Summary of the earlier conversation:\n"

_SUMMARY_INSTRUCTIONS = (
    "Summarise the conversation below so that it can replace it: keep names, numbers, "
    "decisions, open questions and what the user asked for, in the order they came. Write "
    "plain prose, at most about 250 words, and nothing but the summary."
)


@dataclass(frozen=True, slots=True)
class Fit:
    """What a request sends of a conversation.

    Attributes:
        kept: the indexes (in `Conversation.turns`) of the turns sent, in order.
        left_out: the indexes of the turns not sent.
        tokens: the input tokens of what is sent.
        fits: whether that is within the budget.
    """

    kept: tuple[int, ...]
    left_out: tuple[int, ...]
    tokens: int
    fits: bool


def input_budget(context_window: int | None, max_output_tokens: int | None) -> int | None:
    """How many input tokens a request may have: the window less the answer's room (None when
    the window is unknown)."""
    if not context_window:
        return None
    return max(context_window - (max_output_tokens or 0), 1)


def is_summary(message: Message) -> bool:
    return message.name == SUMMARY_NAME


def is_compaction(message: Message) -> bool:
    return message.name == COMPACTION_NAME


def left_out(
    turns: Sequence[Message], pinned: Collection[int] = (), *, compacted: bool = True
) -> tuple[int, ...]:
    """The turns an earlier note replaced: every unpinned turn before the newest summary or
    compaction note. With `compacted` False (an API that cannot read a compaction: Chat
    Completions) compaction notes replace nothing and are left out themselves."""

    def replaces(m: Message) -> bool:
        return is_summary(m) or (compacted and is_compaction(m))

    last_note = max((i for i, m in enumerate(turns) if replaces(m)), default=-1)
    gone = {i for i in range(last_note) if i not in pinned}
    if not compacted:
        gone.update(i for i, m in enumerate(turns) if is_compaction(m))
    return tuple(sorted(gone))


def fit(
    turns: Sequence[Message],
    sizes: Sequence[int],
    base: int,
    budget: int | None,
    *,
    pinned: Collection[int] = (),
    drop: bool = True,
    compacted: bool = True,
) -> Fit:
    """The turns to send so that the request fits `budget`.

    Turns an earlier summary replaced are never sent. With `drop`, the oldest remaining turns
    are then left out, one exchange at a time (a user turn with the answers, tool calls and tool
    results that follow it, so no tool result is sent without its call), until the rest fits;
    pinned turns and the newest exchange stay. Without `drop` (or when nothing more can go),
    `fits` says whether what is left fits.

    Args:
        turns: the conversation's turns (`Conversation.turns` plus the new message, if any).
        sizes: the input tokens of each turn.
        base: the input tokens of the rest of the request (system prompt, tools).
        budget: the input tokens allowed (`input_budget`); None: unknown, everything fits.
        pinned: indexes of turns that always stay.
        drop: leave out the oldest turns when needed.
        compacted: the API reads compaction notes (Responses); see `left_out`.
    """
    gone = set(left_out(turns, pinned, compacted=compacted))
    kept = [i for i in range(len(turns)) if i not in gone]
    tokens = base + sum(sizes[i] for i in kept)
    if budget is None or tokens <= budget:
        return Fit(tuple(kept), tuple(sorted(gone)), tokens, True)
    if drop:
        for group in _exchanges(turns, kept)[:-1]:  # the newest exchange always stays
            removable = [i for i in group if i not in pinned]
            kept = [i for i in kept if i not in removable]
            gone.update(removable)
            tokens -= sum(sizes[i] for i in removable)
            if tokens <= budget:
                break
    return Fit(tuple(kept), tuple(sorted(gone)), tokens, tokens <= budget)


def _exchanges(turns: Sequence[Message], indexes: Sequence[int]) -> list[list[int]]:
    """`indexes` grouped into exchanges: each starts at a user turn (or a summary note)."""
    groups: list[list[int]] = []
    for i in indexes:
        if not groups or turns[i].role == "user":
            groups.append([i])
        else:
            groups[-1].append(i)
    return groups


def summary_request_messages(turns: Sequence[Message]) -> tuple[Message, ...]:
    """The messages asking a model to summarise `turns` (one transcript, one instruction)."""
    lines: list[str] = []
    for m in turns:
        who = {"user": "User", "assistant": "Assistant", "tool": "Tool result"}.get(m.role, m.role)
        text = m.content.strip()
        if m.tool_calls:
            calls = ", ".join(f"{c.name}({c.arguments})" for c in m.tool_calls)
            text = f"{text}\n[called {calls}]".strip()
        if m.images:
            text = f"{text}\n[{len(m.images)} image(s)]".strip()
        lines.append(f"{who}: {text}")
    return (
        Message("system", _SUMMARY_INSTRUCTIONS),
        Message("user", "\n\n".join(lines)),
    )


def summary_note(text: str) -> Message:
    """The note that stands for the summarised turns from now on."""
    body = text.strip()
    if not body.startswith(SUMMARY_PREFIX.strip()):
        body = SUMMARY_PREFIX + body
    return Message("user", body, name=SUMMARY_NAME)


# --- compaction (OpenAI's /responses/compact) -------------------------------------------------

COMPACTED_PLACEHOLDER = "<compacted by OpenAI>"
"""What View code shows instead of a compaction's encrypted content."""


@dataclass(frozen=True, slots=True)
class Compaction:
    """What `/responses/compact` returned for the older turns, as kept in the conversation.

    Attributes:
        items: the compacted output as it is sent back as input: the user messages, then one
            `{"type": "compaction", "encrypted_content": ...}` item (only OpenAI can read it).
        turns: how many turns it replaced.
        tokens_before: the input tokens of those turns (the compact request's input).
        tokens_after: the input tokens the compacted form takes when sent (the user messages it
            keeps and the compaction item, the compact request's output).
        model: the model that compacted (the conversation's).
        cost: what the compact request cost, as the ledger priced it (None: unknown).
    """

    items: tuple[dict[str, Any], ...]
    turns: int
    tokens_before: int
    tokens_after: int
    model: str
    cost: Decimal | None = None

    def user_texts(self) -> list[str]:
        """The text of the user messages the compacted form keeps (sent again with it)."""
        out: list[str] = []
        for item in self.items:
            content = item.get("content")
            if isinstance(content, str):
                out.append(content)
            elif isinstance(content, list):
                out += [str(p["text"]) for p in content if isinstance(p, dict) and "text" in p]
        return out

    def text(self) -> str:
        """The note as the transcript shows it, in plain words."""
        n = self.turns
        cost = "cost unknown" if self.cost is None else f"cost {format_cost(self.cost)}"
        return (
            f"Earlier turns compacted by OpenAI: {n} turn{'s' if n != 1 else ''}, "
            f"{self.tokens_before:,} → {self.tokens_after:,} tokens, {cost}"
        )


def compacted_input(output: Sequence[Any]) -> tuple[dict[str, Any], ...]:
    """The compact response's `output` as input items: the user messages (role and content
    only) and the compaction item (type and encrypted content); anything else is not kept."""
    items: list[dict[str, Any]] = []
    for item in output:
        if not isinstance(item, dict):
            continue
        kind = item.get("type")
        if kind == "compaction" and isinstance(item.get("encrypted_content"), str):
            items.append({"type": "compaction", "encrypted_content": item["encrypted_content"]})
        elif kind == "message" and item.get("role") == "user":
            items.append({"type": "message", "role": "user", "content": item.get("content")})
    return tuple(items)


def compaction_note(compaction: Compaction) -> Message:
    """The note that stands for the compacted turns from now on (a user turn whose content is
    the compaction as JSON, so it is stored, reopened and exported with the conversation)."""
    data = {
        "compaction": {
            "items": list(compaction.items),
            "turns": compaction.turns,
            "tokens_before": compaction.tokens_before,
            "tokens_after": compaction.tokens_after,
            "model": compaction.model,
            "cost": None if compaction.cost is None else str(compaction.cost),
        }
    }
    return Message("user", json.dumps(data, ensure_ascii=False), name=COMPACTION_NAME)


def read_compaction(message: Message) -> Compaction | None:
    """The compaction a note holds; None for any other turn or a note that cannot be read."""
    if not is_compaction(message):
        return None
    try:
        raw = json.loads(message.content)["compaction"]
        cost = raw.get("cost")
        items = tuple(i for i in raw["items"] if isinstance(i, dict))
        if not any(i.get("type") == "compaction" for i in items):
            return None
        return Compaction(
            items=items,
            turns=int(raw.get("turns") or 0),
            tokens_before=int(raw.get("tokens_before") or 0),
            tokens_after=int(raw.get("tokens_after") or 0),
            model=str(raw.get("model") or ""),
            cost=None if cost is None else Decimal(str(cost)),
        )
    except (ValueError, KeyError, TypeError, AttributeError, InvalidOperation):
        return None


def compaction_items(message: Message) -> list[dict[str, Any]]:
    """The Responses input items a compaction note stands for ([] when it cannot be read)."""
    compaction = read_compaction(message)
    return [dict(i) for i in compaction.items] if compaction is not None else []


def note_size(message: Message) -> int | None:
    """The input tokens a compaction note takes when sent (None: not a compaction note)."""
    compaction = read_compaction(message)
    return None if compaction is None else compaction.tokens_after
