"""Vector stores: stores of files indexed for search, with their files' indexing states.

Routes: ``POST /v1/vector_stores`` (``name``, ``file_ids``, ``chunking_strategy``,
``expires_after``), ``GET /v1/vector_stores`` (``after``, ``limit``),
``GET|POST|DELETE /v1/vector_stores/{id}`` (retrieve, rename or change expiry, delete),
``POST /v1/vector_stores/{id}/files`` (``file_id``), ``GET /v1/vector_stores/{id}/files``,
``GET|DELETE /v1/vector_stores/{id}/files/{file_id}``, ``POST /v1/vector_stores/{id}/search``.

A file added to a store is ``in_progress`` for ``FakeVectorStores.index_steps`` looks at it (a
retrieve or a list of the store's files), then ``completed``, or ``failed`` when it is not UTF-8
text (``last_error`` says so). Search splits each indexed file into paragraphs (its chunks) and
scores each by the share of the query's words it contains; chunks with no word in common are left
out, best first.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field

from tests.fakes.files import files_state, not_found, page_of
from tests.fakes.server import Family, Handler
from tests.fakes.wire import JsonDict, Reply, error_body, new_id

_WORD = re.compile(r"\w+")


@dataclass
class FakeVectorStores:
    """Stores and their files (``files[store_id][file_id]`` is the vector store file object)."""

    stores: dict[str, JsonDict] = field(default_factory=dict)
    files: dict[str, dict[str, JsonDict]] = field(default_factory=dict)
    looks: dict[tuple[str, str], int] = field(default_factory=dict)
    index_steps: int = 2
    lock: threading.Lock = field(default_factory=threading.Lock)


FAMILY = Family("vector stores", state=FakeVectorStores)


def _state(h: Handler) -> FakeVectorStores:
    return h.fake.state(FakeVectorStores)


def _counts(state: FakeVectorStores, store_id: str) -> JsonDict:
    files = state.files.get(store_id, {}).values()
    counts = {k: 0 for k in ("in_progress", "completed", "failed", "cancelled")}
    for f in files:
        counts[f["status"]] += 1
    return {**counts, "total": sum(counts.values())}


def _store(state: FakeVectorStores, store_id: str) -> JsonDict:
    store = state.stores.get(store_id)
    if store is None:
        raise not_found("vector store", store_id)
    done = all(f["status"] != "in_progress" for f in state.files.get(store_id, {}).values())
    size = sum(f["usage_bytes"] for f in state.files.get(store_id, {}).values())
    return {
        **store,
        "file_counts": _counts(state, store_id),
        "status": "completed" if done else "in_progress",
        "usage_bytes": size,
    }


@FAMILY.route("POST", "/vector_stores")
def _create(h: Handler) -> None:
    state = _state(h)
    body = h.record.json or {}
    store_id = new_id("vs_", 24)
    now = int(time.time())
    expires = body.get("expires_after")
    with state.lock:
        state.stores[store_id] = {
            "id": store_id,
            "object": "vector_store",
            "created_at": now,
            "name": body.get("name") or "",
            "description": body.get("description"),
            "last_active_at": now,
            "expires_after": expires,
            "expires_at": now + int(expires["days"]) * 86_400 if expires else None,
            "metadata": body.get("metadata"),
        }
        state.files[store_id] = {}
    for file_id in body.get("file_ids") or []:
        _add_file(h, state, store_id, str(file_id), body.get("chunking_strategy"))
    with state.lock:
        h.send_json(200, _store(state, store_id))


@FAMILY.route("GET", "/vector_stores")
def _list(h: Handler) -> None:
    state = _state(h)
    with state.lock:
        objs = [_store(state, sid) for sid in reversed(state.stores)]
    h.send_json(200, page_of(objs, h.record.query))


@FAMILY.route("GET", "/vector_stores/{store_id}")
def _retrieve(h: Handler) -> None:
    state = _state(h)
    store_id = h.params["store_id"]
    for file_id in list(state.files.get(store_id, {})):
        _look(h, state, store_id, file_id)
    with state.lock:
        h.send_json(200, _store(state, store_id))


@FAMILY.route("POST", "/vector_stores/{store_id}")
def _update(h: Handler) -> None:
    state = _state(h)
    body = h.record.json or {}
    with state.lock:
        store = state.stores.get(h.params["store_id"])
        if store is None:
            raise not_found("vector store", h.params["store_id"])
        if "name" in body:
            store["name"] = body["name"] or ""
        if "expires_after" in body:
            expires = body["expires_after"]
            store["expires_after"] = expires
            store["expires_at"] = (
                int(time.time()) + int(expires["days"]) * 86_400 if expires else None
            )
        h.send_json(200, _store(state, h.params["store_id"]))


@FAMILY.route("DELETE", "/vector_stores/{store_id}")
def _delete(h: Handler) -> None:
    state = _state(h)
    store_id = h.params["store_id"]
    with state.lock:
        if state.stores.pop(store_id, None) is None:
            raise not_found("vector store", store_id)
        state.files.pop(store_id, None)
    h.send_json(200, {"id": store_id, "object": "vector_store.deleted", "deleted": True})


def _add_file(
    h: Handler, state: FakeVectorStores, store_id: str, file_id: str, chunking: object
) -> JsonDict:
    stored = files_state(h).get(file_id)
    if stored is None:
        raise not_found("file", file_id)
    with state.lock:
        if store_id not in state.stores:
            raise not_found("vector store", store_id)
        obj: JsonDict = {
            "id": file_id,
            "object": "vector_store.file",
            "created_at": int(time.time()),
            "vector_store_id": store_id,
            "status": "in_progress",
            "last_error": None,
            "usage_bytes": 0,
            "attributes": {},
            "chunking_strategy": chunking
            or {
                "type": "static",
                "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400},
            },
        }
        state.files[store_id][file_id] = obj
        state.looks[(store_id, file_id)] = 0
        return obj


def _look(h: Handler, state: FakeVectorStores, store_id: str, file_id: str) -> JsonDict:
    with state.lock:
        obj = state.files.get(store_id, {}).get(file_id)
        if obj is None:
            raise not_found("vector store file", file_id)
        if obj["status"] != "in_progress":
            return obj
        state.looks[(store_id, file_id)] += 1
        if state.looks[(store_id, file_id)] < state.index_steps:
            return obj
    stored = files_state(h).get(file_id)
    with state.lock:
        if stored is None:
            obj.update(
                status="failed", last_error={"code": "server_error", "message": "File was deleted."}
            )
            return obj
        try:
            stored.data.decode("utf-8")
        except UnicodeDecodeError:
            obj.update(
                status="failed",
                last_error={
                    "code": "unsupported_file",
                    "message": "The file type is not supported.",
                },
            )
        else:
            obj.update(status="completed", usage_bytes=len(stored.data))
        return obj


@FAMILY.route("POST", "/vector_stores/{store_id}/files")
def _create_file(h: Handler) -> None:
    body = h.json_body()
    file_id = str(h.require(body, "file_id"))
    h.send_json(
        200, _add_file(h, _state(h), h.params["store_id"], file_id, body.get("chunking_strategy"))
    )


@FAMILY.route("GET", "/vector_stores/{store_id}/files")
def _list_files(h: Handler) -> None:
    state = _state(h)
    store_id = h.params["store_id"]
    if store_id not in state.stores:
        raise not_found("vector store", store_id)
    objs = [_look(h, state, store_id, fid) for fid in list(state.files.get(store_id, {}))]
    wanted = h.record.query.get("filter")
    if wanted:
        objs = [o for o in objs if o["status"] == wanted]
    h.send_json(200, page_of(list(reversed(objs)), h.record.query))


@FAMILY.route("GET", "/vector_stores/{store_id}/files/{file_id}")
def _retrieve_file(h: Handler) -> None:
    h.send_json(200, _look(h, _state(h), h.params["store_id"], h.params["file_id"]))


@FAMILY.route("DELETE", "/vector_stores/{store_id}/files/{file_id}")
def _delete_file(h: Handler) -> None:
    state = _state(h)
    with state.lock:
        if state.files.get(h.params["store_id"], {}).pop(h.params["file_id"], None) is None:
            raise not_found("vector store file", h.params["file_id"])
    h.send_json(
        200, {"id": h.params["file_id"], "object": "vector_store.file.deleted", "deleted": True}
    )


@FAMILY.route("POST", "/vector_stores/{store_id}/search")
def _search(h: Handler) -> None:
    state = _state(h)
    store_id = h.params["store_id"]
    body = h.json_body()
    query = h.require(body, "query")
    text = " ".join(query) if isinstance(query, list) else str(query)
    words = {w.lower() for w in _WORD.findall(text)}
    if not words:
        raise Reply(400, error_body("Invalid 'query': it has no words.", param="query"))
    limit = int(body.get("max_num_results") or 10)
    with state.lock:
        if store_id not in state.stores:
            raise not_found("vector store", store_id)
        ready = [f["id"] for f in state.files[store_id].values() if f["status"] == "completed"]
    results: list[JsonDict] = []
    for file_id in ready:
        stored = files_state(h).get(file_id)
        if stored is None:
            continue
        for chunk in re.split(r"\n\s*\n", stored.data.decode("utf-8")):
            found = {w.lower() for w in _WORD.findall(chunk)} & words
            if found and chunk.strip():
                results.append(
                    {
                        "file_id": file_id,
                        "filename": stored.obj["filename"],
                        "score": round(len(found) / len(words), 4),
                        "attributes": {},
                        "content": [{"type": "text", "text": chunk.strip()}],
                    }
                )
    results.sort(key=lambda r: -r["score"])
    h.send_json(
        200,
        {
            "object": "vector_store.search_results.page",
            "search_query": [text],
            "data": results[:limit],
            "has_more": False,
            "next_page": None,
        },
    )
