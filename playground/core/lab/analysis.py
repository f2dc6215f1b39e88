"""Prompt Lab's views over runs: the variant matrix (version × model × one parameter), the ranking
of variants, two runs compared case by case, and the spread of repeated samples.

No Qt here; every function reads `LabRun`s and returns plain data.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from playground.core.lab.suite import CellKey, CellResult, CellStatus, LabRun, TestCase, Variant

# --- the matrix -------------------------------------------------------------------------------------


class MatrixParameter(StrEnum):
    """The one parameter a matrix varies (besides the prompt version and the model)."""

    NONE = ""
    TEMPERATURE = "temperature"
    REASONING_EFFORT = "reasoning_effort"

    @property
    def label(self) -> str:
        return {
            MatrixParameter.NONE: "nothing else",
            MatrixParameter.TEMPERATURE: "temperature",
            MatrixParameter.REASONING_EFFORT: "reasoning effort",
        }[self]

    @property
    def suggested(self) -> str:
        """Values a user can start from."""
        return {
            MatrixParameter.NONE: "",
            MatrixParameter.TEMPERATURE: "0, 0.7, 1.2",
            MatrixParameter.REASONING_EFFORT: "none, low, high",
        }[self]


REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")
MAX_MATRIX_VARIANTS = 48


@dataclass(frozen=True, slots=True)
class MatrixCell:
    """One variant the matrix makes: a name, a model, its fields and the prompt version (None
    for the unsaved draft)."""

    name: str
    model: str
    fields: Mapping[str, Any]
    version_id: int | None


class MatrixError(ValueError):
    """The matrix form cannot make variants (message for the user as it is)."""


def parse_values(parameter: MatrixParameter, text: str) -> list[Any]:
    """The parameter's values from "0, 0.7, 1.2" or "none, low, high".

    Raises:
        MatrixError: a value the parameter does not take.
    """
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    if parameter == MatrixParameter.NONE:
        return []
    if not parts:
        raise MatrixError(f"Give at least one {parameter.label} value, commas between.")
    out: list[Any] = []
    for part in parts:
        if parameter == MatrixParameter.TEMPERATURE:
            try:
                value = float(part)
            except ValueError:
                raise MatrixError(f"“{part}” is not a number (temperature is 0 to 2).") from None
            if not math.isfinite(value) or not 0 <= value <= 2:
                raise MatrixError(f"Temperature {part} is outside 0 to 2.")
            out.append(value)
        else:
            effort = part.lower()
            if effort not in REASONING_EFFORTS:
                raise MatrixError(
                    f"“{part}” is not a reasoning effort (use {', '.join(REASONING_EFFORTS)})."
                )
            out.append(effort)
    return list(dict.fromkeys(out))


def matrix(
    versions: Sequence[tuple[int | None, str]],
    models: Sequence[str],
    parameter: MatrixParameter,
    values: Sequence[Any],
    base_fields: Mapping[str, Any] | None = None,
) -> list[MatrixCell]:
    """Every combination of version × model × value, named so a column says what it is.

    Args:
        versions: (version id or None for the draft, its short title) pairs.
        models: model ids.
        parameter: the varied parameter (`NONE`: versions × models only).
        values: its values (`parse_values`).
        base_fields: request fields every variant starts from.

    Raises:
        MatrixError: nothing picked, or more than `MAX_MATRIX_VARIANTS` variants.
    """
    if not versions:
        raise MatrixError("Pick at least one prompt version.")
    if not models:
        raise MatrixError("Pick at least one model.")
    axis: list[Any] = list(values) if parameter != MatrixParameter.NONE else [None]
    count = len(versions) * len(models) * len(axis)
    if count > MAX_MATRIX_VARIANTS:
        raise MatrixError(
            f"That makes {count} variants; at most {MAX_MATRIX_VARIANTS} fit one grid. "
            "Pick fewer versions, models or values."
        )
    out = []
    for version_id, title in versions:
        for model in models:
            for value in axis:
                fields = dict(base_fields or {})
                name = f"{title} · {model}"
                if value is not None:
                    fields[parameter.value] = value
                    short = "temp" if parameter == MatrixParameter.TEMPERATURE else "effort"
                    name += (
                        f" · {short} {value:g}"
                        if isinstance(value, float)
                        else f" · {short} {value}"
                    )
                out.append(MatrixCell(name, model, fields, version_id))
    return out


# --- ranking ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ranked:
    """A variant's place in the ranking.

    Attributes:
        pass_rate: passed / checked (None when nothing was checked).
        cost_per_case: the variant's own cost per finished cell (grading not included; None when
            no cell was priced).
        grader_cost: what grading its cells cost.
        median_latency_ms: None when no cell finished.
        spread: the pass rate's spread over repeated samples (`Spread`), None with one sample.
    """

    variant: Variant
    pass_rate: float | None
    passed: int
    checked: int
    cost_per_case: Decimal | None
    grader_cost: Decimal
    median_latency_ms: float | None
    spread: Spread | None


def ranking(run: LabRun) -> list[Ranked]:
    """The variants, best first: highest pass rate, then lowest cost per case, then lowest
    median latency (unknowns last)."""
    out = []
    for variant in run.variants:
        summary = run.summary(variant.id)
        priced = summary.done - summary.unpriced
        cost = summary.cost / priced if priced > 0 and summary.done else None
        out.append(
            Ranked(
                variant,
                summary.pass_rate,
                summary.passed,
                summary.checked,
                cost,
                summary.grader_cost,
                summary.median_latency_ms,
                spread(run, variant.id) if run.samples > 1 else None,
            )
        )

    def key(r: Ranked) -> tuple[float, float, float]:
        return (
            -(r.pass_rate if r.pass_rate is not None else -1.0),
            float(r.cost_per_case) if r.cost_per_case is not None else math.inf,
            r.median_latency_ms if r.median_latency_ms is not None else math.inf,
        )

    return sorted(out, key=key)


# --- repeat and variance -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Spread:
    """How a variant's results vary over repeated samples.

    Attributes:
        mean: cases passed per round (a round = every case once), averaged over the rounds.
        stdev: the sample standard deviation of that count over rounds (0 with one round).
        cases: cases with a check that every round finished.
        flaky: ids of cases whose samples disagree (some passed, some failed).
    """

    mean: float
    stdev: float
    cases: int
    flaky: tuple[str, ...]

    @property
    def text(self) -> str:
        """ "4.2/5 ± 0.4" (cases passed per round ± spread)."""
        return f"{self.mean:.3g}/{self.cases} ± {self.stdev:.2g}"


def spread(run: LabRun, variant_id: str) -> Spread:
    """Cases passed per round, with its spread over the `run.samples` rounds, and the flaky
    cases. A case counts only where every sample finished with a check that decided."""
    rounds = [0] * run.samples
    counted = 0
    flaky = []
    for case in run.cases:
        outcomes = []
        for sample in range(run.samples):
            result = run.results.get(CellKey(case.id, variant_id, sample))
            if result is None or result.status != CellStatus.OK or result.check.passed is None:
                break
            outcomes.append(result.check.passed)
        else:
            counted += 1
            for sample, passed in enumerate(outcomes):
                rounds[sample] += int(passed)
            if len(set(outcomes)) > 1:
                flaky.append(case.id)
    mean = statistics.fmean(rounds) if rounds else 0.0
    stdev = statistics.stdev(rounds) if len(rounds) > 1 else 0.0
    return Spread(mean, stdev, counted, tuple(flaky))


def flaky_cases(run: LabRun) -> set[str]:
    """Ids of cases whose samples disagree for at least one variant."""
    if run.samples < 2:
        return set()
    return {case_id for v in run.variants for case_id in spread(run, v.id).flaky}


# --- two runs compared -------------------------------------------------------------------------------


class Change(StrEnum):
    FIXED = "fixed"  # failed before, passes now
    BROKE = "broke"  # passed before, fails now


@dataclass(frozen=True, slots=True)
class CellChange:
    """A cell whose verdict flipped between two runs."""

    change: Change
    case_number: int  # in the newer run
    case: TestCase
    variant: str
    sample: int
    before: CellResult
    after: CellResult


@dataclass(frozen=True, slots=True)
class RunComparison:
    """What changed from run `before` to run `after`.

    Attributes:
        changes: the flipped cells, broken ones first.
        compared: cells with a decided check in both runs.
        unmatched_cases: cases of `after` with no counterpart in `before`.
        unmatched_variants: variant names of `after` with no counterpart in `before`.
    """

    changes: list[CellChange]
    compared: int
    unmatched_cases: int
    unmatched_variants: list[str]

    @property
    def fixed(self) -> int:
        return sum(1 for c in self.changes if c.change == Change.FIXED)

    @property
    def broke(self) -> int:
        return sum(1 for c in self.changes if c.change == Change.BROKE)


def _case_key(case: TestCase) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, str(v)) for k, v in case.values.items()))


def compare_runs(before: LabRun, after: LabRun) -> RunComparison:
    """The cells that changed from pass to fail and back. Cases match by id, else by their
    variable values; variants match by name, else by position."""
    by_id = {c.id: c for c in before.cases}
    by_values = {_case_key(c): c for c in before.cases}
    names = {v.name: v for v in before.variants}
    changes: list[CellChange] = []
    compared = unmatched_cases = 0
    unmatched_variants = []
    pairs = []
    for index, variant in enumerate(after.variants):
        old = names.get(variant.name) or (
            before.variants[index] if index < len(before.variants) else None
        )
        if old is None:
            unmatched_variants.append(variant.name)
        else:
            pairs.append((old, variant))
    for number, case in enumerate(after.cases, 1):
        old_case = by_id.get(case.id) or by_values.get(_case_key(case))
        if old_case is None:
            unmatched_cases += 1
            continue
        for old_variant, variant in pairs:
            for sample in range(min(before.samples, after.samples)):
                a = before.results.get(CellKey(old_case.id, old_variant.id, sample))
                b = after.results.get(CellKey(case.id, variant.id, sample))
                if a is None or b is None or a.check.passed is None or b.check.passed is None:
                    continue
                compared += 1
                if a.check.passed != b.check.passed:
                    change = Change.FIXED if b.check.passed else Change.BROKE
                    changes.append(CellChange(change, number, case, variant.name, sample, a, b))
    changes.sort(key=lambda c: (c.change != Change.BROKE, c.case_number, c.variant, c.sample))
    return RunComparison(changes, compared, unmatched_cases, unmatched_variants)
