"""Pictures going up to the Images API: checked, converted to what the model takes, and masks.

`prepare_upload` turns a file (or pasted bytes) into an `UploadImage` the chosen model accepts:

* Pillow checks that it is a real, complete picture (`verify`, then a full decode). An empty file,
  something that is not a picture, or a damaged one raises `ImageProblem` with a plain sentence.
* A photo whose EXIF data says "rotate me" is turned upright (the mask is painted on what the user
  sees, so the upload must be that too).
* Formats the model does not take become PNG (GPT image models take PNG, JPEG and WEBP; DALL·E 2
  only PNG, and only with an alpha channel: "format must be in ['RGBA', 'LA', 'L']").
* Models that demand a square picture (DALL·E 2) get the centre square, and the note says so.
* Pictures over the model's byte limit (50 MB for GPT image models, 4 MB for DALL·E 2) are scaled
  down in steps of 3/4 until they fit; very large ones are first scaled to `MAX_SIDE`.

`mask_png` exports a painted mask: a PNG of exactly the picture's size whose *transparent* pixels
(alpha 0) mark where the model may paint, and whose opaque pixels keep the picture as it is.

Pillow is imported inside the functions: the app's start-up does not pay for it.
"""

from __future__ import annotations

import os
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Final

from playground.core.chat.vision import (
    DECODE_ERRORS,
    ORIENTATION_TAG,
    ImageProblem,
    decode_problems,
)
from playground.core.images.caps import ImageModelSpec, UploadImage

if TYPE_CHECKING:
    from PIL import Image

#: Source pictures are scaled to fit this square first (the models work at up to ~4K anyway).
MAX_SIDE: Final = 4096
#: Files larger than this are not even read.
MAX_FILE_BYTES: Final = 256 * 1024 * 1024
_MIME: Final = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
_EXT: Final = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
_SHRINK: Final = 0.75

__all__ = ["ImageProblem", "image_size", "mask_png", "prepare_upload", "read_source"]


def read_source(source: str | os.PathLike[str] | bytes, name: str = "") -> tuple[bytes, str]:
    """The bytes of a file (or the bytes themselves) and the name to use in messages.

    Raises:
        ImageProblem: missing, a folder, unreadable or absurdly large.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source), name or "The pasted picture"
    path = Path(source)
    label = name or path.name
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ImageProblem(f"“{label}” is too large ({size / 1e6:,.0f} MB) to use here.")
        return path.read_bytes(), label
    except FileNotFoundError as exc:
        raise ImageProblem(f"“{label}” was not found. Was it moved or deleted?") from exc
    except IsADirectoryError as exc:
        raise ImageProblem(f"“{label}” is a folder, not a picture.") from exc
    except PermissionError as exc:
        raise ImageProblem(f"Playground is not allowed to read “{label}”.") from exc
    except OSError as exc:
        raise ImageProblem(f"“{label}” could not be read ({exc.strerror or exc}).") from exc


def prepare_upload(
    source: str | os.PathLike[str] | bytes, spec: ImageModelSpec, *, name: str = ""
) -> UploadImage:
    """A source picture in a form `spec`'s model accepts (see the module docstring).

    CPU-heavy for big pictures: call it off the GUI thread.

    Raises:
        ImageProblem: the picture cannot be read or cannot be made acceptable.
    """
    from PIL import Image

    data, label = read_source(source, name)
    if not data:
        raise ImageProblem(f"“{label}” is empty (0 bytes).")
    with decode_problems(
        f"“{label}”",
        pixels="",
        unreadable="a picture Playground can read. Use a PNG, JPEG or WEBP file.",
        damaged=". Open it in an image viewer, save it again and retry.",
    ):
        with Image.open(BytesIO(data)) as probe:
            probe.verify()
        with Image.open(BytesIO(data)) as img:
            return _convert(img, data, label, spec)


def _convert(img: Image.Image, data: bytes, label: str, spec: ImageModelSpec) -> UploadImage:
    from PIL import Image, ImageOps

    source_format = "JPEG" if img.format == "MPO" else (img.format or "unknown")
    animated = bool(getattr(img, "is_animated", False))
    orientation = int(img.getexif().get(ORIENTATION_TAG, 1) or 1)
    img.load()  # a full decode: a truncated file fails here
    accepted = spec.edit_formats or ("PNG",)
    needs_alpha = spec.edit_square  # DALL·E 2 wants RGBA, LA or L PNGs
    stem = Path(label).stem or "image"
    width, height = img.size
    unchanged = (
        source_format in accepted
        and not animated
        and orientation == 1
        and max(width, height) <= MAX_SIDE
        and len(data) <= spec.edit_max_bytes
        and (not spec.edit_square or width == height)
        and (not needs_alpha or img.mode in ("RGBA", "LA", "L"))
    )
    if unchanged:
        return UploadImage(
            f"{stem}.{_EXT[source_format]}", data, _MIME[source_format], width, height
        )
    notes: list[str] = []
    work: Image.Image = img
    if animated:
        work.seek(0)
        work = work.copy()
        notes.append("first frame only")
    if orientation != 1:
        work = ImageOps.exif_transpose(work)
        notes.append("turned upright")
    out_format = source_format if source_format in accepted else "PNG"
    if out_format != source_format:
        notes.append(f"converted from {source_format} to PNG")
    if spec.edit_square and work.width != work.height:
        side = min(work.width, work.height)
        left, top = (work.width - side) // 2, (work.height - side) // 2
        work = work.crop((left, top, left + side, top + side))
        notes.append(f"cropped to the centre {side}×{side} square (the model needs a square)")
    if max(work.size) > MAX_SIDE:
        before = work.size
        scale = MAX_SIDE / max(work.size)
        work = work.resize(
            (max(1, round(work.width * scale)), max(1, round(work.height * scale))),
            Image.Resampling.LANCZOS,
        )
        notes.append(f"scaled from {before[0]}×{before[1]} to {work.width}×{work.height}")
    work = _mode_for(work, out_format, needs_alpha)
    encoded = _encode(work, out_format)
    if len(encoded) > spec.edit_max_bytes:
        before = work.size
        while len(encoded) > spec.edit_max_bytes and min(work.size) > 64:
            work = work.resize(
                (max(1, int(work.width * _SHRINK)), max(1, int(work.height * _SHRINK))),
                Image.Resampling.LANCZOS,
            )
            encoded = _encode(work, out_format)
        if len(encoded) > spec.edit_max_bytes:
            raise ImageProblem(
                f"“{label}” cannot be made smaller than {spec.edit_max_bytes // (1024 * 1024)} MB."
            )
        notes.append(
            f"scaled from {before[0]}×{before[1]} to {work.width}×{work.height} to stay under "
            f"{spec.edit_max_bytes // (1024 * 1024)} MB"
        )
    return UploadImage(
        f"{stem}.{_EXT[out_format]}",
        encoded,
        _MIME[out_format],
        work.width,
        work.height,
        "; ".join(notes),
    )


def _mode_for(img: Image.Image, out_format: str, needs_alpha: bool) -> Image.Image:
    has_alpha = "A" in img.getbands() or "transparency" in img.info
    if out_format == "JPEG":
        return img if img.mode in ("L", "RGB") else img.convert("RGB")
    if needs_alpha:
        return img if img.mode in ("RGBA", "LA", "L") else img.convert("RGBA")
    if img.mode in ("L", "LA", "RGB", "RGBA"):
        return img
    return img.convert("RGBA" if has_alpha else "RGB")


def _encode(img: Image.Image, out_format: str) -> bytes:
    out = BytesIO()
    if out_format == "JPEG":
        img.save(out, "JPEG", quality=92)
    elif out_format == "WEBP":
        img.save(out, "WEBP", quality=92)
    else:
        img.save(out, "PNG", optimize=False)
    return out.getvalue()


def mask_png(coverage: bytes, width: int, height: int, *, name: str = "mask.png") -> UploadImage:
    """The mask the API wants from a painted coverage map.

    Args:
        coverage: `width * height` bytes, row by row; 128 or more means "painted: the model may
            change this pixel".
        width: the picture's width.
        height: the picture's height.
        name: the upload's file name.

    Returns:
        An RGBA PNG of `width` × `height`: painted pixels fully transparent (alpha 0), the rest
        opaque black (alpha 255).

    Raises:
        ValueError: `coverage` has the wrong length.
    """
    from PIL import Image

    if len(coverage) != width * height:
        raise ValueError(f"coverage has {len(coverage)} bytes, expected {width * height}")
    painted = Image.frombytes("L", (width, height), coverage)
    alpha = painted.point(lambda v: 0 if v >= 128 else 255)
    mask = Image.new("RGBA", (width, height), (0, 0, 0, 255))
    mask.putalpha(alpha)
    out = BytesIO()
    mask.save(out, "PNG", optimize=False)
    return UploadImage(name, out.getvalue(), "image/png", width, height)


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of encoded picture bytes, or None when they are not a picture."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(BytesIO(data)) as img:
            return int(img.width), int(img.height)
    except (UnidentifiedImageError, *DECODE_ERRORS):
        return None
