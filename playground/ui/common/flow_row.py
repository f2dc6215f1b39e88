"""A row of control groups that wraps onto more lines instead of clipping (issue 20 item 16).

At 150 % or 200 % text size a row of buttons laid out for 100 % is wider than its column: a plain
`QHBoxLayout` either widens the column (and the window outgrows the screen) or squeezes the buttons
until their labels are cut ("Enter ser"). A `FlowRow` keeps each group of controls whole and puts
the groups on as many lines as the width needs.

It places its groups itself (no layout of its own) and reports its height for a width
(`heightForWidth`), so the layouts around it, scroll areas included, size it in one pass. An earlier
version moved the groups between box layouts made and deleted on each change: a layout given back
by `removeItem` and deleted later was deleted twice now and then (a crash while painting), and a
scroll area around it could resize itself without end.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRect, QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QWidget

from playground.ui.common.widgets import keep_height_for_width


class FlowRow(QWidget):
    """Groups of controls on one line, or on as many lines as the width needs.

    A group (one widget, or several made one with `group`) is never split; groups from
    `right_from` on sit at the right of their line. The row may be as narrow as its widest group
    (it wraps instead of widening its column); it places its groups again when one is added,
    shown, hidden or changes size.
    """

    def __init__(
        self, groups: list[QWidget], right_from: int, spacing: int = 6, line_spacing: int = 4
    ) -> None:
        super().__init__()
        self._groups: list[QWidget] = []
        self._right_from = right_from
        self._spacing = spacing
        self._line_spacing = line_spacing
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        for index, widget in enumerate(groups):
            self._adopt(index, widget)

    # --- groups -----------------------------------------------------------------------------------

    def groups(self) -> list[QWidget]:
        """The groups, in order."""
        return list(self._groups)

    def insert_group(self, index: int, group: QWidget) -> None:
        """Adds `group` before the group at `index` (at the end for `len(groups())`)."""
        if index < self._right_from:
            self._right_from += 1
        self._adopt(index, group)
        self._changed()

    def lines(self) -> list[list[int]]:
        """The shown groups on each line at the current width, by index."""
        return self._lines(self.width())

    def _adopt(self, index: int, group: QWidget) -> None:
        hidden = group.isHidden() and group.testAttribute(
            Qt.WidgetAttribute.WA_WState_ExplicitShowHide
        )
        group.setParent(self)  # hides it: shown again unless it was hidden on purpose
        group.setVisible(not hidden)
        self._groups.insert(index, group)

    # --- geometry ---------------------------------------------------------------------------------

    def _shown(self) -> list[int]:
        return [i for i, g in enumerate(self._groups) if not g.isHidden()]

    def _lines(self, width: int) -> list[list[int]]:
        lines: list[list[int]] = [[]]
        used = 0
        for index in self._shown():
            needed = self._groups[index].sizeHint().width()
            if used and used + self._spacing + needed > width:
                lines.append([])
                used = 0
            used += (self._spacing if used else 0) + needed
            lines[-1].append(index)
        return [line for line in lines if line]

    def _line_height(self, line: list[int]) -> int:
        return max(self._groups[i].sizeHint().height() for i in line)

    def _place(self) -> None:
        width = self.width()
        y = 0
        for line in self._lines(width):
            height = self._line_height(line)
            left = [i for i in line if i < self._right_from]
            right = [i for i in line if i >= self._right_from]
            sizes = {i: self._groups[i].sizeHint() for i in line}
            x = 0
            for i in left:
                w = min(sizes[i].width(), max(width - x, 1))
                self._put(i, QRect(x, y, w, height), sizes[i])
                x += w + self._spacing
            total = sum(sizes[i].width() for i in right) + self._spacing * (len(right) - 1)
            x = max(width - total, x if left else 0)
            for i in right:
                w = min(sizes[i].width(), max(width - x, 1))
                self._put(i, QRect(x, y, w, height), sizes[i])
                x += w + self._spacing
            y += height + self._line_spacing

    def _put(self, index: int, cell: QRect, hint: QSize) -> None:
        """Places group `index` in `cell`, centred vertically at its own height."""
        h = min(hint.height(), cell.height())
        top = cell.top() + (cell.height() - h) // 2
        self._groups[index].setGeometry(QRect(cell.left(), top, cell.width(), h))

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        lines = self._lines(width)
        heights = [self._line_height(line) for line in lines]
        return sum(heights) + self._line_spacing * max(len(heights) - 1, 0)

    def sizeHint(self) -> QSize:
        shown = self._shown()
        width = sum(self._groups[i].sizeHint().width() for i in shown)
        width += self._spacing * max(len(shown) - 1, 0)
        return QSize(width, self.heightForWidth(width))

    def minimumSizeHint(self) -> QSize:
        # As narrow as its widest group: it wraps rather than widen its column. Its height is
        # that of one line: the height at a given width comes from `heightForWidth` (a minimum
        # of every group on its own line made each answer that much taller, blank below).
        shown = self._shown()
        width = max((_minimum_width(self._groups[i]) for i in shown), default=0)
        return QSize(width, self.sizeHint().height())

    def _changed(self) -> None:
        self._place()
        self.updateGeometry()

    def event(self, event: QEvent) -> bool:
        # A group shown, hidden or resized posts a layout request to its parent (this row, which
        # has no layout of its own).
        if event.type() == QEvent.Type.LayoutRequest:
            self._changed()
        return super().event(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._place()
        super().resizeEvent(event)
        keep_height_for_width(self)  # a message's header: its second line was cut off


def _minimum_width(widget: QWidget) -> int:
    """The width a layout would not go below: the widget's own minimum, else its hint's."""
    return widget.minimumWidth() or widget.minimumSizeHint().width()


def group(*widgets: QWidget, spacing: int = 6) -> QWidget:
    """Widgets side by side, kept together on one line of a `FlowRow`."""
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(spacing)
    for widget in widgets:
        row.addWidget(widget)
    return box
