"""Translation through a live Realtime translation session (`/v1/realtime/translations`), no Qt.

`/v1/audio/translations` (whisper-1) is shut down on 2027-02-26; OpenAI points translation to a
Realtime translation session: a WebSocket (`client.realtime.translations.connect(model=...)`)
that takes 24 kHz 16-bit mono PCM (`session.input_audio_buffer.append`, best in 200 ms frames)
and streams back the translated text (`session.output_transcript.delta`), the translated speech
(`session.output_audio.delta`) and, when asked, the source-language text
(`session.input_transcript.delta`). `session.close` makes the server flush what is pending and
answer `session.closed`.

`translate_file` sends a WAV file that way (converted to 24 kHz mono first: `pcm24_of_wav`)
and collects the result. Compressed files (`LIVE_SUFFIXES` lists what is read here) are
decoded to WAV by the UI's media layer first (`ui/audio/media.py` `Decoder`).
"""

from __future__ import annotations

import array
import base64
import json
import re
import sys
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playground.core.api.errors import AppError, ErrorKind
from playground.core.audio.realtime import connect_error, error_event

#: What the session takes and gives: PCM 16-bit mono at 24 kHz.
RATE = 24_000
#: The session translates 200 ms frames; sending whole frames keeps it smooth.
FRAME_BYTES = RATE * 2 // 5
#: Files a live translation can read (WAV holds plain samples; others need a decoder).
LIVE_SUFFIXES = ("wav",)

TextCallback = Callable[[str], None]


def is_translation_model(model: str) -> bool:
    """Whether `model` is a live (Realtime) translation model."""
    name = model.strip().rsplit("/", 1)[-1].lower()
    return "translat" in name and not name.startswith("whisper")


@dataclass(frozen=True, slots=True)
class LiveTranslation:
    """What a live translation gave.

    Attributes:
        text: the translated text.
        source_text: the source-language text ("" unless a transcription model was set).
        pcm: the translated speech (24 kHz 16-bit mono), empty when none came.
        seconds: the length of the audio that was sent.
    """

    text: str
    source_text: str
    pcm: bytes
    seconds: float


def pcm24_of_wav(path: Path) -> bytes:
    """The samples of a 16-bit PCM WAV file as 24 kHz mono (channels mixed, rate converted).

    Raises:
        AppError: not a WAV file of 16-bit samples (in plain words).
    """
    try:
        with wave.open(str(path), "rb") as wav:
            width, channels, rate = wav.getsampwidth(), wav.getnchannels(), wav.getframerate()
            frames = wav.readframes(wav.getnframes())
    except (OSError, EOFError, wave.Error) as exc:
        raise AppError.local(
            "Not a WAV file",
            f"{path.name} cannot be read as WAV audio ({exc}).",
            "A live translation reads WAV files: record with the microphone, or convert the "
            "file to WAV.",
        ) from exc
    if width != 2 or channels < 1 or rate <= 0:
        raise AppError.local(
            "Unsupported WAV",
            f"{path.name} holds {8 * width}-bit audio; a live translation needs 16-bit samples.",
            "Convert the file to 16-bit WAV, or record with the microphone.",
        )
    samples = array.array("h", frames[: len(frames) - len(frames) % 2])
    if sys.byteorder == "big":
        samples.byteswap()
    if channels > 1:
        samples = array.array(
            "h",
            (
                sum(samples[i : i + channels]) // channels
                for i in range(0, len(samples) - channels + 1, channels)
            ),
        )
    if rate != RATE and samples:
        step = rate / RATE
        count = int(len(samples) / step)
        last = len(samples) - 1
        out = array.array("h", bytes(2 * count))
        for i in range(count):
            pos = i * step
            j = int(pos)
            frac = pos - j
            a = samples[j]
            b = samples[min(j + 1, last)]
            out[i] = int(a + (b - a) * frac)
        samples = out
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()


def session_update(language: str, transcribe_model: str) -> dict[str, Any]:
    """The `session` of the translation session's `session.update`."""
    audio: dict[str, Any] = {"output": {"language": language}}
    if transcribe_model:
        audio["input"] = {"transcription": {"model": transcribe_model}}
    return {"audio": audio}


async def translate_file(
    client: Any,
    *,
    model: str,
    pcm: bytes,
    language: str = "en",
    transcribe_model: str = "",
    on_text: TextCallback | None = None,
) -> LiveTranslation:
    """Sends `pcm` (24 kHz mono) through a live translation session; returns what came back.

    Raises:
        AppError: the session was refused, reported an error, or dropped before it finished.
    """
    if not re.fullmatch(r"[a-z]{2}", language):
        raise AppError.local(
            "Language not understood",
            f"“{language}” is not a two-letter language code.",
            "Use a code such as en, de or fr.",
        )
    try:
        from websockets.exceptions import ConnectionClosed
    except ImportError as exc:
        raise AppError.local(
            "Realtime not installed",
            "Live translation needs the websockets package (openai[realtime]).",
            "Reinstall the app with its dependencies.",
        ) from exc
    text: list[str] = []
    source: list[str] = []
    speech = bytearray()
    closed = False
    try:
        async with client.realtime.translations.connect(model=model) as connection:
            await connection.send(
                {"type": "session.update", "session": session_update(language, transcribe_model)}
            )
            for offset in range(0, len(pcm), FRAME_BYTES):
                chunk = pcm[offset : offset + FRAME_BYTES]
                await connection.send(
                    {
                        "type": "session.input_audio_buffer.append",
                        "audio": base64.b64encode(chunk).decode(),
                    }
                )
            await connection.send({"type": "session.close"})
            try:
                while not closed:
                    event = json.loads(await connection.recv_bytes())
                    kind = event.get("type")
                    if kind == "session.output_transcript.delta":
                        piece = str(event.get("delta") or "")
                        text.append(piece)
                        if on_text is not None:
                            on_text(piece)
                    elif kind == "session.input_transcript.delta":
                        source.append(str(event.get("delta") or ""))
                    elif kind == "session.output_audio.delta":
                        speech.extend(base64.b64decode(str(event.get("delta") or "")))
                    elif kind == "session.closed":
                        closed = True
                    elif kind == "error":
                        raise error_event(
                            event, model, "Check the language and the file, then try again."
                        )
            except ConnectionClosed:
                pass
    except AppError:
        raise
    except Exception as exc:
        raise connect_error(exc, model, str(getattr(client, "base_url", ""))) from exc
    if not closed:
        raise AppError(
            ErrorKind.CONNECTION,
            "Connection dropped",
            "The live translation closed before it finished"
            + (f"; the {len(''.join(text).split())} words that came are shown." if text else "."),
            "Press Translate to try again.",
        )
    result = "".join(text).strip()
    if not result:
        raise AppError.local(
            "No words found",
            "The live translation heard no speech in this audio, so there is no translation.",
            "Check the recording and try again.",
        )
    return LiveTranslation(result, "".join(source).strip(), bytes(speech), len(pcm) / (RATE * 2))
