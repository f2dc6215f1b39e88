"""The files in the organisation (`client.files`) and large uploads in parts (`client.uploads`).

Plain Python, no Qt. The Platform tab's Files page lists files a page at a time (`list_page`, the
API's cursor `after`), uploads one (`upload`: checked first by `check_upload`; files over the
512 MB limit of `POST /v1/files` go through the Uploads API in parts), reads one back
(`content`, `preview`) and deletes (`delete`).

**Resumable uploads.** An upload in parts writes what it has sent to an `UploadJournal` (a small
JSON file) after every part: the upload's id, the file's path, size and modification time, and the
ids of the parts the server took. When a part fails (a dropped connection, a 5xx), or the app is
closed half-way, the journal keeps the upload; the next `upload` of the same unchanged file (even
after a restart) sends only the parts still missing. The API keeps a pending upload for an hour;
after that, or if the file changed, the upload starts again.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import mimetypes
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from playground.core.api.errors import AppError, from_exception
from playground.core.storage.textfiles import TextFileError, decode_text

MB = 1024 * 1024
MAX_FILE_BYTES = 512 * MB
"""The largest file `POST /v1/files` takes; larger files go through the Uploads API."""
MAX_UPLOAD_BYTES = 8 * 1024 * MB
"""The largest file the Uploads API takes."""
PART_BYTES = 64 * MB
"""The size of one part of an upload (the API takes parts of up to 64 MB)."""
UPLOAD_LIFETIME_S = 3600
"""How long the API keeps a pending upload."""
PAGE_SIZE = 100
PREVIEW_BYTES = 2 * MB
"""Files larger than this are not previewed (they can be downloaded)."""

PURPOSES: tuple[tuple[str, str], ...] = (
    ("user_data", "General (for prompts and tools)"),
    ("batch", "Batch requests (JSONL)"),
    ("fine-tune", "Fine-tuning examples (JSONL)"),
    ("vision", "Pictures for vision"),
    ("assistants", "File search (vector stores)"),
)
"""The purposes a user can upload with, and how the app names them."""
PURPOSE_NAMES = dict(PURPOSES) | {
    "batch_output": "Batch results",
    "fine-tune-results": "Fine-tuning results",
    "assistants_output": "Tool output",
    "evals": "Evals",
    "user-data": "General (for prompts and tools)",
}
_JSONL_PURPOSES = frozenset({"batch", "fine-tune"})
_IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp"})

RunBlocking = Callable[..., Awaitable[Any]]


def purpose_name(purpose: str) -> str:
    """The plain name of a purpose (the API's word for one the app does not know)."""
    return PURPOSE_NAMES.get(purpose, purpose)


def format_size(size: int) -> str:
    """`1.5 MB`, `820 KB`, `12 bytes`."""
    if size < 1024:
        return f"{size:,} byte" + ("" if size == 1 else "s")
    if size < MB:
        return f"{size / 1024:,.0f} KB"
    if size < 1024 * MB:
        return f"{size / MB:,.1f} MB"
    return f"{size / (1024 * MB):,.2f} GB"


@dataclass(frozen=True, slots=True)
class FileInfo:
    """One file as the API lists it."""

    id: str
    name: str
    purpose: str
    size: int
    created_at: int
    status: str = "processed"
    status_details: str = ""

    @classmethod
    def from_api(cls, obj: Any) -> FileInfo:
        return cls(
            id=str(obj.id),
            name=str(obj.filename),
            purpose=str(obj.purpose),
            size=int(obj.bytes or 0),
            created_at=int(obj.created_at or 0),
            status=str(getattr(obj, "status", None) or "processed"),
            status_details=str(getattr(obj, "status_details", None) or ""),
        )

    @property
    def status_text(self) -> str:
        words = {"uploaded": "Uploaded", "processed": "Ready", "error": "Could not be read"}
        return words.get(self.status, self.status.replace("_", " ").capitalize())


@dataclass(frozen=True, slots=True)
class FilePage:
    """One page of the list: the files, and whether more follow (`after` = the last id)."""

    files: tuple[FileInfo, ...]
    has_more: bool

    @property
    def last_id(self) -> str | None:
        return self.files[-1].id if self.files else None


@dataclass(frozen=True, slots=True)
class UploadPlan:
    """How a checked file goes up: at once (`parts == 0`) or in `parts` parts."""

    path: Path
    size: int
    purpose: str
    parts: int = 0

    @property
    def in_parts(self) -> bool:
        return self.parts > 0


def check_upload(
    path: Path,
    size: int,
    purpose: str,
    *,
    max_file_bytes: int = MAX_FILE_BYTES,
    part_bytes: int = PART_BYTES,
) -> UploadPlan:
    """Check a file before anything is sent, and plan how it goes up.

    Raises:
        AppError: (local) the file is empty, too large, or of the wrong type for its purpose;
            the message says what to do.
    """
    name = path.name
    suffix = path.suffix.lower()
    if size <= 0:
        raise AppError.local("Empty file", f"{name} is empty.", "Choose a file with content.")
    if size > MAX_UPLOAD_BYTES:
        raise AppError.local(
            "File too large",
            f"{name} is {format_size(size)}; the largest file the API takes is "
            f"{format_size(MAX_UPLOAD_BYTES)}.",
            "Split it into smaller files.",
        )
    if purpose in _JSONL_PURPOSES and suffix != ".jsonl":
        raise AppError.local(
            "Wrong file type",
            f"{purpose_name(purpose)} must be a .jsonl file (one JSON object per line); "
            f"{name} is not.",
            "Choose a .jsonl file, or another purpose.",
        )
    if purpose == "vision" and suffix not in _IMAGE_SUFFIXES:
        raise AppError.local(
            "Wrong file type",
            f"Pictures for vision must be PNG, JPEG, GIF or WebP; {name} is not.",
            "Choose a picture, or another purpose.",
        )
    if size > max_file_bytes:
        return UploadPlan(path, size, purpose, parts=-(-size // part_bytes))
    return UploadPlan(path, size, purpose)


# -- the upload journal ----------------------------------------------------------------------------


@dataclass
class PendingUpload:
    """An upload in parts that is not finished yet (kept in the journal)."""

    upload_id: str
    path: str
    size: int
    mtime_ns: int
    purpose: str
    part_bytes: int
    created_at: float
    part_ids: list[str] = field(default_factory=list)


class UploadJournal:
    """The uploads in parts still pending, kept in a JSON file so they survive a restart.

    Args:
        path: the journal file (its folder is created when first written); None keeps it in
            memory only.
    """

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._memory: dict[str, PendingUpload] = {}

    def load(self) -> dict[str, PendingUpload]:
        """Every pending upload, by the file's path. A damaged journal counts as empty."""
        if self._path is None:
            return dict(self._memory)
        try:
            raw = json.loads(self._path.read_text(encoding="utf-8"))
            return {key: PendingUpload(**value) for key, value in raw.items()}
        except (OSError, ValueError, TypeError):
            return {}

    def pending(self) -> list[PendingUpload]:
        return list(self.load().values())

    def put(self, item: PendingUpload) -> None:
        entries = self.load()
        entries[item.path] = item
        self._write(entries)

    def drop(self, path: str) -> None:
        entries = self.load()
        if entries.pop(path, None) is not None:
            self._write(entries)

    def _write(self, entries: dict[str, PendingUpload]) -> None:
        if self._path is None:
            self._memory = entries
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        temp = self._path.with_suffix(".tmp")
        temp.write_text(json.dumps({k: asdict(v) for k, v in entries.items()}), encoding="utf-8")
        os.replace(temp, self._path)


# -- previews --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Preview:
    """What the preview pane shows: `kind` is "text", "jsonl", "image" or "none" (then `text`
    says why)."""

    kind: str
    text: str = ""
    data: bytes = b""


def make_preview(name: str, data: bytes, *, max_lines: int = 200) -> Preview:
    """A preview of a file's content: the picture, the first JSONL lines (numbered, one object a
    line, broken lines marked), or the text."""
    suffix = Path(name).suffix.lower()
    if suffix in _IMAGE_SUFFIXES:
        return Preview("image", data=data)
    try:
        text = decode_text(data)
    except TextFileError:
        return Preview("none", "This file is not text or a picture, so it cannot be shown here.")
    if suffix == ".jsonl":
        lines: list[str] = []
        numbered = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        for number, line in numbered[:max_lines]:
            try:
                shown = json.dumps(json.loads(line), ensure_ascii=False)
            except ValueError:
                shown = f"(not valid JSON) {line}"
            lines.append(f"{number:>5}  {shown}")
        more = len(numbered) - max_lines
        if more > 0:
            lines.append(f"… and {more:,} more lines")
        return Preview("jsonl", "\n".join(lines))
    return Preview("text", text)


# -- the service -----------------------------------------------------------------------------------


def _read_page(body: bytes) -> FilePage:
    """A page of `GET /v1/files` from its JSON (blocking: run it in a worker)."""
    try:
        data = json.loads(body)
        files = tuple(
            FileInfo(
                id=str(f["id"]),
                name=str(f.get("filename") or ""),
                purpose=str(f.get("purpose") or ""),
                size=int(f.get("bytes") or 0),
                created_at=int(f.get("created_at") or 0),
                status=str(f.get("status") or "processed"),
                status_details=str(f.get("status_details") or ""),
            )
            for f in data["data"]
        )
        return FilePage(files, bool(data.get("has_more")))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise AppError.local(
            "Unexpected answer",
            "The server's list of files could not be read.",
            "Try again; if it keeps happening, the provider may not offer the Files API.",
        ) from exc


async def _to_thread(fn: Callable[..., Any], /, *args: Any) -> Any:
    return await asyncio.to_thread(fn, *args)


def _read_part(path: str, offset: int, length: int) -> bytes:
    with open(path, "rb") as handle:
        handle.seek(offset)
        return handle.read(length)


class FilesService:
    """Files and uploads through the active provider's client.

    Args:
        client_source: returns the `AsyncOpenAI` client (called per request).
        journal: where pending uploads in parts are kept between runs.
        run_blocking: runs a blocking function off the event loop (the app passes its task
            runner's); defaults to a thread.
        max_file_bytes, part_bytes: the limits (tests lower them to reach them with small files).
    """

    def __init__(
        self,
        client_source: Callable[[], Any],
        journal: UploadJournal | None = None,
        *,
        run_blocking: RunBlocking | None = None,
        max_file_bytes: int = MAX_FILE_BYTES,
        part_bytes: int = PART_BYTES,
    ) -> None:
        self._client_source = client_source
        self.journal = journal or UploadJournal(None)
        self._run_blocking = run_blocking or _to_thread
        self.max_file_bytes = max_file_bytes
        self.part_bytes = part_bytes

    async def list_page(
        self, *, purpose: str = "", after: str | None = None, limit: int = PAGE_SIZE
    ) -> FilePage:
        """One page of files, newest first."""
        kwargs: dict[str, Any] = {"limit": limit, "order": "desc"}
        if purpose:
            kwargs["purpose"] = purpose
        if after:
            kwargs["after"] = after
        try:
            raw = await self._client_source().files.with_raw_response.list(**kwargs)
            body: bytes = raw.content
        except Exception as exc:
            raise from_exception(exc) from exc
        # Read the page in a worker: building a hundred typed objects on the GUI thread is a
        # stall of its own (tens of ms on a busy machine).
        page: FilePage = await self._run_blocking(_read_page, body)
        return page

    def plan(self, path: Path, purpose: str) -> UploadPlan:
        """Check a file (blocking: reads its size) and plan its upload."""
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise AppError.local(
                "Cannot read the file",
                f"{path.name} could not be opened ({exc.strerror}).",
                "Check that it still exists and that you may read it.",
            ) from exc
        return check_upload(
            path, size, purpose, max_file_bytes=self.max_file_bytes, part_bytes=self.part_bytes
        )

    async def upload(
        self, plan: UploadPlan, on_progress: Callable[[int, int], None] | None = None
    ) -> FileInfo:
        """Upload a checked file; `on_progress(sent_bytes, total_bytes)` follows a parted upload.

        Raises:
            AppError: the request failed; a parted upload keeps its journal entry, so the next
                `upload` of the same file resumes it.
        """
        if not plan.in_parts:
            data: bytes = await self._run_blocking(plan.path.read_bytes)
            try:
                obj = await self._client_source().files.create(
                    file=(plan.path.name, data), purpose=plan.purpose
                )
            except Exception as exc:
                raise from_exception(exc) from exc
            return FileInfo.from_api(obj)
        return await self._upload_in_parts(plan, on_progress or (lambda _s, _t: None))

    def resumable(self, path: Path) -> PendingUpload | None:
        """The pending upload of this unchanged file, if one can still be resumed (blocking)."""
        item = self.journal.load().get(str(path))
        if item is None:
            return None
        try:
            stat = path.stat()
        except OSError:
            return None
        fresh = time.time() - item.created_at < UPLOAD_LIFETIME_S - 60
        if stat.st_size != item.size or stat.st_mtime_ns != item.mtime_ns or not fresh:
            return None
        return item

    async def _upload_in_parts(
        self, plan: UploadPlan, on_progress: Callable[[int, int], None]
    ) -> FileInfo:
        client = self._client_source()
        path = str(plan.path)
        item: PendingUpload | None = await self._run_blocking(self.resumable, plan.path)
        try:
            if item is None:
                stat = await self._run_blocking(os.stat, path)
                mime = mimetypes.guess_type(plan.path.name)[0] or "application/octet-stream"
                if plan.path.suffix.lower() == ".jsonl":
                    mime = "application/jsonl"
                upload = await client.uploads.create(
                    bytes=plan.size, filename=plan.path.name, mime_type=mime, purpose=plan.purpose
                )
                item = PendingUpload(
                    upload.id, path, plan.size, stat.st_mtime_ns, plan.purpose,
                    self.part_bytes, time.time(),
                )  # fmt: skip
                await self._run_blocking(self.journal.put, item)
            parts = -(-item.size // item.part_bytes)
            on_progress(min(len(item.part_ids) * item.part_bytes, item.size), item.size)
            for index in range(len(item.part_ids), parts):
                offset = index * item.part_bytes
                chunk: bytes = await self._run_blocking(_read_part, path, offset, item.part_bytes)
                part = await client.uploads.parts.create(item.upload_id, data=chunk)
                item.part_ids.append(part.id)
                await self._run_blocking(self.journal.put, item)
                on_progress(min(offset + len(chunk), item.size), item.size)
            done = await client.uploads.complete(item.upload_id, part_ids=item.part_ids)
        except Exception as exc:
            error = from_exception(exc)
            if item is not None:
                sent = f"{len(item.part_ids)} of {-(-item.size // item.part_bytes)} parts were sent"
                error = dataclasses.replace(
                    error,
                    hint=f"{sent} and are kept for an hour: upload the same file again to send "
                    "the rest.",
                )
            raise error from exc
        await self._run_blocking(self.journal.drop, path)
        if done.file is None:
            raise AppError.local(
                "Upload not finished", "The server took every part but made no file of them.",
                "Upload the file again.",
            )  # fmt: skip
        return FileInfo.from_api(done.file)

    async def forget_upload(self, path: Path) -> None:
        """Cancel a pending upload on the server (if it still exists) and forget it."""
        item = self.journal.load().get(str(path))
        if item is None:
            return
        with contextlib.suppress(Exception):  # gone already, or expired: nothing to cancel
            await self._client_source().uploads.cancel(item.upload_id)
        await self._run_blocking(self.journal.drop, str(path))

    async def content(self, file_id: str) -> bytes:
        """A file's content."""
        try:
            response = await self._client_source().files.content(file_id)
            return bytes(response.read())
        except Exception as exc:
            raise from_exception(exc) from exc

    async def preview(self, info: FileInfo) -> Preview:
        """What the preview pane shows for a file (nothing fetched for a large one)."""
        if info.size > PREVIEW_BYTES:
            return Preview(
                "none",
                f"{info.name} is {format_size(info.size)}; only files up to "
                f"{format_size(PREVIEW_BYTES)} are shown here. Download it to open it.",
            )
        data = await self.content(info.id)
        preview: Preview = await self._run_blocking(make_preview, info.name, data)
        return preview

    async def delete(self, file_ids: list[str]) -> list[str]:
        """Delete files one after another; returns the ids deleted (a failure stops the rest and
        raises, the ones before it stay deleted)."""
        deleted: list[str] = []
        client = self._client_source()
        for file_id in file_ids:
            try:
                await client.files.delete(file_id)
            except Exception as exc:
                error = from_exception(exc)
                if deleted:
                    error = dataclasses.replace(
                        error,
                        message=f"{len(deleted)} of {len(file_ids)} files were deleted; then: "
                        f"{error.message}",
                    )
                raise error from exc
            deleted.append(file_id)
        return deleted
