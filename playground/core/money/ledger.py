"""The usage ledger: one SQLite row per request the app sends, kept across restarts.

One `UsageLedger` owns one connection (stdlib `sqlite3`, WAL journal). The connection is opened with
`check_same_thread=False` and every use holds the ledger's lock, so a worker thread may record while
the GUI thread reads totals.

Storage choices:

* `time_utc` is ISO-8601 UTC text with microseconds and offset, fixed width
  (`2026-11-22T01:46:09.123456+00:00`), so text order is time order and `since` is a range query.
* `local_date` (`YYYY-MM-DD`, indexed) is the row's date in the machine's local time when it was
  recorded: "today" is one index lookup. A row keeps its date if the user later changes time zone.
* `cost` is the exact `Decimal` as TEXT, or NULL when the price is unknown; sums are done in
  Decimal by a custom SQL aggregate, never in floating point.
* Version 2 added, as columns with defaults (a file of version 1 gains them when opened): the
  tab that sent the request (`tab`, "" for older rows) and the token kinds beyond cached and
  reasoning (cache writes, audio in and out, image tokens in and out).
* The schema version lives in `PRAGMA user_version`. The ledger expects a database file of its own:
  another component sharing the file and its `user_version` would collide with it.

Anything the OS or SQLite refuses (a read-only or missing folder, a full disk, a damaged file, a
database from a newer app) raises `LedgerError` with a sentence a user can act on: what failed, why
and what to do. What happens next is the caller's to say: the app shows it and carries on with
`UsageLedger.in_memory()`.
"""

from __future__ import annotations

import csv
import logging
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation, localcontext
from pathlib import Path
from typing import Final, TextIO

from playground.core.models import Endpoint, LedgerEntry, RequestStatus, Usage, UsageTotals
from playground.core.storage.sqlite import SqliteStore

log = logging.getLogger(__name__)

SCHEMA_VERSION: Final = 3

_SCHEMA_V1: Final = """
CREATE TABLE usage_ledger (
    id               INTEGER PRIMARY KEY,
    time_utc         TEXT    NOT NULL,
    local_date       TEXT    NOT NULL,
    provider         TEXT    NOT NULL,
    model            TEXT    NOT NULL,
    endpoint         TEXT    NOT NULL,
    input_tokens     INTEGER NOT NULL DEFAULT 0,
    output_tokens    INTEGER NOT NULL DEFAULT 0,
    cached_tokens    INTEGER NOT NULL DEFAULT 0,
    reasoning_tokens INTEGER NOT NULL DEFAULT 0,
    images           INTEGER NOT NULL DEFAULT 0,
    audio_seconds    REAL    NOT NULL DEFAULT 0,
    characters       INTEGER NOT NULL DEFAULT 0,
    estimated        INTEGER NOT NULL DEFAULT 0,
    cost             TEXT,
    latency_ms       REAL,
    status           TEXT    NOT NULL,
    session_id       TEXT    NOT NULL,
    conversation_id  TEXT,
    request_id       TEXT
);
CREATE INDEX usage_ledger_local_date ON usage_ledger (local_date);
CREATE INDEX usage_ledger_time ON usage_ledger (time_utc);
CREATE INDEX usage_ledger_session ON usage_ledger (session_id);
CREATE INDEX usage_ledger_conversation ON usage_ledger (conversation_id);
"""

# Version 1 -> 2: additive columns only, so no row is rewritten.
_SCHEMA_V2_STEP: Final = """
ALTER TABLE usage_ledger ADD COLUMN tab TEXT NOT NULL DEFAULT '';
ALTER TABLE usage_ledger ADD COLUMN cache_write_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_ledger ADD COLUMN audio_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_ledger ADD COLUMN output_audio_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_ledger ADD COLUMN image_input_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_ledger ADD COLUMN image_output_tokens INTEGER NOT NULL DEFAULT 0;
DROP INDEX IF EXISTS usage_ledger_day_groups;
"""

# Version 2 -> 3: the built-in tool calls billed per call (additive, no row rewritten).
_SCHEMA_V3_STEP: Final = """
ALTER TABLE usage_ledger ADD COLUMN web_searches INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_ledger ADD COLUMN file_searches INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_ledger ADD COLUMN code_runs INTEGER NOT NULL DEFAULT 0;
"""

# The Usage page's chart and per-group totals read only these columns of a period: with them all
# in one index, SQLite answers from the index alone (about 20x faster on 100,000 rows than reading
# the table, bench/usage_page.py). Created when missing, so older files gain it without a new
# schema version (which older app versions would refuse to open).
_USAGE_PAGE_INDEX: Final = (
    "CREATE INDEX IF NOT EXISTS usage_ledger_day_groups_v2 ON usage_ledger (local_date, model, "
    "tab, endpoint, provider, conversation_id, cost, input_tokens, output_tokens)"
)

_COLUMNS: Final = (
    "time_utc, local_date, provider, model, endpoint, input_tokens, output_tokens, cached_tokens, "
    "reasoning_tokens, images, audio_seconds, characters, estimated, cost, latency_ms, status, "
    "session_id, conversation_id, request_id, tab, cache_write_tokens, audio_tokens, "
    "output_audio_tokens, image_input_tokens, image_output_tokens, web_searches, file_searches, "
    "code_runs"
)


class LedgerError(Exception):
    """The ledger cannot be opened, read or written; the message says why in plain words."""


class LedgerDamagedError(LedgerError):
    """The ledger file is damaged (not a database, or pages that fail SQLite's check): it can only
    be moved aside (`move_aside`) and a new one started."""


def _is_damage(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "not a database" in text or "malformed" in text or "corrupt" in text


def move_aside(path: Path, now: datetime | None = None) -> Path:
    """Renames a damaged ledger file (and its `-wal`/`-shm` files) to
    `<name>.damaged-<local time>` next to it, so a new ledger can start at `path`; returns the new
    name of the database file. Nothing is deleted: the old file can still be inspected.

    Raises:
        OSError: a file could not be renamed.
    """
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    path.replace(target)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.replace(target.with_name(target.name + suffix))
    return target


def _utc_text(moment: datetime) -> str:
    """Fixed-width ISO-8601 UTC. A naive datetime is taken as local time (Python's convention)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _local_date(moment: datetime) -> str:
    return moment.astimezone().date().isoformat()


class _DecimalSum:
    """SQL aggregate `decimal_sum(text)`: the exact sum of Decimal strings, as text (NULLs skipped)."""

    def __init__(self) -> None:
        self.values: list[str] = []

    def step(self, value: str | None) -> None:
        # Only collected here (SQLite calls this once per row: the Usage page sums 100,000 rows);
        # summed once in `finalize`.
        if value is not None:
            self.values.append(value)

    def finalize(self) -> str:
        with localcontext() as ctx:
            ctx.prec = 60  # far beyond any plausible spend: the sum is exact
            return str(sum(map(Decimal, self.values), Decimal(0)))


class UsageLedger(SqliteStore):
    """The usage ledger in SQLite.

    Args:
        path: the database file (created with its folder if missing), or None for a ledger in
            memory (see `in_memory`).

    Raises:
        LedgerError: the file cannot be opened or created, is damaged, or is from a newer version.
    """

    _failure = LedgerError
    _closed_text = "The usage ledger is closed."
    _store = "The usage ledger"
    _full_hint = "Free some space and restart Playground."
    _damaged_hint = (
        "Move it aside (your settings are not in it) and restart Playground to start a new one."
    )

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._conn = self._open(autocommit=True)

    def _prepare(self, conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA busy_timeout = 5000")  # another app window may be writing
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise LedgerError(
                f"The usage ledger {self._where()} was written by a newer version of Playground "
                f"(format {version}, this version knows {SCHEMA_VERSION}). Update Playground to "
                "keep using it."
            )
        if version >= 1 and self.path is not None:
            # Damaged pages are otherwise found by the first read, after the window is built
            # (the totals shown at start): check them now, while the caller can still carry on
            # with a ledger in memory. quick_check reads each page once (about 30 ms for 200,000
            # rows) and skips the slower index-content checks of integrity_check.
            verdict = conn.execute("PRAGMA quick_check(1)").fetchone()
            if verdict is None or verdict[0] != "ok":
                raise sqlite3.DatabaseError(f"database disk image is malformed ({verdict})")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        if version < SCHEMA_VERSION:
            conn.execute("BEGIN IMMEDIATE")
            try:
                # Read again inside the write lock: another window may have just created it.
                version = int(conn.execute("PRAGMA user_version").fetchone()[0])
                steps = [
                    step
                    for since, step in ((0, _SCHEMA_V1), (1, _SCHEMA_V2_STEP), (2, _SCHEMA_V3_STEP))
                    if version <= since
                ]
                for step in steps:
                    for statement in step.split(";"):
                        if statement.strip():
                            conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        try:
            conn.execute(_USAGE_PAGE_INDEX)
        except sqlite3.OperationalError as exc:  # a read-only file: the page is slower, that's all
            log.info("usage ledger: no index for the Usage page (%s)", exc)
        # typeshed's aggregate protocol assumes int values; SQLite passes whatever the column holds.
        conn.create_aggregate("decimal_sum", 1, _DecimalSum)  # type: ignore[arg-type]

    def _error(self, action: str, exc: BaseException) -> Exception:
        """`LedgerDamagedError` for a damaged file (the app offers to move it aside)."""
        error = super()._error(action, exc)
        if _is_damage(exc) and not isinstance(error, LedgerDamagedError):
            return LedgerDamagedError(str(error))
        return error

    def copy_rows_to(self, other: UsageLedger) -> int:
        """Writes every row of this ledger into `other` (the session's rows kept in memory while
        the file was damaged, into the new file); returns how many.

        Raises:
            LedgerError: a read or a write failed.
        """
        sql = f"SELECT {_COLUMNS} FROM usage_ledger ORDER BY id"
        with self._lock:
            try:
                rows = self._connection().execute(sql).fetchall()
            except sqlite3.Error as exc:
                raise self._error("read", exc) from exc
        for row in rows:
            other.record(self._entry(row))
        return len(rows)

    # --- writing ------------------------------------------------------------------------------

    def record(self, entry: LedgerEntry) -> int:
        """Write one row and return its id.

        Raises:
            LedgerError: the write failed (disk full, file became read-only...).
        """
        u = entry.usage
        cost = None
        if entry.cost is not None:
            if not entry.cost.is_finite():
                raise ValueError(f"cost must be a finite Decimal, got {entry.cost!r}")
            cost = str(entry.cost)
        row = (
            _utc_text(entry.time),
            _local_date(entry.time),
            entry.provider,
            entry.model,
            entry.endpoint.value,
            u.input_tokens,
            u.output_tokens,
            u.cached_tokens,
            u.reasoning_tokens,
            u.images,
            float(u.audio_seconds),
            u.characters,
            int(u.estimated),
            cost,
            entry.latency_ms,
            entry.status.value,
            entry.session_id,
            entry.conversation_id,
            entry.request_id,
            entry.tab,
            u.cache_write_tokens,
            u.audio_tokens,
            u.output_audio_tokens,
            u.image_input_tokens,
            u.image_output_tokens,
            u.web_searches,
            u.file_searches,
            u.code_runs,
        )
        placeholders = ", ".join("?" * len(row))
        with self._lock:
            conn = self._connection()
            try:
                cursor = conn.execute(
                    f"INSERT INTO usage_ledger ({_COLUMNS}) VALUES ({placeholders})", row
                )
            except sqlite3.Error as exc:
                raise self._error("write", exc) from exc
            row_id = cursor.lastrowid
        assert row_id is not None
        return row_id

    # --- reading ------------------------------------------------------------------------------

    def totals(
        self,
        *,
        session_id: str | None = None,
        conversation_id: str | None = None,
        since: datetime | None = None,
        day: date | None = None,
        days: tuple[date, date] | None = None,
        provider: str | None = None,
    ) -> UsageTotals:
        """Sum the rows matching every given filter (all rows if none is given).

        Args:
            session_id: rows of one app session.
            conversation_id: rows of one conversation.
            since: rows at or after this moment (a naive datetime is local time).
            day: rows recorded on this local calendar date.
            days: rows recorded from the first to the last local date, both included.
            provider: rows of the provider with this name.

        Returns:
            Summed usage; `cost` sums the priced rows, `unpriced` counts the others.

        Raises:
            LedgerError: the database could not be read.
        """
        where: list[str] = []
        params: list[str] = []
        if session_id is not None:
            where.append("session_id = ?")
            params.append(session_id)
        if conversation_id is not None:
            where.append("conversation_id = ?")
            params.append(conversation_id)
        if since is not None:
            where.append("time_utc >= ?")
            params.append(_utc_text(since))
        if day is not None:
            where.append("local_date = ?")
            params.append(day.isoformat())
        if days is not None:
            where.append("local_date BETWEEN ? AND ?")
            params += [days[0].isoformat(), days[1].isoformat()]
        if provider is not None:
            where.append("provider = ?")
            params.append(provider)
        sql = (
            "SELECT COUNT(*), SUM(input_tokens), SUM(output_tokens), SUM(cached_tokens), "
            "SUM(reasoning_tokens), SUM(images), TOTAL(audio_seconds), SUM(characters), "
            "MAX(estimated), decimal_sum(cost), SUM(cost IS NULL), SUM(cache_write_tokens), "
            "SUM(audio_tokens), SUM(output_audio_tokens), SUM(image_input_tokens), "
            "SUM(image_output_tokens), SUM(web_searches), SUM(file_searches), SUM(code_runs) "
            "FROM usage_ledger"
        )
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self._lock:
            conn = self._connection()
            try:
                r = conn.execute(sql, params).fetchone()
            except sqlite3.Error as exc:
                raise self._error("read", exc) from exc
        # SUM() of integers is an exact integer (NULL when no row matches).
        usage = Usage(
            input_tokens=r[1] or 0,
            output_tokens=r[2] or 0,
            cached_tokens=r[3] or 0,
            reasoning_tokens=r[4] or 0,
            images=r[5] or 0,
            audio_seconds=float(r[6]),
            characters=r[7] or 0,
            estimated=bool(r[8]),
            cache_write_tokens=r[11] or 0,
            audio_tokens=r[12] or 0,
            output_audio_tokens=r[13] or 0,
            image_input_tokens=r[14] or 0,
            image_output_tokens=r[15] or 0,
            web_searches=r[16] or 0,
            file_searches=r[17] or 0,
            code_runs=r[18] or 0,
        )
        return UsageTotals(
            requests=int(r[0]),
            usage=usage,
            cost=Decimal(r[9]) if r[9] is not None else Decimal(0),
            unpriced=r[10] or 0,
        )

    def recent(self, limit: int = 100) -> list[LedgerEntry]:
        """The newest `limit` rows, newest first.

        Raises:
            LedgerError: the database could not be read.
        """
        sql = f"SELECT {_COLUMNS} FROM usage_ledger ORDER BY time_utc DESC, id DESC LIMIT ?"
        with self._lock:
            conn = self._connection()
            try:
                rows = conn.execute(sql, (limit,)).fetchall()
            except sqlite3.Error as exc:
                raise self._error("read", exc) from exc
        return [self._entry(row) for row in rows]

    def conversation_rows(self, conversation_id: str) -> list[LedgerEntry]:
        """Every row of one conversation, oldest first.

        Raises:
            LedgerError: the database could not be read.
        """
        sql = f"SELECT {_COLUMNS} FROM usage_ledger WHERE conversation_id = ? ORDER BY time_utc, id"
        return [self._entry(row) for row in self._read(sql, (conversation_id,))]

    # --- aggregates (the Usage page) ----------------------------------------------------------

    def daily_costs(self, first: date, last: date, by: str) -> list[tuple[date, str, Decimal]]:
        """Spend per local day and per `by` ("model", "tab", "endpoint", "provider" or
        "conversation")
        from `first` to `last` (both included): (day, key, exact cost of the priced rows), in day
        order. Days without a row are not listed.

        Raises:
            LedgerError: the database could not be read.
        """
        column = _group_column(by)
        sql = (
            f"SELECT local_date, {column}, decimal_sum(cost) FROM usage_ledger "
            "WHERE local_date BETWEEN ? AND ? GROUP BY local_date, 2 ORDER BY local_date, 2"
        )
        rows = self._read(sql, (first.isoformat(), last.isoformat()))
        return [(date.fromisoformat(str(d)), str(k), Decimal(str(c))) for d, k, c in rows]

    def group_totals(self, first: date, last: date, by: str) -> list[GroupTotal]:
        """Totals per `by` ("model", "endpoint", "provider" or "conversation") from `first` to
        `last`, the most expensive first (then the most requests).

        Raises:
            LedgerError: the database could not be read.
        """
        column = _group_column(by)
        sql = (
            f"SELECT {column}, COUNT(*), SUM(input_tokens), SUM(output_tokens), "
            "decimal_sum(cost), SUM(cost IS NULL) FROM usage_ledger "
            "WHERE local_date BETWEEN ? AND ? GROUP BY 1"
        )
        rows = self._read(sql, (first.isoformat(), last.isoformat()))
        totals = [
            GroupTotal(
                key=str(k),
                requests=_int(n),
                input_tokens=_int(i or 0),
                output_tokens=_int(o or 0),
                cost=Decimal(str(c)),
                unpriced=_int(u or 0),
            )
            for k, n, i, o, c, u in rows
        ]
        return sorted(totals, key=lambda t: (-t.cost, -t.requests, t.key))

    def most_expensive(self, first: date, last: date, limit: int = 10) -> list[LedgerEntry]:
        """The `limit` priced rows that cost most from `first` to `last`, most expensive first.

        Raises:
            LedgerError: the database could not be read.
        """
        # REAL only orders the rows; the costs returned are the exact stored Decimals.
        sql = (
            f"SELECT {_COLUMNS} FROM usage_ledger WHERE local_date BETWEEN ? AND ? "
            "AND cost IS NOT NULL ORDER BY CAST(cost AS REAL) DESC, id LIMIT ?"
        )
        rows = self._read(sql, (first.isoformat(), last.isoformat(), limit))
        return [self._entry(row) for row in rows]

    def export_csv(self, out: TextIO, first: date | None = None, last: date | None = None) -> int:
        """Writes every column of the rows from `first` to `last` (every row when not given) to
        `out` as CSV with a header line, oldest first; returns how many rows.

        Raises:
            LedgerError: the database could not be read.
        """
        names = [c.strip() for c in _COLUMNS.split(",")]
        writer = csv.writer(out)
        writer.writerow(names)
        sql = f"SELECT {_COLUMNS} FROM usage_ledger"
        params: tuple[str, ...] = ()
        if first is not None and last is not None:
            sql += " WHERE local_date BETWEEN ? AND ?"
            params = (first.isoformat(), last.isoformat())
        rows = self._read(sql + " ORDER BY time_utc, id", params)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])
        return len(rows)

    def _read(self, sql: str, params: tuple[object, ...]) -> list[tuple[object, ...]]:
        with self._lock:
            conn = self._connection()
            try:
                return conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise self._error("read", exc) from exc

    def _entry(self, row: tuple[object, ...]) -> LedgerEntry:
        (
            time_utc,
            _local,
            provider,
            model,
            endpoint,
            input_tokens,
            output_tokens,
            cached_tokens,
            reasoning_tokens,
            images,
            audio_seconds,
            characters,
            estimated,
            cost,
            latency_ms,
            status,
            session_id,
            conversation_id,
            request_id,
            tab,
            cache_write_tokens,
            audio_tokens,
            output_audio_tokens,
            image_input_tokens,
            image_output_tokens,
            web_searches,
            file_searches,
            code_runs,
        ) = row
        try:
            return LedgerEntry(
                time=datetime.fromisoformat(str(time_utc)),
                provider=str(provider),
                model=str(model),
                endpoint=Endpoint(str(endpoint)),
                usage=Usage(
                    input_tokens=_int(input_tokens),
                    output_tokens=_int(output_tokens),
                    cached_tokens=_int(cached_tokens),
                    reasoning_tokens=_int(reasoning_tokens),
                    images=_int(images),
                    audio_seconds=_float(audio_seconds),
                    characters=_int(characters),
                    estimated=bool(estimated),
                    cache_write_tokens=_int(cache_write_tokens),
                    audio_tokens=_int(audio_tokens),
                    output_audio_tokens=_int(output_audio_tokens),
                    image_input_tokens=_int(image_input_tokens),
                    image_output_tokens=_int(image_output_tokens),
                    web_searches=_int(web_searches),
                    file_searches=_int(file_searches),
                    code_runs=_int(code_runs),
                ),
                cost=None if cost is None else Decimal(str(cost)),
                latency_ms=None if latency_ms is None else _float(latency_ms),
                status=RequestStatus(str(status)),
                session_id=str(session_id),
                conversation_id=None if conversation_id is None else str(conversation_id),
                request_id=None if request_id is None else str(request_id),
                tab=str(tab),
            )
        except (ValueError, TypeError, InvalidOperation) as exc:
            raise LedgerError(
                f"The usage ledger {self._where()} holds a row this version cannot read ({exc})."
            ) from exc

    # --- lifetime -----------------------------------------------------------------------------


#: A sentence for the user about why `action` ("open", "read", "write") failed.
_describe = UsageLedger.describe


@dataclass(frozen=True, slots=True)
class GroupTotal:
    """Summed rows of one model, tab, kind of request, provider or conversation ("" for none)."""

    key: str
    requests: int
    input_tokens: int
    output_tokens: int
    cost: Decimal
    unpriced: int


#: What the Usage page can group by, and the column (or expression) each groups on.
GROUPS: Final = {
    "model": "model",
    "tab": "tab",
    "endpoint": "endpoint",
    "provider": "provider",
    "conversation": "COALESCE(conversation_id, '')",
}


def _group_column(by: str) -> str:
    try:
        return GROUPS[by]
    except KeyError:
        raise ValueError(f"cannot group the ledger by {by!r}") from None


def _int(value: object) -> int:
    if isinstance(value, int):
        return value
    raise TypeError(f"expected an integer, got {value!r}")


def _float(value: object) -> float:
    if isinstance(value, int | float):
        return float(value)
    raise TypeError(f"expected a number, got {value!r}")
