"""What a model can do, where the API does not say.

`GET /v1/models` tells which models exist, not what they accept. This one small table fills the gap by
model-name pattern. It is the only place such facts live: when OpenAI ships a model family that
behaves differently, add one `Rule` here. Unknown names get safe defaults (a plain chat model that
accepts the classic sampling parameters), which suits most OpenAI-compatible local servers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType


class ModelKind(StrEnum):
    """Which tab a model belongs to."""

    CHAT = "chat"
    IMAGE = "image"
    SPEECH = "speech"
    TRANSCRIPTION = "transcription"
    EMBEDDING = "embedding"
    MODERATION = "moderation"
    REALTIME = "realtime"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a model accepts. Parameters marked False are disabled in the UI and never sent.

    Attributes:
        kind: the tab the model belongs to.
        reasoning: a reasoning model (takes `reasoning_effort`, spends hidden reasoning tokens).
        vision: accepts image parts in user messages.
        sampling: accepts temperature, top_p, frequency and presence penalties.
        logprobs: accepts logprobs / top_logprobs.
        stop: accepts stop sequences.
        max_tokens_param: the name of the output-length parameter it takes.
        streaming: can stream its answer.
        dimensions: (embeddings) accepts `dimensions`.
        context_window: tokens the model reads and writes in one request, if known.
        max_output: the most output tokens it may produce, if known.
        why: a sentence shown in tooltips on disabled controls.
        efforts: the reasoning effort values the model takes, weakest first (empty: none).
        sampling_efforts: the effort values at which a reasoning model still takes sampling
            parameters and logprobs (GPT-6 at `none`); `sampling`/`logprobs` above describe the
            model at its default effort.
        chat_tools_efforts: the effort values at which Chat Completions takes function tools;
            None means at every effort, () means never (tools need the Responses API).
        reasoning_summary: takes `reasoning.summary` (Responses).
        verbosity: takes `text.verbosity` / `verbosity`.
        service_tier: takes `service_tier` (an OpenAI model; compatible servers do not).
        builtin_tools: the Responses built-in tools it supports (`web_search`, `file_search`,
            `code_interpreter`, `image_generation`, `mcp`).
    """

    kind: ModelKind = ModelKind.CHAT
    reasoning: bool = False
    vision: bool = False
    sampling: bool = True
    logprobs: bool = True
    stop: bool = True
    max_tokens_param: str = "max_completion_tokens"
    streaming: bool = True
    dimensions: bool = False
    context_window: int | None = None
    max_output: int | None = None
    why: str = ""
    efforts: tuple[str, ...] = ()
    sampling_efforts: tuple[str, ...] = ()
    chat_tools_efforts: tuple[str, ...] | None = None
    reasoning_summary: bool = False
    verbosity: bool = False
    service_tier: bool = False
    builtin_tools: tuple[str, ...] = ()

    @property
    def tools_need_responses(self) -> bool:
        """Function tools work only through the Responses API (GPT-6 Astra, GPT-6.1 Sol)."""
        return self.chat_tools_efforts == ()


@dataclass(frozen=True, slots=True)
class Rule:
    """Facts for every model whose id matches `pattern` (a regular expression, searched case-insensitively).

    Only the fields given in `facts` are changed; rules are applied in order, later ones win.
    """

    pattern: str
    facts: dict[str, object]


EFFORTS: tuple[str, ...] = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
"""Every reasoning effort value the API knows, weakest first (`types/shared/reasoning_effort.py`)."""

BUILTIN_TOOLS: tuple[str, ...] = (
    "web_search",
    "file_search",
    "code_interpreter",
    "image_generation",
    "mcp",
)
"""The Responses built-in tools the app offers, in panel order."""

_REASONING_WHY = (
    "Reasoning models choose their own sampling; the API rejects this parameter for them."
)

# Order matters: broad rules first, exceptions after them.
RULES: tuple[Rule, ...] = (
    # Kinds, by name.
    Rule(r"embed", {"kind": ModelKind.EMBEDDING}),
    Rule(r"^text-embedding-3", {"dimensions": True}),
    Rule(r"moderation", {"kind": ModelKind.MODERATION}),
    Rule(r"dall-e|gpt-image|^chatgpt-image|image-\d", {"kind": ModelKind.IMAGE}),
    Rule(r"tts", {"kind": ModelKind.SPEECH}),
    Rule(r"whisper|transcribe", {"kind": ModelKind.TRANSCRIPTION}),
    Rule(r"realtime", {"kind": ModelKind.REALTIME}),
    Rule(r"^(babbage|davinci)|^codex|search|computer-use|^sora", {"kind": ModelKind.OTHER}),
    # Chat families with vision input.
    Rule(
        r"^(gpt-4o|gpt-4\.1|gpt-4-turbo|gpt-4\.5|chatgpt-4o|gpt-5|gpt-6|o1|o3|o4)", {"vision": True}
    ),
    Rule(r"llava|vision|-vl\b|pixtral|gemma-?3|llama-?3\.2-vision|qwen.*vl", {"vision": True}),
    # Reasoning families: no sampling parameters, no logprobs.
    Rule(
        r"^(o1|o3|o4|gpt-5|gpt-6)(?!.*-chat)",
        {
            "reasoning": True,
            "sampling": False,
            "logprobs": False,
            "stop": False,
            "why": _REASONING_WHY,
        },
    ),
    # Older chat models still take max_tokens only on some compatible servers; OpenAI accepts both.
    Rule(r"^gpt-3\.5|^gpt-4(?!o|\.)", {"vision": False}),
    # Context windows and output limits, from OpenAI's model pages (the API does not report them).
    Rule(r"^gpt-3\.5", {"context_window": 16_385, "max_output": 4_096}),
    Rule(r"^gpt-4(-\d|$)", {"context_window": 8_192, "max_output": 8_192}),
    Rule(r"^gpt-4-turbo|^gpt-4-\d{4}-preview", {"context_window": 128_000, "max_output": 4_096}),
    Rule(r"^(gpt-4o|chatgpt-4o)", {"context_window": 128_000, "max_output": 16_384}),
    Rule(r"^gpt-4\.1", {"context_window": 1_047_576, "max_output": 32_768}),
    Rule(r"^(o1|o3|o4)", {"context_window": 200_000, "max_output": 100_000}),
    Rule(r"^gpt-5", {"context_window": 400_000, "max_output": 128_000}),
    # Reasoning effort values per family (the API answers 400 naming a value a model lacks).
    Rule(r"^(o1|o3|o4)", {"efforts": ("low", "medium", "high")}),
    Rule(r"^gpt-5(?!.*-chat)", {"efforts": ("minimal", "low", "medium", "high")}),
    # GPT-6: every value, and the sampling parameters and logprobs come back at effort `none`
    # (OpenAI's deployment checklist: remove them when effort is not `none`).
    Rule(r"^gpt-6(?!.*-chat)", {"efforts": EFFORTS, "sampling_efforts": ("none",)}),
    Rule(r"^gpt-6\.1-sol", {"efforts": EFFORTS[1:], "sampling_efforts": ()}),
    # Function tools in Chat Completions: GPT-6 Astra and GPT-6.1 Sol need Responses; GPT-6 Sol and
    # GPT-6 Luna take them there only at effort `none`.
    Rule(r"^gpt-6-(sol|luna)", {"chat_tools_efforts": ("none",)}),
    Rule(r"^gpt-6-astra|^gpt-6\.1-sol", {"chat_tools_efforts": ()}),
    # Responses features of OpenAI's own models.
    Rule(r"^(gpt-3\.5|gpt-4|chatgpt|gpt-5|gpt-6|o1|o3|o4)", {"service_tier": True}),
    Rule(r"^(o1|o3|o4|gpt-5|gpt-6)(?!.*-chat)", {"reasoning_summary": True}),
    Rule(r"^(gpt-5|gpt-6)", {"verbosity": True}),
    Rule(r"^(gpt-4o|gpt-4\.1|gpt-5|gpt-6|o3|o4)", {"builtin_tools": BUILTIN_TOOLS}),
    Rule(
        r"^(gpt-4o|gpt-4\.1|gpt-5|gpt-6|o3|o4).*(nano|audio|search|realtime)", {"builtin_tools": ()}
    ),
)

_FIELDS = {f.name for f in fields(Capabilities)}


@lru_cache(maxsize=512)
def capabilities(model_id: str) -> Capabilities:
    """The capabilities of a model id (fine-tunes like `ft:gpt-4o-mini:org::abc` match their base)."""
    return resolve(model_id, RULES)


def resolve(model_id: str, rules: tuple[Rule, ...]) -> Capabilities:
    """Applies `rules` in order to the model's base name."""
    name = _base_name(model_id)
    caps = Capabilities()
    for rule in rules:
        if re.search(rule.pattern, name, flags=re.IGNORECASE):
            unknown = set(rule.facts) - _FIELDS
            if unknown:  # a typo in the table must not pass silently
                raise ValueError(f"unknown capability {sorted(unknown)} in rule {rule.pattern!r}")
            caps = replace(caps, **rule.facts)  # type: ignore[arg-type]
    return caps


@dataclass(frozen=True, slots=True)
class Allowed:
    """What the parameter panel enables for one model at one reasoning effort.

    Attributes:
        efforts: the effort values to offer (empty: the model does not reason).
        effort_ok: the chosen effort is one the model takes (True when none was chosen).
        sampling: temperature, top_p and the penalties are sent.
        logprobs: logprobs / top_logprobs (and the logprobs lens) are sent.
        stop: stop sequences are sent.
        chat_tools: function tools work through Chat Completions at this effort.
        reasoning_summary: the reasoning summary can be asked for (Responses).
        verbosity: verbosity can be set.
        service_tier: a service tier can be chosen.
        builtin_tools: the Responses built-in tools to offer.
        reasons: for each control that is off (`effort`, `sampling`, `logprobs`, `stop`,
            `chat_tools`, `reasoning_summary`, `verbosity`, `service_tier`, `builtin_tools`), why,
            in plain words for a tooltip.
    """

    efforts: tuple[str, ...]
    effort_ok: bool
    sampling: bool
    logprobs: bool
    stop: bool
    chat_tools: bool
    reasoning_summary: bool
    verbosity: bool
    service_tier: bool
    builtin_tools: tuple[str, ...]
    reasons: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def reason(self, control: str) -> str:
        """Why `control` is off, or "" when it is on."""
        return self.reasons.get(control, "")


def allowed(model_id: str, effort: str | None = None) -> Allowed:
    """What the panel enables for `model_id` at reasoning `effort` (None: the model's default).

    Sampling and logprobs follow the effort: a GPT-6 model takes them at `none` only; a reasoning
    model without such an effort never takes them; other models always do.
    """
    return _allowed(model_id, effort or None)


@lru_cache(maxsize=1024)
def _allowed(model_id: str, effort: str | None) -> Allowed:
    caps = capabilities(model_id)
    reasons: dict[str, str] = {}
    effort_ok = effort is None or not caps.efforts or effort in caps.efforts
    if caps.reasoning and not effort_ok:
        reasons["effort"] = (
            f"{model_id} does not take reasoning effort “{effort}”; it takes "
            + ", ".join(caps.efforts)
            + "."
        )
    if not caps.reasoning and effort is not None:
        effort_ok = False
        reasons["effort"] = f"{model_id} is not a reasoning model; effort is not sent."
    at_effort = effort is not None and effort in caps.sampling_efforts
    sampling = caps.sampling or at_effort
    logprobs = caps.logprobs or at_effort
    if not sampling:
        reasons["sampling"] = (
            "At reasoning effort “none” this model takes temperature and top_p; at other efforts "
            "the API rejects them."
            if caps.sampling_efforts
            else caps.why or _REASONING_WHY
        )
    if not logprobs:
        reasons["logprobs"] = (
            "Logprobs come back only at reasoning effort “none” on this model."
            if caps.sampling_efforts
            else caps.why or _REASONING_WHY
        )
    stop = caps.stop or at_effort
    if not stop:
        reasons["stop"] = "This reasoning model does not take stop sequences."
    chat_tools = caps.chat_tools_efforts is None or (
        effort is not None and effort in caps.chat_tools_efforts
    )
    if not chat_tools:
        reasons["chat_tools"] = (
            "This model calls tools only through the Responses API."
            if caps.tools_need_responses
            else "Through Chat Completions this model takes tools only at reasoning effort "
            "“none”; the Responses API takes them at every effort."
        )
    if not caps.reasoning_summary:
        reasons["reasoning_summary"] = "Only reasoning models write a reasoning summary."
    if not caps.verbosity:
        reasons["verbosity"] = "Verbosity is a GPT-5 and GPT-6 parameter."
    if not caps.service_tier:
        reasons["service_tier"] = "Service tiers exist only on OpenAI's own models."
    if not caps.builtin_tools:
        reasons["builtin_tools"] = "This model has no built-in tools (web search, files, code…)."
    return Allowed(
        efforts=caps.efforts,
        effort_ok=effort_ok,
        sampling=sampling,
        logprobs=logprobs,
        stop=stop,
        chat_tools=chat_tools,
        reasoning_summary=caps.reasoning_summary,
        verbosity=caps.verbosity,
        service_tier=caps.service_tier,
        builtin_tools=caps.builtin_tools,
        reasons=MappingProxyType(reasons),
    )


def kind_of(model_id: str) -> ModelKind:
    return capabilities(model_id).kind


def _base_name(model_id: str) -> str:
    name = model_id.strip()
    if name.startswith("ft:"):
        name = name[3:].split(":", 1)[0]
    # Ollama-style names carry a tag ("llama3.2:3b"); vendor prefixes ("openai/gpt-4o") are dropped.
    return name.rsplit("/", 1)[-1]
