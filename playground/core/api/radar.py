"""The Retirements view's data: every saved thing that names a retiring or retired model.

A user's work lives in several stores: presets (`PresetStore`), conversations (`HistoryStore`),
and each tab's saved state (`Settings.tabs`: Prompt Lab variants, Compare columns, the Images and
Audio settings). `collect` lists the ones whose model has a shutdown date in the cached model
list, with the date and the suggested replacement; `group_by_date` orders them for the view;
`switched_state` rewrites a tab's state to name the replacement (and back, for Undo); `trial`
turns a Prompt Lab run into the old-versus-new numbers.

Nothing here touches Qt or the network; the caller reads the stores off the GUI thread.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from playground.core.api.retirements import (
    SOON_DAYS,
    ModelChoice,
    ReplacementTable,
    Retirement,
    dated_models,
    long_date,
)
from playground.core.chat.presets import Preset
from playground.core.lab.suite import LabRun
from playground.core.models import ModelInfo
from playground.core.storage.history import ConversationSummary

RECENT_CONVERSATIONS = 50
"""How many of the most recently used conversations the view looks at."""


class SavedKind(StrEnum):
    """What kind of saved thing names the model (the view's words for it)."""

    PRESET = "Preset"
    LAB = "Prompt Lab variant"
    COMPARE = "Compare column"
    TAB = "Tab setting"
    CONVERSATION = "Conversation"


# The tabs whose saved state the view reads, and where in it a model is named.
TAB_TITLES: Mapping[str, str] = {
    "images": "Images",
    "audio": "Audio",
    "embeddings": "Embeddings",
    "moderation": "Moderation",
}
"""Tabs whose plain settings name a model (the keys ending in "model" of their state)."""


@dataclass(frozen=True, slots=True)
class SavedUse:
    """One saved thing that names a dated model.

    Attributes:
        kind: preset, Prompt Lab variant, Compare column, tab setting or conversation.
        key: what finds it again: the preset's name, the conversation's id, or the tab key
            ("lab", "compare", "images"...).
        title: what the user calls it ("Support bot", "Variant 2", "Column B", "Images").
        model: the model it names.
        choice: that model as the picker shows it (status, date, replacement).
    """

    kind: SavedKind
    key: str
    title: str
    model: str
    choice: ModelChoice

    @property
    def shutdown(self) -> date | None:
        return self.choice.shutdown

    @property
    def retired(self) -> bool:
        return self.choice.status is Retirement.RETIRED

    @property
    def replacement(self) -> str:
        """The replacement's id when a switch to it makes sense, else ""."""
        rep = self.choice.replacement
        return rep.model if rep is not None and rep.can_switch else ""

    def describe(self) -> str:
        """ "Preset “Support bot”", "Images tab", "Conversation “Trip plan”"."""
        if self.kind is SavedKind.TAB:
            return f"{self.title} tab"
        return f"{self.kind.value} “{self.title}”"


@dataclass(frozen=True, slots=True)
class DateGroup:
    """The saved things whose model goes on one date."""

    shutdown: date
    uses: tuple[SavedUse, ...]

    def heading(self, today: date) -> str:
        """ "Retired on 1 Dec 2026" or "Retiring on 11 Dec 2026 (in 4 days)"."""
        days = (self.shutdown - today).days
        if days <= 0:
            return f"Retired on {long_date(self.shutdown)}"
        when = "tomorrow" if days == 1 else f"in {days} days"
        return f"Retiring on {long_date(self.shutdown)} ({when})"


def collect(
    models: Iterable[ModelInfo],
    today: date,
    *,
    presets: Iterable[Preset] = (),
    conversations: Iterable[ConversationSummary] = (),
    tabs: Mapping[str, Mapping[str, Any]] | None = None,
    table: ReplacementTable | None = None,
) -> list[SavedUse]:
    """Every saved thing whose model has a shutdown date in `models`, soonest date first.

    Args:
        models: the cached model list (its `shutdown_date`s decide).
        today: the date to judge by.
        presets: the saved presets.
        conversations: the recent conversations (`HistoryStore.list`).
        tabs: `Settings.tabs` (each tab's saved state), fresh from the built tabs.
        table: the replacements table (the shipped one when None).
    """
    dated = {c.id: c for c in dated_models(models, today, table)}
    found: list[SavedUse] = []

    def add(kind: SavedKind, key: str, title: str, model: str) -> None:
        choice = dated.get(model.strip())
        if choice is not None:
            found.append(SavedUse(kind, key, title, model.strip(), choice))

    for preset in presets:
        add(SavedKind.PRESET, preset.name, preset.name, preset.model)
    for summary in conversations:
        add(SavedKind.CONVERSATION, summary.id, summary.title or "New chat", summary.model)
    state = tabs or {}
    lab = state.get("lab", {})
    for i, variant in enumerate(_dicts(lab.get("variants"))):
        add(SavedKind.LAB, "lab", str(variant.get("name") or f"Variant {i + 1}"), _text(variant))
    compare = state.get("compare", {})
    columns = _int(compare.get("columns"), 2)
    for i, column in enumerate(_dicts(compare.get("settings"))[:columns]):
        add(SavedKind.COMPARE, "compare", f"Column {'ABCD'[i] if i < 4 else i + 1}", _text(column))
    for key, title in TAB_TITLES.items():
        for name, value in state.get(key, {}).items():
            if name.endswith("model") and isinstance(value, str) and value:
                add(SavedKind.TAB, key, title, value)
    found.sort(key=lambda u: (u.shutdown or today, list(SavedKind).index(u.kind), u.title))
    return found


def group_by_date(uses: Sequence[SavedUse]) -> list[DateGroup]:
    """`uses` grouped by shutdown date, soonest (or longest retired) first."""
    groups: dict[date, list[SavedUse]] = {}
    for use in uses:
        if use.shutdown is not None:
            groups.setdefault(use.shutdown, []).append(use)
    return [DateGroup(day, tuple(groups[day])) for day in sorted(groups)]


def due_soon(uses: Iterable[SavedUse], today: date, days: int = SOON_DAYS) -> list[str]:
    """The distinct models of `uses` that retire within `days` (not yet retired): what the
    status-bar hint counts."""
    models: list[str] = []
    for use in uses:
        when = use.shutdown
        if when is not None and 0 < (when - today).days <= days and use.model not in models:
            models.append(use.model)
    return models


def hint_text(models: Sequence[str]) -> str:
    """ "2 models you use retire soon" (or "" for none)."""
    if not models:
        return ""
    if len(models) == 1:
        return f"{models[0]}, which you use, retires soon"
    return f"{len(models)} models you use retire soon"


def switched_state(state: Mapping[str, Any], old: str, new: str) -> dict[str, Any]:
    """A tab's saved state with every model setting that names `old` naming `new` instead
    (keys ending in "model", in nested dicts and lists too); the rest is unchanged."""

    def walk(value: Any, key: str = "") -> Any:
        if isinstance(value, Mapping):
            return {k: walk(v, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, key) for v in value]
        if key.endswith("model") and isinstance(value, str) and value.strip() == old:
            return new
        return value

    result = walk(state)
    return dict(result) if isinstance(result, Mapping) else {}


# --- a Prompt Lab suite on the replacement -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrialSide:
    """One model's numbers in a Prompt Lab run.

    Attributes:
        model: the model.
        variant: the variant's name.
        done: cells answered; total: cells in the run.
        passed: cells whose answer met the case's expectation; checked: cells with one.
        cost: what the answered cells cost (None when none could be priced).
        median_latency_ms: the median time to the whole answer, or None.
        errors: cells that failed.
    """

    model: str
    variant: str
    done: int
    total: int
    passed: int
    checked: int
    cost: Decimal | None
    median_latency_ms: float | None
    errors: int

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.checked if self.checked else None


@dataclass(frozen=True, slots=True)
class Trial:
    """A Prompt Lab suite run on a model and on its replacement, side by side."""

    old: TrialSide
    new: TrialSide


def trial(run: LabRun, old: str, new: str) -> Trial | None:
    """The old-versus-new numbers of `run` (the first variant on each model), or None when the
    run has no variant on one of them."""
    sides = []
    for model in (old, new):
        variant = next((v for v in run.variants if v.model == model), None)
        if variant is None:
            return None
        s = run.summary(variant.id)
        cost = s.cost if s.done > s.unpriced or s.cost else None
        sides.append(
            TrialSide(
                model,
                variant.name,
                s.done,
                s.total,
                s.passed,
                s.checked,
                cost,
                s.median_latency_ms,
                s.errors,
            )
        )
    return Trial(sides[0], sides[1])


def _dicts(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def _text(row: Mapping[str, Any]) -> str:
    value = row.get("model")
    return value if isinstance(value, str) else ""


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default
