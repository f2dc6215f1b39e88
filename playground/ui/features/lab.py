"""The Prompt Lab tab: a prompt template run over test cases and variants."""

from __future__ import annotations

from playground.ui.features.base import Feature, FeatureContext, FeatureController


def build(ctx: FeatureContext) -> FeatureController:
    from playground.ui.tabs.placeholder import ComingSoonTab

    view = ComingSoonTab(
        "lab",
        "Prompt Lab",
        "Run a prompt template over test cases and compare versions.",
        ["Test cases with expectations", "Versions and variants side by side", "Cost guard"],
    )
    return FeatureController(view, ctx.window)


FEATURE = Feature("lab", "Prompt Lab", "settings", build)
