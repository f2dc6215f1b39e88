"""A retired model's 404 in every tab: it names the model and the date, and offers
"Use <replacement>", which picks the replacement in the tab's model picker. (Audio's test lives
in test_audio_tab.py, whose sound server must start before QtMultimedia is first touched.)

The fake server lists ``RETIREMENT_MODELS`` and a few retired models of the other kinds, and, as
the real API does, answers 404 ``model_not_found`` for a model past its shutdown date.
"""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.scenario import RETIREMENT_MODELS, RETIREMENT_TODAY
from tests.gui.drivers import chat_idle, send_in_chat

pytestmark = pytest.mark.gui

RETIRED = (
    {"id": "gpt-4.1-nano", "created": 1744321707, "shutdown_date": "2026-10-23"},
    {"id": "text-embedding-ada-002", "created": 1671217299, "shutdown_date": "2026-11-01"},
    {"id": "text-moderation-stable", "created": 1660000000, "shutdown_date": "2026-10-01"},
)


def _start(make_app: Any, fake_openai: FakeOpenAI, wait_until: Any, key: str) -> Any:
    fake_openai.scenario.models = [*RETIREMENT_MODELS, *RETIRED]
    fake_openai.scenario.today = RETIREMENT_TODAY
    app = make_app()
    app.window.show_tab(key)
    app.feature(key)
    app.controller.refresh_models()
    wait_until(lambda: app.services.catalog.cached("openai") is not None)
    return app


def _app(make_app: Any, fake_openai: FakeOpenAI, wait_until: Any, key: str) -> Any:
    return _start(make_app, fake_openai, wait_until, key).feature(key)


def test_images_offers_the_replacement_for_a_retired_model(
    make_app: Any, fake_openai: FakeOpenAI, wait_until: Any, qtbot: Any
) -> None:
    images = _app(make_app, fake_openai, wait_until, "images")
    view = images.view
    view.model_combo.retired_toggle.setChecked(True)
    view.set_model("gpt-image-1.5")
    assert view.model() == "gpt-image-1.5"
    qtbot.keyClicks(view.prompt, "A lighthouse at dusk")
    qtbot.mouseClick(view.generate_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: view.use_replacement.isVisible(), message="no Use button")
    problems = " ".join(view.visible_problems().values())
    assert "OpenAI retired “gpt-image-1.5” on 1 Dec 2026" in problems
    assert view.use_replacement.text() == "Use gpt-image-2"
    qtbot.mouseClick(view.use_replacement, Qt.MouseButton.LeftButton)
    assert view.model() == "gpt-image-2"
    assert view.use_replacement.isHidden()


def test_a_compare_column_offers_the_replacement_for_a_retired_model(
    make_app: Any, fake_openai: FakeOpenAI, wait_until: Any, qtbot: Any
) -> None:
    compare = _app(make_app, fake_openai, wait_until, "compare")
    view = compare.view
    a, b = view.columns[0], view.columns[1]
    wait_until(lambda: a.model_combo.count() > 0)
    a.set_model("gpt-4.1-nano")  # typed in: the picker hides retired models
    b.set_model("gpt-6-luna")
    view.input_edit.setPlainText("Hello?")
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: not compare.runner.is_busy("compare"))
    assert a.error_label.isVisible()
    assert "OpenAI retired “gpt-4.1-nano” on 23 Oct 2026" in a.error_label.text()
    assert a.use_replacement.isVisible()
    assert a.use_replacement.text() == "Use gpt-6.1-sol"
    assert b.use_replacement.isHidden()  # the column that answered offers nothing
    qtbot.mouseClick(a.use_replacement, Qt.MouseButton.LeftButton)
    assert a.model() == "gpt-6.1-sol"


def test_a_lab_cell_on_a_retired_model_offers_the_replacement(
    make_app: Any, fake_openai: FakeOpenAI, wait_until: Any, qtbot: Any
) -> None:
    lab = _app(make_app, fake_openai, wait_until, "lab")
    lab.apply_settings(lab.settings.replace(cost_guard_usd=1000.0))
    lab.restore_state(
        {
            "user": "Say hi to {{name}}",
            "cases": [{"id": "c1", "values": {"name": "Ada"}, "expect": "", "expected": ""}],
            "variants": [{"name": "Old", "model": "gpt-4.1-nano", "fields": {}}],
        }
    )
    view = lab.view
    row = view.variants.rows[0]
    wait_until(lambda: row.model_combo.count() > 0)
    assert row.model() == "gpt-4.1-nano"
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: _ended(lab), timeout=30)
    run = lab.run
    assert run is not None
    view.results.cell_chosen.emit(run.cells()[0])  # what selecting the cell in the grid does
    assert "OpenAI retired “gpt-4.1-nano” on 23 Oct 2026" in view.detail_check.text()
    assert view.use_replacement.isVisibleTo(view)
    assert view.use_replacement.text() == "Use gpt-6.1-sol"
    qtbot.mouseClick(view.use_replacement, Qt.MouseButton.LeftButton)
    assert row.model() == "gpt-6.1-sol"


def _ended(lab: Any) -> bool:
    return lab.run is not None and not lab.runner.is_busy("lab") and bool(lab.run.results)


def test_embeddings_offers_the_replacement_for_a_retired_model(
    make_app: Any, fake_openai: FakeOpenAI, wait_until: Any, qtbot: Any
) -> None:
    embeddings = _app(make_app, fake_openai, wait_until, "embeddings")
    tab = embeddings.view
    wait_until(lambda: tab.model_combo.count() > 0)
    tab.model_combo.retired_toggle.setChecked(True)
    tab.model_combo.setCurrentText("text-embedding-ada-002")
    tab.set_text("one\ntwo")
    qtbot.mouseClick(tab.embed_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: tab.use_replacement.isVisible(), message="no Use button")
    assert "OpenAI retired “text-embedding-ada-002” on 1 Nov 2026" in tab.error_label.text()
    assert tab.use_replacement.text() == "Use text-embedding-3-small"
    qtbot.mouseClick(tab.use_replacement, Qt.MouseButton.LeftButton)
    assert tab.model() == "text-embedding-3-small"


def test_moderation_offers_the_replacement_for_a_retired_model(
    make_app: Any, fake_openai: FakeOpenAI, wait_until: Any, qtbot: Any
) -> None:
    moderation = _app(make_app, fake_openai, wait_until, "moderation")
    view = moderation.view
    wait_until(lambda: view.model_combo.findText("omni-moderation-latest") >= 0)
    view.model_combo.retired_toggle.setChecked(True)
    view.model_combo.setCurrentText("text-moderation-stable")
    assert view.current_model() == "text-moderation-stable"
    view.input_edit.setPlainText("Is this fine?")
    qtbot.mouseClick(view.check_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: view.use_replacement.isVisible(), message="no Use button")
    assert view.use_replacement.text() == "Use omni-moderation-latest"
    qtbot.mouseClick(view.use_replacement, Qt.MouseButton.LeftButton)
    assert view.current_model() == "omni-moderation-latest"


def test_chat_offers_the_replacement_for_a_retired_model(
    make_app: Any, fake_openai: FakeOpenAI, wait_until: Any, qtbot: Any
) -> None:
    app = _start(make_app, fake_openai, wait_until, "chat")
    view = app.chat_tab
    wait_until(lambda: view.model_combo.count() > 0)
    view.model_combo.retired_toggle.setChecked(True)
    view.set_model("gpt-4.1-nano")
    assert view.current_model() == "gpt-4.1-nano"
    send_in_chat(app, qtbot, "Hello?")
    wait_until(chat_idle(app))
    wait_until(lambda: view.use_replacement.isVisible(), message="no Use button in Chat")
    assert "OpenAI retired “gpt-4.1-nano” on 23 Oct 2026" in view.error_label.text()
    assert view.use_replacement.text() == "Use gpt-6.1-sol"
    qtbot.mouseClick(view.use_replacement, Qt.MouseButton.LeftButton)
    assert view.current_model() == "gpt-6.1-sol"
    assert view.use_replacement.isHidden()
    # The next message goes to the replacement.
    send_in_chat(app, qtbot, "Hello again?")
    wait_until(chat_idle(app))
    sent = fake_openai.last("/responses").json
    assert sent is not None
    assert sent["model"] == "gpt-6.1-sol"
