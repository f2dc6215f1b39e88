"""The Prompt Lab tab: a prompt template run over test cases × variants × samples."""

from __future__ import annotations

from playground.ui.common.feature import Feature, FeatureContext, FeatureController

LAB_FILE = "lab.sqlite3"


def build(ctx: FeatureContext) -> FeatureController:
    """The Prompt Lab tab's view, its chat, batch and store services, and its controller."""
    from playground.core.chat.service import ChatService
    from playground.core.lab.batch import BatchService
    from playground.core.lab.store import LabStore, LabStoreError
    from playground.ui.lab.controller import LabController
    from playground.ui.lab.tab import LabTab

    services = ctx.services
    view = LabTab()
    warning = ""
    try:
        store = LabStore(services.paths.data_dir / LAB_FILE)
    except LabStoreError as exc:
        warning = f"{exc} Versions and runs are kept for this session only."
        store = LabStore.in_memory()
    controller = LabController(
        view,
        ChatService(services.session.client),
        BatchService(services.session.client),
        store,
        services.session,
        ctx.runner,
        services.counter,
        services.accounting,
        ctx.counters,
        services.settings_store.load(),
        ctx.chat,
        parent=ctx.window,
        today=services.today,
    )
    if warning:
        view.set_status(warning, error=True)
    return controller


FEATURE = Feature("lab", "Prompt Lab", "settings", build)
