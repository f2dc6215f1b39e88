"""The Usage tab's "OpenAI's bill" page (view): the admin key, and the ledger beside the bill.

Holds no network or keyring code: it says what the user asked for through its signals.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from playground.core.money.formatting import format_cost, format_tokens
from playground.core.money.reconcile import Reconciliation
from playground.ui.common.widgets import named, wrapped_label
from playground.ui.shell.theme import is_dark
from playground.ui.usage.tables import fill_table, make_table

NO_KEY_TEXT = (
    "With an admin key, this page sets OpenAI's own bill beside what this app recorded, per day "
    "and per model, with the difference and its likely reasons. An admin key is made by an "
    "organisation owner on the platform site (Settings → Organization → Admin keys); it is kept "
    "in your keyring like the API key and used only here. Without one, nothing is sent."
)


class BillPage(QWidget):
    """The admin key and the reconciliation tables.

    Signals:
        key_save_requested: keep this admin key in the keyring. arg: the key.
        key_forget_requested: delete the admin key from the keyring.
        check_requested: fetch the bill for the period shown and compare.
    """

    key_save_requested = Signal(str)
    key_forget_requested = Signal()
    check_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("usageBillPage")
        self.intro_label = wrapped_label("billIntro")
        self.intro_label.setText(NO_KEY_TEXT)
        self.key_edit = named(QLineEdit(), "adminKeyEdit", "Admin key")
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("Paste an admin key (sk-admin-…)")
        self.save_button = named(QPushButton("Save admin key"), "adminKeySave", "Save admin key")
        self.forget_button = named(QPushButton("Forget"), "adminKeyForget", "Forget admin key")
        self.check_button = named(
            QPushButton("Check against OpenAI's bill"),
            "billCheck",
            "Check against OpenAI's bill",
            "Fetch the organisation's costs and usage for the period shown (at most 31 days).",
        )
        self.key_status = wrapped_label("adminKeyStatus")
        self.save_button.clicked.connect(self._on_save)
        self.key_edit.returnPressed.connect(self._on_save)
        self.forget_button.clicked.connect(self.key_forget_requested)
        self.check_button.clicked.connect(self.check_requested)
        self.message_label = wrapped_label("billMessage")
        self.days_table = make_table("billDays", ["Day", "This app", "OpenAI's bill", "Difference"])
        self.models_table = make_table(
            "billModels",
            ["Model", "Requests here", "On the bill", "Input tokens here", "On the bill "],
        )
        self.reasons_label = wrapped_label("billReasons")
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_edit, 1)
        key_row.addWidget(self.save_button)
        key_row.addWidget(self.forget_button)
        key_row.addWidget(self.check_button)
        tables = QHBoxLayout()
        tables.addWidget(self.days_table, 2)
        tables.addWidget(self.models_table, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro_label)
        layout.addLayout(key_row)
        layout.addWidget(self.key_status)
        layout.addWidget(self.message_label)
        layout.addLayout(tables, 1)
        layout.addWidget(self.reasons_label)
        self.set_key_state(False, "")

    def _on_save(self) -> None:
        key = self.key_edit.text().strip()
        if key:
            self.key_save_requested.emit(key)

    def set_key_state(self, has_key: bool, text: str) -> None:
        """Whether an admin key is stored, and a line about it."""
        self.key_status.setText(text)
        self.intro_label.setVisible(not has_key)  # room for the tables once a key is there
        self.forget_button.setEnabled(has_key)
        self.check_button.setEnabled(has_key)
        if has_key:
            self.key_edit.clear()

    def set_busy(self, busy: bool) -> None:
        self.check_button.setEnabled(not busy)
        if busy:
            self.set_message("Fetching OpenAI's costs and usage…")

    def set_message(self, text: str, *, error: bool = False) -> None:
        self.message_label.setText(text)
        colour = ("#ff8a80" if is_dark() else "#b3261e") if error else ""
        self.message_label.setStyleSheet(f"color: {colour}" if colour else "")

    def show_reconciliation(self, rec: Reconciliation) -> None:
        diff = rec.bill_total - rec.ledger_total
        self.set_message(
            f"From {rec.first:%d %b} to {rec.last:%d %b %Y}: OpenAI billed "
            f"{format_cost(rec.bill_total)}, this app recorded {format_cost(rec.ledger_total)} "
            f"(difference {_signed(diff)})."
        )
        fill_table(
            self.days_table,
            [
                [
                    f"{d.day:%a %d %b}",
                    format_cost(d.ledger),
                    format_cost(d.bill),
                    _signed(d.difference),
                ]
                for d in rec.days
            ],
        )
        fill_table(
            self.models_table,
            [
                [
                    r.model,
                    f"{r.ledger.requests:,}",
                    f"{r.bill.requests:,}",
                    format_tokens(r.ledger.input_tokens),
                    format_tokens(r.bill.input_tokens),
                ]
                for r in rec.models
            ],
        )
        self.reasons_label.setText("Likely reasons: " + " ".join(rec.reasons))

    def cells(self, table: QTableWidget) -> list[list[str]]:
        """A table's texts, row by row (tests and screen readers read the same)."""
        return [
            [
                (item.text() if (item := table.item(r, c)) is not None else "")
                for c in range(table.columnCount())
            ]
            for r in range(table.rowCount())
        ]


def _signed(value: Decimal) -> str:
    if value == 0:
        return "$0"
    return ("+" if value > 0 else "−") + format_cost(abs(value))
