"""What each image model accepts, what a request to it looks like, and what it will cost.

The image models change fast (DALL·E 2 and 3 were retired on 2026-05-12, gpt-image-1 on 2026-10-23,
new gpt-image families keep arriving), so no widget knows any option: every list the Images tab
shows comes from `image_spec(model)`, one small table of rules by model-name pattern, like
`capabilities.RULES`. Unknown names matching the image kind get the GPT-image defaults, which is
what the current API documents for all its image models.

`ImageRequest` holds one request in the app's terms; `check_request` lists what is wrong with it
(each problem names the control that caused it) and `ImageRequest.to_api` builds the SDK keyword
arguments, leaving out what the model does not take.

`estimate_usage` predicts the tokens of a request from the published per-image token counts
(gpt-image output tokens by quality and shape), so the Pricer can show "≈ $0.03" before sending.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from typing import Any, Final, Literal

from playground.core.models import Usage

Mode = Literal["generate", "edit", "variation"]
MODES: Final[tuple[Mode, ...]] = ("generate", "edit", "variation")

MB: Final = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ImageModelSpec:
    """What an image model accepts. Empty option tuples mean "not a parameter of this model".

    Attributes:
        family: "gpt-image", "dall-e-2" or "dall-e-3" (for messages).
        sizes: the sizes offered, "auto" first when the model picks one itself.
        custom_sizes: any WIDTHxHEIGHT within the limits below is accepted too.
        size_multiple: custom width and height must be multiples of this.
        max_edge: the longest side a custom size may have.
        max_pixels: the most pixels a custom size may have.
        max_ratio: the most a custom size's long side may be over its short side.
        qualities: the quality levels, the default first.
        styles: DALL·E 3's vivid/natural (empty: no style parameter).
        backgrounds: transparent / opaque / auto.
        output_formats: png, jpeg, webp (empty: the model returns PNG and takes no format).
        compression: accepts `output_compression` (for jpeg and webp).
        moderation_levels: `moderation` values, the default first.
        max_n: the most images per request.
        max_prompt: the prompt's character limit.
        max_partial_images: partial images it can stream (0: no streaming).
        response_format: accepts `response_format` (url or b64_json); GPT image models always
            answer in base64 and reject the parameter.
        edit: has the edits endpoint.
        edit_max_images: source images one edit may take.
        mask: edits take a mask.
        edit_formats: the upload formats it accepts (Pillow names).
        edit_max_bytes: the largest source image.
        edit_square: sources must be square (DALL·E 2).
        mask_max_bytes: the largest mask.
        input_fidelity: `input_fidelity` values for edits (empty: not a parameter).
        variations: has the variations endpoint.
        variation_sizes: the sizes variations can have.
        token_priced: the API reports (and bills) tokens for its images.
        note: a sentence shown under the model choice ("Retired by OpenAI…"), or "".
    """

    family: str = "gpt-image"
    sizes: tuple[str, ...] = ("auto", "1024x1024", "1536x1024", "1024x1536")
    custom_sizes: bool = False
    size_multiple: int = 16
    max_edge: int = 3840
    max_pixels: int = 3840 * 2160
    max_ratio: float = 3.0
    qualities: tuple[str, ...] = ("auto", "low", "medium", "high")
    styles: tuple[str, ...] = ()
    backgrounds: tuple[str, ...] = ("auto", "opaque", "transparent")
    output_formats: tuple[str, ...] = ("png", "jpeg", "webp")
    compression: bool = True
    moderation_levels: tuple[str, ...] = ("auto", "low")
    max_n: int = 10
    max_prompt: int = 32_000
    max_partial_images: int = 3
    response_format: bool = False
    edit: bool = True
    edit_max_images: int = 16
    mask: bool = True
    edit_formats: tuple[str, ...] = ("PNG", "JPEG", "WEBP")
    edit_max_bytes: int = 50 * MB
    edit_square: bool = False
    mask_max_bytes: int = 4 * MB
    input_fidelity: tuple[str, ...] = ()
    variations: bool = False
    variation_sizes: tuple[str, ...] = ()
    token_priced: bool = True
    note: str = ""

    def default_size(self, mode: Mode = "generate") -> str:
        sizes = self.sizes_for(mode)
        return sizes[0] if sizes else "auto"

    def sizes_for(self, mode: Mode) -> tuple[str, ...]:
        return self.variation_sizes if mode == "variation" else self.sizes

    def supports(self, mode: Mode) -> bool:
        return mode == "generate" or (mode == "edit" and self.edit) or self.variations


@dataclass(frozen=True, slots=True)
class SpecRule:
    """Facts for the image models whose base name matches `pattern` (searched case-insensitively);
    later rules win."""

    pattern: str
    facts: dict[str, object]


_RETIRED_DALLE = (
    "OpenAI retired DALL·E on 2026-05-12; it works only where a server still offers it."
)

# Order matters: the family first, then exceptions. Facts from the OpenAI API reference (2026-11).
SPEC_RULES: tuple[SpecRule, ...] = (
    SpecRule(r"^gpt-image-1-mini", {"input_fidelity": ("low",)}),
    SpecRule(r"^gpt-image-1(\.5)?($|-\d{4})", {"input_fidelity": ("low", "high")}),
    SpecRule(
        r"^gpt-image-1($|-\d{4})",
        {"note": "OpenAI shut gpt-image-1 down on 2026-10-23; pick a newer gpt-image model."},
    ),
    # gpt-image-2 and 2.5 take any size within limits; 2.5 adds two quality levels.
    SpecRule(r"^gpt-image-2($|-\d{4}|\.5)", {"custom_sizes": True}),
    SpecRule(r"^gpt-image-2\.5", {"qualities": ("auto", "low", "medium", "high", "xhigh", "max")}),
    SpecRule(
        r"^dall-e-2",
        {
            "family": "dall-e-2",
            "sizes": ("1024x1024", "512x512", "256x256"),
            "qualities": (),
            "backgrounds": (),
            "output_formats": (),
            "compression": False,
            "moderation_levels": (),
            "max_prompt": 1000,
            "max_partial_images": 0,
            "response_format": True,
            "edit_max_images": 1,
            "edit_formats": ("PNG",),
            "edit_max_bytes": 4 * MB,
            "edit_square": True,
            "variations": True,
            "variation_sizes": ("1024x1024", "512x512", "256x256"),
            "token_priced": False,
            "note": _RETIRED_DALLE,
        },
    ),
    SpecRule(
        r"^dall-e-3",
        {
            "family": "dall-e-3",
            "sizes": ("1024x1024", "1792x1024", "1024x1792"),
            "qualities": ("standard", "hd"),
            "styles": ("vivid", "natural"),
            "backgrounds": (),
            "output_formats": (),
            "compression": False,
            "moderation_levels": (),
            "max_n": 1,
            "max_prompt": 4000,
            "max_partial_images": 0,
            "response_format": True,
            "edit": False,
            "mask": False,
            "token_priced": False,
            "note": _RETIRED_DALLE,
        },
    ),
)

_SPEC_FIELDS = {f.name for f in fields(ImageModelSpec)}


@lru_cache(maxsize=256)
def image_spec(model: str) -> ImageModelSpec:
    """The options of an image model (fine-tune and vendor prefixes are dropped)."""
    name = model.strip()
    if name.startswith("ft:"):
        name = name[3:].split(":", 1)[0]
    name = name.rsplit("/", 1)[-1]
    spec = ImageModelSpec()
    for rule in SPEC_RULES:
        if re.search(rule.pattern, name, flags=re.IGNORECASE):
            unknown = set(rule.facts) - _SPEC_FIELDS
            if unknown:  # a typo in the table must not pass silently
                raise ValueError(f"unknown image fact {sorted(unknown)} in rule {rule.pattern!r}")
            spec = replace(spec, **rule.facts)  # type: ignore[arg-type]
    return spec


# --- requests ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UploadImage:
    """An image ready to upload (already checked and converted, see `images_files`).

    Attributes:
        name: a file name with the right extension ("photo.png").
        data: the encoded bytes.
        mime: image/png, image/jpeg or image/webp.
        width: pixels.
        height: pixels.
        note: what was done to make it acceptable, or "".
    """

    name: str
    data: bytes = field(repr=False)
    mime: str
    width: int
    height: int
    note: str = ""

    def to_file(self) -> tuple[str, bytes, str]:
        """The (name, bytes, content type) tuple the SDK uploads as a file."""
        return (self.name, self.data, self.mime)


@dataclass(frozen=True, slots=True)
class ImageRequest:
    """One request to the Images API, in the app's terms.

    Options a model does not take are kept (the user may switch back) and left out by `to_api`.
    """

    mode: Mode
    model: str
    prompt: str = ""
    size: str = "auto"
    quality: str = "auto"
    style: str = ""
    background: str = "auto"
    output_format: str = "png"
    output_compression: int = 100
    moderation: str = "auto"
    n: int = 1
    partial_images: int = 0
    input_fidelity: str = ""
    images: tuple[UploadImage, ...] = ()
    mask: UploadImage | None = None

    @property
    def spec(self) -> ImageModelSpec:
        return image_spec(self.model)

    @property
    def streams(self) -> bool:
        """Whether the request streams partial images (GPT image models, generate and edit)."""
        spec = self.spec
        return self.mode != "variation" and spec.max_partial_images > 0 and self.partial_images > 0

    @property
    def file_extension(self) -> str:
        fmt = self.output_format if self.spec.output_formats else "png"
        return "jpg" if fmt == "jpeg" else fmt

    def params(self) -> dict[str, Any]:
        """The options that apply to this model, as written to the gallery's sidecar."""
        return {k: v for k, v in self.to_api(stream=False).items() if k not in _FILE_KEYS}

    def to_api(self, *, stream: bool | None = None) -> dict[str, Any]:
        """Keyword arguments for `client.images.generate/edit/create_variation`.

        Args:
            stream: force streaming on or off; by default `streams` decides.
        """
        spec = self.spec
        out: dict[str, Any] = {"model": self.model}
        if self.mode != "variation":
            out["prompt"] = self.prompt
        sizes = spec.sizes_for(self.mode)
        if self.size and (self.size in sizes or (spec.custom_sizes and self.mode != "variation")):
            out["size"] = self.size
        if self.n != 1:
            out["n"] = self.n
        if spec.response_format:
            # Links expire after an hour; base64 keeps the picture in the answer itself.
            out["response_format"] = "b64_json"
        if self.mode == "variation":
            out["image"] = self.images[0].to_file() if self.images else None
            return out
        if self.quality in spec.qualities and self.quality != spec.qualities[0]:
            out["quality"] = self.quality
        if self.style in spec.styles:
            out["style"] = self.style
        if self.background in spec.backgrounds and self.background != "auto":
            out["background"] = self.background
        if spec.output_formats and self.output_format in spec.output_formats:
            if self.output_format != "png":
                out["output_format"] = self.output_format
            lossy = self.output_format in ("jpeg", "webp")
            if spec.compression and lossy and self.output_compression != 100:
                out["output_compression"] = self.output_compression
        if self.moderation in spec.moderation_levels and self.moderation != "auto":
            out["moderation"] = self.moderation
        if self.mode == "edit":
            files = [image.to_file() for image in self.images]
            out["image"] = files[0] if len(files) == 1 else files
            if self.mask is not None and spec.mask:
                out["mask"] = self.mask.to_file()
            if self.input_fidelity in spec.input_fidelity:
                out["input_fidelity"] = self.input_fidelity
        streaming = self.streams if stream is None else stream
        if streaming:
            out["stream"] = True
            out["partial_images"] = max(0, min(self.partial_images, spec.max_partial_images))
        return out


_FILE_KEYS: Final = frozenset({"image", "mask", "stream", "partial_images"})

Field = Literal[
    "model",
    "prompt",
    "size",
    "quality",
    "style",
    "background",
    "output_format",
    "output_compression",
    "moderation",
    "n",
    "partial_images",
    "images",
    "mask",
]


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with a request, and the control that caused it."""

    field: Field
    message: str


_SIZE = re.compile(r"^\s*(\d{1,5})\s*[x×X*]\s*(\d{1,5})\s*$")


def parse_size(text: str) -> tuple[int, int] | None:
    """(width, height) of "1536x864" (also "1536 × 864"), or None for "auto" and nonsense."""
    match = _SIZE.match(text)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))


def normalize_size(text: str) -> str:
    """ "1536 × 864" -> "1536x864"; "Auto" -> "auto"; anything else unchanged (stripped)."""
    text = text.strip()
    if text.lower() == "auto":
        return "auto"
    parsed = parse_size(text)
    return f"{parsed[0]}x{parsed[1]}" if parsed else text


def check_size(spec: ImageModelSpec, size: str, mode: Mode = "generate") -> str:
    """Why `size` does not suit the model, or "" when it does."""
    sizes = spec.sizes_for(mode)
    if size in sizes:
        return ""
    if not spec.custom_sizes or mode == "variation":
        return f"This model makes {_join(sizes)} pictures."
    parsed = parse_size(size)
    if parsed is None:
        return "Write the size as width x height, e.g. 1536x864, or pick one from the list."
    width, height = parsed
    m = spec.size_multiple
    if width % m or height % m:
        return f"Width and height must both be multiples of {m} (e.g. 1536x864)."
    if min(width, height) < m:
        return "That is too small."
    if max(width, height) > spec.max_edge:
        return f"The longest side can be at most {spec.max_edge:,} pixels."
    if width * height > spec.max_pixels:
        return f"At most {spec.max_pixels:,} pixels (e.g. {_max_example(spec)})."
    if max(width, height) / min(width, height) > spec.max_ratio:
        return (
            f"The picture can be at most {spec.max_ratio:g} times as wide as tall, or tall as wide."
        )
    return ""


#: Aspect ratios offered as ready-made sizes for models that take any size, and named in labels.
COMMON_RATIOS: Final = ((1, 1), (3, 2), (2, 3), (4, 3), (3, 4), (16, 9), (9, 16), (21, 9), (9, 21))
_PRESETS: Final = (  # (ratio, long side): the common ratios at the standard size, then 2K and 4K
    *(((w, h), 1536) for w, h in ((16, 9), (9, 16), (4, 3), (3, 4), (21, 9))),
    *(((w, h), side) for side in (2560, 3840) for w, h in ((16, 9), (9, 16))),
)


def suggested_sizes(spec: ImageModelSpec, mode: Mode = "generate") -> tuple[str, ...]:
    """The model's own sizes, then, for models that take any size, the common aspect ratios
    (16:9, 4:3, 21:9 and their portraits at 1536, 16:9 at 2K and 4K) rounded to its multiple and
    kept only where they are within its limits."""
    sizes = spec.sizes_for(mode)
    if not spec.custom_sizes or mode == "variation":
        return sizes
    m = spec.size_multiple
    extra = []
    for (w, h), side in _PRESETS:
        short = round(side * min(w, h) / max(w, h) / m) * m
        size = f"{side}x{short}" if w >= h else f"{short}x{side}"
        if size not in sizes and size not in extra and not check_size(spec, size, mode):
            extra.append(size)
    return (*sizes, *extra)


def aspect_label(size: str) -> str:
    """ "1536x864" -> "16:9": the common ratio within 1.5 % of the size's, or "" (also for auto)."""
    parsed = parse_size(size)
    if parsed is None or not all(parsed):
        return ""
    ratio = parsed[0] / parsed[1]
    for w, h in COMMON_RATIOS:
        if abs(ratio / (w / h) - 1) <= 0.015:
            return f"{w}:{h}"
    return ""


def check_request(request: ImageRequest) -> list[Problem]:
    """Everything wrong with `request` for its model, each tied to the control that caused it."""
    spec = request.spec
    problems: list[Problem] = []
    if not request.model:
        return [Problem("model", "Pick an image model first (the list shows your provider's).")]
    if not spec.supports(request.mode):
        what = {"edit": "edit pictures", "variation": "make variations"}.get(request.mode, "")
        problems.append(Problem("model", f"{request.model} cannot {what}."))
    if request.mode != "variation":
        prompt = request.prompt.strip()
        if not prompt:
            problems.append(Problem("prompt", "Describe the picture you want first."))
        elif len(request.prompt) > spec.max_prompt:
            over = len(request.prompt) - spec.max_prompt
            problems.append(
                Problem(
                    "prompt",
                    f"The prompt is {over:,} characters over this model's limit of "
                    f"{spec.max_prompt:,}. Shorten it.",
                )
            )
    size_problem = check_size(spec, request.size, request.mode)
    if size_problem:
        problems.append(Problem("size", size_problem))
    if not 1 <= request.n <= spec.max_n:
        problems.append(Problem("n", f"This model makes 1 to {spec.max_n} pictures per request."))
    if request.mode != "variation":
        if (
            request.background == "transparent"
            and "transparent" in spec.backgrounds
            and spec.output_formats
            and request.output_format == "jpeg"
        ):
            problems.append(Problem("output_format", "JPEG has no transparency: pick PNG or WEBP."))
        if not 0 <= request.output_compression <= 100:
            problems.append(Problem("output_compression", "Compression is 0 to 100 %."))
    if request.mode in ("edit", "variation"):
        limit = spec.edit_max_images if request.mode == "edit" else 1
        if not request.images:
            problems.append(
                Problem("images", "Add a picture to start from (open, paste or drop one).")
            )
        elif len(request.images) > limit:
            problems.append(
                Problem(
                    "images",
                    f"This model takes {'one picture' if limit == 1 else f'up to {limit} pictures'}"
                    f" here; remove {len(request.images) - limit}.",
                )
            )
    if request.mode == "edit" and request.mask is not None and request.images:
        first = request.images[0]
        if (request.mask.width, request.mask.height) != (first.width, first.height):
            problems.append(
                Problem(
                    "mask",
                    f"The mask is {request.mask.width}×{request.mask.height} but the picture is "
                    f"{first.width}×{first.height}; they must be the same size. Clear the mask and "
                    "paint it again.",
                )
            )
        elif len(request.mask.data) > spec.mask_max_bytes:
            problems.append(Problem("mask", "The mask is larger than 4 MB."))
    return problems


# --- estimates ---------------------------------------------------------------------------------

#: Output tokens of one gpt-image picture by quality, for 1024x1024, 1024x1536 and 1536x1024,
#: as OpenAI publishes them for its GPT image models.
OUTPUT_TOKENS: Final[dict[str, tuple[int, int, int]]] = {
    "low": (272, 408, 400),
    "medium": (1056, 1584, 1568),
    "high": (4160, 6240, 6208),
}
#: The highest levels of gpt-image-2.5 are priced as high: nothing better is published.
_QUALITY_ALIASES: Final = {"xhigh": "high", "max": "high", "standard": "medium", "hd": "high"}
#: Input image tokens of one source picture in an edit (a 1024x1024 picture at low fidelity).
INPUT_IMAGE_TOKENS: Final = 194
#: Characters per text token, for a prompt's token estimate without a tokenizer.
_CHARS_PER_TOKEN: Final = 4


def output_tokens(quality: str, size: str) -> int:
    """Estimated output tokens of one picture of `quality` and `size` ("auto" size as square)."""
    level = _QUALITY_ALIASES.get(quality, quality)
    square, tall, wide = OUTPUT_TOKENS.get(level, OUTPUT_TOKENS["medium"])
    parsed = parse_size(size) or (1024, 1024)
    width, height = parsed
    base = square if width == height else (tall if height > width else wide)
    area = width * height
    standard = 1024 * 1024 if width == height else 1024 * 1536
    return max(1, round(base * area / standard))


def estimate_usage(request: ImageRequest, prompt_tokens: int | None = None) -> list[Usage]:
    """The likely usage of `request`: one `Usage` per plausible quality (one when the quality is
    fixed; low and high bounds when the model picks it, "auto"). Empty for models not priced by
    tokens (DALL·E: genai-prices has no per-image prices).

    Args:
        request: the request.
        prompt_tokens: the prompt's token count if known (else about 4 characters per token).
    """
    spec = request.spec
    if not spec.token_priced:
        return []
    text = prompt_tokens
    if text is None:
        text = math.ceil(len(request.prompt) / _CHARS_PER_TOKEN) if request.prompt else 0
    image_in = INPUT_IMAGE_TOKENS * len(request.images) if request.mode == "edit" else 0
    if request.quality in spec.qualities and request.quality != "auto":
        levels = [request.quality]
    else:
        levels = ["low", "high"]
    out: list[Usage] = []
    for level in levels:
        per_image = output_tokens(level, request.size)
        out.append(
            Usage(
                input_tokens=text + image_in,
                output_tokens=per_image * max(request.n, 1),
                images=max(request.n, 1),
                image_input_tokens=image_in,
                image_output_tokens=per_image * max(request.n, 1),
                estimated=True,
            )
        )
    return out


def usage_from_api(usage: Any, images: int) -> Usage | None:
    """Our `Usage` from the Images API's `usage` object (None when the server sent none)."""
    if usage is None:
        return None

    def _get(obj: Any, name: str) -> int:
        if obj is None:
            return 0
        value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, 0)
        return int(value or 0)

    details_in = usage.get("input_tokens_details") if isinstance(usage, dict) else None
    if details_in is None and not isinstance(usage, dict):
        details_in = getattr(usage, "input_tokens_details", None)
    details_out = usage.get("output_tokens_details") if isinstance(usage, dict) else None
    if details_out is None and not isinstance(usage, dict):
        details_out = getattr(usage, "output_tokens_details", None)
    output = _get(usage, "output_tokens")
    # Without details, every output token of an image model is an image token.
    image_out = _get(details_out, "image_tokens") if details_out is not None else output
    return Usage(
        input_tokens=_get(usage, "input_tokens"),
        output_tokens=output,
        images=images,
        image_input_tokens=_get(details_in, "image_tokens"),
        image_output_tokens=image_out,
    )


def _join(items: tuple[str, ...]) -> str:
    shown = [s.replace("x", "×") for s in items]
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + " or " + shown[-1]


def _max_example(spec: ImageModelSpec) -> str:
    side = int(math.sqrt(spec.max_pixels * 16 / 9))
    side -= side % spec.size_multiple
    height = spec.max_pixels // max(side, 1)
    height -= height % spec.size_multiple
    return f"{side}x{height}"
