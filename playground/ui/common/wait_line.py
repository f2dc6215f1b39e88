"""The line a tab shows while a request waits for its first token: how long it has waited, and each
retry as it is announced ("Rate limit reached: retrying in 3 s (attempt 2 of 3)."), counted down.

A server that accepts the connection and never answers used to show one unchanging "Waiting…" for
minutes; the user now sees the time pass and every retry, and can press Stop at any moment.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Signal

from playground.core.api.retry import RetryWait

WAITING = "Waiting for the first token…"
SHOW_ELAPSED_AFTER_S = 2  # a normal first token comes sooner: no counter flickers past


class WaitLine(QObject):
    """Says what a request is waiting for, once a second, until `stop`.

    Signals:
        text_changed: the line to show. arg: the text.
    """

    text_changed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._started = 0.0
        self._retry: RetryWait | None = None
        self._retry_ends = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.tick)

    @property
    def active(self) -> bool:
        return self._timer.isActive()

    def start(self) -> None:
        """A request went out: "Waiting for the first token…", then the seconds it has waited."""
        self._started = time.monotonic()
        self._retry = None
        self._timer.start()
        self.text_changed.emit(WAITING)

    def retrying(self, wait: RetryWait) -> None:
        """An attempt failed and the next one comes after `wait`: count that wait down."""
        self._retry = wait
        self._retry_ends = time.monotonic() + wait.seconds
        if not self._timer.isActive():
            self._started = time.monotonic()
            self._timer.start()
        self.text_changed.emit(wait.text())

    def stop(self) -> None:
        self._timer.stop()
        self._retry = None

    def text(self, now: float | None = None) -> str:
        """The line for `now` (monotonic seconds)."""
        now = time.monotonic() if now is None else now
        wait = self._retry
        if wait is not None:
            left = self._retry_ends - now
            if left > 0:
                return wait.text(remaining=left)
            return f"{WAITING} (attempt {wait.attempt} of {wait.attempts})"
        waited = int(now - self._started)
        return f"{WAITING} {waited} s" if waited >= SHOW_ELAPSED_AFTER_S else WAITING

    def tick(self) -> None:
        """One second passed (the timer calls it; tests may too)."""
        self.text_changed.emit(self.text())
