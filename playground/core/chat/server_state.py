"""Conversation state kept on OpenAI ("Keep on OpenAI": `store` + `previous_response_id`).

With the switch on, each answer is stored on OpenAI (for 30 days) and the next request names it
(`previous_response_id`), so only the turns after it are sent. A stored answer can be continued
only while the turns it answered are still the ones in the conversation: an edit, a move, a
deleted or re-rolled turn, a fork from an earlier turn all change what came before. So each
answer keeps its response id together with a digest of the turns it answered (`chain_key`), and
`previous_response` continues from the last answer only when the digest still matches; otherwise
the whole conversation is sent (and stored again), which always works.

The system prompt is not part of the digest: the API does not carry `instructions` over from the
previous response, so it is sent with every request anyway.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from playground.core.models import Message


@dataclass(frozen=True, slots=True)
class KeptResponse:
    """An answer stored on OpenAI: its response id and the digest of the turns it answered
    (the answer included)."""

    response_id: str
    chain: str


def chain_key(turns: Sequence[Message]) -> str:
    """A digest of `turns` as the server holds them (system messages left out)."""
    digest = hashlib.sha256()
    for message in turns:
        if message.role in ("system", "developer"):
            continue
        digest.update(json.dumps(message.to_api(), sort_keys=True).encode())
        digest.update(b"\x1e")
    return digest.hexdigest()[:32]


def kept_response(
    response_id: str | None, sent: Sequence[Message], answer: Message
) -> KeptResponse | None:
    """What to remember of an answer stored on OpenAI (None without a response id)."""
    if not response_id:
        return None
    return KeptResponse(response_id, chain_key([*sent, answer]))


def previous_response(messages: Sequence[Message], kept: Mapping[int, KeptResponse]) -> str | None:
    """The response id to continue from for a request of `messages`, or None to send them all.

    Args:
        messages: the request's messages (a leading system prompt is skipped).
        kept: turn index (counting the non-system messages) -> the stored answer at that index.
    """
    turns = [m for m in messages if m.role not in ("system", "developer")]
    last = max((i for i, m in enumerate(turns) if m.role == "assistant"), default=-1)
    if last < 0:
        return None  # nothing answered yet
    stored = kept.get(last)
    if stored is None or stored.chain != chain_key(turns[: last + 1]):
        return None
    return stored.response_id
