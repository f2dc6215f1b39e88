"""What the app's SQLite stores (usage ledger, conversation history) share: plain-words failures."""

from __future__ import annotations

import os
from pathlib import Path


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
