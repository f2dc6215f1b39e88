"""Guards against a known-bad Qt binding: PySide6 6.12.0 loses a reference to True on every
Python-side `Signal.emit()` under Python 3.11, and the process aborts ("bool_dealloc") once the
count reaches zero: after a few thousand streamed chunks in a real session."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    fired = Signal(str, bool)


def test_emit_keeps_reference_counts(qapp: object) -> None:
    emitter = _Emitter()
    seen: list[int] = []
    emitter.fired.connect(lambda _name, _flag: seen.append(1))  # keeps no reference to the bool
    before = sys.getrefcount(True), sys.getrefcount(False)
    for _ in range(20):
        emitter.fired.emit("x", True)
    after_true = sys.getrefcount(True)
    assert len(seen) == 20
    # Bools are immortal from Python 3.12 on, so the counts may not move at all there.
    assert after_true >= before[0], "the Qt binding leaks references to True: pin another PySide6"
    assert sys.getrefcount(False) >= before[1]
