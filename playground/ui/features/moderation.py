"""The Moderation tab (not built yet: a clear "coming soon" page)."""

from __future__ import annotations

from playground.ui.features.base import Feature, FeatureContext, FeatureController


def build(ctx: FeatureContext) -> FeatureController:
    from playground.ui.tabs.placeholder import ComingSoonTab

    view = ComingSoonTab(
        "moderation",
        "Moderation",
        "Check text and images against the moderation categories.",
        [
            "Every category score as a bar chart",
            "Your own thresholds",
            "Many items at once, exported as CSV",
        ],
    )
    return FeatureController(view, ctx.window)


FEATURE = Feature("moderation", "Moderation", "moderation", build)
