"""The Images tab (not built yet: a clear "coming soon" page)."""

from __future__ import annotations

from playground.ui.features.base import Feature, FeatureContext, FeatureController


def build(ctx: FeatureContext) -> FeatureController:
    from playground.ui.tabs.placeholder import ComingSoonTab

    view = ComingSoonTab(
        "image",
        "Images",
        "Generate and edit pictures with the image models your provider offers.",
        [
            "Generate with size, quality and background options per model",
            "Edit with a painted mask",
            "A gallery that saves every picture the moment it arrives",
        ],
    )
    return FeatureController(view, ctx.window)


FEATURE = Feature("images", "Images", "image", build)
