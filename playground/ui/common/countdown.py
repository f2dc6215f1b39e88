"""A whole-second countdown for waits a server asked for (a 429's retry-after): the Chat, Images,
Embeddings and Moderation tabs show it on their retry or resume buttons."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal


class Countdown(QObject):
    """Counts `left` down by one each second until 0.

    Signals:
        changed: the seconds left, at the start, after each second and when stopped (0: over).
    """

    changed = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.left = 0
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.tick)

    def start(self, seconds: int) -> None:
        """Counts down from `seconds` (0 or less: nothing to wait for)."""
        self.left = max(int(seconds), 0)
        self.changed.emit(self.left)
        if self.left:
            self._timer.start()
        else:
            self._timer.stop()

    def stop(self) -> None:
        self._timer.stop()
        self.left = 0
        self.changed.emit(0)

    def tick(self) -> None:
        """One second has passed (the timer calls this; tests may too)."""
        self.left = max(self.left - 1, 0)
        self.changed.emit(self.left)
        if not self.left:
            self._timer.stop()
