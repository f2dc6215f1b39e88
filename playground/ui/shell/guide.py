"""Help → Getting started: what each tab is for, the shortcuts that matter, where the key is kept
and what the money figures mean, in plain words, one window away from any tab.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from playground import APP_NAME
from playground.ui.shell.main_window import fit_to_screen

#: What each tab is for, in the order of the window's tabs (the guide lists them all).
TAB_PURPOSES: tuple[tuple[str, str], ...] = (
    ("Chat", "Talk with a model: ask, follow up, change its settings, save the conversation."),
    ("Images", "Make pictures from a description, or change a picture you give it."),
    (
        "Audio",
        "Turn text into speech, compare voices, turn speech into text, and talk with a model "
        "out loud.",
    ),
    (
        "Embeddings",
        "Turn texts into numbers that say how alike they are: find the closest, group them, "
        "sort them into your labels, spot the odd ones out.",
    ),
    ("Moderation", "Check texts and pictures for harmful content, category by category."),
    (
        "Compare",
        "Send one question to two or more models or settings and read the answers side by side.",
    ),
    ("Prompt Lab", "Try one prompt on many cases at once and score the answers."),
    (
        "Platform",
        "Your files on OpenAI, vector stores for file search, batch jobs at half price, and "
        "fine-tuning with a check of your training file.",
    ),
    ("Usage", "What you spent, by day, model and tab; budgets that ask before you overspend."),
)

#: The five shortcuts that matter (the keys, what they do).
SHORTCUTS: tuple[tuple[str, str], ...] = (
    ("Ctrl+Enter", "Send: ask, generate, check, embed (in any tab)."),
    ("Esc", "Stop the answer Chat is writing."),
    ("Ctrl+1 … Ctrl+9", "Go to a tab, with the cursor in its box (Ctrl+1 is Chat)."),
    ("Ctrl+N", "A new conversation in Chat (the old one stays in the list)."),
    ("Ctrl+,", "Settings: your key, other servers, prices."),
)


def guide_html(key_place: str) -> str:
    """The guide's text.

    Args:
        key_place: where this app keeps the key on this computer, in a sentence ("in the system
            keyring (GNOME Keyring)" or "in memory for this session only, because ...").
    """
    tabs = "".join(
        f"<tr><td style='padding-right:12px'><b>{escape(name)}</b></td><td>{escape(text)}</td></tr>"
        for name, text in TAB_PURPOSES
    )
    keys = "".join(
        f"<tr><td style='padding-right:12px'><b>{escape(k)}</b></td><td>{escape(t)}</td></tr>"
        for k, t in SHORTCUTS
    )
    return f"""
<h2>Getting started with {escape(APP_NAME)}</h2>
<p>{escape(APP_NAME)} lets you try what OpenAI's models can do, without writing code. Each tab
is one thing they can do. Every request is sent from this computer with your own key, and you
pay OpenAI for what it uses.</p>

<h3>The tabs</h3>
<table cellspacing="4">{tabs}</table>

<h3>Five keys worth knowing</h3>
<table cellspacing="4">{keys}</table>

<h3>Your key</h3>
<p>Your API key is kept {escape(key_place)}. It is never written to a file and never shown in
full. Change it or remove it in <b>File → Settings</b>. A key in the <code>OPENAI_API_KEY</code>
environment variable is used when none is stored.</p>

<h3>What the money figures mean</h3>
<p>The bar at the bottom of the window counts what you spend:</p>
<table cellspacing="4">
<tr><td style='padding-right:12px'><b>Draft</b></td>
<td>what the message you are typing would cost to send.</td></tr>
<tr><td style='padding-right:12px'><b>Last</b></td>
<td>what the last request used and cost.</td></tr>
<tr><td style='padding-right:12px'><b>Session</b></td>
<td>everything sent since you started {escape(APP_NAME)} this time.</td></tr>
<tr><td style='padding-right:12px'><b>Today</b></td>
<td>everything sent today, even across restarts.</td></tr>
<tr><td style='padding-right:12px'><b>≈</b></td>
<td>an estimate: counted on this computer, because the server did not say (or has not yet).
The bill may differ a little.</td></tr>
<tr><td style='padding-right:12px'><b>+ ?</b></td>
<td>some requests went to a model whose price is not known (a local or new model): the
figure leaves them out. Add its price in <b>Settings → Prices</b> to count it.</td></tr>
</table>
<p>Prices come from a published price table; OpenAI's usage page has the final word on what
you are billed.</p>
"""


class GettingStartedWindow(QDialog):
    """Help → Getting started: a plain-words guide, non-modal, kept open beside the main window."""

    def __init__(self, key_place: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gettingStarted")
        self.setWindowTitle(f"Getting started with {APP_NAME}")
        self.setModal(False)
        self.resize(640, 560)
        self.browser = QTextBrowser()
        self.browser.setObjectName("gettingStartedText")
        self.browser.setOpenExternalLinks(True)
        self.browser.setHtml(guide_html(key_place))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser, 1)
        layout.addWidget(buttons)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self._fitted = False

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._fitted:  # at a large text scale it would open past the screen's edge
            self._fitted = True
            fit_to_screen(self, QSize(360, 300))
