"""The Embeddings tab's learning pages (views only): Classify, Outliers and Recommend.

Each page emits what the user asks for; `learning.EmbeddingsLearning` does the work and hands the
results back through the page's `show_…` methods. The threshold slider of Outliers and the picked
lines of Recommend are pure view state.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QSlider,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from playground.core.embeddings.files import short
from playground.ui.common.widgets import named, side_by_side, wrapped_label
from playground.ui.shell.theme import is_dark

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from playground.core.embeddings.learn import CrossValidation, Prediction
    from playground.ui.embeddings.plots import ClusterView

MODE_EXAMPLES, MODE_ZERO_SHOT = "examples", "zero-shot"
MEASURE_CLUSTER, MEASURE_ALL = "cluster", "all"
SLIDER_STEPS = 1000
EXAMPLE_FILES = "Labelled examples (*.csv *.jsonl *.json *.txt);;All files (*)"
EXPORT_FILES = "CSV files (*.csv);;JSON Lines (*.jsonl)"


def read_only_table(
    name: str, accessible: str, headers: Sequence[str], row_padding: int
) -> QTableWidget:
    """A read-only table of results (whole rows selected, alternating colours, one line a row of
    the font's height plus `row_padding` pixels), for the workbench and its learning pages."""
    table = named(QTableWidget(0, len(headers)), name, accessible)
    table.setHorizontalHeaderLabels(list(headers))
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + row_padding)
    return table


def _grid(name: str, accessible: str, headers: Sequence[str], stretch: int) -> QTableWidget:
    """A results table whose columns fit their contents but column `stretch`, which takes the
    rest of the width."""
    table = read_only_table(name, accessible, headers, row_padding=8)
    header = table.horizontalHeader()
    for column in range(len(headers)):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return table


def _column(*parts: QWidget | QLayout | tuple[QWidget, int]) -> QWidget:
    """A widget holding `parts` top to bottom without margins; a (widget, stretch) pair grows."""
    holder = QWidget()
    layout = QVBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    for part in parts:
        if isinstance(part, tuple):
            layout.addWidget(*part)
        elif isinstance(part, QLayout):
            layout.addLayout(part)
        else:
            layout.addWidget(part)
    return holder


def _item(text: str, tip: str = "") -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setToolTip(tip or text)
    return item


def _text(table: QTableWidget, row: int, column: int) -> str:
    item = table.item(row, column)
    return item.text() if item is not None else ""


def _percent(value: float) -> str:
    return f"{value:.0%}"


class ClassifyPage(QWidget):
    """Classify: labelled examples (typed or from a file) or label descriptions (zero-shot) → a
    cross-validated report and the tab's texts, labelled.

    Signals:
        train_requested: Train and label.
        file_chosen: open labelled examples from a file. arg: its path.
        columns_chosen: the text and label columns of the opened file. args: text, label.
        export_requested: save the labelled texts. arg: the path (.csv or .jsonl).
    """

    train_requested = Signal()
    file_chosen = Signal(str)
    columns_chosen = Signal(str, str)
    export_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("embeddingsClassifyPage")
        self.mode_combo = named(
            QComboBox(),
            "classifyMode",
            "How to classify",
            "Learn from examples, or describe labels",
        )
        self.mode_combo.addItem("Learn from labelled examples", MODE_EXAMPLES)
        self.mode_combo.addItem("Zero-shot: describe each label", MODE_ZERO_SHOT)
        self.method_combo = named(
            QComboBox(), "classifyMethod", "Method", "How the examples are turned into a classifier"
        )
        self.method_combo.addItem("Nearest centre", "centroid")
        self.method_combo.addItem("Logistic regression", "logistic")
        self.method_combo.setToolTip(
            "Nearest centre: each label's average vector; quick and steady with few examples.\n"
            "Logistic regression: learns which directions matter; often better with many examples."
        )
        self.open_button = named(
            QPushButton("Open file…"),
            "classifyOpenFile",
            "Open labelled examples",
            "A CSV or JSONL file with a text column and a label column",
        )
        self.text_column = named(QComboBox(), "classifyTextColumn", "Text column")
        self.label_column = named(QComboBox(), "classifyLabelColumn", "Label column")
        self.file_label = wrapped_label("classifyFileInfo")
        self.examples_edit = named(
            QPlainTextEdit(), "classifyExamples", "Labelled examples", "One example per line"
        )
        self.examples_edit.setPlaceholderText(
            "One example per line, as label: text. For example\n"
            "positive: The delivery was quick and the soup was hot\n"
            "negative: It arrived cold and an hour late"
        )
        self.descriptions_edit = named(
            QPlainTextEdit(), "classifyDescriptions", "Label descriptions", "One label per line"
        )
        self.descriptions_edit.setPlaceholderText(
            "One label per line, as label: what it means. For example\n"
            "praise: the customer is happy with something\n"
            "complaint: the customer is unhappy about something"
        )
        self.inputs = QStackedWidget()
        self.inputs.addWidget(self.examples_edit)
        self.inputs.addWidget(self.descriptions_edit)
        self.inputs.setFixedHeight(self.fontMetrics().lineSpacing() * 5 + 16)
        self.train_button = named(
            QPushButton("Train and label"),
            "classifyTrain",
            "Train and label",
            "Learn from the examples, check how well, and label the texts on the left",
        )
        self.export_button = named(
            QPushButton("Export…"), "classifyExport", "Export the labelled texts"
        )
        self.export_button.setEnabled(False)
        self.problem_label = wrapped_label("classifyProblem")
        self.problem_label.setVisible(False)

        top = QHBoxLayout()
        top.addWidget(self.mode_combo)
        top.addWidget(self.method_combo)
        top.addStretch(1)
        top.addWidget(self.open_button)
        columns = QHBoxLayout()
        columns.addWidget(self.file_label, 1)
        columns.addWidget(QLabel("Text"))
        columns.addWidget(self.text_column)
        columns.addWidget(QLabel("Label"))
        columns.addWidget(self.label_column)
        self.columns_row = QWidget()
        self.columns_row.setLayout(columns)
        columns.setContentsMargins(0, 0, 0, 0)
        self.columns_row.setVisible(False)
        actions = QHBoxLayout()
        actions.addWidget(self.problem_label, 1)
        actions.addWidget(
            self.train_button, 0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop
        )

        self.report_label = wrapped_label(
            "classifyReport",
            "Give a few examples of each label, then press Train and label: the examples are "
            "embedded (and cached), the classifier is checked on examples it did not learn "
            "from, and the texts on the left get a label each.",
        )
        self.report_label.setTextFormat(Qt.TextFormat.RichText)
        self.confusion_table = named(QTableWidget(0, 0), "classifyConfusion", "Confusion matrix")
        self.confusion_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.confusion_table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.mistakes_table = _grid(
            "classifyMistakes",
            "Examples it gets wrong",
            ["Example", "Labelled", "Guessed"],
            stretch=0,
        )
        self.mistakes_label = wrapped_label("classifyMistakesLabel", "Examples it gets wrong")
        report = _column(
            self.report_label,
            QLabel("Confusion matrix (rows: the label given, columns: guessed)"),
            (self.confusion_table, 1),
            self.mistakes_label,
            (self.mistakes_table, 1),
        )

        self.predictions_table = _grid(
            "classifyPredictions", "Labelled texts", ["Text", "Label", "Confidence"], stretch=0
        )
        head = QHBoxLayout()
        head.addWidget(QLabel("The texts on the left, labelled"), 1)
        head.addWidget(self.export_button)
        labelled = _column(head, (self.predictions_table, 1))
        split = side_by_side([(report, 0), (labelled, 0)], name="classifySplit", sizes=[380, 420])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.columns_row)
        layout.addWidget(self.inputs)
        layout.addLayout(actions)
        layout.addWidget(split, 1)

        self.mode_combo.currentIndexChanged.connect(self._on_mode_changed)
        self.train_button.clicked.connect(self.train_requested)
        self.open_button.clicked.connect(self._on_open_clicked)
        self.export_button.clicked.connect(self._on_export_clicked)
        self.text_column.activated.connect(self._on_columns_chosen)
        self.label_column.activated.connect(self._on_columns_chosen)
        self._on_mode_changed()

    # --- what the controller reads -------------------------------------------------------------

    def mode(self) -> str:
        return str(self.mode_combo.currentData())

    def method(self) -> str:
        return str(self.method_combo.currentData())

    def examples_text(self) -> str:
        return self.examples_edit.toPlainText()

    def descriptions_text(self) -> str:
        return self.descriptions_edit.toPlainText()

    # --- what the controller sets --------------------------------------------------------------

    def set_mode(self, mode: str) -> None:
        self.mode_combo.setCurrentIndex(max(0, self.mode_combo.findData(mode)))

    def set_method(self, method: str) -> None:
        self.method_combo.setCurrentIndex(max(0, self.method_combo.findData(method)))

    def set_examples_text(self, text: str) -> None:
        self.examples_edit.setPlainText(text)

    def set_descriptions_text(self, text: str) -> None:
        self.descriptions_edit.setPlainText(text)

    def set_file(self, info: str, columns: Sequence[str], text: str, label: str) -> None:
        """An examples file is open: its columns to choose from (the typed examples are kept)."""
        for combo, current in ((self.text_column, text), (self.label_column, label)):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(list(columns))
            combo.setCurrentText(current)
            combo.blockSignals(False)
        self.file_label.setText(info)
        self.columns_row.setVisible(True)

    def clear_file(self) -> None:
        self.columns_row.setVisible(False)

    def set_busy(self, busy: bool, text: str = "") -> None:
        self.train_button.setEnabled(not busy)
        self.open_button.setEnabled(not busy)
        if busy:
            self.show_problem("")
            self.report_label.setText(html.escape(text or "Embedding the examples…"))

    def show_note(self, text: str) -> None:
        """A line above the report (a file saved…); clears any problem shown."""
        self.show_problem("")
        self.report_label.setText(html.escape(text))

    def show_problem(self, text: str) -> None:
        """What keeps the classifier from being trained, in plain words ("" hides it)."""
        red = "#ff8a80" if is_dark() else "#b3261e"
        self.problem_label.setText(
            f"<span style='color:{red}'>{html.escape(text)}</span>" if text else ""
        )
        self.problem_label.setVisible(bool(text))

    def show_report(self, cv: CrossValidation | None, examples: Sequence[str], note: str) -> None:
        """The cross-validation (None in zero-shot mode) and a line about it."""
        self.report_label.setText(note)
        classes = list(cv.classes) if cv is not None else []
        self.confusion_table.clear()
        self.confusion_table.setRowCount(len(classes))
        self.confusion_table.setColumnCount(len(classes))
        self.confusion_table.setHorizontalHeaderLabels([short(c, 16) for c in classes])
        self.confusion_table.setVerticalHeaderLabels([short(c, 16) for c in classes])
        if cv is not None:
            for i in range(len(classes)):
                for j in range(len(classes)):
                    cell = _item(str(int(cv.confusion[i, j])))
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                    if i == j:
                        font = cell.font()
                        font.setBold(True)
                        cell.setFont(font)
                    self.confusion_table.setItem(i, j, cell)
        mistakes = cv.mistakes if cv is not None else []
        self.mistakes_label.setText(
            "Examples it gets wrong"
            if mistakes or cv is None
            else "Examples it gets wrong: none, every example was guessed right."
        )
        self.mistakes_table.setVisible(bool(mistakes) or cv is None)
        self.mistakes_table.setRowCount(len(mistakes))
        for row, mistake in enumerate(mistakes):
            text = examples[mistake.index]
            self.mistakes_table.setItem(row, 0, _item(short(text, 80), text))
            self.mistakes_table.setItem(row, 1, _item(mistake.expected))
            self.mistakes_table.setItem(
                row, 2, _item(f"{mistake.predicted} ({_percent(mistake.confidence)})")
            )

    def show_predictions(self, texts: Sequence[str], predictions: Sequence[Prediction]) -> None:
        self.predictions_table.setRowCount(len(predictions))
        for row, (text, p) in enumerate(zip(texts, predictions, strict=True)):
            self.predictions_table.setItem(row, 0, _item(short(text, 90), text))
            self.predictions_table.setItem(row, 1, _item(p.label))
            self.predictions_table.setItem(row, 2, _item(_percent(p.confidence)))
        self.export_button.setEnabled(bool(predictions))

    def predictions(self) -> list[tuple[str, str, str]]:
        """The labelled rows as shown (text as shown, label, confidence)."""
        table = self.predictions_table
        return [
            (_text(table, r, 0), _text(table, r, 1), _text(table, r, 2))
            for r in range(table.rowCount())
        ]

    # --- view chores -----------------------------------------------------------------------------

    def _on_mode_changed(self) -> None:
        zero = self.mode() == MODE_ZERO_SHOT
        self.inputs.setCurrentWidget(self.descriptions_edit if zero else self.examples_edit)
        self.method_combo.setVisible(not zero)
        self.open_button.setVisible(not zero)
        self.columns_row.setVisible(not zero and self.text_column.count() > 0)

    def _on_columns_chosen(self) -> None:
        self.columns_chosen.emit(self.text_column.currentText(), self.label_column.currentText())

    def ask_open_path(self) -> str:
        path, _ = QFileDialog.getOpenFileName(self, "Open labelled examples", "", EXAMPLE_FILES)
        return path

    def ask_export_path(self) -> str:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export labelled texts", "labels.csv", EXPORT_FILES
        )
        return path

    def _on_open_clicked(self) -> None:
        path = self.ask_open_path()
        if path:
            self.file_chosen.emit(path)

    def _on_export_clicked(self) -> None:
        path = self.ask_export_path()
        if path:
            self.export_requested.emit(path)


class OutliersPage(QWidget):
    """Outliers: the texts ranked by distance, a threshold slider, and the 2-D map with the texts
    over the threshold ringed.

    Signals:
        measure_changed: distance from their cluster or from all the others. arg: the measure.
    """

    measure_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("embeddingsOutliersPage")
        self.measure_combo = named(
            QComboBox(), "outliersMeasure", "Distance from", "What each text is compared with"
        )
        self.measure_combo.addItem("Distance from its cluster", MEASURE_CLUSTER)
        self.measure_combo.addItem("Distance from all the others", MEASURE_ALL)
        self.slider = named(
            QSlider(Qt.Orientation.Horizontal),
            "outliersThreshold",
            "Threshold",
            "Texts farther than this are outliers",
        )
        self.slider.setRange(0, SLIDER_STEPS)
        self.threshold_label = QLabel()
        self.threshold_label.setObjectName("outliersThresholdLabel")
        self.threshold_label.setMinimumWidth(
            self.fontMetrics().horizontalAdvance("0.000 · 999 outliers") + 8
        )
        self.info_label = wrapped_label("outliersInfo")
        self.table = _grid(
            "outliersTable", "Texts by distance", ["#", "Text", "Distance"], stretch=1
        )
        self.map_area = QVBoxLayout()
        self.map_area.setContentsMargins(0, 0, 0, 0)
        self.map: ClusterView | None = None
        top = QHBoxLayout()
        top.addWidget(self.measure_combo)
        top.addWidget(QLabel("Threshold"))
        top.addWidget(self.slider, 1)
        top.addWidget(self.threshold_label)
        map_holder = QWidget()
        map_holder.setLayout(self.map_area)
        split = side_by_side([(self.table, 0), (map_holder, 0)], sizes=[340, 460])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.info_label)
        layout.addWidget(split, 1)
        self._labels: list[str] = []
        self._scores: list[float] = []
        self._order: list[int] = []
        self._low, self._high = 0.0, 1.0
        self.measure_combo.currentIndexChanged.connect(
            lambda _i: self.measure_changed.emit(self.measure())
        )
        self.slider.valueChanged.connect(self._on_threshold_changed)
        self.info_label.setText("Embed some texts to find the ones that do not fit.")

    def set_map(self, view: ClusterView) -> None:
        """The 2-D map (built with the tab's other plots)."""
        self.map = view
        self.map_area.addWidget(view)

    def measure(self) -> str:
        return str(self.measure_combo.currentData())

    def threshold(self) -> float:
        return self._low + (self._high - self._low) * self.slider.value() / SLIDER_STEPS

    def set_threshold(self, value: float) -> None:
        span = (self._high - self._low) or 1.0
        self.slider.setValue(round((value - self._low) / span * SLIDER_STEPS))
        self._on_threshold_changed()

    def outliers(self) -> list[int]:
        """The texts at or over the threshold, farthest first."""
        limit = self.threshold()
        return [i for i in self._order if self._scores[i] >= limit - 1e-12]

    def show_outliers(
        self,
        labels: Sequence[str],
        scores: Sequence[float],
        threshold: float,
        points: npt.NDArray[np.float64],
        clusters: npt.NDArray[np.int32],
        explained: tuple[float, float],
    ) -> None:
        self._labels = list(labels)
        self._scores = list(scores)
        self._order = sorted(range(len(scores)), key=lambda i: -scores[i])
        self._low = min(scores, default=0.0)
        self._high = max(scores, default=1.0)
        self.table.setRowCount(len(self._order))
        for row, i in enumerate(self._order):
            self.table.setItem(row, 0, _item(str(i + 1)))
            self.table.setItem(row, 1, _item(short(labels[i], 90), labels[i]))
            self.table.setItem(row, 2, _item(f"{scores[i]:.3f}"))
        if self.map is not None:
            self.map.set_data(labels, points, clusters, explained)
        self.slider.blockSignals(True)
        self.set_threshold(threshold)
        self.slider.blockSignals(False)
        self._on_threshold_changed()

    def _on_threshold_changed(self, *_args: int) -> None:
        picked = self.outliers() if self._scores else []
        n = len(picked)
        self.threshold_label.setText(
            f"{self.threshold():.3f} · {n} outlier{'s' if n != 1 else ''}" if self._scores else ""
        )
        for row, i in enumerate(self._order):
            item = self.table.item(row, 1)
            if item is not None:
                font = item.font()
                font.setBold(i in picked)
                item.setFont(font)
        if self.map is not None:
            self.map.highlight(picked)
        if self._scores:
            what = "its cluster's centre" if self.measure() == MEASURE_CLUSTER else "the others"
            self.info_label.setText(
                f"Each text's distance from {what} (0 = the same meaning). The {n} text"
                f"{'s' if n != 1 else ''} over the threshold {'are' if n != 1 else 'is'} in bold "
                "and ringed on the map: often typos, off-topic lines or a different language."
            )


class RecommendPage(QWidget):
    """Recommend: pick lines you like (and, optionally, lines you do not), get the nearest others.

    Signals:
        recommend_requested: args: the liked rows, the disliked rows (lists of int).
    """

    recommend_requested = Signal(list, list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("embeddingsRecommendPage")
        self.list = named(QListWidget(), "recommendTexts", "Texts", "Pick one or more lines")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.more_button = named(
            QPushButton("More like this"),
            "recommendMore",
            "More like this",
            "Find texts close in meaning to the selected lines",
        )
        self.less_button = named(
            QPushButton("Less like that"),
            "recommendLess",
            "Less like that",
            "Steer away from the selected lines",
        )
        self.clear_button = named(QPushButton("Start over"), "recommendClear", "Start over")
        self.picked_label = wrapped_label("recommendPicked")
        self.picked_label.setTextFormat(Qt.TextFormat.RichText)
        self.results = _grid(
            "recommendResults", "Recommendations", ["#", "Text", "Closeness"], stretch=1
        )
        buttons = QHBoxLayout()
        buttons.addWidget(self.more_button)
        buttons.addWidget(self.less_button)
        buttons.addStretch(1)
        buttons.addWidget(self.clear_button)
        left = _column(
            QLabel("Pick lines, then say what you want more or less of"), (self.list, 1), buttons
        )
        right = _column(self.picked_label, (self.results, 1))
        split = side_by_side([(left, 0), (right, 0)], sizes=[380, 420])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(split, 1)
        self.more: list[int] = []
        self.less: list[int] = []
        self._labels: list[str] = []
        self.more_button.clicked.connect(lambda: self._pick(more=True))
        self.less_button.clicked.connect(lambda: self._pick(more=False))
        self.clear_button.clicked.connect(self.start_over)
        self._show_picked()

    def set_texts(self, labels: Sequence[str]) -> None:
        """The texts to pick from (a new run: the picks start over)."""
        self._labels = list(labels)
        self.list.clear()
        self.list.addItems([f"{i + 1}. {short(t, 100)}" for i, t in enumerate(labels)])
        self.start_over()

    def select_rows(self, rows: Sequence[int]) -> None:
        self.list.clearSelection()
        for row in rows:
            item = self.list.item(row)
            if item is not None:
                item.setSelected(True)

    def set_picks(self, more: Sequence[int], less: Sequence[int]) -> None:
        """The lines picked as "more like" and "less like" (a restored or sample state)."""
        self.more, self.less = list(more), list(less)
        self._show_picked()

    def start_over(self) -> None:
        self.more, self.less = [], []
        self.results.setRowCount(0)
        self._show_picked()

    def show_recommendations(self, ranking: Sequence[tuple[int, float]]) -> None:
        self.results.setRowCount(len(ranking))
        for row, (i, score) in enumerate(ranking):
            self.results.setItem(row, 0, _item(str(i + 1)))
            self.results.setItem(row, 1, _item(short(self._labels[i], 90), self._labels[i]))
            self.results.setItem(row, 2, _item(f"{score:.3f}"))

    def recommended_rows(self) -> list[int]:
        return [int(_text(self.results, r, 0)) - 1 for r in range(self.results.rowCount())]

    def _pick(self, *, more: bool) -> None:
        rows = sorted(self.list.row(item) for item in self.list.selectedItems())
        if not rows:
            self.picked_label.setText("Select one or more lines first (Ctrl+click picks several).")
            return
        keep, other = (self.more, self.less) if more else (self.less, self.more)
        keep.extend(r for r in rows if r not in keep)
        other[:] = [r for r in other if r not in rows]
        self._show_picked()
        if self.more:
            self.recommend_requested.emit(list(self.more), list(self.less))
        else:
            self.picked_label.setText(
                self.picked_label.text() + "<br>Now pick at least one line you want more like."
            )

    def _show_picked(self) -> None:
        def names(rows: list[int]) -> str:
            return ", ".join(html.escape(short(self._labels[r], 30)) for r in rows) or "none"

        if not self.more and not self.less:
            self.picked_label.setText(
                "Select lines on the left and press More like this: the closest other texts "
                "appear here. Less like that steers away from lines you do not want."
            )
            return
        self.picked_label.setText(
            f"<b>More like:</b> {names(self.more)}<br><b>Less like:</b> {names(self.less)}"
        )
