"""The look the small charts share (Lab's scatter, Moderation's score bars, Usage's spend).

A chart here is a picture, not a tool: no context menu, no "A" auto-range button, no panning or
zooming with the mouse. Its colours follow the application palette (light or dark): the plot's
background is the palette's base colour, the axis lines its mid tone, the axis labels its text
colour. pyqtgraph is imported inside the functions, so importing this module costs nothing at
start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget

if TYPE_CHECKING:
    import pyqtgraph as pg


def still_plot(parent: QWidget, name: str) -> pg.PlotWidget:
    """A plot named `name` that the mouse does not move: no menu, no buttons, no pan or zoom."""
    import pyqtgraph as pg

    plot = pg.PlotWidget(parent=parent)
    plot.setObjectName(name)
    plot.setMenuEnabled(False)
    plot.hideButtons()
    plot.setMouseEnabled(x=False, y=False)
    return plot


def apply_plot_palette(plot: pg.PlotWidget) -> QColor:
    """Gives `plot` and its left and bottom axes the application palette's colours; returns the
    text colour (for labels drawn on the plot)."""
    import pyqtgraph as pg

    palette = QApplication.palette()
    text = palette.color(QPalette.ColorRole.Text)
    plot.setBackground(palette.color(QPalette.ColorRole.Base))
    item = plot.getPlotItem()
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setPen(pg.mkPen(palette.color(QPalette.ColorRole.Mid)))
        axis.setTextPen(pg.mkPen(text))
    return text
