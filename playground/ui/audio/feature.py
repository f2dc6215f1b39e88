"""The Audio tab: text to speech with playback, voice comparison, transcription and translation."""

from __future__ import annotations

from playground.ui.common.feature import Feature, FeatureContext, FeatureController


def build(ctx: FeatureContext) -> FeatureController:
    from playground.ui.audio.controller import AudioController
    from playground.ui.audio.tab import AudioTab

    return AudioController(AudioTab(), ctx, ctx.window)


FEATURE = Feature("audio", "Audio", "audio", build)
