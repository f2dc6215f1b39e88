"""Prompt Lab end to end against the fake server: variables, checks, the grid, retries, resume,
the cost guard, versions, batches, case files and saved state."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from playground.core.lab.suite import CellStatus, Expectation, ExpectKind, Prompt, TestCase
from playground.core.models import Usage
from tests.conftest import AppHarness, MakeParts, WaitUntil
from tests.fakes import openai_payloads as payloads
from tests.fakes.openai_server import FakeOpenAI, JsonDict
from tests.gui.drivers import TabDriver, opener

pytestmark = pytest.mark.gui

CAPITALS = {"France": "Paris", "Japan": "Tokyo", "Peru": "Lima", "Chile": "Santiago"}


def _capital(body: JsonDict) -> str:
    question = body["messages"][-1]["content"]
    return next((city for country, city in CAPITALS.items() if country in question), "No idea")


def _texts(feature: Any) -> list[list[str]]:
    """The results grid's cells as text, row by row."""
    grid = feature.view.results
    return [
        [grid.item(r, c).text() if grid.item(r, c) else "" for c in range(grid.columnCount())]
        for r in range(grid.rowCount())
    ]


class LabTab(TabDriver):
    """A running app on the Prompt Lab tab with its model list loaded, and the steps its tests
    share: fill in the template and cases, run (live or as a batch), resume, read the grid."""

    key = "lab"

    def prepare(self) -> None:
        self.app.window.show_tab(self.key)
        self.app.controller.refresh_models()
        self.wait_until(lambda: self.view.variants.rows[0].model_combo.count() > 0)
        self.controller.poll_seconds = 0.01
        # The cost guard has its own test; elsewhere it must not stop a run.
        self.set_cost_guard(1000.0)

    @property
    def controller(self) -> Any:
        """The tab's controller (it is the feature controller itself)."""
        return self.feature

    def set_cost_guard(self, usd: float) -> None:
        """Asks before a run estimated above `usd` (the app's setting)."""
        self.feature.apply_settings(self.app.controller.settings.replace(cost_guard_usd=usd))

    def set_up(self, cases: list[TestCase], template: str = "Capital of {{country}}?") -> Any:
        """Puts `template` and `cases` in the tab and returns its view."""
        self.view.template_edit.setPlainText(template)
        self.view.cases.set_cases(cases)
        return self.view

    def done(self) -> bool:
        """Whether no run, batch or estimate is under way."""
        return not any(self.app.runner.is_busy(g) for g in ("lab", "lab-batch", "lab-estimate"))

    def wait_done(self) -> None:
        self.wait_until(self.done)

    def run(self) -> None:
        """Clicks Run and waits until the run has ended."""
        self.click(self.view.run_button)
        self.wait_done()

    def run_batch(self) -> None:
        """Clicks Run as batch and waits until the batch has ended."""
        self.click(self.view.batch_button)
        self.wait_done()

    def resume(self) -> None:
        """Clicks Resume and waits until the cells it runs have ended."""
        self.click(self.view.resume_button)
        self.wait_done()

    def grid_texts(self) -> list[list[str]]:
        return _texts(self.feature)


@pytest.fixture
def open_lab(
    make_app: Callable[..., AppHarness], qtbot: Any, wait_until: WaitUntil
) -> Callable[..., LabTab]:
    """Starts an app (`make_app`'s keywords), shows the Prompt Lab tab and loads its models."""
    return opener(LabTab, make_app, qtbot, wait_until)


def test_variables_fill_each_case_and_the_grid_shows_results(
    open_lab: Callable[..., LabTab], fake_openai: FakeOpenAI
) -> None:
    fake_openai.scenario.reply_text = _capital
    lab = open_lab()
    view = lab.view
    view.system_edit.setPlainText("Answer with the city only.")
    view.template_edit.setPlainText("Capital of {{country}}?")
    assert view.cases.variables() == ["country"]
    lab.click(view.add_case_button)
    # The cursor waits in the new case's first cell, editing (not on the button).
    assert view.cases.currentRow() == 0
    assert view.cases.state() == view.cases.State.EditingState
    view.cases.item(0, 0).setText("France")
    view.cases.item(0, 2).setText("Paris")
    view.cases.cellWidget(0, 1).setCurrentIndex(1)  # "contains"
    view.cases.add_case(TestCase({"country": "Japan"}, Expectation(ExpectKind.EQUALS, "Kyoto")))
    view.variants.rows[0].model_combo.setCurrentText("gpt-4o-mini")
    view.variants.add_variant()
    view.variants.rows[1].model_combo.setCurrentText("gpt-4.1")
    view.samples_spin.setValue(2)

    lab.run()

    sent = [r.json for r in fake_openai.requests_to("/chat/completions") if r.json]
    assert len(sent) == 2 * 2 * 2
    questions = sorted({b["messages"][-1]["content"] for b in sent})
    assert questions == ["Capital of France?", "Capital of Japan?"]
    assert all(
        b["messages"][0] == {"role": "system", "content": "Answer with the city only."}
        for b in sent
    )
    assert {b["model"] for b in sent} == {"gpt-4o-mini", "gpt-4.1"}

    rows = lab.grid_texts()
    assert len(rows) == 5  # 2 cases × 2 samples + the summary row
    assert rows[0][0].startswith("✔ Paris")
    assert rows[2][0].startswith("✘ Tokyo")
    assert "tok" in rows[0][0]
    assert "$" in rows[0][0]
    assert re.search(r"· [\d.]+ m?s$", rows[0][0])  # latency
    assert rows[4][0].startswith("2/4 passed (50%)")
    assert "median" in rows[4][0]
    assert len(lab.app.services.ledger.recent()) == 8
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
    open_lab: Callable[..., LabTab],
    fake_openai: FakeOpenAI,
    kind: ExpectKind,
    value: str,
    reply: str,
    passed: bool,
) -> None:
    fake_openai.scenario.reply_text = reply
    lab = open_lab()
    lab.set_up([TestCase({"country": "France"}, Expectation(kind, value))])
    lab.run()
    result = next(iter(lab.controller.run.results.values()))
    assert result.check.passed is passed
    assert lab.grid_texts()[0][0].startswith("✔" if passed else "✘")


def test_bad_input_is_flagged_before_running(
    open_lab: Callable[..., LabTab], fake_openai: FakeOpenAI
) -> None:
    lab = open_lab()
    view = lab.view
    view.template_edit.setPlainText("Capital of {{country}} in {{language}}?")
    lab.click(view.run_button)
    assert "Add at least one test case" in view.status_label.text()

    view.cases.set_cases(
        [
            TestCase({"country": "France"}, Expectation(ExpectKind.REGEX, "([a-z")),
            TestCase(
                {"country": "Peru", "language": "es"}, Expectation(ExpectKind.SCHEMA, "{oops")
            ),
        ]
    )
    lab.click(view.run_button)
    status = view.status_label.text()
    assert "Case 1: no value for {{language}}" in status
    assert "Case 1: the regex is not valid" in status
    assert "Case 2: the JSON schema is not valid JSON" in status
    assert view.pages.currentIndex() == 0
    assert view.cases.item(0, 0).toolTip().startswith("Can't run: no value for {{language}}")
    assert "regex" in view.cases.item(0, 0).toolTip()
    assert "JSON schema" in view.cases.item(1, 0).toolTip()
    lab.wait_done()
    assert fake_openai.requests_to("/chat/completions") == []


def test_rate_limits_are_retried_after_the_servers_wait(
    open_lab: Callable[..., LabTab], fake_openai: FakeOpenAI
) -> None:
    fake_openai.scenario.reply_text = _capital
    fake_openai.rate_limit(retry_after=0.05, times=2, path="/chat/completions")
    lab = open_lab()
    view = lab.set_up([TestCase({"country": c}) for c in ("France", "Peru")])
    view.concurrency_spin.setValue(1)
    lab.click(view.run_button)
    waited: list[str] = []
    lab.meanwhile(
        lambda: "Rate limited: waiting 0.05 s" in view.status_label.text(),
        lambda: waited.append(view.status_label.text()),
        lab.done,
    )
    assert waited
    assert len(fake_openai.requests_to("/chat/completions")) == 4
    assert lab.controller.run.pending() == []
    assert "Done: 2 of 2" in view.status_label.text()


def test_a_failed_cell_is_kept_out_and_resume_runs_only_it(
    open_lab: Callable[..., LabTab], fake_openai: FakeOpenAI
) -> None:
    fake_openai.scenario.reply_text = _capital
    lab = open_lab()
    view = lab.set_up([TestCase({"country": c}) for c in ("France", "Japan", "Peru")])
    view.concurrency_spin.setValue(1)
    fake_openai.fail_next(500, path="/chat/completions")
    lab.run()
    run = lab.controller.run
    statuses = sorted(r.status for r in run.results.values())
    assert statuses == [CellStatus.ERROR, CellStatus.OK, CellStatus.OK]
    assert lab.grid_texts()[0][0].startswith("⚠")
    assert "1 not finished: Resume runs only those" in view.status_label.text()
    assert view.resume_button.isEnabled()

    fake_openai.clear_requests()
    lab.resume()
    sent = fake_openai.requests_to("/chat/completions")
    assert [r.json["messages"][-1]["content"] for r in sent if r.json] == ["Capital of France?"]
    assert run.pending() == []
    assert lab.grid_texts()[0][0].startswith("Paris")
    assert not view.resume_button.isEnabled()


def test_stop_keeps_finished_cells_and_resume_runs_the_rest(
    open_lab: Callable[..., LabTab], fake_openai: FakeOpenAI
) -> None:
    fake_openai.scenario.reply_text = "word " * 30
    fake_openai.scenario.tokens_per_second = 150
    lab = open_lab()
    view = lab.set_up([TestCase({"country": str(i)}) for i in range(4)])
    view.concurrency_spin.setValue(1)
    lab.click(view.run_button)
    lab.meanwhile(
        lambda: lab.controller.run is not None and len(lab.controller.run.results) >= 1,
        view.stop_button.click,
        lab.done,
    )
    run = lab.controller.run
    finished = [k for k, r in run.results.items() if r.status == CellStatus.OK]
    assert 1 <= len(finished) < 4
    assert "Stopped:" in view.status_label.text()
    stored = lab.controller.store.load_run(run.id)
    assert stored is not None
    assert len(stored.pending()) == 4 - len(finished)

    fake_openai.scenario.tokens_per_second = None
    lab.resume()
    assert run.pending() == []
    assert all(run.results[k].status == CellStatus.OK for k in finished)


def test_cost_guard_asks_above_the_threshold(
    open_lab: Callable[..., LabTab], fake_openai: FakeOpenAI, wait_until: WaitUntil
) -> None:
    lab = open_lab()
    lab.set_cost_guard(0.0)
    view = lab.set_up([TestCase({"country": "France"}), TestCase({"country": "Peru"})])
    lab.click(view.run_button)
    wait_until(lambda: lab.controller.confirm_box is not None)
    box = lab.controller.confirm_box
    assert "2 requests now" in box.text()
    assert "$" in box.text()
    assert "above your limit of $0" in box.text()
    lab.click(box.button(QMessageBox.StandardButton.No))
    assert lab.controller.confirm_box is None
    assert "Not run." in view.status_label.text()
    assert fake_openai.requests_to("/chat/completions") == []

    lab.click(view.run_button)
    wait_until(lambda: lab.controller.confirm_box is not None)
    yes = lab.controller.confirm_box.button(QMessageBox.StandardButton.Yes)
    lab.click(yes)
    lab.wait_done()
    assert len(fake_openai.requests_to("/chat/completions")) == 2

    lab.set_cost_guard(100.0)
    lab.run()
    assert lab.controller.confirm_box is None
    assert len(fake_openai.requests_to("/chat/completions")) == 4


def test_cost_guard_threshold_is_a_setting(make_app: Callable[..., AppHarness]) -> None:
    from playground.ui.shell.settings_dialog import SettingsDialog

    app = make_app()
    dialog = SettingsDialog(app.controller.settings, app.window)
    spin = dialog.findChild(object, "costGuardSpin")
    assert spin.value() == pytest.approx(0.5)
    spin.setValue(2.25)
    assert dialog.result_settings().cost_guard_usd == pytest.approx(2.25)
    dialog.close()


def test_versions_are_saved_diffed_and_runs_remember_them(
    open_lab: Callable[..., LabTab], fake_openai: FakeOpenAI
) -> None:
    fake_openai.scenario.reply_text = _capital
    lab = open_lab()
    controller = lab.controller
    view = lab.set_up([TestCase({"country": "France"})], "Capital of {{country}}?")
    view.label_edit.setText("short")
    lab.click(view.save_version_button)
    view.template_edit.setPlainText("What is the capital city of {{country}}?")
    lab.click(view.save_version_button)
    assert view.version_combo.count() == 2
    assert "short" in view.version_combo.itemText(1)

    lab.click(view.diff_button)
    diff = controller.diff_dialog.view.toPlainText()
    assert "-Capital of {{country}}?" in diff
    assert "+What is the capital city of {{country}}?" in diff

    # Two variants: the old version and the draft (the draft equals the newest version).
    first = view.variants.rows[0]
    first.set_version(controller._versions[1].id)
    view.variants.add_variant()
    lab.run()
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
    open_lab: Callable[..., LabTab], fake_openai: FakeOpenAI
) -> None:
    fake_openai.scenario.reply_text = _capital
    lab = open_lab()
    view = lab.set_up(
        [
            TestCase({"country": "France"}, Expectation(ExpectKind.EQUALS, "Paris")),
            TestCase({"country": "Chile"}, Expectation(ExpectKind.EQUALS, "Lima")),
        ],
    )
    view.variants.rows[0].params.set_fields({"model": "gpt-4o-mini", "temperature": 0.1})
    lab.run_batch()

    upload = fake_openai.last("/files")
    assert upload.form["purpose"] == "batch"
    lines = [json.loads(line) for line in upload.files["file"].data.decode().splitlines()]
    run = lab.controller.run
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

    rows = lab.app.services.ledger.recent()
    assert len(rows) == 2
    row = rows[0]
    full = lab.app.services.pricer.cost(row.model, row.usage)
    assert row.cost is not None
    assert full is not None
    assert row.cost < full  # priced at the Batch API's price


def test_batch_errors_land_in_their_cells(
    open_lab: Callable[..., LabTab], fake_openai: FakeOpenAI
) -> None:
    lab = open_lab()
    view = lab.set_up([TestCase({"country": c}) for c in ("France", "Peru")])
    original = lab.controller.batches.submit

    async def submit(jsonl: bytes, **kwargs: Any) -> Any:
        run = lab.controller.run
        fake_openai.batches.fail_ids = {run.cells()[1].custom_id}
        return await original(jsonl, **kwargs)

    lab.controller.batches.submit = submit
    lab.run_batch()
    run = lab.controller.run
    ok, failed = (run.results[k] for k in run.cells())
    assert ok.status == CellStatus.OK
    assert failed.status == CellStatus.ERROR
    assert "does not exist" in failed.error
    assert view.resume_button.isEnabled()


def test_cases_import_from_csv_and_jsonl_and_export(
    open_lab: Callable[..., LabTab], tmp_path: Path
) -> None:
    lab = open_lab()
    controller, view = lab.controller, lab.view
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
    open_lab: Callable[..., LabTab], fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.scenario.reply_text = _capital
    lab = open_lab()
    view = lab.set_up([TestCase({"country": "France"}, Expectation(ExpectKind.CONTAINS, "Paris"))])
    lab.run()
    out = tmp_path / "results.json"
    lab.controller.ask_save_path = lambda *_args: str(out)
    view.export_json_button.click()
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["summary"][0]["pass_rate"] == 1.0
    assert data["cells"][0]["text"] == "Paris"
    out_csv = tmp_path / "results.csv"
    lab.controller.ask_save_path = lambda *_args: str(out_csv)
    view.export_csv_button.click()
    assert "Paris" in out_csv.read_text(encoding="utf-8")


def test_state_and_last_run_survive_a_restart(
    open_lab: Callable[..., LabTab], make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI
) -> None:
    fake_openai.scenario.reply_text = _capital
    lab = open_lab()
    view = lab.set_up([TestCase({"country": "Japan"}, Expectation(ExpectKind.EQUALS, "Tokyo"))])
    view.variants.rows[0].name_edit.setText("Short answers")
    view.variants.rows[0].params.set_fields({"model": "gpt-4.1", "temperature": 0.4})
    lab.run()
    lab.app.controller.save_window_state()

    again = make_app(home=lab.app.home)
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
    assert restored.run is not None
    assert _texts(restored)[0][0].startswith("✔ Tokyo")


def test_usage_numbers_reach_the_status_bar(open_lab: Callable[..., LabTab]) -> None:
    lab = open_lab()
    lab.set_up([TestCase({"country": "France"})])
    lab.run()
    assert lab.app.window.counters.last_label.text() != "Last: —"
    result = next(iter(lab.controller.run.results.values()))
    assert isinstance(result.usage, Usage)
    assert not result.usage.estimated
    assert result.cost is not None
    assert result.cost > Decimal(0)


def test_a_batch_still_running_at_quit_is_picked_up_at_the_next_start(
    open_lab: Callable[..., LabTab],
    make_app: Callable[..., AppHarness],
    fake_openai: FakeOpenAI,
    wait_until: WaitUntil,
) -> None:
    fake_openai.scenario.reply_text = _capital
    fake_openai.batches.steps = 10_000  # the batch stays "in progress" while this app runs
    lab = open_lab()
    view = lab.set_up([TestCase({"country": "Peru"}, Expectation(ExpectKind.EQUALS, "Lima"))])
    lab.click(view.batch_button)
    ids: list[str | None] = []

    def quit_app() -> None:
        ids.append(lab.controller.batch_id)
        # Quit on Chat: a harness-only detail (qtbot processes Qt events outside the asyncio loop
        # while the next window opens, so a tab restored at that moment could not start its request).
        lab.app.window.show_tab("chat")
        lab.app.controller.save_window_state()
        lab.feature.shutdown()

    lab.meanwhile(
        lambda: "Batch running" in view.status_label.text(),
        quit_app,
        lambda: not lab.app.runner.is_busy("lab-batch"),
    )
    batch_id = ids[0]
    assert batch_id
    assert lab.app.controller.store.load().tabs["lab"]["batch_id"] == batch_id

    fake_openai.batches.steps = 1  # done at the next look
    again = make_app(home=lab.app.home)
    restored = again.feature("lab")
    wait_until(lambda: not again.runner.is_busy("lab-batch"))
    run = restored.run
    assert [r.text for r in run.results.values()] == ["Lima"]
    assert restored.batch_id is None
    assert "Batch done: 1 of 1" in restored.view.status_label.text()
    # No cancel was sent: quitting leaves the batch running on the server.
    assert not [r for r in fake_openai.requests if r.path.endswith("/cancel")]


def test_stop_cancels_a_running_batch(
    open_lab: Callable[..., LabTab], fake_openai: FakeOpenAI
) -> None:
    fake_openai.batches.steps = 10_000
    lab = open_lab()
    view = lab.set_up([TestCase({"country": "Peru"})])
    lab.click(view.batch_button)
    lab.meanwhile(
        lambda: "Batch running" in view.status_label.text(),
        view.stop_button.click,
        lambda: (
            not lab.app.runner.is_busy("lab-batch")
            and not lab.app.runner.is_busy("lab-batch-cancel")
        ),
    )
    assert [r for r in fake_openai.requests if r.path.endswith("/cancel")]
    assert "Batch cancelled" in view.status_label.text()
    assert view.resume_button.isEnabled()


def test_a_rejected_key_is_reported_in_plain_words_and_nothing_is_lost(
    open_lab: Callable[..., LabTab], fake_openai: FakeOpenAI
) -> None:
    fake_openai.fail_next(401, times=2, path="/chat/completions")
    lab = open_lab()
    view = lab.set_up([TestCase({"country": c}) for c in ("France", "Peru")])
    lab.run()
    status = view.status_label.text()
    assert "0 of 2 cells finished" in status
    assert "2 failed, e.g." in status
    assert "401" in status
    assert view.resume_button.isEnabled()
    assert view.cases.cases()[1].values == {"country": "Peru"}  # the table is untouched
    lab.resume()
    assert lab.controller.run.pending() == []


def test_ctrl_enter_runs_the_grid(
    open_lab: Callable[..., LabTab], fake_openai: FakeOpenAI, qtbot: Any
) -> None:
    lab = open_lab()
    view = lab.set_up([TestCase({"country": "France"})])
    view.template_edit.setFocus()
    qtbot.keyClick(view.template_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    lab.wait_done()
    assert len(fake_openai.requests_to("/chat/completions")) == 1


def test_a_new_variant_starts_on_chats_model(open_lab: Callable[..., LabTab]) -> None:
    lab = open_lab(model="gpt-4.1")
    assert lab.view.variants.rows[0].model() == "gpt-4.1"


# --- cases with pictures ---------------------------------------------------------------------------


def test_pictures_added_to_a_case_are_sent_with_its_message(
    open_lab: Callable[..., LabTab], fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    photo = tmp_path / "cat.png"
    photo.write_bytes(payloads.make_image(80, 60, "cat"))
    lab = open_lab()
    view = lab.set_up(
        [TestCase({"hint": "An animal."}), TestCase({"hint": "Nothing."})],
        "What is in the picture? {{hint}}",
    )
    view.cases.setCurrentCell(0, 0)
    lab.controller.ask_picture_paths = lambda: [str(photo)]
    lab.click(view.pictures_button)
    assert view.cases.cases()[0].images == (str(photo),)
    assert view.cases.cases()[1].images == ()
    assert "cat.png" in view.cases.item(0, view.cases.pictures_column()).text()

    lab.run()
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
    open_lab: Callable[..., LabTab], fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a picture")
    lab = open_lab()
    view = lab.set_up([TestCase({}), TestCase({}, images=(str(broken),))], "Describe it.")
    lab.run()
    assert fake_openai.requests_to("/chat/completions") == []
    assert "Case 2:" in view.status_label.text()
    assert "Not run" in view.status_label.text()


class _Chat:
    """A `ChatLink` standing in for the Chat tab: Lab only reads its model."""

    def chat_settings(self) -> Any:
        from playground.ui.common.chat_link import ChatSettings

        return ChatSettings("gpt-4.1", "")

    def use_in_chat(self, settings: Any) -> None:
        raise AssertionError("Prompt Lab never writes Chat's settings")

    def on_add_to_lab(self, handler: Any) -> None:
        """Chat's "To Lab" never fires here."""

    def refused(self, model: str) -> frozenset[str]:
        return frozenset()

    def learn_refusal(self, model: str, setting: str) -> None:
        """Nothing is refused here."""


def test_the_controller_works_with_its_view_and_a_store_without_the_window(
    qtbot: Any, qloop: Any, wait_until: WaitUntil, fake_openai: FakeOpenAI, make_parts: MakeParts
) -> None:
    """The controller needs only its view, its services, a store, a task runner and a ChatLink."""
    from playground.core.chat.service import ChatService
    from playground.core.lab.batch import BatchService
    from playground.core.lab.store import LabStore
    from playground.ui.lab.controller import LabController
    from playground.ui.lab.tab import LabTab as LabView

    fake_openai.scenario.reply_text = _capital
    parts = make_parts()
    services, runner, counters = parts.services, parts.runner, parts.counters
    settings = replace(services.settings_store.load(), cost_guard_usd=1000.0)
    view = LabView()
    qtbot.addWidget(view)
    controller = LabController(
        view,
        ChatService(services.session.client),
        BatchService(services.session.client),
        LabStore.in_memory(),
        services.session,
        runner,
        services.counter,
        services.accounting,
        counters,
        settings,
        _Chat(),
    )
    try:
        controller.show_models(None)
        assert [v.model for v in view.variant_settings()] == ["gpt-4.1"]  # Chat's model
        view.set_prompt(Prompt("", "Capital of {{country}}?"))
        view.set_test_cases([TestCase({"country": c}) for c in ("France", "Japan")])
        qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
        wait_until(lambda: not any(runner.is_busy(g) for g in ("lab", "lab-estimate")))
        assert [row[0].splitlines()[0] for row in _texts(controller)[:2]] == ["Paris", "Tokyo"]
        assert controller.run is not None
        assert controller.run.pending() == []
        assert len(services.ledger.recent()) == 2
        assert controller.save_state()["variants"][0]["model"] == "gpt-4.1"
    finally:
        controller.shutdown()


def test_a_variant_can_run_through_the_responses_api(
    open_lab: Callable[..., LabTab], fake_openai: FakeOpenAI
) -> None:
    from playground.ui.common.chat_params import API_CHAT_COMPLETIONS, API_RESPONSES

    fake_openai.scenario.reply_text = "Paris"
    lab = open_lab()
    view = lab.set_up([TestCase(values={"country": "France"})])
    view.variants.rows[0].model_combo.setCurrentText("gpt-4o-mini")
    view.variants.add_variant()
    second = view.variants.rows[1]
    second.model_combo.setCurrentText("gpt-4.1")
    assert second.api() == API_CHAT_COMPLETIONS  # batch lines are Chat Completions: the default
    second.set_api(API_RESPONSES)
    second.params.tier_combo.setCurrentIndex(second.params.tier_combo.findData("flex"))
    assert "Responses API" in second.params_button.toolTip()
    lab.run()
    chat = [r.json for r in fake_openai.requests_to("/chat/completions") if r.json]
    responses = [r.json for r in fake_openai.requests_to("/responses") if r.json]
    assert [b["model"] for b in chat] == ["gpt-4o-mini"]
    assert [b["model"] for b in responses] == ["gpt-4.1"]
    assert responses[0]["input"][-1]["content"][0]["text"] == "Capital of France?"
    assert responses[0]["service_tier"] == "flex"
    assert "Paris" in " ".join(lab.grid_texts()[0])
    saved = lab.controller.save_state()["variants"]
    assert [v["fields"]["api"] for v in saved] == [API_CHAT_COMPLETIONS, API_RESPONSES]


def test_a_setting_a_server_refuses_in_the_lab_is_learned_and_left_out_on_resume(
    open_lab: Callable[..., LabTab], fake_openai: FakeOpenAI
) -> None:
    fake_openai.scenario.models = [*fake_openai.scenario.models, "o9-mini"]
    fake_openai.scenario.reply_text = "Paris"
    lab = open_lab()
    view = lab.set_up([TestCase(values={"country": "France"})])
    row = view.variants.rows[0]
    row.model_combo.setCurrentText("o9-mini")
    row.params.set_fields({"model": "o9-mini", "temperature": 0.4})
    lab.run()
    (refused,) = lab.feature.run.results.values()
    assert "o9-mini does not take temperature (the server said so)" in refused.error
    assert lab.app.chat.save_state()["learned"] == {"o9-mini": ["temperature"]}

    lab.resume()
    bodies = [
        r.json
        for path in ("/chat/completions", "/responses")
        for r in fake_openai.requests_to(path)
        if r.json and r.json["model"] == "o9-mini"
    ]
    assert [b.get("temperature") for b in bodies] == [0.4, None]
    assert "Paris" in " ".join(lab.grid_texts()[0])
