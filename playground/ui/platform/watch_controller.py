"""Following running batches and fine-tuning jobs from start-up, before the Platform tab is built.

The Platform tab saves the ids of the batches and jobs still running when the app closes
(`following` in its state). At the next start the composition root hands them to a
`StartupWatch`, which looks at them with the same back-off as the tab (paused while the window is
hidden or minimised) and says in the status bar when one finishes. Once the tab is built it lists
and follows everything itself, so the watch stops.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMainWindow, QWidget

from playground.core.api.errors import AppError
from playground.core.platform.batches import Backoff, BatchesService, BatchInfo
from playground.core.platform.fine_tuning import FineTuningService, JobInfo
from playground.ui.common.feature import FeatureContext
from playground.ui.platform.polling_controller import PollingPart
from playground.ui.shell.bridge import TaskRunner

WATCH_GROUP = "platform-watch"


def following(state: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The (batch ids, job ids) the Platform tab's saved state says are still running."""
    saved = state.get("following")
    if not isinstance(saved, dict):
        return [], []

    def ids(key: str) -> list[str]:
        value = saved.get(key)
        return [str(i) for i in value if isinstance(i, str)] if isinstance(value, list) else []

    return ids("batches"), ids("jobs")


def batch_finished_text(info: BatchInfo) -> str:
    name = f"“{info.name}”" if info.name else "A batch"
    return f"Batch {name} finished: {info.status_text.lower()} ({info.counts_text})."


def job_finished_text(info: JobInfo) -> str:
    name = f"“{info.suffix}”" if info.suffix else f"on {info.model}"
    return f"Fine-tuning job {name} finished: {info.status_text.lower()}."


class StartupWatch(PollingPart):
    """Looks at saved running batches and jobs until they finish (see the module docstring).

    Signals:
        finished: a batch or job finished. arg: one sentence saying which and how.
    """

    finished = Signal(str)

    def __init__(
        self,
        batches: BatchesService,
        jobs: FineTuningService,
        runner: TaskRunner,
        window: QWidget,
        batch_ids: Sequence[str],
        job_ids: Sequence[str],
        *,
        stop_when: Callable[[], bool] = lambda: False,
        backoff: Backoff | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(window, backoff, parent)
        self.setObjectName("platformStartupWatch")
        self.batches, self.jobs, self.runner, self.window = batches, jobs, runner, window
        self.batch_ids, self.job_ids = list(batch_ids), list(job_ids)
        self.stop_when = stop_when

    @property
    def active(self) -> bool:
        return bool(self.batch_ids or self.job_ids) and not self.stop_when()

    def start(self) -> None:
        """Looks now (if there is anything to follow)."""
        if self.active:
            self.timer.start(0)

    def poll(self) -> None:
        if not self.active:
            return
        if not self.window_shown():
            self.poll_later()
            return
        batch_ids, job_ids = list(self.batch_ids), list(self.job_ids)

        async def run() -> tuple[list[BatchInfo], list[JobInfo]]:
            found_batches = await self.batches.refresh(batch_ids) if batch_ids else []
            found_jobs = await self.jobs.refresh(job_ids) if job_ids else []
            return found_batches, found_jobs

        def looked(found: tuple[list[BatchInfo], list[JobInfo]]) -> None:
            if self.stop_when():
                return
            changed = False
            for batch in found[0]:
                if batch.done and batch.id in self.batch_ids:
                    self.batch_ids.remove(batch.id)
                    self.finished.emit(batch_finished_text(batch))
                    changed = True
            for job in found[1]:
                if job.done and job.id in self.job_ids:
                    self.job_ids.remove(job.id)
                    self.finished.emit(job_finished_text(job))
                    changed = True
            if self.active:
                self.poll_soon(changed=changed)

        def failed(error: AppError) -> None:
            if error.status == 404:  # deleted meanwhile (or another key): nothing to follow
                self.batch_ids, self.job_ids = [], []
                return
            # A 429, 5xx or a dropped connection: look again later; nothing is lost.
            if self.active:
                self.poll_after_failure(error)

        self.runner.start(run(), group=WATCH_GROUP, on_result=looked, on_error=failed)


MESSAGE_MS = 30_000  # how long the status bar says it


def watch_at_start(
    ctx: FeatureContext, state: dict[str, Any], built: Callable[[], bool]
) -> StartupWatch | None:
    """The Platform feature's start-up hook: follows what the tab's saved `state` says is
    running (None when nothing is) until the tab is `built`, and says in the status bar when one
    finishes."""
    batch_ids, job_ids = following(state)
    if not batch_ids and not job_ids:
        return None
    session = ctx.services.session
    window = ctx.window
    watch = StartupWatch(
        BatchesService(session.client),
        FineTuningService(session.client),
        ctx.runner,
        window,
        batch_ids,
        job_ids,
        stop_when=built,
        parent=window,
    )
    if isinstance(window, QMainWindow):
        bar = window.statusBar()
        watch.finished.connect(
            lambda text: bar.showMessage(f"{text} The Platform tab has the details.", MESSAGE_MS)
        )
    watch.start()
    return watch
