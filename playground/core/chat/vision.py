"""Images for vision models: checked, made acceptable to the API, and priced in tokens.

The Chat Completions API takes PNG, JPEG, WEBP and non-animated GIF images, up to 20 MB each, as an
http(s) address or a `data:<mime>;base64,...` URL. `load_image` turns a file (or bytes from the
clipboard) into such a data URL:

* Pillow checks that it is a real, complete image (`verify`, then a full decode, so a cut-off download
  is caught too). An empty file, something that is not an image, a damaged file or one with absurdly
  many pixels raises `ImageProblem` with a sentence a user can act on.
* A PNG, JPEG, WEBP or GIF that is upright, at most 2048 px on each side and at most 20 MB goes out
  byte for byte, labelled with the MIME type of what the bytes *are* (never guessed from the name:
  a PNG saved as `photo.jpg` is sent as `image/png`).
* Anything else is re-encoded, and `PreparedImage.note` says what was done, in order:
  - another format (BMP, TIFF, AVIF, ICO...) is converted to PNG ("converted from BMP to PNG");
  - an animated GIF or WEBP keeps its first frame, as PNG;
  - a photo whose EXIF data says "rotate me" is turned upright, so the model sees what the user sees;
  - an image wider or taller than 2048 px is scaled down to fit 2048 × 2048 ("resized from 6000×4000
    to 2048×1365"). The API scales high-detail images to that size anyway, so nothing is lost and the
    request is smaller. JPEG and WEBP stay in their format (quality 90), PNG stays PNG, and a
    resized GIF becomes PNG (GIF's 256 colours would band).
  - if the result is still over 20 MB, it is scaled down by steps of 3/4 until it fits.

`image_tokens(width, height, detail)` estimates what an image costs, with the rule published for
gpt-4o: low detail is 85 tokens; high detail scales the image to fit 2048 × 2048, then so that its
shortest side is at most 768 px, and costs 85 + 170 per 512-px tile. "auto" counts as high (the model
may choose high). Other models price images differently; this is an estimate, shown with "≈".

`image_from_url` checks an address the user typed or pasted; it never downloads anything.
"""

from __future__ import annotations

import base64
import binascii
import functools
import math
import os
import re
import struct
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from playground.core.models import ImagePart

if TYPE_CHECKING:
    from PIL import Image

#: What the API accepts: Pillow format name -> MIME type.
ACCEPTED_MIME: Final = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "WEBP": "image/webp",
    "GIF": "image/gif",
}
#: The API's limit for one image, in bytes (20 MB, counted in decimal megabytes to stay on the safe side).
MAX_BYTES: Final = 20_000_000
#: Images are scaled down to fit a square of this side (what the API does to high detail anyway).
MAX_SIDE: Final = 2048
#: Files larger than this are not even read (no sensible image is this large).
MAX_FILE_BYTES: Final = 256_000_000
#: Images with more pixels than this are refused (about 89 megapixels, Pillow's own warning limit).
MAX_PIXELS: Final = 89_478_485  # Pillow's own MAX_IMAGE_PIXELS default

DETAILS: Final = ("auto", "low", "high")
LOW_DETAIL_TOKENS: Final = 85
TILE_TOKENS: Final = 170
TILE_SIDE: Final = 512
SHORT_SIDE: Final = 768
#: For an address (size unknown) the high-detail estimate assumes a square or 4:3 picture: 4 tiles.
UNKNOWN_SIZE_ASSUMPTION: Final = (1024, 1024)


#: File name patterns for the "Attach image" dialog: what Pillow opens here and people actually have.
@functools.cache
def image_file_patterns() -> tuple[str, ...]:
    """File-dialog patterns of the image formats this Pillow can read (asks Pillow on first use)."""
    from PIL import Image  # deferred: Pillow is not needed at start-up

    return tuple(
        f"*{ext}"
        for ext in (
            ".png",
            ".jpg",
            ".jpeg",
            ".jpe",
            ".jfif",
            ".webp",
            ".gif",
            ".bmp",
            ".dib",
            ".tif",
            ".tiff",
            ".avif",
            ".ico",
            ".tga",
            ".ppm",
            ".pgm",
            ".pbm",
            ".pnm",
            ".pcx",
            ".qoi",
        )
        if ext in Image.registered_extensions()
    )


_JPEG_QUALITY: Final = 90
_SHRINK_STEP: Final = 0.75
_MIN_SIDE: Final = 64
# Formats whose files are JPEGs to any JPEG reader (MPO: a JPEG with extra pictures appended).
_JPEG_ALIASES: Final = frozenset({"JPEG", "MPO"})
# What Pillow raises on damaged data: decoders are written per format, so the list is long.
DECODE_ERRORS: Final = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    struct.error,
    zlib.error,
)
_DATA_URL = re.compile(r"^data:([^,;]*)((?:;[^,;]*)*),(.*)$", re.DOTALL | re.IGNORECASE)
# Formats a web address may end in that the API refuses.
_REFUSED_SUFFIXES: Final = {
    ".bmp": "BMP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".svg": "SVG",
    ".heic": "HEIC",
    ".heif": "HEIF",
    ".avif": "AVIF",
    ".ico": "ICO",
    ".psd": "PSD",
}
ORIENTATION_TAG: Final = 0x0112


class ImageProblem(ValueError):
    """An image cannot be used; the message says why in plain words (and what to do, when possible)."""


@dataclass(frozen=True, slots=True)
class PreparedImage:
    """An image ready to send.

    Attributes:
        data: the encoded image, exactly what goes into the data URL.
        mime: its MIME type ("image/png", "image/jpeg", "image/webp" or "image/gif").
        width: width in pixels (as sent).
        height: height in pixels (as sent).
        note: what was done to make it acceptable ("converted from BMP to PNG; resized from
            6000×4000 to 2048×1365"), or "" when it goes out unchanged.
        name: the file name (or what the caller called it), for messages and tooltips.
        source_format: the format it came in ("PNG", "BMP"...).
    """

    data: bytes = field(repr=False)
    mime: str
    width: int
    height: int
    note: str = ""
    name: str = ""
    source_format: str = ""

    @property
    def size(self) -> int:
        """Bytes sent (before base64)."""
        return len(self.data)

    @property
    def data_url(self) -> str:
        """`data:<mime>;base64,<data>` (computed on each call: keep the result if you need it twice)."""
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode('ascii')}"

    def to_part(self, detail: str = "auto") -> ImagePart:
        """The `ImagePart` of a user message carrying this image."""
        return ImagePart(self.data_url, _check_detail(detail), self.width, self.height)


def load_image(source: str | os.PathLike[str] | bytes, *, name: str = "") -> PreparedImage:
    """Checks an image and makes it acceptable to the API (see the module docstring).

    CPU-heavy for big images (a full decode, maybe a resize): call it off the GUI thread for files of
    more than a couple of megabytes.

    Args:
        source: a file path, or the encoded image itself (clipboard, data URL).
        name: how to call the image in messages; default: the file name, or "The image" for bytes.

    Returns:
        The image as it will be sent.

    Raises:
        ImageProblem: the file cannot be read, is empty, is not an image, is damaged or is too big.
    """
    data, label = _read(source, name)
    if not name and not isinstance(source, bytes):
        name = Path(source).name
    if not data:
        raise ImageProblem(f"{label} is empty (0 bytes).")
    with decode_problems(
        label,
        pixels=f" (more than {MAX_PIXELS / 1e6:.0f} million)",
        unreadable="an image Playground can read. Use a PNG, JPEG, WEBP or GIF file.",
        damaged=" (perhaps cut off while downloading). Open it in an image viewer, save it again "
        "and retry.",
    ):
        return _prepare(data, label, name)


@contextmanager
def decode_problems(label: str, *, pixels: str, unreadable: str, damaged: str) -> Iterator[None]:
    """Turns what Pillow raises while decoding `label` into an `ImageProblem` in plain words.

    Pillow only warns between MAX_PIXELS and twice that; inside this block that is refused too. An
    `ImageProblem` raised inside passes through unchanged.

    Args:
        label: how the sentences name the image ("photo.png", "“photo.png”").
        pixels: what follows "has too many pixels" ("" or " (more than 50 million)").
        unreadable: what follows "is not " when Pillow does not know the format.
        damaged: what follows "is damaged or incomplete" (a full stop or the next step).
    """
    from PIL import (  # deferred: Pillow is not needed at start-up
        Image,
        UnidentifiedImageError,
    )

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            yield
        except ImageProblem:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageProblem(
                f"{label} has too many pixels{pixels}. Scale it down in an image editor first."
            ) from exc
        except UnidentifiedImageError as exc:
            raise ImageProblem(f"{label} is not {unreadable}") from exc
        except MemoryError as exc:
            raise ImageProblem(f"{label} is too large to open on this computer.") from exc
        except DECODE_ERRORS as exc:
            raise ImageProblem(f"{label} is damaged or incomplete{damaged}") from exc


def load_data_url(url: str, *, name: str = "") -> PreparedImage:
    """Decodes a `data:image/...;base64,...` URL and runs its bytes through `load_image`.

    The MIME type written in the URL is not trusted: the result carries the type of what the bytes
    are, and other formats are converted like files.

    Raises:
        ImageProblem: not a base64 data URL, damaged base64, or not a usable image.
    """
    match = _DATA_URL.match(url.strip())
    if match is None:
        raise ImageProblem("That is not a data URL (they look like data:image/png;base64,…).")
    mime, params, payload = match.group(1).lower(), match.group(2).lower(), match.group(3)
    if mime and not mime.startswith("image/"):
        raise ImageProblem(f"That data URL holds “{mime}”, not an image.")
    if "base64" not in params.split(";"):
        raise ImageProblem("Only base64 data URLs can carry an image (data:image/png;base64,…).")
    try:
        data = base64.b64decode("".join(payload.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImageProblem("The data URL's base64 text is damaged or cut off.") from exc
    return load_image(data, name=name)


def image_from_url(url: str, *, detail: str = "auto") -> ImagePart:
    """An `ImagePart` for an address the user typed; nothing is downloaded.

    http(s) addresses are checked for form only (the API's servers fetch them, so they must be public).
    A data URL is decoded and checked like a file (`load_data_url`), so its size is known.

    Args:
        url: an http(s) address or a data URL; spaces around it are ignored, spaces inside are
            encoded as %20.
        detail: "auto", "low" or "high".

    Raises:
        ImageProblem: not an http(s) or data URL, no server name, a format the API refuses, or a
            damaged data URL.
    """
    detail = _check_detail(detail)
    text = url.strip()
    if not text:
        raise ImageProblem("Paste the address of an image (https://…) first.")
    if text[:5].lower() == "data:":
        return load_data_url(text).to_part(detail)
    text = text.replace(" ", "%20")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        if not parts.hostname:
            raise ImageProblem(f"“{_short(text)}” has no server name after {scheme}://.")
        suffix = Path(parts.path).suffix.lower()
        if suffix in _REFUSED_SUFFIXES:
            fmt = _REFUSED_SUFFIXES[suffix]
            hint = (
                "Download it and use Attach image: Playground converts it to PNG."
                if suffix != ".svg" and suffix not in (".heic", ".heif")
                else "Save it as PNG or JPEG and attach that."
            )
            raise ImageProblem(f"The API takes PNG, JPEG, WEBP and GIF images, not {fmt}. {hint}")
        return ImagePart(text, detail)
    if scheme == "file" or len(scheme) == 1 or text.startswith(("/", "~", "\\")):
        raise ImageProblem("That is a file on this computer: use Attach image to send it.")
    if not scheme:
        raise ImageProblem(
            f"“{_short(text)}” is not a web address. Image addresses start with https://."
        )
    raise ImageProblem(
        f"Only web addresses (https://…) and data: URLs can be sent, not “{scheme}:” addresses."
    )


def image_tokens(width: int | None, height: int | None, detail: str = "auto") -> int:
    """The input tokens an image costs, by the rule published for gpt-4o.

    * low: 85, whatever the size.
    * high (and auto, which may pick high): the image is scaled to fit 2048 × 2048, then scaled
      down so its shortest side is at most 768 px; it costs 85 + 170 for each 512-px tile needed to
      cover it. 1024×1024 → 768×768 → 4 tiles → 765; 2048×4096 → 768×1536 → 6 tiles → 1105.
    * unknown size (an address): assumed `UNKNOWN_SIZE_ASSUMPTION` (1024×1024, 765 tokens at high),
      the cost of a square or 4:3 picture; a very wide or tall one may cost up to 1445.

    Args:
        width: pixels, or None when unknown.
        height: pixels, or None when unknown.
        detail: "auto", "low" or "high".

    Raises:
        ValueError: an unknown detail, or a size below 1 px.
    """
    detail = _check_detail(detail)
    if detail == "low":
        return LOW_DETAIL_TOKENS
    if width is None or height is None:
        width, height = UNKNOWN_SIZE_ASSUMPTION
    if width < 1 or height < 1:
        raise ValueError(f"image size must be positive, not {width}×{height}")
    w, h = float(width), float(height)
    if max(w, h) > MAX_SIDE:
        scale = MAX_SIDE / max(w, h)
        w, h = w * scale, h * scale
    if min(w, h) > SHORT_SIDE:
        scale = SHORT_SIDE / min(w, h)
        w, h = w * scale, h * scale
    # Rounded before tiling so that float noise (1536.0000001) does not add a tile.
    tiles = math.ceil(round(w, 6) / TILE_SIDE) * math.ceil(round(h, 6) / TILE_SIDE)
    return LOW_DETAIL_TOKENS + TILE_TOKENS * tiles


def thumbnail_png(data: bytes, size: int) -> bytes:
    """A PNG of at most `size` × `size` pixels of an encoded image, upright (for chips and previews).

    Raises:
        ImageProblem: the data is not a readable image.
    """
    from PIL import (  # deferred: Pillow is not needed at start-up
        Image,
        ImageOps,
        UnidentifiedImageError,
    )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(BytesIO(data)) as img:
                img.draft("RGB", (size * 2, size * 2))
                small = ImageOps.exif_transpose(img)
                small.thumbnail((size, size), Image.Resampling.LANCZOS)
                small = _png_mode(small)
                out = BytesIO()
                small.save(out, "PNG")
                return out.getvalue()
        except (UnidentifiedImageError, Image.DecompressionBombError, *DECODE_ERRORS) as exc:
            raise ImageProblem("The image cannot be shown.") from exc


# -- internals ------------------------------------------------------------------------------------


def _check_detail(detail: str) -> str:
    if detail not in DETAILS:
        raise ValueError(f"detail must be one of {', '.join(DETAILS)}, not {detail!r}")
    return detail


def _read(source: str | os.PathLike[str] | bytes, name: str) -> tuple[bytes, str]:
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source), f"“{name}”" if name else "The image"
    path = Path(source)
    label = f"“{name or path.name}”"
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ImageProblem(
                f"{label} is too large to attach ({size / 1e6:,.0f} MB). "
                f"The API takes images of up to {MAX_BYTES // 1_000_000} MB."
            )
        return path.read_bytes(), label
    except FileNotFoundError as exc:
        raise ImageProblem(f"{label} was not found. Was it moved or deleted?") from exc
    except IsADirectoryError as exc:
        raise ImageProblem(f"{label} is a folder, not an image file.") from exc
    except PermissionError as exc:
        raise ImageProblem(f"Playground is not allowed to read {label}.") from exc
    except OSError as exc:
        raise ImageProblem(f"{label} could not be read ({_reason(exc)}).") from exc


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return text.rstrip(".")


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _prepare(data: bytes, label: str, name: str) -> PreparedImage:
    from PIL import (  # deferred: Pillow is not needed at start-up
        Image,
    )

    with Image.open(BytesIO(data)) as probe:
        probe.verify()  # structure and checksums (PNG CRCs); cheap, no decode
    img = Image.open(BytesIO(data))
    try:
        return _convert(img, data, label, name)
    finally:
        img.close()


def _convert(img: Image.Image, data: bytes, label: str, name: str) -> PreparedImage:
    from PIL import (  # deferred: Pillow is not needed at start-up
        Image,
        ImageOps,
    )

    source_format = img.format or "unknown"
    fmt = "JPEG" if source_format in _JPEG_ALIASES else source_format
    animated = bool(getattr(img, "is_animated", False)) and fmt != "JPEG"
    orientation = int(img.getexif().get(ORIENTATION_TAG, 1) or 1)
    raw_w, raw_h = img.size
    if raw_w * raw_h > MAX_PIXELS:
        raise Image.DecompressionBombError(f"{raw_w * raw_h} pixels")
    upright = (raw_h, raw_w) if orientation in (5, 6, 7, 8) else (raw_w, raw_h)
    too_wide = max(raw_w, raw_h) > MAX_SIDE
    if fmt == "JPEG" and too_wide:
        # Decode at a reduced scale straight from the DCT data: much faster for camera photos.
        img.draft(img.mode, _fit((raw_w, raw_h), MAX_SIDE))
    img.load()  # a full decode: a truncated or damaged file fails here

    if (
        fmt in ACCEPTED_MIME
        and not animated
        and not too_wide
        and orientation == 1
        and len(data) <= MAX_BYTES
    ):
        return PreparedImage(data, ACCEPTED_MIME[fmt], raw_w, raw_h, "", name, source_format)

    notes: list[str] = []
    out_format = fmt if fmt in ("PNG", "JPEG", "WEBP") else "PNG"
    work: Image.Image = img
    if animated:
        work.seek(0)
        out_format = "PNG"
        notes.append(f"first frame of an animated {fmt}, as PNG")
        work = work.copy()
    elif fmt not in ACCEPTED_MIME:
        notes.append(f"converted from {source_format} to PNG")
    if orientation != 1:
        work = ImageOps.exif_transpose(work)
        notes.append("turned upright (as its EXIF data asks)")
    work = _png_mode(work) if out_format == "PNG" else _lossy_mode(work, out_format)
    if too_wide:
        target = _fit(upright, MAX_SIDE)
        work = work.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
        notes.append(
            f"resized from {upright[0]}×{upright[1]} to {target[0]}×{target[1]}"
            + (", as PNG" if fmt == "GIF" and not animated else "")
        )
    icc = img.info.get("icc_profile")
    encoded = _encode(work, out_format, icc if isinstance(icc, bytes) else None)
    if len(encoded) > MAX_BYTES:
        before = work.size
        while len(encoded) > MAX_BYTES and min(work.size) > _MIN_SIDE:
            smaller = (
                max(1, int(work.width * _SHRINK_STEP)),
                max(1, int(work.height * _SHRINK_STEP)),
            )
            work = work.resize(smaller, Image.Resampling.LANCZOS)
            encoded = _encode(work, out_format, icc if isinstance(icc, bytes) else None)
        if len(encoded) > MAX_BYTES:
            raise ImageProblem(f"{label} cannot be made smaller than 20 MB.")
        notes.append(
            f"scaled from {before[0]}×{before[1]} to {work.width}×{work.height} to stay under "
            f"{MAX_BYTES // 1_000_000} MB"
        )
    elif not notes:
        notes.append(f"saved again to stay under {MAX_BYTES // 1_000_000} MB")
    return PreparedImage(
        encoded,
        ACCEPTED_MIME[out_format],
        work.width,
        work.height,
        "; ".join(notes),
        name,
        source_format,
    )


def _fit(size: tuple[int, int], side: int) -> tuple[int, int]:
    """`size` scaled down (aspect kept) to fit `side` × `side`; unchanged if it already fits."""
    w, h = size
    if max(w, h) <= side:
        return w, h
    scale = side / max(w, h)
    return max(1, round(w * scale)), max(1, round(h * scale))


def _has_alpha(img: Image.Image) -> bool:
    return "A" in img.getbands() or "transparency" in img.info


def _png_mode(img: Image.Image) -> Image.Image:
    """`img` in a mode PNG stores and LANCZOS resizes well (8-bit L, LA, RGB or RGBA)."""
    if img.mode in ("L", "LA", "RGB", "RGBA"):
        return img
    if img.mode.startswith("I"):  # 16/32-bit greyscale (TIFF, PNG): scale to 8 bits, don't clip
        return img.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if img.mode == "1":
        return img.convert("L")
    return img.convert("RGBA" if _has_alpha(img) else "RGB")


def _lossy_mode(img: Image.Image, out_format: str) -> Image.Image:
    if out_format == "JPEG":
        return img if img.mode in ("L", "RGB") else img.convert("RGB")
    return img if img.mode in ("RGB", "RGBA") else img.convert("RGBA" if _has_alpha(img) else "RGB")


def _encode(img: Image.Image, out_format: str, icc_profile: bytes | None) -> bytes:
    out = BytesIO()
    extra: dict[str, object] = {"icc_profile": icc_profile} if icc_profile else {}
    if out_format == "JPEG":
        img.save(out, "JPEG", quality=_JPEG_QUALITY, optimize=True, **extra)
    elif out_format == "WEBP":
        img.save(out, "WEBP", quality=_JPEG_QUALITY, method=4, **extra)
    else:
        img.save(out, "PNG", **extra)
    return out.getvalue()
