"""The attachments bar above the message box: images for vision models.

Images come in four ways: the "Attach image" button (a file dialog), paste (the tab's Ctrl+V handler
calls `add_from_clipboard` when the clipboard holds an image or image files), drag and drop onto the
bar (or onto the message box: the tab forwards to `can_accept` / `accept_drop`), and "Image URL…"
(an address, or a `data:` URL). Each image is shown as a chip: a 48-px thumbnail, the detail
("Auto", "Low", "High") and what it costs ("≈765 tok", `core.vision.image_tokens`), and a × to
remove it.

The bar is a view: it never sends anything. `core.vision.load_image` checks and converts each file
(conversion to PNG, resize to fit 2048 px, the right MIME type); the tab reads `images()` when Send is
pressed. Files under `SYNC_LOAD_LIMIT` are prepared at once on the GUI thread (a few milliseconds);
bigger ones go through the `RunBlocking` door the bar was given (the app's task runner: a worker
thread, with the result delivered on the GUI thread) and their chip says "Loading…" meanwhile.
The bar owns no threads: without a door it prepares them at once too.
"""

from __future__ import annotations

import functools
import itertools
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final
from urllib.parse import unquote, urlsplit

from PySide6.QtCore import QBuffer, QByteArray, QEvent, QIODevice, QMimeData, QObject, Qt, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QImage,
    QKeyEvent,
    QPalette,
    QPixmap,
)
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from playground.core.chat.vision import (
    UNKNOWN_SIZE_ASSUMPTION,
    ImageProblem,
    image_file_patterns,
    image_from_url,
    image_tokens,
    load_data_url,
    load_image,
    thumbnail_png,
)
from playground.core.models import ImagePart
from playground.core.money.formatting import format_tokens
from playground.ui.common.widgets import named, wrapped_label
from playground.ui.shell.theme import icon, is_dark

log = logging.getLogger(__name__)

#: Sources smaller than this (bytes) are prepared on the GUI thread; bigger ones in a worker thread.
SYNC_LOAD_LIMIT: Final = 2_000_000
#: Thumbnail side in the chips (logical pixels).
THUMB_SIZE: Final = 48

DETAILS: Final = (("Auto", "auto"), ("Low", "low"), ("High", "high"))
DETAIL_TOOLTIP: Final = (
    "How closely the model looks at this image.\n"
    "• Low: one small 512×512 overview, always 85 tokens. Cheap; enough for “what is in this "
    "picture?”.\n"
    "• High: also reads the image in 512-px tiles (after scaling its short side to 768 px), "
    "85 + 170 tokens per tile. Needed for small text, charts and details.\n"
    "• Auto: the model decides; the estimate counts it as High."
)
_DETAIL_ITEM_TIPS: Final = {
    "auto": "The model decides how closely to look (counted as High in the estimate).",
    "low": "A quick look: 85 tokens, whatever the size. Small text may be unreadable.",
    "high": "A close look in 512-px tiles: reads small text and details, costs more.",
}
_ATTACH_TIP: Final = (
    "Attach images from your computer (PNG, JPEG, WEBP, GIF; other formats are converted). "
    "You can also paste an image (Ctrl+V) or drop image files here."
)
_URL_TIP: Final = (
    "Attach an image by its web address (https://…) or a data: URL. The API downloads it, "
    "so the address must be public."
)
_NO_VISION: Final = "This model does not accept images."
_MIB: Final = 1024 * 1024

#: What a load job takes: a file, encoded bytes, a clipboard image, or a data URL (str).
_Source = Path | bytes | QImage | str

#: The door for blocking work the bar is given: `run(job, done)` runs `job()` off the GUI thread
#: and later calls `done(result)` on the GUI thread (never if the work was cancelled). A tab wires
#: its task runner: `lambda job, done: runner.start_blocking(job, group=..., on_result=done)`.
#: A job never raises: it returns what went wrong.
RunBlocking = Callable[[Callable[[], object], Callable[[object], None]], object]


def run_now(job: Callable[[], object], done: Callable[[object], None]) -> None:
    """The `RunBlocking` of a bar given none (tests, a bar on its own): runs `job` at once."""
    done(job())


@dataclass(frozen=True, slots=True)
class _Loaded:
    """A prepared image, as the worker hands it back."""

    part: ImagePart
    name: str
    note: str
    size: int
    thumb: bytes


def _qimage_png(image: QImage) -> bytes:
    """A QImage as PNG bytes (QImage, unlike QPixmap, may be used off the GUI thread)."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # Quality 50 = a medium zlib level: a big screenshot is written several times faster than at
    # the default level, and is re-encoded anyway if it is too large.
    # The stubs say bytes, but at run time PySide 6.11 only takes the format as str.
    ok = image.save(buffer, "PNG", 50)  # type: ignore[call-overload]
    buffer.close()
    if not ok:
        raise ImageProblem("The pasted image could not be read.")
    return bytes(data.data())


def _load_job(source: _Source, name: str) -> _Loaded:
    """Checks and prepares one image; runs on the GUI thread or in a worker thread."""
    if isinstance(source, QImage):
        prepared = load_image(_qimage_png(source), name=name)
    elif isinstance(source, str):
        prepared = load_data_url(source, name=name)
    else:
        prepared = load_image(source, name=name)
    part = prepared.to_part("auto")
    thumb = thumbnail_png(prepared.data, THUMB_SIZE * 2)
    return _Loaded(part, prepared.name or name, prepared.note, prepared.size, thumb)


def _try_load(source: _Source, name: str) -> _Loaded | Exception:
    """`_load_job` for a worker: what went wrong comes back as a result, for the bar to word."""
    try:
        return _load_job(source, name)
    except Exception as exc:  # shown as `problem`; logged in _on_loaded if unexpected
        return exc


def _size_text(size: int) -> str:
    if size >= _MIB:
        return f"{size / _MIB:.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


def _url_name(url: str) -> str:
    parts = urlsplit(url)
    tail = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
    return f"{parts.hostname}/{tail}" if tail else str(parts.hostname)


class AttachmentChip(QFrame):
    """One attached image: thumbnail, name, detail, token estimate and a remove button.

    Signals:
        remove_clicked: the × was clicked.
        detail_changed: the user picked another detail. arg: "auto", "low" or "high".
    """

    remove_clicked = Signal()
    detail_changed = Signal(str)

    def __init__(self, name: str, token: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attachmentChip")
        self.setAccessibleName(f"Attached image {name}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.Base)
        self.name = name
        self.token = token
        self._part: ImagePart | None = None

        self.thumb = QLabel()
        self.thumb.setObjectName("attachmentThumb")
        self.thumb.setFixedSize(THUMB_SIZE, THUMB_SIZE)
        self.thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.name_label = QLabel()
        self.name_label.setObjectName("attachmentName")
        self.name_label.setMaximumWidth(150)
        self._set_name_text(name)
        self.detail = named(QComboBox(), "attachmentDetail", f"Detail for {name}", DETAIL_TOOLTIP)
        for i, (label, value) in enumerate(DETAILS):
            self.detail.addItem(label, value)
            self.detail.setItemData(i, _DETAIL_ITEM_TIPS[value], Qt.ItemDataRole.ToolTipRole)
        self.detail.currentIndexChanged.connect(self._on_detail_changed)
        self.tokens_label = QLabel()
        self.tokens_label.setObjectName("attachmentTokens")
        self.remove_button = named(
            QToolButton(),
            "attachmentRemove",
            f"Remove {name}",
            "Remove this image from the message",
        )
        self.remove_button.setText("✕")
        self.remove_button.setAutoRaise(True)
        self.remove_button.clicked.connect(self.remove_clicked)

        text = QVBoxLayout()
        text.setContentsMargins(0, 0, 0, 0)
        text.setSpacing(2)
        text.addWidget(self.name_label)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        row.addWidget(self.detail)
        row.addWidget(self.tokens_label)
        text.addLayout(row)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 2, 4)
        layout.setSpacing(6)
        layout.addWidget(self.thumb)
        layout.addLayout(text)
        layout.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignTop)
        self.set_loading()

    # -- state ------------------------------------------------------------------------------------

    def set_loading(self) -> None:
        """Shows "Loading…" until `set_image` (the detail cannot be changed yet)."""
        self.detail.setEnabled(False)
        self.tokens_label.setText("Loading…")
        self.tokens_label.setToolTip("Checking and preparing the image…")
        self.thumb.setPixmap(icon("image").pixmap(24, 24))

    def set_image(self, part: ImagePart, *, thumb: bytes = b"", tooltip: str = "") -> None:
        """Shows a prepared image (`thumb`: PNG bytes; none for an address: an icon is shown)."""
        self._part = part
        pixmap = QPixmap()
        if thumb and pixmap.loadFromData(thumb, "PNG"):
            ratio = max(1.0, max(pixmap.width(), pixmap.height()) / THUMB_SIZE)
            pixmap.setDevicePixelRatio(ratio)
            self.thumb.setPixmap(pixmap)
        else:
            self.thumb.setPixmap(icon("image").pixmap(32, 32))
        self.setToolTip(tooltip)
        self.thumb.setToolTip(tooltip)
        self.name_label.setToolTip(tooltip)
        self.detail.setEnabled(True)
        self._update_tokens()

    def part(self) -> ImagePart | None:
        """The image with the chosen detail, or None while loading."""
        if self._part is None:
            return None
        detail = str(self.detail.currentData())
        return self._part if self._part.detail == detail else replace(self._part, detail=detail)

    def tokens(self) -> int:
        """The estimated input tokens of this image (0 while loading)."""
        part = self.part()
        return 0 if part is None else image_tokens(part.width, part.height, part.detail)

    # -- internals --------------------------------------------------------------------------------

    def _set_name_text(self, name: str) -> None:
        metrics = self.name_label.fontMetrics()
        self.name_label.setText(metrics.elidedText(name, Qt.TextElideMode.ElideMiddle, 150))

    def _on_detail_changed(self, _index: int) -> None:
        self._update_tokens()
        self.detail_changed.emit(str(self.detail.currentData()))

    def _update_tokens(self) -> None:
        part = self.part()
        if part is None:
            return
        self.tokens_label.setText(format_tokens(self.tokens(), estimated=True))
        detail = self.detail.currentText()
        tip = (
            f"Estimated input tokens for this image at {detail} detail (the rule published for "
            "gpt-4o; other models may count differently)."
        )
        if part.width is None or part.height is None:
            w, h = UNKNOWN_SIZE_ASSUMPTION
            tip += f" The size is unknown until the API downloads it; the estimate assumes {w}×{h}."
        self.tokens_label.setToolTip(tip)


class AttachmentsBar(QWidget):
    """Images attached to the next message, shown as chips above the message box.

    Signals:
        changed: an image was added, removed, finished loading or changed detail. No args: read
            `images()` and `estimated_tokens()`.
        problem: an image could not be attached. arg: why, in plain words (for the tab to show).
    """

    changed = Signal()
    problem = Signal(str)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        sync_limit: int = SYNC_LOAD_LIMIT,
        run_blocking: RunBlocking | None = None,
    ) -> None:
        """Builds the bar.

        Args:
            parent: the parent widget.
            sync_limit: sources smaller than this many bytes are prepared on the GUI thread.
            run_blocking: the door bigger sources are prepared through (see `RunBlocking`);
                `set_run_blocking` can give it later. Without one they are prepared at once.
        """
        super().__init__(parent)
        self.setObjectName("attachmentsBar")
        self.setAccessibleName("Attached images")
        self.setAcceptDrops(True)
        self._sync_limit = sync_limit
        self._vision = True
        self._why = ""
        self._tokens = itertools.count(1)
        self._pending: dict[int, AttachmentChip] = {}
        self._chips: list[AttachmentChip] = []
        self._run_blocking: RunBlocking = run_blocking or run_now
        self._last_dir = ""
        # A load that ends after the bar was closed finds nothing pending and is dropped.
        pending = self._pending
        self.destroyed.connect(lambda *_: pending.clear())

        self.attach_button = named(
            QPushButton("Attach image"), "attachImageButton", "Attach image", _ATTACH_TIP
        )
        self.attach_button.setIcon(icon("image"))
        self.attach_button.clicked.connect(self.open_file_dialog)
        self.url_button = named(
            QPushButton("Image URL…"), "imageUrlButton", "Attach image by address", _URL_TIP
        )
        self.url_button.clicked.connect(self.show_url_entry)

        self.chips_widget = QWidget()
        self.chips_widget.setObjectName("attachmentChips")
        self.chips_layout = QHBoxLayout(self.chips_widget)
        self.chips_layout.setContentsMargins(0, 0, 0, 0)
        self.chips_layout.setSpacing(6)
        self.chips_layout.addStretch(1)
        self.chips_scroll = QScrollArea()
        self.chips_scroll.setObjectName("attachmentScroll")
        self.chips_scroll.setWidget(self.chips_widget)
        self.chips_scroll.setWidgetResizable(True)
        self.chips_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.chips_scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.chips_scroll.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.chips_scroll.setVisible(False)
        self.chips_scroll.installEventFilter(self)
        self.chips_widget.installEventFilter(self)

        self.url_edit = named(QLineEdit(), "imageUrlEdit", "Image address")
        self.url_edit.setPlaceholderText("https://…/picture.png or data:image/png;base64,…")
        self.url_edit.setToolTip(_URL_TIP + " Press Enter to attach, Esc to cancel.")
        self.url_edit.setClearButtonEnabled(True)
        self.url_edit.returnPressed.connect(self._on_url_entered)
        self.url_add_button = named(
            QPushButton("Attach"),
            "imageUrlAddButton",
            "Attach the image address",
            "Attach the image at this address (Enter)",
        )
        self.url_add_button.clicked.connect(self._on_url_entered)
        self.url_cancel_button = named(
            QPushButton("Cancel"),
            "imageUrlCancelButton",
            "Cancel the image address",
            "Close the address field (Esc)",
        )
        self.url_cancel_button.clicked.connect(self.hide_url_entry)
        self.url_row = QWidget()
        self.url_row.setObjectName("imageUrlRow")
        url_layout = QHBoxLayout(self.url_row)
        url_layout.setContentsMargins(0, 0, 0, 0)
        url_layout.addWidget(self.url_edit, 1)
        url_layout.addWidget(self.url_add_button)
        url_layout.addWidget(self.url_cancel_button)
        self.url_row.setVisible(False)

        self.warning = wrapped_label("attachmentsWarning")
        self.warning.setVisible(False)

        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.setSpacing(6)
        buttons.addWidget(self.attach_button, 0, Qt.AlignmentFlag.AlignTop)
        buttons.addWidget(self.url_button, 0, Qt.AlignmentFlag.AlignTop)
        buttons.addWidget(self.chips_scroll, 1)
        buttons.addStretch(0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(buttons)
        layout.addWidget(self.url_row)
        layout.addWidget(self.warning)
        self._style_warning()

    # -- reading ----------------------------------------------------------------------------------

    def images(self) -> tuple[ImagePart, ...]:
        """The images ready to send, in the order they were added (still-loading ones left out)."""
        parts = (chip.part() for chip in self._chips)
        return tuple(part for part in parts if part is not None)

    def estimated_tokens(self) -> int:
        """The estimated input tokens of all ready images."""
        return sum(chip.tokens() for chip in self._chips)

    def count(self) -> int:
        """How many images are attached or loading."""
        return len(self._chips)

    def is_loading(self) -> bool:
        """True while an image is being prepared (the tab may wait before sending)."""
        return bool(self._pending)

    def chips(self) -> list[AttachmentChip]:
        """The chips, in order."""
        return list(self._chips)

    def vision_supported(self) -> bool:
        """Whether attaching is allowed (see `set_vision_supported`)."""
        return self._vision

    # -- slots ------------------------------------------------------------------------------------

    def set_run_blocking(self, run_blocking: RunBlocking) -> None:
        """Gives the door bigger images are prepared through (the tab's task runner)."""
        self._run_blocking = run_blocking

    def clear(self) -> None:
        """Removes every image (loads still running are forgotten)."""
        if not self._chips:
            return
        for chip in list(self._chips):
            self._drop_chip(chip)
        self._after_change()

    def set_vision_supported(self, supported: bool, why: str = "") -> None:
        """Allows or refuses attaching for the selected model.

        Args:
            supported: whether the model takes images.
            why: shown in the tooltips when it does not (e.g. `Capabilities.why`).
        """
        self._vision = supported
        self._why = why or _NO_VISION
        self.attach_button.setEnabled(supported)
        self.url_button.setEnabled(supported)
        self.attach_button.setToolTip(_ATTACH_TIP if supported else self._why)
        self.url_button.setToolTip(_URL_TIP if supported else self._why)
        if not supported:
            self.hide_url_entry()
        self._update_warning()

    def open_file_dialog(self) -> QFileDialog:
        """Opens the file dialog (window-modal, non-blocking); chosen files are attached."""
        patterns = " ".join(image_file_patterns())
        dialog = QFileDialog(
            self,
            "Attach images",
            self._last_dir,
            f"Images ({patterns});;All files (*)",
        )
        dialog.setObjectName("attachImageDialog")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.filesSelected.connect(self.add_files)
        dialog.open()
        return dialog

    def show_url_entry(self) -> None:
        """Shows the address field and puts the cursor in it."""
        if not self._vision:
            return
        self.url_row.setVisible(True)
        self.url_edit.setFocus()
        self.url_edit.selectAll()

    def hide_url_entry(self) -> None:
        """Hides the address field (keeps what was typed)."""
        self.url_row.setVisible(False)

    def add_files(self, paths: Iterable[str | Path]) -> None:
        """Attaches image files; each bad one emits `problem`."""
        for item in paths:
            path = Path(item)
            self._last_dir = str(path.parent)
            try:
                size = path.stat().st_size
            except OSError:
                size = 0  # load_image says what is wrong, in the problem signal
            self._start(path, path.name, size)

    def add_image_data(self, data: bytes, name: str = "Pasted image") -> None:
        """Attaches an encoded image (PNG, JPEG, BMP...) held in memory."""
        self._start(data, name, len(data))

    def add_qimage(self, image: QImage, name: str = "Pasted image") -> None:
        """Attaches a QImage (from the clipboard or a drop)."""
        if image.isNull():
            self.problem.emit("The pasted image is empty.")
            return
        self._start(image.copy(), name, image.sizeInBytes())

    def add_url(self, url: str) -> bool:
        """Attaches an image by address or data URL; False (and `problem`) if it is not usable."""
        if not self._vision:
            self.problem.emit(self._why)
            return False
        text = url.strip()
        if text[:5].lower() == "data:":
            self._start(text, "Image from data URL", len(text) * 3 // 4)
            return True
        try:
            part = image_from_url(text)
        except ImageProblem as exc:
            self.problem.emit(str(exc))
            return False
        chip = self._add_chip(_url_name(part.url))
        chip.set_image(
            part, tooltip=f"{part.url}\nNot downloaded by Playground: the API fetches it."
        )
        self._after_change()
        return True

    def add_from_clipboard(self) -> bool:
        """Attaches what the clipboard holds (image files, or an image); False if neither."""
        mime = QApplication.clipboard().mimeData()
        if mime is None:
            return False
        if not self._vision:
            if _has_image(mime) and not mime.hasText():
                self.problem.emit(self._why)
            return False
        return self._take(mime)

    def can_accept(self, mime: QMimeData) -> bool:
        """Whether a drag carries something the bar would attach (for `dragEnterEvent`)."""
        return self._vision and _has_image(mime)

    def accept_drop(self, mime: QMimeData) -> bool:
        """Attaches what a drop carries (image files, an image, an image address)."""
        return self._vision and self._take(mime)

    # -- drag and drop ----------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.can_accept(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self.can_accept(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        if self.accept_drop(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self.url_row.isVisible():
            self.hide_url_entry()
            event.accept()
            return
        super().keyPressEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._style_warning()

    # -- internals --------------------------------------------------------------------------------

    def _take(self, mime: QMimeData) -> bool:
        files = [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]
        if files:
            self.add_files(files)
            return True
        if mime.hasImage():
            image = mime.imageData()
            if isinstance(image, QImage) and not image.isNull():
                self.add_qimage(image)
                return True
        web = [u.toString() for u in mime.urls() if u.scheme() in ("http", "https")]
        if web:
            return any([self.add_url(u) for u in web])
        return False

    def _on_url_entered(self) -> None:
        if self.add_url(self.url_edit.text()):
            self.url_edit.clear()
            self.hide_url_entry()

    def _start(self, source: _Source, name: str, size: int) -> None:
        if not self._vision:
            self.problem.emit(self._why)
            return
        chip = self._add_chip(name)
        self._pending[chip.token] = chip
        if size < self._sync_limit:
            self._on_loaded(chip.token, _try_load(source, name))
            return
        self._after_change()  # a "Loading…" chip appeared
        self._run_blocking(
            functools.partial(_try_load, source, name),
            functools.partial(self._on_loaded, chip.token),
        )

    def _on_loaded(self, token: int, result: object) -> None:
        chip = self._pending.pop(token, None)
        if chip is None:
            return  # removed, cleared or closed while loading
        if isinstance(result, _Loaded):
            lines = [f"{result.name}", f"{result.part.width}×{result.part.height} px · "]
            lines[1] += f"{_size_text(result.size)} sent"
            if result.note:
                lines.append(f"Prepared for the API: {result.note}.")
            chip.set_image(result.part, thumb=result.thumb, tooltip="\n".join(lines))
        else:
            self._drop_chip(chip)
            if isinstance(result, ImageProblem):
                self.problem.emit(str(result))
            else:
                log.error(
                    "could not attach %s",
                    chip.name,
                    exc_info=result if isinstance(result, BaseException) else None,
                )
                self.problem.emit(f"“{chip.name}” could not be attached (an unexpected error).")
        self._after_change()

    def _add_chip(self, name: str) -> AttachmentChip:
        chip = AttachmentChip(name, next(self._tokens))
        chip.remove_clicked.connect(lambda c=chip: self._on_remove_clicked(c))
        chip.detail_changed.connect(lambda _d: self.changed.emit())
        self.chips_layout.insertWidget(self.chips_layout.count() - 1, chip)
        self._chips.append(chip)
        return chip

    def _drop_chip(self, chip: AttachmentChip) -> None:
        self._pending.pop(chip.token, None)
        if chip in self._chips:
            self._chips.remove(chip)
        self.chips_layout.removeWidget(chip)
        chip.hide()
        chip.deleteLater()

    def _on_remove_clicked(self, chip: AttachmentChip) -> None:
        self._drop_chip(chip)
        self._after_change()

    def _after_change(self) -> None:
        self.chips_scroll.setVisible(bool(self._chips))
        self._fit_scroll_height()
        self._update_warning()
        self.changed.emit()

    def _fit_scroll_height(self) -> None:
        """As tall as the chips, plus the scroll bar only when they do not all fit."""
        if not self._chips:
            return
        height = max(chip.sizeHint().height() for chip in self._chips)
        if self.chips_widget.sizeHint().width() > self.chips_scroll.viewport().width():
            height += self.chips_scroll.horizontalScrollBar().sizeHint().height()
        self.chips_scroll.setFixedHeight(height)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.Resize, QEvent.Type.LayoutRequest):
            self._fit_scroll_height()
        return super().eventFilter(watched, event)

    def _update_warning(self) -> None:
        show = not self._vision and bool(self._chips)
        if show:
            self.warning.setText(f"{self._why} Remove the attached images before sending.")
        self.warning.setVisible(show)

    def _style_warning(self) -> None:
        red = "#ff8a80" if is_dark() else "#b3261e"
        self.warning.setStyleSheet(f"QLabel#attachmentsWarning {{ color: {red}; }}")


def _has_image(mime: QMimeData) -> bool:
    if mime.hasImage():
        return True
    suffixes = {p.removeprefix("*") for p in image_file_patterns()}
    for url in mime.urls():
        if url.isLocalFile():
            if Path(url.toLocalFile()).suffix.lower() in suffixes:
                return True
        elif url.scheme() in ("http", "https"):
            return True
    return False
