"""The embeddings cache: a vector already paid for is never paid for again.

One SQLite file of its own (`AppPaths.embeddings_cache_file`). A row's key is the SHA-256 of the
model, the requested dimensions and the text, so the same text under another model or length is a
different row, and the text itself is not stored. Vectors are stored as little-endian float32 (what
the API sends on the wire), 6 KB for a 1,536-long vector.

The connection is opened with `check_same_thread=False` and every use holds the cache's lock: the
plan is checked in a worker thread while batches are stored from the GUI thread.
"""

from __future__ import annotations

import hashlib
import sqlite3
import sys
import threading
import time
from array import array
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Final

from playground.core.storage.sqlite import SqliteStore

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS vectors (
    key        TEXT PRIMARY KEY,
    model      TEXT NOT NULL,
    dimensions INTEGER NOT NULL,
    vector     BLOB NOT NULL,
    created    REAL NOT NULL
) WITHOUT ROWID;
"""

_CHUNK: Final = 500  # keys per SELECT (SQLite's default variable limit is 32,766; stay modest)


class EmbeddingCacheError(Exception):
    """The cache cannot be opened, read or written; the message says why in plain words."""


def cache_key(model: str, dimensions: int | None, text: str) -> str:
    """The row key of a text's vector: SHA-256 over model, dimensions and text."""
    digest = hashlib.sha256()
    digest.update(model.encode("utf-8"))
    digest.update(b"\x00")
    digest.update(str(dimensions or 0).encode("ascii"))
    digest.update(b"\x00")
    digest.update(text.encode("utf-8"))
    return digest.hexdigest()


def pack(vector: Sequence[float]) -> bytes:
    data = array("f", vector)
    if sys.byteorder != "little":  # pragma: no cover - every supported desktop is little-endian
        data.byteswap()
    return data.tobytes()


def unpack(blob: bytes) -> array[float]:
    data = array("f")
    data.frombytes(blob)
    if sys.byteorder != "little":  # pragma: no cover
        data.byteswap()
    return data


class EmbeddingCache(SqliteStore):
    """Vectors by (model, dimensions, text). `path=None` keeps them in memory (tests, fallback)."""

    _failure = EmbeddingCacheError
    _closed_text = "The embeddings cache is closed."
    _store = "The embeddings cache"
    _full_hint = "Free some disk space; vectors are kept only for this session meanwhile."
    _damaged_hint = "Delete the file; it only holds vectors that can be fetched again."

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._conn = None
        self._conn = self._open()

    def _prepare(self, conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(_SCHEMA)

    def contains(self, model: str, dimensions: int | None, texts: Iterable[str]) -> set[str]:
        """The texts among `texts` whose vector is cached."""
        return set(self.get_many(model, dimensions, texts, blobs_only=True))

    def get_many(
        self,
        model: str,
        dimensions: int | None,
        texts: Iterable[str],
        *,
        blobs_only: bool = False,
    ) -> dict[str, bytes]:
        """The cached vectors (packed float32 bytes, see `unpack`) of those `texts` that have one.

        Args:
            blobs_only: fetch only the keys (a cheap membership test); values are then empty.
        """
        by_key: dict[str, str] = {}
        for text in texts:
            by_key.setdefault(cache_key(model, dimensions, text), text)
        keys = list(by_key)
        found: dict[str, bytes] = {}
        column = "''" if blobs_only else "vector"
        try:
            with self._lock:
                conn = self._connection()
                for start in range(0, len(keys), _CHUNK):
                    chunk = keys[start : start + _CHUNK]
                    marks = ",".join("?" * len(chunk))
                    rows = conn.execute(
                        f"SELECT key, {column} FROM vectors WHERE key IN ({marks})",
                        chunk,
                    ).fetchall()
                    for key, blob in rows:
                        found[by_key[key]] = bytes(blob) if blob else b""
        except sqlite3.Error as exc:
            raise self._error("read", exc) from exc
        return found

    def put_many(
        self,
        model: str,
        dimensions: int | None,
        items: Iterable[tuple[str, Sequence[float]]],
    ) -> int:
        """Stores vectors; returns how many rows were written."""
        now = time.time()
        rows = [
            (cache_key(model, dimensions, text), model, dimensions or 0, pack(vector), now)
            for text, vector in items
        ]
        try:
            with self._lock:
                conn = self._connection()
                with conn:
                    conn.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?, ?, ?)", rows)
        except sqlite3.Error as exc:
            raise self._error("write", exc) from exc
        return len(rows)

    def count(self) -> int:
        try:
            with self._lock:
                row = self._connection().execute("SELECT COUNT(*) FROM vectors").fetchone()
        except sqlite3.Error as exc:
            raise self._error("read", exc) from exc
        return int(row[0])

    def clear(self) -> None:
        try:
            with self._lock:
                conn = self._connection()
                with conn:
                    conn.execute("DELETE FROM vectors")
        except sqlite3.Error as exc:
            raise self._error("write", exc) from exc
