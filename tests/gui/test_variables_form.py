"""The {{variables}} form: fields appear with the variables, keep their values, and say what is missing."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QLineEdit

from playground.ui.chat.variables_form import VariablesForm
from playground.ui.shell.theme import apply_theme

pytestmark = pytest.mark.gui


@pytest.fixture
def form(qtbot: Any) -> VariablesForm:
    widget = VariablesForm()
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _labels(form: VariablesForm) -> list[str]:
    layout = form.form
    out = []
    for row in range(layout.rowCount()):
        item = layout.itemAt(row, layout.ItemRole.LabelRole)
        assert item is not None
        out.append(item.widget().text())  # type: ignore[attr-defined]
    return out


def test_hidden_without_variables(form: VariablesForm) -> None:
    form.update_from_texts(["You are helpful.", "Hello {{ not a variable }} and {{1+1}}"])

    assert form.isHidden()
    assert form.names() == []
    assert form.values() == {}
    assert form.missing() == []


def test_appears_in_order_of_first_appearance(form: VariablesForm, qtbot: Any) -> None:
    with qtbot.waitSignal(form.changed):
        form.update_from_texts(
            ["You are a {{role}} in {{ city }}.", "Tell me about {{topic}} {{role}}"]
        )

    assert form.isVisible()
    assert form.names() == ["role", "city", "topic"]
    assert _labels(form) == ["role", "city", "topic"]
    editor = form.editor("city")
    assert editor.objectName() == "variable_city"
    assert editor.accessibleName() == "Value of city"
    assert "{{city}}" in editor.toolTip()


def test_typing_fills_values_and_missing(form: VariablesForm, qtbot: Any) -> None:
    form.update_from_texts(["{{a}} {{b}}"])
    assert form.missing() == ["a", "b"]

    with qtbot.waitSignal(form.changed):
        qtbot.keyClicks(form.editor("b"), "Berlin")

    assert form.values() == {"a": "", "b": "Berlin"}
    assert form.missing() == ["a"]
    qtbot.waitUntil(form.editor("a").isVisible)  # new rows are shown on the next event loop pass
    assert form.focus_first_missing()
    assert form.focusWidget() is form.editor("a")


def test_values_survive_the_variable_going_away_and_coming_back(form: VariablesForm) -> None:
    form.update_from_texts(["{{city}} {{day}}"])
    form.editor("city").setText("Lisbon")
    form.editor("day").setText("Friday")

    form.update_from_texts(["{{ci}} {{day}}"])  # the user is editing the name
    assert form.names() == ["ci", "day"]
    assert form.values() == {"ci": "", "day": "Friday"}

    form.update_from_texts(["{{day}} then {{city}}"])
    assert form.names() == ["day", "city"]
    assert _labels(form) == ["day", "city"]
    assert form.values() == {"day": "Friday", "city": "Lisbon"}
    assert form.editor("city").text() == "Lisbon"


def test_disappears_when_the_last_variable_goes(form: VariablesForm, qtbot: Any) -> None:
    form.update_from_texts(["Hi {{name}}"])
    assert form.isVisible()

    with qtbot.waitSignal(form.changed):
        form.update_from_texts(["Hi there"])

    assert form.isHidden()
    assert form.form.rowCount() == 0


def test_unchanged_texts_do_not_rebuild_or_signal(form: VariablesForm, qtbot: Any) -> None:
    form.update_from_texts(["{{x}}"])
    editor = form.editor("x")
    qtbot.waitUntil(editor.isVisible)
    editor.setFocus()
    assert form.focusWidget() is editor

    with qtbot.assertNotEmitted(form.changed):
        form.update_from_texts(["{{x}} more text, same variables"])

    assert form.editor("x") is editor
    assert form.focusWidget() is editor


def test_set_values_fills_fields_and_keeps_unknown_names(form: VariablesForm) -> None:
    form.update_from_texts(["{{a}}"])
    form.set_values({"a": "1", "later": "2"})

    assert form.values() == {"a": "1"}
    form.update_from_texts(["{{a}} {{later}}"])
    assert form.values() == {"a": "1", "later": "2"}


def test_empty_fields_are_tinted(form: VariablesForm) -> None:
    form.update_from_texts(["{{a}} {{b}}"])
    form.editor("b").setText("filled")
    base = form.palette().color(QPalette.ColorRole.Base)

    empty: QLineEdit = form.editor("a")
    assert empty.palette().color(QPalette.ColorRole.Base) != base
    assert form.editor("b").palette().color(QPalette.ColorRole.Base) == base
    assert "empty" in empty.accessibleDescription()

    empty.setText("now filled")
    assert empty.palette().color(QPalette.ColorRole.Base) == base


def test_tint_follows_the_theme(form: VariablesForm, qapp: QApplication) -> None:
    form.update_from_texts(["{{a}}"])
    try:
        apply_theme(qapp, "dark")
        qapp.processEvents()  # palette changes are delivered as posted events
        dark = form.editor("a").palette().color(QPalette.ColorRole.Base)
        assert dark.lightness() < 100  # still a dark field: light text stays readable
        apply_theme(qapp, "light")
        qapp.processEvents()
        light = form.editor("a").palette().color(QPalette.ColorRole.Base)
        assert light.lightness() > 180
    finally:
        apply_theme(qapp, "light")
