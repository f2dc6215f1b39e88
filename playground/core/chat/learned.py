"""What the servers have refused, per model: learned from 400s, so unknown models and compatible
servers work after one "Send again without it".

A 400 that names the parameter it refuses (`AppError.param`, with an "unsupported" code or
message) is matched to the setting that sent it (`setting_for`); the user is told in plain words
(`refusal_text`), may send again without it (`without`), and the model's refusal is remembered
(`Learned`, kept in the settings) and shown in the parameter panel until reset.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from playground.core.chat.service import ChatRequest, ResponsesRequest

_SETTING_FOR_PARAM: dict[str, str] = {
    "temperature": "temperature",
    "top_p": "top_p",
    "top_logprobs": "logprobs",
    "logprobs": "logprobs",
    "include": "logprobs",
    "reasoning.effort": "reasoning_effort",
    "reasoning_effort": "reasoning_effort",
    "reasoning.summary": "reasoning_summary",
    "reasoning": "reasoning_effort",
    "text.verbosity": "verbosity",
    "verbosity": "verbosity",
    "service_tier": "service_tier",
    "seed": "seed",
    "stop": "stop",
    "frequency_penalty": "frequency_penalty",
    "presence_penalty": "presence_penalty",
    "n": "n",
    "max_tokens": "max_output_tokens",
    "max_completion_tokens": "max_output_tokens",
    "max_output_tokens": "max_output_tokens",
    "truncation": "truncation",
    "prompt_cache_key": "prompt_cache_key",
    "prompt_cache_options": "prompt_cache_ttl",
    "prompt_cache_options.ttl": "prompt_cache_ttl",
}
"""API parameter (either API's name) -> the `ChatRequest`/`ResponsesRequest` setting that sends it."""

LABELS: dict[str, str] = {
    "temperature": "temperature",
    "top_p": "top P",
    "logprobs": "token probabilities",
    "reasoning_effort": "reasoning effort",
    "reasoning_summary": "reasoning summary",
    "verbosity": "verbosity",
    "service_tier": "service tier",
    "seed": "seed",
    "stop": "stop sequences",
    "frequency_penalty": "frequency penalty",
    "presence_penalty": "presence penalty",
    "n": "several answers",
    "max_output_tokens": "maximum output",
    "truncation": "letting the server truncate",
    "prompt_cache_key": "prompt cache key",
    "prompt_cache_ttl": "prompt cache lifetime",
    "compaction": "compaction (“OpenAI compacts”)",
}
"""Each learnable setting in plain words (as the panel names it)."""

_UNSUPPORTED = re.compile(r"unsupported|not supported|does not support|unrecognized|unknown", re.I)

_EMPTY: dict[str, Any] = {
    "temperature": None,
    "top_p": None,
    "logprobs": False,
    "top_logprobs": None,
    "reasoning_effort": None,
    "reasoning_summary": None,
    "verbosity": None,
    "service_tier": None,
    "seed": None,
    "stop": (),
    "frequency_penalty": None,
    "presence_penalty": None,
    "n": 1,
    "max_output_tokens": None,
    "truncation": None,
    "prompt_cache_key": None,
    "prompt_cache_ttl": None,
    "compaction": None,  # no request field: `/responses/compact` refused (ui/chat/sending.py)
}
"""Each learnable setting's "not sent" value."""


def setting_for(param: str | None, code: str = "", message: str = "") -> str | None:
    """The setting a 400 refuses, when it names a parameter and says it is not supported
    (code `unsupported_parameter`/`unsupported_value`, or such words); else None."""
    if not param:
        return None
    if "unsupported" not in code and not _UNSUPPORTED.search(message):
        return None
    return _SETTING_FOR_PARAM.get(param.strip())


def is_set(request: ChatRequest, setting: str) -> bool:
    """Whether `request` sends `setting` (so leaving it out changes the request)."""
    if not hasattr(request, setting):
        return False
    return bool(getattr(request, setting) != _EMPTY[setting])


def without(request: ChatRequest, settings: Iterable[str]) -> ChatRequest:
    """`request` with `settings` not sent (the same object when it sends none of them)."""
    changes: dict[str, Any] = {}
    for setting in settings:
        if setting not in _EMPTY or not is_set(request, setting):
            continue
        changes[setting] = _EMPTY[setting]
        if setting == "logprobs":
            changes["top_logprobs"] = None
    if not changes:
        return request
    if not isinstance(request, ResponsesRequest):
        changes = {k: v for k, v in changes.items() if k in _CHAT_FIELDS}
    return dataclasses.replace(request, **changes)


_CHAT_FIELDS = frozenset(f.name for f in dataclasses.fields(ChatRequest))


def refused_setting(request: ChatRequest, param: str | None, code: str, message: str) -> str | None:
    """The setting `request` sent that a 400 (naming `param`) refuses; None for any other error."""
    setting = setting_for(param, code, message)
    return setting if setting is not None and is_set(request, setting) else None


def learned_text(model: str, setting: str) -> str:
    """A refusal just learned (Compare, Prompt Lab), in plain words with what happens next."""
    return (
        f"{refusal_text(model, setting)} It is left out for this model from now on (Chat's "
        "Parameters panel lists it under “Learned from the server”, where it can be reset). "
        "Run again."
    )


def refusal_text(model: str, setting: str) -> str:
    """The refusal in plain words."""
    return f"{model} does not take {LABELS.get(setting, setting)} (the server said so)."


@dataclass
class Learned:
    """Per model, the settings its server refused. Kept in the settings as
    `{model: [setting, ...]}` (`to_dict`, `from_dict`)."""

    by_model: dict[str, set[str]] = field(default_factory=dict)

    def learn(self, model: str, setting: str) -> None:
        self.by_model.setdefault(model, set()).add(setting)

    def forget(self, model: str) -> None:
        self.by_model.pop(model, None)

    def of(self, model: str) -> frozenset[str]:
        return frozenset(self.by_model.get(model, ()))

    def to_dict(self) -> dict[str, list[str]]:
        return {model: sorted(s) for model, s in sorted(self.by_model.items()) if s}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Iterable[str]]) -> Learned:
        return cls({str(m): {s for s in settings if s in _EMPTY} for m, settings in raw.items()})
