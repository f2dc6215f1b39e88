"""The Chat tab's conversation history: every conversation in SQLite, saved as it happens.

One `HistoryStore` owns one connection (stdlib `sqlite3`, WAL journal) to a database file of its own
(the app uses `data_dir / "history.sqlite3"`). As in the usage ledger, the connection is opened with
`check_same_thread=False` and every use holds the store's lock, so a worker thread may write while the
GUI thread reads.

Storage choices:

* `conversations` has an integer `key` (the rowid, stable across VACUUM) besides the public text
  `id` (`Conversation.id`). Parameters are the `ChatRequest` fields except `messages`, as JSON,
  with the `ResponsesRequest` settings (built-in tools without their headers, which belong in the
  keyring) and the API the conversation uses ("api") when they are set.
  `message_count`, `preview` and `model` are kept up to date on every write, so the side list and
  search never read the messages table. A partial index on `(last_used DESC, key DESC) WHERE
  deleted_at IS NULL` gives the list in order without sorting.
* Message ids are clustered by conversation: `id = (conversation key << 32) + seq`, where `seq` only
  grows within a conversation. All messages of a conversation are one contiguous rowid range (loading
  1,000 turns is a single range scan, no index needed), rowid order is message order, and the
  conversation of a full-text hit is `rowid >> 32`, with no join. `replace_messages` gives the new
  list fresh ids, so the order still holds.
* Full-text search uses two external-content FTS5 tables (message contents, titles) kept in step by
  triggers, with the `unicode61 remove_diacritics 2` tokenizer (so "cafe" finds "café") and prefix
  indexes. User text is never passed to FTS5 as syntax: every word becomes a quoted prefix term. When
  this Python's SQLite has no FTS5, search falls back to LIKE (slower, no ranking) and a warning is
  logged; the index is rebuilt the next time FTS5 is available.
* A streamed reply is written while it streams: `stream_update` keeps fragments in memory and writes
  the text at most once per `flush_interval` (1 s), so a crash or kill loses at most about a second.
  Each write is its own transaction; with `synchronous = NORMAL` in WAL mode a committed write
  survives the app being killed (only a power cut may lose the newest commits).
* Times are fixed-width ISO-8601 UTC text (text order is time order). Costs are exact `Decimal`
  text. The schema version lives in `PRAGMA user_version`.

Anything the OS or SQLite refuses (a read-only or missing folder, a full disk, a damaged file, a
database from a newer app) raises `HistoryError` with a sentence a user can act on; an unknown
conversation or message raises its subclass `NotInHistoryError`.
"""

from __future__ import annotations

import builtins
import contextlib
import dataclasses
import json
import logging
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any, Final, TypeVar

from playground.core.chat.builtin_tools import (
    BuiltinTool,
    Citation,
    CodeInterpreterTool,
    FileSearchTool,
    ImageGenerationTool,
    McpTool,
    ToolStep,
    UserLocation,
    WebSearchTool,
    citation_to_dict,
    citations_from_json,
    step_to_dict,
    steps_from_json,
)
from playground.core.chat.service import ChatRequest, Conversation, ResponsesRequest
from playground.core.models import ImagePart, Message, ToolCall, Usage
from playground.core.storage.sqlite import SqliteStore

log = logging.getLogger(__name__)

SCHEMA_VERSION: Final = 2
TITLE_LENGTH: Final = 60
"""Auto-titles are the first user line, cut to about this many characters."""
PREVIEW_LENGTH: Final = 200
FLUSH_INTERVAL: Final = 1.0
"""Seconds between two writes of a streaming reply."""

_SEQ_BITS: Final = 32
_SEQ_MASK: Final = (1 << _SEQ_BITS) - 1
_MEMORY: Final = ":memory:"
_TOKENIZER: Final = "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'"

_SCHEMA_V1: Final = (
    """
    CREATE TABLE conversations (
        key           INTEGER PRIMARY KEY AUTOINCREMENT,
        id            TEXT    NOT NULL UNIQUE,
        title         TEXT    NOT NULL DEFAULT '',
        title_set     INTEGER NOT NULL DEFAULT 0,
        created       TEXT    NOT NULL,
        updated       TEXT    NOT NULL,
        last_used     TEXT    NOT NULL,
        deleted_at    TEXT,
        model         TEXT    NOT NULL DEFAULT '',
        params        TEXT    NOT NULL DEFAULT '{}',
        system_prompt TEXT    NOT NULL DEFAULT '',
        draft         TEXT    NOT NULL DEFAULT '',
        message_count INTEGER NOT NULL DEFAULT 0,
        preview       TEXT    NOT NULL DEFAULT '',
        next_seq      INTEGER NOT NULL DEFAULT 0
    )
    """,
    """
    CREATE INDEX conversations_by_use ON conversations (last_used DESC, key DESC)
        WHERE deleted_at IS NULL
    """,
    """
    CREATE INDEX conversations_deleted ON conversations (deleted_at)
        WHERE deleted_at IS NOT NULL
    """,
    """
    CREATE TABLE messages (
        id               INTEGER PRIMARY KEY,
        conversation_key INTEGER NOT NULL,
        position         INTEGER NOT NULL,
        role             TEXT    NOT NULL,
        content          TEXT    NOT NULL,
        name             TEXT,
        images           TEXT,
        tool_calls       TEXT,
        tool_call_id     TEXT,
        status           TEXT    NOT NULL DEFAULT 'ok',
        meta             TEXT,
        created          TEXT    NOT NULL,
        CHECK (id >> 32 = conversation_key)
    )
    """,
    "CREATE INDEX messages_streaming ON messages (status) WHERE status = 'streaming'",
)

_SCHEMA_V2: Final = (
    # What the conversation keeps on OpenAI (`core.chat.server_state.KeptConversation` as JSON,
    # "" for nothing). Not copied by duplicate or fork: a copy starts its own.
    "ALTER TABLE conversations ADD COLUMN server_state TEXT NOT NULL DEFAULT ''",
)

_FTS_TABLES: Final = (
    (
        "messages_fts",
        "CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5(content, "
        f"content = 'messages', content_rowid = 'id', {_TOKENIZER})",
    ),
    (
        "titles_fts",
        "CREATE VIRTUAL TABLE IF NOT EXISTS titles_fts USING fts5(title, "
        f"content = 'conversations', content_rowid = 'key', {_TOKENIZER})",
    ),
)

_FTS_TRIGGERS: Final = (
    (
        "messages_fts_insert",
        """CREATE TRIGGER IF NOT EXISTS messages_fts_insert AFTER INSERT ON messages BEGIN
            INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
        END""",
    ),
    (
        "messages_fts_delete",
        """CREATE TRIGGER IF NOT EXISTS messages_fts_delete AFTER DELETE ON messages BEGIN
            INSERT INTO messages_fts (messages_fts, rowid, content)
                VALUES ('delete', old.id, old.content);
        END""",
    ),
    (
        "messages_fts_update",
        """CREATE TRIGGER IF NOT EXISTS messages_fts_update AFTER UPDATE OF content ON messages
        BEGIN
            INSERT INTO messages_fts (messages_fts, rowid, content)
                VALUES ('delete', old.id, old.content);
            INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
        END""",
    ),
    (
        "titles_fts_insert",
        """CREATE TRIGGER IF NOT EXISTS titles_fts_insert AFTER INSERT ON conversations BEGIN
            INSERT INTO titles_fts (rowid, title) VALUES (new.key, new.title);
        END""",
    ),
    (
        "titles_fts_delete",
        """CREATE TRIGGER IF NOT EXISTS titles_fts_delete AFTER DELETE ON conversations BEGIN
            INSERT INTO titles_fts (titles_fts, rowid, title) VALUES ('delete', old.key, old.title);
        END""",
    ),
    (
        "titles_fts_update",
        """CREATE TRIGGER IF NOT EXISTS titles_fts_update AFTER UPDATE OF title ON conversations
        BEGIN
            INSERT INTO titles_fts (titles_fts, rowid, title) VALUES ('delete', old.key, old.title);
            INSERT INTO titles_fts (rowid, title) VALUES (new.key, new.title);
        END""",
    ),
)

_SUMMARY_COLUMNS: Final = (
    "c.key, c.id, c.title, c.created, c.updated, c.last_used, c.message_count, c.model, "
    "c.preview, c.draft <> ''"
)
_MESSAGE_COLUMNS: Final = (
    "id, role, content, name, images, tool_calls, tool_call_id, status, meta, created"
)
_NOT_EMPTY: Final = " AND (c.message_count > 0 OR c.draft <> '')"

T = TypeVar("T")


class HistoryError(Exception):
    """The history cannot be opened, read or written; the message says why in plain words."""


class NotInHistoryError(HistoryError):
    """The conversation or message asked for is not in the history (or no longer)."""


class MessageStatus(StrEnum):
    """How a stored message ended."""

    OK = "ok"
    STOPPED = "stopped"
    """The user stopped the reply; the text is what arrived."""
    ERROR = "error"
    """The request failed (or the app closed) mid-reply; the text is what arrived."""
    STREAMING = "streaming"
    """Still arriving (or the app was killed while it did: see `recover_interrupted`)."""


@dataclass(frozen=True, slots=True)
class ModerationNote:
    """The Chat tab's moderation check of one turn, as its badge showed it.

    Attributes:
        state: "clear", "flagged" or "failed" (the badge's look).
        badge: the badge's text ("Flagged: violence").
        tip: its tooltip (the scores, or why the check failed).
    """

    state: str
    badge: str
    tip: str = ""


@dataclass(frozen=True, slots=True)
class MessageMeta:
    """What is known about one turn beyond its text (mostly for assistant replies).

    Attributes:
        status: how the message ended.
        model: the model that answered.
        usage: the server's usage (or a local estimate, `usage.estimated`), None if unknown.
        cost: the exact price of the request, None if unknown.
        finish_reason: "stop", "length", "content_filter", "tool_calls" or "".
        request_id: the server's x-request-id.
        system_fingerprint: the backend configuration that answered.
        ttft_ms: time to first token.
        elapsed_ms: time from sending to the last byte.
        error: the plain-words error shown under a failed reply, or "".
        moderation: the moderation check's verdict on the turn, if one was made.
        response_id: the Responses API's id of the answer, if it has one.
        response_chain: for an answer kept on OpenAI ("Keep on OpenAI"), the digest of the turns
            it answered (`core.chat.server_state.chain_key`); "" when not kept.
        alternatives: the other answers to the same request that Regenerate kept, in the order
            they came; the turn's own text is the one shown (and sent as context next).
        alternative_index: where the shown answer sits among all of them (0 = the first).
        reasoning: the model's reasoning summary (the "Thinking" section), or "".
        steps: the built-in tool steps of the answer (web search, code interpreter, …).
        citations: the sources the answer cites.
        pinned: the turn is always sent, however long the conversation grows.
        stream_mark: for a background answer still running on OpenAI, (the sequence number of
            the last event its stored text holds, the length of that text); the text after that
            length was written later and is read again from the stream when it is picked up.
    """

    status: MessageStatus = MessageStatus.OK
    model: str = ""
    usage: Usage | None = None
    cost: Decimal | None = None
    finish_reason: str = ""
    request_id: str | None = None
    system_fingerprint: str | None = None
    ttft_ms: float | None = None
    elapsed_ms: float | None = None
    error: str = ""
    moderation: ModerationNote | None = None
    response_id: str | None = None
    response_chain: str = ""
    alternatives: tuple[Alternative, ...] = ()
    alternative_index: int = 0
    reasoning: str = ""
    steps: tuple[ToolStep, ...] = ()
    citations: tuple[Citation, ...] = ()
    pinned: bool = False
    stream_mark: tuple[int, int] | None = None

    def answers(self, shown: str) -> list[Alternative]:
        """Every answer of the turn in the order they came, `shown` (the turn's text) in its
        place."""
        here = Alternative(shown, dataclasses.replace(self, alternatives=(), alternative_index=0))
        at = min(max(self.alternative_index, 0), len(self.alternatives))
        return [*self.alternatives[:at], here, *self.alternatives[at:]]


@dataclass(frozen=True, slots=True)
class Alternative:
    """An answer Regenerate kept beside the one shown: its text and its own numbers."""

    text: str
    meta: MessageMeta


def pick_answer(answers: Sequence[Alternative], index: int) -> tuple[str, MessageMeta]:
    """The text and meta of a turn that shows `answers[index]` and keeps the others."""
    chosen = answers[index]
    others = tuple(a for i, a in enumerate(answers) if i != index)
    return chosen.text, dataclasses.replace(
        chosen.meta, alternatives=others, alternative_index=index
    )


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A message as stored.

    Attributes:
        id: the message id (for `update_message`, `finish_reply`); changes on `replace_messages`.
        message: the message itself.
        meta: status, usage, cost and the rest.
        created: when the message was first stored (UTC).
    """

    id: int
    message: Message
    meta: MessageMeta
    created: datetime


@dataclass(frozen=True, slots=True)
class StoredConversation:
    """Everything needed to reopen a conversation where it was left.

    Attributes:
        id: `Conversation.id`.
        title: the user's title, or the automatic one (the first user line).
        title_set: True once the user renamed it (the automatic title no longer follows).
        params: the settings of the conversation as a `ChatRequest` with no messages (a
            `ResponsesRequest` when a Responses setting was stored).
        system_prompt: the system prompt.
        draft: the unsent text in the input box.
        created: when it was created (UTC).
        updated: when its messages last changed.
        last_used: when it was last used (changed or `touch`-ed); the list's order.
        deleted_at: when it was deleted (soft), or None.
        messages: the turns in order, system prompt not included.
        api: the API the conversation uses ("responses", "chat.completions"), or "" when it was
            stored without one (by an older version).
    """

    id: str
    title: str
    title_set: bool
    params: ChatRequest
    system_prompt: str
    draft: str
    created: datetime
    updated: datetime
    last_used: datetime
    deleted_at: datetime | None
    messages: tuple[StoredMessage, ...]
    api: str = ""

    def to_conversation(self) -> Conversation:
        """The in-memory `Conversation` the chat controller works with."""
        return Conversation(
            id=self.id,
            system_prompt=self.system_prompt,
            turns=[stored.message for stored in self.messages],
        )


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    """One row of the side list or of the search results.

    Attributes:
        id: `Conversation.id`.
        title: the title ("" until the first user message, for the UI to show "New chat").
        created: when it was created (UTC).
        updated: when its messages last changed.
        last_used: when it was last used.
        message_count: number of messages.
        model: the conversation's model.
        preview: the first line of the first user message.
        has_draft: whether unsent text is waiting in it.
        snippet: search results only: the matching text around the first hit, or "".
        highlights: (start, end) spans of the matched words in `snippet`.
    """

    id: str
    title: str
    created: datetime
    updated: datetime
    last_used: datetime
    message_count: int
    model: str
    preview: str
    has_draft: bool
    snippet: str = ""
    highlights: tuple[tuple[int, int], ...] = ()


@dataclass(slots=True)
class _Stream:
    """A reply being streamed: text not yet written, and when it was last written."""

    parts: list[str]
    last_write: float
    pending: bool = False

    def text(self) -> str:
        if len(self.parts) > 1:
            self.parts[:] = ["".join(self.parts)]
        return self.parts[0] if self.parts else ""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _utc_text(moment: datetime) -> str:
    """Fixed-width ISO-8601 UTC. A naive datetime is taken as local time (Python's convention)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _first_line(text: str) -> str:
    for line in text.splitlines():
        collapsed = " ".join(line.split())
        if collapsed:
            return collapsed
    return ""


def auto_title(text: str, limit: int = TITLE_LENGTH) -> str:
    """The automatic title for a conversation whose first user message is `text`.

    Args:
        text: the message text.
        limit: the longest title before it is cut (at a word boundary when there is one) with "…".

    Returns:
        The first non-blank line with its whitespace collapsed, or "" if there is none.
    """
    line = _first_line(text)
    if len(line) <= limit:
        return line
    cut = line[:limit]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-–—") + "…"


def _preview(text: str) -> str:
    line = _first_line(text)
    return line if len(line) <= PREVIEW_LENGTH else line[: PREVIEW_LENGTH - 1] + "…"


def fts_query(text: str) -> str | None:
    """The FTS5 query for what the user typed: every word a quoted prefix term, all required.

    Nothing the user types is read as FTS5 syntax (quotes, `*`, `-`, `NEAR`, `AND`...), so no input
    can raise. Words without a letter or digit (`++`, `"`) are dropped. A word with a single
    letter or digit (`a`, `c++`) must match a whole word: as a prefix it would match nearly every
    message, and take seconds over a large history.

    Returns:
        The query, or None when no word is left to search for.
    """
    terms: list[str] = []
    for word in text.replace("\x00", " ").split():  # FTS5 reads NUL as the end of the query
        letters = sum(ch.isalnum() for ch in word)
        if letters:
            terms.append('"' + word.replace('"', '""') + ('"*' if letters > 1 else '"'))
    return " ".join(terms) or None


def _like_terms(text: str) -> list[str]:
    return [word for word in text.replace("\x00", " ").split() if any(c.isalnum() for c in word)]


def _like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _like_snippet(
    text: str, words: Sequence[str], width: int = 80
) -> tuple[str, tuple[tuple[int, int], ...]]:
    """A window of `text` (one line) around the first of `words`, with every word highlighted.

    Case folding is ASCII-simple here (`str.lower`), so spans stay aligned with the text.
    """
    low = text.lower()
    found = [at for at in (low.find(w.lower()) for w in words) if at >= 0]
    begin = max(0, min(found, default=0) - width // 3)
    end = min(len(text), begin + width)
    prefix = "…" if begin > 0 else ""
    suffix = "…" if end < len(text) else ""
    window = low[begin:end]
    spans: list[tuple[int, int]] = []
    for word in words:
        needle = word.lower()
        at = window.find(needle)
        while needle and at >= 0:
            spans.append((len(prefix) + at, len(prefix) + at + len(needle)))
            at = window.find(needle, at + len(needle))
    return prefix + text[begin:end] + suffix, tuple(sorted(spans))


# --- JSON encodings -------------------------------------------------------------------------------


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_PARAM_FIELDS: Final = tuple(f for f in dataclasses.fields(ChatRequest) if f.name != "messages")
_RESPONSES_FIELDS: Final = (
    "reasoning_summary",
    "verbosity",
    "service_tier",
    "store",
    "context_strategy",
    "summary_model",
    "background",
    "prompt_cache_key",
    "prompt_cache_ttl",
    "keep_as",
)
"""The `ResponsesRequest` settings stored with a conversation besides its built-in tools (the
response id and MCP approvals belong to one send)."""
_TOOL_CLASSES: Final[dict[str, type[Any]]] = {
    "web_search": WebSearchTool,
    "file_search": FileSearchTool,
    "code_interpreter": CodeInterpreterTool,
    "image_generation": ImageGenerationTool,
    "mcp": McpTool,
}


def _params_json(params: ChatRequest, api: str = "") -> str:
    values: dict[str, Any] = {f.name: getattr(params, f.name) for f in _PARAM_FIELDS}
    if isinstance(params, ResponsesRequest):
        for name in _RESPONSES_FIELDS:
            value = getattr(params, name)
            if value:
                values[name] = value
        if params.builtin_tools:
            values["builtin_tools"] = [_tool_json(t) for t in params.builtin_tools]
    if api:
        values["api"] = api
    return _dumps(values)


def _tool_json(tool: BuiltinTool) -> dict[str, Any]:
    out = dataclasses.asdict(tool)
    out.pop("headers", None)  # secrets: kept in the keyring, never in the history file
    return out


def _tool_from_json(raw: Any) -> BuiltinTool | None:
    if not isinstance(raw, dict):
        return None
    cls = _TOOL_CLASSES.get(str(raw.get("kind")))
    if cls is None:  # a tool a newer version knows: dropped rather than guessed
        return None
    names = {f.name for f in dataclasses.fields(cls)} - {"kind", "headers"}
    values: dict[str, Any] = {}
    for name in names & set(raw):
        value = raw[name]
        if name == "user_location" and isinstance(value, dict):
            value = UserLocation(**{k: str(v) for k, v in value.items() if k in _LOCATION})
        elif isinstance(value, list):
            value = tuple(value)
        values[name] = value
    try:
        tool: BuiltinTool = cls(**values)
    except TypeError:  # a required value is missing
        return None
    return tool


_LOCATION: Final = frozenset(f.name for f in dataclasses.fields(UserLocation))


def _params_from_json(text: str) -> ChatRequest:
    raw = json.loads(text)
    if not isinstance(raw, dict):
        raise TypeError("parameters are not an object")
    values: dict[str, Any] = {}
    for f in _PARAM_FIELDS:
        if f.name not in raw:  # written by an older version: the default applies
            continue
        value = raw[f.name]
        if isinstance(value, list) and str(f.type).startswith("tuple"):
            value = tuple(value)
        values[f.name] = value
    extra: dict[str, Any] = {name: raw[name] for name in _RESPONSES_FIELDS if raw.get(name)}
    tools = [_tool_from_json(t) for t in raw.get("builtin_tools") or ()]
    if any(tools):
        extra["builtin_tools"] = tuple(t for t in tools if t is not None)
    if extra:
        return ResponsesRequest(messages=(), **values, **extra)
    return ChatRequest(messages=(), **values)


def _api_from_json(text: str) -> str:
    raw = json.loads(text)
    return str(raw.get("api") or "") if isinstance(raw, dict) else ""


def _images_json(images: tuple[ImagePart, ...]) -> str | None:
    if not images:
        return None
    return _dumps(
        [{"url": i.url, "detail": i.detail, "width": i.width, "height": i.height} for i in images]
    )


def _images_from_json(text: str | None) -> tuple[ImagePart, ...]:
    if not text:
        return ()
    return tuple(
        ImagePart(
            url=str(i["url"]),
            detail=str(i.get("detail", "auto")),
            width=_opt_int(i.get("width")),
            height=_opt_int(i.get("height")),
        )
        for i in json.loads(text)
    )


def _tool_calls_json(calls: tuple[ToolCall, ...]) -> str | None:
    if not calls:
        return None
    return _dumps([{"id": c.id, "name": c.name, "arguments": c.arguments} for c in calls])


def _tool_calls_from_json(text: str | None) -> tuple[ToolCall, ...]:
    if not text:
        return ()
    return tuple(
        ToolCall(id=str(c["id"]), name=str(c["name"]), arguments=str(c["arguments"]))
        for c in json.loads(text)
    )


_USAGE_FIELDS: Final = tuple(f.name for f in dataclasses.fields(Usage))


def _meta_json(meta: MessageMeta) -> str | None:
    out: dict[str, Any] = {}
    if meta.model:
        out["model"] = meta.model
    if meta.usage is not None:
        out["usage"] = {
            name: getattr(meta.usage, name) for name in _USAGE_FIELDS if getattr(meta.usage, name)
        }
    if meta.cost is not None:
        if not meta.cost.is_finite():
            raise ValueError(f"cost must be a finite Decimal, got {meta.cost!r}")
        out["cost"] = str(meta.cost)
    if meta.finish_reason:
        out["finish_reason"] = meta.finish_reason
    if meta.request_id is not None:
        out["request_id"] = meta.request_id
    if meta.system_fingerprint is not None:
        out["system_fingerprint"] = meta.system_fingerprint
    if meta.ttft_ms is not None:
        out["ttft_ms"] = meta.ttft_ms
    if meta.elapsed_ms is not None:
        out["elapsed_ms"] = meta.elapsed_ms
    if meta.error:
        out["error"] = meta.error
    if meta.moderation is not None:
        out["moderation"] = _moderation_dict(meta.moderation)
    if meta.response_id is not None:
        out["response_id"] = meta.response_id
    if meta.response_chain:
        out["response_chain"] = meta.response_chain
    if meta.alternatives:
        out["alternatives"] = [
            {
                "text": alt.text,
                "status": alt.meta.status.value,
                "meta": json.loads(_meta_json(alt.meta) or "{}"),
            }
            for alt in meta.alternatives
        ]
        out["alternative_index"] = meta.alternative_index
    if meta.reasoning:
        out["reasoning"] = meta.reasoning
    if meta.steps:
        out["steps"] = [step_to_dict(step) for step in meta.steps]
    if meta.citations:
        out["citations"] = [citation_to_dict(c) for c in meta.citations]
    if meta.pinned:
        out["pinned"] = True
    if meta.stream_mark is not None:
        out["stream_mark"] = list(meta.stream_mark)
    return _dumps(out) if out else None


def _moderation_dict(note: ModerationNote) -> dict[str, str]:
    return {"state": note.state, "badge": note.badge, "tip": note.tip}


def _meta_from_json(status: str, text: str | None) -> MessageMeta:
    raw: dict[str, Any] = json.loads(text) if text else {}
    usage = raw.get("usage")
    cost = raw.get("cost")
    return MessageMeta(
        status=MessageStatus(status),
        model=str(raw.get("model", "")),
        usage=None if usage is None else Usage(**usage),
        cost=None if cost is None else Decimal(str(cost)),
        finish_reason=str(raw.get("finish_reason", "")),
        request_id=_opt_str(raw.get("request_id")),
        system_fingerprint=_opt_str(raw.get("system_fingerprint")),
        ttft_ms=_opt_float(raw.get("ttft_ms")),
        elapsed_ms=_opt_float(raw.get("elapsed_ms")),
        error=str(raw.get("error", "")),
        moderation=_moderation_from(raw.get("moderation")),
        response_id=_opt_str(raw.get("response_id")),
        response_chain=str(raw.get("response_chain", "")),
        alternatives=_alternatives_from(raw.get("alternatives")),
        alternative_index=_opt_int(raw.get("alternative_index")) or 0,
        reasoning=str(raw.get("reasoning") or ""),
        steps=steps_from_json(raw.get("steps")),
        citations=citations_from_json(raw.get("citations")),
        pinned=raw.get("pinned") is True,
        stream_mark=_stream_mark(raw.get("stream_mark")),
    )


def _stream_mark(raw: object) -> tuple[int, int] | None:
    if isinstance(raw, list) and len(raw) == 2 and all(type(v) is int for v in raw):
        return (raw[0], raw[1])
    return None


def _alternatives_from(raw: object) -> tuple[Alternative, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(
        Alternative(
            str(item.get("text", "")),
            _meta_from_json(str(item.get("status", "ok")), _dumps(item.get("meta") or {})),
        )
        for item in raw
        if isinstance(item, dict)
    )


def _moderation_from(raw: object) -> ModerationNote | None:
    if not isinstance(raw, dict):
        return None
    return ModerationNote(
        str(raw.get("state", "")), str(raw.get("badge", "")), str(raw.get("tip", ""))
    )


def _opt_int(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, int):
        return value
    raise TypeError(f"expected an integer, got {value!r}")


def _opt_float(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    raise TypeError(f"expected a number, got {value!r}")


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


def _open_read_only(path: Path) -> sqlite3.Connection:
    """`path` opened read-only. A WAL database in a read-only folder cannot get its shared-memory
    file: it is then opened as immutable (nothing else may be writing it then).

    Raises:
        HistoryError: it cannot be opened, or is not a history.
    """
    last: Exception | None = None
    for query in ("mode=ro", "mode=ro&immutable=1"):
        try:
            conn = sqlite3.connect(
                f"{path.absolute().as_uri()}?{query}", uri=True, check_same_thread=False
            )
        except sqlite3.Error as exc:
            last = exc
            continue
        try:
            conn.execute("SELECT key FROM conversations LIMIT 1").fetchall()
            return conn
        except sqlite3.Error as exc:
            last = exc
            conn.close()
    raise HistoryError(describe("read", f"at {path}", last or OSError("unreadable")))


def _readable_rows(
    source: sqlite3.Connection, table: str, key: str, columns: Sequence[str]
) -> builtins.list[tuple[Any, ...]]:
    """The rows of `table` that can be read, in `key` order: read on until a damaged page, then
    on again past it (at most 2,000 unreadable keys are stepped over)."""
    select = f"SELECT {', '.join(columns)} FROM {table} WHERE {key} > ? ORDER BY {key}"
    at = columns.index(key)
    rows: builtins.list[tuple[Any, ...]] = []
    last, misses = -1, 0
    while misses < 2_000:
        try:
            for row in source.execute(select, (last,)):
                rows.append(row)
                last = int(row[at])
            break
        except sqlite3.DatabaseError:
            last, misses = last + 1, misses + 1
    return rows


def _fts5_available() -> bool:
    probe = sqlite3.connect(_MEMORY)
    try:
        probe.execute("CREATE VIRTUAL TABLE probe USING fts5(x)")
    except sqlite3.Error:
        return False
    finally:
        probe.close()
    return True


def _range(key: int) -> tuple[int, int]:
    """The first and last possible message id of the conversation with this key."""
    return key << _SEQ_BITS, (key << _SEQ_BITS) | _SEQ_MASK


# --- the store ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecoveredReply:
    """A reply a crash or kill cut off, found at start (`HistoryStore.recover_interrupted`): its
    request still needs its ledger row."""

    conversation_id: str
    message_id: int
    model: str
    text: str


class HistoryStore(SqliteStore):
    """The conversation history in SQLite.

    Args:
        path: the database file (created with its folder if missing), or None for a history in
            memory (see `in_memory`).
        clock: monotonic seconds, for throttling streamed writes (tests pass a fake).
        now: the current time, for created/updated/last-used/deleted stamps (tests pass a fake).
        flush_interval: seconds between two writes of a streaming reply.
        fts: None to use FTS5 when this SQLite has it; False to search with LIKE as if it had not.

    Raises:
        HistoryError: the file cannot be opened or created, is damaged, or is from a newer version.
    """

    _failure = HistoryError
    _closed_text = "The conversation history is closed."
    _store = "The conversation history"
    _full_hint = "Free some space; until then new messages are not saved."
    _damaged_hint = (
        "Move it aside (your settings and usage are not in it) and restart Playground to "
        "start a new history."
    )

    def __init__(
        self,
        path: Path | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = _utc_now,
        flush_interval: float = FLUSH_INTERVAL,
        fts: bool | None = None,
    ) -> None:
        self.path = path
        self._clock = clock
        self._now = now
        self._flush_interval = flush_interval
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._streams: dict[int, _Stream] = {}
        self.recovered: builtins.list[RecoveredReply] = []  # by the last recover_interrupted
        self._fts = _fts5_available() if fts is None else (fts and _fts5_available())
        if not self._fts:
            log.warning(
                "SQLite %s has no FTS5 full-text search (or it is turned off): "
                "conversation search uses slower LIKE matching.",
                sqlite3.sqlite_version,
            )
        self._conn = self._open(autocommit=True)

    @classmethod
    def salvage(cls, path: Path) -> tuple[HistoryStore, int]:
        """A history in memory holding every conversation of the file at `path` that can still be
        read, for a file that cannot be opened for writing (read-only, or damaged). The file is
        opened read-only and never changed; new conversations live in memory, for this session.

        Returns:
            (the history, how many conversations were copied).

        Raises:
            HistoryError: the file cannot be opened even read-only.
        """
        source = _open_read_only(path)
        store = cls(None)
        try:
            copied = store._copy_readable(source)
        finally:
            source.close()
        return store, copied

    def _copy_readable(self, source: sqlite3.Connection) -> int:
        """Copies each conversation of `source` whose row and messages can be read (a damaged
        page loses the conversations on it, not the others); returns how many."""
        conn = self._connection()
        conv_cols = [str(r[1]) for r in conn.execute("PRAGMA table_info(conversations)")]
        with contextlib.suppress(sqlite3.DatabaseError):  # an older file lacks newer columns
            have = {str(r[1]) for r in source.execute("PRAGMA table_info(conversations)")}
            conv_cols = [c for c in conv_cols if c in have] if have else conv_cols
        msg_cols = [str(r[1]) for r in conn.execute("PRAGMA table_info(messages)")]
        key_at = conv_cols.index("key")
        copied = 0
        for row in _readable_rows(source, "conversations", "key", conv_cols):
            key = int(row[key_at])
            try:
                messages = source.execute(
                    f"SELECT {', '.join(msg_cols)} FROM messages WHERE id >= ? AND id < ? "
                    "ORDER BY id",
                    (key << _SEQ_BITS, (key + 1) << _SEQ_BITS),
                ).fetchall()
            except sqlite3.DatabaseError as exc:
                log.warning("conversation %s unreadable, left out: %s", key, exc)
                continue

            def run(
                c: sqlite3.Connection, row: tuple[Any, ...] = row, rows: Any = messages
            ) -> None:
                c.execute(
                    f"INSERT INTO conversations ({', '.join(conv_cols)}) "
                    f"VALUES ({', '.join('?' * len(conv_cols))})",
                    row,
                )
                c.executemany(
                    f"INSERT INTO messages ({', '.join(msg_cols)}) "
                    f"VALUES ({', '.join('?' * len(msg_cols))})",
                    rows,
                )

            try:
                self._write(run)
            except HistoryError as exc:  # a row this version cannot take: leave it out
                log.warning("conversation %s not copied: %s", key, exc)
                continue
            copied += 1
        return copied

    @property
    def full_text_search(self) -> bool:
        """True when search uses FTS5, False for the LIKE fallback."""
        return self._fts

    def _prepare(self, conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA busy_timeout = 5000")  # another app window may be writing
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise HistoryError(
                f"The conversation history {self._where()} was written by a newer version of "
                f"Playground (format {version}, this version knows {SCHEMA_VERSION}). Update "
                "Playground to keep using it."
            )
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        if version == SCHEMA_VERSION and self._fts_in_step(conn):
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Read again inside the write lock: another window may have just created it.
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version == 0:
                for statement in _SCHEMA_V1:
                    conn.execute(statement)
            if version < 2:
                for statement in _SCHEMA_V2:
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self._sync_fts(conn)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _fts_objects(self, conn: sqlite3.Connection) -> set[str]:
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger') "
            "AND name LIKE '%\\_fts%' ESCAPE '\\'"
        ).fetchall()
        return {str(r[0]) for r in rows}

    def _fts_in_step(self, conn: sqlite3.Connection) -> bool:
        names = self._fts_objects(conn)
        triggers = {name for name, _ in _FTS_TRIGGERS}
        if self._fts:
            return {name for name, _ in _FTS_TABLES} | triggers <= names
        return not (triggers & names)

    def _sync_fts(self, conn: sqlite3.Connection) -> None:
        """Create and fill the FTS tables, or drop their triggers when FTS5 is not to be used.

        Without the triggers the index goes stale; it is rebuilt when the triggers come back.
        """
        names = self._fts_objects(conn)
        if self._fts:
            if {name for name, _ in _FTS_TRIGGERS} <= names:
                return
            for _, statement in _FTS_TABLES:
                conn.execute(statement)
            for _, statement in _FTS_TRIGGERS:
                conn.execute(statement)
            conn.execute("INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')")
            conn.execute("INSERT INTO titles_fts (titles_fts) VALUES ('rebuild')")
        else:
            for name, _ in _FTS_TRIGGERS:
                conn.execute(f"DROP TRIGGER IF EXISTS {name}")

    # --- plumbing ------------------------------------------------------------------------------

    def _update_row(self, conversation_id: str, sql: str, params: tuple[object, ...]) -> None:
        """Runs one UPDATE of the conversation's row in a write transaction.

        An UPDATE that changed nothing (the value was already there) is fine; a missing
        conversation raises `NotInHistoryError`.
        """

        def run(conn: sqlite3.Connection) -> None:
            if conn.execute(sql, params).rowcount == 0:
                self._key(conn, conversation_id)  # raises if it is missing

        self._write(run)

    def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn` in one write transaction, under the lock; map SQLite errors to HistoryError."""
        with self._lock:
            return self._write_locked(fn)

    def _write_locked(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn = self._connection()
        try:
            conn.execute("BEGIN IMMEDIATE")
            result = fn(conn)
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise self._error("write", exc) from exc
            raise
        return result

    def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn` in one read transaction (a consistent snapshot), under the lock."""
        with self._lock:
            conn = self._connection()
            try:
                conn.execute("BEGIN")
                try:
                    return fn(conn)
                finally:
                    if conn.in_transaction:
                        conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise self._error("read", exc) from exc
            except (ValueError, TypeError, KeyError, InvalidOperation) as exc:
                raise HistoryError(
                    f"The conversation history {self._where()} holds data this version cannot "
                    f"read ({exc})."
                ) from exc

    def _stamp(self) -> str:
        return _utc_text(self._now())

    def _key(self, conn: sqlite3.Connection, conversation_id: str) -> int:
        row = conn.execute("SELECT key FROM conversations WHERE id = ?", (conversation_id,))
        found = row.fetchone()
        if found is None:
            raise NotInHistoryError(
                f"The conversation {conversation_id!r} is not in the history (it may have been "
                "deleted in another window)."
            )
        return int(found[0])

    def _refresh_first_user(self, conn: sqlite3.Connection, key: int) -> None:
        """Recompute the preview and (unless renamed) the title from the first user message."""
        lo, hi = _range(key)
        row = conn.execute(
            "SELECT content FROM messages WHERE id BETWEEN ? AND ? AND role = 'user' "
            "AND trim(content) <> '' ORDER BY id LIMIT 1",
            (lo, hi),
        ).fetchone()
        text = "" if row is None else str(row[0])
        conn.execute(
            "UPDATE conversations SET preview = ?, "
            "title = CASE WHEN title_set THEN title ELSE ? END WHERE key = ?",
            (_preview(text), auto_title(text), key),
        )

    def _insert_messages(
        self,
        conn: sqlite3.Connection,
        key: int,
        items: Iterable[tuple[Message, MessageMeta, str]],
    ) -> builtins.list[int]:
        """Append messages after the conversation's last one; returns their ids."""
        seq, position = conn.execute(
            "SELECT next_seq, message_count FROM conversations WHERE key = ?", (key,)
        ).fetchone()
        ids: builtins.list[int] = []
        rows = []
        for message, meta, created in items:
            if seq > _SEQ_MASK:
                raise HistoryError("This conversation has too many edits to store more.")
            message_id = (key << _SEQ_BITS) | seq
            rows.append(
                (
                    message_id,
                    key,
                    position,
                    message.role,
                    message.content,
                    message.name,
                    _images_json(message.images),
                    _tool_calls_json(message.tool_calls),
                    message.tool_call_id,
                    meta.status.value,
                    _meta_json(meta),
                    created,
                )
            )
            ids.append(message_id)
            seq += 1
            position += 1
        conn.executemany(
            "INSERT INTO messages (id, conversation_key, position, role, content, name, images, "
            "tool_calls, tool_call_id, status, meta, created) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        stamp = self._stamp()
        conn.execute(
            "UPDATE conversations SET next_seq = ?, message_count = ?, updated = ?, last_used = ? "
            "WHERE key = ?",
            (seq, position, stamp, stamp, key),
        )
        return ids

    def _message_key(self, conn: sqlite3.Connection, message_id: int) -> tuple[int, str]:
        row = conn.execute("SELECT role FROM messages WHERE id = ?", (message_id,)).fetchone()
        if row is None:
            raise NotInHistoryError(
                f"Message {message_id} is not in the history (its conversation was edited or "
                "deleted)."
            )
        return message_id >> _SEQ_BITS, str(row[0])

    # --- conversations ---------------------------------------------------------------------------

    def create(
        self,
        conversation_id: str,
        *,
        title: str = "",
        params: ChatRequest | None = None,
        system_prompt: str = "",
        draft: str = "",
        exist_ok: bool = False,
        api: str = "",
    ) -> None:
        """Start storing a conversation.

        Args:
            conversation_id: `Conversation.id`.
            title: a title chosen by the user; "" for the automatic one (the first user line).
            params: the settings (its `messages` are ignored); None for defaults with no model.
            system_prompt: the system prompt.
            draft: unsent text.
            exist_ok: do nothing (rather than fail) when the conversation is already stored.
            api: the API the conversation uses ("" for none stored).

        Raises:
            HistoryError: it already exists (unless `exist_ok`), or the write failed.
        """
        settings = params if params is not None else ChatRequest(model="", messages=())
        params_text = _params_json(settings, api)
        title = " ".join(title.split())

        def run(conn: sqlite3.Connection) -> None:
            exists = conn.execute(
                "SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)
            ).fetchone()
            if exists is not None:
                if exist_ok:
                    return
                raise HistoryError(f"The conversation {conversation_id!r} is already stored.")
            stamp = self._stamp()
            conn.execute(
                "INSERT INTO conversations (id, title, title_set, created, updated, last_used, "
                "model, params, system_prompt, draft) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    conversation_id,
                    title,
                    int(bool(title)),
                    stamp,
                    stamp,
                    stamp,
                    settings.model,
                    params_text,
                    system_prompt,
                    draft,
                ),
            )

        self._write(run)

    def exists(self, conversation_id: str) -> bool:
        """Whether the conversation is stored (deleted ones included until purged)."""

        def run(conn: sqlite3.Connection) -> bool:
            row = conn.execute("SELECT 1 FROM conversations WHERE id = ?", (conversation_id,))
            return row.fetchone() is not None

        return self._read(run)

    def save_params(
        self,
        conversation_id: str,
        params: ChatRequest,
        *,
        system_prompt: str | None = None,
        api: str = "",
    ) -> None:
        """Store the conversation's settings (and system prompt, if given).

        Args:
            conversation_id: the conversation.
            params: the settings; its `messages` are ignored.
            system_prompt: the new system prompt, or None to keep the stored one.
            api: the API the conversation uses ("" for none).

        Raises:
            NotInHistoryError: the conversation is not stored.
            HistoryError: the write failed.
        """
        params_text = _params_json(params, api)

        def run(conn: sqlite3.Connection) -> None:
            key = self._key(conn, conversation_id)
            conn.execute(
                "UPDATE conversations SET params = ?, model = ?, "
                "system_prompt = coalesce(?, system_prompt) WHERE key = ?",
                (params_text, params.model, system_prompt, key),
            )

        self._write(run)

    def server_state(self, conversation_id: str) -> str:
        """What the conversation keeps on OpenAI, as `set_server_state` stored it ("" for
        nothing, or a conversation not stored).

        Raises:
            HistoryError: the database could not be read.
        """

        def run(conn: sqlite3.Connection) -> str:
            row = conn.execute(
                "SELECT server_state FROM conversations WHERE id = ?", (conversation_id,)
            ).fetchone()
            return "" if row is None else str(row[0])

        return self._read(run)

    def set_server_state(self, conversation_id: str, state: str) -> None:
        """Stores what the conversation keeps on OpenAI (`KeptConversation.to_json()`, "" for
        nothing).

        Raises:
            NotInHistoryError: the conversation is not stored.
            HistoryError: the write failed.
        """

        def run(conn: sqlite3.Connection) -> None:
            key = self._key(conn, conversation_id)
            conn.execute("UPDATE conversations SET server_state = ? WHERE key = ?", (state, key))

        self._write(run)

    def save_draft(self, conversation_id: str, text: str) -> None:
        """Store the unsent text of the input box (one small write; nothing if unchanged).

        Raises:
            NotInHistoryError: the conversation is not stored.
            HistoryError: the write failed.
        """
        self._update_row(
            conversation_id,
            "UPDATE conversations SET draft = ? WHERE id = ? AND draft IS NOT ?",
            (text, conversation_id, text),
        )

    def rename(self, conversation_id: str, title: str) -> None:
        """Give the conversation the user's title; "" goes back to the automatic title.

        Raises:
            NotInHistoryError: the conversation is not stored.
            HistoryError: the write failed.
        """
        title = " ".join(title.split())

        def run(conn: sqlite3.Connection) -> None:
            key = self._key(conn, conversation_id)
            conn.execute(
                "UPDATE conversations SET title = ?, title_set = ? WHERE key = ?",
                (title, int(bool(title)), key),
            )
            if not title:
                self._refresh_first_user(conn, key)

        self._write(run)

    def touch(self, conversation_id: str) -> None:
        """Mark the conversation as used now (it moves to the top of the list).

        Raises:
            NotInHistoryError: the conversation is not stored.
            HistoryError: the write failed.
        """
        self._update_row(
            conversation_id,
            "UPDATE conversations SET last_used = ? WHERE id = ?",
            (self._stamp(), conversation_id),
        )

    def delete(self, conversation_id: str) -> None:
        """Hide the conversation from the list and search; `undo_delete` brings it back.

        It stays in the file until `purge_deleted` removes it.

        Raises:
            NotInHistoryError: the conversation is not stored.
            HistoryError: the write failed.
        """

        def run(conn: sqlite3.Connection) -> None:
            key = self._key(conn, conversation_id)
            conn.execute(
                "UPDATE conversations SET deleted_at = ? WHERE key = ? AND deleted_at IS NULL",
                (self._stamp(), key),
            )

        self._write(run)

    def undo_delete(self, conversation_id: str) -> None:
        """Bring back a deleted conversation (nothing happens if it was not deleted).

        Raises:
            NotInHistoryError: the conversation is not stored (already purged).
            HistoryError: the write failed.
        """

        def run(conn: sqlite3.Connection) -> None:
            key = self._key(conn, conversation_id)
            conn.execute("UPDATE conversations SET deleted_at = NULL WHERE key = ?", (key,))

        self._write(run)

    def purge_deleted(self, older_than: timedelta = timedelta(days=30)) -> int:
        """Remove for good the conversations deleted more than `older_than` ago.

        Returns:
            How many conversations were removed.

        Raises:
            HistoryError: the write failed.
        """

        def run(conn: sqlite3.Connection) -> builtins.list[int]:
            cutoff = _utc_text(self._now() - older_than)
            keys = [
                int(r[0])
                for r in conn.execute(
                    "SELECT key FROM conversations WHERE deleted_at IS NOT NULL AND deleted_at < ?",
                    (cutoff,),
                )
            ]
            for key in keys:
                conn.execute("DELETE FROM messages WHERE id BETWEEN ? AND ?", _range(key))
                conn.execute("DELETE FROM conversations WHERE key = ?", (key,))
            return keys

        with self._lock:
            keys = self._write_locked(run)
            self._forget_streams(set(keys))
        return len(keys)

    def duplicate(self, conversation_id: str) -> str:
        """Copy a conversation: messages, settings, system prompt and draft.

        Returns:
            The id of the copy, which is titled "<title> (copy)" and listed first.

        Raises:
            NotInHistoryError: the conversation is not stored.
            HistoryError: the write failed.
        """
        return self._copy(conversation_id, None, "copy")

    def fork(self, conversation_id: str, up_to_message_index: int) -> str:
        """Start a new conversation from the first messages of another ("fork from here").

        Args:
            conversation_id: the conversation to fork.
            up_to_message_index: the index (0-based, in `StoredConversation.messages`) of the last
                message to keep.

        Returns:
            The id of the new conversation, titled "<title> (fork)", with the same settings and
            system prompt and no draft.

        Raises:
            ValueError: the index is outside the conversation.
            NotInHistoryError: the conversation is not stored.
            HistoryError: the write failed.
        """
        if up_to_message_index < 0:
            raise ValueError(f"message index must not be negative, got {up_to_message_index}")
        return self._copy(conversation_id, up_to_message_index, "fork")

    def _copy(self, conversation_id: str, last_index: int | None, label: str) -> str:
        new_id = uuid.uuid4().hex

        def run(conn: sqlite3.Connection) -> str:
            key = self._key(conn, conversation_id)
            self._flush_locked(conn, key)
            title, title_set, params, model, system_prompt, draft, count = conn.execute(
                "SELECT title, title_set, params, model, system_prompt, draft, message_count "
                "FROM conversations WHERE key = ?",
                (key,),
            ).fetchone()
            keep = count if last_index is None else last_index + 1
            if keep > count:
                raise ValueError(
                    f"message index {last_index} is outside the conversation ({count} messages)"
                )
            stamp = self._stamp()
            new_title = f"{title} ({label})" if title else ""
            cursor = conn.execute(
                "INSERT INTO conversations (id, title, title_set, created, updated, last_used, "
                "model, params, system_prompt, draft, message_count, next_seq) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    new_id,
                    new_title,
                    int(bool(title_set) or bool(new_title)),
                    stamp,
                    stamp,
                    stamp,
                    model,
                    params,
                    system_prompt,
                    draft if last_index is None else "",
                    keep,
                    keep,
                ),
            )
            new_key = cursor.lastrowid
            assert new_key is not None
            lo, hi = _range(key)
            # Positions are 0..n-1 in id order, so the copy's ids are simply key << 32 | position.
            conn.execute(
                "INSERT INTO messages (id, conversation_key, position, role, content, name, "
                "images, tool_calls, tool_call_id, status, meta, created) "
                "SELECT ? + position, ?, position, role, content, name, images, tool_calls, "
                "tool_call_id, CASE status WHEN 'streaming' THEN 'stopped' ELSE status END, "
                "meta, created FROM messages "
                "WHERE id BETWEEN ? AND ? AND position < ? ORDER BY id",
                (new_key << _SEQ_BITS, new_key, lo, hi, keep),
            )
            self._refresh_first_user(conn, new_key)
            return new_id

        return self._write(run)

    # --- messages -----------------------------------------------------------------------------

    def append_message(
        self, conversation_id: str, message: Message, meta: MessageMeta | None = None
    ) -> int:
        """Add a message at the end of the conversation.

        The first user message also sets the automatic title and the preview.

        Returns:
            The message id.

        Raises:
            NotInHistoryError: the conversation is not stored.
            HistoryError: the write failed.
        """
        info = meta if meta is not None else MessageMeta()
        created = self._stamp()

        def run(conn: sqlite3.Connection) -> int:
            key = self._key(conn, conversation_id)
            [message_id] = self._insert_messages(conn, key, [(message, info, created)])
            if message.role == "user":
                self._refresh_first_user(conn, key)
            return message_id

        return self._write(run)

    def set_moderation(self, message_id: int, note: ModerationNote) -> None:
        """Keeps the moderation check's verdict with one message (its other metadata unchanged).

        Raises:
            NotInHistoryError: the message is not stored.
            HistoryError: the write failed.
        """

        def run(conn: sqlite3.Connection) -> None:
            self._message_key(conn, message_id)
            row = conn.execute("SELECT meta FROM messages WHERE id = ?", (message_id,)).fetchone()
            meta: dict[str, Any] = json.loads(row[0]) if row and row[0] else {}
            meta["moderation"] = _moderation_dict(note)
            conn.execute("UPDATE messages SET meta = ? WHERE id = ?", (_dumps(meta), message_id))

        with self._lock:
            self._write_locked(run)

    def update_message(
        self, message_id: int, *, content: str | None = None, meta: MessageMeta | None = None
    ) -> None:
        """Change the text and/or the metadata of one message.

        Raises:
            NotInHistoryError: the message is not stored.
            HistoryError: the write failed.
        """
        meta_text = None if meta is None else _meta_json(meta)

        def run(conn: sqlite3.Connection) -> None:
            key, role = self._message_key(conn, message_id)
            if content is not None:
                conn.execute("UPDATE messages SET content = ? WHERE id = ?", (content, message_id))
            if meta is not None:
                conn.execute(
                    "UPDATE messages SET status = ?, meta = ? WHERE id = ?",
                    (meta.status.value, meta_text, message_id),
                )
            stamp = self._stamp()
            conn.execute(
                "UPDATE conversations SET updated = ?, last_used = ? WHERE key = ?",
                (stamp, stamp, key),
            )
            if role == "user" and content is not None:
                self._refresh_first_user(conn, key)

        with self._lock:
            self._write_locked(run)
            stream = self._streams.get(message_id)
            if stream is not None:
                if meta is not None and meta.status is not MessageStatus.STREAMING:
                    del self._streams[message_id]
                elif content is not None:
                    stream.parts[:] = [content]
                    stream.pending = False

    def replace_messages(
        self, conversation_id: str, messages: Sequence[Message | StoredMessage]
    ) -> builtins.list[int]:
        """Replace every message of the conversation (after an edit, a delete or a reorder).

        A `StoredMessage` keeps its metadata and creation time; a bare `Message` gets default
        metadata. Every message gets a new id.

        Returns:
            The new message ids, in order.

        Raises:
            NotInHistoryError: the conversation is not stored.
            HistoryError: the write failed.
        """
        created = self._stamp()
        items = [
            (m.message, m.meta, _utc_text(m.created))
            if isinstance(m, StoredMessage)
            else (m, MessageMeta(), created)
            for m in messages
        ]

        def run(conn: sqlite3.Connection) -> tuple[int, builtins.list[int]]:
            key = self._key(conn, conversation_id)
            conn.execute("DELETE FROM messages WHERE id BETWEEN ? AND ?", _range(key))
            conn.execute("UPDATE conversations SET message_count = 0 WHERE key = ?", (key,))
            ids = self._insert_messages(conn, key, items)
            self._refresh_first_user(conn, key)
            return key, ids

        with self._lock:
            key, ids = self._write_locked(run)
            self._forget_streams({key})  # their rows are gone: the text has nowhere to go
        return ids

    def _forget_streams(self, keys: set[int]) -> None:
        """Stop throttled writes of replies in these conversations (lock held)."""
        for message_id in [m for m in self._streams if m >> _SEQ_BITS in keys]:
            del self._streams[message_id]

    # --- streaming -------------------------------------------------------------------------------

    def begin_reply(self, conversation_id: str, model: str) -> int:
        """Store an empty assistant message with status "streaming" and start throttled writes.

        Returns:
            The message id, for `stream_update` and `finish_reply`.

        Raises:
            NotInHistoryError: the conversation is not stored.
            HistoryError: the write failed.
        """
        meta = MessageMeta(status=MessageStatus.STREAMING, model=model)
        created = self._stamp()

        def run(conn: sqlite3.Connection) -> int:
            key = self._key(conn, conversation_id)
            [message_id] = self._insert_messages(
                conn, key, [(Message("assistant", ""), meta, created)]
            )
            return message_id

        with self._lock:
            message_id = self._write_locked(run)
            self._streams[message_id] = _Stream(parts=[], last_write=self._clock())
        return message_id

    def stream_update(self, message_id: int, delta: str) -> None:
        """Add a streamed fragment to a reply started with `begin_reply`.

        Cheap enough for every chunk: the text is kept in memory and written at most once per
        `flush_interval` (on the first fragment after the interval has passed). A fragment that
        arrives just before the stream stalls is written by the next `flush_streams` (call it from
        a timer for a hard bound), by `finish_reply` or by `close`.

        Args:
            message_id: from `begin_reply`.
            delta: the new fragment (not the whole text so far).

        Raises:
            NotInHistoryError: the reply is not streaming in this store.
            HistoryError: a due write failed; the text stays in memory and is retried a second
                later.
        """
        with self._lock:
            stream = self._streams.get(message_id)
            if stream is None:
                raise NotInHistoryError(f"Message {message_id} is not streaming.")
            if delta:
                stream.parts.append(delta)
                stream.pending = True
            if stream.pending and self._clock() - stream.last_write >= self._flush_interval:
                self._flush_one(message_id, stream)

    def flush_streams(self) -> None:
        """Write the text of every streaming reply that has unwritten fragments.

        Raises:
            HistoryError: a write failed.
        """
        with self._lock:
            for message_id, stream in builtins.list(self._streams.items()):
                if stream.pending:
                    self._flush_one(message_id, stream)

    def _flush_one(self, message_id: int, stream: _Stream) -> None:
        """Write one reply's text (lock held). The text stays in memory if the write fails."""
        # Set before writing: a failing disk is retried once per interval, not on every chunk.
        stream.last_write = self._clock()
        text = stream.text()

        def run(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                "UPDATE messages SET content = ? WHERE id = ?", (text, message_id)
            )
            return cursor.rowcount

        if self._write_locked(run) == 0:  # the row is gone (the conversation was edited)
            self._streams.pop(message_id, None)
            return
        stream.pending = False

    def _flush_locked(self, conn: sqlite3.Connection, key: int) -> None:
        """Inside a write transaction: write pending text of the replies of one conversation.

        The replies stay marked pending: if the transaction rolls back, the next flush writes them.
        """
        for message_id, stream in self._streams.items():
            if message_id >> _SEQ_BITS == key and stream.pending:
                conn.execute(
                    "UPDATE messages SET content = ? WHERE id = ?", (stream.text(), message_id)
                )

    def finish_reply(self, message_id: int, text: str, meta: MessageMeta) -> None:
        """Write the final text and metadata of a reply and end its throttled writes.

        Args:
            message_id: from `begin_reply`.
            text: the whole reply (or what arrived before a stop or an error).
            meta: with status ok, stopped or error.

        Raises:
            ValueError: `meta.status` is "streaming".
            NotInHistoryError: the message is not stored.
            HistoryError: the write failed (the reply stays open for another try).
        """
        if meta.status is MessageStatus.STREAMING:
            raise ValueError("finish_reply needs a final status (ok, stopped or error)")
        self.update_message(message_id, content=text, meta=meta)

    def discard_reply(self, message_id: int) -> None:
        """Remove a reply that never got any text (its request failed or was stopped before the
        first token), so no empty answer is kept, shown again or sent with the next request.
        A reply that has text is left alone.

        Raises:
            HistoryError: the write failed.
        """
        key = message_id >> _SEQ_BITS

        def run(conn: sqlite3.Connection) -> None:
            gone = conn.execute(
                "DELETE FROM messages WHERE id = ? AND content = ''", (message_id,)
            ).rowcount
            if gone:
                conn.execute(
                    "UPDATE conversations SET message_count = message_count - 1 WHERE key = ?",
                    (key,),
                )

        with self._lock:
            self._write_locked(run)
            self._streams.pop(message_id, None)

    def recover_interrupted(self) -> int:
        """Mark replies left "streaming" by a crash or kill as errors, keeping their text.

        Call it once at start-up. Replies streaming in this store are left alone (but one streaming
        in another app window at that moment would be marked too).

        Returns:
            How many replies were marked (`recovered` lists them).

        Raises:
            HistoryError: the write failed.
        """
        meta_error = "Playground closed before the reply was complete."

        def run(conn: sqlite3.Connection) -> builtins.list[RecoveredReply]:
            rows = conn.execute(
                "SELECT m.id, m.meta, m.content, c.id FROM messages m "
                "JOIN conversations c ON c.key = m.conversation_key WHERE m.status = 'streaming'"
            ).fetchall()
            found: builtins.list[RecoveredReply] = []
            for message_id, meta_text, content, conversation_id in rows:
                if message_id in self._streams:
                    continue
                old = _meta_from_json(MessageStatus.STREAMING.value, meta_text)
                new = dataclasses.replace(old, status=MessageStatus.ERROR, error=meta_error)
                conn.execute(
                    "UPDATE messages SET status = ?, meta = ? WHERE id = ?",
                    (new.status.value, _meta_json(new), message_id),
                )
                found.append(RecoveredReply(conversation_id, message_id, old.model, content))
            return found

        self.recovered = self._write(run)
        return len(self.recovered)

    # --- reading ------------------------------------------------------------------------------

    def load(self, conversation_id: str) -> StoredConversation:
        """Everything stored about one conversation, deleted or not.

        Raises:
            NotInHistoryError: the conversation is not stored.
            HistoryError: the database could not be read.
        """

        def run(conn: sqlite3.Connection) -> StoredConversation:
            row = conn.execute(
                "SELECT key, title, title_set, params, system_prompt, draft, created, updated, "
                "last_used, deleted_at FROM conversations WHERE id = ?",
                (conversation_id,),
            ).fetchone()
            if row is None:
                raise NotInHistoryError(
                    f"The conversation {conversation_id!r} is not in the history."
                )
            key, title, title_set, params, system_prompt, draft = row[:6]
            created, updated, last_used, deleted_at = row[6:]
            lo, hi = _range(key)
            rows = conn.execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE id BETWEEN ? AND ? ORDER BY id",
                (lo, hi),
            ).fetchall()
            messages = tuple(self._stored_message(r) for r in rows)
            return StoredConversation(
                id=conversation_id,
                title=str(title),
                title_set=bool(title_set),
                params=_params_from_json(str(params)),
                system_prompt=str(system_prompt),
                draft=str(draft),
                created=datetime.fromisoformat(created),
                updated=datetime.fromisoformat(updated),
                last_used=datetime.fromisoformat(last_used),
                deleted_at=None if deleted_at is None else datetime.fromisoformat(deleted_at),
                messages=messages,
                api=_api_from_json(str(params)),
            )

        return self._read(run)

    def _stored_message(self, row: tuple[Any, ...]) -> StoredMessage:
        message_id, role, content, name, images, tool_calls, tool_call_id, status, meta, created = (
            row
        )
        stream = self._streams.get(message_id)
        if stream is not None and stream.pending:  # newer than the file: show what arrived
            content = stream.text()
        return StoredMessage(
            id=message_id,
            message=Message(
                role=role,
                content=content,
                name=name,
                images=_images_from_json(images),
                tool_calls=_tool_calls_from_json(tool_calls),
                tool_call_id=tool_call_id,
            ),
            meta=_meta_from_json(status, meta),
            created=datetime.fromisoformat(created),
        )

    def list(
        self, limit: int = 100, offset: int = 0, *, include_empty: bool = False
    ) -> builtins.list[ConversationSummary]:
        """Conversations not deleted, most recently used first.

        Args:
            limit: the most rows to return.
            offset: rows to skip (for paging).
            include_empty: also list conversations with no message and no draft.

        Raises:
            HistoryError: the database could not be read.
        """
        sql = (
            f"SELECT {_SUMMARY_COLUMNS} FROM conversations c WHERE c.deleted_at IS NULL"
            + ("" if include_empty else _NOT_EMPTY)
            + " ORDER BY c.last_used DESC, c.key DESC LIMIT ? OFFSET ?"
        )

        def run(conn: sqlite3.Connection) -> builtins.list[ConversationSummary]:
            return [_summary(r) for r in conn.execute(sql, (limit, offset))]

        return self._read(run)

    def count(self, *, include_empty: bool = False) -> int:
        """How many conversations `list` would give with no limit.

        Raises:
            HistoryError: the database could not be read.
        """
        sql = "SELECT COUNT(*) FROM conversations c WHERE c.deleted_at IS NULL" + (
            "" if include_empty else _NOT_EMPTY
        )
        return self._read(lambda conn: int(conn.execute(sql).fetchone()[0]))

    def search(
        self, query: str, limit: int = 50, offset: int = 0
    ) -> builtins.list[ConversationSummary]:
        """Conversations whose title or messages contain every word of `query`.

        Words match as prefixes ("pyth" finds "Python"), case and accents aside; any text is
        safe (quotes, `c++`, `-`, `*` are not search syntax). Deleted conversations are left
        out. Results come most recently used first, each with a snippet around its first hit.

        Returns:
            The matches; [] when `query` has no letter or digit.

        Raises:
            HistoryError: the database could not be read.
        """
        if self._fts:
            match = fts_query(query)
            if match is None:
                return []
            words = re.findall(r"\w+", query)
            return self._read(lambda conn: self._search_fts(conn, match, words, limit, offset))
        words = _like_terms(query)
        if not words:
            return []
        return self._read(lambda conn: self._search_like(conn, words, limit, offset))

    def _search_fts(
        self,
        conn: sqlite3.Connection,
        match: str,
        words: Sequence[str],
        limit: int,
        offset: int,
    ) -> builtins.list[ConversationSummary]:
        # `+c.key` keeps SQLite from looking up every hit and sorting them: it walks the list
        # index in order and probes the set of hits, so a common word stops after `limit` rows.
        rows = conn.execute(
            f"SELECT {_SUMMARY_COLUMNS} FROM conversations c WHERE c.deleted_at IS NULL AND ("
            f"+c.key IN (SELECT rowid >> {_SEQ_BITS} FROM messages_fts WHERE messages_fts MATCH :q)"
            " OR +c.key IN (SELECT rowid FROM titles_fts WHERE titles_fts MATCH :q)) "
            "ORDER BY c.last_used DESC, c.key DESC LIMIT :limit OFFSET :offset",
            {"q": match, "limit": limit, "offset": offset},
        ).fetchall()
        if not rows:
            return []
        # The first matching message of each listed conversation, in one pass over the hits (a
        # snippet() query per row re-read the whole doclist each time: 3 ms a row for a prefix
        # query, bench/history.py), then the snippet is cut from that message's text.
        keys = json.dumps([row[0] for row in rows])
        first = dict(
            conn.execute(
                f"SELECT rowid >> {_SEQ_BITS} AS k, min(rowid) FROM messages_fts "
                f"WHERE messages_fts MATCH ? AND (rowid >> {_SEQ_BITS}) IN "
                "(SELECT value FROM json_each(?)) GROUP BY k",
                (match, keys),
            ).fetchall()
        )
        texts = dict(
            conn.execute(
                "SELECT id, content FROM messages WHERE id IN (SELECT value FROM json_each(?))",
                (json.dumps(list(first.values())),),
            ).fetchall()
        )
        out: builtins.list[ConversationSummary] = []
        for row in rows:
            message_id = first.get(row[0])
            source = str(texts.get(message_id, "")) if message_id is not None else str(row[2])
            snippet, spans = _like_snippet(" ".join(source.split()), words)
            out.append(dataclasses.replace(_summary(row), snippet=snippet, highlights=spans))
        return out

    def _search_like(
        self, conn: sqlite3.Connection, words: Sequence[str], limit: int, offset: int
    ) -> builtins.list[ConversationSummary]:
        where = []
        params: builtins.list[object] = []
        for word in words:
            where.append(
                "(c.title LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM messages m "
                f"WHERE m.id BETWEEN c.key << {_SEQ_BITS} AND (c.key << {_SEQ_BITS}) + {_SEQ_MASK} "
                "AND m.content LIKE ? ESCAPE '\\'))"
            )
            params += [_like_pattern(word)] * 2
        rows = conn.execute(
            f"SELECT {_SUMMARY_COLUMNS} FROM conversations c WHERE c.deleted_at IS NULL AND "
            + " AND ".join(where)
            + " ORDER BY c.last_used DESC, c.key DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        ).fetchall()
        out: builtins.list[ConversationSummary] = []
        for row in rows:
            lo, hi = _range(row[0])
            conditions = " OR ".join(["content LIKE ? ESCAPE '\\'"] * len(words))
            hit = conn.execute(
                f"SELECT content FROM messages WHERE id BETWEEN ? AND ? AND ({conditions}) "
                "ORDER BY id LIMIT 1",
                [lo, hi, *(_like_pattern(w) for w in words)],
            ).fetchone()
            source = str(hit[0]) if hit is not None else str(row[2])
            snippet, spans = _like_snippet(" ".join(source.split()), words)
            out.append(dataclasses.replace(_summary(row), snippet=snippet, highlights=spans))
        return out

    # --- lifetime -----------------------------------------------------------------------------

    def close(self) -> None:
        """Write what streaming replies hold in memory, then close the connection (idempotent).

        A failure to write is logged, not raised: closing always succeeds.
        """
        with self._lock:
            if self._conn is not None:
                for message_id, stream in builtins.list(self._streams.items()):
                    if stream.pending:
                        try:
                            self._flush_one(message_id, stream)
                        except HistoryError as exc:
                            log.warning("Could not save a streaming reply at close: %s", exc)
                self._streams.clear()
            super().close()  # still under the (re-entrant) lock: no write slips in between


def _summary(row: Sequence[Any]) -> ConversationSummary:
    _key, cid, title, created, updated, last_used, count, model, preview, has_draft = row
    return ConversationSummary(
        id=str(cid),
        title=str(title),
        created=datetime.fromisoformat(created),
        updated=datetime.fromisoformat(updated),
        last_used=datetime.fromisoformat(last_used),
        message_count=int(count),
        model=str(model),
        preview=str(preview),
        has_draft=bool(has_draft),
    )


#: A sentence for the user about why `action` ("open", "read", "write") failed.
describe = HistoryStore.describe
