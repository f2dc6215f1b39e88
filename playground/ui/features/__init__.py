"""The tabs beyond Chat, each in its own module. See `base` for the contract."""

from __future__ import annotations

from playground.ui.features.base import (
    Feature,
    FeatureContext,
    FeatureController,
    LazyTab,
    TabPage,
)


def all_features() -> list[Feature]:
    """Every feature tab, in window order. Importing these modules is cheap: each builds its
    widgets only inside its `build`."""
    from playground.ui.features import audio, compare, embeddings, images, lab, moderation

    return [
        images.FEATURE,
        audio.FEATURE,
        embeddings.FEATURE,
        moderation.FEATURE,
        compare.FEATURE,
        lab.FEATURE,
    ]


__all__ = [
    "Feature",
    "FeatureContext",
    "FeatureController",
    "LazyTab",
    "TabPage",
    "all_features",
]
