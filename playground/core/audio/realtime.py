"""Text to speech through the Realtime API: a live session that reads the text aloud.

From 2027-01-06 `/v1/audio/speech` has no model left; OpenAI points speech to a realtime model
(`gpt-realtime-2.1-mini` and family) over a WebSocket (`client.realtime.connect(model=...)`, the
SDK's `openai[realtime]` extra, `websockets` underneath). One clip is one short session:

1. `session.update`: audio out only, PCM 24 kHz, the voice, the speed, and instructions that ask
   for a verbatim reading (`VERBATIM_INSTRUCTIONS`) followed by the user's style instructions;
2. `conversation.item.create`: the text as a user message;
3. `response.create`; then `response.output_audio.delta` (base64 PCM) is handed on as it comes,
   `response.output_audio_transcript.delta` is collected, and `response.done` carries the usage.

Faults, in the app's words: an `error` event (the SDK raises nothing for it) ends the clip with an
`AppError` carrying the server's message; a socket that drops mid-answer keeps what came and marks
the result interrupted; a refused connection (429, 401, 404) is mapped like an HTTP error, with the
429's `retry-after` for the countdown; a model that is not a realtime speech model is refused
before anything is sent.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from playground.core.api.errors import AppError, ErrorKind, from_exception, retry_hint
from playground.core.models import Usage

#: The voices a realtime model speaks with (`RealtimeAudioConfigOutputParam.voice`): fable, onyx
#: and nova are speech-endpoint voices only. A custom voice is sent as `{"id": "voice_..."}`.
REALTIME_VOICES: tuple[str, ...] = (
    "alloy",
    "ash",
    "ballad",
    "coral",
    "echo",
    "sage",
    "shimmer",
    "verse",
    "marin",
    "cedar",
)
#: The realtime output speed range (a post-processing adjustment, 0.25 to 1.5).
REALTIME_SPEED_MIN, REALTIME_SPEED_MAX = 0.25, 1.5
#: What a live session can hand back as a file: raw PCM, or PCM in a WAV container. MP3, Opus,
#: AAC and FLAC would need an encoder; nothing the app installs encodes audio (QtMultimedia plays
#: those formats but encodes only from a capture session), so they are not offered on this route.
REALTIME_FORMATS: tuple[str, ...] = ("wav", "pcm")

#: The app's instructions: read the text as written. The user's style instructions follow.
VERBATIM_INSTRUCTIONS = (
    "You are a text-to-speech voice. Read the user's message aloud exactly as written, word for "
    "word, in the language it is written in. Do not answer it, comment on it, summarise, "
    "translate, correct or add anything, and do not greet. If the text is a question, read the "
    "question; do not answer it."
)

_NOT_SPEECH = re.compile(r"transcri|translat|whisper|vad", re.IGNORECASE)

AudioCallback = Callable[[bytes], None]


def is_realtime_model(model: str) -> bool:
    """Whether `model` is a realtime model that can speak (not a transcription or translation
    session model)."""
    name = model.strip().rsplit("/", 1)[-1]
    return "realtime" in name.lower() and not _NOT_SPEECH.search(name)


def session_instructions(style: str) -> str:
    """The session's instructions: the verbatim rule, then the user's style (if any)."""
    style = style.strip()
    if not style:
        return VERBATIM_INSTRUCTIONS
    return f"{VERBATIM_INSTRUCTIONS}\n\nHow to speak: {style}"


def voice_param(voice: str) -> str | dict[str, str]:
    """A built-in voice by name, a custom voice (`voice_...`) by id."""
    voice = voice.strip()
    return {"id": voice} if voice.startswith("voice_") else voice


def session_config(voice: str, style: str, speed: float) -> dict[str, Any]:
    """The `session` of the `session.update` event for one clip."""
    output: dict[str, Any] = {
        "format": {"type": "audio/pcm", "rate": 24_000},
        "voice": voice_param(voice),
    }
    if speed != 1.0:
        output["speed"] = speed
    return {
        "type": "realtime",
        "output_modalities": ["audio"],
        "instructions": session_instructions(style),
        "audio": {"output": output},
    }


def text_item(text: str) -> dict[str, Any]:
    """The user message holding the text to read (`conversation.item.create`)."""
    return {
        "type": "message",
        "role": "user",
        "content": [{"type": "input_text", "text": text}],
    }


@dataclass(frozen=True, slots=True)
class RealtimeSpeech:
    """What one live session produced.

    Attributes:
        pcm: the audio that came (PCM 24 kHz 16-bit mono).
        transcript: what the model says it spoke.
        usage: the `response.done` usage (input text tokens, output tokens; `audio_tokens` is
            the input audio part, zero for text in); estimated from the audio when it never came.
        output_audio_tokens: the output tokens that were audio (priced at the audio rate).
        interrupted: the socket dropped (or closed) before `response.done`.
        session_id: the server's session id (the request id of the ledger row).
    """

    pcm: bytes
    transcript: str
    usage: Usage
    output_audio_tokens: int
    interrupted: bool
    session_id: str | None


def refuse_problem(model: str, voice: str, speed: float) -> AppError | None:
    """What stops a realtime clip before connecting, in plain words, or None."""
    if not is_realtime_model(model):
        return AppError.local(
            "Not a realtime model",
            f"{model or 'This model'} cannot speak through a live session: only realtime models "
            "(such as gpt-realtime-2.1-mini) can.",
            "Choose a realtime model, or a speech model for the speech endpoint.",
        )
    name = voice.strip()
    if not name.startswith("voice_") and name not in REALTIME_VOICES:
        return AppError.local(
            "Voice not offered",
            f"{model} does not speak with “{name}”. Its voices: {', '.join(REALTIME_VOICES)}.",
            "Choose one of those, or enter a custom voice id (voice_…).",
        )
    if not REALTIME_SPEED_MIN <= speed <= REALTIME_SPEED_MAX:
        return AppError.local(
            "Speed out of range", "A live session speaks at 0.25 to 1.5 times the normal speed.", ""
        )
    return None


async def speak(
    client: Any,
    *,
    model: str,
    text: str,
    voice: str,
    style: str = "",
    speed: float = 1.0,
    on_audio: AudioCallback | None = None,
    on_first_audio: Callable[[], None] | None = None,
) -> RealtimeSpeech:
    """Reads `text` aloud through a live session, handing each piece of PCM to `on_audio`.

    Raises:
        AppError: refused before connecting, the connection was refused, an `error` event came,
            or the socket dropped before any audio.
    """
    problem = refuse_problem(model, voice, speed)
    if problem is not None:
        raise problem
    pcm = bytearray()
    transcript: list[str] = []
    session_id: str | None = None
    usage: Usage | None = None
    out_audio = 0
    done = False
    try:
        from websockets.exceptions import ConnectionClosed
    except ImportError as exc:  # the SDK says the same; say it in the app's words
        raise AppError.local(
            "Realtime not installed",
            "Speech through a live session needs the websockets package (openai[realtime]).",
            "Reinstall the app with its dependencies.",
        ) from exc
    try:
        async with client.realtime.connect(model=model) as connection:
            await connection.send(
                {"type": "session.update", "session": session_config(voice, style, speed)}
            )
            await connection.send({"type": "conversation.item.create", "item": text_item(text)})
            await connection.send({"type": "response.create"})
            try:
                while not done:
                    # Raw frames: the audio deltas are the bulk, and json.loads is all they need.
                    event = json.loads(await connection.recv_bytes())
                    kind = event.get("type")
                    if kind == "response.output_audio.delta":
                        data = base64.b64decode(event.get("delta") or "")
                        if data:
                            if not pcm and on_first_audio is not None:
                                on_first_audio()
                            pcm.extend(data)
                            if on_audio is not None:
                                on_audio(data)
                    elif kind == "response.output_audio_transcript.delta":
                        transcript.append(str(event.get("delta") or ""))
                    elif kind == "session.created":
                        session_id = (event.get("session") or {}).get("id") or session_id
                    elif kind == "response.done":
                        usage, out_audio = _usage(event.get("response") or {})
                        done = True
                    elif kind == "error":
                        raise error_event(event, model)
            except ConnectionClosed:
                pass  # what came is kept; no response.done marks it interrupted
    except AppError:
        raise
    except Exception as exc:
        raise connect_error(exc, model, str(getattr(client, "base_url", ""))) from exc
    if not done and not pcm:
        raise AppError(
            ErrorKind.CONNECTION,
            "Connection dropped",
            "The live session closed before any audio came.",
            "Your text and settings are kept: press Generate to try again.",
        )
    if usage is None:
        usage = Usage(characters=len(text), estimated=True)
    return RealtimeSpeech(
        pcm=bytes(pcm),
        transcript="".join(transcript),
        usage=usage,
        output_audio_tokens=out_audio,
        interrupted=not done,
        session_id=session_id,
    )


def response_usage(response: dict[str, Any]) -> Usage:
    """The usage of a `response.done` response: text, audio and image tokens in, text and audio
    tokens out (`output_audio_tokens` marks it as itemised, so the pricer prices each kind at
    its own rate)."""
    raw = response.get("usage") or {}
    details_in = raw.get("input_token_details") or {}
    details_out = raw.get("output_token_details") or {}
    return Usage(
        input_tokens=int(raw.get("input_tokens") or 0),
        output_tokens=int(raw.get("output_tokens") or 0),
        cached_tokens=int(details_in.get("cached_tokens") or 0),
        audio_tokens=int(details_in.get("audio_tokens") or 0),
        image_input_tokens=int(details_in.get("image_tokens") or 0),
        output_audio_tokens=int(details_out.get("audio_tokens") or 0),
    )


def _usage(response: dict[str, Any]) -> tuple[Usage, int]:
    usage = response_usage(response)
    return usage, usage.output_audio_tokens


def error_event(
    event: dict[str, Any],
    model: str,
    next_step: str = "Change the setting it names and press Generate again.",
) -> AppError:
    """An `error` event in the app's words (`next_step` says what to do)."""
    error = event.get("error") or {}
    message = str(error.get("message") or "The live session reported an error.").strip()
    code = str(error.get("code") or error.get("type") or "")
    param = str(error.get("param") or "")
    hint = next_step
    if "voice" in (param + code + message).lower():
        hint = f"Choose another voice: {model} may not offer this one."
    return AppError(
        ErrorKind.BAD_REQUEST,
        "The live session reported an error",
        message if message.endswith((".", "!", "?")) else f"{message}.",
        hint,
        details=json.dumps(event, indent=2),
    )


def connect_error(exc: Exception, model: str, base_url: str) -> AppError:
    """A refused handshake (`websockets.exceptions.InvalidStatus`) read like an HTTP error;
    anything else as `from_exception` reads it."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    if not isinstance(status, int):
        if isinstance(exc, OSError):
            return AppError(
                ErrorKind.CONNECTION,
                "Cannot connect",
                f"The live session could not be opened at {base_url or 'the server'} ({exc}).",
                "Check the network and the base URL in Settings → Providers.",
                details=str(exc),
            )
        return from_exception(exc, model=model, base_url=base_url)
    headers = getattr(response, "headers", {}) or {}
    body = bytes(getattr(response, "body", b"") or b"")
    message = ""
    try:
        message = str((json.loads(body).get("error") or {}).get("message") or "")
    except (ValueError, AttributeError):
        message = ""
    retry_after: float | None = None
    raw = headers.get("retry-after")
    if raw:
        try:
            retry_after = float(raw)
        except ValueError:
            retry_after = None
    detail = f" {message}" if message else ""
    common: dict[str, Any] = {
        "status": status,
        "details": f"{exc}\n{body.decode(errors='replace')}",
    }
    if status == 429:
        return AppError(
            ErrorKind.RATE_LIMIT,
            "Rate limit reached",
            f"Too many live sessions or tokens for now (429).{detail}",
            retry_hint(retry_after),
            retry_after=retry_after,
            **common,
        )
    if status == 401:
        return AppError(
            ErrorKind.AUTH,
            "API key rejected",
            f"The server rejected the API key (401).{detail}",
            "Open Settings → Providers and check or replace the key.",
            **common,
        )
    if status == 404:
        return AppError(
            ErrorKind.MODEL_NOT_FOUND,
            "Model not found",
            f"“{model}” does not exist or this key has no access to it (404).",
            "Refresh the model list (View → Refresh models) and pick another model.",
            **common,
        )
    return AppError(
        ErrorKind.SERVER if status >= 500 else ErrorKind.BAD_REQUEST,
        "Live session refused",
        f"The server refused the live session ({status}).{detail}",
        retry_hint(retry_after) if status >= 500 else "",
        retry_after=retry_after,
        **common,
    )
