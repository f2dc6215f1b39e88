"""Small helpers for pyqtgraph plots that follow the app's palette (light or dark).

Import this module only where pyqtgraph may load (it imports pyqtgraph): the Usage chart uses it;
the Moderation chart and Prompt Lab's ranking can take `apply_plot_palette` too.
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication


def apply_plot_palette(plot: Any, axes: tuple[str, ...] = ("left", "bottom")) -> QColor:
    """Gives `plot` (a `pg.PlotWidget`) the application palette's background and axis colours;
    returns the palette's text colour (for labels drawn on the plot)."""
    palette = QApplication.palette()
    text = palette.color(QPalette.ColorRole.Text)
    plot.setBackground(palette.color(QPalette.ColorRole.Base))
    item = plot.getPlotItem()
    for name in axes:
        axis = item.getAxis(name)
        axis.setPen(pg.mkPen(palette.color(QPalette.ColorRole.Mid)))
        axis.setTextPen(pg.mkPen(text))
    return text
