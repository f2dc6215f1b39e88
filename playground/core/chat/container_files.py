"""Files the code interpreter made: fetched from its container (`containers.files.content`) and
written where the user chose. Plain Python, no Qt."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playground.core.api.errors import AppError, from_exception
from playground.core.chat.builtin_tools import Citation


async def container_file_bytes(client_source: Callable[[], Any], file: Citation) -> bytes:
    """The content of `file` (a code interpreter's, with its `container_id`).

    Raises:
        AppError: the request failed; a container OpenAI no longer keeps (they expire after a
            while unused) says so in plain words.
    """
    try:
        response = await client_source().containers.files.content.retrieve(
            file.file_id, container_id=file.container_id
        )
        return bytes(response.read())
    except Exception as exc:
        error = from_exception(exc)
        if getattr(exc, "status_code", None) == 404:
            raise AppError.local(
                "File no longer on OpenAI",
                f"{file.filename or 'This file'} was kept in the code interpreter's sandbox, "
                "which OpenAI has since cleared (sandboxes expire when unused for a while).",
                "Ask the model to make the file again.",
            ) from exc
        raise error from exc


def write_file(path: str | os.PathLike[str], data: bytes) -> None:
    """Writes `data` to `path` (through a temporary file, so a failed write leaves nothing half)."""
    target = Path(path)
    partial = target.with_name(target.name + ".part")
    try:
        partial.write_bytes(data)
        partial.replace(target)
    except OSError:
        partial.unlink(missing_ok=True)
        raise
