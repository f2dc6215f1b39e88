"""The Compare tab: one message, 2–4 models or settings side by side, streamed at once."""

from __future__ import annotations

from playground.ui.common.feature import Feature, FeatureContext, FeatureController


def build(ctx: FeatureContext) -> FeatureController:
    """The Compare tab's view, chat service and controller; Chat is reached through `ctx.chat`."""
    from playground.core.chat.service import ChatService
    from playground.ui.common.chat_params import default_api
    from playground.ui.compare.controller import CompareController
    from playground.ui.compare.tab import CompareTab

    services = ctx.services
    return CompareController(
        CompareTab(),
        ChatService(services.session.client),
        services.session,
        ctx.runner,
        services.counter,
        services.accounting,
        ctx.counters,
        ctx.chat,
        parent=ctx.window,
        default_api=default_api(services.session.profile),
        today=services.today,
    )


FEATURE = Feature("compare", "Compare", "chat", build)
