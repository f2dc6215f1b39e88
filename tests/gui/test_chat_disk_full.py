"""A full disk during a send (issue 20 item 7): the answer stays in the window, the user is told in
plain words, and what was not written is written on the next send, on Save now and at close.

The failure is real: each store's own SQLite connection is capped with `PRAGMA max_page_count` at
the pages it already has, so SQLite itself raises "database or disk is full".
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt

from playground.core.money.ledger import LedgerError
from playground.core.storage.history import MessageStatus
from tests.conftest import AppHarness
from tests.fakes.openai_server import FakeOpenAI
from tests.gui.drivers import chat_idle, send_in_chat

pytestmark = pytest.mark.gui


def _fill_disk(conn: sqlite3.Connection) -> None:
    """No page more than the file has now: the next write that needs one fails as on a full disk."""
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")


def _free_disk(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA max_page_count = 1073741823")


def _full_disk_send(app: AppHarness, qtbot: Any, wait_until: Any, fake: FakeOpenAI) -> None:
    """One answer stored, then a disk that is full for both stores, then a send."""
    send_in_chat(app, qtbot, "First")
    wait_until(chat_idle(app))
    _fill_disk(app.services.history._connection())
    _fill_ledger(app)
    fake.scenario.reply_text = "A long answer. " * 600
    send_in_chat(app, qtbot, "Second question " + "with many words " * 600)
    wait_until(chat_idle(app), message="the turn hangs at Streaming…")


def _fill_ledger(app: AppHarness) -> None:
    """The ledger's file capped, and its last page filled with rows of another conversation."""
    ledger = app.services.ledger
    _fill_disk(ledger._connection())
    filler = dataclasses.replace(ledger.recent()[0], conversation_id="filler")

    def fill_up() -> None:
        for _ in range(10_000):
            ledger.record(filler)

    with pytest.raises(LedgerError, match="disk is full"):
        fill_up()


def _rows(app: AppHarness) -> int:
    """The ledger rows of the open conversation."""
    conversation = app.chat.conversation.id
    return sum(1 for row in app.services.ledger.recent(1000) if row.conversation_id == conversation)


def _free(app: AppHarness) -> None:
    _free_disk(app.services.history._connection())
    _free_disk(app.services.ledger._connection())


def _stored(app: AppHarness) -> list[str]:
    return [
        m.message.content[:15] for m in app.services.history.load(app.chat.conversation.id).messages
    ]


def test_a_full_disk_keeps_the_answer_on_screen_and_says_so(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    tab = app.chat_tab
    _full_disk_send(app, qtbot, wait_until, fake_openai)

    texts = [t.text()[:15] for t in tab.conversation.turns]
    assert texts[0] == "First"
    assert texts[2:] == ["Second question", "A long answer. "]
    assert not tab.reply_info.text().startswith("Streaming")
    assert tab.unsaved_box.isVisible()
    assert "The disk is full" in tab.unsaved_label.text()
    assert "Save now" in tab.unsaved_label.text()
    assert len(_stored(app)) < 4  # really not written
    assert _rows(app) == 1

    _free(app)
    qtbot.mouseClick(tab.save_now_button, Qt.MouseButton.LeftButton)
    assert _stored(app)[2:] == ["Second question", "A long answer. "]
    assert app.services.history.load(app.chat.conversation.id).messages[-1].meta.status is (
        MessageStatus.OK
    )
    assert _rows(app) == 2
    assert not tab.unsaved_box.isVisible()


def test_what_a_full_disk_left_out_is_saved_by_the_next_send(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    _full_disk_send(app, qtbot, wait_until, fake_openai)
    _free(app)
    fake_openai.scenario.reply_text = "Third answer"
    send_in_chat(app, qtbot, "Third question")
    wait_until(chat_idle(app))
    assert _stored(app)[2:] == [
        "Second question",
        "A long answer. ",
        "Third question",
        "Third answer",
    ]
    assert _rows(app) == 3
    assert not app.chat_tab.unsaved_box.isVisible()


def test_new_chat_waits_until_the_unsaved_conversation_is_saved_and_close_saves_it(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    tab = app.chat_tab
    _full_disk_send(app, qtbot, wait_until, fake_openai)
    conversation_id = app.chat.conversation.id
    tab.input_edit.setPlainText("Typed while the disk is full")
    qtbot.mouseClick(tab.clear_button, Qt.MouseButton.LeftButton)
    # Not saved: opening another conversation would lose it, so it stays, and says why.
    assert app.chat.conversation.id == conversation_id
    assert len(tab.conversation.turns) == 4
    assert tab.input_edit.toPlainText() == "Typed while the disk is full"
    assert tab.unsaved_box.isVisible()

    _free(app)
    app.chat.shutdown()  # what the window does when it closes
    stored = app.services.history.load(conversation_id)
    assert [m.message.content[:15] for m in stored.messages][2:] == [
        "Second question",
        "A long answer. ",
    ]
    assert stored.draft == "Typed while the disk is full"
