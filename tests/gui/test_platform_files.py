"""The Platform tab's Files page, driven as a user would, against the fake server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from openai import AsyncOpenAI
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from playground.core.platform.batches import BatchesService
from playground.core.platform.files import FilesService, UploadJournal
from playground.ui.platform.controller import PlatformController
from playground.ui.platform.tab import POLLING_NOTE, PlatformTab
from tests.conftest import Parts, WaitUntil
from tests.fakes.openai_server import FakeOpenAI


def _open(parts: Parts, qtbot: Any, *, page_size: int = 100, **limits: int) -> PlatformController:
    journal = UploadJournal(parts.home / "state" / "uploads.json")
    service = FilesService(
        parts.services.session.client, journal, run_blocking=parts.runner.run_blocking, **limits
    )
    view = PlatformTab()
    qtbot.addWidget(view)
    view.resize(1100, 700)
    view.show()
    batches = BatchesService(parts.services.session.client)
    return PlatformController(
        view, service, batches, parts.runner, parts.services.pricer, page_size=page_size
    )


def _names(controller: PlatformController) -> list[str]:
    return [f.name for f in controller.view.files.model.files]


def _idle(controller: PlatformController) -> bool:
    return not any(controller.runner.is_busy(g) for g in controller.busy_groups)


def test_the_list_pages_in_as_the_table_scrolls_and_filters_by_purpose(
    parts: Parts, qtbot: Any, fake_openai: FakeOpenAI, wait_until: WaitUntil
) -> None:
    for i in range(250):
        fake_openai.files.add(f"notes-{i:03}.txt", b"hello", "user_data")
    fake_openai.files.add("train.jsonl", b"{}\n", "fine-tune")
    controller = _open(parts, qtbot)
    page = controller.view.files
    assert controller.view.note.text() == POLLING_NOTE
    wait_until(lambda: page.model.rowCount() >= 100 and _idle(controller))
    assert page.model.rowCount() == 100  # one page, not everything
    assert _names(controller)[:2] == ["train.jsonl", "notes-249.txt"]
    assert "more load as you scroll" in page.count_label.text()

    page.table.scrollToBottom()
    wait_until(lambda: page.model.rowCount() >= 200 and _idle(controller))
    assert len(fake_openai.requests_to("/v1/files")) == 2
    assert fake_openai.last("/v1/files").query["after"] == page.model.files[99].id

    page.purpose_filter.setCurrentIndex(page.purpose_filter.findData("fine-tune"))
    wait_until(lambda: _names(controller) == ["train.jsonl"] and _idle(controller))
    assert fake_openai.last("/v1/files").query["purpose"] == "fine-tune"
    assert page.count_label.text() == "1 file"


def test_search_finds_a_file_that_was_not_loaded_yet(
    parts: Parts, qtbot: Any, fake_openai: FakeOpenAI, wait_until: WaitUntil
) -> None:
    fake_openai.files.add("old-report.txt", b"x", "user_data")
    for i in range(120):
        fake_openai.files.add(f"notes-{i:03}.txt", b"x", "user_data")
    controller = _open(parts, qtbot, page_size=50)
    page = controller.view.files
    wait_until(lambda: page.model.rowCount() == 50 and _idle(controller))
    qtbot.keyClicks(page.search, "report")
    wait_until(lambda: page.proxy.rowCount() == 1 and _idle(controller))
    assert page.proxy.index(0, 0).data() == "old-report.txt"


def test_upload_by_button_and_by_drop_then_preview_and_delete_two(
    parts: Parts, qtbot: Any, fake_openai: FakeOpenAI, wait_until: WaitUntil, tmp_path: Path
) -> None:
    controller = _open(parts, qtbot)
    page = controller.view.files
    wait_until(lambda: _idle(controller))
    assert page.count_label.text() == "No files yet. Upload one, or drop files on this page."

    data = tmp_path / "train.jsonl"
    data.write_text('{"messages": [{"role": "user", "content": "Hi"}]}\nnot json\n')
    page.upload_purpose.setCurrentIndex(page.upload_purpose.findData("fine-tune"))
    controller.ask_upload_paths = lambda: [str(data)]  # type: ignore[method-assign]
    page.upload_button.click()
    wait_until(lambda: "Uploaded" in page.status_label.text() and _idle(controller))
    assert page.status_label.text() == "Uploaded train.jsonl as Fine-tuning examples (JSONL)."
    assert _names(controller) == ["train.jsonl"]
    assert fake_openai.last("/v1/files").form["purpose"] == "fine-tune"

    page.preview_button.click()
    wait_until(lambda: page.preview_text.toPlainText() != "" and _idle(controller))
    assert page.preview_title.text() == "Preview of train.jsonl"
    assert page.preview_text.toPlainText().splitlines() == [
        '    1  {"messages": [{"role": "user", "content": "Hi"}]}',
        "    2  (not valid JSON) not json",
    ]

    notes = tmp_path / "notes.txt"
    notes.write_text("Some notes")
    page.upload_purpose.setCurrentIndex(page.upload_purpose.findData("user_data"))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(notes))])
    where, copy = QPointF(20, 20), Qt.DropAction.CopyAction
    left, plain = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(where.toPoint(), copy, mime, left, plain)
    QApplication.sendEvent(page, enter)
    assert enter.isAccepted()  # local files are welcome
    QApplication.sendEvent(page, QDropEvent(where, copy, mime, left, plain))
    wait_until(lambda: _names(controller) == ["notes.txt", "train.jsonl"] and _idle(controller))

    page.table.selectAll()
    assert page.delete_button.text() == "Delete 2…"
    page.delete_button.click()
    box = page.findChild(QMessageBox, "filesDeleteQuestion")
    assert box is not None
    assert "notes.txt, train.jsonl" in box.text()
    box.button(QMessageBox.StandardButton.Yes).click()
    wait_until(lambda: _names(controller) == [] and _idle(controller))
    assert fake_openai.files.files == {}
    assert page.status_label.text() == "Deleted 2 files."


def test_no_after_all_keeps_the_files(
    parts: Parts, qtbot: Any, fake_openai: FakeOpenAI, wait_until: WaitUntil
) -> None:
    fake_openai.files.add("keep.txt", b"x", "user_data")
    controller = _open(parts, qtbot)
    page = controller.view.files
    wait_until(lambda: _names(controller) == ["keep.txt"] and _idle(controller))
    page.table.selectRow(0)
    page.delete_button.click()
    box = page.findChild(QMessageBox, "filesDeleteQuestion")
    assert box is not None
    box.button(QMessageBox.StandardButton.No).click()
    wait_until(lambda: _idle(controller))
    assert len(fake_openai.files.files) == 1
    assert fake_openai.requests_to("/files/") == []


def test_a_wrong_file_is_refused_before_anything_is_sent(
    parts: Parts, qtbot: Any, fake_openai: FakeOpenAI, wait_until: WaitUntil, tmp_path: Path
) -> None:
    controller = _open(parts, qtbot)
    page = controller.view.files
    wait_until(lambda: _idle(controller))
    wrong = tmp_path / "requests.csv"
    wrong.write_text("a,b\n")
    page.upload_purpose.setCurrentIndex(page.upload_purpose.findData("batch"))
    controller.upload_paths([str(wrong)])
    wait_until(lambda: _idle(controller) and "Wrong file type" in page.status_label.text())
    assert "must be a .jsonl file" in page.status_label.text()
    assert "Choose a .jsonl file" in page.status_label.text()
    assert [r for r in fake_openai.requests if r.method == "POST"] == []


def test_a_parted_upload_that_broke_resumes_after_a_restart(
    make_parts: Any, qtbot: Any, fake_openai: FakeOpenAI, wait_until: WaitUntil, tmp_path: Path
) -> None:
    big = tmp_path / "corpus.txt"
    data = b"0123456789" * 450  # 4,500 bytes: five parts of 1,000 with the limits below
    big.write_bytes(data)
    parts = make_parts()
    first = _open(parts, qtbot, max_file_bytes=1000, part_bytes=1000)
    page = first.view.files
    wait_until(lambda: _idle(first))
    fake_openai.files.drop_part_after = 3
    first.upload_paths([str(big)], "user_data")
    wait_until(lambda: _idle(first) and "parts were sent" in page.status_label.text())
    assert "3 of 5 parts were sent" in page.status_label.text()
    assert "upload the same file again" in page.status_label.text()
    assert page.resume_button.isVisibleTo(page)
    assert fake_openai.files.files == {}
    first.view.close()

    again = _open(parts, qtbot, max_file_bytes=1000, part_bytes=1000)  # the app started again
    page = again.view.files
    wait_until(lambda: _idle(again) and page.resume_button.isVisibleTo(page))
    assert page.resume_button.text() == "Resume upload of corpus.txt"
    page.resume_button.click()
    wait_until(lambda: _idle(again) and _names(again) == ["corpus.txt"])
    assert [f.data for f in fake_openai.files.files.values()] == [data]
    assert len(fake_openai.requests_to("/v1/uploads")) == 1  # the same upload, resumed
    assert not page.resume_button.isVisibleTo(page)


def test_a_parted_upload_paused_by_hand_resumes_where_it_stopped(
    parts: Parts, qtbot: Any, fake_openai: FakeOpenAI, wait_until: WaitUntil, tmp_path: Path
) -> None:
    big = tmp_path / "corpus.txt"
    data = bytes(range(256)) * 40  # 10,240 bytes: eleven parts of 1,000
    big.write_bytes(data)
    controller = _open(parts, qtbot, max_file_bytes=1000, part_bytes=1000)
    page = controller.view.files
    wait_until(lambda: _idle(controller))
    assert not page.pause_button.isVisibleTo(page)
    controller.upload_paths([str(big)], "user_data")
    wait_until(lambda: page.progress.value() >= 200)  # two parts or more are in
    assert page.pause_button.isVisibleTo(page)
    page.pause_button.click()
    wait_until(lambda: _idle(controller) and page.resume_button.isVisibleTo(page))
    assert "Upload paused" in page.status_label.text()
    assert not page.pause_button.isVisibleTo(page)
    assert fake_openai.files.files == {}  # not finished
    sent = len(fake_openai.requests_to("/parts"))
    assert sent < 11

    page.resume_button.click()
    wait_until(lambda: _idle(controller) and _names(controller) == ["corpus.txt"])
    assert [f.data for f in fake_openai.files.files.values()] == [data]
    assert len(fake_openai.requests_to("/v1/uploads")) == 1  # the same upload, resumed
    assert len(fake_openai.requests_to("/parts")) <= 12  # at most the part in flight again


def test_a_server_error_while_listing_is_shown_and_refresh_recovers(
    parts: Parts, qtbot: Any, fake_openai: FakeOpenAI, wait_until: WaitUntil
) -> None:
    fake_openai.files.add("a.txt", b"x", "user_data")
    fake_openai.fail_next(500, path="/v1/files")
    controller = _open(parts, qtbot)
    page = controller.view.files
    wait_until(lambda: _idle(controller) and page.status_label.text() != "")
    assert _names(controller) == []
    assert "No files yet" in page.count_label.text()
    page.refresh_button.click()
    wait_until(lambda: _idle(controller) and _names(controller) == ["a.txt"])


def test_deleting_a_file_a_batch_still_uses_is_asked_about_by_name(
    parts: Parts,
    qtbot: Any,
    fake_openai: FakeOpenAI,
    wait_until: WaitUntil,
    qloop: asyncio.AbstractEventLoop,
) -> None:
    line = {
        "custom_id": "a",
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]},
    }
    used = fake_openai.files.add("genres.jsonl", json.dumps(line).encode(), "batch")
    fake_openai.files.add("notes.txt", b"x", "user_data")
    fake_openai.batches.steps = 10_000

    async def start_batch() -> None:
        client = AsyncOpenAI(base_url=fake_openai.base_url, api_key="test", max_retries=0)
        await client.batches.create(
            input_file_id=used["id"],
            endpoint="/v1/chat/completions",
            completion_window="24h",
            metadata={"name": "Movie genres"},
        )
        await client.close()

    qloop.run_until_complete(start_batch())
    controller = _open(parts, qtbot)
    page = controller.view.files
    wait_until(lambda: _idle(controller) and len(_names(controller)) == 2)
    wait_until(lambda: page.model.index(0, 4).data() == "Ready")  # notes.txt, newest
    wait_until(lambda: page.model.index(1, 4).data() == "Ready, in use")
    tip = page.model.index(1, 4).data(Qt.ItemDataRole.ToolTipRole)
    assert tip == "input of the batch Movie genres (checking the file)"
    page.table.selectAll()
    page.delete_button.click()
    box = page.findChild(QMessageBox, "filesDeleteQuestion")
    assert box is not None
    assert "Still in use:\ngenres.jsonl: input of the batch Movie genres" in box.text()
    box.button(QMessageBox.StandardButton.No).click()
    wait_until(lambda: _idle(controller))
    assert len(fake_openai.files.files) == 2
