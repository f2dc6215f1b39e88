"""Prompt Lab storage: saved prompt versions and past runs, in `lab.sqlite3` under the data folder.

Every saved template is a version (timestamp, optional label). A run is stored with its variants
(each naming the version it used), its cases and every cell's result, so past results stay
comparable after the prompt changes. One connection, one lock, WAL, like the other stores.
"""

from __future__ import annotations

import difflib
import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from playground.core.lab.suite import (
    CellKey,
    CellResult,
    Expectation,
    ExpectKind,
    LabRun,
    Prompt,
    TestCase,
    Variant,
)
from playground.core.storage.sqlite import SqliteStore

_SCHEMA = """
CREATE TABLE IF NOT EXISTS versions (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    system TEXT NOT NULL,
    user TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    samples INTEGER NOT NULL,
    variants TEXT NOT NULL,
    cases TEXT NOT NULL,
    results TEXT NOT NULL
);
"""


class LabStoreError(Exception):
    """The lab file cannot be opened, read or written (message in plain words)."""


@dataclass(frozen=True, slots=True)
class Version:
    """A saved prompt template."""

    id: int
    created_at: datetime
    label: str
    prompt: Prompt

    @property
    def title(self) -> str:
        stamp = self.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
        return f"v{self.id} · {stamp}" + (f" · {self.label}" if self.label else "")


@dataclass(frozen=True, slots=True)
class RunInfo:
    id: int
    created_at: datetime
    label: str


def version_diff(old: Version, new: Version) -> list[str]:
    """A unified diff of two versions (system prompt and message), as lines without newlines."""

    def lines(v: Version) -> list[str]:
        return ["[system]", *v.prompt.system.splitlines(), "[message]", *v.prompt.user.splitlines()]

    return list(
        difflib.unified_diff(
            lines(old), lines(new), fromfile=old.title, tofile=new.title, lineterm="", n=3
        )
    )


def variant_to_dict(v: Variant) -> dict[str, Any]:
    fields = {k: (list(x) if isinstance(x, tuple) else x) for k, x in v.fields.items()}
    return {
        "id": v.id,
        "name": v.name,
        "system": v.prompt.system,
        "user": v.prompt.user,
        "model": v.model,
        "fields": fields,
        "version_id": v.version_id,
    }


def variant_from_dict(raw: dict[str, Any]) -> Variant:
    return Variant(
        name=str(raw["name"]),
        prompt=Prompt(str(raw.get("system", "")), str(raw.get("user", ""))),
        model=str(raw.get("model", "")),
        fields=dict(raw.get("fields") or {}),
        version_id=raw.get("version_id"),
        id=str(raw["id"]),
    )


def case_to_dict(c: TestCase) -> dict[str, Any]:
    return {
        "id": c.id,
        "values": dict(c.values),
        "expect": c.expect.kind.value,
        "expected": c.expect.value,
        **({"images": list(c.images)} if c.images else {}),
    }


def case_from_dict(raw: dict[str, Any]) -> TestCase:
    return TestCase(
        values={str(k): str(v) for k, v in (raw.get("values") or {}).items()},
        expect=Expectation(ExpectKind(raw.get("expect", "")), str(raw.get("expected", ""))),
        id=str(raw["id"]),
        images=tuple(str(i) for i in raw.get("images") or ()),
    )


class LabStore(SqliteStore):
    """Versions and runs in one SQLite file (or in memory when `path` is None)."""

    _failure: ClassVar[type[Exception]] = LabStoreError
    _closed_text: ClassVar[str] = "The Prompt Lab file is closed."
    _store = "The Prompt Lab file"
    _full_hint = "Free some space; nothing else is lost."
    _damaged_hint = "Move lab.sqlite3 out of the data folder to start afresh."

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._last_id: int | None = None
        self._conn = None
        self._conn = self._open()

    def _prepare(self, conn: sqlite3.Connection) -> None:
        if self.path is not None:
            conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(_SCHEMA)
        columns = {row[1] for row in conn.execute("PRAGMA table_info(runs)")}
        if "graders" not in columns:  # files from before graded checks
            conn.execute("ALTER TABLE runs ADD COLUMN graders TEXT NOT NULL DEFAULT '{}'")

    def _run(self, action: str, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
        with self._lock:
            conn = self._connection()
            try:
                with conn:
                    cursor = conn.execute(sql, args)
                    rows = cursor.fetchall()
                    self._last_id = cursor.lastrowid
                    return rows
            except sqlite3.Error as exc:
                raise self._error(action, exc) from exc

    # --- versions ---------------------------------------------------------------------------------

    def save_version(
        self, prompt: Prompt, label: str = "", *, at: datetime | None = None
    ) -> Version:
        created = at or datetime.now(UTC)
        self._run(
            "write",
            "INSERT INTO versions (created_at, label, system, user) VALUES (?, ?, ?, ?)",
            (created.isoformat(), label.strip(), prompt.system, prompt.user),
        )
        assert self._last_id is not None
        return Version(int(self._last_id), created, label.strip(), prompt)

    def versions(self) -> list[Version]:
        """Every saved version, newest first."""
        rows = self._run(
            "read", "SELECT id, created_at, label, system, user FROM versions ORDER BY id DESC"
        )
        try:
            return [
                Version(int(r[0]), datetime.fromisoformat(r[1]), str(r[2]), Prompt(r[3], r[4]))
                for r in rows
            ]
        except (TypeError, ValueError):
            raise LabStoreError("A saved version in the Prompt Lab file is damaged.") from None

    def version(self, version_id: int) -> Version | None:
        return next((v for v in self.versions() if v.id == version_id), None)

    def set_label(self, version_id: int, label: str) -> None:
        self._run(
            "write", "UPDATE versions SET label = ? WHERE id = ?", (label.strip(), version_id)
        )

    # --- runs -------------------------------------------------------------------------------------

    def save_run(self, run: LabRun) -> int:
        """Stores the run (a new row the first time, the same row after) and returns its id."""
        variants = json.dumps([variant_to_dict(v) for v in run.variants])
        cases = json.dumps([case_to_dict(c) for c in run.cases])
        results = json.dumps({k.custom_id: r.to_dict() for k, r in run.results.items()})
        graders = json.dumps(run.graders)
        if run.id is None:
            self._run(
                "write",
                "INSERT INTO runs (created_at, label, samples, variants, cases, results, graders)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    datetime.now(UTC).isoformat(),
                    run.label,
                    run.samples,
                    variants,
                    cases,
                    results,
                    graders,
                ),
            )
            assert self._last_id is not None
            run.id = int(self._last_id)
        else:
            self._run(
                "write",
                "UPDATE runs SET label = ?, results = ? WHERE id = ?",
                (run.label, results, run.id),
            )
        return run.id

    def runs(self) -> list[RunInfo]:
        rows = self._run("read", "SELECT id, created_at, label FROM runs ORDER BY id DESC")
        try:
            return [RunInfo(int(r[0]), datetime.fromisoformat(r[1]), str(r[2])) for r in rows]
        except (TypeError, ValueError):
            raise LabStoreError("A saved run in the Prompt Lab file is damaged.") from None

    def load_run(self, run_id: int) -> LabRun | None:
        """The stored run, or None when there is no run `run_id`.

        Raises:
            LabStoreError: the file cannot be read, or the run's row is damaged (edited by hand,
                half-written): the only error, whatever the row holds.
        """
        rows = self._run(
            "read",
            "SELECT samples, variants, cases, results, label, graders FROM runs WHERE id = ?",
            (run_id,),
        )
        if not rows:
            return None
        samples, variants, cases, results, label, graders = rows[0]
        try:
            grader_settings = json.loads(graders or "{}")
            if not isinstance(grader_settings, dict):
                grader_settings = {}
            return LabRun(
                variants=[variant_from_dict(v) for v in json.loads(variants)],
                cases=[case_from_dict(c) for c in json.loads(cases)],
                samples=int(samples),
                results={
                    CellKey.from_custom_id(k): CellResult.from_dict(v)
                    for k, v in json.loads(results).items()
                },
                id=run_id,
                label=str(label),
                graders=grader_settings,
            )
        except (
            KeyError,
            TypeError,
            ValueError,
            AttributeError,
            RecursionError,
            ArithmeticError,
        ):
            raise LabStoreError(
                f"Run {run_id} in the Prompt Lab file is damaged and cannot be opened."
            ) from None
