"""The Moderation tab: check texts and images, see every category's score, try your own thresholds.

The tab's modules (and pyqtgraph, numpy) are imported inside `build`, so start-up does not pay.
"""

from __future__ import annotations

from playground.ui.common.feature import Feature, FeatureContext, FeatureController


def build(ctx: FeatureContext) -> FeatureController:
    """The Moderation tab's view, service and controller."""
    from playground.core.moderation.service import ModerationService
    from playground.ui.moderation.controller import ModerationController
    from playground.ui.moderation.tab import ModerationTab

    services = ctx.services
    return ModerationController(
        ModerationTab(),
        ModerationService(services.session.client),
        services.session,
        ctx.runner,
        services.accounting,
        ctx.counters,
        today=ctx.services.today,
        parent=ctx.window,
    )


FEATURE = Feature("moderation", "Moderation", "moderation", build)
