"""The gallery: a searchable grid of saved pictures, and a large view with zoom and fit.

Views only: they show `LibraryItem`s and emit `action_requested(action, item_id)`; the Images
controller does the work. Actions: "open", "copy", "save", "folder", "delete", "reuse", "edit",
"variation".
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, QSize, Qt, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QKeySequence, QPainter, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from playground.core.images.library import LibraryItem
from playground.core.money.formatting import format_cost
from playground.ui.common.widgets import named, wrapped_label

THUMB = 96
ID_ROLE = Qt.ItemDataRole.UserRole

ACTIONS: tuple[tuple[str, str, str], ...] = (
    ("open", "Open", "Show large, with zoom"),
    ("copy", "Copy", "Copy the picture to the clipboard"),
    ("save", "Save as…", "Save a copy of the picture somewhere else"),
    ("folder", "Show in folder", "Open the library folder"),
    ("reuse", "Reuse settings", "Put this picture's prompt, model and options back in the form"),
    ("edit", "Edit this", "Use this picture as the source of an edit"),
    ("variation", "Variations of this", "Make variations of this picture"),
    ("delete", "Delete", "Delete the picture (you can undo)"),
)


def with_checker(pixmap: QPixmap, cell: int = 8) -> QPixmap:
    """`pixmap` over a grey checkerboard when it has transparency (so a transparent background
    reads as transparent, in light and dark themes alike); unchanged otherwise."""
    if pixmap.isNull() or not pixmap.hasAlphaChannel():
        return pixmap
    board = QPixmap(pixmap.size())
    board.setDevicePixelRatio(pixmap.devicePixelRatio())
    board.fill(QColor(204, 204, 204))
    painter = QPainter(board)
    dark = QColor(153, 153, 153)
    for y in range(0, pixmap.height(), cell):
        for x in range((y // cell) % 2 * cell, pixmap.width(), cell * 2):
            painter.fillRect(x, y, cell, cell, dark)
    painter.drawPixmap(0, 0, pixmap)
    painter.end()
    return board


def describe(item: LibraryItem) -> str:
    """A tooltip: prompt, model, size, cost, time."""
    lines = [item.prompt or "(no prompt)"]
    if item.revised_prompt and item.revised_prompt != item.prompt:
        lines.append(f"Revised: {item.revised_prompt}")
    facts = [item.model or "unknown model"]
    if item.size:
        facts.append(f"{item.size[0]}×{item.size[1]}")
    if "cost" in item.meta:
        facts.append(format_cost(item.cost))
    facts.append(item.created.astimezone().strftime("%Y-%m-%d %H:%M"))
    lines.append(" · ".join(facts))
    return "\n".join(lines)


class GalleryPanel(QWidget):
    """Thumbnails of the library, newest first, with search and actions.

    Signals:
        search_changed: the search text changed. arg: the text.
        action_requested: an action on a picture. args: the action, the item id.
        undo_requested: Undo after a delete. arg: the item id.
    """

    search_changed = Signal(str)
    action_requested = Signal(str, str)
    undo_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("galleryPanel")
        self.variations_available = False
        #: Where `set_items` and `prepend` find a known thumbnail (the controller's cache).
        self.thumbnail_for: Callable[[str], QPixmap | None] = lambda _item_id: None
        self._by_id: dict[str, QListWidgetItem] = {}
        title = QLabel("<b>Gallery</b>")
        self.count_label = QLabel()
        self.count_label.setObjectName("galleryCount")
        self.search = named(QLineEdit(), "gallerySearch", "Search pictures by prompt")
        self.search.setPlaceholderText("Search prompts…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.search_changed)
        self.list = named(QListWidget(), "galleryList", "Saved pictures")
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.list.setGridSize(QSize(THUMB + 12, THUMB + 12))
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setUniformItemSizes(True)
        self.list.setSelectionMode(QListWidget.SelectionMode.SingleSelection)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._on_context_menu)
        self.list.itemActivated.connect(lambda item: self._emit("open", item))
        self.list.itemDoubleClicked.connect(lambda item: self._emit("open", item))
        self.list.currentItemChanged.connect(lambda *_: self._update_buttons())
        delete = QAction(self.list)
        delete.setShortcut(QKeySequence.StandardKey.Delete)
        delete.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        delete.triggered.connect(lambda: self._emit("delete", self.list.currentItem()))
        self.list.addAction(delete)
        self.empty_label = wrapped_label(
            "galleryEmpty", "Pictures you make appear here, saved the moment they arrive."
        )
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setForegroundRole(self.empty_label.foregroundRole())
        self.buttons: dict[str, QToolButton] = {}
        row = QHBoxLayout()
        row.setSpacing(2)
        for action, text, tip in ACTIONS:
            if action in ("open", "folder", "save"):
                continue
            button = QToolButton()
            button.setObjectName(f"gallery_{action}")
            button.setText(text)
            button.setToolTip(tip)
            button.setAccessibleName(text)
            button.clicked.connect(lambda _=False, a=action: self._emit(a, self.list.currentItem()))
            self.buttons[action] = button
        row.addWidget(self.buttons["copy"])
        row.addWidget(self.buttons["delete"])
        row.addStretch(1)
        more = QToolButton()
        more.setObjectName("galleryMore")
        more.setText("More")
        more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(more)
        for action, text, tip in ACTIONS:
            if action in ("copy", "delete"):
                continue
            act = menu.addAction(text)
            act.setToolTip(tip)
            act.setObjectName(f"galleryMenu_{action}")
            act.triggered.connect(lambda _=False, a=action: self._emit(a, self.list.currentItem()))
        more.setMenu(menu)
        self.more_menu = menu
        self.buttons["more"] = more
        row.addWidget(more)
        second = QHBoxLayout()
        second.setSpacing(2)
        for action in ("reuse", "edit", "variation"):
            second.addWidget(self.buttons[action])
        second.addStretch(1)
        self.undo_bar = QWidget()
        self.undo_bar.setObjectName("galleryUndoBar")
        undo_row = QHBoxLayout(self.undo_bar)
        undo_row.setContentsMargins(0, 0, 0, 0)
        self.undo_label = QLabel()
        self.undo_button = named(QPushButton("Undo"), "galleryUndo", "Undo delete")
        self.undo_button.clicked.connect(self._on_undo)
        undo_row.addWidget(self.undo_label, 1)
        undo_row.addWidget(self.undo_button)
        self.undo_bar.hide()
        self._undo_id = ""
        header = QHBoxLayout()
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 6, 4)
        layout.addLayout(header)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty_label, 1)
        layout.addWidget(self.undo_bar)
        layout.addLayout(row)
        layout.addLayout(second)
        self._total = 0
        self._after_change()

    # --- content -----------------------------------------------------------------------------

    def set_items(self, items: list[LibraryItem], total: int | None = None) -> None:
        """Shows `items`, with the thumbnails `thumbnail_for` already knows."""
        current = self.current_id()
        self.list.clear()
        self._by_id.clear()
        for item in items:
            self.list.addItem(self._make_item(item))
        self._total = len(items) if total is None else total
        self._after_change()
        if current:
            self.select(current)

    def prepend(self, item: LibraryItem) -> None:
        """A new picture at the front (if it matches the current search)."""
        words = self.search.text().casefold().split()
        self._total += 1
        if item.matches(words):
            self.list.insertItem(0, self._make_item(item))
        self._after_change()

    def update_item(self, item: LibraryItem) -> None:
        widget_item = self._by_id.get(item.id)
        if widget_item is not None:
            widget_item.setToolTip(describe(item))

    def remove(self, item_id: str) -> None:
        widget_item = self._by_id.pop(item_id, None)
        if widget_item is not None:
            self.list.takeItem(self.list.row(widget_item))
            self._total = max(0, self._total - 1)
        self._after_change()

    def set_thumbnail(self, item_id: str, pixmap: QPixmap) -> None:
        widget_item = self._by_id.get(item_id)
        if widget_item is not None:
            widget_item.setIcon(QIcon(with_checker(pixmap)))

    def ids(self) -> list[str]:
        return [self.list.item(i).data(ID_ROLE) for i in range(self.list.count())]

    def ids_without_thumbnail(self) -> list[str]:
        return [
            self.list.item(i).data(ID_ROLE)
            for i in range(self.list.count())
            if self.list.item(i).icon().isNull()
        ]

    def current_id(self) -> str:
        item = self.list.currentItem()
        return str(item.data(ID_ROLE)) if item is not None else ""

    def select(self, item_id: str) -> None:
        widget_item = self._by_id.get(item_id)
        if widget_item is not None:
            self.list.setCurrentItem(widget_item)

    def show_deleted(self, item_id: str, text: str) -> None:
        self._undo_id = item_id
        self.undo_label.setText(text)
        self.undo_bar.show()

    def hide_undo(self) -> None:
        self._undo_id = ""
        self.undo_bar.hide()

    def set_variations_available(self, available: bool) -> None:
        self.variations_available = available
        self.buttons["variation"].setVisible(available)
        for act in self.more_menu.actions():
            if act.objectName() == "galleryMenu_variation":
                act.setVisible(available)

    # --- internals ---------------------------------------------------------------------------

    def _make_item(self, item: LibraryItem) -> QListWidgetItem:
        widget_item = QListWidgetItem()
        widget_item.setData(ID_ROLE, item.id)
        widget_item.setToolTip(describe(item))
        widget_item.setSizeHint(QSize(THUMB + 8, THUMB + 8))
        pixmap = self.thumbnail_for(item.id)
        if pixmap is not None and not pixmap.isNull():
            widget_item.setIcon(QIcon(with_checker(pixmap)))
        self._by_id[item.id] = widget_item
        return widget_item

    def _after_change(self) -> None:
        shown = self.list.count()
        empty = shown == 0
        self.list.setVisible(not empty)
        self.empty_label.setVisible(empty)
        if self.search.text().strip() and empty:
            self.empty_label.setText("No picture's prompt matches the search.")
        else:
            self.empty_label.setText("Pictures you make appear here, saved the moment they arrive.")
        if self.search.text().strip():
            self.count_label.setText(f"{shown} of {self._total}")
        else:
            self.count_label.setText(f"{shown} picture{'s' if shown != 1 else ''}")
        self._update_buttons()

    def _update_buttons(self) -> None:
        has = self.list.currentItem() is not None
        for action, button in self.buttons.items():
            button.setEnabled(has or action == "more")
        for act in self.more_menu.actions():
            act.setEnabled(has or act.objectName() == "galleryMenu_folder")

    def _emit(self, action: str, item: QListWidgetItem | None) -> None:
        if action == "folder":
            self.action_requested.emit(action, "" if item is None else str(item.data(ID_ROLE)))
            return
        if item is not None:
            self.action_requested.emit(action, str(item.data(ID_ROLE)))

    def _on_context_menu(self, pos: QPoint) -> None:
        item = self.list.itemAt(pos)
        if item is None:
            return
        menu = QMenu(self)
        for action, text, tip in ACTIONS:
            if action == "variation" and not self.variations_available:
                continue
            act = menu.addAction(text)
            act.setToolTip(tip)
            act.triggered.connect(lambda _=False, a=action, it=item: self._emit(a, it))
        menu.popup(self.list.viewport().mapToGlobal(pos))

    def _on_undo(self) -> None:
        if self._undo_id:
            self.undo_requested.emit(self._undo_id)
        self.hide_undo()


class ImageView(QDialog):
    """A picture large, with fit and zoom, its prompt and the gallery's actions.

    Signals:
        action_requested: an action on the shown picture. args: the action, the item id.
    """

    action_requested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("imageViewDialog")
        self.setWindowTitle("Picture")
        self.resize(900, 700)
        self._pixmap = QPixmap()
        self._item_id = ""
        self._fit = True
        self._zoom = 1.0
        self.label = QLabel()
        self.label.setObjectName("imageViewPicture")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidget(self.label)
        self.scroll_area.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.info = wrapped_label("imageViewInfo")
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bar = QHBoxLayout()

        def button(name: str, text: str, slot: object) -> QPushButton:
            b = named(QPushButton(text), name, text)
            b.clicked.connect(slot)
            bar.addWidget(b)
            return b

        self.fit_button = button("imageViewFit", "Fit", self.fit)
        self.fit_button.setToolTip("Fit the picture in the window")
        self.actual_button = button("imageViewActual", "100 %", lambda: self.set_zoom(1.0))
        button("imageViewZoomOut", "−", lambda: self.set_zoom(self._zoom / 1.25))
        button("imageViewZoomIn", "+", lambda: self.set_zoom(self._zoom * 1.25))
        self.zoom_label = QLabel()
        bar.addWidget(self.zoom_label)
        bar.addStretch(1)
        self.action_buttons: dict[str, QPushButton] = {}
        for action, text, _tip in ACTIONS:
            if action == "open":
                continue
            self.action_buttons[action] = button(
                f"imageView_{action}",
                text,
                lambda _=False, a=action: self.action_requested.emit(a, self._item_id),
            )
        layout = QVBoxLayout(self)
        layout.addWidget(self.scroll_area, 1)
        layout.addWidget(self.info)
        layout.addLayout(bar)

    def show_item(self, item: LibraryItem, pixmap: QPixmap, variations: bool) -> None:
        self._item_id = item.id
        self._pixmap = with_checker(pixmap, 16)
        self.setWindowTitle(item.prompt[:80] or "Picture")
        self.info.setText(describe(item))
        self.action_buttons["variation"].setVisible(variations)
        self.fit()

    @property
    def item_id(self) -> str:
        return self._item_id

    def fit(self) -> None:
        self._fit = True
        self._render()

    def set_zoom(self, zoom: float) -> None:
        self._fit = False
        self._zoom = max(0.05, min(zoom, 16.0))
        self._render()

    def zoom(self) -> float:
        return self._zoom

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._fit:
            self._render()

    def _render(self) -> None:
        if self._pixmap.isNull():
            return
        if self._fit:
            area = self.scroll_area.viewport().size()
            self._zoom = min(
                1.0,
                max(area.width() - 4, 1) / self._pixmap.width(),
                max(area.height() - 4, 1) / self._pixmap.height(),
            )
        size = self._pixmap.size() * self._zoom
        self.label.setPixmap(
            self._pixmap.scaled(
                size,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )
        self.label.resize(size)
        self.zoom_label.setText(f"{round(self._zoom * 100)} %" + (" (fit)" if self._fit else ""))
