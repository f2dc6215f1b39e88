"""The Responses API's built-in tools as typed settings, and what one call of them did (`ToolStep`).

A request carries its built-in tools as plain frozen data (`ChatRequest.builtin_tools`); each knows
its wire shape (`to_api`). While a reply streams, every built-in tool call the model makes
(`web_search_call`, `file_search_call`, `code_interpreter_call`, `image_generation_call`,
`mcp_call`, `mcp_approval_request`) becomes a `ToolStep`: its kind, its status, one plain
sentence for the collapsed step, and the details the expanded step shows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Literal

from playground.core.models import Usage
from playground.core.money.pricing import TOOL_CALLS


@dataclass(frozen=True, slots=True)
class UserLocation:
    """An approximate place for web search results (every part optional)."""

    city: str = ""
    region: str = ""
    country: str = ""
    timezone: str = ""

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "approximate"}
        for name in ("city", "region", "country", "timezone"):
            value = getattr(self, name)
            if value:
                out[name] = value
        return out


@dataclass(frozen=True, slots=True)
class WebSearchTool:
    """Web search. `context_size` is "low", "medium" or "high" (None: the API's default)."""

    context_size: str | None = None
    allowed_domains: tuple[str, ...] = ()
    user_location: UserLocation | None = None

    kind: Literal["web_search"] = "web_search"

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "web_search"}
        if self.context_size:
            out["search_context_size"] = self.context_size
        if self.allowed_domains:
            out["filters"] = {"allowed_domains": list(self.allowed_domains)}
        if self.user_location is not None:
            out["user_location"] = self.user_location.to_api()
        return out


@dataclass(frozen=True, slots=True)
class FileSearchTool:
    """File search over vector stores."""

    vector_store_ids: tuple[str, ...]
    max_num_results: int | None = None

    kind: Literal["file_search"] = "file_search"

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": "file_search",
            "vector_store_ids": list(self.vector_store_ids),
        }
        if self.max_num_results is not None:
            out["max_num_results"] = self.max_num_results
        return out


@dataclass(frozen=True, slots=True)
class CodeInterpreterTool:
    """Code interpreter in a container: `container_id` reuses one, else the API makes one."""

    container_id: str | None = None

    kind: Literal["code_interpreter"] = "code_interpreter"

    def to_api(self) -> dict[str, Any]:
        container: str | dict[str, Any] = self.container_id or {"type": "auto"}
        return {"type": "code_interpreter", "container": container}


@dataclass(frozen=True, slots=True)
class ImageGenerationTool:
    """Image generation inside an answer. `partial_images` (0–3) streams previews."""

    model: str | None = None
    size: str | None = None
    quality: str | None = None
    partial_images: int = 0

    kind: Literal["image_generation"] = "image_generation"

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "image_generation"}
        for name in ("model", "size", "quality"):
            value = getattr(self, name)
            if value:
                out[name] = value
        if self.partial_images:
            out["partial_images"] = self.partial_images
        return out


@dataclass(frozen=True, slots=True)
class McpTool:
    """A remote MCP server. Headers (keys, tokens) come from the keyring, never from settings.

    `require_approval` is "always" (the default: the user approves each call) or "never" (the user
    ticked "always allow" for this server).
    """

    server_label: str
    server_url: str
    headers: tuple[tuple[str, str], ...] = ()
    allowed_tools: tuple[str, ...] = ()
    require_approval: str = "always"

    kind: Literal["mcp"] = "mcp"

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": "mcp",
            "server_label": self.server_label,
            "server_url": self.server_url,
            "require_approval": self.require_approval,
        }
        if self.headers:
            out["headers"] = dict(self.headers)
        if self.allowed_tools:
            out["allowed_tools"] = list(self.allowed_tools)
        return out

    def __repr__(self) -> str:  # headers carry secrets: never in a log or a traceback
        return f"McpTool(server_label={self.server_label!r}, server_url={self.server_url!r})"


BuiltinTool = WebSearchTool | FileSearchTool | CodeInterpreterTool | ImageGenerationTool | McpTool
"""One built-in tool's settings."""

StepKind = Literal[
    "web_search_call",
    "file_search_call",
    "code_interpreter_call",
    "image_generation_call",
    "mcp_call",
    "mcp_list_tools",
    "mcp_approval_request",
]

STEP_KINDS: frozenset[str] = frozenset(StepKind.__args__)  # type: ignore[attr-defined]
STEP_TITLES: dict[str, str] = {
    "web_search_call": "Web search",
    "file_search_call": "File search",
    "code_interpreter_call": "Code interpreter",
    "image_generation_call": "Image generation",
    "mcp_call": "MCP tool",
    "mcp_list_tools": "MCP tools listed",
    "mcp_approval_request": "MCP approval",
}
"""What each kind of step is called where it is shown."""


@dataclass(frozen=True, slots=True)
class Citation:
    """A source the answer cites: a web page (`url`) or a file (`file_id`, `filename`); a file
    the code interpreter made also names its `container_id`."""

    title: str = ""
    url: str = ""
    file_id: str = ""
    filename: str = ""
    start_index: int | None = None
    end_index: int | None = None
    container_id: str = ""


@dataclass(frozen=True, slots=True)
class FileHit:
    """One chunk file search retrieved."""

    filename: str
    file_id: str
    score: float | None
    text: str


@dataclass(frozen=True, slots=True)
class ToolStep:
    """One built-in tool call as the answer shows it (collapsed: `summary`; expanded: the rest).

    Attributes:
        item_id: the output item's id (an approval answer names it).
        kind: the output item type (`web_search_call`, `mcp_approval_request`, …).
        status: "in_progress", "searching", "interpreting", "generating", "calling",
            "completed", "failed", "incomplete", or "awaiting_approval".
        summary: one plain sentence: "Searched the web for “…”".
        queries: search queries (web and file search).
        sources: URLs a web search read.
        hits: chunks a file search retrieved.
        code: the code the code interpreter ran.
        output: what it printed, an MCP tool's result, or an image's revised prompt.
        images: base64 images (image generation: the final picture; partials while streaming).
        server_label: the MCP server.
        tool_name: the MCP tool called.
        arguments: the MCP tool's arguments (JSON text).
        error: what went wrong, in the API's words, when it failed.
        container_id: the code interpreter's container (where its files are).
        files: files the code interpreter made (as the answer cites them), downloadable.
        fee: what this call cost on top of the answer's tokens, for the kinds with a fee of
            their own (`FEE_KINDS`); None when the price data does not give it.
        fee_checked: whether `fee` was looked up (`with_fees`, once the answer is in).
    """

    item_id: str
    kind: str
    status: str
    summary: str
    queries: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    hits: tuple[FileHit, ...] = ()
    code: str = ""
    output: str = ""
    images: tuple[str, ...] = ()
    server_label: str = ""
    tool_name: str = ""
    arguments: str = ""
    error: str = ""
    container_id: str = ""
    files: tuple[Citation, ...] = ()
    fee: Decimal | None = None
    fee_checked: bool = False

    @property
    def has_fee(self) -> bool:
        """Whether this kind of call is billed on top of the answer's tokens."""
        return self.kind in FEE_KINDS

    @property
    def done(self) -> bool:
        return self.status in ("completed", "failed", "incomplete")


@dataclass(frozen=True, slots=True)
class McpApproval:
    """The user's answer to an MCP approval request (a `ToolStep` of kind `mcp_approval_request`)."""

    request: ToolStep
    approve: bool

    def to_api(self, *, with_request: bool) -> list[dict[str, Any]]:
        """The input items that answer the request. Without server-side state the request item
        itself goes first (the API must see what is being approved)."""
        items: list[dict[str, Any]] = []
        if with_request:
            items.append(
                {
                    "type": "mcp_approval_request",
                    "id": self.request.item_id,
                    "server_label": self.request.server_label,
                    "name": self.request.tool_name,
                    "arguments": self.request.arguments,
                }
            )
        items.append(
            {
                "type": "mcp_approval_response",
                "approval_request_id": self.request.item_id,
                "approve": self.approve,
            }
        )
        return items


def step_from_item(item: dict[str, Any], previous: ToolStep | None = None) -> ToolStep:
    """A `ToolStep` from a built-in tool's output item as the wire has it (a plain dict)."""
    kind = str(item.get("type") or "")
    item_id = str(item.get("id") or (previous.item_id if previous else ""))
    status = str(item.get("status") or (previous.status if previous else "in_progress"))
    error = _error_text(item.get("error"))
    if kind == "web_search_call":
        action = item.get("action") or {}
        queries = tuple(str(q) for q in action.get("queries") or () if q) or (
            (str(action["query"]),) if action.get("query") else ()
        )
        sources = tuple(
            str(s.get("url")) for s in action.get("sources") or () if isinstance(s, dict)
        )
        if action.get("type") == "open_page" and action.get("url"):
            summary = f"Opened {action['url']}"
        elif action.get("type") == "find_in_page":
            summary = f"Looked for “{action.get('pattern', '')}” in {action.get('url', 'a page')}"
        elif queries:
            summary = "Searched the web for " + ", ".join(f"“{q}”" for q in queries)
        else:
            summary = "Searching the web"
        return ToolStep(
            item_id, kind, status, summary, queries=queries, sources=sources, error=error
        )
    if kind == "file_search_call":
        queries = tuple(str(q) for q in item.get("queries") or ())
        hits = _hits(item.get("results"))
        summary = (
            "Searched files for " + ", ".join(f"“{q}”" for q in queries)
            if queries
            else "Searching files"
        )
        if hits:
            summary += f": {len(hits)} passage{'s' if len(hits) != 1 else ''} found"
        return ToolStep(item_id, kind, status, summary, queries=queries, hits=hits, error=error)
    if kind == "code_interpreter_call":
        code = str(item.get("code") or (previous.code if previous else ""))
        logs: list[str] = []
        images: list[str] = []
        for out in item.get("outputs") or ():
            if isinstance(out, dict) and out.get("type") == "logs":
                logs.append(str(out.get("logs") or ""))
            elif isinstance(out, dict) and out.get("type") == "image":
                images.append(str(out.get("url") or ""))
        lines = code.count("\n") + 1 if code else 0
        summary = (
            f"Ran {lines} line{'s' if lines != 1 else ''} of Python" if code else "Running code"
        )
        return ToolStep(
            item_id,
            kind,
            status,
            summary,
            code=code,
            output="\n".join(logs),
            images=tuple(images),
            error=error,
            container_id=str(
                item.get("container_id") or (previous.container_id if previous else "")
            ),
            files=previous.files if previous else (),
        )
    if kind == "image_generation_call":
        result = item.get("result")
        images_ = (str(result),) if result else (previous.images if previous else ())
        prompt = str(item.get("revised_prompt") or "")
        summary = "Generated an image" if result else "Generating an image"
        return ToolStep(item_id, kind, status, summary, output=prompt, images=images_, error=error)
    if kind in ("mcp_call", "mcp_approval_request", "mcp_list_tools"):
        label = str(item.get("server_label") or "")
        name = str(item.get("name") or "")
        if kind == "mcp_list_tools":
            tools = [str(t.get("name")) for t in item.get("tools") or () if isinstance(t, dict)]
            return ToolStep(
                item_id,
                kind,
                status or "completed",
                f"Listed {len(tools)} tool{'s' if len(tools) != 1 else ''} on {label}",
                server_label=label,
                output=", ".join(tools),
                error=error,
            )
        if kind == "mcp_approval_request":
            return ToolStep(
                item_id,
                kind,
                "awaiting_approval",
                f"{label} wants to run {name}: approve or deny",
                server_label=label,
                tool_name=name,
                arguments=str(item.get("arguments") or ""),
            )
        summary = f"Called {name} on {label}" + (" (failed)" if error else "")
        return ToolStep(
            item_id,
            kind,
            status,
            summary,
            server_label=label,
            tool_name=name,
            arguments=str(item.get("arguments") or ""),
            output=str(item.get("output") or ""),
            error=error,
        )
    return ToolStep(item_id, kind, status, kind.replace("_", " "), error=error)


def _text(raw: dict[str, Any], name: str) -> str:
    return str(raw.get(name) or "")


def _hits(raw: object) -> tuple[FileHit, ...]:
    """File search's chunks from the wire's `results` (or a kept step's `hits`: the same keys)."""
    if not isinstance(raw, list):
        return ()
    return tuple(
        FileHit(
            str(h.get("filename") or ""),
            str(h.get("file_id") or ""),
            float(h["score"]) if isinstance(h.get("score"), int | float) else None,
            str(h.get("text") or ""),
        )
        for h in raw
        if isinstance(h, dict)
    )


def _error_text(error: object) -> str:
    if isinstance(error, dict):
        return str(error.get("message") or error.get("type") or "")
    return str(error) if error else ""


# --- kept in history and exports (plain JSON values) ---------------------------------------------


def step_to_dict(step: ToolStep) -> dict[str, Any]:
    """`step` as JSON values; empty fields are left out."""
    out: dict[str, Any] = {"item_id": step.item_id, "kind": step.kind, "status": step.status}
    out["summary"] = step.summary
    for name in (
        "code",
        "output",
        "server_label",
        "tool_name",
        "arguments",
        "error",
        "container_id",
    ):
        if getattr(step, name):
            out[name] = getattr(step, name)
    for name in ("queries", "sources", "images"):
        if getattr(step, name):
            out[name] = list(getattr(step, name))
    if step.files:
        out["files"] = [citation_to_dict(f) for f in step.files]
    if step.fee_checked:
        out["fee"] = "unknown" if step.fee is None else str(step.fee)
    if step.hits:
        out["hits"] = [
            {"filename": h.filename, "file_id": h.file_id, "score": h.score, "text": h.text}
            for h in step.hits
        ]
    return out


def step_from_dict(raw: dict[str, Any]) -> ToolStep:
    """A `ToolStep` back from `step_to_dict`'s form (unknown keys ignored)."""

    def texts(name: str) -> tuple[str, ...]:
        return tuple(str(v) for v in raw.get(name) or () if v is not None)

    hits = _hits(raw.get("hits"))
    return ToolStep(
        item_id=_text(raw, "item_id"),
        kind=_text(raw, "kind"),
        status=str(raw.get("status") or "completed"),
        summary=_text(raw, "summary"),
        queries=texts("queries"),
        sources=texts("sources"),
        hits=hits,
        code=_text(raw, "code"),
        output=_text(raw, "output"),
        images=texts("images"),
        server_label=_text(raw, "server_label"),
        tool_name=_text(raw, "tool_name"),
        arguments=_text(raw, "arguments"),
        error=_text(raw, "error"),
        container_id=_text(raw, "container_id"),
        files=citations_from_json(raw.get("files")),
        fee=_decimal(raw.get("fee")),
        fee_checked="fee" in raw,
    )


def _decimal(raw: object) -> Decimal | None:
    if not isinstance(raw, str):
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def citation_to_dict(citation: Citation) -> dict[str, Any]:
    """`citation` as JSON values; empty fields are left out."""
    out: dict[str, Any] = {}
    for name in ("title", "url", "file_id", "filename", "start_index", "end_index", "container_id"):
        value = getattr(citation, name)
        if value not in ("", None):
            out[name] = value
    return out


def citation_from_dict(raw: dict[str, Any]) -> Citation:
    """A `Citation` back from `citation_to_dict`'s form."""

    def index(name: str) -> int | None:
        value = raw.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    return Citation(
        title=_text(raw, "title"),
        url=_text(raw, "url"),
        file_id=_text(raw, "file_id"),
        filename=_text(raw, "filename"),
        start_index=index("start_index"),
        end_index=index("end_index"),
        container_id=_text(raw, "container_id"),
    )


def steps_from_json(raw: object) -> tuple[ToolStep, ...]:
    """The steps of a stored list (anything else: none)."""
    if not isinstance(raw, list):
        return ()
    return tuple(step_from_dict(s) for s in raw if isinstance(s, dict))


def citations_from_json(raw: object) -> tuple[Citation, ...]:
    """The citations of a stored list (anything else: none)."""
    if not isinstance(raw, list):
        return ()
    return tuple(citation_from_dict(c) for c in raw if isinstance(c, dict))


def with_container_files(
    steps: tuple[ToolStep, ...], citations: tuple[Citation, ...]
) -> tuple[ToolStep, ...]:
    """`steps` with the files the answer cites from a code interpreter's container listed in the
    step that ran there (the last code step when none names the container)."""
    made = [c for c in citations if c.container_id and c.file_id]
    if not made:
        return steps
    code = [i for i, s in enumerate(steps) if s.kind == "code_interpreter_call"]
    if not code:
        return steps
    out = list(steps)
    for citation in made:
        at = next((i for i in code if steps[i].container_id == citation.container_id), code[-1])
        if all(f.file_id != citation.file_id for f in out[at].files):
            out[at] = replace(out[at], files=(*out[at].files, citation))
    return tuple(out)


# --- fees of the calls themselves ------------------------------------------------------------

CALL_COUNTS: Final = {kind: field for kind, field, _unit in TOOL_CALLS}
"""The built-in tool calls billed per call, and the `Usage` field that counts them."""

FEE_KINDS: Final = (*CALL_COUNTS, "image_generation_call")
"""The built-in tool calls with a fee on top of the answer's tokens (a picture is billed at the
image model's prices, which the price data does not give per call)."""


def with_tool_calls(usage: Usage | None, steps: tuple[ToolStep, ...]) -> Usage | None:
    """`usage` with the completed calls billed per call (`CALL_COUNTS`) among `steps` counted in."""
    if usage is None:
        return None
    done = Counter(s.kind for s in steps if s.kind in CALL_COUNTS and s.status == "completed")
    if not done:
        return usage
    return replace(
        usage,
        web_searches=done["web_search_call"],
        file_searches=done["file_search_call"],
        code_runs=done["code_interpreter_call"],
    )


def with_fees(
    steps: tuple[ToolStep, ...], fee_of: Callable[[str], Decimal | None]
) -> tuple[ToolStep, ...]:
    """`steps` with the fee of each call that has one (`fee_of(kind)`: the price of one call of
    that kind, None when unknown); calls that did not complete cost nothing."""
    return tuple(
        replace(s, fee=fee_of(s.kind) if s.status == "completed" else Decimal(0), fee_checked=True)
        if s.has_fee
        else s
        for s in steps
    )


def unpriced_fees(steps: tuple[ToolStep, ...]) -> int:
    """How many calls among `steps` have a fee the price data does not give."""
    return sum(1 for s in steps if s.has_fee and s.fee_checked and s.fee is None)
