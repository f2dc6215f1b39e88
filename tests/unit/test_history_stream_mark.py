"""The place a background answer's stored text stands in its stream (`MessageMeta.stream_mark`):
kept with the row, through a restart's recovery, and gone once the answer is finished."""

from __future__ import annotations

from pathlib import Path

from playground.core.chat.service import ChatRequest
from playground.core.models import Message
from playground.core.storage.history import HistoryStore, MessageMeta, MessageStatus


def test_the_mark_is_kept_through_recovery_and_dropped_when_finished(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    store = HistoryStore(path)
    store.create("c", params=ChatRequest(model="gpt-4o-mini", messages=()))
    store.append_message("c", Message("user", "Hello"))
    reply = store.begin_reply("c", "gpt-4o-mini")
    running = MessageMeta(
        status=MessageStatus.STREAMING,
        model="gpt-4o-mini",
        response_id="resp_1",
        stream_mark=(7, 16),
    )
    store.update_message(reply, content="Hello! This is a", meta=running)
    store.stream_update(reply, " reply")  # written ahead of the mark: read again on resume
    store.flush_streams()

    # A restart: the next start finds the row cut off, mark and all.
    store.close()
    again = HistoryStore(path)
    assert again.recover_interrupted() == 1
    (found,) = again.recovered
    assert found.text == "Hello! This is a reply"
    row = again.load("c").messages[-1]
    assert row.meta.status is MessageStatus.ERROR
    assert row.meta.response_id == "resp_1"
    assert row.meta.stream_mark == (7, 16)

    again.update_message(reply, content="Hello! This is a reply.", meta=MessageMeta())
    assert again.load("c").messages[-1].meta.stream_mark is None
    again.close()
