"""The model picker every tab can use: a combo box that knows which models are going.

`ModelCombo` is a `QComboBox` whose item text stays the model id (requests and tests read
`currentText()`), filled from `retirements.ModelChoice` entries the controller computed:

* a small badge next to a dated model ("gpt-4o · retires 14 Jan"), drawn by a delegate in the list
  and by `paintEvent` (or a label inside the line edit, when editable) in the closed box;
* a tooltip per item with the date and the suggested replacement;
* models past their date hidden unless `retired_toggle` ("Show retired") is ticked;
* `note`: a sentence under the box explaining a picked retired (or soon-retiring, or
  longest-lasting-of-an-all-dated-kind) model.

The tab lays out `retired_toggle` and `note` (both hidden while they have nothing to say) and
calls `set_choices`; nothing here computes a date or a replacement.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QPainter, QPaintEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QLabel,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionComboBox,
    QStyleOptionViewItem,
    QStylePainter,
    QVBoxLayout,
    QWidget,
)

from playground.core.api.errors import AppError
from playground.core.api.retirements import ModelChoice

SEPARATOR = " · "


def as_choices(items: Sequence[str | ModelChoice]) -> list[ModelChoice]:
    """Plain ids become choices with nothing to say (for callers that know no dates)."""
    return [c if isinstance(c, ModelChoice) else ModelChoice(c) for c in items]


def shown_text(choice: ModelChoice | None, model_id: str) -> str:
    """What the picker draws for a model: the id, and its badge when it has one."""
    if choice is None or not choice.badge:
        return model_id
    return f"{model_id}{SEPARATOR}{choice.badge}"


class _BadgeDelegate(QStyledItemDelegate):
    """Draws "id · badge" for dated models in the popup list; the item text stays the id."""

    def __init__(self, combo: ModelCombo) -> None:
        super().__init__(combo)
        self._combo = combo

    def _option(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QStyleOptionViewItem:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        choice = self._combo.choice(str(index.data() or ""))
        opt.text = shown_text(choice, opt.text)
        if choice is not None and choice.retired:
            muted = opt.palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
            opt.palette.setColor(QPalette.ColorRole.Text, muted)
        return opt

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        opt = self._option(option, index)
        style = opt.widget.style() if opt.widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        opt = self._option(option, index)
        style = opt.widget.style() if opt.widget is not None else QApplication.style()
        return style.sizeFromContents(QStyle.ContentsType.CT_ItemViewItem, opt, QSize(), opt.widget)


class ModelCombo(QComboBox):
    """A model combo box with retirement badges, tooltips and a "Show retired" toggle.

    Attributes:
        retired_toggle: "Show retired (n)"; the tab places it; shown only when the list has
            retired models (or it is ticked).
        note: the explanation for the picked model; the tab places it; hidden when empty.

    Signals: those of `QComboBox`; `currentTextChanged` carries the model id. Toggling "Show
    retired" that hides the current model selects the default and emits it.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._all: list[ModelChoice] = []
        self._by_id: dict[str, ModelChoice] = {}
        self._default = ""
        self._base_tooltip = ""
        self.retired_toggle = QCheckBox("Show retired")
        self.retired_toggle.setToolTip("List the models whose shutdown date has passed.")
        self.retired_toggle.setAccessibleName("Show retired models")
        self.retired_toggle.setVisible(False)
        self.retired_toggle.toggled.connect(self._on_toggled)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setAccessibleName("About the picked model")
        self.note.setVisible(False)
        self._badge = QLabel(self)  # the badge inside an editable box's line edit
        self._full_badge = ""  # what it says when there is room
        self._badge.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._badge.setVisible(False)
        self.setItemDelegate(_BadgeDelegate(self))
        self.currentIndexChanged.connect(lambda _i: self._show_current())
        self.editTextChanged.connect(lambda _t: self._show_current())

    def setObjectName(self, name: str) -> None:
        super().setObjectName(name)
        self.retired_toggle.setObjectName(f"{name}ShowRetired")
        self.note.setObjectName(f"{name}Note")

    def setToolTip(self, text: str) -> None:
        self._base_tooltip = text
        self._show_current()

    # --- filling -----------------------------------------------------------------------------

    def set_choices(
        self, choices: Sequence[str | ModelChoice], current: str = "", default: str = ""
    ) -> None:
        """Fills the box; selects `current` (else `default`, else the first model).

        A retired `current` stays listed and picked, with its note, even while "Show retired" is
        off: a saved choice is explained, never silently replaced (callers that must not start on
        a retired model pass the default as `current`).

        Args:
            choices: every listed model of the tab's kind, retired ones too.
            current: the model to select.
            default: the model to fall back to (and to select when "Show retired" is turned off
                while a retired model is picked).
        """
        self._all = as_choices(choices)
        self._by_id = {c.id: c for c in self._all}
        self._default = default
        self._fill(current)

    def choice(self, model_id: str | None = None) -> ModelChoice | None:
        """What is known of `model_id` (the current model when None)."""
        return self._by_id.get(self.currentText() if model_id is None else model_id)

    def shown(self, index: int | None = None) -> str:
        """What the box draws for item `index` (the current one when None): the id and badge."""
        text = self.currentText() if index is None else self.itemText(index)
        return shown_text(self.choice(text), text)

    def model_ids(self) -> list[str]:
        """The ids the box lists now (without hidden retired ones)."""
        return [self.itemText(i) for i in range(self.count())]

    def shows_retired(self) -> bool:
        return self.retired_toggle.isChecked()

    def _offered(self, keep: str = "") -> list[ModelChoice]:
        if self.retired_toggle.isChecked():
            return list(self._all)
        return [c for c in self._all if not c.retired or c.id == keep]

    def _fill(self, current: str, keep_retired: bool = True) -> None:
        # A retired model the caller asks for stays picked (and listed, with its note) even with
        # "Show retired" off: the user's saved choice is explained, never silently replaced.
        offered = self._offered(current if keep_retired else "")
        ids = [c.id for c in offered]
        with_signals = self.blockSignals(True)
        try:
            self.clear()
            for c in offered:
                self.addItem(c.id)
                if c.tooltip:
                    self.setItemData(self.count() - 1, c.tooltip, Qt.ItemDataRole.ToolTipRole)
            if current in ids:
                self.setCurrentIndex(ids.index(current))
            elif self.isEditable() and current and current not in self._by_id:
                self.setEditText(current)  # an id typed by hand, that the list does not have
            elif self._default in ids:
                self.setCurrentIndex(ids.index(self._default))
            elif ids:
                self.setCurrentIndex(0)
        finally:
            self.blockSignals(with_signals)
        retired = sum(1 for c in self._all if c.retired)
        self.retired_toggle.setText(f"Show retired ({retired})" if retired else "Show retired")
        self._set_shown(self.retired_toggle, retired > 0 or self.retired_toggle.isChecked())
        self._show_current()

    def _on_toggled(self, _on: bool) -> None:
        before = self.currentText()
        self._fill(before, keep_retired=False)  # turned off: a retired pick gives way
        if self.currentText() != before and not self.signalsBlocked():
            self.currentIndexChanged.emit(self.currentIndex())
            self.currentTextChanged.emit(self.currentText())

    # --- showing the current model ---------------------------------------------------------------

    def _show_current(self) -> None:
        choice = self.choice()
        tip = choice.tooltip if choice is not None else ""
        super().setToolTip("\n".join(t for t in (self._base_tooltip, tip) if t))
        note = choice.note if choice is not None else ""
        self.note.setText(note)
        self._set_shown(self.note, bool(note))
        if choice is not None and choice.retired:
            self.note.setStyleSheet("font-weight: 600;")
        else:
            self.note.setStyleSheet("")
        self._full_badge = choice.badge if choice is not None and self.isEditable() else ""
        self._place_badge()
        self.update()

    def _place_badge(self) -> None:
        edit = self.lineEdit()
        if edit is None:
            return
        # The id comes first: in a narrow box the badge drops its verb ("14 Jan"), then itself
        # (the tooltip and the note still say it).
        room = edit.width() - edit.fontMetrics().horizontalAdvance(edit.text()) - 8
        badge = ""
        if self._full_badge:
            short = self._full_badge.split(" ", 1)[-1]
            badge = next((t for t in (self._full_badge, short) if self._badge_width(t) <= room), "")
        self._badge.setText(badge)
        self._badge.setVisible(bool(badge))
        if not badge:
            edit.setTextMargins(0, 0, 0, 0)
            return
        self._badge.adjustSize()
        width = self._badge.sizeHint().width()
        edit.setTextMargins(0, 0, width + 6, 0)
        geometry = edit.geometry()
        self._badge.setGeometry(
            geometry.right() - width - 2, geometry.top(), width, geometry.height()
        )
        palette = self._badge.palette()
        # The placeholder colour: quieter than the id, still readable in both themes (the
        # disabled text colour is too faint on a light theme).
        muted = self.palette().color(QPalette.ColorRole.PlaceholderText)
        palette.setColor(QPalette.ColorRole.WindowText, muted)
        self._badge.setPalette(palette)
        self._badge.raise_()

    def _badge_width(self, text: str) -> int:
        return self._badge.fontMetrics().horizontalAdvance(text) + 4

    @staticmethod
    def _set_shown(widget: QWidget, on: bool) -> None:
        # A widget the tab never laid out has no parent: showing it would open a window.
        if widget.parentWidget() is not None:
            widget.setVisible(on)

    # --- Qt overrides ------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        if self.isEditable():
            super().paintEvent(event)
            return
        painter = QStylePainter(self)
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        if self.currentIndex() < 0 and self.placeholderText():
            muted = opt.palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
            opt.palette.setColor(QPalette.ColorRole.ButtonText, muted)
            opt.currentText = self.placeholderText()
        else:
            opt.currentText = shown_text(self.choice(), opt.currentText)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, opt)
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, opt)

    def showPopup(self) -> None:
        # The list is as wide as its widest "id · badge" (the box may be narrower): a badge is
        # never cut to "…ires 14 Jan".
        view = self.view()
        metrics = view.fontMetrics()
        widest = max(
            (metrics.horizontalAdvance(self.shown(i)) for i in range(self.count())), default=0
        )
        scrollbar = view.verticalScrollBar().sizeHint().width()
        view.setMinimumWidth(widest + scrollbar + 24)
        super().showPopup()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place_badge()


def picker_field(combo: ModelCombo) -> QWidget:
    """`combo` with its "Show retired" toggle and its note under it, as one form field (hidden
    parts take no room)."""
    field = QWidget()
    layout = QVBoxLayout(field)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    layout.addWidget(combo)
    layout.addWidget(combo.retired_toggle)
    layout.addWidget(combo.note)
    field.setFocusProxy(combo)
    return field


class UseReplacementButton(QPushButton):
    """ "Use gpt-image-2": offered under a retired model's 404 (`AppError.replacement`, see
    `retirements.retired_error`); clicking picks the replacement in the tab's model picker.

    Hidden while there is nothing to offer. The tab places it next to its error text and calls
    `offer(error)` whenever it shows (or clears) an error.

    Signals:
        used: the replacement was picked. arg: its id.
    """

    used = Signal(str)

    def __init__(self, combo: QComboBox, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._combo = combo
        self._model = ""
        self.setObjectName(f"{combo.objectName() or 'model'}UseReplacement")
        self.setAccessibleName("Use the replacement model")
        self.setVisible(False)
        self.clicked.connect(self._use)

    def offer(self, error: AppError | None, combo: QComboBox | None = None) -> None:
        """Shows "Use <replacement>" for a retired model's error; hides the button otherwise.

        Args:
            error: the error shown (its `replacement` is what is offered), or None.
            combo: the picker to switch (when the tab has several, e.g. Prompt Lab's variants).
        """
        if combo is not None:
            self._combo = combo
        self._model = (error.replacement or "") if error is not None else ""
        self.setText(f"Use {self._model}" if self._model else "")
        self.setToolTip(
            f"Pick {self._model} in the model list instead, then send again" if self._model else ""
        )
        if self.parentWidget() is not None:
            self.setVisible(bool(self._model))

    def model(self) -> str:
        """The replacement on offer ("" for none)."""
        return self._model

    def _use(self) -> None:
        model = self._model
        if not model:
            return
        index = self._combo.findText(model)
        if index >= 0:
            self._combo.setCurrentIndex(index)
        elif self._combo.isEditable():
            self._combo.setCurrentText(model)
        self.offer(None)
        self.used.emit(model)
