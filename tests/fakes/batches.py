"""The Batch API: create, list, retrieve and cancel batches over files of the Files family.

Routes: ``POST /v1/batches``, ``GET /v1/batches`` (``after``, ``limit``), ``GET /v1/batches/{id}``,
``POST /v1/batches/{id}/cancel``. Input and output files live in :class:`tests.fakes.files.FakeFiles`.

A batch moves one state per retrieve (validating → in_progress → finalizing → completed, or fewer
steps with `steps`); on completion every input line is answered like a non-streamed chat request
(the scenario's `reply_text`, usage counted the same way). A line naming an unknown model, or
whose `custom_id` is in `fail_ids`, goes to the error file instead. `outcome` makes the next
finishing batches end otherwise: "failed" (the input is refused, `errors` says why, no output),
"expired" (the 24 h window ran out: the first half of the lines answered, the rest in the error
file with `batch_expired`). A cancelled batch is "cancelled" at once, or, with `slow_cancel`, first
"cancelling" (as the real API answers) and "cancelled" at the next retrieve.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field

from tests.fakes import openai_payloads as payloads
from tests.fakes.chat import chat_usage, reply_text
from tests.fakes.files import files_state, page_of
from tests.fakes.server import Family, Handler
from tests.fakes.wire import JsonDict

_STATES = ("validating", "in_progress", "finalizing", "completed")


def _id(prefix: str) -> str:
    return prefix + secrets.token_hex(12)


@dataclass
class FakeBatches:
    """Batches (tests read them; `steps`/`fail_ids`/`outcome` shape the answers)."""

    batches: dict[str, JsonDict] = field(default_factory=dict)
    steps: int = 3  # retrieves until a batch completes
    fail_ids: set[str] = field(default_factory=set)
    outcome: str = "completed"  # or "failed" / "expired"
    slow_cancel: bool = False  # True: cancel answers "cancelling", "cancelled" at the next retrieve
    lock: threading.Lock = field(default_factory=threading.Lock)


FAMILY = Family("batches", state=FakeBatches)


def _state(h: Handler) -> FakeBatches:
    return h.fake.state(FakeBatches)


@FAMILY.route("POST", "/batches")
def _create_batch(h: Handler) -> None:
    _create(h, _state(h))


@FAMILY.route("GET", "/batches")
def _list_batches(h: Handler) -> None:
    state = _state(h)
    with state.lock:
        objs = [_public(b) for b in reversed(state.batches.values())]
    h.send_json(200, page_of(objs, h.record.query))


@FAMILY.route("GET", "/batches/{batch_id}")
def _retrieve_batch(h: Handler) -> None:
    _retrieve(h, _state(h), h.params["batch_id"])


@FAMILY.route("POST", "/batches/{batch_id}/cancel")
def _cancel_batch(h: Handler) -> None:
    state = _state(h)
    batch_id = h.params["batch_id"]
    with state.lock:
        batch = state.batches.get(batch_id)
        if batch is not None and batch["status"] not in _FINAL:
            batch["status"] = "cancelling" if state.slow_cancel else "cancelled"
            batch["cancelling_at"] = int(time.time())
            if not state.slow_cancel:
                batch["cancelled_at"] = int(time.time())
    if batch is None:
        h.send_json(404, _not_found("batch", batch_id))
    else:
        h.send_json(200, _public(batch))


_FINAL = ("completed", "failed", "expired", "cancelled")


def _not_found(kind: str, name: str) -> JsonDict:
    return {
        "error": {
            "message": f"No such {kind}: {name}",
            "type": "invalid_request_error",
            "param": "id",
            "code": None,
        }
    }


def _bad(message: str, param: str | None = None) -> JsonDict:
    return {
        "error": {"message": message, "type": "invalid_request_error", "param": param, "code": None}
    }


def _create(handler: Handler, state: FakeBatches) -> None:
    body = handler.record.json or {}
    input_id = str(body.get("input_file_id", ""))
    stored = files_state(handler).get(input_id)
    if stored is None:
        handler.send_json(404, _not_found("file", input_id))
        return
    if body.get("endpoint") != "/v1/chat/completions" or body.get("completion_window") != "24h":
        handler.send_json(400, _bad("Unsupported endpoint or completion window.", "endpoint"))
        return
    lines = [line for line in stored.data.decode("utf-8").splitlines() if line.strip()]
    created = int(time.time())
    batch: JsonDict = {
        "id": _id("batch_"),
        "object": "batch",
        "endpoint": body["endpoint"],
        "errors": None,
        "input_file_id": input_id,
        "completion_window": "24h",
        "status": "validating",
        "output_file_id": None,
        "error_file_id": None,
        "created_at": created,
        "in_progress_at": None,
        "expires_at": created + 86_400,
        "finalizing_at": None,
        "completed_at": None,
        "failed_at": None,
        "expired_at": None,
        "cancelling_at": None,
        "cancelled_at": None,
        "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
        "metadata": body.get("metadata"),
        "_polls": 0,
    }
    with state.lock:
        state.batches[batch["id"]] = batch
    handler.send_json(200, _public(batch))


def _public(batch: JsonDict) -> JsonDict:
    return {k: v for k, v in batch.items() if not k.startswith("_")}


def _retrieve(handler: Handler, state: FakeBatches, batch_id: str) -> None:
    with state.lock:
        batch = state.batches.get(batch_id)
    if batch is None:
        handler.send_json(404, _not_found("batch", batch_id))
        return
    if batch["status"] == "cancelling":
        batch.update(status="cancelled", cancelled_at=int(time.time()))
    elif batch["status"] not in _FINAL:
        batch["_polls"] += 1
        step = min(batch["_polls"], state.steps)
        if step >= state.steps:
            _finish(handler, state, batch)
        else:
            index = min(
                round(step * (len(_STATES) - 2) / max(state.steps - 1, 1)), len(_STATES) - 2
            )
            batch["status"] = _STATES[max(index, 1)]
            batch["in_progress_at"] = batch["in_progress_at"] or int(time.time())
            total = batch["request_counts"]["total"]
            batch["request_counts"]["completed"] = total * step // (state.steps + 1)
    handler.send_json(200, _public(batch))


def _finish(handler: Handler, state: FakeBatches, batch: JsonDict) -> None:
    now = int(time.time())
    if state.outcome == "failed":
        batch.update(
            status="failed",
            failed_at=now,
            errors={
                "object": "list",
                "data": [
                    {
                        "code": "invalid_request",
                        "message": "The batch input file is not valid for this endpoint.",
                        "param": None,
                        "line": 1,
                    }
                ],
            },
        )
        return
    _complete(handler, state, batch, expired=state.outcome == "expired")


def _error_line(custom_id: str, status: int, error: JsonDict) -> str:
    return json.dumps(
        {
            "id": _id("batch_req_"),
            "custom_id": custom_id,
            "response": {
                "status_code": status,
                "request_id": _id("req_"),
                "body": {"error": error},
            },
            "error": None,
        }
    )


def _complete(handler: Handler, state: FakeBatches, batch: JsonDict, *, expired: bool) -> None:
    files = files_state(handler)
    stored = files.get(batch["input_file_id"])
    assert stored is not None
    outputs: list[str] = []
    errors: list[str] = []
    models = handler.fake.scenario.model_ids()
    lines = [line for line in stored.data.decode("utf-8").splitlines() if line.strip()]
    answered = len(lines) // 2 if expired else len(lines)
    for number, line in enumerate(lines):
        item = json.loads(line)
        body = item["body"]
        custom_id = item["custom_id"]
        if number >= answered:
            errors.append(
                json.dumps(
                    {
                        "id": _id("batch_req_"),
                        "custom_id": custom_id,
                        "response": None,
                        "error": {
                            "code": "batch_expired",
                            "message": "This request could not be executed before the "
                            "completion window expired.",
                        },
                    }
                )
            )
            continue
        if body.get("model") not in models or custom_id in state.fail_ids:
            error = {
                "message": f"The model `{body.get('model')}` does not exist or you do not have access to it.",
                "type": "invalid_request_error",
                "param": None,
                "code": "model_not_found",
            }
            errors.append(_error_line(custom_id, 404, error))
            continue
        text, finish = reply_text(handler, body)
        usage = chat_usage(handler, payloads.count_prompt_tokens(body), payloads.count_tokens(text))
        completion = {
            "id": _id("chatcmpl-"),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text, "refusal": None},
                    "logprobs": None,
                    "finish_reason": finish,
                }
            ],
            "usage": usage,
            "system_fingerprint": "fp_fake000001",
        }
        outputs.append(
            json.dumps(
                {
                    "id": _id("batch_req_"),
                    "custom_id": custom_id,
                    "response": {"status_code": 200, "request_id": _id("req_"), "body": completion},
                    "error": None,
                }
            )
        )
    now = int(time.time())
    for kind, out in (("output_file_id", outputs), ("error_file_id", errors)):
        if out:
            content = ("\n".join(out) + "\n").encode("utf-8")
            obj = files.add(
                f"{batch['id']}_{kind.removesuffix('_file_id')}.jsonl", content, "batch_output"
            )
            batch[kind] = obj["id"]
    with state.lock:
        batch.update(
            request_counts={
                "total": len(outputs) + len(errors),
                "completed": len(outputs),
                "failed": len(errors),
            },
        )
        if expired:
            batch.update(status="expired", expired_at=now)
        else:
            batch.update(status="completed", finalizing_at=now, completed_at=now)
