"""Fine-tuning jobs (`client.fine_tuning.jobs`): list, create, follow (events, checkpoints),
cancel, and the refusal of a provider that takes no new jobs.

Plain Python, no Qt. OpenAI accepts no new self-serve fine-tuning jobs from 2027-01-06 (Azure
OpenAI still fine-tunes; existing jobs, events, checkpoints and fine-tuned models stay readable).
The app does not guess which provider accepts jobs: it sends the request, and when the provider
refuses (a 403, or a 4xx that says fine-tuning is not available), `create` raises an `AppError`
that says so in plain words with the API's own message kept in it.
"""

from __future__ import annotations

import base64
import binascii
import csv
import dataclasses
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from playground.core.api.errors import AppError, from_exception

FINAL_STATES = frozenset({"succeeded", "failed", "cancelled"})
STATUS_WORDS = {
    "validating_files": "Checking the files",
    "queued": "Waiting to start",
    "running": "Training",
    "succeeded": "Done",
    "failed": "Failed",
    "cancelled": "Cancelled",
    "paused": "Paused",
}
REFUSAL_TITLE = "No new fine-tuning jobs here"
REFUSAL_HINT = (
    "Your jobs, their events and your fine-tuned models stay available. To train a new model, "
    "use a provider that still fine-tunes (Azure OpenAI does), in Settings."
)


@dataclass(frozen=True, slots=True)
class JobInfo:
    """One fine-tuning job as listed."""

    id: str
    status: str
    model: str
    created_at: int
    fine_tuned_model: str = ""
    error: str = ""
    trained_tokens: int | None = None
    suffix: str = ""
    training_file: str = ""
    validation_file: str = ""
    result_files: tuple[str, ...] = ()
    method: str = "supervised"

    @classmethod
    def from_api(cls, job: Any) -> JobInfo:
        error = getattr(job, "error", None)
        return cls(
            id=str(job.id),
            status=str(job.status),
            model=str(job.model),
            created_at=int(job.created_at or 0),
            fine_tuned_model=str(job.fine_tuned_model or ""),
            error=str(getattr(error, "message", "") or "") if error else "",
            trained_tokens=getattr(job, "trained_tokens", None),
            suffix=str(getattr(job, "suffix", None) or ""),
            training_file=str(getattr(job, "training_file", None) or ""),
            validation_file=str(getattr(job, "validation_file", None) or ""),
            result_files=tuple(str(f) for f in getattr(job, "result_files", None) or ()),
            method=str(getattr(getattr(job, "method", None), "type", None) or "supervised"),
        )

    @property
    def done(self) -> bool:
        return self.status in FINAL_STATES

    @property
    def status_text(self) -> str:
        return STATUS_WORDS.get(self.status, self.status.replace("_", " ").capitalize())


@dataclass(frozen=True, slots=True)
class JobEvent:
    """One event of a job; `metrics` holds a training step's numbers (loss...), if any."""

    created_at: int
    level: str
    message: str
    metrics: dict[str, Any] | None = None

    @classmethod
    def from_api(cls, event: Any) -> JobEvent:
        data = getattr(event, "data", None)
        return cls(
            int(event.created_at or 0),
            str(event.level),
            str(event.message),
            dict(data) if isinstance(data, dict) else None,
        )


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A saved step of a finished job: a model you can use, with the losses at that step."""

    step: int
    model: str
    train_loss: float | None = None
    valid_loss: float | None = None

    @classmethod
    def from_api(cls, checkpoint: Any) -> Checkpoint:
        metrics = checkpoint.metrics
        return cls(
            int(checkpoint.step_number),
            str(checkpoint.fine_tuned_model_checkpoint),
            getattr(metrics, "train_loss", None),
            getattr(metrics, "valid_loss", None),
        )

    @property
    def text(self) -> str:
        losses = []
        if self.train_loss is not None:
            losses.append(f"training loss {self.train_loss:.4f}")
        if self.valid_loss is not None:
            losses.append(f"validation loss {self.valid_loss:.4f}")
        return f"Step {self.step}: {self.model}" + (f" ({', '.join(losses)})" if losses else "")


@dataclass(frozen=True, slots=True)
class JobRequest:
    """What a new job is created with."""

    model: str
    training_file: str
    validation_file: str = ""
    method: str = "supervised"  # or "dpo"
    epochs: int | None = None
    suffix: str = ""
    seed: int | None = None
    batch_size: int | None = None  # None: the provider chooses ("auto")
    learning_rate_multiplier: float | None = None
    beta: float | None = None  # DPO only: how far the model may move from the base

    def to_api(self) -> dict[str, Any]:
        hyper: dict[str, Any] = {}
        if self.epochs:
            hyper["n_epochs"] = self.epochs
        if self.batch_size:
            hyper["batch_size"] = self.batch_size
        if self.learning_rate_multiplier:
            hyper["learning_rate_multiplier"] = self.learning_rate_multiplier
        if self.method == "dpo" and self.beta:
            hyper["beta"] = self.beta
        kwargs: dict[str, Any] = {
            "model": self.model,
            "training_file": self.training_file,
            "method": {"type": self.method, self.method: {"hyperparameters": hyper}},
        }
        if self.validation_file:
            kwargs["validation_file"] = self.validation_file
        if self.suffix:
            kwargs["suffix"] = self.suffix
        if self.seed is not None:
            kwargs["seed"] = self.seed
        return kwargs


@dataclass(frozen=True, slots=True)
class StepMetrics:
    """The training and validation loss per step, as (step, loss) pairs."""

    train: list[tuple[int, float]] = dataclasses.field(default_factory=list)
    valid: list[tuple[int, float]] = dataclasses.field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.train or self.valid)


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None


def read_result_file(data: bytes) -> StepMetrics:
    """The step metrics of a job's result file: a CSV with `step`, `train_loss` and
    `valid_loss` columns (others ignored). OpenAI serves it base64-encoded; both forms are read.
    Unreadable rows are skipped; an unreadable file gives empty metrics."""
    text = data.decode("utf-8", errors="replace").strip()
    if text and not text.lower().startswith("step"):
        try:
            text = base64.b64decode(text, validate=False).decode("utf-8", errors="replace")
        except (binascii.Error, ValueError):
            return StepMetrics()
    metrics = StepMetrics()
    for row in csv.DictReader(io.StringIO(text)):
        step = _number(row.get("step"))
        if step is None:
            continue
        train = _number(row.get("train_loss"))
        valid = _number(row.get("valid_loss"))
        if train is not None:
            metrics.train.append((int(step), train))
        if valid is not None:
            metrics.valid.append((int(step), valid))
    return metrics


def event_metrics(events: list[JobEvent]) -> StepMetrics:
    """The step metrics reported in a job's events (while it runs)."""
    metrics = StepMetrics()
    for event in events:
        data = event.metrics or {}
        step = data.get("step")
        if not isinstance(step, int):
            continue
        if isinstance(data.get("train_loss"), int | float):
            metrics.train.append((step, float(data["train_loss"])))
        if isinstance(data.get("valid_loss"), int | float):
            metrics.valid.append((step, float(data["valid_loss"])))
    return metrics


def refusal(error: AppError) -> AppError:
    """The provider's refusal to take a new job, in plain words (the API's message kept)."""
    return dataclasses.replace(
        error,
        title=REFUSAL_TITLE,
        message=f"This provider does not accept new fine-tuning jobs. It said: {error.message}",
        hint=REFUSAL_HINT,
    )


def _is_refusal(error: AppError) -> bool:
    if error.status == 403:
        return True
    words = f"{error.message} {error.details}".lower()
    return (
        error.status in (400, 404)
        and "fine-tun" in words
        and ("no longer" in words or "not available" in words or "not accept" in words)
    )


class FineTuningService:
    """Fine-tuning jobs through the active provider's client (`client_source`, per request)."""

    def __init__(self, client_source: Callable[[], Any]) -> None:
        self._client_source = client_source

    async def list_jobs(self, limit: int = 50) -> list[JobInfo]:
        try:
            page = await self._client_source().fine_tuning.jobs.list(limit=limit)
        except Exception as exc:
            raise from_exception(exc) from exc
        return [JobInfo.from_api(job) for job in page.data]

    async def create(self, request: JobRequest) -> JobInfo:
        """Start a job.

        Raises:
            AppError: the request failed; the provider's refusal to take new jobs is said so.
        """
        try:
            job = await self._client_source().fine_tuning.jobs.create(**request.to_api())
        except Exception as exc:
            error = from_exception(exc)
            raise (refusal(error) if _is_refusal(error) else error) from exc
        return JobInfo.from_api(job)

    async def refresh(self, job_ids: list[str]) -> list[JobInfo]:
        client = self._client_source()
        try:
            return [JobInfo.from_api(await client.fine_tuning.jobs.retrieve(i)) for i in job_ids]
        except Exception as exc:
            raise from_exception(exc) from exc

    async def events(self, job_id: str, limit: int = 100) -> list[JobEvent]:
        """The job's events, oldest first."""
        try:
            page = await self._client_source().fine_tuning.jobs.list_events(job_id, limit=limit)
        except Exception as exc:
            raise from_exception(exc) from exc
        return [JobEvent.from_api(e) for e in reversed(page.data)]

    async def checkpoints(self, job_id: str) -> list[Checkpoint]:
        """The job's checkpoints, earliest step first."""
        try:
            page = await self._client_source().fine_tuning.jobs.checkpoints.list(job_id, limit=50)
        except Exception as exc:
            raise from_exception(exc) from exc
        return sorted((Checkpoint.from_api(c) for c in page.data), key=lambda c: c.step)

    async def result_metrics(self, job: JobInfo) -> StepMetrics:
        """The step metrics in the job's result file (empty when it has none yet)."""
        if not job.result_files:
            return StepMetrics()
        try:
            response = await self._client_source().files.content(job.result_files[0])
            data = bytes(response.read())
        except Exception as exc:
            raise from_exception(exc) from exc
        return read_result_file(data)

    async def cancel(self, job_id: str) -> JobInfo:
        try:
            return JobInfo.from_api(await self._client_source().fine_tuning.jobs.cancel(job_id))
        except Exception as exc:
            raise from_exception(exc) from exc
