"""Images core: the capability table, request building and checks, estimates, uploads and masks,
the gallery library, and the service against the fake server through the real SDK."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from openai import AsyncOpenAI
from PIL import Image

from playground.core.api.errors import ErrorKind
from playground.core.images.caps import (
    ImageRequest,
    aspect_label,
    check_request,
    check_size,
    estimate_usage,
    image_spec,
    suggested_sizes,
)
from playground.core.images.files import ImageProblem, mask_png, prepare_upload
from playground.core.images.library import ImageLibrary
from playground.core.images.service import ImageService, PolicyRefusal
from playground.core.models import Usage
from playground.core.money.pricing import Pricer
from tests.fakes import openai_payloads as payloads
from tests.fakes.openai_server import FakeOpenAI


def png(width: int, height: int, seed: str = "s", fmt: str = "png") -> bytes:
    return payloads.make_image(width, height, seed, fmt=fmt)


# --- capability table ------------------------------------------------------------------------


def test_gpt_image_models_offer_auto_sizes_and_no_dalle_options() -> None:
    spec = image_spec("gpt-image-1.5")
    assert spec.sizes[0] == "auto"
    assert spec.qualities == ("auto", "low", "medium", "high")
    assert spec.styles == ()
    assert spec.backgrounds == ("auto", "opaque", "transparent")
    assert spec.output_formats == ("png", "jpeg", "webp")
    assert spec.max_partial_images == 3
    assert spec.edit
    assert spec.mask
    assert not spec.variations
    assert spec.input_fidelity == ("low", "high")
    assert image_spec("gpt-image-1-mini").input_fidelity == ("low",)
    assert image_spec("gpt-image-2").input_fidelity == ()
    assert image_spec("gpt-image-2.5-flare").qualities[-2:] == ("xhigh", "max")


def test_dalle_facts() -> None:
    d2, d3 = image_spec("dall-e-2"), image_spec("dall-e-3")
    assert d2.variations
    assert d2.edit_square
    assert d2.edit_formats == ("PNG",)
    assert d2.max_prompt == 1000
    assert d2.max_partial_images == 0
    assert d2.qualities == ()
    assert d3.styles == ("vivid", "natural")
    assert d3.max_n == 1
    assert not d3.edit
    assert "retired" in d3.note


def test_models_that_take_any_size_suggest_the_common_aspect_ratios() -> None:
    spec = image_spec("gpt-image-2")
    sizes = suggested_sizes(spec)
    assert sizes[: len(spec.sizes)] == spec.sizes  # the model's own sizes first
    ratios = {aspect_label(s) for s in sizes}
    assert {"16:9", "9:16", "4:3", "3:4", "21:9", "3:2", "1:1"} <= ratios
    assert "3840x2160" in sizes  # 4K, exactly the pixel limit
    assert all(check_size(spec, s) == "" for s in sizes)  # every suggestion is within the limits
    assert len(set(sizes)) == len(sizes)
    # Fixed-size models and variations get their own list only.
    fixed = image_spec("gpt-image-1")
    assert suggested_sizes(fixed) == fixed.sizes
    assert suggested_sizes(spec, "variation") == spec.sizes_for("variation")


def test_aspect_labels() -> None:
    assert aspect_label("1536x864") == "16:9"
    assert aspect_label("1536x656") == "21:9"  # 656 is the multiple of 16 nearest 21:9
    assert aspect_label("1024x1536") == "2:3"
    assert aspect_label("1000x700") == ""  # no common ratio
    assert aspect_label("auto") == ""


def test_custom_sizes_only_where_the_model_takes_them() -> None:
    assert check_size(image_spec("gpt-image-2"), "1536x864") == ""
    assert "multiples of 16" in check_size(image_spec("gpt-image-2"), "1000x1000")
    assert "longest side" in check_size(image_spec("gpt-image-2"), "4096x1024")
    assert "times as wide" in check_size(image_spec("gpt-image-2"), "3072x512")
    assert "makes" in check_size(image_spec("gpt-image-1.5"), "1536x864")


def test_to_api_drops_what_the_model_rejects() -> None:
    request = ImageRequest(
        "generate",
        "gpt-image-1.5",
        "a cat",
        size="1024x1024",
        quality="high",
        style="vivid",
        background="transparent",
        output_format="webp",
        output_compression=80,
        moderation="low",
        n=2,
        partial_images=2,
    )
    api = request.to_api()
    assert api == {
        "model": "gpt-image-1.5",
        "prompt": "a cat",
        "size": "1024x1024",
        "n": 2,
        "quality": "high",
        "background": "transparent",
        "output_format": "webp",
        "output_compression": 80,
        "moderation": "low",
        "stream": True,
        "partial_images": 2,
    }
    dalle = ImageRequest("generate", "dall-e-3", "a cat", size="1792x1024", style="vivid")
    assert dalle.to_api() == {
        "model": "dall-e-3",
        "prompt": "a cat",
        "size": "1792x1024",
        "response_format": "b64_json",
        "style": "vivid",
    }


def test_check_request_names_the_control() -> None:
    fields = {p.field for p in check_request(ImageRequest("generate", "gpt-image-1", ""))}
    assert fields == {"prompt"}
    long = ImageRequest("generate", "dall-e-2", "x" * 1001, size="512x512")
    assert [p.field for p in check_request(long)] == ["prompt"]
    assert "1 characters over" in check_request(long)[0].message
    jpeg = ImageRequest(
        "generate", "gpt-image-1", "a", background="transparent", output_format="jpeg"
    )
    assert [p.field for p in check_request(jpeg)] == ["output_format"]
    assert [p.field for p in check_request(ImageRequest("edit", "gpt-image-1", "a"))] == ["images"]
    spec = image_spec("gpt-image-1")
    source = prepare_upload(png(64, 32), spec)
    wrong = mask_png(bytes(32 * 32), 32, 32)
    bad_mask = ImageRequest("edit", "gpt-image-1", "a", images=(source,), mask=wrong)
    problems = check_request(bad_mask)
    assert [p.field for p in problems] == ["mask"]
    assert "32×32" in problems[0].message
    assert "64×32" in problems[0].message
    assert next(p.field for p in check_request(ImageRequest("edit", "dall-e-3", "a"))) == "model"


def test_estimate_prices_image_tokens() -> None:
    request = ImageRequest("generate", "gpt-image-1.5", "a cat", size="1024x1024", quality="medium")
    (usage,) = estimate_usage(request, prompt_tokens=3)
    assert usage.image_output_tokens == 1056
    assert usage.estimated
    assert Pricer().cost("gpt-image-1.5", usage) == Decimal("0.033807")  # 3 * $5 + 1056 * $32 / M
    low, high = estimate_usage(ImageRequest("generate", "gpt-image-1.5", "a cat"), 3)
    assert low.output_tokens == 272
    assert high.output_tokens == 4160
    assert estimate_usage(ImageRequest("generate", "dall-e-3", "a")) == []


def test_reported_image_tokens_are_priced_at_image_rates() -> None:
    pricer = Pricer()
    usage = Usage(input_tokens=10, output_tokens=1000, images=1, image_output_tokens=1000)
    assert pricer.cost("gpt-image-1.5", usage) == Decimal("0.03205")
    # Without the breakdown the split price cannot be applied: unknown, not a guess.
    assert (
        pricer.cost("gpt-image-1.5", Usage(input_tokens=10, output_tokens=1000, images=1)) is None
    )


# --- uploads and masks -------------------------------------------------------------------------


def test_uploads_are_converted_for_the_model(tmp_path: Path) -> None:
    gpt = image_spec("gpt-image-1")
    same = prepare_upload(png(40, 30), gpt, name="a.png")
    assert (same.mime, same.width, same.height, same.note) == ("image/png", 40, 30, "")
    bmp = tmp_path / "photo.bmp"
    Image.new("RGB", (50, 20), (10, 20, 30)).save(bmp)
    converted = prepare_upload(bmp, gpt)
    assert converted.mime == "image/png"
    assert "converted from BMP" in converted.note
    square = prepare_upload(png(300, 200, fmt="jpeg"), image_spec("dall-e-2"), name="p.jpg")
    assert (square.width, square.height, square.mime) == (200, 200, "image/png")
    assert "square" in square.note
    with Image.open(io.BytesIO(square.data)) as img:
        assert img.mode == "RGBA"  # DALL·E 2 rejects RGB PNGs


def test_oversized_uploads_are_scaled_to_the_limit() -> None:
    import os

    noisy = Image.frombytes("RGB", (1400, 1400), os.urandom(1400 * 1400 * 3))
    out = io.BytesIO()
    noisy.save(out, "PNG")
    assert len(out.getvalue()) > 4 * 1024 * 1024
    upload = prepare_upload(out.getvalue(), image_spec("dall-e-2"), name="noise.png")
    assert len(upload.data) <= 4 * 1024 * 1024
    assert "to stay under 4 MB" in upload.note


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"this is not a picture", "not a picture"),
        (png(512, 512)[: len(png(512, 512)) // 2], "damaged"),
    ],
)
def test_bad_files_get_plain_words(data: bytes, words: str) -> None:
    with pytest.raises(ImageProblem, match=words):
        prepare_upload(data, image_spec("gpt-image-1"), name="x.png")


def test_missing_file() -> None:
    with pytest.raises(ImageProblem, match="not found"):
        prepare_upload("/nonexistent/picture.png", image_spec("gpt-image-1"))


def test_mask_png_transparent_means_editable() -> None:
    coverage = bytes([255] * 4 + [0] * 4 + [200] * 4)  # 4 x 3, rows: painted, not, painted
    mask = mask_png(coverage, 4, 3)
    with Image.open(io.BytesIO(mask.data)) as img:
        assert img.format == "PNG"
        assert img.mode == "RGBA"
        assert img.size == (4, 3)
        alpha = list(img.getchannel("A").tobytes())
    assert alpha == [0] * 4 + [255] * 4 + [0] * 4
    with pytest.raises(ValueError, match="coverage"):
        mask_png(b"\x00", 4, 3)


# --- library -----------------------------------------------------------------------------------


def test_library_saves_sidecars_searches_and_undoes_deletes(tmp_path: Path) -> None:
    library = ImageLibrary(tmp_path / "images")
    first = library.add(png(8, 8), "png", {"prompt": "A red fox in snow", "model": "gpt-image-1"})
    second = library.add(png(8, 8, "b"), "jpg", {"prompt": "Blue whale", "model": "gpt-image-2"})
    sidecar = json.loads(first.sidecar_path.read_text(encoding="utf-8"))
    assert sidecar["prompt"] == "A red fox in snow"
    assert sidecar["file"] == first.image_path.name
    assert first.image_path.read_bytes() == png(8, 8)
    assert [i.id for i in library.items("fox SNOW")] == [first.id]
    assert [i.id for i in library.items("gpt-image-2")] == [second.id]
    library.update(first.id, cost=Decimal("0.0123"))
    again = ImageLibrary(tmp_path / "images")
    assert again.get(first.id) is not None
    assert again.get(first.id).cost == Decimal("0.0123")
    assert library.delete(first.id)
    assert not first.image_path.exists()
    assert library.get(first.id) is None
    assert library.undo_delete(first.id) is not None
    assert first.image_path.exists()
    assert first.sidecar_path.exists()
    library.delete(second.id)
    reopened = ImageLibrary(tmp_path / "images")
    assert [i.id for i in reopened.load()] == [first.id]  # the trash is emptied on open
    assert not reopened.trash_folder.exists()


# --- service -----------------------------------------------------------------------------------


@pytest.fixture
async def client(fake_openai: FakeOpenAI):  # type: ignore[no-untyped-def]
    c = AsyncOpenAI(base_url=fake_openai.base_url, api_key="test", max_retries=0)
    yield c
    await c.close()


async def test_streamed_partials_then_images(fake_openai: FakeOpenAI, client: AsyncOpenAI) -> None:
    events: list[tuple[str, int, int]] = []
    service = ImageService(lambda: client)
    request = ImageRequest("generate", "gpt-image-1", "a cat", n=2, quality="low", partial_images=2)
    result = await service.run(
        request,
        lambda slot, index, _data: events.append(("partial", slot, index)),
        lambda image: events.append(("image", image.slot, -1)),
    )
    assert events == [
        ("partial", 0, 0),
        ("partial", 0, 1),
        ("image", 0, -1),
        ("partial", 1, 0),
        ("partial", 1, 1),
        ("image", 1, -1),
    ]
    body = fake_openai.last("/images/generations").json
    assert body is not None
    assert body["stream"] is True
    assert body["partial_images"] == 2
    assert result.usage is not None
    assert result.usage.image_output_tokens == 2 * 272
    assert result.request_id


async def test_links_are_downloaded_at_once(fake_openai: FakeOpenAI, client: AsyncOpenAI) -> None:
    fake_openai.scenario.image_urls = True
    got: list[bytes] = []
    result = await ImageService(lambda: client).run(
        ImageRequest("generate", "gpt-image-1", "a cat", n=2),
        lambda *_: None,
        lambda image: got.append(image.data),
    )
    assert len(got) == 2
    assert all(i.from_url for i in result.images)
    assert Image.open(io.BytesIO(got[0])).size == (1024, 1024)
    assert [r.method for r in fake_openai.requests if r.path.startswith("/files/")] == [
        "GET",
        "GET",
    ]


async def test_edit_uploads_image_and_mask(fake_openai: FakeOpenAI, client: AsyncOpenAI) -> None:
    spec = image_spec("gpt-image-1")
    source = prepare_upload(png(64, 48), spec, name="room.png")
    mask = mask_png(bytes([255] * (64 * 24) + [0] * (64 * 24)), 64, 48)
    request = ImageRequest("edit", "gpt-image-1", "add a lamp", images=(source,), mask=mask)
    await ImageService(lambda: client).run(request, lambda *_: None, lambda _i: None)
    sent = fake_openai.last("/images/edits")
    assert sent.form["prompt"] == "add a lamp"
    assert sent.files["image"].data == source.data
    with Image.open(io.BytesIO(sent.files["mask"].data)) as img:
        assert img.size == (64, 48)
        assert img.mode == "RGBA"


async def test_a_wrong_size_mask_is_refused_by_the_api(
    fake_openai: FakeOpenAI, client: AsyncOpenAI
) -> None:
    spec = image_spec("gpt-image-1")
    source = prepare_upload(png(64, 48), spec)
    mask = mask_png(bytes(32 * 32), 32, 32)
    request = ImageRequest("edit", "gpt-image-1", "x", images=(source,), mask=mask)
    with pytest.raises(Exception, match="mask size does not match") as info:
        await ImageService(lambda: client).run(request, lambda *_: None, lambda _i: None)
    assert getattr(info.value, "kind", None) == ErrorKind.BAD_REQUEST


async def test_variations(fake_openai: FakeOpenAI, client: AsyncOpenAI) -> None:
    fake_openai.scenario.models.append("dall-e-2")
    source = prepare_upload(png(64, 64), image_spec("dall-e-2"))
    got: list[int] = []
    await ImageService(lambda: client).run(
        ImageRequest("variation", "dall-e-2", images=(source,), n=3, size="256x256"),
        lambda *_: None,
        lambda image: got.append(image.slot),
    )
    sent = fake_openai.last("/images/variations")
    assert sent.form == {
        "model": "dall-e-2",
        "n": "3",
        "response_format": "b64_json",
        "size": "256x256",
    }
    assert got == [0, 1, 2]


@pytest.mark.parametrize("legacy", [False, True])
async def test_safety_refusal_keeps_the_api_words(
    fake_openai: FakeOpenAI, client: AsyncOpenAI, legacy: bool
) -> None:
    fake_openai.refuse_image_next(legacy=legacy)
    with pytest.raises(PolicyRefusal) as info:
        await ImageService(lambda: client).run(
            ImageRequest("generate", "gpt-image-1", "something"), lambda *_: None, lambda _i: None
        )
    assert "safety system" in info.value.message
    assert info.value.title == "Refused by the safety system"


async def test_a_dropped_stream_keeps_what_arrived(
    fake_openai: FakeOpenAI, client: AsyncOpenAI
) -> None:
    fake_openai.scenario.drop_after_chunks = 2  # one partial and the first picture
    got: list[int] = []
    with pytest.raises(Exception, match="dropped") as info:
        await ImageService(lambda: client).run(
            ImageRequest("generate", "gpt-image-1", "a", n=2, partial_images=1),
            lambda *_: None,
            lambda image: got.append(image.slot),
        )
    assert got == [0]
    assert getattr(info.value, "kind", None) == ErrorKind.CONNECTION
