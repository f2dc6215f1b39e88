"""The Platform tab's controller: the only code between its pages and `core/platform`.

Files page: the list is loaded a page at a time as the table scrolls (a reload starts a new
generation, so a page that arrives late for an old filter is dropped); uploads are checked before
anything is sent and go one file after another; a parted upload that stopped is offered again
(Resume) from the journal, also after a restart.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog

from playground.core.api.capabilities import ModelKind
from playground.core.api.catalog import CatalogSnapshot
from playground.core.api.errors import AppError
from playground.core.money.pricing import Pricer
from playground.core.money.tokens import TokenCounter
from playground.core.platform.batches import Backoff, BatchesService
from playground.core.platform.files import FileInfo, FilePage, FilesService, purpose_name
from playground.core.platform.fine_tuning import FineTuningService
from playground.core.platform.vector_stores import VectorStoresService
from playground.core.storage.history import HistoryStore
from playground.core.storage.settings import Settings
from playground.ui.common.feature import FeatureController
from playground.ui.platform.batches_controller import BATCH_GROUP, CHECK_GROUP, BatchesPart
from playground.ui.platform.fine_tuning_controller import DOCTOR_GROUP, JOBS_GROUP, FineTuningPart
from playground.ui.platform.tab import PlatformTab
from playground.ui.platform.vector_stores_controller import STORES_GROUP, VectorStoresPart
from playground.ui.shell.bridge import TaskRunner

LIST_GROUP = "platform-files-list"
UPLOAD_GROUP = "platform-files-upload"
FILE_GROUP = "platform-files"


class PlatformController(FeatureController):
    """Drives the Platform tab.

    Args:
        view: the tab.
        files: the Files service.
        batches: the Batches service.
        runner: the task runner (the one door for async and blocking work).
        pricer: prices batch results (batch and live price).
        fine_tuning: the Fine-tuning service (None: the page is not shown; the Files and
            Batches tests leave it out).
        counter: counts tokens for the Dataset doctor.
        vector_stores: the Vector stores service (None: the page is not shown).
        try_in_chat: puts a fine-tuned model into Chat and shows Chat.
        history: the saved Chat conversations (the Dataset doctor builds examples from them).
        compare_models: shows Compare with one column per model (a fine-tuned model and its
            base); returns what to tell the user.
        provider_id: the active provider's price-data id ("openai", "azure"...).
        today: what day it is (judges which models are retired; tests pass a fixed date).
        page_size: files per request when listing.
        backoff: how often running batches are looked at.
    """

    busy_groups = (
        LIST_GROUP,
        UPLOAD_GROUP,
        FILE_GROUP,
        BATCH_GROUP,
        CHECK_GROUP,
        DOCTOR_GROUP,
        JOBS_GROUP,
        STORES_GROUP,
    )

    def __init__(
        self,
        view: PlatformTab,
        files: FilesService,
        batches: BatchesService,
        runner: TaskRunner,
        pricer: Pricer,
        provider_id: Callable[[], str] = lambda: "openai",
        *,
        fine_tuning: FineTuningService | None = None,
        counter: TokenCounter | None = None,
        vector_stores: VectorStoresService | None = None,
        try_in_chat: Callable[[str], None] | None = None,
        compare_models: Callable[[list[str]], str] | None = None,
        history: HistoryStore | None = None,
        today: Callable[[], date] = date.today,
        page_size: int = 100,
        backoff: Backoff | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(view, parent)
        self.view: PlatformTab = view
        self.files = files
        self.runner = runner
        self.today = today
        self.page_size = page_size
        self.batches = BatchesPart(
            view.batches, batches, runner, pricer, provider_id, counter=counter, backoff=backoff,
            parent=self,
        )  # fmt: skip
        self.fine_tuning: FineTuningPart | None = None
        if fine_tuning is not None and counter is not None:
            self.fine_tuning = FineTuningPart(
                view.add_fine_tuning(), fine_tuning, files, runner, counter,
                try_in_chat=try_in_chat, compare_models=compare_models, history=history,
                backoff=backoff, parent=self,
            )  # fmt: skip
        self.vector_stores: VectorStoresPart | None = None
        if vector_stores is not None:
            self.vector_stores = VectorStoresPart(
                view.add_vector_stores(), vector_stores, files, runner,
                view.files.selected_files, view.files.loaded_names, backoff=backoff, parent=self,
            )  # fmt: skip
        self._generation = 0
        self._profile: Any = None
        page = view.files
        page.reload_requested.connect(self.reload_files)
        page.more_wanted.connect(self.load_more_files)
        page.upload_clicked.connect(self.upload_chosen)
        page.files_dropped.connect(self.upload_paths)
        page.resume_clicked.connect(self.resume_upload)
        page.pause_clicked.connect(self.pause_upload)
        page.preview_requested.connect(self.preview)
        page.download_clicked.connect(self.download)
        page.delete_confirmed.connect(self.delete)
        self.batches.listed.connect(self._show_usage)
        if self.fine_tuning is not None:
            self.fine_tuning.listed.connect(self._show_usage)
        self.reload_files()
        self.runner.start_blocking(
            self.files.journal.pending, group=FILE_GROUP, on_result=self._show_pending
        )
        self.batches.reload()
        if self.fine_tuning is not None:
            self.fine_tuning.reload()
        if self.vector_stores is not None:
            self.vector_stores.reload()

    # -- hooks ---------------------------------------------------------------------------------

    def show_models(self, snapshot: CatalogSnapshot | None) -> None:
        # Badges, tooltips and retired models hidden unless "Show retired" (ui/common/model_picker).
        self.batches.models = snapshot.ids(ModelKind.CHAT) if snapshot else []
        picker = snapshot.picker(ModelKind.CHAT, self.today()) if snapshot else None
        choices = list(picker.choices) if picker is not None else []
        default = picker.default.model if picker is not None and picker.default else ""
        self.view.batches.set_models(choices, default)
        if self.view.fine_tuning is not None:
            self.view.fine_tuning.set_models(choices, default)

    def restore_state(self, state: dict[str, Any]) -> None:
        draft = state.get("batch_draft")
        if isinstance(draft, dict):
            self.batches.restore_draft(draft)

    def save_state(self) -> dict[str, Any]:
        # What is still running is followed from the next start-up (ui/platform/watch_controller.py).
        jobs = self.fine_tuning.page.running_jobs() if self.fine_tuning is not None else []
        return {
            "batch_draft": self.batches.draft_state(),
            "following": {
                "batches": [b.id for b in self.batches.page.running_batches()],
                "jobs": [j.id for j in jobs],
            },
        }

    def shutdown(self) -> None:
        self.batches.shutdown()
        if self.fine_tuning is not None:
            self.fine_tuning.shutdown()
        if self.vector_stores is not None:
            self.vector_stores.shutdown()

    def apply_settings(self, settings: Settings) -> None:
        """Another provider or key means another organisation's files: load them again."""
        profile = settings.profile()
        if self._profile is not None and profile != self._profile:
            self.reload_files()
        self._profile = profile

    def _show_usage(self) -> None:
        """Which listed batch or job uses which file, for the Files page (where the app knows)."""
        usage: dict[str, list[str]] = {}
        for batch in self.view.batches.all_batches():
            name = batch.name or "a batch"
            state = batch.status_text.split(" (")[0].lower()
            for file_id, role in (
                (batch.input_file_id, "input"),
                (batch.output_file_id, "results"),
                (batch.error_file_id, "errors"),
            ):
                if file_id:
                    usage.setdefault(file_id, []).append(f"{role} of the batch {name} ({state})")
        if self.view.fine_tuning is not None:
            for job in self.view.fine_tuning.jobs:
                name = job.suffix or job.model
                state = job.status_text.lower()
                for file_id, role in (
                    (job.training_file, "training"),
                    (job.validation_file, "validation"),
                ):
                    if file_id:
                        usage.setdefault(file_id, []).append(
                            f"{role} file of the fine-tuning job {name} ({state})"
                        )
        self.view.files.set_usage(usage)

    # -- the list ------------------------------------------------------------------------------

    def reload_files(self) -> None:
        self._generation += 1
        self.runner.cancel(LIST_GROUP)
        self.view.files.restart_list()
        self._fetch(None)

    def show_file_page(self, page: FilePage) -> None:
        """Shows `page` as the whole list, dropping any load in flight (screenshot samples)."""
        self._generation += 1
        self.runner.cancel(LIST_GROUP)
        self.view.files.restart_list()
        self.view.files.append_page(page)

    def load_more_files(self) -> None:
        self._fetch(self.view.files.last_id())

    def _fetch(self, after: str | None) -> None:
        generation = self._generation
        page = self.view.files

        def done(result: FilePage) -> None:
            if generation == self._generation:
                page.append_page(result)

        def failed(error: AppError) -> None:
            if generation == self._generation:
                page.list_failed(error)

        self.runner.start(
            self.files.list_page(purpose=page.purpose(), after=after, limit=self.page_size),
            group=LIST_GROUP,
            on_result=done,
            on_error=failed,
        )

    # -- uploads -------------------------------------------------------------------------------

    def ask_upload_paths(self) -> list[str]:
        paths, _ = QFileDialog.getOpenFileNames(self.view, "Upload files", "", "All files (*)")
        return list(paths)

    def upload_chosen(self) -> None:
        paths = self.ask_upload_paths()
        if paths:
            self.upload_paths(paths)

    def upload_paths(self, paths: list[str], purpose: str = "") -> None:
        page = self.view.files
        purpose = purpose or page.upload_as()
        page.set_uploading(True)
        page.set_info(f"Uploading {len(paths)} file{'s' if len(paths) != 1 else ''}…")

        def finished(result: tuple[list[FileInfo], list[AppError]]) -> None:
            uploaded, errors = result
            page.set_uploading(False)
            page.set_upload_progress(0, 0)
            if errors:
                page.show_error(errors[0])
            elif uploaded:
                names = ", ".join(f.name for f in uploaded)
                page.set_info(f"Uploaded {names} as {purpose_name(purpose)}.")
            self.runner.start_blocking(
                self.files.journal.pending, group=FILE_GROUP, on_result=self._show_pending
            )

        def failed(error: AppError) -> None:
            page.set_uploading(False)
            page.set_upload_progress(0, 0)
            page.show_error(error)

        self.runner.start(
            self._upload_all([Path(p) for p in paths], purpose),
            group=UPLOAD_GROUP,
            on_result=finished,
            on_error=failed,
            on_cancel=self._paused,
        )

    def pause_upload(self) -> None:
        """Stops the running upload; the parts sent are in the journal, so Resume goes on."""
        self.runner.cancel(UPLOAD_GROUP)

    def _paused(self) -> None:
        page = self.view.files
        page.set_uploading(False)
        page.set_upload_progress(0, 0)
        page.set_info(
            "Upload paused. The parts already sent are kept for an hour: Resume upload sends "
            "the rest."
        )
        self.runner.start_blocking(
            self.files.journal.pending, group=FILE_GROUP, on_result=self._show_pending
        )

    async def _upload_all(
        self, paths: list[Path], purpose: str
    ) -> tuple[list[FileInfo], list[AppError]]:
        """Upload one file after another; a file that fails its check or its upload is reported
        and the others still go."""
        page = self.view.files
        uploaded: list[FileInfo] = []
        errors: list[AppError] = []
        for path in paths:
            try:
                plan = await self.runner.run_blocking(self.files.plan, path, purpose)
                if plan.in_parts:
                    page.set_upload_progress(0, plan.size)
                info = await self.files.upload(plan, page.set_upload_progress)
            except AppError as error:
                errors.append(error)
                continue
            uploaded.append(info)
            page.add_file(info)
        return uploaded, errors

    def _show_pending(self, pending: list[Any]) -> None:
        self._pending = pending[0] if pending else None
        self.view.files.set_resumable(Path(self._pending.path).name if self._pending else "")

    def resume_upload(self) -> None:
        pending = getattr(self, "_pending", None)
        if pending is not None:
            self.upload_paths([pending.path], pending.purpose)

    # -- one file ------------------------------------------------------------------------------

    def preview(self, info: FileInfo) -> None:
        page = self.view.files
        page.set_info(f"Reading {info.name}…")

        def shown(preview: Any) -> None:
            page.show_preview(info, preview)
            page.set_info("")

        self.runner.start(
            self.files.preview(info), group=FILE_GROUP, on_result=shown, on_error=page.show_error
        )

    def ask_save_path(self, suggested: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self.view, "Download file", suggested)
        return path

    def download(self, info: FileInfo) -> None:
        target = self.ask_save_path(info.name)
        if not target:
            return
        page = self.view.files
        page.set_info(f"Downloading {info.name}…")

        async def fetch() -> Path:
            data = await self.files.content(info.id)
            await self.runner.run_blocking(Path(target).write_bytes, data)
            return Path(target)

        self.runner.start(
            fetch(),
            group=FILE_GROUP,
            on_result=lambda path: page.set_info(f"Saved {info.name} to {path}."),
            on_error=page.show_error,
        )

    def delete(self, file_ids: list[str]) -> None:
        page = self.view.files
        page.set_info("Deleting…")

        def deleted(ids: list[str]) -> None:
            page.remove_files(set(ids))
            page.set_info(f"Deleted {len(ids)} file{'s' if len(ids) != 1 else ''}.")

        def failed(error: AppError) -> None:
            page.show_error(error)
            self.reload_files()  # some may be gone: show what the server holds now

        self.runner.start(
            self.files.delete(file_ids), group=FILE_GROUP, on_result=deleted, on_error=failed
        )
