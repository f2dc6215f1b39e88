"""User data is owner-only: folders 0700, files 0600 (issue 20, item 22)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from playground.core.audio.clips import ClipStore
from playground.core.embeddings.cache import EmbeddingCache
from playground.core.images.library import ImageLibrary
from playground.core.models import Endpoint, LedgerEntry, RequestStatus, Usage
from playground.core.money.ledger import UsageLedger
from playground.core.storage.history import HistoryStore
from playground.core.storage.paths import AppPaths, ensure_private_dir, ensure_private_file
from playground.core.storage.settings import JsonSettingsStore, Settings

pytestmark = pytest.mark.skipif(os.name != "posix", reason="mode bits are a POSIX matter")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def paths(tmp_path: Path) -> Iterator[AppPaths]:
    old = os.umask(0o022)  # the usual umask: what makes files 0644 unless the app says otherwise
    try:
        home = AppPaths.under(tmp_path / "home")
        home.ensure()
        yield home
    finally:
        os.umask(old)


def _everything_below(root: Path) -> list[Path]:
    return [root, *root.rglob("*")]


def _assert_private(root: Path) -> None:
    loose = {
        str(p.relative_to(root.parent)): oct(_mode(p))
        for p in _everything_below(root)
        if _mode(p) & 0o077
    }
    assert loose == {}


def test_app_folders_are_owner_only(paths: AppPaths) -> None:
    for folder in (paths.config_dir, paths.data_dir, paths.cache_dir):
        assert _mode(folder) == 0o700


def test_existing_folders_are_tightened(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    ensure_private_dir(folder)
    assert _mode(folder) == 0o700


def test_existing_file_keeps_being_read_only(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_text("x")
    path.chmod(0o444)
    ensure_private_file(path)
    assert _mode(path) == 0o400


def test_databases_are_owner_only(paths: AppPaths) -> None:
    with UsageLedger(paths.database_file) as ledger:
        ledger.record(
            LedgerEntry(
                datetime.now(UTC),
                "p",
                "m",
                Endpoint.CHAT,
                Usage(),
                None,
                None,
                RequestStatus.OK,
                "s",
            )
        )
        with HistoryStore(paths.history_file) as history:
            history.create("c1", title="Hello")
            with EmbeddingCache(paths.embeddings_cache_file) as cache:
                cache.put_many("text-embedding-3-small", None, [("hello", [0.1, 0.2])])
                # the -wal/-shm files exist while the connections are open
                _assert_private(paths.data_dir)
    for name in (paths.database_file, paths.history_file, paths.embeddings_cache_file):
        assert _mode(name) == 0o600
    _assert_private(paths.data_dir)


def test_an_old_world_readable_database_is_tightened(paths: AppPaths) -> None:
    UsageLedger(paths.database_file).close()
    paths.database_file.chmod(0o644)
    UsageLedger(paths.database_file).close()
    assert _mode(paths.database_file) == 0o600


def test_pictures_and_clips_are_owner_only(paths: AppPaths) -> None:
    library = ImageLibrary(paths.data_dir / "images")
    item = library.add(b"\x89PNG fake", "png", {"prompt": "a cat"})
    library.add(b"\x89PNG fake", "png", {"prompt": "a dog"})
    assert library.delete(item.id)  # into the undo folder
    clips = ClipStore.under(paths.data_dir)
    clips.add(
        b"RIFF fake",
        model="tts-1",
        voice="alloy",
        response_format="mp3",
        speed=1.0,
        instructions="",
        text="hi",
    )
    clips.new_recording_path()
    _assert_private(paths.data_dir)


def test_settings_are_owner_only(paths: AppPaths) -> None:
    JsonSettingsStore(paths.settings_file).save(Settings())
    _assert_private(paths.config_dir)


def test_a_kept_bad_settings_file_is_owner_only(paths: AppPaths) -> None:
    paths.settings_file.write_text("{not json", encoding="utf-8")
    paths.settings_file.chmod(0o644)
    store = JsonSettingsStore(paths.settings_file)
    assert store.load() == Settings()
    assert _mode(paths.settings_file.with_name("settings.json.bad")) == 0o600
