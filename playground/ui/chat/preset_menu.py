"""The "Presets" menu of the Chat tab: save, load, rename, delete, import and export presets.

The menu is a view. It keeps no presets and touches no files: the controller hands it the presets
(`set_presets`) and the one in use (`set_current`), and receives intent signals with names and
paths. The menu asks the user everything first (a name, "replace it?", "delete it?", a file), so a
signal is only emitted for an action the user confirmed.

Every question goes through a small method (`ask_name`, `ask_choice`, `confirm`, `ask_open_path`,
`ask_save_path`). Tests replace them on the instance; nothing patches Qt classes. The questions are
short modal dialogs (`exec()`), started from a menu click, never from inside an asyncio task.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Final

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QAction, QFont, QKeySequence, QPainter, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QProxyStyle,
    QStyle,
    QStyleOption,
    QStyleOptionMenuItem,
    QVBoxLayout,
    QWidget,
)

from playground.core.chat.presets import Preset
from playground.ui.chat.code_dialog import muted_color
from playground.ui.common.widgets import named, wrapped_label

#: The file filter of the import and export dialogs.
JSON_FILTER: Final = "Presets (*.json);;All files (*)"
#: The file name offered when exporting.
EXPORT_NAME: Final = "presets.json"


def clean_name(name: str) -> str:
    """A name as the store keeps it: trimmed, with runs of spaces made one."""
    return " ".join(name.split())


def _menu_text(text: str) -> str:
    """Text for a QAction: "&" is a mnemonic marker there, so a literal one is doubled."""
    return text.replace("&", "&&")


class _MutedShortcutStyle(QProxyStyle):
    """Draws a menu item's text after the tab (a shortcut, or a preset's model) in a muted colour.

    Fusion draws that text like the label. The item is drawn twice: once without it, then once
    more with it in the muted colour, clipped to the column the base style keeps for it (the label
    never reaches that column, the base style elides it first).
    """

    def drawControl(
        self,
        element: QStyle.ControlElement,
        option: QStyleOption,
        painter: QPainter,
        widget: QWidget | None = None,
    ) -> None:
        if element != QStyle.ControlElement.CE_MenuItem or not isinstance(
            option, QStyleOptionMenuItem
        ):
            super().drawControl(element, option, painter, widget)
            return
        if option.menuItemType == QStyleOptionMenuItem.MenuItemType.Separator and option.text:
            self._draw_section(option, painter)
            return
        if "\t" not in option.text:
            super().drawControl(element, option, painter, widget)
            return
        label = QStyleOptionMenuItem(option)
        label.text = option.text.partition("\t")[0]
        super().drawControl(element, label, painter, widget)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        enabled = bool(option.state & QStyle.StateFlag.State_Enabled)
        if selected or not enabled:
            muted = option  # on the highlight, and when greyed out, the base colours read best
        else:
            muted = QStyleOptionMenuItem(option)
            palette = QPalette(option.palette)
            color = muted_color(palette)
            for role in (
                QPalette.ColorRole.Text,
                QPalette.ColorRole.ButtonText,
                QPalette.ColorRole.WindowText,
            ):
                palette.setColor(role, color)
            muted.palette = palette
        rect = option.rect
        left = rect.right() - option.reservedShortcutWidth - 20
        painter.save()
        painter.setClipRect(QRect(left, rect.top(), rect.right() - left + 1, rect.height()))
        super().drawControl(element, muted, painter, widget)
        painter.restore()

    def _draw_section(self, option: QStyleOptionMenuItem, painter: QPainter) -> None:
        """A section title ("Load"): small, bold and muted, like a heading over its items."""
        painter.save()
        font = QFont(option.font)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(muted_color(option.palette))
        painter.drawText(
            option.rect.adjusted(8, 0, -8, 0),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            option.text,
        )
        painter.restore()


class PresetNameDialog(QDialog):
    """A small "name this preset" dialog that checks the name as it is typed.

    OK is disabled while the name is empty or one of `forbidden`; a name in `existing` is allowed
    but the dialog says it will replace that preset.

    Args:
        title: the window title.
        label: the question above the box.
        text: the name offered.
        ok_text: the OK button's text ("Save", "Rename").
        existing: names that may be replaced (compared without regard to case).
        forbidden: names that may not be used (compared without regard to case).
        parent: the parent widget.
    """

    def __init__(
        self,
        title: str,
        label: str,
        text: str = "",
        *,
        ok_text: str = "OK",
        existing: Collection[str] = (),
        forbidden: Collection[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("presetNameDialog")
        self.setWindowTitle(title)
        self._existing = {n.casefold(): n for n in existing}
        self._forbidden = {n.casefold(): n for n in forbidden}
        question = QLabel(label)
        question.setWordWrap(True)
        self.name_edit = named(
            QLineEdit(text), "presetNameEdit", "Preset name", "The name shown in the Presets menu"
        )
        self.name_edit.setPlaceholderText("For example: Short answers")
        self.name_edit.selectAll()
        question.setBuddy(self.name_edit)
        self.hint_label = wrapped_label("presetNameHint")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(ok_text)
        self.ok_button.setObjectName("presetNameOkButton")
        self.ok_button.setAccessibleName(ok_text)
        self.ok_button.setToolTip(f"{ok_text} with this name (Enter)")
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setObjectName("presetNameCancelButton")
        cancel.setAccessibleName("Cancel")
        cancel.setToolTip("Close without changing anything (Esc)")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.name_edit.textChanged.connect(self._check)
        layout = QVBoxLayout(self)
        layout.addWidget(question)
        layout.addWidget(self.name_edit)
        layout.addWidget(self.hint_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(360)
        self._check()

    def name(self) -> str:
        """The name typed, tidied (see `clean_name`)."""
        return clean_name(self.name_edit.text())

    def _check(self) -> None:
        name = self.name()
        key = name.casefold()
        muted = muted_color(self.palette()).name()
        ok = bool(name) and key not in self._forbidden
        if not name:
            hint = "A preset needs a name."
        elif key in self._forbidden:
            hint = f"Another preset is already called “{self._forbidden[key]}”."
        elif key in self._existing:
            hint = f"This replaces the preset “{self._existing[key]}”."
        else:
            hint = ""
        self.hint_label.setText(hint)
        self.hint_label.setStyleSheet(f"color: {muted}")
        self.hint_label.setVisible(bool(hint))
        self.ok_button.setEnabled(ok)


class PresetChoiceDialog(QDialog):
    """Asks which preset an action is for.

    Args:
        title: the window title.
        label: the question.
        names: the presets to choose from.
        current: the one selected at first (None: the first).
        ok_text: the OK button's text.
        parent: the parent widget.
    """

    def __init__(
        self,
        title: str,
        label: str,
        names: Sequence[str],
        current: str | None = None,
        *,
        ok_text: str = "OK",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("presetChoiceDialog")
        self.setWindowTitle(title)
        self.combo = named(QComboBox(), "presetChoiceCombo", "Preset", "The preset this applies to")
        self.combo.addItems(list(names))
        if current is not None and current in names:
            self.combo.setCurrentText(current)
        form = QFormLayout()
        form.addRow(label, self.combo)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(ok_text)
        ok.setObjectName("presetChoiceOkButton")
        ok.setAccessibleName(ok_text)
        ok.setToolTip(f"{ok_text} the chosen preset (Enter)")
        cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setObjectName("presetChoiceCancelButton")
        cancel.setAccessibleName("Cancel")
        cancel.setToolTip("Close without changing anything (Esc)")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.setMinimumWidth(320)

    def choice(self) -> str:
        return self.combo.currentText()


class PresetMenu(QMenu):
    """The Presets menu: "Save as preset…", the presets to load, and managing them.

    Rename and Delete act on the preset in use (`set_current`); with none in use and more than one
    preset, they first ask which. Loading does not tick the item itself: the controller calls
    `set_current` once the preset is loaded.

    Ctrl+S (Save on every OS) is shown next to "Save as preset…" and works while the menu's tool
    button is in the window. The controller may also add `save_action` to the tab.

    Args:
        parent: the parent widget (the tool button or the tab); dialogs open over it.

    Signals:
        save_requested: save the current settings as a preset. arg: the name (tidied, not empty;
            the user has already agreed to replace a preset of that name).
        load_requested: load a preset. arg: its name.
        rename_requested: rename a preset. args: the old name, the new name (not taken).
        delete_requested: delete a preset (the user confirmed). arg: its name.
        import_requested: import presets from a file. arg: the path.
        export_requested: export every preset to a file. arg: the path (ends in .json unless the
            user typed another extension).
        starter_requested: open a shipped starter (the "Starters" submenu; they never mix with
            the user's presets). arg: the starter's id.
    """

    save_requested = Signal(str)
    load_requested = Signal(str)
    rename_requested = Signal(str, str)
    delete_requested = Signal(str)
    import_requested = Signal(str)
    export_requested = Signal(str)
    starter_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Presets", parent)
        self.setObjectName("presetMenu")
        self.setAccessibleName("Presets")
        self.setToolTip("Save and load the system prompt with every setting")
        self.setToolTipsVisible(True)
        self._presets: list[tuple[str, str]] = []  # (name, model)
        self._current: str | None = None
        self._last_dir = ""
        self._style = _MutedShortcutStyle()
        self._style.setParent(self)
        self.setStyle(self._style)

        self.save_action = QAction("Save as preset…", self)
        self.save_action.setObjectName("savePresetAction")
        self.save_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Save))
        self.save_action.setToolTip(
            "Keep the system prompt and every setting under a name, to load again later"
        )
        self.save_action.triggered.connect(self.on_save_triggered)

        self.empty_action = QAction("No presets yet", self)
        self.empty_action.setObjectName("noPresetsAction")
        self.empty_action.setEnabled(False)
        self.empty_action.setToolTip("Saved presets appear here")

        self.rename_action = QAction("Rename…", self)
        self.rename_action.setObjectName("renamePresetAction")
        self.rename_action.triggered.connect(self.on_rename_triggered)
        self.delete_action = QAction("Delete…", self)
        self.delete_action.setObjectName("deletePresetAction")
        self.delete_action.triggered.connect(self.on_delete_triggered)
        self.import_action = QAction("Import…", self)
        self.import_action.setObjectName("importPresetsAction")
        self.import_action.setToolTip("Add the presets of a .json file (someone shared them)")
        self.import_action.triggered.connect(self.on_import_triggered)
        self.export_action = QAction("Export…", self)
        self.export_action.setObjectName("exportPresetsAction")
        self.export_action.setToolTip("Save every preset to a .json file, to share or back up")
        self.export_action.triggered.connect(self.on_export_triggered)

        self.addAction(self.save_action)
        self.starters_menu = QMenu("Starters", self)  # shipped tasks: set_starters
        self.starters_menu.setObjectName("startersMenu")
        self.starters_menu.setToolTipsVisible(True)
        self.starters_menu.menuAction().setToolTip("Ready-made tasks that come with the app")
        self.addMenu(self.starters_menu)
        self.set_starters([])
        self.addSection("Load")
        self._load_end = self.addSeparator()  # load items go just above it
        self.addAction(self.rename_action)
        self.addAction(self.delete_action)
        self.addSeparator()
        self.addAction(self.import_action)
        self.addAction(self.export_action)
        self.load_actions: list[QAction] = []
        self._rebuild()

    # -- public API ------------------------------------------------------------------------------

    def set_presets(self, presets: Iterable[Preset | str]) -> None:
        """Lists these presets (or bare names) under "Load", in the order given."""
        self._presets = [
            (p, "") if isinstance(p, str) else (p.name, p.params.model) for p in presets
        ]
        self._rebuild()

    def set_starters(self, starters: Iterable[tuple[str, str, str]]) -> None:
        """Lists the shipped starters, `(id, title, category)`, by category in the submenu."""
        self.starters_menu.clear()
        by_category: dict[str, list[tuple[str, str]]] = {}
        for starter_id, title, category in starters:
            by_category.setdefault(category, []).append((starter_id, title))
        for category in sorted(by_category, key=str.casefold):
            self.starters_menu.addSection(category)
            for starter_id, title in by_category[category]:
                action = self.starters_menu.addAction(_menu_text(title))
                action.triggered.connect(
                    lambda _=False, i=starter_id: self.starter_requested.emit(i)
                )
        if not by_category:
            self.starters_menu.addAction("No starters").setEnabled(False)

    def set_current(self, name: str | None) -> None:
        """Marks the preset in use (None: none); Rename and Delete act on it."""
        self._current = name
        self._rebuild()

    def names(self) -> list[str]:
        """The names listed, in order."""
        return [name for name, _ in self._presets]

    def current(self) -> str | None:
        """The preset in use, if it is listed."""
        return self._find(self._current) if self._current is not None else None

    # -- the questions (tests replace these on the instance) -----------------------------------

    def ask_name(
        self,
        title: str,
        label: str,
        text: str = "",
        *,
        ok_text: str = "OK",
        existing: Collection[str] = (),
        forbidden: Collection[str] = (),
    ) -> str | None:
        """Asks for a preset name; None if the user cancelled. See `PresetNameDialog`."""
        dialog = PresetNameDialog(
            title,
            label,
            text,
            ok_text=ok_text,
            existing=existing,
            forbidden=forbidden,
            parent=self.parentWidget(),
        )
        try:
            return dialog.name() if dialog.exec() == QDialog.DialogCode.Accepted else None
        finally:
            dialog.deleteLater()

    def ask_choice(
        self, title: str, label: str, names: Sequence[str], current: str | None, ok_text: str
    ) -> str | None:
        """Asks which preset; None if the user cancelled. See `PresetChoiceDialog`."""
        dialog = PresetChoiceDialog(
            title, label, names, current, ok_text=ok_text, parent=self.parentWidget()
        )
        try:
            return dialog.choice() if dialog.exec() == QDialog.DialogCode.Accepted else None
        finally:
            dialog.deleteLater()

    def confirm(self, title: str, text: str, ok_text: str) -> bool:
        """Asks a yes/no question whose "yes" is `ok_text`; Cancel is the default."""
        box = QMessageBox(self.parentWidget())
        box.setObjectName("presetConfirmBox")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(title)
        box.setText(text)
        yes = box.addButton(ok_text, QMessageBox.ButtonRole.AcceptRole)
        yes.setObjectName("presetConfirmButton")
        yes.setAccessibleName(ok_text)
        no = box.addButton(QMessageBox.StandardButton.Cancel)
        no.setObjectName("presetCancelButton")
        box.setDefaultButton(no)
        try:
            box.exec()
            return box.clickedButton() is yes
        finally:
            box.deleteLater()

    def ask_open_path(self) -> str | None:
        """Asks for a presets file to import; None if the user cancelled."""
        path, _ = QFileDialog.getOpenFileName(
            self.parentWidget(), "Import presets", self._last_dir, JSON_FILTER
        )
        return path or None

    def ask_save_path(self, suggested: str) -> str | None:
        """Asks where to export the presets; None if the user cancelled.

        Args:
            suggested: the file name (or path) offered.
        """
        start = str(Path(self._last_dir) / suggested) if self._last_dir else suggested
        path, _ = QFileDialog.getSaveFileName(
            self.parentWidget(), "Export presets", start, JSON_FILTER
        )
        return path or None

    # -- actions ---------------------------------------------------------------------------------

    def on_save_triggered(self) -> None:
        names = self.names()
        name = self.ask_name(
            "Save as preset",
            "Save the system prompt and every setting as a preset named:",
            self.current() or "",
            ok_text="Save",
            existing=names,
        )
        name = clean_name(name or "")
        if not name:
            return
        taken = self._find(name)
        if taken is not None and not self.confirm(
            "Replace preset?",
            f"A preset named “{taken}” already exists. Replace it with the current settings?",
            "Replace",
        ):
            return
        self.save_requested.emit(name)

    def on_load_triggered(self, action: QAction) -> None:
        name = str(action.data())
        if action.isCheckable():  # a click unticked the preset in use; it stays in use
            action.setChecked(True)
        self.load_requested.emit(name)

    def on_rename_triggered(self) -> None:
        old = self._target("Rename preset", "Rename", "Rename")
        if old is None:
            return
        others = [n for n in self.names() if n != old]
        new = clean_name(
            self.ask_name(
                "Rename preset",
                f"New name for “{old}”:",
                old,
                ok_text="Rename",
                forbidden=others,
            )
            or ""
        )
        if not new or new == old or self._find(new, among=others) is not None:
            return
        self.rename_requested.emit(old, new)

    def on_delete_triggered(self) -> None:
        name = self._target("Delete preset", "Delete", "Delete")
        if name is None:
            return
        if self.confirm(
            "Delete preset?",
            f"Delete the preset “{name}”? This cannot be undone.",
            "Delete",
        ):
            self.delete_requested.emit(name)

    def on_import_triggered(self) -> None:
        path = self.ask_open_path()
        if path:
            self._last_dir = str(Path(path).parent)
            self.import_requested.emit(path)

    def on_export_triggered(self) -> None:
        path = self.ask_save_path(EXPORT_NAME)
        if not path:
            return
        if not Path(path).suffix:
            path += ".json"
        self._last_dir = str(Path(path).parent)
        self.export_requested.emit(path)

    # -- internals -------------------------------------------------------------------------------

    def _find(self, name: str, among: Iterable[str] | None = None) -> str | None:
        """The listed name equal to `name` without regard to case and spacing, or None."""
        wanted = clean_name(name).casefold()
        pool = self.names() if among is None else among
        return next((n for n in pool if n.casefold() == wanted), None)

    def _target(self, title: str, verb: str, ok_text: str) -> str | None:
        """The preset Rename/Delete act on: the one in use, the only one, or the one chosen."""
        current = self.current()
        if current is not None:
            return current
        names = self.names()
        if len(names) == 1:
            return names[0]
        if not names:
            return None
        return self.ask_choice(title, f"{verb} which preset?", names, None, ok_text)

    def _rebuild(self) -> None:
        # Only the load items change. The lasting actions are never removed: QMenu disconnects
        # a removed action from the menu, and so would drop the slots connected above.
        for action in self.load_actions:
            self.removeAction(action)
            action.deleteLater()
        self.load_actions = []
        self.removeAction(self.empty_action)
        if not self._presets:
            self.insertAction(self._load_end, self.empty_action)
        current = self.current()
        for index, (name, model) in enumerate(self._presets):
            # Text after a tab is drawn like a shortcut: right-aligned and muted.
            text = _menu_text(name) + (f"\t{model}" if model else "")
            action = QAction(text, self)
            action.setObjectName(f"loadPresetAction{index}")
            action.setData(name)
            # Only the preset in use is checkable: a column of empty boxes would read as "pick
            # several".
            action.setCheckable(name == current)
            action.setChecked(name == current)
            action.setToolTip(
                f"Load “{name}”: its system prompt and settings replace the current ones"
                + (f" (model {model})" if model else " (keeps the selected model)")
            )
            action.triggered.connect(lambda _checked=False, a=action: self.on_load_triggered(a))
            self.insertAction(self._load_end, action)
            self.load_actions.append(action)
        has_presets = bool(self._presets)
        if current is not None:
            self.rename_action.setText(f"Rename “{_menu_text(current)}”…")
            self.delete_action.setText(f"Delete “{_menu_text(current)}”…")
        else:
            self.rename_action.setText("Rename…")
            self.delete_action.setText("Delete…")
        self.rename_action.setToolTip(
            "Give the preset in use a new name"
            if current is not None
            else "Give a preset a new name"
        )
        self.delete_action.setToolTip(
            "Remove the preset in use (asks first)"
            if current is not None
            else "Remove a preset (asks first)"
        )
        self.rename_action.setEnabled(has_presets)
        self.delete_action.setEnabled(has_presets)
        self.export_action.setEnabled(has_presets)
