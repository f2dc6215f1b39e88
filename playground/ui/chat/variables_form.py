"""The `{{variables}}` form: one field per variable found in the system prompt or the message.

Writing `{{city}}` in the system prompt or the message makes a "city" field appear here; the value
replaces `{{city}}` when the message is sent (`core.presets.fill_messages`). The form is a view: the
tab calls `update_from_texts` whenever those texts change, and reads `values()` and `missing()` when
Send is pressed. Fields come in the order the variables first appear. A value survives its variable
disappearing for a while (a typo in the braces, a preset switch), so it is back when the variable is.
Empty fields are tinted, so what still needs filling in stands out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from PySide6.QtCore import QEvent, QSignalBlocker, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from playground.core.chat.presets import find_variables
from playground.ui.common.widgets import named
from playground.ui.shell.theme import is_dark

_AMBER: Final = QColor(255, 179, 0)


def _mix(base: QColor, tint: QColor, amount: float) -> QColor:
    return QColor(
        round(base.red() + (tint.red() - base.red()) * amount),
        round(base.green() + (tint.green() - base.green()) * amount),
        round(base.blue() + (tint.blue() - base.blue()) * amount),
    )


class VariablesForm(QWidget):
    """A label and a line edit per `{{variable}}`; hidden while there are none.

    Signals:
        changed: a value was edited, or the set of variables changed. No args: read `values()` and
            `missing()`.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("variablesForm")
        self.setAccessibleName("Prompt variables")
        self._names: list[str] = []
        self._values: dict[str, str] = {}
        self._edits: dict[str, QLineEdit] = {}
        self._labels: dict[str, QLabel] = {}

        self.box = QGroupBox("Variables")
        self.box.setObjectName("variablesBox")
        self.box.setToolTip(
            "Each {{name}} in the system prompt or the message is replaced by the value you type "
            "here when the message is sent."
        )
        self.form = QFormLayout(self.box)
        self.form.setContentsMargins(8, 4, 8, 6)
        self.form.setHorizontalSpacing(8)
        self.form.setVerticalSpacing(4)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.box)
        self.setVisible(False)

    # -- slots ------------------------------------------------------------------------------------

    def update_from_texts(self, texts: Iterable[str]) -> None:
        """Shows a field for each variable in `texts` (system prompt, message...), in order.

        Cheap when nothing changed, so it can run on every keystroke.
        """
        names = find_variables(texts)
        if names == self._names:
            if self.isHidden() == bool(names):
                self.setVisible(bool(names))
            return
        self._rebuild(names)
        self.changed.emit()

    def set_values(self, values: Mapping[str, str]) -> None:
        """Fills fields (a loaded preset or draft); names without a field are kept for later."""
        self._values.update(values)
        for name, edit in self._edits.items():
            if name in values:
                with QSignalBlocker(edit):
                    edit.setText(values[name])
                self._restyle(name)
        self.changed.emit()

    def focus_first_missing(self) -> bool:
        """Puts the cursor in the first empty field; False when every field is filled."""
        for name in self.missing():
            self._edits[name].setFocus()
            return True
        return False

    # -- reading ----------------------------------------------------------------------------------

    def names(self) -> list[str]:
        """The variables shown, in order of first appearance."""
        return list(self._names)

    def values(self) -> dict[str, str]:
        """The value of each variable shown, in order ("" when empty)."""
        return {name: self._values.get(name, "") for name in self._names}

    def all_values(self) -> dict[str, str]:
        """Every value typed, also of variables no longer shown (a sent message's)."""
        return dict(self._values)

    def missing(self) -> list[str]:
        """The variables shown whose field is empty, in order."""
        return [name for name in self._names if not self._values.get(name)]

    def editor(self, name: str) -> QLineEdit:
        """The line edit of `name` (KeyError if it is not shown)."""
        return self._edits[name]

    # -- internals --------------------------------------------------------------------------------

    def _rebuild(self, names: list[str]) -> None:
        focused = next((n for n, e in self._edits.items() if e.hasFocus()), None)
        while self.form.rowCount():
            self.form.takeRow(0)  # keeps the widgets: the ones still needed are put back below
        for name in [n for n in self._edits if n not in names]:
            self._edits.pop(name).deleteLater()
            self._labels.pop(name).deleteLater()
        previous: QWidget | None = None
        for name in names:
            edit = self._edits.get(name) or self._make_row(name)
            self.form.addRow(self._labels[name], edit)
            if previous is not None:
                QWidget.setTabOrder(previous, edit)
            previous = edit
        self._names = list(names)
        self.setVisible(bool(names))
        if focused in self._edits:
            self._edits[focused].setFocus()

    def _make_row(self, name: str) -> QLineEdit:
        edit = named(QLineEdit(self._values.get(name, "")), f"variable_{name}", f"Value of {name}")
        edit.setPlaceholderText("Fill in before sending")
        edit.setToolTip(f"Replaces {{{{{name}}}}} in the system prompt and the message.")
        edit.setClearButtonEnabled(True)
        edit.textChanged.connect(lambda text, n=name: self._on_edited(n, text))
        label = QLabel(name)
        label.setObjectName(f"variableLabel_{name}")
        label.setBuddy(edit)
        label.setToolTip(edit.toolTip())
        self._edits[name] = edit
        self._labels[name] = label
        self._restyle(name)
        return edit

    def _on_edited(self, name: str, text: str) -> None:
        was_empty = not self._values.get(name)
        self._values[name] = text
        if was_empty != (not text):
            self._restyle(name)
        self.changed.emit()

    def _restyle(self, name: str) -> None:
        edit = self._edits[name]
        empty = not self._values.get(name)
        palette = QPalette(self.palette())
        if empty:
            base = palette.color(QPalette.ColorRole.Base)
            palette.setColor(
                QPalette.ColorRole.Base, _mix(base, _AMBER, 0.2 if is_dark(palette) else 0.18)
            )
        edit.setPalette(palette)
        edit.setAccessibleDescription("empty: fill in before sending" if empty else "")

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            for name in self._edits:
                self._restyle(name)
