"""Fine-tuning examples built from saved Chat conversations (the Dataset doctor's "From Chat").

Plain Python, no Qt; the history is read through `core/storage/history`'s public API only.

Each answer the user picks becomes one example: the conversation's system prompt and every turn
up to that answer. Earlier answers in it are kept for context with `"weight": 0`, so each answer
is learned once, in the example that ends with it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from playground.core.storage.history import StoredConversation

PREVIEW = 90  # characters of a question or an answer shown in the turn list


@dataclass(frozen=True, slots=True)
class AnswerTurn:
    """One answer of a conversation that can become an example.

    Attributes:
        index: the answer's position among the conversation's messages.
        question: the start of the user message before it.
        answer: the start of the answer.
    """

    index: int
    question: str
    answer: str

    @property
    def text(self) -> str:
        return f"You: {self.question}\nAnswer: {self.answer}"


def _short(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= PREVIEW else line[: PREVIEW - 1] + "…"


def answer_turns(conversation: StoredConversation) -> list[AnswerTurn]:
    """The conversation's answers with text (an assistant message after a user message)."""
    turns: list[AnswerTurn] = []
    question = ""
    for index, stored in enumerate(conversation.messages):
        message = stored.message
        if message.role == "user":
            question = message.content or ("(a picture)" if message.images else "")
        elif message.role == "assistant" and message.content.strip() and question:
            turns.append(AnswerTurn(index, _short(question), _short(message.content)))
    return turns


def examples(conversation: StoredConversation, chosen: Iterable[int] | None = None) -> list[str]:
    """JSONL lines, one per chosen answer (`chosen`: answer indexes; None: every answer)."""
    wanted = ({t.index for t in answer_turns(conversation)} if chosen is None else set(chosen)) & {
        t.index for t in answer_turns(conversation)
    }
    head: list[dict[str, Any]] = []
    if conversation.system_prompt.strip():
        head.append({"role": "system", "content": conversation.system_prompt})
    lines: list[str] = []
    so_far: list[dict[str, Any]] = []
    for index, stored in enumerate(conversation.messages):
        message = stored.message.to_api()
        if index in wanted:
            lines.append(json.dumps({"messages": [*head, *so_far, message]}, ensure_ascii=False))
        if stored.message.role == "assistant":
            message = {**message, "weight": 0}  # context for the later answers, not learned
        so_far.append(message)
    return lines


def build_dataset(picked: Sequence[tuple[StoredConversation, Iterable[int] | None]]) -> bytes:
    """The JSONL file of every picked conversation's chosen answers, in the order given."""
    lines = [line for conversation, chosen in picked for line in examples(conversation, chosen)]
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
