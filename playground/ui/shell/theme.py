"""Light and dark palettes that follow the OS, and icons drawn in the palette's text colour.

Fusion everywhere: it looks the same on every OS and takes a palette completely, so dark mode is one
palette swap. Icons are SVGs written with `currentColor`; they are tinted when loaded, so one file works
in both palettes.
"""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QByteArray, QFile, QIODevice, QObject, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

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
    button, highlight = QColor(48, 51, 55), QColor(38, 132, 255)
    disabled = QColor(128, 131, 136)
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        p.setColor(group, QPalette.ColorRole.Window, window)
        p.setColor(group, QPalette.ColorRole.WindowText, text)
        p.setColor(group, QPalette.ColorRole.Base, base)
        p.setColor(group, QPalette.ColorRole.AlternateBase, QColor(42, 44, 48))
        p.setColor(group, QPalette.ColorRole.ToolTipBase, QColor(50, 53, 57))
        p.setColor(group, QPalette.ColorRole.ToolTipText, text)
        p.setColor(group, QPalette.ColorRole.PlaceholderText, QColor(140, 144, 150))
        p.setColor(group, QPalette.ColorRole.Text, text)
        p.setColor(group, QPalette.ColorRole.Button, button)
        p.setColor(group, QPalette.ColorRole.ButtonText, text)
        p.setColor(group, QPalette.ColorRole.BrightText, QColor(255, 90, 90))
        p.setColor(group, QPalette.ColorRole.Link, QColor(110, 170, 255))
        p.setColor(group, QPalette.ColorRole.Highlight, highlight)
        p.setColor(group, QPalette.ColorRole.HighlightedText, QColor(255, 255, 255))
        p.setColor(group, QPalette.ColorRole.Light, QColor(70, 73, 78))
        p.setColor(group, QPalette.ColorRole.Midlight, QColor(58, 61, 66))
        p.setColor(group, QPalette.ColorRole.Mid, QColor(44, 46, 50))
        p.setColor(group, QPalette.ColorRole.Dark, QColor(20, 21, 23))
        p.setColor(group, QPalette.ColorRole.Shadow, QColor(0, 0, 0))
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
    p.setColor(QPalette.ColorRole.Highlight, QColor(38, 118, 230))
    p.setColor(QPalette.ColorRole.Link, QColor(20, 100, 210))
    return p


def apply_theme(app: QApplication, preference: str = SYSTEM) -> str:
    """Applies Fusion with the light or dark palette; returns the scheme used.

    Args:
        preference: "system" (follow the OS), "light" or "dark".
    """
    if app.style().name().lower() != "fusion":
        app.setStyle("Fusion")
    scheme = system_scheme() if preference == SYSTEM else preference
    app.setPalette(dark_palette() if scheme == DARK else light_palette())
    icon.cache_clear()
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


@lru_cache(maxsize=128)
def icon(name: str, color: str = "") -> QIcon:
    """An icon from `:/icons/<name>.svg`, tinted with `color` or the palette's text colour."""
    tint = color or QApplication.palette().color(QPalette.ColorRole.ButtonText).name()
    f = QFile(f":/icons/{name}.svg")
    if not f.open(QIODevice.OpenModeFlag.ReadOnly):
        return QIcon()
    svg = bytes(f.readAll().data()).replace(b"currentColor", tint.encode())
    f.close()
    renderer = QSvgRenderer(QByteArray(svg))
    result = QIcon()
    for size in (16, 20, 24, 32, 48, 64):
        pm = QPixmap(QSize(size, size))
        pm.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pm)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        result.addPixmap(pm)
    return result


def app_icon() -> QIcon:
    return QIcon(":/icons/playground.svg")
