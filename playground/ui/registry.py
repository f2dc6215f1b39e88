"""The tabs beyond Chat, each in its own module. See `base` for the contract."""

from __future__ import annotations

import importlib

from playground.ui.common.feature import (
    Builder,
    Feature,
    FeatureContext,
    FeatureController,
    LazyTab,
    TabPage,
)

# Every feature tab in window order: (key, title, icon, module). The window lists the tabs from this
# table at start-up; a tab's module (and everything it imports) loads only when the tab is first
# built. Each module's own `FEATURE` says the same (tests/gui/test_features.py checks).
FEATURE_TABLE = (
    ("images", "Images", "image", "playground.ui.images.feature"),
    ("audio", "Audio", "audio", "playground.ui.audio.feature"),
    ("embeddings", "Embeddings", "embeddings", "playground.ui.embeddings.feature"),
    ("moderation", "Moderation", "moderation", "playground.ui.moderation.feature"),
    ("compare", "Compare", "chat", "playground.ui.compare.feature"),
    ("lab", "Prompt Lab", "settings", "playground.ui.lab.feature"),
)


def feature_module(module: str) -> Feature:
    """The `FEATURE` a feature module defines (importing the module)."""
    feature = importlib.import_module(module).FEATURE
    assert isinstance(feature, Feature)
    return feature


def all_features() -> list[Feature]:
    """Every feature tab, in window order, without importing any of their modules yet."""

    def builder(module: str) -> Builder:
        return lambda ctx: feature_module(module).build(ctx)

    return [
        Feature(key, title, icon, builder(module)) for key, title, icon, module in FEATURE_TABLE
    ]


__all__ = [
    "FEATURE_TABLE",
    "Feature",
    "FeatureContext",
    "FeatureController",
    "LazyTab",
    "TabPage",
    "all_features",
    "feature_module",
]
