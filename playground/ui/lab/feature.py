"""The Prompt Lab tab: a prompt template run over test cases × variants × samples."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:  # this module is imported at start-up, to list the tab: keep it light
    from playground.core.api.catalog import CatalogSnapshot
    from playground.core.storage.settings import Settings

from playground.ui.common.feature import Feature, FeatureContext, FeatureController

log = logging.getLogger(__name__)

LAB_FILE = "lab.sqlite3"


class LabFeature(FeatureController):
    busy_groups = ("lab",)

    def __init__(self, ctx: FeatureContext) -> None:
        from playground.core.chat.service import ChatService
        from playground.core.lab.batch import BatchService
        from playground.core.lab.store import LabStore, LabStoreError
        from playground.ui.lab.controller import LabController
        from playground.ui.lab.tab import LabTab

        view = LabTab()
        super().__init__(view, ctx.window)
        services = ctx.services
        self._settings: Settings = services.settings_store.load()
        warning = ""
        try:
            store = LabStore(services.paths.data_dir / LAB_FILE)
        except LabStoreError as exc:
            warning = f"{exc} Versions and runs are kept for this session only."
            store = LabStore.in_memory()
        self.store = store
        self.controller = LabController(
            view,
            ChatService(services.session.client),
            BatchService(services.session.client),
            store,
            services.session,
            ctx.runner,
            services.counter,
            services.accounting,
            ctx.counters,
            lambda: self._settings,
            lambda: ctx.chat.chat_settings().model,
            parent=self,
        )
        if warning:
            view.set_status(warning, error=True)

    def show_models(self, snapshot: CatalogSnapshot | None) -> None:
        self.controller.show_models(snapshot)

    def apply_settings(self, settings: Settings) -> None:
        self._settings = settings

    def restore_state(self, state: dict[str, Any]) -> None:
        self.controller.restore_state(state)

    def save_state(self) -> dict[str, Any]:
        return self.controller.save_state()

    def shutdown(self) -> None:
        self.controller.shutdown()
        self.store.close()

    def fill_sample(self) -> None:
        from playground.core.lab.suite import (
            CellKey,
            Expectation,
            ExpectKind,
            LabRun,
            Prompt,
            TestCase,
            result_for,
        )
        from playground.core.models import Usage

        c = self.controller
        view = c.view
        prompt = Prompt(
            "You are a concise geography tutor.",
            "What is the capital of {{country}}? Answer with the city name only.",
        )
        view.set_prompt(prompt)
        v1 = c.store.save_version(Prompt(prompt.system, "Capital of {{country}}?"), "first try")
        v2 = c.store.save_version(prompt, "city only")
        c._refresh_versions()
        view.variants.clear_to(3)
        settings = [
            ("Tutor", "gpt-4o-mini", {"temperature": 0.2}, v2.id),
            ("Tutor 4.1", "gpt-4.1-mini", {"temperature": 0.2}, v2.id),
            ("First try", "gpt-4o-mini", {}, v1.id),
        ]
        for row, (name, model, fields, version_id) in zip(
            view.variants.rows, settings, strict=False
        ):
            row.apply(name, model, fields, version_id)
        cases = [
            TestCase({"country": "France"}, Expectation(ExpectKind.EQUALS, "Paris")),
            TestCase({"country": "Australia"}, Expectation(ExpectKind.EQUALS, "Canberra")),
            TestCase({"country": "Canada"}, Expectation(ExpectKind.CONTAINS, "Ottawa")),
            TestCase({"country": "Brazil"}, Expectation(ExpectKind.REGEX, r"^Bras[ií]lia\.?$")),
            TestCase({"country": "Japan"}, Expectation(ExpectKind.EQUALS, "Tokyo")),
        ]
        c._refresh_variables()
        view.cases.set_cases(cases)
        run = LabRun(c.variants(), cases, 1)
        answers = {
            0: ["Paris", "Sydney", "Ottawa", "Brasília", "Tokyo"],
            1: ["Paris", "Canberra", "Ottawa", "Brasília", "Tokyo"],
            2: [
                "The capital of France is Paris.",
                "Canberra is the capital of Australia.",
                "Ottawa",
                "The capital is Brasília.",
                "Tokyo is Japan's capital.",
            ],
        }
        for vi, variant in enumerate(run.variants):
            for ci, case in enumerate(cases):
                text = answers[vi][ci]
                usage = Usage(input_tokens=31, output_tokens=max(len(text.split()), 1) + 1)
                cost = c.accounting.cost(c.session.profile, variant.model, usage)
                run.results[CellKey(case.id, variant.id)] = result_for(
                    case,
                    text,
                    usage=usage,
                    cost=cost if cost is not None else Decimal(0),
                    latency_ms=420.0 + 97 * ci + 180 * vi,
                    finish_reason="stop",
                )
        c.run = run
        c._save_run()
        c._refresh_runs()
        view.results.show_run(run)
        view.pages.setCurrentIndex(1)
        view.results.setCurrentCell(1, 0)
        view.set_progress(len(run.cells()), len(run.cells()))
        view.set_status("Done: 15 of 15 cells finished.")

    def extra_screens(self) -> list[tuple[str, QWidget]]:
        self.controller.show_diff()
        dialog = self.controller.diff_dialog
        return [("diff", dialog)] if dialog is not None else []


def build(ctx: FeatureContext) -> FeatureController:
    return LabFeature(ctx)


FEATURE = Feature("lab", "Prompt Lab", "settings", build)
