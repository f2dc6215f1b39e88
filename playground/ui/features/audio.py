"""The Audio tab: text to speech with playback, voice comparison, transcription and translation."""

from __future__ import annotations

from playground.ui.features.base import Feature, FeatureContext, FeatureController


def build(ctx: FeatureContext) -> FeatureController:
    from playground.ui.controllers.audio_controller import AudioController
    from playground.ui.tabs.audio_tab import AudioTab

    return AudioController(AudioTab(), ctx, ctx.window)


FEATURE = Feature("audio", "Audio", "audio", build)
