"""Spend per day as stacked bars (pyqtgraph): one colour per model, tab or kind of request.

`series` and `days` hold exactly what is drawn (the report's Decimal figures), so a test can
compare the chart with the ledger. Colours follow the palette (light or dark) and are re-applied
when it changes. pyqtgraph is imported only when the Usage tab is built.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from html import escape
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from playground.ui.common.plot_style import apply_plot_palette
from playground.ui.shell.theme import is_dark

# Colour-blind-safe hues (Okabe-Ito), a lighter set for dark backgrounds.
_LIGHT = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#7f7f7f")
_DARK = ("#56B4E9", "#F0C05A", "#3CCB9A", "#E59AC8", "#9AD3F5", "#FF8A50", "#b0b0b0")


def series_colours(n: int) -> list[QColor]:
    hues = _DARK if is_dark() else _LIGHT
    return [QColor(hues[i % len(hues)]) for i in range(n)]


class SpendChart(QWidget):
    """Stacked bars of spend per day, with a legend; an explained empty state."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("usageChart")
        self.setAccessibleName("Spend per day")
        self.days: tuple[date, ...] = ()
        self.series: dict[str, tuple[Decimal, ...]] = {}
        self._bars: list[Any] = []
        self.plot = pg.PlotWidget(parent=self)
        self.plot.setObjectName("usagePlot")
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setMinimumHeight(160)
        item = self.plot.getPlotItem()
        left = item.getAxis("left")
        left.enableAutoSIPrefix(False)  # "$0.05", never "50 (x0.001)"
        left.setLabel("Dollars per day")
        # The legend is a line of text under the plot, so it never hides a bar.
        self.legend = QLabel("", self)
        self.legend.setObjectName("usageLegend")
        self.legend.setWordWrap(True)
        self.empty_label = QLabel("", self)
        self.empty_label.setObjectName("usageChartEmpty")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.legend)
        layout.addWidget(self.empty_label)
        self.apply_palette()
        self.show_days((), {}, "")

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.apply_palette()

    def apply_palette(self) -> None:
        apply_plot_palette(self.plot)
        if self.days:
            self._draw()

    def show_days(
        self, days: tuple[date, ...], series: dict[str, tuple[Decimal, ...]], empty_text: str
    ) -> None:
        """Draws `series` (label -> spend per day of `days`); `empty_text` when nothing was spent."""
        self.days, self.series = days, dict(series)
        has_spend = any(v for values in series.values() for v in values)
        self.plot.setVisible(has_spend)
        self.legend.setVisible(has_spend)
        self.empty_label.setVisible(not has_spend)
        self.empty_label.setText(empty_text)
        self._draw()

    def _draw(self) -> None:
        for bar in self._bars:
            self.plot.removeItem(bar)
        self._bars = []
        self.legend.setText("")
        n = len(self.days)
        if not n:
            return
        base = [0.0] * n
        keys: list[str] = []
        width = 0.7 if n <= 45 else 0.9
        for colour, (label, values) in zip(
            series_colours(len(self.series)), self.series.items(), strict=True
        ):
            heights = [float(v) for v in values]
            bar = pg.BarGraphItem(
                x=list(range(n)),
                y0=list(base),
                height=heights,
                width=width,
                brush=pg.mkBrush(colour),
                pen=pg.mkPen(None),
            )
            self.plot.addItem(bar)
            self._bars.append(bar)
            keys.append(f'<span style="color:{colour.name()}">■</span>&nbsp;{escape(label)}')
            base = [b + h for b, h in zip(base, heights, strict=True)]
        self.legend.setText(" &nbsp; &nbsp; ".join(keys))
        step = max(1, n // 8)
        ticks = [(i, f"{d:%b} {d.day}") for i, d in enumerate(self.days) if i % step == 0]
        self.plot.getPlotItem().getAxis("bottom").setTicks([ticks])
        self.plot.setXRange(-0.6, n - 0.4, padding=0)
        top = max(base) if base else 0.0
        self.plot.setYRange(0, top * 1.25 if top > 0 else 1, padding=0)
