"""The Files page of the Platform tab: every file of the organisation, paged in as you scroll.

The table's model (`FilesModel`) asks for the next page through `more_wanted` when the view
scrolls near its end (Qt's `canFetchMore`/`fetchMore`), so thousands of files cost one page at a
time; the controller fetches the page and hands it back with `append_page`. The page holds no
network code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    QStringListModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from playground.core.api.errors import AppError
from playground.core.platform.files import (
    PURPOSE_NAMES,
    PURPOSES,
    FileInfo,
    FilePage,
    Preview,
    format_size,
    purpose_name,
)
from playground.ui.common.widgets import named, side_by_side, wrapped_label
from playground.ui.platform.widgets import (
    show_error,
    show_info,
    status_line,
)

COLUMNS = ("Name", "Purpose", "Size", "Created", "Status")
_ModelIndex = QModelIndex | QPersistentModelIndex


class FilesModel(QAbstractTableModel):
    """The files loaded so far, newest first; more are asked for as the view scrolls.

    Signals:
        more_wanted: the view scrolled near the end and more files exist on the server.
    """

    more_wanted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.files: list[FileInfo] = []
        self.has_more = False
        self.loading = False
        self.usage: dict[str, list[str]] = {}  # file id -> what uses it, in words

    # -- Qt overrides --------------------------------------------------------------------------

    def rowCount(self, parent: _ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.files)

    def columnCount(self, parent: _ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: _ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        info = self.files[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.UserRole:
            return info
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return info.name
            if column == 1:
                return purpose_name(info.purpose)
            if column == 2:
                return format_size(info.size)
            if column == 3:
                return datetime.fromtimestamp(info.created_at).strftime("%Y-%m-%d %H:%M")
            return info.status_text + (", in use" if info.id in self.usage else "")
        if role == Qt.ItemDataRole.ToolTipRole and column == 4:
            lines = [info.status_details, *self.usage.get(info.id, [])]
            return "\n".join(line for line in lines if line) or None
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def canFetchMore(self, parent: _ModelIndex) -> bool:
        return not parent.isValid() and self.has_more and not self.loading

    def fetchMore(self, parent: _ModelIndex) -> None:
        if self.canFetchMore(parent):
            self.loading = True
            self.more_wanted.emit()

    # -- what the controller calls -------------------------------------------------------------

    def restart(self) -> None:
        """Forget the loaded files; the first page is on its way."""
        self.beginResetModel()
        self.files = []
        self.has_more = False
        self.loading = True
        self.endResetModel()

    def append_page(self, page: FilePage) -> None:
        known = {f.id for f in self.files}
        new = [f for f in page.files if f.id not in known]
        # Before the rows go in: whoever hears rowsInserted may ask for the next page at once.
        self.has_more = page.has_more
        self.loading = False
        if new:
            start = len(self.files)
            self.beginInsertRows(QModelIndex(), start, start + len(new) - 1)
            self.files.extend(new)
            self.endInsertRows()

    def load_failed(self) -> None:
        self.loading = False

    def set_usage(self, usage: dict[str, list[str]]) -> None:
        if usage != self.usage:
            self.usage = usage
            if self.files:
                self.dataChanged.emit(self.index(0, 4), self.index(len(self.files) - 1, 4))

    def prepend(self, info: FileInfo) -> None:
        self.beginInsertRows(QModelIndex(), 0, 0)
        self.files.insert(0, info)
        self.endInsertRows()

    def remove(self, file_ids: set[str]) -> None:
        for row in range(len(self.files) - 1, -1, -1):
            if self.files[row].id in file_ids:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self.files[row]
                self.endRemoveRows()

    @property
    def last_id(self) -> str | None:
        return self.files[-1].id if self.files else None


class FilesPage(QWidget):
    """The Files page: filter, search, the paged table, upload (button or drop), preview,
    download and delete.

    Signals:
        reload_requested: the purpose filter changed or Refresh was clicked; load from the start.
        more_wanted: the table wants the next page.
        upload_clicked: Upload… was clicked (the controller asks which files).
        files_dropped: files were dropped on the page. arg: their paths.
        resume_clicked: Resume was clicked for the upload that stopped half-way.
        pause_clicked: Pause was clicked while a file was being sent in parts.
        preview_requested: show a file's content. arg: the `FileInfo`.
        download_clicked: Download… was clicked. arg: the selected `FileInfo`.
        delete_confirmed: the user confirmed deleting files. arg: their ids (list of str).
    """

    reload_requested = Signal()
    more_wanted = Signal()
    upload_clicked = Signal()
    files_dropped = Signal(list)
    resume_clicked = Signal()
    pause_clicked = Signal()
    preview_requested = Signal(object)
    download_clicked = Signal(object)
    delete_confirmed = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("platformFilesPage")
        self.setAcceptDrops(True)
        self.model = FilesModel(self)
        self.model.more_wanted.connect(self.more_wanted)
        # The search's filter sits between the model and the table only while a search is typed:
        # a proxy's bookkeeping at every inserted page is a cost the plain list does not pay.
        self.proxy = QSortFilterProxyModel(self)
        self._detached = QStringListModel(self)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(0)

        self.purpose_filter = named(QComboBox(), "filesPurposeFilter", "Show files for")
        self.purpose_filter.addItem("All purposes", "")
        shown = [*PURPOSES, ("batch_output", PURPOSE_NAMES["batch_output"])]
        shown.append(("fine-tune-results", PURPOSE_NAMES["fine-tune-results"]))
        for key, title in shown:
            self.purpose_filter.addItem(title, key)
        self.purpose_filter.currentIndexChanged.connect(lambda _i: self.reload_requested.emit())
        self.search = named(QLineEdit(), "filesSearch", "Search file names")
        self.search.setPlaceholderText("Search by name")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._on_search)
        # A search looks through every file: while it matches less than a screenful, the next
        # page is asked for (the table itself asks only when scrolled to its end).
        self.search.textChanged.connect(lambda _t: self._search_further())
        self.model.rowsInserted.connect(lambda *_a: self._search_further())
        self.refresh_button = named(
            QPushButton("Refresh"), "filesRefreshButton", "Refresh", "Load the list again"
        )
        self.refresh_button.clicked.connect(self.reload_requested)
        self.upload_purpose = named(QComboBox(), "filesUploadPurpose", "Upload as")
        for key, title in PURPOSES:
            self.upload_purpose.addItem(title, key)
        self.upload_button = named(
            QPushButton("Upload…"),
            "filesUploadButton",
            "Upload files",
            "Upload files from this computer (or drop them on this page)",
        )
        self.upload_button.clicked.connect(self.upload_clicked)

        top = QHBoxLayout()
        top.addWidget(QLabel("Show:"))
        top.addWidget(self.purpose_filter)
        top.addWidget(self.search, 1)
        top.addWidget(self.refresh_button)
        top.addSpacing(16)
        top.addWidget(QLabel("Upload as:"))
        top.addWidget(self.upload_purpose)
        top.addWidget(self.upload_button)

        self.table = named(QTableView(), "filesTable", "Files")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        # Fixed starting widths, not ResizeToContents: that measures every row at every insert,
        # which grows with the list (thousands of files) and stalls the window.
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        metrics = self.table.fontMetrics()
        samples = (
            "General (for prompts and tools)",
            "656.3 MB",
            "2026-12-07 05:00",
            "Ready, in use",
        )
        for column, sample in enumerate(samples, 1):
            wanted = max(
                metrics.horizontalAdvance(sample), metrics.horizontalAdvance(COLUMNS[column])
            )
            header.resizeSection(column, wanted + 24)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(metrics.height() + 10)
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
        self.table.doubleClicked.connect(lambda _i: self._preview_selected())
        self.count_label = wrapped_label("filesCount")

        self.preview_button = named(
            QPushButton("Preview"), "filesPreviewButton", "Preview the selected file"
        )
        self.preview_button.clicked.connect(self._preview_selected)
        self.download_button = named(
            QPushButton("Download…"), "filesDownloadButton", "Download the selected file"
        )
        self.download_button.clicked.connect(self._download_selected)
        self.delete_button = named(
            QPushButton("Delete…"), "filesDeleteButton", "Delete the selected files"
        )
        self.delete_button.clicked.connect(self._ask_delete)
        actions = QHBoxLayout()
        actions.addWidget(self.count_label, 1)
        actions.addWidget(self.preview_button)
        actions.addWidget(self.download_button)
        actions.addWidget(self.delete_button)

        self.progress = named(QProgressBar(), "filesUploadProgress", "Upload progress")
        self.progress.setVisible(False)
        self.status_label = status_line("filesStatus")
        self.resume_button = named(
            QPushButton("Resume upload"),
            "filesResumeButton",
            "Resume the upload that stopped",
            "Send the parts still missing",
        )
        self.resume_button.setVisible(False)
        self.resume_button.clicked.connect(self.resume_clicked)
        self.pause_button = named(
            QPushButton("Pause upload"),
            "filesPauseButton",
            "Pause the upload",
            "Stop sending now; the parts already sent are kept for an hour and Resume sends the "
            "rest",
        )
        self.pause_button.setVisible(False)
        self.pause_button.clicked.connect(self.pause_clicked)
        status = QHBoxLayout()
        status.addWidget(self.status_label, 1)
        status.addWidget(self.pause_button)
        status.addWidget(self.resume_button)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table, 1)
        left_layout.addLayout(actions)

        self.preview_title = wrapped_label("filesPreviewTitle", "Preview")
        self.preview_text = named(QPlainTextEdit(), "filesPreviewText", "File preview")
        self.preview_text.setReadOnly(True)
        self.preview_text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.preview_text.setPlaceholderText(
            "Select a file and click Preview to see what it holds."
        )
        self.preview_image = QLabel()
        self.preview_image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        image_scroll = QScrollArea()
        image_scroll.setWidgetResizable(True)
        image_scroll.setWidget(self.preview_image)
        self.preview_stack = QStackedWidget()
        self.preview_stack.addWidget(self.preview_text)
        self.preview_stack.addWidget(image_scroll)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.preview_title)
        right_layout.addWidget(self.preview_stack, 1)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(
            side_by_side([(left, 3), (right, 2)], name="filesSplitter", sizes=(640, 400)), 1
        )
        layout.addWidget(self.progress)
        layout.addLayout(status)
        self.main_input: QWidget = self.search
        self._update_buttons()
        self.update_count()

    # -- what the controller calls -------------------------------------------------------------

    def restart_list(self) -> None:
        """Empty the list; the first page is on its way."""
        self.model.restart()
        self.update_count()

    def append_page(self, page: FilePage) -> None:
        self.model.append_page(page)
        self.update_count()

    def list_failed(self, error: AppError) -> None:
        self.model.load_failed()
        self.update_count()
        self.show_error(error)

    def last_id(self) -> str | None:
        """The last listed file's id (the cursor for the next page)."""
        return self.model.last_id

    def add_file(self, info: FileInfo) -> None:
        """A file just uploaded: at the top, selected (if it fits the filter)."""
        if self.purpose() in ("", info.purpose):
            self.model.prepend(info)
            self.update_count()
            self.select_file(info.id)

    def set_usage(self, usage: dict[str, list[str]]) -> None:
        """What uses each file (batches, jobs, stores the app has listed), in words, by file id:
        shown in the Status column's tooltip and asked about before deleting."""
        self.model.set_usage(usage)

    def loaded_names(self) -> dict[str, str]:
        """Names of the files listed so far, by id."""
        return {f.id: f.name for f in self.model.files}

    def remove_files(self, file_ids: set[str]) -> None:
        self.model.remove(file_ids)
        self.update_count()
        self.clear_preview()

    def purpose(self) -> str:
        """The purpose the list is filtered by ("" for all)."""
        return str(self.purpose_filter.currentData() or "")

    def upload_as(self) -> str:
        return str(self.upload_purpose.currentData())

    def selected_files(self) -> list[FileInfo]:
        shown = self.table.model()
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [shown.index(row, 0).data(Qt.ItemDataRole.UserRole) for row in rows]

    def select_file(self, file_id: str) -> None:
        shown = self.table.model()
        for row in range(shown.rowCount()):
            info = shown.index(row, 0).data(Qt.ItemDataRole.UserRole)
            if info.id == file_id:
                self.table.selectRow(row)
                return

    def update_count(self) -> None:
        loaded = self.model.rowCount()
        if self.model.loading and not loaded:
            text = "Loading files…"
        elif not loaded:
            text = "No files yet. Upload one, or drop files on this page."
        else:
            text = f"{loaded:,} file{'s' if loaded != 1 else ''}"
            if self.model.has_more:
                text += " shown; more load as you scroll"
        self.count_label.setText(text)

    def set_info(self, text: str) -> None:
        show_info(self.status_label, text)

    def show_error(self, error: AppError) -> None:
        show_error(self.status_label, error)

    def set_upload_progress(self, sent: int, total: int) -> None:
        """A parted upload's progress (`total` 0 hides the bar)."""
        self.progress.setVisible(total > 0)
        self.pause_button.setVisible(total > 0)  # only a parted upload can be paused
        if total > 0:
            self.progress.setRange(0, 1000)
            self.progress.setValue(round(sent * 1000 / total))
            self.progress.setFormat(f"{format_size(sent)} of {format_size(total)}")

    def set_uploading(self, busy: bool) -> None:
        self.upload_button.setEnabled(not busy)
        self.resume_button.setEnabled(not busy)
        self.setAcceptDrops(not busy)

    def set_resumable(self, name: str) -> None:
        """Offer to resume the upload of `name` ("" hides the offer)."""
        self.resume_button.setVisible(bool(name))
        if name:
            self.resume_button.setText(f"Resume upload of {name}")

    def show_preview(self, info: FileInfo, preview: Preview) -> None:
        self.preview_title.setText(f"Preview of {info.name}")
        if preview.kind == "image":
            pixmap = QPixmap()
            if pixmap.loadFromData(preview.data):
                self.preview_image.setPixmap(pixmap)
                self.preview_image.setToolTip("")
                self.preview_stack.setCurrentIndex(1)
                return
            preview = Preview("none", "This picture could not be read.")
        self.preview_stack.setCurrentIndex(0)
        self.preview_text.setPlainText(preview.text)

    def clear_preview(self) -> None:
        self.preview_title.setText("Preview")
        self.preview_text.clear()
        self.preview_image.clear()
        self.preview_stack.setCurrentIndex(0)

    # -- drag and drop (Qt overrides) ----------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if urls and all(url.isLocalFile() for url in urls):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.files_dropped.emit(paths)

    # -- internals -----------------------------------------------------------------------------

    def _update_buttons(self) -> None:
        chosen = self.selected_files()
        self.preview_button.setEnabled(len(chosen) == 1)
        self.download_button.setEnabled(len(chosen) == 1)
        self.delete_button.setEnabled(bool(chosen))
        self.delete_button.setText(f"Delete {len(chosen)}…" if len(chosen) > 1 else "Delete…")

    def _on_search(self, text: str) -> None:
        wanted = self.proxy if text else self.model
        if self.table.model() is not wanted:
            self.proxy.setSourceModel(self.model if text else self._detached)
            self.table.setModel(wanted)
            self.table.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
            self._update_buttons()
        self.proxy.setFilterFixedString(text)

    def _search_further(self) -> None:
        if self.search.text() and self.proxy.rowCount() < 50:
            self.model.fetchMore(QModelIndex())

    def _preview_selected(self) -> None:
        chosen = self.selected_files()
        if len(chosen) == 1:
            self.preview_requested.emit(chosen[0])

    def _download_selected(self) -> None:
        chosen = self.selected_files()
        if len(chosen) == 1:
            self.download_clicked.emit(chosen[0])

    def _ask_delete(self) -> None:
        from playground.ui.common.question import ask

        chosen = self.selected_files()
        if not chosen:
            return
        if len(chosen) == 1:
            text = f"Delete {chosen[0].name}?"
        else:
            names = ", ".join(f.name for f in chosen[:5])
            more = f" and {len(chosen) - 5} more" if len(chosen) > 5 else ""
            text = f"Delete these {len(chosen)} files: {names}{more}?"
        used = [
            f"{f.name}: {', '.join(self.model.usage[f.id])}"
            for f in chosen
            if f.id in self.model.usage
        ]
        if used:
            text += "\n\nStill in use:\n" + "\n".join(used[:8])
            if len(used) > 8:
                text += f"\n… and {len(used) - 8} more"
        text += (
            "\n\nThey are removed from your organisation for good. A batch, fine-tuning job or "
            "vector store that uses them can no longer read them."
        )
        ids = [f.id for f in chosen]
        self.delete_box = ask(
            self,
            "filesDeleteQuestion",
            "Delete files",
            text,
            lambda yes: self.delete_confirmed.emit(ids) if yes else None,
        )
