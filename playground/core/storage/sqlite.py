"""What the app's SQLite stores (usage ledger, conversation history) share: plain-words failures."""

from __future__ import annotations

import os
import sqlite3
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Self

from playground.core.storage.paths import ensure_private_file


def is_read_only(path: Path | None) -> bool:
    """Whether a database file or its folder is not writable (SQLite only says "unable to open")."""
    if path is None:
        return False
    folder = path.parent
    if path.exists():
        return not os.access(path, os.W_OK) or not os.access(folder, os.W_OK)
    return folder.is_dir() and not os.access(folder, os.W_OK)


def describe_failure(
    store: str,
    action: str,
    where: str,
    exc: BaseException,
    *,
    read_only: bool = False,
    full_hint: str,
    damaged_hint: str,
) -> str:
    """A sentence for the user about why `action` ("open", "read", "write") on `store` failed.

    Args:
        store: what the file is, for the sentence ("The usage ledger").
        action: what was being done.
        where: "at <path>" or "in memory".
        exc: what the OS or SQLite raised.
        read_only: the file or its folder is known not to be writable.
        full_hint: the next step when the disk is full.
        damaged_hint: the next step when the file is damaged.
    """
    text = str(exc).lower()
    if read_only or isinstance(exc, PermissionError) or "readonly" in text or "read-only" in text:
        reason = "the folder or file is read-only"
        hint = " Choose a writable data folder (PLAYGROUND_HOME) or fix its permissions."
    elif "disk is full" in text or "no space" in text or getattr(exc, "errno", None) == 28:
        reason, hint = "the disk is full", f" {full_hint}"
    elif "not a database" in text or "malformed" in text or "corrupt" in text:
        reason, hint = "the file is damaged", f" {damaged_hint}"
    elif "locked" in text or "busy" in text:
        reason = "another program is holding it"
        hint = " Close other Playground windows and try again."
    elif isinstance(exc, NotADirectoryError | FileExistsError | IsADirectoryError):
        reason = "a file or folder of the same name is in the way"
        hint = " Choose another data folder (PLAYGROUND_HOME)."
    elif "unable to open" in text or isinstance(exc, OSError):
        reason = "the file cannot be opened or created there"
        hint = " Check that the data folder exists and is writable."
    else:
        reason = f"SQLite reported: {exc}"
        hint = ""
    verb = {"open": "be opened", "read": "be read", "write": "be written"}.get(action, action)
    return f"{store} {where} cannot {verb}: {reason}.{hint}"


class SqliteStore:
    """Lifetime and error plumbing shared by the app's SQLite stores (usage ledger, history).

    A subclass is made with `path` (None for a store in memory, see `in_memory`) and sets `path`,
    `_conn` and `_lock` in its `__init__`. It names its exception type (`_failure`), the message
    for use after `close` (`_closed_text`), and for `describe` what the file is (`_store`) and the
    next steps when the disk is full (`_full_hint`) or the file is damaged (`_damaged_hint`).
    """

    path: Path | None
    _conn: sqlite3.Connection | None
    _lock: AbstractContextManager[Any]
    _failure: ClassVar[type[Exception]]
    _closed_text: ClassVar[str]
    _store: ClassVar[str]
    _full_hint: ClassVar[str]
    _damaged_hint: ClassVar[str]

    def __init__(self, path: Path | None) -> None:
        self.path = path

    @classmethod
    def in_memory(cls) -> Self:
        """A store that lives only as long as this object (when the file cannot be used)."""
        return cls(None)

    @property
    def persistent(self) -> bool:
        """False for a store in memory: nothing survives a restart."""
        return self.path is not None

    @classmethod
    def describe(
        cls, action: str, where: str, exc: BaseException, *, read_only: bool = False
    ) -> str:
        """A sentence for the user about why `action` ("open", "read", "write") failed, in the
        store's own words (see `describe_failure`)."""
        return describe_failure(
            cls._store,
            action,
            where,
            exc,
            read_only=read_only,
            full_hint=cls._full_hint,
            damaged_hint=cls._damaged_hint,
        )

    def _prepare(self, conn: sqlite3.Connection) -> None:
        """Sets the connection up and creates or migrates the schema."""
        raise NotImplementedError

    def _open(self, *, autocommit: bool = False) -> sqlite3.Connection:
        """Connects to `path` (in memory when None, making its folder first) and runs `_prepare`.

        Args:
            autocommit: no implicit transactions (`isolation_level=None`); the store begins its own.

        Raises:
            the store's `_failure`, in plain words, whatever went wrong.
        """
        path = self.path
        try:
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                if not path.exists() or not is_read_only(path):
                    # SQLite creates files 0644 and gives its -wal/-shm files the database's mode:
                    # creating the database 0600 first keeps all of them owner-only.
                    ensure_private_file(path)
            target = ":memory:" if path is None else str(path)
            if autocommit:
                conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
            else:
                conn = sqlite3.connect(target, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise self._error("open", exc) from exc
        try:
            self._prepare(conn)
        except (OSError, sqlite3.Error) as exc:
            conn.close()
            raise self._error("open", exc) from exc
        except self._failure:
            conn.close()
            raise
        return conn

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise self._failure(self._closed_text)
        return self._conn

    def _where(self) -> str:
        return "in memory" if self.path is None else f"at {self.path}"

    def _error(self, action: str, exc: BaseException) -> Exception:
        """The store's exception for a failed `action`, in plain words."""
        read_only = is_read_only(self.path)
        return self._failure(self.describe(action, self._where(), exc, read_only=read_only))
