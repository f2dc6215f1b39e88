"""`HistoryStore.server_state`: what a conversation keeps on OpenAI (schema 2), read from an older
file, not copied by fork or duplicate, kept in a salvaged copy."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from playground.core.chat.service import ChatRequest
from playground.core.models import Message
from playground.core.storage.history import SCHEMA_VERSION, HistoryStore

RECORD = '{"conversation": "conv_1", "turns": "abc"}'


def _stored(path: Path) -> None:
    with HistoryStore(path) as store:
        store.create("c1", params=ChatRequest(model="gpt-4o-mini", messages=()))
        store.append_message("c1", Message("user", "Hello"))
        store.set_server_state("c1", RECORD)


def _as_version_1(path: Path) -> None:
    """The file as the version before the column wrote it."""
    conn = sqlite3.connect(path)
    conn.execute("ALTER TABLE conversations DROP COLUMN server_state")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()


def test_the_record_is_stored_and_a_copy_starts_without_one(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    _stored(path)
    with HistoryStore(path) as store:
        assert store.server_state("c1") == RECORD
        assert store.server_state("unknown") == ""
        assert store.server_state(store.fork("c1", 0)) == ""
        assert store.server_state(store.duplicate("c1")) == ""
        store.set_server_state("c1", "")
        assert store.server_state("c1") == ""


def test_a_file_of_the_previous_version_gets_the_column(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    _stored(path)
    _as_version_1(path)
    with HistoryStore(path) as store:
        assert store.server_state("c1") == ""
        assert [m.message.content for m in store.load("c1").messages] == ["Hello"]
        store.set_server_state("c1", RECORD)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
    conn.close()


def test_a_salvaged_file_keeps_its_records_and_an_older_one_its_conversations(
    tmp_path: Path,
) -> None:
    path = tmp_path / "history.sqlite3"
    _stored(path)
    store, copied = HistoryStore.salvage(path)
    with store:
        assert copied == 1
        assert store.server_state("c1") == RECORD
    _as_version_1(path)
    store, copied = HistoryStore.salvage(path)
    with store:
        assert copied == 1
        assert store.server_state("c1") == ""
        assert [m.message.content for m in store.load("c1").messages] == ["Hello"]
