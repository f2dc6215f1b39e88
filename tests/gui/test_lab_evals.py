"""Prompt Lab as a home for evals, end to end against the fake server: graded checks (rubric,
label, similarity, the Decisions API) in the grid, with their reasons and their own cost."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from playground.core.lab.graders import DECISIONS_MODEL, GraderSettings
from playground.core.lab.suite import Expectation, ExpectKind, TestCase
from playground.core.models import Endpoint
from tests.conftest import AppHarness, WaitUntil
from tests.fakes.decisions import GraderReplies
from tests.fakes.openai_server import FakeOpenAI, JsonDict
from tests.gui.drivers import chat_idle, send_in_chat
from tests.gui.test_lab import LabTab, open_lab

pytestmark = pytest.mark.gui

__all__ = ["open_lab"]  # the fixture, used by name

RUBRIC_OK = 'Names the capital "Paris"\nMentions "France"'
RUBRIC_BAD = 'Names the capital "Paris"\nMentions the river "Seine"'


def _lab(open_lab: Callable[..., LabTab], fake: FakeOpenAI, **grader: object) -> LabTab:
    fake.scenario.models = [*fake.scenario.models, DECISIONS_MODEL]
    fake.scenario.reply_text = GraderReplies("Paris is the capital of France.")
    lab = open_lab()
    lab.view.set_grader_settings(GraderSettings(**{"model": "gpt-4.1", **grader}))  # type: ignore[arg-type]
    return lab


def test_rubric_checks_pass_and_fail_with_the_graders_reason_and_cost_apart(
    open_lab: Callable[..., LabTab], fake_openai: FakeOpenAI
) -> None:
    lab = _lab(open_lab, fake_openai)
    lab.set_up(
        [
            TestCase({"country": "France"}, Expectation(ExpectKind.RUBRIC, RUBRIC_OK)),
            TestCase({"country": "France"}, Expectation(ExpectKind.RUBRIC, RUBRIC_BAD)),
        ]
    )
    lab.run()

    rows = lab.grid_texts()
    assert rows[0][0].startswith("✔ Met — mentions “Paris”")
    assert rows[1][0].startswith('✘ Fails “Mentions the river "Seine"” — does not mention “Seine”')
    assert "grading $" in rows[0][0]
    assert "1/2 passed (50%)" in rows[2][0]
    assert "grading $" in rows[2][0]  # the summary keeps grading apart from the variant's cost
    graders = [r for r in fake_openai.requests_to("/chat/completions") if r.json]
    assert sorted(r.json["model"] for r in graders if r.json) == [
        "gpt-4.1",
        "gpt-4.1",
        "gpt-4o-mini",
        "gpt-4o-mini",
    ]
    entries = lab.app.services.ledger.recent()
    assert len(entries) == 4  # two answers and two gradings, each metered
    run = lab.controller.run
    assert run.graders["model"] == "gpt-4.1"
    assert "+ grading" in lab.view.status_label.text()

    lab.view.results.setCurrentCell(1, 0)
    detail = lab.view.detail_check.text()
    assert "failed (score 0.00)" in detail
    assert "Seine" in detail
    assert "does not mention" in detail
    assert lab.view.detail_view.text() == "Paris is the capital of France."


def test_label_and_similarity_checks_in_the_grid(
    open_lab: Callable[..., LabTab], fake_openai: FakeOpenAI
) -> None:
    lab = _lab(open_lab, fake_openai, similarity=0.95)
    lab.set_up(
        [
            TestCase({"country": "France"}, Expectation(ExpectKind.LABEL, "Paris | London")),
            TestCase({"country": "France"}, Expectation(ExpectKind.LABEL, "London | Paris")),
            TestCase(
                {"country": "France"},
                Expectation(ExpectKind.SIMILAR, "Paris is the capital of France."),
            ),
            TestCase({"country": "France"}, Expectation(ExpectKind.SIMILAR, "Bananas are yellow.")),
        ]
    )
    lab.run()
    rows = lab.grid_texts()
    assert rows[0][0].startswith("✔ Labelled “Paris”")
    assert rows[1][0].startswith("✘ Labelled “Paris” (expected “London”)")
    assert rows[2][0].startswith("✔ Similarity 1.00 (needs 0.95)")
    assert rows[3][0].startswith("✘ Similarity")
    assert len(fake_openai.requests_to("/embeddings")) == 2


def test_decisions_grader_asks_several_questions_in_one_call_per_cell(
    open_lab: Callable[..., LabTab], fake_openai: FakeOpenAI
) -> None:
    lab = _lab(open_lab, fake_openai, use_decisions=True)
    lab.set_up(
        [
            TestCase(
                {"country": "France"}, Expectation(ExpectKind.RUBRIC, RUBRIC_BAD + "\nIs polite")
            )
        ]
    )
    lab.run()
    calls = fake_openai.requests_to("/decisions")
    assert len(calls) == 1
    assert len((calls[0].json or {})["questions"]) == 3
    assert len(fake_openai.requests_to("/chat/completions")) == 1  # the variant's answer only
    assert lab.grid_texts()[0][0].startswith("✘ Fails “Mentions the river")
    assert (
        "2/3 criteria met" in lab.controller.run.results[lab.controller.run.cells()[0]].check.detail
    )
    assert [e.endpoint for e in lab.app.services.ledger.recent()].count(Endpoint.DECISIONS) == 1


def test_decisions_refused_falls_back_and_the_cell_says_so(
    open_lab: Callable[..., LabTab], fake_openai: FakeOpenAI
) -> None:
    lab = _lab(open_lab, fake_openai, use_decisions=True)
    lab.set_up(
        [
            TestCase(
                {"country": "France"},
                Expectation(ExpectKind.RUBRIC, 'Names "Paris" [refuse]'),
            )
        ]
    )
    lab.run()
    lab.view.results.setCurrentCell(0, 0)
    assert "Decisions API not used (it declined a question); graded by gpt-4.1" in (
        lab.view.detail_check.text()
    )
    assert lab.controller.run.results[lab.controller.run.cells()[0]].check.passed is True


def test_a_grader_that_errors_leaves_the_cell_not_graded_never_passed(
    open_lab: Callable[..., LabTab], fake_openai: FakeOpenAI
) -> None:
    lab = _lab(open_lab, fake_openai)
    fake_openai.scenario.models = [m for m in fake_openai.scenario.models if m != "gpt-4.1"]
    lab.view.set_grader_settings(GraderSettings(model="gpt-4.1"))
    lab.set_up([TestCase({"country": "France"}, Expectation(ExpectKind.RUBRIC, RUBRIC_OK))])
    lab.run()
    rows = lab.grid_texts()
    assert rows[0][0].startswith("⚠ Not graded:")
    assert "1 not graded" in rows[1][0]
    assert "0/" not in rows[1][0]
    assert "passed" not in rows[1][0]
    assert "1 not graded" in lab.view.status_label.text()
    assert "Resume grades them again" in lab.view.status_label.text()

    # The grader model is listed again: Resume grades the answer without asking the variant again.
    fake_openai.scenario.models = [*fake_openai.scenario.models, "gpt-4.1"]
    assert lab.view.resume_button.isEnabled()
    answers = len(fake_openai.requests_to("/chat/completions"))
    lab.resume()
    assert lab.grid_texts()[0][0].startswith("✔ Met")
    sent = fake_openai.requests_to("/chat/completions")[answers:]
    assert [(r.json or {})["model"] for r in sent] == ["gpt-4.1"]  # the grader only
    assert not lab.view.resume_button.isEnabled()
    assert "Graded again" in lab.view.status_label.text()


def test_a_graded_check_without_a_grader_model_is_flagged_before_running(
    open_lab: Callable[..., LabTab], fake_openai: FakeOpenAI
) -> None:
    lab = _lab(open_lab, fake_openai)
    lab.view.set_grader_settings(GraderSettings())
    lab.set_up([TestCase({"country": "France"}, Expectation(ExpectKind.RUBRIC, RUBRIC_OK))])
    lab.click(lab.view.run_button)
    assert "pick a grader model under Graders" in lab.view.status_label.text()
    assert fake_openai.requests_to("/chat/completions") == []


def test_grader_settings_survive_a_restart(
    open_lab: Callable[..., LabTab], fake_openai: FakeOpenAI
) -> None:
    lab = _lab(open_lab, fake_openai, use_decisions=True, pass_score=0.55)
    state = lab.controller.save_state()
    lab.view.set_grader_settings(GraderSettings())
    lab.controller.restore_state(state)
    settings = lab.view.grader_settings()
    assert (settings.model, settings.use_decisions, settings.pass_score) == ("gpt-4.1", True, 0.55)


def test_a_batch_runs_answers_then_grades_them_live(
    open_lab: Callable[..., LabTab], fake_openai: FakeOpenAI
) -> None:
    lab = _lab(open_lab, fake_openai)
    lab.set_up([TestCase({"country": "France"}, Expectation(ExpectKind.RUBRIC, RUBRIC_OK))])
    lab.run_batch()
    assert lab.grid_texts()[0][0].startswith("✔ Met")
    assert len(fake_openai.requests_to("/chat/completions")) == 1  # the grader, live
    assert "Batch done" in lab.view.status_label.text()


# --- the matrix and its ranking -----------------------------------------------------------------


def test_a_matrix_makes_variants_and_the_ranking_orders_them(
    open_lab: Callable[..., LabTab], fake_openai: FakeOpenAI
) -> None:
    # gpt-4.1 answers right, gpt-4o-mini wrong: the ranking must put gpt-4.1's variants first.
    def reply(body: JsonDict) -> str:
        return "Paris" if body["model"] == "gpt-4.1" else "Lyon"

    fake_openai.scenario.reply_text = reply
    lab = open_lab()
    lab.set_up(
        [
            TestCase({"country": "France"}, Expectation(ExpectKind.CONTAINS, "Paris")),
            TestCase({"country": "France"}, Expectation(ExpectKind.CONTAINS, "Par")),
        ]
    )
    lab.click(lab.view.matrix_button)
    dialog = lab.view.matrix_dialog
    assert dialog is not None
    models = dialog.models_list
    for i in range(models.count()):
        if models.item(i).text() in ("gpt-4o-mini", "gpt-4.1"):
            models.item(i).setCheckState(Qt.CheckState.Checked)
        else:
            models.item(i).setCheckState(Qt.CheckState.Unchecked)
    dialog.parameter_combo.setCurrentIndex(dialog.parameter_combo.findData("temperature"))
    dialog.values_edit.setText("0, 0.7, 1.2")
    assert dialog.preview.text().startswith("6 variants")
    dialog.values_edit.setText("0, hot")
    assert "not a number" in dialog.preview.text()
    dialog.values_edit.setText("0, 1.2")
    lab.click(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok))

    settings = lab.view.variant_settings()
    assert [(v.model, v.fields.get("temperature")) for v in settings] == [
        ("gpt-4.1", 0.0),
        ("gpt-4.1", 1.2),
        ("gpt-4o-mini", 0.0),
        ("gpt-4o-mini", 1.2),
    ]
    lab.run()
    sent = {
        ((r.json or {})["model"], (r.json or {}).get("temperature"))
        for r in fake_openai.requests_to("/chat/completions")
    }
    assert sent == {("gpt-4.1", 0.0), ("gpt-4.1", 1.2), ("gpt-4o-mini", 0.0), ("gpt-4o-mini", 1.2)}

    lab.view.pages.setCurrentWidget(lab.view.ranking)
    ranking = lab.view.ranking
    table = ranking.table
    assert table.rowCount() == 4
    ranked = [table.item(r, 1).text() for r in range(4)]
    assert all("gpt-4.1" in name for name in ranked[:2])
    assert table.item(0, 2).text() == "2/2 (100%)"
    assert table.item(3, 2).text() == "0/2 (0%)"
    assert len(ranking.points()) == 4
    assert ranking.plot is not None  # drawn once the page shows


# --- runs you can compare --------------------------------------------------------------------------


def test_two_runs_compared_show_the_cells_that_flipped_side_by_side(
    open_lab: Callable[..., LabTab], fake_openai: FakeOpenAI
) -> None:
    fake_openai.scenario.reply_text = "Paris, of course."
    lab = open_lab()
    lab.set_up(
        [
            TestCase({"country": "France"}, Expectation(ExpectKind.CONTAINS, "Paris")),
            TestCase({"country": "Japan"}, Expectation(ExpectKind.CONTAINS, "Tokyo")),
        ]
    )
    lab.run()
    fake_openai.scenario.reply_text = "Tokyo, of course."  # the prompt change: one fixed, one broke
    lab.run()

    lab.click(lab.view.compare_runs_button)
    dialog = lab.controller.compare_dialog
    assert dialog is not None
    assert dialog.summary.text().startswith("1 now fail, 1 now pass (of 2 cells compared)")
    assert dialog.table.item(0, 0).text() == "✘ now fails"
    assert dialog.table.item(0, 1).text().startswith("Case 1 (country: France)")
    assert dialog.before_view.text() == "Paris, of course."
    assert dialog.after_view.text() == "Tokyo, of course."
    assert dialog.after_check.text().startswith("failed — Does not contain “Paris”")
    dialog.table.setCurrentCell(1, 0)
    assert dialog.table.item(1, 0).text() == "✔ now passes"
    assert dialog.after_view.text() == "Tokyo, of course."
    dialog.before_combo.setCurrentIndex(dialog.after_combo.currentIndex())
    assert dialog.summary.text() == "Pick two different runs."


def test_comparing_needs_two_runs(open_lab: Callable[..., LabTab], fake_openai: FakeOpenAI) -> None:
    lab = open_lab()
    lab.click(lab.view.compare_runs_button)
    assert lab.controller.compare_dialog is None
    assert "at least twice" in lab.view.status_label.text()


# --- repeat and variance -------------------------------------------------------------------------


def test_samples_report_the_spread_and_flag_flaky_cases(
    open_lab: Callable[..., LabTab], fake_openai: FakeOpenAI
) -> None:
    answers = iter(["Paris", "Lyon", "Paris", "Paris"] * 3)
    fake_openai.scenario.reply_text = lambda _body: next(answers)
    lab = open_lab()
    lab.set_up([TestCase({"country": "France"}, Expectation(ExpectKind.CONTAINS, "Paris"))])
    lab.view.samples_spin.setValue(4)
    lab.view.concurrency_spin.setValue(1)  # the answers arrive in order
    lab.run()
    summary = lab.grid_texts()[-1][0]
    assert "3/4 passed (75%)" in summary
    assert "0.75/1 ± 0.5 per round · 1 flaky" in summary
    header = lab.view.results.verticalHeaderItem(0)
    assert header.text() == "Case 1 · 1 · flaky"
    lab.view.pages.setCurrentWidget(lab.view.ranking)
    assert "1 flaky case" in lab.view.ranking.table.item(0, 2).text()


# --- moving in and out -----------------------------------------------------------------------------


def test_a_suite_exported_to_promptfoo_imports_back_and_runs(
    open_lab: Callable[..., LabTab], fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    lab = _lab(open_lab, fake_openai)
    controller, view = lab.controller, lab.view
    view.system_edit.setPlainText("Be brief.")
    view.template_edit.setPlainText("Capital of {{country}}?")
    version = controller.save_version("brief")
    assert version is not None
    view.variants.rows[0].set_version(version.id)
    view.variants.rows[0].model_combo.setCurrentText("gpt-4o-mini")
    cases = [
        TestCase({"country": "France"}, Expectation(ExpectKind.CONTAINS, "Paris")),
        TestCase({"country": "France"}, Expectation(ExpectKind.RUBRIC, RUBRIC_OK)),
        TestCase({"country": "France"}, Expectation(ExpectKind.LABEL, "Paris | Rome")),
    ]
    view.cases.set_cases(cases)
    out = tmp_path / "promptfooconfig.yaml"
    controller.ask_save_path = lambda *_args: str(out)
    lab.click(view.export_cases_button)
    text = out.read_text(encoding="utf-8")
    assert "type: llm-rubric" in text
    assert "has no Promptfoo assertion" in text  # the label check, listed
    assert "Exported the suite" in view.status_label.text()

    # Start over, then import the file back.
    view.template_edit.setPlainText("Something else {{x}}")
    view.set_grader_settings(GraderSettings())
    view.cases.set_cases([])
    controller.ask_open_path = lambda: str(out)
    lab.click(view.import_button)
    assert "Imported 1 prompts (saved as versions), 1 variants and 3 cases" in (
        view.status_label.text()
    )
    assert view.prompt().user == "Capital of {{country}}?"
    assert view.prompt().system == "Be brief."
    assert [c.expect.kind for c in view.test_cases()] == [
        ExpectKind.CONTAINS,
        ExpectKind.RUBRIC,
        ExpectKind.NONE,
    ]
    assert view.grader_settings().model == "gpt-4.1"
    settings = view.variant_settings()
    assert [(s.model, s.version_id is not None) for s in settings] == [("gpt-4o-mini", True)]
    labels = [v.label for v in controller.store.versions()]
    assert "before import" in labels  # the draft typed before the import is kept
    lab.run()
    assert lab.grid_texts()[0][0].startswith("✔ Paris")
    assert lab.grid_texts()[1][0].startswith("✔ Met")


def test_a_promptfoo_file_with_unknown_features_imports_what_it_can(
    open_lab: Callable[..., LabTab], tmp_path: Path
) -> None:
    lab = open_lab()
    source = tmp_path / "promptfooconfig.yaml"
    source.write_text(
        "prompts:\n  - 'Translate: {{text}}'\nproviders:\n  - openai:gpt-4o-mini\n"
        "  - vertex:gemini-pro\ntests:\n  - vars:\n      text: Hello\n    assert:\n"
        "      - type: javascript\n        value: output.length < 10\n",
        encoding="utf-8",
    )
    lab.controller.ask_open_path = lambda: str(source)
    lab.click(lab.view.import_button)
    status = lab.view.status_label.text()
    assert "Imported 1 prompts (saved as versions), 1 variants and 1 cases" in status
    assert "Not brought in (2)" in status
    assert "“javascript” has no Prompt Lab check" in lab.view.status_label.toolTip()
    assert lab.view.test_cases()[0].values == {"text": "Hello"}

    broken = tmp_path / "broken.yaml"
    broken.write_text("prompts:\n  - a\n   - b\n", encoding="utf-8")
    lab.controller.ask_open_path = lambda: str(broken)
    lab.click(lab.view.import_button)
    assert "broken.yaml: Not a config this app can read: Line 3" in lab.view.status_label.text()
    assert lab.view.test_cases()[0].values == {"text": "Hello"}  # nothing lost


def test_openai_evals_data_imports_as_cases(
    open_lab: Callable[..., LabTab], tmp_path: Path
) -> None:
    lab = open_lab()
    source = tmp_path / "evals-export.jsonl"
    source.write_text(
        '{"item": {"question": "Capital of France?", "reference": "Paris"}}\n'
        '{"item": {"question": "Capital of Peru?", "reference": "Lima"}}\n',
        encoding="utf-8",
    )
    lab.controller.ask_open_path = lambda: str(source)
    lab.click(lab.view.import_button)
    assert "Imported 2 cases from evals-export.jsonl (OpenAI Evals data" in (
        lab.view.status_label.text()
    )
    assert "write {{question}}, {{reference}} in the template" in lab.view.status_label.text()
    assert lab.view.test_cases()[1].values["reference"] == "Lima"
    lab.view.template_edit.setPlainText("{{question}} (the answer is {{reference}})")
    assert lab.view.variables() == ["question", "reference"]
    assert lab.view.cases.item(0, 0).text() == "Capital of France?"


# --- from Chat -------------------------------------------------------------------------------------


def test_to_lab_on_a_chat_answer_makes_a_case_with_the_answer_as_reference(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: WaitUntil
) -> None:
    fake_openai.scenario.reply_text = "Paris is the capital of France."
    app = make_app()
    chat = app.chat_tab
    chat.system_edit.setPlainText("Be brief.")
    chat.input_edit.setPlainText("Capital of {{country}}?")
    chat.variables.set_values({"country": "France"})
    qtbot.mouseClick(chat.send_button, Qt.MouseButton.LeftButton)
    wait_until(chat_idle(app))
    answer = chat.conversation.turns[1]
    assert answer.lab_button.isVisibleTo(chat)
    assert not chat.conversation.turns[0].lab_button.isVisibleTo(chat)  # a question: no button

    qtbot.mouseClick(answer.lab_button, Qt.MouseButton.LeftButton)

    assert app.window.current_tab_key() == "lab"
    lab = app.feature("lab").view
    assert lab.prompt().user == "Capital of {{country}}?"
    assert lab.prompt().system == "Be brief."
    (case,) = lab.test_cases()
    assert case.values == {"country": "France"}
    assert case.expect == Expectation(ExpectKind.SIMILAR, "Paris is the capital of France.")
    assert "Added case 1 from Chat" in lab.status_label.text()

    # A second answer, sent without variables: the whole question is {{message}}, and the
    # template written in the Lab is kept (the user is told what to add).
    app.window.show_tab("chat")
    send_in_chat(app, qtbot, "And of Peru?")
    wait_until(chat_idle(app))
    qtbot.mouseClick(chat.conversation.turns[3].lab_button, Qt.MouseButton.LeftButton)
    cases = lab.test_cases()
    assert len(cases) == 2
    assert cases[1].values["message"] == "And of Peru?"
    assert cases[1].expect.value == "Paris is the capital of France."
    assert lab.prompt().user == "Capital of {{country}}?"
    assert "does not use {{message}}" in lab.status_label.text()


def test_the_cost_guard_counts_grading_requests(
    open_lab: Callable[..., LabTab], fake_openai: FakeOpenAI, wait_until: WaitUntil
) -> None:
    lab = _lab(open_lab, fake_openai)
    lab.set_cost_guard(0.0)
    lab.set_up(
        [
            TestCase({"country": "France"}, Expectation(ExpectKind.RUBRIC, RUBRIC_OK)),
            TestCase({"country": "France"}, Expectation(ExpectKind.CONTAINS, "Paris")),
        ]
    )
    lab.click(lab.view.run_button)
    wait_until(lambda: lab.controller.confirm_box is not None)
    text = lab.controller.confirm_box.text()
    assert "3 requests now" in text  # two answers and one grading
    assert "includes 1 grading requests" in text
    lab.click(lab.controller.confirm_box.button(QMessageBox.StandardButton.No))
    assert fake_openai.requests_to("/chat/completions") == []


def test_the_graders_button_opens_the_grader_settings(
    open_lab: Callable[..., LabTab], fake_openai: FakeOpenAI
) -> None:
    lab = _lab(open_lab, fake_openai)
    view = lab.view
    lab.click(view.graders_button)
    assert view.graders_dialog.isVisible()
    models = [view.graders.model_combo.itemText(i) for i in range(view.graders.model_combo.count())]
    assert "gpt-4.1" in models
    assert "Pick a grader model" in models
    view.graders.pass_spin.setValue(0.9)
    assert view.grader_settings().pass_score == 0.9
    assert "a rubric line passes at 0.90" in view.graders_button.toolTip()
