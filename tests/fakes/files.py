"""The Files and Uploads APIs: files by purpose, listed in pages, and large files sent in parts.

Routes:

* ``POST /v1/files`` (multipart ``file`` and ``purpose``; a ``batch`` file's lines are checked
  the way the API does, and a file over ``FakeFiles.max_file_bytes`` is refused),
  ``GET /v1/files`` (``purpose``, ``order``, ``after``, ``limit`` ≤ 10,000, ``has_more``),
  ``GET /v1/files/{id}``, ``GET /v1/files/{id}/content``, ``DELETE /v1/files/{id}``
* ``POST /v1/uploads`` (``bytes``, ``filename``, ``mime_type``, ``purpose``),
  ``POST /v1/uploads/{id}/parts`` (multipart ``data``), ``POST /v1/uploads/{id}/complete``
  (``part_ids`` in order; the sizes must add up to ``bytes``), ``POST /v1/uploads/{id}/cancel``

The state (:class:`FakeFiles`, ``fake.files``) is shared with the batch, vector store and
fine-tuning families: they read input files from it and write output files into it.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

from tests.fakes.server import Family, Handler
from tests.fakes.wire import JsonDict, Reply, error_body, new_id

PURPOSES = frozenset(
    {"assistants", "batch", "fine-tune", "vision", "user_data", "evals", "user-data"}
)
MAX_FILE_BYTES = 512 * 1024 * 1024


@dataclass
class StoredFile:
    """One file: its API object and its bytes."""

    obj: JsonDict
    data: bytes


@dataclass
class FakeUpload:
    """An upload in parts: what was announced and the parts received so far."""

    obj: JsonDict
    parts: dict[str, bytes] = field(default_factory=dict)


@dataclass
class FakeFiles:
    """Files and uploads kept between requests (tests read them and may add files directly).

    Attributes:
        max_file_bytes: the largest file ``POST /files`` takes (the API's 512 MB; a test may lower
            it to reach the limit without sending 512 MB).
        drop_part_after: when set, the part with this index (0-based, counted over the server's
            life) is answered with a 500 once: an upload that breaks half-way.
    """

    files: dict[str, StoredFile] = field(default_factory=dict)
    uploads: dict[str, FakeUpload] = field(default_factory=dict)
    max_file_bytes: int = MAX_FILE_BYTES
    drop_part_after: int | None = None
    parts_received: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    _clock: int = 0

    def add(
        self, name: str, data: bytes, purpose: str, *, status: str = "processed", size: int = -1
    ) -> JsonDict:
        """Store a file as if uploaded (``size`` overrides the reported size); returns its object."""
        with self.lock:
            self._clock += 1
            file_id = new_id("file-", 24)
            obj: JsonDict = {
                "id": file_id,
                "object": "file",
                "bytes": len(data) if size < 0 else size,
                "created_at": 1_780_000_000 + self._clock,
                "filename": name,
                "purpose": purpose,
                "status": status,
                "status_details": None,
                "expires_at": None,
            }
            self.files[file_id] = StoredFile(obj, data)
            return obj

    def text(self, file_id: str) -> str:
        """A stored file's content as text."""
        return self.files[file_id].data.decode("utf-8")

    def get(self, file_id: str) -> StoredFile | None:
        with self.lock:
            return self.files.get(file_id)


FAMILY = Family("files and uploads", state=FakeFiles)


def files_state(h: Handler) -> FakeFiles:
    return h.fake.state(FakeFiles)


def not_found(kind: str, name: str) -> Reply:
    return Reply(404, error_body(f"No such {kind}: {name}", param="id"))


def check_batch_lines(data: bytes) -> None:
    """Refuse a batch input file whose lines are not batch requests (as the API does at upload)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Reply(400, error_body("The file is not valid UTF-8 text.")) from exc
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            assert isinstance(item, dict)
            assert {"custom_id", "method", "url", "body"} <= set(item)
        except (ValueError, AssertionError) as exc:
            raise Reply(400, error_body(f"Line {number} is not a valid batch request.")) from exc


def _check_purpose(purpose: str) -> None:
    if purpose not in PURPOSES:
        raise Reply(
            400,
            error_body(
                f"'{purpose}' is not one of {sorted(PURPOSES)} - 'purpose'", param="purpose"
            ),
        )


@FAMILY.route("POST", "/files")
def _upload(h: Handler) -> None:
    state = files_state(h)
    upload = h.record.files.get("file")
    purpose = h.record.form.get("purpose", "")
    if upload is None or not purpose:
        raise Reply(400, error_body("'file' and 'purpose' are required.", param="file"))
    _check_purpose(purpose)
    if len(upload.data) > state.max_file_bytes:
        raise Reply(
            400,
            error_body(
                f"File is too large. The maximum size is {state.max_file_bytes} bytes; "
                "use the Uploads API for larger files.",
                param="file",
            ),
        )
    if purpose == "batch":
        check_batch_lines(upload.data)
    h.send_json(200, state.add(upload.filename or "upload", upload.data, purpose))


@FAMILY.route("GET", "/files")
def _list(h: Handler) -> None:
    state = files_state(h)
    query = h.record.query
    with state.lock:
        objs = [stored.obj for stored in state.files.values()]
    if query.get("purpose"):
        objs = [o for o in objs if o["purpose"] == query["purpose"]]
    if query.get("order", "desc") == "desc":
        objs.reverse()
    h.send_json(200, page_of(objs, query, limit_max=10_000, default_limit=10_000))


def page_of(
    objs: list[JsonDict], query: dict[str, str], *, limit_max: int = 100, default_limit: int = 20
) -> JsonDict:
    """One cursor page of ``objs`` (already ordered) for ``after`` and ``limit``."""
    try:
        limit = int(query.get("limit", default_limit))
    except ValueError as exc:
        raise Reply(
            400, error_body("Invalid 'limit': expected an integer.", param="limit")
        ) from exc
    if not 1 <= limit <= limit_max:
        raise Reply(
            400,
            error_body(
                f"Invalid 'limit': expected a value between 1 and {limit_max}.", param="limit"
            ),
        )
    start = 0
    after = query.get("after")
    if after:
        ids = [o["id"] for o in objs]
        if after not in ids:
            raise not_found("cursor", after)
        start = ids.index(after) + 1
    page = objs[start : start + limit]
    return {
        "object": "list",
        "data": page,
        "first_id": page[0]["id"] if page else None,
        "last_id": page[-1]["id"] if page else None,
        "has_more": start + limit < len(objs),
    }


@FAMILY.route("GET", "/files/{file_id}")
def _retrieve(h: Handler) -> None:
    stored = files_state(h).get(h.params["file_id"])
    if stored is None:
        raise not_found("file", h.params["file_id"])
    h.send_json(200, stored.obj)


@FAMILY.route("GET", "/files/{file_id}/content")
def _content(h: Handler) -> None:
    stored = files_state(h).get(h.params["file_id"])
    if stored is None:
        raise not_found("file", h.params["file_id"])
    h.send_bytes(200, stored.data, "application/octet-stream")


@FAMILY.route("DELETE", "/files/{file_id}")
def _delete(h: Handler) -> None:
    state = files_state(h)
    file_id = h.params["file_id"]
    with state.lock:
        stored = state.files.pop(file_id, None)
    if stored is None:
        raise not_found("file", file_id)
    h.send_json(200, {"id": file_id, "object": "file", "deleted": True})


# -- uploads in parts ----------------------------------------------------------------------------


@FAMILY.route("POST", "/uploads")
def _create_upload(h: Handler) -> None:
    state = files_state(h)
    body = h.json_body()
    for name in ("bytes", "filename", "mime_type", "purpose"):
        h.require(body, name)
    _check_purpose(str(body["purpose"]))
    size = body["bytes"]
    if not isinstance(size, int) or size <= 0 or size > 8 * 1024**3:
        raise Reply(400, error_body("Invalid 'bytes': up to 8 GB.", param="bytes"))
    upload_id = new_id("upload_", 24)
    obj: JsonDict = {
        "id": upload_id,
        "object": "upload",
        "bytes": size,
        "created_at": int(time.time()),
        "expires_at": int(time.time()) + 3600,
        "filename": body["filename"],
        "purpose": body["purpose"],
        "status": "pending",
        "file": None,
    }
    with state.lock:
        state.uploads[upload_id] = FakeUpload(obj)
    h.send_json(200, obj)


def _pending_upload(state: FakeFiles, upload_id: str) -> FakeUpload:
    upload = state.uploads.get(upload_id)
    if upload is None:
        raise not_found("upload", upload_id)
    if upload.obj["status"] != "pending":
        raise Reply(400, error_body(f"Upload {upload_id} is already {upload.obj['status']}."))
    return upload


@FAMILY.route("POST", "/uploads/{upload_id}/parts")
def _add_part(h: Handler) -> None:
    state = files_state(h)
    data = h.record.files.get("data")
    if data is None:
        raise Reply(400, error_body("'data' is required.", param="data"))
    with state.lock:
        upload = _pending_upload(state, h.params["upload_id"])
        index = state.parts_received
        state.parts_received += 1
        if state.drop_part_after is not None and index == state.drop_part_after:
            state.drop_part_after = None
            raise Reply(500, error_body("The server had an error while processing your request."))
        part_id = new_id("part_", 24)
        upload.parts[part_id] = data.data
    h.send_json(
        200,
        {
            "id": part_id,
            "object": "upload.part",
            "created_at": int(time.time()),
            "upload_id": h.params["upload_id"],
        },
    )


@FAMILY.route("POST", "/uploads/{upload_id}/complete")
def _complete_upload(h: Handler) -> None:
    state = files_state(h)
    body = h.json_body()
    part_ids = body.get("part_ids")
    if not isinstance(part_ids, list):
        raise Reply(400, error_body("Missing required parameter: 'part_ids'.", param="part_ids"))
    with state.lock:
        upload = _pending_upload(state, h.params["upload_id"])
        missing = [p for p in part_ids if p not in upload.parts]
        if missing:
            raise Reply(400, error_body(f"Unknown part id: {missing[0]}", param="part_ids"))
        data = b"".join(upload.parts[p] for p in part_ids)
        if len(data) != upload.obj["bytes"]:
            raise Reply(
                400,
                error_body(
                    f"The parts add up to {len(data)} bytes, but the upload was created for "
                    f"{upload.obj['bytes']} bytes."
                ),
            )
    file_obj = state.add(str(upload.obj["filename"]), data, str(upload.obj["purpose"]))
    with state.lock:
        upload.obj.update(status="completed", file=file_obj)
    h.send_json(200, upload.obj)


@FAMILY.route("POST", "/uploads/{upload_id}/cancel")
def _cancel_upload(h: Handler) -> None:
    state = files_state(h)
    with state.lock:
        upload = _pending_upload(state, h.params["upload_id"])
        upload.obj["status"] = "cancelled"
    h.send_json(200, upload.obj)
