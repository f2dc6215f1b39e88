"""bench/plots.py keeps working: one run of every plot and baseline, with sane numbers."""

from __future__ import annotations

import math

import pytest

pytestmark = pytest.mark.gui


def test_plot_benchmark_measures_every_plot(qapp: object) -> None:
    from bench.plots import SIZES, measure, table

    results = measure(1)
    names = {f"{kind}-{n}" for kind in ("heatmap", "scatter") for n in SIZES}
    assert set(results) == names | {f"bare-{name}" for name in names}
    for name in names:
        row = results[name]
        assert row["median_ms"] > 0
        assert row["min_ms"] <= row["median_ms"] <= row["max_ms"]
        assert math.isfinite(row["ratio"])
    assert "heatmap-5000" in table(results)
