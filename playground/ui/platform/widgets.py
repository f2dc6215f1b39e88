"""Small view pieces the Platform pages share: the status line under a page (plain news or an
error in plain words with what to do), a list's title row with its buttons, and tables of items
known by their `id` (jobs, stores)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QTableWidget, QVBoxLayout, QWidget

from playground.core.api.errors import AppError
from playground.ui.common.widgets import side_by_side, wrapped_label
from playground.ui.shell.theme import is_dark


class Keyed(Protocol):
    @property
    def id(self) -> str: ...


K = TypeVar("K", bound=Keyed)


def status_line(name: str) -> QLabel:
    """The line under a page that says what happened (rich text, for the error's colour)."""
    label = wrapped_label(name)
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


def show_info(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setToolTip("")


def show_error(label: QLabel, error: AppError) -> None:
    """What went wrong in red, then what to do; the technical details in the tooltip."""
    red = "#ff8a80" if is_dark() else "#b3261e"
    label.setText(
        f"<span style='color:{red}'><b>{error.title}.</b> {error.message}</span> {error.hint}"
    )
    label.setToolTip(error.details or "")


def list_header(title: str, *buttons: QWidget) -> QHBoxLayout:
    """A list's title in bold on the left, its buttons on the right."""
    row = QHBoxLayout()
    row.addWidget(QLabel(f"<b>{title}</b>"))
    row.addStretch(1)
    for button in buttons:
        row.addWidget(button)
    return row


def two_panes_and_status(
    page: QWidget,
    panes: tuple[tuple[QWidget, int], tuple[QWidget, int]],
    name: str,
    sizes: tuple[int, int],
    status: QLabel,
) -> None:
    """A page's layout: two panes side by side (a splitter called `name`), the status line under."""
    layout = QVBoxLayout(page)
    layout.addWidget(side_by_side(list(panes), name=name, sizes=sizes), 1)
    layout.addWidget(status)


def button_row(*buttons: QWidget) -> QHBoxLayout:
    """Buttons from the left, the rest of the row empty."""
    row = QHBoxLayout()
    for button in buttons:
        row.addWidget(button)
    row.addStretch(1)
    return row


def upsert(items: Sequence[K], item: K) -> list[K]:
    """`items` with `item` replacing the one with its id, or first when it is new."""
    found = [item if known.id == item.id else known for known in items]
    if item.id not in {known.id for known in items}:
        found.insert(0, item)
    return found


def select_row_of(table: QTableWidget, items: Sequence[K], key: str) -> None:
    """Selects the row of the item whose id is `key` (rows follow `items`)."""
    for row, item in enumerate(items):
        if item.id == key:
            table.selectRow(row)


def selected_of(table: QTableWidget, items: Sequence[K]) -> K | None:
    """The item of the selected row, if any."""
    model = table.selectionModel()
    rows = model.selectedRows() if model else []
    return items[rows[0].row()] if rows and rows[0].row() < len(items) else None
