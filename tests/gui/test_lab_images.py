"""Prompt Lab cases with pictures, end to end: picked in the table, sent as image parts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from playground.core.lab import TestCase
from tests.conftest import AppHarness
from tests.fakes import openai_payloads as payloads
from tests.fakes.openai_server import FakeOpenAI

pytestmark = pytest.mark.gui


def _lab(app: AppHarness, wait_until: Any) -> Any:
    app.window.show_tab("lab")
    app.controller.refresh_models()
    feature = app.feature("lab")
    wait_until(lambda: feature.view.variants.rows[0].model_combo.count() > 0)
    feature.apply_settings(app.controller.settings.replace(cost_guard_usd=1000.0))
    return feature


def _idle(app: AppHarness) -> Any:
    return lambda: not any(app.runner.is_busy(g) for g in ("lab", "lab-estimate"))


def test_pictures_added_to_a_case_are_sent_with_its_message(
    make_app: Any, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any, tmp_path: Path
) -> None:
    photo = tmp_path / "cat.png"
    photo.write_bytes(payloads.make_image(80, 60, "cat"))
    app = make_app()
    feature = _lab(app, wait_until)
    view = feature.view
    view.template_edit.setPlainText("What is in the picture? {{hint}}")
    view.cases.set_cases([TestCase({"hint": "An animal."}), TestCase({"hint": "Nothing."})])
    view.cases.setCurrentCell(0, 0)
    feature.controller.ask_picture_paths = lambda: [str(photo)]
    qtbot.mouseClick(view.pictures_button, Qt.MouseButton.LeftButton)
    assert view.cases.cases()[0].images == (str(photo),)
    assert view.cases.cases()[1].images == ()
    pictures = view.cases.item(0, view.cases.pictures_column())
    assert "cat.png" in pictures.text()

    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    wait_until(_idle(app))
    bodies = [r.json for r in fake_openai.requests_to("/chat/completions") if r.json]
    assert len(bodies) == 2
    pictured = next(b for b in bodies if isinstance(b["messages"][-1]["content"], list))
    parts = pictured["messages"][-1]["content"]
    assert parts[0] == {"type": "text", "text": "What is in the picture? An animal."}
    assert parts[1]["type"] == "image_url"
    assert parts[1]["image_url"]["url"].startswith("data:image/png;base64,")
    plain = next(b for b in bodies if b is not pictured)
    assert plain["messages"][-1]["content"] == "What is in the picture? Nothing."


def test_a_broken_picture_stops_the_run_and_names_the_case(
    make_app: Any, fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a picture")
    app = make_app()
    feature = _lab(app, wait_until)
    view = feature.view
    view.template_edit.setPlainText("Describe it.")
    view.cases.set_cases([TestCase({}), TestCase({}, images=(str(broken),))])
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    wait_until(_idle(app))
    assert fake_openai.requests_to("/chat/completions") == []
    assert "Case 2:" in view.status_label.text()
    assert "Not run" in view.status_label.text()
