"""Prompt Lab analysis (core/lab/analysis.py): the variant matrix, the ranking, two runs compared,
and the spread of repeated samples."""

from __future__ import annotations

from decimal import Decimal

import pytest

from playground.core.lab.analysis import (
    MAX_MATRIX_VARIANTS,
    Change,
    MatrixError,
    MatrixParameter,
    compare_runs,
    flaky_cases,
    matrix,
    parse_values,
    ranking,
    spread,
)
from playground.core.lab.suite import (
    CellKey,
    CellResult,
    CellStatus,
    Check,
    LabRun,
    Prompt,
    TestCase,
    Variant,
)
from playground.core.models import Usage


def _run(verdicts: dict[str, list[list[bool]]], costs: dict[str, str] | None = None) -> LabRun:
    """A run whose variant `name` has verdicts[name][case][sample]."""
    names = list(verdicts)
    cases = [TestCase({"n": str(i)}, id=f"c{i}") for i in range(len(verdicts[names[0]]))]
    variants = [Variant(n, Prompt(user="{{n}}"), "gpt-4o-mini", id=n) for n in names]
    samples = len(verdicts[names[0]][0])
    run = LabRun(variants, cases, samples)
    for name in names:
        for i, outcomes in enumerate(verdicts[name]):
            for s, ok in enumerate(outcomes):
                run.results[CellKey(f"c{i}", name, s)] = CellResult(
                    CellStatus.OK,
                    text=f"{name}-{i}-{s}-{ok}",
                    check=Check(ok),
                    usage=Usage(input_tokens=10, output_tokens=5),
                    cost=Decimal((costs or {}).get(name, "0.001")),
                    latency_ms=100.0,
                )
    return run


def test_matrix_is_versions_by_models_by_values() -> None:
    values = parse_values(MatrixParameter.TEMPERATURE, "0, 0.7; 1.2")
    cells = matrix(
        [(1, "v1"), (None, "draft")],
        ["gpt-4o-mini", "gpt-4.1"],
        MatrixParameter.TEMPERATURE,
        values,
    )
    assert len(cells) == 2 * 2 * 3
    assert cells[0].name == "v1 · gpt-4o-mini · temp 0"
    assert cells[1].fields == {"temperature": 0.7}
    assert cells[-1].version_id is None
    assert cells[-1].name == "draft · gpt-4.1 · temp 1.2"
    efforts = matrix([(1, "v1")], ["o3"], MatrixParameter.REASONING_EFFORT, ["none", "high"])
    assert [c.fields["reasoning_effort"] for c in efforts] == ["none", "high"]
    assert len(matrix([(1, "v1")], ["o3"], MatrixParameter.NONE, [])) == 1


@pytest.mark.parametrize(
    ("parameter", "text"),
    [
        (MatrixParameter.TEMPERATURE, "warm"),
        (MatrixParameter.TEMPERATURE, "3"),
        (MatrixParameter.TEMPERATURE, ""),
        (MatrixParameter.REASONING_EFFORT, "max"),
    ],
)
def test_bad_matrix_values_are_explained(parameter: MatrixParameter, text: str) -> None:
    with pytest.raises(MatrixError):
        parse_values(parameter, text)


def test_matrix_limits() -> None:
    with pytest.raises(MatrixError, match="at least one model"):
        matrix([(1, "v1")], [], MatrixParameter.NONE, [])
    many = [f"m{i}" for i in range(MAX_MATRIX_VARIANTS + 1)]
    with pytest.raises(MatrixError, match="at most"):
        matrix([(1, "v1")], many, MatrixParameter.NONE, [])


def test_ranking_by_pass_rate_then_cost_then_latency() -> None:
    run = _run(
        {
            "dear": [[True], [False]],
            "best": [[True], [True]],
            "cheap": [[True], [False]],
        },
        costs={"cheap": "0.001", "best": "0.01", "dear": "0.005"},
    )
    order = [r.variant.name for r in ranking(run)]
    assert order == ["best", "cheap", "dear"]
    top = ranking(run)[0]
    assert top.pass_rate == 1.0
    assert top.cost_per_case == Decimal("0.01")


def test_spread_and_flaky_cases() -> None:
    run = _run({"a": [[True, True, True], [True, False, True], [False, False, False]]})
    result = spread(run, "a")
    assert result.cases == 3
    assert result.mean == pytest.approx(5 / 3)  # rounds passed 2, 1, 2 cases
    assert result.stdev == pytest.approx(0.577, abs=0.01)
    assert result.flaky == ("c1",)
    assert result.text == "1.67/3 ± 0.58"
    assert flaky_cases(run) == {"c1"}
    assert ranking(run)[0].spread == result


def test_two_runs_compared_cell_by_cell() -> None:
    before = _run({"A": [[True], [True], [False]]})
    after = _run({"A": [[True], [False], [True]]})
    result = compare_runs(before, after)
    assert result.compared == 3
    assert (result.broke, result.fixed) == (1, 1)
    first = result.changes[0]
    assert first.change == Change.BROKE
    assert first.case_number == 2
    assert first.before.text == "A-1-0-True"
    assert first.after.text == "A-1-0-False"


def test_compare_matches_cases_by_values_and_reports_the_rest() -> None:
    before = _run({"A": [[True], [True]]})
    after = _run({"B": [[False], [True], [True]]})
    after.cases = [TestCase(dict(c.values), id=f"new{i}") for i, c in enumerate(after.cases)]
    after.results = {
        CellKey(f"new{k.case_id[1:]}", k.variant_id, k.sample): r for k, r in after.results.items()
    }
    result = compare_runs(before, after)
    assert result.unmatched_cases == 1
    assert result.compared == 2
    assert result.broke == 1
    assert result.unmatched_variants == []  # matched by position
