"""A small coloured badge for a moderation verdict: "Flagged", "Not flagged", "Checking…", "Check failed".

Used by the Moderation tab (above each item's chart) and by the Chat tab's moderation check (in the
header of each turn). Light on imports: no plotting here.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QLabel, QWidget

from playground.ui.theme import is_dark

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
    """A rounded label whose colours follow its state and the light/dark palette."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("moderationBadge")
        self.setAccessibleName("Moderation verdict")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.state = PENDING
        self.set_state(PENDING, "")

    def set_state(self, state: str, text: str, tooltip: str = "") -> None:
        self.state = state
        self.setText(text)
        self.setToolTip(tooltip)
        self.setVisible(bool(text))
        self._restyle()

    def _restyle(self) -> None:
        bg, fg = badge_colours(self.state)
        sheet = (
            f"QLabel#moderationBadge {{ background: {bg}; color: {fg}; border-radius: 8px;"
            " padding: 1px 8px; font-weight: 600; }"
        )
        if sheet != self.styleSheet():  # a style sheet change can itself send PaletteChange
            self.setStyleSheet(sheet)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._restyle()
        super().changeEvent(event)
