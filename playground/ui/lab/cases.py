"""Prompt Lab test cases: a table with one column per `{{variable}}`, then the check, its value and
the pictures sent with the message (file paths or URLs, "|" between them).

Columns follow the template: a new variable adds a column, a removed one hides its column but keeps
its values, so a typo in the braces loses nothing. Rows keep their case id, so a run's results stay
tied to their case while the table is edited.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from playground.core.lab.suite import Expectation, ExpectKind, TestCase, split_images
from playground.ui.common.widgets import named
from playground.ui.shell.theme import is_dark


class CasesTable(QTableWidget):
    """The case table.

    Signals:
        cases_changed: a value, check or row changed.
    """

    cases_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 2, parent)
        self.setObjectName("labCases")
        self.setAccessibleName("Test cases")
        self._variables: list[str] = []
        self._ids: list[str] = []
        self._hidden: dict[str, dict[str, str]] = {}  # case id -> values of vanished variables
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setWordWrap(True)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().lineSpacing() + 12)
        self.itemChanged.connect(lambda _item: self.cases_changed.emit())
        self._update_headers()

    # --- columns ------------------------------------------------------------------------------------

    def variables(self) -> list[str]:
        return list(self._variables)

    def set_variables(self, names: Sequence[str]) -> None:
        """Makes the variable columns `names` (values of kept names stay; others are set aside)."""
        names = list(names)
        if names == self._variables:
            return
        cases = self.cases()
        with QSignalBlocker(self):
            self._variables = names
            self.setRowCount(0)
            for case in cases:
                self._append(case)
        self._update_headers()
        self.cases_changed.emit()

    def _update_headers(self) -> None:
        n = len(self._variables)
        self.setColumnCount(n + 3)
        self.setHorizontalHeaderLabels([*self._variables, "Check", "Expected", "Pictures"])
        header = self.horizontalHeader()
        for column in range(self.columnCount()):
            mode = (
                QHeaderView.ResizeMode.ResizeToContents
                if column == n
                else QHeaderView.ResizeMode.Interactive
                if column == n + 2
                else QHeaderView.ResizeMode.Stretch
            )
            header.setSectionResizeMode(column, mode)
        header.resizeSection(
            n + 2, 13 * self.fontMetrics().averageCharWidth() + 40
        )  # long paths elide
        expected = self.horizontalHeaderItem(n + 1)
        if expected is not None:
            expected.setToolTip(
                "What the check compares with. A rubric: each requirement in plain words, "
                "separated by ; (or one per line). A label: the right label first, then the "
                "others, separated by |. “Means the same as”: a reference answer."
            )
        pictures = self.horizontalHeaderItem(n + 2)
        if pictures is not None:
            pictures.setToolTip(
                "Pictures sent with the message (models that see images): file paths or https:// "
                "addresses, separated by |. Add pictures… picks files."
            )

    def pictures_column(self) -> int:
        return len(self._variables) + 2

    # --- rows ---------------------------------------------------------------------------------------

    def cases(self) -> list[TestCase]:
        out: list[TestCase] = []
        n = len(self._variables)
        for row in range(self.rowCount()):
            case_id = self._ids[row]
            values = dict(self._hidden.get(case_id, {}))
            for column, name in enumerate(self._variables):
                item = self.item(row, column)
                values[name] = item.text() if item else ""
            combo = self.cellWidget(row, n)
            kind = (
                ExpectKind(combo.currentData()) if isinstance(combo, QComboBox) else ExpectKind.NONE
            )
            expected = self.item(row, n + 1)
            pictures = self.item(row, n + 2)
            out.append(
                TestCase(
                    values,
                    Expectation(kind, expected.text() if expected else ""),
                    case_id,
                    images=split_images(pictures.text() if pictures else ""),
                )
            )
        return out

    def add_pictures(self, sources: Sequence[str]) -> None:
        """Adds pictures to the current case (a new case if there is none)."""
        if not sources:
            return
        if self.currentRow() < 0:
            self.add_case()
        row = self.currentRow()
        item = self.item(row, self.pictures_column())
        current = split_images(item.text() if item else "")
        self.setItem(row, self.pictures_column(), _pictures_item((*current, *sources)))

    def set_cases(self, cases: Sequence[TestCase]) -> None:
        with QSignalBlocker(self):
            self.setRowCount(0)
            self._ids = []
            self._hidden = {}
            for case in cases:
                self._append(case)
        self.cases_changed.emit()

    def add_case(self, case: TestCase | None = None) -> None:
        with QSignalBlocker(self):
            self._append(case or TestCase({}))
        self.setCurrentCell(self.rowCount() - 1, 0)
        self.cases_changed.emit()

    def remove_selected(self) -> None:
        rows = sorted({index.row() for index in self.selectedIndexes()}, reverse=True)
        if not rows and self.currentRow() >= 0:
            rows = [self.currentRow()]
        with QSignalBlocker(self):
            for row in rows:
                self.removeRow(row)
                del self._ids[row]
        self.cases_changed.emit()

    def mark_problems(self, problems: dict[int, list[str]]) -> None:
        """Tints the rows that cannot run (by row index) and puts the reasons in their tooltips."""
        tint = QBrush(QColor("#5c2323") if is_dark() else QColor("#fde3e1"))
        with QSignalBlocker(self):
            for row in range(self.rowCount()):
                reasons = problems.get(row, [])
                for column in range(self.columnCount()):
                    item = self.item(row, column)
                    if item is None:
                        continue
                    item.setBackground(tint if reasons else QBrush())
                    item.setToolTip("Can't run: " + "; ".join(reasons) if reasons else "")

    def _append(self, case: TestCase) -> None:
        row = self.rowCount()
        if row < len(self._ids):
            self._ids[row] = case.id
        else:
            self._ids.append(case.id)
        self.insertRow(row)
        hidden = {k: v for k, v in case.values.items() if k not in self._variables}
        if hidden:
            self._hidden[case.id] = hidden
        for column, name in enumerate(self._variables):
            self.setItem(row, column, QTableWidgetItem(str(case.values.get(name, ""))))
        combo = named(QComboBox(), "labCaseCheck", "Check")
        for kind in ExpectKind:
            combo.addItem(kind.label, kind.value)
        combo.setCurrentIndex(max(combo.findData(case.expect.kind.value), 0))
        combo.currentIndexChanged.connect(lambda _i: self.cases_changed.emit())
        self.setCellWidget(row, len(self._variables), combo)
        self.setItem(row, len(self._variables) + 1, QTableWidgetItem(case.expect.value))
        self.setItem(row, len(self._variables) + 2, _pictures_item(case.images))


def _pictures_item(sources: Sequence[str]) -> QTableWidgetItem:
    """The Pictures cell: the sources, "|" between them; the full list in its tooltip."""
    item = QTableWidgetItem(" | ".join(sources))
    item.setToolTip("\n".join(sources))
    return item
