"""Sample content for `--screenshot`: Prompt Lab with two saved prompt versions, three variants,
six geography cases (one with a rubric graded by a model) and a finished run's grid (answers and
grades made up locally, no network), the version diff dialog, the ranking page, the matrix form
and two runs compared.

Nothing here is used when the app runs normally.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from playground.core.lab.graders import GraderSettings
from playground.core.lab.suite import (
    CellKey,
    Check,
    Expectation,
    ExpectKind,
    LabRun,
    Prompt,
    TestCase,
    Variant,
    result_for,
)
from playground.core.models import Usage
from playground.core.starters import load_starters
from playground.ui.lab.controller import LabController
from playground.ui.lab.matrix import MatrixDialog
from playground.ui.lab.ranking import RankingView
from playground.ui.lab.variants import VariantSettings

SAMPLE_PROMPT = Prompt(
    "You are a concise geography tutor.",
    "What is the capital of {{country}}? Answer with the city name only.",
)
SAMPLE_FIRST_TRY = Prompt(SAMPLE_PROMPT.system, "Capital of {{country}}?")
SAMPLE_CASES = (  # country, how the answer is checked, expected
    ("France", ExpectKind.EQUALS, "Paris"),
    ("Australia", ExpectKind.EQUALS, "Canberra"),
    ("Canada", ExpectKind.CONTAINS, "Ottawa"),
    ("Brazil", ExpectKind.REGEX, r"^Bras[ií]lia\.?$"),
    ("Japan", ExpectKind.EQUALS, "Tokyo"),
    ("Italy", ExpectKind.RUBRIC, 'Names the capital "Rome"\nAnswers in one word'),
)
SAMPLE_GRADES = {  # variant -> the rubric case's grade: (passed, score, reason)
    0: (True, 0.96, "Met — names Rome, in one word (score 0.96, needs 0.70; 2/2 criteria met)"),
    1: (True, 0.97, "Met — names Rome, in one word (score 0.97, needs 0.70; 2/2 criteria met)"),
    2: (
        False,
        0.12,
        "Fails “Answers in one word” — a full sentence, not one word (score 0.12, needs "
        "0.70; 1/2 criteria met)",
    ),
}
SAMPLE_ANSWERS = {  # by variant, then case
    0: ["Paris", "Sydney", "Ottawa", "Brasília", "Tokyo", "Rome"],
    1: ["Paris", "Canberra", "Ottawa", "Brasília", "Tokyo", "Rome"],
    2: [
        "The capital of France is Paris.",
        "Canberra is the capital of Australia.",
        "Ottawa",
        "The capital is Brasília.",
        "Tokyo is Japan's capital.",
        "The capital of Italy is Rome.",
    ],
}
SAMPLE_EARLIER = {0: {1: "Canberra"}, 2: {2: "It is Ottawa, Canada's capital."}}  # the run before


def fill(controller: LabController) -> list[tuple[str, QWidget]]:
    """The template, versions, variants and cases, a finished run's grid with a cell selected, and
    the diff between the two versions as a further picture."""
    view = controller.view
    # The starters are read in a worker when the tab is built; the picture is taken before that.
    view.set_starters([(s.id, s.title, s.category) for s in load_starters().starters])
    view.set_prompt(SAMPLE_FIRST_TRY)
    first = controller.save_version("first try")
    view.set_prompt(SAMPLE_PROMPT)
    second = controller.save_version("city only")
    assert first is not None
    assert second is not None
    view.set_variants(
        [
            VariantSettings("Tutor", "gpt-4o-mini", {"temperature": 0.2}, second.id),
            VariantSettings("Tutor 4.1", "gpt-4.1-mini", {"temperature": 0.2}, second.id),
            VariantSettings("First try", "gpt-4o-mini", {}, first.id),
        ]
    )
    cases = [
        TestCase({"country": country}, Expectation(kind, expected))
        for country, kind, expected in SAMPLE_CASES
    ]
    view.set_test_cases(cases)
    view.set_grader_settings(GraderSettings("gpt-4o-mini"))
    variants = controller.variants()
    earlier = _sample_run(controller, variants, cases, SAMPLE_EARLIER)
    controller.store.save_run(earlier)
    run = _sample_run(controller, variants, cases, {})
    controller.show_run(run)
    view.results.setCurrentCell(1, 0)
    cells = len(run.cells())
    view.set_progress(cells, cells)
    view.set_status(f"Done: {cells} of {cells} cells finished.")

    controller.show_diff()
    shots: list[tuple[str, QWidget]] = []
    if controller.diff_dialog is not None:
        shots.append(("diff", controller.diff_dialog))

    ranking = RankingView()  # the Ranking page, on its own (the window shows the grid)
    ranking.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    ranking.resize(760, 460)
    ranking.show()
    ranking.show_run(run)
    shots.append(("ranking", ranking))

    matrix = MatrixDialog(
        [(None, "Draft"), (first.id, f"v{first.id}"), (second.id, f"v{second.id}")],
        ["gpt-4.1", "gpt-4.1-mini", "gpt-4o-mini", "o3"],
        ["gpt-4o-mini", "gpt-4.1-mini"],
        view,
    )
    matrix.parameter_combo.setCurrentIndex(matrix.parameter_combo.findData("temperature"))
    matrix.show()
    shots.append(("matrix", matrix))

    view.graders_dialog.show()
    shots.append(("graders", view.graders_dialog))

    controller.compare_runs()
    if controller.compare_dialog is not None:
        shots.append(("compare-runs", controller.compare_dialog))
    QApplication.processEvents()  # the answers' views size themselves once laid out
    return shots


def _sample_run(
    controller: LabController,
    variants: list[Variant],
    cases: list[TestCase],
    changed: dict[int, dict[int, str]],
) -> LabRun:
    """A finished run of the sample answers (`changed[variant][case]` replaces an answer)."""
    run = LabRun(variants, cases, 1, graders=GraderSettings("gpt-4o-mini").to_dict())
    for vi, variant in enumerate(run.variants):
        for ci, case in enumerate(cases):
            text = changed.get(vi, {}).get(ci, SAMPLE_ANSWERS[vi][ci])
            usage = Usage(input_tokens=31, output_tokens=max(len(text.split()), 1) + 1)
            cost = controller.accounting.cost(controller.session.profile, variant.model, usage)
            result = result_for(
                case,
                text,
                usage=usage,
                cost=cost if cost is not None else Decimal(0),
                latency_ms=420.0 + 97 * ci + 180 * vi,
                finish_reason="stop",
            )
            if case.expect.kind.graded:
                passed, score, reason = SAMPLE_GRADES[vi]
                result = dataclasses.replace(
                    result,
                    check=Check(passed, reason, score),
                    grader_cost=Decimal("0.000021"),
                    graded_calls=1,
                )
            run.results[CellKey(case.id, variant.id)] = result
    return run
