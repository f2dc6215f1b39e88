"""History: opening a 1,000-turn conversation, full-text search over 10,000 conversations, and the
memory of a process that has done both, each against a baseline measured in the same run.

Not a test: run it by hand after changing the history, the history panel or the conversation view.

    python -m bench.history [--runs 3] [--conversations 10000] [--turns 1000] [--json PATH]

The history database is built once per invocation, through `playground.core.storage.history.HistoryStore`
(`create` + `replace_messages`, so the FTS5 index is filled by the app's own triggers), in a
throw-away folder: `--conversations` synthetic conversations (2 to 12 turns; user messages of 4 to 60
words, answers of 20 to 300 words with some bullet lists and code blocks; words drawn with a Zipf
distribution from a vocabulary of about 28,000 words: the English of Python's own help topics
followed by made-up words), each last used a minute after the one before, then one conversation of
`--turns` turns (the most recent). The app under test is the real main window (built like
`tests/conftest.py` `make_app`, 1180 x 760, offscreen) with that database as its history.

Figures (`--runs` times each, app and baseline alternating):

* open: click the 1,000-turn conversation in the history panel (`QTest.mouseClick` on its row: the
  user's path, `HistoryPanel.open_requested` -> `ChatController.open_conversation`) until the frame
  that follows has been painted (an event filter on the main window sees the frame's `Paint`
  event, made once the turns are in the view, and queues a zero-delay timer). Before each run
  another conversation is opened (not timed). Baseline: the same text (the
  turns as "You"/"Assistant" headings and their Markdown source, plain) set into a bare shown
  `QTextEdit` with `setPlainText`, until its viewport's frame is painted.
* search: for each query, its text is put in the panel's search field and Enter is pressed (which
  searches at once instead of after the 250 ms typing pause: `search_changed` ->
  `ChatController.refresh_history` -> `HistoryStore.search` -> `HistoryPanel.set_conversations`),
  until the result list's frame is painted. Baseline: the raw FTS5 query alone on its own SQLite
  connection (`SELECT DISTINCT rowid >> 32 FROM messages_fts WHERE messages_fts MATCH ? LIMIT 50`,
  with the app's own `fts_query` text), fetched.
* memory: `VmRSS` of a child process that builds the app on the same database, opens the
  1,000-turn conversation and runs every query as above, against a child process showing a bare
  `QMainWindow` with a 5-tab `QTabWidget` (both read after 1 s idle). Informational: the issue's
  target (≤ 1.3x) is for idle memory, which bench/startup.py measures.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# `python bench/history.py` (a script) needs the repository root on sys.path for `bench` and `tests`.
if str(Path(__file__).resolve().parents[1]) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    AppUnderTest,
    Figure,
    Gui,
    PaintWatch,
    table_rows,
    value_at_most,
    write_json,
)

ROOT = Path(__file__).resolve().parents[1]
TARGET_OPEN_MS = 300.0
TARGET_SEARCH_MS = 50.0
SEED = 8
MODELS = ("gpt-4o-mini", "gpt-4.1", "gpt-5-mini", "o3")
IDLE_S = 1.0

# --------------------------------------------------------------------------------------------------
# The synthetic history
# --------------------------------------------------------------------------------------------------


class Words:
    """A Zipf-weighted vocabulary: English from Python's help topics, then made-up words."""

    def __init__(self, rng: random.Random, extra: int = 25_000) -> None:
        import collections
        import pydoc_data.topics as topics

        counts = collections.Counter(
            w.lower() for text in topics.topics.values() for w in re.findall(r"[A-Za-z]{2,}", text)
        )
        real = [w for w, _ in counts.most_common()]
        syllables = [
            c + v for c in "bcdfghklmnprstvz" for v in ("a", "e", "i", "o", "u", "ar", "en")
        ]
        made: set[str] = set()
        while len(made) < extra:
            word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
            if word not in counts:
                made.add(word)
        invented = sorted(made)
        rng.shuffle(invented)
        self.vocab = real + invented
        weights = [1 / (rank + 2.7) for rank in range(len(self.vocab))]
        total = 0.0
        self.cum: list[float] = []
        for w in weights:
            total += w
            self.cum.append(total)
        self.rng = rng

    def take(self, n: int) -> list[str]:
        return self.rng.choices(self.vocab, cum_weights=self.cum, k=n)

    def sentence(self, lo: int = 6, hi: int = 18) -> str:
        words = self.take(self.rng.randint(lo, hi))
        return words[0].capitalize() + " " + " ".join(words[1:]) + "."

    def prose(self, words: int) -> str:
        out: list[str] = []
        count = 0
        while count < words:
            s = self.sentence()
            out.append(s)
            count += s.count(" ") + 1
        return " ".join(out)

    def answer(self, words: int) -> str:
        """Paragraphs, sometimes a bullet list or a fenced code block."""
        rng = self.rng
        parts: list[str] = []
        left = words
        while left > 0:
            kind = rng.random()
            if kind < 0.12 and left > 30:
                items = [" ".join(self.take(rng.randint(3, 9))) for _ in range(rng.randint(3, 5))]
                parts.append("\n".join(f"- {item}" for item in items))
                left -= sum(i.count(" ") + 1 for i in items)
            elif kind < 0.2 and left > 30:
                names = self.take(6)
                lines = [f"def {names[0]}_{names[1]}({names[2]}):"]
                lines += [f"    {n} = {names[2]}.{n}()" for n in names[3:]]
                lines.append(f"    return {names[-1]}")
                parts.append("```python\n" + "\n".join(lines) + "\n```")
                left -= 18
            else:
                n = min(left, rng.randint(30, 90))
                parts.append(self.prose(n))
                left -= n
        return "\n\n".join(parts)


def lognormal_int(rng: random.Random, median: float, sigma: float, lo: int, hi: int) -> int:
    return max(lo, min(hi, round(rng.lognormvariate(math.log(median), sigma))))


def build_history(path: Path, conversations: int, turns: int) -> dict[str, Any]:
    """Writes the synthetic history to `path`; returns what it holds (ids, sizes, build time)."""
    from playground.core.chat.service import ChatRequest
    from playground.core.models import Message
    from playground.core.storage.history import HistoryStore

    begun = time.perf_counter()
    rng = random.Random(SEED)
    words = Words(rng)
    moment = [datetime(2025, 1, 1, 9, 0, tzinfo=UTC)]

    def now() -> datetime:
        moment[0] += timedelta(seconds=20)
        return moment[0]

    def pair(user_words: int, answer_words: int) -> list[Message]:
        question = words.prose(user_words).rstrip(".") + "?"
        return [Message("user", question), Message("assistant", words.answer(answer_words))]

    # Without FTS5 while filling: every write would otherwise flush a small FTS segment. The app's
    # next open (`fts=None`) sees the triggers missing and rebuilds both indexes in one go.
    logging.getLogger("playground.core.storage.history").setLevel(logging.ERROR)
    store = HistoryStore(path, now=now, fts=False)
    chars = messages = 0
    try:
        for i in range(conversations):
            cid = f"bench-{i:05d}"
            store.create(cid, params=ChatRequest(model=rng.choice(MODELS), messages=()))
            batch: list[Message] = []
            for _ in range(rng.randint(1, 6)):
                batch += pair(
                    lognormal_int(rng, 16, 0.7, 4, 60), lognormal_int(rng, 90, 0.7, 20, 300)
                )
            store.replace_messages(cid, batch)
            messages += len(batch)
            chars += sum(len(m.content) for m in batch)
        big_id = "bench-long"
        store.create(
            big_id,
            title="A very long conversation",
            params=ChatRequest(model=MODELS[0], messages=()),
        )
        big: list[Message] = []
        while len(big) < turns:
            big += pair(lognormal_int(rng, 20, 0.6, 4, 80), lognormal_int(rng, 110, 0.6, 20, 400))
        big = big[:turns]
        store.replace_messages(big_id, big)
    finally:
        store.close()
        logging.getLogger("playground.core.storage.history").setLevel(logging.NOTSET)
    indexed = time.perf_counter()
    HistoryStore(path).close()  # builds the full-text index
    index_s = time.perf_counter() - indexed
    return {
        "conversations": conversations,
        "messages": messages,
        "chars": chars,
        "big_id": big_id,
        "big_turns": len(big),
        "big_chars": sum(len(m.content) for m in big),
        "big_text": "\n\n".join(
            ("You" if m.role == "user" else "Assistant") + "\n" + m.content for m in big
        ),
        "file_mib": path.stat().st_size / 2**20,
        "build_s": time.perf_counter() - begun,
        "index_s": index_s,
        "queries": queries(words),
    }


def cached_history(path: Path, conversations: int, turns: int) -> dict[str, Any] | None:
    """What `build_history` returned for the database kept at `path`, if it has these sizes."""
    meta = path.with_suffix(".json")
    if not path.exists() or not meta.exists():
        return None
    info: dict[str, Any] = json.loads(meta.read_text(encoding="utf-8"))
    if (info["conversations"], info["big_turns"]) != (conversations, turns):
        return None
    info["build_s"] = info["index_s"] = 0.0
    return info


def queries(words: Words) -> list[str]:
    """Words of different frequencies, a prefix, two-word queries and a made-up word."""
    v = words.vocab
    real = [w for w in v[:3000] if len(w) >= 5]
    return [
        real[3],  # very common
        real[60],  # common
        real[600],  # less common
        real[20][:4],  # a prefix
        f"{real[10]} {real[200]}",  # two words
        f"{real[100]} {real[1500]}",
        v[3200],  # a made-up word (rank ~3,200 of the vocabulary)
    ]


# --------------------------------------------------------------------------------------------------
# In this process: open and search
# --------------------------------------------------------------------------------------------------


@dataclass
class OpenRun:
    app_ms: float
    bare_ms: float
    turns_shown: int


@dataclass
class SearchRun:
    app_ms: dict[str, float] = field(default_factory=dict)
    raw_ms: dict[str, float] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    raw_rows: dict[str, int] = field(default_factory=dict)


class Session:
    """One app on the prepared history, driven like a user would."""

    def __init__(self, gui: Gui, base_url: str, home: Path, db: Path) -> None:
        from playground.core.chat.markdown import warm_up
        from playground.core.storage.history import HistoryStore

        self.gui = gui
        self.app = AppUnderTest.build(gui, base_url, home, history=HistoryStore(db))
        warm_up()  # as before the first model refresh: Markdown parser and lexers loaded
        self.panel = self.app.chat.view.history

    def click_row(self, conversation_id: str) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        view = self.panel.list_view
        row = self.panel.model.row_of(conversation_id)
        if row < 0:
            raise RuntimeError(f"{conversation_id} is not in the history panel")
        index = self.panel.model.index(row)
        view.scrollTo(index)
        rect = view.visualRect(index)
        QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())

    def open(self, conversation_id: str) -> float:
        """Clicks the conversation in the panel; ms until the conversation view has painted."""
        gui = self.gui
        # The main window is painted in every frame (the viewports of the conversation view were
        # not reliably sent a Paint event of their own here).
        watch = PaintWatch(self.app.window)
        chat = self.app.chat
        # Only a paint made once the conversation's turns are in the view counts (it may come
        # while the click is still being handled). The view builds the newest turns and the rest
        # when scrolled to, so "in the view" means: built up to the last one, none left out
        # between.
        view = chat.view.conversation
        watch.arm(
            lambda: (
                chat.conversation.id == conversation_id
                and len(view.turns) + view.unbuilt == len(chat.conversation.turns)
                and bool(view.turns)
            )
        )
        t0 = time.perf_counter()
        self.click_row(conversation_id)
        if not gui.run_until(lambda: watch.done is not None, 120):
            raise RuntimeError(
                "the conversation view was not painted within 120 s "
                f"(open: {self.app.chat.conversation.id}, armed {watch.armed}, "
                f"painted {watch.painted_at}, visible {watch.widget.isVisible()})"
            )
        watch.close()
        assert watch.done is not None
        if self.app.chat.conversation.id != conversation_id:
            raise RuntimeError("the click did not open the conversation")
        return (watch.done - t0) * 1000

    def search(self, query: str) -> tuple[float, int]:
        """Types `query` into the search field and presses Enter; ms until the list is painted."""
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        gui = self.gui
        edit = self.panel.search_edit
        edit.setText(query)  # starts the typing pause; Enter below searches at once
        watch = PaintWatch(self.panel.list_view.viewport())
        watch.arm()
        t0 = time.perf_counter()
        QTest.keyClick(edit, Qt.Key.Key_Return)
        if not gui.run_until(lambda: watch.done is not None, 30):
            raise RuntimeError(f"the results for {query!r} were not painted within 30 s")
        watch.close()
        assert watch.done is not None
        return (watch.done - t0) * 1000, self.panel.model.rowCount()

    def clear_search(self) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        QTest.keyClick(self.panel.search_edit, Qt.Key.Key_Escape)
        self.gui.settle(0.05)

    def close(self) -> None:
        self.app.close(self.gui)


def bare_open(gui: Gui, text: str) -> float:
    """A bare shown QTextEdit: ms from `setPlainText(text)` until its viewport's frame is painted."""
    from PySide6.QtWidgets import QTextEdit

    edit = QTextEdit()
    edit.setWindowTitle("Baseline: QTextEdit")
    edit.resize(1180, 760)
    edit.show()
    gui.settle(0.1)
    watch = PaintWatch(edit.viewport())
    watch.arm()
    t0 = time.perf_counter()
    edit.setPlainText(text)
    if not gui.run_until(lambda: watch.done is not None, 60):
        raise RuntimeError("the bare QTextEdit was not painted")
    watch.close()
    assert watch.done is not None
    ms = (watch.done - t0) * 1000
    edit.close()
    edit.deleteLater()
    gui.delete_later()
    return ms


def raw_search(db: Path, query: str) -> tuple[float, int]:
    from playground.core.storage.history import fts_query

    match = fts_query(query)
    conn = sqlite3.connect(db)
    try:
        conn.execute("SELECT 1").fetchone()  # connected before the clock starts
        t0 = time.perf_counter()
        rows = conn.execute(
            "SELECT DISTINCT rowid >> 32 FROM messages_fts WHERE messages_fts MATCH ? LIMIT 50",
            (match,),
        ).fetchall()
        ms = (time.perf_counter() - t0) * 1000
    finally:
        conn.close()
    return ms, len(rows)


# --------------------------------------------------------------------------------------------------
# Memory, in child processes
# --------------------------------------------------------------------------------------------------

BARE_CHILD = r"""
import gc, json, sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QTabWidget, QWidget
app = QApplication(sys.argv[:1])
window = QMainWindow()
tabs = QTabWidget()
for i in range(5):
    tabs.addTab(QWidget(), f"Tab {i + 1}")
window.setCentralWidget(tabs)
window.resize(1180, 760)
window.show()
def rss():
    with open("/proc/self/status") as f:
        return {k: int(v.split()[0]) for k, _, v in (l.partition(":") for l in f) if k in ("VmRSS", "VmHWM")}
def done():
    gc.collect()
    print("@@memory " + json.dumps({"after": rss()}), flush=True)
    app.quit()
QTimer.singleShot(int(float(sys.argv[1]) * 1000), done)
app.exec()
"""


def status_kib() -> dict[str, int]:
    out: dict[str, int] = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    return out


def app_child(db: Path, base_url: str, big_id: str, query_list: list[str]) -> int:
    """Child process: the app on `db`; opens the long conversation, runs the searches, reports RSS."""
    import gc

    gui = Gui()
    with tempfile.TemporaryDirectory(prefix="playground-history-mem-") as tmp:
        session = Session(gui, base_url, Path(tmp) / "home", db)
        gui.settle(IDLE_S)
        gc.collect()
        before = status_kib()
        session.open(big_id)
        for q in query_list:
            session.search(q)
        gui.settle(IDLE_S)
        gc.collect()
        after = status_kib()
        print("@@memory " + json.dumps({"before": before, "after": after}), flush=True)
        session.close()
    gui.close()
    return 0


def spawn_memory(kind: str, db: Path, base_url: str, info: dict[str, Any]) -> dict[str, Any]:
    if kind == "bare":
        cmd = [sys.executable, "-c", BARE_CHILD, str(IDLE_S)]
    else:
        cmd = [
            *(sys.executable, "-m", "bench.history", "--child", str(db), "--base-url", base_url),
            *("--big-id", info["big_id"], "--queries", json.dumps(info["queries"])),
        ]
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    proc = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    for line in proc.stdout.splitlines():
        if line.startswith("@@memory "):
            return dict(json.loads(line[len("@@memory ") :]))
    raise RuntimeError(
        f"{kind} memory child failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}"
    )


# --------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------


def figures(
    opens: list[OpenRun],
    searches: list[SearchRun],
    memory: list[dict[str, Any]],
    query_list: list[str],
) -> list[Figure]:
    figs = [
        Figure(
            "history",
            "open the 1,000-turn conversation (ms)",
            [o.app_ms for o in opens],
            [o.bare_ms for o in opens],
            "bare QTextEdit",
            f"≤ {TARGET_OPEN_MS:g} ms",
            value_at_most(TARGET_OPEN_MS),
            "{:.0f}",
        )
    ]
    for q in query_list:
        rows = searches[0].rows.get(q, 0) if searches else 0
        figs.append(
            Figure(
                "history",
                f"search “{q}” ({rows} rows) (ms)",
                [s.app_ms[q] for s in searches],
                [s.raw_ms[q] for s in searches],
                "raw FTS5 query",
                f"≤ {TARGET_SEARCH_MS:g} ms",
                value_at_most(TARGET_SEARCH_MS),
                "{:.1f}",
            )
        )
    mib = 1 / 1024
    app_mem = [m for m in memory if m["kind"] == "app"]
    bare_mem = [m for m in memory if m["kind"] == "bare"]
    figs += [
        Figure(
            "history",
            "RSS after open + search (MiB)",
            [m["after"]["VmRSS"] * mib for m in app_mem],
            [m["after"]["VmRSS"] * mib for m in bare_mem],
            "bare QMainWindow",
        ),
        Figure(
            "history",
            "RSS before opening (MiB)",
            [m["before"]["VmRSS"] * mib for m in app_mem],
            [m["after"]["VmRSS"] * mib for m in bare_mem],
            "bare QMainWindow",
        ),
        Figure(
            "history",
            "peak RSS (VmHWM, MiB)",
            [m["after"]["VmHWM"] * mib for m in app_mem],
            [m["after"]["VmHWM"] * mib for m in bare_mem],
            "bare QMainWindow",
        ),
    ]
    return figs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="measured runs of each (default 3)")
    parser.add_argument(
        "--memory-runs", type=int, default=2, help="memory child processes of each (default 2)"
    )
    parser.add_argument("--conversations", type=int, default=10_000, help="(default 10000)")
    parser.add_argument("--turns", type=int, default=1000, help="the long one's turns (1000)")
    parser.add_argument(
        "--db",
        type=Path,
        metavar="PATH",
        help="keep the built history at PATH and reuse it next time (same sizes only)",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="write every number here")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--big-id", help=argparse.SUPPRESS)
    parser.add_argument("--queries", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return app_child(args.child, args.base_url, args.big_id, json.loads(args.queries))

    from tests.fakes.openai_server import FakeOpenAI

    begun = time.perf_counter()
    opens: list[OpenRun] = []
    searches: list[SearchRun] = []
    memory: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="playground-history-") as tmp_name:
        tmp = Path(tmp_name)
        db = tmp / "history.sqlite3"
        info = cached_history(args.db, args.conversations, args.turns) if args.db else None
        if info is None:
            info = build_history(db, args.conversations, args.turns)
            if args.db:
                args.db.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(db, args.db)
                args.db.with_suffix(".json").write_text(json.dumps(info), encoding="utf-8")
        else:
            shutil.copyfile(args.db, db)
        query_list: list[str] = info["queries"]
        print(
            f"history: {info['conversations']:,} conversations, {info['messages']:,} messages, "
            f"{info['chars'] / 1e6:.1f} M characters, plus {info['big_turns']:,} turns "
            f"({info['big_chars'] / 1e3:.0f} k characters); {info['file_mib']:.0f} MiB, "
            f"built in {info['build_s']:.1f} s (full-text index {info['index_s']:.1f} s)",
            flush=True,
        )
        gui = Gui()
        try:
            with FakeOpenAI() as fake:  # the model list only; a thread of this process
                session = Session(gui, fake.base_url, tmp / "home", db)
                try:
                    other = f"bench-{args.conversations - 1:05d}"
                    # Run -1 is a warm-up, not reported: it searches and fills the bare QTextEdit
                    # but does not open the long conversation (the Markdown warm-up is done).
                    for run in range(-1, args.runs):
                        session.open(other)
                        gui.delete_later()
                        gui.settle(0.2)
                        order = ("app", "bare") if run % 2 == 0 else ("bare", "app")
                        app_ms = bare_ms = math.nan
                        for variant in order if run >= 0 else ("bare",):
                            if variant == "app":
                                app_ms = session.open(info["big_id"])
                            else:
                                bare_ms = bare_open(gui, info["big_text"])
                            gui.settle(0.2)
                        convo = session.app.chat.view.conversation
                        shown = len(convo.turns) + convo.unbuilt  # built, or built on scroll
                        if run >= 0 and shown != info["big_turns"]:
                            raise RuntimeError(f"{shown} turns shown, not {info['big_turns']}")
                        s = SearchRun()
                        for q in query_list:
                            s.raw_ms[q], s.raw_rows[q] = raw_search(db, q)
                            s.app_ms[q], s.rows[q] = session.search(q)
                            gui.settle(0.05)
                        session.clear_search()
                        if run < 0:
                            continue
                        opens.append(OpenRun(app_ms, bare_ms, shown))
                        searches.append(s)
                        print(
                            f"run {run + 1} open {app_ms:7.0f} ms (bare {bare_ms:5.0f} ms, "
                            f"{shown} turns)  search "
                            + "  ".join(f"{s.app_ms[q]:.0f}/{s.raw_ms[q]:.1f}" for q in query_list)
                            + " ms (app/raw)",
                            flush=True,
                        )
                finally:
                    session.close()
                gui.settle(0.1)
                for run in range(args.memory_runs):
                    order = ("app", "bare") if run % 2 == 0 else ("bare", "app")
                    for kind in order:
                        m = spawn_memory(kind, db, fake.base_url, info)
                        m["kind"] = kind
                        memory.append(m)
                    app_kib = memory[-2 if order[0] == "app" else -1]["after"]["VmRSS"]
                    bare_kib = memory[-1 if order[0] == "app" else -2]["after"]["VmRSS"]
                    print(
                        f"run {run + 1} memory: app {app_kib / 1024:.1f} MiB, "
                        f"bare {bare_kib / 1024:.1f} MiB",
                        flush=True,
                    )
        finally:
            gui.close()
    figs = figures(opens, searches, memory, query_list)
    print()
    print(table_rows([f.as_dict() for f in figs]))
    elapsed = time.perf_counter() - begun
    print(f"\n{len(opens)} runs in {elapsed:.0f} s")
    if args.json:
        summary = {k: v for k, v in info.items() if k != "big_text"}
        write_json(
            args.json,
            figs,
            {
                "runs": args.runs,
                "conversations": args.conversations,
                "turns": args.turns,
                "seed": SEED,
                "memory_runs": args.memory_runs,
                "idle_s": IDLE_S,
            },
            history=summary,
            elapsed_s=elapsed,
            opens=[vars(o) for o in opens],
            searches=[vars(s) for s in searches],
            memory=memory,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
