"""Vector stores (`client.vector_stores`): the stores of files indexed for file search.

Plain Python, no Qt. Create (with an expiry policy and a chunking strategy), rename, delete; add
files already uploaded (by id) and follow their indexing; search a store and read back the chunks
with their scores. These are the same stores the Responses API's file-search tool reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from playground.core.api.errors import from_exception

FILE_STATUS_WORDS = {
    "in_progress": "Indexing",
    "completed": "Ready",
    "failed": "Could not be indexed",
    "cancelled": "Cancelled",
}


@dataclass(frozen=True, slots=True)
class StoreInfo:
    """One vector store as listed."""

    id: str
    name: str
    status: str
    files_total: int = 0
    files_ready: int = 0
    files_indexing: int = 0
    files_failed: int = 0
    size: int = 0
    expires_after_days: int | None = None

    @classmethod
    def from_api(cls, store: Any) -> StoreInfo:
        counts = store.file_counts
        expires = getattr(store, "expires_after", None)
        return cls(
            id=str(store.id),
            name=str(store.name or ""),
            status=str(store.status),
            files_total=int(counts.total),
            files_ready=int(counts.completed),
            files_indexing=int(counts.in_progress),
            files_failed=int(counts.failed),
            size=int(store.usage_bytes or 0),
            expires_after_days=int(expires.days) if expires is not None else None,
        )

    @property
    def files_text(self) -> str:
        if not self.files_total:
            return "No files yet"
        text = f"{self.files_ready:,} of {self.files_total:,} ready"
        if self.files_indexing:
            text += f", {self.files_indexing:,} indexing"
        if self.files_failed:
            text += f", {self.files_failed:,} failed"
        return text


@dataclass(frozen=True, slots=True)
class StoreFile:
    """A file in a store, with its indexing state."""

    id: str
    status: str
    error: str = ""

    @classmethod
    def from_api(cls, obj: Any) -> StoreFile:
        error = getattr(obj, "last_error", None)
        return cls(str(obj.id), str(obj.status), str(getattr(error, "message", "") or ""))

    @property
    def status_text(self) -> str:
        return FILE_STATUS_WORDS.get(self.status, self.status)

    @property
    def done(self) -> bool:
        return self.status != "in_progress"


@dataclass(frozen=True, slots=True)
class Chunk:
    """One search hit: the file it came from, its score (0–1) and its text."""

    file_id: str
    filename: str
    score: float
    text: str


@dataclass(frozen=True, slots=True)
class Chunking:
    """How files are cut into chunks: "auto", or "static" with a size and an overlap (tokens)."""

    kind: str = "auto"
    max_tokens: int = 800
    overlap_tokens: int = 400

    def to_api(self) -> dict[str, Any]:
        if self.kind == "static":
            return {
                "type": "static",
                "static": {
                    "max_chunk_size_tokens": self.max_tokens,
                    "chunk_overlap_tokens": self.overlap_tokens,
                },
            }
        return {"type": "auto"}


class VectorStoresService:
    """Vector stores through the active provider's client (`client_source`, per request)."""

    def __init__(self, client_source: Callable[[], Any]) -> None:
        self._client_source = client_source

    async def list_stores(self, limit: int = 100) -> list[StoreInfo]:
        try:
            page = await self._client_source().vector_stores.list(limit=limit)
        except Exception as exc:
            raise from_exception(exc) from exc
        return [StoreInfo.from_api(s) for s in page.data]

    async def create(
        self, name: str, *, expires_after_days: int | None = None, chunking: Chunking | None = None
    ) -> StoreInfo:
        kwargs: dict[str, Any] = {"name": name}
        if expires_after_days:
            kwargs["expires_after"] = {"anchor": "last_active_at", "days": expires_after_days}
        if chunking is not None and chunking.kind != "auto":
            kwargs["chunking_strategy"] = chunking.to_api()
        try:
            return StoreInfo.from_api(await self._client_source().vector_stores.create(**kwargs))
        except Exception as exc:
            raise from_exception(exc) from exc

    async def rename(self, store_id: str, name: str) -> StoreInfo:
        try:
            store = await self._client_source().vector_stores.update(store_id, name=name)
        except Exception as exc:
            raise from_exception(exc) from exc
        return StoreInfo.from_api(store)

    async def delete(self, store_id: str) -> None:
        try:
            await self._client_source().vector_stores.delete(store_id)
        except Exception as exc:
            raise from_exception(exc) from exc

    async def add_files(self, store_id: str, file_ids: list[str]) -> list[StoreFile]:
        client = self._client_source()
        try:
            return [
                StoreFile.from_api(await client.vector_stores.files.create(store_id, file_id=f))
                for f in file_ids
            ]
        except Exception as exc:
            raise from_exception(exc) from exc

    async def files(self, store_id: str) -> tuple[StoreInfo, list[StoreFile]]:
        """The store (its counts) and its files with their indexing states."""
        client = self._client_source()
        try:
            page = await client.vector_stores.files.list(store_id, limit=100)
            store = await client.vector_stores.retrieve(store_id)
        except Exception as exc:
            raise from_exception(exc) from exc
        return StoreInfo.from_api(store), [StoreFile.from_api(f) for f in page.data]

    async def search(self, store_id: str, query: str, limit: int = 10) -> list[Chunk]:
        try:
            page = await self._client_source().vector_stores.search(
                store_id, query=query, max_num_results=limit
            )
        except Exception as exc:
            raise from_exception(exc) from exc
        return [
            Chunk(
                str(hit.file_id),
                str(hit.filename),
                float(hit.score),
                "\n".join(str(part.text) for part in hit.content),
            )
            for hit in page.data
        ]
