"""The Embeddings tab (not built yet: a clear "coming soon" page)."""

from __future__ import annotations

from playground.ui.features.base import Feature, FeatureContext, FeatureController


def build(ctx: FeatureContext) -> FeatureController:
    from playground.ui.tabs.placeholder import ComingSoonTab

    view = ComingSoonTab(
        "embeddings",
        "Embeddings",
        "See how close in meaning your texts are.",
        [
            "Similarity heatmap and semantic search",
            "Clusters in a 2-D map",
            "A cache so no text is paid twice",
        ],
    )
    return FeatureController(view, ctx.window)


FEATURE = Feature("embeddings", "Embeddings", "embeddings", build)
