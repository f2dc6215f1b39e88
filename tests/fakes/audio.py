"""``POST /v1/audio/speech`` (a real WAV tone for ``wav``, raw 24 kHz PCM for ``pcm``; ``mp3``,
``opus``, ``aac`` and ``flac`` get the same WAV bytes under their own content type, or SSE with
``stream_format="sse"``), ``/v1/audio/transcriptions`` and ``/v1/audio/translations``
(``Scenario.transcript_text`` in every ``response_format``, streamed for the gpt-4o models).

gpt-transcribe's fields are checked as the API checks them: ``languages[]`` (ISO-639-1 codes) and
``keywords[]`` for gpt-transcribe only, ``known_speaker_names[]`` with as many audio data URLs in
``known_speaker_references[]`` (at most 4) for gpt-transcribe and the diarize model,
``chunking_strategy`` "auto"; ``diarized_json`` (for those models) labels the segments with the
known names in turn ("A", "B" without names), also as ``transcript.text.segment`` events when
streamed.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterator
from typing import Literal

from tests.fakes import openai_payloads as payloads
from tests.fakes.server import Family, Handler
from tests.fakes.wire import JsonDict, Reply, UploadedFile, error_body

FAMILY = Family("audio")

_LANGUAGES = {
    "en": "english",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "nl": "dutch",
    "pt": "portuguese",
    "ru": "russian",
    "ja": "japanese",
    "zh": "chinese",
    "ar": "arabic",
}
_AUDIO_CONTENT_TYPES = {
    "mp3": "audio/mpeg",
    "opus": "audio/opus",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}


@FAMILY.route("POST", "/audio/speech")
def _speech(h: Handler) -> None:
    """Text to speech.

    ``wav`` is a real WAV (24 kHz, 16-bit mono, 440 Hz tone of
    :func:`~tests.fakes.openai_payloads.speech_duration` seconds); ``pcm`` is the same frames
    raw. ``mp3``/``opus``/``aac``/``flac`` return the WAV bytes with that format's content type
    (no encoder is needed for tests). The body is sent chunked, like the real API, in 16 KiB
    pieces; ``Scenario.drop_after_chunks`` drops the connection after that many pieces.
    ``stream_format="sse"`` (not for tts-1/tts-1-hd) sends the pieces base64-encoded as
    ``speech.audio.delta`` events and ends with ``speech.audio.done`` carrying token usage
    (output tokens: 50 per piece). ``instructions`` are refused for tts-1/tts-1-hd.
    """
    body = h.json_body()
    h.check_model(body.get("model"))
    text = str(h.require(body, "input"))
    h.require(body, "voice")
    if len(text) > 4096:
        raise Reply(
            400,
            error_body(
                "Invalid 'input': string too long. Expected a string with maximum length 4096, but"
                f" got a string with length {len(text)} instead.",
                param="input",
                code="string_above_max_length",
            ),
        )
    fmt = str(body.get("response_format") or "mp3")
    if fmt not in _AUDIO_CONTENT_TYPES:
        raise Reply(
            400,
            error_body(
                f"Invalid value: '{fmt}'. Supported values are: 'mp3', 'opus', 'aac', 'flac', 'wav',"
                " and 'pcm'.",
                param="response_format",
                code="invalid_value",
            ),
        )
    h.check_range(body, "speed", 0.25, 4.0)
    speed = float(body.get("speed") or 1.0)
    model = str(body.get("model"))
    stream_format = body.get("stream_format") or "audio"
    if stream_format == "sse" and model.startswith("tts-1"):
        raise Reply(
            400,
            error_body(
                f"stream_format 'sse' is not supported for model '{model}'.",
                param="stream_format",
                code="unsupported_value",
            ),
        )
    if body.get("instructions") and model.startswith("tts-1"):
        raise Reply(
            400,
            error_body(
                f"instructions are not supported for model '{model}'.",
                param="instructions",
                code="unsupported_value",
            ),
        )
    pcm = payloads.speech_pcm(text, speed)
    audio = pcm if fmt == "pcm" else payloads.pcm_to_wav(pcm)
    pieces = [audio[offset : offset + 16384] for offset in range(0, len(audio), 16384)]
    if stream_format == "sse":
        input_tokens = payloads.count_tokens(text) + payloads.count_tokens(
            str(body.get("instructions") or "")
        )
        usage = {
            "input_tokens": input_tokens,
            "output_tokens": len(pieces) * 50,
            "total_tokens": input_tokens + len(pieces) * 50,
        }

        def events() -> Iterator[tuple[str | None, object, int]]:
            for piece in pieces:
                yield (
                    None,
                    {
                        "type": "speech.audio.delta",
                        "audio": base64.b64encode(piece).decode("ascii"),
                    },
                    0,
                )
            yield None, {"type": "speech.audio.done", "usage": usage}, 0

        h.send_sse(events(), done=False)
        return
    drop = h.fake.scenario.drop_after_chunks
    h.send_head(200, _AUDIO_CONTENT_TYPES[fmt], {}, None)
    for sent, piece in enumerate(pieces):
        if drop is not None and sent >= drop:
            h.abort()
            return
        h.write_chunk(piece)
    h.end_chunks()


def _audio_upload(h: Handler) -> tuple[str, UploadedFile, str]:
    form = h.record.form
    upload = h.record.files.get("file")
    if upload is None:
        h.require({}, "file")
    assert upload is not None
    limit = h.fake.scenario.max_upload_bytes
    if len(upload.data) > limit:
        raise Reply(
            413,
            error_body(
                f"Maximum content size limit ({limit}) exceeded ({len(h.record.body)} bytes read)",
                "server_error",
            ),
        )
    model = h.check_model(form.get("model"))
    assert model is not None
    fmt = form.get("response_format") or "json"
    if fmt not in ("json", "text", "srt", "verbose_json", "vtt", "diarized_json"):
        raise Reply(
            400,
            error_body(
                f"Invalid value: '{fmt}'. Supported values are: 'json', 'text', 'srt', 'verbose_json',"
                " 'vtt' and 'diarized_json'.",
                param="response_format",
                code="invalid_value",
            ),
        )
    if fmt == "diarized_json" and not _speaker_model(model):
        raise Reply(
            400,
            error_body(
                f"response_format 'diarized_json' is not compatible with model '{model}'.",
                param="response_format",
                code="unsupported_value",
            ),
        )
    if model != "whisper-1" and fmt not in ("json", "text", "diarized_json"):
        raise Reply(
            400,
            error_body(
                f"response_format '{fmt}' is not compatible with model '{model}'. Use 'json' or 'text'"
                " instead.",
                param="response_format",
                code="unsupported_value",
            ),
        )
    return model, upload, fmt


def _speaker_model(model: str) -> bool:
    return model.startswith("gpt-transcribe") or "diarize" in model


def _gpt_transcribe_fields(h: Handler, model: str) -> list[str]:
    """Checks gpt-transcribe's fields (languages, keywords, known speakers, chunking) as the API
    does; returns the known speakers' names."""
    record = h.record
    languages = record.form_values("languages[]")
    keywords = record.form_values("keywords[]")
    names = record.form_values("known_speaker_names[]")
    references = record.form_values("known_speaker_references[]")
    for param, given in (("languages", languages), ("keywords", keywords)):
        if given and not model.startswith("gpt-transcribe"):
            raise Reply(
                400,
                error_body(
                    f"Unsupported parameter: '{param}' is not supported with model '{model}'.",
                    param=param,
                    code="unsupported_parameter",
                ),
            )
    for code in languages:
        if len(code) != 2 or not code.isalpha() or not code.islower():
            raise Reply(
                400,
                error_body(
                    f"Invalid language '{code}'. Languages must be ISO-639-1 codes, e.g. 'en'.",
                    param="languages",
                    code="invalid_value",
                ),
            )
    if (names or references) and not _speaker_model(model):
        raise Reply(
            400,
            error_body(
                f"Unsupported parameter: 'known_speaker_names' is not supported with model '{model}'.",
                param="known_speaker_names",
                code="unsupported_parameter",
            ),
        )
    if len(names) != len(references) or len(names) > 4:
        raise Reply(
            400,
            error_body(
                "known_speaker_names and known_speaker_references must have the same length, "
                "at most 4.",
                param="known_speaker_references",
                code="invalid_value",
            ),
        )
    for reference in references:
        if not reference.startswith("data:audio/") or ";base64," not in reference:
            raise Reply(
                400,
                error_body(
                    "Each known speaker reference must be an audio data URL.",
                    param="known_speaker_references",
                    code="invalid_value",
                ),
            )
        try:
            base64.b64decode(reference.split(";base64,", 1)[1], validate=True)
        except ValueError as exc:
            raise Reply(
                400,
                error_body(
                    "A known speaker reference is not valid base64.",
                    param="known_speaker_references",
                    code="invalid_value",
                ),
            ) from exc
    chunking = record.form.get("chunking_strategy")
    if chunking is not None and chunking != "auto":
        raise Reply(
            400,
            error_body(
                f"Invalid value: '{chunking}'. chunking_strategy must be 'auto' or a server_vad "
                "object.",
                param="chunking_strategy",
                code="invalid_value",
            ),
        )
    return names


def _diarized(segments: list[JsonDict], names: list[str]) -> list[JsonDict]:
    """The segments labelled with speakers: the known names in turn, else "A", "B"."""
    labels = names or ["A", "B"]
    return [
        {
            "type": "transcript.text.segment",
            "id": f"seg_{index:03d}",
            "start": seg["start"],
            "end": seg["end"],
            "text": seg["text"],
            "speaker": labels[index % len(labels)],
        }
        for index, seg in enumerate(segments)
    ]


def _transcribe(h: Handler, task: Literal["transcribe", "translate"]) -> None:
    model, upload, fmt = _audio_upload(h)
    form = h.record.form
    scenario = h.fake.scenario
    names = _gpt_transcribe_fields(h, model) if task == "transcribe" else []
    text = scenario.transcript_text
    duration = payloads.audio_duration(upload.data, text)
    prompt_tokens = payloads.count_tokens(form.get("prompt", ""))
    audio_tokens = math.ceil(duration * 10)
    output_tokens = payloads.count_tokens(text)
    token_usage: JsonDict = {
        "type": "tokens",
        "input_tokens": audio_tokens + prompt_tokens,
        "input_token_details": {"text_tokens": prompt_tokens, "audio_tokens": audio_tokens},
        "output_tokens": output_tokens,
        "total_tokens": audio_tokens + prompt_tokens + output_tokens,
    }
    duration_usage: JsonDict = {"type": "duration", "seconds": math.ceil(duration)}
    usage = duration_usage if model == "whisper-1" else token_usage
    if task == "transcribe" and form.get("stream") == "true":
        if model == "whisper-1":
            raise Reply(
                400,
                error_body(
                    "Streaming is not supported for the whisper-1 model.",
                    param="stream",
                    code="unsupported_value",
                ),
            )

        def events() -> Iterator[tuple[str | None, object, int]]:
            for piece in payloads.split_chunks(text, scenario.chunk_size, scenario.chunk_unit):
                yield (
                    None,
                    {"type": "transcript.text.delta", "delta": piece},
                    payloads.count_tokens(piece),
                )
            if fmt == "diarized_json":
                segments, _words = payloads.transcript_segments(text, duration)
                for segment in _diarized(segments, names):
                    yield None, segment, 0
            yield None, {"type": "transcript.text.done", "text": text, "usage": token_usage}, 0

        h.send_sse(events(), done=False)
        return
    if scenario.drop_after_chunks is not None:  # the connection drops before any answer
        h.abort()
        return
    if fmt == "text":
        h.send_bytes(200, (text + "\n").encode("utf-8"), "text/plain; charset=utf-8")
        return
    segments, words = payloads.transcript_segments(text, duration)
    if fmt in ("srt", "vtt"):
        subtitle = payloads.subtitles(segments, "srt" if fmt == "srt" else "vtt")
        h.send_bytes(200, subtitle.encode("utf-8"), "text/plain; charset=utf-8")
        return
    if fmt == "json":
        h.send_json(200, {"text": text, "usage": usage} if task == "transcribe" else {"text": text})
        return
    if fmt == "diarized_json":
        h.send_json(
            200,
            {
                "task": "transcribe",
                "duration": round(duration, 3),
                "text": text,
                "segments": _diarized(segments, names),
                "usage": usage,
            },
        )
        return
    language = (
        "english" if task == "translate" else _LANGUAGES.get(form.get("language", "en"), "english")
    )
    granularities = h.record.form_values("timestamp_granularities[]") or ["segment"]
    verbose: JsonDict = {
        "task": task,
        "language": language,
        "duration": round(duration, 3),
        "text": text,
    }
    if "segment" in granularities:
        verbose["segments"] = segments
    if "word" in granularities and task == "transcribe":
        verbose["words"] = words
    if task == "transcribe":
        verbose["usage"] = duration_usage
    h.send_json(200, verbose)


@FAMILY.route("POST", "/audio/transcriptions")
def _transcription(h: Handler) -> None:
    _transcribe(h, "transcribe")


@FAMILY.route("POST", "/audio/translations")
def _translation(h: Handler) -> None:
    _transcribe(h, "translate")


# --- test data: FLAC without an encoder ------------------------------------------------------------


def _crc8(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def _crc16(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x8005) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def _utf8_number(n: int) -> bytes:
    """A FLAC frame number, coded as UTF-8 codes a character (up to 65,535 frames here)."""
    if n < 0x80:
        return bytes([n])
    if n < 0x800:
        return bytes([0xC0 | n >> 6, 0x80 | n & 0x3F])
    return bytes([0xE0 | n >> 12, 0x80 | (n >> 6) & 0x3F, 0x80 | n & 0x3F])


def flac_bytes(pcm: bytes, rate: int, block: int = 4096) -> bytes:
    """16-bit mono little-endian PCM as a FLAC file, each frame stored verbatim (a valid FLAC
    stream a decoder reads like any other; nothing installed here encodes audio).

    Layout (xiph.org/flac/format.html): ``fLaC``, a STREAMINFO block, then frames of a header
    (fixed block size, rate and depth from STREAMINFO, mono, 16-bit; CRC-8), one VERBATIM
    subframe (big-endian samples) and a CRC-16."""
    samples = [
        int.from_bytes(pcm[i : i + 2], "little", signed=True) for i in range(0, len(pcm) - 1, 2)
    ]
    info = block.to_bytes(2, "big") * 2 + bytes(6)  # block sizes; frame sizes unknown
    info += (rate << 44 | 15 << 36 | len(samples)).to_bytes(8, "big") + bytes(16)  # no MD5
    out = bytearray(b"fLaC" + bytes([0x80, 0, 0, len(info)]) + info)
    for number, start in enumerate(range(0, len(samples), block)):
        chunk = samples[start : start + block]
        head = bytes([0xFF, 0xF8, 0x70, 0x08]) + _utf8_number(number)
        head += (len(chunk) - 1).to_bytes(2, "big")
        head += bytes([_crc8(head)])
        frame = head + b"\x02" + b"".join(s.to_bytes(2, "big", signed=True) for s in chunk)
        out += frame + _crc16(frame).to_bytes(2, "big")
    return bytes(out)
