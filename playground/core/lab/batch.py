"""Run a Prompt Lab grid through the Batch API: cheaper, for users who can wait (up to 24 h).

The grid's requests become a JSONL file (one line per cell, its `custom_id` naming the cell), the
file is uploaded with purpose "batch", a batch is created on `/v1/chat/completions`, its status is
polled, and the output (and error) files are read back and mapped to the cells by `custom_id`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from playground.core.api.errors import from_exception
from playground.core.chat.service import ChatRequest, usage_from_dict
from playground.core.lab.suite import CellKey
from playground.core.models import Usage

BATCH_URL = "/v1/chat/completions"
COMPLETION_WINDOW = "24h"
MAX_BATCH_REQUESTS = 50_000
FINAL_STATES = frozenset({"completed", "failed", "expired", "cancelled"})


def batch_jsonl(items: Iterable[tuple[CellKey, ChatRequest]]) -> bytes:
    """The batch input file: one request per line, `custom_id` = the cell."""
    lines = []
    for key, request in items:
        line = {
            "custom_id": key.custom_id,
            "method": "POST",
            "url": BATCH_URL,
            "body": request.to_api(stream=False),
        }
        lines.append(json.dumps(line, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode("utf-8")


@dataclass(frozen=True, slots=True)
class BatchStatus:
    """Where a batch is: `status` is the API's (validating, in_progress, finalizing, completed,
    failed, expired, cancelling, cancelled)."""

    id: str
    status: str
    completed: int = 0
    failed: int = 0
    total: int = 0
    output_file_id: str | None = None
    error_file_id: str | None = None
    errors: tuple[str, ...] = ()

    @property
    def done(self) -> bool:
        return self.status in FINAL_STATES

    @property
    def text(self) -> str:
        counts = f"{self.completed + self.failed:,} of {self.total:,}" if self.total else ""
        words = {
            "validating": "Checking the file",
            "in_progress": "Running",
            "finalizing": "Finishing",
            "completed": "Done",
            "failed": "Failed",
            "expired": "Expired (not finished within 24 h)",
            "cancelling": "Cancelling",
            "cancelled": "Cancelled",
        }
        text = words.get(self.status, self.status)
        return f"Batch {text.lower() if counts else text}" + (f": {counts}" if counts else "")


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One cell's answer from the output file, or its error."""

    key: CellKey
    text: str = ""
    finish_reason: str = ""
    usage: Usage | None = None
    request_id: str | None = None
    error: str = ""


def status_from_api(batch: Any) -> BatchStatus:
    counts = getattr(batch, "request_counts", None)
    errors = getattr(getattr(batch, "errors", None), "data", None) or ()
    return BatchStatus(
        id=str(batch.id),
        status=str(batch.status),
        completed=int(getattr(counts, "completed", 0) or 0),
        failed=int(getattr(counts, "failed", 0) or 0),
        total=int(getattr(counts, "total", 0) or 0),
        output_file_id=getattr(batch, "output_file_id", None),
        error_file_id=getattr(batch, "error_file_id", None),
        errors=tuple(
            f"{'line ' + str(e.line) + ': ' if getattr(e, 'line', None) else ''}{e.message}"
            for e in errors
        ),
    )


def parse_batch_output(text: str) -> list[BatchItem]:
    """The items of an output or error file (lines that name no cell are skipped)."""
    from openai.types.chat import ChatCompletion

    items: list[BatchItem] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            key = CellKey.from_custom_id(str(raw["custom_id"]))
        except (ValueError, KeyError, TypeError):
            continue
        response = raw.get("response") or {}
        error = raw.get("error")
        status = int(response.get("status_code") or 0)
        body = response.get("body") or {}
        if error or status != 200:
            message = (error or {}).get("message") or (body.get("error") or {}).get("message")
            items.append(BatchItem(key, error=f"{message or 'The request failed'} ({status})"))
            continue
        completion = ChatCompletion.model_validate(body)
        choice = completion.choices[0] if completion.choices else None
        items.append(
            BatchItem(
                key,
                text=(choice.message.content or "") if choice else "",
                finish_reason=(choice.finish_reason or "") if choice else "",
                usage=usage_from_dict(body.get("usage")),
                request_id=response.get("request_id"),
            )
        )
    return items


@contextmanager
def _in_plain_words(base_url: str) -> Iterator[None]:
    """Turns whatever a request to `base_url` raises into an `AppError` (`from_exception`)."""
    try:
        yield
    except Exception as exc:
        raise from_exception(exc, base_url=base_url) from exc


class BatchService:
    """Files and batches through the client the `client_source` returns."""

    def __init__(self, client_source: Callable[[], Any]) -> None:
        self._client_source = client_source

    async def submit(self, jsonl: bytes, *, metadata: dict[str, str] | None = None) -> BatchStatus:
        client = self._client_source()
        with _in_plain_words(str(client.base_url)):
            upload = await client.files.create(
                file=("prompt-lab-batch.jsonl", jsonl, "application/jsonl"), purpose="batch"
            )
            batch = await client.batches.create(
                input_file_id=upload.id,
                endpoint=BATCH_URL,
                completion_window=COMPLETION_WINDOW,
                metadata=metadata or None,
            )
        return status_from_api(batch)

    async def status(self, batch_id: str) -> BatchStatus:
        client = self._client_source()
        with _in_plain_words(str(client.base_url)):
            batch = await client.batches.retrieve(batch_id)
        return status_from_api(batch)

    async def results(self, status: BatchStatus) -> list[BatchItem]:
        """Every answer and error of a finished batch."""
        client = self._client_source()
        items: list[BatchItem] = []
        with _in_plain_words(str(client.base_url)):
            for file_id in (status.output_file_id, status.error_file_id):
                if file_id:
                    content = await client.files.content(file_id)
                    items += parse_batch_output(content.text)
        return items

    async def cancel(self, batch_id: str) -> BatchStatus:
        client = self._client_source()
        with _in_plain_words(str(client.base_url)):
            batch = await client.batches.cancel(batch_id)
        return status_from_api(batch)
