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

from playground.core.embeddings.maths import analyze, as_matrix, rank
from playground.ui.embeddings.controller import EmbeddingResult, EmbeddingsController
from playground.ui.embeddings.sample_texts import SAMPLE_TOPICS
from playground.ui.embeddings.tab import VIEW_CLUSTERS, VIEW_PAIRS, VIEW_SEARCH, EmbeddingsTab

if TYPE_CHECKING:
    from playground.ui.common.feature import FeatureController

SAMPLE_QUERY = "a pet having a nap"


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
    return [
        (name, _ViewShot(tab, index))
        for name, index in (
            ("search", VIEW_SEARCH),
            ("clusters", VIEW_CLUSTERS),
            ("pairs", VIEW_PAIRS),
        )
    ]


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
