"""The Conversations API (``/v1/conversations``): server-side conversation state for Responses.

Routes:

* ``POST /v1/conversations``: ``{"items": [... at most 20 ...], "metadata": {...}}`` →
  ``{"id": "conv_…", "object": "conversation", "created_at", "metadata"}``.
* ``GET /v1/conversations/{id}``, ``POST /v1/conversations/{id}`` (``metadata``),
  ``DELETE /v1/conversations/{id}`` (``conversation.deleted``).
* ``POST /v1/conversations/{id}/items`` (at most 20 at a time; answers the list it added),
  ``GET /v1/conversations/{id}/items`` (``order`` asc/desc, ``limit``, ``after``),
  ``DELETE /v1/conversations/{id}/items/{item_id}`` (answers the conversation).

More than 20 items in one call is the API's 400 (``array_above_max_length`` on ``items``); an
unknown conversation is a 404. The Responses fake (:mod:`tests.fakes.responses`) reads a
request's ``conversation`` through :func:`context_of` and appends the input and the output
with :func:`append`. ``Scenario``-free: a test that wants a server without conversations turns
``FakeConversations.available`` off (every route then answers 404, as a compatible server does).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from tests.fakes.files import page_of
from tests.fakes.server import Family, Handler
from tests.fakes.wire import JsonDict, Reply, error_body, new_id

MAX_ITEMS = 20


@dataclass
class FakeConversations:
    """Conversations this server keeps, by id, with their items in order.

    Attributes:
        conversations: the conversation objects, by id.
        items: each conversation's items, oldest first.
        deleted: ids deleted so far (oldest first), for tests.
        deleted_items: ids of the items deleted one by one (oldest first), for tests.
        available: False makes every route a 404 (a compatible server without conversations).
    """

    conversations: dict[str, JsonDict] = field(default_factory=dict)
    items: dict[str, list[JsonDict]] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    deleted_items: list[str] = field(default_factory=list)
    available: bool = True
    lock: threading.Lock = field(default_factory=threading.Lock)


FAMILY = Family("conversations", state=FakeConversations)


def _state(h: Handler) -> FakeConversations:
    state = h.fake.state(FakeConversations)
    if not state.available:
        raise Reply(404, error_body(f"Invalid URL ({h.command} {h.record.path})"))
    return state


def not_found(conversation_id: str) -> Reply:
    return Reply(
        404,
        error_body(f"Conversation with id '{conversation_id}' not found.", param=None, code=None),
    )


def _stored_item(item: JsonDict) -> JsonDict:
    """An input item as the API lists it: with an id, a type and (messages) a content list."""
    out = dict(item)
    kind = out.setdefault("type", "message")
    if kind == "message":
        out.setdefault("id", new_id("msg_", 32))
        content = out.get("content")
        if isinstance(content, str):
            part = "output_text" if out.get("role") == "assistant" else "input_text"
            out["content"] = [{"type": part, "text": content}]
        out.setdefault("status", "completed")
    else:
        out.setdefault("id", new_id("item_", 32))
    return out


def _checked_items(raw: object, *, required: bool) -> list[JsonDict]:
    if raw is None and not required:
        return []
    if not isinstance(raw, list) or not all(isinstance(i, dict) for i in raw):
        raise Reply(
            400, error_body("Invalid 'items': expected an array of objects.", param="items")
        )
    if len(raw) > MAX_ITEMS:
        raise Reply(
            400,
            error_body(
                f"Invalid 'items': array too long. Expected an array with maximum length "
                f"{MAX_ITEMS}, but got an array with length {len(raw)} instead.",
                param="items",
                code="array_above_max_length",
            ),
        )
    return [_stored_item(i) for i in raw]


def context_of(h: Handler, conversation_id: str) -> list[JsonDict]:
    """The items of a conversation a response reads as context (a 404 if there is none)."""
    state = h.fake.state(FakeConversations)
    with state.lock:
        if not state.available or conversation_id not in state.conversations:
            raise not_found(conversation_id)
        return [dict(i) for i in state.items[conversation_id]]


def append(h: Handler, conversation_id: str, items: list[JsonDict]) -> None:
    """Appends a response's input and output items (after it completed)."""
    state = h.fake.state(FakeConversations)
    with state.lock:
        if conversation_id in state.items:
            state.items[conversation_id].extend(_stored_item(i) for i in items)


@FAMILY.route("POST", "/conversations")
def _create(h: Handler) -> None:
    state = _state(h)
    body = h.json_body()
    items = _checked_items(body.get("items"), required=False)
    conversation = {
        "id": new_id("conv_", 32),
        "object": "conversation",
        "created_at": int(time.time()),
        "metadata": body.get("metadata") or {},
    }
    with state.lock:
        state.conversations[conversation["id"]] = conversation
        state.items[conversation["id"]] = items
    h.send_json(200, conversation)


def _known(h: Handler, state: FakeConversations) -> str:
    conversation_id = h.params["conversation_id"]
    if conversation_id not in state.conversations:
        raise not_found(conversation_id)
    return conversation_id


@FAMILY.route("GET", "/conversations/{conversation_id}")
def _retrieve(h: Handler) -> None:
    state = _state(h)
    with state.lock:
        conversation = state.conversations[_known(h, state)]
    h.send_json(200, conversation)


@FAMILY.route("POST", "/conversations/{conversation_id}")
def _update(h: Handler) -> None:
    state = _state(h)
    body = h.json_body()
    metadata = h.require(body, "metadata")
    with state.lock:
        conversation = state.conversations[_known(h, state)]
        conversation["metadata"] = metadata or {}
    h.send_json(200, conversation)


@FAMILY.route("DELETE", "/conversations/{conversation_id}")
def _delete(h: Handler) -> None:
    state = _state(h)
    with state.lock:
        conversation_id = _known(h, state)
        del state.conversations[conversation_id]
        del state.items[conversation_id]
        state.deleted.append(conversation_id)
    h.send_json(200, {"id": conversation_id, "object": "conversation.deleted", "deleted": True})


@FAMILY.route("POST", "/conversations/{conversation_id}/items")
def _add_items(h: Handler) -> None:
    state = _state(h)
    body = h.json_body()
    items = _checked_items(h.require(body, "items"), required=True)
    with state.lock:
        state.items[_known(h, state)].extend(items)
    h.send_json(
        200,
        {
            "object": "list",
            "data": items,
            "first_id": items[0]["id"] if items else None,
            "last_id": items[-1]["id"] if items else None,
            "has_more": False,
        },
    )


@FAMILY.route("DELETE", "/conversations/{conversation_id}/items/{item_id}")
def _delete_item(h: Handler) -> None:
    state = _state(h)
    item_id = h.params["item_id"]
    with state.lock:
        conversation_id = _known(h, state)
        items = state.items[conversation_id]
        kept = [i for i in items if i.get("id") != item_id]
        if len(kept) == len(items):
            raise Reply(404, error_body(f"Item with id '{item_id}' not found.", param=None))
        state.items[conversation_id] = kept
        state.deleted_items.append(item_id)
        conversation = state.conversations[conversation_id]
    h.send_json(200, conversation)


@FAMILY.route("GET", "/conversations/{conversation_id}/items")
def _list_items(h: Handler) -> None:
    state = _state(h)
    query = dict(h.record.query)
    with state.lock:
        items = list(state.items[_known(h, state)])
    if query.pop("order", "desc") == "desc":
        items.reverse()
    h.send_json(200, page_of(items, query, limit_max=100, default_limit=20))
