"""A clearly marked "coming soon" page for tabs whose feature has not landed yet."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from playground.ui.theme import icon


class ComingSoonTab(QWidget):
    """Says what the tab will do, so the window never shows an empty page."""

    def __init__(
        self, key: str, title: str, summary: str, bullets: list[str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName(f"{key}Tab")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 48, 48, 48)
        layout.addStretch(1)

        pic = QLabel()
        pic.setPixmap(icon(key).pixmap(56, 56))
        pic.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        pic.setEnabled(False)
        layout.addWidget(pic)

        heading = QLabel(f"<h2>{title}</h2>")
        heading.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(heading)

        badge = QLabel("Coming soon")
        badge.setObjectName("comingSoonBadge")
        badge.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        badge.setStyleSheet(
            "QLabel#comingSoonBadge { font-weight: 600; color: palette(highlight); }"
        )
        layout.addWidget(badge)

        items = "".join(f"<li>{b}</li>" for b in bullets)
        body = QLabel(f"<p>{summary}</p><ul>{items}</ul>")
        body.setWordWrap(True)
        body.setFixedWidth(
            520
        )  # a fixed width gives the rich-text label a height that fits every line
        body.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(body, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        # Ctrl+<n> puts the focus in the tab's main input; here that is the page itself.
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.main_input: QWidget = self
