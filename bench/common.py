"""What every benchmark reports, so `python -m bench` can put them in one table and one JSON file.

A benchmark measures the app and a baseline in the same run, several times, and reports each figure
as a `Figure`: the app's values, the baseline's values (both one per run), and optionally a target.
`python -m bench.<name> --json PATH` writes `{"figures": [Figure.as_dict(), ...], ...}`.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

# A target gets the app's median and the ratio app/baseline (nan without a baseline).
Check = Callable[[float, float], bool]


@dataclass
class Figure:
    """One measured quantity of one benchmark.

    Attributes:
        bench: the benchmark's name ("startup", "typing", ...).
        name: what was measured, with its unit ("warm start to first frame (ms)").
        app: the app's value in each run.
        baseline: the baseline's value in each run (empty when there is none).
        baseline_name: what the baseline is ("bare QMainWindow").
        target: the target as text ("≤ 1.5× bare", "≤ 16 ms"), "" when there is none.
        check: decides PASS/MISS from (app median, ratio).
        fmt: how to print one value.
    """

    bench: str
    name: str
    app: list[float]
    baseline: list[float] = field(default_factory=list)
    baseline_name: str = ""
    target: str = ""
    check: Check | None = None
    fmt: str = "{:.1f}"

    @property
    def app_median(self) -> float:
        return median(self.app)

    @property
    def baseline_median(self) -> float:
        return median(self.baseline)

    @property
    def ratio(self) -> float:
        base = self.baseline_median
        if math.isnan(base) or base == 0:
            return math.nan
        return self.app_median / base

    @property
    def passed(self) -> bool | None:
        if self.check is None:
            return None
        return bool(self.check(self.app_median, self.ratio))

    def as_dict(self) -> dict[str, Any]:
        return {
            "bench": self.bench,
            "name": self.name,
            "app": self.app,
            "app_median": self.app_median,
            "app_min": min(self.app, default=math.nan),
            "app_max": max(self.app, default=math.nan),
            "baseline_name": self.baseline_name,
            "baseline": self.baseline,
            "baseline_median": self.baseline_median,
            "baseline_min": min(self.baseline, default=math.nan),
            "baseline_max": max(self.baseline, default=math.nan),
            "ratio": self.ratio,
            "target": self.target,
            "pass": self.passed,
            "fmt": self.fmt,
        }


def median(values: Sequence[float]) -> float:
    clean = [v for v in values if not math.isnan(v)]
    return statistics.median(clean) if clean else math.nan


def spread(values: Sequence[float], fmt: str) -> str:
    """ "median (min–max)", or "—" when there are no values."""
    clean = [v for v in values if not math.isnan(v)]
    if not clean:
        return "—"
    mid = fmt.format(statistics.median(clean))
    if len(clean) == 1:
        return mid
    return f"{mid} ({fmt.format(min(clean))}–{fmt.format(max(clean))})"


def ratio_at_most(limit: float) -> Check:
    return lambda _app, ratio: ratio <= limit


def value_at_most(limit: float) -> Check:
    return lambda app, _ratio: app <= limit


def table_rows(figures: Sequence[dict[str, Any]]) -> str:
    """A plain-text table of figure dicts (`Figure.as_dict()`), one line per figure."""
    header = (
        "bench",
        "figure",
        "app median (min–max)",
        "baseline median (min–max)",
        "ratio",
        "target",
        "result",
    )
    lines: list[tuple[str, ...]] = [header]
    for f in figures:
        fmt = f.get("fmt", "{:.1f}")
        base = ""
        if f["baseline"]:
            base = f"{spread(f['baseline'], fmt)} {f['baseline_name']}".strip()
        ratio = f["ratio"]
        result = {True: "PASS", False: "MISS", None: ""}[f["pass"]]
        lines.append(
            (
                f["bench"],
                f["name"],
                spread(f["app"], fmt),
                base or "—",
                "—" if ratio is None or math.isnan(ratio) else f"{ratio:.2f}×",
                f["target"],
                result,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for k, line in enumerate(lines):
        out.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip())
        if k == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def json_ready(value: Any) -> Any:
    """NaN is not JSON: write it as null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    return value
