"""Fine-tuning jobs: create, list, follow (events, checkpoints, metrics), cancel, and the refusal.

Routes: ``POST /v1/fine_tuning/jobs``, ``GET /v1/fine_tuning/jobs`` (``after``, ``limit``),
``GET /v1/fine_tuning/jobs/{id}``, ``POST /v1/fine_tuning/jobs/{id}/cancel``,
``GET /v1/fine_tuning/jobs/{id}/events``, ``GET /v1/fine_tuning/jobs/{id}/checkpoints``.

A job moves one state per retrieve: validating_files → queued → running (one training step per
retrieve, ``steps`` in all, each with a ``metrics`` event carrying train and validation loss) →
succeeded (a ``fine_tuned_model``, one checkpoint per epoch and a result file of step metrics in
CSV), or failed at the first running step when ``fail_jobs`` is set (its ``error`` and events
kept). The training file must exist in the Files family with purpose ``fine-tune``.

``accepts_new_jobs = False`` answers every create as a provider that takes no new self-serve jobs
(OpenAI from 2027-01-06; existing jobs stay readable). The reference notes give no exact wording
for that answer, so ``REFUSAL_MESSAGE`` is a stand-in: the app must show whatever the API says.
"""

from __future__ import annotations

import base64
import threading
import time
from dataclasses import dataclass, field

from tests.fakes.files import files_state, not_found, page_of
from tests.fakes.server import Family, Handler
from tests.fakes.wire import JsonDict, Reply, error_body, new_id

REFUSAL_MESSAGE = (
    "New fine-tuning jobs are no longer accepted. Existing jobs, checkpoints and fine-tuned "
    "models remain available."
)
_FINAL = ("succeeded", "failed", "cancelled")


@dataclass
class FakeFineTuning:
    """Jobs and their events (newest last); the knobs shape what new jobs do."""

    jobs: dict[str, JsonDict] = field(default_factory=dict)
    events: dict[str, list[JsonDict]] = field(default_factory=dict)
    checkpoints: dict[str, list[JsonDict]] = field(default_factory=dict)
    steps: int = 4
    fail_jobs: bool = False
    accepts_new_jobs: bool = True
    lock: threading.Lock = field(default_factory=threading.Lock)


FAMILY = Family("fine-tuning", state=FakeFineTuning)


def _state(h: Handler) -> FakeFineTuning:
    return h.fake.state(FakeFineTuning)


def _event(state: FakeFineTuning, job_id: str, message: str, **extra: object) -> None:
    events = state.events.setdefault(job_id, [])
    events.append(
        {
            "id": new_id("ftevent-", 24),
            "object": "fine_tuning.job.event",
            "created_at": int(time.time()),
            "level": extra.pop("level", "info"),
            "message": message,
            "type": "metrics" if "data" in extra else "message",
            "data": extra.get("data"),
        }
    )


def _public(job: JsonDict) -> JsonDict:
    return {k: v for k, v in job.items() if not k.startswith("_")}


@FAMILY.route("POST", "/fine_tuning/jobs")
def _create(h: Handler) -> None:
    state = _state(h)
    body = h.json_body()
    if not state.accepts_new_jobs:
        raise Reply(403, error_body(REFUSAL_MESSAGE, code="fine_tuning_unavailable"))
    model = str(h.require(body, "model"))
    training = str(h.require(body, "training_file"))
    stored = files_state(h).get(training)
    if stored is None:
        raise Reply(400, error_body(f"invalid training_file: {training}", param="training_file"))
    if stored.obj["purpose"] != "fine-tune":
        raise Reply(
            400,
            error_body(
                f"File {training} has purpose '{stored.obj['purpose']}', not 'fine-tune'.",
                param="training_file",
            ),
        )
    method = body.get("method") or {"type": "supervised", "supervised": {"hyperparameters": {}}}
    kind = method.get("type", "supervised")
    given = (method.get(kind) or {}).get("hyperparameters") or body.get("hyperparameters") or {}
    epochs = given.get("n_epochs", "auto")
    job_id = new_id("ftjob-", 24)
    job: JsonDict = {
        "id": job_id,
        "object": "fine_tuning.job",
        "created_at": int(time.time()),
        "error": None,
        "fine_tuned_model": None,
        "finished_at": None,
        "hyperparameters": {
            "n_epochs": 3 if epochs == "auto" else epochs,
            "batch_size": given.get("batch_size", "auto"),
            "learning_rate_multiplier": given.get("learning_rate_multiplier", "auto"),
        },
        "model": model,
        "organization_id": "org-fake",
        "result_files": [],
        "seed": body.get("seed") if body.get("seed") is not None else 42,
        "status": "validating_files",
        "trained_tokens": None,
        "training_file": training,
        "validation_file": body.get("validation_file"),
        "method": method,
        "suffix": body.get("suffix"),
        "metadata": body.get("metadata"),
        "estimated_finish": None,
        "integrations": None,
        "_step": 0,
    }
    with state.lock:
        state.jobs[job_id] = job
        _event(state, job_id, f"Validating training file: {training}")
    h.send_json(200, _public(job))


@FAMILY.route("GET", "/fine_tuning/jobs")
def _list(h: Handler) -> None:
    state = _state(h)
    with state.lock:
        objs = [_public(j) for j in reversed(state.jobs.values())]
    h.send_json(200, page_of(objs, h.record.query))


def _job(state: FakeFineTuning, job_id: str) -> JsonDict:
    job = state.jobs.get(job_id)
    if job is None:
        raise not_found("job", job_id)
    return job


@FAMILY.route("GET", "/fine_tuning/jobs/{job_id}")
def _retrieve(h: Handler) -> None:
    state = _state(h)
    with state.lock:
        job = _job(state, h.params["job_id"])
        status = job["status"]
    if status not in _FINAL:
        _advance(h, state, job)
    with state.lock:
        h.send_json(200, _public(job))


def _advance(h: Handler, state: FakeFineTuning, job: JsonDict) -> None:
    job_id = job["id"]
    with state.lock:
        status = job["status"]
        if status == "validating_files":
            job["status"] = "queued"
            _event(state, job_id, "Files validated, moving job to queued state")
            return
        if status == "queued":
            job["status"] = "running"
            _event(state, job_id, "Fine-tuning job started")
            return
        if state.fail_jobs:
            job.update(
                status="failed",
                finished_at=int(time.time()),
                error={
                    "code": "invalid_training_file",
                    "message": "The job failed due to an invalid training file.",
                    "param": "training_file",
                },
            )
            _event(state, job_id, "The job failed due to an invalid training file.", level="error")
            return
        job["_step"] += 1
        step = job["_step"]
        loss = round(2.0 / (1 + step), 4)
        valid = round(loss * 1.1, 4) if job["validation_file"] else None
        data: JsonDict = {"step": step, "train_loss": loss, "total_steps": state.steps}
        if valid is not None:
            data["valid_loss"] = valid
        _event(state, job_id, f"Step {step}/{state.steps}: training loss={loss}", data=data)
        if step < state.steps:
            return
        model = job["model"]
        suffix = job["suffix"] or "custom"
        name = f"ft:{model}:org-fake:{suffix}:{job_id[-8:]}"
        epochs = int(job["hyperparameters"]["n_epochs"])
        state.checkpoints[job_id] = [
            {
                "id": new_id("ftckpt_", 24),
                "object": "fine_tuning.job.checkpoint",
                "created_at": int(time.time()),
                "fine_tuned_model_checkpoint": f"{name}:ckpt-step-{epoch}",
                "fine_tuning_job_id": job_id,
                "step_number": epoch,
                "metrics": {"step": epoch, "train_loss": loss, "valid_loss": valid},
            }
            for epoch in range(1, epochs + 1)
        ]
        csv = "step,train_loss,valid_loss\n" + "".join(
            f"{s},{round(2.0 / (1 + s), 4)},{round(2.0 / (1 + s) * 1.1, 4) if valid else ''}\n"
            for s in range(1, state.steps + 1)
        )
    # The real API serves the result file's CSV base64-encoded.
    encoded = base64.b64encode(csv.encode())
    result = files_state(h).add("step_metrics.csv", encoded, "fine-tune-results")
    with state.lock:
        job.update(
            status="succeeded",
            fine_tuned_model=name,
            finished_at=int(time.time()),
            trained_tokens=1000 * state.steps,
            result_files=[result["id"]],
        )
        _event(state, job_id, "The job has successfully completed")


@FAMILY.route("POST", "/fine_tuning/jobs/{job_id}/cancel")
def _cancel(h: Handler) -> None:
    state = _state(h)
    with state.lock:
        job = _job(state, h.params["job_id"])
        if job["status"] in _FINAL:
            raise Reply(400, error_body(f"Job has already {job['status']}."))
        job.update(status="cancelled", finished_at=int(time.time()))
        _event(state, job["id"], "Job cancelled")
        h.send_json(200, _public(job))


@FAMILY.route("GET", "/fine_tuning/jobs/{job_id}/events")
def _events(h: Handler) -> None:
    state = _state(h)
    with state.lock:
        _job(state, h.params["job_id"])
        events = list(reversed(state.events.get(h.params["job_id"], [])))
    h.send_json(200, page_of(events, h.record.query, default_limit=20))


@FAMILY.route("GET", "/fine_tuning/jobs/{job_id}/checkpoints")
def _checkpoints(h: Handler) -> None:
    state = _state(h)
    with state.lock:
        _job(state, h.params["job_id"])
        checkpoints = list(reversed(state.checkpoints.get(h.params["job_id"], [])))
    h.send_json(200, page_of(checkpoints, h.record.query, default_limit=10))
