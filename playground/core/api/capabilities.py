"""What a model can do, where the API does not say.

`GET /v1/models` tells which models exist, not what they accept. This one small table fills the gap by
model-name pattern. It is the only place such facts live: when OpenAI ships a model family that
behaves differently, add one `Rule` here. Unknown names get safe defaults (a plain chat model that
accepts the classic sampling parameters), which suits most OpenAI-compatible local servers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from functools import lru_cache


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


@dataclass(frozen=True, slots=True)
class Rule:
    """Facts for every model whose id matches `pattern` (a regular expression, searched case-insensitively).

    Only the fields given in `facts` are changed; rules are applied in order, later ones win.
    """

    pattern: str
    facts: dict[str, object]


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


def kind_of(model_id: str) -> ModelKind:
    return capabilities(model_id).kind


def _base_name(model_id: str) -> str:
    name = model_id.strip()
    if name.startswith("ft:"):
        name = name[3:].split(":", 1)[0]
    # Ollama-style names carry a tag ("llama3.2:3b"); vendor prefixes ("openai/gpt-4o") are dropped.
    return name.rsplit("/", 1)[-1]
