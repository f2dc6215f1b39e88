"""A whole-second countdown for waits a server asked for (a 429's retry-after): the Chat, Images,
Embeddings and Moderation tabs show it on their retry or resume buttons.

Started for an error (`start_for`), it also owns the sentence that names the wait: `text_changed`
carries the error's text with the wait still left ("… Try again in 2 seconds.", then "… You can try
again now."), so a label connected to it never shows a wait that is over.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QObject, QTimer, Signal

from playground.core.api.errors import AppError


class Countdown(QObject):
    """Counts `left` down by one each second until 0.

    Signals:
        changed: the seconds left, at the start, after each second and when stopped (0: over).
        text_changed: with `start_for`, the error's message and hint for the seconds left, each
            time `changed` is emitted.
    """

    changed = Signal(int)
    text_changed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.left = 0
        self._error: AppError | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.tick)

    def start(self, seconds: int) -> None:
        """Counts down from `seconds` (0 or less: nothing to wait for), for no error."""
        self._error = None
        self._begin(seconds)

    def _begin(self, seconds: int) -> None:
        self.left = max(int(seconds), 0)
        self._emit()
        if self.left:
            self._timer.start()
        else:
            self._timer.stop()

    def start_for(self, error: AppError) -> None:
        """Counts down the wait `error` asked for (its `retry_after`, rounded up to whole seconds)
        and from then on emits its text with the wait left."""
        self._error = error
        self._begin(math.ceil(error.retry_after or 0))

    def text(self) -> str:
        """The error's message and hint for the seconds left ("" without `start_for`)."""
        return self._error.text_at(self.left) if self._error is not None else ""

    def hint(self) -> str:
        """The error's hint for the seconds left ("" without `start_for`)."""
        return self._error.hint_at(self.left) if self._error is not None else ""

    def stop(self) -> None:
        self._timer.stop()
        self.left = 0
        self._emit()

    def tick(self) -> None:
        """One second has passed (the timer calls this; tests may too)."""
        self.left = max(self.left - 1, 0)
        self._emit()
        if not self.left:
            self._timer.stop()

    def _emit(self) -> None:
        self.changed.emit(self.left)
        if self._error is not None:
            self.text_changed.emit(self.text())
