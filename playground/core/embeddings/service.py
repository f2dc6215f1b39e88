"""Embeddings: what each model accepts, how a list of texts is split into requests, and the requests.

The API limits one `POST /v1/embeddings` three ways: inputs per request (2,048), tokens per input
(8,192 for OpenAI's models) and tokens per request (300,000). `prepare` counts every text, flags the
ones over the per-input limit before anything is sent, looks the rest up in the `EmbeddingCache`,
and `plan_batches` packs the texts still to pay for into as few requests as the limits allow.

`run_plan` sends the batches one after the other and writes each batch's vectors to the cache as
soon as it arrives, so a failure or a cancel keeps what was paid for: running the same texts again
sends only the rest (that is what "Resume" does).

No Qt here; numpy is not needed either (vectors travel as float lists and are stored as float32).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from playground.core.api.capabilities import capabilities
from playground.core.api.errors import from_exception
from playground.core.models import Usage

if TYPE_CHECKING:
    from playground.core.embeddings.cache import EmbeddingCache

ClientSource = Callable[[], Any]
REQUEST_MARGIN = 0.95  # share of the per-request token cap that batches are packed up to
# The full similarity matrix of 6,000 texts is 144 MB of float32; beyond that the heatmap and the
# pairs are left out (search, clusters and exports still work).
MAX_MATRIX_TEXTS = 6000

# --- what each model accepts ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EmbeddingLimits:
    """What one embeddings request may carry for a model.

    Attributes:
        max_inputs: texts per request.
        max_tokens_per_request: tokens of all texts of one request together.
        max_tokens_per_input: tokens of one text; longer texts are refused by the API.
        native_dimensions: the vector length the model returns by default, if known.
        dimensions: the model accepts a `dimensions` parameter (shorter vectors).
        min_dimensions: the smallest `dimensions` it accepts.
    """

    max_inputs: int = 2048
    max_tokens_per_request: int = 300_000
    max_tokens_per_input: int = 8192
    native_dimensions: int | None = None
    dimensions: bool = False
    min_dimensions: int = 1

    @property
    def max_dimensions(self) -> int | None:
        return self.native_dimensions if self.dimensions else None


# From OpenAI's embeddings guide and API reference: 2,048 inputs, 8,192 tokens per input and
# 300,000 tokens per request for every embedding model; only the v3 models take `dimensions`
# (1 up to their native length). Unknown models (local servers) keep the same request limits and
# are sent without `dimensions`. Ordered: later rules win.
_LIMIT_RULES: tuple[tuple[str, dict[str, object]], ...] = (
    (r"^text-embedding-3-small", {"native_dimensions": 1536}),
    (r"^text-embedding-3-large", {"native_dimensions": 3072}),
    (r"^text-embedding-ada-002", {"native_dimensions": 1536}),
)


@lru_cache(maxsize=256)
def embedding_limits(model: str) -> EmbeddingLimits:
    """The limits and `dimensions` support of an embedding model."""
    name = model.strip().rsplit("/", 1)[-1]
    limits = EmbeddingLimits(dimensions=capabilities(model).dimensions)
    for pattern, facts in _LIMIT_RULES:
        if re.search(pattern, name, flags=re.IGNORECASE):
            limits = replace(limits, **facts)  # type: ignore[arg-type]
    if limits.native_dimensions is None:
        limits = replace(limits, dimensions=False)
    return limits


def check_dimensions(model: str, dimensions: int | None) -> str:
    """Why `dimensions` cannot be sent to `model` ("" when it can, or when it is None)."""
    if dimensions is None:
        return ""
    limits = embedding_limits(model)
    if not limits.dimensions or limits.max_dimensions is None:
        return f"{model} always returns vectors of its own length; it does not take dimensions."
    if not limits.min_dimensions <= dimensions <= limits.max_dimensions:
        return (
            f"{model} takes dimensions from {limits.min_dimensions} to {limits.max_dimensions:,}."
        )
    return ""


# --- planning ---------------------------------------------------------------------------------


def plan_batches(
    tokens: Sequence[int], indices: Sequence[int], limits: EmbeddingLimits
) -> list[tuple[int, ...]]:
    """Packs the texts `indices` (in order) into requests within `limits`.

    Greedy and order-keeping: a batch is closed when the next text would exceed the inputs or the
    tokens per request. Texts over the per-input limit must have been left out by the caller.

    Args:
        tokens: token count of every text (indexed by the values of `indices`).
        indices: the texts to send.
        limits: the model's limits.

    Returns:
        The batches, each a tuple of text indices.
    """
    batches: list[tuple[int, ...]] = []
    current: list[int] = []
    current_tokens = 0
    for index in indices:
        n = tokens[index]
        if current and (
            len(current) >= limits.max_inputs or current_tokens + n > limits.max_tokens_per_request
        ):
            batches.append(tuple(current))
            current, current_tokens = [], 0
        current.append(index)
        current_tokens += n
    if current:
        batches.append(tuple(current))
    return batches


@dataclass(frozen=True, slots=True)
class EmbeddingPlan:
    """What sending a list of texts will do, worked out before anything is sent.

    Attributes:
        model: the embedding model.
        dimensions: the requested vector length, or None for the model's own.
        texts: the texts (empty lines already removed), in the user's order.
        tokens: each text's token count (local tiktoken count).
        cached: indices of texts whose vector is in the cache already.
        oversize: indices of texts over the model's per-input limit; never sent.
        batches: the requests to send: indices of the texts still to pay for.
        skipped_empty: empty lines left out of `texts`.
        limits: the model's limits the plan respects.
    """

    model: str
    dimensions: int | None
    texts: tuple[str, ...]
    tokens: tuple[int, ...]
    cached: frozenset[int]
    oversize: tuple[int, ...]
    batches: tuple[tuple[int, ...], ...]
    skipped_empty: int = 0
    limits: EmbeddingLimits = field(default_factory=EmbeddingLimits)

    @property
    def new_count(self) -> int:
        return sum(len(b) for b in self.batches)

    @property
    def new_tokens(self) -> int:
        return sum(self.tokens[i] for b in self.batches for i in b)

    @property
    def cached_tokens(self) -> int:
        return sum(self.tokens[i] for i in self.cached)

    @property
    def usable(self) -> tuple[int, ...]:
        """Indices of the texts that will have a vector (everything but the oversize ones)."""
        skip = set(self.oversize)
        return tuple(i for i in range(len(self.texts)) if i not in skip)


def prepare(
    texts: Sequence[str],
    model: str,
    dimensions: int | None,
    count: Callable[[str], int],
    cache: EmbeddingCache | None,
    *,
    skipped_empty: int = 0,
    limits: EmbeddingLimits | None = None,
) -> EmbeddingPlan:
    """Counts, flags, looks up and batches `texts` (CPU and disk work: run it off the GUI thread).

    Args:
        texts: non-empty texts in the user's order (duplicates are embedded once).
        model: the embedding model.
        dimensions: the requested length, or None.
        count: token counter for one text.
        cache: the vector cache, or None to send everything.
        skipped_empty: empty lines the caller already dropped (carried into the plan).
        limits: override the model's limits (tests and odd servers).
    """
    if limits is None:
        limits = embedding_limits(model)
        # Batches are packed by the local count; keep a margin below the server's per-request cap
        # so a slightly different server count can never turn a full batch into a 400.
        packing = replace(
            limits, max_tokens_per_request=int(limits.max_tokens_per_request * REQUEST_MARGIN)
        )
    else:
        packing = limits
    tokens = tuple(count(t) for t in texts)
    oversize = tuple(i for i, n in enumerate(tokens) if n > limits.max_tokens_per_input)
    known = cache.contains(model, dimensions, texts) if cache is not None else set()
    cached = frozenset(i for i, t in enumerate(texts) if t in known and i not in oversize)
    skip = set(oversize) | cached
    first: dict[str, int] = {}
    todo: list[int] = []
    for i, text in enumerate(texts):
        if i in skip or text in first:
            continue
        first[text] = i
        todo.append(i)
    batches = plan_batches(tokens, todo, packing)
    return EmbeddingPlan(
        model=model,
        dimensions=dimensions,
        texts=tuple(texts),
        tokens=tokens,
        cached=cached,
        oversize=oversize,
        batches=tuple(batches),
        skipped_empty=skipped_empty,
        limits=limits,
    )


# --- requests ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BatchResult:
    """One embeddings response.

    Attributes:
        vectors: one vector per input, in input order.
        usage: the server's token count (`prompt_tokens`).
        latency_ms: wall time of the request.
        request_id: the server's x-request-id, if sent.
    """

    vectors: list[list[float]]
    usage: Usage
    latency_ms: float
    request_id: str | None = None


class EmbeddingService:
    """Sends embeddings requests through the active client.

    Args:
        client_source: returns the `AsyncOpenAI` client to use (`ApiSession.client`), per request.
    """

    def __init__(self, client_source: ClientSource) -> None:
        self._client_source = client_source

    async def embed(
        self, model: str, texts: Sequence[str], dimensions: int | None = None
    ) -> BatchResult:
        """Embeds `texts` in one request; raises `AppError` on failure."""
        client = self._client_source()
        kwargs: dict[str, Any] = {"model": model, "input": list(texts)}
        if dimensions is not None:
            kwargs["dimensions"] = dimensions
        started = time.perf_counter()
        try:
            raw = await client.embeddings.with_raw_response.create(**kwargs)
            response = raw.parse()
        except Exception as exc:
            raise from_exception(exc, model=model, base_url=str(client.base_url)) from exc
        latency = (time.perf_counter() - started) * 1000
        data = sorted(response.data, key=lambda d: d.index)
        if len(data) != len(texts):
            raise from_exception(
                ValueError(f"asked for {len(texts)} vectors, got {len(data)}"), model=model
            )
        vectors = [list(d.embedding) for d in data]
        usage = Usage(input_tokens=int(getattr(response.usage, "prompt_tokens", 0) or 0))
        return BatchResult(vectors, usage, latency, raw.headers.get("x-request-id"))


@dataclass
class RunProgress:
    """How far a run got; the caller keeps it, so it still knows after a failure or a cancel.

    Attributes:
        total_batches: requests the plan needs.
        done_batches: requests answered and stored.
        usage: summed server usage of the answered requests.
        failed_batch: the (0-based) batch that failed, if one did.
    """

    total_batches: int = 0
    done_batches: int = 0
    usage: Usage = field(default_factory=Usage)
    failed_batch: int | None = None

    @property
    def remaining(self) -> int:
        return self.total_batches - self.done_batches


BatchCallback = Callable[[int, BatchResult], None]


async def run_plan(
    plan: EmbeddingPlan,
    service: EmbeddingService,
    cache: EmbeddingCache,
    progress: RunProgress,
    on_batch: BatchCallback | None = None,
) -> RunProgress:
    """Sends the plan's batches in order, storing each batch's vectors in `cache` as it arrives.

    Args:
        plan: what to send.
        service: sends one request.
        cache: receives every vector (so a failed run keeps the finished batches).
        progress: updated after each batch.
        on_batch: called with (batch index, result) after each stored batch.

    Raises:
        AppError: a request failed; `progress` tells which batch and how many were done.
    """
    progress.total_batches = len(plan.batches)
    for number, batch in enumerate(plan.batches):
        texts = [plan.texts[i] for i in batch]
        try:
            result = await service.embed(plan.model, texts, plan.dimensions)
        except BaseException:
            progress.failed_batch = number
            raise
        cache.put_many(plan.model, plan.dimensions, zip(texts, result.vectors, strict=True))
        progress.done_batches = number + 1
        progress.usage = progress.usage + result.usage
        if on_batch is not None:
            on_batch(number, result)
    return progress
