"""The Compare tab (view only): 2–4 columns side by side, one shared message, Run and Stop.

Each column has its own model, parameters and system prompt (`CompareColumn`). The tab emits what
the user wants; `CompareController` runs the requests and calls the tab's slots, which name a
column by its index (0 for A).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from playground.core.api.capabilities import Capabilities
from playground.core.api.errors import AppError
from playground.core.api.retirements import ModelChoice
from playground.core.compare.diff import MAX_COLUMNS, MAX_SAMPLES, MIN_COLUMNS, Piece
from playground.ui.common.widgets import named, wrapped_label
from playground.ui.compare.column import LETTERS, CompareColumn
from playground.ui.shell.theme import icon


class CompareTab(QWidget):
    """Side-by-side answers.

    Signals:
        run_requested: Run / Ctrl+Enter.
        stop_requested: Stop / Esc.
        diff_changed: the Diff switch or the two columns it compares changed.
        columns_changed: the number of columns changed. arg: the new count.
        draft_changed: what a run would send changed (the message, the samples, the columns or a
            column's parameters or system prompt).
        column_model_changed: a column's model changed. args: the column, the model id.
        copy_from_chat_requested: a column's "From Chat". arg: the column.
        send_to_chat_requested: a column's "To Chat". arg: the column.
        context_cleared: "Forget" on the earlier turns "Compare this" brought from Chat.
    """

    run_requested = Signal()
    stop_requested = Signal()
    diff_changed = Signal()
    columns_changed = Signal(int)
    draft_changed = Signal()
    column_model_changed = Signal(int, str)
    copy_from_chat_requested = Signal(int)
    send_to_chat_requested = Signal(int)
    effort_sweep_requested = Signal()
    context_cleared = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compareTab")
        self._busy = False
        self._syncing = False

        self.columns_spin = named(QSpinBox(), "compareColumnsSpin", "Number of columns")
        self.columns_spin.setRange(MIN_COLUMNS, MAX_COLUMNS)
        self.columns_spin.setValue(MIN_COLUMNS)
        self.columns_spin.setToolTip("How many models or settings to compare (2–4)")
        self.samples_spin = named(QSpinBox(), "compareSamplesSpin", "Samples per column")
        self.samples_spin.setRange(1, MAX_SAMPLES)
        self.samples_spin.setToolTip(
            "Ask each column this many times (1–10) to see how much its answers vary"
        )
        self.sync_check = QCheckBox("Sync scrolling")
        self.sync_check.setObjectName("compareSyncCheck")
        self.sync_check.setChecked(True)
        self.diff_check = QCheckBox("Diff")
        self.diff_check.setObjectName("compareDiffCheck")
        self.diff_check.setToolTip("Highlight the words where two columns' first answers differ")
        self.diff_left = named(QComboBox(), "compareDiffLeft", "Diff: first column")
        self.diff_right = named(QComboBox(), "compareDiffRight", "Diff: second column")

        bar = QHBoxLayout()
        bar.setSpacing(6)
        bar.addWidget(QLabel("Columns"))
        bar.addWidget(self.columns_spin)
        bar.addSpacing(8)
        bar.addWidget(QLabel("Samples"))
        bar.addWidget(self.samples_spin)
        bar.addSpacing(8)
        bar.addWidget(self.sync_check)
        bar.addSpacing(8)
        bar.addWidget(self.diff_check)
        bar.addWidget(self.diff_left)
        bar.addWidget(QLabel("vs"))
        bar.addWidget(self.diff_right)
        bar.addStretch(1)
        self.sweep_button = QPushButton("Effort sweep")
        self.sweep_button.setObjectName("compareEffortSweep")
        self.sweep_button.setToolTip(
            "Fill the columns with column A's model and settings at several reasoning efforts "
            "(such as none, low, medium, high), then run them side by side"
        )
        bar.addWidget(self.sweep_button)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("compareColumns")
        self.splitter.setChildrenCollapsible(False)
        self.columns = [CompareColumn(i) for i in range(MAX_COLUMNS)]
        for column in self.columns:  # one "Show retired" for every column
            column.model_combo.retired_toggle.toggled.connect(self.set_show_retired)
        for i, column in enumerate(self.columns):
            self.splitter.addWidget(column)
            column.scroll_area.verticalScrollBar().valueChanged.connect(
                lambda _v, c=column: self._on_column_scrolled(c)
            )
            column.model_changed.connect(
                lambda model, i=i: self.column_model_changed.emit(i, model)
            )
            column.copy_from_chat_requested.connect(
                lambda i=i: self.copy_from_chat_requested.emit(i)
            )
            column.send_to_chat_requested.connect(lambda i=i: self.send_to_chat_requested.emit(i))

        self.input_edit = named(QPlainTextEdit(), "compareInput", "Message for every column")
        self.input_edit.setPlaceholderText("One message for every column…  (Ctrl+Enter runs)")
        self.input_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 14)
        self.main_input = self.input_edit
        self.run_button = QPushButton(icon("send"), "Run")
        self.run_button.setObjectName("compareRunButton")
        self.run_button.setToolTip("Send to every column at once (Ctrl+Enter)")
        self.stop_button = QPushButton(icon("stop"), "Stop")
        self.stop_button.setObjectName("compareStopButton")
        self.stop_button.setToolTip("Stop every column (Esc)")
        self.stop_button.setEnabled(False)
        self.status_label = wrapped_label("compareStatus")
        self.estimate_label = QLabel("")
        self.estimate_label.setObjectName("compareEstimate")
        self.estimate_label.setToolTip(
            "What Run would cost: from empty answers to answers of the full Max output "
            "(about 1,024 tokens where none is set)"
        )

        # What to do first, while nothing is typed and nothing has run.
        self.hint_label = wrapped_label(
            "compareHint",
            "Type one message below, pick a model (or settings) in each column, then press Run "
            "(Ctrl+Enter) to see the answers side by side. In Chat, “Compare” on an answer "
            "starts here with that conversation.",
        )
        self.hint_label.setEnabled(False)  # drawn in the muted text colour
        self._ran = False
        # The earlier turns of a Chat conversation sent with the message ("Compare this").
        self.context_label = named(QLabel(""), "compareContext", "Earlier turns sent along")
        self.context_label.setWordWrap(True)
        self.context_clear = QPushButton("Forget them")
        self.context_clear.setObjectName("compareContextClear")
        self.context_clear.setToolTip("Send the message alone, without the earlier turns")
        self.context_clear.clicked.connect(self.context_cleared)
        context_row = QHBoxLayout()
        context_row.setContentsMargins(0, 0, 0, 0)
        context_row.addWidget(self.context_label, 1)
        context_row.addWidget(self.context_clear)
        self.context_box = QWidget()
        self.context_box.setObjectName("compareContextBox")
        self.context_box.setLayout(context_row)
        self.context_box.setVisible(False)

        buttons = QVBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        composer = QHBoxLayout()
        composer.addWidget(self.input_edit, 1)
        composer.addLayout(buttons)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addLayout(bar)
        layout.addWidget(self.splitter, 1)
        status = QHBoxLayout()
        status.addWidget(self.status_label, 1)
        status.addWidget(self.estimate_label)
        layout.addLayout(status)
        layout.addWidget(self.hint_label)
        layout.addWidget(self.context_box)
        layout.addLayout(composer)

        self.input_edit.textChanged.connect(self.draft_changed)
        self.input_edit.textChanged.connect(self._update_hint)
        self.samples_spin.valueChanged.connect(lambda _n: self.draft_changed.emit())
        self.columns_changed.connect(lambda _n: self.draft_changed.emit())
        for column in self.columns:
            column.settings_changed.connect(self.draft_changed)
        self.run_button.clicked.connect(self._on_run_clicked)
        self.sweep_button.clicked.connect(self.effort_sweep_requested)
        self.stop_button.clicked.connect(self.stop_requested)
        self.columns_spin.valueChanged.connect(self._on_columns_changed)
        self.diff_check.toggled.connect(self._on_diff_toggled)
        self.diff_left.currentIndexChanged.connect(lambda _i: self.diff_changed.emit())
        self.diff_right.currentIndexChanged.connect(lambda _i: self.diff_changed.emit())
        run = QShortcut(QKeySequence("Ctrl+Return"), self)
        run.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        run.activated.connect(self._on_run_clicked)
        stop = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        stop.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        stop.activated.connect(self.stop_requested)
        self._on_columns_changed(self.columns_spin.value())
        self._on_diff_toggled(False)

    # --- reading --------------------------------------------------------------------------------

    def message(self) -> str:
        """The message every column is sent."""
        return self.input_edit.toPlainText()

    def active_columns(self) -> list[CompareColumn]:
        return self.columns[: self.columns_spin.value()]

    def column_count(self) -> int:
        """How many columns are shown."""
        return self.columns_spin.value()

    def column_ids(self) -> range:
        """Every column's index, shown or not."""
        return range(len(self.columns))

    def active_column_ids(self) -> range:
        """The shown columns' indexes."""
        return range(self.columns_spin.value())

    def column_letter(self, column: int) -> str:
        return self.columns[column].letter

    def column_model(self, column: int) -> str:
        return self.columns[column].model()

    def column_settings(self, column: int) -> dict[str, Any]:
        """The column's "model", "system" and "fields" (Chat's request fields)."""
        return self.columns[column].settings()

    def column_problems(self, column: int) -> list[str]:
        """Why the column's parameters cannot be sent as they are."""
        return self.columns[column].problems()

    def column_texts(self, column: int) -> list[str]:
        """The column's answers, one per sample."""
        return self.columns[column].texts()

    def samples(self) -> int:
        return self.samples_spin.value()

    def diff_pair(self) -> tuple[int, int] | None:
        """The two columns to diff, or None when Diff is off (or both sides are one column)."""
        if not self.diff_check.isChecked():
            return None
        left, right = self.diff_left.currentIndex(), self.diff_right.currentIndex()
        if left < 0 or right < 0 or left == right:
            return None
        return left, right

    # --- slots ----------------------------------------------------------------------------------

    def set_busy(self, busy: bool) -> None:
        self.sweep_button.setEnabled(not busy)
        self._busy = busy
        self.run_button.setEnabled(not busy)
        self.stop_button.setEnabled(busy)
        self.columns_spin.setEnabled(not busy)
        self.samples_spin.setEnabled(not busy)

    def set_status(self, text: str) -> None:
        self.status_label.setText(text)

    def set_context(self, turns: int) -> None:
        """Says that `turns` earlier turns of a Chat conversation go with the message (0: none)."""
        self.context_label.setText(
            f"Sent before the message: {turns} earlier turn{'s' if turns != 1 else ''} of your "
            "Chat conversation."
        )
        self.context_box.setVisible(turns > 0)

    def _update_hint(self) -> None:
        self.hint_label.setVisible(not self._ran and not self.input_edit.toPlainText().strip())

    def set_estimate(self, text: str) -> None:
        self.estimate_label.setText(text)

    def set_column_count(self, count: int) -> None:
        self.columns_spin.setValue(count)

    def set_message(self, text: str) -> None:
        self.input_edit.setPlainText(text)

    def set_samples(self, samples: int) -> None:
        self.samples_spin.setValue(samples)

    def set_diff_on(self, on: bool) -> None:
        self.diff_check.setChecked(on)

    def set_column_model(self, column: int, model: str) -> None:
        """Picks the column's model as the user would (`column_model_changed` follows)."""
        self.columns[column].set_model(model)

    def set_column_models(
        self, column: int, models: Sequence[str | ModelChoice], current: str, default: str = ""
    ) -> None:
        self.columns[column].set_models(models, current, default)

    def shows_retired(self) -> bool:
        """Whether any column's model picker lists retired models ("Show retired")."""
        return any(c.shows_retired() for c in self.columns)

    def set_show_retired(self, on: bool) -> None:
        for column in self.columns:
            column.set_show_retired(on)

    def set_column_capabilities(self, column: int, caps: Capabilities) -> None:
        self.columns[column].set_capabilities(caps)

    def apply_column_settings(
        self, column: int, model: str, system: str, fields: dict[str, Any], api: str | None = None
    ) -> None:
        """Shows saved or copied settings in the column (unknown parameter names are ignored);
        `api`: the API the column uses (None: it keeps its own)."""
        self.columns[column].apply_settings(model, system, fields, api)

    def set_column_api(self, column: int, api: str) -> None:
        self.columns[column].set_api(api)

    def begin_column(self, column: int, samples: int) -> None:
        """Empties the column for a new run of `samples` answers."""
        self._ran = True
        self._update_hint()
        self.columns[column].begin(samples)

    def append_answer(self, column: int, sample: int, text: str) -> None:
        self.columns[column].append(sample, text)

    def finish_answer(self, column: int, sample: int, text: str, note: str = "") -> None:
        """The sample's stream ended; `text` is all of it, `note` marks a partial answer."""
        self.columns[column].finish(sample, text, note)

    def set_column_stats(self, column: int, text: str) -> None:
        self.columns[column].set_stats(text)

    def set_column_similarity(self, column: int, text: str) -> None:
        self.columns[column].set_similarity(text)

    def show_column_error(self, column: int, text: str, error: AppError | None = None) -> None:
        """`text` under the column's answers; with `error` a retired model's 404 offers its
        replacement ("Use <model>")."""
        self.columns[column].show_error(text, error)

    def show_column_diff(self, column: int, pieces: list[Piece] | None) -> None:
        """Shows the column's first answer with `pieces` highlighted, or (None) its answers."""
        self.columns[column].show_diff(pieces)

    def refresh_icons(self) -> None:
        self.run_button.setIcon(icon("send"))
        self.stop_button.setIcon(icon("stop"))

    # --- internals ------------------------------------------------------------------------------

    def _on_run_clicked(self) -> None:
        if not self._busy:
            self.run_requested.emit()

    def _on_columns_changed(self, count: int) -> None:
        for i, column in enumerate(self.columns):
            column.setVisible(i < count)
        self.splitter.setSizes([1000 if i < count else 0 for i in range(MAX_COLUMNS)])
        left, right = self.diff_left.currentIndex(), self.diff_right.currentIndex()
        with QSignalBlocker(self.diff_left), QSignalBlocker(self.diff_right):
            for combo in (self.diff_left, self.diff_right):
                combo.clear()
                combo.addItems([f"Column {LETTERS[i]}" for i in range(count)])
            self.diff_left.setCurrentIndex(left if 0 <= left < count else 0)
            self.diff_right.setCurrentIndex(right if 0 < right < count else 1)
        self.columns_changed.emit(count)
        self.diff_changed.emit()

    def _on_diff_toggled(self, on: bool) -> None:
        self.diff_left.setEnabled(on)
        self.diff_right.setEnabled(on)
        self.diff_changed.emit()

    def _on_column_scrolled(self, source: CompareColumn) -> None:
        """Sync scrolling: the other columns follow to the same relative position."""
        if self._syncing or not self.sync_check.isChecked():
            return
        bar = source.scroll_area.verticalScrollBar()
        span = bar.maximum() - bar.minimum()
        ratio = (bar.value() - bar.minimum()) / span if span > 0 else 0.0
        self._syncing = True
        try:
            for column in self.active_columns():
                if column is source:
                    continue
                other = column.scroll_area.verticalScrollBar()
                other.setValue(other.minimum() + round(ratio * (other.maximum() - other.minimum())))
        finally:
            self._syncing = False
