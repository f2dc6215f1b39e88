"""Sample content of the Embeddings tab for `--screenshot`: the sample texts, with vectors made up
locally, shown in every view.

The screenshot mode talks to no server, so the vectors are topic centres plus noise (seeded):
enough to show what each view looks like with real-looking structure. Only the controller's and
the view's public methods are used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtWidgets import QApplication, QWidget

from playground.core.embeddings import learn
from playground.core.embeddings.maths import analyze, as_matrix, rank
from playground.ui.embeddings.controller import EmbeddingResult, EmbeddingsController
from playground.ui.embeddings.sample_texts import SAMPLE_TOPICS
from playground.ui.embeddings.tab import (
    VIEW_CLASSIFY,
    VIEW_CLUSTERS,
    VIEW_OUTLIERS,
    VIEW_PAIRS,
    VIEW_RECOMMEND,
    VIEW_SEARCH,
    EmbeddingsTab,
)

if TYPE_CHECKING:
    from playground.ui.common.feature import FeatureController

SAMPLE_QUERY = "a pet having a nap"
SAMPLE_LABELS = ("pets", "money", "cooking", "sport")


def fill(controller: FeatureController) -> list[tuple[str, QWidget]]:
    """Fills the tab; returns the further pictures (the search, clusters and pairs views)."""
    assert isinstance(controller, EmbeddingsController)
    rng = np.random.default_rng(7)
    dims = 256
    centres = rng.normal(size=(len(SAMPLE_TOPICS), dims))
    # Spread the topics along three directions so the 2-D map separates them, as real topics do.
    centres[:, :3] += 6 * np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]])
    texts: list[str] = []
    rows = []
    for topic, members in enumerate(SAMPLE_TOPICS):
        for text in members:
            texts.append(text)
            rows.append(centres[topic] + 0.6 * rng.normal(size=dims))
    vectors = as_matrix(np.asarray(rows))
    analysis = analyze(vectors)
    tab = controller.tab
    model = "text-embedding-3-small"
    tab.select_model(model)
    tab.set_text("\n".join(texts))
    controller.show_result(EmbeddingResult(model, None, tuple(texts), vectors, analysis))
    tab.set_estimate("<b>16</b> texts · nothing to send · <b>16</b> cached (free)")
    tab.show_result(
        "✓ Sent 187 tok · $0.000004 in 1 request for 16 new. 16 vectors of 1,536 numbers."
    )
    query = centres[0] + 0.9 * rng.normal(size=dims)
    tab.set_query(SAMPLE_QUERY)
    tab.show_search(SAMPLE_QUERY, rank(query.tolist(), analysis.matrix))
    tab.point_at(1, 0, 5)
    _fill_learning(tab, texts, vectors, analysis)
    return [
        (name, _ViewShot(tab, index))
        for name, index in (
            ("search", VIEW_SEARCH),
            ("clusters", VIEW_CLUSTERS),
            ("pairs", VIEW_PAIRS),
            ("classify", VIEW_CLASSIFY),
            ("outliers", VIEW_OUTLIERS),
            ("recommend", VIEW_RECOMMEND),
        )
    ]


def _fill_learning(tab: EmbeddingsTab, texts: list[str], vectors: Any, analysis: Any) -> None:
    """Classify (the first three texts of each topic as examples, all sixteen labelled), the
    outliers and a recommendation, computed here as the controller would."""
    labels = [SAMPLE_LABELS[i // 4] for i in range(len(texts))]
    chosen = [i for i in range(len(texts)) if i % 4 != 3]
    examples = learn.Examples(tuple(texts[i] for i in chosen), tuple(labels[i] for i in chosen))
    page = tab.classify_page
    page.set_examples_text(
        "\n".join(f"{lab}: {t}" for t, lab in zip(examples.texts, examples.labels, strict=True))
    )
    x = vectors[chosen]
    cv = learn.cross_validate(x, examples, learn.Method.CENTROID)
    model = learn.train(x, examples.labels, learn.Method.CENTROID)
    page.show_report(
        cv,
        examples.texts,
        f"<b>{cv.accuracy:.0%} right</b> ({int(cv.confusion.trace())} of "
        f"{int(cv.confusion.sum())}) on examples it had not learned from (nearest centre, "
        f"{cv.folds}-fold cross-validation, {len(cv.classes)} labels).",
    )
    page.show_predictions(texts, model.predict(analysis.matrix))
    scores = learn.outlier_scores(analysis.matrix, analysis.labels)
    tab.outliers_page.show_outliers(
        texts,
        [float(s) for s in scores],
        float(np.quantile(scores, 0.85)),
        analysis.projection.points,
        analysis.labels,
        analysis.projection.explained,
    )
    recommend = tab.recommend_page
    recommend.set_texts(texts)
    recommend.select_rows([0])
    recommend.set_picks([0], [2])
    recommend.show_recommendations(learn.recommend(analysis.matrix, [0], [2], 8))


class _ViewShot(QWidget):
    """A stand-in for `--screenshot`: grabbing it shows one of the tab's views and grabs the window.

    The screenshot runner grabs each extra screen in turn; switching the view inside `grab` is what
    lets every view be pictured in the full window, as the user sees it.
    """

    def __init__(self, tab: EmbeddingsTab, index: int) -> None:
        super().__init__(tab)
        self.setVisible(False)
        self._tab = tab
        self._index = index

    def grab(self, *_args: Any) -> Any:
        self._tab.show_view(self._index)
        QApplication.processEvents()
        pixmap = self._tab.window().grab()
        self._tab.show_view(0)
        return pixmap
