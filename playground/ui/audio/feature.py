"""The Audio tab: text to speech with playback, voice comparison, transcription and translation.

`build` is the one place that makes the tab's view, its services (the `AudioService`, the clip
store, the live player, the recorder and, on first need, the device list) and its controller.
"""

from __future__ import annotations

from playground.ui.common.feature import Feature, FeatureContext, FeatureController


def build(ctx: FeatureContext) -> FeatureController:
    from playground.core.audio.clips import ClipStore
    from playground.core.audio.service import AudioService
    from playground.ui.audio.controller import AudioController
    from playground.ui.audio.media import AudioDevices, LivePlayer, Recorder
    from playground.ui.audio.tab import AudioTab

    services = ctx.services
    return AudioController(
        AudioTab(),
        AudioService(services.session.client),
        ClipStore.under(services.paths.data_dir),
        LivePlayer(ctx.window),
        Recorder(ctx.window),
        lambda: AudioDevices(ctx.window),
        services.session,
        services.pricer,
        services.counter,
        ctx.counters,
        ctx.runner,
        today=ctx.services.today,
        parent=ctx.window,
    )


FEATURE = Feature("audio", "Audio", "audio", build)
