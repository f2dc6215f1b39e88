"""Prompt Lab's regression view: pick two runs; the cells that changed from pass to fail (and
back) are listed, and the selected one shows both outputs side by side. View only: the
controller loads the runs and compares them (`analysis.compare_runs`)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from playground.core.lab.analysis import CellChange, Change, RunComparison
from playground.core.lab.store import RunInfo
from playground.ui.common.message_view import MessageView
from playground.ui.common.widgets import named, wrapped_label


def run_title(info: RunInfo) -> str:
    stamp = info.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
    return f"#{info.id} · {stamp}" + (f" · {info.label}" if info.label else "")


def comparison_text(result: RunComparison) -> str:
    """One line: how many cells broke and were fixed, out of how many compared."""
    if not result.compared:
        return "These runs share no finished, checked cells to compare."
    if not result.changes:
        text = f"No cell changed between pass and fail ({result.compared:,} compared)."
    else:
        text = (
            f"{result.broke:,} now fail, {result.fixed:,} now pass "
            f"(of {result.compared:,} cells compared)."
        )
    if result.unmatched_cases:
        text += f" {result.unmatched_cases:,} new cases have nothing to compare with."
    if result.unmatched_variants:
        text += " New variants: " + ", ".join(result.unmatched_variants) + "."
    return text


class RunCompareDialog(QDialog):
    """Two runs compared.

    Signals:
        pair_chosen: the user picked two runs. args: the earlier run's id, the later run's id.
    """

    pair_chosen = Signal(int, int)

    def __init__(self, runs: Sequence[RunInfo], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("labCompareRuns")
        self.setWindowTitle("Compare two runs")
        self.resize(900, 620)
        self.changes: list[CellChange] = []
        self.before_combo = named(QComboBox(), "labCompareBefore", "Before")
        self.after_combo = named(QComboBox(), "labCompareAfter", "After")
        for combo in (self.before_combo, self.after_combo):
            combo.setMinimumContentsLength(18)
            for info in runs:
                combo.addItem(run_title(info), info.id)
        # Newest first in the list: compare the previous run (before) with the latest (after).
        self.after_combo.setCurrentIndex(0)
        self.before_combo.setCurrentIndex(1 if len(runs) > 1 else 0)
        self.summary = wrapped_label("labCompareSummary", "Pick two runs.")
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("labCompareChanges")
        self.table.setAccessibleName("Changed cells")
        self.table.setHorizontalHeaderLabels(["Change", "Case", "Variant", "Sample"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.before_check = wrapped_label("labCompareBeforeCheck")
        self.after_check = wrapped_label("labCompareAfterCheck")
        self.before_view = MessageView("Before")
        self.before_view.setObjectName("labCompareBeforeOutput")
        self.after_view = MessageView("After")
        self.after_view.setObjectName("labCompareAfterOutput")
        sides = QWidget()
        sides_layout = QHBoxLayout(sides)
        sides_layout.setContentsMargins(0, 0, 0, 0)
        for check, view in (
            (self.before_check, self.before_view),
            (self.after_check, self.after_view),
        ):
            # As the Results page's detail: the answer grows with its text inside a scroll area.
            inner = QWidget()
            column = QVBoxLayout(inner)
            column.setContentsMargins(0, 0, 0, 0)
            column.addWidget(check)
            column.addWidget(view)
            column.addStretch(1)
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setWidget(inner)
            sides_layout.addWidget(scroll, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(sides)
        split.setSizes([170, 390])
        pick = QHBoxLayout()
        pick.addWidget(QLabel("Before"))
        pick.addWidget(self.before_combo, 1)
        pick.addWidget(QLabel("After"))
        pick.addWidget(self.after_combo, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(pick)
        layout.addWidget(self.summary)
        layout.addWidget(split, 1)
        layout.addWidget(buttons)
        self.before_combo.currentIndexChanged.connect(lambda _i: self._emit_pair())
        self.after_combo.currentIndexChanged.connect(lambda _i: self._emit_pair())
        self.table.currentCellChanged.connect(lambda row, *_: self._show_change(row))

    def request_pair(self) -> None:
        """Asks for the comparison of the runs picked now (called once the dialog is wired)."""
        self._emit_pair()

    def show_comparison(self, result: RunComparison) -> None:
        self.changes = list(result.changes)
        self.summary.setText(comparison_text(result))
        self.table.setRowCount(len(self.changes))
        for row, change in enumerate(self.changes):
            mark = "✘ now fails" if change.change == Change.BROKE else "✔ now passes"
            values = (mark, _case_title(change), change.variant, str(change.sample + 1))
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))
        if self.changes:
            self.table.setCurrentCell(0, 0)
        else:
            self._show_change(-1)

    def show_problem(self, text: str) -> None:
        self.changes = []
        self.table.setRowCount(0)
        self.summary.setText(text)
        self._show_change(-1)

    def _emit_pair(self) -> None:
        before, after = self.before_combo.currentData(), self.after_combo.currentData()
        if before is None or after is None:
            return
        if before == after:
            self.show_problem("Pick two different runs.")
            return
        self.pair_chosen.emit(int(before), int(after))

    def _show_change(self, row: int) -> None:
        if not 0 <= row < len(self.changes):
            for check, view in (
                (self.before_check, self.before_view),
                (self.after_check, self.after_view),
            ):
                check.setText("")
                view.set_text("")
            return
        change = self.changes[row]
        for check, view, result in (
            (self.before_check, self.before_view, change.before),
            (self.after_check, self.after_view, change.after),
        ):
            verdict = "passed" if result.check.passed else "failed"
            check.setText(verdict + (f" — {result.check.detail}" if result.check.detail else ""))
            view.set_text(result.text)


def _case_title(change: CellChange) -> str:
    values = ", ".join(f"{k}: {v}" for k, v in change.case.values.items())
    if len(values) > 60:
        values = values[:59] + "…"
    return f"Case {change.case_number}" + (f" ({values})" if values else "")
