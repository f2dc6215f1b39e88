"""What the SQLite stores share (`playground.core.storage.sqlite`): plain-words failures."""

from __future__ import annotations

import sqlite3

import pytest

from playground.core.storage.sqlite import describe_failure


@pytest.mark.parametrize(
    ("error", "phrase"),
    [
        (sqlite3.OperationalError("database or disk is full"), "the disk is full"),
        (OSError(28, "No space left on device"), "the disk is full"),
        (sqlite3.OperationalError("attempt to write a readonly database"), "read-only"),
        (sqlite3.DatabaseError("database disk image is malformed"), "damaged"),
        (sqlite3.OperationalError("database is locked"), "another program"),
    ],
)
def test_error_messages_are_plain(error: BaseException, phrase: str) -> None:
    message = describe_failure(
        "The store",
        "write",
        "at /x/store.sqlite3",
        error,
        full_hint="Free some space.",
        damaged_hint="Move the file away.",
    )
    assert phrase in message
    assert message.startswith("The store at /x/store.sqlite3 cannot be written: ")
