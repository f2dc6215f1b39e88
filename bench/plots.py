"""Times the Embeddings tab's plots at 1,000 and 5,000 inputs, next to bare-QPainter baselines.

Not a test: run it by hand after changing the plots, and read the table.

    python -m bench.plots [--runs 5] [--json PATH]

What is timed (offscreen, `QT_QPA_PLATFORM=offscreen` unless already set), each `--runs` times in
a rotating order, after one untimed warm-up of each:

* heatmap-N: the real `HeatmapView` (in a shown 820 × 700 window) gets an N × N cosine-similarity
  matrix and the clusters with `set_data` (it re-orders the matrix by cluster, as the tab does),
  then the plot is grabbed to a pixmap, which forces a full paint (pyqtgraph turns the matrix into
  colours on the first paint after `setImage`). So the time is "new data in → a finished frame".
* scatter-N: the real `ClusterView` gets N points in 8 clusters with `set_data`, then is grabbed.
* bare-heatmap-N (baseline): the same matrix scaled to 0..255 with numpy, wrapped in an 8-bit
  indexed `QImage` whose colour table is the same 9-stop colour map, and drawn with one
  `QPainter.drawImage` into a pixmap of the plot's size. About the least work a heatmap can do.
* bare-scatter-N (baseline): N antialiased circles of the same size and colours drawn one by one
  with `QPainter.drawEllipse` into a pixmap of the plot's size.

The data (similarity matrix, PCA-like points) is computed once, outside the timing; only drawing
is measured. `measure(runs)` returns {name: {"median_ms", "min_ms", "max_ms", "stdev_ms", "runs"}}
and, for the real views, "ratio" (median / the matching baseline's median).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SIZES = (1000, 5000)
PLOT_SIZE = (820, 700)
CLUSTERS = 8


def _data(n: int) -> tuple[Any, Any, Any, list[str]]:
    import numpy as np

    from playground.core.embeddings.maths import as_matrix, similarity_matrix

    rng = np.random.default_rng(n)
    centres = rng.normal(size=(CLUSTERS, 64))
    owner = rng.integers(CLUSTERS, size=n)
    x = as_matrix(centres[owner] + 0.8 * rng.normal(size=(n, 64)))
    s = similarity_matrix(x)
    points = rng.normal(size=(n, 2)) + centres[owner, :2] * 3
    labels = [f"text {i}" for i in range(n)]
    return s, points, owner.astype(np.int32), labels


def measure(runs: int = 5) -> dict[str, dict[str, float]]:
    """Median, min, max and stdev (ms) of each plot and baseline over `runs` runs."""
    import numpy as np
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
    from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from playground.ui.shell.theme import apply_theme

    old_palette, old_style = app.palette(), app.style().name()  # type: ignore[union-attr]
    apply_theme(app, "light")  # type: ignore[arg-type]
    from playground.ui.embeddings.plots import (
        _VIRIDIS,
        ClusterView,
        HeatmapView,
        cluster_color,
    )

    window = QWidget()
    window.resize(*PLOT_SIZE)
    layout = QVBoxLayout(window)
    heatmap = HeatmapView(window)
    clusters = ClusterView(window)
    layout.addWidget(heatmap)
    layout.addWidget(clusters)
    window.show()
    app.processEvents()

    stops = np.linspace(0, 1, len(_VIRIDIS))
    grid = np.linspace(0, 1, 256)
    channels = [np.interp(grid, stops, [c[i] for c in _VIRIDIS]).astype(int) for i in range(3)]
    color_table = [
        0xFF000000 | (r << 16) | (g << 8) | b
        for r, g, b in zip(*(c.tolist() for c in channels), strict=True)
    ]

    datasets = {n: _data(n) for n in SIZES}

    def show_only(view: QWidget) -> None:
        heatmap.setVisible(view is heatmap)
        clusters.setVisible(view is clusters)
        app.processEvents()

    def real_heatmap(n: int) -> Callable[[], object]:
        s, _p, owner, labels = datasets[n]

        def go() -> object:
            heatmap.set_data(labels, s, owner)  # grouped by cluster, as the tab shows it
            return heatmap.plot.grab()

        return go

    def real_scatter(n: int) -> Callable[[], object]:
        _s, points, owner, labels = datasets[n]

        def go() -> object:
            clusters.set_data(labels, points, owner, (0.2, 0.1))
            return clusters.plot.grab()

        return go

    def bare_heatmap(n: int) -> Callable[[], object]:
        s = datasets[n][0]

        def go() -> object:
            low = float(s.min())
            index = np.empty(s.shape, dtype=np.uint8)
            np.multiply(s - low, 255.0 / (1.0 - low), out=index, casting="unsafe")
            image = QImage(index.data, n, n, n, QImage.Format.Format_Indexed8)
            image.setColorTable(color_table)
            pixmap = QPixmap(heatmap.plot.size())
            pixmap.fill(Qt.GlobalColor.white)
            painter = QPainter(pixmap)
            side = min(pixmap.width(), pixmap.height())
            painter.drawImage(QRectF(0, 0, side, side), image)
            painter.end()
            return pixmap

        return go

    def bare_scatter(n: int) -> Callable[[], object]:
        _s, points, owner, _labels = datasets[n]
        colors = [cluster_color(c) for c in range(CLUSTERS)]

        def go() -> object:
            pixmap = QPixmap(clusters.plot.size())
            pixmap.fill(Qt.GlobalColor.white)
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QColor("white"))
            w, h = pixmap.width(), pixmap.height()
            lo, hi = points.min(axis=0), points.max(axis=0)
            xy = (points - lo) / (hi - lo)
            size = 9 if n <= 500 else 6 if n <= 2000 else 4
            for (x, y), c in zip(xy.tolist(), owner.tolist(), strict=True):
                painter.setBrush(colors[c])
                painter.drawEllipse(QRectF(x * (w - 10), y * (h - 10), size, size))
            painter.end()
            return pixmap

        return go

    contestants: dict[str, tuple[QWidget, Callable[[], object]]] = {}
    for n in SIZES:
        contestants[f"heatmap-{n}"] = (heatmap, real_heatmap(n))
        contestants[f"bare-heatmap-{n}"] = (heatmap, bare_heatmap(n))
        contestants[f"scatter-{n}"] = (clusters, real_scatter(n))
        contestants[f"bare-scatter-{n}"] = (clusters, bare_scatter(n))

    times: dict[str, list[float]] = {name: [] for name in contestants}
    names = list(contestants)
    for name in names:  # warm-up: first-use costs (shader/glyph caches, imports) are not timed
        view, fn = contestants[name]
        show_only(view)
        fn()
    for run in range(runs):
        order = names[run % len(names) :] + names[: run % len(names)]
        for name in order:
            view, fn = contestants[name]
            show_only(view)
            start = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - start) * 1000)
    window.close()
    window.deleteLater()
    app.processEvents()
    if app.style().name() != old_style:  # type: ignore[union-attr]
        app.setStyle(old_style)  # type: ignore[union-attr]
    app.setPalette(old_palette)  # type: ignore[union-attr]

    results: dict[str, dict[str, float]] = {}
    for name, values in times.items():
        results[name] = {
            "median_ms": statistics.median(values),
            "min_ms": min(values),
            "max_ms": max(values),
            "stdev_ms": statistics.stdev(values) if len(values) > 1 else 0.0,
            "runs": float(len(values)),
            "values": values,  # type: ignore[dict-item]
        }
    for name in names:
        if not name.startswith("bare-"):
            base = results[f"bare-{name}"]["median_ms"]
            results[name]["ratio"] = results[name]["median_ms"] / base if base else float("nan")
    return results


def table(results: dict[str, dict[str, float]]) -> str:
    head = f"{'plot':<18}{'median ms':>11}{'min–max ms':>18}{'stdev':>8}{'x bare':>8}"
    lines = [head, "-" * len(head)]
    for name, r in results.items():
        ratio = f"{r['ratio']:.1f}" if "ratio" in r else ""
        span = f"{r['min_ms']:.1f}–{r['max_ms']:.1f}"
        lines.append(f"{name:<18}{r['median_ms']:>11.1f}{span:>18}{r['stdev_ms']:>8.1f}{ratio:>8}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each plot (default 5)")
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    args = parser.parse_args(argv)
    results = measure(args.runs)
    print(table(results))
    if args.json:
        from bench.common import Figure, json_ready

        figures = [
            Figure(
                "plots",
                f"{name.replace('-', ' ')} draw (ms)",
                list(r["values"]),  # type: ignore[call-overload]
                list(results[f"bare-{name}"]["values"]),  # type: ignore[call-overload]
                "bare QPainter",
            ).as_dict()
            for name, r in results.items()
            if not name.startswith("bare-")
        ]
        payload = {"figures": figures, "results": results}
        args.json.write_text(json.dumps(json_ready(payload), indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
