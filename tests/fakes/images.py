"""``POST /v1/images/generations`` (JSON), ``/v1/images/edits`` and ``/v1/images/variations``
(multipart).

``response_format="url"`` (or ``Scenario.image_urls``) links to ``GET /files/<name>`` on this
server; ``stream=true`` sends ``image_generation.*`` / ``image_edit.*`` events; a ``mask`` is
checked as the API checks it (a PNG with alpha, the first image's size).
"""

from __future__ import annotations

import base64
import io
import time
from collections.abc import Iterator, Mapping
from typing import Literal

from PIL import Image, UnidentifiedImageError

from tests.fakes import openai_payloads as payloads
from tests.fakes.server import Family, Handler
from tests.fakes.wire import JsonDict, Reply, UploadedFile, error_body

FAMILY = Family("images")

_IMAGE_CONTENT_TYPES = {"png": "image/png", "webp": "image/webp", "jpeg": "image/jpeg"}


def _image_params(
    h: Handler, params: Mapping[str, object]
) -> tuple[int, tuple[int, int], str, str]:
    n_raw = params.get("n") or 1
    try:
        n = int(str(n_raw))
    except ValueError:
        n = 0
    if not 1 <= n <= 10:
        raise Reply(
            400,
            error_body(
                f"Invalid 'n': integer above maximum value. Expected a value <= 10, but got {n_raw} instead.",
                param="n",
                code="integer_above_max_value",
            ),
        )
    size = payloads.parse_size(params.get("size"))
    if size is None:
        raise Reply(
            400,
            error_body(
                f"Invalid value: '{params.get('size')}'. Supported values are: '1024x1024', "
                "'1024x1536', '1536x1024', and 'auto'.",
                param="size",
                code="invalid_value",
            ),
        )
    fmt = str(params.get("output_format") or "png")
    if fmt not in _IMAGE_CONTENT_TYPES:
        fmt = "png"
    quality = str(params.get("quality") or "auto")
    return n, size, fmt, quality


def _images_respond(
    h: Handler,
    params: Mapping[str, object],
    model: str | None,
    prompt: str,
    *,
    kind: Literal["generation", "edit", "variation"],
    input_images: int = 0,
    default_size: tuple[int, int] | None = None,
) -> None:
    n, size, fmt, quality = _image_params(h, params)
    if params.get("size") in (None, "auto") and default_size is not None:
        size = default_size
    width, height = size
    gpt_image = model is None or model.startswith("gpt-image")
    transparent = params.get("background") == "transparent"
    effective_quality = quality if quality in payloads.IMAGE_OUTPUT_TOKENS else "medium"
    shape = "square" if width == height else "wide"
    text_tokens = payloads.count_tokens(prompt)
    image_tokens = payloads.IMAGE_INPUT_TOKENS * input_images
    output_tokens = n * payloads.IMAGE_OUTPUT_TOKENS[effective_quality][shape]
    usage: JsonDict = {
        "input_tokens": text_tokens + image_tokens,
        "input_tokens_details": {"text_tokens": text_tokens, "image_tokens": image_tokens},
        "output_tokens": output_tokens,
        "output_tokens_details": {"text_tokens": 0, "image_tokens": output_tokens},
        "total_tokens": text_tokens + image_tokens + output_tokens,
    }
    created = int(time.time())
    stream = params.get("stream") in (True, "true")
    if stream and kind != "variation":
        prefix = "image_generation" if kind == "generation" else "image_edit"
        partials = int(str(params.get("partial_images") or 0))
        common: JsonDict = {
            "background": "transparent" if transparent else "opaque",
            "created_at": created,
            "output_format": fmt,
            "quality": effective_quality,
            "size": f"{width}x{height}",
        }

        def events() -> Iterator[tuple[str | None, object, int]]:
            for i in range(n):
                seed = f"{prompt}|{i}"
                for p in range(partials):
                    data = payloads.make_image(
                        width,
                        height,
                        seed,
                        fmt=fmt,
                        transparent=transparent,
                        progress=(p + 1) / (partials + 1),
                    )
                    event = {
                        **common,
                        "type": f"{prefix}.partial_image",
                        "b64_json": base64.b64encode(data).decode("ascii"),
                        "partial_image_index": p,
                    }
                    yield event["type"], event, 0
                data = payloads.make_image(width, height, seed, fmt=fmt, transparent=transparent)
                done = {
                    **common,
                    "type": f"{prefix}.completed",
                    "b64_json": base64.b64encode(data).decode("ascii"),
                    "usage": usage,
                }
                yield done["type"], done, 0

        h.fake._add_tokens(int(usage["total_tokens"]))
        h.send_sse(events(), done=False)
        return
    as_url = params.get("response_format") == "url" or h.fake.scenario.image_urls
    items: list[JsonDict] = []
    for i in range(n):
        data = payloads.make_image(width, height, f"{prompt}|{i}", fmt=fmt, transparent=transparent)
        item: JsonDict = {}
        if as_url:
            item["url"] = h.fake._store_file(data, _IMAGE_CONTENT_TYPES[fmt], fmt)
        else:
            item["b64_json"] = base64.b64encode(data).decode("ascii")
        if kind != "variation" and model != "dall-e-2":
            item["revised_prompt"] = f"{prompt} (revised by the fake server)"
        items.append(item)
    response: JsonDict = {"created": created, "data": items}
    if gpt_image and kind != "variation":
        response.update(
            {
                "background": "transparent" if transparent else "opaque",
                "output_format": fmt,
                "quality": effective_quality,
                "size": f"{width}x{height}",
                "usage": usage,
            }
        )
        h.fake._add_tokens(int(usage["total_tokens"]))
    h.send_json(200, response)


@FAMILY.route("POST", "/images/generations")
def _generate(h: Handler) -> None:
    body = h.json_body()
    model = h.check_model(body.get("model"), required=False)
    prompt = str(h.require(body, "prompt"))
    _images_respond(h, body, model, prompt, kind="generation")


def _uploaded_images(h: Handler) -> list[UploadedFile]:
    images = [upload for name, upload in h.record.file_items if name in ("image", "image[]")]
    if not images:
        h.require({}, "image")
    return images


def _image_size(upload: UploadedFile) -> tuple[int, int] | None:
    try:
        with Image.open(io.BytesIO(upload.data)) as image:
            return (int(image.width), int(image.height))
    except (UnidentifiedImageError, OSError, ValueError):
        return None


@FAMILY.route("POST", "/images/edits")
def _edit(h: Handler) -> None:
    form = h.record.form
    model = h.check_model(form.get("model"), required=False)
    images = _uploaded_images(h)
    prompt = str(h.require(form, "prompt"))
    mask = h.record.files.get("mask")
    if mask is not None:
        _check_mask(h, mask, images[0])
    _images_respond(
        h,
        form,
        model,
        prompt,
        kind="edit",
        input_images=len(images),
        default_size=_image_size(images[0]),
    )


def _check_mask(h: Handler, mask: UploadedFile, image: UploadedFile) -> None:
    """The API's checks of ``mask``: a PNG with an alpha channel, the first image's size."""
    try:
        with Image.open(io.BytesIO(mask.data)) as picture:
            fmt, mode, size = picture.format, picture.mode, picture.size
    except (UnidentifiedImageError, OSError, ValueError):
        fmt, mode, size = None, "", (0, 0)
    if fmt != "PNG":
        raise Reply(
            400,
            error_body(
                "Invalid mask image format - mask must be a PNG file.",
                param="mask",
                code="invalid_image_format",
            ),
        )
    if mode not in ("RGBA", "LA", "L"):
        raise Reply(
            400,
            error_body(
                f"Invalid input image - format must be in ['RGBA', 'LA', 'L'], got {mode}.",
                param="mask",
                code="invalid_image_format",
            ),
        )
    if size != _image_size(image):
        raise Reply(
            400,
            error_body(
                "Invalid mask image format - mask size does not match image size",
                param="mask",
                code="invalid_image_format",
            ),
        )


@FAMILY.route("POST", "/images/variations")
def _variation(h: Handler) -> None:
    form = h.record.form
    model = h.check_model(form.get("model"), required=False)
    images = _uploaded_images(h)
    _images_respond(
        h,
        form,
        model,
        "variation",
        kind="variation",
        default_size=_image_size(images[0]),
    )
