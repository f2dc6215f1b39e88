"""What the Platform parts that follow running work share: a single-shot timer with back-off
that sends no request while the window is hidden or minimised (a desktop app gets no webhooks)."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QWidget

from playground.core.api.errors import AppError
from playground.core.platform.batches import Backoff


class PollingPart(QObject):
    """Base of the batches, jobs, vector stores and start-up parts: `poll` runs when `timer`
    fires; subclasses say when to look again with `poll_soon`, `poll_later` and
    `poll_after_failure`.

    Args:
        widget: a widget of the window whose visibility pauses the polling.
        backoff: how long to wait between looks.
    """

    def __init__(
        self, widget: QWidget, backoff: Backoff | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._widget = widget
        self.backoff = backoff or Backoff()
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.poll)

    def poll(self) -> None:
        """Look at the running work (the timer fired)."""

    def window_shown(self) -> bool:
        """Polling pauses while the window is hidden or minimised."""
        window = self._widget.window()
        return window.isVisible() and not window.isMinimized()

    def poll_soon(self, *, changed: bool) -> None:
        """Look again: soon after a change, later and later while nothing changes."""
        delay = self.backoff.changed() if changed else self.backoff.unchanged()
        self.timer.start(round(delay * 1000))

    def poll_later(self) -> None:
        """Look again after the current delay, sending nothing now (the window is hidden)."""
        self.timer.start(round(self.backoff.delay * 1000))

    def poll_after_failure(self, error: AppError) -> float:
        """A look failed (a 429, a 5xx, no connection): wait longer; returns the delay in s."""
        delay = self.backoff.failed(error.retry_after)
        self.timer.start(round(delay * 1000))
        return delay

    def shutdown(self) -> None:
        self.timer.stop()
