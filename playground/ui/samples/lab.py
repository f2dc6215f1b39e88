"""Sample content for `--screenshot`: Prompt Lab with two saved prompt versions, three variants,
five geography cases and a finished run's grid (answers made up locally, no network), and the
version diff dialog.

Nothing here is used when the app runs normally.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtWidgets import QWidget

from playground.core.lab.suite import (
    CellKey,
    Expectation,
    ExpectKind,
    LabRun,
    Prompt,
    TestCase,
    result_for,
)
from playground.core.models import Usage
from playground.core.starters import load_starters
from playground.ui.lab.controller import LabController
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
)
SAMPLE_ANSWERS = {  # by variant, then case
    0: ["Paris", "Sydney", "Ottawa", "Brasília", "Tokyo"],
    1: ["Paris", "Canberra", "Ottawa", "Brasília", "Tokyo"],
    2: [
        "The capital of France is Paris.",
        "Canberra is the capital of Australia.",
        "Ottawa",
        "The capital is Brasília.",
        "Tokyo is Japan's capital.",
    ],
}


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
    run = LabRun(controller.variants(), cases, 1)
    for vi, variant in enumerate(run.variants):
        for ci, case in enumerate(cases):
            text = SAMPLE_ANSWERS[vi][ci]
            usage = Usage(input_tokens=31, output_tokens=max(len(text.split()), 1) + 1)
            cost = controller.accounting.cost(controller.session.profile, variant.model, usage)
            run.results[CellKey(case.id, variant.id)] = result_for(
                case,
                text,
                usage=usage,
                cost=cost if cost is not None else Decimal(0),
                latency_ms=420.0 + 97 * ci + 180 * vi,
                finish_reason="stop",
            )
    controller.show_run(run)
    view.results.setCurrentCell(1, 0)
    cells = len(run.cells())
    view.set_progress(cells, cells)
    view.set_status(f"Done: {cells} of {cells} cells finished.")

    controller.show_diff()
    dialog = controller.diff_dialog
    return [("diff", dialog)] if dialog is not None else []
