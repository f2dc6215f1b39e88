"""How a cost was made: each kind of token times its unit price, tiers, the batch price, the
price data's version, or the user's own price. No Qt.

`explain` answers for the same model, usage, provider and moment as `Pricer.cost` and its lines add
up to the same total (tests/unit/test_explain.py checks both against genai-prices itself). For the
table's prices it walks genai-prices' own unit registry (how `ModelPrice.calc_price` splits usage
into priced units), so each line is one unit genai-prices charged.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

from playground.core.api.imports import import_heavy
from playground.core.models import LedgerEntry, ProviderProfile, Usage
from playground.core.money.pricing import (
    LOCAL_PROVIDER,
    MILLION,
    TOOL_CALLS,
    Pricer,
    _covers,
    _price_keys,
    _table_usage,
    data_info,
)

#: Plain names of genai-prices' usage keys, in the words the app uses elsewhere.
_NAMES: Final = {
    "input_tokens": "Input tokens (not cached)",
    "cache_read_tokens": "Cached input tokens",
    "cache_write_tokens": "Tokens written to the cache",
    "output_tokens": "Output tokens (reasoning included)",
    "input_audio_tokens": "Audio input tokens",
    "output_audio_tokens": "Audio output tokens",
    "input_image_tokens": "Image input tokens",
    "output_image_tokens": "Image output tokens",
    "input_characters": "Characters read aloud",
    "audio_seconds": "Seconds of audio",
    "requests": "Requests",
    "web_searches": "Web searches",
    "storage_searches": "File searches",
    "code_executions": "Code interpreter runs",
}

_PER: Final = {1_000_000: "per million", 1_000: "per thousand", 1: "each", 3600: "per hour"}


@dataclass(frozen=True, slots=True)
class PriceLine:
    """One priced quantity: `quantity` × `rate` / `per` = `amount`."""

    what: str
    quantity: Decimal
    rate: Decimal
    per: int
    amount: Decimal
    note: str = ""

    @property
    def per_text(self) -> str:
        return _PER.get(self.per, f"per {self.per:,}")


@dataclass(frozen=True, slots=True)
class PriceExplanation:
    """Why a request cost `total` (None: unknown), line by line.

    Attributes:
        source: "override" (the user's own price), "local" (a server on this computer, free),
            "genai-prices" (the price table), "unknown", or "requests" (several requests'
            explanations in one, `explain_rows`).
        matched: the table's model the request was priced as ("" when not from the table).
        notes: what else shaped the price (tiers, batch, why it is unknown), in plain words.
        data: the price data's version and date.
    """

    model: str
    usage: Usage
    total: Decimal | None
    source: str
    lines: tuple[PriceLine, ...] = ()
    matched: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    data: str = ""


def explain(
    pricer: Pricer,
    model: str,
    usage: Usage,
    provider_id: str = "openai",
    *,
    at: datetime | None = None,
    batch: bool = False,
) -> PriceExplanation:
    """The explanation of `pricer.cost(model, usage, provider_id, at=at, batch=batch)`."""
    when = at or datetime.now(UTC)
    override = pricer.overrides.get(model)
    if override is not None:
        return _explain_override(pricer, model, usage, provider_id, when, batch)
    if provider_id == LOCAL_PROVIDER:
        return PriceExplanation(
            model, usage, Decimal(0), "local", notes=("A server on your computer: free.",)
        )
    match = pricer._match(model, provider_id) if provider_id else None
    if match is None:
        return PriceExplanation(
            model,
            usage,
            None,
            "unknown",
            notes=(
                f"The price table has no price for {model}"
                + (f" at {provider_id}" if provider_id else "")
                + ". Set your own in Settings → Prices.",
            ),
            data=data_info(),
        )
    context = {"processing": "batch"} if batch else None
    price = match.model.get_prices(when, context)
    notes: list[str] = []
    if batch:
        standard = match.model.get_prices(when)
        notes.append(
            "Sent through the Batch API: the table's batch prices are used."
            if standard != price
            else "Sent through the Batch API, but the table has no batch price for this model."
        )
    keys = _price_keys(price)
    if not keys:
        notes.append("The price table lists this model as free.")
        return _table(model, usage, Decimal(0), (), match, notes)
    if not _covers(keys, usage):
        notes.append(
            "The price table does not price everything this request used (for example images "
            "or audio priced apart), so its cost is unknown."
        )
        return _table(model, usage, None, (), match, notes)
    unpriced = [
        _NAMES[unit].lower()
        for _kind, field_, unit in TOOL_CALLS
        if getattr(usage, field_) and f"{unit}_kcount" not in keys
    ]
    if unpriced:
        notes.append(
            f"The price table has no price for this model's {' or '.join(unpriced)}: "
            "they are not included."
        )
    table_usage = _table_usage(usage)
    lines = _table_lines(price, table_usage, notes)
    total = sum((line.amount for line in lines), Decimal(0))
    return _table(model, usage, total, lines, match, notes)


def _table(
    model: str,
    usage: Usage,
    total: Decimal | None,
    lines: tuple[PriceLine, ...],
    match: Any,
    notes: list[str],
) -> PriceExplanation:
    return PriceExplanation(
        model,
        usage,
        total,
        "genai-prices",
        lines,
        matched=str(match.model.id),
        notes=tuple(notes),
        data=data_info(),
    )


def _table_lines(price: Any, table_usage: Any, notes: list[str]) -> tuple[PriceLine, ...]:
    """genai-prices' own split of the usage into priced units (as `ModelPrice.calc_price`)."""
    # WORKAROUND: genai-prices has no public "explain" call; these are the helpers its
    # ModelPrice.calc_price uses (genai-prices 0.2.x). tests/unit/test_explain.py compares the
    # sum of the lines with its calc_price, so a change there fails a test rather than misleads.
    types = import_heavy("genai_prices.types")
    registry = import_heavy("genai_prices.units")._get_registry()
    resolved = types._collect_resolved_model_prices(price, registry)
    usage_data = types.Usage.from_raw(table_usage)
    counts = types._compute_registry_priced_counts(resolved, usage_data)
    tiered = any(isinstance(p, types.TieredPrices) for _, p in resolved)
    total_input = usage_data.input_tokens if tiered else 0
    lines: list[PriceLine] = []
    for unit, unit_price in resolved:
        count = counts.get(unit.usage_key)
        if count is None or not count:
            continue
        rate, note = unit_price, ""
        if isinstance(unit_price, types.TieredPrices):
            rate = unit_price.base
            for tier in reversed(unit_price.tiers):
                if total_input > tier.start:
                    rate = tier.price
                    note = f"long-prompt price: more than {tier.start:,} input tokens"
                    break
            else:
                first = unit_price.tiers[0] if unit_price.tiers else None
                if first is not None:
                    note = f"base price (it rises above {first.start:,} input tokens)"
        quantity = Decimal(str(count))
        amount = types.calc_unit_price(unit_price, count, total_input, unit.per)
        lines.append(
            PriceLine(
                _NAMES.get(unit.usage_key, unit.usage_key.replace("_", " ").capitalize()),
                quantity,
                Decimal(rate),
                int(unit.per),
                amount,
                note,
            )
        )
    if any(line.note.startswith("long-prompt") for line in lines):
        notes.append("This prompt was long enough for the model's higher, long-prompt prices.")
    return tuple(lines)


def _explain_override(
    pricer: Pricer, model: str, usage: Usage, provider_id: str, at: datetime, batch: bool
) -> PriceExplanation:
    override = pricer.overrides[model]
    total = pricer.cost(model, usage, provider_id, at=at, batch=batch)
    notes = ["Your own price for this model (Settings → Prices) is used, not the table's."]
    if total is None:
        notes.append("Your own price covers tokens only; this request used something else.")
        return PriceExplanation(model, usage, None, "override", notes=tuple(notes))
    cached = min(usage.cached_tokens, usage.input_tokens)
    cached_rate = override.cached_input_per_mtok
    if cached_rate is None:
        cached_rate = override.input_per_mtok
    rows = (
        (_NAMES["input_tokens"], usage.input_tokens - cached, override.input_per_mtok),
        (_NAMES["cache_read_tokens"], cached, cached_rate),
        (_NAMES["output_tokens"], usage.output_tokens, override.output_per_mtok),
    )
    lines = tuple(
        PriceLine(what, Decimal(n), rate, 1_000_000, Decimal(n) * rate / MILLION)
        for what, n, rate in rows
        if n
    )
    return PriceExplanation(model, usage, total, "override", lines, notes=tuple(notes))


def price_provider_for(name: str, profile: ProviderProfile) -> str:
    """The price table's provider of a ledger row's provider `name` (the ledger keeps names):
    the profile's own when the names match, "openai" for "OpenAI", else "" (unknown)."""
    if profile.name == name:
        return profile.price_provider
    return "openai" if name == "OpenAI" else ""


def explain_rows(pricer: Pricer, rows: Sequence[tuple[LedgerEntry, str]]) -> PriceExplanation:
    """How recorded requests (a conversation's: (row, its price provider) pairs, oldest first)
    were priced: one request is `explain`ed as it is; several give each request's lines, named
    by the request's time and model, and their total (unknown when any request's price is).

    Raises:
        ValueError: `rows` is empty.
    """
    if not rows:
        raise ValueError("no requests to explain")
    if len(rows) == 1:
        entry, provider = rows[0]
        return explain(pricer, entry.model, entry.usage, provider, at=entry.time)
    lines: list[PriceLine] = []
    notes: list[str] = []
    total: Decimal | None = Decimal(0)
    usage = Usage()
    for entry, provider in rows:
        one = explain(pricer, entry.model, entry.usage, provider, at=entry.time)
        name = f"{entry.time.astimezone():%d %b %H:%M} {entry.model}"
        lines += [dataclasses.replace(line, what=f"{name}: {line.what}") for line in one.lines]
        if one.total is None:
            total = None
            notes.append(f"{name}: its price is unknown.")
        elif total is not None:
            total += one.total
        notes += [n for n in one.notes if n not in notes]
        usage += entry.usage
    models = sorted({entry.model for entry, _ in rows})
    return PriceExplanation(
        f"{len(rows)} requests ({', '.join(models)})",
        usage,
        total,
        "requests",
        tuple(lines),
        notes=tuple(notes),
        data=data_info(),
    )
