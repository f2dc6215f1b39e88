"""Prompt Lab results: one column per variant, one row per case (and sample), a summary row.

Each cell shows pass/fail, the start of the output, tokens, cost and latency; selecting it shows the
whole output (rendered like Chat's answers) and why it failed its check.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from playground.core.lab.analysis import flaky_cases, spread
from playground.core.lab.suite import CellKey, CellResult, CellStatus, LabRun, VariantSummary
from playground.core.money.formatting import format_cost, format_duration_ms, format_tokens
from playground.ui.shell.theme import is_dark

KEY_ROLE = Qt.ItemDataRole.UserRole + 1
PREVIEW_CHARS = 90


def cell_text(result: CellResult | None) -> str:
    """What a grid cell says: mark and first words, then the numbers."""
    if result is None:
        return "…"
    if result.status == CellStatus.ERROR:
        return f"⚠ {result.error}"
    if result.status == CellStatus.CANCELLED:
        return "⏹ stopped"
    mark = {True: "✔ ", False: "✘ ", None: ""}[result.check.passed]
    first = " ".join(result.text.split()) or "(empty)"
    if result.check.ungraded:
        mark = "⚠ "
    if result.graded_calls or result.check.ungraded or result.check.score is not None:
        # A graded check: the grader's verdict and short reason, the answer is one click away.
        first = " ".join(result.check.detail.split())
    if len(first) > PREVIEW_CHARS:
        first = first[: PREVIEW_CHARS - 1] + "…"
    numbers = []
    if result.usage is not None:
        numbers.append(format_tokens(result.usage.output_tokens, estimated=result.usage.estimated))
    numbers.append(format_cost(result.cost))
    if result.latency_ms is not None:
        numbers.append(format_duration_ms(result.latency_ms))
    if result.graded_calls:
        numbers.append(f"grading {format_cost(result.grader_cost)}")
    return f"{mark}{first}\n{' · '.join(numbers)}"


def summary_text(summary: VariantSummary) -> str:
    rate = summary.pass_rate
    parts = []
    if summary.checked:
        parts.append(f"{summary.passed}/{summary.checked} passed ({round((rate or 0) * 100)}%)")
    else:
        parts.append(f"{summary.done}/{summary.total} done")
    parts.append(format_cost(summary.cost) + (" + ?" if summary.unpriced else ""))
    parts.append(f"median {format_duration_ms(summary.median_latency_ms)}")
    if summary.ungraded:
        parts.append(f"{summary.ungraded} not graded")
    if summary.errors:
        parts.append(f"{summary.errors} failed")
    if summary.grader_cost:
        parts.append(f"grading {format_cost(summary.grader_cost)}")
    return "\n".join(parts)


class ResultsGrid(QTableWidget):
    """The grid.

    Signals:
        cell_chosen: a result cell was selected. arg: its CellKey.
    """

    cell_chosen = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 0, parent)
        self.setObjectName("labResults")
        self.setAccessibleName("Results")
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setWordWrap(True)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().lineSpacing() * 2 + 14)
        self._cells: dict[CellKey, tuple[int, int]] = {}
        self._run: LabRun | None = None
        self.currentCellChanged.connect(self._on_current_changed)

    def show_run(self, run: LabRun) -> None:
        """Lays out the grid for `run` and fills what it has."""
        self._run = run
        self._cells = {}
        self.clear()
        samples = run.samples
        self.setColumnCount(len(run.variants))
        self.setRowCount(len(run.cases) * samples + 1)
        self.setHorizontalHeaderLabels(
            [
                f"{v.name}\n{v.model}" + (f" · v{v.version_id}" if v.version_id is not None else "")
                for v in run.variants
            ]
        )
        labels = []
        for number, case in enumerate(run.cases, 1):
            for sample in range(samples):
                labels.append(f"Case {number}" + (f" · {sample + 1}" if samples > 1 else ""))
                for column, variant in enumerate(run.variants):
                    self._cells[CellKey(case.id, variant.id, sample)] = (len(labels) - 1, column)
        labels.append("Summary")
        self.setVerticalHeaderLabels(labels)
        for key in self._cells:
            self.set_result(key, run.results.get(key))
        self.update_summary()

    def set_result(self, key: CellKey, result: CellResult | None) -> None:
        place = self._cells.get(key)
        if place is None:
            return
        item = QTableWidgetItem(cell_text(result))
        item.setData(KEY_ROLE, key)
        if result is not None:
            tip = result.text[:2000] or result.error
            if result.check.detail:
                tip = f"{result.check.detail}\n\n{tip}"
            item.setToolTip(tip)
            item.setBackground(self._tint(result))
        self.setItem(place[0], place[1], item)

    def update_summary(self) -> None:
        run = self._run
        if run is None:
            return
        row = self.rowCount() - 1
        font = QFont(self.font())
        font.setBold(True)
        lines = 3
        for column, variant in enumerate(run.variants):
            text = summary_text(run.summary(variant.id))
            if run.samples > 1:
                spread_ = spread(run, variant.id)
                if spread_.cases:
                    text += f"\n{spread_.text} per round"
                    if spread_.flaky:
                        text += f" · {len(spread_.flaky)} flaky"
            lines = max(lines, text.count("\n") + 1)
            item = QTableWidgetItem(text)
            item.setFont(font)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.setItem(row, column, item)
        self.setRowHeight(row, self.fontMetrics().lineSpacing() * lines + 14)
        self._mark_flaky(run)

    def _mark_flaky(self, run: LabRun) -> None:
        """Row titles of cases whose samples disagree say "flaky"."""
        flaky = flaky_cases(run)
        for number, case in enumerate(run.cases, 1):
            if run.samples < 2:
                break
            row = (number - 1) * run.samples
            title = f"Case {number} · 1" + (" · flaky" if case.id in flaky else "")
            item = QTableWidgetItem(title)
            if case.id in flaky:
                item.setToolTip("Its samples disagree: some passed, some failed.")
            self.setVerticalHeaderItem(row, item)

    def run(self) -> LabRun | None:
        """The run the grid shows."""
        return self._run

    def item_for(self, key: CellKey) -> QTableWidgetItem | None:
        place = self._cells.get(key)
        return None if place is None else self.item(*place)

    def _tint(self, result: CellResult) -> QBrush:
        dark = is_dark()
        if result.status != CellStatus.OK:
            color = QColor("#5a3a00") if dark else QColor("#fff1cc")
        elif result.check.passed is True:
            color = QColor("#1f4d2c") if dark else QColor("#e3f4e8")
        elif result.check.ungraded:
            color = QColor("#5a3a00") if dark else QColor("#fff1cc")
        elif result.check.passed is False:
            color = QColor("#5c2323") if dark else QColor("#fde3e1")
        else:
            return QBrush()
        return QBrush(color)

    def _on_current_changed(self, row: int, column: int, _pr: int, _pc: int) -> None:
        item = self.item(row, column)
        key = item.data(KEY_ROLE) if item is not None else None
        if isinstance(key, CellKey):
            self.cell_chosen.emit(key)
