"""The gallery: every picture the Images tab receives, saved the moment it arrives.

A library is one folder (`<data dir>/images`). Each picture is two files with the same stem:

* the image itself, byte for byte as the API sent it (`20261122-041503-a1b2c3-1.png`), and
* a JSON sidecar (`….json`) with the prompt, the revised prompt, the model, every parameter, the
  request id, the time and, once the request has finished, its usage and cost.

The image is written first and the sidecar second, each to a temporary name then renamed, so a
crash leaves either nothing or a complete picture (a picture without its sidecar is still listed,
with what can be read from the picture alone). Searching matches every word of the query against
the prompt, the revised prompt and the model. Deleting moves both files to a `.trash` folder, so
Undo can bring them back; the trash is emptied when the library is opened next time.

Other tabs save into the same gallery through `shared_library(folder)` (one library per folder
for the whole app) and `add`; the Images tab hears of such pictures with `add_listener` (a picture
a model drew in a Chat answer carries `from_tab: "chat"` in its sidecar).

No Qt here: the tab lists `LibraryItem`s and shows their files.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from playground.core.storage.paths import ensure_private_dir

log = logging.getLogger(__name__)

SIDECAR_VERSION: Final = 1
TRASH: Final = ".trash"
IMAGE_SUFFIXES: Final = (".png", ".jpg", ".jpeg", ".webp", ".gif")


class LibraryError(OSError):
    """The library folder cannot be written (full disk, no permission); the message says so."""


@dataclass(frozen=True, slots=True)
class LibraryItem:
    """One saved picture.

    Attributes:
        id: the file stem, unique in the library.
        image_path: the picture file.
        meta: the sidecar's content (empty when the sidecar is missing).
    """

    id: str
    image_path: Path
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def sidecar_path(self) -> Path:
        return self.image_path.with_suffix(".json")

    @property
    def prompt(self) -> str:
        return str(self.meta.get("prompt") or "")

    @property
    def revised_prompt(self) -> str:
        return str(self.meta.get("revised_prompt") or "")

    @property
    def model(self) -> str:
        return str(self.meta.get("model") or "")

    @property
    def mode(self) -> str:
        return str(self.meta.get("mode") or "generate")

    @property
    def params(self) -> dict[str, Any]:
        params = self.meta.get("params")
        return dict(params) if isinstance(params, dict) else {}

    @property
    def created(self) -> datetime:
        raw = self.meta.get("time")
        if isinstance(raw, str):
            with contextlib.suppress(ValueError):
                return datetime.fromisoformat(raw)
        try:
            return datetime.fromtimestamp(self.image_path.stat().st_mtime, UTC)
        except OSError:
            return datetime.fromtimestamp(0, UTC)

    @property
    def cost(self) -> Decimal | None:
        raw = self.meta.get("cost")
        try:
            return None if raw is None else Decimal(str(raw))
        except ArithmeticError:
            return None

    @property
    def size(self) -> tuple[int, int] | None:
        width, height = self.meta.get("width"), self.meta.get("height")
        if isinstance(width, int) and isinstance(height, int):
            return width, height
        return None

    def matches(self, words: list[str]) -> bool:
        haystack = f"{self.prompt}\n{self.revised_prompt}\n{self.model}".casefold()
        return all(word in haystack for word in words)


class ImageLibrary:
    """The pictures in one folder, newest first. Safe to call from any thread.

    Args:
        folder: where the pictures live; created on the first save.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.RLock()
        self._items: dict[str, LibraryItem] | None = None
        self._trashed: dict[str, LibraryItem] = {}
        self._listeners: list[Callable[[LibraryItem], None]] = []

    def add_listener(self, listener: Callable[[LibraryItem], None]) -> None:
        """Calls `listener(item)` after each `add`, on the thread that added it."""
        self._listeners.append(listener)

    @property
    def trash_folder(self) -> Path:
        return self.folder / TRASH

    # --- reading ---------------------------------------------------------------------------------

    def load(self) -> list[LibraryItem]:
        """Reads the folder (once; later calls use what was read) and empties the old trash."""
        with self._lock:
            if self._items is None:
                self.purge_trash()
                self._items = {item.id: item for item in self._scan()}
            return self._sorted(self._items.values())

    def items(self, query: str = "") -> list[LibraryItem]:
        """The pictures whose prompt, revised prompt or model contain every word of `query`."""
        words = query.casefold().split()
        return [item for item in self.load() if item.matches(words)]

    def get(self, item_id: str) -> LibraryItem | None:
        self.load()
        with self._lock:
            assert self._items is not None
            return self._items.get(item_id)

    def _scan(self) -> list[LibraryItem]:
        if not self.folder.is_dir():
            return []
        found: list[LibraryItem] = []
        for path in self.folder.iterdir():
            if path.suffix.lower() not in IMAGE_SUFFIXES or path.name.startswith("."):
                continue
            found.append(LibraryItem(path.stem, path, _read_sidecar(path.with_suffix(".json"))))
        return found

    @staticmethod
    def _sorted(items: Any) -> list[LibraryItem]:
        return sorted(items, key=lambda item: (item.created, item.id), reverse=True)

    # --- writing ---------------------------------------------------------------------------------

    def add(
        self, data: bytes, extension: str, meta: dict[str, Any], *, stem: str | None = None
    ) -> LibraryItem:
        """Saves a picture and its sidecar now; returns the new item.

        Args:
            data: the picture's bytes as received.
            extension: "png", "jpg", "webp"...
            meta: sidecar content (prompt, model, params...); `time`, `file` and `version` are
                filled in.
            stem: the file stem; a fresh unique one by default.

        Raises:
            LibraryError: the folder cannot be written.
        """
        now = datetime.now(UTC)
        stem = stem or f"{now.astimezone().strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"
        with self._lock:
            self.load()
            assert self._items is not None
            while stem in self._items:
                stem = f"{stem}-{secrets.token_hex(2)}"
            path = self.folder / f"{stem}.{extension.lstrip('.').lower()}"
            full = {
                "version": SIDECAR_VERSION,
                "time": now.isoformat(),
                **meta,
                "file": path.name,
            }
            try:
                ensure_private_dir(self.folder)
                _atomic_write(path, data)
                _atomic_write(path.with_suffix(".json"), _dump(full))
            except OSError as exc:
                raise LibraryError(
                    f"The picture could not be saved in {self.folder} ({exc.strerror or exc})."
                ) from exc
            item = LibraryItem(stem, path, full)
            self._items[stem] = item
        for listener in list(self._listeners):
            listener(item)
        return item

    def update(self, item_id: str, **changes: Any) -> LibraryItem | None:
        """Merges `changes` into a picture's sidecar (e.g. the cost, once the request ends)."""
        with self._lock:
            item = self.get(item_id)
            if item is None:
                return None
            meta = {**item.meta, **changes}
            try:
                _atomic_write(item.sidecar_path, _dump(meta))
            except OSError as exc:
                raise LibraryError(
                    f"The picture's details could not be saved ({exc.strerror or exc})."
                ) from exc
            assert self._items is not None
            updated = LibraryItem(item.id, item.image_path, meta)
            self._items[item.id] = updated
            return updated

    def delete(self, item_id: str) -> bool:
        """Moves a picture and its sidecar to the trash (Undo brings them back)."""
        with self._lock:
            item = self.get(item_id)
            if item is None:
                return False
            trash = self.trash_folder
            try:
                ensure_private_dir(trash)
                os.replace(item.image_path, trash / item.image_path.name)
                if item.sidecar_path.exists():
                    os.replace(item.sidecar_path, trash / item.sidecar_path.name)
            except OSError as exc:
                raise LibraryError(
                    f"The picture could not be deleted ({exc.strerror or exc})."
                ) from exc
            assert self._items is not None
            del self._items[item_id]
            self._trashed[item_id] = item
            return True

    def undo_delete(self, item_id: str) -> LibraryItem | None:
        """Brings a deleted picture back; None if it is not in the trash any more."""
        with self._lock:
            item = self._trashed.pop(item_id, None)
            if item is None:
                return None
            trash = self.trash_folder
            try:
                os.replace(trash / item.image_path.name, item.image_path)
                if (trash / item.sidecar_path.name).exists():
                    os.replace(trash / item.sidecar_path.name, item.sidecar_path)
            except OSError as exc:
                raise LibraryError(
                    f"The picture could not be brought back ({exc.strerror or exc})."
                ) from exc
            assert self._items is not None
            self._items[item_id] = item
            return item

    def purge_trash(self) -> None:
        """Deletes what is in the trash for good."""
        with self._lock:
            self._trashed.clear()
            shutil.rmtree(self.trash_folder, ignore_errors=True)


_SHARED: dict[Path, ImageLibrary] = {}
_SHARED_LOCK = threading.Lock()


def shared_library(folder: Path) -> ImageLibrary:
    """The one `ImageLibrary` of `folder` in this process: every tab that saves pictures uses it,
    so the gallery lists what another tab saved."""
    key = Path(os.path.abspath(folder))
    with _SHARED_LOCK:
        library = _SHARED.get(key)
        if library is None:
            library = _SHARED[key] = ImageLibrary(folder)
        return library


def picture_extension(data: bytes) -> str:
    """ "png", "jpg", "webp" or "gif" from the picture's first bytes ("png" when unknown)."""
    if data.startswith(b"\xff\xd8"):
        return "jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:4] == b"GIF8":
        return "gif"
    return "png"


def _read_sidecar(path: Path) -> dict[str, Any]:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("unreadable sidecar %s: %s", path.name, exc)
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _dump(meta: dict[str, Any]) -> bytes:
    return json.dumps(meta, indent=2, ensure_ascii=False, default=_json_default).encode("utf-8")


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
