"""Conversation state kept on OpenAI ("Keep on OpenAI"), in one of two ways.

**As a chain of answers** (the default: `store` + `previous_response_id`).

With the switch on, each answer is stored on OpenAI (for 30 days) and the next request names it
(`previous_response_id`), so only the turns after it are sent. A stored answer can be continued
only while the turns it answered are still the ones in the conversation: an edit, a move, a
deleted or re-rolled turn, a fork from an earlier turn all change what came before. So each
answer keeps its response id together with a digest of the turns it answered (`chain_key`), and
`previous_response` continues from the last answer only when the digest still matches; otherwise
the whole conversation is sent (and stored again), which always works.

**As an OpenAI conversation** (`keep_as="conversation"`: a `conv_…` object, kept until deleted).
The first send creates the conversation seeded with the turns so far (`ConversationKeeper.start`,
at most 20 items per call, as the API takes them), and each request names it (`conversation`)
and sends only the new turns; the server appends the input and the answer itself. Unlike a
stored answer, a conversation grows: it cannot be continued from an earlier point. So the app
keeps one `KeptConversation` per local conversation (the id and the digest of every turn it
holds, stored in the history), and `conversation_to_continue` names it only while the turns up
to the last answer are exactly those. An edit, a deleted or re-rolled turn, a stopped or failed
answer: the digest no longer matches and a fresh conversation is seeded with the turns up to
that point; the old one is deleted on OpenAI then (it holds turns the user took back, and nothing
in the app would reach it again). A fork or a copy is a new local conversation with no
`KeptConversation`, so it starts its own: the original keeps using the old one.

The system prompt is not part of the digest: the API does not carry `instructions` over from the
previous response, so it is sent with every request anyway.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from playground.core.api.errors import from_exception
from playground.core.chat.responses import input_items
from playground.core.models import Message

KEEP_AS_CONVERSATION: Final = "conversation"
"""`ResponsesRequest.keep_as` for an OpenAI conversation (None: a chain of stored answers)."""
ITEMS_PER_CALL: Final = 20
"""The most items `conversations.create` and `conversations.items.create` take at a time."""


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


def _turns(messages: Sequence[Message]) -> list[Message]:
    return [m for m in messages if m.role not in ("system", "developer")]


def held_turns(messages: Sequence[Message]) -> list[Message]:
    """The turns of a request the server should hold already: up to the last answer (the new
    turns after it are what goes out; nothing is held before the first answer)."""
    turns = _turns(messages)
    last = max((i for i, m in enumerate(turns) if m.role == "assistant"), default=-1)
    return turns[: last + 1]


@dataclass(frozen=True, slots=True)
class KeptConversation:
    """An OpenAI conversation kept for one local conversation: its id and the digest
    (`chain_key`) of every turn it holds."""

    conversation_id: str
    turns: str

    def to_json(self) -> str:
        return json.dumps({"conversation": self.conversation_id, "turns": self.turns})

    @classmethod
    def from_json(cls, text: str) -> KeptConversation | None:
        """The record `to_json` wrote; None for "" or anything unreadable."""
        try:
            raw = json.loads(text) if text else None
        except ValueError:
            return None
        if not isinstance(raw, dict):
            return None
        conversation, turns = raw.get("conversation"), raw.get("turns")
        if not isinstance(conversation, str) or not conversation or not isinstance(turns, str):
            return None
        return cls(conversation, turns)


def seeded(conversation_id: str, seed: Sequence[Message]) -> KeptConversation:
    """A conversation just created with the turns `seed`."""
    return KeptConversation(conversation_id, chain_key(seed))


def after_answer(
    conversation_id: str, sent: Sequence[Message], answer: Message
) -> KeptConversation:
    """The conversation after an answer: the server appended the new turns and the answer, so it
    holds every turn of the request (`sent`) and the answer."""
    return KeptConversation(conversation_id, chain_key([*_turns(sent), answer]))


def conversation_to_continue(
    messages: Sequence[Message], kept: KeptConversation | None
) -> str | None:
    """The conversation a request of `messages` can name, or None when a new one must be seeded
    (`held_turns(messages)`): none yet, or it holds other turns than the ones up to the last
    answer (an edit, a deleted or re-rolled turn, an answer that failed or was stopped)."""
    if kept is None or kept.turns != chain_key(held_turns(messages)):
        return None
    return kept.conversation_id


def batches(items: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """`items` in the API's batches of at most `ITEMS_PER_CALL`."""
    return [list(items[i : i + ITEMS_PER_CALL]) for i in range(0, len(items), ITEMS_PER_CALL)]


@dataclass(frozen=True, slots=True)
class KeptOnOpenAI:
    """What a stored conversation keeps on OpenAI: its OpenAI conversation (or "") and the ids of
    its stored answers (the chain)."""

    conversation_id: str = ""
    response_ids: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.conversation_id or self.response_ids)


def kept_on_openai(response_ids: Iterable[str], server_state: str) -> KeptOnOpenAI:
    """What to delete on OpenAI for a conversation: its kept answers' ids (in order, once each)
    and the conversation in its stored `KeptConversation` record."""
    kept = KeptConversation.from_json(server_state)
    ids = tuple(dict.fromkeys(i for i in response_ids if i))
    return KeptOnOpenAI(kept.conversation_id if kept else "", ids)


@dataclass(frozen=True, slots=True)
class Deleted:
    """What `ConversationKeeper.delete_all` did: how many things were deleted, how many were
    gone already (deleted before, or past OpenAI's 30 days)."""

    deleted: int = 0
    gone: int = 0


def _delete_response(response_id: str, client: Any) -> Any:
    return client.responses.delete(response_id)


async def _delete_conversation(conversation_id: str, client: Any) -> None:
    items = client.conversations.items
    ids = [item.id async for item in items.list(conversation_id, limit=100)]
    for item_id in ids:
        await items.delete(item_id, conversation_id=conversation_id)
    await client.conversations.delete(conversation_id)


class ConversationKeeper:
    """OpenAI conversations and stored answers: create and seed, delete.

    Args:
        client_source: returns the current SDK client, per call.
    """

    def __init__(self, client_source: Callable[[], Any]) -> None:
        self._client_source = client_source

    async def start(self, seed: Sequence[Message], model: str = "") -> str:
        """Creates a conversation holding the turns `seed` (20 items per call: `create` with the
        first, `items.create` for the rest) and returns its id. If a later batch fails, the new
        conversation is deleted again (best effort) before the error is raised.

        Raises:
            AppError: the server refused or could not be reached (a 404: it has no
                conversations).
        """
        client = self._client_source()
        parts = batches(input_items(_turns(seed)))
        base_url = str(client.base_url)
        try:
            created = await client.conversations.create(items=parts[0] if parts else [])
        except Exception as exc:
            raise from_exception(exc, model=model, base_url=base_url) from exc
        conversation_id = str(created.id)
        try:
            for part in parts[1:]:
                await client.conversations.items.create(conversation_id, items=part)
        except Exception as exc:
            error = from_exception(exc, model=model, base_url=base_url)
            with contextlib.suppress(Exception):  # the first error is the one to show
                await client.conversations.delete(conversation_id)
            raise error from exc
        return conversation_id

    async def delete(self, conversation_id: str) -> bool:
        """Deletes a conversation on OpenAI with every item in it (the SDK notes that deleting a
        conversation leaves its items, so they are deleted first, one by one); False when it was
        gone already (a 404).

        Raises:
            AppError: any other failure (the items deleted before it stay deleted).
        """
        return await self._delete(functools.partial(_delete_conversation, conversation_id))

    async def delete_all(self, kept: KeptOnOpenAI) -> Deleted:
        """Deletes the conversation and the stored answers of `kept` (what is gone already is
        counted, not an error).

        Raises:
            AppError: the first failure other than "not found" (what came before it is deleted).
        """
        deleted = gone = 0
        calls: list[Callable[[Any], Any]] = []
        if kept.conversation_id:
            calls.append(functools.partial(_delete_conversation, kept.conversation_id))
        calls += [functools.partial(_delete_response, r) for r in kept.response_ids]
        for call in calls:
            if await self._delete(call):
                deleted += 1
            else:
                gone += 1
        return Deleted(deleted, gone)

    async def _delete(self, call: Callable[[Any], Any]) -> bool:
        client = self._client_source()
        try:
            await call(client)
        except Exception as exc:
            error = from_exception(exc, base_url=str(client.base_url))
            if error.status == 404:
                return False
            raise error from exc
        return True
