"""The logprobs lens: each output token coloured by how sure the model was, alternatives on hover.

Green means the model was confident (probability near 1), through yellow, to red for tokens it picked
among close alternatives. Hovering a token shows its top alternatives with their probabilities;
clicking pins them in the details line below.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QColor, QCursor
from PySide6.QtWidgets import QTextBrowser, QToolTip, QVBoxLayout, QWidget

from playground.core.chat.service import TokenLogprob
from playground.ui.common.widgets import named, wrapped_label
from playground.ui.shell.theme import is_dark


def probability_color(probability: float, *, dark: bool) -> QColor:
    """A background for a token: red (unsure) through amber to green (sure), readable on the palette."""
    p = min(max(probability, 0.0), 1.0)
    hue = 120.0 * p  # 0 = red, 120 = green
    return QColor.fromHsv(int(hue), 150 if dark else 90, 90 if dark else 255)


def alternatives_text(token: TokenLogprob) -> str:
    """Plain-text lines: the chosen token and each alternative with its probability."""
    lines = [f"{_show(token.token)}  {token.probability:.1%}  (chosen)"]
    for alt, logprob in token.top:
        if alt == token.token:
            continue
        lines.append(f"{_show(alt)}  {math.exp(logprob):.1%}")
    return "\n".join(lines)


def _show(token: str) -> str:
    return repr(token)[1:-1] if token.strip() != token or not token else token


class LogprobsView(QWidget):
    """Shows one answer's tokens coloured by probability.

    Signals:
        token_selected: a token was clicked. arg: its index.
    """

    token_selected = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("logprobsView")
        self.browser = named(QTextBrowser(), "logprobsTokens", "Tokens coloured by probability")
        self.browser.setOpenLinks(False)
        self.browser.setMouseTracking(True)
        self.details = wrapped_label(
            "logprobsDetails", "Hover a token to see what else the model considered."
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.browser, 1)
        layout.addWidget(self.details)
        self._tokens: list[TokenLogprob] = []
        self.browser.highlighted.connect(self._on_highlighted)
        self.browser.anchorClicked.connect(self._on_clicked)

    def set_tokens(self, tokens: Sequence[TokenLogprob]) -> None:
        self._tokens = list(tokens)
        dark = is_dark()
        fg = "#f0f0f0" if dark else "#111111"
        spans = []
        for i, token in enumerate(self._tokens):
            bg = probability_color(token.probability, dark=dark).name()
            text = html.escape(token.token).replace("\n", "<br>")
            spans.append(
                f'<a href="tok:{i}" style="background-color:{bg}; color:{fg}; text-decoration:none">{text}</a>'
            )
        self.browser.setHtml(
            f"<div style='white-space:pre-wrap; line-height:150%'>{''.join(spans)}</div>"
        )
        if self._tokens:
            mean = sum(t.probability for t in self._tokens) / len(self._tokens)
            sure = sum(1 for t in self._tokens if t.probability >= 0.9)
            self.details.setText(
                f"{len(self._tokens):,} tokens · average probability {mean:.0%} · "
                f"{sure:,} chosen with 90% or more. Hover a token for its alternatives."
            )

    def token_details(self, index: int) -> str:
        return alternatives_text(self._tokens[index])

    def _index(self, url: QUrl) -> int | None:
        text = url.toString()
        if not text.startswith("tok:"):
            return None
        index = int(text[4:])
        return index if 0 <= index < len(self._tokens) else None

    def _on_highlighted(self, url: QUrl) -> None:
        index = self._index(url)
        if index is None:
            QToolTip.hideText()
            return
        QToolTip.showText(QCursor.pos(), self.token_details(index), self.browser)

    def _on_clicked(self, url: QUrl) -> None:
        index = self._index(url)
        if index is None:
            return
        self.details.setText(self.token_details(index).replace("\n", "   ·   "))
        self.token_selected.emit(index)
