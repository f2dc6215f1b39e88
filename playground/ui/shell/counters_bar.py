"""The status-bar counters: the draft estimate, the last request, and totals for the session and today."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QMouseEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QWidget

from playground.core.money.formatting import (
    cost_tooltip,
    format_cost,
    format_cost_full,
    format_tokens,
    format_total,
    unpriced_explanation,
)
from playground.ui.common.widgets import named

if TYPE_CHECKING:  # the bar is part of the window shell, built before the core is loaded
    from playground.core.models import Usage, UsageTotals

#: Characters a counter keeps before it elides ("Today: $0.…"): enough to tell which one it is.
_MIN_CHARS = 12


def _separator() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.VLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    return line


class ElidingLabel(QLabel):
    """A one-line label that shrinks with "…" instead of being cut off when the status bar is too
    narrow (a large text scale, a small window); its tooltip then starts with the whole text.

    `text()` is always the whole text; `shown_text()` is what is painted.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self._tip = ""
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:
        self._full = text
        self._elide()
        self.updateGeometry()

    def text(self) -> str:
        return self._full

    def shown_text(self) -> str:
        return super().text()

    def setToolTip(self, tip: str) -> None:
        self._tip = tip
        self._elide()

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        width = self.fontMetrics().horizontalAdvance(self._full) + 2 * self.margin() + 2
        return QSize(width, hint.height())

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        width = self.fontMetrics().horizontalAdvance(self._full[:_MIN_CHARS] + "…")
        return QSize(min(width, self.sizeHint().width()), hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._elide()

    def _elide(self) -> None:
        metrics = self.fontMetrics()
        room = self.contentsRect().width()
        shown = self._full
        if self.isVisible():  # else not laid out yet: its width means nothing
            shown = metrics.elidedText(self._full, Qt.TextElideMode.ElideRight, max(room, 0))
        super().setText(shown)
        cut = shown != self._full
        super().setToolTip(f"{self._full}\n\n{self._tip}" if cut and self._tip else self._tip)


class _ClickableLabel(ElidingLabel):
    """An eliding label that emits `clicked` (the totals open the Usage page).

    Signals:
        clicked: the label was clicked with the left button.
    """

    clicked = Signal()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(
            event.position().toPoint()
        ):
            self.clicked.emit()


class CountersBar(QWidget):
    """Four small read-outs that sit in the status bar. Only ever updated from the GUI thread.

    When the bar is too narrow for all four, each shrinks with "…" (the whole text is in its
    tooltip) instead of being cut off.

    Signals:
        usage_requested: the session or today's totals, or the budget read-out, were clicked.
        price_requested: the last request's cost was clicked (explain it).
        limits_requested: the rate-limit read-out was clicked (show the gauges).
    """

    usage_requested = Signal()
    price_requested = Signal()
    limits_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("countersBar")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self.draft_label = self._label(
            "draftCounter",
            "Draft: —",
            "What the message you are typing will cost to send (estimate).",
        )
        self.last_label = self._label(
            "lastCounter", "Last: —", "What the last request really used, as the server reported."
        )
        self.session_label = self._label(
            "sessionCounter", "Session: $0", "Everything sent since Playground started."
        )
        self.today_label = self._label(
            "todayCounter", "Today: $0", "Everything sent today, across restarts."
        )
        self.budget_label = self._label(
            "budgetCounter", "", "How much of your spending limit is used (Settings → Budgets)."
        )
        self.budget_label.hide()  # shown once a budget is set
        self.limits_label = self._label(
            "rateLimitCounter",
            "",
            "What is left of this minute's rate limit, as the server reported it. "
            "Click for every model's gauges.",
        )
        self.limits_label.hide()  # shown once a server reported its limits
        self.limits_label.setCursor(Qt.CursorShape.PointingHandCursor)
        self.limits_label.clicked.connect(self.limits_requested)
        for clickable in (self.session_label, self.today_label, self.budget_label):
            clickable.clicked.connect(self.usage_requested)
            clickable.setCursor(Qt.CursorShape.PointingHandCursor)
        self.last_label.clicked.connect(self.price_requested)
        self._tips = {
            self.budget_label: self.budget_label.toolTip() + "\nClick for the Usage page.",
            self.draft_label: self.draft_label.toolTip(),
            self.last_label: self.last_label.toolTip(),
            self.session_label: self.session_label.toolTip(),
            self.today_label: self.today_label.toolTip(),
        }
        for i, label in enumerate(
            (self.draft_label, self.last_label, self.session_label, self.today_label)
        ):
            if i:
                layout.addWidget(_separator())
            layout.addWidget(label)  # Preferred: shrinks to its minimum before anything clips
        self._budget_sep, self._limits_sep = _separator(), _separator()
        for sep, label in (
            (self._budget_sep, self.budget_label),
            (self._limits_sep, self.limits_label),
        ):
            sep.hide()  # both shown with their read-out
            layout.addWidget(sep)
            layout.addWidget(label)
        layout.addStretch(1)

    def _label(self, name: str, text: str, tip: str) -> _ClickableLabel:
        label = named(_ClickableLabel(text), name, name, tip)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def set_draft(self, tokens: int | None, cost: Decimal | None) -> None:
        if tokens is None:
            self.draft_label.setText("Draft: —")
            self.draft_label.setToolTip(self._tips[self.draft_label])
            return
        self.draft_label.setText(
            f"Draft: {format_tokens(tokens, estimated=True)} · {format_cost(cost, estimated=True)}"
        )
        self.draft_label.setToolTip(
            f"{self._tips[self.draft_label]}\n{cost_tooltip(cost, estimated=True)}"
        )

    def set_last(self, usage: Usage | None, cost: Decimal | None) -> None:
        if usage is None:
            self.last_label.setText("Last: —")
            self.last_label.setToolTip(self._tips[self.last_label])
            return
        est = usage.estimated
        self.last_label.setText(
            f"Last: {format_tokens(usage.input_tokens, estimated=est)} in · "
            f"{format_tokens(usage.output_tokens, estimated=est)} out · {format_cost(cost, estimated=est)}"
        )
        self.last_label.setToolTip(
            f"{self._tips[self.last_label]}\n{cost_tooltip(cost, estimated=est)}"
            "\nClick to see how the price was made."
        )
        self.last_label.setCursor(Qt.CursorShape.PointingHandCursor)

    def set_totals(self, session: UsageTotals, today: UsageTotals) -> None:
        for label, name, totals in (
            (self.session_label, "Session", session),
            (self.today_label, "Today", today),
        ):
            label.setText(f"{name}: {_totals_text(totals)}")
            label.setToolTip(_totals_tip(self._tips[label], totals) + "\nClick for the Usage page.")

    def set_rate_limit(self, text: str) -> None:
        """The rate-limit read-out ("" hides it: nothing reported)."""
        self.limits_label.setVisible(bool(text))
        self._limits_sep.setVisible(bool(text))
        self.limits_label.setText(text)

    def set_budget(self, level: int, text: str) -> None:
        """The budget read-out: hidden without a budget; a quiet colour from the first warning
        percentage (amber), red at the limit. `level` is a `core.money.budgets.Level`."""
        self.budget_label.setVisible(bool(text))
        self._budget_sep.setVisible(bool(text))
        self.budget_label.setText(text)
        self.budget_label.setToolTip(self._tips[self.budget_label])
        self.budget_label.setProperty("budgetLevel", level)
        colour = {1: ("#8a5a00", "#ffcc80"), 2: ("#b3261e", "#ff8a80")}.get(level)
        if colour is None:
            self.budget_label.setStyleSheet("")
            return
        dark = self.palette().window().color().lightness() < 128
        self.budget_label.setStyleSheet(
            f"color: {colour[1] if dark else colour[0]}; font-weight: 600"
        )


def _totals_text(t: UsageTotals) -> str:
    requests = "1 request" if t.requests == 1 else f"{t.requests:,} requests"
    return (
        f"{format_total(t.cost, t.unpriced)} · {format_tokens(t.usage.total_tokens)} · {requests}"
    )


def _totals_tip(base: str, t: UsageTotals) -> str:
    lines = [base]
    if t.requests:
        lines.append(f"Exactly {format_cost_full(t.cost)} for the requests with a known price.")
    explanation = unpriced_explanation(t.unpriced)
    if explanation:
        lines.append(explanation)
    return "\n".join(lines)
