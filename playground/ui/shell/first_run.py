"""The friendly first-run dialog: pick where requests go and paste a key, or skip for now."""

from __future__ import annotations

import re
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from playground import APP_NAME
from playground.ui.common.widgets import named, wrapped_label
from playground.ui.shell.theme import app_icon

#: What an OpenAI key looks like ("sk-…", "sk-proj-…"): a paste of one closes the dialog at once.
_KEY_SHAPE = re.compile(r"sk-[A-Za-z0-9_\-]{20,}")


def looks_like_key(text: str) -> bool:
    """Whether `text` has the shape of an OpenAI API key (not whether the server accepts it)."""
    return _KEY_SHAPE.fullmatch(text.strip()) is not None


@dataclass(frozen=True, slots=True)
class FirstRunChoice:
    """What the user picked. `preset` is "openai", "ollama", "lmstudio" or "" (set up later)."""

    preset: str
    api_key: str


class FirstRunDialog(QDialog):
    """Shown when no key is configured on the first start, instead of a failing first request.

    Pasting a whole key (the shape of one, `looks_like_key`) accepts the dialog at once: the next
    thing to do is typing the question, with no "Start" click in between.

    Args:
        keyring_notice: why the key can only be kept for this session ("" with a keyring).
        reason: why the dialog is shown again on a later start ("" on the first start); shown
            above the choices.
    """

    def __init__(
        self, keyring_notice: str, parent: QWidget | None = None, *, reason: str = ""
    ) -> None:
        super().__init__(parent)
        self.setObjectName("firstRunDialog")
        self.setWindowTitle(f"Welcome to {APP_NAME}" if not reason else "Your API key")
        self.setMinimumWidth(560)

        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(56, 56))
        heading = (
            f"<h2>Welcome to {APP_NAME}</h2>Try every part of the OpenAI API without writing code."
            if not reason
            else f"<h2>Your API key, please</h2>{reason}"
        )
        title = wrapped_label("firstRunHeading", heading)
        header = QHBoxLayout()
        header.addWidget(logo, 0, Qt.AlignmentFlag.AlignTop)
        header.addWidget(title, 1)

        self.openai_radio = QRadioButton("OpenAI — paste your API key")
        self.openai_radio.setObjectName("firstRunOpenAI")
        self.openai_radio.setChecked(True)
        self.ollama_radio = QRadioButton("Ollama on this computer (no key needed)")
        self.ollama_radio.setObjectName("firstRunOllama")
        self.lmstudio_radio = QRadioButton("LM Studio on this computer (no key needed)")
        self.lmstudio_radio.setObjectName("firstRunLMStudio")
        group = QButtonGroup(self)
        for b in (self.openai_radio, self.ollama_radio, self.lmstudio_radio):
            group.addButton(b)
        self.key_edit = named(QLineEdit(), "firstRunKey", "API key")
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("Paste your key here (sk-…)")
        self.key_edit.textEdited.connect(self._on_key_edited)
        where = (
            "It is kept in memory for this session only, never in a file."
            if reason
            else "It is kept in memory for this session only (see below), never in a file."
            if keyring_notice
            else "It is stored in your system's keyring, never in a file."
        )
        help_text = QLabel(
            'Create a key at <a href="https://platform.openai.com/api-keys">platform.openai.com/api-keys</a>. '
            f"{where} Other providers (Azure, vLLM, any OpenAI-compatible server) can be added later in "
            "Settings."
        )
        help_text.setOpenExternalLinks(True)
        help_text.setWordWrap(True)
        self.notice = wrapped_label("keyringNotice", keyring_notice)
        self.notice.setVisible(bool(keyring_notice) and not reason)  # the reason says it
        self.openai_radio.toggled.connect(self.key_edit.setEnabled)

        buttons = QDialogButtonBox()
        self.start_button = buttons.addButton("Start", QDialogButtonBox.ButtonRole.AcceptRole)
        self.start_button.setDefault(True)  # Enter in the key box starts too
        self.start_button.setObjectName("firstRunStart")
        self.later_button = buttons.addButton(
            "Set up later", QDialogButtonBox.ButtonRole.RejectRole
        )
        self.later_button.setObjectName("firstRunLater")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addSpacing(8)
        layout.addWidget(QLabel("<b>Where should requests go?</b>"))
        layout.addWidget(self.openai_radio)
        layout.addWidget(self.key_edit)
        layout.addWidget(help_text)
        layout.addWidget(self.ollama_radio)
        layout.addWidget(self.lmstudio_radio)
        layout.addWidget(self.notice)
        layout.addSpacing(8)
        layout.addWidget(buttons)
        self.key_edit.setFocus()

    def _on_key_edited(self, text: str) -> None:
        """A pasted key (a whole key arriving in one edit) accepts the dialog at once; a key typed
        by hand waits for Enter or Start (its last letter may not be typed yet)."""
        grew_by = len(text) - self._last_key_length
        self._last_key_length = len(text)
        if self.openai_radio.isChecked() and grew_by > 1 and looks_like_key(text):
            self.accept()

    _last_key_length = 0

    def choice(self) -> FirstRunChoice:
        if self.result() != QDialog.DialogCode.Accepted:
            return FirstRunChoice("", "")
        if self.ollama_radio.isChecked():
            return FirstRunChoice("ollama", "")
        if self.lmstudio_radio.isChecked():
            return FirstRunChoice("lmstudio", "")
        return FirstRunChoice("openai", self.key_edit.text().strip())
