"""Issue 20's window-shell items: a damaged ledger, the first run, the keyboard, the guide."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from playground.core.models import Endpoint, LedgerEntry, RequestStatus, Usage
from playground.core.money.ledger import LedgerDamagedError, UsageLedger
from playground.core.storage.paths import AppPaths
from playground.ui.shell.ledger_repair import DamagedLedgerBox
from tests.conftest import AppHarness

pytestmark = pytest.mark.gui


def _row(i: int) -> LedgerEntry:
    return LedgerEntry(
        time=datetime.now(UTC),
        provider="OpenAI",
        model="gpt-4o-mini",
        endpoint=Endpoint.CHAT,
        usage=Usage(input_tokens=10 + i, output_tokens=5),
        cost=Decimal("0.001"),
        latency_ms=5.0,
        status=RequestStatus.OK,
        session_id="old",
    )


def damage_ledger(path: Path, rows: int = 300) -> None:
    """A ledger whose header is intact and whose later pages are garbage (what was reported)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with UsageLedger(path) as ledger:
        for i in range(rows):
            ledger.record(_row(i))
    data = bytearray(path.read_bytes())
    rng = random.Random(20)
    for offset in range(2 * 4096, len(data)):
        data[offset] = rng.randrange(256)
    path.write_bytes(bytes(data))


# --- 5. a damaged usage ledger ----------------------------------------------------------------


def test_a_ledger_with_garbage_pages_is_found_damaged_at_open(tmp_path: Path) -> None:
    path = tmp_path / "playground.sqlite3"
    damage_ledger(path)
    with pytest.raises(LedgerDamagedError, match="damaged"):
        UsageLedger(path)


def test_a_damaged_ledger_does_not_end_the_app_and_is_moved_aside_on_request(
    make_app: Callable[..., AppHarness], tmp_path: Path, wait_until: Any
) -> None:
    home = tmp_path / "home"
    ledger_file = AppPaths.under(home).database_file
    damage_ledger(ledger_file)
    app = make_app(home=home)  # used to raise from the counters' first read of the totals
    assert not app.services.ledger.persistent  # counting in memory meanwhile
    box = app.window.findChild(DamagedLedgerBox, "damagedLedgerBox")
    assert box is not None
    assert box.isVisible()
    assert "damaged" in box.text()
    tab = app.chat_tab
    tab.model_combo.setCurrentText("gpt-4o-mini")
    tab.input_edit.setPlainText("still counted?")
    tab.send_button.click()
    wait_until(lambda: not app.runner.is_busy("chat"))
    assert len(app.services.ledger.recent()) == 1

    box.move_button.click()
    info = app.window.findChild(QMessageBox, "ledgerRepairOutcome")
    assert info is not None
    assert "kept as" in info.text()
    info.close()
    moved = list(ledger_file.parent.glob("playground.sqlite3.damaged-*"))
    assert len(moved) == 1
    assert app.services.ledger.persistent
    assert app.services.accounting.ledger is app.services.ledger
    assert len(app.services.ledger.recent()) == 1  # the session's row came along
    assert app.services.accounting.session_totals().requests == 1
