"""A small coloured badge for a moderation verdict: "Flagged", "Not flagged", "Checking…", "Check failed".

Used by the Moderation tab (above each item's chart) and by the Chat tab's moderation check (in the
header of each turn). Light on imports: no plotting here.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QWidget

from playground.ui.shell.theme import is_dark

FLAGGED = "flagged"
CLEAR = "clear"
PENDING = "pending"
FAILED = "failed"
BLOCKED = "blocked"  # not flagged by the API, but over one of your thresholds

# (light background, light text, dark background, dark text)
_COLOURS: dict[str, tuple[str, str, str, str]] = {
    FLAGGED: ("#fbe3e1", "#a5221b", "#5c1f1c", "#ffb4ab"),
    BLOCKED: ("#fdebd3", "#8a4b00", "#533411", "#ffc27a"),
    CLEAR: ("#dff3e4", "#1e6b34", "#1d3d27", "#8fd9a8"),
    PENDING: ("#e8eaed", "#3c4043", "#3a3d42", "#c8cbd0"),
    FAILED: ("#e8eaed", "#5f6368", "#3a3d42", "#aeb2b8"),
}


def badge_colours(state: str) -> tuple[str, str]:
    """(background, text) for `state` in the current palette."""
    light_bg, light_fg, dark_bg, dark_fg = _COLOURS.get(state, _COLOURS[PENDING])
    return (dark_bg, dark_fg) if is_dark() else (light_bg, light_fg)


class ModerationBadge(QLabel):
    """A rounded label whose colours follow its state and the light/dark palette.

    It paints itself (no style sheet): a widget with a style sheet keeps the colours it was given
    when the application palette changes, and these must follow a switch to dark and back.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("moderationBadge")
        self.setAccessibleName("Moderation verdict")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.setContentsMargins(8, 1, 8, 1)
        font = self.font()
        font.setBold(True)
        self.setFont(font)
        self.state = PENDING
        self.set_state(PENDING, "")

    def set_state(self, state: str, text: str, tooltip: str = "") -> None:
        self.state = state
        self.setText(text)
        self.setToolTip(tooltip)
        self.setVisible(bool(text))
        self.update()

    def colours(self) -> tuple[str, str]:
        """(background, text) as painted now."""
        return badge_colours(self.state)

    def paintEvent(self, _event: QPaintEvent) -> None:
        bg, fg = self.colours()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(bg))
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        radius = min(8.0, rect.height() / 2)
        painter.drawRoundedRect(rect, radius, radius)
        painter.setPen(QColor(fg))
        painter.setFont(self.font())
        painter.drawText(self.contentsRect(), int(self.alignment()), self.text())
        painter.end()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.update()
        super().changeEvent(event)
