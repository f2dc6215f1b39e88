"""The Fine-tuning page's part of the Platform controller: the Dataset doctor (offline, in a
worker thread), starting a job (upload, then create; the provider's refusal shown in plain words),
and following jobs (polled with back-off, paused while the window is hidden), events, cancel."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog

from playground.core.api.capabilities import capabilities
from playground.core.api.errors import AppError
from playground.core.money.formatting import format_cost
from playground.core.money.tokens import TokenCounter
from playground.core.platform.batches import Backoff
from playground.core.platform.dataset import (
    DatasetReport,
    apply_fixes,
    check_dataset,
    split_dataset,
    training_cost,
)
from playground.core.platform.files import FilesService
from playground.core.platform.fine_tuning import (
    Checkpoint,
    FineTuningService,
    JobEvent,
    JobInfo,
    JobRequest,
    StepMetrics,
)
from playground.core.platform.from_chat import AnswerTurn, answer_turns, build_dataset
from playground.core.storage.history import ConversationSummary, HistoryStore
from playground.ui.platform.fine_tuning_page import FineTuningPage
from playground.ui.platform.from_chat_dialog import FromChatDialog
from playground.ui.platform.polling_controller import PollingPart
from playground.ui.shell.bridge import TaskRunner

DOCTOR_GROUP = "platform-doctor"
JOBS_GROUP = "platform-jobs"
JOBS_POLL_GROUP = "platform-jobs-poll"


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise AppError.local(
            "Cannot read the file",
            f"{Path(path).name} could not be opened ({exc.strerror}).",
            "Check that it still exists.",
        ) from exc


def _method_mismatch(found: str, chosen: str) -> tuple[str, str] | None:
    """(what is wrong, what to do) when the checked file's examples do not suit the method."""
    if found == chosen:
        return None
    if chosen == "dpo":
        return (
            "Preference training (DPO) needs every example to be a pair: the conversation, a "
            "better answer and a worse one.",
            "Choose Supervised, or open a file of preference pairs.",
        )
    if found == "dpo":
        return (
            "The file holds preference pairs (a better and a worse answer), which supervised "
            "training cannot use.",
            "Choose Preference (DPO) as the method.",
        )
    return (
        "The file mixes preference pairs with ordinary examples.",
        "Keep one kind of example per file.",
    )


def dialog_error(dialog: FromChatDialog) -> Callable[[AppError], None]:
    """Shows an error in the dialog's summary line, in plain words with what to do."""
    return lambda error: dialog.set_info(f"{error.title}. {error.message} {error.hint}".strip())


class FineTuningPart(PollingPart):
    """Drives the Fine-tuning page (see the module docstring).

    Args:
        training_price: the training price per million tokens of a base model, or None when
            the price data has none (the estimate then shows "—").
        try_in_chat: puts a fine-tuned model into Chat and shows it (None: no such button).
        compare_models: shows Compare with a fine-tuned model next to its base model; returns
            what to tell the user (None: no such button).
        history: the saved Chat conversations, for "From Chat conversations…" (None: no such
            button).

    Signals:
        listed: the jobs shown changed.
    """

    listed = Signal()

    def __init__(
        self,
        page: FineTuningPage,
        service: FineTuningService,
        files: FilesService,
        runner: TaskRunner,
        counter: TokenCounter,
        *,
        training_price: Callable[[str], Decimal | None] = lambda _model: None,
        try_in_chat: Callable[[str], None] | None = None,
        compare_models: Callable[[list[str]], str] | None = None,
        history: HistoryStore | None = None,
        backoff: Backoff | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(page, backoff, parent)
        self.page = page
        self.service = service
        self.files = files
        self.runner = runner
        self.counter = counter
        self.training_price = training_price
        self.report: DatasetReport | None = None
        page.open_training_clicked.connect(self.open_training)
        page.open_validation_clicked.connect(self.open_validation)
        page.check_requested.connect(lambda: self.check())
        page.fix_clicked.connect(self.save_fixed)
        page.split_clicked.connect(self.save_split)
        page.start_job_requested.connect(self.start_job)
        page.cancel_job_requested.connect(self.cancel)
        page.job_selected.connect(self.show_events)
        page.refresh_requested.connect(self.reload)
        if try_in_chat is not None:
            page.try_in_chat_requested.connect(try_in_chat)
        page.set_try_in_chat_available(try_in_chat is not None)
        self.compare_models = compare_models
        page.compare_requested.connect(self.compare_with_base)
        page.set_compare_available(compare_models is not None)
        self.history = history
        self.from_chat_dialog: FromChatDialog | None = None
        page.from_chat_clicked.connect(self.open_from_chat)
        page.set_from_chat_available(history is not None)

    # -- the doctor ----------------------------------------------------------------------------

    def ask_open_path(self, title: str) -> str:
        path, _ = QFileDialog.getOpenFileName(
            self.page, title, "", "Chat examples (*.jsonl);;All files (*)"
        )
        return path

    def ask_save_path(self, title: str, suggested: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self.page, title, suggested, "JSONL (*.jsonl)")
        return path

    def open_training(self) -> None:
        path = self.ask_open_path("Open the training file")
        if path:
            self.report = None
            self.page.set_files(path, "")

    def open_validation(self) -> None:
        training, _validation = self.page.files()
        path = self.ask_open_path("Open the validation file")
        if path:
            self.report = None
            self.page.set_files(training, path)

    def check(self, note: str = "") -> None:
        """Check the chosen files in a worker thread; `note` is shown when the check is done."""
        training, validation = self.page.files()
        model = self.page.base_model()
        epochs = self.page.epochs_value()
        counter = self.counter

        def run() -> DatasetReport:
            data = _read(training)
            other = _read(validation) if validation else None
            window = capabilities(model).context_window if model else None
            return check_dataset(
                data,
                lambda text: counter.count(text, model or "gpt-4o-mini"),
                validation=other,
                context_window=window,
            )

        def done(report: DatasetReport) -> None:
            self.report = report
            self.page.show_report(report, self.summary(report, model, epochs))
            self.page.set_info(note)

        self.page.set_info("Checking every example…")
        self.runner.start_blocking(
            run, group=DOCTOR_GROUP, on_result=done, on_error=self.page.show_error
        )

    def summary(self, report: DatasetReport, model: str, epochs: int) -> str:
        """One paragraph: counts, tokens, the longest example and the cost estimate."""
        count = len(report.examples)
        parts = [f"{count:,} example{'s' if count != 1 else ''}"]
        if report.validation_examples:
            parts.append(f"{report.validation_examples:,} for validation")
        parts.append(f"≈{report.total_tokens:,} tokens")
        longest = report.longest
        if longest is not None:
            parts.append(f"longest ≈{longest.tokens:,} (line {longest.line})")
        text = " · ".join(parts) + "."
        errors = len(report.errors)
        if errors:
            text += f" {errors:,} problem{'s' if errors != 1 else ''} to fix before uploading."
        else:
            text += " Ready to upload."
        price = self.training_price(model) if model else None
        cost = training_cost(report.total_tokens, epochs, price)
        if cost is None:
            text += (
                f" Training cost: — (the price data has no training price for "
                f"{model or 'this model'})."
            )
        else:
            text += f" Training cost ≈{format_cost(cost)} ({epochs} epochs)."
        return text

    # -- from Chat -----------------------------------------------------------------------------

    def open_from_chat(self) -> FromChatDialog | None:
        """The dialog that builds a training file from saved Chat conversations."""
        history = self.history
        if history is None:
            return None
        dialog = self.from_chat_dialog
        if dialog is None:
            dialog = self.from_chat_dialog = FromChatDialog(self.page)
            dialog.conversation_opened.connect(self._show_turns)
            dialog.build_requested.connect(self.build_from_chat)

        def listed(conversations: list[ConversationSummary]) -> None:
            if self.from_chat_dialog is not None:
                self.from_chat_dialog.set_conversations(conversations)

        self.runner.start_blocking(
            lambda: history.list(limit=1000),
            group=DOCTOR_GROUP,
            on_result=listed,
            on_error=dialog_error(dialog),
        )
        dialog.show()
        return dialog

    def _show_turns(self, conversation_id: str) -> None:
        history, dialog = self.history, self.from_chat_dialog
        if history is None or dialog is None:
            return

        def read() -> list[AnswerTurn]:
            return answer_turns(history.load(conversation_id))

        self.runner.start_blocking(
            read,
            group=DOCTOR_GROUP,
            on_result=lambda turns: dialog.show_turns(conversation_id, turns),
            on_error=dialog_error(dialog),
        )

    def build_from_chat(self) -> None:
        history, dialog = self.history, self.from_chat_dialog
        if history is None or dialog is None:
            return
        picked = dialog.picked()
        target = self.ask_save_path("Save the dataset", "chat-examples.jsonl")
        if not picked or not target:
            return

        def build() -> int:
            chosen = []
            for conversation_id, off in picked:
                conversation = history.load(conversation_id)
                answers = [t.index for t in answer_turns(conversation) if t.index not in off]
                chosen.append((conversation, answers))
            data = build_dataset(chosen)
            if not data:
                raise AppError.local(
                    "Nothing to save",
                    "The ticked conversations have no ticked answers.",
                    "Tick at least one answer.",
                )
            Path(target).write_bytes(data)
            return data.count(b"\n")

        def built(count: int) -> None:
            dialog.accept()
            self.report = None
            self.page.set_files(target, "")
            self.check(
                note=f"Built {count:,} example{'s' if count != 1 else ''} from "
                f"{len(picked)} conversation{'s' if len(picked) != 1 else ''} into {target}."
            )

        self.runner.start_blocking(
            build, group=DOCTOR_GROUP, on_result=built, on_error=dialog_error(dialog)
        )

    def save_fixed(self) -> None:
        training, _validation = self.page.files()
        target = self.ask_save_path(
            "Save the fixed copy", str(Path(training).with_suffix("")) + "-fixed.jsonl"
        )
        if not target:
            return

        def write() -> None:
            Path(target).write_bytes(apply_fixes(_read(training)))

        self.runner.start_blocking(
            write,
            group=DOCTOR_GROUP,
            on_result=lambda _r: self._after_fix(target),
            on_error=self.page.show_error,
        )

    def _after_fix(self, target: str) -> None:
        _training, validation = self.page.files()
        self.page.set_files(target, validation)
        self.check(note=f"Saved the fixed copy to {target}; it is now the training file.")

    def save_split(self) -> None:
        report = self.report
        if report is None:
            return
        training, _validation = self.page.files()
        target = self.ask_save_path(
            "Save the training part", str(Path(training).with_suffix("")) + "-train.jsonl"
        )
        if not target:
            return
        train_path = Path(target)
        validation_path = train_path.with_name(
            train_path.stem.removesuffix("-train") + "-validation.jsonl"
        )
        split = split_dataset(report)

        def write() -> None:
            train_path.write_bytes(split.train)
            validation_path.write_bytes(split.validation)

        def done(_r: object) -> None:
            self.page.set_files(str(train_path), str(validation_path))
            self.page.set_info(
                f"Saved {split.train_count:,} examples for training and "
                f"{split.validation_count:,} for validation."
            )

        self.runner.start_blocking(
            write, group=DOCTOR_GROUP, on_result=done, on_error=self.page.show_error
        )

    # -- jobs ----------------------------------------------------------------------------------

    def start_job(self) -> None:
        report = self.report
        if report is None or not report.ok:
            return
        training, validation = self.page.files()
        model = self.page.base_model()
        options = self.page.job_options()
        page = self.page
        wrong = _method_mismatch(report.method, options["method"])
        if wrong:
            page.show_error(AppError.local("The file does not fit the method", *wrong))
            return

        async def run() -> JobInfo:
            ids: list[str] = []
            for path in (training, validation):
                if path:
                    plan = await self.runner.run_blocking(self.files.plan, Path(path), "fine-tune")
                    ids.append((await self.files.upload(plan)).id)
            request = JobRequest(model, ids[0], ids[1] if len(ids) > 1 else "", **options)
            return await self.service.create(request)

        def started(job: JobInfo) -> None:
            page.set_starting(False)
            page.update_job(job)
            self.listed.emit()
            page.select_job(job.id)
            page.set_info("The job started. Its status is checked every few seconds.")
            self._poll_soon(changed=True)

        def failed(error: AppError) -> None:
            page.set_starting(False)
            page.show_error(error)

        page.set_starting(True)
        page.set_info("Uploading the examples and starting the job…")
        self.runner.start(run(), group=JOBS_GROUP, on_result=started, on_error=failed)

    def reload(self) -> None:
        def listed(jobs: list[JobInfo]) -> None:
            self.page.set_jobs(jobs)
            self.listed.emit()
            self._poll_soon(changed=True)

        self.runner.start(
            self.service.list_jobs(),
            group=JOBS_GROUP,
            on_result=listed,
            on_error=self.page.show_error,
        )

    def show_events(self, job: JobInfo) -> None:
        def shown(events: list[JobEvent]) -> None:
            current = self.page.selected_job()
            if current is not None and current.id == job.id:
                self.page.show_events(current, events)

        self.runner.start(
            self.service.events(job.id),
            group=JOBS_POLL_GROUP,
            on_result=shown,
            on_error=self.page.show_error,
        )
        self.page.show_checkpoints([])
        if job.result_files:
            # The result file has every step's losses (the events may have been trimmed).
            def measured(metrics: StepMetrics) -> None:
                current = self.page.selected_job()
                if metrics and current is not None and current.id == job.id:
                    self.page.show_metrics(metrics, "the job’s result file")

            self.runner.start(
                self.service.result_metrics(job),
                group=JOBS_POLL_GROUP,
                on_result=measured,
                on_error=self.page.show_error,
            )
        if job.status == "succeeded":

            def listed(checkpoints: list[Checkpoint]) -> None:
                current = self.page.selected_job()
                if current is not None and current.id == job.id:
                    self.page.show_checkpoints(checkpoints)

            self.runner.start(
                self.service.checkpoints(job.id),
                group=JOBS_POLL_GROUP,
                on_result=listed,
                on_error=self.page.show_error,
            )

    def compare_with_base(self, job: JobInfo) -> None:
        """Compare: the fine-tuned model next to the model it was trained from."""
        if self.compare_models is None or not job.fine_tuned_model:
            return
        said = self.compare_models([job.fine_tuned_model, job.model])
        if said:
            self.page.set_info(said)

    def cancel(self, job: JobInfo) -> None:
        def cancelled(updated: JobInfo) -> None:
            self.page.update_job(updated)
            self.listed.emit()
            self.page.set_info(f"{updated.status_text}.")
            self.show_events(updated)

        self.runner.start(
            self.service.cancel(job.id),
            group=JOBS_GROUP,
            on_result=cancelled,
            on_error=self.page.show_error,
        )

    def _poll_soon(self, *, changed: bool) -> None:
        if not self.page.running_jobs():
            self.timer.stop()
            return
        self.poll_soon(changed=changed)

    def poll(self) -> None:
        running = self.page.running_jobs()
        if not running:
            return
        if not self.window_shown():
            self.poll_later()
            return
        before = {j.id: j for j in running}

        def looked(jobs: list[JobInfo]) -> None:
            changed = False
            for job in jobs:
                changed = changed or job != before.get(job.id)
                self.page.update_job(job)
            selected = self.page.selected_job()
            if changed:
                self.listed.emit()
            if changed and selected is not None:
                self.show_events(selected)
            self._poll_soon(changed=changed)

        def failed(error: AppError) -> None:
            delay = self.poll_after_failure(error)
            self.page.set_info(
                f"Could not check the jobs ({error.title.lower()}); trying again in "
                f"{delay:.0f} s. Nothing is lost."
            )

        self.runner.start(
            self.service.refresh([j.id for j in running]),
            group=JOBS_POLL_GROUP,
            on_result=looked,
            on_error=failed,
        )
