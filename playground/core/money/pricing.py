"""What a request cost, in exact `Decimal` dollars, from the genai-prices table; never a guess.

Sources, in order:

1. The user's own price for the exact model id (`PriceOverride`), e.g. for a fine-tuned model.
2. Provider "local" (Ollama, LM Studio, vLLM on the user's machine): free, `Decimal(0)`.
3. Provider "" (unknown): nothing more; the cost is unknown (None).
4. genai-prices, a maintained and dated price table that ships its data as Python code (no network;
   its auto-update is never started here). It matches dated snapshots itself
   (`gpt-4o-mini-2024-07-18` -> gpt-4o-mini, `gpt-5.2-20251211` -> gpt-5.2). When it does not
   (`gpt-4o-mini-tts-2025-03-20`, `tts-1-1106`), the date suffix is dropped and the base name tried.
   Fine-tuned ids (`ft:...`) never fall back to their base model: OpenAI prices fine-tuned inference
   higher, so an unmatched fine-tune is unknown (set an override).

Our `Usage` maps onto genai-prices' usage as: input tokens (cached ones included) -> input_tokens,
cached tokens -> cache_read_tokens (priced at the cached rate, or the input rate where the model has
none), cache-write tokens -> cache_write_tokens (providers that charge for writing the cache), output tokens (reasoning included: OpenAI bills reasoning as output) -> output_tokens,
characters (text-to-speech) -> input_characters, audio seconds (transcription) -> audio_seconds,
audio tokens (the audio part of the input of gpt-4o-transcribe) -> input_audio_tokens, output audio
tokens (the audio part of a realtime model's answer) -> output_audio_tokens.

The cost is None, not a smaller number, when the usage has a quantity the model's price does not
cover: tokens sent to whisper-1 (priced per audio minute), characters for gpt-4o-mini-tts (priced
per token), images for DALL·E (genai-prices has no per-image prices), or tokens for a model whose
table prices audio or image tokens apart from text tokens (gpt-4o-transcribe, gpt-audio, realtime,
gpt-image-1) unless the usage says how many of its tokens were of that kind: the Images API reports
image tokens (`image_input_tokens`, `image_output_tokens`) and the audio tab counts audio tokens
(`audio_tokens`); a usage that carries them prices those tokens at the model's own rates.

A Responses answer's served tier (`service_tier`: flex, priority) is priced at the table's price
for that tier where it has one (`price_context`); where it has none the standard price applies and
`tier_priced` says so, so the cost can be shown "at standard rates" rather than as a figure for
the tier. Built-in tool calls billed per call are priced where the table has a per-call price
for the model: web searches (`web_searches`), file searches (`storage_searches`) and code
interpreter runs (`code_executions`, which the table does not give for OpenAI today); a call the
table does not price adds nothing, and `call_fee` says None for it so the app can show "—".

genai_prices is imported on first use (it takes about 0.25 s), not at import: this module sits on
the app's start-up path.

Prices downloaded with Settings → Prices → "Update prices now" are kept in a file (`Pricer`'s
`kept`, in the data folder) and used again from the next start on, read at the first price looked
up; a kept file that cannot be read is ignored (logged) and the bundled table is used.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from playground.core.api.imports import import_heavy
from playground.core.models import PriceOverride, Usage

if TYPE_CHECKING:
    import genai_prices.types as gp_types

log = logging.getLogger(__name__)

#: `provider_id` of a server on the user's machine: every request is free.
LOCAL_PROVIDER = "local"

MILLION = Decimal(1_000_000)

TOOL_CALLS: Final = (
    ("web_search_call", "web_searches", "web_searches"),
    ("file_search_call", "file_searches", "storage_searches"),
    ("code_interpreter_call", "code_runs", "code_executions"),
)
"""The built-in tool calls billed per call: the output item's type, the `Usage` field that counts
them, and genai-prices' usage unit for them (priced per thousand calls: `<unit>_kcount`)."""

# Date suffixes of snapshot names: -2025-03-20 and -1106 (MMDD, as in gpt-3.5-turbo-1106).
_DATE_SUFFIX = re.compile(r"-(?:\d{4}-\d{2}-\d{2}|\d{4})$")


@dataclass(frozen=True, slots=True)
class ModelPrices:
    """A model's list prices in dollars, for showing next to the model ("$0.15 / $0.60 per 1M").

    Attributes:
        input_per_mtok: per million input tokens, or None if the model is not priced per token.
        output_per_mtok: per million output tokens, or None.
        cached_input_per_mtok: per million cached input tokens, or None (no cache discount).
        per_million_characters: text-to-speech models priced per character, or None.
        per_audio_minute: transcription models priced per minute of audio, or None.
        input_audio_per_mtok: per million input audio tokens, when priced apart from text, or None.
        tiered: True when the price rises above a prompt size; the base tier is shown.
        source: "override", "local" or "genai-prices".
    """

    input_per_mtok: Decimal | None
    output_per_mtok: Decimal | None
    cached_input_per_mtok: Decimal | None = None
    per_million_characters: Decimal | None = None
    per_audio_minute: Decimal | None = None
    input_audio_per_mtok: Decimal | None = None
    tiered: bool = False
    source: str = "genai-prices"


@dataclass(frozen=True, slots=True)
class _Match:
    """A model found in genai-prices."""

    ref: str  # the name that matched (the model id, or it without its date suffix)
    provider: gp_types.Provider
    model: gp_types.ModelInfo


RECENT_COSTS = 512


class Pricer:
    """Prices usage with the user's overrides, local-server rules and genai-prices.

    Safe to call from any thread. Lookups are cached per (provider, model).

    Args:
        overrides: the user's prices by exact model id.
        kept: the file of downloaded prices to use instead of the bundled ones, when it exists
            (read at the first lookup; "Update prices now" writes it).
    """

    def __init__(
        self, overrides: Mapping[str, PriceOverride] | None = None, kept: Path | None = None
    ) -> None:
        self._overrides: Mapping[str, PriceOverride] = MappingProxyType(dict(overrides or {}))
        self.kept = kept
        self._kept_read = kept is None
        self._lock = threading.Lock()
        self._matches: dict[tuple[str, str], _Match | None] = {}
        # Costs "now" of recent (model, usage, provider, batch, hour): the live estimate asks the
        # same question several times per keystroke, and a table lookup costs ~0.5 ms.
        self._recent: dict[tuple[object, ...], Decimal | None] = {}

    @property
    def overrides(self) -> Mapping[str, PriceOverride]:
        return self._overrides

    def set_overrides(self, overrides: Mapping[str, PriceOverride]) -> None:
        """Replace the user's prices (after they edit them in Settings)."""
        self._overrides = MappingProxyType(dict(overrides))
        with self._lock:
            self._recent.clear()

    def reload(self) -> None:
        """Forgets every looked-up model and cost (after the price data was updated)."""
        with self._lock:
            self._matches.clear()
            self._recent.clear()

    # --- costs ------------------------------------------------------------------------------

    def cost(
        self,
        model: str,
        usage: Usage,
        provider_id: str = "openai",
        *,
        at: datetime | None = None,
        batch: bool = False,
        service_tier: str | None = None,
    ) -> Decimal | None:
        """What `usage` of `model` cost, in dollars.

        Args:
            model: the model id as sent to the API.
            usage: what the request consumed.
            provider_id: a genai-prices provider id ("openai", "azure"...), `LOCAL_PROVIDER`, or ""
                for an unknown provider.
            at: when the request was made (prices change over time); now if None.
            batch: sent through the Batch API (the table's batch price where it has one; a
                user's own price applies as it is).
            service_tier: the tier that served it ("flex", "priority"; the table's price for
                that tier where it has one, else the standard price: see `tier_priced`).

        Returns:
            The exact cost, or None when it is unknown.
        """
        override = self._overrides.get(model)
        if override is not None:
            return _override_cost(override, usage)
        if provider_id == LOCAL_PROVIDER:
            return Decimal(0)
        if not provider_id:
            return None
        match = self._match(model, provider_id)
        if match is None:
            return None
        tier = _tier(service_tier)
        if at is not None:
            return _table_cost(match, usage, at, batch=batch, tier=tier)
        now = datetime.now(UTC)
        hour = now.replace(minute=0, second=0, microsecond=0)
        key = (model, usage, provider_id, batch, hour, *((tier,) if tier else ()))
        with self._lock:
            if key in self._recent:
                return self._recent[key]
        cost = _table_cost(match, usage, now, batch=batch, tier=tier)
        with self._lock:
            if len(self._recent) >= RECENT_COSTS:
                self._recent.clear()
            self._recent[key] = cost
        return cost

    def tier_priced(
        self,
        model: str,
        service_tier: str | None,
        provider_id: str = "openai",
        *,
        at: datetime | None = None,
    ) -> bool:
        """Whether a cost of `model` served at `service_tier` is that tier's own price: True for
        the standard tiers (none, "auto", "default") and where the table has the tier's price;
        False where it is priced at standard rates (or not priced at all)."""
        tier = _tier(service_tier)
        if tier is None or model in self._overrides:
            return tier is None
        if provider_id == LOCAL_PROVIDER:
            return True
        match = self._match(model, provider_id) if provider_id else None
        if match is None:
            return False
        when = at or datetime.now(UTC)
        try:
            plain = match.model.get_prices(when)
            tiered = match.model.get_prices(when, {"service_tier": tier})
        except (LookupError, ValueError):
            return False
        return tiered is not plain and tiered != plain

    def call_fee(
        self, model: str, kind: str, provider_id: str = "openai", *, at: datetime | None = None
    ) -> Decimal | None:
        """What one built-in tool call of `kind` (`web_search_call`, `file_search_call`,
        `code_interpreter_call`, `image_generation_call`) adds to an answer of `model`, or None
        when the price data does not say (a user's own price covers tokens only)."""
        if provider_id == LOCAL_PROVIDER:
            return Decimal(0)
        unit = next((unit for k, _field, unit in TOOL_CALLS if k == kind), None)
        if unit is None or model in self._overrides or not provider_id:
            return None
        match = self._match(model, provider_id)
        if match is None:
            return None
        per_thousand = getattr(
            match.model.get_prices(at or datetime.now(UTC)), f"{unit}_kcount", None
        )
        base = _base(per_thousand)
        return None if base is None else base / 1000

    def estimate(
        self, model: str, input_tokens: int, provider_id: str = "openai"
    ) -> Decimal | None:
        """The input cost of a draft of `input_tokens` tokens (the live estimate while typing)."""
        return self.cost(model, Usage(input_tokens=input_tokens, estimated=True), provider_id)

    # --- list prices ------------------------------------------------------------------------

    def prices(self, model: str, provider_id: str = "openai") -> ModelPrices | None:
        """The list prices of `model` today, or None when they are unknown."""
        override = self._overrides.get(model)
        if override is not None:
            return ModelPrices(
                override.input_per_mtok,
                override.output_per_mtok,
                override.cached_input_per_mtok,
                source="override",
            )
        if provider_id == LOCAL_PROVIDER:
            return ModelPrices(Decimal(0), Decimal(0), source="local")
        if not provider_id:
            return None
        match = self._match(model, provider_id)
        if match is None:
            return None
        price = match.model.get_prices(datetime.now(UTC))
        set_keys = _price_keys(price)
        if not set_keys:  # genai-prices lists free models with no prices at all
            return ModelPrices(Decimal(0), Decimal(0))
        audio_hour = _base(getattr(price, "audio_hours", None))
        return ModelPrices(
            input_per_mtok=_base(getattr(price, "input_mtok", None)),
            output_per_mtok=_base(getattr(price, "output_mtok", None)),
            cached_input_per_mtok=_base(getattr(price, "cache_read_mtok", None)),
            per_million_characters=_base(getattr(price, "input_mchars", None)),
            per_audio_minute=None if audio_hour is None else audio_hour / 60,
            input_audio_per_mtok=_base(getattr(price, "input_audio_mtok", None)),
            tiered=any(_is_tiered(getattr(price, key)) for key in set_keys),
        )

    def data_info(self) -> str:
        """One line describing the price data (see the module function `data_info`)."""
        return data_info()

    def matched_name(self, model: str, provider_id: str = "openai") -> str | None:
        """The genai-prices model id `model` is priced as, or None (for About/diagnostics)."""
        if not provider_id or provider_id == LOCAL_PROVIDER:
            return None
        match = self._match(model, provider_id)
        return None if match is None else match.model.id

    # --- lookup -----------------------------------------------------------------------------

    def _match(self, model: str, provider_id: str) -> _Match | None:
        key = (provider_id, model)
        with self._lock:
            if key in self._matches:
                return self._matches[key]
            read_kept, self._kept_read = not self._kept_read, True
        if read_kept and self.kept is not None:
            use_kept_prices(self.kept)
        found = _find(model, provider_id)
        with self._lock:
            self._matches[key] = found
        return found


def snapshot_from_json(raw: bytes) -> Any:
    """genai-prices' `DataSnapshot` of a price table in its download format (a provider list).

    Raises:
        ValueError, TypeError, KeyError: not JSON, or not genai-prices' format.
    """
    # WORKAROUND: genai-prices parses a downloaded table only inside `UpdatePrices.fetch`, which
    # does not hand back the bytes to keep; `_providers_from_raw` is the parser it uses there
    # (genai-prices 0.2.x; tests/unit/test_price_update.py covers it).
    payload = json.loads(raw)
    if not isinstance(payload, list):
        raise ValueError("expected a list of providers")
    providers = import_heavy("genai_prices.types")._providers_from_raw(payload)
    return import_heavy("genai_prices.data_snapshot").DataSnapshot(providers, from_auto_update=True)


def use_kept_prices(path: Path) -> bool:
    """Uses the downloaded prices kept at `path` from now on (dated by the file); False when
    there is no such file or it cannot be read (the bundled prices stay in use)."""
    try:
        raw = path.read_bytes()
        when = datetime.fromtimestamp(path.stat().st_mtime)
        snapshot = snapshot_from_json(raw)
    except FileNotFoundError:
        return False
    except (OSError, ValueError, TypeError, KeyError) as exc:
        log.warning("kept prices %s not used: %s", path, exc)
        return False
    snapshot.timestamp = when
    import_heavy("genai_prices.data_snapshot").set_custom_snapshot(snapshot)
    return True


def data_info() -> str:
    """One line describing the price data, for About and `--self-test`."""
    try:
        package_version = version("genai-prices")
    except PackageNotFoundError:
        return "Prices: genai-prices is not installed; costs are unknown."
    # The package publishes no date for its data; its version is the best "as of" there is.
    return f"genai-prices {package_version} (bundled with the app)"


# --- helpers ---------------------------------------------------------------------------------------


def _find(model: str, provider_id: str) -> _Match | None:
    genai_prices = import_heavy("genai_prices")

    candidates = [model]
    if not model.lower().startswith("ft:"):
        base = _DATE_SUFFIX.sub("", model)
        if base != model:
            candidates.append(base)
    for ref in candidates:
        try:
            result = genai_prices.calc_price(
                genai_prices.Usage(), model_ref=ref, provider_id=provider_id
            )
        except LookupError:
            continue
        return _Match(ref, result.provider, result.model)
    log.debug("no price for %r at %r", model, provider_id)
    return None


def _override_cost(override: PriceOverride, usage: Usage) -> Decimal | None:
    if usage.characters or usage.audio_seconds or (usage.images and not usage.total_tokens):
        return None  # an override prices tokens only
    cached = min(usage.cached_tokens, usage.input_tokens)
    cached_rate = override.cached_input_per_mtok
    if cached_rate is None:
        cached_rate = override.input_per_mtok
    total = (
        (usage.input_tokens - cached) * override.input_per_mtok
        + cached * cached_rate
        + usage.output_tokens * override.output_per_mtok
    )
    return total / MILLION


def _tier(service_tier: str | None) -> str | None:
    """A tier with its own prices ("flex", "priority"), or None for the standard one."""
    tier = (service_tier or "").strip().lower()
    return None if tier in ("", "auto", "default", "standard") else tier


def _table_cost(
    match: _Match, usage: Usage, at: datetime, *, batch: bool = False, tier: str | None = None
) -> Decimal | None:
    price = match.model.get_prices(at)
    keys = _price_keys(price)
    if not keys:
        return Decimal(0)  # genai-prices' way of listing a free model (e.g. moderation)
    if not _covers(keys, usage):
        log.debug("%s: price %s does not cover %s", match.model.id, price, usage)
        return None
    table_usage = _table_usage(usage)
    try:
        result = match.model.calc_price(
            table_usage,
            match.provider,
            genai_request_timestamp=at,
            price_context=(
                {
                    **({"processing": "batch"} if batch else {}),
                    **({"service_tier": tier} if tier else {}),
                }
                or None
            ),
        )
    except (LookupError, ValueError, ArithmeticError) as exc:
        log.warning("could not price %s for %s: %s", usage, match.model.id, exc)
        return None
    total: Decimal = result.total_price
    return total


def _table_usage(usage: Usage) -> Any:
    """Our `Usage` as genai-prices' (the mapping in this module's docstring)."""
    return import_heavy("genai_prices").Usage(
        input_tokens=usage.input_tokens or None,
        cache_read_tokens=min(usage.cached_tokens, usage.input_tokens) or None,
        cache_write_tokens=_cache_writes(usage) or None,
        output_tokens=usage.output_tokens or None,
        input_image_tokens=min(usage.image_input_tokens, usage.input_tokens) or None,
        output_image_tokens=min(usage.image_output_tokens, usage.output_tokens) or None,
        input_audio_tokens=min(usage.audio_tokens, usage.input_tokens) or None,
        output_audio_tokens=min(usage.output_audio_tokens, usage.output_tokens) or None,
        input_characters=usage.characters or None,
        audio_seconds=Decimal(repr(usage.audio_seconds)) if usage.audio_seconds else None,
        **{unit: getattr(usage, field) or None for _kind, field, unit in TOOL_CALLS},
    )


def _cache_writes(usage: Usage) -> int:
    """The input tokens written to the prompt cache (never more than the uncached input)."""
    return max(0, min(usage.cache_write_tokens, usage.input_tokens - usage.cached_tokens))


def _covers(keys: frozenset[str], usage: Usage) -> bool:
    """Whether the price with `keys` prices every quantity `usage` reports."""
    # The Images API reports which of its tokens were image tokens, and audio usage says which
    # input tokens were audio; other usage does not say.
    known: set[str] = set()
    if usage.image_input_tokens or usage.image_output_tokens:
        known.add("image")
    if usage.audio_tokens:
        known.add("audio")
    if usage.output_audio_tokens:
        # A realtime model's usage itemises text, audio and image tokens in both directions, so
        # its zero counts are known zeros too (text typed in: no input audio, no images).
        known.update(("audio", "image"))
    if usage.input_tokens and (
        "input_mtok" not in keys or _split_by_modality(keys, "input", frozenset(known))
    ):
        return False
    if usage.output_tokens and (
        "output_mtok" not in keys or _split_by_modality(keys, "output", frozenset(known))
    ):
        return False
    if usage.characters and "input_mchars" not in keys:
        return False
    if usage.audio_seconds and "audio_hours" not in keys:
        return False
    # No per-image prices exist in genai-prices; images are priced only through their tokens.
    return not (usage.images and not usage.total_tokens)


def _split_by_modality(
    keys: frozenset[str], direction: str, known: frozenset[str] = frozenset()
) -> bool:
    """Whether audio/image/video tokens in `direction` have their own price (modalities in
    `known` do not count: the usage says how many tokens of those there were)."""
    unit_data = import_heavy("genai_prices.data_units").unit_data

    for unit in unit_data.values():
        dims = unit["dimensions"]
        if (
            unit["price_key"] in keys
            and dims.get("family") == "tokens"
            and dims.get("direction") == direction
            and dims.get("modality", "text") not in ("text", *known)
        ):
            return True
    return False


def _price_keys(price: gp_types.ModelPrice) -> frozenset[str]:
    return frozenset(k for k, v in vars(price).items() if v is not None and not k.startswith("_"))


def _is_tiered(value: Any) -> bool:
    return hasattr(value, "tiers")


def _base(value: Any) -> Decimal | None:
    """A flat price, or the base of tiered prices."""
    if value is None:
        return None
    if _is_tiered(value):
        value = value.base
    return value if isinstance(value, Decimal) else Decimal(str(value))
