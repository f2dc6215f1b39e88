"""The Chat tab's registration: the only place that builds the tab, its service and its
controller from `Services`. The app builds it right after the first frame (it is the first row of
`ui/registry.py`'s table)."""

from __future__ import annotations

from playground.ui.common.feature import CHAT, Feature, FeatureContext, FeatureController


def build(ctx: FeatureContext) -> FeatureController:
    from pathlib import Path

    from playground.core.chat.service import ChatService
    from playground.core.images.library import shared_library
    from playground.ui.chat.controller import ChatController
    from playground.ui.chat.tab import ChatTab
    from playground.ui.common.chat_params import default_api

    services = ctx.services
    runner = ctx.runner
    view = ChatTab()
    view.set_run_blocking(
        lambda job, done: runner.start_blocking(job, group="chat-attachments", on_result=done)
    )

    def api() -> str:
        return default_api(services.session.profile)

    controller = ChatController(
        view,
        ChatService(services.session.client),
        services.session,
        runner,
        services.counter,
        services.accounting,
        ctx.counters,
        history=services.history,
        presets=services.presets,
        show_tab=ctx.show_tab,
        default_api=api,
        parent=ctx.window,
        today=ctx.services.today,
        test_starter=ctx.open_starter,
        pictures=shared_library(Path(services.paths.data_dir) / "images"),
    )
    view.price_explain_requested.connect(
        lambda last: ctx.counters.explain_conversation(
            controller.conversation.id, services.session.profile, last_only=last
        )
    )
    return controller


FEATURE = Feature(CHAT, "Chat", "chat", build, section="chat", eager=True)
