"""Compare: columns stream at once, each with its numbers; samples, diff, sync scroll, Chat link."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt

from playground.core.models import Endpoint, RequestStatus
from tests.conftest import AppHarness, MakeParts
from tests.fakes.openai_server import FakeOpenAI, JsonDict
from tests.gui.drivers import meanwhile

pytestmark = pytest.mark.gui


def _compare(app: AppHarness, wait_until: Any) -> Any:
    app.window.show_tab("compare")
    app.controller.refresh_models()
    feature = app.feature("compare")
    wait_until(lambda: feature.view.columns[0].model_combo.count() > 0)
    return feature


def _by_model(body: JsonDict) -> str:
    model = body["model"]
    return f"The {model} answer says the sky is blue because of scattering."


def _idle(app: AppHarness) -> Callable[[], bool]:
    return lambda: not app.runner.is_busy("compare")


def test_columns_stream_concurrently_with_their_own_numbers(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    words = " ".join(f"w{i}" for i in range(60))
    fake_openai.scenario.reply_text = lambda body: f"{body['model']} {words}"
    fake_openai.scenario.tokens_per_second = 60
    app = make_app()
    view = _compare(app, wait_until).view
    a, b = view.columns[0], view.columns[1]
    a.model_combo.setCurrentText("gpt-4o-mini")
    b.model_combo.setCurrentText("gpt-4.1")
    b.system_edit.setPlainText("Be terse.")
    view.input_edit.setPlainText("Why is the sky blue?")
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    assert view.stop_button.isEnabled()

    # Both columns show text while both streams are still running: they stream side by side.
    seen: list[tuple[bool, int]] = []
    meanwhile(
        wait_until,
        lambda: all(c.views and "w3" in c.views[0].text() for c in (a, b)),
        lambda: seen.append(
            (app.runner.is_busy("compare"), len(fake_openai.requests_to("/responses")))
        ),
        _idle(app),
    )
    assert seen == [(True, 2)]

    assert a.texts() == [f"gpt-4o-mini {words}"]
    assert b.texts() == [f"gpt-4.1 {words}"]
    bodies = {r.json["model"]: r.json for r in fake_openai.requests_to("/responses") if r.json}
    # An OpenAI profile: every column goes through the Responses API by default.
    assert bodies["gpt-4.1"]["instructions"] == "Be terse."
    assert "instructions" not in bodies["gpt-4o-mini"]
    assert bodies["gpt-4o-mini"]["input"] == [
        {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "Why is the sky blue?"}],
        }
    ]
    for column in (a, b):
        stats = column.stats_label.text()
        assert "tok in" in stats
        assert "tok out" in stats
        assert "$" in stats
        assert "first token" in stats
        assert "finish: stop" in stats
    rows = app.services.ledger.recent()
    assert sorted(r.model for r in rows) == ["gpt-4.1", "gpt-4o-mini"]
    assert all(r.endpoint == Endpoint.CHAT and r.status == RequestStatus.OK for r in rows)
    assert "Last:" in app.window.counters.last_label.text()
    assert app.window.counters.last_label.text() != "Last: —"


def test_samples_run_k_times_and_show_similarity(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    replies = iter(["red green blue", "red green blue", "red green yellow"] * 2)
    fake_openai.scenario.reply_text = lambda _body: next(replies)
    app = make_app()
    view = _compare(app, wait_until).view
    view.samples_spin.setValue(3)
    view.input_edit.setPlainText("Name three colours")
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    wait_until(_idle(app))
    assert len(fake_openai.requests_to("/responses")) == 6
    for column in view.active_columns():
        assert len(column.views) == 3
        assert column.similarity_label.isVisible()
        assert "Samples agree" in column.similarity_label.text()
        assert "×" in column.stats_label.text()  # finish reasons counted
    assert len(app.services.ledger.recent()) == 6


def test_many_samples_are_sent_a_few_at_a_time_first_samples_first(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    from playground.ui.compare.controller import MAX_IN_FLIGHT

    fake_openai.scenario.reply_text = lambda body: f"{body['model']} says " + "word " * 20
    fake_openai.scenario.tokens_per_second = 200
    app = make_app()
    view = _compare(app, wait_until).view
    view.columns_spin.setValue(4)
    view.samples_spin.setValue(10)
    view.input_edit.setPlainText("Name three colours")
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    wait_until(_idle(app), timeout=60)
    bodies = [r.json for r in fake_openai.requests_to("/responses") if r.json]
    assert len(bodies) == 40
    assert 1 < fake_openai.max_in_flight <= MAX_IN_FLIGHT <= 10  # not all 40 at once
    # Every column's first requests were in the first batch, not one column's samples only.
    first_batch = {b["model"] for b in bodies[:MAX_IN_FLIGHT]}
    assert first_batch == {c.model() for c in view.active_columns()}
    for column in view.active_columns():
        assert len(column.views) == 10
        assert all(t.startswith(f"{column.model()} says") for t in column.texts())


def test_diff_highlights_words_between_two_columns(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    fake_openai.scenario.reply_text = _by_model
    app = make_app()
    view = _compare(app, wait_until).view
    view.columns[0].model_combo.setCurrentText("gpt-4o-mini")
    view.columns[1].model_combo.setCurrentText("gpt-4.1")
    view.input_edit.setPlainText("Why?")
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    wait_until(_idle(app))
    assert not view.columns[0].diff_view.isVisible()
    view.diff_check.setChecked(True)
    left, right = view.columns[0].diff_view, view.columns[1].diff_view
    assert left.isVisible()
    assert right.isVisible()
    assert left.toPlainText().strip() == _by_model({"model": "gpt-4o-mini"})
    assert "background-color" in left.toHtml()
    view.diff_check.setChecked(False)
    assert not left.isVisible()
    assert view.columns[0].views[0].isVisible()


def test_sync_scrolling_moves_the_other_columns(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    fake_openai.scenario.reply_text = "\n\n".join(f"Paragraph {i}." for i in range(80))
    app = make_app()
    view = _compare(app, wait_until).view
    view.input_edit.setPlainText("Long please")
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    wait_until(_idle(app))
    a, b = (c.scroll_area.verticalScrollBar() for c in view.columns[:2])
    wait_until(lambda: a.maximum() > 0 and b.maximum() > 0)
    a.setValue(a.maximum())
    assert b.value() == b.maximum()
    view.sync_check.setChecked(False)
    a.setValue(0)
    assert b.value() == b.maximum()


def test_settings_copy_from_and_send_to_chat(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, wait_until: Any
) -> None:
    app = make_app()
    chat = app.chat_tab
    chat.system_edit.setPlainText("You are a pirate.")
    chat.params.set_fields({"model": "gpt-4.1", "temperature": 0.3})
    column = _compare(app, wait_until).view.columns[1]
    column.from_chat_button.click()
    assert column.model() == "gpt-4.1"
    assert column.system_edit.toPlainText() == "You are a pirate."
    assert column.params.request_fields()["temperature"] == pytest.approx(0.3)

    column.params.set_fields({"model": "gpt-4o-mini", "temperature": 1.4})
    column.system_edit.setPlainText("You are a poet.")
    column.to_chat_button.click()
    assert app.window.current_tab_key() == "chat"
    assert chat.params.current_model() == "gpt-4o-mini"
    assert chat.params.request_fields()["temperature"] == pytest.approx(1.4)
    assert chat.system_edit.toPlainText() == "You are a poet."


def test_stop_keeps_partial_answers_and_a_failed_column_says_why(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    fake_openai.scenario.reply_text = " ".join(f"w{i}" for i in range(400))
    fake_openai.scenario.tokens_per_second = 100
    app = make_app()
    view = _compare(app, wait_until).view
    view.input_edit.setPlainText("Go")
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    meanwhile(
        wait_until,
        lambda: all(c.views and "w2" in c.views[0].text() for c in view.active_columns()),
        view.stop_button.click,
        _idle(app),
    )
    for column in view.active_columns():
        assert "w2" in column.texts()[0]
        assert "stopped" in column.views[0].role_label.text()
    statuses = {r.status for r in app.services.ledger.recent()}
    assert statuses == {RequestStatus.CANCELLED}

    fake_openai.scenario.tokens_per_second = None
    fake_openai.fail_next(500, path="/responses")
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    wait_until(_idle(app))
    errors = [c.error_label for c in view.active_columns() if c.error_label.isVisible()]
    assert len(errors) == 1
    assert errors[0].text()


def test_nothing_runs_without_a_message(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    view = _compare(app, wait_until).view
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    assert "Type a message" in view.status_label.text()
    assert fake_openai.requests_to("/responses") == []


def test_state_survives_a_restart(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, wait_until: Any
) -> None:
    app = make_app()
    feature = _compare(app, wait_until)
    view = feature.view
    view.set_column_count(3)
    view.samples_spin.setValue(2)
    view.input_edit.setPlainText("Saved question")
    view.columns[2].params.set_fields({"model": "gpt-4.1", "temperature": 0.5})
    view.columns[2].system_edit.setPlainText("Sys C")
    app.controller.save_window_state()
    again = make_app(home=app.home)
    restored = again.feature("compare").view
    assert restored.columns_spin.value() == 3
    assert restored.samples() == 2
    assert restored.input_edit.toPlainText() == "Saved question"
    assert restored.columns[2].model() == "gpt-4.1"
    assert restored.columns[2].system_edit.toPlainText() == "Sys C"
    assert restored.columns[2].params.request_fields()["temperature"] == pytest.approx(0.5)


def test_the_cost_of_a_run_is_estimated_before_sending(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, wait_until: Any
) -> None:
    app = make_app()
    view = _compare(app, wait_until).view
    view.columns[0].model_combo.setCurrentText("gpt-4o-mini")
    view.columns[1].model_combo.setCurrentText("gpt-4.1")
    view.input_edit.setPlainText("How far is the Moon?")
    wait_until(lambda: "2 requests" in view.estimate_label.text())
    text = view.estimate_label.text()
    assert "≈" in text
    assert "tok in" in text
    assert "–$" in text
    view.samples_spin.setValue(3)
    wait_until(lambda: "6 requests" in view.estimate_label.text())
    view.input_edit.clear()
    wait_until(lambda: view.estimate_label.text() == "")
    assert fake_openai.requests_to("/responses") == []


def test_diff_waits_for_every_column_to_finish(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    long = " ".join(f"w{i}" for i in range(150))
    fake_openai.scenario.reply_text = lambda body: "hi" if body["model"] == "gpt-4o-mini" else long
    fake_openai.scenario.tokens_per_second = 100
    app = make_app()
    view = _compare(app, wait_until).view
    a, b = view.columns[0], view.columns[1]
    a.model_combo.setCurrentText("gpt-4o-mini")
    b.model_combo.setCurrentText("gpt-4.1")
    view.diff_check.setChecked(True)
    view.input_edit.setPlainText("Go")
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    seen: list[tuple[bool, str, bool, bool]] = []
    meanwhile(
        wait_until,
        lambda: "finish: stop" in a.stats_label.text() and "w1" in b.views[0].text(),
        lambda: seen.append(
            (
                app.runner.is_busy("compare"),
                b.stats_label.text(),
                b.views[0].isVisible(),
                b.diff_view.isVisible(),
            )
        ),
        _idle(app),
    )
    busy, stats, answer_shown, diff_shown = seen[0]
    assert busy
    assert "Streaming…" in stats
    assert answer_shown  # the column still streaming is not replaced by a diff
    assert not diff_shown
    assert a.diff_view.isVisible()
    assert b.diff_view.isVisible()


def test_ctrl_enter_runs_and_esc_stops(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    fake_openai.scenario.reply_text = " ".join(f"w{i}" for i in range(300))
    fake_openai.scenario.tokens_per_second = 100
    app = make_app()
    view = _compare(app, wait_until).view
    view.input_edit.setPlainText("Go")
    view.input_edit.setFocus()
    qtbot.keyClick(view.input_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert app.runner.is_busy("compare")
    meanwhile(
        wait_until,
        lambda: "w1" in view.columns[0].views[0].text(),
        lambda: qtbot.keyClick(view.input_edit, Qt.Key.Key_Escape),
        _idle(app),
    )
    assert "stopped" in view.columns[0].views[0].role_label.text()


def test_new_columns_start_on_chats_model_then_other_models(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, wait_until: Any
) -> None:
    app = make_app(model="gpt-4.1")
    view = _compare(app, wait_until).view
    models = [c.model() for c in view.columns]
    assert models[0] == "gpt-4.1"
    assert len(set(models)) == len(models)  # every column on a different model


class _Chat:
    """A `ChatLink` standing in for the Chat tab."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self.used: list[Any] = []

    def chat_settings(self) -> Any:
        return self.settings

    def use_in_chat(self, settings: Any) -> None:
        self.used.append(settings)

    def on_compare(self, handler: Any) -> None:
        self.compare = handler

    def refused(self, model: str) -> frozenset[str]:
        return frozenset()

    def learn_refusal(self, model: str, setting: str) -> None:
        """Nothing is refused here."""


def test_the_controller_works_with_its_view_and_a_chat_link_without_the_window(
    qtbot: Any, qloop: Any, wait_until: Any, fake_openai: FakeOpenAI, make_parts: MakeParts
) -> None:
    """The controller needs only its view, its services, a task runner and a `ChatLink`."""
    from playground.core.chat.service import ChatService
    from playground.ui.common.chat_link import ChatSettings
    from playground.ui.compare.controller import CompareController
    from playground.ui.compare.tab import CompareTab

    fake_openai.scenario.reply_text = _by_model
    parts = make_parts()
    services, runner, counters = parts.services, parts.runner, parts.counters
    chat = _Chat(ChatSettings("gpt-4.1", "You are a pirate.", {"temperature": 0.3}))
    view = CompareTab()
    qtbot.addWidget(view)
    controller = CompareController(
        view,
        ChatService(services.session.client),
        services.session,
        runner,
        services.counter,
        services.accounting,
        counters,
        chat,
    )
    controller.show_models(None)
    assert view.column_model(0) == "gpt-4.1"  # a new column starts on Chat's model
    view.set_column_model(1, "gpt-4o-mini")
    view.set_message("Why?")
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: not runner.is_busy("compare"))
    assert view.column_texts(0) == [_by_model({"model": "gpt-4.1"})]
    assert view.column_texts(1) == [_by_model({"model": "gpt-4o-mini"})]
    assert sorted(r.model for r in services.ledger.recent()) == ["gpt-4.1", "gpt-4o-mini"]

    view.columns[1].from_chat_button.click()
    assert view.column_settings(1)["system"] == "You are a pirate."
    view.columns[1].to_chat_button.click()
    assert [(s.model, s.system) for s in chat.used] == [("gpt-4.1", "You are a pirate.")]


def test_a_column_that_got_no_answer_costs_nothing(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, wait_until: Any
) -> None:
    app = make_app()
    compare = app.feature("compare")
    view = compare.view
    app.controller.refresh_models()
    wait_until(lambda: not app.runner.is_busy("models"))
    for column in range(2):
        view.set_column_api(column, "chat.completions")
    fake_openai.fail_next(500, times=2, path="/chat/completions")
    view.set_message("Why?")
    compare.run()
    wait_until(lambda: not app.runner.is_busy("compare"))
    rows = [r for r in app.services.ledger.recent() if r.status == RequestStatus.ERROR]
    assert len(rows) == 2
    assert [r.cost for r in rows] == [0, 0]
    assert [r.usage.input_tokens for r in rows] == [0, 0]
