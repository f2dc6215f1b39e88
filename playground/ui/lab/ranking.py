"""Prompt Lab's ranking: the variants of a run, best first (pass rate, then cost, then latency),
and a small scatter of pass rate against cost per case. View only.

pyqtgraph loads when the page is first shown, not when the tab is built (start-up stays light).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent
from PySide6.QtGui import QPalette, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from playground.core.lab.analysis import Ranked, ranking
from playground.core.lab.suite import LabRun
from playground.core.money.formatting import format_cost, format_duration_ms
from playground.ui.common.plot_style import apply_plot_palette, still_plot
from playground.ui.common.widgets import wrapped_label

COLUMNS = ("#", "Variant", "Passed", "Cost per case", "Grading", "Median time")


def pass_text(r: Ranked) -> str:
    """ "3/4 (75%)", with the spread over samples ("· 2.5/4 ± 0.71 per round")."""
    if r.pass_rate is None:
        return "no checks"
    text = f"{r.passed}/{r.checked} ({round(r.pass_rate * 100)}%)"
    if r.spread is not None and r.spread.cases:
        text += f" · {r.spread.text} per round"
        if r.spread.flaky:
            n = len(r.spread.flaky)
            text += f" · {n} flaky case{'s' if n != 1 else ''}"
    return text


class RankingView(QWidget):
    """The ranking table and the scatter."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("labRanking")
        self.rows: list[Ranked] = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("labRankingTable")
        self.table.setAccessibleName("Variants ranked")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self._empty_note = (
            "Run the grid to rank its variants: most passed first, then the cheapest, then the "
            "fastest."
        )
        self.note = wrapped_label("labRankingNote", self._empty_note)
        self.plot: Any = None  # built on first show
        self.scatter: Any = None
        self._labels: list[Any] = []
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addWidget(self.note)
        self._layout.addWidget(self.table, 3)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.plot is None:
            self._build_plot()

    def _build_plot(self) -> None:
        import pyqtgraph as pg

        self.plot = still_plot(self, "labRankingPlot")
        self.plot.setMinimumHeight(160)
        item = self.plot.getPlotItem()
        item.getAxis("bottom").setLabel("cost per 1,000 cases ($)")
        item.getAxis("bottom").enableAutoSIPrefix(False)
        item.getAxis("left").setLabel("pass rate")
        item.setYRange(0, 1.05)
        self.scatter = pg.ScatterPlotItem(size=11, pxMode=True)
        self.plot.addItem(self.scatter)
        self._layout.addWidget(self.plot, 2)
        self.plot.show()  # added to a shown page: not shown until told (or a later event pass)
        self._layout.activate()
        self._apply_palette()

    def show_run(self, run: LabRun | None) -> None:
        self.rows = ranking(run) if run is not None else []
        self.note.setText(
            "Best first: most passed, then cheapest, then fastest. Chart: each variant's number "
            "at its cost and pass rate."
            if self.rows
            else self._empty_note
        )
        self.table.setRowCount(len(self.rows))
        for row, r in enumerate(self.rows):
            values = (
                str(row + 1),
                f"{r.variant.name} ({r.variant.model})",
                pass_text(r),
                format_cost(r.cost_per_case),
                format_cost(r.grader_cost) if r.grader_cost else "—",
                format_duration_ms(r.median_latency_ms),
            )
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))
        self._draw()

    def points(self) -> list[tuple[float, float, int]]:
        """(cost per 1,000 cases in $, pass rate, rank) of the variants the scatter shows."""
        return [
            (float(r.cost_per_case) * 1000, r.pass_rate, row + 1)
            for row, r in enumerate(self.rows)
            if r.cost_per_case is not None and r.pass_rate is not None
        ]

    def _draw(self) -> None:
        if self.plot is None:
            return
        import pyqtgraph as pg

        for label in self._labels:
            self.plot.removeItem(label)
        self._labels = []
        points = self.points()
        palette = QApplication.palette()
        colour = palette.color(QPalette.ColorRole.Highlight)
        self.scatter.setData(
            x=[p[0] for p in points],
            y=[p[1] for p in points],
            brush=pg.mkBrush(colour),
            pen=pg.mkPen(palette.color(QPalette.ColorRole.Text)),
        )
        for x, y, number in points:
            label = pg.TextItem(str(number), color=palette.color(QPalette.ColorRole.Text))
            label.setPos(x, y)
            self.plot.addItem(label)
            self._labels.append(label)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()

    def _apply_palette(self) -> None:
        if self.plot is None:
            return
        apply_plot_palette(self.plot)
        self._draw()
