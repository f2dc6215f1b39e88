"""The many-items results table: a model over `TableRow`s, sorted and filtered by a proxy.

Columns: #, item, flagged (API), blocked (your thresholds), top category, top score. Sorting uses the
raw values (`Qt.UserRole`), so numbers sort as numbers. The filter combines a text search (item and
category) with a choice: all, flagged, not flagged, blocked at your thresholds, or where you and
the API disagree.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor

from playground.core.moderation.service import TableRow, category_title
from playground.ui.shell.theme import is_dark

COLUMNS = ("#", "Item", "API", "Yours", "Top category", "Score")
HEADER_TIPS = (
    "The item's number in the input",
    "The text (or image) checked",
    "Whether the API flagged the item",
    "Whether your thresholds would block it",
    "The category with the highest score",
    "That category's score (0 to 1)",
)
FILTERS = (
    ("all", "All items"),
    ("flagged", "Flagged by the API"),
    ("clear", "Not flagged"),
    ("blocked", "Blocked at your thresholds"),
    ("disagree", "You and the API disagree"),
)

_Index = QModelIndex | QPersistentModelIndex


class ResultsModel(QAbstractTableModel):
    """The rows of the results table."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[TableRow] = []

    def set_rows(self, rows: list[TableRow]) -> None:
        """Shows `rows`. When they extend the current rows (a run adding results, a threshold
        moving), the model changes in place, so the view keeps its selection and scroll position
        and nothing is laid out again from scratch."""
        old = self.rows
        n = len(old)
        if (
            n == 0
            or len(rows) < n
            or any(a.index != b.index for a, b in zip(old, rows, strict=False))
        ):
            self.beginResetModel()
            self.rows = list(rows)
            self.endResetModel()
            return
        changed = [i for i in range(n) if old[i] != rows[i]]
        self.rows[:n] = rows[:n]
        last = len(COLUMNS) - 1
        for start, end in _runs(changed):  # only the rows that changed: the proxy re-sorts less
            self.dataChanged.emit(self.index(start, 0), self.index(end, last))
        if len(rows) > n:
            self.beginInsertRows(QModelIndex(), n, len(rows) - 1)
            self.rows.extend(rows[n:])
            self.endInsertRows()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return HEADER_TIPS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                str(row.index + 1),
                row.label,
                "⚠ Flagged" if row.flagged else "OK",
                "Block" if row.blocked else "Allow",
                category_title(row.top_category) if row.top_category else "—",
                f"{row.top_score:.2f}" if row.top_score >= 0.01 else "<0.01",
            )[col]
        if role == Qt.ItemDataRole.UserRole:  # sort keys
            return (
                row.index,
                row.label.lower(),
                int(row.flagged),
                int(row.blocked),
                row.top_category,
                row.top_score,
            )[col]
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == 3:
                return "At your thresholds: " + ("blocked" if row.blocked else "allowed")
            if col == 2 and row.flagged_categories:
                return "Flagged for: " + ", ".join(
                    category_title(c) for c in row.flagged_categories
                )
            if col == 5:
                return f"{row.top_score:.6f}"
            if col == 1:
                return row.label
        if role == Qt.ItemDataRole.ForegroundRole and col in (2, 3):
            dark = is_dark()
            if col == 2 and row.flagged:
                return QColor("#ff8a80" if dark else "#b3261e")
            if col == 3 and row.blocked:
                return QColor("#ffc27a" if dark else "#8a4b00")
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (0, 5):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def row_at(self, source_row: int) -> TableRow:
        return self.rows[source_row]


def _runs(indexes: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs of sorted indexes as (first, last) pairs."""
    runs: list[tuple[int, int]] = []
    for i in indexes:
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


class ResultsFilter(QSortFilterProxyModel):
    """Sorts by raw values and filters by text and by verdict."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(Qt.ItemDataRole.UserRole)
        self._text = ""
        self._kind = "all"

    def set_text(self, text: str) -> None:
        self._text = text.strip().lower()
        self.invalidate()

    def set_kind(self, kind: str) -> None:
        self._kind = kind
        self.invalidate()

    def filterAcceptsRow(self, source_row: int, _source_parent: _Index) -> bool:
        model = self.sourceModel()
        assert isinstance(model, ResultsModel)
        row = model.row_at(source_row)
        kind = self._kind
        if kind == "flagged" and not row.flagged:
            return False
        if kind == "clear" and row.flagged:
            return False
        if kind == "blocked" and not row.blocked:
            return False
        if kind == "disagree" and row.blocked == row.flagged:
            return False
        if self._text:
            haystack = " ".join(
                [
                    row.label,
                    row.top_category,
                    category_title(row.top_category),
                    *list(row.flagged_categories),
                ]
            ).lower()
            return self._text in haystack
        return True
