"""What each audio model accepts: voices, instructions, formats, streaming, translation, limits.

`GET /v1/models` says which speech and transcription models exist, not what they take. This table
fills the gap by model-name pattern, like `capabilities.RULES` does for chat models, and is the only
place these facts live: widgets ask it for their option lists and requests drop what a model rejects.
Unknown names (a newer model, a local server) get the permissive defaults: every built-in voice,
every format, no streaming assumptions beyond what the endpoint always does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TypeVar

from playground.core.audio.realtime import REALTIME_FORMATS, REALTIME_VOICES, is_realtime_model

#: Characters `input` may hold for text to speech.
SPEECH_MAX_CHARS = 4096
#: Bytes an uploaded audio file may have (transcription and translation).
UPLOAD_MAX_BYTES = 25 * 1024 * 1024
#: Speed range of text to speech.
SPEED_MIN, SPEED_MAX = 0.25, 4.0

#: Every built-in voice, in the order OpenAI lists them.
ALL_VOICES: tuple[str, ...] = (
    "alloy",
    "ash",
    "ballad",
    "coral",
    "echo",
    "fable",
    "onyx",
    "nova",
    "sage",
    "shimmer",
    "verse",
    "marin",
    "cedar",
)
#: The voices tts-1 and tts-1-hd offer (ballad, verse, marin and cedar came with newer models).
CLASSIC_VOICES: tuple[str, ...] = tuple(
    v for v in ALL_VOICES if v not in ("ballad", "verse", "marin", "cedar")
)

#: Text-to-speech output formats, with the file suffix and a plain description.
SPEECH_FORMATS: dict[str, str] = {
    "mp3": "MP3 (small, plays everywhere)",
    "opus": "Opus (streaming, low latency)",
    "aac": "AAC (phones and video)",
    "flac": "FLAC (lossless)",
    "wav": "WAV (uncompressed; plays as it arrives)",
    "pcm": "PCM (raw 24 kHz 16-bit mono; plays as it arrives)",
}
#: Formats the app can play while they stream in (uncompressed PCM).
LIVE_FORMATS = frozenset({"wav", "pcm"})
#: Raw PCM of text to speech: 24 kHz, 16-bit signed little-endian, mono.
PCM_RATE, PCM_CHANNELS, PCM_SAMPLE_BYTES = 24_000, 1, 2

#: Transcript formats, with a plain description.
TRANSCRIPT_FORMATS: dict[str, str] = {
    "text": "Plain text",
    "json": "JSON",
    "srt": "SubRip subtitles (.srt)",
    "vtt": "WebVTT subtitles (.vtt)",
    "verbose_json": "Segments with timestamps",
    "diarized_json": "Segments with speakers",
}

#: File types the transcription and translation endpoints take (by suffix).
UPLOAD_SUFFIXES: tuple[str, ...] = (
    "mp3",
    "mp4",
    "mpeg",
    "mpga",
    "m4a",
    "wav",
    "webm",
    "flac",
    "ogg",
)


@dataclass(frozen=True, slots=True)
class SpeechCaps:
    """What a text-to-speech model takes.

    Attributes:
        voices: its built-in voices.
        instructions: takes `instructions` ("speak calmly").
        speed: takes `speed`.
        formats: output formats it produces.
        sse: takes `stream_format="sse"` (audio as events, usage at the end).
        max_chars: longest `input`.
        why_no_instructions: the tooltip on the disabled instructions box.
    """

    voices: tuple[str, ...] = ALL_VOICES
    instructions: bool = True
    speed: bool = True
    formats: tuple[str, ...] = tuple(SPEECH_FORMATS)
    sse: bool = False
    max_chars: int = SPEECH_MAX_CHARS
    why_no_instructions: str = ""


@dataclass(frozen=True, slots=True)
class TranscriptionCaps:
    """What a speech-to-text model takes.

    Attributes:
        formats: transcript formats (`response_format`) it returns.
        streaming: can stream the transcript as it is made (`stream=True`).
        translation: offered by `/audio/translations` (to English).
        prompt: takes a `prompt`.
        temperature: takes a `temperature`.
        timestamps: takes `timestamp_granularities` (with verbose_json).
        max_bytes: the upload limit.
        languages: takes `languages` (the languages the audio may be in).
        keywords: takes `keywords` (words and phrases to listen for).
        speakers: takes known speakers (`known_speaker_names` with a short reference clip each)
            and labels its segments with them (`diarized_json`).
        chunking: takes `chunking_strategy` ("auto": cut at pauses).
        shutdown: the day the model is shut down ("" when none is announced).
    """

    formats: tuple[str, ...] = ("text", "json")
    streaming: bool = False
    translation: bool = False
    prompt: bool = True
    temperature: bool = True
    timestamps: bool = False
    max_bytes: int = UPLOAD_MAX_BYTES
    languages: bool = False
    keywords: bool = False
    speakers: bool = False
    chunking: bool = False
    shutdown: str = ""


_SPEECH_RULES: tuple[tuple[str, dict[str, object]], ...] = (
    (
        r"^tts-1",
        {
            "voices": CLASSIC_VOICES,
            "instructions": False,
            "sse": False,
            "why_no_instructions": "tts-1 and tts-1-hd do not take instructions; "
            "choose gpt-4o-mini-tts to set the tone.",
        },
    ),
    (r"^gpt-4o-mini-tts|^gpt-.*tts", {"sse": True}),
    # Realtime models speak through a live session (core/audio/realtime.py): their own voices,
    # PCM out (WAV or raw PCM files), style instructions, speed 0.25 to 1.5.
    (
        r"realtime",
        {
            "voices": REALTIME_VOICES,
            "formats": REALTIME_FORMATS,
        },
    ),
)

#: The day whisper-1, the gpt-4o transcribe models and `/v1/audio/translations` are shut down.
TRANSCRIPTION_SHUTDOWN = "2027-02-26"
#: Known speakers a transcription takes, and the length of each reference clip (seconds).
MAX_SPEAKERS = 4
SPEAKER_CLIP_MIN_S, SPEAKER_CLIP_MAX_S = 2.0, 10.0

_TRANSCRIPTION_RULES: tuple[tuple[str, dict[str, object]], ...] = (
    (r"transcribe", {"streaming": True}),
    (r"^(whisper|gpt-4o.*transcribe)", {"shutdown": TRANSCRIPTION_SHUTDOWN}),
    (
        r"diarize",
        {
            "prompt": False,
            "formats": ("text", "json", "diarized_json"),
            "speakers": True,
            "chunking": True,
        },
    ),
    # Live translation models (/v1/realtime/translations): text (and speech) in another language.
    (
        r"translat",
        {"formats": ("text",), "translation": True, "prompt": False, "temperature": False},
    ),
    # gpt-transcribe (the files model after 2027-02-26): possible languages, keywords, known
    # speakers with reference clips (speaker-labelled segments), chunking, streaming.
    (
        r"^gpt-transcribe",
        {
            "formats": ("text", "json", "diarized_json"),
            "languages": True,
            "keywords": True,
            "speakers": True,
            "chunking": True,
        },
    ),
    (
        r"^whisper",
        {
            "formats": ("text", "json", "srt", "vtt", "verbose_json"),
            "streaming": False,
            "translation": True,
            "timestamps": True,
        },
    ),
)


@lru_cache(maxsize=128)
def speech_caps(model: str) -> SpeechCaps:
    """The text-to-speech facts for `model` (unknown models: every voice and format)."""
    return _with_rules(SpeechCaps(), _SPEECH_RULES, model)


@lru_cache(maxsize=128)
def transcription_caps(model: str) -> TranscriptionCaps:
    """The speech-to-text facts for `model` (unknown models: text and json, no streaming)."""
    return _with_rules(TranscriptionCaps(), _TRANSCRIPTION_RULES, model)


_Caps = TypeVar("_Caps", SpeechCaps, TranscriptionCaps)


def _with_rules(caps: _Caps, rules: tuple[tuple[str, dict[str, object]], ...], model: str) -> _Caps:
    """`caps` with the facts of each rule whose pattern matches `model`'s name, later rules last."""
    name = _base(model)
    for pattern, facts in rules:
        if re.search(pattern, name, flags=re.IGNORECASE):
            caps = replace(caps, **facts)  # type: ignore[arg-type]
    return caps


def _base(model: str) -> str:
    return model.strip().rsplit("/", 1)[-1]


# --- the speech route ---------------------------------------------------------------------------

#: The day `/v1/audio/speech` loses its last model (tts-1, tts-1-hd, gpt-4o-mini-tts).
SPEECH_ENDPOINT_SHUTDOWN = "2027-01-06"
#: Realtime models preferred for speech, best first (the list decides what exists).
PREFERRED_REALTIME = ("gpt-realtime-2.1-mini", "gpt-realtime-2.1", "gpt-realtime-mini")


@dataclass(frozen=True, slots=True)
class SpeechRoute:
    """How a model speaks: through the speech endpoint or a live (Realtime) session.

    Attributes:
        live: True for a realtime model (a WebSocket session), False for `/v1/audio/speech`.
        model: the model.
    """

    live: bool
    model: str

    @property
    def text(self) -> str:
        """The route in plain words, for the page."""
        if not self.model:
            return "No speech model: the model list offers neither a speech nor a realtime model."
        if self.live:
            return f"Spoken by {self.model} through a live session (Realtime API)."
        return (
            f"Spoken by {self.model} through the speech endpoint "
            f"(its models shut down on {SPEECH_ENDPOINT_SHUTDOWN})."
        )


def speech_route(model: str) -> SpeechRoute:
    """The route `model` speaks through (a realtime model: a live session)."""
    return SpeechRoute(live=is_realtime_model(model), model=model)


def speech_choices(speech_models: list[str], realtime_models: list[str]) -> list[str]:
    """The models the speech pages offer: the speech endpoint's while they exist, then the
    realtime models that can speak (preferred ones first). With both, the user picks either;
    the first entry is the automatic choice."""
    live = [m for m in realtime_models if is_realtime_model(m)]
    ranked = [m for m in PREFERRED_REALTIME if m in live]
    live = ranked + [m for m in live if m not in ranked]
    return list(dict.fromkeys([*speech_models, *live]))
