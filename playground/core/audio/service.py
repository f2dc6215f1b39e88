"""Text to speech, transcription and translation through the SDK: requests, results, usage.

`SpeechRequest` and `TranscriptionRequest` hold what the user chose; `to_api()` drops what the model
does not take (see `audio_models`) so the API never rejects a setting the UI let through.
`AudioService` sends them through the client its `client_source` returns (called per request, so a
changed key or provider applies at once) and maps every failure to an `AppError`.

Speech is always read as a stream: raw chunks (`stream_format="audio"`, every model), or events
(`stream_format="sse"`, where the model offers it) which also report token usage at the end.
`on_audio` gets the audio bytes as they arrive, so the app can start playing before the end.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playground.core.api.errors import AppError, from_exception
from playground.core.api.replies import (
    interrupted,
    is_event_stream,
    json_body,
    nothing_came,
    unexpected_body,
)
from playground.core.audio.files import check_upload, pcm_to_wav
from playground.core.audio.live_translate import (
    LIVE_SUFFIXES,
    LiveTranslation,
    is_translation_model,
    pcm24_of_wav,
    translate_file,
)
from playground.core.audio.models import (
    MAX_SPEAKERS,
    SPEAKER_CLIP_MAX_S,
    SPEAKER_CLIP_MIN_S,
    SPEED_MAX,
    SPEED_MIN,
    speech_caps,
    speech_route,
    transcription_caps,
)
from playground.core.audio.realtime import refuse_problem, speak
from playground.core.audio.transcripts import Transcript, from_response
from playground.core.models import Usage

AudioCallback = Callable[[bytes], None]
"""Called with each piece of speech audio as it arrives."""
TextCallback = Callable[[str], None]
"""Called with each piece of a streamed transcript."""


@dataclass(frozen=True, slots=True)
class SpeechRequest:
    """One text-to-speech request as the user set it up.

    Attributes:
        model: the speech model.
        voice: a built-in voice name, or a custom voice id (`voice_...`).
        input: the text (at most 4,096 characters).
        instructions: how to speak ("calmly, like a teacher"); only models that take it get it.
        speed: 0.25 to 4.0.
        response_format: mp3, opus, aac, flac, wav or pcm.
    """

    model: str
    voice: str
    input: str
    instructions: str = ""
    speed: float = 1.0
    response_format: str = "mp3"

    def problem(self) -> AppError | None:
        """What stops this request from being sent, in plain words, or None."""
        caps = speech_caps(self.model)
        if not self.model:
            return AppError.local("No model", "Choose a speech model first.", "")
        if not self.input.strip():
            return AppError.local("No text", "Type the text to speak.", "")
        if len(self.input) > caps.max_chars:
            return AppError.local(
                "Text too long",
                f"The text has {len(self.input):,} characters; {self.model} reads at most "
                f"{caps.max_chars:,} per request.",
                "Shorten it or split it into parts.",
            )
        if not self.voice.strip():
            return AppError.local("No voice", "Choose a voice or enter a custom voice id.", "")
        if speech_route(self.model).live:
            return refuse_problem(self.model, self.voice, self.speed) or (
                None
                if self.response_format in caps.formats
                else AppError.local(
                    "Format not offered",
                    f"A live session gives WAV or raw PCM, not {self.response_format}: "
                    "nothing installed with the app encodes MP3, Opus, AAC or FLAC.",
                    "Choose WAV or PCM.",
                )
            )
        if not SPEED_MIN <= self.speed <= SPEED_MAX:
            return AppError.local("Speed out of range", "Speed goes from 0.25 to 4.", "")
        if self.response_format not in caps.formats:
            return AppError.local(
                "Format not offered", f"{self.model} cannot produce {self.response_format}.", ""
            )
        return None

    @property
    def uses_sse(self) -> bool:
        return speech_caps(self.model).sse

    def to_api(self) -> dict[str, Any]:
        """The keyword arguments of `client.audio.speech.create`."""
        caps = speech_caps(self.model)
        voice: str | dict[str, str] = self.voice.strip()
        if isinstance(voice, str) and voice.startswith("voice_"):
            voice = {"id": voice}  # a custom voice is sent by id
        out: dict[str, Any] = {
            "model": self.model,
            "voice": voice,
            "input": self.input,
            "response_format": self.response_format,
        }
        if caps.speed and self.speed != 1.0:
            out["speed"] = self.speed
        if caps.instructions and self.instructions.strip():
            out["instructions"] = self.instructions.strip()
        if caps.sse:
            out["stream_format"] = "sse"
        return out


@dataclass(slots=True)
class SpeechProgress:
    """What a speech request received so far (kept when it fails or is cancelled)."""

    audio: bytearray = field(default_factory=bytearray)
    started: float = 0.0
    first_audio: float | None = None

    @property
    def first_audio_ms(self) -> float | None:
        if self.first_audio is None:
            return None
        return (self.first_audio - self.started) * 1000


@dataclass(frozen=True, slots=True)
class SpeechResult:
    """A finished clip.

    Attributes:
        audio: the whole file in the requested format.
        usage: the server's token usage (sse), else the characters sent (estimated=False: exact).
        request_id: the server's x-request-id.
        latency_ms: from sending to the last byte.
        first_audio_ms: from sending to the first audio byte.
    """

    audio: bytes
    usage: Usage
    request_id: str | None
    latency_ms: float
    first_audio_ms: float | None
    live: bool = False
    interrupted: bool = False
    output_audio_tokens: int = 0
    transcript: str = ""


@dataclass(frozen=True, slots=True)
class TranscriptionRequest:
    """One transcription or translation of a file.

    Attributes:
        model: the speech-to-text model.
        file: the audio file (checked with `audio_files.check_upload` before).
        task: "transcribe" (same language) or "translate" (to English).
        language: ISO-639-1 code of the speech ("" = detect).
        prompt: words or style to steer the model.
        temperature: 0 to 1 (0 = let the model decide).
        response_format: text, json, srt, vtt or verbose_json.
        stream: stream the transcript as it is made (models that can).
        word_timestamps: also ask for word timings (verbose_json, whisper-1).
        languages: ISO-639-1 codes of the languages the audio may be in (gpt-transcribe).
        keywords: words and phrases to listen for (gpt-transcribe).
        speakers: known speakers, each a name and a short reference clip (2 to 10 s), for
            speaker-labelled segments (`diarized_json`).
        chunking: "auto" to cut the audio at pauses, "" to transcribe it as one block.
    """

    model: str
    file: Path
    task: str = "transcribe"
    language: str = ""
    prompt: str = ""
    temperature: float = 0.0
    response_format: str = "text"
    stream: bool = False
    word_timestamps: bool = False
    languages: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    speakers: tuple[tuple[str, Path], ...] = ()
    chunking: str = ""

    @property
    def needs_decoding(self) -> bool:
        """A live translation of a compressed file: the samples must be decoded (by the UI's
        media layer) into a WAV before it can be sent."""
        return (
            self.task == "translate"
            and is_translation_model(self.model)
            and self.file.suffix.lower().lstrip(".") not in LIVE_SUFFIXES
        )

    def problem(self) -> AppError | None:
        caps = transcription_caps(self.model)
        if not self.model:
            return AppError.local("No model", "Choose a transcription model first.", "")
        if self.needs_decoding:  # the app decodes it first (ui/audio/media.py `Decoder`)
            suffix = self.file.suffix.lower().lstrip(".")
            return AppError.local(
                "WAV needed",
                f"A live translation reads WAV files; {self.file.name} is {suffix.upper()}.",
                "Record with the microphone, or convert the file to WAV.",
            )
        speakers = self.speakers if caps.speakers and self.task == "transcribe" else ()
        if len(speakers) > MAX_SPEAKERS:
            return AppError.local(
                "Too many speakers",
                f"A transcription takes at most {MAX_SPEAKERS} known speakers.",
                "Remove some of them.",
            )
        for name, clip in speakers:
            if not name.strip():
                return AppError.local(
                    "Speaker without a name",
                    f"The reference clip {clip.name} has no speaker name.",
                    "Give each known speaker a short name, such as “Anna” or “agent”.",
                )
            try:
                info = check_upload(clip)
            except AppError as error:
                return AppError.local(
                    "Reference clip not usable", f"{name}: {error.message}", error.hint
                )
            seconds = info.duration_s
            if seconds is not None and not SPEAKER_CLIP_MIN_S <= seconds <= SPEAKER_CLIP_MAX_S:
                return AppError.local(
                    "Reference clip too long"
                    if seconds > SPEAKER_CLIP_MAX_S
                    else "Reference clip too short",
                    f"{name}'s clip {clip.name} lasts {seconds:.1f} s; a reference clip must be "
                    f"{SPEAKER_CLIP_MIN_S:.0f} to {SPEAKER_CLIP_MAX_S:.0f} seconds.",
                    "Choose a clip of a few seconds where only this person speaks.",
                )
        if self.task == "translate" and not caps.translation:
            return AppError.local(
                "No translation",
                f"{self.model} does not translate.",
                "Choose whisper-1 to translate into English.",
            )
        if self.response_format not in caps.formats:
            return AppError.local(
                "Format not offered",
                f"{self.model} returns only {', '.join(caps.formats)}.",
                "",
            )
        return None

    @property
    def streams(self) -> bool:
        caps = transcription_caps(self.model)
        return self.stream and caps.streaming and self.task == "transcribe"

    def to_api(self) -> dict[str, Any]:
        """The keyword arguments (without `file`) of the transcriptions or translations call."""
        caps = transcription_caps(self.model)
        out: dict[str, Any] = {"model": self.model, "response_format": self.response_format}
        if self.language.strip() and self.task == "transcribe":
            out["language"] = self.language.strip()
        if self.prompt.strip() and caps.prompt:
            out["prompt"] = self.prompt.strip()
        if self.temperature and caps.temperature:
            out["temperature"] = self.temperature
        if self.task == "transcribe" and self.response_format == "verbose_json" and caps.timestamps:
            out["timestamp_granularities"] = (
                ["segment", "word"] if self.word_timestamps else ["segment"]
            )
        if self.task == "transcribe":
            languages = [code.strip().lower() for code in self.languages if code.strip()]
            if languages and caps.languages:
                out["languages"] = languages
            keywords = [word.strip() for word in self.keywords if word.strip()]
            if keywords and caps.keywords:
                out["keywords"] = keywords
            if self.speakers and caps.speakers:
                out["known_speaker_names"] = [name.strip() for name, _clip in self.speakers]
                out["known_speaker_references"] = [data_url(clip) for _name, clip in self.speakers]
            if self.chunking and caps.chunking:
                out["chunking_strategy"] = self.chunking
        if self.streams:
            out["stream"] = True
        return out


@dataclass(frozen=True, slots=True)
class TranscriptionResult:
    """A transcript (or translation) and what it cost; `speech` is the translated speech as a
    WAV file's bytes when a live translation sent some (empty otherwise)."""

    transcript: Transcript
    usage: Usage | None
    request_id: str | None
    latency_ms: float
    speech: bytes = b""


def usage_of_transcription(raw: Any) -> Usage | None:
    """Our `Usage` from a transcription's `usage` (tokens or duration), or None."""
    if raw is None:
        return None
    data = raw.model_dump() if hasattr(raw, "model_dump") else raw
    if not isinstance(data, dict):
        return None
    if data.get("type") == "duration" or "seconds" in data:
        return Usage(audio_seconds=float(data.get("seconds") or 0))
    details = data.get("input_token_details") or {}
    return Usage(
        input_tokens=int(data.get("input_tokens") or 0),
        output_tokens=int(data.get("output_tokens") or 0),
        audio_tokens=int(details.get("audio_tokens") or 0),
    )


class AudioService:
    """Sends audio requests through the SDK client `client_source()` returns."""

    def __init__(self, client_source: Callable[[], Any]) -> None:
        self._client_source = client_source

    async def speech(
        self,
        request: SpeechRequest,
        on_audio: AudioCallback | None = None,
        progress: SpeechProgress | None = None,
    ) -> SpeechResult:
        """Generates a clip, handing each piece of audio to `on_audio` as it arrives.

        Raises:
            AppError: the request failed (what arrived is in `progress`).
        """
        progress = progress if progress is not None else SpeechProgress()
        if speech_route(request.model).live:
            return await self.speech_live(request, on_audio, progress)
        client = self._client_source()
        usage: Usage | None = None
        request_id: str | None = None
        params = request.to_api()
        progress.started = time.monotonic()

        def take(data: bytes) -> None:
            if not data:
                return
            if progress.first_audio is None:
                progress.first_audio = time.monotonic()
            progress.audio.extend(data)
            if on_audio is not None:
                on_audio(data)

        try:
            async with client.audio.speech.with_streaming_response.create(**params) as response:
                request_id = response.headers.get("x-request-id")
                content_type = response.headers.get("content-type", "")
                if _is_page_or_text(content_type) and params.get("stream_format") != "sse":
                    raise unexpected_body(await response.read(), content_type)
                if params.get("stream_format") == "sse":
                    async for line in response.iter_lines():
                        event = _sse_event(line)
                        if event is None:
                            continue
                        kind = event.get("type")
                        if kind == "speech.audio.delta":
                            take(base64.b64decode(event.get("audio") or ""))
                        elif kind == "speech.audio.done":
                            usage = _token_usage(event.get("usage"))
                else:
                    async for chunk in response.iter_bytes():
                        take(chunk)
        except Exception as exc:
            raise _mapped(exc, request.model, str(client.base_url)) from exc
        if not progress.audio:
            raise AppError.local("No audio", "The server answered without any audio.", "Try again.")
        if usage is None:
            usage = Usage(characters=len(request.input))
        return SpeechResult(
            audio=bytes(progress.audio),
            usage=usage,
            request_id=request_id,
            latency_ms=(time.monotonic() - progress.started) * 1000,
            first_audio_ms=progress.first_audio_ms,
        )

    async def speech_live(
        self,
        request: SpeechRequest,
        on_audio: AudioCallback | None = None,
        progress: SpeechProgress | None = None,
    ) -> SpeechResult:
        """Speaks `request` through a live Realtime session (`realtime.speak`): `on_audio` gets raw
        PCM 24 kHz as it arrives, whatever the file format; the clip is WAV or PCM.

        Raises:
            AppError: refused before connecting, refused at connect, an `error` event, or a drop
                before any audio (what arrived is in `progress`).
        """
        progress = progress if progress is not None else SpeechProgress()
        client = self._client_source()
        progress.started = time.monotonic()

        def take(data: bytes) -> None:
            if progress.first_audio is None:
                progress.first_audio = time.monotonic()
            progress.audio.extend(data)
            if on_audio is not None:
                on_audio(data)

        spoken = await speak(
            client,
            model=request.model,
            text=request.input,
            voice=request.voice,
            style=request.instructions,
            speed=request.speed,
            on_audio=take,
        )
        audio = spoken.pcm
        if request.response_format == "wav":
            audio = pcm_to_wav(audio)
        return SpeechResult(
            audio=audio,
            usage=spoken.usage,
            request_id=spoken.session_id,
            latency_ms=(time.monotonic() - progress.started) * 1000,
            first_audio_ms=progress.first_audio_ms,
            live=True,
            interrupted=spoken.interrupted,
            output_audio_tokens=spoken.output_audio_tokens,
            transcript=spoken.transcript,
        )

    async def _translate_live(
        self, request: TranscriptionRequest, on_text: TextCallback | None
    ) -> TranscriptionResult:
        """Translates `request.file` (WAV) through a live translation session."""
        started = time.monotonic()
        # Converting a long WAV is CPU work: off the loop's thread.
        pcm = await asyncio.get_running_loop().run_in_executor(None, pcm24_of_wav, request.file)
        translation = await translate_file(
            self._client_source(), model=request.model, pcm=pcm, language="en", on_text=on_text
        )
        return live_translation_result(translation, (time.monotonic() - started) * 1000)

    async def transcribe(
        self, request: TranscriptionRequest, on_text: TextCallback | None = None
    ) -> TranscriptionResult:
        """Transcribes (or translates) `request.file`; streamed pieces go to `on_text`.

        Raises:
            AppError: the request failed or the file could not be read.
        """
        if request.task == "translate" and is_translation_model(request.model):
            return await self._translate_live(request, on_text)
        client = self._client_source()
        params = request.to_api()
        started = time.monotonic()
        try:
            data = request.file.read_bytes()
        except OSError as exc:
            raise AppError.local(
                "File not readable", f"{request.file.name} cannot be read ({exc}).", ""
            ) from exc
        upload = (request.file.name, data, _mime(request.file))
        endpoint = client.audio.translations if request.task == "translate" else None
        endpoint = endpoint or client.audio.transcriptions
        request_id: str | None = None
        try:
            if request.streams:
                stream = await endpoint.create(file=upload, **params)
                request_id = stream.response.headers.get("x-request-id")
                parts: list[str] = []
                segments: list[dict[str, Any]] = []
                usage: Usage | None = None
                final: str | None = None
                if not is_event_stream(stream.response.headers):
                    # A server that ignores `stream` sends the whole transcript (or a proxy page).
                    body = await stream.response.aread()
                    await stream.close()
                    whole = json_body(body)
                    if whole is None or not isinstance(whole.get("text"), str):
                        raise unexpected_body(body, stream.response.headers.get("content-type", ""))
                    final = whole["text"]
                    usage = usage_of_transcription(whole.get("usage"))
                else:
                    async with stream:
                        async for event in stream:
                            kind = getattr(event, "type", "")
                            if kind == "transcript.text.delta":
                                parts.append(event.delta)
                                if on_text is not None:
                                    on_text(event.delta)
                            elif kind == "transcript.text.segment":
                                # Speaker-labelled segments (diarized_json) come whole.
                                segments.append(
                                    {
                                        "start": getattr(event, "start", 0.0),
                                        "end": getattr(event, "end", 0.0),
                                        "text": getattr(event, "text", ""),
                                        "speaker": getattr(event, "speaker", ""),
                                    }
                                )
                            elif kind == "transcript.text.done":
                                final = event.text
                                usage = usage_of_transcription(getattr(event, "usage", None))
                if final is None:  # no "done" event: the stream stopped (or nothing came)
                    raise interrupted("transcript") if parts else nothing_came("transcript")
                text = final or "".join(parts)
                raw_body: Any = text
                if request.response_format == "json":
                    raw_body = {"text": text}
                elif request.response_format == "diarized_json":
                    raw_body = {"text": text, "segments": segments}
                transcript = from_response(request.response_format, raw_body, request.task)
            elif request.task == "translate":
                with warnings.catch_warnings():
                    # The SDK marks /audio/translations deprecated (a shutdown is announced); the
                    # endpoint still answers and the tab says so. The warning fires on this call,
                    # not on the await, so nothing else is silenced.
                    warnings.simplefilter("ignore", DeprecationWarning)
                    pending = endpoint.create(file=upload, **params)
                body = await pending
                transcript = from_response(request.response_format, body, request.task)
                usage = None
            else:
                raw = await endpoint.with_raw_response.create(file=upload, **params)
                request_id = raw.headers.get("x-request-id")
                body = raw.parse()
                transcript = from_response(request.response_format, body, request.task)
                usage = usage_of_transcription(getattr(body, "usage", None))
        except Exception as exc:
            raise _mapped(exc, request.model, str(client.base_url)) from exc
        if not transcript.text.strip():
            raise AppError.local(
                "No words found",
                "The server heard no speech in this audio, so there is no transcript.",
                "Check the recording (is the right microphone chosen?) and try again.",
            )
        return TranscriptionResult(
            transcript=transcript,
            usage=usage,
            request_id=request_id,
            latency_ms=(time.monotonic() - started) * 1000,
        )


def _is_page_or_text(content_type: str) -> bool:
    """A content type that cannot be audio: a web page, plain text or JSON."""
    kind = content_type.split(";")[0].strip().lower()
    return kind in {"text/html", "text/plain", "application/json"}


def _mapped(exc: Exception, model: str, base_url: str) -> AppError:
    """`from_exception`, also for transport errors raised while reading a streamed body (the SDK
    wraps those only for its own streams): a dropped download reads as a dropped connection."""
    import httpx2
    import openai

    if isinstance(exc, httpx2.TransportError):
        try:
            request = exc.request
        except RuntimeError:
            request = httpx2.Request("POST", base_url or "http://localhost")
        wrapped = openai.APIConnectionError(message=str(exc), request=request)
        wrapped.__cause__ = exc
        return from_exception(wrapped, model=model, base_url=base_url)
    return from_exception(exc, model=model, base_url=base_url)


def _sse_event(line: str) -> dict[str, Any] | None:
    if not line.startswith("data:"):
        return None
    payload = line[5:].strip()
    if not payload or payload == "[DONE]":
        return None
    try:
        event = json.loads(payload)
    except ValueError as exc:
        raise AppError.local(
            "Unreadable answer", "The server sent audio events the app cannot read.", "Try again."
        ) from exc
    return event if isinstance(event, dict) else None


def _token_usage(raw: Any) -> Usage | None:
    if not isinstance(raw, dict):
        return None
    return Usage(
        input_tokens=int(raw.get("input_tokens") or 0),
        output_tokens=int(raw.get("output_tokens") or 0),
    )


_MIMES = {
    "mp3": "audio/mpeg",
    "mpga": "audio/mpeg",
    "mpeg": "audio/mpeg",
    "mp4": "audio/mp4",
    "m4a": "audio/mp4",
    "wav": "audio/wav",
    "webm": "audio/webm",
    "flac": "audio/flac",
    "ogg": "audio/ogg",
}


def live_translation_result(translation: LiveTranslation, latency_ms: float) -> TranscriptionResult:
    """A live translation as a transcription result (English text; usage: the seconds sent)."""
    transcript = Transcript(
        translation.text,
        "text",
        translation.text,
        duration_s=translation.seconds,
        task="translate",
    )
    usage = Usage(audio_seconds=translation.seconds)
    speech = pcm_to_wav(translation.pcm) if translation.pcm else b""
    return TranscriptionResult(transcript, usage, None, latency_ms, speech)


def data_url(path: Path) -> str:
    """A file as a `data:` URL (known speakers' reference clips travel this way).

    Raises:
        OSError: the file cannot be read.
    """
    return f"data:{_mime(path)};base64,{base64.b64encode(path.read_bytes()).decode()}"


def _mime(path: Path) -> str:
    return _MIMES.get(path.suffix.lower().lstrip("."), "application/octet-stream")
