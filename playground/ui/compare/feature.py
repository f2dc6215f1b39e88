"""The Compare tab: one message, 2–4 models or settings side by side, streamed at once."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # this module is imported at start-up, to list the tab: keep it light
    from playground.core.api.catalog import CatalogSnapshot
    from playground.core.storage.settings import Settings

from playground.ui.common.feature import Feature, FeatureContext, FeatureController

SAMPLE_QUESTION = "Explain in two sentences why the sky is blue."
SAMPLE_ANSWERS = (
    "Sunlight is made of every colour, and the air scatters **short blue wavelengths** far more "
    "than red ones (Rayleigh scattering). That scattered blue light reaches our eyes from every "
    "direction, so the whole sky looks blue.",
    "Sunlight contains all colours, but air molecules scatter **blue light** much more strongly "
    "than red light. Because this scattered blue light comes at us from all over the sky, the sky "
    "appears blue.",
)


class CompareFeature(FeatureController):
    busy_groups = ("compare",)

    def __init__(self, ctx: FeatureContext) -> None:
        from playground.core.chat.service import ChatService
        from playground.ui.compare.controller import CompareController
        from playground.ui.compare.tab import CompareTab

        view = CompareTab()
        super().__init__(view, ctx.window)
        services = ctx.services
        self.controller = CompareController(
            view,
            ChatService(services.session.client),
            services.session,
            ctx.runner,
            services.counter,
            services.accounting,
            ctx.counters,
            ctx.chat,
            parent=self,
        )

    def show_models(self, snapshot: CatalogSnapshot | None) -> None:
        self.controller.show_models(snapshot)

    def apply_settings(self, settings: Settings) -> None:
        del settings  # prices are read per request through Accounting

    def restore_state(self, state: dict[str, Any]) -> None:
        self.controller.restore_state(state)

    def save_state(self) -> dict[str, Any]:
        return self.controller.save_state()

    def shutdown(self) -> None:
        self.controller.stop()

    def fill_sample(self) -> None:
        from playground.core.compare.diff import SampleOutcome, column_summary
        from playground.core.models import Usage

        view = self.controller.view
        view.input_edit.setPlainText(SAMPLE_QUESTION)
        models = ("gpt-4o-mini", "gpt-4.1-mini")
        for column, model, answer, ms in zip(
            view.columns, models, SAMPLE_ANSWERS, (812.0, 1310.0), strict=False
        ):
            column.model_combo.setCurrentText(model)
            column.begin(1)
            column.finish(0, answer)
            usage = Usage(input_tokens=21, output_tokens=len(answer.split()) + 9)
            cost = self.controller.accounting.cost(self.controller.session.profile, model, usage)
            column.set_stats(
                column_summary([SampleOutcome(usage, cost or Decimal(0), ms, ms / 3, "stop")])
            )
        view.diff_check.setChecked(True)
        self.controller.update_diff()
        self.controller.estimate_now()


def build(ctx: FeatureContext) -> FeatureController:
    return CompareFeature(ctx)


FEATURE = Feature("compare", "Compare", "chat", build)
