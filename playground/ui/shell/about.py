"""Help → About: what the app is, and the versions a bug report needs."""

from __future__ import annotations

import platform
import sys
from importlib import metadata

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from playground import APP_NAME, __version__
from playground.ui.shell.theme import app_icon

COMPONENTS = (
    "openai",
    "qasync",
    "tiktoken",
    "keyring",
    "genai-prices",
    "pillow",
    "platformdirs",
    "pygments",
)


def versions() -> list[tuple[str, str]]:
    """(component, version) pairs for About and the self-test; "not installed" where missing."""
    rows = [
        (APP_NAME, __version__),
        ("Python", f"{platform.python_version()} ({sys.platform})"),
        ("Qt", qVersion()),
        ("PySide6", pyside_version),
    ]
    for name in COMPONENTS:
        try:
            rows.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            rows.append((name, "not installed"))
    return rows


class AboutDialog(QDialog):
    def __init__(
        self, extra: list[tuple[str, str]] | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle(f"About {APP_NAME}")
        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(64, 64))
        rows = "".join(
            f"<tr><td style='padding-right:14px'>{k}</td><td><b>{v}</b></td></tr>"
            for k, v in versions() + (extra or [])
        )
        text = QLabel(
            f"<h2>{APP_NAME} {__version__}</h2>"
            "<p>A desktop playground for the OpenAI API and OpenAI-compatible servers.</p>"
            f"<table>{rows}</table>"
            "<p>Your API key stays in the system keyring. Requests you send through the API are not "
            "used to train OpenAI's models by default.</p>"
        )
        text.setWordWrap(True)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top = QHBoxLayout()
        top.addWidget(logo, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(text, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(buttons)
