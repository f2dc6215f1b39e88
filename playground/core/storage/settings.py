"""The single source of settings: a typed `Settings` dataclass and the store that reads and writes it.

The API key is never part of `Settings`; it lives only in a `SecretStore`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol, TypeVar

from playground.core.models import PriceOverride, ProviderKind, ProviderProfile
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
    def load(self) -> Settings: ...

    def save(self, settings: Settings) -> None: ...


class MemorySettingsStore:
    """Keeps settings in memory (tests, and the fallback when the settings file cannot be written)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings or Settings()

    def load(self) -> Settings:
        return self._settings

    def save(self, settings: Settings) -> None:
        self._settings = settings


class JsonSettingsStore:
    """Settings as one JSON file, written atomically (temp file + rename) so a crash never truncates it.

    An unreadable or corrupt file is kept aside as `settings.json.bad` and defaults are used, so the
    user loses nothing they could recover by hand.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> Settings:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return Settings()
        except (OSError, ValueError) as exc:
            log.warning("settings file unreadable (%s); starting from defaults", exc)
            self._keep_bad_copy()
            return Settings()
        try:
            return settings_from_dict(raw)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            log.warning("settings file has an unexpected shape (%s); starting from defaults", exc)
            self._keep_bad_copy()
            return Settings()

    def save(self, settings: Settings) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(settings_to_dict(settings), indent=2, sort_keys=True)
        fd, tmp = tempfile.mkstemp(prefix=".settings-", suffix=".json", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _keep_bad_copy(self) -> None:
        with contextlib.suppress(OSError):
            self.path.replace(self.path.with_name(self.path.name + ".bad"))


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


def settings_from_dict(raw: dict[str, Any]) -> Settings:
    profiles = tuple(_profile_from(p) for p in raw.get("profiles", []))
    overrides = {
        model: PriceOverride(
            input_per_mtok=Decimal(o["input_per_mtok"]),
            output_per_mtok=Decimal(o["output_per_mtok"]),
            cached_input_per_mtok=(
                Decimal(o["cached_input_per_mtok"]) if o.get("cached_input_per_mtok") else None
            ),
        )
        for model, o in raw.get("price_overrides", {}).items()
    }
    return Settings(
        profiles=profiles or tuple(default_profiles()),
        active_profile=str(raw.get("active_profile", DEFAULT_PROFILE_ID)),
        price_overrides=overrides,
        chat=_known_fields(ChatSettings, raw.get("chat", {})),
        ui=_known_fields(UiSettings, raw.get("ui", {})),
        first_run_done=bool(raw.get("first_run_done", False)),
        cost_guard_usd=max(float(raw.get("cost_guard_usd", 0.50)), 0.0),
        tabs={
            str(key): dict(state)
            for key, state in (raw.get("tabs") or {}).items()
            if isinstance(state, dict)
        },
    )


def _profile_from(raw: dict[str, Any]) -> ProviderProfile:
    profile = _known_fields(ProviderProfile, raw)
    return profile.replace(kind=ProviderKind(profile.kind))


def _known_fields(cls: type[_T], raw: dict[str, Any]) -> _T:
    """Build `cls` from the keys it knows, so older or newer files still load."""
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: v for k, v in raw.items() if k in names})


def _plain(d: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, ProviderKind) else v) for k, v in d.items()}
