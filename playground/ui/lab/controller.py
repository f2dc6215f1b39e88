"""Runs Prompt Lab: checks the grid, estimates its cost, asks above the threshold, runs the cells
(live, through Chat's `ChatService`, or through the Batch API), stores versions and runs.

Every request writes one ledger row with `Accounting.record` (batch rows at the batch price) and
updates the status-bar counters, as Chat does.

The controller is the tab's `FeatureController` (`feature.build` makes it); it reads Chat's model
through a `ChatLink` only.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from collections.abc import Callable, Coroutine, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QMessageBox

from playground.core.api.capabilities import ModelKind
from playground.core.api.catalog import CatalogSnapshot
from playground.core.api.errors import AppError
from playground.core.api.radar import Trial, trial
from playground.core.api.retirements import retired_error
from playground.core.api.session import ApiSession
from playground.core.chat.engine import Api, Engine, engine_for
from playground.core.chat.learned import learned_text, refused_setting, without
from playground.core.chat.service import ChatRequest, ChatService, ResponsesRequest
from playground.core.lab.analysis import compare_runs
from playground.core.lab.batch import (
    MAX_BATCH_REQUESTS,
    BatchItem,
    BatchService,
    BatchStatus,
    batch_jsonl,
)
from playground.core.lab.graders import (
    Grade,
    Grader,
    GraderSettings,
    grader_problems,
    grader_requests,
)
from playground.core.lab.portable import (
    Suite,
    SuiteFileError,
    cases_from_openai_evals,
    from_promptfoo,
    looks_like_openai_evals,
    suite_prompts,
    to_promptfoo,
)
from playground.core.lab.store import (
    LabStore,
    LabStoreError,
    Version,
    case_from_dict,
    case_to_dict,
    version_diff,
)
from playground.core.lab.suite import (
    MAX_CASE_FILE_BYTES,
    OPEN_ENDED_OUTPUT,
    CaseFileError,
    CaseImageError,
    CellKey,
    CellResult,
    CellStatus,
    Expectation,
    ExpectKind,
    GridEstimate,
    LabRun,
    Prompt,
    TestCase,
    Variant,
    case_problems,
    cases_to_csv,
    cases_to_jsonl,
    estimate_grid,
    needs_confirmation,
    prepare_case_images,
    problems,
    read_cases_file,
    result_for,
    results_to_csv,
    results_to_json,
    run_grid,
)
from playground.core.models import Endpoint, ImagePart, ModelInfo, RequestStatus, Usage
from playground.core.money.accounting import Accounting
from playground.core.money.formatting import format_cost, format_tokens
from playground.core.money.metering import RequestRecord, limit_tokens, reply_usage
from playground.core.money.ratelimits import wait_for_room
from playground.core.money.tokens import TokenCounter
from playground.core.starters import Starter, StarterLibrary, choose_model, load_starters
from playground.core.storage.settings import Settings
from playground.core.storage.textfiles import TextFileError, read_text_file
from playground.ui.common.chat_link import ChatLink, ChatTurnCase
from playground.ui.common.chat_params import (
    API_CHAT_COMPLETIONS,
    API_RESPONSES,
    RESPONSES_FIELD_NAMES,
)
from playground.ui.common.feature import FeatureController
from playground.ui.common.question import ask
from playground.ui.common.widgets import single_shot
from playground.ui.lab.compare_runs import RunCompareDialog
from playground.ui.lab.tab import LabTab, VersionDiffDialog
from playground.ui.lab.variants import MAX_VARIANTS, VariantSettings
from playground.ui.shell.bridge import TaskRunner
from playground.ui.shell.counters import CountersController

log = logging.getLogger(__name__)

GROUP = "lab"
BATCH_GROUP = "lab-batch"  # waiting for a batch: not shown as busy (it can take hours)
ESTIMATE_GROUP = "lab-estimate"
POLL_SECONDS = 30.0
SAVE_EVERY = 20  # cells between saves of a running grid
SUMMARY_MS = 150  # the summary row and progress are refreshed at most this often while running


class LabController(FeatureController):
    """Turns the Prompt Lab tab's intents into checked, estimated, stored runs.

    `settings` are the app's settings at start (the cost guard's threshold); `apply_settings`
    keeps them current. `chat` proposes Chat's model for a new variant.
    """

    busy_groups = (GROUP,)
    view: LabTab

    def __init__(
        self,
        view: LabTab,
        service: ChatService,
        batches: BatchService,
        store: LabStore,
        session: ApiSession,
        runner: TaskRunner,
        counter: TokenCounter,
        accounting: Accounting,
        counters: CountersController,
        settings: Settings,
        chat: ChatLink,
        parent: QObject | None = None,
        default_api: str = "",
        today: Callable[[], date] = date.today,
    ) -> None:
        super().__init__(view, parent)
        self.today = today  # judges which models are retired; tests pass a fixed date
        self._listed: tuple[ModelInfo, ...] | None = None  # the model list, with shutdown dates
        self._retired: dict[str, AppError] = {}  # a retired model's 404, by model
        self.service = service
        service.on_headers = counters.take_headers  # rate-limit gauges
        self._engines: dict[str, Engine] = {
            API_CHAT_COMPLETIONS: service,
            API_RESPONSES: engine_for(Api.RESPONSES, session.client, counters.take_headers),
        }
        if default_api:
            view.set_default_api(default_api)
        self.batches = batches
        self.store = store
        self.session = session
        self.runner = runner
        self.counter = counter
        self.accounting = accounting
        self.counters = counters
        self.settings = settings
        self.chat = chat
        self.run: LabRun | None = None
        self._model_ids: set[str] | None = None  # what the model list offers (the Decisions API)
        self.batch_id: str | None = None
        self.poll_seconds = POLL_SECONDS
        self.confirm_box: QMessageBox | None = None
        self.diff_dialog: VersionDiffDialog | None = None
        self.compare_dialog: RunCompareDialog | None = None
        self._unsaved = 0
        self._versions: list[Version] = []
        self._closing = False
        self._summary_timer = single_shot(self, SUMMARY_MS, self._update_summary)
        # A run started by try_model: the models it compares and who to tell when it ends.
        self._trial: tuple[str, str, Callable[[Trial | None, str], None]] | None = None

        view.run_requested.connect(self.request_run)
        view.stop_requested.connect(self.stop)
        view.resume_requested.connect(self.resume)
        view.save_version_requested.connect(self.save_version)
        view.load_version_requested.connect(self.load_version)
        view.diff_requested.connect(self.show_diff)
        view.import_cases_requested.connect(self.import_cases)
        view.add_pictures_requested.connect(self.add_pictures)
        view.export_cases_requested.connect(self.export_cases)
        view.export_results_requested.connect(self.export_results)
        view.past_run_chosen.connect(self.open_run)
        view.template_changed.connect(self._refresh_variables)
        view.variants_changed.connect(self._refresh_variables)
        view.cell_chosen.connect(self._on_cell_chosen)
        view.starter_chosen.connect(self.open_starter)
        self._snapshot: CatalogSnapshot | None = None
        self._starters: StarterLibrary | None = None
        self._pending_starter = ""
        self.starter_box: QMessageBox | None = None
        runner.start_blocking(load_starters, group="lab-starters", on_result=self._starters_loaded)
        view.compare_runs_requested.connect(self.compare_runs)
        runner.busy_changed.connect(self._on_runner_busy_changed)
        chat.on_add_to_lab(self.add_case_from_chat)
        view.ensure_variant()
        self._refresh_versions()
        self._refresh_runs()

    # --- models, versions, variables ---------------------------------------------------------------

    def show_models(self, snapshot: CatalogSnapshot | None) -> None:
        self._snapshot = snapshot
        preferred = self.chat.chat_settings().model
        self.view.set_grader_models(
            snapshot.ids(ModelKind.CHAT) if snapshot else [],
            snapshot.ids(ModelKind.EMBEDDING) if snapshot else [],
        )
        self._model_ids = {m.id for m in snapshot.models} if snapshot else None
        if snapshot is None:
            self.view.set_models([], preferred)
            return
        # Badges for dated models; a new variant never starts on a retired model.
        picker = snapshot.picker(ModelKind.CHAT, self.today())
        self._listed = snapshot.models
        default = picker.default.model if picker.default is not None else ""
        chosen = picker.choice(preferred)
        if chosen is not None and chosen.retired:
            preferred = default
        self.view.set_models(list(picker.choices), preferred, default)

    def apply_settings(self, settings: Settings) -> None:
        self.settings = settings

    def _refresh_versions(self) -> None:
        try:
            self._versions = self.store.versions()
        except LabStoreError as exc:
            self.view.set_status(str(exc), error=True)
            self._versions = []
        self.view.set_versions(self._versions)

    def _refresh_runs(self) -> None:
        try:
            runs = self.store.runs()
        except LabStoreError as exc:
            self.view.set_status(str(exc), error=True)
            return
        self.view.set_runs(runs, self.run.id if self.run else None)

    def _version(self, version_id: int | None) -> Version | None:
        return next((v for v in self._versions if v.id == version_id), None)

    def _refresh_variables(self) -> None:
        """The case table's columns: the variables of the draft and of every variant's version."""
        texts = [self.view.prompt()]
        for variant in self.view.variant_settings():
            version = self._version(variant.version_id)
            if version is not None:
                texts.append(version.prompt)
        names: dict[str, None] = {}
        for prompt in texts:
            names.update(dict.fromkeys(prompt.variables()))
        self.view.set_variables(list(names))

    def save_version(self, label: str = "") -> Version | None:
        prompt = self.view.prompt()
        if not prompt.user.strip():
            self.view.set_status("Write the message template before saving a version.", error=True)
            return None
        try:
            version = self.store.save_version(prompt, label)
        except LabStoreError as exc:
            self.view.set_status(str(exc), error=True)
            return None
        self.view.clear_version_label()
        self._refresh_versions()
        self.view.set_status(f"Saved {version.title}.")
        return version

    def load_version(self, version_id: int) -> None:
        version = self._version(version_id)
        if version is not None:
            self.view.set_prompt(version.prompt)

    def show_diff(self) -> None:
        if len(self._versions) < 2:
            self.view.set_status("Save at least two versions to compare them.")
            return
        if self.diff_dialog is not None:
            self.diff_dialog.close()
            self.diff_dialog.deleteLater()
        self.diff_dialog = VersionDiffDialog(self._versions, version_diff, self.view)
        self.diff_dialog.show()

    # --- cases files -----------------------------------------------------------------------------

    def ask_open_path(self) -> str:
        path, _ = QFileDialog.getOpenFileName(
            self.view,
            "Import test cases or a suite",
            "",
            "Test cases, OpenAI Evals data or a Promptfoo config "
            "(*.csv *.jsonl *.json *.yaml *.yml);;All files (*)",
        )
        return path

    def ask_picture_paths(self) -> list[str]:
        from playground.core.chat.vision import image_file_patterns

        paths, _ = QFileDialog.getOpenFileNames(
            self.view,
            "Add pictures to the case",
            "",
            "Images (" + " ".join(image_file_patterns()) + ")",
        )
        return paths

    def add_pictures(self) -> None:
        """Adds picked files to the selected case's pictures (checked when the grid runs)."""
        self.view.add_case_pictures(self.ask_picture_paths())

    def ask_save_path(self, title: str, suggested: str, filter_: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self.view, title, suggested, filter_)
        return path

    def import_cases(self) -> None:
        """Cases from CSV or JSONL, OpenAI Evals data (JSONL with `item` objects), or a whole
        suite from a Promptfoo config (.yaml)."""
        path = self.ask_open_path()
        if not path:
            return
        name = Path(path).name
        suffix = Path(path).suffix.lower()
        note = ""
        # Blocking reads, but bounded: the file is size-checked.
        try:
            if suffix in (".yaml", ".yml"):
                self._import_suite(Path(path))
                return
            text = ""
            if suffix in (".jsonl", ".json", ".ndjson"):
                text = read_text_file(Path(path), max_bytes=MAX_CASE_FILE_BYTES)
            if text and looks_like_openai_evals(text):
                cases, names = cases_from_openai_evals(text)
                fields = ", ".join(f"{{{{{n}}}}}" for n in names[:4])
                note = (
                    f" (OpenAI Evals data: write {fields} in the template to use its fields, "
                    "and pick a check for each case: the file does not say how answers were "
                    "graded)"
                )
            else:
                cases = read_cases_file(Path(path))
        except (CaseFileError, TextFileError, SuiteFileError) as exc:
            self.view.set_status(f"{name}: {exc}", error=True)
            return
        if not cases:
            self.view.set_status(f"{name} has no cases.", error=True)
            return
        self._show_imported_cases(cases)
        self.view.set_status(f"Imported {len(cases):,} cases from {name}{note}.")

    def add_case_from_chat(self, case: ChatTurnCase) -> None:
        """ "To Lab" on a Chat answer: a new case with its variables and the answer as the
        reference (a similarity check). An empty template takes the question's; a template
        already written is kept."""
        prompt = self.view.prompt()
        kept = ""
        if not prompt.user.strip():
            self.view.set_prompt(Prompt(case.system, case.template))
        elif not set(case.values) <= set(prompt.variables()):
            missing = ", ".join(f"{{{{{n}}}}}" for n in case.values if n not in prompt.variables())
            kept = f" Your template does not use {missing}: write it where the value goes."
        cases = [
            *self.view.test_cases(),
            TestCase(dict(case.values), Expectation(ExpectKind.SIMILAR, case.answer)),
        ]
        self._show_imported_cases(cases)
        self.view.show_cases_page()
        self.view.set_status(
            f"Added case {len(cases)} from Chat: the answer there is its reference (checked "
            "by meaning, with the similarity model under Graders)." + kept
        )

    def _show_imported_cases(self, cases: list[TestCase]) -> None:
        names = dict.fromkeys(self.view.variables())
        for case in cases:
            names.update(dict.fromkeys(case.values))
        self.view.set_variables(list(names))
        self.view.set_test_cases(cases)
        self._refresh_variables()

    def _import_suite(self, path: Path) -> None:
        """A Promptfoo config: its prompts become saved versions (the first one the draft), its
        providers variants, its tests cases, its grader the grader; the draft there was is kept
        as a version first, so nothing typed is lost."""
        text = read_text_file(path, max_bytes=MAX_CASE_FILE_BYTES)
        imported = from_promptfoo(text)
        suite = imported.suite
        draft = self.view.prompt()
        try:
            if draft.user.strip() and all(v.prompt != draft for v in self._versions):
                self.store.save_version(draft, "before import")
            ids = {}
            for title, prompt in suite.prompts:
                ids[prompt] = self.store.save_version(prompt, f"{path.stem}: {title}"[:60]).id
        except LabStoreError as exc:
            self.view.set_status(str(exc), error=True)
            return
        self._refresh_versions()
        if suite.prompts:
            self.view.set_prompt(suite.prompts[0][1])
        if suite.variants:
            self.view.set_variants(
                [
                    VariantSettings(v.name, v.model, dict(v.fields), ids.get(v.prompt))
                    for v in suite.variants
                ]
            )
        self.view.set_grader_settings(suite.graders)
        if suite.cases:
            self._show_imported_cases(suite.cases)
        else:
            self._refresh_variables()
        text = (
            f"Imported {len(suite.prompts):,} prompts (saved as versions), "
            f"{len(suite.variants):,} variants and {len(suite.cases):,} cases from {path.name}."
        )
        skipped = imported.skipped
        if skipped:
            text += f" Not brought in ({len(skipped)}): " + "; ".join(skipped[:2])
            text += " …" if len(skipped) > 2 else ""
        self.view.set_status(text, details="\n".join(skipped))

    def export_cases(self) -> None:
        path = self.ask_save_path(
            "Export test cases or the suite",
            "test-cases.csv",
            "CSV (*.csv);;JSON Lines (*.jsonl);;Whole suite as a Promptfoo config (*.yaml)",
        )
        if not path:
            return
        if path.lower().endswith((".yaml", ".yml")):
            self._write(path, self.promptfoo_config(), "Exported the suite as a Promptfoo config.")
            return
        cases, names = self.view.test_cases(), self.view.variables()
        text = (
            cases_to_jsonl(cases, names)
            if path.lower().endswith(".jsonl")
            else cases_to_csv(cases, names)
        )
        self._write(path, text, f"Exported {len(cases):,} cases.")

    def export_results(self, kind: str) -> None:
        if self.run is None:
            self.view.set_status("Run the grid first; then its results can be exported.")
            return
        suffix = "json" if kind == "json" else "csv"
        path = self.ask_save_path(
            "Export results", f"prompt-lab-results.{suffix}", f"{suffix.upper()} (*.{suffix})"
        )
        if not path:
            return
        text = results_to_json(self.run) if kind == "json" else results_to_csv(self.run)
        self._write(path, text, "Exported the results.")

    def promptfoo_config(self) -> str:
        """The suite (prompts of the variants, variants, cases, grader) as a Promptfoo config."""
        variants = self.variants()
        titles = {v.id: f"v{v.id}" + (f" · {v.label}" if v.label else "") for v in self._versions}
        suite = Suite(
            suite_prompts(variants, self.view.prompt(), titles),
            variants,
            self.view.test_cases(),
            self.view.grader_settings(),
        )
        return to_promptfoo(suite)

    def _write(self, path: str, text: str, done: str) -> None:
        try:
            Path(path).write_text(text, encoding="utf-8")
        except OSError as exc:
            self.view.set_status(f"Cannot write {Path(path).name}: {exc}", error=True)
            return
        self.view.set_status(f"{done} ({Path(path).name})")

    # --- building and checking a run --------------------------------------------------------------

    def variants(self) -> list[Variant]:
        draft = self.view.prompt()
        out = []
        for variant in self.view.variant_settings():
            version = self._version(variant.version_id)
            prompt = version.prompt if version is not None else draft
            out.append(
                Variant(
                    variant.name.strip() or "Variant",
                    prompt,
                    variant.model,
                    _jsonable(variant.fields),
                    version.id if version is not None else None,
                )
            )
        return out

    def request_run(self, batch: bool = False) -> None:
        """Checks the grid, then estimates and (above the threshold) asks before running."""
        if self._busy() or self.runner.is_busy(ESTIMATE_GROUP) or self.confirm_box is not None:
            return
        variants, cases = self.variants(), self.view.test_cases()
        found = problems(variants, cases)
        self.view.mark_case_problems(
            {i: p for i, case in enumerate(cases) if (p := case_problems(variants, case))}
        )
        found += self.view.variant_problems()
        graders = self.view.grader_settings()
        found += grader_problems(cases, graders)
        if found:
            more = f" (and {len(found) - 4} more)" if len(found) > 4 else ""
            self.view.set_status("Can't run yet: " + " ".join(found[:4]) + more, error=True)
            self.view.show_cases_page()
            return
        run = LabRun(variants, cases, self.view.samples(), graders=graders.to_dict())
        if batch and len(run.cells()) > MAX_BATCH_REQUESTS:
            self.view.set_status(
                f"A batch holds at most {MAX_BATCH_REQUESTS:,} requests; this grid has "
                f"{len(run.cells()):,}. Use fewer cases, variants or samples.",
                error=True,
            )
            return
        run.variants = self._pin_draft_version(variants)
        self._estimate(run, run.cells(), batch)

    def try_model(self, old: str, new: str, on_done: Callable[[Trial | None, str], None]) -> str:
        """Adds a variant on `new` like the first one on `old` (unless one is there) and runs the
        suite as Run does: the Retirements view's "Try the replacement". `on_done` gets the
        old-versus-new numbers and the run's status line when the run ends.

        Returns:
            Why it cannot run ("" when the run is under way or waiting for the cost question).
        """
        if self._busy() or self.runner.is_busy(ESTIMATE_GROUP) or self.confirm_box is not None:
            return "Prompt Lab is busy; try again when its run has finished."
        variants = self.view.variant_settings()
        base = next((v for v in variants if v.model.strip() == old), None)
        if base is None:
            return f"No Prompt Lab variant uses {old} any more."
        if not any(v.model.strip() == new for v in variants):
            if len(variants) >= MAX_VARIANTS:
                return "Prompt Lab holds no more variants: remove one there, then try again."
            copy = VariantSettings(f"{base.name} on {new}", new, dict(base.fields), base.version_id)
            self.view.set_variants([*variants, copy])
            self._refresh_variables()
        self._trial = (old, new, on_done)
        self.request_run()
        if not (
            self._busy() or self.runner.is_busy(ESTIMATE_GROUP) or self.confirm_box is not None
        ):
            self._trial = None
            return "Prompt Lab can't run the suite yet: its tab says why."
        return ""

    def _pin_draft_version(self, variants: list[Variant]) -> list[Variant]:
        """Variants on the unsaved draft get the draft saved as a version (or the same saved one),
        so the run remembers exactly which prompt it used."""
        if all(v.version_id is not None for v in variants):
            return variants
        draft = self.view.prompt()
        version = next((v for v in self._versions if v.prompt == draft), None)
        if version is None:
            try:
                version = self.store.save_version(draft, "")
            except LabStoreError as exc:
                log.warning("lab: %s", exc)
                return variants
            self._refresh_versions()
        return [v if v.version_id is not None else _with_version(v, version.id) for v in variants]

    def _estimate(self, run: LabRun, keys: list[CellKey], batch: bool) -> None:
        if any(source not in run.images for case in run.cases for source in case.images):
            self._prepare_images(run, lambda: self._estimate(run, keys, batch))
            return
        requests = [run.request(k) for k in keys]
        # Grading is sent live (never through the Batch API) once the answers are in.
        grading = grader_requests(
            [run.case(k.case_id) for k in keys], GraderSettings.from_dict(run.graders)
        )
        # Only plain objects go to the worker thread: a Qt object (self) dropped there would be
        # destroyed off the GUI thread.
        cost = functools.partial(self.accounting.cost, self.session.profile, batch=batch)
        live_cost = functools.partial(self.accounting.cost, self.session.profile)
        count_messages = self.counter.count_messages

        async def count() -> GridEstimate:
            grid = await self.runner.run_blocking(estimate_grid, requests, count_messages, cost)
            if not grading:
                return grid
            extra = await self.runner.run_blocking(
                estimate_grid, grading, count_messages, live_cost
            )
            return dataclasses.replace(
                grid,
                requests=grid.requests + extra.requests,
                input_tokens=grid.input_tokens + extra.input_tokens,
                low=grid.low + extra.low,
                high=grid.high + extra.high,
                unpriced=grid.unpriced + extra.unpriced,
            )

        self.view.set_status("Estimating the cost…")
        self.runner.start(
            count(),
            group=ESTIMATE_GROUP,
            on_result=lambda estimate: self._guard_budget(
                estimate.high,
                lambda: self._confirm_cost(run, keys, batch, estimate, len(grading)),
            ),
            on_error=self.view.show_error,
        )

    def _prepare_images(self, run: LabRun, then: Callable[[], None]) -> None:
        """Reads and checks the cases' pictures off the GUI thread, then calls `then`; a picture
        that cannot be used stops the run with the case and the reason."""
        cases = list(run.cases)

        async def prepare() -> dict[str, ImagePart]:
            try:
                return await self.runner.run_blocking(prepare_case_images, cases)
            except CaseImageError as exc:
                raise AppError.local("A picture cannot be used", str(exc)) from exc

        def prepared(images: dict[str, ImagePart]) -> None:
            run.images.update(images)
            then()

        def failed(error: AppError) -> None:
            self.view.set_status("Not run. " + error.message, error=True)

        self.view.set_status("Reading the cases' pictures…")
        self.runner.start(prepare(), group=ESTIMATE_GROUP, on_result=prepared, on_error=failed)

    def _guard_budget(self, high: Decimal, then: Callable[[], None]) -> None:
        """The budgets (against the whole run's upper estimate `high`); `then` (the cost guard)
        once they allow the run."""
        self.counters.budgets.guard(
            self.view,
            "labBudget",
            self.session.profile.name,
            high,
            then,
            what="This run",
            on_refused=lambda text: self.view.set_status("Not run. " + text, error=True),
        )

    def _confirm_cost(
        self,
        run: LabRun,
        keys: list[CellKey],
        batch: bool,
        estimate: GridEstimate,
        grading: int = 0,
    ) -> None:
        text = _estimate_text(estimate, batch)
        if grading:
            text += (
                f" This includes {grading:,} grading requests (the answers they read are not "
                "known yet and not counted)."
            )
        threshold = Decimal(str(self.settings.cost_guard_usd))
        if not needs_confirmation(estimate, threshold):
            self._start(run, keys, batch, text)
            return

        def answered(yes: bool) -> None:
            self.confirm_box = None
            if yes:
                self._start(run, keys, batch, text)
            else:
                self.view.set_status("Not run. " + text)
                if self._trial is not None:  # the Retirements view hears it was not run
                    on_done, self._trial = self._trial[2], None
                    on_done(None, "Not run: the cost question in Prompt Lab was answered No.")

        self.confirm_box = ask(
            self.view,
            "labCostGuard",
            "Run the grid?",
            f"{text}\n\nThis is above your limit of {format_cost(threshold)} "
            "(Settings → Prices). Run it?",
            answered,
        )

    def show_run(self, run: LabRun) -> None:
        """Makes `run` the current run: stores it, lists it with the past runs and shows its grid."""
        self.run = run
        self._save_run()
        self._refresh_runs()
        self.view.show_run(run)
        self.view.show_results_page()

    def _start(self, run: LabRun, keys: list[CellKey], batch: bool, estimate: str) -> None:
        self.show_run(run)
        if batch:
            self._submit_batch(run, keys)
            self.view.set_status(f"Uploading as a batch: {estimate}")
        else:
            self._run_cells(run, keys)
            self.view.set_status(f"Running: {estimate}")

    # --- running live ---------------------------------------------------------------------------------

    def _engine_request(self, run: LabRun, key: CellKey) -> tuple[Engine, ChatRequest]:
        """The engine of the cell's variant (its API) and the request it sends."""
        fields = run.variant(key.variant_id).fields
        api = str(fields.get("api") or API_CHAT_COMPLETIONS)
        engine = self._engines[API_RESPONSES] if api == API_RESPONSES else self.service
        request = _with_api(run.request(key), fields)
        return engine, without(request, self.chat.refused(request.model))

    def grader(self, run: LabRun) -> Grader:
        """The grader of `run`'s graded checks (its settings are stored with the run)."""
        return Grader(
            self.session.client, GraderSettings.from_dict(run.graders), models=self._model_ids
        )

    async def _graded(self, grader: Grader, case: TestCase, result: CellResult) -> CellResult:
        """`result` with its graded check decided; every grader request gets its ledger row,
        and their cost is kept apart from the variant's own."""
        if not case.expect.kind.graded or result.status != CellStatus.OK:
            return result
        grade: Grade = await grader.grade(case, result.text)
        cost: Decimal | None = Decimal(0)
        for call in grade.calls:
            entry = self.counters.write(
                RequestRecord(
                    profile=self.session.profile,
                    tab="lab",
                    model=call.model,
                    endpoint=call.endpoint,
                    usage=call.usage,
                    status=RequestStatus.OK,
                    latency_ms=call.latency_ms,
                    request_id=call.request_id,
                )
            )
            cost = None if cost is None or entry.cost is None else cost + entry.cost
        return dataclasses.replace(
            result,
            check=grade.check,
            grader_cost=cost if grade.calls else None,
            graded_calls=len(grade.calls),
        )

    def _run_cells(self, run: LabRun, keys: list[CellKey]) -> None:
        total = len(run.cells())
        self.view.set_progress(total - len(run.pending()), total)
        grader = self.grader(run)

        limits = self.counters.rate_limits

        async def execute(key: CellKey) -> CellResult:
            engine, request = self._engine_request(run, key)
            # Paced by the requests and tokens left this minute (the reply headers), not by 429s.
            tokens = limit_tokens(self.counter, request)
            await wait_for_room(limits, request.model, tokens=tokens)
            try:
                result = await engine.stream(request, _ignore_delta)
            finally:
                limits.release(request.model)
            calls = result.choices[0].tool_calls if result.choices else ()
            usage = reply_usage(self.counter, request, result.usage, result.text, calls)
            entry = self._record(request.model, usage, result.elapsed_ms, result.request_id)
            case = run.case(key.case_id)
            done = result_for(
                case,
                result.text,
                usage=usage,
                cost=entry.cost,
                latency_ms=result.elapsed_ms,
                finish_reason=result.finish_reason,
            )
            return await self._graded(grader, case, done)

        def waiting(_key: CellKey, seconds: float) -> None:
            self.view.set_status(
                f"Rate limited: waiting {seconds:g} s as the server asked, then retrying…"
            )

        self.runner.start(
            run_grid(
                keys,
                execute,
                concurrency=self.view.concurrency(),
                on_done=lambda key, result: self._cell_done(run, key, result),
                on_failed=lambda key, error: self._cell_failed(run, key, error),
                on_waiting=waiting,
            ),
            group=GROUP,
            on_result=lambda _none: self._ended(run, "Done"),
            on_error=lambda error: self._failed(run, "Stopped by an error", error),
            on_cancel=lambda: self._ended(run, "Stopped"),
        )

    def _cell_failed(self, run: LabRun, key: CellKey, error: AppError) -> None:
        # A retired model's 404 says so; selecting the cell offers the replacement.
        model = run.variant(key.variant_id).model
        error = retired_error(error, model, self._listed, self.today())
        request = _with_api(run.request(key), run.variant(key.variant_id).fields)
        setting = refused_setting(request, error.param, error.code, error.message)
        if setting is not None:  # learned for the model, shared with Chat and Compare
            self.chat.learn_refusal(model, setting)
            error = dataclasses.replace(
                error, title="Setting refused", message=learned_text(model, setting), hint=""
            )
        if error.replacement:
            self._retired[model] = error
        self._cell_done(run, key, CellResult(CellStatus.ERROR, error=error.text))

    def _cell_done(self, run: LabRun, key: CellKey, result: CellResult) -> None:
        run.results[key] = result
        if run is not self.run:
            return
        self.view.set_result(key, result)
        if (
            not self._summary_timer.isActive()
        ):  # a big grid: sums a few times a second, not per cell
            self._summary_timer.start()
        self._unsaved += 1
        if self._unsaved >= SAVE_EVERY:
            self._save_run()

    def _update_summary(self) -> None:
        run = self.run
        if run is None:
            return
        self.view.update_summary()
        total = len(run.cells())
        self.view.set_progress(total - len(run.pending()), total)

    def _ended(self, run: LabRun, how: str) -> None:
        if self._closing or run is not self.run:
            return
        self._summary_timer.stop()
        self._update_summary()
        self._save_run()
        self._refresh_runs()
        pending = len(run.pending())
        total = len(run.cells())
        summaries = [run.summary(v.id) for v in run.variants]
        cost = sum((s.cost for s in summaries), Decimal(0))
        text = f"{how}: {total - pending:,} of {total:,} cells finished · {format_cost(cost)}"
        grading = sum((s.grader_cost for s in summaries), Decimal(0))
        if grading:
            text += f" + grading {format_cost(grading)}"
        ungraded = sum(s.ungraded for s in summaries)
        if ungraded:
            text += f". {ungraded:,} not graded (select one to see why; Resume grades them again)"
        errors = [r.error for r in run.results.values() if r.status == CellStatus.ERROR]
        if errors:
            text += f". {len(errors):,} failed, e.g. {errors[0]}"
        if pending:
            text += f". {pending:,} not finished: Resume runs only those."
        self.view.set_status(
            text, error=bool(errors) or bool(ungraded) or (pending > 0 and how != "Done")
        )
        self.view.set_busy(False, can_resume=pending > 0 or ungraded > 0)
        if self._trial is not None:  # "Try the replacement" from the Retirements view
            old, new, on_done = self._trial
            self._trial = None
            on_done(trial(run, old, new), text)

    def _failed(self, run: LabRun, how: str, error: AppError) -> None:
        self.batch_id = None
        self._ended(run, how)
        self.view.show_error(error)

    def resume(self) -> None:
        """Runs the cells the current run has not finished (failed, stopped or never run); when
        all have, grades again the answers that were not graded (with the grader settings now
        in Graders), without asking the variants again."""
        run = self.run
        if run is None or self._busy():
            return
        keys = run.pending()
        if keys:
            self._estimate(run, keys, batch=False)
            return
        ungraded = _ungraded(run)
        if not ungraded:
            self.view.set_status("Every cell has finished.")
            return
        settings = self.view.grader_settings()
        found = grader_problems([run.case(k.case_id) for k, _r in ungraded], settings)
        if found:
            self.view.set_status("Can't grade yet: " + " ".join(found), error=True)
            return
        run.graders = settings.to_dict()
        self.view.set_busy(True)
        self.view.set_status(f"Grading {len(ungraded):,} answers again…")
        self._grade_cells(run, ungraded, "Graded again")

    def stop(self) -> None:
        if self.batch_id is not None and self.runner.is_busy(BATCH_GROUP):
            batch_id = self.batch_id
            self.runner.start(
                self.batches.cancel(batch_id),
                group="lab-batch-cancel",
                on_result=lambda status: self.view.set_status(
                    f"{status.text}. Finished cells are kept."
                ),
                on_error=self.view.show_error,
            )
            self.batch_id = None
        self.runner.cancel(GROUP)
        self.runner.cancel(BATCH_GROUP)
        self.runner.cancel(ESTIMATE_GROUP)

    def shutdown(self) -> None:
        """The window closes: keep what finished; a batch keeps running on the server and is
        picked up again at the next start (its id is in the saved state)."""
        self._save_run()
        self._closing = True
        self.runner.cancel(GROUP)
        self.runner.cancel(BATCH_GROUP)
        self.runner.cancel(ESTIMATE_GROUP)
        self.store.close()

    def _estimate_usage(self, request: Any, text: str) -> Usage:
        # Text, images and tools, as Chat counts them (core/money/metering.py).
        return reply_usage(self.counter, request, None, text)

    def _record(
        self,
        model: str,
        usage: Usage,
        latency_ms: float | None,
        request_id: str | None,
        *,
        batch: bool = False,
    ) -> Any:
        record = RequestRecord(
            profile=self.session.profile,
            tab="lab",
            model=model,
            endpoint=Endpoint.CHAT,
            usage=usage,
            status=RequestStatus.OK,
            latency_ms=latency_ms,
            request_id=request_id,
            batch=batch,
        )
        return self.counters.write(record)

    def _save_run(self) -> None:
        if self.run is None:
            return
        self._unsaved = 0
        try:
            self.store.save_run(self.run)
        except LabStoreError as exc:
            self.view.set_status(str(exc), error=True)

    # --- batch ---------------------------------------------------------------------------------------

    def _submit_batch(self, run: LabRun, keys: list[CellKey]) -> None:
        jsonl = batch_jsonl((k, run.request(k)) for k in keys)

        async def go() -> list[BatchItem]:
            status = await self.batches.submit(
                jsonl, metadata={"source": "playground-prompt-lab", "run": str(run.id)}
            )
            self.batch_id = status.id
            return await self._poll(status)

        self._start_batch_task(run, go())

    def _start_batch_task(self, run: LabRun, coro: Coroutine[Any, Any, list[BatchItem]]) -> None:
        self.runner.start(
            coro,
            group=BATCH_GROUP,
            on_result=lambda items: self._batch_done(run, items),
            on_error=lambda error: self._failed(run, "Batch failed", error),
            on_cancel=lambda: self._ended(run, "Stopped"),
        )

    async def _poll(self, status: BatchStatus) -> list[BatchItem]:
        while not status.done:
            self.view.set_status(
                f"{status.text}. Batches can take up to 24 hours; you can keep working."
            )
            if status.total:
                self.view.set_progress(status.completed + status.failed, status.total)
            await asyncio.sleep(self.poll_seconds)
            status = await self.batches.status(status.id)
        if not status.output_file_id and not status.error_file_id:
            reasons = "; ".join(status.errors) or "no results came back"
            raise AppError.local(status.text, f"The batch ended without results ({reasons}).")
        return await self.batches.results(status)

    def _batch_done(self, run: LabRun, items: list[BatchItem]) -> None:
        self.batch_id = None
        cells = set(run.cells())
        to_grade: list[tuple[CellKey, CellResult]] = []
        for item in items:
            if item.key not in cells:
                continue
            if item.error:
                self._cell_done(run, item.key, CellResult(CellStatus.ERROR, error=item.error))
                continue
            request = run.request(item.key)
            usage = item.usage or self._estimate_usage(request, item.text)
            entry = self._record(request.model, usage, None, item.request_id, batch=True)
            result = result_for(
                run.case(item.key.case_id),
                item.text,
                usage=usage,
                cost=entry.cost,
                finish_reason=item.finish_reason,
            )
            self._cell_done(run, item.key, result)
            if result.check.ungraded:
                to_grade.append((item.key, result))
        if not to_grade:
            self._ended(run, "Batch done")
            return
        # Graded checks are graded live once the batch's answers are in.
        self.view.set_status(f"Batch done; grading {len(to_grade):,} answers…")
        self._grade_cells(run, to_grade, "Batch done")

    def _grade_cells(self, run: LabRun, cells: list[tuple[CellKey, CellResult]], how: str) -> None:
        """Grades finished answers (a batch's, or ones not graded before), without asking the
        variants again."""
        grader = self.grader(run)

        async def grade_all() -> None:
            for key, answer in cells:
                graded = await self._graded(grader, run.case(key.case_id), answer)
                self._cell_done(run, key, graded)

        self.runner.start(
            grade_all(),
            group=GROUP,
            on_result=lambda _none: self._ended(run, how),
            on_error=lambda error: self._failed(run, "Grading stopped by an error", error),
            on_cancel=lambda: self._ended(run, "Stopped"),
        )

    # --- past runs and cells ------------------------------------------------------------------------

    def compare_runs(self) -> None:
        """Opens the regression view on the two latest runs (the user can pick others)."""
        try:
            runs = self.store.runs()
        except LabStoreError as exc:
            self.view.set_status(str(exc), error=True)
            return
        if len(runs) < 2:
            self.view.set_status("Run the grid at least twice to compare two runs.")
            return
        if self.compare_dialog is not None:
            self.compare_dialog.close()
            self.compare_dialog.deleteLater()
        dialog = RunCompareDialog(runs, self.view)
        dialog.pair_chosen.connect(self._show_comparison)
        self.compare_dialog = dialog
        dialog.show()
        dialog.request_pair()

    def _show_comparison(self, before_id: int, after_id: int) -> None:
        dialog = self.compare_dialog
        if dialog is None:
            return
        try:
            before, after = self.store.load_run(before_id), self.store.load_run(after_id)
        except LabStoreError as exc:
            dialog.show_problem(str(exc))
            return
        if before is None or after is None:
            dialog.show_problem("One of these runs is no longer in the Prompt Lab file.")
            return
        dialog.show_comparison(compare_runs(before, after))

    def open_run(self, run_id: int) -> None:
        if self._busy():
            return
        try:
            run = self.store.load_run(run_id)
        except LabStoreError as exc:
            self.view.set_status(str(exc), error=True)
            return
        if run is None:
            return
        self.run = run
        self.view.show_run(run)
        total = len(run.cells())
        self.view.set_progress(total - len(run.pending()), total)
        self.view.set_busy(False, can_resume=bool(run.pending() or _ungraded(run)))

    def _on_cell_chosen(self, key: CellKey) -> None:
        run = self.run
        if run is None:
            return
        result = run.results.get(key)
        case_number = next((i for i, c in enumerate(run.cases, 1) if c.id == key.case_id), 0)
        where = f"Case {case_number} · {run.variant(key.variant_id).name}"
        if result is None:
            self.view.show_detail("", f"{where}: not run yet.")
            return
        if result.status != CellStatus.OK:
            self.view.show_detail(result.text, f"{where}: {result.error or 'stopped'}")
            model = run.variant(key.variant_id).model
            retired = self._retired.get(model)
            shown = [v.model for v in self.view.variant_settings()]
            if retired is not None and model in shown:
                self.view.offer_replacement(shown.index(model), retired)
            return
        verdict = {True: "passed", False: "failed", None: "no check"}[result.check.passed]
        if result.check.ungraded:
            verdict = "not graded"
        elif result.check.score is not None:
            verdict += f" (score {result.check.score:.2f})"
        if result.graded_calls:
            verdict += f" · grading cost {format_cost(result.grader_cost)}"
        detail = f" — {result.check.detail}" if result.check.detail else ""
        finish = f" · finish: {result.finish_reason}" if result.finish_reason else ""
        self.view.show_detail(result.text, f"{where}: {verdict}{detail}{finish}")

    # --- starters ---------------------------------------------------------------------------------

    def _starters_loaded(self, library: StarterLibrary) -> None:
        self._starters = library
        self.view.set_starters([(s.id, s.title, s.category) for s in library.starters])
        if self._pending_starter:
            self.open_starter(self._pending_starter)

    def open_starter(self, starter_id: str) -> None:
        """Puts a shipped starter's prompt, settings and test cases into the Lab. Asks first when
        the Lab holds test cases (they would be replaced); the prompt in the editor is kept as a
        version."""
        if self._starters is None:
            self._pending_starter = starter_id  # opened once the starters are read
            return
        self._pending_starter = ""
        starter = self._starters.get(starter_id)
        if starter is None:
            return
        cases = [c for c in self.view.test_cases() if any(v.strip() for v in c.values.values())]
        if not cases:
            self._put_starter(starter)
            return

        def answered(yes: bool) -> None:
            self.starter_box = None
            if yes:
                self._put_starter(starter)

        self.starter_box = ask(
            self.view,
            "labStarterQuestion",
            "Open the starter?",
            f"“{starter.title}” replaces the {len(cases)} test cases in the table. Your prompt is "
            "kept as a version; export the cases first (Export…) to keep them too.",
            answered,
        )

    def _put_starter(self, starter: Starter) -> None:
        kept = ""
        if self.view.prompt().user.strip() and self.view.prompt() != starter.prompt():
            version = self.save_version(f"before “{starter.title}”")
            kept = f" Your previous prompt is kept as {version.title}." if version else ""
        models = self._snapshot.models if self._snapshot is not None else None
        choice = choose_model(starter, models, self.today(), self.chat.chat_settings().model)
        self.view.set_prompt(starter.prompt())
        self.view.set_variants(
            [VariantSettings(starter.title, choice.model, starter.fields_for(choice.model), None)]
        )
        self._refresh_variables()
        self.view.set_test_cases(list(starter.cases))
        self.view.show_cases_page()
        note = f" {choice.note}" if choice.note else ""
        self.view.set_status(
            f"The starter “{starter.title}” is open: {len(starter.cases)} test cases, each with a "
            f"check of its answer. Press Run to see how the prompt does.{note}{kept}"
        )

    # --- state --------------------------------------------------------------------------------------

    def save_state(self) -> dict[str, Any]:
        prompt = self.view.prompt()
        return {
            "system": prompt.system,
            "user": prompt.user,
            "cases": [case_to_dict(c) for c in self.view.test_cases()],
            "variants": [
                {
                    "name": variant.name,
                    "model": variant.model,
                    "fields": _jsonable(variant.fields),
                    "version_id": variant.version_id,
                }
                for variant in self.view.variant_settings()
            ],
            "samples": self.view.samples(),
            "concurrency": self.view.concurrency(),
            "graders": self.view.grader_settings().to_dict(),
            "show_retired": self.view.shows_retired(),
            "run_id": self.run.id if self.run else None,
            "batch_id": self.batch_id,
        }

    def restore_state(self, state: dict[str, Any]) -> None:
        try:
            self.view.set_show_retired(bool(state.get("show_retired", False)))
            self.view.set_prompt(Prompt(str(state.get("system", "")), str(state.get("user", ""))))
            variants = [v for v in state.get("variants", []) if isinstance(v, dict)]
            if variants:
                self.view.set_variants(
                    [
                        VariantSettings(
                            str(saved.get("name", "")),
                            str(saved.get("model", "")),
                            dict(saved.get("fields") or {}),
                            saved.get("version_id"),
                        )
                        for saved in variants
                    ]
                )
            self._refresh_variables()
            cases = [case_from_dict(c) for c in state.get("cases", []) if isinstance(c, dict)]
            names = dict.fromkeys(self.view.variables())
            for case in cases:
                names.update(dict.fromkeys(case.values))
            self.view.set_variables(list(names))
            self.view.set_test_cases(cases)
            self.view.set_samples(int(state.get("samples", 1)))
            graders = state.get("graders")
            if isinstance(graders, dict):
                self.view.set_grader_settings(GraderSettings.from_dict(graders))
            self.view.set_concurrency(int(state.get("concurrency", 4)))
        except (TypeError, ValueError, KeyError) as exc:
            log.warning("lab: saved state ignored (%s)", exc)
            return
        run_id = state.get("run_id")
        if isinstance(run_id, int):
            self.open_run(run_id)
            self._refresh_runs()
        batch_id = state.get("batch_id")
        if isinstance(batch_id, str) and self.run is not None:
            # A batch from the last session: keep waiting for it.
            self.batch_id = batch_id
            self.view.set_status("Checking the batch started in your last session…")
            self._start_batch_task(self.run, self._resume_batch(batch_id))

    async def _resume_batch(self, batch_id: str) -> list[BatchItem]:
        return await self._poll(await self.batches.status(batch_id))

    def _busy(self) -> bool:
        return self.runner.is_busy(GROUP) or self.runner.is_busy(BATCH_GROUP)

    def _on_runner_busy_changed(self, group: str, _busy: bool) -> None:
        if group in (GROUP, BATCH_GROUP):
            pending = bool(self.run and (self.run.pending() or _ungraded(self.run)))
            self.view.set_busy(self._busy(), can_resume=pending)


def _ungraded(run: LabRun) -> list[tuple[CellKey, CellResult]]:
    """The run's answers a grader could not grade (they finished; only grading is missing)."""
    return [
        (key, result)
        for key in run.cells()
        if (result := run.results.get(key)) is not None
        and result.status == CellStatus.OK
        and result.check.ungraded
    ]


def _ignore_delta(_index: int, _text: str) -> None:
    """Grid cells are shown when they finish; streamed fragments are not needed."""


def _with_version(variant: Variant, version_id: int) -> Variant:
    import dataclasses

    return dataclasses.replace(variant, version_id=version_id)


def _with_api(request: ChatRequest, fields: Mapping[str, Any]) -> ChatRequest:
    """`request` with the variant's Responses settings (a `ResponsesRequest` on Responses)."""
    extras = {k: v for k, v in fields.items() if k in RESPONSES_FIELD_NAMES and isinstance(v, str)}
    if fields.get("api") != API_RESPONSES and not extras:
        return request
    base = {f.name: getattr(request, f.name) for f in dataclasses.fields(ChatRequest)}
    return ResponsesRequest(
        **base,
        reasoning_summary=extras.get("reasoning_summary"),
        verbosity=extras.get("verbosity"),
        service_tier=extras.get("service_tier"),
        prompt_cache_key=extras.get("prompt_cache_key"),
        prompt_cache_ttl=extras.get("prompt_cache_ttl"),
    )


def _jsonable(fields: dict[str, Any]) -> dict[str, Any]:
    out = dict(fields)
    for name in ("stop", "tools"):
        if name in out:
            out[name] = list(out[name] or ())
    return out


def _estimate_text(estimate: GridEstimate, batch: bool) -> str:
    how = "through the Batch API" if batch else "now"
    text = (
        f"{estimate.requests:,} requests {how}, {format_tokens(estimate.input_tokens, estimated=True)} "
        f"in: {format_cost(estimate.low, estimated=True)}–{format_cost(estimate.high)}"
    )
    if estimate.open_ended:
        text += (
            f" ({estimate.open_ended:,} without a Max output, counted at up to "
            f"{OPEN_ENDED_OUTPUT:,} answer tokens each; set Max output for a firm limit)"
        )
    if estimate.unpriced:
        text += f"; {estimate.unpriced:,} with no known price"
    return text + "."
