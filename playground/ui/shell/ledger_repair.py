"""The damaged usage ledger, explained in the window: move the file aside on the user's say-so.

At start a damaged `playground.sqlite3` (garbage pages, not a database) leaves the app counting
usage in memory (`build_services`); this box says so and offers to move the file aside. Moving it
renames the file (nothing is deleted), starts a new ledger file and copies the rows this session
already counted into it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from playground.core.money.ledger import LedgerError, UsageLedger, move_aside

log = logging.getLogger(__name__)


class DamagedLedgerBox(QMessageBox):
    """Says the usage ledger file is damaged and asks whether to move it aside.

    `move_button` moves it; `later_button` keeps counting in memory for this session (the question
    comes back at the next start).
    """

    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("damagedLedgerBox")
        self.setIcon(QMessageBox.Icon.Warning)
        self.setWindowTitle("Usage ledger damaged")
        self.setText("<b>The file that keeps your usage and spending is damaged.</b>")
        self.setInformativeText(
            "Playground could not read it, so the Session and Today figures start from zero and "
            "this session's requests are counted in memory for now.\n\n"
            "Move it aside to start a new ledger file: nothing is deleted, the old file is kept "
            "next to it under a new name. Your conversations and settings are not in it. "
            "Not now: usage is counted in memory until you quit, and you are asked again at the "
            "next start."
        )
        self.setDetailedText(f"Damaged file: {path}")
        self.move_button = self.addButton("Move it aside", QMessageBox.ButtonRole.AcceptRole)
        self.move_button.setObjectName("moveLedgerAside")
        self.later_button = self.addButton("Not now", QMessageBox.ButtonRole.RejectRole)
        self.later_button.setObjectName("keepLedgerInMemory")
        self.setDefaultButton(self.move_button)
        self.setEscapeButton(self.later_button)


def replace_damaged_ledger(
    path: Path, current: UsageLedger, install: Callable[[UsageLedger], None]
) -> tuple[Path, int]:
    """Moves the damaged file at `path` aside, opens a new ledger there, copies the rows `current`
    (the in-memory ledger) holds into it and hands it to `install`; returns (where the damaged file
    went, rows copied).

    Raises:
        OSError: the file could not be moved.
        LedgerError: the new ledger could not be opened or written.
    """
    if current.persistent:  # found damaged while in use: let go of the file before moving it
        current.close()
    target = move_aside(path)
    fresh = UsageLedger(path)
    copied = 0
    if not current.persistent:
        try:
            copied = current.copy_rows_to(fresh)
        except LedgerError:
            fresh.close()
            raise
    install(fresh)
    return target, copied


def offer_to_move_aside(
    window: QWidget,
    path: Path,
    current: Callable[[], UsageLedger],
    install: Callable[[UsageLedger], None],
) -> DamagedLedgerBox:
    """Opens the box (window-modal, non-blocking); "Move it aside" replaces the ledger through
    `install` and says where the old file went."""
    box = DamagedLedgerBox(path, window)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def _finished(_code: int) -> None:
        if box.clickedButton() is not box.move_button:
            log.warning("usage ledger %s damaged; counting in memory this session", path)
            return
        try:
            target, copied = replace_damaged_ledger(path, current(), install)
        except (OSError, LedgerError) as exc:
            log.error("could not replace the damaged usage ledger: %s", exc)
            _tell(
                window,
                QMessageBox.Icon.Warning,
                "Usage ledger not replaced",
                f"The damaged file could not be moved aside ({exc}). Usage is still counted in "
                "memory for this session.",
            )
            return
        log.info("damaged usage ledger moved to %s; %d rows carried over", target, copied)
        _tell(
            window,
            QMessageBox.Icon.Information,
            "New usage ledger",
            f"The damaged file was kept as {target.name} in the same folder. A new ledger was "
            "started; this session's requests are in it.",
        )

    box.finished.connect(_finished)
    box.open()
    return box


def _tell(window: QWidget, kind: QMessageBox.Icon, title: str, text: str) -> None:
    """A window-modal, non-blocking message box."""
    box = QMessageBox(kind, title, text, parent=window)
    box.setObjectName("ledgerRepairOutcome")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
