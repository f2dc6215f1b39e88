"""The SQLite conversation history: round trips, streamed replies, search, list, failures."""

from __future__ import annotations

import dataclasses
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sized
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from playground.core.chat.service import ChatRequest
from playground.core.models import ImagePart, Message, ToolCall, Usage
from playground.core.storage.history import (
    SCHEMA_VERSION,
    ConversationSummary,
    HistoryError,
    HistoryStore,
    MessageMeta,
    MessageStatus,
    ModerationNote,
    NotInHistoryError,
    StoredMessage,
    auto_title,
    describe,
    fts_query,
)

REPO = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 20, 9, 30, 15, 123456, tzinfo=UTC)


class FakeClock:
    """Monotonic seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


class FakeNow:
    """Wall-clock time that moves one second per call, so every stamp is distinct and ordered."""

    def __init__(self) -> None:
        self.moment = T0

    def __call__(self) -> datetime:
        self.moment += timedelta(seconds=1)
        return self.moment


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def now() -> FakeNow:
    return FakeNow()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "history.sqlite3"


@pytest.fixture
def store(path: Path, clock: FakeClock, now: FakeNow) -> Iterator[HistoryStore]:
    with HistoryStore(path, clock=clock, now=now) as history:
        yield history


@pytest.fixture(params=[None, False], ids=["fts5", "like"])
def searchable(request: pytest.FixtureRequest, path: Path, now: FakeNow) -> Iterator[HistoryStore]:
    """A store searched with FTS5, then the same tests with the LIKE fallback."""
    with HistoryStore(path, now=now, fts=request.param) as history:
        assert history.full_text_search is (request.param is None)
        yield history


def full_params() -> ChatRequest:
    return ChatRequest(
        model="gpt-4o-2024-08-06",
        messages=(Message("user", "not stored here"),),
        temperature=0.7,
        top_p=0.95,
        max_output_tokens=2048,
        frequency_penalty=-0.5,
        presence_penalty=1.25,
        seed=42,
        stop=("END", "\n\n"),
        n=2,
        logprobs=True,
        top_logprobs=5,
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "x", "schema": {"type": "object"}, "strict": True},
        },
        tools=(
            {
                "type": "function",
                "function": {"name": "get_weather", "parameters": {"type": "object"}},
            },
        ),
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        reasoning_effort="high",
    )


def full_meta(**changes: object) -> MessageMeta:
    fields: dict[str, object] = {
        "status": MessageStatus.OK,
        "model": "gpt-4o-2024-08-06",
        "usage": Usage(
            input_tokens=1234,
            output_tokens=567,
            cached_tokens=200,
            reasoning_tokens=300,
            images=1,
            audio_seconds=1.5,
            characters=7,
            estimated=True,
        ),
        "cost": Decimal("0.000150075"),
        "finish_reason": "tool_calls",
        "request_id": "req_123",
        "system_fingerprint": "fp_abc",
        "ttft_ms": 123.456,
        "elapsed_ms": 2345.5,
        "error": "",
    }
    fields.update(changes)
    return MessageMeta(**fields)  # type: ignore[arg-type]


def raw_message(path: Path, message_id: int) -> tuple[str, str]:
    """(content, status) as another process would read them right now."""
    conn = sqlite3.connect(path)
    try:
        row = conn.execute(
            "SELECT content, status FROM messages WHERE id = ?", (message_id,)
        ).fetchone()
    finally:
        conn.close()
    return str(row[0]), str(row[1])


def chat(store: HistoryStore, conversation_id: str, *texts: str, **create: object) -> None:
    """A conversation whose messages alternate user / assistant."""
    store.create(conversation_id, **create)  # type: ignore[arg-type]
    for i, text in enumerate(texts):
        store.append_message(conversation_id, Message("user" if i % 2 == 0 else "assistant", text))


# --- round trips ---------------------------------------------------------------------------------


def test_round_trip_of_every_field(path: Path, now: FakeNow) -> None:
    messages = [
        Message(
            "user",
            "What is in these pictures?",
            name="ana",
            images=(
                ImagePart(
                    "data:image/png;base64,iVBORw0KGgo=", detail="high", width=640, height=480
                ),
                ImagePart("https://example.com/cat.jpg"),
            ),
        ),
        Message(
            "assistant",
            "",
            tool_calls=(
                ToolCall("call_1", "get_weather", '{"city": "Zürich"}'),
                ToolCall("call_2", "get_time", "{}"),
            ),
        ),
        Message("tool", '{"temp": 21}', tool_call_id="call_1"),
        Message("assistant", "It is 21 °C ✓"),
    ]
    metas = [
        MessageMeta(),
        full_meta(),
        MessageMeta(status=MessageStatus.ERROR, error="The server closed the connection."),
        full_meta(
            status=MessageStatus.STOPPED,
            usage=Usage(),
            cost=Decimal("12345.678901234567890123456789"),
            request_id=None,
            system_fingerprint=None,
            ttft_ms=None,
            elapsed_ms=None,
            finish_reason="",
        ),
    ]
    with HistoryStore(path, now=now) as store:
        store.create(
            "c1", params=full_params(), system_prompt="Be brief.\nUse metric units.", draft="half"
        )
        ids = [store.append_message("c1", m, meta) for m, meta in zip(messages, metas, strict=True)]
        assert len(set(ids)) == 4
        assert ids == sorted(ids)
    with HistoryStore(path, now=now) as store:  # everything came from the file
        loaded = store.load("c1")
    assert loaded.params == dataclasses.replace(full_params(), messages=())
    assert loaded.system_prompt == "Be brief.\nUse metric units."
    assert loaded.draft == "half"
    assert loaded.title == "What is in these pictures?"
    assert not loaded.title_set
    assert [s.message for s in loaded.messages] == messages
    assert [s.meta for s in loaded.messages] == metas
    assert [s.id for s in loaded.messages] == ids
    assert loaded.messages[3].meta.cost == Decimal("12345.678901234567890123456789")
    assert str(loaded.messages[1].meta.cost) == "0.000150075"
    assert loaded.created.tzinfo is not None
    assert loaded.created <= loaded.updated == loaded.last_used
    assert loaded.deleted_at is None
    conversation = loaded.to_conversation()
    assert conversation.id == "c1"
    assert conversation.turns == messages
    assert conversation.messages_with()[0] == Message("system", "Be brief.\nUse metric units.")


def test_default_params_and_unknown_keys_from_a_newer_version(path: Path) -> None:
    with HistoryStore(path) as store:
        store.create("c1")
        assert store.load("c1").params == ChatRequest(model="", messages=())
    conn = sqlite3.connect(path)
    conn.execute(
        "UPDATE conversations SET params = ? WHERE id = 'c1'",
        ('{"model": "m", "stop": ["x"], "frobnicate": "low"}',),
    )
    conn.commit()
    conn.close()
    with HistoryStore(path) as store:
        assert store.load("c1").params == ChatRequest(model="m", messages=(), stop=("x",))


@pytest.mark.parametrize(
    "cost", [Decimal("0.000150075"), Decimal("1E-12"), Decimal("0.10"), Decimal(0)]
)
def test_decimal_cost_is_exact(store: HistoryStore, cost: Decimal) -> None:
    store.create("c1")
    store.append_message("c1", Message("assistant", "hi"), MessageMeta(cost=cost))
    [back] = store.load("c1").messages
    assert back.meta.cost == cost
    assert str(back.meta.cost) == str(cost)


def test_non_finite_cost_is_refused(store: HistoryStore) -> None:
    store.create("c1")
    with pytest.raises(ValueError, match="finite"):
        store.append_message("c1", Message("assistant", "x"), MessageMeta(cost=Decimal("NaN")))
    assert store.load("c1").messages == ()  # nothing half-written


def test_save_params_and_system_prompt(store: HistoryStore) -> None:
    store.create("c1", params=ChatRequest(model="a", messages=()), system_prompt="old")
    store.save_params("c1", full_params())
    loaded = store.load("c1")
    assert loaded.params.model == "gpt-4o-2024-08-06"
    assert loaded.params.tools == full_params().tools
    assert loaded.system_prompt == "old"  # None keeps it
    store.save_params("c1", ChatRequest(model="b", messages=()), system_prompt="")
    loaded = store.load("c1")
    assert (loaded.params, loaded.system_prompt) == (ChatRequest(model="b", messages=()), "")
    chat(store, "other", "x")
    assert {s.id: s.model for s in store.list(include_empty=True)} == {"c1": "b", "other": ""}
    with pytest.raises(NotInHistoryError):
        store.save_params("nope", full_params())


def test_create_twice(store: HistoryStore) -> None:
    store.create("c1", title="Mine")
    with pytest.raises(HistoryError, match="already stored"):
        store.create("c1")
    store.create("c1", title="Other", exist_ok=True)
    assert store.load("c1").title == "Mine"
    assert store.exists("c1")
    assert not store.exists("c2")


def test_draft_survives_reopen(path: Path) -> None:
    with HistoryStore(path) as store:
        store.create("c1")
        store.save_draft("c1", "an unfinished thought")
        store.save_draft("c1", "an unfinished thought")  # unchanged: no error, no change
        with pytest.raises(NotInHistoryError):
            store.save_draft("nope", "x")
    with HistoryStore(path) as store:
        assert store.load("c1").draft == "an unfinished thought"
        [summary] = store.list()  # a draft alone is enough to be listed
        assert summary.has_draft
        assert summary.message_count == 0


def test_moderation_verdicts_are_kept_with_their_turns(path: Path) -> None:
    with HistoryStore(path) as store:
        store.create("c1")
        user_id = store.append_message("c1", Message("user", "a question"))
        reply_id = store.append_message("c1", Message("assistant", "an answer"))
        store.update_message(reply_id, meta=full_meta())
        store.set_moderation(user_id, ModerationNote("clear", "Not flagged", "violence 0.01"))
        store.set_moderation(reply_id, ModerationNote("flagged", "Flagged: violence", "0.93"))
        with pytest.raises(NotInHistoryError):
            store.set_moderation(reply_id + 100, ModerationNote("clear", "Not flagged"))
    with HistoryStore(path) as store:  # after a restart
        user, reply = store.load("c1").messages
    assert user.meta.moderation == ModerationNote("clear", "Not flagged", "violence 0.01")
    assert reply.meta.moderation == ModerationNote("flagged", "Flagged: violence", "0.93")
    # The rest of the reply's metadata is untouched.
    assert dataclasses.replace(reply.meta, moderation=None) == full_meta()


def test_update_message(store: HistoryStore) -> None:
    store.create("c1")
    user_id = store.append_message("c1", Message("user", "first question"))
    reply_id = store.append_message("c1", Message("assistant", "answer"))
    store.update_message(reply_id, meta=full_meta())
    store.update_message(user_id, content="edited question")
    loaded = store.load("c1")
    assert [s.message.content for s in loaded.messages] == ["edited question", "answer"]
    assert loaded.messages[1].meta == full_meta()
    assert loaded.title == "edited question"  # the automatic title follows the first user line
    with pytest.raises(NotInHistoryError):
        store.update_message(reply_id + 100, content="x")


def test_replace_messages_keeps_stored_meta_and_gives_new_ids(store: HistoryStore) -> None:
    chat(store, "c1", "q1", "a1", "q2", "a2")
    old = store.load("c1").messages
    store.update_message(old[1].id, meta=full_meta())
    old = store.load("c1").messages
    edited: list[Message | StoredMessage] = [
        Message("user", "q1 edited"),
        old[1],
        old[3],
    ]  # q2 deleted, a2 moved
    ids = store.replace_messages("c1", edited)
    loaded = store.load("c1")
    assert [s.id for s in loaded.messages] == ids
    assert not set(ids) & {s.id for s in old}
    assert [s.message.content for s in loaded.messages] == ["q1 edited", "a1", "a2"]
    assert loaded.messages[0].meta == MessageMeta()
    assert loaded.messages[1].meta == full_meta()
    assert loaded.messages[1].created == old[1].created
    assert loaded.title == "q1 edited"
    [summary] = store.list()
    assert summary.message_count == 3
    with pytest.raises(NotInHistoryError):
        store.update_message(old[0].id, content="gone")
    # Appending after a replace continues the order.
    store.append_message("c1", Message("user", "q3"))
    assert [s.message.content for s in store.load("c1").messages][-1] == "q3"
    assert store.replace_messages("c1", []) == []
    assert store.load("c1").messages == ()


def test_one_thousand_turns(store: HistoryStore) -> None:
    store.create("long", params=ChatRequest(model="gpt-4o-mini", messages=()))
    expected = []
    for i in range(1000):
        message = (
            Message("user", f"question {i} " + "words " * 20)
            if i % 2 == 0
            else Message("assistant", f"answer {i} " + "more words " * 60)
        )
        meta = (
            MessageMeta()
            if i % 2 == 0
            else MessageMeta(usage=Usage(input_tokens=i, output_tokens=60), cost=Decimal(i) / 1000)
        )
        expected.append((message, meta))
    for message, meta in expected:
        store.append_message("long", message, meta)
    loaded = store.load("long")
    assert len(loaded.messages) == 1000
    assert [(s.message, s.meta) for s in loaded.messages] == expected
    assert loaded.messages[999].meta.cost == Decimal("0.999")
    [summary] = store.list()
    assert summary.message_count == 1000
    assert summary.preview == "question 0 " + " ".join(["words"] * 20)


# --- streaming -------------------------------------------------------------------------------


def test_streamed_reply_is_written_at_most_once_per_interval(
    store: HistoryStore, path: Path, clock: FakeClock
) -> None:
    chat(store, "c1", "Tell me a story")
    reply = store.begin_reply("c1", "gpt-4o")
    assert raw_message(path, reply) == ("", "streaming")

    store.stream_update(reply, "Once")
    clock.t += 0.5
    store.stream_update(reply, " upon")
    assert raw_message(path, reply) == ("", "streaming")  # not yet: less than a second
    assert store.load("c1").messages[-1].message.content == "Once upon"  # this store knows

    clock.t += 0.5
    store.stream_update(reply, " a time")
    assert raw_message(path, reply) == ("Once upon a time", "streaming")

    for i in range(100):  # a burst within one second: no write
        clock.t += 0.005
        store.stream_update(reply, f" {i}")
    assert raw_message(path, reply)[0] == "Once upon a time"
    clock.t += 1.0
    store.stream_update(reply, "")  # an empty fragment still writes what is due
    written = raw_message(path, reply)[0]
    assert written.startswith("Once upon a time 0 1 2")
    assert written.endswith(" 99")

    store.stream_update(reply, " The end.")
    meta = full_meta(finish_reason="stop")
    store.finish_reply(reply, "Once upon a time, the end.", meta)  # the final text wins
    assert raw_message(path, reply) == ("Once upon a time, the end.", "ok")
    assert store.load("c1").messages[-1].meta == meta
    with pytest.raises(NotInHistoryError, match="not streaming"):
        store.stream_update(reply, "late")


def test_a_kill_mid_stream_loses_at_most_the_last_interval(
    path: Path, clock: FakeClock, now: FakeNow
) -> None:
    streaming = HistoryStore(path, clock=clock, now=now)
    try:
        chat(streaming, "c1", "Count to five")
        reply = streaming.begin_reply("c1", "gpt-4o")
        for word in ("one", " two", " three"):
            streaming.stream_update(reply, word)
            clock.t += 0.4
        streaming.stream_update(reply, " four")  # 1.2 s after begin: written with this one
        streaming.stream_update(reply, " five")  # not written yet

        # The app is killed here: what another process finds is what was flushed.
        with HistoryStore(path, now=now) as after_restart:
            stored = after_restart.load("c1").messages[-1]
            assert stored.message.content == "one two three four"
            assert stored.meta.status is MessageStatus.STREAMING
            assert stored.meta.model == "gpt-4o"
            assert after_restart.recover_interrupted() == 1
            recovered = after_restart.load("c1").messages[-1]
            assert recovered.meta.status is MessageStatus.ERROR
            assert "closed before" in recovered.meta.error
            assert recovered.message.content == "one two three four"
            assert after_restart.recover_interrupted() == 0
    finally:
        streaming.close()


def test_recover_leaves_this_stores_own_streams_alone(store: HistoryStore) -> None:
    chat(store, "c1", "hi")
    reply = store.begin_reply("c1", "m")
    assert store.recover_interrupted() == 0
    store.finish_reply(reply, "hello", MessageMeta(status=MessageStatus.STOPPED))
    assert store.load("c1").messages[-1].meta.status is MessageStatus.STOPPED


def test_flush_streams_and_close_write_what_is_pending(
    path: Path, clock: FakeClock, now: FakeNow
) -> None:
    store = HistoryStore(path, clock=clock, now=now)
    chat(store, "c1", "hi")
    first = store.begin_reply("c1", "m")
    store.stream_update(first, "pending")
    store.flush_streams()
    assert raw_message(path, first) == ("pending", "streaming")
    store.flush_streams()  # nothing pending: nothing to do
    store.stream_update(first, " more")
    store.close()  # quitting mid-reply keeps the text
    store.close()
    assert raw_message(path, first) == ("pending more", "streaming")


def test_finish_reply_needs_a_final_status(store: HistoryStore) -> None:
    chat(store, "c1", "hi")
    reply = store.begin_reply("c1", "m")
    with pytest.raises(ValueError, match="final status"):
        store.finish_reply(reply, "x", MessageMeta(status=MessageStatus.STREAMING))
    store.finish_reply(reply, "x", MessageMeta(status=MessageStatus.ERROR, error="boom"))


def test_streams_into_replaced_or_purged_conversations_stop(
    store: HistoryStore, clock: FakeClock, now: FakeNow
) -> None:
    chat(store, "c1", "hi")
    reply = store.begin_reply("c1", "m")
    store.replace_messages("c1", [Message("user", "hi")])
    with pytest.raises(NotInHistoryError):
        store.stream_update(reply, "x")

    chat(store, "c2", "hi")
    reply = store.begin_reply("c2", "m")
    store.delete("c2")
    now.moment += timedelta(days=40)
    assert store.purge_deleted(timedelta(days=30)) == 1
    with pytest.raises(NotInHistoryError):
        store.stream_update(reply, "x")


def test_duplicating_mid_stream_copies_what_arrived(store: HistoryStore) -> None:
    chat(store, "c1", "hi")
    reply = store.begin_reply("c1", "m")
    store.stream_update(reply, "partial")
    copy = store.load(store.duplicate("c1")).messages[-1]
    assert copy.message.content == "partial"
    assert copy.meta.status is MessageStatus.STOPPED  # the copy is a snapshot, not a live reply


# --- titles, list, rename, duplicate, fork, delete ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Hello", "Hello"),
        ("\n\n  Explain   the\tcode  \nsecond line", "Explain the code"),
        (
            "Please explain how the quicksort algorithm partitions an array around a pivot",
            "Please explain how the quicksort algorithm partitions an…",
        ),
        ("x" * 100, "x" * 60 + "…"),
        ("   ", ""),
    ],
)
def test_auto_title(text: str, title: str) -> None:
    assert auto_title(text) == title
    assert len(auto_title(text)) <= 61


def test_titles_follow_the_first_user_message_until_renamed(store: HistoryStore) -> None:
    store.create("c1")
    store.append_message("c1", Message("user", "", images=(ImagePart("https://x/y.png"),)))
    assert store.load("c1").title == ""  # no text yet: the UI shows "New chat"
    store.append_message("c1", Message("assistant", "A picture."))
    store.append_message("c1", Message("user", "What breed is the dog?"))
    assert store.load("c1").title == "What breed is the dog?"
    store.append_message("c1", Message("user", "And its age?"))
    assert store.load("c1").title == "What breed is the dog?"

    store.rename("c1", "  Dog   questions ")
    loaded = store.load("c1")
    assert (loaded.title, loaded.title_set) == ("Dog questions", True)
    store.replace_messages("c1", [Message("user", "Something else")])
    assert store.load("c1").title == "Dog questions"
    store.rename("c1", "")  # back to the automatic title
    loaded = store.load("c1")
    assert (loaded.title, loaded.title_set) == ("Something else", False)
    store.create("c2", title="Given")
    assert store.load("c2").title_set
    with pytest.raises(NotInHistoryError):
        store.rename("nope", "x")


def test_list_is_most_recently_used_first(store: HistoryStore) -> None:
    chat(store, "a", "alpha question", "alpha answer", params=ChatRequest("gpt-4o", ()))
    chat(store, "b", "beta question")
    chat(store, "c", "gamma question\nwith a second line")
    store.create("empty")
    assert [s.id for s in store.list()] == ["c", "b", "a"]
    assert [s.id for s in store.list(include_empty=True)] == ["empty", "c", "b", "a"]
    assert store.count() == 3
    assert store.count(include_empty=True) == 4

    store.touch("a")
    assert [s.id for s in store.list()] == ["a", "c", "b"]
    store.append_message("b", Message("assistant", "beta answer"))
    assert [s.id for s in store.list()] == ["b", "a", "c"]
    assert [s.id for s in store.list(limit=2, offset=1)] == ["a", "c"]
    store.save_draft("c", "typing")  # typing is not "using": the order stays
    store.rename("c", "Renamed")
    assert [s.id for s in store.list()] == ["b", "a", "c"]

    summaries = {s.id: s for s in store.list()}
    assert summaries["a"].model == "gpt-4o"
    assert summaries["a"].message_count == 2
    assert summaries["a"].preview == "alpha question"
    assert summaries["c"].preview == "gamma question"
    assert summaries["c"].title == "Renamed"
    assert summaries["c"].has_draft
    assert not summaries["a"].has_draft
    assert summaries["a"].last_used > summaries["a"].updated > summaries["a"].created
    assert summaries["a"].snippet == ""
    with pytest.raises(NotInHistoryError):
        store.touch("nope")


def test_duplicate(store: HistoryStore) -> None:
    chat(store, "c1", "q1", "a1", "q2", params=full_params(), system_prompt="sys")
    store.update_message(store.load("c1").messages[1].id, meta=full_meta())
    store.save_draft("c1", "draft")
    copy_id = store.duplicate("c1")
    original, copy = store.load("c1"), store.load(copy_id)
    assert copy_id != "c1"
    assert copy.title == "q1 (copy)"
    assert copy.params == original.params
    assert copy.system_prompt == "sys"
    assert copy.draft == "draft"
    assert [(s.message, s.meta, s.created) for s in copy.messages] == [
        (s.message, s.meta, s.created) for s in original.messages
    ]
    assert not {s.id for s in copy.messages} & {s.id for s in original.messages}
    assert store.list()[0].id == copy_id
    store.append_message(copy_id, Message("assistant", "only in the copy"))
    assert len(store.load("c1").messages) == 3
    assert len(store.load(copy_id).messages) == 4


def test_fork_from_a_message(store: HistoryStore) -> None:
    chat(store, "c1", "q1", "a1", "q2", "a2", params=full_params(), system_prompt="sys")
    store.save_draft("c1", "draft")
    fork_id = store.fork("c1", 1)
    fork = store.load(fork_id)
    assert [s.message.content for s in fork.messages] == ["q1", "a1"]
    assert (fork.title, fork.draft, fork.system_prompt) == ("q1 (fork)", "", "sys")
    assert fork.params == store.load("c1").params
    assert [s.message.content for s in store.load(store.fork("c1", 3)).messages] == [
        "q1",
        "a1",
        "q2",
        "a2",
    ]
    with pytest.raises(ValueError, match="outside"):
        store.fork("c1", 4)
    with pytest.raises(ValueError, match="negative"):
        store.fork("c1", -1)
    with pytest.raises(NotInHistoryError):
        store.fork("nope", 0)


def test_delete_undo_and_purge(store: HistoryStore, now: FakeNow) -> None:
    chat(store, "keep", "kept conversation")
    chat(store, "gone", "deleted conversation")
    store.delete("gone")
    assert [s.id for s in store.list()] == ["keep"]
    assert store.load("gone").deleted_at is not None  # still there, for undo
    store.undo_delete("gone")
    assert [s.id for s in store.list()] == ["gone", "keep"]
    store.undo_delete("gone")  # not deleted: nothing happens

    store.delete("gone")
    store.delete("gone")  # twice is fine
    assert store.purge_deleted(timedelta(days=30)) == 0  # too recent
    now.moment += timedelta(days=31)
    assert store.purge_deleted(timedelta(days=30)) == 1
    assert not store.exists("gone")
    with pytest.raises(NotInHistoryError):
        store.load("gone")
    with pytest.raises(NotInHistoryError):
        store.undo_delete("gone")
    with pytest.raises(NotInHistoryError):
        store.delete("gone")
    assert [s.id for s in store.list()] == ["keep"]
    assert [s.message.content for s in store.load("keep").messages] == ["kept conversation"]


# --- search --------------------------------------------------------------------------------------


def highlighted(summary: ConversationSummary) -> list[str]:
    return [summary.snippet[start:end] for start, end in summary.highlights]


def test_search_words_prefixes_and_snippets(searchable: HistoryStore) -> None:
    store = searchable
    chat(store, "py", "How do I read a file in Python?", "Use open() with a context manager.")
    chat(store, "rust", "Ownership in Rust", "The borrow checker enforces it.")
    chat(store, "cafe", "Where is a good café?", "Try the one near the station.")

    [hit] = store.search("borrow")
    assert hit.id == "rust"
    assert "borrow" in hit.snippet
    assert highlighted(hit) == ["borrow"]

    assert [s.id for s in store.search("pyth")] == ["py"]  # prefix
    assert [s.id for s in store.search("PYTHON file")] == ["py"]  # every word, any case
    assert store.search("python borrow") == []
    assert {s.id for s in store.search("in")} == {"py", "rust"}
    if store.full_text_search:
        assert [s.id for s in store.search("cafe")] == ["cafe"]  # accents aside
    assert [s.id for s in store.search("café")] == ["cafe"]
    assert store.search("nothing-like-this") == []


def test_search_finds_titles_and_orders_by_last_use(searchable: HistoryStore) -> None:
    store = searchable
    chat(store, "old", "zebra facts", "Zebras have stripes.")
    chat(store, "new", "horses", "Unlike a zebra, a horse has no stripes.")
    store.create("titled", title="Zebra crossing rules")
    store.save_draft("titled", "x")
    assert [s.id for s in store.search("zebra")] == ["titled", "new", "old"]
    store.touch("old")
    assert [s.id for s in store.search("zebra")] == ["old", "titled", "new"]
    assert [s.id for s in store.search("zebra", limit=1, offset=1)] == ["titled"]
    [titled] = [s for s in store.search("crossing")]
    assert titled.snippet == "Zebra crossing rules"
    assert highlighted(titled) == ["crossing"]


def test_search_hides_deleted_and_follows_edits(searchable: HistoryStore) -> None:
    store = searchable
    chat(store, "c1", "kangaroo facts")
    store.delete("c1")
    assert store.search("kangaroo") == []
    store.undo_delete("c1")
    assert [s.id for s in store.search("kangaroo")] == ["c1"]
    store.replace_messages("c1", [Message("user", "wombat facts")])
    assert store.search("kangaroo") == []
    assert [s.id for s in store.search("wombat")] == ["c1"]
    store.rename("c1", "Marsupials")
    assert [s.id for s in store.search("marsup")] == ["c1"]
    store.rename("c1", "")
    assert store.search("marsup") == []


def test_search_sees_streamed_text_once_written(path: Path, clock: FakeClock, now: FakeNow) -> None:
    with HistoryStore(path, clock=clock, now=now) as store:
        chat(store, "c1", "tell me about platypuses")
        reply = store.begin_reply("c1", "m")
        store.stream_update(reply, "Platypuses lay eggs")
        assert store.search("eggs") == []
        clock.t += 1
        store.stream_update(reply, " and have venom.")
        assert [s.id for s in store.search("eggs")] == ["c1"]
        store.finish_reply(reply, "They lay eggs.", MessageMeta())
        assert store.search("venom") == []


@pytest.mark.parametrize(
    "query",
    [
        'c++ "quote',
        '"',
        '""',
        "*",
        "a*b",
        "-not",
        "NOT",
        "AND OR",
        "NEAR(a b)",
        "col:value",
        "(unbalanced",
        "^start",
        "'single",
        "back\\slash",
        "100%",
        "under_score",
        "+",
        "   ",
        "",
        "\x00",
        "a\x00b",
        'x"\x00"',
        "🦘",
        "{a b}",
    ],
)
def test_search_never_raises_on_odd_input(searchable: HistoryStore, query: str) -> None:
    chat(searchable, "c1", 'I write C++ and say "quote" and 100% under_score back\\slash')
    results = searchable.search(query)
    assert all(isinstance(r, ConversationSummary) for r in results)


def test_search_of_odd_input_still_finds_words(searchable: HistoryStore) -> None:
    chat(searchable, "c1", 'I write C++ and say "quote" often')
    assert [s.id for s in searchable.search('c++ "quote')] == ["c1"]
    assert searchable.search("++") == []


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("pyth", '"pyth"*'),
        ('c++ "quote', '"c++" """quote"*'),
        ("a b", '"a" "b"'),
        ("-- ++", None),
        ("", None),
        ("NEAR(x", '"NEAR(x"*'),
    ],
)
def test_fts_query(text: str, query: str | None) -> None:
    assert fts_query(text) == query


def test_fts_index_is_rebuilt_after_running_without_fts5(path: Path) -> None:
    with HistoryStore(path, fts=True) as store:
        chat(store, "before", "echidna")
    with HistoryStore(path, fts=False) as store:  # as if this SQLite had no FTS5
        chat(store, "while-off", "echidna spines")
        store.rename("before", "Monotremes")
        assert {s.id for s in store.search("echidna")} == {"before", "while-off"}
    with HistoryStore(path) as store:
        assert store.full_text_search
        assert {s.id for s in store.search("echidna")} == {"before", "while-off"}
        assert [s.id for s in store.search("spines")] == ["while-off"]
        assert [s.id for s in store.search("monotremes")] == ["before"]


# --- threads -------------------------------------------------------------------------------------


def test_concurrent_writers_and_a_reader(store: HistoryStore) -> None:
    per_thread = 100
    errors: list[BaseException] = []
    start = threading.Barrier(3)
    for name in ("a", "b"):
        store.create(name)

    def writer(name: str) -> None:
        start.wait()
        try:
            for i in range(per_thread):
                store.append_message(name, Message("user", f"{name} {i}"))
                reply = store.begin_reply(name, "m")
                store.stream_update(reply, "x")
                store.finish_reply(reply, f"reply {i}", MessageMeta())
        except BaseException as exc:  # surfaced below, not lost in the thread
            errors.append(exc)

    def reader() -> None:
        start.wait()
        try:
            for _ in range(50):
                store.list()
                store.search("reply")
                store.load("a")
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=writer, args=("a",)),
        threading.Thread(target=writer, args=("b",)),
        threading.Thread(target=reader),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    for name in ("a", "b"):
        messages = store.load(name).messages
        assert len(messages) == 2 * per_thread
        assert messages[-1].message.content == f"reply {per_thread - 1}"


# --- the file and its failures ---------------------------------------------------------------


def test_schema_version_wal_and_indexes(path: Path) -> None:
    with HistoryStore(path) as store:
        assert store.persistent
        assert store.full_text_search
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert {"conversations", "messages", "messages_fts", "titles_fts"} <= names
        assert "conversations_by_use" in names
        plan = " ".join(
            str(r[3])
            for r in conn.execute(
                "EXPLAIN QUERY PLAN SELECT key FROM conversations c WHERE c.deleted_at IS NULL "
                "ORDER BY c.last_used DESC, c.key DESC LIMIT 10"
            )
        )
        assert "conversations_by_use" in plan
        assert "TEMP B-TREE" not in plan  # listed in index order, never sorted
    finally:
        conn.close()


def test_in_memory_history() -> None:
    with HistoryStore.in_memory() as store:
        assert not store.persistent
        chat(store, "c1", "hello")
        assert [s.id for s in store.search("hello")] == ["c1"]


_READ_ONLY_CHECK = """
import sys
from pathlib import Path
from playground.core.storage.history import HistoryError, HistoryStore
from playground.core.models import Message
folder = Path(sys.argv[1])
for path in (folder / "new.sqlite3", folder / "existing.sqlite3"):
    try:
        with HistoryStore(path) as store:  # opening or else writing must fail
            store.append_message("c1", Message("user", "hi"))
    except HistoryError as exc:
        assert "read-only" in str(exc), exc
        print("HistoryError:", exc)
    else:
        raise SystemExit(f"no HistoryError for {path}")
"""

_FULL_DISK_CHECK = """
import sys
from pathlib import Path
from playground.core.storage.history import HistoryError, HistoryStore
from playground.core.models import Message
store = HistoryStore(Path(sys.argv[1]) / "history.sqlite3")
store.create("c1")
try:
    for i in range(10_000):
        store.append_message("c1", Message("user", f"{i} " + "words " * 400))
except HistoryError as exc:
    assert "disk is full" in str(exc), exc
    print("HistoryError:", exc)
else:
    raise SystemExit("the disk never filled")
finally:
    store.close()
"""


def _run_isolated(check: str, folder: Path, setup: str) -> subprocess.CompletedProcess[str]:
    """Run `check` on `folder` after `setup` (a mount) in a private mount namespace (root only)."""
    unshare = shutil.which("unshare")
    if sys.platform != "linux" or unshare is None or os.geteuid() != 0:
        pytest.skip("needs root and unshare for a private mount")
    where = shlex.quote(str(folder))
    script = (
        f"{setup.format(where=where)} || exit 77; "
        f"exec {shlex.quote(sys.executable)} -c {shlex.quote(check)} {where}"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [unshare, "-m", "sh", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode == 77:
        pytest.skip(f"cannot mount here: {proc.stderr.strip()}")
    return proc


def test_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    HistoryStore(folder / "existing.sqlite3").close()  # a history that was fine yesterday
    for extra in folder.glob("existing.sqlite3-*"):
        extra.unlink()
    folder.chmod(0o555)
    (folder / "existing.sqlite3").chmod(0o444)
    try:
        if not os.access(folder, os.W_OK):  # permissions bind this user: no tricks needed
            proc = subprocess.run(
                [sys.executable, "-c", _READ_ONLY_CHECK, str(folder)],
                env={**os.environ, "PYTHONPATH": str(REPO)},
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        else:  # root ignores permissions; a read-only bind mount does not
            proc = _run_isolated(
                _READ_ONLY_CHECK,
                folder,
                "mount --bind {where} {where} && mount -o remount,bind,ro {where}",
            )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert proc.stdout.count("HistoryError:") == 2
        assert "PLAYGROUND_HOME" in proc.stdout  # says what to do
    finally:
        folder.chmod(0o755)
        (folder / "existing.sqlite3").chmod(0o644)


def test_full_disk(tmp_path: Path) -> None:
    folder = tmp_path / "small"
    folder.mkdir()
    proc = _run_isolated(_FULL_DISK_CHECK, folder, "mount -t tmpfs -o size=512k tmpfs {where}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "HistoryError:" in proc.stdout
    assert "Free some space" in proc.stdout


def test_unwritable_location(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(HistoryError, match="cannot be opened") as info:
        HistoryStore(blocker / "history.sqlite3")
    assert str(blocker) in str(info.value)
    assert "PLAYGROUND_HOME" in str(info.value)


def test_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    path.write_bytes(b"this is not a database, just some bytes " * 100)
    with pytest.raises(HistoryError, match="damaged"):
        HistoryStore(path)


def test_database_from_a_newer_version(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(HistoryError, match="newer version"):
        HistoryStore(path)


def test_unreadable_row_is_a_history_error(path: Path) -> None:
    with HistoryStore(path) as store:
        chat(store, "c1", "hi")
    conn = sqlite3.connect(path)
    conn.execute('UPDATE messages SET meta = \'{"cost": "lots"}\'')
    conn.commit()
    conn.close()
    with HistoryStore(path) as store, pytest.raises(HistoryError, match="cannot read"):
        store.load("c1")


def test_error_messages_name_the_store() -> None:  # the reasons: tests/unit/test_storage.py
    message = describe(
        "write", "at /x/history.sqlite3", sqlite3.OperationalError("database is locked")
    )
    assert message.startswith(
        "The conversation history at /x/history.sqlite3 cannot be written: another program is holding it."
    )


def test_closed_store(path: Path) -> None:
    store = HistoryStore(path)
    store.close()
    with pytest.raises(HistoryError, match="closed"):
        store.create("c1")
    with pytest.raises(HistoryError, match="closed"):
        store.list()


# --- timing (not a test): python tests/unit/test_history.py ----------------------------------


def _measure() -> None:  # pragma: no cover - a manual benchmark
    import functools
    import random
    import tempfile
    import time

    rng = random.Random(1)
    words = ["the", "of", "and", "to", "a", "in", "is", "you", "that", "it"] + [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 10)))
        for _ in range(50_000)
    ]
    weights = [1 / (rank + 1) for rank in range(len(words))]

    def text(n: int) -> str:
        return " ".join(rng.choices(words, weights=weights, k=n))

    with tempfile.TemporaryDirectory() as folder, HistoryStore(Path(folder) / "h.sqlite3") as store:
        store.create("long")
        store.replace_messages(
            "long", [Message("user" if i % 2 else "assistant", text(120)) for i in range(1000)]
        )
        for c in range(10_000):
            store.create(f"c{c}")
            store.replace_messages(
                f"c{c}",
                [
                    Message("user", text(25)) if i % 2 == 0 else Message("assistant", text(150))
                    for i in range(10)
                ],
            )

        def timed(label: str, action: Callable[[], Sized]) -> None:
            runs = []
            for _ in range(5):
                began = time.perf_counter()
                size = len(action())
                runs.append((time.perf_counter() - began) * 1000)
            print(f"{label} ({size}): first {runs[0]:.1f} ms, best {min(runs):.1f} ms")  # noqa: T201

        timed("load 1,000 turns", lambda: store.load("long").messages)
        for query in ("the", "th", "the of", words[3000], words[30000][:4], "zzzz"):
            timed(f"search {query!r} over 10,000", functools.partial(store.search, query))


if __name__ == "__main__":
    _measure()
