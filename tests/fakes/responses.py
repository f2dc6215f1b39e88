"""The Responses API (``/v1/responses``).

Routes:

* ``POST /v1/responses``: JSON or SSE. The stream is the real event sequence:
  ``response.created``, ``response.in_progress``, then per output item
  ``response.output_item.added`` … ``response.output_item.done`` with, inside, the reasoning
  summary (``response.reasoning_summary_part.added``, ``…_text.delta``/``.done``,
  ``…_part.done``), built-in tool progress (``response.web_search_call.in_progress`` /
  ``.searching`` / ``.completed``, ``file_search_call``, ``code_interpreter_call`` with
  ``response.code_interpreter_call_code.delta``, ``image_generation_call`` with
  ``response.image_generation_call.partial_image``, ``mcp_call`` with
  ``response.mcp_call_arguments.delta``, ``mcp_list_tools``, ``mcp_approval_request``), function
  calls (``response.function_call_arguments.delta``/``.done``) and the answer
  (``response.content_part.added``, ``response.output_text.delta``,
  ``response.output_text.annotation.added``, ``response.output_text.done``,
  ``response.content_part.done``; or ``response.refusal.delta``/``.done``); it ends with
  ``response.completed`` (with usage), ``response.incomplete`` (``max_output_tokens`` reached or
  ``Scenario.incomplete_reason``), ``response.failed`` (``Scenario.response_failure``) or an
  ``error`` event (``Scenario.stream_error``). No ``[DONE]``. Pacing and drops follow the
  scenario (``tokens_per_second``, ``drop_after_chunks``) as chat does.
* ``mcp_approval_response`` input items: an approved request is called (an ``mcp_call`` item with
  ``Scenario.mcp_output``) before the answer, a denied one is not; an unknown request id is a 400.
* ``GET /v1/containers/{container_id}/files/{file_id}/content``: a file the code interpreter made
  (``StoredResponses.container_files``; answer it with a ``container_file_citation`` in
  ``Scenario.annotations``); an unknown one is the API's 404 (an expired container).
* ``POST /v1/responses/input_tokens``: ``{"object": "response.input_tokens", "input_tokens": n}``.
* ``POST /v1/responses/compact``: ``{"object": "response.compaction", "output": [...], "usage"}``:
  the input's user messages, then one ``compaction`` item whose made-up ``encrypted_content``
  encodes what it replaced (``decode_compaction``); ``/v1/responses`` takes such an item as input
  and counts it as few tokens (a forged one is a 400). A model that cannot compact
  (``NO_COMPACTION_RE``, or ``StoredResponses.cannot_compact``) is the API's 400.
* ``conversation`` (:mod:`tests.fakes.conversations`): its items are read as context before the
  input, and the input and the output are appended to it once the response completes; an
  unknown one is a 404; with ``previous_response_id`` too, the API's 400.
* ``DELETE /v1/responses/{id}``: deletes a stored response (``response.deleted``; 404 if unknown).
* ``GET /v1/responses/{id}``, ``POST /v1/responses/{id}/cancel``: stored responses; a
  ``background`` response is ``queued`` and answers ``in_progress`` to
  ``Scenario.background_polls`` retrievals before it is ``completed``.

A ``background`` request with ``stream: true`` streams while the response runs on in the
server (a thread makes its events, kept with their ``sequence_number``): ``GET
/v1/responses/{id}?stream=true&starting_after=N`` replays the events after N and goes on live.
``StoredResponses.hold_after`` holds every background response after that many events until
``release()``; ``drop_after`` drops the next background stream's connection after that many
events (the response runs on); ``stream_retrieval = False`` answers a streamed retrieval with a
400, as a compatible server that cannot stream it; cancel stops the events (the stream ends).

Stored responses (``store`` is the API's default) can be continued with
``previous_response_id``; an unknown id is the API's 400. The 400s the real API gives for
parameters a model rejects, with the error naming the param: ``temperature``/``top_p``/
``top_logprobs`` on GPT-6 at an effort other than ``none`` (and on GPT-5 and o-series at all), an
effort value a model lacks (``reasoning.effort``), a ``background`` request with ``store: false``,
a built-in tool on a model without them (``tools[i].type``), a vector store that does not exist
(``tools[i].vector_store_ids``, with ``Scenario.vector_stores``), prompt cache settings the API
refuses (:mod:`tests.fakes.prompt_cache`, which also reports a repeated start under one
``prompt_cache_key`` as ``cached_tokens``).
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from tests.fakes import conversations, prompt_cache
from tests.fakes import openai_payloads as payloads
from tests.fakes.server import Family, Handler
from tests.fakes.wire import JsonDict, Reply, error_body, new_id

ALL_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")

MODEL_EFFORTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"^gpt-6\.1-sol", ALL_EFFORTS[1:]),
    (r"^gpt-6", ALL_EFFORTS),
    (r"^gpt-5", ("minimal", "low", "medium", "high")),
    (r"^o\d", ("low", "medium", "high")),
)
"""The effort values each family takes, as the enforcing fake knows them (first match wins)."""

_TOOL_FOR_ITEM = {
    "web_search_call": "web_search",
    "file_search_call": "file_search",
    "code_interpreter_call": "code_interpreter",
    "image_generation_call": "image_generation",
    "mcp_call": "mcp",
    "mcp_list_tools": "mcp",
    "mcp_approval_request": "mcp",
}

Event = tuple[str | None, object, int]


@dataclass
class StoredResponses:
    """Responses this server keeps (``store`` on), by id, and background ones still running.

    Attributes:
        items: The stored response objects, by id.
        polls_left: For a background response, how many retrievals still say it is running.
        finals: For a background response, the object it becomes when it completes.
        container_files: The code interpreter's files, by (container id, file id).
        deleted: The ids of responses deleted (``DELETE /v1/responses/{id}``), oldest first.
    """

    items: dict[str, JsonDict] = field(default_factory=dict)
    polls_left: dict[str, int] = field(default_factory=dict)
    finals: dict[str, JsonDict] = field(default_factory=dict)
    container_files: dict[tuple[str, str], bytes] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    cannot_compact: set[str] = field(default_factory=set)  # models /responses/compact refuses
    # Streamed background responses (see the module docstring).
    background: dict[str, _BackgroundEvents] = field(default_factory=dict)
    hold_after: int | None = None
    drop_after: int | None = None
    stream_retrieval: bool = True
    changed: threading.Condition = field(default_factory=threading.Condition)

    def release(self) -> None:
        """Lets held background responses run on to their end."""
        with self.changed:
            self.hold_after = None
            self.changed.notify_all()

    def events_made(self, response_id: str) -> int:
        """How many events background response ``response_id`` has made so far."""
        with self.changed:
            return len(self.background[response_id].events)


@dataclass
class _BackgroundEvents:
    """A streamed background response's events so far (``events[n]`` has sequence number n)."""

    events: list[tuple[str, str]] = field(default_factory=list)  # (event name, JSON data)
    done: bool = False
    cancelled: bool = False


FAMILY = Family("responses", state=StoredResponses)


def efforts_for(model: str) -> tuple[str, ...] | None:
    """The effort values the fake accepts for ``model`` (None: it does not reason)."""
    for pattern, efforts in MODEL_EFFORTS:
        if re.search(pattern, model):
            return efforts
    return None


def _unsupported_value(param: str, value: object, supported: tuple[str, ...]) -> Reply:
    values = ", ".join(f"'{v}'" for v in supported)
    return Reply(
        400,
        error_body(
            f"Unsupported value: '{param}' does not support '{value}' with this model. Supported"
            f" values are: {values}.",
            param=param,
            code="unsupported_value",
        ),
    )


def _validate(h: Handler, body: JsonDict) -> str:
    model = h.check_model(body.get("model"))
    assert model is not None
    if body.get("input") is None and not body.get("previous_response_id"):
        h.require(body, "input")
    if body.get("conversation") and body.get("previous_response_id"):
        raise Reply(
            400,
            error_body(
                "Mutually exclusive parameters: Ensure you are only providing one of: "
                "'previous_response_id' or 'conversation'.",
                param=None,
                code="mutually_exclusive_parameters",
            ),
        )
    h.check_range(body, "temperature", 0, 2)
    h.check_range(body, "top_p", 0, 1)
    h.check_range(body, "top_logprobs", 0, 20, integer=True)
    prompt_cache.check(body, ttls=prompt_cache.RESPONSES_TTLS, prewarm=True)
    reasoning = body.get("reasoning") or {}
    effort = reasoning.get("effort") if isinstance(reasoning, dict) else None
    efforts = efforts_for(model)
    if effort is not None:
        if efforts is None:
            raise Reply(
                400,
                error_body(
                    "Unsupported parameter: 'reasoning.effort' is not supported with this model.",
                    param="reasoning.effort",
                    code="unsupported_parameter",
                ),
            )
        if effort not in efforts:
            raise _unsupported_value("reasoning.effort", effort, efforts)
    if efforts is not None:
        for name in ("temperature", "top_p", "top_logprobs"):
            if body.get(name) is None:
                continue
            if model.startswith("gpt-6") and effort == "none":
                continue
            reason = " when reasoning.effort is not 'none'" if model.startswith("gpt-6") else ""
            raise Reply(
                400,
                error_body(
                    f"Unsupported parameter: '{name}' is not supported with this model{reason}.",
                    param=name,
                    code="unsupported_parameter",
                ),
            )
    _check_tools(h, body, model)
    previous = body.get("previous_response_id")
    if previous:
        stored = h.fake.state(StoredResponses)
        with stored.lock:
            known = previous in stored.items
        if not known:
            raise Reply(
                400,
                error_body(
                    f"Previous response with id '{previous}' not found.",
                    param="previous_response_id",
                    code="previous_response_not_found",
                ),
            )
    if body.get("background") and body.get("store") is False:
        raise Reply(
            400,
            error_body(
                "Background mode requires 'store' to be true.",
                param="background",
                code="invalid_value",
            ),
        )
    return model


_NO_BUILTIN_TOOLS_RE = re.compile(r"nano|^gpt-3\.5|^gpt-4(?!o|\.1)")
"""Models the fake refuses built-in tools for (the API's list is longer; these serve the tests)."""


def _check_tools(h: Handler, body: JsonDict, model: str) -> None:
    tools = body.get("tools") or []
    for index, tool in enumerate(tools if isinstance(tools, list) else []):
        kind = tool.get("type") if isinstance(tool, dict) else None
        if kind in (None, "function", "custom"):
            continue
        if _NO_BUILTIN_TOOLS_RE.search(model):
            raise Reply(
                400,
                error_body(
                    f"Tool '{kind}' is not supported with {model}.",
                    param=f"tools[{index}].type",
                    code="unsupported_value",
                ),
            )
        known = h.fake.scenario.vector_stores
        if kind == "file_search" and known is not None:
            for store in tool.get("vector_store_ids") or []:
                if store not in known:
                    raise Reply(
                        400,
                        error_body(
                            f"Vector store with id '{store}' not found.",
                            param=f"tools[{index}].vector_store_ids",
                            code="invalid_value",
                        ),
                    )


def count_input_tokens(body: JsonDict) -> int:
    """The input tokens the fake reports for a Responses body (also ``/input_tokens``): the
    instructions, each input item's text (85 per image), function tools' JSON, 3 per item."""
    total = 3
    instructions = body.get("instructions")
    if isinstance(instructions, str):
        total += payloads.count_tokens(instructions)
    items = body.get("input")
    if isinstance(items, str):
        items = [{"role": "user", "content": items}]
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        total += 3
        if item.get("type") == "compaction":
            total += COMPACTION_TOKENS
        content = item.get("content")
        if isinstance(content, str):
            total += payloads.count_tokens(content)
        elif isinstance(content, list):
            for part in content:
                if not isinstance(part, dict):
                    continue
                if isinstance(part.get("text"), str):
                    total += payloads.count_tokens(part["text"])
                elif part.get("type") == "input_image":
                    total += payloads.IMAGE_PART_TOKENS
        for key in ("arguments", "output", "name"):
            if isinstance(item.get(key), str):
                total += payloads.count_tokens(item[key])
    tools = [
        t for t in body.get("tools") or () if isinstance(t, dict) and t.get("type") == "function"
    ]
    if tools:
        total += payloads.count_tokens(json.dumps(tools, sort_keys=True, separators=(",", ":")))
    return total


class _Builder:
    """Builds one response: its output items and the events that stream them."""

    def __init__(self, h: Handler, body: JsonDict, model: str) -> None:
        self.h = h
        self.body = body
        self.scenario = h.fake.scenario
        self.id = new_id("resp_", 32)
        self.created = int(time.time())
        self.model = model
        self.seq = 0
        self.output: list[JsonDict] = []
        self.tools = {str(t.get("type")) for t in body.get("tools") or () if isinstance(t, dict)}
        reasoning = body.get("reasoning") or {}
        self.summary_wanted = bool(isinstance(reasoning, dict) and reasoning.get("summary"))
        text = self.scenario.reply_text
        self.text = text(body) if callable(text) else text
        self.status = "completed"
        self.incomplete_reason: str | None = self.scenario.incomplete_reason
        limit = body.get("max_output_tokens")
        if isinstance(limit, int) and payloads.count_tokens(self.text) > limit:
            self.text = payloads.truncate_tokens(self.text, limit)
            self.incomplete_reason = self.incomplete_reason or "max_output_tokens"
        if self.incomplete_reason:
            self.status = "incomplete"
        if self.scenario.response_failure:
            self.status = "failed"
        self.approvals = self._approvals()

    def _approvals(self) -> list[tuple[JsonDict, bool]]:
        """The approval requests this request answers, each with the user's answer."""
        items = self.body.get("input")
        items = items if isinstance(items, list) else []
        known = {
            str(i.get("id")): i
            for i in items
            if isinstance(i, dict) and i.get("type") == "mcp_approval_request"
        }
        previous = self.body.get("previous_response_id")
        if previous:
            stored = self.h.fake.state(StoredResponses)
            with stored.lock:
                earlier = stored.items.get(str(previous)) or {}
            known.update(
                (str(i.get("id")), i)
                for i in earlier.get("output") or ()
                if isinstance(i, dict) and i.get("type") == "mcp_approval_request"
            )
        out: list[tuple[JsonDict, bool]] = []
        for k, item in enumerate(items):
            if not (isinstance(item, dict) and item.get("type") == "mcp_approval_response"):
                continue
            request_id = str(item.get("approval_request_id"))
            if request_id not in known:
                raise Reply(
                    400,
                    error_body(
                        f"No approval request found with id '{request_id}'.",
                        param=f"input[{k}].approval_request_id",
                        code="invalid_value",
                    ),
                )
            out.append((known[request_id], bool(item.get("approve"))))
        return out

    def event(self, kind: str, tokens: int = 0, **fields: object) -> Event:
        payload: JsonDict = {"type": kind, "sequence_number": self.seq, **fields}
        self.seq += 1
        return kind, payload, tokens

    def response(self, status: str, *, final: bool) -> JsonDict:
        scenario = self.scenario
        tier = scenario.service_tier or self.body.get("service_tier") or "default"
        if tier == "auto":
            tier = "default"
        out: JsonDict = {
            "id": self.id,
            "object": "response",
            "created_at": self.created,
            "status": status,
            "background": bool(self.body.get("background")),
            "error": None,
            "incomplete_details": None,
            "instructions": self.body.get("instructions"),
            "max_output_tokens": self.body.get("max_output_tokens"),
            "model": self.model,
            "output": list(self.output) if final else [],
            "parallel_tool_calls": True,
            "previous_response_id": self.body.get("previous_response_id"),
            "reasoning": self.body.get("reasoning") or {"effort": None, "summary": None},
            "service_tier": tier,
            "store": self.body.get("store", True) is not False,
            "temperature": self.body.get("temperature", 1.0),
            "text": self.body.get("text") or {"format": {"type": "text"}},
            "tool_choice": self.body.get("tool_choice", "auto"),
            "tools": self.body.get("tools") or [],
            "top_p": self.body.get("top_p", 1.0),
            "truncation": "disabled",
            "usage": self.usage() if final else None,
            "metadata": {},
        }
        if final and status == "incomplete":
            out["incomplete_details"] = {"reason": self.incomplete_reason}
        if final and status == "failed":
            failure = self.scenario.response_failure or {}
            out["error"] = {
                "code": failure.get("code", "server_error"),
                "message": failure.get("message", "The model failed to generate a response."),
            }
        return out

    def usage(self) -> JsonDict:
        scenario = self.scenario
        output = sum(
            payloads.count_tokens(str(part.get("text") or part.get("refusal") or ""))
            for item in self.output
            if item.get("type") == "message"
            for part in item.get("content") or ()
        )
        output += sum(
            payloads.count_tokens(str(item.get("arguments") or ""))
            for item in self.output
            if item.get("type") == "function_call"
        )
        output += scenario.reasoning_tokens
        input_tokens = count_input_tokens(self.body)
        usage: JsonDict = {
            "input_tokens": input_tokens,
            "input_tokens_details": {
                "cached_tokens": max(scenario.cached_tokens, self.prompt_cached()),
                "cache_write_tokens": 0,
            },
            "output_tokens": output,
            "output_tokens_details": {"reasoning_tokens": scenario.reasoning_tokens},
            "total_tokens": input_tokens + output,
        }
        self.h.fake._add_tokens(input_tokens + output)
        return usage

    def prompt_cached(self) -> int:
        """Input tokens read from the prompt cache (:mod:`tests.fakes.prompt_cache`), looked up
        once per request."""
        if not hasattr(self, "_prompt_cached"):
            items = self.body.get("input")
            items = items if isinstance(items, list) else [items]
            self._prompt_cached = prompt_cache.cached_tokens(
                self.h.fake,
                self.body,
                [self.body.get("instructions"), *items],
                lambda k: count_input_tokens({**self.body, "input": items[: k - 1]}),
            )
        return self._prompt_cached

    # -- the events -----------------------------------------------------------------------------

    def events(self) -> Iterator[Event]:
        yield self.event("response.created", response=self.response("in_progress", final=False))
        yield self.event("response.in_progress", response=self.response("in_progress", final=False))
        waiting = False
        if efforts_for(self.model) is not None:
            yield from self.reasoning_events()
        for request, approve in self.approvals:
            if approve:
                call = {
                    "type": "mcp_call",
                    "server_label": request.get("server_label"),
                    "name": request.get("name"),
                    "arguments": request.get("arguments"),
                    "approval_request_id": request.get("id"),
                    "output": self.scenario.mcp_output,
                }
                yield from self.tool_events(call)
        for item in self.scenario.builtin_items:
            if item.get("type") == "mcp_approval_request" and self.approvals:
                continue  # this turn answers the approval; the model goes on
            if _TOOL_FOR_ITEM.get(str(item.get("type"))) in self.tools:
                yield from self.tool_events(dict(item))
                waiting = waiting or item.get("type") == "mcp_approval_request"
        if self.scenario.tool_calls:
            for name, arguments in self.scenario.tool_calls:
                yield from self.function_events(name, arguments)
        elif not waiting:
            yield from self.message_events()
        if self.scenario.stream_error is not None:
            error = self.scenario.stream_error
            yield self.event(
                "error",
                code=error.get("code", "server_error"),
                message=error.get("message", "An error occurred."),
                param=error.get("param"),
            )
            return
        final = self.response(self.status, final=True)
        self.remember(final)
        kind = {"failed": "response.failed", "incomplete": "response.incomplete"}.get(
            self.status, "response.completed"
        )
        yield self.event(kind, response=final)

    def reasoning_events(self) -> Iterator[Event]:
        index = len(self.output)
        item: JsonDict = {"id": new_id("rs_", 32), "type": "reasoning", "summary": []}
        yield self.event("response.output_item.added", output_index=index, item=dict(item))
        summary = self.scenario.reasoning_summary if self.summary_wanted else ""
        parts = [p.strip() for p in summary.split("\n\n") if p.strip()]
        done_parts: list[JsonDict] = []
        for k, text in enumerate(parts):
            common = {"item_id": item["id"], "output_index": index, "summary_index": k}
            yield self.event(
                "response.reasoning_summary_part.added",
                **common,
                part={"type": "summary_text", "text": ""},
            )
            for piece in payloads.split_chunks(text, 1, "word"):
                yield self.event(
                    "response.reasoning_summary_text.delta",
                    payloads.count_tokens(piece),
                    **common,
                    delta=piece,
                )
            yield self.event("response.reasoning_summary_text.done", **common, text=text)
            part = {"type": "summary_text", "text": text}
            yield self.event("response.reasoning_summary_part.done", **common, part=part)
            done_parts.append(part)
        item["summary"] = done_parts
        self.output.append(item)
        yield self.event("response.output_item.done", output_index=index, item=item)

    def tool_events(self, item: JsonDict) -> Iterator[Event]:
        kind = str(item["type"])
        index = len(self.output)
        prefix = {"mcp_call": "mcp_", "mcp_list_tools": "mcpl_", "mcp_approval_request": "mcpr_"}
        item.setdefault("id", new_id(prefix.get(kind, kind.split("_")[0][:2] + "_"), 32))
        final = dict(item)
        if kind != "mcp_approval_request":
            final.setdefault("status", "failed" if item.get("error") else "completed")
        started = {k: v for k, v in final.items() if k in ("id", "type", "server_label", "name")}
        if kind != "mcp_approval_request":
            started["status"] = "in_progress"
        if kind == "code_interpreter_call":
            started.update(
                code="", container_id=final.get("container_id", "cntr_fake"), outputs=None
            )
            final.setdefault("container_id", "cntr_fake")
        common = {"item_id": final["id"], "output_index": index}
        yield self.event("response.output_item.added", output_index=index, item=started)
        if kind != "mcp_approval_request":
            yield self.event(f"response.{kind}.in_progress", **common)
        if kind in ("web_search_call", "file_search_call"):
            yield self.event(f"response.{kind}.searching", **common)
        elif kind == "code_interpreter_call":
            code = str(final.get("code") or "")
            for piece in payloads.split_chunks(code, 1, "word"):
                yield self.event("response.code_interpreter_call_code.delta", **common, delta=piece)
            yield self.event("response.code_interpreter_call_code.done", **common, code=code)
            yield self.event("response.code_interpreter_call.interpreting", **common)
        elif kind == "image_generation_call":
            yield self.event("response.image_generation_call.generating", **common)
            wanted = [
                t
                for t in self.body.get("tools") or ()
                if isinstance(t, dict) and t.get("type") == "image_generation"
            ]
            partials = int(wanted[0].get("partial_images") or 0) if wanted else 0
            for k in range(partials):
                yield self.event(
                    "response.image_generation_call.partial_image",
                    **common,
                    partial_image_index=k,
                    partial_image_b64=str(final.get("result") or ""),
                )
        elif kind == "mcp_call":
            arguments = str(final.get("arguments") or "")
            yield self.event("response.mcp_call_arguments.delta", **common, delta=arguments)
            yield self.event("response.mcp_call_arguments.done", **common, arguments=arguments)
        if kind != "mcp_approval_request":
            end = (
                "failed"
                if final.get("status") == "failed" and kind.startswith("mcp")
                else "completed"
            )
            yield self.event(f"response.{kind}.{end}", **common)
        self.output.append(final)
        yield self.event("response.output_item.done", output_index=index, item=final)

    def function_events(self, name: str, arguments: str) -> Iterator[Event]:
        index = len(self.output)
        item: JsonDict = {
            "id": new_id("fc_", 32),
            "type": "function_call",
            "call_id": new_id("call_", 24),
            "name": name,
            "arguments": "",
            "status": "in_progress",
        }
        yield self.event("response.output_item.added", output_index=index, item=dict(item))
        common = {"item_id": item["id"], "output_index": index}
        for piece in payloads.split_chunks(arguments, 1, "token"):
            yield self.event(
                "response.function_call_arguments.delta",
                payloads.count_tokens(piece),
                **common,
                delta=piece,
            )
        yield self.event("response.function_call_arguments.done", **common, arguments=arguments)
        item.update(arguments=arguments, status="completed")
        self.output.append(item)
        yield self.event("response.output_item.done", output_index=index, item=item)

    def message_events(self) -> Iterator[Event]:
        index = len(self.output)
        item: JsonDict = {
            "id": new_id("msg_", 32),
            "type": "message",
            "role": "assistant",
            "status": "in_progress",
            "content": [],
        }
        yield self.event("response.output_item.added", output_index=index, item=dict(item))
        common = {"item_id": item["id"], "output_index": index, "content_index": 0}
        refusal = self.scenario.refusal_text
        want_logprobs = "message.output_text.logprobs" in (self.body.get("include") or ())
        top = int(self.body.get("top_logprobs") or 0)
        if refusal is not None:
            part: JsonDict = {"type": "refusal", "refusal": ""}
            yield self.event("response.content_part.added", **common, part=dict(part))
            for piece in payloads.split_chunks(refusal, 1, "word"):
                yield self.event("response.refusal.delta", **common, delta=piece)
            yield self.event("response.refusal.done", **common, refusal=refusal)
            part["refusal"] = refusal
        else:
            part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
            yield self.event("response.content_part.added", **common, part=dict(part))
            for piece in payloads.split_chunks(
                self.text, self.scenario.chunk_size, self.scenario.chunk_unit
            ):
                logprobs = payloads.token_logprobs(piece, top) if want_logprobs else []
                yield self.event(
                    "response.output_text.delta",
                    payloads.count_tokens(piece),
                    **common,
                    delta=piece,
                    logprobs=logprobs,
                )
            for k, annotation in enumerate(self.scenario.annotations):
                yield self.event(
                    "response.output_text.annotation.added",
                    **common,
                    annotation_index=k,
                    annotation=annotation,
                )
            yield self.event("response.output_text.done", **common, text=self.text, logprobs=[])
            part.update(text=self.text, annotations=list(self.scenario.annotations))
        yield self.event("response.content_part.done", **common, part=part)
        item.update(status="incomplete" if self.status == "incomplete" else "completed")
        item["content"] = [part]
        self.output.append(item)
        yield self.event("response.output_item.done", output_index=index, item=item)

    def whole(self) -> JsonDict:
        """The non-streamed response (every event built, none sent)."""
        for _ in self.events():
            pass
        return self.response(self.status, final=True)

    def remember(self, final: JsonDict) -> None:
        if self.body.get("store", True) is False:
            return
        stored = self.h.fake.state(StoredResponses)
        with stored.lock:
            stored.items[self.id] = final


@FAMILY.route("POST", "/responses")
def _create(h: Handler) -> None:
    body = h.json_body()
    model = _validate(h, body)
    _check_compactions(body)
    conversation = _conversation_id(body)
    if conversation:  # its items come first, as context
        sent = body.get("input")
        sent = [{"role": "user", "content": sent}] if isinstance(sent, str) else sent or []
        body = {**body, "input": [*conversations.context_of(h, conversation), *sent]}
        builder = _Builder(h, body, model)
        _append_when_done(h, builder, conversation, sent)
    else:
        builder = _Builder(h, body, model)
    if body.get("background") and body.get("stream"):
        _stream_background(h, builder)
        return
    if body.get("background"):
        final = builder.whole()
        queued = builder.response("queued", final=False)
        stored = h.fake.state(StoredResponses)
        with stored.lock:
            stored.items[builder.id] = queued
            stored.finals[builder.id] = final
            stored.polls_left[builder.id] = h.fake.scenario.background_polls
        h.send_json(200, queued)
        return
    if body.get("stream"):
        h.send_sse(builder.events(), done=False)
        return
    h.send_json(200, builder.whole())


def _conversation_id(body: JsonDict) -> str:
    raw = body.get("conversation")
    return str(raw.get("id", "")) if isinstance(raw, dict) else str(raw or "")


def _append_when_done(
    h: Handler, builder: _Builder, conversation: str, sent: list[JsonDict]
) -> None:
    """Appends the input and the output to the conversation once the response is complete."""
    remember = builder.remember

    def remember_and_append(final: JsonDict) -> None:
        remember(final)
        if final.get("status") == "completed":
            conversations.append(h, conversation, [*sent, *builder.output])

    builder.remember = remember_and_append  # type: ignore[method-assign]


@FAMILY.route("DELETE", "/responses/{response_id}")
def _delete(h: Handler) -> None:
    stored, response_id = _stored(h)
    with stored.lock:
        stored.items.pop(response_id, None)
        stored.deleted.append(response_id)
    h.send_json(200, {"id": response_id, "object": "response.deleted", "deleted": True})


@FAMILY.route("POST", "/responses/input_tokens")
def _input_tokens(h: Handler) -> None:
    body = h.json_body()
    h.check_model(body.get("model"), required=False)
    h.send_json(200, {"object": "response.input_tokens", "input_tokens": count_input_tokens(body)})


def _stored(h: Handler) -> tuple[StoredResponses, str]:
    response_id = h.params["response_id"]
    stored = h.fake.state(StoredResponses)
    with stored.lock:
        known = response_id in stored.items
    if not known:
        raise Reply(
            404,
            error_body(
                f"Response with id '{response_id}' not found.", param="response_id", code=None
            ),
        )
    return stored, response_id


def _stream_background(h: Handler, builder: _Builder) -> None:
    """Starts the response in a thread of its own (it runs on whatever the connection does) and
    streams its events as they come."""
    stored = h.fake.state(StoredResponses)
    running = _BackgroundEvents()
    with stored.lock:
        stored.items[builder.id] = builder.response("queued", final=False)
        stored.polls_left[builder.id] = 0
    with stored.changed:
        stored.background[builder.id] = running
    fake = h.fake

    def make() -> None:
        for kind, payload, tokens in builder.events():
            tps = fake.scenario.tokens_per_second
            if tps and tokens and not fake._pause(tokens / tps):
                break
            with stored.changed:
                while (
                    stored.hold_after is not None
                    and len(running.events) >= stored.hold_after
                    and not running.cancelled
                    and not fake._stopping.is_set()
                ):
                    stored.changed.wait(0.05)
                if running.cancelled or fake._stopping.is_set():
                    break
                running.events.append((str(kind), json.dumps(payload)))
                stored.changed.notify_all()
        with stored.changed:
            running.done = True
            stored.changed.notify_all()

    threading.Thread(target=make, name="fake-background", daemon=True).start()
    _send_background(h, running, after=-1)


def _send_background(h: Handler, running: _BackgroundEvents, *, after: int) -> None:
    """Streams a background response's events after sequence number ``after``, live."""
    stored = h.fake.state(StoredResponses)
    with stored.changed:
        drop, stored.drop_after = stored.drop_after, None
    h.send_head(200, "text/event-stream; charset=utf-8", {"cache-control": "no-cache"}, None)
    index, sent = after + 1, 0
    while True:
        with stored.changed:
            while index >= len(running.events) and not running.done:
                if h.fake._stopping.is_set():
                    return
                stored.changed.wait(0.05)
            batch = running.events[index:]
        if not batch:
            break
        for name, data in batch:
            if drop is not None and sent >= drop:
                h.abort()
                return
            h.write_chunk(f"event: {name}\ndata: {data}\n\n".encode())
            sent += 1
        index += len(batch)
    h.end_chunks()


@FAMILY.route("GET", "/responses/{response_id}")
def _retrieve(h: Handler) -> None:
    stored, response_id = _stored(h)
    with stored.changed:
        running = stored.background.get(response_id)
    if h.record.query.get("stream") == "true":
        if not stored.stream_retrieval:
            raise Reply(400, error_body("Unknown parameter: 'stream'.", param="stream"))
        if running is None:
            raise Reply(
                400,
                error_body(
                    "Only responses created with background=true and stream=true can be "
                    "streamed again.",
                    param="stream",
                ),
            )
        _send_background(h, running, after=int(h.record.query.get("starting_after", "-1")))
        return
    if running is not None and not running.done:
        with stored.lock:
            current = {**stored.items[response_id], "status": "in_progress"}
        h.send_json(200, current)
        return
    with stored.lock:
        current = stored.items[response_id]
        if current["status"] in ("queued", "in_progress"):
            left = stored.polls_left.get(response_id, 0)
            if left > 0:
                stored.polls_left[response_id] = left - 1
                current = {**current, "status": "in_progress"}
            else:
                current = stored.finals.pop(response_id, {**current, "status": "completed"})
            stored.items[response_id] = current
    h.send_json(200, current)


@FAMILY.route("POST", "/responses/{response_id}/cancel")
def _cancel(h: Handler) -> None:
    stored, response_id = _stored(h)
    with stored.lock:
        current = stored.items[response_id]
        if not current.get("background"):
            raise Reply(
                400,
                error_body(
                    "Only responses created with background=true can be cancelled.",
                    param="response_id",
                ),
            )
        if current["status"] in ("queued", "in_progress"):
            current = {**current, "status": "cancelled"}
            stored.items[response_id] = current
            stored.finals.pop(response_id, None)
    with stored.changed:
        running = stored.background.get(response_id)
        if running is not None and not running.done:
            running.cancelled = True  # its events stop; the final object says cancelled
            current = {**current, "status": "cancelled"}
            with stored.lock:
                stored.items[response_id] = current
            stored.changed.notify_all()
    h.send_json(200, current)


@FAMILY.route("GET", "/containers/{container_id}/files/{file_id}/content")
def _container_file(h: Handler) -> None:
    stored = h.fake.state(StoredResponses)
    key = (h.params["container_id"], h.params["file_id"])
    with stored.lock:
        data = stored.container_files.get(key)
    if data is None:
        raise Reply(404, error_body(f"Container file '{key[1]}' not found.", param=None, code=None))
    h.send_bytes(200, data, "application/octet-stream")


# --- /responses/compact ---------------------------------------------------------------------

NO_COMPACTION_RE = re.compile(r"^gpt-3\.5|^gpt-4-32k|^chatgpt-|audio|search|realtime")
"""Models the fake says cannot compact (the API's list differs; these serve the tests)."""

_COMPACTION_PREFIX = "fake-compaction:"
COMPACTION_TOKENS = 12
"""The input tokens the fake counts for one compaction item (what it replaced is not read)."""


def decode_compaction(encrypted_content: str) -> list[str]:
    """The texts a fake compaction item replaced (raises ValueError for a forged one)."""
    if not encrypted_content.startswith(_COMPACTION_PREFIX):
        raise ValueError("not a compaction of this server")
    raw = base64.b64decode(encrypted_content[len(_COMPACTION_PREFIX) :], validate=True)
    texts = json.loads(raw)
    if not isinstance(texts, list):
        raise ValueError("not a compaction of this server")
    return [str(t) for t in texts]


def _check_compactions(body: JsonDict) -> None:
    items = body.get("input")
    for index, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict) or item.get("type") != "compaction":
            continue
        try:
            decode_compaction(str(item.get("encrypted_content") or ""))
        except ValueError as exc:
            raise Reply(
                400,
                error_body(
                    "The encrypted content of the compaction item could not be verified.",
                    param=f"input[{index}].encrypted_content",
                    code="invalid_encrypted_content",
                ),
            ) from exc


def _item_texts(item: JsonDict) -> list[str]:
    if item.get("type") == "compaction":
        return decode_compaction(str(item.get("encrypted_content") or ""))
    content = item.get("content")
    if isinstance(content, str):
        return [content]
    return [
        str(p["text"])
        for p in content or ()
        if isinstance(p, dict) and isinstance(p.get("text"), str)
    ] + [str(item[k]) for k in ("arguments", "output") if isinstance(item.get(k), str)]


@FAMILY.route("POST", "/responses/compact")
def _compact(h: Handler) -> None:
    body = h.json_body()
    model = h.check_model(body.get("model"))
    assert model is not None
    stored = h.fake.state(StoredResponses)
    with stored.lock:
        refused = model in stored.cannot_compact
    if refused or NO_COMPACTION_RE.search(model):
        raise Reply(
            400,
            error_body(
                f"The model '{model}' does not support compaction.",
                param="model",
                code="unsupported_model",
            ),
        )
    if body.get("input") is None and not body.get("previous_response_id"):
        h.require(body, "input")
    _check_compactions(body)
    items = body.get("input")
    items = [{"role": "user", "content": items}] if isinstance(items, str) else items or []
    replaced: list[str] = []
    users: list[JsonDict] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        replaced += _item_texts(item)
        if item.get("role") == "user" and item.get("type", "message") == "message":
            content = item.get("content")
            if isinstance(content, str):
                content = [{"type": "input_text", "text": content}]
            users.append(
                {
                    "id": new_id("msg_", 32),
                    "type": "message",
                    "role": "user",
                    "status": "completed",
                    "content": content,
                }
            )
    encoded = base64.b64encode(json.dumps(replaced).encode()).decode()
    compaction = {
        "id": new_id("cmp_", 32),
        "type": "compaction",
        "encrypted_content": _COMPACTION_PREFIX + encoded,
    }
    input_tokens = count_input_tokens(body)
    h.send_json(
        200,
        {
            "id": new_id("resp_", 32),
            "object": "response.compaction",
            "created_at": int(time.time()),
            "output": [*users, compaction],
            "usage": {
                "input_tokens": input_tokens,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": COMPACTION_TOKENS,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": input_tokens + COMPACTION_TOKENS,
            },
        },
    )
