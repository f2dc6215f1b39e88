from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from playground.core.models import PriceOverride, ProviderKind, ProviderProfile
from playground.core.storage.paths import AppPaths
from playground.core.storage.settings import ChatSettings, JsonSettingsStore, Settings
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
