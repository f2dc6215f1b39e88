"""Batches (`client.batches`): build the input file, check every line, run, follow, map back.

Plain Python, no Qt.

* **Build.** From a JSONL file the user has, or from a list of prompts with one set of
  parameters (`prompts_to_jsonl`: one chat request per non-empty line, `custom_id` = `prompt-<n>`).
* **Check** (`check_batch_file`) before anything is uploaded: UTF-8 text, every line a JSON
  object with a unique non-empty `custom_id`, `method` POST, one endpoint the Batch API takes,
  a `body` that endpoint accepts (a model, and messages or input), a model the provider lists,
  at most 50,000 requests and 200 MB. Every problem names its line.
* **Follow.** `BatchInfo` is one batch as listed; `Backoff` says how long to wait before the
  next look (short while a batch moves, longer while nothing changes, longer still after an
  error), since a desktop app has no webhooks.
* **Map back.** `read_results` joins the output and error files to the input lines by
  `custom_id`: one `ResultRow` per request (input, answer or error, usage), exported with
  `results_csv` / `results_jsonl`. `batch_costs` prices the usage at the batch price and at the
  live price (genai-prices through the `Pricer`; None where it has no price).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from playground.core.api.errors import AppError, from_exception
from playground.core.chat.service import usage_from_dict
from playground.core.models import Usage
from playground.core.money.pricing import Pricer
from playground.core.storage.textfiles import TextFileError, decode_text

MAX_REQUESTS = 50_000
MAX_BATCH_FILE_BYTES = 200 * 1024 * 1024
COMPLETION_WINDOW = "24h"
ENDPOINTS = ("/v1/chat/completions", "/v1/responses", "/v1/embeddings", "/v1/moderations")
FINAL_STATES = frozenset({"completed", "failed", "expired", "cancelled"})
STATUS_WORDS = {
    "validating": "Checking the file",
    "in_progress": "Running",
    "finalizing": "Finishing",
    "completed": "Done",
    "failed": "Failed",
    "expired": "Expired (not finished within 24 h)",
    "cancelling": "Stopping",
    "cancelled": "Cancelled",
}
MAX_SHOWN_PROBLEMS = 200


# -- building and checking --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BatchParams:
    """The one set of parameters every prompt of a list is sent with."""

    model: str
    system: str = ""
    max_output_tokens: int | None = None
    temperature: float | None = None


def prompts_to_jsonl(prompts: Iterable[str], params: BatchParams) -> bytes:
    """A batch input file of chat requests, one per non-empty prompt (`custom_id` "prompt-<n>",
    n counting the prompts given, so it matches the line the user typed)."""
    lines: list[str] = []
    for number, prompt in enumerate(prompts, 1):
        if not prompt.strip():
            continue
        messages: list[dict[str, str]] = []
        if params.system.strip():
            messages.append({"role": "system", "content": params.system.strip()})
        messages.append({"role": "user", "content": prompt.strip()})
        body: dict[str, Any] = {"model": params.model, "messages": messages}
        if params.max_output_tokens:
            body["max_completion_tokens"] = params.max_output_tokens
        if params.temperature is not None:
            body["temperature"] = params.temperature
        line = {
            "custom_id": f"prompt-{number}",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": body,
        }
        lines.append(json.dumps(line, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with the batch file: `line` 0 is the file as a whole."""

    line: int
    message: str

    @property
    def text(self) -> str:
        return f"Line {self.line}: {self.message}" if self.line else self.message


@dataclass(frozen=True, slots=True)
class BatchRequest:
    """One checked line of the input file."""

    line: int
    custom_id: str
    model: str
    body: dict[str, Any]

    @property
    def input_text(self) -> str:
        """The request's input in a few words, for the results table."""
        messages = self.body.get("messages")
        if isinstance(messages, list) and messages:
            last = messages[-1]
            content = last.get("content") if isinstance(last, dict) else None
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return " ".join(
                    str(p.get("text", "")) for p in content if isinstance(p, dict)
                ).strip()
        value = self.body.get("input")
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)[:200]


@dataclass(frozen=True, slots=True)
class BatchCheck:
    """What `check_batch_file` found: the requests, the endpoint and the problems (none: ready)."""

    requests: tuple[BatchRequest, ...]
    endpoint: str
    problems: tuple[Problem, ...]
    size: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.requests)

    @property
    def summary(self) -> str:
        if not self.requests and not self.problems:
            return "The file has no requests."
        if self.problems:
            count = len(self.problems)
            return (
                f"{count:,} problem{'s' if count != 1 else ''} found; nothing was uploaded. "
                "Fix them and check again."
            )
        count = len(self.requests)
        return f"{count:,} request{'s' if count != 1 else ''}, ready to send."


def check_batch_file(data: bytes, *, models: Sequence[str] = ()) -> BatchCheck:
    """Check a batch input file line by line before it is uploaded.

    Args:
        data: the file's bytes.
        models: the models the provider lists (empty: not checked).
    """
    problems: list[Problem] = []
    if len(data) > MAX_BATCH_FILE_BYTES:
        problems.append(
            Problem(0, "The file is larger than 200 MB, the Batch API's limit. Split it in two.")
        )
    try:
        text = decode_text(data)
    except TextFileError as exc:
        return BatchCheck((), "", (Problem(0, str(exc)),), len(data))
    known = set(models)
    seen: dict[str, int] = {}
    requests: list[BatchRequest] = []
    endpoint = ""
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        found = _check_line(number, raw, known, seen, endpoint)
        if isinstance(found, BatchRequest):
            requests.append(found)
            endpoint = endpoint or str(json.loads(raw)["url"])
        else:
            problems.extend(found)
    if len(requests) > MAX_REQUESTS:
        problems.append(
            Problem(
                0,
                f"The file has {len(requests):,} requests; a batch takes at most "
                f"{MAX_REQUESTS:,}. Split it into several batches.",
            )
        )
    if not requests and not problems:
        problems.append(Problem(0, "The file has no requests."))
    return BatchCheck(tuple(requests), endpoint, tuple(problems), len(data))


def _check_line(
    number: int, raw: str, known: set[str], seen: dict[str, int], endpoint: str
) -> BatchRequest | list[Problem]:
    try:
        item = json.loads(raw)
    except ValueError:
        return [Problem(number, "This line is not valid JSON.")]
    if not isinstance(item, dict):
        return [Problem(number, "Each line must be one JSON object.")]
    problems: list[Problem] = []
    custom_id = item.get("custom_id")
    if not isinstance(custom_id, str) or not custom_id.strip():
        problems.append(Problem(number, "custom_id is missing (every request needs its own)."))
    elif custom_id in seen:
        problems.append(
            Problem(number, f'custom_id "{custom_id}" is already used on line {seen[custom_id]}.')
        )
    else:
        seen[custom_id] = number
    if item.get("method") != "POST":
        problems.append(Problem(number, 'method must be "POST".'))
    url = item.get("url")
    if url not in ENDPOINTS:
        problems.append(
            Problem(number, f"url {json.dumps(url)} is not one the Batch API takes here "
                    f"({', '.join(ENDPOINTS)}).")
        )  # fmt: skip
    elif endpoint and url != endpoint:
        problems.append(
            Problem(number, f"url {url} differs from the first request's {endpoint}; "
                    "a batch has one endpoint.")
        )  # fmt: skip
    body = item.get("body")
    model = ""
    if not isinstance(body, dict):
        problems.append(Problem(number, "body is missing or not a JSON object."))
    else:
        given = body.get("model")
        model = given if isinstance(given, str) else ""
        if not model:
            problems.append(Problem(number, "body has no model."))
        elif known and model not in known:
            problems.append(
                Problem(number, f"The model {model} is not in your provider's model list.")
            )
        if url == "/v1/chat/completions":
            messages = body.get("messages")
            if not isinstance(messages, list) or not messages:
                problems.append(Problem(number, "body has no messages."))
            elif body.get("stream"):
                problems.append(Problem(number, "stream cannot be used in a batch."))
        elif url in ENDPOINTS and "input" not in body:
            problems.append(Problem(number, "body has no input."))
    if problems:
        return problems
    assert isinstance(body, dict)
    assert isinstance(custom_id, str)
    return BatchRequest(number, custom_id, model, body)


# -- following -------------------------------------------------------------------------------------


SOURCES = {"playground-prompt-lab": "Prompt Lab"}
"""The `metadata.source` the app's tabs give the batches they start (Prompt Lab's "Run as batch"
in `ui/lab/controller.py`), in words."""


@dataclass(frozen=True, slots=True)
class BatchInfo:
    """One batch as listed."""

    id: str
    status: str
    endpoint: str
    created_at: int
    total: int = 0
    completed: int = 0
    failed: int = 0
    input_file_id: str = ""
    output_file_id: str | None = None
    error_file_id: str | None = None
    errors: tuple[str, ...] = ()
    name: str = ""
    source: str = ""  # where in the app it was started ("Prompt Lab"), "" when unknown

    @classmethod
    def from_api(cls, batch: Any) -> BatchInfo:
        counts = getattr(batch, "request_counts", None)
        errors = getattr(getattr(batch, "errors", None), "data", None) or ()
        metadata = getattr(batch, "metadata", None) or {}
        return cls(
            id=str(batch.id),
            status=str(batch.status),
            endpoint=str(batch.endpoint),
            created_at=int(batch.created_at or 0),
            total=int(getattr(counts, "total", 0) or 0),
            completed=int(getattr(counts, "completed", 0) or 0),
            failed=int(getattr(counts, "failed", 0) or 0),
            input_file_id=str(batch.input_file_id or ""),
            output_file_id=getattr(batch, "output_file_id", None),
            error_file_id=getattr(batch, "error_file_id", None),
            errors=tuple(
                (f"Line {e.line}: " if getattr(e, "line", None) else "") + str(e.message)
                for e in errors
            ),
            name=str(metadata.get("name", "")) if isinstance(metadata, dict) else "",
            source=SOURCES.get(str(metadata.get("source", "")), "")
            if isinstance(metadata, dict)
            else "",
        )

    @property
    def title(self) -> str:
        """What the list calls it: its name, and where it came from when the app knows."""
        name = self.name or ("Test-suite run" if self.source == "Prompt Lab" else "Batch")
        return f"{name} · from {self.source}" if self.source else name

    @property
    def done(self) -> bool:
        return self.status in FINAL_STATES

    @property
    def status_text(self) -> str:
        return STATUS_WORDS.get(self.status, self.status.replace("_", " ").capitalize())

    @property
    def counts_text(self) -> str:
        if not self.total:
            return "—"
        text = f"{self.completed:,} of {self.total:,} done"
        return text + (f", {self.failed:,} failed" if self.failed else "")

    @property
    def has_results(self) -> bool:
        return bool(self.output_file_id or self.error_file_id)


@dataclass
class Backoff:
    """How long to wait before the next look at running batches.

    Starts at `first` seconds, doubles while nothing changes (up to `longest`), goes back to
    `first` when something changed, and waits at least `after_error` after a failed look (a 429 or
    5xx: nothing is lost, the next look simply comes later, or when the server said).
    """

    first: float = 2.0
    longest: float = 60.0
    after_error: float = 15.0
    delay: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.delay = self.first

    def changed(self) -> float:
        self.delay = self.first
        return self.delay

    def unchanged(self) -> float:
        self.delay = min(self.delay * 2, self.longest)
        return self.delay

    def failed(self, retry_after: float | None = None) -> float:
        self.delay = min(max(self.delay * 2, self.after_error, retry_after or 0), 5 * self.longest)
        return self.delay


# -- results ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One request of a finished batch, mapped back by `custom_id`."""

    custom_id: str
    input: str
    output: str = ""
    error: str = ""
    model: str = ""
    usage: Usage | None = None

    @property
    def ok(self) -> bool:
        return not self.error


def read_results(
    inputs: Sequence[BatchRequest], output_text: str, error_text: str
) -> list[ResultRow]:
    """Join the output and error files to the input requests by `custom_id`, in input order; a
    request no file mentions is marked as not answered."""
    found: dict[str, ResultRow] = {}
    by_id = {r.custom_id: r for r in inputs}
    for text in (output_text, error_text):
        for raw in text.splitlines():
            if not raw.strip():
                continue
            try:
                item = json.loads(raw)
                custom_id = str(item["custom_id"])
            except (ValueError, KeyError, TypeError):
                continue
            request = by_id.get(custom_id)
            found[custom_id] = _row(custom_id, request, item)
    rows = [
        found.get(r.custom_id)
        or ResultRow(r.custom_id, r.input_text, error="No answer came back for this request.")
        for r in inputs
    ]
    rows += [row for key, row in found.items() if key not in by_id]
    return rows


def _row(custom_id: str, request: BatchRequest | None, item: dict[str, Any]) -> ResultRow:
    shown = request.input_text if request else ""
    model = request.model if request else ""
    response = item.get("response") or {}
    error = item.get("error")
    status = int(response.get("status_code") or 0)
    body = response.get("body") or {}
    if error or status != 200:
        message = (error or {}).get("message") or (body.get("error") or {}).get("message")
        suffix = f" ({status})" if status else ""
        return ResultRow(custom_id, shown, error=f"{message or 'The request failed'}{suffix}",
                         model=model)  # fmt: skip
    text = ""
    choices = body.get("choices")
    if isinstance(choices, list) and choices:
        text = str((choices[0].get("message") or {}).get("content") or "")
    elif isinstance(body.get("output"), list):
        text = "".join(
            str(part.get("text", ""))
            for out in body["output"]
            if isinstance(out, dict)
            for part in out.get("content") or []
            if isinstance(part, dict)
        )
    return ResultRow(
        custom_id,
        shown,
        output=text,
        model=str(body.get("model") or model),
        usage=usage_from_dict(body.get("usage")),
    )


def results_csv(rows: Sequence[ResultRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["custom_id", "input", "output", "error"])
    for row in rows:
        writer.writerow([row.custom_id, row.input, row.output, row.error])
    return out.getvalue()


def results_jsonl(rows: Sequence[ResultRow]) -> str:
    return "".join(
        json.dumps(
            {"custom_id": r.custom_id, "input": r.input, "output": r.output, "error": r.error},
            ensure_ascii=False,
        )
        + "\n"
        for r in rows
    )


@dataclass(frozen=True, slots=True)
class BatchCosts:
    """What the answered requests cost at the batch price and would have cost live (None:
    some model has no price in the data)."""

    batch: Decimal | None
    live: Decimal | None
    requests: int


def batch_costs(rows: Sequence[ResultRow], pricer: Pricer, provider_id: str) -> BatchCosts:
    batch: Decimal | None = Decimal(0)
    live: Decimal | None = Decimal(0)
    priced = 0
    for row in rows:
        if row.usage is None or not row.model:
            continue
        priced += 1
        at_batch = pricer.cost(row.model, row.usage, provider_id, batch=True)
        at_live = pricer.cost(row.model, row.usage, provider_id)
        batch = None if batch is None or at_batch is None else batch + at_batch
        live = None if live is None or at_live is None else live + at_live
    return BatchCosts(batch, live, priced)


def input_estimate(
    requests: Sequence[BatchRequest],
    count: Callable[[str, str], int],
    pricer: Pricer,
    provider_id: str,
) -> tuple[int, BatchCosts]:
    """The requests' input tokens (≈, counted locally with the chat format's overhead) and what
    that input costs at the batch price and live. Answers are charged on top (not known yet)."""
    tokens = 0
    batch: Decimal | None = Decimal(0)
    live: Decimal | None = Decimal(0)
    for request in requests:
        messages = request.body.get("messages")
        if isinstance(messages, list):
            n = 3 + sum(
                4 + count(_message_text(m), request.model) for m in messages if isinstance(m, dict)
            )
        else:
            n = count(request.input_text, request.model)
        tokens += n
        usage = Usage(input_tokens=n, estimated=True)
        at_batch = pricer.cost(request.model, usage, provider_id, batch=True)
        at_live = pricer.cost(request.model, usage, provider_id)
        batch = None if batch is None or at_batch is None else batch + at_batch
        live = None if live is None or at_live is None else live + at_live
    return tokens, BatchCosts(batch, live, len(requests))


def _message_text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


# -- the service -----------------------------------------------------------------------------------


class BatchesService:
    """Batches through the active provider's client (`client_source`, called per request)."""

    def __init__(self, client_source: Callable[[], Any]) -> None:
        self._client_source = client_source

    async def create(self, name: str, data: bytes, check: BatchCheck) -> BatchInfo:
        """Upload a checked file and start its batch.

        Raises:
            AppError: the check found problems (nothing is sent), or a request failed.
        """
        if not check.ok:
            raise AppError.local("The batch has problems", check.summary)
        client = self._client_source()
        try:
            upload = await client.files.create(
                file=(name, data, "application/jsonl"), purpose="batch"
            )
            batch = await client.batches.create(
                input_file_id=upload.id,
                endpoint=check.endpoint,
                completion_window=COMPLETION_WINDOW,
                metadata={"name": name[:500]},
            )
        except Exception as exc:
            raise from_exception(exc) from exc
        return BatchInfo.from_api(batch)

    async def list_page(
        self, *, after: str | None = None, limit: int = 100
    ) -> tuple[list[BatchInfo], bool]:
        kwargs: dict[str, Any] = {"limit": limit}
        if after:
            kwargs["after"] = after
        try:
            page = await self._client_source().batches.list(**kwargs)
        except Exception as exc:
            raise from_exception(exc) from exc
        return [BatchInfo.from_api(b) for b in page.data], bool(page.has_more)

    async def refresh(self, batch_ids: Sequence[str]) -> list[BatchInfo]:
        """The current state of each running batch."""
        client = self._client_source()
        found: list[BatchInfo] = []
        try:
            for batch_id in batch_ids:
                found.append(BatchInfo.from_api(await client.batches.retrieve(batch_id)))
        except Exception as exc:
            raise from_exception(exc) from exc
        return found

    async def cancel(self, batch_id: str) -> BatchInfo:
        try:
            return BatchInfo.from_api(await self._client_source().batches.cancel(batch_id))
        except Exception as exc:
            raise from_exception(exc) from exc

    async def results(self, info: BatchInfo) -> list[ResultRow]:
        """The finished batch's requests with their answers or errors, by `custom_id`."""
        client = self._client_source()
        try:
            source = await client.files.content(info.input_file_id)
            texts: list[str] = []
            for file_id in (info.output_file_id, info.error_file_id):
                texts.append((await client.files.content(file_id)).text if file_id else "")
        except Exception as exc:
            raise from_exception(exc) from exc
        inputs = check_batch_file(source.read()).requests
        return read_results(inputs, texts[0], texts[1])
