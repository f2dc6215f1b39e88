"""Where the app keeps its files.

`PLAYGROUND_HOME` puts everything (settings, ledger, caches) under one folder: for portable use and
for tests. Otherwise the OS conventions apply, via platformdirs.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from playground import APP_ID

HOME_ENV = "PLAYGROUND_HOME"

#: User data (conversations, usage, pictures, clips, settings) is for the user alone.
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def ensure_private_dir(folder: Path) -> None:
    """Creates `folder` (and its missing parents) for the owner only, and
    takes the group's and others' permissions away if it already exists (folders made by older
    versions were 0755).

    Raises:
        OSError: the folder cannot be created.
    """
    missing: list[Path] = []
    step = folder
    while not step.exists() and step != step.parent:
        missing.append(step)
        step = step.parent
    for new in reversed(missing):
        with contextlib.suppress(FileExistsError):
            new.mkdir(mode=PRIVATE_DIR_MODE)
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder} is not a folder")
    _tighten(folder, PRIVATE_DIR_MODE)


def ensure_private_file(path: Path) -> None:
    """Creates `path` empty and owner-only (0600) if it is missing, or takes the group's and others'
    permissions away: call it before a library (SQLite, a log handler) opens the file with the
    default, world-readable mode.

    Raises:
        OSError: the file cannot be created.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        _tighten(path, PRIVATE_FILE_MODE)
    else:
        os.close(fd)


def _tighten(path: Path, mode: int) -> None:
    """Takes every permission outside `mode` away from `path` when this user owns it (a foreign
    file or folder is left alone, and a read-only file stays read-only)."""
    if os.name != "posix":
        return  # Windows keeps user folders private through ACLs, not mode bits
    with contextlib.suppress(OSError):
        st = path.stat()
        current = st.st_mode & 0o777
        if st.st_uid == os.getuid() and current & ~mode:
            path.chmod(current & mode)


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
        """Creates the three folders, owner-only (0700)."""
        for folder in (self.config_dir, self.data_dir, self.cache_dir):
            ensure_private_dir(folder)

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
