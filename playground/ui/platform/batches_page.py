"""The Batches page of the Platform tab: build a batch (a prompt list or a JSONL file), check it,
start it, follow every batch's status, cancel, and read the results mapped back by custom_id.

No network code: the page emits what the user asked for and shows what the controller gives it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    Qt,
    Signal,
)
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from playground.core.api.errors import AppError
from playground.core.api.retirements import ModelChoice
from playground.core.platform.batches import BatchCheck, BatchInfo, BatchParams, ResultRow
from playground.ui.common.model_picker import ModelCombo, as_choices, picker_field
from playground.ui.common.widgets import named, wrapped_label
from playground.ui.platform.widgets import (
    button_row,
    list_header,
    show_error,
    show_info,
    status_line,
    two_panes_and_status,
)

_ModelIndex = QModelIndex | QPersistentModelIndex
BATCH_COLUMNS = ("Batch", "Status", "Progress", "Created")
RESULT_COLUMNS = ("Request", "Input", "Answer", "Problem")
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True, slots=True)
class BatchDraft:
    """What the builder holds: `source` is "prompts" or "file"."""

    source: str
    prompts: str = ""
    params: BatchParams | None = None
    path: str = ""


class BatchesModel(QAbstractTableModel):
    """The batches, newest first, updated in place as their status comes in."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.batches: list[BatchInfo] = []

    def rowCount(self, parent: _ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.batches)

    def columnCount(self, parent: _ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(BATCH_COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return BATCH_COLUMNS[section]
        return None

    def data(self, index: _ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        info = self.batches[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.UserRole:
            return info
        if role == PROGRESS_ROLE:
            done = info.completed + info.failed
            return (done, info.total)
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return info.title
            if column == 1:
                return info.status_text.split(" (")[0]  # the whole sentence is the tooltip
            if column == 2:
                return info.counts_text
            return datetime.fromtimestamp(info.created_at).strftime("%Y-%m-%d %H:%M")
        if role == Qt.ItemDataRole.ToolTipRole and column == 1:
            return "\n".join((info.status_text, *info.errors))
        if role == Qt.ItemDataRole.ToolTipRole and column == 0 and info.source == "Prompt Lab":
            return "Started with “Run as batch” in Prompt Lab; its scores are shown there."
        return None

    def set_batches(self, batches: list[BatchInfo]) -> None:
        self.beginResetModel()
        self.batches = list(batches)
        self.endResetModel()

    def append(self, batches: list[BatchInfo]) -> None:
        known = {b.id for b in self.batches}
        new = [b for b in batches if b.id not in known]
        if new:
            start = len(self.batches)
            self.beginInsertRows(QModelIndex(), start, start + len(new) - 1)
            self.batches.extend(new)
            self.endInsertRows()

    def upsert(self, info: BatchInfo) -> None:
        for row, known in enumerate(self.batches):
            if known.id == info.id:
                self.batches[row] = info
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(BATCH_COLUMNS) - 1))
                return
        self.beginInsertRows(QModelIndex(), 0, 0)
        self.batches.insert(0, info)
        self.endInsertRows()

    def running(self) -> list[BatchInfo]:
        return [b for b in self.batches if not b.done]


class ProgressDelegate(QStyledItemDelegate):
    """Draws the Progress column as a bar with its text (cheap for thousands of rows)."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _ModelIndex) -> None:
        done, total = index.data(PROGRESS_ROLE) or (0, 0)
        if not total:
            super().paint(painter, option, index)
            return
        bar = QStyleOptionProgressBar()
        rect: QRect = option.rect
        bar.rect = rect.adjusted(2, 3, -2, -3)
        bar.minimum = 0
        bar.maximum = total
        bar.progress = done
        bar.text = str(index.data())
        bar.textVisible = True
        bar.state = option.state
        QApplication.style().drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)


class ResultsModel(QAbstractTableModel):
    """A finished batch's requests with their answers or problems."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[ResultRow] = []

    def rowCount(self, parent: _ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(RESULT_COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return RESULT_COLUMNS[section]
        return None

    def data(self, index: _ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
        ):
            return None
        row = self.rows[index.row()]
        return (row.custom_id, row.input, row.output, row.error)[index.column()]

    def set_rows(self, rows: list[ResultRow]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()


class BatchesPage(QWidget):
    """The Batches page.

    Signals:
        check_requested: check the draft. arg: the `BatchDraft`.
        start_requested: start the checked batch.
        open_file_clicked: the user wants to pick a JSONL file.
        refresh_requested: list the batches again.
        more_requested: list older batches too.
        cancel_requested: stop a batch. arg: its `BatchInfo`.
        results_requested: show a finished batch's results. arg: its `BatchInfo`.
        export_clicked: save the shown results. arg: "csv" or "jsonl".
        draft_changed: the draft was edited (a check no longer holds).
    """

    check_requested = Signal(object)
    start_requested = Signal()
    open_file_clicked = Signal()
    refresh_requested = Signal()
    more_requested = Signal()
    cancel_requested = Signal(object)
    results_requested = Signal(object)
    export_clicked = Signal(str)
    draft_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("platformBatchesPage")

        # -- the builder -------------------------------------------------------------------------
        self.source = named(QComboBox(), "batchSource", "Build the batch from")
        self.source.addItem("A list of prompts", "prompts")
        self.source.addItem("A JSONL file", "file")
        self.model_combo = named(ModelCombo(), "batchModel", "Model for every prompt")
        self.system_edit = named(QLineEdit(), "batchSystem", "Instructions for every prompt")
        self.system_edit.setPlaceholderText("Optional, e.g. Answer with one genre only.")
        self.max_tokens = named(QSpinBox(), "batchMaxTokens", "Longest answer in tokens")
        self.max_tokens.setRange(0, 128_000)
        self.max_tokens.setSpecialValueText("No limit")
        self.max_tokens.setSuffix(" tok")
        self.prompts_edit = named(QPlainTextEdit(), "batchPrompts", "Prompts, one per line")
        self.prompts_edit.setPlaceholderText(
            "One prompt per line; each becomes one request.\n\nThe Shawshank Redemption\nUp\n…"
        )
        prompts_form = QFormLayout()
        prompts_form.addRow("Model:", picker_field(self.model_combo))
        prompts_form.addRow("Instructions:", self.system_edit)
        prompts_form.addRow("Longest answer:", self.max_tokens)
        prompts_page = QWidget()
        prompts_layout = QVBoxLayout(prompts_page)
        prompts_layout.setContentsMargins(0, 0, 0, 0)
        prompts_layout.addLayout(prompts_form)
        prompts_layout.addWidget(self.prompts_edit, 1)

        self.open_button = named(
            QPushButton("Open JSONL file…"), "batchOpenFile", "Open a batch input file"
        )
        self.open_button.clicked.connect(self.open_file_clicked)
        self.path_label = wrapped_label("batchFilePath", "No file chosen.")
        file_page = QWidget()
        file_layout = QVBoxLayout(file_page)
        file_layout.setContentsMargins(0, 0, 0, 0)
        file_layout.addWidget(
            wrapped_label(
                "batchFileHelp",
                "Each line is one request: custom_id, method, url and body, as the Batch API "
                "expects.",
            )
        )
        file_layout.addWidget(self.open_button)
        file_layout.addWidget(self.path_label)
        file_layout.addStretch(1)
        self._path = ""

        self.builder_stack = QStackedWidget()
        self.builder_stack.addWidget(prompts_page)
        self.builder_stack.addWidget(file_page)
        self.source.currentIndexChanged.connect(self._on_source_changed)

        self.check_button = named(
            QPushButton("Check"), "batchCheckButton", "Check every request before sending"
        )
        self.check_button.clicked.connect(lambda: self.check_requested.emit(self.draft()))
        self.start_button = named(
            QPushButton("Start batch"),
            "batchStartButton",
            "Start the batch",
            "Upload the checked requests and start the batch (answers within 24 hours, at half "
            "the price)",
        )
        self.start_button.setEnabled(False)
        self.start_button.clicked.connect(self.start_requested)
        self.check_summary = wrapped_label("batchCheckSummary")
        self.problems = named(QListWidget(), "batchProblems", "Problems found, by line")
        self.problems.setVisible(False)
        buttons = button_row(self.check_button, self.start_button)

        builder = QWidget()
        builder_layout = QVBoxLayout(builder)
        builder_layout.setContentsMargins(0, 0, 0, 0)
        builder_layout.addWidget(QLabel("<b>New batch</b>"))
        source_row = QHBoxLayout()
        source_row.addWidget(QLabel("Build from:"))
        source_row.addWidget(self.source, 1)
        builder_layout.addLayout(source_row)
        builder_layout.addWidget(self.builder_stack, 3)
        builder_layout.addLayout(buttons)
        builder_layout.addWidget(self.check_summary)
        builder_layout.addWidget(self.problems, 1)

        for signal in (
            self.prompts_edit.textChanged,
            self.system_edit.textChanged,
            self.model_combo.currentIndexChanged,
            self.max_tokens.valueChanged,
            self.source.currentIndexChanged,
        ):
            signal.connect(self._on_edited)

        # -- the list ----------------------------------------------------------------------------
        self.model = BatchesModel(self)
        self.table = named(QTableView(), "batchesTable", "Batches")
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(2, ProgressDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(2, 200)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
        self.table.doubleClicked.connect(lambda _i: self._results_selected())
        self.refresh_button = named(QPushButton("Refresh"), "batchesRefresh", "Refresh the list")
        self.refresh_button.clicked.connect(self.refresh_requested)
        self.cancel_button = named(
            QPushButton("Cancel batch"), "batchCancelButton", "Cancel the selected batch"
        )
        self.cancel_button.clicked.connect(self._cancel_selected)
        self.results_button = named(
            QPushButton("Show results"), "batchResultsButton", "Show the selected batch's results"
        )
        self.results_button.clicked.connect(self._results_selected)
        list_buttons = list_header(
            "Batches", self.refresh_button, self.cancel_button, self.results_button
        )
        self.poll_label = wrapped_label("batchesPollNote")
        self.more_button = named(
            QPushButton("Show older batches"), "batchesMore", "Show older batches"
        )
        self.more_button.setVisible(False)
        self.more_button.clicked.connect(self.more_requested)

        self.results = ResultsModel(self)
        self.results_table = named(QTableView(), "batchResultsTable", "Batch results")
        self.results_table.setModel(self.results)
        self.results_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.results_table.verticalHeader().setVisible(False)
        results_header = self.results_table.horizontalHeader()
        results_header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for column in (1, 2, 3):
            results_header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self.results_title = wrapped_label("batchResultsTitle", "Results")
        self.cost_label = wrapped_label("batchCost")
        self.export_csv = named(QPushButton("Export CSV…"), "batchExportCsv", "Export as CSV")
        self.export_csv.clicked.connect(lambda: self.export_clicked.emit("csv"))
        self.export_jsonl = named(
            QPushButton("Export JSONL…"), "batchExportJsonl", "Export as JSONL"
        )
        self.export_jsonl.clicked.connect(lambda: self.export_clicked.emit("jsonl"))
        results_buttons = QHBoxLayout()
        results_buttons.addWidget(self.cost_label, 1)
        results_buttons.addWidget(self.export_csv)
        results_buttons.addWidget(self.export_jsonl)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(list_buttons)
        top_layout.addWidget(self.table, 1)
        below_list = QHBoxLayout()
        below_list.addWidget(self.poll_label, 1)
        below_list.addWidget(self.more_button)
        top_layout.addLayout(below_list)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(self.results_title)
        bottom_layout.addWidget(self.results_table, 1)
        bottom_layout.addLayout(results_buttons)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(top)
        right.addWidget(bottom)
        right.setChildrenCollapsible(False)

        self.status_label = status_line("batchesStatus")
        two_panes_and_status(
            self, ((builder, 2), (right, 3)), "batchesSplitter", (420, 640), self.status_label
        )
        self.main_input: QWidget = self.prompts_edit
        self._update_buttons()
        self.show_results_rows(None, [], "")

    # -- the builder ---------------------------------------------------------------------------

    def draft(self) -> BatchDraft:
        if self.source.currentData() == "file":
            return BatchDraft("file", path=self._path)
        params = BatchParams(
            model=str(self.model_combo.currentText()),
            system=self.system_edit.text(),
            max_output_tokens=self.max_tokens.value() or None,
        )
        return BatchDraft("prompts", prompts=self.prompts_edit.toPlainText(), params=params)

    def set_draft(self, prompts: str, system: str, model: str, max_tokens: int) -> None:
        """Restores a saved draft (nothing the user typed is lost between runs)."""
        self.prompts_edit.setPlainText(prompts)
        self.system_edit.setText(system)
        self.max_tokens.setValue(max_tokens)
        if model:
            if self.model_combo.findText(model) < 0:
                self.model_combo.addItem(model)
            self.model_combo.setCurrentText(model)

    def saved_draft(self) -> dict[str, Any]:
        """The prompt-list draft, to keep until the next start (see `set_draft`)."""
        return {
            "prompts": self.prompts_edit.toPlainText(),
            "system": self.system_edit.text(),
            "model": self.model_combo.currentText(),
            "max_tokens": self.max_tokens.value(),
        }

    def set_models(self, models: Sequence[str | ModelChoice], default: str = "") -> None:
        """Lists the chat models (ids, or choices with retirement badges); keeps the current
        model, even one the list no longer has (a restored draft's)."""
        current = self.model_combo.currentText()
        choices = as_choices(models)
        if current and all(c.id != current for c in choices):
            choices.append(ModelChoice(current))
        self.model_combo.blockSignals(True)
        self.model_combo.set_choices(choices, current, default)
        self.model_combo.blockSignals(False)

    def set_path(self, path: str) -> None:
        self._path = path
        self.path_label.setText(path or "No file chosen.")
        self._on_edited()

    def use_file_source(self) -> None:
        self.source.setCurrentIndex(1)

    def show_check(self, check: BatchCheck, shown_max: int = 200, *, estimate: str = "") -> None:
        self.problems.clear()
        for problem in check.problems[:shown_max]:
            self.problems.addItem(problem.text)
        if len(check.problems) > shown_max:
            self.problems.addItem(f"… and {len(check.problems) - shown_max:,} more")
        self.problems.setVisible(bool(check.problems))
        self.check_summary.setText(f"{check.summary} {estimate}".strip())
        self.start_button.setEnabled(check.ok)

    def set_starting(self, busy: bool) -> None:
        self.start_button.setEnabled(False)
        self.check_button.setEnabled(not busy)

    # -- the list ------------------------------------------------------------------------------

    def selected_batch(self) -> BatchInfo | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.batches[rows[0].row()] if rows else None

    def select_batch(self, batch_id: str) -> None:
        for row, info in enumerate(self.model.batches):
            if info.id == batch_id:
                self.table.selectRow(row)
                return

    def set_batches(self, batches: list[BatchInfo], *, more: bool = False) -> None:
        self.model.set_batches(batches)
        self.more_button.setVisible(more)
        self._update_buttons()

    def add_batches(self, batches: list[BatchInfo], *, more: bool) -> None:
        """Older batches, below the ones listed."""
        self.model.append(batches)
        self.more_button.setVisible(more)
        self._update_buttons()

    def all_batches(self) -> list[BatchInfo]:
        return list(self.model.batches)

    def running_batches(self) -> list[BatchInfo]:
        """The listed batches that have not finished."""
        return self.model.running()

    def update_batch(self, info: BatchInfo) -> None:
        self.model.upsert(info)
        self._update_buttons()

    def set_poll_note(self, text: str) -> None:
        self.poll_label.setText(text)

    def show_results_rows(self, info: BatchInfo | None, rows: list[ResultRow], cost: str) -> None:
        self.results.set_rows(rows)
        if info is None:
            self.results_title.setText("Results: pick a finished batch and click Show results.")
        else:
            failed = sum(1 for r in rows if not r.ok)
            title = f"Results of {info.name or 'the batch'}: {len(rows) - failed:,} answered"
            self.results_title.setText(title + (f", {failed:,} with a problem" if failed else ""))
        self.cost_label.setText(cost)
        self.export_csv.setEnabled(bool(rows))
        self.export_jsonl.setEnabled(bool(rows))

    def set_info(self, text: str) -> None:
        show_info(self.status_label, text)

    def show_error(self, error: AppError) -> None:
        show_error(self.status_label, error)

    # -- internals -----------------------------------------------------------------------------

    def _on_source_changed(self, index: int) -> None:
        self.builder_stack.setCurrentIndex(index)
        self.main_input = self.prompts_edit if index == 0 else self.open_button

    def _on_edited(self, *_args: object) -> None:
        self.start_button.setEnabled(False)
        self.check_summary.setText("")
        self.problems.clear()
        self.problems.setVisible(False)
        self.draft_changed.emit()

    def _update_buttons(self) -> None:
        info = self.selected_batch()
        self.cancel_button.setEnabled(info is not None and not info.done)
        self.results_button.setEnabled(info is not None and info.has_results)

    def _cancel_selected(self) -> None:
        info = self.selected_batch()
        if info is not None:
            self.cancel_requested.emit(info)

    def _results_selected(self) -> None:
        info = self.selected_batch()
        if info is not None and info.has_results:
            self.results_requested.emit(info)
