"""Batches (`core/platform/batches.py`): the line checks, building, mapping back, costs, back-off,
and the service against the fake server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from openai import AsyncOpenAI

from playground.core.api.errors import AppError
from playground.core.models import Usage
from playground.core.money.pricing import Pricer
from playground.core.platform.batches import (
    Backoff,
    BatchesService,
    BatchParams,
    ResultRow,
    batch_costs,
    check_batch_file,
    input_estimate,
    prompts_to_jsonl,
    read_results,
    results_csv,
)
from tests.fakes.openai_server import FakeOpenAI


def _line(custom_id: object = "a", **changes: object) -> str:
    item: dict[str, object] = {
        "custom_id": custom_id,
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]},
    }
    item.update(changes)
    return json.dumps(item)


def test_every_kind_of_problem_is_found_at_its_line() -> None:
    lines = [
        _line("a"),  # 1: fine
        "{not json",  # 2
        _line("a"),  # 3: duplicate of line 1
        _line(""),  # 4: no custom_id
        _line("b", method="GET"),  # 5
        _line("c", url="/v1/images/generations"),  # 6
        _line("d", body={"model": "gpt-4o-mini"}),  # 7: no messages
        _line("e", body={"model": "no-such-model", "messages": [{"role": "user", "content": "x"}]}),
        "",  # 9: blank lines are skipped
        _line("f", url="/v1/embeddings", body={"model": "text-embedding-3-small", "input": "x"}),
        "[1, 2]",  # 11
    ]
    check = check_batch_file(
        "\n".join(lines).encode(), models=["gpt-4o-mini", "text-embedding-3-small"]
    )
    assert not check.ok
    assert [(p.line, p.message) for p in check.problems] == [
        (2, "This line is not valid JSON."),
        (3, 'custom_id "a" is already used on line 1.'),
        (4, "custom_id is missing (every request needs its own)."),
        (5, 'method must be "POST".'),
        (
            6,
            'url "/v1/images/generations" is not one the Batch API takes here '
            "(/v1/chat/completions, /v1/responses, /v1/embeddings, /v1/moderations).",
        ),
        (7, "body has no messages."),
        (8, "The model no-such-model is not in your provider's model list."),
        (
            10,
            "url /v1/embeddings differs from the first request's /v1/chat/completions; "
            "a batch has one endpoint.",
        ),
        (11, "Each line must be one JSON object."),
    ]
    assert check.problems[0].text == "Line 2: This line is not valid JSON."
    assert check.summary == "9 problems found; nothing was uploaded. Fix them and check again."


def test_file_level_problems_encoding_and_request_count() -> None:
    latin = check_batch_file("caf\xe9".encode("latin-1"))
    assert latin.problems[0].line == 0
    assert not latin.ok
    many = "\n".join(_line(f"r{i}") for i in range(50_001)).encode()
    check = check_batch_file(many)
    assert [p.message for p in check.problems] == [
        "The file has 50,001 requests; a batch takes at most 50,000. Split it into several batches."
    ]
    assert check_batch_file(b"\n\n").problems[0].message == "The file has no requests."


def test_a_prompt_list_becomes_checked_requests_with_one_parameter_set() -> None:
    data = prompts_to_jsonl(
        ["Inception", "", "Up"],
        BatchParams("gpt-4o-mini", system="Name the genre.", max_output_tokens=20),
    )
    check = check_batch_file(data, models=["gpt-4o-mini"])
    assert check.ok
    assert check.summary == "2 requests, ready to send."
    assert [r.custom_id for r in check.requests] == ["prompt-1", "prompt-3"]
    assert check.requests[1].body == {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "Name the genre."},
            {"role": "user", "content": "Up"},
        ],
        "max_completion_tokens": 20,
    }
    assert check.requests[1].input_text == "Up"


def test_results_are_mapped_back_by_custom_id_in_input_order() -> None:
    check = check_batch_file("\n".join(_line(i) for i in ("x", "y", "z")).encode())
    out = json.dumps(
        {
            "custom_id": "z",
            "response": {
                "status_code": 200,
                "body": {
                    "model": "gpt-4o-mini",
                    "choices": [{"message": {"content": "Zed"}}],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12},
                },
            },
        }
    )
    err = json.dumps(
        {
            "custom_id": "x",
            "response": None,
            "error": {"message": "Expired", "code": "batch_expired"},
        }
    )
    rows = read_results(check.requests, out, err)
    assert [(r.custom_id, r.output, r.error) for r in rows] == [
        ("x", "", "Expired"),
        ("y", "", "No answer came back for this request."),
        ("z", "Zed", ""),
    ]
    assert rows[2].usage == Usage(input_tokens=10, output_tokens=2)
    assert results_csv(rows).splitlines()[0] == "custom_id,input,output,error"


def test_cost_at_the_batch_price_against_live_checked_by_hand() -> None:
    pricer = Pricer()
    prices = pricer.prices("gpt-4o-mini")
    assert prices is not None
    assert prices.input_per_mtok is not None
    assert prices.output_per_mtok is not None
    rows = [
        ResultRow("a", "x", "y", model="gpt-4o-mini", usage=Usage(1000, 500)),
        ResultRow("b", "x", "y", model="gpt-4o-mini", usage=Usage(3000, 1500)),
        ResultRow("c", "x", error="failed"),
    ]
    costs = batch_costs(rows, pricer, "openai")
    live = (prices.input_per_mtok * 4000 + prices.output_per_mtok * 2000) / Decimal(1_000_000)
    assert costs.live == live
    assert costs.batch == live / 2  # the Batch API's half price
    assert costs.requests == 2
    unknown = batch_costs(
        [ResultRow("a", "x", "y", model="my-own-model", usage=Usage(10, 10))], pricer, "openai"
    )
    assert unknown.batch is None
    assert unknown.live is None


def test_backoff_grows_while_nothing_changes_and_after_errors() -> None:
    backoff = Backoff(first=2, longest=20, after_error=15)
    assert [backoff.unchanged() for _ in range(5)] == [4, 8, 16, 20, 20]
    assert backoff.changed() == 2
    assert backoff.failed() == 15
    assert backoff.failed(retry_after=70) == 70
    assert backoff.changed() == 2


@pytest.fixture
async def client(fake_openai: FakeOpenAI) -> AsyncIterator[AsyncOpenAI]:
    api = AsyncOpenAI(base_url=fake_openai.base_url, api_key="test", max_retries=0)
    yield api
    await api.close()


async def test_service_creates_follows_and_maps_back(
    fake_openai: FakeOpenAI, client: AsyncOpenAI
) -> None:
    service = BatchesService(lambda: client)
    data = prompts_to_jsonl(["one", "two", "three"], BatchParams("gpt-4o-mini"))
    check = check_batch_file(data)
    fake_openai.batches.fail_ids = {"prompt-2"}
    created = await service.create("genres.jsonl", data, check)
    assert created.status == "validating"
    assert fake_openai.last("/v1/batches").json["metadata"] == {"name": "genres.jsonl"}
    info = created
    while not info.done:
        (info,) = await service.refresh([info.id])
    assert info.status == "completed"
    rows = await service.results(info)
    assert [(r.custom_id, r.input, bool(r.output), bool(r.error)) for r in rows] == [
        ("prompt-1", "one", True, False),
        ("prompt-2", "two", False, True),
        ("prompt-3", "three", True, False),
    ]
    listed, more = await service.list_page()
    assert [b.id for b in listed] == [info.id]
    assert not more


async def test_nothing_is_sent_for_a_file_with_problems(
    fake_openai: FakeOpenAI, client: AsyncOpenAI
) -> None:
    data = b"{broken\n"
    with pytest.raises(AppError, match="nothing was uploaded"):
        await BatchesService(lambda: client).create("x.jsonl", data, check_batch_file(data))
    assert fake_openai.requests == []


def test_the_input_estimate_at_the_batch_and_live_price_by_hand() -> None:
    data = prompts_to_jsonl(
        ["one two three", "four"], BatchParams("gpt-4o-mini", system="Be brief.")
    )
    check = check_batch_file(data)
    tokens, costs = input_estimate(
        check.requests, lambda text, _model: len(text.split()), Pricer(), "openai"
    )
    # Each request: 3 + (4 + 2 words of instructions) + (4 + its words).
    assert tokens == (3 + 6 + 4 + 3) + (3 + 6 + 4 + 1)
    prices = Pricer().prices("gpt-4o-mini")
    assert prices is not None
    assert prices.input_per_mtok is not None
    live = prices.input_per_mtok * tokens / Decimal(1_000_000)
    assert costs.live == live
    assert costs.batch == live / 2
