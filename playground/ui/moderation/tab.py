"""The Moderation tab (view only): inputs and results table on the left, the chosen item's chart and
your thresholds on the right.

The view holds no network code. It emits what the user wants (`check_requested` with a
`ModerationDraft`, `stop_requested`, `resume_requested`, `export_requested`, `thresholds_changed`,
`item_selected`) and its controller calls the slots.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QDragMoveEvent, QDropEvent, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from playground.core.api.errors import AppError
from playground.core.api.retirements import ModelChoice
from playground.core.moderation.service import (
    ImageInput,
    ModerationResult,
    TableRow,
    Verdict,
    category_title,
    model_info,
)
from playground.ui.common.attachments import AttachmentsBar
from playground.ui.common.model_picker import ModelCombo, UseReplacementButton, as_choices
from playground.ui.common.moderation_badge import BLOCKED, CLEAR, FLAGGED, ModerationBadge
from playground.ui.common.widgets import fill, named, side_by_side, wrapped_label
from playground.ui.moderation.chart import CategoryChart, state_colours
from playground.ui.moderation.table import FILTERS, ResultsFilter, ResultsModel
from playground.ui.moderation.thresholds import ThresholdPanel
from playground.ui.shell.theme import icon, is_dark


@dataclass(frozen=True, slots=True)
class ModerationDraft:
    """What the inputs hold when the user presses Check."""

    text: str
    many: bool
    images: tuple[ImageInput, ...]
    model: str


#: The one-line hint shown while the tab has no result yet.
EMPTY_HINT = "Paste a text (or add a picture) and press Check (Ctrl+Enter) to see how it scores."


class ModerationTab(QWidget):
    """The moderation workbench.

    Signals:
        check_requested: Check / Ctrl+Enter. arg: the ModerationDraft.
        stop_requested: Stop or Esc while checking.
        resume_requested: send the items a failed run left unchecked.
        export_requested: the Export CSV button.
        thresholds_changed: a threshold slider moved. arg: {category: threshold}.
        item_selected: a table row was clicked. arg: the item's index in the run.
        model_changed: arg: the model id.
    """

    check_requested = Signal(object)
    stop_requested = Signal()
    resume_requested = Signal()
    export_requested = Signal()
    thresholds_changed = Signal(dict)
    item_selected = Signal(int)
    model_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("moderationTab")
        self._busy = False
        self._resumable = 0
        self._resume_wait = 0

        # --- inputs ---------------------------------------------------------------------------
        self.model_combo = named(ModelCombo(), "moderationModel", "Moderation model")
        self.model_combo.setMinimumWidth(220)
        self.model_note = wrapped_label("moderationModelNote")
        self.free_label = QLabel("Free on OpenAI")
        self.free_label.setObjectName("moderationFree")
        self.free_label.setToolTip(
            "OpenAI does not charge for the moderation endpoint. Each request is still written to "
            "the usage ledger (at $0, with no tokens: the API reports none)."
        )
        model_row = QHBoxLayout()
        model_row.addWidget(QLabel("Model"))
        model_row.addWidget(self.model_combo)
        model_row.addWidget(self.model_combo.retired_toggle)
        model_row.addWidget(self.model_note, 1)
        model_row.addWidget(self.free_label)

        self.input_edit = named(QPlainTextEdit(), "moderationInput", "Text to check")
        self.input_edit.setPlaceholderText(
            "Text to check. Tick “Each line is an item” to check many texts at once "
            "(Ctrl+Enter checks). Paste or drop an image here to check it too."
        )
        self.input_edit.installEventFilter(self)
        self.input_edit.viewport().installEventFilter(self)  # images dropped on the text box
        self.many_check = QCheckBox("Each line is an item")
        self.many_check.setObjectName("moderationManyCheck")
        self.many_check.setToolTip(
            "On: every non-empty line is checked on its own and gets a row in the table. "
            "Off: the whole text is one item."
        )
        self.images = AttachmentsBar()
        self.images.setObjectName("moderationImages")
        self.notes_label = wrapped_label("moderationNotes")
        self.notes_label.setVisible(False)

        self.error_label = named(QLabel(""), "moderationError", "Moderation error")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.resume_button = QPushButton(icon("refresh"), "Resume")
        self.resume_button.setObjectName("moderationResume")
        self.resume_button.setToolTip("Check the items that were not checked yet")
        self.resume_button.setVisible(False)
        error_row = QHBoxLayout()
        error_row.setContentsMargins(6, 4, 6, 4)
        error_row.addWidget(self.error_label, 1)
        error_row.addWidget(self.resume_button, 0, Qt.AlignmentFlag.AlignTop)
        self.use_replacement = UseReplacementButton(self.model_combo)  # a retired model's 404
        error_row.addWidget(self.use_replacement, 0, Qt.AlignmentFlag.AlignTop)
        self.error_box = QFrame()
        self.error_box.setObjectName("moderationErrorBox")
        self.error_box.setFrameShape(QFrame.Shape.StyledPanel)
        self.error_box.setLayout(error_row)
        self.error_box.setVisible(False)

        self.progress = named(QProgressBar(), "moderationProgress", "Items checked")
        self.progress.setFormat("%v / %m items")
        self.progress.setVisible(False)
        self.stop_button = QPushButton(icon("stop"), "Stop")
        self.stop_button.setObjectName("moderationStop")
        self.stop_button.setToolTip("Stop checking; the results so far are kept (Esc)")
        self.stop_button.setEnabled(False)
        self.check_button = QPushButton(icon("send"), "Check")
        self.check_button.setObjectName("moderationCheck")
        self.check_button.setToolTip("Send the items to the moderation endpoint (Ctrl+Enter)")
        self.check_button.setDefault(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.many_check)
        buttons.addWidget(self.progress, 1)
        buttons.addStretch(0)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.check_button)

        # --- results table ----------------------------------------------------------------------
        self.filter_edit = named(QLineEdit(), "moderationFilter", "Filter results")
        self.filter_edit.setPlaceholderText("Filter by text or category…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_combo = named(QComboBox(), "moderationFilterKind", "Show")
        for key, title in FILTERS:
            self.filter_combo.addItem(title, key)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setObjectName("moderationExport")
        self.export_button.setToolTip("Save every result, with all category scores, as CSV")
        self.export_button.setEnabled(False)
        filter_row = QHBoxLayout()
        filter_row.addWidget(self.filter_edit, 1)
        filter_row.addWidget(self.filter_combo)
        filter_row.addWidget(self.export_button)

        self.model = ResultsModel(self)
        self.proxy = ResultsFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = named(QTableView(), "moderationTable", "Results")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        # Fixed widths from the font, not ResizeToContents: measuring thousands of rows on every
        # change would make the sliders stutter.
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        metrics = self.table.fontMetrics()
        for column, sample in (
            (0, "0000"),
            (2, "⚠ Flagged"),
            (3, "Yours"),
            (4, "Harassment: threats"),
            (5, "Score ▼"),
        ):
            header.resizeSection(column, metrics.horizontalAdvance(sample) + 18)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(metrics.height() + 8)
        self.summary_label = wrapped_label("moderationSummary", "No results yet")

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(4)
        left_layout.addLayout(model_row)
        left_layout.addWidget(self.model_combo.note)
        left_layout.addWidget(self.input_edit, 2)
        left_layout.addWidget(self.images)
        left_layout.addWidget(self.notes_label)
        left_layout.addWidget(self.error_box)
        left_layout.addLayout(buttons)
        left_layout.addSpacing(6)
        left_layout.addLayout(filter_row)
        # A one-line hint while nothing has been checked yet (Help → Getting started has more).
        self.empty_hint = wrapped_label("moderationEmptyHint", EMPTY_HINT)
        left_layout.addWidget(self.empty_hint)
        for signal in (self.model.rowsInserted, self.model.rowsRemoved, self.model.modelReset):
            signal.connect(self._update_empty_hint)
        left_layout.addWidget(self.table, 3)
        left_layout.addWidget(self.summary_label)

        # --- right: the chosen item ---------------------------------------------------------------
        self.badge = ModerationBadge()
        self.item_title = wrapped_label("moderationItemTitle", "No item checked yet")
        font = self.item_title.font()
        font.setBold(True)
        self.item_title.setFont(font)
        self.copy_chart_button = QPushButton("Copy chart")
        self.copy_chart_button.setObjectName("moderationCopyChart")
        self.copy_chart_button.setToolTip("Copy this chart to the clipboard as a picture")
        self.copy_chart_button.setEnabled(False)
        title_row = QHBoxLayout()
        title_row.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignTop)
        title_row.addWidget(self.item_title, 1)
        title_row.addWidget(self.copy_chart_button, 0, Qt.AlignmentFlag.AlignTop)
        self.verdict_label = wrapped_label("moderationVerdict")
        self.chart = CategoryChart()
        self.chart.setMinimumHeight(300)
        self.legend = QLabel("")
        self.legend.setObjectName("moderationLegend")
        self.log_check = QCheckBox("Log scale")
        self.log_check.setObjectName("moderationLogScale")
        self.log_check.setToolTip(
            "Spread the tiny scores apart (one in a million to 1) to see how far from flagged "
            "each category is"
        )
        self.log_check.toggled.connect(self.chart.set_log_scale)
        legend_row = QHBoxLayout()
        legend_row.addWidget(self.legend, 1)
        legend_row.addWidget(self.log_check)
        self.thresholds = ThresholdPanel()
        thresholds_area = QScrollArea()
        thresholds_area.setObjectName("thresholdScroll")
        thresholds_area.setWidget(self.thresholds)
        thresholds_area.setWidgetResizable(True)
        thresholds_area.setFrameShape(QFrame.Shape.NoFrame)
        thresholds_area.setMinimumHeight(150)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(4)
        right_layout.addLayout(title_row)
        right_layout.addWidget(self.verdict_label)
        right_layout.addWidget(self.chart, 3)
        right_layout.addLayout(legend_row)
        right_layout.addWidget(thresholds_area, 2)

        splitter = side_by_side(
            [(left, 4), (right, 5)], name="moderationSplitter", sizes=[520, 650]
        )
        fill(self, splitter, (8, 6, 8, 4))

        self.main_input: QWidget = self.input_edit
        self._update_legend()

        # --- wiring (view-internal only) -----------------------------------------------------
        self.check_button.clicked.connect(self._on_check_clicked)
        self.stop_button.clicked.connect(self.stop_requested)
        self.resume_button.clicked.connect(self.resume_requested)
        self.export_button.clicked.connect(self.export_requested)
        self.thresholds.changed.connect(self._on_thresholds_changed)
        self.filter_edit.textChanged.connect(self.proxy.set_text)
        self.filter_combo.currentIndexChanged.connect(
            lambda _i: self.proxy.set_kind(str(self.filter_combo.currentData()))
        )
        self.table.clicked.connect(self._on_row_clicked)
        self.table.activated.connect(self._on_row_clicked)
        # Arrow keys move through the items, each showing its chart.
        self.table.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self._on_row_clicked(current)
        )
        self.model_combo.currentTextChanged.connect(self._on_model_changed)
        self.images.changed.connect(self._tidy_image_chips)
        self.images.problem.connect(
            lambda message: self.show_error(AppError.local("Image not added", message))
        )
        for seq in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(seq), self, self._on_check_clicked)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self._on_escape)
        QShortcut(QKeySequence("Ctrl+F"), self, self._focus_filter)
        self.filter_edit.setToolTip(
            "Show only the items whose text or category contains this (Ctrl+F)"
        )
        self.copy_chart_button.clicked.connect(self.copy_chart)
        self._on_model_changed("")

    # --- reading the view ------------------------------------------------------------------------

    def draft(self) -> ModerationDraft:
        return ModerationDraft(
            text=self.input_text(),
            many=self.many_items(),
            images=self.image_inputs(),
            model=self.current_model(),
        )

    def input_text(self) -> str:
        return self.input_edit.toPlainText()

    def many_items(self) -> bool:
        """Whether each line is an item of its own."""
        return self.many_check.isChecked()

    def current_thresholds(self) -> dict[str, float]:
        """Your threshold for every category shown."""
        return self.thresholds.thresholds()

    def images_loading(self) -> bool:
        """An added image is still being read."""
        return self.images.is_loading()

    def current_model(self) -> str:
        return self.model_combo.currentText().strip()

    def image_inputs(self) -> tuple[ImageInput, ...]:
        """(url, label) of every ready image, in order."""
        inputs = []
        for n, chip in enumerate(self.images.chips(), start=1):
            part = chip.part()
            if part is None:
                continue
            name = chip.name_label.toolTip() or chip.name_label.text()
            if not part.url.startswith("data:"):
                name = part.url
            inputs.append((part.url, name.splitlines()[0] if name else f"Image {n}"))
        return tuple(inputs)

    # --- slots the controller calls -----------------------------------------------------------

    def set_models(
        self, models: Sequence[str | ModelChoice], current: str, default: str = ""
    ) -> None:
        """Lists the moderation models (ids, or choices with retirement badges); selects
        `current`, added to the list when it does not have it."""
        choices = as_choices(models)
        if current and current not in [c.id for c in choices]:
            choices.append(ModelChoice(current))
        self.model_combo.blockSignals(True)
        self.model_combo.set_choices(choices, current, default)
        self.model_combo.blockSignals(False)
        self._on_model_changed(self.current_model())

    def set_input_text(self, text: str) -> None:
        self.input_edit.setPlainText(text)

    def set_many_items(self, many: bool) -> None:
        self.many_check.setChecked(many)

    def set_models_note(self, note: str) -> None:
        """A warning about the model list (shown in the model picker's tooltip and the notes)."""
        self.model_combo.setToolTip(note or "The moderation model to ask")
        if note:
            self.set_notes([note])

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.stop_button.setEnabled(busy)
        self.check_button.setEnabled(not busy)
        self.resume_button.setEnabled(not busy and self._resume_wait <= 0)

    def set_progress(self, done: int, total: int) -> None:
        self.progress.setVisible(total > 1)
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def set_notes(self, notes: list[str]) -> None:
        self.notes_label.setText(" ".join(notes))
        self.notes_label.setVisible(bool(notes))

    def show_error(self, error: AppError, *, resumable: int = 0) -> None:
        self._shown_error = error
        self._render_error(error, error.hint, resumable)
        self._resumable = resumable
        self.resume_button.setVisible(bool(resumable))
        self.set_resume_countdown(0)
        self.use_replacement.offer(error)
        self.error_box.setVisible(True)

    def _update_empty_hint(self) -> None:
        self.empty_hint.setVisible(self.model.rowCount() == 0)

    def set_error_hint(self, hint: str) -> None:
        """The shown error's hint as a countdown runs ("Try again in 2 seconds.", then "You can
        try again now."); nothing when no error is shown."""
        error = getattr(self, "_shown_error", None)
        if error is not None and self.error_box.isVisibleTo(self):
            self._render_error(error, hint, self._resumable)

    def _render_error(self, error: AppError, hint: str, resumable: int) -> None:
        red = "#ff8a80" if is_dark() else "#b3261e"
        text = f"<span style='color:{red}'><b>{error.title}.</b> {error.message}</span> {hint}"
        if resumable:
            text += f"<br>The results so far are kept; {resumable:,} item{'s' if resumable != 1 else ''} still to check."
        self.error_label.setText(text)
        self.error_label.setToolTip(error.details or "")

    def set_resume_countdown(self, seconds: int) -> None:
        """While the server asked to wait, Resume says how long and stays disabled."""
        self._resume_wait = seconds
        self.resume_button.setEnabled(seconds <= 0 and not self._busy)
        count = self._resumable
        base = f"Resume ({count:,})" if count else "Resume"
        self.resume_button.setText(base if seconds <= 0 else f"{base} in {seconds} s")

    def set_price_note(self, openai: bool) -> None:
        if openai:
            self.free_label.setText("Free on OpenAI")
            self.free_label.setToolTip(
                "OpenAI does not charge for the moderation endpoint. Each request is still written "
                "to the usage ledger (at $0, with no tokens: the API reports none)."
            )
        else:
            self.free_label.setText("Priced by your provider")
            self.free_label.setToolTip(
                "Moderation is free on OpenAI; other providers set their own prices. Each request "
                "is written to the usage ledger, priced with your price settings if you set one."
            )

    def hide_error(self) -> None:
        self.error_label.clear()
        self.resume_button.setVisible(False)
        self.error_box.setVisible(False)

    def set_rows(self, rows: list[TableRow], summary: str) -> None:
        selected = self.selected_item()
        self.model.set_rows(rows)
        self.export_button.setEnabled(bool(rows))
        self.summary_label.setText(summary)
        if selected is not None:
            self.select_item(selected)

    def selected_item(self) -> int | None:
        indexes = self.table.selectionModel().selectedRows()
        if not indexes:
            return None
        return self.model.row_at(self.proxy.mapToSource(indexes[0]).row()).index

    def select_item(self, item: int) -> None:
        for source_row, row in enumerate(self.model.rows):
            if row.index == item:
                index = self.proxy.mapFromSource(self.model.index(source_row, 0))
                if index.isValid():
                    self.table.selectRow(index.row())
                return

    def show_item(
        self,
        title: str,
        result: ModerationResult | None,
        thresholds: dict[str, float],
        verdict: Verdict | None,
    ) -> None:
        """Shows one item's chart, badge and verdict (None: nothing to show yet)."""
        self.item_title.setText(title)
        self.chart.show_result(result, thresholds)
        self.copy_chart_button.setEnabled(result is not None)
        if result is None or verdict is None:
            self.badge.set_state(CLEAR, "")
            self.verdict_label.setText("")
            return
        self.thresholds.set_categories(result.names)
        if result.flagged:
            self.badge.set_state(FLAGGED, "⚠ Flagged", "The API flagged this item")
        elif verdict.blocked:
            self.badge.set_state(
                BLOCKED, "Over your thresholds", "Not flagged by the API, but over your thresholds"
            )
        else:
            self.badge.set_state(CLEAR, "✓ Not flagged", "The API did not flag this item")
        self.verdict_label.setText(verdict_text(verdict))

    def set_thresholds(self, values: dict[str, float]) -> None:
        self.thresholds.set_thresholds(values)
        self.chart.set_thresholds(self.thresholds.thresholds())

    def copy_chart(self) -> None:
        """Puts the chart, with the item's title, on the clipboard as a picture."""
        from PySide6.QtWidgets import QApplication

        QApplication.clipboard().setPixmap(self.chart.grab())

    def refresh_icons(self) -> None:
        self.stop_button.setIcon(icon("stop"))
        self.check_button.setIcon(icon("send"))
        self.resume_button.setIcon(icon("refresh"))
        self._update_legend()

    # --- internals ------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.input_edit.viewport() and event.type() in (
            QEvent.Type.DragEnter,
            QEvent.Type.DragMove,
            QEvent.Type.Drop,
        ):
            assert isinstance(event, QDropEvent | QDragMoveEvent)
            mime = event.mimeData()
            if self.images.can_accept(mime):
                event.acceptProposedAction()
                if event.type() == QEvent.Type.Drop:
                    self.images.accept_drop(mime)
                return True
        if (
            watched is self.input_edit
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.matches(QKeySequence.StandardKey.Paste)
            and self.images.add_from_clipboard()
        ):
            return True  # an image was pasted: it becomes an item
        return super().eventFilter(watched, event)

    def _on_check_clicked(self) -> None:
        if self._busy or not self.check_button.isEnabled():
            return
        self.check_requested.emit(self.draft())

    def _focus_filter(self) -> None:
        self.filter_edit.setFocus()
        self.filter_edit.selectAll()

    def _on_escape(self) -> None:
        if self._busy:
            self.stop_requested.emit()

    def _on_row_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.item_selected.emit(self.model.row_at(self.proxy.mapToSource(index).row()).index)

    def _on_thresholds_changed(self, values: dict[str, float]) -> None:
        self.chart.set_thresholds(values)
        self.thresholds_changed.emit(values)

    def _on_model_changed(self, model: str) -> None:
        info = model_info(model or "omni-moderation-latest")
        self.model_note.setText("Text and images" if info.images else "Text only")
        self.model_note.setToolTip(info.note)
        self.images.set_vision_supported(
            info.images, "This moderation model takes text only. Choose omni-moderation-latest."
        )
        if model:
            self.model_changed.emit(model)

    def _tidy_image_chips(self) -> None:
        # Moderation has no image detail and costs nothing: the chips' detail and token estimate
        # (made for Chat) would only mislead here.
        for chip in self.images.chips():
            chip.detail.setVisible(False)
            chip.tokens_label.setVisible(False)

    def _update_legend(self) -> None:
        colours = state_colours()

        def swatch(key: str, text: str) -> str:
            return f"<span style='color:{colours[key].name()}'>■</span> {text}"

        self.legend.setText(
            "&nbsp;&nbsp;".join(
                [
                    swatch("flagged", "flagged by the API"),
                    swatch("blocked", "over your threshold only"),
                    swatch("clear", "below"),
                    "│ your threshold",
                ]
            )
        )

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._update_legend()
        super().changeEvent(event)


def verdict_text(verdict: Verdict) -> str:
    """One sentence comparing your thresholds with the API's flags."""

    def names(items: tuple[str, ...]) -> str:
        return ", ".join(category_title(n) for n in items)

    api = (
        f"The API flags {names(verdict.api_flagged)}."
        if verdict.api_flagged
        else ("The API flags nothing.")
    )
    yours = (
        f"Your thresholds block {names(verdict.blocked_by)}."
        if verdict.blocked_by
        else "Your thresholds block nothing."
    )
    extra = []
    if verdict.only_yours:
        extra.append(f"Stricter than the API on {names(verdict.only_yours)}.")
    if verdict.only_api:
        extra.append(f"More lenient than the API on {names(verdict.only_api)}.")
    return " ".join([api, yours, *extra])
