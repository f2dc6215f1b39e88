"""Images for vision models: real files made with Pillow, what the API would receive, token estimates."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from PIL import Image

from playground.core.chat.vision import (
    MAX_SIDE,
    ImageProblem,
    PreparedImage,
    image_file_patterns,
    image_from_url,
    image_tokens,
    load_data_url,
    load_image,
    thumbnail_png,
)
from playground.core.models import ImagePart


def encode(
    fmt: str, size: tuple[int, int] = (120, 80), mode: str = "RGB", **options: object
) -> bytes:
    colour: object = (200, 30, 30) if mode == "RGB" else 0
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, fmt, **options)  # type: ignore[arg-type]
    return out.getvalue()


def decoded(prepared: PreparedImage) -> Image.Image:
    """What the API would decode from the data URL."""
    header, payload = prepared.data_url.split(",", 1)
    assert header == f"data:{prepared.mime};base64"
    img = Image.open(io.BytesIO(base64.b64decode(payload)))
    img.load()
    return img


# -- formats ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "mime"),
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp"), ("GIF", "image/gif")],
)
def test_accepted_formats_go_out_byte_for_byte(tmp_path: Path, fmt: str, mime: str) -> None:
    data = encode(fmt)
    path = tmp_path / f"picture.{fmt.lower()}"
    path.write_bytes(data)

    prepared = load_image(path)

    assert prepared.mime == mime
    assert prepared.data == data
    assert (prepared.width, prepared.height) == (120, 80)
    assert prepared.note == ""
    assert prepared.name == f"picture.{fmt.lower()}"
    assert prepared.size == len(data)
    assert prepared.data_url == f"data:{mime};base64,{base64.b64encode(data).decode()}"


def test_mime_type_comes_from_the_bytes_not_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "really-a-png.jpg"
    path.write_bytes(encode("PNG"))

    prepared = load_image(path)

    assert prepared.mime == "image/png"
    assert prepared.data_url.startswith("data:image/png;base64,")


@pytest.mark.parametrize("fmt", ["BMP", "TIFF"])
def test_other_formats_are_converted_to_png(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"scan.{fmt.lower()}"
    path.write_bytes(encode(fmt))

    prepared = load_image(path)

    assert prepared.mime == "image/png"
    assert prepared.note == f"converted from {fmt} to PNG"
    assert prepared.source_format == fmt
    img = decoded(prepared)
    assert img.format == "PNG"
    assert img.size == (120, 80)
    assert img.convert("RGB").getpixel((5, 5)) == (200, 30, 30)


def test_sixteen_bit_greyscale_is_scaled_not_clipped() -> None:
    out = io.BytesIO()
    Image.new("I;16", (30, 20), 32768).save(out, "TIFF")

    img = decoded(load_image(out.getvalue()))

    assert img.mode == "L"
    assert img.getpixel((0, 0)) == 128  # half of 16 bits is half of 8 bits, not white


def test_animated_gif_keeps_its_first_frame_as_png() -> None:
    frames = [Image.new("RGB", (40, 30), (i * 100, 0, 0)) for i in range(3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:])

    prepared = load_image(out.getvalue())

    assert prepared.mime == "image/png"
    assert prepared.note == "first frame of an animated GIF, as PNG"
    assert decoded(prepared).convert("RGB").getpixel((0, 0)) == (0, 0, 0)


# -- size -------------------------------------------------------------------------------------------


def test_big_photo_is_resized_to_fit_2048_and_stays_jpeg(tmp_path: Path) -> None:
    path = tmp_path / "camera.jpg"
    path.write_bytes(encode("JPEG", (4000, 3000)))

    prepared = load_image(path)

    assert prepared.mime == "image/jpeg"
    assert (prepared.width, prepared.height) == (2048, 1536)
    assert prepared.note == "resized from 4000×3000 to 2048×1536"
    assert decoded(prepared).size == (2048, 1536)


def test_big_png_stays_png_and_keeps_transparency() -> None:
    out = io.BytesIO()
    Image.new("RGBA", (1000, 5000), (0, 0, 255, 128)).save(out, "PNG")

    prepared = load_image(out.getvalue(), name="tall.png")

    assert prepared.mime == "image/png"
    assert (prepared.width, prepared.height) == (410, MAX_SIDE)
    assert prepared.note == "resized from 1000×5000 to 410×2048"
    assert decoded(prepared).getpixel((3, 3)) == (0, 0, 255, 128)


def test_big_gif_is_resized_as_png() -> None:
    prepared = load_image(encode("GIF", (3000, 100)))

    assert prepared.mime == "image/png"
    assert prepared.note == "resized from 3000×100 to 2048×68, as PNG"


def test_rotated_photo_is_turned_upright() -> None:
    img = Image.new("RGB", (300, 100), (0, 0, 255))
    exif = img.getexif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)

    prepared = load_image(out.getvalue())

    assert (prepared.width, prepared.height) == (100, 300)
    assert "turned upright" in prepared.note
    assert decoded(prepared).size == (100, 300)


def test_rotated_big_photo_reports_the_size_the_user_sees() -> None:
    img = Image.new("RGB", (4000, 3000), (0, 90, 0))
    exif = img.getexif()
    exif[0x0112] = 8
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)

    prepared = load_image(out.getvalue())

    assert (prepared.width, prepared.height) == (1536, 2048)
    assert (
        prepared.note
        == "turned upright (as its EXIF data asks); resized from 3000×4000 to 1536×2048"
    )


# -- problems ---------------------------------------------------------------------------------------


def test_text_file_renamed_png_is_refused_in_plain_words(tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_text("shopping list: milk, eggs\n", encoding="utf-8")

    with pytest.raises(ImageProblem, match=r"“notes\.png” is not an image Playground can read"):
        load_image(path)


def test_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.png"
    path.write_bytes(b"")

    with pytest.raises(ImageProblem, match=r"“empty.png” is empty \(0 bytes\)"):
        load_image(path)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_cut_off_file_is_reported_as_damaged(tmp_path: Path, fmt: str) -> None:
    data = encode(fmt, (200, 200))
    path = tmp_path / f"half.{fmt.lower()}"
    path.write_bytes(data[: len(data) // 2])

    with pytest.raises(ImageProblem, match="is damaged or incomplete"):
        load_image(path)


def test_missing_file_and_folder_are_reported(tmp_path: Path) -> None:
    with pytest.raises(ImageProblem, match="was not found"):
        load_image(tmp_path / "gone.png")
    with pytest.raises(ImageProblem, match="is a folder"):
        load_image(tmp_path)


def test_bytes_without_a_name_are_called_the_image() -> None:
    with pytest.raises(ImageProblem, match=r"^The image is not an image"):
        load_image(b"not an image at all")


# -- data URLs and addresses ------------------------------------------------------------------------


def test_data_url_is_checked_and_its_mime_type_corrected() -> None:
    data = encode("PNG")
    url = "data:image/jpeg;base64," + base64.b64encode(data).decode()

    prepared = load_data_url(url)

    assert prepared.mime == "image/png"
    assert (prepared.width, prepared.height) == (120, 80)
    part = image_from_url(url, detail="low")
    assert part == ImagePart(prepared.data_url, "low", 120, 80)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("data:text/plain;base64,aGVsbG8=", "holds “text/plain”, not an image"),
        ("data:image/png,abc", "Only base64 data URLs"),
        ("data:image/png;base64,!!!", "base64 text is damaged"),
        ("data:image/png;base64," + base64.b64encode(b"hello").decode(), "not an image"),
    ],
)
def test_bad_data_urls(url: str, message: str) -> None:
    with pytest.raises(ImageProblem, match=message):
        image_from_url(url)


def test_web_addresses_are_taken_without_download() -> None:
    assert image_from_url("  https://example.com/cat.png ") == ImagePart(
        "https://example.com/cat.png", "auto"
    )
    assert image_from_url("http://example.com/a b.jpg", detail="high") == ImagePart(
        "http://example.com/a%20b.jpg", "high"
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "Paste the address"),
        ("ftp://example.com/cat.png", "not “ftp:” addresses"),
        ("file:///home/me/cat.png", "file on this computer"),
        ("/home/me/cat.png", "file on this computer"),
        ("C:\\Users\\me\\cat.png", "file on this computer"),
        ("example.com/cat.png", "start with https://"),
        ("https:///cat.png", "no server name"),
        ("https://example.com/logo.svg", "not SVG"),
        ("https://example.com/scan.bmp", "Playground converts it to PNG"),
    ],
)
def test_bad_addresses(url: str, message: str) -> None:
    with pytest.raises(ImageProblem, match=message):
        image_from_url(url)


def test_unknown_detail_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="detail must be one of"):
        image_from_url("https://example.com/a.png", detail="medium")


# -- tokens -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "detail", "tokens"),
    [
        ((1024, 1024), "high", 765),  # → 768×768, 2×2 tiles
        ((2048, 4096), "high", 1105),  # → 1024×2048 → 768×1536, 2×3 tiles
        ((2048, 4096), "low", 85),
        ((2048, 4096), "auto", 1105),  # auto is counted as high
        ((512, 512), "high", 255),  # one tile, not scaled up
        ((100, 50), "high", 255),
        ((513, 100), "high", 425),  # two tiles
        ((1920, 1080), "high", 1105),  # → 1365×768, 3×2 tiles
        ((768, 2048), "high", 1445),  # the most tiles an image can need
        ((8000, 8000), "low", 85),
    ],
)
def test_image_tokens(size: tuple[int, int], detail: str, tokens: int) -> None:
    assert image_tokens(*size, detail) == tokens


def test_image_tokens_for_unknown_size() -> None:
    assert image_tokens(None, None, "low") == 85
    assert image_tokens(None, None, "high") == 765  # assumed square or 4:3
    assert image_tokens(None, None, "auto") == 765


def test_image_tokens_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="detail"):
        image_tokens(10, 10, "ultra")
    with pytest.raises(ValueError, match="positive"):
        image_tokens(0, 10, "high")


# -- helpers ----------------------------------------------------------------------------------------


def test_thumbnail_is_small_png() -> None:
    thumb = Image.open(io.BytesIO(thumbnail_png(encode("JPEG", (400, 200)), 48)))

    assert thumb.format == "PNG"
    assert thumb.size == (48, 24)


def test_thumbnail_of_garbage_is_an_image_problem() -> None:
    with pytest.raises(ImageProblem):
        thumbnail_png(b"garbage", 48)


def test_file_patterns_cover_what_the_api_takes() -> None:
    for pattern in ("*.png", "*.jpg", "*.jpeg", "*.webp", "*.gif", "*.bmp"):
        assert pattern in image_file_patterns()
