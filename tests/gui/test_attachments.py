"""The attachments bar: files, paste, drop and addresses in; ImageParts with a token estimate out."""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PIL import Image
from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QFileDialog

from playground.core.models import ImagePart
from playground.ui.common.attachments import AttachmentChip, AttachmentsBar
from playground.ui.shell.bridge import TaskRunner

pytestmark = pytest.mark.gui


def write_image(
    folder: Path, name: str, size: tuple[int, int] = (1024, 1024), fmt: str = "PNG"
) -> Path:
    path = folder / name
    Image.new("RGB", size, (20, 120, 220)).save(path, fmt)
    return path


@pytest.fixture
def bar(qtbot: Any) -> AttachmentsBar:
    widget = AttachmentsBar()
    qtbot.addWidget(widget)
    widget.resize(700, 120)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


class ManualDoor:
    """A `RunBlocking` door that holds each job until the test lets it run."""

    def __init__(self) -> None:
        self.jobs: list[tuple[Callable[[], object], Callable[[object], None]]] = []

    def __call__(self, job: Callable[[], object], done: Callable[[object], None]) -> None:
        self.jobs.append((job, done))

    def finish_all(self) -> None:
        jobs, self.jobs = self.jobs, []
        for job, done in jobs:
            done(job())


def only_chip(bar: AttachmentsBar) -> AttachmentChip:
    chips = bar.chips()
    assert len(chips) == 1
    return chips[0]


def test_starts_empty(bar: AttachmentsBar) -> None:
    assert bar.images() == ()
    assert bar.count() == 0
    assert bar.estimated_tokens() == 0
    assert bar.chips_scroll.isHidden()
    assert bar.attach_button.objectName() == "attachImageButton"
    assert bar.attach_button.accessibleName() == "Attach image"
    assert "paste" in bar.attach_button.toolTip()


def test_add_file_shows_a_chip_with_the_estimate(
    bar: AttachmentsBar, qtbot: Any, tmp_path: Path
) -> None:
    path = write_image(tmp_path, "square.png")

    with qtbot.waitSignal(bar.changed):
        bar.add_files([path])

    (part,) = bar.images()
    assert part.url.startswith("data:image/png;base64,")
    assert (part.detail, part.width, part.height) == ("auto", 1024, 1024)
    chip = only_chip(bar)
    assert chip.tokens_label.text() == "≈765 tok"
    assert chip.name_label.text() == "square.png"
    assert "1024×1024 px" in chip.toolTip()
    assert not chip.thumb.pixmap().isNull()
    assert bar.estimated_tokens() == 765
    assert bar.chips_scroll.isVisibleTo(bar)


def test_detail_change_updates_estimate_and_part(
    bar: AttachmentsBar, qtbot: Any, tmp_path: Path
) -> None:
    bar.add_files([write_image(tmp_path, "wide.png", (2048, 4096))])
    chip = only_chip(bar)
    assert chip.tokens_label.text() == "≈1,105 tok"

    with qtbot.waitSignal(bar.changed):
        chip.detail.setCurrentIndex(chip.detail.findData("low"))

    assert chip.tokens_label.text() == "≈85 tok"
    assert bar.images()[0].detail == "low"
    assert bar.estimated_tokens() == 85
    assert "Low detail" in chip.tokens_label.toolTip()
    assert "85 tokens" in chip.detail.toolTip()


def test_converted_file_says_what_was_done(bar: AttachmentsBar, qtbot: Any, tmp_path: Path) -> None:
    bar.add_files([write_image(tmp_path, "scan.bmp", (4000, 3000), "BMP")])  # 36 MB: a thread
    qtbot.waitUntil(lambda: not bar.is_loading(), timeout=10_000)

    chip = only_chip(bar)
    (part,) = bar.images()
    assert part.url.startswith("data:image/png;base64,")
    assert (part.width, part.height) == (2048, 1536)
    assert "converted from BMP to PNG; resized from 4000×3000 to 2048×1536" in chip.toolTip()


def test_remove_button(bar: AttachmentsBar, qtbot: Any, tmp_path: Path) -> None:
    bar.add_files([write_image(tmp_path, "a.png"), write_image(tmp_path, "b.png", (100, 100))])
    assert len(bar.images()) == 2
    first = bar.chips()[0]
    assert first.remove_button.accessibleName() == "Remove a.png"

    with qtbot.waitSignal(bar.changed):
        first.remove_button.click()

    assert [c.name for c in bar.chips()] == ["b.png"]
    assert bar.images()[0].width == 100


def test_clear(bar: AttachmentsBar, qtbot: Any, tmp_path: Path) -> None:
    bar.add_files([write_image(tmp_path, "a.png")])

    with qtbot.waitSignal(bar.changed):
        bar.clear()

    assert bar.images() == ()
    assert bar.chips_scroll.isHidden()


def test_bad_file_emits_problem_and_leaves_no_chip(
    bar: AttachmentsBar, qtbot: Any, tmp_path: Path
) -> None:
    fake = tmp_path / "notes.png"
    fake.write_text("not a picture", encoding="utf-8")

    with qtbot.waitSignal(bar.problem) as blocker:
        bar.add_files([fake])

    assert blocker.args[0].startswith("“notes.png” is not an image")
    assert bar.count() == 0
    assert bar.images() == ()


def test_big_files_load_through_the_door_in_order(qtbot: Any, tmp_path: Path) -> None:
    door = ManualDoor()
    bar = AttachmentsBar(sync_limit=0, run_blocking=door)  # every file goes through the door
    qtbot.addWidget(bar)
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8 broken")
    first = write_image(tmp_path, "first.jpg", (3000, 2000), "JPEG")
    second = write_image(tmp_path, "second.png", (50, 40))

    problems: list[str] = []
    bar.problem.connect(problems.append)
    bar.add_files([first, bad, second])

    assert len(door.jobs) == 3
    assert bar.is_loading()
    assert bar.images() == ()  # nothing is ready yet
    assert bar.chips()[0].tokens_label.text() == "Loading…"
    door.jobs.reverse()  # the last one ends first: the chips keep the order they were added in
    door.finish_all()

    assert not bar.is_loading()
    assert [c.name for c in bar.chips()] == ["first.jpg", "second.png"]
    assert [(p.width, p.height) for p in bar.images()] == [(2048, 1365), (50, 40)]
    assert len(problems) == 1
    assert "“bad.jpg”" in problems[0]


def test_the_task_runner_is_a_door_that_loads_in_a_worker_thread(
    qtbot: Any, qloop: asyncio.AbstractEventLoop, wait_until: Any, tmp_path: Path
) -> None:
    runner = TaskRunner()
    threads: list[threading.Thread] = []

    def door(job: Callable[[], object], done: Callable[[object], None]) -> None:
        def traced() -> object:
            threads.append(threading.current_thread())
            return job()

        runner.start_blocking(traced, group="attachments", on_result=done)

    bar = AttachmentsBar(sync_limit=0)
    bar.set_run_blocking(door)
    qtbot.addWidget(bar)
    bar.add_files([write_image(tmp_path, "a.png", (600, 400))])
    assert bar.is_loading()
    wait_until(lambda: not bar.is_loading())
    assert [(p.width, p.height) for p in bar.images()] == [(600, 400)]
    assert len(threads) == 1
    assert threads[0] is not threading.current_thread()
    qloop.run_until_complete(runner.shutdown())
    runner.deleteLater()


def test_without_a_door_big_files_are_prepared_at_once(qtbot: Any, tmp_path: Path) -> None:
    bar = AttachmentsBar(sync_limit=0)
    qtbot.addWidget(bar)
    bar.add_files([write_image(tmp_path, "a.png", (60, 40))])
    assert not bar.is_loading()
    assert [(p.width, p.height) for p in bar.images()] == [(60, 40)]


def test_removing_a_loading_image_drops_its_result(qtbot: Any, tmp_path: Path) -> None:
    door = ManualDoor()
    bar = AttachmentsBar(sync_limit=0, run_blocking=door)
    qtbot.addWidget(bar)
    changes: list[None] = []
    bar.add_files([write_image(tmp_path, "a.png")])
    bar.chips()[0].remove_button.click()
    bar.changed.connect(lambda: changes.append(None))

    door.finish_all()  # the result arrives after the chip was removed

    assert changes == []
    assert bar.count() == 0
    assert bar.images() == ()


def test_url(bar: AttachmentsBar, qtbot: Any) -> None:
    bar.url_button.click()
    assert bar.url_row.isVisibleTo(bar)
    bar.url_edit.setText("https://example.com/pics/cat.png")

    with qtbot.waitSignal(bar.changed):
        bar.url_add_button.click()

    assert bar.images() == (ImagePart("https://example.com/pics/cat.png", "auto"),)
    chip = only_chip(bar)
    assert chip.name_label.text() == "example.com/cat.png"
    assert chip.tokens_label.text() == "≈765 tok"
    assert "assumes 1024×1024" in chip.tokens_label.toolTip()
    assert bar.url_row.isHidden()


def test_bad_url_keeps_the_field_open(bar: AttachmentsBar, qtbot: Any) -> None:
    bar.show_url_entry()
    bar.url_edit.setText("ftp://example.com/cat.png")

    with qtbot.waitSignal(bar.problem):
        bar.url_edit.returnPressed.emit()

    assert bar.url_row.isVisibleTo(bar)
    assert bar.count() == 0


def test_data_url_is_checked_like_a_file(bar: AttachmentsBar) -> None:
    out = io.BytesIO()
    Image.new("RGB", (30, 20)).save(out, "BMP")
    url = "data:image/bmp;base64," + base64.b64encode(out.getvalue()).decode()

    assert bar.add_url(url)

    (part,) = bar.images()
    assert part.url.startswith("data:image/png;base64,")
    assert (part.width, part.height) == (30, 20)


def test_drop_of_image_files(bar: AttachmentsBar, tmp_path: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(write_image(tmp_path, "dropped.png", (10, 10))))])
    text_only = QMimeData()
    text_only.setText("just words")

    assert bar.can_accept(mime)
    assert not bar.can_accept(text_only)
    assert bar.accept_drop(mime)
    assert not bar.accept_drop(text_only)
    assert only_chip(bar).name == "dropped.png"


def test_paste_from_clipboard(bar: AttachmentsBar, qapp: QApplication) -> None:
    image = QImage(64, 32, QImage.Format.Format_RGB32)
    image.fill(QColor(200, 10, 10))
    qapp.clipboard().setImage(image)

    assert bar.add_from_clipboard()

    (part,) = bar.images()
    assert part.url.startswith("data:image/png;base64,")
    assert (part.width, part.height) == (64, 32)
    assert only_chip(bar).name == "Pasted image"
    qapp.clipboard().setText("words")
    assert not bar.add_from_clipboard()


def test_disabled_when_the_model_takes_no_images(
    bar: AttachmentsBar, qtbot: Any, qapp: QApplication, tmp_path: Path
) -> None:
    bar.add_files([write_image(tmp_path, "kept.png", (10, 10))])
    why = "gpt-3.5-turbo does not accept images."

    bar.set_vision_supported(False, why)

    assert not bar.attach_button.isEnabled()
    assert not bar.url_button.isEnabled()
    assert bar.attach_button.toolTip() == why
    assert bar.warning.isVisibleTo(bar)
    assert why in bar.warning.text()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(write_image(tmp_path, "more.png", (10, 10))))])
    assert not bar.can_accept(mime)
    assert not bar.accept_drop(mime)
    image = QImage(8, 8, QImage.Format.Format_RGB32)
    image.fill(QColor(0, 0, 0))
    qapp.clipboard().setImage(image)
    with qtbot.waitSignal(bar.problem) as blocker:
        assert not bar.add_from_clipboard()
    assert blocker.args == [why]
    with qtbot.waitSignal(bar.problem):
        assert not bar.add_url("https://example.com/a.png")
    assert bar.count() == 1  # what was attached stays until removed

    bar.set_vision_supported(True)
    assert bar.attach_button.isEnabled()
    assert "Attach images" in bar.attach_button.toolTip()
    assert bar.warning.isHidden()


def test_attach_button_opens_a_file_dialog(bar: AttachmentsBar, qtbot: Any) -> None:
    bar.attach_button.click()

    dialog = bar.findChild(QFileDialog, "attachImageDialog")
    assert isinstance(dialog, QFileDialog)
    assert "*.png" in dialog.nameFilters()[0]
    assert "*.webp" in dialog.nameFilters()[0]
    dialog.reject()


def test_closing_the_bar_while_an_image_loads_is_harmless(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_image(tmp_path, "big.png", (300, 300))
    door = ManualDoor()
    bar = AttachmentsBar(sync_limit=0, run_blocking=door)
    bar.add_files([path, path])

    shiboken6.delete(bar)  # as when the window closes mid-load
    assert not shiboken6.isValid(bar)
    door.finish_all()  # the loads end and find nobody to tell

    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_every_control_is_named(bar: AttachmentsBar, tmp_path: Path) -> None:
    bar.add_files([write_image(tmp_path, "a.png", (10, 10))])
    chip = only_chip(bar)
    for widget in (
        bar.attach_button,
        bar.url_button,
        bar.url_edit,
        bar.url_add_button,
        bar.url_cancel_button,
        chip.detail,
        chip.remove_button,
    ):
        assert widget.objectName()
        assert widget.accessibleName()
        assert widget.toolTip()
