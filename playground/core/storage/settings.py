"""The single source of settings: a typed `Settings` dataclass and the store that reads and writes it.

The API key is never part of `Settings`; it lives only in a `SecretStore`.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import shutil
import tempfile
import types
import typing
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, Protocol, TypeVar, cast

from playground.core.models import PriceOverride, ProviderKind, ProviderProfile
from playground.core.storage.paths import ensure_private_dir, ensure_private_file
from playground.core.storage.window_state import UiSettings

log = logging.getLogger(__name__)

_T = TypeVar("_T")

SETTINGS_VERSION = 1
DEFAULT_PROFILE_ID = "openai"


def default_profiles() -> list[ProviderProfile]:
    return [ProviderProfile(id=DEFAULT_PROFILE_ID, name="OpenAI", kind=ProviderKind.OPENAI)]


@dataclass(frozen=True, slots=True)
class ChatSettings:
    """What the Chat tab restores on start."""

    model: str = ""
    system_prompt: str = ""
    temperature: float = 1.0
    max_output_tokens: int | None = None
    enter_sends: bool = False
    conversation_id: str = ""
    moderation_check: bool = False  # check prompts and replies with the moderation endpoint
    # Per model, the settings its server refused with a 400 (`core.chat.learned`, issue 21).
    learned: dict[str, list[str]] = field(default_factory=dict)
    show_retired: bool = False  # the model picker lists models past their shutdown date
    # Remote MCP server labels whose tool calls run without asking (ticked by the user, issue 21).
    mcp_always_allow: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Settings:
    """Every user setting. Defaults are the values a new user starts with."""

    profiles: tuple[ProviderProfile, ...] = field(default_factory=lambda: tuple(default_profiles()))
    active_profile: str = DEFAULT_PROFILE_ID
    price_overrides: dict[str, PriceOverride] = field(default_factory=dict)
    chat: ChatSettings = field(default_factory=ChatSettings)
    ui: UiSettings = field(default_factory=UiSettings)
    first_run_done: bool = False
    # Prompt Lab asks before a run whose estimated cost may exceed this many dollars.
    cost_guard_usd: float = 0.50
    # Each tab beyond Chat keeps its own small JSON-able state here, keyed by tab key
    # ("images", "audio", ...), so adding a tab never changes this schema.
    tabs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def profile(self, profile_id: str | None = None) -> ProviderProfile:
        """The profile with this id (the active one by default); the first one if it is gone."""
        wanted = profile_id or self.active_profile
        for p in self.profiles:
            if p.id == wanted:
                return p
        return self.profiles[0] if self.profiles else default_profiles()[0]

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


class SettingsStore(Protocol):
    @property
    def notice(self) -> str:
        """What the last `load` had to repair, for the user ("" when nothing)."""
        ...

    def load(self) -> Settings: ...

    def save(self, settings: Settings) -> None: ...


class MemorySettingsStore:
    """Keeps settings in memory (tests, and the fallback when the settings file cannot be written)."""

    def __init__(self, settings: Settings | None = None, notice: str = "") -> None:
        self._settings = settings or Settings()
        self.notice = notice

    def load(self) -> Settings:
        return self._settings

    def save(self, settings: Settings) -> None:
        self._settings = settings


class JsonSettingsStore:
    """Settings as one JSON file, written atomically (temp file + rename) so a crash never truncates it.

    Nothing in the file can stop the app from starting. A file that cannot be read at all (not JSON,
    not UTF-8, nested too deeply, not an object) is moved aside as `settings.json.bad` and defaults are
    used; a value of the wrong type resets only that setting (a copy of the file is kept as
    `settings.json.bad` too). Either way `notice` then holds a sentence the app shows the user.

    Attributes:
        path: the settings file.
        notice: what the last `load` had to repair, in plain words ("" when the file was fine).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.notice = ""

    @property
    def bad_path(self) -> Path:
        """Where a damaged file is kept for the user to recover by hand."""
        return self.path.with_name(self.path.name + ".bad")

    def load(self) -> Settings:
        self.notice = ""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return Settings()
        except OSError as exc:
            return self._unreadable(f"it could not be read ({exc.strerror or exc})", move=False)
        try:
            raw = json.loads(data.decode("utf-8"))
        except UnicodeDecodeError:
            return self._unreadable("it is not UTF-8 text")
        except RecursionError:  # e.g. 100,000 "[": the decoder gives up on the nesting
            return self._unreadable("it is nested too deeply")
        except ValueError:
            return self._unreadable("it is not valid JSON")
        if not isinstance(raw, dict):
            return self._unreadable("it does not hold a set of named settings")
        problems: list[str] = []
        settings = settings_from_dict(raw, problems)
        if problems:
            log.warning("settings reset to defaults: %s", ", ".join(problems))
            kept = self._keep_bad_copy(move=False)
            where = f" The old file was kept as {self.bad_path}." if kept else ""
            self.notice = (
                "Some settings had values Playground could not use and were reset to their "
                f"defaults: {', '.join(problems)}.{where}"
            )
        return settings

    def save(self, settings: Settings) -> None:
        ensure_private_dir(self.path.parent)
        text = json.dumps(settings_to_dict(settings), indent=2, sort_keys=True)
        fd, tmp = tempfile.mkstemp(prefix=".settings-", suffix=".json", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _unreadable(self, reason: str, *, move: bool = True) -> Settings:
        log.warning("settings file unreadable (%s); starting from defaults", reason)
        kept = self._keep_bad_copy(move=move)
        where = f" The old file was kept as {self.bad_path}." if kept else ""
        self.notice = (
            f"The settings file could not be used ({reason}), so Playground started with the "
            f"default settings.{where}"
        )
        return Settings()

    def _keep_bad_copy(self, *, move: bool) -> bool:
        try:
            if move:
                self.path.replace(self.bad_path)
            else:
                shutil.copyfile(self.path, self.bad_path)
            ensure_private_file(self.bad_path)  # settings are the user's alone, kept copies too
        except OSError:
            return False
        return True


def settings_to_dict(settings: Settings) -> dict[str, Any]:
    return {
        "version": SETTINGS_VERSION,
        "profiles": [_plain(dataclasses.asdict(p)) for p in settings.profiles],
        "active_profile": settings.active_profile,
        "price_overrides": {
            model: {
                k: (str(v) if v is not None else None) for k, v in dataclasses.asdict(o).items()
            }
            for model, o in settings.price_overrides.items()
        },
        "chat": dataclasses.asdict(settings.chat),
        "ui": dataclasses.asdict(settings.ui),
        "first_run_done": settings.first_run_done,
        "cost_guard_usd": settings.cost_guard_usd,
        "tabs": {key: dict(state) for key, state in settings.tabs.items()},
    }


def settings_from_dict(raw: dict[str, Any], problems: list[str] | None = None) -> Settings:
    """Settings from the file's JSON object. Never raises: a value of the wrong type (or a whole
    section of the wrong shape) keeps its default, and its name is added to `problems`."""
    found: list[str] = [] if problems is None else problems
    if not isinstance(raw, dict):
        found.append("all settings")
        return Settings()
    defaults = Settings()

    profiles: list[ProviderProfile] = []
    raw_profiles = raw.get("profiles", [])
    if not isinstance(raw_profiles, list):
        found.append("profiles")
        raw_profiles = []
    for i, item in enumerate(raw_profiles):
        profile = _profile_from(item, f"profiles[{i}]", found)
        if profile is not None:
            profiles.append(profile)

    overrides: dict[str, PriceOverride] = {}
    raw_overrides = raw.get("price_overrides", {})
    if not isinstance(raw_overrides, dict):
        found.append("price_overrides")
        raw_overrides = {}
    for model, o in raw_overrides.items():
        override = _override_from(o)
        if override is None:
            found.append(f"price_overrides[{model!r}]")
        else:
            overrides[str(model)] = override

    tabs: dict[str, dict[str, Any]] = {}
    raw_tabs = raw.get("tabs", {})
    if raw_tabs is None:
        raw_tabs = {}
    if not isinstance(raw_tabs, dict):
        found.append("tabs")
        raw_tabs = {}
    for key, state in raw_tabs.items():
        if isinstance(state, dict):
            tabs[str(key)] = dict(state)
        else:
            found.append(f"tabs.{key}")

    active = _typed(raw, "active_profile", str, defaults.active_profile, "", found)
    first_run = _typed(raw, "first_run_done", bool, defaults.first_run_done, "", found)
    guard = _typed(raw, "cost_guard_usd", float, defaults.cost_guard_usd, "", found)
    return Settings(
        profiles=tuple(profiles) or tuple(default_profiles()),
        active_profile=active,
        price_overrides=overrides,
        chat=_section_from(ChatSettings, raw.get("chat", {}), "chat", found),
        ui=_section_from(UiSettings, raw.get("ui", {}), "ui", found),
        first_run_done=first_run,
        cost_guard_usd=max(guard, 0.0),
        tabs=tabs,
    )


def _profile_from(raw: Any, where: str, problems: list[str]) -> ProviderProfile | None:
    """A profile, or None (noted in `problems`) when it has no usable id and name."""
    if not isinstance(raw, dict) or not all(
        isinstance(raw.get(k), str) and raw.get(k) for k in ("id", "name")
    ):
        problems.append(where)
        return None
    return _section_from(ProviderProfile, raw, where, problems)


def _override_from(raw: Any) -> PriceOverride | None:
    if not isinstance(raw, dict):
        return None
    try:
        values = [
            None if raw.get(k) in (None, "") else Decimal(str(raw[k]))
            for k in ("input_per_mtok", "output_per_mtok", "cached_input_per_mtok")
        ]
    except (ArithmeticError, ValueError, TypeError):
        return None
    inp, out, cached = values
    if inp is None or out is None or not all(v is None or v.is_finite() for v in values):
        return None
    return PriceOverride(input_per_mtok=inp, output_per_mtok=out, cached_input_per_mtok=cached)


def _section_from(cls: type[_T], raw: Any, where: str, problems: list[str]) -> _T:
    """Build `cls` from the keys it knows (so older or newer files still load); a value of the
    wrong type keeps the field's default and is noted in `problems` as `where.field`."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        problems.append(where)
        raw = {}
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name not in raw:
            continue
        try:
            values[f.name] = _convert(hints[f.name], raw[f.name])
        except (TypeError, ValueError, ArithmeticError):
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise
            problems.append(f"{where}.{f.name}")
    return cls(**values)


def _typed(
    raw: dict[str, Any], name: str, hint: Any, default: _T, where: str, problems: list[str]
) -> _T:
    if name not in raw:
        return default
    try:
        return cast(_T, _convert(hint, raw[name]))
    except (TypeError, ValueError, ArithmeticError):
        problems.append(f"{where}{name}")
        return default


def _convert(hint: Any, value: Any) -> Any:
    """`value` as the type `hint` names (str, bool, int, float, an enum, `X | None`).

    Raises:
        TypeError, ValueError or ArithmeticError: it is not of that type (a string where a number
            belongs, ...).
    """
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        for option in options:
            if option is type(None):
                continue
            try:
                return _convert(option, value)
            except (TypeError, ValueError, ArithmeticError):
                continue
        raise TypeError(f"{value!r} is not {hint}")
    if typing.get_origin(hint) is dict and isinstance(value, dict):
        key_hint, value_hint = typing.get_args(hint)
        return {_convert(key_hint, k): _convert(value_hint, v) for k, v in value.items()}
    if typing.get_origin(hint) is list and isinstance(value, list):
        (item_hint,) = typing.get_args(hint)
        return [_convert(item_hint, v) for v in value]
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(value)
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if hint is bool and isinstance(value, bool):
        return value
    if hint is int and number and isinstance(value, int):
        return value
    if hint is float and number:
        as_float = float(value)  # OverflowError (an ArithmeticError) for a 400-digit int
        if math.isfinite(as_float):
            return as_float
    if hint is str and isinstance(value, str):
        return value
    raise TypeError(f"{value!r} is not {hint}")


def _plain(d: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, ProviderKind) else v) for k, v in d.items()}
