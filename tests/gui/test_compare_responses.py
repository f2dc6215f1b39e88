"""Compare with the Responses API: each column's own API, and the effort sweep."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt

from playground.ui.common.chat_params import API_CHAT_COMPLETIONS, API_RESPONSES
from tests.conftest import AppHarness
from tests.fakes.openai_server import FakeOpenAI

pytestmark = pytest.mark.gui


def _compare(app: AppHarness, wait_until: Any) -> Any:
    app.window.show_tab("compare")
    app.controller.refresh_models()
    feature = app.feature("compare")
    wait_until(lambda: feature.view.columns[0].model_combo.count() > 0)
    return feature


def test_each_column_uses_its_own_api(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    view = _compare(app, wait_until).view
    a, b = view.columns[0], view.columns[1]
    assert a.api() == API_RESPONSES  # an OpenAI profile: Responses by default
    a.model_combo.setCurrentText("gpt-4o-mini")
    b.model_combo.setCurrentText("gpt-4.1")
    b.set_api(API_CHAT_COMPLETIONS)
    assert b.params_summary.text().startswith("Chat Completions")
    view.input_edit.setPlainText("Hello")
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: not app.runner.is_busy("compare"))
    assert [r.json["model"] for r in fake_openai.requests_to("/responses") if r.json] == [
        "gpt-4o-mini"
    ]
    assert [r.json["model"] for r in fake_openai.requests_to("/chat/completions") if r.json] == [
        "gpt-4.1"
    ]
    assert a.texts()
    assert b.texts()
    state = app.feature("compare").save_state()
    assert [s["api"] for s in state["settings"][:2]] == [API_RESPONSES, API_CHAT_COMPLETIONS]


def test_effort_sweep_fills_the_columns_and_runs_them(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    fake_openai.scenario.reasoning_tokens = 40
    fake_openai.scenario.models = [*fake_openai.scenario.models, "gpt-6-sol"]
    app = make_app()
    feature = _compare(app, wait_until)
    view = feature.view
    view.columns[0].model_combo.setCurrentText("gpt-6-sol")
    view.input_edit.setPlainText("Is 91 prime?")
    qtbot.mouseClick(view.sweep_button, Qt.MouseButton.LeftButton)
    assert view.column_count() == 4
    assert [view.column_settings(c)["fields"]["reasoning_effort"] for c in range(4)] == [
        "none",
        "low",
        "medium",
        "high",
    ]
    wait_until(lambda: not app.runner.is_busy("compare"))
    bodies = [r.json for r in fake_openai.requests_to("/responses") if r.json]
    assert sorted(b["reasoning"]["effort"] for b in bodies) == ["high", "low", "medium", "none"]
    assert {b["model"] for b in bodies} == {"gpt-6-sol"}
    for column in view.active_columns():
        stats = column.stats_label.text()
        assert "40 tok reasoning" in stats
        assert "$" in stats
        assert column.texts()


def test_effort_sweep_of_a_model_that_does_not_reason_says_so(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    view = _compare(app, wait_until).view
    view.columns[0].model_combo.setCurrentText("gpt-4o-mini")
    qtbot.mouseClick(view.sweep_button, Qt.MouseButton.LeftButton)
    assert "does not reason" in view.status_label.text()
    assert fake_openai.requests_to("/responses") == []


def test_a_setting_a_server_refuses_in_compare_is_learned_for_every_tab(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    # A model the capability table does not know: the panel offers temperature, the server
    # (an o-series model) refuses it.
    fake_openai.scenario.models = [*fake_openai.scenario.models, "o9-mini"]
    app = make_app()
    view = _compare(app, wait_until).view
    column = view.columns[0]
    column.params.set_fields({"model": "o9-mini", "temperature": 0.4})
    view.input_edit.setPlainText("Hello")
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: not app.runner.is_busy("compare"))
    error = column.error_label.text()
    assert "o9-mini does not take temperature (the server said so)" in error
    assert "Run again." in error
    assert app.chat.save_state()["learned"] == {"o9-mini": ["temperature"]}  # Chat keeps it

    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: not app.runner.is_busy("compare"))
    refused, accepted = [
        r.json
        for r in fake_openai.requests_to("/responses")
        if r.json and r.json["model"] == "o9-mini"
    ]
    assert refused["temperature"] == 0.4
    assert "temperature" not in accepted
    assert not column.error_label.isVisible()
    assert column.texts()
