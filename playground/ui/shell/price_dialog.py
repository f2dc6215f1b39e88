"""The "how was this price made?" window: one row per priced quantity (tokens of each kind × unit
price), the total, and what else shaped it (tiers, batch, the user's own price, the data's
version). Opened by clicking a cost: the status bar's last request, the Usage page's rows.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from playground.core.money.explain import PriceExplanation
from playground.core.money.formatting import format_cost_full, format_price


def _quantity(value: Decimal) -> str:
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,}"


class PriceDialog(QDialog):
    """Shows one `PriceExplanation`. `charged` is what the ledger recorded, when known: a
    difference (prices changed since) is said."""

    def __init__(
        self,
        explanation: PriceExplanation,
        parent: QWidget | None = None,
        *,
        charged: Decimal | None = None,
        when: str = "",
    ) -> None:
        super().__init__(parent)
        self.setObjectName("priceDialog")
        self.setWindowTitle("How this price was made")
        self.explanation = explanation
        e = explanation
        heading = QLabel(
            f"<b>{e.model}</b>"
            + (f" · {when}" if when else "")
            + (f"<br>priced as <i>{e.matched}</i>" if e.matched and e.matched != e.model else "")
        )
        heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = QTableWidget(len(e.lines) + 1, 4)
        self.table.setObjectName("priceLines")
        self.table.setAccessibleName("Price lines")
        self.table.setHorizontalHeaderLabels(["What", "How many", "Unit price", "Cost"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        for row, line in enumerate(e.lines):
            price = f"{format_price(line.rate)} {line.per_text}"
            if line.note:
                price += f" ({line.note})"
            self._row(
                row, line.what, _quantity(line.quantity), price, format_cost_full(line.amount)
            )
        total = "unknown" if e.total is None else format_cost_full(e.total)
        self._row(len(e.lines), "Total", "", "", total, bold=True)
        notes = list(e.notes)
        if charged is not None and e.total is None:
            notes.append(
                f"It was recorded at {format_cost_full(charged)} when it was sent; the usage "
                "record does not keep every detail that price needed (such as image or audio "
                "tokens), so it cannot be worked out again here."
            )
        elif charged is not None and e.total is not None and charged != e.total:
            notes.append(
                f"The request was recorded at {format_cost_full(charged)}: the prices have "
                "changed since (or were set differently then)."
            )
        if e.data:
            notes.append(f"Price data: {e.data}.")
        self.notes_label = QLabel("\n".join(notes))
        self.notes_label.setObjectName("priceNotes")
        self.notes_label.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.notes_label)
        layout.addWidget(buttons)
        self.resize(640, 200 + 30 * len(e.lines))

    def _row(self, row: int, *cells: str, bold: bool = False) -> None:
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if column:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if bold:
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            self.table.setItem(row, column, item)

    def lines_text(self) -> list[list[str]]:
        """The table's cells, row by row (tests and screen readers read the same)."""
        return [
            [
                (self.table.item(r, c).text() if self.table.item(r, c) else "")  # type: ignore[union-attr]
                for c in range(self.table.columnCount())
            ]
            for r in range(self.table.rowCount())
        ]


def open_price_dialog(
    parent: QWidget,
    explanation: PriceExplanation,
    *,
    charged: Decimal | None = None,
    when: str = "",
) -> PriceDialog:
    """Opens the dialog window-modal without blocking the loop; it deletes itself when closed."""
    dialog = PriceDialog(explanation, parent, charged=charged, when=when)
    dialog.finished.connect(dialog.deleteLater)
    dialog.open()
    return dialog
