"""The lines the Chat tab shows about answers, models and conversations."""

from __future__ import annotations

from decimal import Decimal

from playground.core.api.capabilities import capabilities
from playground.core.chat.builtin_tools import unpriced_fees
from playground.core.chat.service import ChatResult
from playground.core.models import Usage
from playground.core.money.formatting import format_cost, format_duration_ms, format_tokens
from playground.core.storage.history import MessageMeta, MessageStatus
from playground.ui.chat.conversation_view import TurnInfo
from playground.ui.chat.state import InFlight


def reply_info(
    result: ChatResult, usage: Usage, cost: Decimal | None, *, tier_priced: bool = True
) -> str:
    """The line under an answer: the API, finish (or incomplete) reason, speed, tokens (with
    reasoning tokens), cost and the tier that served it (ids are in `reply_details`).
    `tier_priced` False: the price data has no price for the served tier, so the cost is the
    standard one and says so."""
    finish = result.finish_reason or "—"
    if result.incomplete_reason:
        finish = f"incomplete ({result.incomplete_reason.replace('_', ' ')})"
    parts = [f"finish: {finish}"]
    if result.api == "responses":
        parts.insert(0, "Responses")
    if result.ttft_ms is not None:
        parts.append(f"first token {format_duration_ms(result.ttft_ms)}")
    tps = result.tokens_per_second
    if tps is not None:
        parts.append(f"{tps:,.0f} tok/s")
    parts.append(_tokens_in(usage))
    parts.append(f"{format_tokens(usage.output_tokens, estimated=usage.estimated)} out")
    if usage.reasoning_tokens:
        parts.append(f"{format_tokens(usage.reasoning_tokens)} reasoning")
    shown = format_cost(cost, estimated=usage.estimated)
    if cost is not None and not tier_priced:
        shown += " at standard rates"
    if cost is not None and unpriced_fees(result.steps):
        shown += " + ?"  # a tool call whose fee the price data does not give (its step says so)
    parts.append(shown)
    if result.service_tier:
        parts.append(f"tier {result.service_tier}")
    return " · ".join(parts)


def _tokens_in(usage: Usage) -> str:
    """ "1,300 tok in", with what the prompt cache served or kept: "(1,024 from the cache)"."""
    tokens_in = f"{format_tokens(usage.input_tokens, estimated=usage.estimated)} in"
    cache = [f"{n:,} {what}" for n, what in ((usage.cached_tokens, "from the cache"),
             (usage.cache_write_tokens, "written to the cache")) if n]  # fmt: skip
    return f"{tokens_in} ({', '.join(cache)})" if cache else tokens_in


def reply_details(result: ChatResult) -> str:
    """What the line under an answer leaves to its tooltip: the model that answered, the server's
    request id and fingerprint (for a support request; not what a reader needs to see)."""
    details = [f"Model: {result.model}"] if result.model else []
    if result.request_id:
        details.append(f"Request id: {result.request_id}")
    if result.system_fingerprint:
        details.append(f"System fingerprint: {result.system_fingerprint}")
    return "\n".join(details)


def meta_text(meta: MessageMeta) -> str:
    """The line under a stored answer: its numbers, and how it ended when it did not finish (also
    for a reply with no numbers, e.g. one the app was closed or killed during)."""
    parts = []
    usage = meta.usage
    if usage is not None:
        if meta.finish_reason:
            parts.append(f"finish: {meta.finish_reason}")
        if meta.ttft_ms is not None:
            parts.append(f"first token {format_duration_ms(meta.ttft_ms)}")
        parts.append(_tokens_in(usage))
        parts.append(f"{format_tokens(usage.output_tokens, estimated=usage.estimated)} out")
        if usage.reasoning_tokens:
            parts.append(f"{format_tokens(usage.reasoning_tokens)} reasoning")
        unknown_fees = " + ?" if meta.cost is not None and unpriced_fees(meta.steps) else ""
        parts.append(format_cost(meta.cost, estimated=usage.estimated) + unknown_fees)
    if meta.status == MessageStatus.STOPPED:
        parts.append("⏹ stopped")
    if meta.status == MessageStatus.ERROR:
        parts.append("⚠ interrupted")
    return " · ".join(parts)


def turn_info(meta: MessageMeta) -> TurnInfo:
    """How a stored turn is shown: its line, its state (an interrupted answer is marked), its
    moderation badge, and what a Responses answer showed besides its text (Thinking, tool steps,
    sources)."""
    status = {MessageStatus.ERROR: "error", MessageStatus.STOPPED: "stopped"}.get(meta.status, "")
    return TurnInfo(
        meta=meta_text(meta),
        status=status,
        error=meta.error,
        moderation=badge(meta),
        answers=(meta.alternative_index, len(meta.alternatives) + 1),
        reasoning=meta.reasoning,
        steps=meta.steps,
        citations=meta.citations,
        pinned=meta.pinned,
    )


def partial_info(turn: InFlight, meta: MessageMeta) -> str:
    usage = meta.usage or Usage()
    return (
        f"{format_tokens(usage.output_tokens, estimated=True)} out so far · "
        f"{format_cost(meta.cost, estimated=True)} · after {format_duration_ms(turn.progress.elapsed_ms)}"
    )


def limits_text(context: int | None, max_output: int | None) -> str:
    parts = []
    if context:
        parts.append(f"context {context:,}")
    if max_output:
        parts.append(f"max output {max_output:,}")
    return ("\n" + " · ".join(parts)) if parts else ""


def safe_filename(title: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in " -_" else "_" for c in title).strip()
    return cleaned[:60] or "conversation"


def default_chat_model(models: list[str]) -> str:
    """A sensible first pick for a new user: a small, cheap current model if the list has one."""
    for hint in ("mini", "small", "nano"):
        for m in models:
            if hint in m and not capabilities(m).reasoning:
                return m
    return models[0]


def badge(meta: MessageMeta) -> tuple[str, str, str] | None:
    """The kept moderation verdict of a turn, as its badge shows it."""
    note = meta.moderation
    return None if note is None else (note.state, note.badge, note.tip)
