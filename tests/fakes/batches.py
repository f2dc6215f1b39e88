"""The Files and Batch API: upload (`POST /v1/files`), read (`GET /v1/files/{id}`,
`GET /v1/files/{id}/content`), create, retrieve and cancel batches.

A batch moves one state per retrieve (validating → in_progress → finalizing → completed, or fewer
steps with `steps`); on completion every input line is answered like a non-streamed chat request
(the scenario's `reply_text`, usage counted the same way). A line naming an unknown model, or
whose `custom_id` is in `fail_ids`, goes to the error file instead.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field

from tests.fakes import openai_payloads as payloads
from tests.fakes.chat import chat_usage, reply_text
from tests.fakes.server import Family, Handler
from tests.fakes.wire import JsonDict

_STATES = ("validating", "in_progress", "finalizing", "completed")


def _id(prefix: str) -> str:
    return prefix + secrets.token_hex(12)


@dataclass
class FakeBatches:
    """Uploaded files and batches (tests read them; `steps`/`fail_ids` shape the answers)."""

    files: dict[str, tuple[JsonDict, bytes]] = field(default_factory=dict)
    batches: dict[str, JsonDict] = field(default_factory=dict)
    steps: int = 3  # retrieves until a batch completes
    fail_ids: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def file_text(self, file_id: str) -> str:
        return self.files[file_id][1].decode("utf-8")


FAMILY = Family("files and batches", state=FakeBatches)


def _file_object(file_id: str, name: str, size: int, purpose: str) -> JsonDict:
    return {
        "id": file_id,
        "object": "file",
        "bytes": size,
        "created_at": int(time.time()),
        "filename": name,
        "purpose": purpose,
        "status": "processed",
        "status_details": None,
    }


def _state(h: Handler) -> FakeBatches:
    return h.fake.state(FakeBatches)


@FAMILY.route("POST", "/files")
def _upload_file(h: Handler) -> None:
    _upload(h, _state(h))


@FAMILY.route("GET", "/files/{file_id}")
def _retrieve_file(h: Handler) -> None:
    state = _state(h)
    file_id = h.params["file_id"]
    with state.lock:
        stored = state.files.get(file_id)
    if stored is None:
        h.send_json(404, _not_found("file", file_id))
    else:
        h.send_json(200, stored[0])


@FAMILY.route("GET", "/files/{file_id}/content")
def _file_content(h: Handler) -> None:
    state = _state(h)
    file_id = h.params["file_id"]
    with state.lock:
        stored = state.files.get(file_id)
    if stored is None:
        h.send_json(404, _not_found("file", file_id))
    else:
        h.send_bytes(200, stored[1], "application/octet-stream")


@FAMILY.route("POST", "/batches")
def _create_batch(h: Handler) -> None:
    _create(h, _state(h))


@FAMILY.route("GET", "/batches/{batch_id}")
def _retrieve_batch(h: Handler) -> None:
    _retrieve(h, _state(h), h.params["batch_id"])


@FAMILY.route("POST", "/batches/{batch_id}/cancel")
def _cancel_batch(h: Handler) -> None:
    state = _state(h)
    batch_id = h.params["batch_id"]
    with state.lock:
        batch = state.batches.get(batch_id)
        if batch is not None and batch["status"] not in ("completed", "failed", "expired"):
            batch["status"] = "cancelled"
            batch["cancelled_at"] = int(time.time())
    if batch is None:
        h.send_json(404, _not_found("batch", batch_id))
    else:
        h.send_json(200, batch)


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


def _upload(handler: Handler, state: FakeBatches) -> None:
    record = handler.record
    upload = record.files.get("file")
    purpose = record.form.get("purpose", "")
    if upload is None or not purpose:
        handler.send_json(400, _bad("'file' and 'purpose' are required.", "file"))
        return
    file_id = _id("file-")
    obj = _file_object(file_id, upload.filename or "upload", len(upload.data), purpose)
    if purpose == "batch":
        for number, line in enumerate(upload.data.decode("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                assert isinstance(item, dict)
                assert {"custom_id", "method", "url", "body"} <= set(item)
            except (ValueError, AssertionError):
                handler.send_json(400, _bad(f"Line {number} is not a valid batch request."))
                return
    with state.lock:
        state.files[file_id] = (obj, upload.data)
    handler.send_json(200, obj)


def _create(handler: Handler, state: FakeBatches) -> None:
    body = handler.record.json or {}
    input_id = str(body.get("input_file_id", ""))
    with state.lock:
        stored = state.files.get(input_id)
    if stored is None:
        handler.send_json(404, _not_found("file", input_id))
        return
    if body.get("endpoint") != "/v1/chat/completions" or body.get("completion_window") != "24h":
        handler.send_json(400, _bad("Unsupported endpoint or completion window.", "endpoint"))
        return
    lines = [line for line in stored[1].decode("utf-8").splitlines() if line.strip()]
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
    if batch["status"] not in ("completed", "cancelled", "failed", "expired"):
        batch["_polls"] += 1
        step = min(batch["_polls"], state.steps)
        if step >= state.steps:
            _complete(handler, state, batch)
        else:
            index = min(
                round(step * (len(_STATES) - 2) / max(state.steps - 1, 1)), len(_STATES) - 2
            )
            batch["status"] = _STATES[max(index, 1)]
            batch["in_progress_at"] = batch["in_progress_at"] or int(time.time())
    handler.send_json(200, _public(batch))


def _complete(handler: Handler, state: FakeBatches, batch: JsonDict) -> None:
    _meta, data = state.files[batch["input_file_id"]]
    outputs: list[str] = []
    errors: list[str] = []
    models = handler.fake.scenario.model_ids()
    for line in data.decode("utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        body = item["body"]
        custom_id = item["custom_id"]
        if body.get("model") not in models or custom_id in state.fail_ids:
            error = {
                "message": f"The model `{body.get('model')}` does not exist or you do not have access to it.",
                "type": "invalid_request_error",
                "param": None,
                "code": "model_not_found",
            }
            errors.append(
                json.dumps(
                    {
                        "id": _id("batch_req_"),
                        "custom_id": custom_id,
                        "response": {
                            "status_code": 404,
                            "request_id": _id("req_"),
                            "body": {"error": error},
                        },
                        "error": None,
                    }
                )
            )
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
    with state.lock:
        for kind, lines in (("output_file_id", outputs), ("error_file_id", errors)):
            if lines:
                content = ("\n".join(lines) + "\n").encode("utf-8")
                file_id = _id("file-")
                state.files[file_id] = (
                    _file_object(
                        file_id, f"{batch['id']}_{kind}.jsonl", len(content), "batch_output"
                    ),
                    content,
                )
                batch[kind] = file_id
        batch.update(
            status="completed",
            finalizing_at=now,
            completed_at=now,
            request_counts={
                "total": len(outputs) + len(errors),
                "completed": len(outputs),
                "failed": len(errors),
            },
        )
