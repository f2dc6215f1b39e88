"""Two small charts for the Fine-tuning page, drawn with QPainter in the palette's colours:
the example-length histogram and the training/validation loss curves."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

_MARGIN = 26.0


class _Chart(QWidget):
    def __init__(self, name: str, accessible: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setAccessibleName(accessible)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(110)
        self.message = ""

    def sizeHint(self) -> QSize:
        return QSize(360, 120)

    def _frame(self, painter: QPainter) -> QRectF:
        palette = self.palette()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        area = QRectF(self.rect()).adjusted(_MARGIN + 8, 8, -8, -_MARGIN + 6)
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
        painter.drawLine(area.bottomLeft(), area.bottomRight())
        painter.drawLine(area.bottomLeft(), area.topLeft())
        return area

    def _empty(self, painter: QPainter) -> None:
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.message)


class LengthHistogram(_Chart):
    """Bars: how many examples fall in each token-length range."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("doctorHistogram", "Example lengths", parent)
        self.bins: list[tuple[int, int, int]] = []
        self.message = "Example lengths appear here after a check."

    def set_bins(self, bins: list[tuple[int, int, int]]) -> None:
        self.bins = bins
        self.setToolTip(
            "\n".join(f"{low:,}–{high:,} tokens: {count:,} examples" for low, high, count in bins)
        )
        self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        if not self.bins:
            self._empty(painter)
            return
        area = self._frame(painter)
        top = max(count for _l, _h, count in self.bins) or 1
        width = area.width() / len(self.bins)
        colour = self.palette().color(QPalette.ColorRole.Highlight)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        for i, (_low, _high, count) in enumerate(self.bins):
            height = area.height() * count / top
            painter.drawRect(
                QRectF(area.left() + i * width + 1, area.bottom() - height, width - 2, height)
            )
        painter.setPen(self.palette().color(QPalette.ColorRole.Text))
        low, high = self.bins[0][0], self.bins[-1][1]
        painter.drawText(
            QRectF(area.left(), area.bottom() + 2, area.width(), 18),
            Qt.AlignmentFlag.AlignLeft,
            f"≈{low:,} tok",
        )
        painter.drawText(
            QRectF(area.left(), area.bottom() + 2, area.width(), 18),
            Qt.AlignmentFlag.AlignRight,
            f"≈{high:,} tok",
        )
        painter.drawText(
            QRectF(0, area.top() - 2, _MARGIN + 4, 18), Qt.AlignmentFlag.AlignRight, f"{top:,}"
        )


class LossChart(_Chart):
    """Lines: training loss (and validation loss) by step, from the job's metrics events."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("fineTuneLoss", "Training and validation loss", parent)
        self.train: list[tuple[int, float]] = []
        self.valid: list[tuple[int, float]] = []
        self.message = "The loss curves appear here while a job trains."

    def set_points(self, train: list[tuple[int, float]], valid: list[tuple[int, float]]) -> None:
        self.train, self.valid = train, valid
        last = f"training loss {train[-1][1]:.4f}" if train else ""
        if valid:
            last += f", validation loss {valid[-1][1]:.4f}"
        self.setToolTip(f"Step {train[-1][0]}: {last}" if train else "")
        self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        if not self.train:
            self._empty(painter)
            return
        area = self._frame(painter)
        points = self.train + self.valid
        steps = max(s for s, _v in points) or 1
        top = max(v for _s, v in points) or 1.0

        def at(step: int, value: float) -> QPointF:
            x = area.left() + area.width() * (step - 1) / max(steps - 1, 1)
            return QPointF(x, area.bottom() - area.height() * value / top)

        highlight = self.palette().color(QPalette.ColorRole.Highlight)
        other = QColor("#e8710a")
        for series, colour in ((self.train, highlight), (self.valid, other)):
            if series:
                painter.setPen(QPen(colour, 2))
                painter.drawPolyline(QPolygonF([at(s, v) for s, v in series]))
        painter.setPen(self.palette().color(QPalette.ColorRole.Text))
        legend = "— training" + ("   — validation (orange)" if self.valid else "")
        painter.drawText(
            QRectF(area.left(), area.bottom() + 2, area.width(), 18),
            Qt.AlignmentFlag.AlignLeft,
            f"{legend}   step {steps:,}",
        )
        painter.drawText(
            QRectF(0, area.top() - 2, _MARGIN + 4, 18), Qt.AlignmentFlag.AlignRight, f"{top:.2f}"
        )
