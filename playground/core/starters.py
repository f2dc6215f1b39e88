"""Starters: ready-made tasks shipped with the app (data files in `playground/data/starters/`).

A starter is a preset with `{{variables}}` (a system prompt and a user message template), a title, a
one-line purpose and a category, settings each with its reason in plain words, the model it was
written for, and a Prompt Lab suite (test cases with checks in the Lab's own case format). One file
per starter, so a damaged file costs only itself:

    {"format": "playground-starter", "version": 1, "id": "translate", "title": "Translate",
     "purpose": "...", "category": "Writing", "model": "gpt-4.1-mini",
     "system_prompt": "... {{language}} ...", "user_template": "{{text}}",
     "settings": [{"name": "temperature", "value": 0.2, "reason": "0.2: ..."},
                  {"name": "reasoning_effort", "value": "low", "when": "no-sampling",
                   "reason": "low effort: ..."}],
     "suite": {"cases": [{"vars": {"language": "French", "text": "Hello"},
                          "expect": "contains", "expected": "Bonjour"}]}}

Settings are model-aware (`Starter.settings_for`): on a model that takes no sampling parameters
(`capabilities.allowed`) the temperature and penalties are not sent and their line says why and what
replaces them (the `"when": "no-sampling"` settings, a reasoning effort); a reasoning model's output
limit is raised, since its hidden thinking counts against it.

No Qt here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Final

from playground.core.api.capabilities import ModelKind, allowed, capabilities
from playground.core.api.retirements import default_model
from playground.core.chat.presets import Preset, fill_variables, find_variables
from playground.core.chat.service import ChatRequest
from playground.core.lab.suite import CaseFileError, Prompt, TestCase, Variant, cases_from_jsonl
from playground.core.models import ModelInfo

STARTER_FORMAT: Final = "playground-starter"
STARTER_VERSION: Final = 1
MAX_STARTER_BYTES: Final = 256 * 1024

#: The parameters a starter may set (`ChatRequest` field names).
SETTING_NAMES: Final = frozenset(
    {
        "temperature",
        "top_p",
        "frequency_penalty",
        "presence_penalty",
        "max_output_tokens",
        "seed",
        "reasoning_effort",
        "response_format",
    }
)
SAMPLING_NAMES: Final = frozenset({"temperature", "top_p", "frequency_penalty", "presence_penalty"})
_WHEN = ("", "no-sampling")
_EFFORT_ORDER = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
#: Output tokens added to a starter's limit on a reasoning model (its thinking counts against it).
REASONING_ROOM: Final = 2000
_LABELS = {
    "temperature": "Temperature",
    "top_p": "Top P",
    "frequency_penalty": "Frequency penalty",
    "presence_penalty": "Presence penalty",
    "max_output_tokens": "Max output",
    "seed": "Seed",
    "reasoning_effort": "Reasoning effort",
    "response_format": "Answer format",
}


class StarterError(ValueError):
    """A starter file that cannot be used; the message says which and why, in plain words."""


@dataclass(frozen=True, slots=True)
class Setting:
    """One parameter of a starter, with why it has this value.

    Attributes:
        name: the `ChatRequest` field.
        value: its value.
        reason: why, in plain words ("0.2: extraction should give the same answer every time").
        when: "" (always) or "no-sampling" (only on models that take no temperature: what
            replaces it there).
    """

    name: str
    value: Any
    reason: str
    when: str = ""


@dataclass(frozen=True, slots=True)
class SettingLine:
    """A setting as it applies to one model: `sent` False means it is shown but not sent."""

    name: str
    value: Any
    reason: str
    sent: bool = True

    @property
    def label(self) -> str:
        return _LABELS.get(self.name, self.name)

    def text(self) -> str:
        """ "Temperature 0.2 — 0.2: …" in plain words (a line of the gallery's details)."""
        return f"{self.label}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Starter:
    """A shipped task: a preset with `{{variables}}`, settings with reasons, and a Lab suite."""

    id: str
    title: str
    purpose: str
    category: str
    model: str
    system_prompt: str
    user_template: str
    settings: tuple[Setting, ...] = ()
    cases: tuple[TestCase, ...] = ()

    def variables(self) -> list[str]:
        """The `{{variables}}` of the system prompt and the message template, in order."""
        return find_variables([self.system_prompt, self.user_template])

    def prompt(self) -> Prompt:
        return Prompt(self.system_prompt, self.user_template)

    def matches(self, query: str) -> bool:
        """Whether every word of `query` is in the title, purpose or category (ignoring case)."""
        haystack = f"{self.title} {self.purpose} {self.category}".casefold()
        return all(word in haystack for word in query.casefold().split())

    def settings_for(self, model: str) -> list[SettingLine]:
        """The settings as they apply to `model`, each with its reason (see the module docstring)."""
        caps = capabilities(model)
        effort_none = next(iter(caps.sampling_efforts), None)
        sampling = allowed(model).sampling or effort_none is not None
        lines: list[SettingLine] = []
        for setting in self.settings:
            if setting.when == "no-sampling":
                continue
            if setting.name in SAMPLING_NAMES and not sampling:
                why = allowed(model).reason("sampling") or "This model does not take it."
                lines.append(
                    SettingLine(
                        setting.name,
                        setting.value,
                        f"not sent to {model}. {why} {self._replacement(model)}".rstrip(),
                        sent=False,
                    )
                )
                continue
            if setting.name == "reasoning_effort" and not caps.reasoning:
                continue
            value, reason = setting.value, setting.reason
            if setting.name == "max_output_tokens" and caps.reasoning and effort_none is None:
                value = int(value) + REASONING_ROOM
                reason += (
                    f"; raised to {value:,} on {model}, whose hidden thinking counts against it"
                )
            lines.append(SettingLine(setting.name, value, reason))
        if caps.reasoning and not any(line.name == "reasoning_effort" for line in lines):
            lines += self._effort_lines(model, effort_none)
        return lines

    def _effort_lines(self, model: str, effort_none: str | None) -> list[SettingLine]:
        caps = capabilities(model)
        if effort_none is not None and any(s.name in SAMPLING_NAMES for s in self.settings):
            return [
                SettingLine(
                    "reasoning_effort",
                    effort_none,
                    f"{effort_none}: {model} takes the temperature only without thinking, so "
                    "thinking is off and the temperature chosen for this task is kept",
                )
            ]
        for setting in self.settings:
            if setting.name == "reasoning_effort" and setting.when == "no-sampling":
                effort = nearest_effort(str(setting.value), caps.efforts)
                if effort is None:
                    return []
                reason = setting.reason
                if effort != setting.value:
                    reason = f"{effort} (the nearest {model} takes to {setting.value}): " + (
                        reason.split(":", 1)[-1].strip()
                    )
                return [SettingLine("reasoning_effort", effort, reason)]
        return []

    def _replacement(self, model: str) -> str:
        """What takes the temperature's place on `model`, as a sentence ("" when nothing does)."""
        for line in self._effort_lines(model, None):
            return f"Instead, the reasoning effort is set to {line.value}."
        return ""

    def fields_for(self, model: str) -> dict[str, Any]:
        """The parameter-panel fields for `model` (only what is sent)."""
        return {line.name: line.value for line in self.settings_for(model) if line.sent}

    def preset(self, model: str) -> Preset:
        """The starter as a preset for `model` (a user's copy is saved from it, never over it)."""
        fields = self.fields_for(model)
        return Preset(
            self.title, self.system_prompt, ChatRequest(model=model, messages=(), **fields)
        )

    def variant(self, model: str) -> Variant:
        """A Prompt Lab column running this starter on `model`."""
        return Variant(self.title, self.prompt(), model, self.fields_for(model))

    def filled_message(self, values: Mapping[str, str]) -> str:
        return fill_variables(self.user_template, values)


def nearest_effort(wanted: str, efforts: Sequence[str]) -> str | None:
    """`wanted` if the model takes it, else the weakest effort it takes above it (else its
    strongest); None for a model that takes no effort."""
    if not efforts:
        return None
    if wanted in efforts:
        return wanted
    rank = _EFFORT_ORDER.index(wanted) if wanted in _EFFORT_ORDER else 0
    above = [e for e in efforts if e in _EFFORT_ORDER and _EFFORT_ORDER.index(e) >= rank]
    return above[0] if above else efforts[-1]


# --- reading ---------------------------------------------------------------------------------------


def starter_from_dict(raw: Any, where: str) -> Starter:
    """A starter from its decoded file.

    Raises:
        StarterError: what is wrong, starting with `where` (the file's name).
    """
    if not isinstance(raw, dict) or raw.get("format") != STARTER_FORMAT:
        raise StarterError(f'{where}: not a starter file (no "format": "{STARTER_FORMAT}").')
    version = raw.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise StarterError(f'{where}: no valid "version".')
    if version > STARTER_VERSION:
        raise StarterError(f"{where}: written for a newer version of Playground.")

    def text(name: str, *, required: bool = True) -> str:
        value = raw.get(name, "")
        if not isinstance(value, str) or (required and not value.strip()):
            raise StarterError(f'{where}: "{name}" must be a non-empty text.')
        return value.strip()

    settings: list[Setting] = []
    raw_settings = raw.get("settings", [])
    if not isinstance(raw_settings, list):
        raise StarterError(f'{where}: "settings" must be a list.')
    for item in raw_settings:
        if not isinstance(item, dict):
            raise StarterError(f"{where}: a setting is not an object.")
        name, reason, when = item.get("name"), item.get("reason"), item.get("when", "")
        if name not in SETTING_NAMES:
            raise StarterError(f'{where}: "{name}" is not a setting a starter may set.')
        if not isinstance(reason, str) or not reason.strip():
            raise StarterError(f'{where}: the setting "{name}" has no reason.')
        if when not in _WHEN:
            raise StarterError(f'{where}: the setting "{name}" has an unknown "when".')
        settings.append(Setting(name, item.get("value"), reason.strip(), when))
    suite = raw.get("suite", {})
    cases_raw = suite.get("cases") if isinstance(suite, dict) else None
    if not isinstance(cases_raw, list):
        raise StarterError(f'{where}: "suite" must hold a "cases" list.')
    try:
        cases = cases_from_jsonl("\n".join(json.dumps(c) for c in cases_raw))
    except (CaseFileError, TypeError, ValueError) as exc:
        raise StarterError(f"{where}: its test cases cannot be read ({exc}).") from None
    return Starter(
        id=text("id"),
        title=text("title"),
        purpose=text("purpose"),
        category=text("category"),
        model=text("model", required=False),
        system_prompt=text("system_prompt", required=False),
        user_template=text("user_template"),
        settings=tuple(settings),
        cases=tuple(cases),
    )


@dataclass(frozen=True, slots=True)
class StarterLibrary:
    """The starters that loaded, in title order, and a plain line for each file that did not."""

    starters: tuple[Starter, ...] = ()
    problems: tuple[str, ...] = ()

    def get(self, starter_id: str) -> Starter | None:
        return next((s for s in self.starters if s.id == starter_id), None)

    def categories(self) -> list[str]:
        return sorted({s.category for s in self.starters}, key=str.casefold)

    def search(self, query: str = "", category: str = "") -> list[Starter]:
        """The starters in `category` ("" for all) that match every word of `query`."""
        return [
            s
            for s in self.starters
            if (not category or s.category == category) and s.matches(query)
        ]


def _default_folder() -> Traversable:
    return resources.files("playground").joinpath("data", "starters")


def load_starters(folder: Path | Traversable | None = None) -> StarterLibrary:
    """Every starter in `folder` (default: the shipped ones). Blocking (reads files).

    A file that cannot be read or is not a valid starter is skipped, with a line in `problems`;
    a second file with an id already loaded is skipped too. Never raises.
    """
    root = folder if folder is not None else _default_folder()
    starters: dict[str, Starter] = {}
    problems: list[str] = []
    try:
        entries = sorted((e for e in root.iterdir() if e.name.endswith(".json")), key=_name)
    except OSError as exc:
        return StarterLibrary((), (f"The starters could not be read ({exc.strerror or exc}).",))
    for entry in entries:
        where = f"The starter file {entry.name}"
        try:
            data = entry.read_bytes()
            if len(data) > MAX_STARTER_BYTES:
                raise StarterError(f"{where} is too large to be a starter.")
            raw = json.loads(data.decode("utf-8-sig"))
            starter = starter_from_dict(raw, where)
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
            message = str(exc) if isinstance(exc, StarterError) else f"{where} is damaged"
            problems.append(f"{message.rstrip('.')}; it was skipped.")
            continue
        if starter.id in starters:
            problems.append(f"{where} repeats the starter “{starter.id}”; it was skipped.")
            continue
        starters[starter.id] = starter
    ordered = sorted(starters.values(), key=lambda s: s.title.casefold())
    return StarterLibrary(tuple(ordered), tuple(problems))


def _name(entry: Path | Traversable) -> str:
    return entry.name


# --- the model -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ModelChoice:
    """The model a starter opens with, and what to tell the user about it ("" when nothing)."""

    model: str
    note: str = ""


def choose_model(
    starter: Starter, models: Iterable[ModelInfo] | None, today: date, current: str = ""
) -> ModelChoice:
    """The starter's model when it is listed; else the newest suitable listed chat model, and a
    note saying so. Without a model list, the starter's model (or `current`) as it is."""
    listed = list(models) if models is not None else None
    if listed is None:
        return ModelChoice(starter.model or current)
    if starter.model and any(m.id == starter.model for m in listed):
        return ModelChoice(starter.model)
    choice = default_model(listed, ModelKind.CHAT, today)
    fallback = choice.model if choice is not None else current
    if not fallback:
        return ModelChoice(starter.model or current)
    if not starter.model:
        return ModelChoice(fallback)
    return ModelChoice(
        fallback,
        f"This starter was written for {starter.model}, which your account does not list; "
        f"{fallback} is used instead (the newest suitable model). Its settings were adjusted "
        "for it.",
    )


__all__ = [
    "ModelChoice",
    "Setting",
    "SettingLine",
    "Starter",
    "StarterError",
    "StarterLibrary",
    "choose_model",
    "load_starters",
    "nearest_effort",
    "starter_from_dict",
]
