"""Light and dark palettes that follow the OS, and icons drawn in the palette's text colour.

Fusion everywhere: it looks the same on every OS and takes a palette completely, so dark mode is one
palette swap. Icons are SVGs written with `currentColor`, tinted each time they are drawn with the
colour the palette has *then* (button text, disabled text, highlighted text), so an icon made before a
switch to dark follows it without anyone re-setting it.

Contrast (WCAG 2.1 AA): text 4.5:1 on its background, the borders that show where a control is
(check boxes, radio buttons, text fields) 3:1. Fusion draws those borders a shade darker than the
window, which is about 1.2:1 in the dark palette; `PlaygroundStyle` draws them again in
`control_border`, chosen from the palette to meet 3:1.
"""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QByteArray, QFile, QIODevice, QObject, QRect, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QIcon,
    QIconEngine,
    QPainter,
    QPalette,
    QPen,
    QPixmap,
)
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import (
    QApplication,
    QProxyStyle,
    QStyle,
    QStyleFactory,
    QStyleOption,
    QWidget,
)

from playground.ui import _rc  # noqa: F401  (registers the compiled resources)

LIGHT = "light"
DARK = "dark"
SYSTEM = "system"


def system_scheme() -> str:
    """The OS colour scheme: "dark" or "light" (unknown counts as light)."""
    hints = QGuiApplication.styleHints()
    return DARK if hints.colorScheme() == Qt.ColorScheme.Dark else LIGHT


def dark_palette() -> QPalette:
    p = QPalette()
    window, base, text = QColor(36, 38, 41), QColor(27, 29, 31), QColor(230, 232, 235)
    # The highlight is dark enough for white text on it (4.5:1, WCAG AA): selected rows, the
    # default button.
    button, highlight = QColor(48, 51, 55), QColor(28, 106, 214)
    disabled = QColor(128, 131, 136)
    roles = {
        QPalette.ColorRole.Window: window,
        QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base,
        QPalette.ColorRole.AlternateBase: QColor(42, 44, 48),
        QPalette.ColorRole.ToolTipBase: QColor(50, 53, 57),
        QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.PlaceholderText: QColor(140, 144, 150),
        QPalette.ColorRole.Text: text,
        QPalette.ColorRole.Button: button,
        QPalette.ColorRole.ButtonText: text,
        QPalette.ColorRole.BrightText: QColor(255, 90, 90),
        QPalette.ColorRole.Link: QColor(110, 170, 255),
        QPalette.ColorRole.Highlight: highlight,
        QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
        QPalette.ColorRole.Light: QColor(70, 73, 78),
        QPalette.ColorRole.Midlight: QColor(58, 61, 66),
        QPalette.ColorRole.Mid: QColor(44, 46, 50),
        QPalette.ColorRole.Dark: QColor(20, 21, 23),
        QPalette.ColorRole.Shadow: QColor(0, 0, 0),
    }
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        for role, colour in roles.items():
            p.setColor(group, role, colour)
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Base, window)
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Button, window)
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Window, window)
    return p


def light_palette() -> QPalette:
    style = QApplication.style()
    p = style.standardPalette()
    # White on the highlight and the placeholder on a field both reach 4.5:1 (WCAG AA); Fusion's
    # own placeholder (half-transparent black) is 3.9:1.
    p.setColor(QPalette.ColorRole.Highlight, QColor(28, 104, 212))
    p.setColor(QPalette.ColorRole.Link, QColor(20, 100, 210))
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        p.setColor(group, QPalette.ColorRole.PlaceholderText, QColor(112, 112, 112))
    return p


def apply_theme(app: QApplication, preference: str = SYSTEM) -> str:
    """Applies Fusion with the light or dark palette; returns the scheme used.

    Args:
        preference: "system" (follow the OS), "light" or "dark".
    """
    if not isinstance(app.style(), PlaygroundStyle):
        app.setStyle(PlaygroundStyle())
    scheme = system_scheme() if preference == SYSTEM else preference
    app.setPalette(dark_palette() if scheme == DARK else light_palette())
    return scheme


def is_dark(palette: QPalette | None = None) -> bool:
    pal = palette or QApplication.palette()
    return pal.color(QPalette.ColorRole.Window).lightness() < 128


def follow_system(app: QApplication, preference: str, on_change: object = None) -> QObject:
    """Re-applies the palette whenever the OS switches light/dark (only with the "system" preference)."""
    hints = QGuiApplication.styleHints()

    def _changed(_scheme: Qt.ColorScheme) -> None:
        if preference == SYSTEM:
            apply_theme(app, SYSTEM)
            if callable(on_change):
                on_change()

    hints.colorSchemeChanged.connect(_changed)
    return hints


# --- contrast ------------------------------------------------------------------------------------


def relative_luminance(color: QColor) -> float:
    """WCAG 2.1 relative luminance of an opaque colour (0 black … 1 white)."""

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(color.redF())
        + 0.7152 * channel(color.greenF())
        + 0.0722 * channel(color.blueF())
    )


def contrast_ratio(a: QColor, b: QColor) -> float:
    """WCAG 2.1 contrast ratio of colour `a` drawn on the opaque colour `b`, 1 … 21 (a translucent
    `a`, like Fusion's placeholder text, is blended onto `b` first)."""
    if a.alphaF() < 1.0:
        alpha = a.alphaF()
        a = QColor.fromRgbF(
            a.redF() * alpha + b.redF() * (1 - alpha),
            a.greenF() * alpha + b.greenF() * (1 - alpha),
            a.blueF() * alpha + b.blueF() * (1 - alpha),
        )
    la, lb = relative_luminance(a), relative_luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def control_border(palette: QPalette) -> QColor:
    """The outline of a check box, radio button or text field: the palette's text colour mixed
    into its window colour just far enough to reach 3:1 against the window, the field (Base)
    and a button (WCAG 2.1, non-text contrast)."""
    group = QPalette.ColorGroup.Active
    text = palette.color(group, QPalette.ColorRole.WindowText)
    grounds = [
        palette.color(group, role)
        for role in (QPalette.ColorRole.Window, QPalette.ColorRole.Base, QPalette.ColorRole.Button)
    ]
    window = grounds[0]
    mixed = text
    for step in range(40, 101, 5):  # from 40 % text towards all text
        t = step / 100
        mixed = QColor.fromRgbF(
            window.redF() + (text.redF() - window.redF()) * t,
            window.greenF() + (text.greenF() - window.greenF()) * t,
            window.blueF() + (text.blueF() - window.blueF()) * t,
        )
        if all(contrast_ratio(mixed, ground) >= 3.0 for ground in grounds):
            return mixed
    return mixed


_borders: dict[int, QColor] = {}


def _cached_border(palette: QPalette) -> QColor:
    """`control_border` once per palette (it is asked on every paint of every box)."""
    key = palette.cacheKey()
    color = _borders.get(key)
    if color is None:
        if len(_borders) > 64:
            _borders.clear()
        color = _borders[key] = control_border(palette)
    return color


class PlaygroundStyle(QProxyStyle):
    """Fusion, with the outlines of check boxes, radio buttons and text fields drawn in
    `control_border` so an empty box can be seen in both palettes."""

    def __init__(self) -> None:
        super().__init__(QStyleFactory.create("Fusion"))
        self.setObjectName("PlaygroundStyle")

    def drawPrimitive(
        self,
        element: QStyle.PrimitiveElement,
        option: QStyleOption,
        painter: QPainter,
        widget: QWidget | None = None,
    ) -> None:
        super().drawPrimitive(element, option, painter, widget)
        if element not in _OUTLINED or not option.state & QStyle.StateFlag.State_Enabled:
            return
        rect = QRectF(option.rect)
        if element == QStyle.PrimitiveElement.PE_FrameLineEdit:
            if option.rect.height() < 6 or option.state & QStyle.StateFlag.State_HasFocus:
                return  # the focus frame (highlight colour) is already strong
            radius = 2.0
        elif element == QStyle.PrimitiveElement.PE_IndicatorRadioButton:
            side = min(rect.width(), rect.height())
            rect = QRectF(rect.x(), rect.y(), side, side)
            radius = side / 2
        else:
            radius = 1.0
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pen = QPen(_cached_border(option.palette))
        pen.setWidthF(1.0)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), radius, radius)
        painter.restore()


_OUTLINED = (
    QStyle.PrimitiveElement.PE_IndicatorCheckBox,
    QStyle.PrimitiveElement.PE_IndicatorRadioButton,
    QStyle.PrimitiveElement.PE_IndicatorItemViewItemCheck,
    QStyle.PrimitiveElement.PE_FrameLineEdit,
)


# --- icons ---------------------------------------------------------------------------------------


def icon_color(mode: QIcon.Mode, palette: QPalette | None = None) -> QColor:
    """The colour an icon is drawn in for `mode`: button text, the disabled text colour, or the
    highlighted text colour on a selected row."""
    pal = palette or QApplication.palette()
    if mode == QIcon.Mode.Disabled:
        return pal.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText)
    if mode == QIcon.Mode.Selected:
        return pal.color(QPalette.ColorGroup.Active, QPalette.ColorRole.HighlightedText)
    return pal.color(QPalette.ColorGroup.Active, QPalette.ColorRole.ButtonText)


@lru_cache(maxsize=64)
def _svg(name: str) -> bytes:
    f = QFile(f":/icons/{name}.svg")
    if not f.open(QIODevice.OpenModeFlag.ReadOnly):
        return b""
    data = bytes(f.readAll().data())
    f.close()
    return data


@lru_cache(maxsize=512)
def _tinted(name: str, color: str, width: int, height: int) -> QPixmap:
    renderer = QSvgRenderer(QByteArray(_svg(name).replace(b"currentColor", color.encode())))
    pm = QPixmap(QSize(width, height))
    pm.fill(Qt.GlobalColor.transparent)
    side = min(width, height)
    painter = QPainter(pm)
    renderer.render(painter, QRectF((width - side) / 2, (height - side) / 2, side, side))
    painter.end()
    return pm


class _PaletteIconEngine(QIconEngine):
    """Draws `:/icons/<name>.svg` in the colour the application palette gives its mode at the
    moment it is drawn (or in a fixed colour)."""

    def __init__(self, name: str, color: str = "") -> None:
        super().__init__()
        self._name = name
        self._color = color

    def _color_for(self, mode: QIcon.Mode) -> str:
        if self._color:
            if mode == QIcon.Mode.Disabled:
                return icon_color(mode).name()
            return self._color
        return icon_color(mode).name()

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:  # noqa: ARG002
        width, height = max(size.width(), 1), max(size.height(), 1)
        return QPixmap(_tinted(self._name, self._color_for(mode), width, height))

    def scaledPixmap(
        self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float
    ) -> QPixmap:
        pm = self.pixmap(
            QSize(round(size.width() * scale), round(size.height() * scale)), mode, state
        )
        pm.setDevicePixelRatio(scale)
        return pm

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        ratio = painter.device().devicePixelRatioF() if painter.device() is not None else 1.0
        pm = self.scaledPixmap(rect.size(), mode, state, ratio)
        painter.drawPixmap(rect, pm)

    def actualSize(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QSize:  # noqa: ARG002
        return size

    def availableSizes(
        self,
        mode: QIcon.Mode = QIcon.Mode.Normal,  # noqa: ARG002
        state: QIcon.State = QIcon.State.Off,  # noqa: ARG002
    ) -> list[QSize]:
        return [QSize(s, s) for s in (16, 20, 24, 32, 48, 64)]

    def isNull(self) -> bool:
        return not _svg(self._name)

    def key(self) -> str:
        return "PlaygroundPaletteIcon"

    def iconName(self) -> str:
        return self._name

    def clone(self) -> QIconEngine:
        return _PaletteIconEngine(self._name, self._color)


@lru_cache(maxsize=128)
def icon(name: str, color: str = "") -> QIcon:
    """An icon from `:/icons/<name>.svg` that follows the palette: drawn in its button text colour,
    its disabled text colour when the control is disabled and its highlighted text colour when
    selected, re-tinted on every palette change. With `color`, always that colour (but disabled
    still looks disabled). A missing file gives a null icon."""
    if not _svg(name):
        return QIcon()
    return QIcon(_PaletteIconEngine(name, color))


def app_icon() -> QIcon:
    return QIcon(":/icons/playground.svg")
