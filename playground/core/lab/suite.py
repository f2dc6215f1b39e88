"""Prompt Lab: a prompt template with `{{variables}}`, test cases with expectations, variants, and the
grid of results (cases × variants × samples).

No Qt here. The requests are Chat's (`ChatRequest`, sent with `ChatService`); variables are the
preset ones (`find_variables`, `fill_variables`); JSON Schema checks are `core/schema.py`'s.

The grid runner sends the cells with bounded concurrency, retries a 429 after the server's
`retry-after`, and reports every finished cell at once, so a run that is cancelled or fails keeps
what finished and can resume the rest (`LabRun.pending`).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import statistics
import uuid
import warnings
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

from playground.core.api.capabilities import capabilities
from playground.core.api.errors import AppError, ErrorKind
from playground.core.chat.presets import fill_variables, find_variables
from playground.core.chat.schema import check_reply, parse_json, schema_errors
from playground.core.chat.service import ChatRequest
from playground.core.chat.vision import ImageProblem, image_from_url, image_tokens, load_image
from playground.core.models import ImagePart, Message, Usage
from playground.core.storage.textfiles import TextFileError, load_json, read_text_file

MAX_SAMPLES = 10
MAX_CONCURRENCY = 16
DEFAULT_CONCURRENCY = 4
MAX_RATE_LIMIT_RETRIES = 4
MAX_CASES_IMPORTED = 10_000


# --- expectations -----------------------------------------------------------------------------


class ExpectKind(StrEnum):
    """What a case's output is checked against."""

    NONE = ""
    CONTAINS = "contains"
    EQUALS = "equals"
    REGEX = "regex"
    JSON = "json"
    SCHEMA = "schema"
    RUBRIC = "rubric"  # graded by a model: core/lab/graders.py
    LABEL = "label"
    SIMILAR = "similar"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]

    @property
    def needs_value(self) -> bool:
        return self not in (ExpectKind.NONE, ExpectKind.JSON)

    @property
    def graded(self) -> bool:
        """Checked by a grader (a model or embeddings) after the answer comes, not by rules."""
        return self in (ExpectKind.RUBRIC, ExpectKind.LABEL, ExpectKind.SIMILAR)


_KIND_LABELS = {
    ExpectKind.NONE: "no check",
    ExpectKind.CONTAINS: "contains",
    ExpectKind.EQUALS: "equals",
    ExpectKind.REGEX: "matches regex",
    ExpectKind.JSON: "is valid JSON",
    ExpectKind.SCHEMA: "matches JSON schema",
    ExpectKind.RUBRIC: "meets a rubric (graded)",
    ExpectKind.LABEL: "has the right label (graded)",
    ExpectKind.SIMILAR: "means the same as (graded)",
}

_FENCE = re.compile(r"^\s*```[\w-]*\s*\n(.*?)\n?```\s*$", re.DOTALL)


def strip_code_fence(text: str) -> str:
    """The JSON inside a ```json … ``` fence (models often add one), else `text` unchanged."""
    match = _FENCE.match(text)
    return match.group(1) if match else text


@dataclass(frozen=True, slots=True)
class Check:
    """The outcome of an expectation: `passed` is None when there was nothing to check, or when a
    grader could not grade it (`ungraded`: never a pass; `detail` says why).

    Attributes:
        score: a grader's score from 0 to 1 (rubric, similarity), or None.
    """

    passed: bool | None
    detail: str = ""
    score: float | None = None
    ungraded: bool = False


@dataclass(frozen=True, slots=True)
class Expectation:
    """An expected result.

    `contains` ignores letter case; `equals` compares after trimming spaces and line breaks at both
    ends; `regex` searches anywhere (Python syntax, `.` also matches a line break); `json` and
    `schema` accept the JSON inside a Markdown code fence.
    """

    kind: ExpectKind = ExpectKind.NONE
    value: str = ""

    def problem(self) -> str | None:
        """Why this expectation cannot be checked (an invalid regex or schema), or None."""
        if self.kind.needs_value and not self.value.strip():
            return f"the expected value for “{self.kind.label}” is empty"
        if self.kind == ExpectKind.LABEL and len(split_labels(self.value)) < 2:
            return "a label check needs the right label first, then the others, with | between"
        if self.kind == ExpectKind.REGEX:
            try:
                with warnings.catch_warnings():
                    # "Possible nested set" and the like: the pattern still works as written.
                    warnings.simplefilter("ignore", FutureWarning)
                    re.compile(self.value)
            except re.error as exc:
                return f"the regex is not valid ({exc})"
            except (RecursionError, OverflowError, ValueError):
                return "the regex is too large or nested too deeply"
        if self.kind == ExpectKind.SCHEMA:
            schema, error = _parse_json(self.value)
            if error is not None:
                return f"the JSON schema is not valid JSON ({error})"
            if not isinstance(schema, dict):
                return "the JSON schema must be an object in { … }"
            errors = schema_errors(schema)
            if errors:
                return errors[0]
        return None

    def check(self, text: str) -> Check:
        if self.kind == ExpectKind.NONE:
            return Check(None)
        problem = self.problem()
        if problem is not None:
            return Check(False, problem[:1].upper() + problem[1:])
        if self.kind.graded:
            return Check(None, "Not graded yet.", ungraded=True)
        if self.kind == ExpectKind.CONTAINS:
            ok = self.value.casefold() in text.casefold()
            return Check(ok, "" if ok else f"Does not contain “{self.value}”.")
        if self.kind == ExpectKind.EQUALS:
            ok = text.strip() == self.value.strip()
            return Check(ok, "" if ok else f"Is not exactly “{self.value.strip()}”.")
        if self.kind == ExpectKind.REGEX:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                ok = re.search(self.value, text, re.DOTALL) is not None
            return Check(ok, "" if ok else f"No match for /{self.value}/.")
        body = strip_code_fence(text)
        if self.kind == ExpectKind.JSON:
            _data, error = _parse_json(body)
            return Check(error is None, "" if error is None else f"Not valid JSON: {error}.")
        schema, _ = _parse_json(self.value)
        problems = check_reply(body, schema)
        return Check(not problems, "; ".join(problems[:3]))


def split_labels(text: str) -> list[str]:
    """ "positive | negative | neutral" -> the labels (the first is the right one)."""
    return list(dict.fromkeys(p.strip() for p in text.split("|") if p.strip()))


def _parse_json(text: str) -> tuple[Any, str | None]:
    """`schema.parse_json`, with a number too long to convert (4,300 digits) as an error too."""
    try:
        data, error = parse_json(text)
    except ValueError:
        return None, "a number in it is too long to read"
    return data, None if error is None else str(error)


# --- cases, variants, requests ----------------------------------------------------------------


def _new_id() -> str:
    return uuid.uuid4().hex[:12]


@dataclass(frozen=True, slots=True)
class TestCase:
    """One row of the case table: a value per variable, an optional expectation and optional
    pictures sent with the user message (file paths, https or data URLs: `images`)."""

    __test__ = False  # not a pytest test class

    values: Mapping[str, str]
    expect: Expectation = Expectation()
    id: str = field(default_factory=_new_id)
    images: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Prompt:
    """A prompt template: system prompt and user message, both with `{{variables}}`."""

    system: str = ""
    user: str = ""

    def variables(self) -> list[str]:
        return find_variables([self.system, self.user])

    def messages(
        self, values: Mapping[str, str], images: Sequence[ImagePart] = ()
    ) -> tuple[Message, ...]:
        out: list[Message] = []
        if self.system.strip():
            out.append(Message("system", fill_variables(self.system, values)))
        out.append(Message("user", fill_variables(self.user, values), images=tuple(images)))
        return tuple(out)


@dataclass(frozen=True, slots=True)
class Variant:
    """A column of the grid: a prompt (a saved version or the current draft) and parameters.

    Attributes:
        name: shown as the column title.
        prompt: the template this variant sends.
        model: the model id.
        fields: `ChatRequest` keyword arguments (temperature, max_output_tokens, ...).
        version_id: the saved version `prompt` came from, or None for the unsaved draft.
    """

    name: str
    prompt: Prompt
    model: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    version_id: int | None = None
    id: str = field(default_factory=_new_id)

    def request(self, case: TestCase, images: Mapping[str, ImagePart] | None = None) -> ChatRequest:
        """The request for `case`. `images` holds its pictures, prepared (`prepare_case_images`);
        a picture missing from it is left out (only estimates of past runs build requests without)."""
        fields = {k: v for k, v in self.fields.items() if k in _REQUEST_FIELDS}
        for name in ("stop", "tools"):
            if name in fields:
                fields[name] = tuple(fields[name] or ())
        fields["n"] = 1  # samples are separate requests, each checked on its own
        prepared = images or {}
        parts = [prepared[source] for source in case.images if source in prepared]
        return ChatRequest(
            model=self.model, messages=self.prompt.messages(case.values, parts), **fields
        )


_REQUEST_FIELDS = frozenset(
    {
        "temperature",
        "top_p",
        "max_output_tokens",
        "frequency_penalty",
        "presence_penalty",
        "seed",
        "stop",
        "response_format",
        "tools",
        "tool_choice",
        "reasoning_effort",
    }
)


def case_problems(variants: Sequence[Variant], case: TestCase) -> list[str]:
    """What is wrong with one case (missing variables, an invalid regex or schema)."""
    out: list[str] = []
    missing: dict[str, None] = {}
    for variant in variants:
        for name in variant.prompt.variables():
            if not str(case.values.get(name, "")).strip():
                missing.setdefault(name, None)
    if missing:
        out.append("no value for " + ", ".join(f"{{{{{m}}}}}" for m in missing))
    problem = case.expect.problem()
    if problem is not None:
        out.append(problem)
    return out


def problems(variants: Sequence[Variant], cases: Sequence[TestCase]) -> list[str]:
    """Everything that must be fixed before a run, in plain sentences (empty when ready)."""
    out: list[str] = []
    if not variants:
        out.append("Add at least one variant (a prompt version with its model and parameters).")
    if not cases:
        out.append("Add at least one test case (a row in the case table).")
    for variant in variants:
        if not variant.model:
            out.append(f"Variant “{variant.name}”: pick a model.")
        if not variant.prompt.user.strip():
            out.append(f"Variant “{variant.name}”: the prompt is empty.")
    for number, case in enumerate(cases, 1):
        out += [f"Case {number}: {p}." for p in case_problems(variants, case)]
    pictured = [n for n, case in enumerate(cases, 1) if case.images]
    if pictured:
        for variant in variants:
            if variant.model and not capabilities(variant.model).vision:
                out.append(
                    f"Variant “{variant.name}”: {variant.model} does not take pictures, and case "
                    f"{pictured[0]} has one (pick a model that sees images, or remove them)."
                )
    return out


class CaseImageError(ValueError):
    """A case's picture that cannot be used, with the case number and the reason."""


def prepare_case_images(cases: Sequence[TestCase]) -> dict[str, ImagePart]:
    """Every picture the cases name, checked and made ready to send, by source. Blocking (files are
    read, converted and maybe shrunk): call it off the GUI thread.

    Raises:
        CaseImageError: "Case 3: …" and why, for the first picture that cannot be used.
    """
    out: dict[str, ImagePart] = {}
    for number, case in enumerate(cases, 1):
        for source in case.images:
            if source in out:
                continue
            if "\x00" in source:
                raise CaseImageError(f"Case {number}: a picture path holds a NUL character.")
            try:
                if _is_url(source):
                    out[source] = image_from_url(source)
                else:
                    out[source] = load_image(source).to_part()
            except ImageProblem as exc:
                raise CaseImageError(f"Case {number}: {exc}") from exc
    return out


def resolve_case_images(cases: Sequence[TestCase], folder: Path) -> list[TestCase]:
    """The cases with relative picture paths made relative to `folder` (the imported file's).

    Never raises: `~` and `~/…` are the user's home folder; a path that cannot be resolved
    (`~someone/…` for a user this machine does not know, no home folder at all) is left as written,
    and `prepare_case_images` says the picture was not found when the grid runs.
    """

    def resolve(source: str) -> str:
        if _is_url(source):
            return source
        path = Path(source)
        if source == "~" or source.startswith(("~/", "~\\")):
            # Only the user's own home: "~name" would look up another account, which raises
            # (RuntimeError, KeyError) or answers differently from one machine to the next.
            try:
                path = path.expanduser()
            except (RuntimeError, KeyError, OSError):
                return source
        elif source.startswith("~"):
            return source
        return str(path if path.is_absolute() else folder / path)

    return [
        replace(c, images=tuple(resolve(i) for i in c.images)) if c.images else c for c in cases
    ]


def _is_url(source: str) -> bool:
    """An https or data URL (sent as it is), not a file path."""
    return re.match(r"(?i)(https?|data):", source) is not None


def split_images(text: str) -> tuple[str, ...]:
    """ "a.png | https://…/b.jpg" -> ("a.png", "https://…/b.jpg"): the case table's and CSV's way of
    writing several pictures in one cell (one per line works too)."""
    return tuple(p.strip() for p in re.split(r"\s*\|\s*|\n", text) if p.strip())


# --- import / export of cases ------------------------------------------------------------------

EXPECT_COLUMN = "expect"
EXPECTED_COLUMN = "expected"
IMAGES_COLUMN = "images"  # pictures sent with the case's user message: paths or URLs, "|" between


class CaseFileError(ValueError):
    """A case file that cannot be read, with the line and the reason.

    The only error `read_cases_file`, `cases_from_csv` and `cases_from_jsonl` raise, whatever the
    file holds; its message is meant for the user as it is.
    """


MAX_CASE_FILE_BYTES = 50 * 1024 * 1024
_MAX_SHOWN = 40  # characters of a bad value quoted in a message


def _quoted(value: str) -> str:
    flat = " ".join(value.split())
    return f"“{flat if len(flat) <= _MAX_SHOWN else flat[: _MAX_SHOWN - 1] + '…'}”"


def _expect_from(kind: str, value: str, where: str) -> Expectation:
    text = (kind or "").strip().lower()
    aliases = {k.label: k for k in ExpectKind} | {k.value: k for k in ExpectKind}
    aliases |= {"regex": ExpectKind.REGEX, "valid json": ExpectKind.JSON}
    if text not in aliases:
        known = ", ".join(k.value for k in ExpectKind if k.value)
        raise CaseFileError(
            f"{where}: {_quoted(kind)} is not a known check (use {known} or leave empty)."
        )
    return Expectation(aliases[text], value or "")


def _checked_images(images: Iterable[str], where: str) -> tuple[str, ...]:
    out = tuple(i.strip() for i in images if i.strip())
    for image in out:
        if any(ord(c) < 32 and c not in "\t" for c in image):
            raise CaseFileError(
                f"{where}: the picture {_quoted(image)} has a control character in its name."
            )
    return out


def read_cases_file(path: Path) -> list[TestCase]:
    """The cases of a file, with relative picture paths made relative to the file's folder.

    A .csv file is read by `cases_from_csv`, a .jsonl or .json file by `cases_from_jsonl`; any
    other file (a spreadsheet's "Unicode text" .txt, say) as JSON Lines when it starts with `{`,
    else as a table. The file may be UTF-8 (with or without a byte-order mark) or UTF-16 with a
    byte-order mark (what spreadsheet programs write as "Unicode text", tab-separated).

    Raises:
        CaseFileError: the file cannot be read, is not text, or is not a valid case file; the
            message says why in plain words (and the line, where there is one).
    """
    try:
        text = read_text_file(path, max_bytes=MAX_CASE_FILE_BYTES)
    except TextFileError as exc:
        raise CaseFileError(str(exc)) from None
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".json", ".ndjson"):
        as_table = False
    elif suffix == ".csv":
        as_table = True
    else:
        as_table = not text.lstrip("\ufeff \t\r\n").startswith("{")
    cases = cases_from_csv(text) if as_table else cases_from_jsonl(text)
    return resolve_case_images(cases, path.parent)


def cases_from_csv(text: str) -> list[TestCase]:
    """Cases from CSV with a header row: one column per variable, plus optional `expect` (the
    check: contains, equals, regex, json, schema), `expected` (its value) and `images` (pictures
    to send with the message: file paths or URLs, separated by "|"). A header row with tabs and
    no commas makes the file tab-separated (a spreadsheet's "Unicode text").

    Raises:
        CaseFileError: the only error, for any text (see the class).
    """
    text = text.lstrip("\ufeff")
    header = text.split("\n", 1)[0]
    tabbed = "\t" in header and "," not in header
    reader = csv.DictReader(io.StringIO(text), dialect=csv.excel_tab if tabbed else csv.excel)
    out: list[TestCase] = []
    try:
        if not reader.fieldnames:
            raise CaseFileError("The file is empty: the first line must name the columns.")
        for row in reader:
            if len(out) >= MAX_CASES_IMPORTED:
                raise CaseFileError(f"More than {MAX_CASES_IMPORTED:,} cases: split the file.")
            values = {
                str(k).strip(): v if isinstance(v, str) else ""
                for k, v in row.items()
                if k is not None and k not in (EXPECT_COLUMN, EXPECTED_COLUMN, IMAGES_COLUMN)
            }
            where = f"Line {reader.line_num:,}"
            images = _checked_images(split_images(_cell(row, IMAGES_COLUMN)), where)
            expected = _cell(row, EXPECTED_COLUMN)
            if not any(v.strip() for v in values.values()) and not (expected or images):
                continue  # a blank line
            expect = _expect_from(_cell(row, EXPECT_COLUMN), expected, where)
            out.append(TestCase(values, expect, images=images))
    except csv.Error as exc:
        # DictReader.line_num is the last row's; its reader's is the line being read.
        raise CaseFileError(_csv_problem(exc, reader.reader.line_num)) from None
    return out


def _cell(row: Mapping[str | None, Any], name: str) -> str:
    value = row.get(name)
    return value if isinstance(value, str) else ""


def _csv_problem(exc: csv.Error, line: int) -> str:
    where = f"Line {max(line, 1):,}"
    reason = str(exc)
    if "field larger than field limit" in reason:
        return (
            f"{where}: a cell is longer than {csv.field_size_limit():,} characters, the most a CSV "
            "cell can hold here. Shorten it, or import the cases as JSON Lines (.jsonl)."
        )
    if "new-line character seen in unquoted field" in reason:
        return f"{where}: a line break is not inside quotes. Save the file again as CSV."
    if "unexpected end of data" in reason:
        return f'{where}: the file ends inside a quoted cell (a closing " is missing).'
    return f"{where}: this is not valid CSV ({reason})."


def cases_from_jsonl(text: str) -> list[TestCase]:
    """Cases from JSON Lines: one object per line, `{"vars": {...}, "expect": "contains",
    "expected": "...", "images": ["photo.png", "https://…"]}`, or a flat object of variables (with
    optional `expect`/`expected`/`images`).

    Raises:
        CaseFileError: the only error, for any text (see the class).
    """
    out: list[TestCase] = []
    # Lines end at "\n" only: str.splitlines would also cut at U+0085, U+2028… which the writer
    # leaves unescaped inside strings (ensure_ascii=False).
    for number, line in enumerate(text.lstrip("\ufeff").split("\n"), 1):
        if not line.strip():
            continue
        if len(out) >= MAX_CASES_IMPORTED:
            raise CaseFileError(f"More than {MAX_CASES_IMPORTED:,} cases: split the file.")
        where = f"Line {number:,}"
        try:
            data = load_json(line, where=f"{where}: ")
        except TextFileError as exc:
            raise CaseFileError(str(exc)) from None
        if not isinstance(data, dict):
            raise CaseFileError(f"{where}: each line must be a JSON object {{ … }}.")
        raw_vars = data.get("vars", {k: v for k, v in data.items() if k not in _RESERVED})
        if not isinstance(raw_vars, dict):
            raise CaseFileError(f"{where}: “vars” must be an object of variable values.")
        try:
            values = {k: v if isinstance(v, str) else _json_text(v) for k, v in raw_vars.items()}
            expected = data.get(EXPECTED_COLUMN, "")
            if not isinstance(expected, str):
                expected = _json_text(expected)
        except (ValueError, RecursionError):
            raise CaseFileError(f"{where}: a value is nested too deeply to read.") from None
        kind = data.get(EXPECT_COLUMN) or ""
        if not isinstance(kind, str):
            raise CaseFileError(f"{where}: “expect” must be the name of a check, as text.")
        expect = _expect_from(kind, expected, where)
        raw_images = data.get(IMAGES_COLUMN) or ()
        if isinstance(raw_images, str):
            raw_images = split_images(raw_images)
        if not isinstance(raw_images, list | tuple) or not all(
            isinstance(i, str) for i in raw_images
        ):
            raise CaseFileError(f"{where}: “images” must be a list of paths or URLs.")
        out.append(TestCase(values, expect, images=_checked_images(raw_images, where)))
    return out


def _json_text(value: Any) -> str:
    return json.dumps(value)


_RESERVED = frozenset({"vars", EXPECT_COLUMN, EXPECTED_COLUMN, IMAGES_COLUMN, "id"})


def cases_to_csv(cases: Sequence[TestCase], variables: Sequence[str]) -> str:
    names = _all_names(cases, variables)
    buffer = io.StringIO()
    # "\r\n" (as RFC 4180 has it) also makes the writer quote a value holding a lone "\r".
    writer = csv.writer(buffer, lineterminator="\r\n")
    pictured = any(case.images for case in cases)
    writer.writerow(
        [*names, EXPECT_COLUMN, EXPECTED_COLUMN, *([IMAGES_COLUMN] if pictured else [])]
    )
    for case in cases:
        writer.writerow(
            [
                *(case.values.get(n, "") for n in names),
                case.expect.kind.value,
                case.expect.value,
                *([" | ".join(case.images)] if pictured else []),
            ]
        )
    return buffer.getvalue()


def cases_to_jsonl(cases: Sequence[TestCase], variables: Sequence[str]) -> str:
    names = _all_names(cases, variables)
    lines = []
    for case in cases:
        item: dict[str, Any] = {"vars": {n: case.values.get(n, "") for n in names}}
        if case.expect.kind != ExpectKind.NONE:
            item[EXPECT_COLUMN] = case.expect.kind.value
            item[EXPECTED_COLUMN] = case.expect.value
        if case.images:
            item[IMAGES_COLUMN] = list(case.images)
        lines.append(json.dumps(item, ensure_ascii=False))
    return "\n".join(lines) + ("\n" if lines else "")


def _all_names(cases: Sequence[TestCase], variables: Sequence[str]) -> list[str]:
    names = dict.fromkeys(variables)
    for case in cases:
        names.update(dict.fromkeys(case.values))
    return list(names)


# --- the grid -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, order=True)
class CellKey:
    case_id: str
    variant_id: str
    sample: int = 0

    @property
    def custom_id(self) -> str:
        """The Batch API's `custom_id` for this cell (unique per batch)."""
        return f"{self.case_id}:{self.variant_id}:{self.sample}"

    @classmethod
    def from_custom_id(cls, text: str) -> CellKey:
        case_id, variant_id, sample = text.split(":")
        return cls(case_id, variant_id, int(sample))


class CellStatus(StrEnum):
    OK = "ok"
    ERROR = "error"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class CellResult:
    """One finished (or failed) cell."""

    status: CellStatus
    text: str = ""
    check: Check = Check(None)
    usage: Usage | None = None
    cost: Decimal | None = None
    latency_ms: float | None = None
    finish_reason: str = ""
    error: str = ""
    grader_cost: Decimal | None = None  # what grading this cell cost, apart from `cost`
    graded_calls: int = 0  # grader requests made for this cell

    def to_dict(self) -> dict[str, Any]:
        usage = self.usage
        return {
            "status": self.status.value,
            "text": self.text,
            "passed": self.check.passed,
            "detail": self.check.detail,
            "input_tokens": usage.input_tokens if usage else None,
            "output_tokens": usage.output_tokens if usage else None,
            "estimated": usage.estimated if usage else None,
            "cost": str(self.cost) if self.cost is not None else None,
            "latency_ms": self.latency_ms,
            "finish_reason": self.finish_reason,
            "error": self.error,
            "score": self.check.score,
            "ungraded": self.check.ungraded,
            "grader_cost": str(self.grader_cost) if self.grader_cost is not None else None,
            "graded_calls": self.graded_calls,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> CellResult:
        usage = None
        if raw.get("input_tokens") is not None:
            usage = Usage(
                input_tokens=int(raw["input_tokens"]),
                output_tokens=int(raw.get("output_tokens") or 0),
                estimated=bool(raw.get("estimated")),
            )
        return cls(
            status=CellStatus(raw.get("status", "error")),
            text=str(raw.get("text", "")),
            check=Check(
                raw.get("passed"),
                str(raw.get("detail", "")),
                float(raw["score"]) if raw.get("score") is not None else None,
                bool(raw.get("ungraded")),
            ),
            usage=usage,
            cost=Decimal(raw["cost"]) if raw.get("cost") is not None else None,
            latency_ms=raw.get("latency_ms"),
            finish_reason=str(raw.get("finish_reason", "")),
            error=str(raw.get("error", "")),
            grader_cost=Decimal(raw["grader_cost"]) if raw.get("grader_cost") is not None else None,
            graded_calls=int(raw.get("graded_calls") or 0),
        )


@dataclass(frozen=True, slots=True)
class VariantSummary:
    """The summary row of one variant's column."""

    done: int
    total: int
    passed: int
    checked: int
    cost: Decimal
    unpriced: int
    median_latency_ms: float | None
    errors: int
    grader_cost: Decimal = Decimal(0)  # grading, apart from `cost` (the variant's own requests)
    ungraded: int = 0  # answers a grader could not grade (never counted as passed)

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.checked if self.checked else None


@dataclass(slots=True)
class LabRun:
    """A run of the grid: what was run and every cell's result so far."""

    variants: list[Variant]
    cases: list[TestCase]
    samples: int = 1
    results: dict[CellKey, CellResult] = field(default_factory=dict)
    id: int | None = None  # set once stored
    label: str = ""
    images: dict[str, ImagePart] = field(default_factory=dict)  # prepare_case_images(cases)
    graders: dict[str, Any] = field(default_factory=dict)  # graders.GraderSettings.to_dict()

    def cells(self) -> list[CellKey]:
        return [
            CellKey(case.id, variant.id, sample)
            for case in self.cases
            for variant in self.variants
            for sample in range(self.samples)
        ]

    def pending(self) -> list[CellKey]:
        """The cells still to run: never run, failed or cancelled."""
        return [
            key
            for key in self.cells()
            if (result := self.results.get(key)) is None or result.status != CellStatus.OK
        ]

    def case(self, case_id: str) -> TestCase:
        return next(c for c in self.cases if c.id == case_id)

    def variant(self, variant_id: str) -> Variant:
        return next(v for v in self.variants if v.id == variant_id)

    def request(self, key: CellKey) -> ChatRequest:
        return self.variant(key.variant_id).request(self.case(key.case_id), self.images)

    def summary(self, variant_id: str) -> VariantSummary:
        keys = [k for k in self.cells() if k.variant_id == variant_id]
        results = [r for k in keys if (r := self.results.get(k)) is not None]
        ok = [r for r in results if r.status == CellStatus.OK]
        checked = [r for r in ok if r.check.passed is not None]
        costs = [r.cost for r in results if r.usage is not None]
        latencies = [r.latency_ms for r in ok if r.latency_ms is not None]
        return VariantSummary(
            done=len(ok),
            total=len(keys),
            passed=sum(1 for r in checked if r.check.passed),
            checked=len(checked),
            cost=sum((c for c in costs if c is not None), Decimal(0)),
            unpriced=sum(1 for c in costs if c is None),
            median_latency_ms=statistics.median(latencies) if latencies else None,
            errors=sum(1 for r in results if r.status == CellStatus.ERROR),
            grader_cost=sum(
                (r.grader_cost for r in results if r.grader_cost is not None), Decimal(0)
            ),
            ungraded=sum(1 for r in ok if r.check.ungraded),
        )


def result_for(case: TestCase, text: str, **numbers: Any) -> CellResult:
    """A finished cell: `text` checked against the case's expectation."""
    return CellResult(CellStatus.OK, text=text, check=case.expect.check(text), **numbers)


# --- running -------------------------------------------------------------------------------------


Execute = Callable[[CellKey], Awaitable[CellResult]]
"""Sends one cell's request and returns its result; raises `AppError` when it fails."""


async def run_grid(
    keys: Iterable[CellKey],
    execute: Execute,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_done: Callable[[CellKey, CellResult], None],
    on_failed: Callable[[CellKey, AppError], None],
    on_waiting: Callable[[CellKey, float], None] | None = None,
    max_retries: int = MAX_RATE_LIMIT_RETRIES,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Runs `keys`, at most `concurrency` at a time.

    A rate-limited cell (429, not "out of quota") waits the server's `retry-after` (or 1, 2, 4 s…
    when it gives none) and tries again, up to `max_retries` times; `on_waiting(key, seconds)` says
    so. Every cell ends in exactly one `on_done` or `on_failed` call, as soon as it ends, so a
    cancelled run has reported everything that finished.
    """
    limit = asyncio.Semaphore(max(1, min(concurrency, MAX_CONCURRENCY)))

    async def one(key: CellKey) -> None:
        async with limit:
            attempt = 0
            while True:
                try:
                    result = await execute(key)
                except AppError as error:
                    if error.kind == ErrorKind.RATE_LIMIT and attempt < max_retries:
                        wait = error.retry_after if error.retry_after is not None else 2.0**attempt
                        attempt += 1
                        if on_waiting is not None:
                            on_waiting(key, wait)
                        await sleep(wait)
                        continue
                    on_failed(key, error)
                    return
                on_done(key, result)
                return

    async with asyncio.TaskGroup() as group:
        for key in keys:
            group.create_task(one(key))


# --- cost guard ------------------------------------------------------------------------------------


OPEN_ENDED_OUTPUT = 1024
"""Output tokens assumed for the top of the range when a request sets no Max output (a model's
own limit, up to 100,000 tokens, would make every estimate alarming and meaningless)."""


@dataclass(frozen=True, slots=True)
class GridEstimate:
    """What a run may cost: `low` if every answer were empty, `high` if every answer used its
    Max output (or `OPEN_ENDED_OUTPUT` tokens where none is set, capped by the model's limit).
    `unpriced` counts requests whose model has no known price."""

    requests: int
    input_tokens: int
    low: Decimal
    high: Decimal
    unpriced: int
    open_ended: int  # requests without an output limit of their own (the model's limit is used)


def estimate_grid(
    requests: Iterable[ChatRequest],
    count_messages: Callable[[Sequence[Message], str], int],
    cost: Callable[[str, Usage], Decimal | None],
) -> GridEstimate:
    """The cost range of sending `requests` (count with the token counter, price with the pricer).

    Runs in an executor thread for big grids: it only counts and multiplies.
    """
    n = tokens_total = unpriced = open_ended = 0
    low = high = Decimal(0)
    for request in requests:
        n += 1
        tokens = count_messages(request.messages, request.model) + sum(
            image_tokens(i.width, i.height, i.detail) for m in request.messages for i in m.images
        )
        tokens_total += tokens
        max_out = request.max_output_tokens
        if max_out is None:
            open_ended += 1
            limit = capabilities(request.model).max_output
            max_out = min(limit, OPEN_ENDED_OUTPUT) if limit else OPEN_ENDED_OUTPUT
        low_cost = cost(request.model, Usage(input_tokens=tokens, estimated=True))
        high_cost = cost(
            request.model, Usage(input_tokens=tokens, output_tokens=max_out, estimated=True)
        )
        if low_cost is None or high_cost is None:
            unpriced += 1
            continue
        low += low_cost
        high += high_cost
    return GridEstimate(n, tokens_total, low, high, unpriced, open_ended)


def needs_confirmation(estimate: GridEstimate, threshold: Decimal) -> bool:
    """Ask before running when the grid may cost more than `threshold` (or its price is unknown
    for some requests while others already pass the threshold)."""
    return estimate.high > threshold


# --- export -------------------------------------------------------------------------------------


def results_to_rows(run: LabRun) -> list[dict[str, Any]]:
    """One flat row per cell, for CSV and JSON export."""
    rows: list[dict[str, Any]] = []
    for key in run.cells():
        case, variant = run.case(key.case_id), run.variant(key.variant_id)
        result = run.results.get(key)
        row: dict[str, Any] = {
            "case": run.cases.index(case) + 1,
            **{f"var:{k}": v for k, v in case.values.items()},
            "variant": variant.name,
            "model": variant.model,
            "sample": key.sample + 1,
            "expect": case.expect.kind.value,
            "expected": case.expect.value,
        }
        row.update(
            result.to_dict()
            if result is not None
            else {"status": "not run", "text": "", "passed": None}
        )
        rows.append(row)
    return rows


def results_to_csv(run: LabRun) -> str:
    rows = results_to_rows(run)
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(names), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buffer.getvalue()


def results_to_json(run: LabRun) -> str:
    summaries = []
    for variant in run.variants:
        s = run.summary(variant.id)
        summaries.append(
            {
                "variant": variant.name,
                "model": variant.model,
                "version_id": variant.version_id,
                "done": s.done,
                "total": s.total,
                "passed": s.passed,
                "checked": s.checked,
                "pass_rate": s.pass_rate,
                "cost": str(s.cost),
                "grader_cost": str(s.grader_cost),
                "not_graded": s.ungraded,
                "median_latency_ms": s.median_latency_ms,
            }
        )
    return json.dumps(
        {"summary": summaries, "cells": results_to_rows(run)}, indent=2, ensure_ascii=False
    )
