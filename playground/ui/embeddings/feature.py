"""The Embeddings tab: similarity heatmap, semantic search, clusters and similar pairs.

Everything heavy (numpy, pyqtgraph, the tab and its controller) is imported inside `build`, the
first time the tab is shown, never at start-up.
"""

from __future__ import annotations

from playground.ui.common.feature import Feature, FeatureContext, FeatureController


def build(ctx: FeatureContext) -> FeatureController:
    from playground.ui.embeddings.controller import EmbeddingsController
    from playground.ui.embeddings.tab import EmbeddingsTab

    return EmbeddingsController(EmbeddingsTab(), ctx)


FEATURE = Feature("embeddings", "Embeddings", "embeddings", build)
