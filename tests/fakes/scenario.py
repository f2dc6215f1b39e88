"""What the fake server answers: :class:`Scenario` and its defaults (reply, transcript, models).

One scenario serves every endpoint family; a new family that needs a knob adds a field here (with a
default that keeps every other test's answers unchanged) and documents it in the class docstring.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tests.fakes import openai_payloads as payloads
from tests.fakes.wire import JsonDict

DEFAULT_REPLY = "Hello! This is a reply from the fake OpenAI server."
"""Default ``Scenario.reply_text`` (10 words, so 10 content chunks with the default chunking)."""

DEFAULT_TRANSCRIPT = (
    "Hello from the fake transcription service. It returns the same words every time."
)
"""Default ``Scenario.transcript_text``, used for transcriptions and translations."""

DEFAULT_MODELS: tuple[str, ...] = (
    "gpt-4o-mini",
    "gpt-4.1",
    "gpt-5-mini",
    "o3",
    "text-embedding-3-small",
    "text-embedding-3-large",
    "omni-moderation-latest",
    "gpt-image-1",
    "tts-1",
    "gpt-4o-mini-tts",
    "whisper-1",
    "gpt-4o-transcribe",
)
"""Model ids served by ``GET /v1/models`` unless ``Scenario.models`` is changed."""

MODEL_META: dict[str, JsonDict] = {
    "gpt-4o-mini": {"created": 1721172741, "owned_by": "system", "shutdown_date": "2027-01-14"},
    "gpt-4.1": {"created": 1744316542, "owned_by": "system", "shutdown_date": "2027-01-14"},
    "gpt-5-mini": {"created": 1754425928, "owned_by": "system", "shutdown_date": "2026-12-11"},
    "o3": {"created": 1744225308, "owned_by": "system"},
    "text-embedding-3-small": {"created": 1705948997, "owned_by": "system"},
    "text-embedding-3-large": {"created": 1705953180, "owned_by": "system"},
    "omni-moderation-latest": {"created": 1731689265, "owned_by": "system"},
    "gpt-image-1": {"created": 1745517030, "owned_by": "system"},
    "tts-1": {"created": 1681940951, "owned_by": "openai-internal", "shutdown_date": "2027-01-06"},
    "gpt-4o-mini-tts": {"created": 1742403959, "owned_by": "system", "shutdown_date": "2027-01-06"},
    "whisper-1": {
        "created": 1677532384,
        "owned_by": "openai-internal",
        "shutdown_date": "2027-02-26",
    },
    "gpt-4o-transcribe": {
        "created": 1742068463,
        "owned_by": "system",
        "shutdown_date": "2027-02-26",
    },
}

RETIREMENT_TODAY = "2026-12-07"
"""The date :data:`RETIREMENT_MODELS` is meant to be seen on (pass it as ``Scenario.today``)."""

RETIREMENT_MODELS: tuple[JsonDict, ...] = (
    # Past their date on 2026-12-07 (OpenAI's calendar: image models went on 2026-12-01).
    {"id": "gpt-image-1.5", "created": 1760000000, "shutdown_date": "2026-12-01"},
    {"id": "gpt-image-1-mini", "created": 1759000000, "shutdown_date": "2026-12-01"},
    # Within 30 days.
    {"id": "gpt-5-mini", "created": 1754425928, "shutdown_date": "2026-12-11"},
    {"id": "tts-1", "created": 1681940951, "shutdown_date": "2027-01-06"},
    {"id": "gpt-4o-mini-tts", "created": 1742403959, "shutdown_date": "2027-01-06"},
    # Later.
    {"id": "gpt-4o", "created": 1715367049, "shutdown_date": "2027-01-14"},
    {"id": "gpt-4o-mini", "created": 1721172741, "shutdown_date": "2027-01-14"},
    {"id": "whisper-1", "created": 1677532384, "shutdown_date": "2027-02-26"},
    {"id": "gpt-4o-transcribe", "created": 1742068463, "shutdown_date": "2027-02-26"},
    # No date.
    {"id": "gpt-6-luna", "created": 1790000000},
    {"id": "gpt-6.1-sol", "created": 1795000000},
    {"id": "gpt-image-2", "created": 1770000000},
    {"id": "gpt-image-2.5-sunburst", "created": 1780000000},
    {"id": "gpt-transcribe", "created": 1785000000},
    {"id": "text-embedding-3-small", "created": 1705948997},
    {"id": "text-embedding-3-large", "created": 1705953180},
    {"id": "omni-moderation-latest", "created": 1731689265},
)
"""A model list with shutdown dates as of :data:`RETIREMENT_TODAY`: two image models past their
date, a chat model and every speech model within 30 days, chat and transcription models later,
and an undated model of each kind but speech (every speech model retires on 2027-01-06)."""


@dataclass
class Scenario:
    """What the fake server answers; every test gets a fresh one with a fresh server.

    Attributes:
        models: Model ids (or full model dicts, merged over the defaults) for ``GET /v1/models``;
            a request naming a model not listed here gets 404 ``model_not_found``.
        reply_text: The chat reply, or a callable receiving the request body and returning it.
        chunk_size: Units per streamed content chunk.
        chunk_unit: ``"word"`` (default; ``"Hello"``, ``" world"``), ``"char"`` or ``"token"``.
        tokens_per_second: None streams as fast as possible; otherwise each chunk waits
            ``count_tokens(chunk) / tokens_per_second`` seconds before it is sent.
        latency_s: Delay before any response starts.
        drop_after_chunks: Close the socket abruptly after this many SSE events (every
            ``data:`` event counts, including the role chunk), with no ``[DONE]``; for raw
            speech audio, after this many 16 KiB pieces; a transcription or translation that
            is not streamed gets no answer at all.
        api_key: None accepts any key; otherwise ``Authorization: Bearer <key>`` (or Azure's
            ``api-key`` header) must match or the answer is 401.
        tool_calls: ``(name, arguments_json)`` pairs the chat reply calls instead of answering.
        finish_reason: Overrides the computed ``finish_reason`` (``stop``/``length``/``tool_calls``).
        system_fingerprint: Sent in chat responses and chunks.
        usage: Keys merged over the computed chat ``usage`` (``total_tokens`` is recomputed
            unless given).
        reasoning_tokens: Added to ``completion_tokens`` and reported in
            ``completion_tokens_details.reasoning_tokens``.
        cached_tokens: Reported in ``prompt_tokens_details.cached_tokens``.
        transcript_text: Text returned by transcriptions and translations.
        azure_deployments: None accepts every Azure deployment; otherwise others get 404
            ``DeploymentNotFound``.
        max_upload_bytes: Audio uploads larger than this get 413 (the API's 25 MB limit).
        ratelimit_requests: ``x-ratelimit-limit-requests`` on every API response.
        ratelimit_tokens: ``x-ratelimit-limit-tokens`` on every API response.
        ratelimit_headers: False sends no ``x-ratelimit-*`` headers on successful answers (a
            compatible server that reports no limits).
        ratelimit_window_s: None (default) never enforces a limit. Otherwise chat requests
            (Chat Completions and Responses) are limited to ``ratelimit_requests`` per this many
            seconds, a sliding window: one more gets 429 ``rate_limit_exceeded`` (counted in
            ``FakeOpenAI.window_rejections``), and the headers report the window (remaining,
            and the time until its oldest request leaves it as the reset). Their tokens (input
            and max output, as OpenAI counts them) are limited to ``ratelimit_tokens`` in the
            same window.
        admin_key: The admin key the organisation endpoints accept (None: they refuse every
            key with 401).
        admin_forbidden: The admin key lacks the usage scope: those endpoints answer 403.
        org_costs: ``GET /v1/organization/costs``: dollars per ISO day.
        org_usage: ``GET /v1/organization/usage/completions``: per ISO day, per model,
            ``(input_tokens, output_tokens, requests)``.
        image_urls: Answer non-streamed image requests with links to ``GET /files/<name>`` on
            this server even when base64 was asked for (as some compatible servers do).
        embedding_failures: ``{n: status}``: the n-th ``POST /v1/embeddings`` (1-based, counting
            every one this server received) fails with that status (a failed batch mid-run).
        reasoning_summary: The reasoning summary a Responses reply streams when the request asks
            for one (``reasoning.summary``); paragraphs split on blank lines become summary parts.
        builtin_items: Built-in tool output items (``{"type": "web_search_call", ...}``,
            ``file_search_call``, ``code_interpreter_call``, ``image_generation_call``,
            ``mcp_call``, ``mcp_list_tools``, ``mcp_approval_request``) a Responses reply emits
            before its answer, each only when the request enables that tool; the fake fills in
            ``id`` and ``status`` and sends the item's progress events. An
            ``mcp_approval_request`` ends the reply there (no answer text, as the API waits).
        annotations: Annotations (``url_citation``, ``file_citation``) on a Responses answer.
        refusal_text: A Responses reply refuses with this text instead of answering.
        incomplete_reason: A Responses reply ends with ``response.incomplete`` and this reason.
        response_failure: ``{"code", "message"}``: a Responses reply ends with ``response.failed``.
        stream_error: ``{"code", "message"}``: a streamed Responses reply ends with an ``error``
            event.
        background_polls: How many ``GET /v1/responses/{id}`` a background response answers as
            still running before it is completed.
        service_tier: The tier a Responses reply says served it (None: the request's, or
            ``default``).
        vector_stores: None accepts every vector store id in a ``file_search`` tool; otherwise an
            id not listed is a 400 naming it.
        mcp_output: What an MCP tool call the user approved (``mcp_approval_response`` with
            ``approve: true``) returns; a denied one is not called.
        today: None serves every listed model; otherwise (``YYYY-MM-DD``) a listed model whose
            ``shutdown_date`` is on or before it stays in ``GET /v1/models`` but a request naming
            it gets 404 ``model_not_found``, as a retired model does. Use it with
            ``models=list(RETIREMENT_MODELS), today=RETIREMENT_TODAY``.
    """

    models: list[str | JsonDict] = field(default_factory=lambda: list(DEFAULT_MODELS))
    reply_text: str | Callable[[JsonDict], str] = DEFAULT_REPLY
    chunk_size: int = 1
    chunk_unit: payloads.ChunkUnit = "word"
    tokens_per_second: float | None = None
    latency_s: float = 0.0
    drop_after_chunks: int | None = None
    api_key: str | None = None
    tool_calls: list[tuple[str, str]] = field(default_factory=list)
    finish_reason: str | None = None
    system_fingerprint: str | None = "fp_fake000001"
    usage: JsonDict | None = None
    reasoning_tokens: int = 0
    cached_tokens: int = 0
    transcript_text: str = DEFAULT_TRANSCRIPT
    azure_deployments: list[str] | None = None
    max_upload_bytes: int = 25 * 1024 * 1024
    ratelimit_requests: int = 5000
    ratelimit_tokens: int = 2_000_000
    ratelimit_headers: bool = True
    ratelimit_window_s: float | None = None
    admin_key: str | None = None
    admin_forbidden: bool = False
    org_costs: dict[str, float] = field(default_factory=dict)
    org_usage: dict[str, dict[str, tuple[int, int, int]]] = field(default_factory=dict)
    image_urls: bool = False
    embedding_failures: dict[int, int] = field(default_factory=dict)
    reasoning_summary: str = ""
    builtin_items: list[JsonDict] = field(default_factory=list)
    annotations: list[JsonDict] = field(default_factory=list)
    refusal_text: str | None = None
    incomplete_reason: str | None = None
    response_failure: JsonDict | None = None
    stream_error: JsonDict | None = None
    background_polls: int = 1
    service_tier: str | None = None
    vector_stores: list[str] | None = None
    mcp_output: str = "The MCP tool's answer."
    today: str | None = None

    def model_entries(self) -> list[JsonDict]:
        """Return the ``GET /v1/models`` entries for ``models``.

        Returns:
            Dicts with ``id``, ``object``, ``created``, ``owned_by`` and ``shutdown_date``.
        """
        entries: list[JsonDict] = []
        for item in self.models:
            model_id = item if isinstance(item, str) else str(item["id"])
            meta = MODEL_META.get(model_id, {"created": 1700000000, "owned_by": "system"})
            entry: JsonDict = {
                "id": model_id,
                "object": "model",
                "created": meta["created"],
                "owned_by": meta["owned_by"],
                "shutdown_date": meta.get("shutdown_date"),
            }
            if not isinstance(item, str):
                entry.update(item)
            entries.append(entry)
        return entries

    def model_ids(self) -> set[str]:
        """Return the ids in ``models``.

        Returns:
            The set of served model ids (without the retired ones when ``today`` is set).
        """
        if self.today is None:
            return {item if isinstance(item, str) else str(item["id"]) for item in self.models}
        return {
            str(entry["id"])
            for entry in self.model_entries()
            if not entry.get("shutdown_date") or str(entry["shutdown_date"]) > self.today
        }
