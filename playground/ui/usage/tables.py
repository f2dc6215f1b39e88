"""The read-only tables of the Usage tab's pages: made and filled the same way everywhere."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from playground.ui.common.widgets import named


def make_table(name: str, headers: Sequence[str], *, rows_selectable: bool = False) -> QTableWidget:
    """A read-only table named `name`: the first column stretches, the others fit their text."""
    table = named(QTableWidget(0, len(headers)), name, name)
    table.setHorizontalHeaderLabels(list(headers))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    if rows_selectable:
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().hide()
    header = table.horizontalHeader()
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    for column in range(1, len(headers)):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    return table


def fill_table(table: QTableWidget, rows: list[list[str]], tips: Sequence[str] = ()) -> None:
    """Puts `rows` in `table`, numbers (every column after the first) right-aligned; `tips[r]`
    is the exact amount of row r's last cell, shown as its tooltip."""
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            if c:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if c == len(row) - 1 and r < len(tips):
                item.setToolTip(f"Exactly {tips[r]}")
            table.setItem(r, c, item)
