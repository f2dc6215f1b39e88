"""The retirement radar: which listed models are going, what replaces them, and defaults that last.

`GET /v1/models` gives each model a `shutdown_date` (`YYYY-MM-DD` or none); OpenAI retires models
every few weeks. This module turns that date into what the UI shows (a badge, a tooltip, a note
when a retired model is picked), chooses defaults that are never dead or dying, and names a
replacement from a small shipped table (`replacements.json`, following OpenAI's deprecations page)
that a user may extend with a file of their own.

Nothing here reads the clock: every function takes `today`, so tests pass fixed dates and the UI
decides once what "today" is.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from playground.core.api.capabilities import ModelKind, kind_of
from playground.core.api.errors import AppError, ErrorKind
from playground.core.models import ModelInfo

log = logging.getLogger(__name__)

SOON_DAYS = 30
"""A model whose shutdown is at most this many days away counts as retiring soon."""

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class Retirement(StrEnum):
    """Where a model stands on `today`.

    NONE: no shutdown date announced. SCHEDULED: a date more than `soon_days` away. SOON: a date
    within `soon_days`. RETIRED: the date has come (the API stops serving it on that day).
    """

    NONE = "none"
    SCHEDULED = "scheduled"
    SOON = "soon"
    RETIRED = "retired"


def shutdown_of(model: ModelInfo) -> date | None:
    """The model's shutdown date, or None (no date, or one that is not `YYYY-MM-DD`)."""
    if not model.shutdown_date:
        return None
    try:
        return date.fromisoformat(model.shutdown_date[:10])
    except ValueError:
        log.debug("unreadable shutdown date %r for %s", model.shutdown_date, model.id)
        return None


def status(model: ModelInfo, today: date, soon_days: int = SOON_DAYS) -> Retirement:
    """Retired, retiring within `soon_days`, retiring later, or not retiring."""
    when = shutdown_of(model)
    if when is None:
        return Retirement.NONE
    if when <= today:
        return Retirement.RETIRED
    if (when - today).days <= soon_days:
        return Retirement.SOON
    return Retirement.SCHEDULED


def short_date(day: date, today: date) -> str:
    """ "14 Jan"; with the year when it is not within a year of `today` ("14 Jan 2028")."""
    text = f"{day.day} {_MONTHS[day.month - 1]}"
    return text if abs((day - today).days) < 300 else f"{text} {day.year}"


def long_date(day: date) -> str:
    """ "14 Jan 2027"."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def badge(model: ModelInfo, today: date) -> str:
    """The few words a picker shows next to the id: "retires 14 Jan", "retired 1 Dec", or ""."""
    when = shutdown_of(model)
    if when is None:
        return ""
    word = "retired" if when <= today else "retires"
    return f"{word} {short_date(when, today)}"


# --- replacements ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReplacementRule:
    """One row of the replacements table.

    Attributes:
        pattern: a regular expression searched (case-insensitively) in the model's base id.
        replacement: the model OpenAI points to.
        note: how to reach it, when it is not a drop-in ("through the Realtime API"), or "".
        retired: the announced shutdown date of the family (`YYYY-MM-DD`), or "".
    """

    pattern: str
    replacement: str
    note: str = ""
    retired: str = ""


@dataclass(frozen=True, slots=True)
class ReplacementTable:
    """The model family → replacement table: the user's rules first, then the shipped ones.

    Attributes:
        rules: tried in order, first match wins.
        updated: the date the shipped table was last checked against OpenAI's deprecations page.
        source: where its facts come from.
    """

    rules: tuple[ReplacementRule, ...]
    updated: date
    source: str = ""

    def rule_for(self, model_id: str) -> ReplacementRule | None:
        name = _base_name(model_id)
        for rule in self.rules:
            if rule.replacement != name and re.search(rule.pattern, name, flags=re.IGNORECASE):
                return rule
        return None


def load_table(user_file: Path | None = None) -> ReplacementTable:
    """The shipped table, with the rules in `user_file` (same JSON shape) tried before it.

    A user file that cannot be read is logged and ignored: the shipped table still works.
    """
    shipped = shipped_table()
    if user_file is None:
        return shipped
    try:
        raw = json.loads(user_file.read_text(encoding="utf-8"))
        extra = _rules(raw)
    except FileNotFoundError:
        return shipped
    except (OSError, ValueError, TypeError, KeyError, re.error) as exc:
        log.warning("replacements file %s ignored: %s", user_file, exc)
        return shipped
    return ReplacementTable(extra + shipped.rules, shipped.updated, shipped.source)


@lru_cache(maxsize=1)
def shipped_table() -> ReplacementTable:
    """The table that ships with the app (`replacements.json` next to this module)."""
    text = resources.files("playground.core.api").joinpath("replacements.json").read_text("utf-8")
    raw = json.loads(text)
    return ReplacementTable(
        _rules(raw), date.fromisoformat(str(raw["updated"])), str(raw.get("source", ""))
    )


def table_date() -> date:
    """When the shipped retirement/replacement table was last checked (for About and Settings)."""
    return shipped_table().updated


def _rules(raw: Any) -> tuple[ReplacementRule, ...]:
    rules = []
    for row in raw["rules"]:
        re.compile(str(row["pattern"]))  # a broken pattern must fail here, not at lookup
        rules.append(
            ReplacementRule(
                str(row["pattern"]),
                str(row["replacement"]),
                str(row.get("note", "")),
                str(row.get("retired", "")),
            )
        )
    return tuple(rules)


@dataclass(frozen=True, slots=True)
class Replacement:
    """The model to move to.

    Attributes:
        model: its id.
        note: how to reach it when it is not a drop-in, or "".
        listed: the provider's model list has it (so a button can switch to it).
        same_kind: it belongs to the same tab as the model it replaces.
        from_table: it comes from the replacements table (else: the newest model of the kind).
    """

    model: str
    note: str = ""
    listed: bool = True
    same_kind: bool = True
    from_table: bool = True

    @property
    def can_switch(self) -> bool:
        """Whether a "Use <model>" button makes sense: listed, and usable in the same place."""
        return self.listed and self.same_kind


def replacement_for(
    model_id: str,
    models: Iterable[ModelInfo] | None,
    today: date,
    table: ReplacementTable | None = None,
) -> Replacement | None:
    """The suggested replacement for `model_id`.

    The table's replacement when the list has it (or there is no list); otherwise the newest
    listed model of the same kind that outlives `model_id` (no date, or a later one); otherwise
    the table's replacement even though it is not listed (it is still what OpenAI points to).

    Args:
        model_id: the model that is going.
        models: the provider's model list (None when it is not known).
        today: the date to judge by.
        table: the replacements table (the shipped one when None).
    """
    table = table or shipped_table()
    listed = list(models) if models is not None else None
    kind = kind_of(model_id)
    rule = table.rule_for(model_id)
    from_table = None
    if rule is not None:
        is_listed = listed is None or any(m.id == rule.replacement for m in listed)
        from_table = Replacement(
            rule.replacement,
            rule.note,
            listed=listed is not None and is_listed,
            same_kind=kind_of(rule.replacement) == kind,
        )
        if is_listed:
            return from_table
    if listed:
        this = next((m for m in listed if m.id == model_id), ModelInfo(model_id))
        this_date = shutdown_of(this)
        outliving = [
            m
            for m in listed
            if m.id != model_id
            and kind_of(m.id) == kind
            and status(m, today) is not Retirement.RETIRED
            and (
                shutdown_of(m) is None
                or (this_date is not None and (shutdown_of(m) or this_date) > this_date)
            )
        ]
        best = _best(outliving, kind, today)
        if best is not None:
            return Replacement(best.id, from_table=False)
    return from_table


# --- defaults --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DefaultRule:
    """How a kind's default is chosen among the models with no shutdown date.

    Attributes:
        prefer: patterns tried in order before "newest" (e.g. the cheap embedding model).
        avoid: patterns picked only when nothing else is left (dated snapshots, previews, pro
            tiers, fine-tunes).
    """

    prefer: tuple[str, ...] = ()
    avoid: tuple[str, ...] = ()


_AVOID = (r"-\d{4}-\d{2}-\d{2}$", r"preview", r"^ft:", r"-pro\b")

DEFAULT_RULES: dict[ModelKind, DefaultRule] = {
    ModelKind.CHAT: DefaultRule(avoid=(*_AVOID, r"search", r"audio")),
    ModelKind.IMAGE: DefaultRule(avoid=_AVOID),
    ModelKind.SPEECH: DefaultRule(avoid=_AVOID),
    ModelKind.TRANSCRIPTION: DefaultRule(avoid=(*_AVOID, r"diarize")),
    # The small model is a sixth of the price and is what the Embeddings tab always started with.
    ModelKind.EMBEDDING: DefaultRule(prefer=(r"^text-embedding-3-small$",), avoid=_AVOID),
    # The alias follows OpenAI's current moderation model.
    ModelKind.MODERATION: DefaultRule(
        prefer=(r"^omni-moderation-latest$", r"^omni-moderation"), avoid=_AVOID
    ),
}
"""Default-choosing rules by the kind `capabilities.kind_of` returns; other kinds: newest wins."""


@dataclass(frozen=True, slots=True)
class DefaultChoice:
    """A default model and how good a choice it is.

    Attributes:
        model: the id.
        all_dated: every listed model of the kind has a shutdown date, so this is only the one
            that lasts longest (say so next to it).
        shutdown: its shutdown date when `all_dated`, else None.
    """

    model: str
    all_dated: bool = False
    shutdown: date | None = None


def default_model(
    models: Iterable[ModelInfo], kind: ModelKind, today: date
) -> DefaultChoice | None:
    """The model a tab starts with: never retired, never dying when another choice exists.

    The newest listed model of `kind` with no shutdown date (`DEFAULT_RULES` first: preferred
    patterns, then avoided ones last; newest by `created`, then by name). When every listed model
    of the kind has a date, the one with the latest date, flagged `all_dated`. None when every
    model of the kind is retired (or there is none).
    """
    of_kind = [m for m in models if kind_of(m.id) == kind]
    undated = [m for m in of_kind if shutdown_of(m) is None]
    best = _best(undated, kind, today)
    if best is not None:
        return DefaultChoice(best.id)
    alive = [m for m in of_kind if status(m, today) is not Retirement.RETIRED]
    if not alive:
        return None
    rule = DEFAULT_RULES.get(kind, DefaultRule())
    latest = max(alive, key=lambda m: (shutdown_of(m) or today, *_rank(m, rule)))
    return DefaultChoice(latest.id, all_dated=True, shutdown=shutdown_of(latest))


def _best(models: Sequence[ModelInfo], kind: ModelKind, today: date) -> ModelInfo | None:
    """The newest of `models` by the kind's rule, among those not retired on `today`."""
    rule = DEFAULT_RULES.get(kind, DefaultRule())
    alive = [m for m in models if status(m, today) is not Retirement.RETIRED]
    if not alive:
        return None
    undated = [m for m in alive if shutdown_of(m) is None] or alive
    return max(undated, key=lambda m: _rank(m, rule))


def _rank(model: ModelInfo, rule: DefaultRule) -> tuple[int, int, int, str]:
    name = model.id
    preferred = next(
        (i for i, p in enumerate(rule.prefer) if re.search(p, name, flags=re.IGNORECASE)),
        len(rule.prefer),
    )
    avoided = any(re.search(p, name, flags=re.IGNORECASE) for p in rule.avoid)
    return (-preferred, 0 if avoided else 1, model.created, name)


def visible_models(
    models: Iterable[ModelInfo], today: date, show_retired: bool = False
) -> list[ModelInfo]:
    """`models` without the ones past their shutdown date, unless `show_retired`."""
    return [m for m in models if show_retired or status(m, today) is not Retirement.RETIRED]


# --- what pickers show -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ModelChoice:
    """A model as a picker shows it.

    Attributes:
        id: the model id (the picker's item text: requests and tests rely on it).
        status: where it stands today.
        badge: "retires 14 Jan", "retired 1 Dec", or "".
        tooltip: the date and the suggested replacement, as sentences, or "".
        note: what to say when it is the picked model (retired, or the longest-lasting of an
            all-dated kind), or "".
        replacement: the suggested replacement, if any.
        shutdown: the shutdown date, if any.
    """

    id: str
    status: Retirement = Retirement.NONE
    badge: str = ""
    tooltip: str = ""
    note: str = ""
    replacement: Replacement | None = None
    shutdown: date | None = None

    @property
    def retired(self) -> bool:
        return self.status is Retirement.RETIRED


def tooltip(model: ModelInfo, today: date, replacement: Replacement | None) -> str:
    """ "gpt-4o retires on 14 Jan 2027 (in 38 days). Suggested replacement: gpt-6-luna." or ""."""
    when = shutdown_of(model)
    if when is None:
        return ""
    days = (when - today).days
    if days <= 0:
        text = f"{model.id} was retired on {long_date(when)}: requests to it fail."
    elif days == 1:
        text = f"{model.id} retires tomorrow, {long_date(when)}."
    else:
        text = f"{model.id} retires on {long_date(when)} (in {days} days)."
    return f"{text} {replacement_sentence(replacement)}".strip()


def replacement_sentence(replacement: Replacement | None) -> str:
    """ "Suggested replacement: gpt-6-luna." (with its note and whether the list has it), or ""."""
    if replacement is None:
        return ""
    text = f"Suggested replacement: {replacement.model}"
    if replacement.note:
        text += f" ({replacement.note})"
    if not replacement.listed:
        text += "; this provider's model list does not offer it"
    return text + "."


def choice(
    model: ModelInfo,
    models: Sequence[ModelInfo],
    today: date,
    table: ReplacementTable | None = None,
    soon_days: int = SOON_DAYS,
    fallback: DefaultChoice | None = None,
) -> ModelChoice:
    """How a picker shows `model` (one of `models`, the provider's list) on `today`.

    `fallback` is the kind's default when it is flagged `all_dated`: the picked model then
    carries a note saying it is only the one that lasts longest.
    """
    state = status(model, today, soon_days)
    if state is Retirement.NONE:
        return ModelChoice(model.id)
    replacement = replacement_for(model.id, models, today, table)
    tip = tooltip(model, today, replacement)
    note = ""
    if state is Retirement.RETIRED:
        note = tip
    elif fallback is not None and fallback.all_dated and fallback.model == model.id:
        note = (
            f"Every listed {kind_of(model.id).value} model has a shutdown date; "
            f"none lasts longer than this one. {tip}"
        )
    elif state is Retirement.SOON:
        note = tip
    shown_badge = badge(model, today)
    if fallback is not None and fallback.all_dated and fallback.model == model.id:
        shown_badge += " · latest date"
    return ModelChoice(model.id, state, shown_badge, tip, note, replacement, shutdown_of(model))


def choices(
    models: Iterable[ModelInfo],
    kind: ModelKind,
    today: date,
    table: ReplacementTable | None = None,
    soon_days: int = SOON_DAYS,
) -> list[ModelChoice]:
    """Every listed model of `kind` as a picker shows it (retired ones too: the picker hides
    them unless "Show retired" is on), sorted by id."""
    every = list(models)
    fallback = default_model(every, kind, today)
    of_kind = sorted((m for m in every if kind_of(m.id) == kind), key=lambda m: m.id)
    return [choice(m, every, today, table, soon_days, fallback) for m in of_kind]


@dataclass(frozen=True, slots=True)
class PickerModels:
    """What a tab's model picker needs: every listed model of its kind, and its default.

    Attributes:
        choices: every listed model of the kind (retired ones too), sorted by id.
        default: the kind's default (`default_model`), or None.
    """

    choices: tuple[ModelChoice, ...]
    default: DefaultChoice | None

    def ids(self, show_retired: bool = False) -> list[str]:
        """The ids a picker lists (without retired ones unless `show_retired`)."""
        return [c.id for c in self.choices if show_retired or not c.retired]

    def pick(self, wanted: str, show_retired: bool = False) -> str:
        """The model to select: `wanted` when listed, else the default, else the first listed.

        A `wanted` model past its date gives way to the default unless `show_retired` (then the
        picker explains it); a `wanted` model the list does not have gives way too.
        """
        ids = self.ids(show_retired)
        if wanted and wanted in ids:
            return wanted
        if self.default is not None and self.default.model in ids:
            return self.default.model
        return ids[0] if ids else ""

    def choice(self, model_id: str) -> ModelChoice | None:
        return next((c for c in self.choices if c.id == model_id), None)


def for_picker(
    models: Iterable[ModelInfo],
    kind: ModelKind,
    today: date,
    table: ReplacementTable | None = None,
    soon_days: int = SOON_DAYS,
) -> PickerModels:
    """`choices` and `default_model` for one kind, computed once."""
    every = list(models)
    return PickerModels(
        tuple(choices(every, kind, today, table, soon_days)), default_model(every, kind, today)
    )


# --- the send notice and the Retirements view ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SendNotice:
    """The one-line notice shown when sending to a model that retires soon.

    Attributes:
        model: the model sent to.
        shutdown: its shutdown date.
        text: "gpt-5-mini retires on 11 Dec 2026 (in 4 days). Suggested replacement: gpt-6.1-sol."
        replacement: the model to switch to, if any (a button when `replacement.can_switch`).
    """

    model: str
    shutdown: date
    text: str
    replacement: Replacement | None


def send_notice(
    model_id: str,
    models: Iterable[ModelInfo] | None,
    today: date,
    table: ReplacementTable | None = None,
    soon_days: int = SOON_DAYS,
) -> SendNotice | None:
    """The notice for sending to `model_id` when the cached list dates it within `soon_days`
    (or past its date), else None. Showing it once per conversation is the caller's part."""
    if models is None:
        return None
    listed = list(models)
    known = next((m for m in listed if m.id == model_id), None)
    if known is None or status(known, today, soon_days) not in (
        Retirement.SOON,
        Retirement.RETIRED,
    ):
        return None
    when = shutdown_of(known)
    if when is None:  # SOON and RETIRED always have a date; this keeps the types honest
        return None
    replacement = replacement_for(model_id, listed, today, table)
    return SendNotice(model_id, when, tooltip(known, today, replacement), replacement)


def dated_models(
    models: Iterable[ModelInfo], today: date, table: ReplacementTable | None = None
) -> list[ModelChoice]:
    """Every listed model with a shutdown date, as choices, soonest first (then by id): what a
    Retirements view groups by date, and what a status-bar hint counts."""
    every = list(models)
    dated = [m for m in every if shutdown_of(m) is not None]
    dated.sort(key=lambda m: (shutdown_of(m) or today, m.id))
    return [choice(m, every, today, table) for m in dated]


def due_within(
    models: Iterable[ModelInfo],
    today: date,
    days: int = SOON_DAYS,
    table: ReplacementTable | None = None,
) -> list[ModelChoice]:
    """The listed models that retire within `days` (not yet retired), soonest first."""
    return [
        c
        for c in dated_models(models, today, table)
        if c.shutdown is not None and 0 < (c.shutdown - today).days <= days
    ]


# --- the retired model's 404 -----------------------------------------------------------------------


def retired_error(
    error: AppError,
    model_id: str,
    models: Iterable[ModelInfo] | None,
    today: date,
    table: ReplacementTable | None = None,
) -> AppError:
    """A 404 `model_not_found` for a model the cached list knew as retired, said as such.

    Says which model was retired and on which date, and names the replacement; when that is
    listed and of the same kind, its id is in `AppError.replacement` for a "Use <model>" button.
    Other errors, and models the list does not know as past their date, come back unchanged.

    Args:
        error: what the request failed with (from `errors.from_exception`).
        model_id: the model the request named.
        models: the cached model list (None when there is none).
        today: the date to judge by.
        table: the replacements table (the shipped one when None).
    """
    if error.kind is not ErrorKind.MODEL_NOT_FOUND or models is None:
        return error
    listed = list(models)
    known = next((m for m in listed if m.id == model_id), None)
    when = shutdown_of(known) if known is not None else None
    if when is None or when > today:
        return error
    replacement = replacement_for(model_id, listed, today, table)
    hint = replacement_sentence(replacement)
    if replacement is not None and replacement.can_switch:
        hint += f" Switch to {replacement.model} and send again."
    return AppError(
        ErrorKind.MODEL_NOT_FOUND,
        "Model retired",
        f"OpenAI retired “{model_id}” on {long_date(when)}; the server no longer serves it "
        f"({error.status or 404}).",
        hint.strip() or "Pick another model (View → Refresh models updates the list).",
        status=error.status,
        request_id=error.request_id,
        details=error.details,
        replacement=replacement.model if replacement and replacement.can_switch else None,
    )


# --- data age --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DataAge:
    """How old a piece of shipped data is, for About and Settings.

    Attributes:
        name: what it is ("Price data").
        as_of: its date, when it has one.
        text: one line for a label.
    """

    name: str
    as_of: date | None
    text: str


def retirement_data_age() -> DataAge:
    """The date of the capability and replacements table (shipped, edited with each release)."""
    table = shipped_table()
    return DataAge(
        "Model retirements and replacements",
        table.updated,
        f"checked {long_date(table.updated)} against OpenAI's deprecations page",
    )


def price_data_age(info: str, today: date) -> DataAge:
    """The price data's age: `info` is `Pricer.data_info()`; genai-prices publishes no date, so
    the newest price change it lists on or before `today` stands in for one."""
    newest = _newest_price_change(today)
    if newest is None:
        return DataAge("Price data", None, info)
    return DataAge("Price data", newest, f"{info}; newest price change listed: {long_date(newest)}")


def _newest_price_change(today: date) -> date | None:
    try:
        from genai_prices.data import providers  # deferred: a large module
    except ImportError:
        return None
    newest: date | None = None
    seen: set[int] = set()
    stack: list[Any] = list(providers)
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, str | int | float | bool) or obj is None:
            continue
        seen.add(id(obj))
        if isinstance(obj, date):
            if obj <= today and (newest is None or obj > newest):
                newest = obj
        elif isinstance(obj, list | tuple):
            stack.extend(obj)
        elif isinstance(obj, dict):
            stack.extend(obj.values())
        elif hasattr(obj, "__dataclass_fields__"):
            stack.extend(getattr(obj, f, None) for f in obj.__dataclass_fields__)
        elif hasattr(obj, "__dict__"):
            stack.extend(vars(obj).values())
    return newest


def _base_name(model_id: str) -> str:
    name = model_id.strip()
    if name.startswith("ft:"):
        name = name[3:].split(":", 1)[0]
    return name.rsplit("/", 1)[-1]
