"""Every tab, each in its own package, in window order. See `ui/common/feature.py` for the contract."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from playground.ui.common.feature import (
    Builder,
    Feature,
    FeatureContext,
    FeatureController,
    LazyTab,
    StartHook,
    TabPage,
)

# Every tab in window order: (key, title, icon, module). The window lists the tabs from this table at
# start-up; a tab's module (and everything it imports) loads only when the tab is first built (Chat,
# the first row, right after the first frame). Each module's own `FEATURE` says the same
# (tests/gui/test_features.py checks).
FEATURE_TABLE = (
    ("chat", "Chat", "chat", "playground.ui.chat.feature"),
    ("images", "Images", "image", "playground.ui.images.feature"),
    ("audio", "Audio", "audio", "playground.ui.audio.feature"),
    ("embeddings", "Embeddings", "embeddings", "playground.ui.embeddings.feature"),
    ("moderation", "Moderation", "moderation", "playground.ui.moderation.feature"),
    ("compare", "Compare", "chat", "playground.ui.compare.feature"),
    ("lab", "Prompt Lab", "settings", "playground.ui.lab.feature"),
    ("platform", "Platform", "platform", "playground.ui.platform.feature"),
    ("usage", "Usage", "embeddings", "playground.ui.usage.feature"),
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

    def at_start(module: str) -> StartHook:
        def run(ctx: FeatureContext, state: dict[str, Any], built: Callable[[], bool]) -> object:
            hook = feature_module(module).at_start
            return hook(ctx, state, built) if hook is not None else None

        return run

    return [
        Feature(
            key,
            title,
            icon,
            builder(module),
            SECTIONS.get(key, ""),
            key in EAGER,
            at_start(module) if key in AT_START else None,
        )
        for key, title, icon, module in FEATURE_TABLE
    ]


# Tabs whose state lives in a typed `Settings` field rather than `Settings.tabs[key]`.
SECTIONS = {"chat": "chat"}
# Tabs built right after the first frame rather than when first shown.
EAGER = frozenset({"chat"})
# Tabs with work to do from start-up before they are built (their `FEATURE.at_start`).
AT_START = frozenset({"platform"})


__all__ = [
    "EAGER",
    "FEATURE_TABLE",
    "SECTIONS",
    "Feature",
    "FeatureContext",
    "FeatureController",
    "LazyTab",
    "TabPage",
    "all_features",
    "feature_module",
]
