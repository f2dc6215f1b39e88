"""Texts in, vectors out: reading the inputs (typed lines, .txt, .csv, .jsonl) and the exports.

Every input file becomes a `InputTable`: named columns of text. A .txt file has one column (one
text per line); a .csv file has its header's columns; a .jsonl file has the keys of its objects
(a line holding a bare JSON string counts as column "text"). The tab shows a column picker when
there is more than one column. Empty texts are skipped and counted, never sent.

Exports write vectors as CSV (label + one column per dimension), NumPy `.npy` (float32, shape
n × d) and JSONL (`{"text": ..., "embedding": [...]}` per line), and the similarity matrix as CSV
with the labels as header and first column. numpy is imported inside `write_npy` only.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from playground.core.api.errors import AppError
from playground.core.storage.textfiles import TextFileError, decode_text, load_json

MAX_FILE_BYTES = 50 * 1024 * 1024
SUPPORTED_SUFFIXES = (".txt", ".csv", ".jsonl")
TEXT_COLUMN = "text"
_PREFERRED_COLUMNS = ("text", "input", "content", "sentence", "title", "body", "question")


class InputFileError(Exception):
    """An input file cannot be used; the message says why and what to do, in plain words.

    The only error `read_table`, `parse_table` and `InputTable.column` raise, whatever the file
    holds.
    """


@dataclass(frozen=True, slots=True)
class ParsedTexts:
    """Texts ready to embed.

    Attributes:
        texts: the non-empty texts, in order (surrounding whitespace removed).
        skipped_empty: how many empty or blank entries were left out.
        line_numbers: where each text was (1-based line or record number), for messages.
    """

    texts: tuple[str, ...]
    skipped_empty: int = 0
    line_numbers: tuple[int, ...] = ()


def short(text: str, width: int = 28) -> str:
    """A text cut to `width` characters on one line, with an ellipsis when cut (for labels)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"


def parse_lines(text: str) -> ParsedTexts:
    """One text per line; blank lines are skipped and counted (a trailing newline is not one)."""
    lines = text.splitlines()
    kept = [(n, line.strip()) for n, line in enumerate(lines, start=1) if line.strip()]
    return ParsedTexts(
        tuple(t for _n, t in kept), len(lines) - len(kept), tuple(n for n, _t in kept)
    )


def clean(values: Sequence[str]) -> ParsedTexts:
    """Non-empty values, stripped; empty ones skipped and counted."""
    kept = [(n, v.strip()) for n, v in enumerate(values, start=1) if v.strip()]
    return ParsedTexts(
        tuple(t for _n, t in kept), len(values) - len(kept), tuple(n for n, _t in kept)
    )


@dataclass(frozen=True, slots=True)
class InputTable:
    """An input file's texts by column.

    Attributes:
        name: the file name, for messages.
        columns: column names in file order.
        rows: one tuple per record, aligned with `columns` ("" where a record has no value).
    """

    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def column(self, name: str) -> ParsedTexts:
        """The texts of one column, empty ones skipped and counted."""
        try:
            at = self.columns.index(name)
        except ValueError:
            raise InputFileError(f"{self.name} has no column named {name!r}.") from None
        return clean([row[at] if at < len(row) else "" for row in self.rows])

    @property
    def default_column(self) -> str:
        """The column most likely to hold the texts: a well-known name, else the longest texts."""
        lowered = [c.lower() for c in self.columns]
        for name in _PREFERRED_COLUMNS:
            if name in lowered:
                return self.columns[lowered.index(name)]

        def avg_len(at: int) -> float:
            values = [row[at] for row in self.rows[:200] if at < len(row)]
            return sum(len(v) for v in values) / max(len(values), 1)

        return self.columns[max(range(len(self.columns)), key=avg_len)]


def read_table(path: Path) -> InputTable:
    """Reads a .txt, .csv or .jsonl file of texts: UTF-8 (with or without a byte-order mark) or
    UTF-16 with a byte-order mark (a spreadsheet's "Unicode text").

    Raises:
        InputFileError: wrong type, too big, not text, no texts, or invalid JSON/CSV (the
            message names the line); the only error, for any file.
    """
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        kind = suffix or "without an extension"
        raise InputFileError(
            f"{path.name}: files {kind} cannot be read here. Open a .txt (one text per line), "
            ".csv (pick the column) or .jsonl file."
        )
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputFileError(
                f"{path.name} is {size / 1_048_576:.0f} MB; files up to "
                f"{MAX_FILE_BYTES // 1_048_576} MB can be loaded. Split it into smaller files."
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise InputFileError(f"{path.name} cannot be read: {exc.strerror or exc}.") from exc
    except ValueError:  # a path with a NUL character
        raise InputFileError(f"{path.name} cannot be read: the name is not a valid path.") from None
    return parse_table(path.name, suffix, raw)


def read_table_or_explain(path: Path) -> InputTable:
    """`read_table` for a tab: its one error becomes an `AppError` ("Can't use that file") that
    the tab shows as it is."""
    try:
        return read_table(path)
    except InputFileError as exc:
        raise AppError.local("Can't use that file", str(exc)) from exc


def parse_table(name: str, suffix: str, raw: bytes) -> InputTable:
    """`read_table` for a file's bytes (`suffix`: ".txt", ".csv" or ".jsonl", as the file's).

    Raises:
        InputFileError: as `read_table`.
    """
    try:
        text = decode_text(raw)
    except TextFileError as exc:
        raise InputFileError(f"{name}: {exc}") from None
    if suffix == ".txt":
        table = InputTable(name, (TEXT_COLUMN,), tuple((line,) for line in text.splitlines()))
    elif suffix == ".csv":
        table = _read_csv(name, text)
    else:
        table = _read_jsonl(name, text)
    if not table.rows:
        raise InputFileError(f"{name} holds no texts.")
    return table


def _read_csv(name: str, text: str) -> InputTable:
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            text[:8192], delimiters=",;\t|"
        )
        csv.reader(io.StringIO(""), dialect)  # a guess the reader refuses raises here
    except (csv.Error, TypeError, ValueError):
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        rows = list(reader)
    except csv.Error as exc:
        where = f"{name}, line {max(reader.line_num, 1):,}"
        if "field larger than field limit" in str(exc):
            raise InputFileError(
                f"{where}: a cell is longer than {csv.field_size_limit():,} characters, the most "
                "a CSV cell can hold here. Split the text, or use a .txt or .jsonl file."
            ) from None
        raise InputFileError(f"{where}: this is not valid CSV ({exc}).") from None
    while rows and not any(cell.strip() for cell in rows[0]):
        rows.pop(0)
    if len(rows) < 2:
        raise InputFileError(f"{name} holds no texts below its header row.")
    header = [h.strip() or f"column {i + 1}" for i, h in enumerate(rows[0])]
    # Blank rows stay (as empty texts) so they are counted as skipped, like blank lines.
    width = len(header)
    body = tuple(tuple(r[:width]) for r in rows[1:])
    return InputTable(name, tuple(header), body)


def _read_jsonl(name: str, text: str) -> InputTable:
    columns: list[str] = []
    records: list[dict[str, str]] = []
    # Lines end at "\n" only: str.splitlines would also cut at U+0085, U+2028… which
    # `write_vectors_jsonl` leaves unescaped inside strings.
    lines = text.split("\n")
    if lines and not lines[-1].strip():
        lines.pop()  # the newline that ends the last line
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            records.append({})
            continue
        try:
            value = load_json(line, where=f"{name}, line {number:,}: ")
        except TextFileError as exc:
            raise InputFileError(str(exc)) from None
        if isinstance(value, str):
            value = {TEXT_COLUMN: value}
        if not isinstance(value, dict):
            raise InputFileError(
                f'{name}, line {number}: expected an object like {{"text": "..."}} or a string.'
            )
        record = {k: v for k, v in value.items() if isinstance(v, str)}
        for key in record:
            if key not in columns:
                columns.append(key)
        records.append(record)
    if not columns:
        raise InputFileError(f'{name} has no text fields (expected lines like {{"text": "..."}}).')
    rows = tuple(tuple(r.get(c, "") for c in columns) for r in records)
    return InputTable(name, tuple(columns), rows)


# --- exports ----------------------------------------------------------------------------------

Vector = Sequence[float]


def write_vectors_csv(path: Path, labels: Sequence[str], vectors: Sequence[Vector]) -> None:
    """`text,d0,d1,...`: one row per text; floats written with repr precision."""
    width = len(vectors[0]) if vectors else 0
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", *(f"d{i}" for i in range(width))])
        for label, vector in zip(labels, vectors, strict=True):
            writer.writerow([label, *(repr(float(v)) for v in vector)])


def write_vectors_jsonl(path: Path, labels: Sequence[str], vectors: Sequence[Vector]) -> None:
    """One `{"text": ..., "embedding": [...]}` object per line."""
    with path.open("w", encoding="utf-8") as f:
        for label, vector in zip(labels, vectors, strict=True):
            record = {"text": label, "embedding": [float(v) for v in vector]}
            f.write(json.dumps(record, ensure_ascii=False) + "\n")


def write_npy(path: Path, vectors: object) -> None:
    """A float32 array of shape (n, d), readable with `numpy.load` (`vectors`: rows of floats or
    an array)."""
    import numpy as np  # deferred: only the export needs it here

    np.save(path, np.asarray(vectors, dtype=np.float32), allow_pickle=False)


def write_similarity_csv(
    path: Path, labels: Sequence[str], matrix: Sequence[Sequence[float]]
) -> None:
    """The square similarity matrix with the labels as header row and first column."""
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["", *labels])
        for label, row in zip(labels, matrix, strict=True):
            writer.writerow([label, *(f"{float(v):.6f}" for v in row)])
