"""The Fine-tuning page of the Platform tab: the Dataset doctor (offline) and the jobs.

No network code: the page emits what the user asked for and shows what the controller gives it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from playground.core.api.errors import AppError
from playground.core.api.retirements import ModelChoice
from playground.core.platform.dataset import DatasetReport
from playground.core.platform.fine_tuning import (
    Checkpoint,
    JobEvent,
    JobInfo,
    StepMetrics,
    event_metrics,
)
from playground.ui.common.model_picker import ModelCombo, picker_field
from playground.ui.common.widgets import named, wrapped_label
from playground.ui.platform.charts import LengthHistogram, LossChart
from playground.ui.platform.widgets import (
    button_row,
    list_header,
    select_row_of,
    selected_of,
    show_error,
    show_info,
    status_line,
    two_panes_and_status,
    upsert,
)

JOB_COLUMNS = ("Status", "Base model", "Fine-tuned model", "Created")


def _pair(first: QWidget, label: str, second: QWidget) -> QWidget:
    """Two fields on one form row: `first`, then `label` and `second`."""
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(first, 1)
    layout.addWidget(QLabel(label))
    layout.addWidget(second, 1)
    return row


class FineTuningPage(QWidget):
    """The Fine-tuning page.

    Signals:
        open_training_clicked: pick the training file.
        open_validation_clicked: pick the validation file (optional).
        check_requested: check the chosen files.
        fix_clicked: save a copy with the obvious fixes made.
        split_clicked: save a train/validation split of the training file.
        start_job_requested: upload the checked files and start a job.
        cancel_job_requested: cancel a job. arg: its `JobInfo`.
        job_selected: show a job's events. arg: its `JobInfo`.
        refresh_requested: list the jobs again.
        try_in_chat_requested: open a fine-tuned model in Chat. arg: the model's name.
        from_chat_clicked: build a training file from saved Chat conversations.
        compare_requested: compare a finished job's model with its base model. arg: the `JobInfo`.
    """

    open_training_clicked = Signal()
    open_validation_clicked = Signal()
    check_requested = Signal()
    fix_clicked = Signal()
    split_clicked = Signal()
    start_job_requested = Signal()
    cancel_job_requested = Signal(object)
    job_selected = Signal(object)
    refresh_requested = Signal()
    try_in_chat_requested = Signal(str)
    compare_requested = Signal(object)
    from_chat_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("platformFineTuningPage")
        self._training = ""
        self._validation = ""
        self.jobs: list[JobInfo] = []

        # -- the doctor ----------------------------------------------------------------------------
        self.training_button = named(
            QPushButton("Open training file…"), "doctorOpenTraining", "Open the training file"
        )
        self.training_button.clicked.connect(self.open_training_clicked)
        self.validation_button = named(
            QPushButton("Validation file…"),
            "doctorOpenValidation",
            "Open a validation file (optional)",
        )
        self.validation_button.clicked.connect(self.open_validation_clicked)
        self.files_label = wrapped_label("doctorFiles", "No file chosen.")
        self.model_combo = named(ModelCombo(), "fineTuneModel", "Base model")
        self.epochs = named(QSpinBox(), "fineTuneEpochs", "Epochs")
        self.epochs.setRange(1, 50)
        self.epochs.setValue(3)
        self.suffix = named(QLineEdit(), "fineTuneSuffix", "Name suffix for the new model")
        self.suffix.setPlaceholderText("e.g. support-bot")
        self.suffix.setMaxLength(64)
        self.method_combo = named(QComboBox(), "fineTuneMethod", "Training method")
        self.method_combo.addItem("Supervised (examples of good answers)", "supervised")
        self.method_combo.addItem("Preference (DPO: a better and a worse answer)", "dpo")
        self.method_combo.currentIndexChanged.connect(self._on_method_changed)
        self.batch_size = named(QSpinBox(), "fineTuneBatchSize", "Batch size")
        self.batch_size.setRange(0, 256)
        self.batch_size.setSpecialValueText("Automatic")
        self.learning_rate = named(
            QDoubleSpinBox(), "fineTuneLearningRate", "Learning rate multiplier"
        )
        self.learning_rate.setRange(0.0, 10.0)
        self.learning_rate.setSingleStep(0.1)
        self.learning_rate.setSpecialValueText("Automatic")
        self.beta = named(
            QDoubleSpinBox(),
            "fineTuneBeta",
            "Beta",
            "Preference training only: lower lets the model move further from the base model",
        )
        self.beta.setRange(0.0, 2.0)
        self.beta.setSingleStep(0.05)
        self.beta.setSpecialValueText("Automatic")
        self.seed = named(
            QSpinBox(), "fineTuneSeed", "Seed", "The same seed repeats the same training run"
        )
        self.seed.setRange(0, 2_147_483_647)
        self.seed.setSpecialValueText("Random")
        form = QFormLayout()
        form.addRow("Base model:", picker_field(self.model_combo))
        form.addRow("Method:", self.method_combo)
        # Two numbers a row, so the doctor keeps room for its findings at large text sizes.
        form.addRow("Epochs:", _pair(self.epochs, "Batch size:", self.batch_size))
        form.addRow("Learning rate ×:", _pair(self.learning_rate, "Seed:", self.seed))
        form.addRow("Beta:", self.beta)
        form.addRow("Name suffix:", self.suffix)
        self._form = form
        self._on_method_changed()
        self.check_button = named(QPushButton("Check"), "doctorCheck", "Check every example")
        self.check_button.clicked.connect(self.check_requested)
        self.fix_button = named(
            QPushButton("Save fixed copy…"), "doctorFix", "Save a copy with the obvious fixes"
        )
        self.fix_button.clicked.connect(self.fix_clicked)
        self.split_button = named(
            QPushButton("Split…"),
            "doctorSplit",
            "Split into training and validation files",
            "Save 80% of the examples as a training file and 20% as a validation file",
        )
        self.split_button.clicked.connect(self.split_clicked)
        doctor_buttons = button_row(self.check_button, self.fix_button, self.split_button)
        self.summary = wrapped_label("doctorSummary")
        self.findings = named(QListWidget(), "doctorFindings", "What the check found, by line")
        self.findings.setWordWrap(True)
        self.findings.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.from_chat_button = named(
            QPushButton("From Chat…"),
            "doctorFromChat",
            "Build a training file from saved Chat conversations",
            "Pick saved Chat conversations and the answers to learn from",
        )
        self.from_chat_button.clicked.connect(self.from_chat_clicked)
        open_row = button_row(self.training_button, self.from_chat_button, self.validation_button)

        doctor = QWidget()
        doctor_layout = QVBoxLayout(doctor)
        doctor_layout.setContentsMargins(0, 0, 0, 0)
        doctor_layout.addWidget(QLabel("<b>Dataset doctor</b> (works offline)"))
        doctor_layout.addLayout(open_row)
        doctor_layout.addWidget(self.files_label)
        doctor_layout.addLayout(form)
        doctor_layout.addLayout(doctor_buttons)
        doctor_layout.addWidget(self.summary)
        self.histogram = LengthHistogram()
        doctor_layout.addWidget(self.histogram)
        doctor_layout.addWidget(self.findings, 1)

        # -- the jobs ------------------------------------------------------------------------------
        self.start_button = named(
            QPushButton("Upload and start job"),
            "fineTuneStart",
            "Upload the checked files and start a fine-tuning job",
        )
        self.start_button.clicked.connect(self.start_job_requested)
        self.refresh_button = named(QPushButton("Refresh"), "fineTuneRefresh", "Refresh the jobs")
        self.refresh_button.clicked.connect(self.refresh_requested)
        self.cancel_button = named(
            QPushButton("Cancel job"), "fineTuneCancel", "Cancel the selected job"
        )
        self.cancel_button.clicked.connect(self._cancel_selected)
        jobs_buttons = list_header(
            "Jobs", self.start_button, self.refresh_button, self.cancel_button
        )
        self.try_button = named(
            QPushButton("Try in Chat"),
            "fineTuneTryInChat",
            "Open the fine-tuned model in Chat",
            "Chat with the selected job's fine-tuned model",
        )
        self.try_button.clicked.connect(self._try_selected)
        jobs_buttons.addWidget(self.try_button)
        self.compare_button = named(
            QPushButton("Compare with base model"),
            "fineTuneCompare",
            "Compare the fine-tuned model with its base model",
            "Open Compare with the fine-tuned model next to the model it was trained from",
        )
        self.compare_button.clicked.connect(self._compare_selected)
        jobs_buttons.addWidget(self.compare_button)
        self.table = named(QTableWidget(0, len(JOB_COLUMNS)), "fineTuneJobs", "Fine-tuning jobs")
        self.table.setHorizontalHeaderLabels(list(JOB_COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._on_selection)
        self.events = named(QListWidget(), "fineTuneEvents", "The selected job's events")
        self.events.setWordWrap(True)
        self.events_title = wrapped_label("fineTuneEventsTitle", "Events: pick a job.")
        jobs = QWidget()
        jobs_layout = QVBoxLayout(jobs)
        jobs_layout.setContentsMargins(0, 0, 0, 0)
        jobs_layout.addLayout(jobs_buttons)
        jobs_layout.addWidget(self.table, 2)
        jobs_layout.addWidget(self.events_title)
        self.loss = LossChart()
        self.loss_source = ""
        jobs_layout.addWidget(self.loss)
        jobs_layout.addWidget(self.events, 2)
        self.checkpoints = named(
            QListWidget(), "fineTuneCheckpoints", "The finished job's checkpoints"
        )
        self.checkpoints.setWordWrap(True)
        self.checkpoints.setMaximumHeight(90)
        self.checkpoints.setVisible(False)
        jobs_layout.addWidget(self.checkpoints)

        self.status_label = status_line("fineTuneStatus")
        two_panes_and_status(
            self, ((doctor, 1), (jobs, 1)), "fineTuneSplitter", (520, 560), self.status_label
        )
        self.main_input: QWidget = self.training_button
        self.show_report(None)
        self._update_buttons()

    # -- the doctor ----------------------------------------------------------------------------

    def set_files(self, training: str, validation: str) -> None:
        self._training, self._validation = training, validation
        text = f"Training: {training}" if training else "No file chosen."
        if validation:
            text += f"\nValidation: {validation}"
        self.files_label.setText(text)
        self.show_report(None)

    def files(self) -> tuple[str, str]:
        return self._training, self._validation

    def set_base_model(self, model: str) -> None:
        if self.model_combo.findText(model) < 0:
            self.model_combo.addItem(model)
        self.model_combo.setCurrentText(model)

    def base_model(self) -> str:
        return self.model_combo.currentText()

    def epochs_value(self) -> int:
        return self.epochs.value()

    def suffix_text(self) -> str:
        return self.suffix.text().strip()

    def method(self) -> str:
        """ "supervised" or "dpo"."""
        return str(self.method_combo.currentData())

    def set_method(self, method: str) -> None:
        index = self.method_combo.findData(method)
        if index >= 0:
            self.method_combo.setCurrentIndex(index)

    def job_options(self) -> dict[str, Any]:
        """The new job's method and hyperparameters as `JobRequest` fields ("Automatic" is
        left out, so the provider chooses)."""
        dpo = self.method() == "dpo"
        return {
            "method": self.method(),
            "epochs": self.epochs.value(),
            "suffix": self.suffix_text(),
            "seed": self.seed.value() or None,
            "batch_size": self.batch_size.value() or None,
            "learning_rate_multiplier": self.learning_rate.value() or None,
            "beta": (self.beta.value() or None) if dpo else None,
        }

    def set_models(self, models: Sequence[str | ModelChoice], default: str = "") -> None:
        """Lists the base models (ids, or choices with retirement badges); keeps the current
        one when listed, else picks `default`."""
        self.model_combo.set_choices(models, self.model_combo.currentText(), default)

    def show_report(self, report: DatasetReport | None, summary: str = "") -> None:
        self.findings.clear()
        self._report_ok = bool(report and report.ok)
        self.check_button.setEnabled(bool(self._training))
        self.fix_button.setEnabled(bool(report and report.fixable))
        self.split_button.setEnabled(bool(report and report.examples))
        self.start_button.setEnabled(self._report_ok)
        self.histogram.set_bins(report.histogram() if report else [])
        if report is None:
            self.summary.setText(
                "Open a JSONL file of chat examples and click Check: every example is checked "
                "before anything is uploaded."
                if not self._training
                else "Click Check to look at every example."
            )
            return
        self.summary.setText(summary)
        for finding in report.findings:
            item = QListWidgetItem(("" if finding.error else "Note: ") + finding.text)
            self.findings.addItem(item)

    # -- the jobs ------------------------------------------------------------------------------

    def set_jobs(self, jobs: list[JobInfo]) -> None:
        selected = self.selected_job()
        self.jobs = list(jobs)
        self.table.blockSignals(True)
        self.table.setRowCount(len(jobs))
        for row, job in enumerate(jobs):
            cells = (
                job.status_text,
                job.model,
                job.fine_tuned_model or "—",
                datetime.fromtimestamp(job.created_at).strftime("%Y-%m-%d %H:%M"),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 0 and job.error:
                    item.setToolTip(job.error)
                self.table.setItem(row, column, item)
        if selected is not None:
            select_row_of(self.table, jobs, selected.id)
        self.table.blockSignals(False)
        self._update_buttons()

    def update_job(self, info: JobInfo) -> None:
        self.set_jobs(upsert(self.jobs, info))

    def select_job(self, job_id: str) -> None:
        select_row_of(self.table, self.jobs, job_id)

    def selected_job(self) -> JobInfo | None:
        return selected_of(self.table, self.jobs)

    def running_jobs(self) -> list[JobInfo]:
        return [j for j in self.jobs if not j.done]

    def show_events(self, job: JobInfo, events: list[JobEvent]) -> None:
        self.events.clear()
        title = f"Events of {job.suffix or job.model} ({job.status_text.lower()})"
        if job.error:
            title += f": {job.error}"
        self.events_title.setText(title)
        for event in events:
            when = datetime.fromtimestamp(event.created_at).strftime("%H:%M:%S")
            self.events.addItem(f"{when}  {event.message}")
        self.events.scrollToBottom()
        self.show_metrics(event_metrics(events), "")

    def show_metrics(self, metrics: StepMetrics, source: str) -> None:
        """The loss curves; `source` says where they come from ("" for the events)."""
        self.loss.set_points(metrics.train, metrics.valid)
        self.loss_source = source or "the job’s events"
        if metrics:
            self.loss.setToolTip(f"{self.loss.toolTip()} (from {self.loss_source})")

    def set_try_in_chat_available(self, available: bool) -> None:
        self.try_button.setVisible(available)

    def set_from_chat_available(self, available: bool) -> None:
        self.from_chat_button.setVisible(available)

    def set_compare_available(self, available: bool) -> None:
        self.compare_button.setVisible(available)

    def show_checkpoints(self, checkpoints: list[Checkpoint]) -> None:
        """A finished job's checkpoints (none: the list is hidden)."""
        self.checkpoints.clear()
        for checkpoint in checkpoints:
            self.checkpoints.addItem(checkpoint.text)
        self.checkpoints.setVisible(bool(checkpoints))

    def set_starting(self, busy: bool) -> None:
        self.start_button.setEnabled(not busy and self._report_ok)

    def set_info(self, text: str) -> None:
        show_info(self.status_label, text)

    def show_error(self, error: AppError) -> None:
        show_error(self.status_label, error)

    # -- internals -----------------------------------------------------------------------------

    def _on_method_changed(self) -> None:
        dpo = self.method() == "dpo"
        self.beta.setEnabled(dpo)
        self._form.setRowVisible(self.beta, dpo)

    def _update_buttons(self) -> None:
        job = self.selected_job()
        self.cancel_button.setEnabled(job is not None and not job.done)
        self.try_button.setEnabled(job is not None and bool(job.fine_tuned_model))
        self.compare_button.setEnabled(job is not None and bool(job.fine_tuned_model))

    def _try_selected(self) -> None:
        job = self.selected_job()
        if job is not None and job.fine_tuned_model:
            self.try_in_chat_requested.emit(job.fine_tuned_model)

    def _compare_selected(self) -> None:
        job = self.selected_job()
        if job is not None and job.fine_tuned_model:
            self.compare_requested.emit(job)

    def _on_selection(self) -> None:
        self._update_buttons()
        job = self.selected_job()
        if job is not None:
            self.job_selected.emit(job)

    def _cancel_selected(self) -> None:
        job = self.selected_job()
        if job is not None:
            self.cancel_job_requested.emit(job)
