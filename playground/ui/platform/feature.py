"""The Platform tab: the organisation's files (and, as they are built, batches, fine-tuning and
vector stores). Its modules are imported inside `build`, so start-up does not pay."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playground.ui.common.feature import Feature, FeatureContext, FeatureController


def build(ctx: FeatureContext) -> FeatureController:
    """The Platform tab's view, services and controller."""
    from playground.core.platform.batches import BatchesService
    from playground.core.platform.files import FilesService, UploadJournal
    from playground.core.platform.fine_tuning import FineTuningService
    from playground.core.platform.vector_stores import VectorStoresService
    from playground.ui.common.chat_link import ChatSettings
    from playground.ui.platform.controller import PlatformController
    from playground.ui.platform.tab import PlatformTab

    services = ctx.services

    def try_in_chat(model: str) -> None:
        link = ctx.chat
        current = link.chat_settings()
        link.use_in_chat(ChatSettings(model, current.system, current.fields))

    journal = UploadJournal(services.paths.data_dir / "platform" / "uploads.json")
    files = FilesService(services.session.client, journal, run_blocking=ctx.runner.run_blocking)
    session = services.session
    return PlatformController(
        PlatformTab(),
        files,
        BatchesService(session.client),
        ctx.runner,
        services.pricer,
        lambda: session.profile.price_provider,
        fine_tuning=FineTuningService(session.client),
        counter=services.counter,
        vector_stores=VectorStoresService(session.client),
        try_in_chat=try_in_chat,
        compare_models=ctx.compare_models,
        history=services.history,
        today=services.today,
        parent=ctx.window,
    )


def at_start(ctx: FeatureContext, state: dict[str, Any], built: Callable[[], bool]) -> object:
    """Running batches and jobs are followed from start-up, before the tab is built."""
    if not state.get("following"):
        return None  # nothing was running: nothing imported, nothing asked
    from playground.ui.platform.watch_controller import watch_at_start

    return watch_at_start(ctx, state, built)


FEATURE = Feature("platform", "Platform", "platform", build, at_start=at_start)
