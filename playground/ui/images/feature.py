"""The Images tab: generate, edit with a painted mask, variations, and the gallery.

`build` is the one place that makes the tab's view (`tab.ImagesTab`), its services (the
`ImageService` and the picture library) and its `controller.ImagesController`.
"""

from __future__ import annotations

from playground.ui.common.feature import Feature, FeatureContext, FeatureController


def build(ctx: FeatureContext) -> FeatureController:
    from pathlib import Path

    from playground.core.images.library import shared_library
    from playground.core.images.service import ImageService
    from playground.ui.images.controller import ImagesController
    from playground.ui.images.tab import ImagesTab

    services = ctx.services
    return ImagesController(
        ImagesTab(),
        ImageService(services.session.client),
        shared_library(Path(services.paths.data_dir) / "images"),
        services.session,
        services.accounting,
        services.counter,
        ctx.counters,
        ctx.runner,
        today=ctx.services.today,
        parent=ctx.window,
    )


FEATURE = Feature("images", "Images", "image", build)
