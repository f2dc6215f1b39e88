"""The model list: `GET /v1/models`, cached on disk per provider profile, never hard-coded.

Each tab filters the list by kind (see `capabilities.kind_of`). The cache lets the app start offline
and show the last known list at once; the user refreshes it from the View menu or Settings.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from playground.core.api.capabilities import ModelKind, kind_of
from playground.core.api.retirements import PickerModels, ReplacementTable, for_picker
from playground.core.models import ModelInfo

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CatalogSnapshot:
    """The models one profile offered at `fetched_at` (Unix time)."""

    profile_id: str
    models: tuple[ModelInfo, ...]
    fetched_at: float

    def of_kind(self, kind: ModelKind) -> list[ModelInfo]:
        """Models of one kind, newest first within families, sorted by id for a stable picker."""
        return sorted((m for m in self.models if kind_of(m.id) == kind), key=lambda m: m.id)

    def ids(self, kind: ModelKind) -> list[str]:
        return [m.id for m in self.of_kind(kind)]

    def get(self, model_id: str) -> ModelInfo | None:
        """The listed model with this id (its `shutdown_date` included), or None."""
        return next((m for m in self.models if m.id == model_id), None)

    def picker(
        self, kind: ModelKind, today: date, table: ReplacementTable | None = None
    ) -> PickerModels:
        """The models of `kind` as a picker shows them on `today` (badges, tooltips, the
        retired ones flagged) and the kind's default (see `retirements.default_model`)."""
        return for_picker(self.models, kind, today, table)


class ModelCatalog:
    """Lists models through the SDK and keeps the last answer per profile in a JSON file."""

    def __init__(self, cache_file: Path | None) -> None:
        self._cache_file = cache_file
        self._snapshots: dict[str, CatalogSnapshot] = self._read_cache()

    def cached(self, profile_id: str) -> CatalogSnapshot | None:
        return self._snapshots.get(profile_id)

    def remember(self, snapshot: CatalogSnapshot) -> None:
        """Keeps `snapshot` as the latest list for its profile (and writes the cache)."""
        self._snapshots[snapshot.profile_id] = snapshot
        self._write_cache()

    async def refresh(self, client: Any, profile_id: str) -> CatalogSnapshot:
        """Asks the server for its models (`client` is an `AsyncOpenAI`) and caches the answer."""
        models: list[ModelInfo] = []
        page = await client.models.list()
        async for item in page:
            models.append(
                ModelInfo(
                    id=str(item.id),
                    owned_by=str(getattr(item, "owned_by", "") or ""),
                    created=int(getattr(item, "created", 0) or 0),
                    shutdown_date=_shutdown_date(item),
                )
            )
        snapshot = CatalogSnapshot(profile_id, tuple(models), time.time())
        self.remember(snapshot)
        return snapshot

    def _read_cache(self) -> dict[str, CatalogSnapshot]:
        if self._cache_file is None:
            return {}
        try:
            raw = json.loads(self._cache_file.read_text(encoding="utf-8"))
            return {
                pid: CatalogSnapshot(
                    pid,
                    tuple(ModelInfo(**m) for m in entry["models"]),
                    float(entry["fetched_at"]),
                )
                for pid, entry in raw.items()
            }
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, TypeError, KeyError) as exc:
            log.warning("model cache unreadable, ignoring it: %s", exc)
            return {}

    def _write_cache(self) -> None:
        if self._cache_file is None:
            return
        data = {
            pid: {
                "fetched_at": snap.fetched_at,
                "models": [
                    {
                        "id": m.id,
                        "owned_by": m.owned_by,
                        "created": m.created,
                        "shutdown_date": m.shutdown_date,
                    }
                    for m in snap.models
                ],
            }
            for pid, snap in self._snapshots.items()
        }
        try:
            self._cache_file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(
                dir=self._cache_file.parent, prefix=".models-", suffix=".json"
            )
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh)
            os.replace(tmp, self._cache_file)
        except OSError as exc:  # a cache that cannot be written is not worth interrupting the user
            log.warning("could not write the model cache: %s", exc)


def _shutdown_date(item: Any) -> str | None:
    value = getattr(item, "shutdown_date", None)
    if value is None and hasattr(item, "model_extra") and item.model_extra:
        value = item.model_extra.get("shutdown_date")
    return str(value) if value else None
