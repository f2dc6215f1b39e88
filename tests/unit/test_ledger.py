"""The SQLite usage ledger: exact round trips, totals, failures in plain words, threads."""

from __future__ import annotations

import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from playground.core.models import Endpoint, LedgerEntry, RequestStatus, Usage, UsageTotals
from playground.core.money.ledger import (
    _SCHEMA_V2_STEP,
    SCHEMA_VERSION,
    LedgerError,
    UsageLedger,
    _describe,
)

REPO = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 20, 9, 30, 15, 123456, tzinfo=UTC)


def entry(
    *,
    time: datetime = T0,
    cost: Decimal | None = Decimal("0.00045"),
    session_id: str = "s1",
    conversation_id: str | None = "c1",
    usage: Usage | None = None,
    **changes: object,
) -> LedgerEntry:
    fields: dict[str, object] = {
        "time": time,
        "provider": "OpenAI",
        "model": "gpt-4o-mini",
        "endpoint": Endpoint.CHAT,
        "usage": usage if usage is not None else Usage(input_tokens=1000, output_tokens=500),
        "cost": cost,
        "latency_ms": 812.5,
        "status": RequestStatus.OK,
        "session_id": session_id,
        "conversation_id": conversation_id,
        "request_id": "req_123",
    }
    fields.update(changes)
    return LedgerEntry(**fields)  # type: ignore[arg-type]


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[UsageLedger]:
    with UsageLedger(tmp_path / "data" / "ledger.sqlite3") as led:
        yield led


# --- round trips ---------------------------------------------------------------------------------


def test_round_trip_every_field(ledger: UsageLedger) -> None:
    full = entry(
        usage=Usage(
            input_tokens=1234,
            output_tokens=567,
            cached_tokens=200,
            reasoning_tokens=300,
            images=2,
            audio_seconds=12.75,
            characters=99,
            estimated=True,
            cache_write_tokens=11,
            audio_tokens=22,
            output_audio_tokens=33,
            image_input_tokens=44,
            image_output_tokens=55,
        ),
        tab="audio",
        endpoint=Endpoint.SPEECH,
        status=RequestStatus.CANCELLED,
        cost=Decimal("0.000150075"),
        latency_ms=1234.567,
        provider="Local Ollama",
        model="ft:gpt-4o-mini-2024-07-18:org::abc",
        session_id="session-é",
        conversation_id="conv-✓",
        request_id="req_abc",
    )
    row_id = ledger.record(full)
    assert isinstance(row_id, int)
    [back] = ledger.recent()
    assert back == full
    assert back.time.tzinfo is not None


def test_round_trip_of_optional_fields(ledger: UsageLedger) -> None:
    sparse = entry(cost=None, latency_ms=None, conversation_id=None, request_id=None, usage=Usage())
    ledger.record(sparse)
    assert ledger.recent() == [sparse]


def test_time_in_another_zone_keeps_its_instant(ledger: UsageLedger) -> None:
    india = timezone(timedelta(hours=5, minutes=30))
    moment = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=india)
    ledger.record(entry(time=moment))
    [back] = ledger.recent()
    assert back.time == moment
    assert back.time.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "cost",
    [
        Decimal("0.000150075"),
        Decimal("1E-12"),
        Decimal("0.10"),
        Decimal("12345.678901234567890123456789"),
        Decimal(0),
    ],
)
def test_decimal_precision_is_kept(ledger: UsageLedger, cost: Decimal) -> None:
    ledger.record(entry(cost=cost))
    [back] = ledger.recent()
    assert back.cost == cost
    assert str(back.cost) == str(cost)


def test_sums_are_exact_decimals(ledger: UsageLedger) -> None:
    for value in ("0.1", "0.2", "0.000000001", "0.000000002"):
        ledger.record(entry(cost=Decimal(value)))
    assert ledger.totals().cost == Decimal("0.300000003")
    for _ in range(1000):
        ledger.record(entry(cost=Decimal("0.00001")))
    assert ledger.totals().cost == Decimal("0.310000003")


def test_recent_is_newest_first_and_limited(ledger: UsageLedger) -> None:
    for minute in range(5):
        ledger.record(entry(time=T0 + timedelta(minutes=minute), request_id=f"r{minute}"))
    assert [e.request_id for e in ledger.recent(limit=3)] == ["r4", "r3", "r2"]


def test_persists_across_reopen_with_schema_version_and_wal(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    with UsageLedger(path) as led:
        led.record(entry())
        assert led.persistent
    with UsageLedger(path) as led:
        assert led.totals().requests == 1
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


# The ledger's first format (schema version 1), as app versions before the tab column wrote it.
_V1_TABLE = """
CREATE TABLE usage_ledger (
    id INTEGER PRIMARY KEY, time_utc TEXT NOT NULL, local_date TEXT NOT NULL,
    provider TEXT NOT NULL, model TEXT NOT NULL, endpoint TEXT NOT NULL,
    input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0,
    cached_tokens INTEGER NOT NULL DEFAULT 0, reasoning_tokens INTEGER NOT NULL DEFAULT 0,
    images INTEGER NOT NULL DEFAULT 0, audio_seconds REAL NOT NULL DEFAULT 0,
    characters INTEGER NOT NULL DEFAULT 0, estimated INTEGER NOT NULL DEFAULT 0, cost TEXT,
    latency_ms REAL, status TEXT NOT NULL, session_id TEXT NOT NULL, conversation_id TEXT,
    request_id TEXT
)"""


def test_a_version_1_ledger_gains_the_tab_and_token_kinds_and_keeps_its_rows(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(_V1_TABLE)
    conn.execute(
        "CREATE INDEX usage_ledger_day_groups ON usage_ledger (local_date, model, endpoint, "
        "provider, conversation_id, cost, input_tokens, output_tokens)"
    )
    conn.execute(
        "INSERT INTO usage_ledger (time_utc, local_date, provider, model, endpoint, input_tokens, "
        "output_tokens, cached_tokens, cost, status, session_id) VALUES ("
        "'2026-11-20T09:30:15.123456+00:00', '2026-11-20', 'OpenAI', 'gpt-4o', "
        "'chat.completions', 1000, "
        "200, 100, '0.0045', 'ok', 'old')"
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()

    with UsageLedger(path) as led:
        [old] = led.recent()
        assert old.tab == ""
        assert old.usage == Usage(input_tokens=1000, output_tokens=200, cached_tokens=100)
        assert old.cost == Decimal("0.0045")
        new = entry(tab="images", usage=Usage(input_tokens=50, image_output_tokens=4160))
        led.record(new)
        assert led.recent(1) == [new]
        assert led.totals().usage.image_output_tokens == 4160
        tabs = {
            g.key: g.requests
            for g in led.group_totals(date(2026, 11, 1), date(2026, 12, 31), "tab")
        }
        assert tabs == {"": 1, "images": 1}
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert "usage_ledger_day_groups" not in indexes  # replaced by one that holds the tab
        assert "usage_ledger_day_groups_v2" in indexes
    finally:
        conn.close()
    with UsageLedger(path) as led:  # opened again: no second migration step
        assert led.totals().requests == 2


def test_a_version_2_ledger_gains_the_tool_call_counts_and_keeps_its_rows(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v2.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(_V1_TABLE)
    for statement in _SCHEMA_V2_STEP.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute(
        "INSERT INTO usage_ledger (time_utc, local_date, provider, model, endpoint, input_tokens, "
        "output_tokens, cost, status, session_id, tab) VALUES ('2026-11-20T09:30:15.123456+00:00', "
        "'2026-11-20', 'OpenAI', 'gpt-4o', 'chat.completions', 1000, 200, '0.0045', 'ok', 'old', 'chat')"
    )
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    with UsageLedger(path) as led:
        [old] = led.recent()
        assert old.usage == Usage(input_tokens=1000, output_tokens=200)
        assert old.tab == "chat"
        searched = entry(usage=Usage(input_tokens=10, web_searches=2, file_searches=1, code_runs=3))
        led.record(searched)
        assert led.recent(1) == [searched]
        totals = led.totals().usage
        assert (totals.web_searches, totals.file_searches, totals.code_runs) == (2, 1, 3)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
    finally:
        conn.close()


def test_token_kinds_are_summed(ledger: UsageLedger) -> None:
    kinds = Usage(
        input_tokens=100,
        output_tokens=50,
        cache_write_tokens=7,
        audio_tokens=8,
        output_audio_tokens=9,
        image_input_tokens=10,
        image_output_tokens=11,
    )
    ledger.record(entry(usage=kinds))
    ledger.record(entry(usage=kinds))
    assert ledger.totals().usage == kinds + kinds


# --- totals ------------------------------------------------------------------------------------


def test_totals_per_session_conversation_and_unpriced(ledger: UsageLedger) -> None:
    u = Usage(input_tokens=100, output_tokens=10, cached_tokens=5, reasoning_tokens=3)
    ledger.record(entry(session_id="s1", conversation_id="a", usage=u, cost=Decimal("0.01")))
    ledger.record(entry(session_id="s1", conversation_id="a", usage=u, cost=None))
    ledger.record(entry(session_id="s1", conversation_id="b", usage=u, cost=Decimal("0.02")))
    ledger.record(entry(session_id="s2", conversation_id="b", usage=u, cost=Decimal("0.04")))

    s1 = ledger.totals(session_id="s1")
    assert s1 == UsageTotals(requests=3, usage=u + u + u, cost=Decimal("0.03"), unpriced=1)

    conv_a = ledger.totals(conversation_id="a")
    assert conv_a.requests == 2
    assert conv_a.cost == Decimal("0.01")
    assert conv_a.unpriced == 1

    both = ledger.totals(session_id="s1", conversation_id="b")
    assert both.requests == 1
    assert both.cost == Decimal("0.02")

    everything = ledger.totals()
    assert everything.requests == 4
    assert everything.cost == Decimal("0.07")
    assert everything.usage.total_tokens == 4 * 110


def test_totals_when_nothing_matches(ledger: UsageLedger) -> None:
    assert ledger.totals(session_id="nobody") == UsageTotals()
    ledger.record(entry(session_id="s1"))
    assert ledger.totals(session_id="nobody") == UsageTotals()


def test_totals_by_local_day_and_since(ledger: UsageLedger) -> None:
    # Times built in local time, so their local date is known whatever the machine's zone.
    def local(day: int, hour: int) -> datetime:
        return datetime(2026, 3, day, hour, 0).astimezone()

    ledger.record(entry(time=local(1, 0), cost=Decimal("1")))
    ledger.record(entry(time=local(1, 23), cost=None))
    ledger.record(entry(time=local(2, 0), cost=Decimal("2")))
    ledger.record(entry(time=local(2, 12), cost=Decimal("4"), usage=Usage(estimated=True)))

    first = ledger.totals(day=date(2026, 3, 1))
    assert (first.requests, first.cost, first.unpriced) == (2, Decimal(1), 1)
    assert first.usage.estimated is False
    second = ledger.totals(day=date(2026, 3, 2))
    assert (second.requests, second.cost, second.unpriced) == (2, Decimal(6), 0)
    assert second.usage.estimated is True
    assert ledger.totals(day=date(2026, 3, 3)) == UsageTotals()

    since = ledger.totals(since=local(1, 23))
    assert since.requests == 3
    assert since.cost == Decimal(6)
    # A naive `since` is local time, like the naive times above.
    assert ledger.totals(since=datetime(2026, 3, 2, 6, 0)).requests == 1


def test_audio_seconds_and_counts_are_summed(ledger: UsageLedger) -> None:
    ledger.record(entry(usage=Usage(audio_seconds=1.5, characters=10, images=1)))
    ledger.record(entry(usage=Usage(audio_seconds=2.25, characters=5, images=2)))
    usage = ledger.totals().usage
    assert (usage.audio_seconds, usage.characters, usage.images) == (3.75, 15, 3)


# --- threads -------------------------------------------------------------------------------------


def test_concurrent_records_from_two_threads(ledger: UsageLedger) -> None:
    per_thread = 200
    ids: list[int] = []
    ids_lock = threading.Lock()
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def writer(session: str) -> None:
        start.wait()
        try:
            for i in range(per_thread):
                row_id = ledger.record(entry(session_id=session, cost=Decimal("0.001")))
                with ids_lock:
                    ids.append(row_id)
                if i % 50 == 0:
                    ledger.totals(session_id=session)
        except BaseException as exc:  # surfaced below, not lost in the thread
            errors.append(exc)

    def reader() -> None:
        start.wait()
        try:
            for _ in range(50):
                ledger.totals()
                ledger.recent(10)
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
    assert len(set(ids)) == 2 * per_thread
    assert ledger.totals().requests == 2 * per_thread
    assert ledger.totals().cost == Decimal("0.400")
    assert ledger.totals(session_id="a").requests == per_thread


# --- failures --------------------------------------------------------------------------------


_READ_ONLY_CHECK = """
import sys
from datetime import UTC, datetime
from pathlib import Path
from playground.core.money.ledger import LedgerError, UsageLedger
from playground.core.models import Endpoint, LedgerEntry, RequestStatus, Usage
row = LedgerEntry(datetime.now(UTC), "p", "m", Endpoint.CHAT, Usage(), None, None, RequestStatus.OK, "s")
folder = Path(sys.argv[1])
for path in (folder / "new.sqlite3", folder / "existing.sqlite3"):
    try:
        with UsageLedger(path) as ledger:  # opening or else writing must fail
            ledger.record(row)
    except LedgerError as exc:
        assert "read-only" in str(exc), exc
        print("LedgerError:", exc)
    else:
        raise SystemExit(f"no LedgerError for {path}")
"""


def _check_read_only(folder: Path) -> None:
    """Run `_READ_ONLY_CHECK` on `folder` made read-only in a way that binds this user too."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    if not os.access(folder, os.W_OK):  # permissions bind this user: no tricks needed
        command = [sys.executable, "-c", _READ_ONLY_CHECK, str(folder)]
    else:
        # Root ignores permissions; a read-only bind mount in a private mount namespace does not.
        unshare = shutil.which("unshare")
        if sys.platform != "linux" or unshare is None:
            pytest.skip("this user ignores permissions and no read-only mount is possible")
        where = shlex.quote(str(folder))
        script = (
            f"mount --bind {where} {where} && mount -o remount,bind,ro {where} || exit 77; "
            f"exec {shlex.quote(sys.executable)} -c {shlex.quote(_READ_ONLY_CHECK)} {where}"
        )
        command = [unshare, "-m", "sh", "-c", script]
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    if proc.returncode == 77:
        pytest.skip(f"cannot make a read-only mount here: {proc.stderr.strip()}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("LedgerError:") == 2


def test_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    UsageLedger(folder / "existing.sqlite3").close()  # a ledger that was fine yesterday
    for extra in folder.glob("existing.sqlite3-*"):
        extra.unlink()
    folder.chmod(0o555)
    (folder / "existing.sqlite3").chmod(0o444)
    try:
        _check_read_only(folder)
    finally:
        folder.chmod(0o755)
        (folder / "existing.sqlite3").chmod(0o644)


def test_unwritable_location(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(LedgerError, match="cannot be opened") as info:
        UsageLedger(blocker / "ledger.sqlite3")
    assert str(blocker) in str(info.value)
    assert "PLAYGROUND_HOME" in str(info.value)  # says what to do


def test_path_is_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ledger.sqlite3"
    folder.mkdir()
    with pytest.raises(LedgerError, match="cannot be opened"):
        UsageLedger(folder)


def test_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    path.write_bytes(b"this is not a database, just some bytes " * 100)
    with pytest.raises(LedgerError, match="damaged"):
        UsageLedger(path)


def test_database_from_a_newer_version(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(LedgerError, match="newer version"):
        UsageLedger(path)


def test_error_messages_name_the_store() -> None:  # the reasons: tests/unit/test_storage.py
    message = _describe(
        "write", "at /x/ledger.sqlite3", sqlite3.OperationalError("database is locked")
    )
    assert message.startswith(
        "The usage ledger at /x/ledger.sqlite3 cannot be written: another program is holding it."
    )


def test_closed_ledger(tmp_path: Path) -> None:
    led = UsageLedger(tmp_path / "ledger.sqlite3")
    led.close()
    led.close()  # idempotent
    with pytest.raises(LedgerError, match="closed"):
        led.record(entry())
    with pytest.raises(LedgerError, match="closed"):
        led.totals()


def test_in_memory_fallback() -> None:
    with UsageLedger.in_memory() as led:
        assert not led.persistent
        led.record(entry())
        led.record(entry(cost=None))
        totals = led.totals(session_id="s1")
        assert (totals.requests, totals.cost, totals.unpriced) == (2, Decimal("0.00045"), 1)
