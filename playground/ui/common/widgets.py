"""Small widget builders the tabs and dialogs share."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel


def wrapped_label(name: str, text: str = "") -> QLabel:
    """A label that wraps its words (status lines, notes, hints), named `name` for styles and tests."""
    label = QLabel(text)
    label.setObjectName(name)
    label.setWordWrap(True)
    return label
