"""The Usage tab: what was spent, per day, model, tab, kind, provider and conversation, with a CSV
export.

Its modules (and pyqtgraph) are imported inside `build`, the first time the tab is shown.
"""

from __future__ import annotations

from playground.ui.common.feature import Feature, FeatureContext, FeatureController


def build(ctx: FeatureContext) -> FeatureController:
    from playground.core.money.explain import price_provider_for
    from playground.ui.registry import FEATURE_TABLE
    from playground.ui.usage.controller import UsageController
    from playground.ui.usage.tab import UsageTab

    services = ctx.services

    def notice() -> str:
        if services.damaged_ledger is None:
            return ""
        return (
            f"Your usage record ({services.damaged_ledger.name}) is damaged, so only this "
            "session's requests are shown. Sending is not affected; the window offers to move the "
            "file aside and start a new one."
        )

    def price_provider(name: str) -> str:
        """The price table's provider of the profile called `name` (the ledger keeps names)."""
        return price_provider_for(name, services.session.profile)

    return UsageController(
        UsageTab(),
        lambda: services.ledger,
        ctx.runner,
        ctx.counters,
        parent=ctx.window,
        today=services.today,
        notice=notice,
        pricer=services.pricer,
        price_provider=price_provider,
        open_conversation=ctx.open_conversation,
        session=services.session,
        tab_names={key: title for key, title, _icon, _module in FEATURE_TABLE},
    )


FEATURE = Feature("usage", "Usage", "embeddings", build)
