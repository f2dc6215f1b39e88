"""A row of control groups that wraps onto more lines instead of clipping (issue 20 item 16).

At 150 % or 200 % text size a row of buttons laid out for 100 % is wider than its column: a plain
`QHBoxLayout` either widens the column (and the window outgrows the screen) or squeezes the buttons
until their labels are cut ("Enter ser"). A `FlowRow` keeps each group of controls whole and puts
the groups on as many lines as the width needs.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

_RELAYOUT = (QEvent.Type.LayoutRequest, QEvent.Type.Show, QEvent.Type.Hide)


class FlowRow(QWidget):
    """Groups of controls on one line, or on as many lines as the width needs.

    A group (one widget, or several made one with `group`) is never split; groups from
    `right_from` on sit at the right of their line. The row may be as narrow as its widest group
    (it wraps instead of widening its column), and lays itself out again when a group is added,
    shown, hidden or changes size.
    """

    def __init__(
        self, groups: list[QWidget], right_from: int, spacing: int = 6, line_spacing: int = 4
    ) -> None:
        super().__init__()
        self._groups = groups
        self._right_from = right_from
        self._spacing = spacing
        self._lines: list[list[int]] = []
        self._rows: list[QHBoxLayout] = []
        self._box = QVBoxLayout(self)
        self._box.setContentsMargins(0, 0, 0, 0)
        self._box.setSpacing(line_spacing)
        for group in groups:
            self._adopt(group)
        self._relayout()

    def lines(self) -> list[list[int]]:
        """The groups on each line, by index."""
        return [list(line) for line in self._lines]

    def groups(self) -> list[QWidget]:
        """The groups, in order."""
        return list(self._groups)

    def insert_group(self, index: int, group: QWidget) -> None:
        """Adds `group` before the group at `index` (at the end for `len(groups())`)."""
        self._groups.insert(index, group)
        if index < self._right_from:
            self._right_from += 1
        self._adopt(group)
        self._lines = []  # arranged again, whatever the width
        self._relayout()

    def _adopt(self, group: QWidget) -> None:
        group.setParent(self)
        group.installEventFilter(self)

    def _relayout(self) -> None:
        self._update_minimum()
        self._arrange(self.width() if self.width() > 0 else 10**6)

    def _update_minimum(self) -> None:
        widths = [g.minimumSizeHint().width() for g in self._groups if not g.isHidden()]
        self.setMinimumWidth(max(widths, default=0))

    def _breaks(self, width: int) -> list[list[int]]:
        lines: list[list[int]] = [[]]
        used = 0
        for index, group in enumerate(self._groups):
            if group.isHidden():  # takes no room; kept in its place for when it is shown
                lines[-1].append(index)
                continue
            needed = group.sizeHint().width()
            if used and used + self._spacing + needed > width:
                lines.append([])
                used = 0
            used += (self._spacing if used else 0) + needed
            lines[-1].append(index)
        return lines

    def _arrange(self, width: int) -> None:
        lines = self._breaks(width)
        if lines == self._lines:
            return
        self._lines = lines
        for row in self._rows:
            for group in self._groups:
                row.removeWidget(group)
            self._box.removeItem(row)
            row.deleteLater()
        self._rows = []
        for line in lines:
            row = QHBoxLayout()
            row.setSpacing(self._spacing)
            stretched = False
            for index in line:
                if index >= self._right_from and not stretched:
                    row.addStretch(1)
                    stretched = True
                row.addWidget(self._groups[index])
            if not stretched:
                row.addStretch(1)
            self._box.addLayout(row)
            self._rows.append(row)
        self.updateGeometry()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _RELAYOUT and watched in self._groups:
            self._relayout()
        return super().eventFilter(watched, event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._arrange(event.size().width())
        super().resizeEvent(event)


def group(*widgets: QWidget, spacing: int = 6) -> QWidget:
    """Widgets side by side, kept together on one line of a `FlowRow`."""
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(spacing)
    for widget in widgets:
        row.addWidget(widget)
    return box
