"""The mask painter: paint where the model may change the picture.

`MaskCanvas` shows the picture at a zoom level and keeps the mask as an 8-bit coverage image of
exactly the picture's size (255 = painted, "edit here"), so the exported mask can never be the
wrong size. `MaskPainter` puts a tool bar around it: brush and eraser, a brush-size slider, clear,
invert, undo/redo and zoom (Ctrl + wheel too). The export to the API's PNG (transparent = editable)
is `core.images_files.mask_png`, fed by `MaskCanvas.coverage()`.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from playground.ui.common.widgets import named

MAX_UNDO = 30
ZOOM_STEPS = (0.1, 0.125, 0.25, 0.33, 0.5, 0.67, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)
#: The painted area is shown in this colour over the picture (it is never exported).
OVERLAY = QColor(255, 40, 120, 150)


class MaskCanvas(QWidget):
    """The picture with its mask, painted with the mouse.

    Signals:
        mask_changed: the mask was painted, erased, cleared, inverted, undone or redone.
        zoom_changed: the zoom level changed. arg: the new zoom (1.0 = one screen pixel per pixel).
    """

    mask_changed = Signal()
    zoom_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("maskCanvas")
        self.setAccessibleName("Mask canvas: paint where the picture may change")
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, False)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self._image = QImage()
        self._mask = QImage()
        self._overlay = QImage()
        self._overlay_dirty = True
        self._zoom = 1.0
        self.brush_size = 48
        self.erasing = False
        self._last: QPointF | None = None
        self._undo: list[QImage] = []
        self._redo: list[QImage] = []

    # --- state -------------------------------------------------------------------------------

    def set_image(self, image: QImage) -> None:
        """Shows `image` with an empty mask of its size (undo history is cleared)."""
        self._image = image
        self._mask = QImage(image.size(), QImage.Format.Format_Grayscale8)
        self._mask.fill(0)
        self._undo.clear()
        self._redo.clear()
        self._changed(emit=False)
        self.updateGeometry()
        self.adjustSize()

    def image(self) -> QImage:
        return self._image

    def mask_image(self) -> QImage:
        """The coverage image (Grayscale8, the picture's size; 255 = painted)."""
        return self._mask

    def has_image(self) -> bool:
        return not self._image.isNull()

    def is_empty(self) -> bool:
        """True when nothing is painted."""
        if self._mask.isNull():
            return True
        return not any(self.coverage())

    def coverage(self) -> bytes:
        """The mask as `width * height` bytes, row by row (no line padding)."""
        mask = self._mask
        if mask.isNull():
            return b""
        width, height, stride = mask.width(), mask.height(), mask.bytesPerLine()
        bits = bytes(mask.constBits())
        if stride == width:
            return bits[: width * height]
        return b"".join(bits[row * stride : row * stride + width] for row in range(height))

    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    # --- edits -------------------------------------------------------------------------------

    def clear(self) -> None:
        if self._mask.isNull() or self.is_empty():
            return
        self._push_undo()
        self._mask.fill(0)
        self._changed()

    def invert(self) -> None:
        if self._mask.isNull():
            return
        self._push_undo()
        self._mask.invertPixels(QImage.InvertMode.InvertRgb)
        self._changed()

    def undo(self) -> None:
        if not self._undo:
            return
        self._redo.append(self._mask.copy())
        self._mask = self._undo.pop()
        self._changed()

    def redo(self) -> None:
        if not self._redo:
            return
        self._undo.append(self._mask.copy())
        self._mask = self._redo.pop()
        self._changed()

    def _push_undo(self) -> None:
        self._undo.append(self._mask.copy())
        del self._undo[:-MAX_UNDO]
        self._redo.clear()

    def _changed(self, *, emit: bool = True) -> None:
        self._overlay_dirty = True
        self.update()
        if emit:
            self.mask_changed.emit()

    # --- zoom --------------------------------------------------------------------------------

    def zoom(self) -> float:
        return self._zoom

    def set_zoom(self, zoom: float) -> None:
        zoom = max(ZOOM_STEPS[0], min(zoom, ZOOM_STEPS[-1]))
        if abs(zoom - self._zoom) < 1e-6:
            return
        self._zoom = zoom
        self.updateGeometry()
        self.adjustSize()
        self.update()
        self.zoom_changed.emit(zoom)

    def zoom_in(self) -> None:
        self.set_zoom(next((z for z in ZOOM_STEPS if z > self._zoom + 1e-6), ZOOM_STEPS[-1]))

    def zoom_out(self) -> None:
        smaller = [z for z in ZOOM_STEPS if z < self._zoom - 1e-6]
        self.set_zoom(smaller[-1] if smaller else ZOOM_STEPS[0])

    def fit_to(self, size: QSize) -> None:
        if self._image.isNull():
            return
        scale = min(size.width() / self._image.width(), size.height() / self._image.height())
        self.set_zoom(max(ZOOM_STEPS[0], min(scale, 1.0)))

    def sizeHint(self) -> QSize:
        if self._image.isNull():
            return QSize(320, 240)
        return QSize(
            max(1, round(self._image.width() * self._zoom)),
            max(1, round(self._image.height() * self._zoom)),
        )

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    # --- painting ----------------------------------------------------------------------------

    def to_image(self, pos: QPointF | QPoint) -> QPointF:
        """A widget position in picture pixels."""
        return QPointF(pos.x() / self._zoom, pos.y() / self._zoom)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._mask.isNull():
            super().mousePressEvent(event)
            return
        self._push_undo()
        point = self.to_image(event.position())
        self._last = point
        self._stroke(point, point)
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._last is None or not (event.buttons() & Qt.MouseButton.LeftButton):
            super().mouseMoveEvent(event)
            return
        point = self.to_image(event.position())
        self._stroke(self._last, point)
        self._last = point
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._last is not None and event.button() == Qt.MouseButton.LeftButton:
            self._last = None
            self.mask_changed.emit()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def _stroke(self, start: QPointF, end: QPointF) -> None:
        painter = QPainter(self._mask)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        value = 0 if self.erasing else 255
        pen = QPen(
            QColor(value, value, value),
            self.brush_size,
            Qt.PenStyle.SolidLine,
            Qt.PenCapStyle.RoundCap,
            Qt.PenJoinStyle.RoundJoin,
        )
        painter.setPen(pen)
        if start == end:
            painter.drawPoint(start)
        else:
            painter.drawLine(start, end)
        painter.end()
        self._overlay_dirty = True
        radius = self.brush_size / 2 + 2
        left, right = min(start.x(), end.x()) - radius, max(start.x(), end.x()) + radius
        top, bottom = min(start.y(), end.y()) - radius, max(start.y(), end.y()) + radius
        z = self._zoom
        self.update(
            QRect(
                int(left * z),
                int(top * z),
                int((right - left) * z) + 2,
                int((bottom - top) * z) + 2,
            )
        )

    def paint_stroke(self, points: list[QPointF]) -> None:
        """Paints (or erases) a stroke through `points`, in picture pixels, as one undo step."""
        if self._mask.isNull() or not points:
            return
        self._push_undo()
        for start, end in zip(points, points[1:] or points, strict=False):
            self._stroke(start, end)
        self.mask_changed.emit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            if event.angleDelta().y() > 0:
                self.zoom_in()
            elif event.angleDelta().y() < 0:
                self.zoom_out()
            event.accept()
            return
        super().wheelEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: ARG002 (the whole view is cheap)
        painter = QPainter(self)
        if self._image.isNull():
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(
                self.rect(), Qt.AlignmentFlag.AlignCenter, "Add a picture to paint its mask"
            )
            painter.end()
            return
        target = QRect(QPoint(0, 0), self.sizeHint())
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self._zoom < 1.0)
        painter.drawImage(target, self._image)
        if self._overlay_dirty:
            self._overlay = QImage(self._mask.size(), QImage.Format.Format_ARGB32_Premultiplied)
            self._overlay.fill(OVERLAY)
            self._overlay.setAlphaChannel(self._scaled_alpha())
            self._overlay_dirty = False
        painter.drawImage(target, self._overlay)
        painter.end()

    def _scaled_alpha(self) -> QImage:
        """The mask with 255 turned into the overlay's alpha."""
        alpha = self._mask.copy()
        # Grayscale 255 -> OVERLAY.alpha(): scale by drawing the mask at reduced opacity on black.
        scaled = QImage(alpha.size(), QImage.Format.Format_Grayscale8)
        scaled.fill(0)
        painter = QPainter(scaled)
        painter.setOpacity(OVERLAY.alphaF())
        painter.drawImage(0, 0, alpha)
        painter.end()
        return scaled


class MaskPainter(QWidget):
    """`MaskCanvas` in a scroll area, with its tools.

    Signals:
        mask_changed: forwarded from the canvas.
    """

    mask_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("maskPainter")
        self.canvas = MaskCanvas()
        self.canvas.mask_changed.connect(self._on_mask_changed)
        self.canvas.zoom_changed.connect(self._on_zoom_changed)

        def tool(name: str, text: str, tip: str, checkable: bool = False) -> QToolButton:
            button = QToolButton()
            button.setObjectName(name)
            button.setText(text)
            button.setToolTip(tip)
            button.setAccessibleName(tip.split(" (")[0])
            button.setCheckable(checkable)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            return button

        self.brush_button = tool("maskBrush", "Brush", "Paint the area to change (B)", True)
        self.eraser_button = tool("maskEraser", "Eraser", "Erase painted area (E)", True)
        self.brush_button.setChecked(True)
        self.brush_button.setShortcut(QKeySequence("B"))
        self.eraser_button.setShortcut(QKeySequence("E"))
        group = QButtonGroup(self)
        group.setExclusive(True)
        group.addButton(self.brush_button)
        group.addButton(self.eraser_button)
        self.eraser_button.toggled.connect(self._on_eraser_toggled)
        self.size_slider = named(QSlider(Qt.Orientation.Horizontal), "maskBrushSize", "Brush size")
        self.size_slider.setRange(4, 400)
        self.size_slider.setValue(self.canvas.brush_size)
        self.size_slider.setMinimumWidth(80)
        self.size_slider.setMaximumWidth(160)
        self.size_label = QLabel()
        self.size_slider.valueChanged.connect(self._on_size_changed)
        self._on_size_changed(self.size_slider.value())
        self.clear_button = tool("maskClear", "Clear", "Clear the whole mask")
        self.invert_button = tool("maskInvert", "Invert", "Swap painted and unpainted areas")
        self.undo_button = tool("maskUndo", "Undo", "Undo the last stroke (Ctrl+Z)")
        self.redo_button = tool("maskRedo", "Redo", "Redo (Ctrl+Shift+Z)")
        self.undo_button.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_button.setShortcut(QKeySequence.StandardKey.Redo)
        self.zoom_out_button = tool("maskZoomOut", "−", "Zoom out (Ctrl+wheel)")
        self.zoom_in_button = tool("maskZoomIn", "+", "Zoom in (Ctrl+wheel)")
        self.fit_button = tool("maskFit", "Fit", "Fit the picture in the view")
        self.zoom_label = QLabel("100 %")
        self.zoom_label.setMinimumWidth(44)
        self.clear_button.clicked.connect(self.canvas.clear)
        self.invert_button.clicked.connect(self.canvas.invert)
        self.undo_button.clicked.connect(self.canvas.undo)
        self.redo_button.clicked.connect(self.canvas.redo)
        self.zoom_in_button.clicked.connect(self.canvas.zoom_in)
        self.zoom_out_button.clicked.connect(self.canvas.zoom_out)
        self.fit_button.clicked.connect(self.fit)

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.setSpacing(4)
        for widget in (self.brush_button, self.eraser_button, self.size_slider, self.size_label):
            bar.addWidget(widget)
        bar.addSpacing(8)
        for widget in (self.clear_button, self.invert_button, self.undo_button, self.redo_button):
            bar.addWidget(widget)
        bar.addStretch(1)
        for widget in (self.zoom_out_button, self.zoom_label, self.zoom_in_button, self.fit_button):
            bar.addWidget(widget)

        self.scroll_area = QScrollArea()
        self.scroll_area.setObjectName("maskScroll")
        self.scroll_area.setWidget(self.canvas)
        self.scroll_area.setWidgetResizable(False)
        self.scroll_area.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint = QLabel(
            "Paint over what should change; the rest stays. No paint: the model may change "
            "everything."
        )
        self.hint.setWordWrap(True)
        self.hint.setObjectName("maskHint")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.scroll_area, 1)
        layout.addWidget(self.hint)
        self._update_buttons()

    def set_image(self, image: QImage) -> None:
        self.canvas.set_image(image)
        self.fit()
        self._update_buttons()

    def fit(self) -> None:
        viewport = self.scroll_area.viewport().size()
        if viewport.width() < 50 or viewport.height() < 50:
            viewport = QSize(640, 480)
        self.canvas.fit_to(viewport - QSize(4, 4))

    def _on_size_changed(self, value: int) -> None:
        self.canvas.brush_size = value
        self.size_label.setText(f"{value} px")

    def _on_eraser_toggled(self, on: bool) -> None:
        self.canvas.erasing = on

    def _on_zoom_changed(self, zoom: float) -> None:
        self.zoom_label.setText(f"{round(zoom * 100)} %")

    def _on_mask_changed(self) -> None:
        self._update_buttons()
        self.mask_changed.emit()

    def _update_buttons(self) -> None:
        has = self.canvas.has_image()
        self.undo_button.setEnabled(self.canvas.can_undo())
        self.redo_button.setEnabled(self.canvas.can_redo())
        for button in (self.clear_button, self.invert_button, self.fit_button):
            button.setEnabled(has)
