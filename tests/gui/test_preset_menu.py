"""The Presets menu: what it lists, and which signals each action sends after asking the user.

Every dialog goes through a method of the menu (`ask_name`, `ask_choice`, `confirm`,
`ask_open_path`, `ask_save_path`); the tests replace those on the instance.
"""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QToolButton

from playground.core.chat.presets import Preset
from playground.core.chat.service import ChatRequest
from playground.ui.chat.preset_menu import PresetMenu, PresetNameDialog

pytestmark = pytest.mark.gui

PRESETS = [
    Preset("Short answers", "Be brief.", ChatRequest(model="gpt-4o-mini", messages=())),
    Preset("Code reviewer", "Review code.", ChatRequest(model="", messages=())),
    Preset("Q&A bot", "", ChatRequest(model="o4-mini", messages=())),
]


class Recorder:
    """Every signal of a PresetMenu, as (signal name, args) in order."""

    def __init__(self, menu: PresetMenu, button: QToolButton) -> None:
        self.button = button  # the menu's parent: keeps both alive for the test
        self.calls: list[tuple[str, tuple[str, ...]]] = []
        for name in (
            "save_requested",
            "load_requested",
            "rename_requested",
            "delete_requested",
            "import_requested",
            "export_requested",
        ):
            getattr(menu, name).connect(lambda *args, n=name: self.calls.append((n, args)))


class Asked:
    """A stand-in for one dialog method: returns `answer` and records how it was asked."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls.append((args, kwargs))
        return self.answer


def make_menu(qtbot: Any, presets: list[Preset] | None = None) -> tuple[PresetMenu, Recorder]:
    button = QToolButton()
    qtbot.addWidget(button)
    menu = PresetMenu(button)
    button.setMenu(menu)
    menu.set_presets(PRESETS if presets is None else presets)
    # Any dialog a test did not expect fails it instead of blocking.
    for name in ("ask_name", "ask_choice", "confirm", "ask_open_path", "ask_save_path"):
        setattr(menu, name, _unexpected(name))
    return menu, Recorder(menu, button)


def _unexpected(name: str) -> Any:
    def fail(*args: Any, **kwargs: Any) -> Any:
        pytest.fail(f"{name} was not expected here")

    return fail


def visible_texts(menu: PresetMenu) -> list[str]:
    return [a.text() for a in menu.actions() if not a.isSeparator()]


def load_action(menu: PresetMenu, name: str) -> QAction:
    return next(a for a in menu.load_actions if a.data() == name)


# --- what the menu shows -------------------------------------------------------------------------


def test_actions_present(qtbot: Any) -> None:
    menu, _ = make_menu(qtbot)
    assert menu.title() == "Presets"
    texts = visible_texts(menu)
    assert texts[0] == "Save as preset…"
    assert "Rename…" in texts
    assert "Delete…" in texts
    assert texts[-2:] == ["Import…", "Export…"]
    sections = [a.text() for a in menu.actions() if a.isSeparator() and a.text()]
    assert sections == ["Load"]
    assert menu.save_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Save)
    # Names with the model in the shortcut column (drawn muted); "&" is not a mnemonic.
    assert [a.text() for a in menu.load_actions] == [
        "Short answers\tgpt-4o-mini",
        "Code reviewer",
        "Q&&A bot\to4-mini",
    ]
    assert menu.names() == ["Short answers", "Code reviewer", "Q&A bot"]
    for action in [
        menu.save_action,
        menu.rename_action,
        menu.delete_action,
        menu.import_action,
        menu.export_action,
        *menu.load_actions,
    ]:
        assert action.objectName()
        assert action.toolTip()
    assert menu.toolTipsVisible()
    assert menu.accessibleName()


def test_empty_menu(qtbot: Any) -> None:
    menu, _ = make_menu(qtbot, [])
    assert "No presets yet" in visible_texts(menu)
    assert not menu.empty_action.isEnabled()
    assert not menu.rename_action.isEnabled()
    assert not menu.delete_action.isEnabled()
    assert not menu.export_action.isEnabled()
    assert menu.save_action.isEnabled()
    assert menu.import_action.isEnabled()


def test_names_are_accepted_as_well_as_presets(qtbot: Any) -> None:
    menu, _ = make_menu(qtbot)
    menu.set_presets(["One", "Two"])
    assert [a.text() for a in menu.load_actions] == ["One", "Two"]


def test_current_preset_is_ticked_and_named_in_rename_and_delete(qtbot: Any) -> None:
    menu, _ = make_menu(qtbot)
    menu.set_current("Code reviewer")
    assert [a.isChecked() for a in menu.load_actions] == [False, True, False]
    assert [a.isCheckable() for a in menu.load_actions] == [False, True, False]
    assert menu.rename_action.text() == "Rename “Code reviewer”…"
    assert menu.delete_action.text() == "Delete “Code reviewer”…"
    menu.set_current(None)
    assert not any(a.isChecked() for a in menu.load_actions)
    assert menu.rename_action.text() == "Rename…"


def test_rebuilding_keeps_the_lasting_actions(qtbot: Any) -> None:
    menu, recorder = make_menu(qtbot)
    for _ in range(3):
        menu.set_presets(PRESETS)
        menu.set_current("Short answers")
    menu.ask_name = Asked("Fresh")
    menu.save_action.trigger()
    assert recorder.calls == [("save_requested", ("Fresh",))]
    assert menu.save_action in menu.actions()


# --- load ------------------------------------------------------------------------------------------


def test_load(qtbot: Any) -> None:
    menu, recorder = make_menu(qtbot)
    load_action(menu, "Q&A bot").trigger()
    assert recorder.calls == [("load_requested", ("Q&A bot",))]


def test_loading_the_current_preset_keeps_it_ticked(qtbot: Any) -> None:
    menu, recorder = make_menu(qtbot)
    menu.set_current("Short answers")
    action = load_action(menu, "Short answers")
    action.trigger()
    assert action.isChecked()
    assert recorder.calls == [("load_requested", ("Short answers",))]


# --- save ------------------------------------------------------------------------------------------


def test_save_new_name(qtbot: Any) -> None:
    menu, recorder = make_menu(qtbot)
    menu.set_current("Code reviewer")
    ask = Asked("  Travel   planner ")
    menu.ask_name = ask
    menu.save_action.trigger()
    assert recorder.calls == [("save_requested", ("Travel planner",))]
    (args, kwargs) = ask.calls[0]
    assert args[2] == "Code reviewer"  # the current preset's name is offered
    assert set(kwargs["existing"]) == set(menu.names())


def test_save_cancelled_or_empty_sends_nothing(qtbot: Any) -> None:
    menu, recorder = make_menu(qtbot)
    for answer in (None, "", "   "):
        menu.ask_name = Asked(answer)
        menu.save_action.trigger()
    assert recorder.calls == []


def test_save_over_an_existing_name_asks_first(qtbot: Any) -> None:
    menu, recorder = make_menu(qtbot)
    menu.ask_name = Asked("short ANSWERS")
    refuse = Asked(False)
    menu.confirm = refuse
    menu.save_action.trigger()
    assert recorder.calls == []
    assert "Short answers" in refuse.calls[0][0][1]

    menu.confirm = Asked(True)
    menu.save_action.trigger()
    assert recorder.calls == [("save_requested", ("short ANSWERS",))]


# --- rename ----------------------------------------------------------------------------------------


def test_rename_current(qtbot: Any) -> None:
    menu, recorder = make_menu(qtbot)
    menu.set_current("Code reviewer")
    ask = Asked(" Strict reviewer ")
    menu.ask_name = ask
    menu.rename_action.trigger()
    assert recorder.calls == [("rename_requested", ("Code reviewer", "Strict reviewer"))]
    (args, kwargs) = ask.calls[0]
    assert args[2] == "Code reviewer"
    assert set(kwargs["forbidden"]) == {"Short answers", "Q&A bot"}


def test_rename_without_current_asks_which(qtbot: Any) -> None:
    menu, recorder = make_menu(qtbot)
    choose = Asked("Q&A bot")
    menu.ask_choice = choose
    menu.ask_name = Asked("FAQ bot")
    menu.rename_action.trigger()
    assert recorder.calls == [("rename_requested", ("Q&A bot", "FAQ bot"))]
    assert choose.calls[0][0][2] == menu.names()


def test_rename_to_a_taken_name_unchanged_or_cancelled_sends_nothing(qtbot: Any) -> None:
    menu, recorder = make_menu(qtbot)
    menu.set_current("Code reviewer")
    for answer in (None, "", "Code reviewer", "short answers"):
        menu.ask_name = Asked(answer)
        menu.rename_action.trigger()
    assert recorder.calls == []


def test_rename_changing_only_case_is_allowed(qtbot: Any) -> None:
    menu, recorder = make_menu(qtbot)
    menu.set_current("Code reviewer")
    menu.ask_name = Asked("Code Reviewer")
    menu.rename_action.trigger()
    assert recorder.calls == [("rename_requested", ("Code reviewer", "Code Reviewer"))]


# --- delete ----------------------------------------------------------------------------------------


def test_delete_confirmed(qtbot: Any) -> None:
    menu, recorder = make_menu(qtbot)
    menu.set_current("Short answers")
    confirm = Asked(True)
    menu.confirm = confirm
    menu.delete_action.trigger()
    assert recorder.calls == [("delete_requested", ("Short answers",))]
    assert "Short answers" in confirm.calls[0][0][1]


def test_delete_refused_sends_nothing(qtbot: Any) -> None:
    menu, recorder = make_menu(qtbot)
    menu.set_current("Short answers")
    menu.confirm = Asked(False)
    menu.delete_action.trigger()
    assert recorder.calls == []


def test_delete_the_only_preset_needs_no_choice(qtbot: Any) -> None:
    menu, recorder = make_menu(qtbot, PRESETS[:1])
    menu.confirm = Asked(True)
    menu.delete_action.trigger()
    assert recorder.calls == [("delete_requested", ("Short answers",))]


def test_delete_choice_cancelled(qtbot: Any) -> None:
    menu, recorder = make_menu(qtbot)
    menu.ask_choice = Asked(None)
    menu.delete_action.trigger()
    assert recorder.calls == []


# --- import / export -------------------------------------------------------------------------------


def test_import(qtbot: Any, tmp_path: Any) -> None:
    menu, recorder = make_menu(qtbot)
    path = str(tmp_path / "shared.json")
    menu.ask_open_path = Asked(path)
    menu.import_action.trigger()
    menu.ask_open_path = Asked(None)
    menu.import_action.trigger()
    assert recorder.calls == [("import_requested", (path,))]


def test_export_adds_json_when_no_extension_is_typed(qtbot: Any, tmp_path: Any) -> None:
    menu, recorder = make_menu(qtbot)
    ask = Asked(str(tmp_path / "backup"))
    menu.ask_save_path = ask
    menu.export_action.trigger()
    assert ask.calls[0][0] == ("presets.json",)
    menu.ask_save_path = Asked(str(tmp_path / "mine.json"))
    menu.export_action.trigger()
    menu.ask_save_path = Asked(None)
    menu.export_action.trigger()
    assert recorder.calls == [
        ("export_requested", (str(tmp_path / "backup.json"),)),
        ("export_requested", (str(tmp_path / "mine.json"),)),
    ]


# --- the name dialog -------------------------------------------------------------------------------


def test_name_dialog_checks_the_name(qtbot: Any) -> None:
    dialog = PresetNameDialog(
        "Rename preset",
        "New name:",
        "Draft",
        ok_text="Rename",
        existing=["Short answers"],
        forbidden=["Code reviewer"],
    )
    qtbot.addWidget(dialog)
    assert dialog.ok_button.isEnabled()
    assert dialog.ok_button.text() == "Rename"
    assert dialog.name_edit.objectName()
    assert dialog.name_edit.accessibleName()

    dialog.name_edit.setText("   ")
    assert not dialog.ok_button.isEnabled()
    assert "needs a name" in dialog.hint_label.text()

    dialog.name_edit.setText("code REVIEWER")
    assert not dialog.ok_button.isEnabled()
    assert "Code reviewer" in dialog.hint_label.text()

    dialog.name_edit.setText("short answers")
    assert dialog.ok_button.isEnabled()
    assert "replaces" in dialog.hint_label.text()

    dialog.name_edit.setText("  New   one ")
    assert dialog.ok_button.isEnabled()
    assert dialog.hint_label.isHidden()
    assert dialog.name() == "New one"
