"""Prompt Lab cases with pictures (core): files, import/export, checks and requests."""

from __future__ import annotations

from pathlib import Path

import pytest

from playground.core.lab.store import case_from_dict, case_to_dict
from playground.core.lab.suite import (
    CaseImageError,
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
    prepare_case_images,
    problems,
    resolve_case_images,
    split_images,
)
from tests.fakes import openai_payloads as payloads


def _png(path: Path, width: int = 64, height: int = 48) -> Path:
    path.write_bytes(payloads.make_image(width, height, path.name))
    return path


def test_pictures_are_split_on_bars_and_lines() -> None:
    assert split_images(" a.png | https://x.test/b.jpg\nc.webp ") == (
        "a.png",
        "https://x.test/b.jpg",
        "c.webp",
    )
    assert split_images("  ") == ()


def test_csv_and_jsonl_carry_pictures_both_ways() -> None:
    cases = [
        TestCase({"q": "What is it?"}, Expectation(ExpectKind.CONTAINS, "cat"), images=("a.png",)),
        TestCase({"q": "And this?"}, images=("b.png", "https://x.test/c.jpg")),
        TestCase({"q": "No picture"}),
    ]
    for write, read in ((cases_to_csv, cases_from_csv), (cases_to_jsonl, cases_from_jsonl)):
        back = read(write(cases, ["q"]))
        assert [c.images for c in back] == [c.images for c in cases]
        assert [dict(c.values) for c in back] == [dict(c.values) for c in cases]
    assert "images" not in cases_to_csv([TestCase({"q": "x"})], ["q"])  # no column when unused
    assert [c.images for c in cases_from_jsonl('{"q": "x", "images": "a.png | b.png"}\n')] == [
        ("a.png", "b.png")
    ]
    with pytest.raises(ValueError, match="list of paths"):
        cases_from_jsonl('{"q": "x", "images": 3}\n')


def test_saved_cases_keep_their_pictures() -> None:
    case = TestCase({"q": "x"}, images=("/p/a.png",))
    assert case_from_dict(case_to_dict(case)) == case
    assert "images" not in case_to_dict(TestCase({"q": "x"}))


def test_relative_paths_are_read_next_to_the_imported_file(tmp_path: Path) -> None:
    cases = [TestCase({}, images=("photos/a.png", "/abs/b.png", "https://x.test/c.png"))]
    [case] = resolve_case_images(cases, tmp_path)
    assert case.images == (str(tmp_path / "photos/a.png"), "/abs/b.png", "https://x.test/c.png")


def test_pictures_are_prepared_once_and_go_into_the_user_message(tmp_path: Path) -> None:
    photo = _png(tmp_path / "cat.png")
    cases = [
        TestCase({"q": "What animal?"}, images=(str(photo), "https://x.test/dog.jpg")),
        TestCase({"q": "Again?"}, images=(str(photo),)),
    ]
    images = prepare_case_images(cases)
    assert set(images) == {str(photo), "https://x.test/dog.jpg"}
    assert images[str(photo)].url.startswith("data:image/png;base64,")
    assert (images[str(photo)].width, images[str(photo)].height) == (64, 48)
    variant = Variant("A", Prompt(user="{{q}}"), "gpt-4o-mini")
    run = LabRun([variant], cases, images=images)
    [first, second] = run.cells()
    user = run.request(first).messages[-1]
    assert user.content == "What animal?"
    assert [p.url for p in user.images] == [images[str(photo)].url, "https://x.test/dog.jpg"]
    body = run.request(second).to_api(stream=False)
    assert body["messages"][-1]["content"][1]["type"] == "image_url"


def test_a_picture_that_cannot_be_used_names_its_case(tmp_path: Path) -> None:
    good = _png(tmp_path / "ok.png")
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a picture")
    cases = [TestCase({}, images=(str(good),)), TestCase({}, images=(str(broken),))]
    with pytest.raises(CaseImageError, match=r"^Case 2: "):
        prepare_case_images(cases)
    with pytest.raises(CaseImageError, match=r"^Case 1: "):
        prepare_case_images([TestCase({}, images=(str(tmp_path / "missing.png"),))])


def test_a_model_that_cannot_see_is_refused_for_pictured_cases() -> None:
    cases = [TestCase({"q": "x"}), TestCase({"q": "y"}, images=("https://x.test/a.png",))]
    blind = Variant("Old", Prompt(user="{{q}}"), "gpt-3.5-turbo")
    seeing = Variant("New", Prompt(user="{{q}}"), "gpt-4o-mini")
    found = problems([blind, seeing], cases)
    assert any("Old" in p and "does not take pictures" in p and "case 2" in p for p in found)
    assert not any("New" in p for p in found)
    assert not problems([blind], cases[:1])  # no pictures: any model


def test_the_cost_estimate_counts_the_pictures(tmp_path: Path) -> None:
    from decimal import Decimal

    from playground.core.chat.vision import image_tokens
    from playground.core.lab.suite import estimate_grid
    from playground.core.models import Usage

    photo = _png(tmp_path / "big.png", 1024, 1024)
    cases = [TestCase({"q": "x"}), TestCase({"q": "x"}, images=(str(photo),))]
    run = LabRun([Variant("A", Prompt(user="{{q}}"), "gpt-4o-mini")], cases)
    run.images = prepare_case_images(cases)
    plain, pictured = (run.request(k) for k in run.cells())

    def count(messages: object, _model: str) -> int:
        return 10

    def cost(_model: str, usage: Usage) -> Decimal:
        return Decimal(usage.input_tokens)

    assert estimate_grid([plain], count, cost).input_tokens == 10
    assert estimate_grid([pictured], count, cost).input_tokens == 10 + image_tokens(1024, 1024)
