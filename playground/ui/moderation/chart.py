"""The score of every moderation category as a horizontal bar chart (pyqtgraph), with your thresholds.

One bar per category, in the order the API sent them; the label names the input types the score
applies to ("text", "image"). A bar is red when the API flagged the category, amber when only your
threshold would block it, and the palette's accent colour otherwise. A tick marks each category's
threshold. Hovering a row shows the category's description and the exact score.

pyqtgraph (and numpy) are imported by this module only, which is imported only when the Moderation
tab is built, so start-up does not pay for them. Colours come from the application palette and are
re-applied when it changes (light/dark).
"""

from __future__ import annotations

import math
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QToolTip, QVBoxLayout, QWidget

from playground.core.moderation.service import (
    ModerationResult,
    category_description,
    category_title,
    evaluate,
    threshold_for,
)
from playground.ui.common.plot_style import apply_plot_palette, still_plot
from playground.ui.shell.theme import is_dark

LOG_DECADES = 6
LOG_FLOOR = 10.0**-LOG_DECADES
"""The log scale shows scores from one in a million to 1; smaller ones sit at its left edge."""


def format_score(score: float) -> str:
    """Scores as people read them: two decimals, or "<0.01" for the many tiny ones."""
    if score >= 0.995:
        return f"{score:.3f}"
    return f"{score:.2f}" if score >= 0.01 else "<0.01"


def state_colours() -> dict[str, QColor]:
    """Bar colours for the current palette."""
    dark = is_dark()
    accent = QApplication.palette().color(QPalette.ColorRole.Highlight)
    return {
        "flagged": QColor("#ff6b5e" if dark else "#d93025"),
        "blocked": QColor("#ffb347" if dark else "#e37400"),
        "clear": accent.lighter(115) if dark else accent,
    }


class CategoryChart(QWidget):
    """The bar chart of one result (or an empty, explained chart).

    Read `rows` for what is drawn: (category, score, state) per bar, state being "flagged",
    "blocked" or "clear".
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("moderationChart")
        self.setAccessibleName("Category scores")
        self.result: ModerationResult | None = None
        self.thresholds: dict[str, float] = {}
        self.rows: list[tuple[str, float, str]] = []
        self.labels: list[str] = []  # the category labels on the left axis, top to bottom
        self.log_scale = False
        self._names: list[str] = []
        self._text_colour = QColor()

        self.plot = still_plot(self, "moderationPlot")
        item = self.plot.getPlotItem()
        item.invertY(True)  # the first category on top
        item.getAxis("bottom").setLabel("score (0 = unlikely, 1 = very likely)")
        item.getAxis("left").setWidth(250)
        self.bars = pg.BarGraphItem(x0=[], y=[], height=0.62, width=[])
        # Threshold ticks: one short vertical segment per row (pairs of points).
        self.ticks = pg.PlotDataItem([], [], connect="pairs")
        self.plot.addItem(self.bars)
        self.plot.addItem(self.ticks)
        self._labels: list[Any] = []
        self.plot.scene().sigMouseMoved.connect(self._on_mouse_moved)

        self.empty_label = QLabel(
            "Scores appear here: one bar per category, your threshold as a tick.", self
        )
        self.empty_label.setObjectName("moderationChartEmpty")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setEnabled(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.empty_label)
        self.apply_palette()
        self._redraw()

    # --- slots ----------------------------------------------------------------------------------

    def show_result(self, result: ModerationResult | None, thresholds: dict[str, float]) -> None:
        self.result = result
        self.thresholds = dict(thresholds)
        self._redraw()

    def set_thresholds(self, thresholds: dict[str, float]) -> None:
        self.thresholds = dict(thresholds)
        self._redraw()

    def apply_palette(self) -> None:
        """Takes the application palette's colours (called on every palette change)."""
        self._text_colour = apply_plot_palette(self.plot)
        self._redraw()

    # --- drawing --------------------------------------------------------------------------------

    def _redraw(self) -> None:
        for label in self._labels:
            self.plot.removeItem(label)
        self._labels = []
        result = self.result
        self.plot.setVisible(result is not None)
        self.empty_label.setVisible(result is None)
        if result is None:
            self.rows, self._names, self.labels = [], [], []
            self.bars.setOpts(x0=[], y=[], width=[], brushes=[])
            self.ticks.setData([], [], connect="pairs")
            return
        colours = state_colours()
        verdict = evaluate(result, self.thresholds)
        names = [n for n in result.names if n in result.scores]
        rows: list[tuple[str, float, str]] = []
        for name in names:
            score = result.scores[name]
            if result.categories.get(name):
                state = "flagged"
            elif name in verdict.blocked_by:
                state = "blocked"
            else:
                state = "clear"
            rows.append((name, score, state))
        self.rows, self._names = rows, names
        ys = list(range(len(rows)))
        # A sliver of bar for the tiny scores (linear scale), so every category visibly has one.
        widths = [max(self._x(score), 0.004 * self._span()) for _, score, _ in rows]
        self.bars.setOpts(
            x0=[0.0] * len(rows),
            y=ys,
            width=widths,
            height=0.62,
            brushes=[pg.mkBrush(colours[state]) for *_, state in rows],
            pens=[pg.mkPen(None)] * len(rows),
        )
        tick_x: list[float] = []
        tick_y: list[float] = []
        for y, name in enumerate(names):
            t = self._x(threshold_for(self.thresholds, name))
            tick_x += [t, t]
            tick_y += [y - 0.42, y + 0.42]
        self.ticks.setData(
            tick_x, tick_y, connect="pairs", pen=pg.mkPen(self._text_colour, width=2)
        )
        for y, (_name, score, state) in enumerate(rows):
            text = f"{score:.1g}" if self.log_scale and score < 0.01 else format_score(score)
            label = pg.TextItem(text, anchor=(0, 0.5))
            colour = colours[state] if state != "clear" else self._text_colour
            label.setColor(colour)
            label.setPos(self._x(min(score, 1.0)) + 0.012 * self._span(), y)
            self.plot.addItem(label)
            self._labels.append(label)
        axis = self.plot.getPlotItem().getAxis("left")
        self.labels = [_axis_label(result, n) for n in names]
        axis.setTicks([list(enumerate(self.labels))])
        bottom = self.plot.getPlotItem().getAxis("bottom")
        if self.log_scale:
            decades = range(round(self._span()) + 1)
            bottom.setTicks([[(d, _decade_label(d - LOG_DECADES)) for d in decades]])
            bottom.setLabel("score, log scale (each step is 10× the one before)")
        else:
            bottom.setTicks(None)
            bottom.setLabel("score (0 = unlikely, 1 = very likely)")
        self.plot.setXRange(0, self._span() * 1.12, padding=0)
        self.plot.setYRange(-0.6, max(len(rows) - 0.4, 0.6), padding=0)

    def set_log_scale(self, on: bool) -> None:
        """Log scale spreads the many tiny scores apart (1e-6 to 1), to compare how far from
        flagged each category is."""
        self.log_scale = on
        self._redraw()

    def _span(self) -> float:
        return float(LOG_DECADES) if self.log_scale else 1.0

    def _x(self, value: float) -> float:
        """Where a score (or threshold) sits on the x axis."""
        if not self.log_scale:
            return value
        return math.log10(max(value, LOG_FLOOR)) + LOG_DECADES

    def _on_mouse_moved(self, pos: QPointF) -> None:
        if self.result is None or not self._names:
            return
        point = self.plot.getPlotItem().vb.mapSceneToView(pos)
        row = round(point.y())
        if not 0 <= row < len(self._names):
            QToolTip.hideText()
            return
        name = self._names[row]
        score = self.result.scores.get(name, 0.0)
        applied = ", ".join(self.result.applied.get(name, ())) or "—"
        flagged = "flagged by the API" if self.result.categories.get(name) else "not flagged"
        tip = (
            f"<b>{category_title(name)}</b> <code>{name}</code><br>{category_description(name)}"
            f"<br>Score {score:.6f} · {flagged}<br>Your threshold "
            f"{threshold_for(self.thresholds, name):.2f} · applies to: {applied}"
        )
        QToolTip.showText(self.plot.mapToGlobal(self.plot.mapFromScene(pos)), tip, self.plot)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.apply_palette()
        super().changeEvent(event)


def _decade_label(exponent: int) -> str:
    return "1" if exponent == 0 else f"1e{exponent}"


def _axis_label(result: ModerationResult, name: str) -> str:
    applied = result.applied.get(name)
    kinds = f"  [{', '.join(applied)}]" if applied else ""
    return f"{category_title(name)}{kinds}"
