"""A yes/no question in a window-modal box that does not block.

`QMessageBox.question()` runs a nested event loop, inside which the app's asyncio loop steps
requests outside its own run (see ui/bridge.py); `open()` shows the box and returns at once, and
the answer comes back through a callback.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget


def ask(
    parent: QWidget,
    name: str,
    title: str,
    text: str,
    on_answer: Callable[[bool], None],
    *,
    no: QMessageBox.StandardButton = QMessageBox.StandardButton.No,
) -> QMessageBox:
    """Opens the question (Yes, and `no` as the default) and returns the box while it is open.

    Args:
        name: the box's object name (tests find and click it).
        on_answer: called once with True for Yes, False for `no` or a closed box.
    """
    yes = QMessageBox.StandardButton.Yes
    box = QMessageBox(QMessageBox.Icon.Question, title, text, yes | no, parent)
    box.setObjectName(name)
    box.setDefaultButton(no)

    def done(code: int) -> None:
        box.deleteLater()
        on_answer(code == yes)

    box.finished.connect(done)
    box.open()
    return box
