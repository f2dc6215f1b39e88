"""Prompt Lab core: expectations, variables, case files, the grid runner, estimates, storage,
batches (against the fake server through the real SDK), and Compare's diff and similarity."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import openai
import pytest

from playground.core.api.errors import AppError, ErrorKind
from playground.core.chat.service import ChatService
from playground.core.compare.diff import mean_similarity, similarity, word_diff
from playground.core.lab.batch import BatchService, batch_jsonl, parse_batch_output
from playground.core.lab.store import LabStore, version_diff
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
    estimate_grid,
    needs_confirmation,
    problems,
    result_for,
    results_to_csv,
    results_to_json,
    run_grid,
)
from playground.core.models import Usage
from playground.core.money.pricing import Pricer
from playground.core.money.tokens import TiktokenCounter
from tests.fakes.openai_server import FakeOpenAI

SCHEMA = json.dumps(
    {
        "type": "object",
        "properties": {"city": {"type": "string"}, "score": {"type": "integer"}},
        "required": ["city", "score"],
    }
)


# --- expectations -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "text", "passed"),
    [
        (ExpectKind.CONTAINS, "paris", "The capital is Paris.", True),
        (ExpectKind.CONTAINS, "Rome", "The capital is Paris.", False),
        (ExpectKind.EQUALS, "Paris", "  Paris\n", True),
        (ExpectKind.EQUALS, "Paris", "Paris.", False),
        (ExpectKind.REGEX, r"^\d{3}-\d{4}$", "555-1234", True),
        (ExpectKind.REGEX, r"^\d{3}-\d{4}$", "call 555-1234", False),
        (ExpectKind.JSON, "", '{"a": 1}', True),
        (ExpectKind.JSON, "", '```json\n{"a": 1}\n```', True),
        (ExpectKind.JSON, "", "{'a': 1}", False),
        (ExpectKind.SCHEMA, SCHEMA, '{"city": "Paris", "score": 3}', True),
        (ExpectKind.SCHEMA, SCHEMA, '{"city": "Paris", "score": "high"}', False),
        (ExpectKind.SCHEMA, SCHEMA, "not json", False),
        (ExpectKind.NONE, "", "anything", None),
    ],
)
def test_every_expectation_type(
    kind: ExpectKind, value: str, text: str, passed: bool | None
) -> None:
    check = Expectation(kind, value).check(text)
    assert check.passed is passed
    assert bool(check.detail) == (passed is False)


def test_invalid_regex_and_schema_are_flagged_before_running() -> None:
    assert "regex is not valid" in (Expectation(ExpectKind.REGEX, "(unclosed").problem() or "")
    assert "not valid JSON" in (Expectation(ExpectKind.SCHEMA, "{nope").problem() or "")
    assert Expectation(ExpectKind.SCHEMA, '{"type": "banana"}').problem()
    assert "empty" in (Expectation(ExpectKind.CONTAINS, " ").problem() or "")
    assert Expectation(ExpectKind.JSON).problem() is None


def _variant(user: str = "Capital of {{country}}?", **fields: object) -> Variant:
    return Variant("A", Prompt("Answer in one word.", user), "gpt-4o-mini", dict(fields))


def test_variables_fill_the_request_and_missing_ones_are_flagged() -> None:
    variant = _variant("Capital of {{country}} in {{language}}?")
    case = TestCase({"country": "France", "language": "French"})
    request = variant.request(case)
    assert [m.content for m in request.messages] == [
        "Answer in one word.",
        "Capital of France in French?",
    ]
    assert problems([variant], [case]) == []
    found = problems([variant], [TestCase({"country": "Peru"})])
    assert found == ["Case 1: no value for {{language}}."]
    assert problems([variant], []) == ["Add at least one test case (a row in the case table)."]
    bad = TestCase({"country": "x", "language": "y"}, Expectation(ExpectKind.REGEX, "(("))
    assert any(p.startswith("Case 1: the regex is not valid") for p in problems([variant], [bad]))


def test_cases_round_trip_through_csv_and_jsonl() -> None:
    cases = [
        TestCase({"country": "France"}, Expectation(ExpectKind.CONTAINS, "Paris")),
        TestCase({"country": 'Côte d\'Ivoire, "quoted"\nnext line'}, Expectation()),
        TestCase({"country": "Japan"}, Expectation(ExpectKind.SCHEMA, SCHEMA)),
    ]
    for dump, load in ((cases_to_csv, cases_from_csv), (cases_to_jsonl, cases_from_jsonl)):
        back = load(dump(cases, ["country"]))
        assert [(c.values, c.expect) for c in back] == [(c.values, c.expect) for c in cases]


def test_case_files_with_mistakes_say_where() -> None:
    with pytest.raises(CaseFileError, match="Line 2: “maybe” is not a known check"):
        cases_from_csv("country,expect,expected\nFrance,maybe,Paris\n")
    with pytest.raises(CaseFileError, match="Line 2: not valid JSON"):
        cases_from_jsonl('{"vars": {"a": "1"}}\n{broken\n')
    with pytest.raises(CaseFileError, match="empty"):
        cases_from_csv("")
    flat = cases_from_jsonl('{"country": "Peru", "expect": "equals", "expected": "Lima"}\n')
    assert flat[0].values == {"country": "Peru"}
    assert flat[0].expect == Expectation(ExpectKind.EQUALS, "Lima")


# --- the grid runner -----------------------------------------------------------------------------


def _run(cases: int = 3, variants: int = 2, samples: int = 1) -> LabRun:
    return LabRun(
        variants=[
            Variant(f"V{i}", Prompt("", "Say {{x}}"), "gpt-4o-mini") for i in range(variants)
        ],
        cases=[
            TestCase({"x": str(i)}, Expectation(ExpectKind.CONTAINS, str(i))) for i in range(cases)
        ],
        samples=samples,
    )


async def test_grid_runs_with_bounded_concurrency() -> None:
    run = _run(cases=6, variants=2, samples=2)
    running = peak = 0

    async def execute(key: CellKey) -> CellResult:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        running -= 1
        return result_for(run.case(key.case_id), f"said {run.case(key.case_id).values['x']}")

    done: list[CellKey] = []
    await run_grid(
        run.cells(),
        execute,
        concurrency=3,
        on_done=lambda k, r: (done.append(k), run.results.__setitem__(k, r)),
        on_failed=lambda k, e: pytest.fail(str(e)),
    )
    assert len(done) == 24
    assert peak == 3
    summary = run.summary(run.variants[0].id)
    assert (summary.passed, summary.checked, summary.done, summary.total) == (12, 12, 12, 12)


async def test_rate_limited_cells_wait_retry_after_then_succeed(fake_openai: FakeOpenAI) -> None:
    run = _run(cases=1, variants=1)
    client = openai.AsyncOpenAI(base_url=fake_openai.base_url, api_key="test", max_retries=0)
    service = ChatService(lambda: client)
    fake_openai.rate_limit(retry_after=7, times=2, path="/chat/completions")
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async def execute(key: CellKey) -> CellResult:
        result = await service.stream(run.request(key), lambda _i, _t: None)
        return result_for(run.case(key.case_id), result.text)

    try:
        await run_grid(
            run.cells(),
            execute,
            on_done=run.results.__setitem__,
            on_failed=lambda _k, e: pytest.fail(str(e)),
            sleep=sleep,
        )
    finally:
        await client.close()
    assert waits == [7.0, 7.0]
    assert len(fake_openai.requests_to("/chat/completions")) == 3
    assert run.pending() == []


async def test_a_failed_or_cancelled_run_keeps_finished_cells_and_resumes_the_rest() -> None:
    run = _run(cases=4, variants=1)
    fail_on = run.cells()[1]
    calls: list[CellKey] = []

    async def execute(key: CellKey) -> CellResult:
        calls.append(key)
        if key == fail_on:
            raise AppError(ErrorKind.SERVER, "Server error", "The server failed (500).")
        return result_for(run.case(key.case_id), "ok")

    def failed(key: CellKey, error: AppError) -> None:
        run.results[key] = CellResult(CellStatus.ERROR, error=error.text)

    await run_grid(
        run.cells(), execute, concurrency=1, on_done=run.results.__setitem__, on_failed=failed
    )
    assert run.pending() == [fail_on]
    assert run.summary(run.variants[0].id).errors == 1

    calls.clear()
    await run_grid(
        run.pending(), execute_ok := _ok(run), on_done=run.results.__setitem__, on_failed=failed
    )
    assert execute_ok.calls == [fail_on]  # only the unfinished cell ran again
    assert run.pending() == []


class _ok:
    def __init__(self, run: LabRun) -> None:
        self.run = run
        self.calls: list[CellKey] = []

    async def __call__(self, key: CellKey) -> CellResult:
        self.calls.append(key)
        return result_for(self.run.case(key.case_id), "ok")


async def test_cancel_stops_the_grid_and_keeps_what_finished() -> None:
    run = _run(cases=5, variants=1)
    gate = asyncio.Event()

    async def execute(key: CellKey) -> CellResult:
        if key != run.cells()[0]:
            await gate.wait()  # never set: these are in flight when the run is cancelled
        return result_for(run.case(key.case_id), "ok")

    task = asyncio.ensure_future(
        run_grid(
            run.cells(),
            execute,
            concurrency=5,
            on_done=run.results.__setitem__,
            on_failed=lambda *_: None,
        )
    )
    while not run.results:  # noqa: ASYNC110 (a dict has no event to await)
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert list(run.results) == [run.cells()[0]]
    assert len(run.pending()) == 4


# --- cost guard ---------------------------------------------------------------------------------


def test_estimate_gives_a_range_and_the_guard_asks_above_the_threshold() -> None:
    run = _run(cases=10, variants=2)
    run.variants[1] = Variant(
        "capped", Prompt("", "Say {{x}}"), "gpt-4o-mini", {"max_output_tokens": 50}
    )
    pricer = Pricer()
    counter = TiktokenCounter()
    estimate = estimate_grid(
        [run.request(k) for k in run.cells()],
        counter.count_messages,
        lambda model, usage: pricer.cost(model, usage),
    )
    assert estimate.requests == 20
    assert estimate.open_ended == 10
    assert Decimal(0) < estimate.low < estimate.high
    assert needs_confirmation(estimate, Decimal("0.0001"))
    assert not needs_confirmation(estimate, Decimal("100"))
    batch = pricer.cost("gpt-4o-mini", Usage(1000, 1000), batch=True)
    full = pricer.cost("gpt-4o-mini", Usage(1000, 1000))
    assert batch is not None
    assert full is not None
    assert batch < full


# --- storage ------------------------------------------------------------------------------------


def test_versions_are_stored_with_labels_and_diffed(tmp_path: Path) -> None:
    with LabStore(tmp_path / "lab.sqlite3") as store:
        v1 = store.save_version(Prompt("Be brief.", "Capital of {{country}}?"), "first")
        v2 = store.save_version(Prompt("Be brief.", "What is the capital of {{country}}?"))
        assert [v.id for v in store.versions()] == [v2.id, v1.id]
        store.set_label(v2.id, "clearer")
    with LabStore(tmp_path / "lab.sqlite3") as store:
        again = store.version(v2.id)
        assert again is not None
        assert again.label == "clearer"
        diff = version_diff(v1, again)
    assert "-Capital of {{country}}?" in diff
    assert "+What is the capital of {{country}}?" in diff
    assert " Be brief." in diff


def test_runs_are_stored_with_their_versions_and_results(tmp_path: Path) -> None:
    run = _run(cases=2, variants=1)
    key = run.cells()[0]
    run.results[key] = result_for(
        run.case(key.case_id),
        "said 0",
        usage=Usage(10, 3),
        cost=Decimal("0.00012"),
        latency_ms=420.0,
    )
    with LabStore(tmp_path / "lab.sqlite3") as store:
        version = store.save_version(run.variants[0].prompt, "v")
        run.variants[0] = Variant(
            "V0",
            version.prompt,
            "gpt-4o-mini",
            {"temperature": 0.2},
            version.id,
            run.variants[0].id,
        )
        run_id = store.save_run(run)
        loaded = store.load_run(run_id)
    assert loaded is not None
    assert loaded.variants[0].version_id == version.id
    assert loaded.variants[0].fields == {"temperature": 0.2}
    assert loaded.results == run.results
    assert loaded.pending() == run.pending()


def test_results_export_as_csv_and_json() -> None:
    run = _run(cases=2, variants=2)
    key = run.cells()[0]
    run.results[key] = result_for(
        run.case(key.case_id), "said 0", usage=Usage(5, 2), cost=Decimal("0.001"), latency_ms=100.0
    )
    text = results_to_csv(run)
    header = text.splitlines()[0]
    assert "var:x" in header
    assert "passed" in header
    assert len(text.splitlines()) == 5
    data = json.loads(results_to_json(run))
    assert data["summary"][0]["passed"] == 1
    assert data["summary"][0]["cost"] == "0.001"
    assert data["cells"][1]["status"] == "not run"


# --- batch --------------------------------------------------------------------------------------


def test_batch_jsonl_has_one_request_per_cell() -> None:
    run = _run(cases=2, variants=1, samples=2)
    run.variants[0] = Variant(
        "A", Prompt("Sys", "Say {{x}}"), "gpt-4o-mini", {"temperature": 0.5}, id="v1"
    )
    lines = [
        json.loads(line)
        for line in batch_jsonl((k, run.request(k)) for k in run.cells()).splitlines()
    ]
    assert len(lines) == 4
    assert len({line["custom_id"] for line in lines}) == 4
    first = lines[0]
    assert first["method"] == "POST"
    assert first["url"] == "/v1/chat/completions"
    assert first["body"] == {
        "model": "gpt-4o-mini",
        "messages": [{"role": "system", "content": "Sys"}, {"role": "user", "content": "Say 0"}],
        "temperature": 0.5,
    }
    assert CellKey.from_custom_id(first["custom_id"]) == run.cells()[0]


async def test_batch_round_trip_maps_results_back_by_custom_id(fake_openai: FakeOpenAI) -> None:
    fake_openai.scenario.reply_text = lambda body: body["messages"][-1]["content"].upper()
    run = _run(cases=3, variants=1)
    fake_openai.batches.fail_ids = {run.cells()[2].custom_id}
    client = openai.AsyncOpenAI(base_url=fake_openai.base_url, api_key="test", max_retries=0)
    service = BatchService(lambda: client)
    try:
        status = await service.submit(batch_jsonl((k, run.request(k)) for k in run.cells()))
        assert status.status == "validating"
        upload = fake_openai.last("/files")
        assert upload.form["purpose"] == "batch"
        created = fake_openai.last("/batches").json or {}
        assert created["endpoint"] == "/v1/chat/completions"
        assert created["completion_window"] == "24h"
        seen = [status.status]
        while not status.done:
            status = await service.status(status.id)
            seen.append(status.status)
        assert seen[-1] == "completed"
        assert "in_progress" in seen
        assert (status.completed, status.failed, status.total) == (2, 1, 3)
        items = {item.key: item for item in await service.results(status)}
    finally:
        await client.close()
    assert items[run.cells()[0]].text == "SAY 0"
    assert items[run.cells()[1]].text == "SAY 1"
    assert items[run.cells()[1]].usage is not None
    assert items[run.cells()[1]].finish_reason == "stop"
    assert "does not exist" in items[run.cells()[2]].error


def test_batch_output_lines_without_a_cell_are_skipped() -> None:
    assert parse_batch_output('{"custom_id": "nonsense"}\n\n{}\n') == []


# --- compare ------------------------------------------------------------------------------------


def test_word_diff_marks_what_differs_and_keeps_the_text() -> None:
    left, right = word_diff("The sky is blue today.", "The sky is grey\ntoday.")
    assert "".join(p.text for p in left) == "The sky is blue today."
    assert "".join(p.text for p in right) == "The sky is grey\ntoday."
    assert [p.text.strip() for p in left if p.changed] == ["blue"]
    assert [p.text.strip() for p in right if p.changed] == ["grey"]


def test_similarity_of_samples() -> None:
    assert similarity("a b c", "a b c") == 1.0
    assert similarity("", "") == 1.0
    assert similarity("a b c d", "w x y z") == 0.0
    assert mean_similarity(["one"]) is None
    value = mean_similarity(["red green blue", "red green blue", "red green yellow"])
    assert value is not None
    assert 0.6 < value < 1.0


def test_stored_timestamps_are_aware(tmp_path: Path) -> None:
    with LabStore(tmp_path / "lab.sqlite3") as store:
        version = store.save_version(Prompt("", "x"), at=datetime(2026, 1, 2, tzinfo=UTC))
        assert store.versions()[0].created_at == version.created_at


def test_column_numbers_line() -> None:
    from playground.core.compare.diff import SampleOutcome, column_summary

    one = column_summary([SampleOutcome(Usage(12, 30), Decimal("0.0012"), 850.0, 210.0, "stop")])
    assert one == "12 tok in · 30 tok out · $0.0012 · 850 ms · first token 210 ms · finish: stop"
    many = column_summary(
        [
            SampleOutcome(Usage(12, 30), Decimal("0.001"), 800.0, 200.0, "stop"),
            SampleOutcome(Usage(12, 50), None, 1200.0, 300.0, "length"),
            SampleOutcome(Usage(12, 5, estimated=True), Decimal("0.0001"), 400.0, None, "", "boom"),
        ]
    )
    assert many.startswith("≈36 tok in · ≈85 tok out · ≈$0.0011 + ?")
    assert "median 800 ms" in many
    assert "finish: stop ×1, length ×1, error ×1" in many
    assert column_summary([]) == ""
