"""The Embeddings tab: similarity heatmap, semantic search, clusters and similar pairs.

`build` is the one place that makes the tab's view, its services (the `EmbeddingService` and the
vector cache) and its controller. Everything heavy (numpy, pyqtgraph, the tab and its controller)
is imported inside `build`, the first time the tab is shown, never at start-up.
"""

from __future__ import annotations

import logging

from playground.ui.common.feature import Feature, FeatureContext, FeatureController

log = logging.getLogger(__name__)


def build(ctx: FeatureContext) -> FeatureController:
    from playground.core.embeddings.cache import EmbeddingCache, EmbeddingCacheError
    from playground.core.embeddings.service import EmbeddingService
    from playground.ui.embeddings.controller import EmbeddingsController
    from playground.ui.embeddings.tab import EmbeddingsTab

    services = ctx.services
    notice = ""
    try:
        cache = EmbeddingCache(services.paths.embeddings_cache_file)
    except EmbeddingCacheError as exc:
        log.warning("embeddings cache unavailable: %s", exc)
        notice = f"{exc} Vectors are cached for this session only."
        cache = EmbeddingCache(None)
    return EmbeddingsController(
        EmbeddingsTab(),
        EmbeddingService(services.session.client),
        cache,
        services.session,
        services.pricer,
        services.counter,
        ctx.counters,
        ctx.runner,
        cache_notice=notice,
        today=ctx.services.today,
        parent=ctx.window,
    )


FEATURE = Feature("embeddings", "Embeddings", "embeddings", build)
