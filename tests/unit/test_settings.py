from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from playground.core.models import PriceOverride, ProviderKind, ProviderProfile
from playground.core.storage.paths import AppPaths
from playground.core.storage.settings import (
    ChatSettings,
    JsonSettingsStore,
    Settings,
    settings_to_dict,
)
from playground.core.storage.window_state import UiSettings


def test_round_trip(tmp_path: Path) -> None:
    store = JsonSettingsStore(tmp_path / "settings.json")
    settings = Settings(
        profiles=(
            ProviderProfile(id="openai", name="OpenAI"),
            ProviderProfile(
                id="ollama",
                name="Ollama",
                kind=ProviderKind.COMPATIBLE,
                base_url="http://localhost:11434/v1",
            ),
        ),
        active_profile="ollama",
        price_overrides={"my-ft": PriceOverride(Decimal("0.30"), Decimal("1.20"))},
        chat=ChatSettings(model="gpt-4o-mini", system_prompt="Be brief.", temperature=0.3),
        ui=UiSettings(last_tab="audio", theme="dark"),
        first_run_done=True,
    )
    store.save(settings)
    assert store.load() == settings
    assert store.load().profile().name == "Ollama"


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    assert JsonSettingsStore(tmp_path / "none.json").load() == Settings()


def test_corrupt_file_is_kept_aside(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{not json", encoding="utf-8")
    assert JsonSettingsStore(path).load() == Settings()
    assert (tmp_path / "settings.json.bad").read_text(encoding="utf-8") == "{not json"


def test_unknown_keys_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps({"chat": {"model": "x", "from_the_future": 1}, "new_section": {}}),
        encoding="utf-8",
    )
    assert JsonSettingsStore(path).load().chat.model == "x"


def test_the_key_is_not_a_setting() -> None:
    names = " ".join(Settings.__dataclass_fields__) + " ".join(ProviderProfile.__dataclass_fields__)
    assert "key" not in names.replace("key_required", "")


def test_playground_home_overrides_platform_dirs(tmp_path: Path) -> None:
    paths = AppPaths.resolve({"PLAYGROUND_HOME": str(tmp_path)})
    assert paths.settings_file == tmp_path / "config" / "settings.json"
    assert paths.database_file.parent == tmp_path / "data"


# --- nothing in the file stops the start (issue 20, item 6) -----------------------------------------


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"[" * 100_000, "nested too deeply"),
        (b"{not json", "not valid JSON"),
        ('{"chat": {"model": "caf\u00e9"}}'.encode("latin-1"), "not UTF-8"),
        (b"[1, 2, 3]", "named settings"),
        (b'"just a string"', "named settings"),
        (b"null", "named settings"),
    ],
)
def test_an_unusable_file_gives_defaults_a_kept_copy_and_a_notice(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(content)
    store = JsonSettingsStore(path)
    assert store.load() == Settings()
    assert (tmp_path / "settings.json.bad").read_bytes() == content
    assert not path.exists()
    assert reason in store.notice
    assert "settings.json.bad" in store.notice
    assert "default settings" in store.notice


def test_a_good_file_has_no_notice(tmp_path: Path) -> None:
    store = JsonSettingsStore(tmp_path / "settings.json")
    store.save(Settings(first_run_done=True))
    assert store.load().first_run_done
    assert store.notice == ""
    assert not (tmp_path / "settings.json.bad").exists()


def test_a_wrongly_typed_field_resets_only_that_field(tmp_path: Path) -> None:
    good = Settings(
        profiles=(
            ProviderProfile(id="openai", name="OpenAI", timeout_s=30.0, max_retries=4),
            ProviderProfile(id="local", name="Local", kind=ProviderKind.COMPATIBLE),
        ),
        active_profile="local",
        chat=ChatSettings(model="gpt-4o-mini", temperature=0.3, enter_sends=True),
        ui=UiSettings(theme="dark"),
        first_run_done=True,
        tabs={"images": {"size": "1024x1024"}, "audio": {"voice": "nova"}},
    )
    raw = settings_to_dict(good)
    raw["profiles"][0]["timeout_s"] = "30"  # a string where a number belongs
    raw["profiles"][1]["kind"] = "no-such-kind"
    raw["chat"]["temperature"] = "hot"
    raw["chat"]["enter_sends"] = "yes"  # not a bool: "yes" would have read as True
    raw["tabs"]["images"] = ["a", "list"]  # a list where a dict belongs
    raw["cost_guard_usd"] = {"nope": 1}
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    store = JsonSettingsStore(path)

    loaded = store.load()

    defaults = ProviderProfile(id="x", name="x")
    assert loaded.profiles[0].timeout_s == defaults.timeout_s
    assert loaded.profiles[0].max_retries == 4  # the rest of the profile is kept
    assert loaded.profiles[1].kind == ProviderKind.OPENAI
    assert loaded.profiles[1].name == "Local"
    assert loaded.active_profile == "local"
    assert loaded.chat == ChatSettings(model="gpt-4o-mini")
    assert loaded.ui.theme == "dark"
    assert loaded.first_run_done
    assert loaded.cost_guard_usd == Settings().cost_guard_usd
    assert loaded.tabs == {"audio": {"voice": "nova"}}
    for name in (
        "profiles[0].timeout_s",
        "profiles[1].kind",
        "chat.temperature",
        "chat.enter_sends",
        "tabs.images",
        "cost_guard_usd",
    ):
        assert name in store.notice
    # the file is left in place (the next save rewrites it) and a copy is kept for the user
    assert path.exists()
    assert json.loads((tmp_path / "settings.json.bad").read_text(encoding="utf-8")) == raw


@pytest.mark.parametrize(
    "raw",
    [
        {"profiles": {"not": "a list"}},
        {"profiles": [None, 3, {"id": 5, "name": "x"}, {"id": "a"}]},
        {"price_overrides": ["x"]},
        {"price_overrides": {"m": {"input_per_mtok": "abc", "output_per_mtok": "1"}}},
        {"price_overrides": {"m": None}},
        {"chat": "gpt-4o"},
        {"ui": 5},
        {"tabs": "images"},
        {"chat": {"max_output_tokens": 1.5}},
        {"cost_guard_usd": float("nan")},
        {"chat": {"temperature": 10**400}},
    ],
)
def test_odd_shapes_never_raise(tmp_path: Path, raw: dict[str, Any]) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    store = JsonSettingsStore(path)
    loaded = store.load()
    assert loaded.profiles  # always at least the default profile
    assert store.notice


def test_optional_numbers_accept_null_and_ints(tmp_path: Path) -> None:
    raw = settings_to_dict(Settings(chat=ChatSettings(max_output_tokens=200)))
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    assert JsonSettingsStore(path).load().chat.max_output_tokens == 200
    raw["chat"]["max_output_tokens"] = None
    raw["chat"]["temperature"] = 1  # an int where a float belongs is fine
    path.write_text(json.dumps(raw), encoding="utf-8")
    store = JsonSettingsStore(path)
    assert store.load().chat == ChatSettings(temperature=1.0)
    assert store.notice == ""
