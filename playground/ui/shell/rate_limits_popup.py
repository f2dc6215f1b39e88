"""The rate-limit gauges: for each model that answered, how many requests and tokens of the
current minute are left, counting down to when the window is full again.

Shown from the status bar (click "Rate limit: …"). Nothing is shown for a server that sends no
`x-ratelimit-*` headers: an unknown limit is not a zero.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from playground.core.money.ratelimits import Limit, RateLimits, format_wait

TICK_MS = 500  # the countdown's step while the gauges are open


class RateLimitGauges(QWidget):
    """One gauge per limit of every model `limits` knows; re-read every `TICK_MS` while shown."""

    def __init__(self, limits: RateLimits, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("rateLimitGauges")
        self.limits = limits
        self._layout = QVBoxLayout(self)
        self.gauges: dict[tuple[str, str], tuple[QProgressBar, QLabel]] = {}
        self.empty_label = QLabel(
            "No rate limits known yet: they appear after the first answer (a server that does "
            "not report them shows none)."
        )
        self.empty_label.setWordWrap(True)
        self._layout.addWidget(self.empty_label)
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self.refresh)
        self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()
        self._timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._timer.stop()

    def refresh(self) -> None:
        now = self.limits.clock()
        models = self.limits.all()
        self.empty_label.setVisible(not models)
        for m in models:
            for limit in m.limits():
                key = (m.model, limit.kind)
                if key not in self.gauges:
                    self._add(m.model, limit)
                bar, label = self.gauges[key]
                bar.setMaximum(max(limit.limit, 1))
                bar.setValue(limit.remaining_at(now))
                bar.setFormat(f"{limit.remaining_at(now):,} of {limit.limit:,} {limit.kind} left")
                wait = limit.resets_in(now)
                label.setText("Full again " + format_wait(wait) if wait > 0 else "Full")

    def _add(self, model: str, limit: Limit) -> None:
        if not any(k[0] == model for k in self.gauges):
            heading = QLabel(f"<b>{model}</b> · per minute")
            self._layout.addWidget(heading)
        bar = QProgressBar()
        bar.setObjectName(f"rateLimit-{model}-{limit.kind}")
        bar.setAccessibleName(f"{model}: {limit.kind} left this minute")
        bar.setTextVisible(True)
        label = QLabel("")
        label.setObjectName(f"rateLimitReset-{model}-{limit.kind}")
        self._layout.addWidget(bar)
        self._layout.addWidget(label)
        self.gauges[(model, limit.kind)] = (bar, label)


class RateLimitsPopup(QDialog):
    """The gauges in a small window of their own (not modal: they keep counting while the user
    works)."""

    def __init__(self, limits: RateLimits, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("rateLimitsPopup")
        self.setWindowTitle("Rate limits")
        self.gauges = RateLimitGauges(limits, self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("What the server reported with its last answers."))
        layout.addWidget(self.gauges)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self.setMinimumWidth(380)
