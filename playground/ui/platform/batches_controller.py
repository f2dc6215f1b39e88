"""The Batches page's part of the Platform controller: check, start, follow (polling with
back-off, paused while the window is hidden or minimised), cancel, results and export.

A desktop app gets no webhooks, so running batches are looked at on a timer: every `first`
seconds while they move, less often while nothing changes, later still after a failed look
(`core/platform/batches.Backoff`). Nothing is lost on a failed look: the list keeps what it last
knew and the next look comes later.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog

from playground.core.api.errors import AppError
from playground.core.money.formatting import format_cost
from playground.core.money.pricing import Pricer
from playground.core.money.tokens import TokenCounter
from playground.core.platform.batches import (
    Backoff,
    BatchCheck,
    BatchesService,
    BatchInfo,
    ResultRow,
    batch_costs,
    check_batch_file,
    input_estimate,
    prompts_to_jsonl,
    results_csv,
    results_jsonl,
)
from playground.ui.platform.batches_page import BatchDraft, BatchesPage
from playground.ui.platform.polling_controller import PollingPart
from playground.ui.shell.bridge import TaskRunner

CHECK_GROUP = "platform-batch-check"
BATCH_GROUP = "platform-batches"
POLL_GROUP = "platform-batches-poll"


class BatchesPart(PollingPart):
    """Drives the Batches page (see the module docstring).

    Signals:
        listed: the batches shown changed (new, listed again, or a status came in).
    """

    listed = Signal()

    def __init__(
        self,
        page: BatchesPage,
        service: BatchesService,
        runner: TaskRunner,
        pricer: Pricer,
        provider_id: Callable[[], str],
        *,
        counter: TokenCounter | None = None,
        backoff: Backoff | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(page, backoff, parent)
        self.page = page
        self.counter = counter
        self.service = service
        self.runner = runner
        self.pricer = pricer
        self.provider_id = provider_id
        self.models: list[str] = []
        self._checked: tuple[str, bytes, BatchCheck] | None = None
        self._results: list[ResultRow] = []
        self._shown: BatchInfo | None = None
        page.check_requested.connect(self.check)
        page.start_requested.connect(self.start)
        page.open_file_clicked.connect(self.open_file)
        page.refresh_requested.connect(self.reload)
        page.more_requested.connect(self.load_more)
        page.cancel_requested.connect(self.cancel)
        page.results_requested.connect(self.show_results)
        page.export_clicked.connect(self.export)
        page.draft_changed.connect(self._forget_check)

    # -- building and checking -----------------------------------------------------------------

    def ask_open_path(self) -> str:
        path, _ = QFileDialog.getOpenFileName(
            self.page, "Open a batch input file", "", "Batch files (*.jsonl);;All files (*)"
        )
        return path

    def open_file(self) -> None:
        path = self.ask_open_path()
        if path:
            self.page.set_path(path)

    def check(self, draft: BatchDraft) -> None:
        page = self.page
        models = list(self.models)

        counter = self.counter
        pricer = self.pricer
        provider = self.provider_id()

        def estimate(data: bytes) -> str:
            check = check_batch_file(data)
            if counter is None or not check.requests:
                return ""
            tokens, costs = input_estimate(check.requests, counter.count, pricer, provider)
            return (
                f"Input ≈{tokens:,} tokens: ≈{format_cost(costs.batch)} at the batch price "
                f"(≈{format_cost(costs.live)} live); the answers are charged on top."
            )

        def build() -> tuple[str, bytes, BatchCheck, str]:
            if draft.source == "file":
                if not draft.path:
                    raise AppError.local(
                        "No file chosen", "Open a JSONL file first.", "Click Open JSONL file…."
                    )
                path = Path(draft.path)
                try:
                    data = path.read_bytes()
                except OSError as exc:
                    raise AppError.local(
                        "Cannot read the file",
                        f"{path.name} could not be opened ({exc.strerror}).",
                        "Check that it still exists.",
                    ) from exc
                return path.name, data, check_batch_file(data, models=models), estimate(data)
            assert draft.params is not None
            if not draft.params.model:
                raise AppError.local(
                    "No model", "Choose the model every prompt is sent to.", ""
                )  # fmt: skip
            data = prompts_to_jsonl(draft.prompts.splitlines(), draft.params)
            return "prompt-list.jsonl", data, check_batch_file(data, models=models), estimate(data)

        def done(result: tuple[str, bytes, BatchCheck, str]) -> None:
            self._checked = result[:3]
            page.show_check(result[2], estimate=result[3] if result[2].ok else "")
            page.set_info("")

        page.set_info("Checking…")
        self.runner.start_blocking(
            build, group=CHECK_GROUP, on_result=done, on_error=page.show_error
        )

    def _forget_check(self) -> None:
        self._checked = None

    def start(self) -> None:
        checked = self._checked
        if checked is None or not checked[2].ok:
            return
        name, data, check = checked
        page = self.page
        page.set_starting(True)
        page.set_info(f"Uploading {len(check.requests):,} requests and starting the batch…")

        def started(info: BatchInfo) -> None:
            page.set_starting(False)
            page.update_batch(info)
            self.listed.emit()
            page.select_batch(info.id)
            page.set_info(f"Batch started: {len(check.requests):,} requests.")
            self._poll_soon(changed=True)

        def failed(error: AppError) -> None:
            page.set_starting(False)
            page.show_check(check)  # the draft and its check stay: try again
            page.show_error(error)

        self.runner.start(
            self.service.create(name, data, check),
            group=BATCH_GROUP,
            on_result=started,
            on_error=failed,
        )

    # -- the list and polling ------------------------------------------------------------------

    def reload(self) -> None:
        def listed(result: tuple[list[BatchInfo], bool]) -> None:
            batches, more = result
            self.page.set_batches(batches, more=more)
            self.listed.emit()
            self.page.set_info("")
            self._poll_soon(changed=True)

        self.runner.start(
            self.service.list_page(),
            group=BATCH_GROUP,
            on_result=listed,
            on_error=self.page.show_error,
        )

    def load_more(self) -> None:
        known = self.page.all_batches()
        if not known:
            return

        def listed(result: tuple[list[BatchInfo], bool]) -> None:
            batches, more = result
            self.page.add_batches(batches, more=more)
            self.listed.emit()
            self._poll_soon(changed=True)

        self.runner.start(
            self.service.list_page(after=known[-1].id),
            group=BATCH_GROUP,
            on_result=listed,
            on_error=self.page.show_error,
        )

    def _poll_soon(self, *, changed: bool) -> None:
        running = self.page.running_batches()
        if not running:
            self.timer.stop()
            self.page.set_poll_note("")
            return
        self.poll_soon(changed=changed)

    def poll(self) -> None:
        running = self.page.running_batches()
        if not running:
            return
        if not self.window_shown():
            self.poll_later()
            return
        before = {b.id: b for b in running}

        def looked(batches: list[BatchInfo]) -> None:
            changed = False
            for info in batches:
                changed = changed or info != before.get(info.id)
                self.page.update_batch(info)
                if info.status in ("failed", "expired") and before[info.id].status != info.status:
                    self.page.set_info(_ended_text(info))
            self.page.set_poll_note("")
            if changed:
                self.listed.emit()
            self._poll_soon(changed=changed)

        def failed(error: AppError) -> None:
            delay = self.poll_after_failure(error)
            self.page.set_poll_note(
                f"Could not check the status ({error.title.lower()}); trying again in "
                f"{delay:.0f} s. Nothing is lost."
            )

        self.runner.start(
            self.service.refresh([b.id for b in running]),
            group=POLL_GROUP,
            on_result=looked,
            on_error=failed,
        )

    def cancel(self, info: BatchInfo) -> None:
        def cancelled(updated: BatchInfo) -> None:
            self.page.update_batch(updated)
            self.listed.emit()
            self.page.set_info(f"{updated.status_text}.")
            self._poll_soon(changed=True)

        self.runner.start(
            self.service.cancel(info.id),
            group=BATCH_GROUP,
            on_result=cancelled,
            on_error=self.page.show_error,
        )

    # -- results -------------------------------------------------------------------------------

    def show_results(self, info: BatchInfo) -> None:
        def shown(rows: list[ResultRow]) -> None:
            self._results = rows
            self._shown = info
            costs = batch_costs(rows, self.pricer, self.provider_id())
            if costs.requests:
                text = (
                    f"Cost at the batch price: {format_cost(costs.batch)} "
                    f"(the same requests live: {format_cost(costs.live)})"
                )
            else:
                text = "No request was answered, so nothing was charged."
            self.page.show_results_rows(info, rows, text)
            self.page.set_info("")

        self.page.set_info("Reading the results…")
        self.runner.start(
            self.service.results(info),
            group=BATCH_GROUP,
            on_result=shown,
            on_error=self.page.show_error,
        )

    def ask_save_path(self, suggested: str, filter_: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self.page, "Export results", suggested, filter_)
        return path

    def export(self, kind: str) -> None:
        if not self._results:
            return
        name = (self._shown.name if self._shown else "") or "batch"
        stem = Path(name).stem + "-results"
        filter_ = "CSV (*.csv)" if kind == "csv" else "JSONL (*.jsonl)"
        target = self.ask_save_path(f"{stem}.{kind}", filter_)
        if not target:
            return
        text = results_csv(self._results) if kind == "csv" else results_jsonl(self._results)

        def write() -> None:
            Path(target).write_text(text, encoding="utf-8")

        self.runner.start_blocking(
            write,
            group=BATCH_GROUP,
            on_result=lambda _r: self.page.set_info(f"Saved the results to {target}."),
            on_error=self.page.show_error,
        )

    def draft_state(self) -> dict[str, Any]:
        return self.page.saved_draft()

    def restore_draft(self, state: dict[str, Any]) -> None:
        self.page.set_draft(
            str(state.get("prompts", "")),
            str(state.get("system", "")),
            str(state.get("model", "")),
            int(state.get("max_tokens", 0) or 0),
        )


def _ended_text(info: BatchInfo) -> str:
    """What to tell the user when a batch failed or expired, with the API's reasons."""
    name = info.name or "The batch"
    if info.status == "failed":
        reasons = " ".join(info.errors) or "The server gave no reason."
        return f"{name} failed: {reasons} Fix the file and start it again; nothing was charged."
    return (
        f"{name} expired: {info.completed:,} of {info.total:,} requests were answered within 24 h. "
        "Show results to see them; the rest are listed with the reason."
    )
