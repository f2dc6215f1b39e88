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

Turns are counted in the conversation's own indexes (`Conversation.turns`, no system prompt), so
the view can grey out exactly the turns a request leaves out. The caller counts (each turn's
tokens once, so a long conversation is measured in one pass), so the logic needs neither a
tokenizer nor Qt.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

from playground.core.models import Message


class Strategy(StrEnum):
    """What happens when the conversation no longer fits the model's window."""

    ASK = "ask"
    DROP = "drop"
    SUMMARISE = "summarise"
    SERVER = "server"


STRATEGY_LABELS: dict[Strategy, str] = {
    Strategy.ASK: "Ask me first",
    Strategy.DROP: "Drop oldest",
    Strategy.SUMMARISE: "Summarise",
    Strategy.SERVER: "OpenAI trims",
}
"""Plain words for each strategy, as the panel offers them."""

WARN_AT = 0.8
"""The share of the window at which the context bar warns that the limit is near."""

SUMMARY_NAME = "context_summary"
"""`Message.name` of a summary note (how a note is told from a turn the user wrote)."""

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


def left_out(turns: Sequence[Message], pinned: Collection[int] = ()) -> tuple[int, ...]:
    """The turns an earlier summary replaced: every unpinned turn before the newest note."""
    last_note = max((i for i, m in enumerate(turns) if is_summary(m)), default=-1)
    return tuple(i for i in range(last_note) if i not in pinned)


def fit(
    turns: Sequence[Message],
    sizes: Sequence[int],
    base: int,
    budget: int | None,
    *,
    pinned: Collection[int] = (),
    drop: bool = True,
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
    """
    gone = set(left_out(turns, pinned))
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
