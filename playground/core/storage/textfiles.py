"""Reading the text files a user imports: one decoder and one JSON reader for every importer.

Files come from other programs: a spreadsheet's "Unicode text" is UTF-16 with a byte-order mark
(BOM), Windows editors write UTF-8 with a BOM, and anything else may turn up. `decode_text`
accepts UTF-8 (with or without a BOM) and UTF-16 LE/BE with a BOM, and says in plain words what is
wrong with anything else. `read_text_file` adds reading the file, `load_json` turns every way
`json.loads` can fail (bad syntax, a number too long to convert, nesting too deep) into the same
plain message. Each importer catches `TextFileError` and raises its own documented error with the
message, so the user sees one kind of message whatever the file holds.
"""

from __future__ import annotations

import codecs
import json
import re
from pathlib import Path
from typing import Any, Final

_BOMS: Final = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


class TextFileError(ValueError):
    """A file that cannot be read as text or JSON; the message says why in plain words."""


def decode_text(data: bytes) -> str:
    """The text of a file's bytes: UTF-8, UTF-8 with a BOM, or UTF-16 LE/BE with a BOM.

    The BOM is removed; line ends are left as they are.

    Raises:
        TextFileError: the bytes are none of these (the message names the line of the first bad
            byte), or hold NUL characters (a binary file, or UTF-16 without a BOM).
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(encoding)
            except UnicodeDecodeError:
                name = "UTF-16" if encoding.startswith("utf-16") else "UTF-8"
                raise TextFileError(
                    f"This file says it is {name} text but is damaged; save it as UTF-8."
                ) from None
            break
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise TextFileError(
                f"This file is not UTF-8 text (line {line:,} has a character in another "
                "encoding); save it as UTF-8."
            ) from None
    if "\x00" in text:
        raise TextFileError(
            "This file holds NUL characters: it is not a text file, or it is UTF-16 without a "
            "byte-order mark. Save it as UTF-8."
        )
    return text


def read_text_file(path: Path, *, max_bytes: int | None = None) -> str:
    """The text of the file at `path` (see `decode_text`).

    Args:
        path: the file.
        max_bytes: a larger file is refused before it is read (None: no limit).

    Raises:
        TextFileError: the file cannot be read (missing, a folder, no permission), is too large,
            or is not text.
    """
    try:
        size = path.stat().st_size
        if max_bytes is None or size <= max_bytes:
            data = path.read_bytes()
    except OSError as exc:
        raise TextFileError(f"{path.name} cannot be read: {_os_reason(exc)}.") from None
    except ValueError:  # a path with a NUL character, for one
        raise TextFileError(f"{path.name} cannot be read: the name is not a valid path.") from None
    if max_bytes is not None and size > max_bytes:
        raise TextFileError(
            f"{path.name} is {_size(size)}; files up to {_size(max_bytes)} can be read. "
            "Split it into smaller files."
        )
    return decode_text(data)


def load_json(text: str, *, where: str = "") -> Any:
    """`json.loads(text)`, with every failure as a `TextFileError` in plain words.

    Args:
        text: the JSON text.
        where: put before the message ("Line 3: "), for files with one document per line.

    Raises:
        TextFileError: not JSON (with the line and column), a number longer than Python converts
            (4,300 digits), or nesting too deep.
    """
    try:
        return without_lone_surrogates(json.loads(text), text)
    except json.JSONDecodeError as exc:
        if where:
            reason = f"column {exc.colno:,}: {_plain(exc.msg)}"
        else:
            reason = f"line {exc.lineno:,}, column {exc.colno:,}: {exc.msg}"
    except ValueError:  # int() refuses numbers of more than 4,300 digits
        reason = "a number in it is too long to read"
    except RecursionError:
        reason = "it is nested too deeply to read"
    if where:
        raise TextFileError(f"{where}not valid JSON ({reason}).")
    raise TextFileError(f"This is not valid JSON: {reason}.")


_SURROGATE_ESCAPE: Final = re.compile(r"\\u[dD][89a-fA-F]")


def without_lone_surrogates(value: Any, source: str) -> Any:
    """`value` (what `json.loads(source)` returned) with every lone surrogate made U+FFFD.

    JSON may escape half of a UTF-16 pair (`"\\ud800"`); Python reads it into a string that cannot
    be written as UTF-8, so saving it later (a presets file, the history database) would fail.
    Paired escapes are whole characters already and stay as they are. `value` is only walked when
    `source` has such an escape.
    """
    if _SURROGATE_ESCAPE.search(source) is None:
        return value
    return mend_surrogates(value)


def mend_surrogates(value: Any) -> Any:
    """A JSON value with every lone surrogate in its strings (keys too) made U+FFFD."""
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, list):
        return [mend_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {mend_surrogates(k): mend_surrogates(v) for k, v in value.items()}
    return value


def _plain(msg: str) -> str:
    return msg[:1].lower() + msg[1:]


def _size(size: int) -> str:
    if size >= 1_048_576:
        return f"{size / 1_048_576:,.0f} MB"
    return f"{size / 1024:,.0f} KB"


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "there is no such file"
    if isinstance(exc, IsADirectoryError):
        return "it is a folder"
    if isinstance(exc, PermissionError):
        return "you do not have permission to read it"
    return str(exc.strerror or exc).rstrip(".").lower()
