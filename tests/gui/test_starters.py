"""The starters in Chat (the empty conversation's gallery, the Presets menu) and in Prompt Lab."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from playground.core.lab.suite import TestCase
from playground.core.starters import Starter, load_starters
from tests.conftest import AppHarness
from tests.fakes.openai_server import FakeOpenAI
from tests.gui.drivers import chat_idle

LIBRARY = load_starters()


def _ready_app(make_app: Callable[..., AppHarness], wait_until: Any) -> AppHarness:
    """A new app, once its starters and model list are shown (the starter's model is looked up
    in the list)."""
    app = make_app()
    tab = app.chat_tab
    app.controller.refresh_models()
    wait_until(lambda: len(tab.starters.shown_ids()) == len(LIBRARY.starters))
    wait_until(lambda: tab.model_combo.count() > 1)
    return app


def _starter(key: str) -> Starter:
    starter = LIBRARY.get(key)
    assert starter is not None
    return starter


def _question(name: str) -> QMessageBox | None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMessageBox) and widget.objectName() == name and widget.isVisible():
            return widget
    return None


def test_the_empty_chat_shows_the_gallery_with_search_and_categories(
    make_app: Callable[..., AppHarness], wait_until: Any
) -> None:
    app = _ready_app(make_app, wait_until)
    gallery = app.chat_tab.starters
    assert gallery.isVisible()
    gallery.set_search("email")
    assert gallery.shown_ids() == ["email-triage"]
    assert "Email triage" in gallery.details.text()
    assert "Temperature" in gallery.details.text()  # each setting with its reason
    gallery.set_search("no such task anywhere")
    assert gallery.shown_ids() == []
    assert gallery.empty_label.isVisible()
    assert "No starter matches" in gallery.empty_label.text()
    assert not gallery.open_button.isEnabled()
    gallery.set_search("")
    gallery.set_category("Teaching")
    teaching = {s.id for s in LIBRARY.starters if s.category == "Teaching"}
    assert set(gallery.shown_ids()) == teaching
    assert len(teaching) < len(LIBRARY.starters)


def test_open_fills_the_prompt_the_blanks_and_the_parameters_and_asks_for_empty_blanks(
    make_app: Callable[..., AppHarness], qtbot: Any, wait_until: Any, fake_openai: FakeOpenAI
) -> None:
    app = _ready_app(make_app, wait_until)
    tab = app.chat_tab
    starter = _starter("translate")
    tab.starters.select("translate")
    shown = tab.starters.details.text()
    qtbot.mouseClick(tab.starters.open_button, Qt.MouseButton.LeftButton)
    draft = tab.draft()
    assert draft.system_prompt == starter.system_prompt
    assert draft.user_text == starter.user_template
    assert tab.variables.names() == ["language", "text"]
    # The cursor waits in the first blank.
    assert tab.window().focusWidget() is tab.variables.editor("language")
    # Its model is not listed by this account: the newest suitable one is used, and said so.
    assert draft.model != starter.model
    assert starter.model in tab.notice_label.text()
    assert draft.model in tab.notice_label.text()
    assert draft.fields == {**draft.fields, **starter.fields_for(draft.model)}
    # Before Open, the gallery showed the settings for that model, not the one picked then.
    assert draft.model != "gpt-4o-mini"
    assert f"Settings on {draft.model}" in shown
    # The blanks are empty: Send waits for them and says which, in words; nothing is sent.
    assert not tab.send_button.isEnabled()
    assert "Fill in {{language}}, {{text}}" in tab.send_button.toolTip()
    qtbot.mouseClick(tab.send_button, Qt.MouseButton.LeftButton)
    assert fake_openai.requests_to("/responses") == []
    tab.variables.editor("language").setText("French")
    tab.variables.editor("text").setText("Good morning")
    qtbot.mouseClick(tab.send_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: len(fake_openai.requests_to("/responses")) == 1)  # the default API
    wait_until(chat_idle(app))
    body = fake_openai.last("/responses").json or {}
    texts = json.dumps(body, ensure_ascii=False)
    assert "into French" in texts
    assert "Good morning" in texts
    assert body["model"] == draft.model
    assert "temperature" not in body  # o3 takes none; its reasoning effort replaces it
    assert body["reasoning"]["effort"] == draft.fields["reasoning_effort"]
    # A conversation with turns hides the gallery.
    wait_until(lambda: not tab.starters.isVisible())


def test_test_it_opens_the_starters_suite_in_prompt_lab(
    make_app: Callable[..., AppHarness], qtbot: Any, wait_until: Any
) -> None:
    app = _ready_app(make_app, wait_until)
    tab = app.chat_tab
    starter = _starter("email-triage")
    tab.starters.set_search("email")
    qtbot.mouseClick(tab.starters.test_button, Qt.MouseButton.LeftButton)
    assert app.window.current_tab_key() == "lab"
    lab = app.feature("lab")
    wait_until(lambda: len(lab.view.test_cases()) == len(starter.cases))
    assert lab.view.prompt() == starter.prompt()
    assert [c.values for c in lab.view.test_cases()] == [c.values for c in starter.cases]
    assert [c.expect for c in lab.view.test_cases()] == [c.expect for c in starter.cases]
    variants = lab.variants()
    assert len(variants) == 1
    assert variants[0].name == starter.title
    assert lab.view.variant_problems() == []
    assert "email-triage" not in lab.view.status_label.text()  # no internal ids shown
    assert starter.title in lab.view.status_label.text()


def test_the_presets_menu_lists_starters_apart_from_the_users_presets(
    make_app: Callable[..., AppHarness], wait_until: Any
) -> None:
    app = _ready_app(make_app, wait_until)
    tab = app.chat_tab
    menu = tab.preset_menu
    titles = [a.text() for a in menu.starters_menu.actions() if not a.isSeparator()]
    assert len(titles) == len(LIBRARY.starters)
    assert menu.names() == []  # the user's presets: none, starters do not mix in
    action = next(a for a in menu.starters_menu.actions() if a.text() == "Patient tutor")
    action.trigger()
    tutor = _starter("patient-tutor")
    assert tab.draft().system_prompt == tutor.system_prompt
    # Edited and saved, it becomes the user's own copy; the shipped starter is unchanged.
    tab.set_system_prompt(tutor.system_prompt + " Use British spelling.")
    app.chat.save_preset("My tutor")
    wait_until(lambda: menu.names() == ["My tutor"])
    again = load_starters().get("patient-tutor")
    assert again is not None
    assert again.system_prompt == tutor.system_prompt
    assert again.settings == tutor.settings


def test_new_from_starter_in_prompt_lab_asks_before_replacing_cases(
    make_app: Callable[..., AppHarness], wait_until: Any
) -> None:
    app = make_app()
    lab = app.feature("lab")
    wait_until(lambda: lab.view.starter_menu.actions() != [])
    lab.view.set_prompt(type(lab.view.prompt())("", "My own prompt {{x}}"))
    lab.view.set_variables(["x"])
    lab.view.set_test_cases([TestCase({"x": "mine"})])
    action = next(a for a in lab.view.starter_menu.actions() if a.text() == "Translate")
    action.trigger()
    wait_until(lambda: _question("labStarterQuestion") is not None)
    box = _question("labStarterQuestion")
    assert box is not None
    assert "1 test cases" in box.text() or "1 test case" in box.text()
    box.button(QMessageBox.StandardButton.No).click()
    assert lab.view.test_cases()[0].values == {"x": "mine"}  # nothing replaced
    action.trigger()
    wait_until(lambda: _question("labStarterQuestion") is not None)
    box = _question("labStarterQuestion")
    assert box is not None
    box.button(QMessageBox.StandardButton.Yes).click()
    wait_until(lambda: len(lab.view.test_cases()) == 3)
    versions = lab.store.versions()
    assert any(v.prompt.user == "My own prompt {{x}}" for v in versions)  # kept as a version


def test_open_asks_before_replacing_a_system_prompt_the_user_wrote(
    make_app: Callable[..., AppHarness], qtbot: Any, wait_until: Any
) -> None:
    app = _ready_app(make_app, wait_until)
    tab = app.chat_tab
    tab.set_system_prompt("You are my own assistant.")
    tab.starters.select("proofread")
    qtbot.mouseClick(tab.starters.open_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: _question("chatStarterQuestion") is not None)
    box = _question("chatStarterQuestion")
    assert box is not None
    assert "Save as preset" in box.text()
    box.button(QMessageBox.StandardButton.No).click()
    assert tab.draft().system_prompt == "You are my own assistant."  # nothing lost
    qtbot.mouseClick(tab.starters.open_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: _question("chatStarterQuestion") is not None)
    box = _question("chatStarterQuestion")
    assert box is not None
    box.button(QMessageBox.StandardButton.Yes).click()
    proofread = _starter("proofread")
    assert tab.draft().system_prompt == proofread.system_prompt
    # Another starter over a starter's prompt opens at once: nothing of the user's is replaced.
    tab.starters.select("translate")
    qtbot.mouseClick(tab.starters.open_button, Qt.MouseButton.LeftButton)
    assert _question("chatStarterQuestion") is None
    assert "translator" in tab.draft().system_prompt


def test_the_gallery_says_when_no_starter_could_be_read(qtbot: Any) -> None:
    from playground.ui.chat.starters import StarterGallery

    gallery = StarterGallery()
    qtbot.addWidget(gallery)
    assert "loading" in gallery.empty_label.text()
    gallery.set_starters([], ["The starter file a.json is damaged; it was skipped."])
    assert "No starter could be read" in gallery.empty_label.text()
    assert gallery.problems_label.text().startswith("The starter file a.json is damaged")
    assert not gallery.open_button.isEnabled()
