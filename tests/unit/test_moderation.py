"""Moderation core: items, batching, results read from the API's answer, thresholds, CSV, service."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from openai import AsyncOpenAI

from playground.core.api.errors import AppError, ErrorKind
from playground.core.moderation.service import (
    CATEGORY_INFO,
    MAX_TEXTS_PER_REQUEST,
    BatchResult,
    ModerationItem,
    ModerationResult,
    ModerationService,
    build_items,
    category_title,
    csv_text,
    evaluate,
    model_info,
    plan_batches,
    split_lines,
    table_rows,
    write_csv,
)
from tests.fakes import openai_payloads as payloads
from tests.fakes.openai_server import FakeOpenAI


@pytest.fixture
async def client(fake_openai: FakeOpenAI) -> AsyncIterator[AsyncOpenAI]:
    client = AsyncOpenAI(base_url=fake_openai.base_url, api_key="test", max_retries=0)
    yield client
    await client.close()


def test_lines_become_items_and_empty_lines_are_counted() -> None:
    texts, skipped = split_lines("one\n\n  two  \n   \nthree\n\n")
    assert texts == ["one", "two", "three"]
    assert skipped == 2  # trailing blank lines are not counted
    plan = build_items("a\n\nb", many=True, images=[("https://x/y.png", "y.png")])
    assert [i.text for i in plan.items] == ["a", "b", ""]
    assert plan.items[2].image_url == "https://x/y.png"
    assert plan.skipped_empty == 1
    assert "1 empty line skipped." in plan.notes()


def test_several_lines_as_one_item_get_a_hint() -> None:
    plan = build_items("one\ntwo\nthree", many=False)
    assert [i.text for i in plan.items] == ["one\ntwo\nthree"]
    assert any("3 lines were checked together" in n for n in plan.notes())
    assert build_items("just one", many=False).notes() == []


def test_one_text_with_one_image_is_one_item_and_text_models_drop_images() -> None:
    plan = build_items("caption", many=False, images=[("https://x/p.png", "p.png")])
    assert len(plan.items) == 1
    assert plan.items[0].to_input() == [
        {"type": "text", "text": "caption"},
        {"type": "image_url", "image_url": {"url": "https://x/p.png"}},
    ]
    text_only = build_items(
        "caption", many=False, images=[("https://x/p.png", "p")], model="text-moderation-latest"
    )
    assert [i.has_image for i in text_only.items] == [False]
    assert text_only.images_dropped == 1
    assert any("text only" in n for n in text_only.notes())


def test_model_capabilities() -> None:
    assert model_info("omni-moderation-latest").images
    assert model_info("omni-moderation-2024-09-26").images
    assert not model_info("text-moderation-stable").images
    assert model_info("text-moderation-stable").retired
    assert not model_info("some-local-guard").images


def test_batches_respect_count_and_size_limits_and_images_go_alone() -> None:
    items = [ModerationItem(f"text {i}") for i in range(70)]
    items.insert(5, ModerationItem("", "https://x/a.png", "a.png"))
    batches = plan_batches(items)
    sizes = [len(b.indexes) for b in batches]
    assert sizes == [5, 1, MAX_TEXTS_PER_REQUEST, MAX_TEXTS_PER_REQUEST, 70 - 5 - 64]
    assert batches[1].input == [{"type": "image_url", "image_url": {"url": "https://x/a.png"}}]
    assert [i for b in batches for i in b.indexes] == list(range(71))
    by_chars = plan_batches([ModerationItem("x" * 40) for _ in range(5)], max_chars=100)
    assert [len(b.indexes) for b in by_chars] == [2, 2, 1]
    only_some = plan_batches(items, [0, 1, 50])
    assert [b.indexes for b in only_some] == [(0, 1, 50)]


def test_categories_come_from_the_answer_and_unknown_ones_are_kept() -> None:
    raw = payloads.moderation_result(["I will kill it"])
    raw["category_scores"]["brand-new/category"] = 0.7
    raw["categories"]["brand-new/category"] = True
    result = ModerationResult.from_api(raw)
    assert result.names[: len(payloads.MODERATION_CATEGORIES)] == list(
        payloads.MODERATION_CATEGORIES
    )
    assert "brand-new/category" in result.names
    assert category_title("brand-new/category") == "Brand-new: category"
    assert category_title("self-harm/intent") == CATEGORY_INFO["self-harm/intent"].title
    assert result.top()[0] == "violence"
    assert result.applied["violence"] == ("text",)


def test_thresholds_against_the_api_flags() -> None:
    result = ModerationResult(
        flagged=True,
        categories={"hate": True, "violence": False, "sexual": False},
        scores={"hate": 0.62, "violence": 0.31, "sexual": 0.01},
    )
    default = evaluate(result, {})
    assert default.blocked_by == ("hate",)
    assert default.only_yours == ()
    assert default.only_api == ()
    strict = evaluate(result, {"violence": 0.3})
    assert strict.blocked_by == ("hate", "violence")
    assert strict.only_yours == ("violence",)
    lenient = evaluate(result, {"hate": 0.9})
    assert not lenient.blocked
    assert lenient.only_api == ("hate",)


def test_table_rows_and_csv_round_trip(tmp_path: Path) -> None:
    items = [ModerationItem("hello"), ModerationItem("I hate this, café"), ModerationItem("x")]
    results = {
        0: ModerationResult.from_api(payloads.moderation_result(["hello"])),
        1: ModerationResult.from_api(payloads.moderation_result(["I hate this, café"])),
    }
    rows = table_rows(items, results, {})
    assert [(r.index, r.flagged, r.top_category) for r in rows] == [
        (0, False, rows[0].top_category),
        (1, True, "hate"),
    ]
    path = tmp_path / "out.csv"
    write_csv(path, items, results, {"hate": 0.99})
    text = path.read_text(encoding="utf-8-sig")
    assert text == csv_text(items, results, {"hate": 0.99})
    table = list(csv.DictReader(io.StringIO(text)))
    assert [r["item"] for r in table] == ["1", "2"]
    assert table[1]["text"] == "I hate this, café"
    assert table[1]["flagged"] == "yes"
    assert table[1]["blocked_at_your_thresholds"] == "no"
    assert float(table[1]["score:hate"]) == pytest.approx(results[1].scores["hate"], abs=1e-6)
    assert len([k for k in table[0] if k.startswith("score:")]) == 13


async def test_service_runs_batches_and_keeps_results_before_a_failure(
    fake_openai: FakeOpenAI, client: AsyncOpenAI
) -> None:
    service = ModerationService(lambda: client)
    items = [ModerationItem(t) for t in ("hi", "kill", "fine")] + [
        ModerationItem("a photo", "https://example.com/gore.png", "gore.png")
    ]
    batches = plan_batches(items)
    got: list[BatchResult] = []
    sent = await service.run("omni-moderation-latest", batches, got.append)
    assert sent == 2
    assert [len(b.results) for b in got] == [3, 1]
    assert [r.flagged for r in got[0].results] == [False, True, False]
    image = got[1].results[0]
    assert image.flagged
    assert image.categories["violence/graphic"]
    assert image.applied["violence"] == ("text", "image")
    assert image.applied["hate"] == ("text",)
    bodies = [r.json for r in fake_openai.requests_to("/v1/moderations")]
    assert bodies[0]["input"] == ["hi", "kill", "fine"]
    assert bodies[1]["input"][1]["type"] == "image_url"

    got.clear()

    def fail_after_first(result: BatchResult) -> None:
        got.append(result)
        fake_openai.fail_next(503)  # the next batch fails

    with pytest.raises(AppError) as caught:
        await service.run("omni-moderation-latest", batches, fail_after_first)
    assert caught.value.kind != ErrorKind.LOCAL
    assert caught.value.status == 503
    assert [b.batch.indexes for b in got] == [(0, 1, 2)]  # the first batch is kept


async def test_an_unreadable_answer_is_reported(
    fake_openai: FakeOpenAI, client: AsyncOpenAI
) -> None:
    fake_openai.invalid_json_next()
    service = ModerationService(lambda: client)
    with pytest.raises(AppError) as caught:
        await service.check_texts("omni-moderation-latest", ["hello"])
    assert caught.value.title == "Unreadable answer"
    answer = await service.check_texts("omni-moderation-latest", ["hello", "kill"])
    assert [r.flagged for r in answer.results] == [False, True]
    # The categories keep the order of the answer on the wire.
    assert answer.results[0].names == list(payloads.MODERATION_CATEGORIES)


def test_merge_gives_one_verdict_for_a_message() -> None:
    from playground.core.moderation.service import merge, summary

    text = ModerationResult.from_api(payloads.moderation_result(["hello"]))
    image = ModerationResult.from_api(
        payloads.moderation_result([], ["https://example.com/gore.png"])
    )
    merged = merge([text, image])
    assert merged.flagged
    assert merged.categories["violence/graphic"]
    assert merged.scores["violence/graphic"] == image.scores["violence/graphic"]
    assert merged.scores["hate"] == max(text.scores["hate"], image.scores["hate"])
    assert merged.applied["violence"] == ("text", "image")
    assert summary(merged)[0] == "⚠ Flagged: Violence: graphic"
    assert summary(text)[0] == "✓ Not flagged"
    assert "Moderation: highest scores" in summary(text)[1]


async def test_text_models_refuse_images(fake_openai: FakeOpenAI, client: AsyncOpenAI) -> None:
    fake_openai.scenario.models.append("text-moderation-latest")
    service = ModerationService(lambda: client)
    batch = plan_batches([ModerationItem("", "https://x/a.png", "a")])[0]
    with pytest.raises(AppError) as caught:
        await service.moderate("text-moderation-latest", batch)
    assert caught.value.status == 400
