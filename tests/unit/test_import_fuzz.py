"""Property/fuzz tests of every importer (issue 20, item 8).

Each parser is fed its own writer's output (conversation export, presets export, Lab case CSV and
JSON Lines, pasted curl/JSON requests, Embeddings files, stored Lab runs), unchanged and then
mutated: spans deleted, duplicated or cut off, characters replaced, nasty pieces inserted (a
4,301-digit number, 100,000 `[`, a 140,000-character cell, NUL, lone surrogates, a list where a
role belongs), JSON nodes swapped for random JSON values, and the bytes of files re-encoded or
damaged. The only thing allowed out is the parser's documented error (or, for the parsers that
never raise, its list of problems).

Hypothesis builds the writers' input (conversations, presets, cases, requests…) and a seed; a
seeded `Mutator` then makes `MUTANTS` inputs from each, which is much cheaper per input than a
Hypothesis example. Hypothesis runs derandomized (the same cases on every run, so CI is
deterministic) with no example database and no deadline: inputs per parser = examples × MUTANTS.
"""

from __future__ import annotations

import codecs
import json
import os
import random
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from playground.core.chat import codegen
from playground.core.chat.export import (
    ConversationFileError,
    ExportConversation,
    ExportTurn,
    from_json,
    read_conversation,
    to_json,
)
from playground.core.chat.presets import (
    Preset,
    PresetError,
    PresetStore,
    export_json,
    import_json,
    preset_to_dict,
)
from playground.core.chat.service import ChatRequest
from playground.core.embeddings.files import (
    InputFileError,
    parse_table,
    write_vectors_csv,
    write_vectors_jsonl,
)
from playground.core.lab.store import LabStore, LabStoreError
from playground.core.lab.suite import (
    CaseFileError,
    CellKey,
    CellResult,
    CellStatus,
    Expectation,
    ExpectKind,
    LabRun,
    Prompt,
    TestCase,
    Variant,
    cases_from_csv,
    cases_from_jsonl,
    cases_to_csv,
    cases_to_jsonl,
    problems,
    read_cases_file,
    resolve_case_images,
)
from playground.core.models import ImagePart, Message, ToolCall, Usage
from playground.core.storage.textfiles import TextFileError, decode_text

EXAMPLES = int(os.environ.get("PLAYGROUND_FUZZ_EXAMPLES", "100"))  # raise it for a long soak
MUTANTS = 30  # seeded mutants per Hypothesis example
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ROUND_TRIP = settings(FUZZ, max_examples=100)
seeds = st.integers(0, 2**32 - 1)

# --- the mutator -----------------------------------------------------------------------------

SPICE: tuple[str, ...] = (
    "1" * 4301,  # int() converts at most 4,300 digits
    "[" * 100_000,  # deeper than the recursion limit
    '{"a":' * 5000,
    "x" * 140_000,  # longer than csv's field limit
    '"role": [1]',
    '"role": {"a": 1}',
    "\x00",
    "\ufeff",
    "\ud800",
    "\\ud800",
    "\x85",
    "\u2028",
    "\r",
    "\r\n",
    "\n",
    '"',
    "'",
    ",",
    ";",
    "\t",
    "{",
    "}",
    "[",
    "]",
    ":",
    "null",
    "true",
    "-1",
    "1e999",
    "-1e999",
    "NaN",
    "Infinity",
    "18446744073709551617",
    "~nobody-4f2a/photo.png",
    "~",
    "|",
    "\\",
    "$'",
    "^",
    "`",
    "é",
    "東京",
    "data:image/png;base64,AAAA",
    "curl ",
    "-d ",
    "--json ",
    "-H 'api-key: x' ",
    "contains",
    "schema",
    "regex",
)
KEYS = (
    "role",
    "content",
    "message",
    "turns",
    "usage",
    "cost",
    "images",
    "url",
    "detail",
    "width",
    "height",
    "tool_calls",
    "id",
    "name",
    "arguments",
    "format",
    "version",
    "title",
    "created",
    "params",
    "presets",
    "system_prompt",
    "model",
    "temperature",
    "max_output_tokens",
    "max_tokens",
    "messages",
    "vars",
    "expect",
    "expected",
    "images",
    "text",
    "seed",
    "n",
    "stop",
    "tools",
    "tool_choice",
    "response_format",
    "stream",
    "input_tokens",
    "audio_seconds",
    "status",
    "type",
    "function",
    "image_url",
    "fields",
    "values",
    "latency_ms",
    "x",
)
SCALARS: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    -1,
    1,
    2**31,
    2**63,
    -(2**63) - 1,
    10**30,
    10**1000,
    0.5,
    -0.0,
    1e308,
    float("inf"),
    float("-inf"),
    float("nan"),
    "",
    "user",
    "assistant",
    "auto",
    "2026-05-01T09:30:00+00:00",
    "not a date",
    "a:b:c",
    "x" * 50,
)
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252", "shift_jis")
_BOM = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}
_CHARS = "abc é東\x00\x01\x7f\x85\u2028\ud800\ufeff\n\r\t\"',;:{}[]|\\~0123456789-+.eE"


class Mutator:
    """Seeded random edits of writers' output: same seed, same mutants."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def spice(self) -> str:
        if self.rng.random() < 0.7:
            return self.rng.choice(SPICE)
        return "".join(self.rng.choice(_CHARS) for _ in range(self.rng.randint(1, 6)))

    def text(self, text: str, edits: int | None = None) -> str:
        """`text` with 1-4 random edits."""
        rng = self.rng
        for _ in range(edits if edits is not None else rng.randint(1, 4)):
            at = rng.randint(0, len(text))
            op = rng.randrange(5)
            if op == 0:
                text = text[:at] + self.spice() + text[at:]
            elif op == 1:
                text = text[:at] + text[at + rng.randint(1, 40) :]
            elif op == 2:
                text = text[:at] + rng.choice(_CHARS) + text[at + 1 :]
            elif op == 3:
                text = text[:at] + text[at : at + rng.randint(1, 40)] + text[at:]
            else:
                text = text[:at]
        return text

    def value(self, depth: int = 0) -> Any:
        """A random JSON value."""
        rng = self.rng
        kind = rng.randrange(6 if depth < 3 else 3)
        if kind == 0:
            return rng.choice(SCALARS)
        if kind == 1:
            return rng.choice(SPICE) if rng.random() < 0.3 else rng.choice(KEYS)
        if kind == 2:
            return rng.randint(-(10**6), 10**6) if rng.random() < 0.5 else rng.uniform(-9, 9)
        if kind == 3:
            return [self.value(depth + 1) for _ in range(rng.randint(0, 3))]
        return {rng.choice(KEYS): self.value(depth + 1) for _ in range(rng.randint(0, 3))}

    def document(self, document: Any) -> str:
        """`document` with 1-3 nodes replaced (or removed) and maybe text edits, as JSON."""
        rng = self.rng
        for _ in range(rng.randint(1, 3)):
            paths = list(_paths(document))
            path = rng.choice(paths)
            document = _replaced(document, path, self.value(), remove=rng.random() < 0.2)
        text = json.dumps(document, ensure_ascii=rng.random() < 0.5)
        return self.text(text) if rng.random() < 0.3 else text

    def mutant(self, text: str, document: Any = None) -> str:
        """One input made from a writer's `text` (and its parsed JSON `document`, if any)."""
        roll = self.rng.random()
        if roll < 0.05:
            return "".join(self.rng.choice(_CHARS) for _ in range(self.rng.randint(0, 60)))
        if document is not None and roll < 0.55:
            return self.document(document)
        return self.text(text)

    def file(self, text: str) -> bytes:
        """`text` as a file might hold it: in some encoding, maybe with damaged bytes."""
        rng = self.rng
        encoding = rng.choice(ENCODINGS)
        data = _BOM.get(encoding, b"") + text.encode(encoding, errors="replace")
        for _ in range(rng.choice((0, 0, 1, 2))):
            at = rng.randint(0, len(data))
            noise = bytes(rng.randrange(256) for _ in range(rng.randint(0, 4)))
            data = data[:at] + noise + data[at + rng.randint(0, 3) :]
        return data


def _paths(value: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield at
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*at, index))


def _replaced(value: Any, path: tuple[Any, ...], new: Any, *, remove: bool = False) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    copy: Any = dict(value) if isinstance(value, dict) else list(value)
    if remove and not rest:
        del copy[head]
    else:
        copy[head] = _replaced(copy[head], rest, new, remove=remove)
    return copy


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


def _raises_only(error: type[Exception], call: Callable[..., Any], *args: Any) -> Any:
    """`call(*args)`, letting `error` (with a message in words) and nothing else out."""
    try:
        return call(*args)
    except error as exc:
        message = str(exc)
        assert message.strip(), "an error with no message"
        assert "Traceback" not in message
        assert "codec can't" not in message
        return None


# --- the shared decoder ----------------------------------------------------------------------


@FUZZ
@given(st.text(max_size=40), seeds)
def test_decode_text_raises_only_text_file_error(text: str, seed: int) -> None:
    mutator = Mutator(seed)
    for _ in range(MUTANTS):
        data = mutator.file(mutator.text(text, edits=mutator.rng.randint(0, 2)))
        _raises_only(TextFileError, decode_text, data)


@ROUND_TRIP
@given(
    st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00")),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"]),
)
def test_decode_text_reads_utf8_and_utf16_with_a_bom_exactly(text: str, encoding: str) -> None:
    assert decode_text(_BOM.get(encoding, b"") + text.encode(encoding)) == text


# --- Chat: conversations ---------------------------------------------------------------------

_text = st.text(max_size=20)
_optional_text = st.none() | st.text(min_size=1, max_size=10)
_usages = st.none() | st.builds(
    Usage,
    input_tokens=st.integers(0, 10**9),
    output_tokens=st.integers(0, 10**9),
    cached_tokens=st.integers(0, 1000),
    audio_seconds=st.floats(0, 10**6),
    estimated=st.booleans(),
)
_costs = st.none() | st.decimals(0, 1000, places=8, allow_nan=False, allow_infinity=False)
_images = st.builds(
    ImagePart,
    url=st.sampled_from(["https://example.com/a.png", "data:image/png;base64,iVBORw0KGgo="]),
    detail=st.sampled_from(["auto", "low", "high"]),
    width=st.none() | st.integers(1, 4096),
    height=st.none() | st.integers(1, 4096),
)
_calls = st.builds(ToolCall, id=_text, name=_text, arguments=_text)
_messages = st.builds(
    Message,
    role=st.sampled_from(["system", "developer", "user", "assistant", "tool"]),
    content=_text,
    name=_optional_text,
    images=st.lists(_images, max_size=2).map(tuple),
    tool_calls=st.lists(_calls, max_size=2).map(tuple),
    tool_call_id=_optional_text,
)
_turns = st.builds(
    ExportTurn,
    message=_messages,
    usage=_usages,
    cost=_costs,
    model=_optional_text,
    finish_reason=_optional_text,
)
_moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
conversations = st.builds(
    ExportConversation,
    title=_text,
    system_prompt=_text,
    params=st.dictionaries(
        st.sampled_from(["model", "temperature", "seed", "stop"]),
        st.sampled_from([None, True, 1, 0.5, "x", "gpt-4o", [1, "a"], {"a": 1}]),
    ),
    turns=st.lists(_turns, max_size=4).map(tuple),
    created=_moments,
)


@ROUND_TRIP
@given(conversations.filter(lambda c: "NaN" not in json.dumps(c.params, default=str)))
def test_conversation_export_round_trips(conversation: ExportConversation) -> None:
    back, problems_ = from_json(to_json(conversation))
    assert problems_ == []
    assert back == conversation


@FUZZ
@given(conversations, seeds)
def test_conversation_import_never_raises(conversation: ExportConversation, seed: int) -> None:
    mutator, text = Mutator(seed), to_json(conversation)
    document = json.loads(text)
    for _ in range(MUTANTS):
        mutant = mutator.mutant(text, document)
        back, problems_ = from_json(mutant)
        assert all(isinstance(p, str) and p for p in problems_)
        if back is None:
            assert problems_
        elif _unicode(mutant):  # what was imported can be saved again (no lone surrogate)
            to_json(back).encode()


@FUZZ
@given(conversations, seeds)
def test_conversation_file_raises_only_conversation_file_error(
    scratch: Path, conversation: ExportConversation, seed: int
) -> None:
    mutator, text = Mutator(seed), to_json(conversation)
    document, path = json.loads(text), scratch / "conversation.json"
    for _ in range(MUTANTS):
        path.write_bytes(mutator.file(mutator.mutant(text, document)))
        _raises_only(ConversationFileError, read_conversation, path)


# --- presets ---------------------------------------------------------------------------------

_requests = st.builds(
    ChatRequest,
    model=st.sampled_from(["", "gpt-4o", "gpt-4o-mini"]),
    messages=st.just(()),
    temperature=st.none() | st.floats(0, 2),
    top_p=st.none() | st.floats(0, 1),
    max_output_tokens=st.none() | st.integers(1, 100_000),
    seed=st.none() | st.integers(-(2**63), 2**63 - 1),
    stop=st.lists(_text, max_size=3).map(tuple),
    n=st.integers(1, 4),
    logprobs=st.booleans(),
    response_format=st.none() | st.just({"type": "json_object"}),
    tools=st.lists(
        st.builds(lambda n: {"type": "function", "function": {"name": n}}, _text), max_size=2
    ).map(tuple),
    tool_choice=st.none() | st.sampled_from(["auto", "none", "required"]),
    reasoning_effort=st.none() | st.sampled_from(["low", "high"]),
)
_presets = st.lists(
    st.builds(
        Preset,
        name=st.text(min_size=1, max_size=12).filter(lambda n: n.strip()),
        system_prompt=_text,
        params=_requests,
        created=_moments,
        updated=_moments.map(lambda m: m + timedelta(seconds=1)),
    ),
    max_size=3,
)


@ROUND_TRIP
@given(_presets)
def test_presets_export_round_trips(presets: list[Preset]) -> None:
    back, _problems = import_json(export_json(presets))
    assert [p.system_prompt for p in back] == [p.system_prompt for p in presets]
    assert [p.params for p in back] == [p.params for p in presets]


@FUZZ
@given(_presets, seeds)
def test_presets_import_never_raises(presets: list[Preset], seed: int) -> None:
    mutator, text = Mutator(seed), export_json(presets)
    document = json.loads(text)
    for _ in range(MUTANTS):
        mutant = mutator.mutant(text, document)
        back, problems_ = import_json(mutant)
        assert all(isinstance(p, str) and p for p in problems_)
        for preset in back:
            stored = json.dumps(preset_to_dict(preset), ensure_ascii=False)
            if _unicode(mutant):  # what was imported can be stored again (no lone surrogate)
                stored.encode()
            preset.to_request(model="gpt-4o", messages=())


@FUZZ
@given(_presets, seeds)
def test_presets_file_raises_only_preset_error(
    scratch: Path, presets: list[Preset], seed: int
) -> None:
    mutator, text = Mutator(seed), export_json(presets)
    document, path = json.loads(text), scratch / "presets.json"
    store = PresetStore(scratch / "store" / "presets.json")
    for _ in range(MUTANTS):
        path.write_bytes(mutator.file(mutator.mutant(text, document)))
        store.path.unlink(missing_ok=True)  # each import starts from an empty store
        _raises_only(PresetError, store.import_file, path)


# --- Prompt Lab: cases -----------------------------------------------------------------------

_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True)
_cases = st.lists(
    st.builds(
        TestCase,
        values=st.dictionaries(_names, _text, max_size=3),
        expect=st.builds(
            Expectation, st.sampled_from(list(ExpectKind)), _text | st.just('{"type": "object"}')
        ),
        images=st.lists(
            st.sampled_from(["a.png", "~/b.jpg", "~nobody-4f2a/c.png", "https://x.test/d.png"]),
            max_size=2,
        ).map(tuple),
    ),
    max_size=4,
)
_grids = st.tuples(_cases, st.lists(_names, max_size=3))


def _unicode(text: str) -> bool:
    """True for text a file can hold: what `decode_text` gives (no lone surrogate)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _case_checks(cases: list[TestCase] | None, source: str = "") -> None:
    if cases is None:
        return
    saved = cases_to_jsonl(cases, [])
    if _unicode(source):  # what was imported can be saved (no lone surrogate)
        saved.encode()
    resolved = resolve_case_images(cases, Path("/cases"))
    variant = Variant(
        "A", Prompt("", " ".join(f"{{{{{n}}}}}" for c in cases for n in c.values)), "m"
    )
    problems([variant], resolved)


@FUZZ
@given(_grids, seeds)
def test_case_csv_raises_only_case_file_error(grid: Any, seed: int) -> None:
    mutator, text = Mutator(seed), cases_to_csv(*grid)
    for _ in range(MUTANTS):
        mutant = mutator.mutant(text)
        _case_checks(_raises_only(CaseFileError, cases_from_csv, mutant), mutant)


@FUZZ
@given(_grids, seeds)
def test_case_jsonl_raises_only_case_file_error(grid: Any, seed: int) -> None:
    mutator, text = Mutator(seed), cases_to_jsonl(*grid)
    lines = [json.loads(line) for line in text.split("\n") if line]
    for _ in range(MUTANTS):
        if lines and mutator.rng.random() < 0.5:
            picked = mutator.rng.choices(lines, k=mutator.rng.randint(1, 3))
            mutant = "\n".join(mutator.document(line) for line in picked)
        else:
            mutant = mutator.mutant(text)
        _case_checks(_raises_only(CaseFileError, cases_from_jsonl, mutant), mutant)


@ROUND_TRIP
@given(_grids, st.sampled_from([".csv", ".jsonl"]))
def test_case_exports_import_again(scratch: Path, grid: Any, suffix: str) -> None:
    cases, names = grid
    text = cases_to_csv(cases, names) if suffix == ".csv" else cases_to_jsonl(cases, names)
    # A CSV holds NUL as it is, and the decoder takes a NUL for a binary or BOM-less UTF-16 file.
    assume("\x00" not in text)
    path = scratch / f"cases{suffix}"
    path.write_text(text, encoding="utf-8")
    back = read_cases_file(path)
    assert len(back) <= len(cases)  # blank rows are skipped


@FUZZ
@given(_grids, seeds)
def test_case_files_raise_only_case_file_error(scratch: Path, grid: Any, seed: int) -> None:
    mutator = Mutator(seed)
    texts = (cases_to_csv(*grid), cases_to_jsonl(*grid))
    for _ in range(MUTANTS):
        path = scratch / f"cases{mutator.rng.choice(['.csv', '.jsonl', '.txt', ''])}"
        text = mutator.rng.choice(texts)
        path.write_bytes(mutator.file(mutator.text(text, edits=mutator.rng.randint(0, 2))))
        _case_checks(_raises_only(CaseFileError, read_cases_file, path))


# --- Prompt Lab: stored runs -----------------------------------------------------------------


@pytest.fixture(scope="module")
def lab(scratch: Path) -> Iterator[tuple[LabStore, int, dict[str, Any]]]:
    store = LabStore(scratch / "lab.sqlite3")
    case = TestCase({"q": "hi"}, Expectation(ExpectKind.CONTAINS, "h"), images=("a.png",))
    variant = Variant("A", Prompt("sys", "{{q}}"), "gpt-4o", {"temperature": 0.5}, version_id=1)
    run = LabRun(variants=[variant], cases=[case], samples=2)
    run.results[CellKey(case.id, variant.id)] = CellResult(
        CellStatus.OK, "hello", usage=Usage(3, 4), cost=Decimal("0.01"), latency_ms=5.0
    )
    run.results[CellKey(case.id, variant.id, 1)] = CellResult(CellStatus.ERROR, error="429")
    run_id = store.save_run(run)
    with sqlite3.connect(scratch / "lab.sqlite3") as conn:
        row = conn.execute(
            "SELECT variants, cases, results FROM runs WHERE id = ?", (run_id,)
        ).fetchone()
    conn.close()
    columns = {
        name: json.loads(value)
        for name, value in zip(("variants", "cases", "results"), row, strict=True)
    }
    yield store, run_id, columns
    store.close()


@FUZZ
@given(seeds)
def test_damaged_runs_raise_only_lab_store_error(
    scratch: Path, lab: tuple[LabStore, int, dict[str, Any]], seed: int
) -> None:
    store, run_id, columns = lab
    mutator = Mutator(seed)
    conn = sqlite3.connect(scratch / "lab.sqlite3")
    try:
        for _ in range(MUTANTS):
            column = mutator.rng.choice(sorted(columns))
            text = mutator.mutant(json.dumps(columns[column]), columns[column])
            text = text.encode("utf-8", "replace").decode()  # SQLite holds valid UTF-8 only
            with conn:
                conn.execute(f"UPDATE runs SET {column} = ? WHERE id = ?", (text, run_id))
            _raises_only(LabStoreError, store.load_run, run_id)
            with conn:
                conn.execute(
                    f"UPDATE runs SET {column} = ? WHERE id = ?",
                    (json.dumps(columns[column]), run_id),
                )
    finally:
        conn.close()


# --- pasted requests -------------------------------------------------------------------------

_chat_requests = _requests.flatmap(
    lambda r: st.lists(
        st.builds(
            Message,
            role=st.sampled_from(["system", "user", "assistant"]),
            content=_text,
            images=st.lists(_images, max_size=1).map(tuple),
        ),
        max_size=3,
    ).map(
        lambda m: ChatRequest(**{**_fields(r), "model": r.model or "gpt-4o", "messages": tuple(m)})
    )
)


def _fields(request: ChatRequest) -> dict[str, Any]:
    return {name: getattr(request, name) for name in request.__dataclass_fields__}


@FUZZ
@given(_chat_requests, st.booleans(), st.booleans(), seeds)
def test_pasted_requests_never_raise_nor_hit_the_safety_net(
    request: ChatRequest, stream: bool, azure: bool, seed: int
) -> None:
    mutator = Mutator(seed)
    body = codegen.to_json(request, stream=stream)
    curl = codegen.to_curl(
        request,
        base_url="https://x.openai.azure.com" if azure else "http://127.0.0.1:1/v1",
        stream=stream,
        azure=azure,
        deployment="dep" if azure else None,
        api_version="2024-10-21" if azure else None,
    )
    document = json.loads(body)
    for _ in range(MUTANTS):
        text = (
            mutator.mutant(body, document) if mutator.rng.random() < 0.5 else mutator.mutant(curl)
        )
        parsed = codegen.parse_request(text)
        assert not any("internal error" in p for p in parsed.problems), parsed.problems
        if parsed.request is None:
            assert parsed.problems
        parsed.messages_for_user()


@ROUND_TRIP
@given(_chat_requests, st.booleans())
def test_written_requests_read_back(request: ChatRequest, stream: bool) -> None:
    for text in (codegen.to_json(request, stream=stream), codegen.to_curl(request, stream=stream)):
        parsed = codegen.parse_request(text)
        assert parsed.request is not None, parsed.problems
        assert parsed.request.model == request.model


# --- Embeddings input files ------------------------------------------------------------------

_vectors = st.lists(
    st.tuples(_text, st.lists(st.floats(-1, 1), min_size=2, max_size=2)), max_size=4
)


@FUZZ
@given(_vectors, seeds)
def test_embeddings_files_raise_only_input_file_error(
    scratch: Path, rows: list[tuple[str, list[float]]], seed: int
) -> None:
    mutator = Mutator(seed)
    labels, vectors = [r[0] for r in rows], [r[1] for r in rows]
    write_vectors_jsonl(scratch / "v.jsonl", labels, vectors)
    write_vectors_csv(scratch / "v.csv", labels, vectors)
    texts = {
        suffix: (scratch / f"v{suffix}").read_text(encoding="utf-8")
        for suffix in (".jsonl", ".csv")
    }
    texts[".txt"] = "\n".join(labels)
    for _ in range(MUTANTS):
        suffix = mutator.rng.choice(sorted(texts))
        text = mutator.text(
            texts[mutator.rng.choice(sorted(texts))], edits=mutator.rng.randint(0, 3)
        )
        raw = mutator.file(text) if mutator.rng.random() < 0.5 else text.encode("utf-8", "replace")
        table = _raises_only(InputFileError, parse_table, f"in{suffix}", suffix, raw)
        if table is not None:
            assert table.default_column in table.columns
            for column in table.columns:
                table.column(column)
