"""The Audio tab (not built yet: a clear "coming soon" page)."""

from __future__ import annotations

from playground.ui.features.base import Feature, FeatureContext, FeatureController


def build(ctx: FeatureContext) -> FeatureController:
    from playground.ui.tabs.placeholder import ComingSoonTab

    view = ComingSoonTab(
        "audio",
        "Audio",
        "Turn text into speech and speech into text.",
        [
            "Text to speech with every voice, played in the app",
            "Transcription and translation from a file or the microphone",
            "Compare voices side by side",
        ],
    )
    return FeatureController(view, ctx.window)


FEATURE = Feature("audio", "Audio", "audio", build)
