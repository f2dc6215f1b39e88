"""The Embeddings tab's plots, drawn with pyqtgraph: a similarity heatmap and a cluster scatter.

pyqtgraph draws into a `QGraphicsView`, so a 5,000 × 5,000 heatmap is one `ImageItem` (one
texture) and a 5,000-point scatter is a handful of `ScatterPlotItem`s with cached symbols
(docs/plots.md has the measurements). Both plots take their colours from the widget's palette (the
background is the palette's Base, axes and text its Text colour) and re-read them when the palette
changes, so they follow the app's light and dark themes instead of pyqtgraph's black default.

This module imports pyqtgraph and numpy at import time: import it only where the plots are built.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from playground.core.embeddings.files import short
from playground.ui.common.widgets import named, wrapped_label

pg.setConfigOptions(antialias=True, imageAxisOrder="row-major", useNumba=False)

# Viridis at 9 stops (perceptually uniform, readable for colour-blind users, and legible on
# both a light and a dark background). Written out so the packaged app needs none of
# pyqtgraph's colour-map data files.
_VIRIDIS = (
    (68, 1, 84),
    (71, 44, 122),
    (59, 81, 139),
    (44, 113, 142),
    (33, 144, 141),
    (39, 173, 129),
    (92, 200, 99),
    (170, 220, 50),
    (253, 231, 37),
)
HEATMAP_COLORS = pg.ColorMap(np.linspace(0.0, 1.0, len(_VIRIDIS)), [QColor(*c) for c in _VIRIDIS])

# Tableau 10: distinct in light and dark, the usual choice for categories.
CLUSTER_COLORS = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)

LABEL_TICKS_UP_TO = 40  # with more texts the axes show numbers, not texts


def cluster_color(index: int) -> QColor:
    return QColor(CLUSTER_COLORS[index % len(CLUSTER_COLORS)])


class _PaletteAware(QWidget):
    """A plot widget with a hover line on top; its plot follows the palette."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        layout = self._layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.hover_label = QLabel(" ")
        self.hover_label.setObjectName(f"{name}Hover")
        self.hover_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # A long hover line is cut at the edge; it must never make the window wider.
        self.hover_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.top_row = QHBoxLayout()
        self.top_row.addWidget(self.hover_label, 1)
        layout.addLayout(self.top_row)
        self.plot = pg.PlotWidget(parent=self)
        self.plot.setObjectName(f"{name}Plot")
        self.plot.setAccessibleName(
            "Similarity heatmap" if name == "heatmap" else "Clusters on a 2-D map"
        )
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        layout.addWidget(self.plot, 1)
        self._apply_palette()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()
        super().changeEvent(event)

    def _apply_palette(self) -> None:
        pal = self.palette()
        base = pal.color(QPalette.ColorRole.Base)
        text = pal.color(QPalette.ColorRole.Text)
        self.plot.setBackground(base)
        item = self.plot.getPlotItem()
        for side in ("left", "bottom", "top", "right"):
            axis = item.getAxis(side)
            axis.setPen(pg.mkPen(text))
            axis.setTextPen(pg.mkPen(text))
        item.titleLabel.setAttr("color", text.name())
        item.titleLabel.setText(item.titleLabel.text)

    def grab_plot(self) -> Any:
        """The plot as a QPixmap (for "Copy plot as PNG")."""
        return self.plot.grab()


class HeatmapView(_PaletteAware):
    """Cosine similarity of every pair of texts as a colour grid, with labels and hover values.

    Signals:
        cell_hovered: the pointer is over a cell. args: row, column, similarity.
    """

    cell_hovered = Signal(int, int, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("heatmap", parent)
        self.labels: list[str] = []
        self.matrix: npt.NDArray[np.float32] | None = None
        self.order: npt.NDArray[np.intp] = np.zeros(0, dtype=np.intp)
        self._position: npt.NDArray[np.intp] = np.zeros(0, dtype=np.intp)
        self._clusters: npt.NDArray[np.int32] | None = None
        self.group_check = named(
            QCheckBox("Group by cluster"), "heatmapGroupByCluster", "Order the heatmap by cluster"
        )
        self.group_check.setToolTip(
            "Put texts of the same cluster next to each other, so groups show as bright blocks"
        )
        self.group_check.setChecked(True)
        self.group_check.toggled.connect(lambda _on: self._redraw())
        self.top_row.addWidget(self.group_check)
        item = self.plot.getPlotItem()
        item.invertY(True)
        item.setAspectLocked(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(HEATMAP_COLORS)
        item.addItem(self.image)
        self.colorbar = pg.ColorBarItem(
            values=(0.0, 1.0),
            colorMap=HEATMAP_COLORS,
            interactive=False,
            width=14,
            label="cosine similarity",
        )
        self.colorbar.setImageItem(self.image, insert_in=item)
        self.plot.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.plot.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        self.hover_label.setText(
            "Point at a cell to see the two texts and their similarity; click it to read them whole."
        )
        # Both texts of a clicked cell, in full (hovering shows them cut short).
        self.detail_label = wrapped_label("heatmapDetail")
        self.detail_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail_label.setVisible(False)
        self._layout.addWidget(self.detail_label)

    def _apply_palette(self) -> None:
        super()._apply_palette()
        if hasattr(self, "colorbar"):
            text = self.palette().color(QPalette.ColorRole.Text)
            self.colorbar.axis.setPen(pg.mkPen(text))
            self.colorbar.axis.setTextPen(pg.mkPen(text))

    def set_data(
        self,
        labels: Sequence[str],
        matrix: npt.NDArray[np.float32],
        clusters: npt.NDArray[np.int32] | None = None,
    ) -> None:
        """Shows `matrix` (n × n) with `labels` on the axes, grouped by `clusters` if asked."""
        self.labels = list(labels)
        self.matrix = matrix
        self._clusters = clusters
        self.detail_label.setVisible(False)
        self._redraw()

    def set_clusters(self, clusters: npt.NDArray[np.int32] | None) -> None:
        """New clusters (k changed): re-orders the grid when grouping is on."""
        same = (
            clusters is not None
            and self._clusters is not None
            and np.array_equal(clusters, self._clusters)
        )
        self._clusters = clusters
        if same:
            return
        if self.group_check.isChecked():
            self._redraw()

    def _redraw(self) -> None:
        matrix, n = self.matrix, len(self.labels)
        if matrix is None or n == 0:
            self.image.clear()
            self.order = self._position = np.zeros(0, dtype=np.intp)
            return
        clusters = self._clusters
        grouped = self.group_check.isChecked() and clusters is not None and len(clusters) == n
        self.group_check.setEnabled(clusters is not None)
        if grouped:
            assert clusters is not None
            self.order = np.argsort(clusters, kind="stable")
            shown = matrix.take(self.order, axis=0).take(self.order, axis=1)
        else:
            self.order = np.arange(n)
            shown = matrix
        self._position = np.empty(n, dtype=np.intp)
        self._position[self.order] = np.arange(n)
        # The diagonal is 1, the largest value, so the minimum is the smallest off-diagonal one.
        low = float(np.floor(max(-1.0, float(matrix.min())) * 20) / 20)
        levels = (min(low, 0.95), 1.0)
        self.image.setImage(shown, levels=levels, autoLevels=False)
        self.image.setRect(0, 0, n, n)
        self.colorbar.setLevels(levels)
        item = self.plot.getPlotItem()
        left, bottom = item.getAxis("left"), item.getAxis("bottom")
        if n <= LABEL_TICKS_UP_TO:
            names = [f"{i + 1}. {short(self.labels[i], 22)}" for i in self.order.tolist()]
            left.setTicks([[(p + 0.5, name) for p, name in enumerate(names)]])
            bottom.setTicks([[(p + 0.5, str(i + 1)) for p, i in enumerate(self.order.tolist())]])
            # The axis sizes itself to its labels only after a paint; size it now so the first
            # picture is not clipped.
            metrics = self.fontMetrics()
            left.setWidth(max(metrics.horizontalAdvance(name) for name in names) + 14)
        else:
            left.setTicks(None)
            bottom.setTicks(None)
            left.setWidth(None)
        item.setRange(xRange=(0, n), yRange=(0, n), padding=0.02)

    def value_at(self, row: int, col: int) -> float:
        """The similarity of texts `row` and `col` (indices in the input order)."""
        assert self.matrix is not None
        return float(self.matrix[row, col])

    def hover_cell(self, row: int, col: int) -> None:
        """Shows the hover line for two texts (input-order indices), as pointing at their cell does."""
        if self.matrix is None or not (0 <= row < len(self.labels) and 0 <= col < len(self.labels)):
            return
        value = self.value_at(row, col)
        self.hover_label.setText(
            f"<b>{value:.3f}</b> &nbsp; {row + 1}. {_html(short(self.labels[row], 60))} "
            f"&nbsp;×&nbsp; {col + 1}. {_html(short(self.labels[col], 60))}"
        )
        self.plot.setToolTip(
            f"{value:.3f}\n{row + 1}. {short(self.labels[row], 80)}\n"
            f"{col + 1}. {short(self.labels[col], 80)}"
        )
        self.cell_hovered.emit(row, col, value)

    def show_detail(self, row: int, col: int) -> None:
        """Shows both texts of a cell (input-order indices) in full under the plot."""
        if self.matrix is None or not (0 <= row < len(self.labels) and 0 <= col < len(self.labels)):
            self.detail_label.setVisible(False)
            return
        value = self.value_at(row, col)
        self.detail_label.setText(
            f"<b>{value:.3f}</b><br><b>{row + 1}.</b> {_html(short(self.labels[row], 400))}"
            f"<br><b>{col + 1}.</b> {_html(short(self.labels[col], 400))}"
        )
        self.detail_label.setVisible(True)

    def _cell_at(self, pos: QPointF) -> tuple[int, int] | None:
        if self.matrix is None or not self.image.sceneBoundingRect().contains(pos):
            return None
        point = self.image.mapFromScene(pos)
        y, x = int(point.y()), int(point.x())
        if 0 <= y < len(self.order) and 0 <= x < len(self.order):
            return int(self.order[y]), int(self.order[x])
        return None

    def _on_mouse_clicked(self, event: Any) -> None:
        cell = self._cell_at(event.scenePos())
        if cell is not None:
            self.show_detail(*cell)

    def cell_scene_pos(self, row: int, col: int) -> QPointF:
        """Where the cell of texts `row` and `col` (input order) is, in scene coordinates."""
        x, y = int(self._position[col]), int(self._position[row])
        pos: QPointF = self.image.mapToScene(QPointF(x + 0.5, y + 0.5))
        return pos

    def _on_mouse_moved(self, pos: QPointF) -> None:
        cell = self._cell_at(pos)
        if cell is not None:
            self.hover_cell(*cell)


class ClusterView(_PaletteAware):
    """Texts as points in a 2-D PCA projection, coloured by k-means cluster, named on hover.

    Signals:
        point_hovered: the pointer is over a point. arg: the text's index.
    """

    point_hovered = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("clusters", parent)
        self.labels: list[str] = []
        self.clusters: npt.NDArray[np.int32] | None = None
        self.points: npt.NDArray[np.float64] | None = None
        self._items: list[pg.ScatterPlotItem] = []
        self._names: list[pg.TextItem] = []
        self.highlighted: list[int] = []
        self._rings = pg.ScatterPlotItem(size=18, brush=None, pxMode=True)
        self._rings.setZValue(10)
        item = self.plot.getPlotItem()
        item.showGrid(x=True, y=True, alpha=0.15)
        for side in ("left", "bottom"):
            item.getAxis(side).enableAutoSIPrefix(False)
        # The legend sits under the plot, not in it, so it never hides points.
        self.legend = QLabel(self)
        self.legend.setObjectName("clustersLegend")
        self.legend.setWordWrap(True)
        self._layout.addWidget(self.legend)
        self.hover_label.setText("Point at a dot to see its text.")

    def _apply_palette(self) -> None:
        super()._apply_palette()
        pal = self.palette()
        for item in getattr(self, "_items", ()):
            item.setPen(pg.mkPen(pal.color(QPalette.ColorRole.Base), width=0.8))
        back = QColor(pal.color(QPalette.ColorRole.Base))
        back.setAlpha(210)
        for name in getattr(self, "_names", ()):
            name.fill = pg.mkBrush(back)
            name.update()

    def set_data(
        self,
        labels: Sequence[str],
        points: npt.NDArray[np.float64],
        clusters: npt.NDArray[np.int32],
        explained: tuple[float, float] = (0.0, 0.0),
    ) -> None:
        """Shows `points` (n × 2) coloured by `clusters`, each named by `labels` on hover. Rings
        stay when the same texts are re-clustered."""
        same_texts = self.points is not None and list(labels) == self.labels
        rings = list(self.highlighted) if same_texts else []
        self.labels = list(labels)
        self.points = points
        self.clusters = clusters
        item = self.plot.getPlotItem()
        for old in [*self._items, *self._names]:
            item.removeItem(old)
        self._items.clear()
        self._names.clear()
        self.highlight([])
        legend: list[str] = []
        n = len(self.labels)
        size = 9 if n <= 500 else 6 if n <= 2000 else 4
        outline = pg.mkPen(self.palette().color(QPalette.ColorRole.Base), width=0.8)
        for cluster in range(int(clusters.max()) + 1 if n else 0):
            members = np.flatnonzero(clusters == cluster)
            scatter = pg.ScatterPlotItem(
                x=points[members, 0],
                y=points[members, 1],
                data=members,
                size=size,
                pen=outline,
                brush=pg.mkBrush(cluster_color(cluster)),
                hoverable=True,
                hoverSize=size + 5,
                tip=None,
            )
            legend.append(
                f"<span style='color:{cluster_color(cluster).name()}'>●</span>&nbsp;"
                f"Cluster&nbsp;{cluster + 1}&nbsp;({len(members):,})"
            )
            scatter.sigHovered.connect(self._on_hovered)
            item.addItem(scatter)
            self._items.append(scatter)
        # Each cluster is named on the map by its most central text (the dot nearest the
        # cluster's middle), so the picture says what the groups are without hovering.
        back = QColor(self.palette().color(QPalette.ColorRole.Base))
        back.setAlpha(210)
        x_low = float(points[:, 0].min()) if n else 0.0
        x_span = max(float(points[:, 0].max()) - x_low, 1e-9) if n else 1.0
        for cluster in range(int(clusters.max()) + 1 if n else 0):
            members = np.flatnonzero(clusters == cluster)
            middle = points[members].mean(axis=0)
            central = members[np.argmin(((points[members] - middle) ** 2).sum(axis=1))]
            # Near an edge the name grows inwards, so it is never cut off by the frame.
            where = (middle[0] - x_low) / x_span
            anchor_x, x = (
                (0.0, points[members, 0].min())
                if where < 0.33
                else (1.0, points[members, 0].max())
                if where > 0.67
                else (0.5, middle[0])
            )
            name = pg.TextItem(
                f"{cluster + 1} · {short(self.labels[central], 26)}",
                color=cluster_color(cluster).darker(115)
                if back.lightness() > 128
                else cluster_color(cluster).lighter(125),
                anchor=(anchor_x, 1.3),
                fill=pg.mkBrush(back),
            )
            name.setPos(float(x), float(points[members, 1].max()))
            item.addItem(name)
            self._names.append(name)
        item.setLabel("bottom", f"PC 1 · {explained[0]:.0%} of variance")
        item.setLabel("left", f"PC 2 · {explained[1]:.0%} of variance")
        if n:
            # The range from the data itself, now: pyqtgraph's auto-range waits for a paint and,
            # in a hidden tab, pads by pixel sizes it cannot know yet.
            low, high = points.min(axis=0), points.max(axis=0)
            span = np.maximum(high - low, 1e-9)
            item.getViewBox().setRange(
                xRange=(low[0] - 0.12 * span[0], high[0] + 0.12 * span[0]),
                # Room at the top for the cluster names written above the groups.
                yRange=(low[1] - 0.06 * span[1], high[1] + 0.14 * span[1]),
                padding=0,
            )
        self.legend.setText(" &nbsp; ".join(legend))
        self.highlight(rings)
        self._apply_palette()

    def highlight(self, indices: Sequence[int]) -> None:
        """Rings the dots of `indices` (the best search results); an empty list removes them."""
        item = self.plot.getPlotItem()
        if self._rings.scene() is not None:
            item.removeItem(self._rings)
        self.highlighted = [i for i in indices if self.points is not None and i < len(self.points)]
        if not self.highlighted or self.points is None:
            return
        ring = pg.mkPen(self.palette().color(QPalette.ColorRole.Text), width=2)
        chosen = self.points[self.highlighted]
        self._rings.setData(x=chosen[:, 0], y=chosen[:, 1], pen=ring, brush=None, size=18)
        item.addItem(self._rings)

    def grab_plot(self) -> Any:
        """The map with its legend underneath, as one QPixmap."""
        plot, legend = self.plot.grab(), self.legend.grab()
        combined = QPixmap(plot.width(), plot.height() + legend.height() + 6)
        combined.setDevicePixelRatio(plot.devicePixelRatio())
        combined.fill(self.palette().color(QPalette.ColorRole.Base))
        painter = QPainter(combined)
        ratio = plot.devicePixelRatio() or 1.0
        painter.drawPixmap(0, 0, plot)
        painter.drawPixmap(6, int(plot.height() / ratio) + 3, legend)
        painter.end()
        return combined

    def hover_point(self, index: int) -> None:
        """Shows the hover line for a text (what moving the pointer over its dot does)."""
        if self.clusters is None or not 0 <= index < len(self.labels):
            return
        cluster = int(self.clusters[index])
        self.hover_label.setText(
            f"<span style='color:{cluster_color(cluster).name()}'>●</span> "
            f"Cluster {cluster + 1} &nbsp; {index + 1}. {_html(short(self.labels[index], 110))}"
        )
        self.plot.setToolTip(f"{index + 1}. {short(self.labels[index], 120)}")
        self.point_hovered.emit(index)

    def point_scene_pos(self, index: int) -> QPointF:
        assert self.points is not None
        vb = self.plot.getPlotItem().getViewBox()
        pos: QPointF = vb.mapViewToScene(QPointF(*self.points[index]))
        return pos

    def _on_hovered(self, _item: object, points: Sequence[Any], _ev: object) -> None:
        if len(points):
            self.hover_point(int(points[0].data()))


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
