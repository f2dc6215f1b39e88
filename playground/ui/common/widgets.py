"""Small widget builders the tabs and dialogs share (names, labels, side-by-side panes, timers)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QComboBox, QLabel, QSplitter, QVBoxLayout, QWidget


def keep_height_for_width(widget: QWidget) -> None:
    """Makes `widget`'s height for its current width its minimum height (call it on resize).

    A layout that sizes its items from their size hints (a panel in a scroll area, a message
    with a fixed height policy) never asks a widget that wraps for its height at the width it
    got, and its last lines were cut off at large text sizes.
    """
    need = widget.heightForWidth(widget.width())
    if need >= 0 and need != widget.minimumHeight():  # -1: no height for width
        widget.setMinimumHeight(need)


class WrappingLabel(QLabel):
    """A word-wrapped label that keeps the height its text needs at its width
    (`keep_height_for_width`)."""

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        keep_height_for_width(self)


def wrapped_label(name: str, text: str = "") -> QLabel:
    """A label that wraps its words (status lines, notes, hints), named `name` for styles and tests."""
    label = WrappingLabel(text)
    label.setObjectName(name)
    label.setWordWrap(True)
    return label


def side_by_side(
    panes: Sequence[tuple[QWidget, int]], *, name: str = "", sizes: Sequence[int] = ()
) -> QSplitter:
    """A horizontal splitter of `panes`, each given with its stretch factor, none collapsible.

    Args:
        panes: the widgets from left to right, each with its stretch factor.
        name: the splitter's object name ("" for none).
        sizes: the starting widths (empty: Qt's own split).
    """
    splitter = QSplitter(Qt.Orientation.Horizontal)
    if name:
        splitter.setObjectName(name)
    for index, (pane, stretch) in enumerate(panes):
        splitter.addWidget(pane)
        splitter.setStretchFactor(index, stretch)
    if sizes:
        splitter.setSizes(list(sizes))
    splitter.setChildrenCollapsible(False)
    return splitter


def fill(owner: QWidget, child: QWidget, margins: tuple[int, int, int, int] | None = None) -> None:
    """Lays `child` out as the whole of `owner`, with the style's margins unless `margins` says."""
    layout = QVBoxLayout(owner)
    if margins is not None:
        layout.setContentsMargins(*margins)
    layout.addWidget(child)


def single_shot(parent: QObject, ms: int, slot: Callable[[], object]) -> QTimer:
    """A single-shot timer of `ms` milliseconds that calls `slot` (armed, or re-armed, by `start()`)."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(ms)
    timer.timeout.connect(slot)
    return timer


_Widget = TypeVar("_Widget", bound=QWidget)


def named(widget: _Widget, name: str, accessible: str, tip: str = "") -> _Widget:
    """`widget` with its object name (styles, tests), accessible name (screen readers) and tooltip.

    Args:
        widget: a new widget.
        name: its object name.
        accessible: what a screen reader calls it.
        tip: its tooltip ("": none).
    """
    widget.setObjectName(name)
    widget.setAccessibleName(accessible)
    if tip:
        widget.setToolTip(tip)
    return widget


def select_data(combo: QComboBox, data: object) -> None:
    """Selects the item of `combo` whose data is `data`; nothing changes if there is none."""
    index = combo.findData(data)
    if index >= 0:
        combo.setCurrentIndex(index)
