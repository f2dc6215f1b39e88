"""The status-bar counters: the draft estimate, the last request, and totals for the session and today."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

from playground.core.money.formatting import format_cost, format_tokens

if TYPE_CHECKING:  # the bar is part of the window shell, built before the core is loaded
    from playground.core.models import Usage, UsageTotals


def _separator() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.VLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    return line


class CountersBar(QWidget):
    """Four small read-outs that sit in the status bar. Only ever updated from the GUI thread."""

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
        for i, label in enumerate(
            (self.draft_label, self.last_label, self.session_label, self.today_label)
        ):
            if i:
                layout.addWidget(_separator())
            layout.addWidget(label)

    def _label(self, name: str, text: str, tip: str) -> QLabel:
        label = QLabel(text)
        label.setObjectName(name)
        label.setAccessibleName(name)
        label.setToolTip(tip)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def set_draft(self, tokens: int | None, cost: Decimal | None) -> None:
        if tokens is None:
            self.draft_label.setText("Draft: —")
            return
        self.draft_label.setText(
            f"Draft: {format_tokens(tokens, estimated=True)} · {format_cost(cost, estimated=True)}"
        )

    def set_last(self, usage: Usage | None, cost: Decimal | None) -> None:
        if usage is None:
            self.last_label.setText("Last: —")
            return
        est = usage.estimated
        self.last_label.setText(
            f"Last: {format_tokens(usage.input_tokens, estimated=est)} in · "
            f"{format_tokens(usage.output_tokens, estimated=est)} out · {format_cost(cost, estimated=est)}"
        )

    def set_totals(self, session: UsageTotals, today: UsageTotals) -> None:
        self.session_label.setText(f"Session: {_totals_text(session)}")
        self.today_label.setText(f"Today: {_totals_text(today)}")


def _totals_text(t: UsageTotals) -> str:
    cost = format_cost(t.cost)
    if t.unpriced:
        cost += " + ?"
    requests = "1 request" if t.requests == 1 else f"{t.requests:,} requests"
    return f"{cost} · {format_tokens(t.usage.total_tokens)} · {requests}"
