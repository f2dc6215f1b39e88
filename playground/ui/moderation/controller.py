"""Connects the Moderation tab to `ModerationService`, the ledger and the counters.

One Check: the view's draft becomes items (`build_items`), the items become batches
(`plan_batches`), and one task (group "moderation") sends the batches in order. Each answer is
written to the ledger and shown at once (table, progress, the first item's chart). A failure keeps
every result so far and offers to resume with the unchecked items; Stop does the same.

The controller is the tab's `FeatureController`: `feature.build` makes it with its view and services.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog

from playground.core.api.capabilities import ModelKind
from playground.core.api.catalog import CatalogSnapshot
from playground.core.api.errors import AppError
from playground.core.api.retirements import ModelChoice, retired_error
from playground.core.api.session import ApiSession
from playground.core.models import ModelInfo, ProviderKind, RequestStatus
from playground.core.moderation.service import (
    DEFAULT_MODEL,
    BatchResult,
    ModerationItem,
    ModerationResult,
    ModerationService,
    TableRow,
    build_items,
    evaluate,
    pick_model,
    plan_batches,
    table_rows,
    write_csv,
)
from playground.core.money.accounting import Accounting
from playground.core.storage.settings import Settings
from playground.ui.common.countdown import Countdown
from playground.ui.common.feature import FeatureController
from playground.ui.common.widgets import single_shot
from playground.ui.moderation.tab import ModerationDraft, ModerationTab
from playground.ui.shell.bridge import TaskRunner
from playground.ui.shell.counters import CountersController

log = logging.getLogger(__name__)

GROUP = "moderation"


class ModerationController(FeatureController):
    """Owns the current run (items, results, thresholds) and drives the Moderation tab."""

    busy_groups = (GROUP,)
    view: ModerationTab

    def __init__(
        self,
        view: ModerationTab,
        service: ModerationService,
        session: ApiSession,
        runner: TaskRunner,
        accounting: Accounting,
        counters: CountersController,
        parent: QObject | None = None,
        today: Callable[[], date] = date.today,
    ) -> None:
        super().__init__(view, parent)
        self.today = today  # judges which models are retired; tests pass a fixed date
        self._listed: tuple[ModelInfo, ...] | None = None  # the model list, with shutdown dates
        self.service = service
        self.session = session
        self.runner = runner
        self.accounting = accounting
        self.counters = counters
        self.items: list[ModerationItem] = []
        self.results: dict[int, ModerationResult] = {}
        self.thresholds: dict[str, float] = view.current_thresholds()
        self.model = ""
        self.current: int | None = None
        self.pending: list[int] = []  # items of the run not answered yet (for Resume)
        self.requests = 0
        self._rows: list[TableRow] = []
        # Slider moves arrive once per pixel dragged: the chart follows at once, the table (and
        # its summary) once the burst pauses for a frame or two.
        self._threshold_timer = single_shot(self, 30, self.refresh_table)
        self._countdown = Countdown(self)
        self._countdown.changed.connect(self.view.set_resume_countdown)
        self._countdown.text_changed.connect(
            lambda _text: self.view.set_error_hint(self._countdown.hint())
        )
        # Tests replace this to answer the save dialog.
        self.ask_save_path: Callable[[str], str] = self._ask_save_path

        view.check_requested.connect(self.check)
        view.stop_requested.connect(self.stop)
        view.resume_requested.connect(self.resume)
        view.export_requested.connect(self.export_csv)
        view.thresholds_changed.connect(self._on_thresholds_changed)
        view.item_selected.connect(self._on_item_selected)
        runner.busy_changed.connect(self._on_busy_changed)
        self.show_price_note()

    # --- models --------------------------------------------------------------------------------

    def show_models(self, snapshot: CatalogSnapshot | None) -> None:
        self._listed = snapshot.models if snapshot is not None else None
        models = snapshot.ids(ModelKind.MODERATION) if snapshot else []
        current = self.view.current_model()
        choices: list[str | ModelChoice] = [DEFAULT_MODEL]
        default = ""
        if snapshot is not None and models:
            # Keep the choice while the list has it and it is not retired; otherwise the
            # default of `retirements.DEFAULT_RULES` (omni-moderation-latest first).
            picker = snapshot.picker(ModelKind.MODERATION, self.today())
            current = picker.pick(current, self.view.model_combo.shows_retired())
            default = picker.default.model if picker.default is not None else ""
            choices = list(picker.choices)
        elif not current or snapshot is not None:  # no list yet: keep the choice
            current = pick_model(models)
        self.view.set_models(choices, current, default)
        # A provider whose list has no moderation model (a local server) may still answer.
        self.view.set_models_note(
            ""
            if models or snapshot is None
            else "This provider lists no moderation model; the request may be refused."
        )

    # --- checking ------------------------------------------------------------------------------

    def check(self, draft: ModerationDraft) -> None:
        """Starts a new run from the view's inputs."""
        if self.runner.is_busy(GROUP):
            return
        model = draft.model or DEFAULT_MODEL
        plan = build_items(draft.text, many=draft.many, images=draft.images, model=model)
        self.view.set_notes(plan.notes())
        if not plan.items:
            message = (
                "Only empty lines: type some text first."
                if plan.skipped_empty
                else "Type some text or add an image first."
            )
            self.view.show_error(AppError.local("Nothing to check", message))
            return
        if self.view.images_loading():
            self.view.show_error(
                AppError.local("Not yet", "An image is still loading; check again in a moment.")
            )
            return
        self.view.hide_error()
        self.items = list(plan.items)
        self.results = {}
        self.current = None
        self.model = model
        self.refresh_table(reuse=False)
        self.view.show_item("Checking…", None, self.thresholds, None)
        self._start(list(range(len(self.items))))

    def resume(self) -> None:
        """Sends the items the last run left unchecked."""
        if self.pending and not self.runner.is_busy(GROUP):
            self.view.hide_error()
            self._start(list(self.pending))

    def stop(self) -> None:
        self.runner.cancel(GROUP)

    def shutdown(self) -> None:
        self.stop()

    def apply_settings(self, settings: Settings) -> None:
        """The provider may have changed: say what moderation costs with the new one."""
        self.view.set_price_note(settings.profile().kind == ProviderKind.OPENAI)

    def show_price_note(self) -> None:
        """Says honestly what moderation costs with the active provider."""
        self.view.set_price_note(self.session.profile.kind == ProviderKind.OPENAI)

    def _start(self, indexes: list[int]) -> None:
        self._countdown.stop()
        self.pending = list(indexes)
        batches = plan_batches(self.items, indexes)
        total = len(self.items)
        self.view.set_progress(len(self.results), total)
        model = self.model

        def on_batch(answer: BatchResult) -> None:
            self._record(model, RequestStatus.OK, answer.elapsed_ms, answer.request_id)
            for index, result in zip(answer.batch.indexes, answer.results, strict=True):
                self.results[index] = result
            done = set(answer.batch.indexes)
            self.pending = [i for i in self.pending if i not in done]
            self.view.set_progress(len(self.results), total)
            self.refresh_table()
            if self.current is None:
                self.show_item(min(self.results))

        def on_error(error: AppError) -> None:
            # A retired model's 404 says so; the view offers its replacement.
            error = retired_error(error, model, self._listed, self.today())
            self._record(model, RequestStatus.ERROR, None, error.request_id)
            self.view.show_error(error, resumable=len(self.pending))
            if error.retry_after:  # 429/503 said when: the hint and Resume count it down
                self._countdown.start_for(error)
            self._after_run()

        def on_cancel() -> None:
            if self.pending:
                self.view.show_error(
                    AppError.local("Stopped", "Checking was stopped."),
                    resumable=len(self.pending),
                )
            self._after_run()

        self.runner.start(
            self.service.run(model, batches, on_batch),
            group=GROUP,
            on_result=lambda _n: self._after_run(),
            on_error=on_error,
            on_cancel=on_cancel,
        )

    def _after_run(self) -> None:
        self.view.set_progress(len(self.results), len(self.items))
        if self.current is None:
            self.view.show_item("No result", None, self.thresholds, None)

    def _record(
        self, model: str, status: RequestStatus, latency_ms: float | None, request_id: str | None
    ) -> None:
        self.counters.record_moderation(self.session.profile, model, status, latency_ms, request_id)
        self.requests += 1

    # --- results -------------------------------------------------------------------------------

    def _on_item_selected(self, index: int) -> None:
        if index != self.current:
            self.show_item(index)

    def show_item(self, index: int) -> None:
        """Shows the chart of item `index` (from a table click, or the first result)."""
        result = self.results.get(index)
        if result is None or index >= len(self.items):
            return
        self.current = index
        self.view.show_item(
            self._title(index), result, self.thresholds, evaluate(result, self.thresholds)
        )
        self.view.select_item(index)

    def show_results(
        self,
        items: list[ModerationItem],
        results: dict[int, ModerationResult],
        model: str,
        requests: int,
    ) -> None:
        """Shows a run's results without sending anything (the table and its summary; the chart
        follows with `show_item`)."""
        self.items = list(items)
        self.results = dict(results)
        self.model = model
        self.requests = requests
        self.current = None
        self.pending = []
        self.refresh_table(reuse=False)

    def _title(self, index: int) -> str:
        return f"Item {index + 1}: {self.items[index].label}"

    def _on_thresholds_changed(self, values: dict[str, float]) -> None:
        self.thresholds = dict(values)
        self._threshold_timer.start()
        if self.current is not None:
            result = self.results[self.current]
            self.view.show_item(
                self._title(self.current), result, self.thresholds, evaluate(result, values)
            )

    def refresh_table(self, *, reuse: bool = True) -> None:
        """Shows the results in the table (rows already made are reused unless `reuse` is off)."""
        self._threshold_timer.stop()
        rows = table_rows(self.items, self.results, self.thresholds, self._rows if reuse else ())
        self._rows = rows
        flagged = sum(r.flagged for r in rows)
        blocked = sum(r.blocked for r in rows)
        if rows:
            summary = (
                f"{len(rows):,} of {len(self.items):,} item{'s' if len(self.items) != 1 else ''}"
                f" checked · {flagged:,} flagged by the API · {blocked:,} over your thresholds"
                f" · {self.requests:,} request{'s' if self.requests != 1 else ''}, $0 (free)"
            )
        else:
            summary = "No results yet"
        self.view.set_rows(rows, summary)

    # --- export --------------------------------------------------------------------------------

    def export_csv(self) -> str:
        """Asks where to save and writes the CSV; returns the path ("" when cancelled or failed)."""
        if not self.results:
            return ""
        path = self.ask_save_path("moderation.csv")
        if not path:
            return ""
        try:
            write_csv(path, self.items, self.results, self.thresholds)
        except OSError as exc:
            self.view.show_error(
                AppError.local(
                    "Not saved",
                    f"The CSV could not be written: {exc.strerror or exc}.",
                    "Choose another folder.",
                )
            )
            return ""
        self.view.set_notes([f"Saved {len(self.results):,} results to {path}."])
        return path

    def _ask_save_path(self, suggested: str) -> str:
        path, _ = QFileDialog.getSaveFileName(
            self.view, "Export results", suggested, "CSV files (*.csv)"
        )
        return path

    # --- state ---------------------------------------------------------------------------------

    def save_state(self) -> dict[str, Any]:
        return {
            "model": self.view.current_model(),
            "many": self.view.many_items(),
            "text": self.view.input_text()[:20_000],
            "thresholds": dict(self.thresholds),
        }

    def restore_state(self, state: dict[str, Any]) -> None:
        if isinstance(state.get("many"), bool):
            self.view.set_many_items(state["many"])
        if isinstance(state.get("text"), str):
            self.view.set_input_text(state["text"])
        raw = state.get("thresholds")
        if isinstance(raw, dict):
            values = {
                str(k): float(v)
                for k, v in raw.items()
                if isinstance(v, int | float) and 0 <= float(v) <= 1
            }
            self.view.set_thresholds(values)
            self.thresholds = self.view.current_thresholds()
        model = state.get("model")
        if isinstance(model, str) and model:
            self.view.set_models([model], model)

    def _on_busy_changed(self, group: str, busy: bool) -> None:
        if group == GROUP:
            self.view.set_busy(busy)
