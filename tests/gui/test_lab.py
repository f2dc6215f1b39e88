"""Prompt Lab end to end against the fake server: variables, checks, the grid, retries, resume,
the cost guard, versions, batches, case files and saved state."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from playground.core.lab import CellStatus, Expectation, ExpectKind, TestCase
from playground.core.models import Usage
from tests.conftest import AppHarness
from tests.fakes.openai_server import FakeOpenAI, JsonDict

pytestmark = pytest.mark.gui

CAPITALS = {"France": "Paris", "Japan": "Tokyo", "Peru": "Lima", "Chile": "Santiago"}


def _capital(body: JsonDict) -> str:
    question = body["messages"][-1]["content"]
    return next((city for country, city in CAPITALS.items() if country in question), "No idea")


def _lab(app: AppHarness, wait_until: Any) -> Any:
    app.window.show_tab("lab")
    app.controller.refresh_models()
    feature = app.feature("lab")
    wait_until(lambda: feature.view.variants.rows[0].model_combo.count() > 0)
    feature.controller.poll_seconds = 0.01
    # The cost guard has its own test; elsewhere it must not stop a run.
    feature.apply_settings(app.controller.settings.replace(cost_guard_usd=1000.0))
    return feature


def _setup(feature: Any, cases: list[TestCase], template: str = "Capital of {{country}}?") -> Any:
    view = feature.view
    view.template_edit.setPlainText(template)
    view.cases.set_cases(cases)
    return view


def _idle(app: AppHarness) -> Callable[[], bool]:
    return lambda: not any(app.runner.is_busy(g) for g in ("lab", "lab-batch", "lab-estimate"))


def _meanwhile(
    wait_until: Any,
    condition: Callable[[], bool],
    action: Callable[[], object],
    until: Callable[[], bool],
) -> None:
    """Runs the loop until `condition`, does `action` right there, and runs on until `until`
    (see tests/gui/test_compare.py: a wait must not end while a request is in flight)."""
    done = False

    def check() -> bool:
        nonlocal done
        if not done and condition():
            action()
            done = True
        return done and until()

    wait_until(check)


def _texts(feature: Any) -> list[list[str]]:
    grid = feature.view.results
    return [
        [grid.item(r, c).text() if grid.item(r, c) else "" for c in range(grid.columnCount())]
        for r in range(grid.rowCount())
    ]


def test_variables_fill_each_case_and_the_grid_shows_results(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    fake_openai.scenario.reply_text = _capital
    app = make_app()
    feature = _lab(app, wait_until)
    view = feature.view
    view.system_edit.setPlainText("Answer with the city only.")
    view.template_edit.setPlainText("Capital of {{country}}?")
    assert view.cases.variables() == ["country"]
    qtbot.mouseClick(view.add_case_button, Qt.MouseButton.LeftButton)
    view.cases.item(0, 0).setText("France")
    view.cases.item(0, 2).setText("Paris")
    view.cases.cellWidget(0, 1).setCurrentIndex(1)  # "contains"
    view.cases.add_case(TestCase({"country": "Japan"}, Expectation(ExpectKind.EQUALS, "Kyoto")))
    view.variants.rows[0].model_combo.setCurrentText("gpt-4o-mini")
    view.variants.add_variant()
    view.variants.rows[1].model_combo.setCurrentText("gpt-4.1")
    view.samples_spin.setValue(2)

    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    wait_until(_idle(app))

    sent = [r.json for r in fake_openai.requests_to("/chat/completions") if r.json]
    assert len(sent) == 2 * 2 * 2
    questions = sorted({b["messages"][-1]["content"] for b in sent})
    assert questions == ["Capital of France?", "Capital of Japan?"]
    assert all(
        b["messages"][0] == {"role": "system", "content": "Answer with the city only."}
        for b in sent
    )
    assert {b["model"] for b in sent} == {"gpt-4o-mini", "gpt-4.1"}

    rows = _texts(feature)
    assert len(rows) == 5  # 2 cases × 2 samples + the summary row
    assert rows[0][0].startswith("✔ Paris")
    assert rows[2][0].startswith("✘ Tokyo")
    assert "tok" in rows[0][0]
    assert "$" in rows[0][0]
    assert re.search(r"· [\d.]+ m?s$", rows[0][0])  # latency
    assert rows[4][0].startswith("2/4 passed (50%)")
    assert "median" in rows[4][0]
    assert len(app.services.ledger.recent()) == 8
    assert "Done: 8 of 8 cells finished" in view.status_label.text()
    assert not view.resume_button.isEnabled()

    view.results.setCurrentCell(2, 0)
    assert view.detail_view.text() == "Tokyo"
    assert "Is not exactly “Kyoto”" in view.detail_check.text()


@pytest.mark.parametrize(
    ("kind", "value", "reply", "passed"),
    [
        (ExpectKind.CONTAINS, "paris", "It is Paris.", True),
        (ExpectKind.EQUALS, "Paris", "Paris!", False),
        (ExpectKind.REGEX, r"^[A-Z][a-z]+$", "Paris", True),
        (ExpectKind.JSON, "", '```json\n{"city": "Paris"}\n```', True),
        (ExpectKind.JSON, "", "city: Paris", False),
        (ExpectKind.SCHEMA, '{"type": "object", "required": ["city"]}', '{"city": "Paris"}', True),
        (ExpectKind.SCHEMA, '{"type": "object", "required": ["city"]}', '{"town": "Paris"}', False),
    ],
)
def test_every_expectation_type_in_the_grid(
    make_app: Callable[..., AppHarness],
    fake_openai: FakeOpenAI,
    qtbot: Any,
    wait_until: Any,
    kind: ExpectKind,
    value: str,
    reply: str,
    passed: bool,
) -> None:
    fake_openai.scenario.reply_text = reply
    app = make_app()
    feature = _lab(app, wait_until)
    view = _setup(feature, [TestCase({"country": "France"}, Expectation(kind, value))])
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    wait_until(_idle(app))
    result = next(iter(feature.controller.run.results.values()))
    assert result.check.passed is passed
    assert _texts(feature)[0][0].startswith("✔" if passed else "✘")


def test_bad_input_is_flagged_before_running(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    feature = _lab(app, wait_until)
    view = feature.view
    view.template_edit.setPlainText("Capital of {{country}} in {{language}}?")
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    assert "Add at least one test case" in view.status_label.text()

    view.cases.set_cases(
        [
            TestCase({"country": "France"}, Expectation(ExpectKind.REGEX, "([a-z")),
            TestCase(
                {"country": "Peru", "language": "es"}, Expectation(ExpectKind.SCHEMA, "{oops")
            ),
        ]
    )
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    status = view.status_label.text()
    assert "Case 1: no value for {{language}}" in status
    assert "Case 1: the regex is not valid" in status
    assert "Case 2: the JSON schema is not valid JSON" in status
    assert view.pages.currentIndex() == 0
    assert view.cases.item(0, 0).toolTip().startswith("Can't run: no value for {{language}}")
    assert "regex" in view.cases.item(0, 0).toolTip()
    assert "JSON schema" in view.cases.item(1, 0).toolTip()
    wait_until(_idle(app))
    assert fake_openai.requests_to("/chat/completions") == []


def test_rate_limits_are_retried_after_the_servers_wait(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    fake_openai.scenario.reply_text = _capital
    fake_openai.rate_limit(retry_after=0.05, times=2, path="/chat/completions")
    app = make_app()
    feature = _lab(app, wait_until)
    view = _setup(feature, [TestCase({"country": c}) for c in ("France", "Peru")])
    view.concurrency_spin.setValue(1)
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    waited: list[str] = []
    _meanwhile(
        wait_until,
        lambda: "Rate limited: waiting 0.05 s" in view.status_label.text(),
        lambda: waited.append(view.status_label.text()),
        _idle(app),
    )
    assert waited
    assert len(fake_openai.requests_to("/chat/completions")) == 4
    assert feature.controller.run.pending() == []
    assert "Done: 2 of 2" in view.status_label.text()


def test_a_failed_cell_is_kept_out_and_resume_runs_only_it(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    fake_openai.scenario.reply_text = _capital
    app = make_app()
    feature = _lab(app, wait_until)
    view = _setup(feature, [TestCase({"country": c}) for c in ("France", "Japan", "Peru")])
    view.concurrency_spin.setValue(1)
    fake_openai.fail_next(500, path="/chat/completions")
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    wait_until(_idle(app))
    run = feature.controller.run
    statuses = sorted(r.status for r in run.results.values())
    assert statuses == [CellStatus.ERROR, CellStatus.OK, CellStatus.OK]
    assert _texts(feature)[0][0].startswith("⚠")
    assert "1 not finished: Resume runs only those" in view.status_label.text()
    assert view.resume_button.isEnabled()

    fake_openai.clear_requests()
    qtbot.mouseClick(view.resume_button, Qt.MouseButton.LeftButton)
    wait_until(_idle(app))
    sent = fake_openai.requests_to("/chat/completions")
    assert [r.json["messages"][-1]["content"] for r in sent if r.json] == ["Capital of France?"]
    assert run.pending() == []
    assert _texts(feature)[0][0].startswith("Paris")
    assert not view.resume_button.isEnabled()


def test_stop_keeps_finished_cells_and_resume_runs_the_rest(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    fake_openai.scenario.reply_text = "word " * 30
    fake_openai.scenario.tokens_per_second = 150
    app = make_app()
    feature = _lab(app, wait_until)
    view = _setup(feature, [TestCase({"country": str(i)}) for i in range(4)])
    view.concurrency_spin.setValue(1)
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    _meanwhile(
        wait_until,
        lambda: feature.controller.run is not None and len(feature.controller.run.results) >= 1,
        view.stop_button.click,
        _idle(app),
    )
    run = feature.controller.run
    finished = [k for k, r in run.results.items() if r.status == CellStatus.OK]
    assert 1 <= len(finished) < 4
    assert "Stopped:" in view.status_label.text()
    stored = feature.controller.store.load_run(run.id)
    assert stored is not None
    assert len(stored.pending()) == 4 - len(finished)

    fake_openai.scenario.tokens_per_second = None
    qtbot.mouseClick(view.resume_button, Qt.MouseButton.LeftButton)
    wait_until(_idle(app))
    assert run.pending() == []
    assert all(run.results[k].status == CellStatus.OK for k in finished)


def test_cost_guard_asks_above_the_threshold(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    feature = _lab(app, wait_until)
    feature.apply_settings(app.controller.settings.replace(cost_guard_usd=0.0))
    view = _setup(feature, [TestCase({"country": "France"}), TestCase({"country": "Peru"})])
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: feature.controller.confirm_box is not None)
    box = feature.controller.confirm_box
    assert "2 requests now" in box.text()
    assert "$" in box.text()
    assert "above your limit of $0" in box.text()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.No), Qt.MouseButton.LeftButton)
    assert feature.controller.confirm_box is None
    assert "Not run." in view.status_label.text()
    assert fake_openai.requests_to("/chat/completions") == []

    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: feature.controller.confirm_box is not None)
    yes = feature.controller.confirm_box.button(QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(yes, Qt.MouseButton.LeftButton)
    wait_until(_idle(app))
    assert len(fake_openai.requests_to("/chat/completions")) == 2

    feature.apply_settings(app.controller.settings.replace(cost_guard_usd=100.0))
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    wait_until(_idle(app))
    assert feature.controller.confirm_box is None
    assert len(fake_openai.requests_to("/chat/completions")) == 4


def test_cost_guard_threshold_is_a_setting(make_app: Callable[..., AppHarness]) -> None:
    from playground.ui.widgets.settings_dialog import SettingsDialog

    app = make_app()
    dialog = SettingsDialog(app.controller.settings, app.window)
    spin = dialog.findChild(object, "costGuardSpin")
    assert spin.value() == pytest.approx(0.5)
    spin.setValue(2.25)
    assert dialog.result_settings().cost_guard_usd == pytest.approx(2.25)
    dialog.close()


def test_versions_are_saved_diffed_and_runs_remember_them(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    fake_openai.scenario.reply_text = _capital
    app = make_app()
    feature = _lab(app, wait_until)
    controller = feature.controller
    view = _setup(feature, [TestCase({"country": "France"})], "Capital of {{country}}?")
    view.label_edit.setText("short")
    qtbot.mouseClick(view.save_version_button, Qt.MouseButton.LeftButton)
    view.template_edit.setPlainText("What is the capital city of {{country}}?")
    qtbot.mouseClick(view.save_version_button, Qt.MouseButton.LeftButton)
    assert view.version_combo.count() == 2
    assert "short" in view.version_combo.itemText(1)

    qtbot.mouseClick(view.diff_button, Qt.MouseButton.LeftButton)
    diff = controller.diff_dialog.view.toPlainText()
    assert "-Capital of {{country}}?" in diff
    assert "+What is the capital city of {{country}}?" in diff

    # Two variants: the old version and the draft (the draft equals the newest version).
    first = view.variants.rows[0]
    first.set_version(controller._versions[1].id)
    view.variants.add_variant()
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    wait_until(_idle(app))
    run = controller.run
    assert [v.version_id for v in run.variants] == [
        controller._versions[1].id,
        controller._versions[0].id,
    ]
    asked = sorted(
        r.json["messages"][-1]["content"]
        for r in fake_openai.requests_to("/chat/completions")
        if r.json
    )
    assert asked == ["Capital of France?", "What is the capital city of France?"]

    # A later edit does not change what the stored run says it used.
    view.template_edit.setPlainText("Name the capital of {{country}}.")
    view.load_version_requested.emit(controller._versions[1].id)
    assert view.template_edit.toPlainText() == "Capital of {{country}}?"
    stored = controller.store.load_run(run.id)
    assert stored is not None
    assert stored.variants[1].prompt.user == "What is the capital city of {{country}}?"
    assert view.runs_combo.count() == 1


def test_run_as_batch_uploads_jsonl_and_maps_results_back(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    fake_openai.scenario.reply_text = _capital
    app = make_app()
    feature = _lab(app, wait_until)
    view = _setup(
        feature,
        [
            TestCase({"country": "France"}, Expectation(ExpectKind.EQUALS, "Paris")),
            TestCase({"country": "Chile"}, Expectation(ExpectKind.EQUALS, "Lima")),
        ],
    )
    view.variants.rows[0].params.set_fields({"model": "gpt-4o-mini", "temperature": 0.1})
    qtbot.mouseClick(view.batch_button, Qt.MouseButton.LeftButton)
    wait_until(_idle(app))

    upload = fake_openai.last("/files")
    assert upload.form["purpose"] == "batch"
    lines = [json.loads(line) for line in upload.files["file"].data.decode().splitlines()]
    run = feature.controller.run
    assert sorted(line["custom_id"] for line in lines) == sorted(k.custom_id for k in run.cells())
    assert {line["url"] for line in lines} == {"/v1/chat/completions"}
    assert all(line["body"]["temperature"] == 0.1 for line in lines)
    assert all("stream" not in line["body"] for line in lines)
    assert len(fake_openai.requests_to("/chat/completions")) == 0  # nothing was sent live
    batch_calls = [r for r in fake_openai.requests if r.path.startswith("/v1/batches")]
    assert len(batch_calls) >= 3  # created, then polled

    france, chile = run.cells()
    assert run.results[france].text == "Paris"
    assert run.results[france].check.passed is True
    assert run.results[chile].text == "Santiago"
    assert run.results[chile].check.passed is False
    assert "Batch done: 2 of 2" in view.status_label.text()

    rows = app.services.ledger.recent()
    assert len(rows) == 2
    row = rows[0]
    full = app.services.pricer.cost(row.model, row.usage)
    assert row.cost is not None
    assert full is not None
    assert row.cost < full  # priced at the Batch API's price


def test_batch_errors_land_in_their_cells(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    feature = _lab(app, wait_until)
    view = _setup(feature, [TestCase({"country": c}) for c in ("France", "Peru")])
    original = feature.controller.batches.submit

    async def submit(jsonl: bytes, **kwargs: Any) -> Any:
        run = feature.controller.run
        fake_openai.batches.fail_ids = {run.cells()[1].custom_id}
        return await original(jsonl, **kwargs)

    feature.controller.batches.submit = submit
    qtbot.mouseClick(view.batch_button, Qt.MouseButton.LeftButton)
    wait_until(_idle(app))
    run = feature.controller.run
    ok, failed = (run.results[k] for k in run.cells())
    assert ok.status == CellStatus.OK
    assert failed.status == CellStatus.ERROR
    assert "does not exist" in failed.error
    assert view.resume_button.isEnabled()


def test_cases_import_from_csv_and_jsonl_and_export(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, wait_until: Any, tmp_path: Path
) -> None:
    app = make_app()
    feature = _lab(app, wait_until)
    controller, view = feature.controller, feature.view
    view.template_edit.setPlainText("Capital of {{country}}?")
    source = tmp_path / "cases.csv"
    source.write_text("country,expect,expected\nFrance,equals,Paris\nPeru,,\n", encoding="utf-8")
    controller.ask_open_path = lambda: str(source)
    view.import_button.click()
    cases = view.cases.cases()
    assert [c.values["country"] for c in cases] == ["France", "Peru"]
    assert cases[0].expect == Expectation(ExpectKind.EQUALS, "Paris")
    assert "Imported 2 cases" in view.status_label.text()

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"vars": {"country": "Chile"}}\nnot json\n', encoding="utf-8")
    controller.ask_open_path = lambda: str(bad)
    view.import_button.click()
    assert "Line 2: not valid JSON" in view.status_label.text()
    assert len(view.cases.cases()) == 2  # nothing lost

    out = tmp_path / "out.jsonl"
    controller.ask_save_path = lambda *_args: str(out)
    view.export_cases_button.click()
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert lines[0] == {"vars": {"country": "France"}, "expect": "equals", "expected": "Paris"}
    assert lines[1] == {"vars": {"country": "Peru"}}


def test_results_export_csv_and_json(
    make_app: Callable[..., AppHarness],
    fake_openai: FakeOpenAI,
    qtbot: Any,
    wait_until: Any,
    tmp_path: Path,
) -> None:
    fake_openai.scenario.reply_text = _capital
    app = make_app()
    feature = _lab(app, wait_until)
    view = _setup(
        feature, [TestCase({"country": "France"}, Expectation(ExpectKind.CONTAINS, "Paris"))]
    )
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    wait_until(_idle(app))
    out = tmp_path / "results.json"
    feature.controller.ask_save_path = lambda *_args: str(out)
    view.export_json_button.click()
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["summary"][0]["pass_rate"] == 1.0
    assert data["cells"][0]["text"] == "Paris"
    out_csv = tmp_path / "results.csv"
    feature.controller.ask_save_path = lambda *_args: str(out_csv)
    view.export_csv_button.click()
    assert "Paris" in out_csv.read_text(encoding="utf-8")


def test_state_and_last_run_survive_a_restart(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    fake_openai.scenario.reply_text = _capital
    app = make_app()
    feature = _lab(app, wait_until)
    view = _setup(
        feature, [TestCase({"country": "Japan"}, Expectation(ExpectKind.EQUALS, "Tokyo"))]
    )
    view.variants.rows[0].name_edit.setText("Short answers")
    view.variants.rows[0].params.set_fields({"model": "gpt-4.1", "temperature": 0.4})
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    wait_until(_idle(app))
    app.controller.save_window_state()

    again = make_app(home=app.home)
    restored = again.feature("lab")
    rview = restored.view
    assert rview.template_edit.toPlainText() == "Capital of {{country}}?"
    assert rview.cases.cases()[0].values == {"country": "Japan"}
    row = rview.variants.rows[0]
    assert row.name_edit.text() == "Short answers"
    assert row.model() == "gpt-4.1"
    assert row.fields()["temperature"] == pytest.approx(0.4)
    assert row.params_button.text() == "Parameters (1)…"
    assert "temperature 0.4" in row.params_button.toolTip()
    assert restored.controller.run is not None
    assert _texts(restored)[0][0].startswith("✔ Tokyo")


def test_usage_numbers_reach_the_status_bar(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    feature = _lab(app, wait_until)
    view = _setup(feature, [TestCase({"country": "France"})])
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    wait_until(_idle(app))
    assert app.window.counters.last_label.text() != "Last: —"
    result = next(iter(feature.controller.run.results.values()))
    assert isinstance(result.usage, Usage)
    assert not result.usage.estimated
    assert result.cost is not None
    assert result.cost > Decimal(0)


def test_a_batch_still_running_at_quit_is_picked_up_at_the_next_start(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    fake_openai.scenario.reply_text = _capital
    fake_openai.batches.steps = 10_000  # the batch stays "in progress" while this app runs
    app = make_app()
    feature = _lab(app, wait_until)
    view = _setup(feature, [TestCase({"country": "Peru"}, Expectation(ExpectKind.EQUALS, "Lima"))])
    qtbot.mouseClick(view.batch_button, Qt.MouseButton.LeftButton)
    ids: list[str | None] = []

    def quit_app() -> None:
        ids.append(feature.controller.batch_id)
        # Quit on Chat: a harness-only detail (qtbot processes Qt events outside the asyncio loop
        # while the next window opens, so a tab restored at that moment could not start its request).
        app.window.show_tab("chat")
        app.controller.save_window_state()
        feature.shutdown()

    _meanwhile(
        wait_until,
        lambda: "Batch running" in view.status_label.text(),
        quit_app,
        lambda: not app.runner.is_busy("lab-batch"),
    )
    batch_id = ids[0]
    assert batch_id
    assert app.controller.store.load().tabs["lab"]["batch_id"] == batch_id

    fake_openai.batches.steps = 1  # done at the next look
    again = make_app(home=app.home)
    restored = again.feature("lab")
    wait_until(lambda: not again.runner.is_busy("lab-batch"))
    run = restored.controller.run
    assert [r.text for r in run.results.values()] == ["Lima"]
    assert restored.controller.batch_id is None
    assert "Batch done: 1 of 1" in restored.view.status_label.text()
    # No cancel was sent: quitting leaves the batch running on the server.
    assert not [r for r in fake_openai.requests if r.path.endswith("/cancel")]


def test_stop_cancels_a_running_batch(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    fake_openai.batches.steps = 10_000
    app = make_app()
    feature = _lab(app, wait_until)
    view = _setup(feature, [TestCase({"country": "Peru"})])
    qtbot.mouseClick(view.batch_button, Qt.MouseButton.LeftButton)
    _meanwhile(
        wait_until,
        lambda: "Batch running" in view.status_label.text(),
        view.stop_button.click,
        lambda: not app.runner.is_busy("lab-batch") and not app.runner.is_busy("lab-batch-cancel"),
    )
    assert [r for r in fake_openai.requests if r.path.endswith("/cancel")]
    assert "Batch cancelled" in view.status_label.text()
    assert view.resume_button.isEnabled()


def test_a_rejected_key_is_reported_in_plain_words_and_nothing_is_lost(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    fake_openai.fail_next(401, times=2, path="/chat/completions")
    app = make_app()
    feature = _lab(app, wait_until)
    view = _setup(feature, [TestCase({"country": c}) for c in ("France", "Peru")])
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    wait_until(_idle(app))
    status = view.status_label.text()
    assert "0 of 2 cells finished" in status
    assert "2 failed, e.g." in status
    assert "401" in status
    assert view.resume_button.isEnabled()
    assert view.cases.cases()[1].values == {"country": "Peru"}  # the table is untouched
    qtbot.mouseClick(view.resume_button, Qt.MouseButton.LeftButton)
    wait_until(_idle(app))
    assert feature.controller.run.pending() == []


def test_ctrl_enter_runs_the_grid(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    feature = _lab(app, wait_until)
    view = _setup(feature, [TestCase({"country": "France"})])
    view.template_edit.setFocus()
    qtbot.keyClick(view.template_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    wait_until(_idle(app))
    assert len(fake_openai.requests_to("/chat/completions")) == 1


def test_a_new_variant_starts_on_chats_model(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, wait_until: Any
) -> None:
    app = make_app(model="gpt-4.1")
    feature = _lab(app, wait_until)
    assert feature.view.variants.rows[0].model() == "gpt-4.1"
