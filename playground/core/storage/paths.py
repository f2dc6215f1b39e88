"""Where the app keeps its files.

`PLAYGROUND_HOME` puts everything (settings, ledger, caches) under one folder: for portable use and
for tests. Otherwise the OS conventions apply, via platformdirs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from playground import APP_ID

HOME_ENV = "PLAYGROUND_HOME"


@dataclass(frozen=True, slots=True)
class AppPaths:
    """The folders the app writes to. Created on demand by `ensure()`."""

    config_dir: Path
    data_dir: Path
    cache_dir: Path

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def database_file(self) -> Path:
        return self.data_dir / "playground.sqlite3"

    @property
    def history_file(self) -> Path:
        return self.data_dir / "history.sqlite3"

    @property
    def embeddings_cache_file(self) -> Path:
        """Embedding vectors already paid for (model, dimensions, text hash -> vector)."""
        return self.data_dir / "embeddings-cache.sqlite3"

    @property
    def presets_file(self) -> Path:
        return self.config_dir / "presets.json"

    @property
    def models_cache_file(self) -> Path:
        return self.cache_dir / "models.json"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "playground.log"

    def ensure(self) -> None:
        for folder in (self.config_dir, self.data_dir, self.cache_dir):
            folder.mkdir(parents=True, exist_ok=True)

    @classmethod
    def under(cls, root: Path) -> AppPaths:
        """Everything below one folder (portable mode and tests)."""
        return cls(config_dir=root / "config", data_dir=root / "data", cache_dir=root / "cache")

    @classmethod
    def resolve(cls, environ: dict[str, str] | None = None) -> AppPaths:
        """`PLAYGROUND_HOME` if set, else the platform's user folders."""
        env = os.environ if environ is None else environ
        home = env.get(HOME_ENV, "").strip()
        if home:
            return cls.under(Path(home).expanduser())
        import platformdirs  # deferred: only needed once, at start-up

        return cls(
            config_dir=Path(platformdirs.user_config_dir(APP_ID, appauthor=False)),
            data_dir=Path(platformdirs.user_data_dir(APP_ID, appauthor=False)),
            cache_dir=Path(platformdirs.user_cache_dir(APP_ID, appauthor=False)),
        )
