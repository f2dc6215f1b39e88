"""Translation through a live Realtime translation session (`/v1/realtime/translations`), no Qt.

`/v1/audio/translations` (whisper-1) is shut down on 2027-02-26; OpenAI points translation to a
Realtime translation session: a WebSocket (`client.realtime.translations.connect(model=...)`)
that takes 24 kHz 16-bit mono PCM (`session.input_audio_buffer.append`, best in 200 ms frames)
and streams back the translated text (`session.output_transcript.delta`), the translated speech
(`session.output_audio.delta`) and, when asked, the source-language text
(`session.input_transcript.delta`). `session.close` makes the server flush what is pending and
answer `session.closed`.

`TranslationSession` is one such session: audio goes in as it comes (`append`), text and speech
come out through callbacks, and `finish()` closes it after the flush (waiting a bounded time).
`translate_file` sends a WAV file that way (converted to 24 kHz mono first: `pcm24_of_wav`) and
collects the result; the Speech to text page feeds the microphone to it while the user speaks. Compressed files (`LIVE_SUFFIXES` lists what is read here) are
decoded to WAV by the UI's media layer first (`ui/audio/media.py` `Decoder`).
"""

from __future__ import annotations

import array
import asyncio
import base64
import contextlib
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

#: The `AppError.code` of a session that dropped before it finished.
DROPPED = "session_dropped"
#: How long a finished take waits for the session to flush what it still holds.
FLUSH_SECONDS = 10.0

TextCallback = Callable[[str], None]
AudioCallback = Callable[[bytes], None]


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
        complete: the session said it had flushed everything (False: it did not say so in
            time, and the last words may be missing).
    """

    text: str
    source_text: str
    pcm: bytes
    seconds: float
    complete: bool = True


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


class TranslationSession:
    """One live translation session: audio in as it comes, text and speech out as they come.

    The file path (`translate_file`) and the microphone path (the Speech to text page translating
    while the user speaks) both run this: `append(pcm)` takes 24 kHz mono PCM at any time, before
    or while `run()` runs, and whole 200 ms frames (`FRAME_BYTES`) go out as soon as they are
    complete; `finish()` sends what is left (the one part frame) and `session.close`, after which
    `run()` waits for `session.closed` (the server flushes what it still holds) at most
    `flush_timeout` seconds, then returns what came.

    Args:
        client: an `AsyncOpenAI` client, or a function that returns one (called on connecting).
        model: the live translation model.
        language: the two-letter code of the language to translate into.
        transcribe_model: a transcription model for the source-language text ("" for none).
        on_text: gets each piece of translated text as it comes.
        on_source: gets each piece of source-language text as it comes.
        on_audio: gets each piece of translated speech (PCM 24 kHz mono) as it comes.
        on_open: called once the session is connected and set up.
        on_error: gets an `error` event in the app's words, and the session goes on (the server
            keeps it open); without it an `error` event ends `run()` with that error.
        flush_timeout: how long `run()` waits for `session.closed` after `finish()`; None waits
            as long as it takes (a whole file is translated at the server's pace).

    Attributes:
        open: connected and set up; audio goes out as it comes.
        sent_bytes: the PCM handed over by `append` so far (what the session is billed for).
        complete: the server said it had flushed everything (`session.closed`).
        timed_out: `session.closed` did not come within `flush_timeout`.
    """

    def __init__(
        self,
        client: Any,
        *,
        model: str,
        language: str = "en",
        transcribe_model: str = "",
        on_text: TextCallback | None = None,
        on_source: TextCallback | None = None,
        on_audio: AudioCallback | None = None,
        on_open: Callable[[], None] | None = None,
        on_error: Callable[[AppError], None] | None = None,
        flush_timeout: float | None = FLUSH_SECONDS,
    ) -> None:
        self.client = client
        self.model = model
        self.language = language
        self.transcribe_model = transcribe_model
        self.on_text = on_text
        self.on_source = on_source
        self.on_audio = on_audio
        self.on_open = on_open
        self.on_error = on_error
        self.flush_timeout = flush_timeout
        self.open = False
        self.sent_bytes = 0
        self.complete = False
        self.timed_out = False
        self._text: list[str] = []
        self._source: list[str] = []
        self._speech = bytearray()
        self._part = bytearray()  # less than a frame, waiting for the rest
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._finishing = False
        self._deadline: float | None = None

    # --- audio in (any time, from the loop's thread) ------------------------------------------

    def append(self, pcm: bytes) -> None:
        """Takes PCM (24 kHz 16-bit mono); each whole 200 ms frame is queued to go out."""
        if not pcm or self._finishing:
            return
        self.sent_bytes += len(pcm)
        self._part.extend(pcm)
        while len(self._part) >= FRAME_BYTES:
            self._queue.put_nowait(bytes(self._part[:FRAME_BYTES]))
            del self._part[:FRAME_BYTES]

    def finish(self) -> None:
        """No more audio: the last part frame and `session.close` go out, and `run()` returns
        once the server has flushed (or after `flush_timeout`)."""
        if self._finishing:
            return
        self._finishing = True
        if self._part:
            self._queue.put_nowait(bytes(self._part))
            self._part.clear()
        self._queue.put_nowait(None)

    @property
    def finishing(self) -> bool:
        """`finish()` was called: no more audio is taken."""
        return self._finishing

    # --- what came ----------------------------------------------------------------------------

    @property
    def text(self) -> str:
        """The translated text so far."""
        return "".join(self._text).strip()

    @property
    def source_text(self) -> str:
        """The source-language text so far ("" unless a transcription model was set)."""
        return "".join(self._source).strip()

    @property
    def seconds(self) -> float:
        """The length of the audio handed over so far."""
        return self.sent_bytes / (RATE * 2)

    def result(self) -> LiveTranslation:
        """What came so far, as a `LiveTranslation`."""
        return LiveTranslation(
            self.text, self.source_text, bytes(self._speech), self.seconds, self.complete
        )

    # --- running ------------------------------------------------------------------------------

    async def run(self) -> LiveTranslation:
        """Connects, sends the audio as it comes and collects what comes back, until the server
        has flushed after `finish()` (or `flush_timeout` passed).

        Raises:
            AppError: a bad language code, the session was refused or reported an error, it
                dropped before it finished, or no words came.
        """
        if not re.fullmatch(r"[a-z]{2}", self.language):
            raise AppError.local(
                "Language not understood",
                f"“{self.language}” is not a two-letter language code.",
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
        client = self.client
        try:
            if callable(client):  # a getter (`ApiSession.client`): a missing key fails here
                client = client()
            async with client.realtime.translations.connect(model=self.model) as connection:
                update = session_update(self.language, self.transcribe_model)
                await connection.send({"type": "session.update", "session": update})
                self.open = True
                if self.on_open is not None:
                    self.on_open()
                sender = asyncio.ensure_future(self._send_all(connection))
                try:
                    await self._receive(connection, sender)
                except ConnectionClosed:
                    pass  # not complete: said below
                finally:
                    self.open = False
                    sender.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await sender
        except AppError:
            raise
        except Exception as exc:
            raise connect_error(exc, self.model, str(getattr(client, "base_url", ""))) from exc
        if not self.complete and not self.timed_out:
            words = len(self.text.split())
            raise AppError(
                ErrorKind.CONNECTION,
                "Connection dropped",
                "The live translation closed before it finished"
                + (f"; the {words} words that came are shown." if words else "."),
                "Press Translate to try again.",
                code=DROPPED,
            )
        if not self.text:
            if self.timed_out:
                raise AppError(
                    ErrorKind.TIMEOUT,
                    "No translation came",
                    f"The live translation sent no words and did not finish within "
                    f"{self.flush_timeout:g} s of the end of the audio.",
                    "Press Translate to try again.",
                )
            raise AppError.local(
                "No words found",
                "The live translation heard no speech in this audio, so there is no translation.",
                "Check the recording and try again.",
            )
        return self.result()

    async def _send_all(self, connection: Any) -> None:
        while True:
            frame = await self._queue.get()
            if frame is None:
                await connection.send({"type": "session.close"})
                if self.flush_timeout is not None:
                    self._deadline = asyncio.get_running_loop().time() + self.flush_timeout
                return
            await connection.send(
                {
                    "type": "session.input_audio_buffer.append",
                    "audio": base64.b64encode(frame).decode(),
                }
            )

    async def _receive(self, connection: Any, sender: asyncio.Future[None]) -> None:
        """Reads events until `session.closed`, a failed send, or the flush deadline."""
        loop = asyncio.get_running_loop()
        while not self.complete:
            recv = asyncio.ensure_future(connection.recv_bytes())
            # If this task is cancelled, the read left behind ends with the socket's close: its
            # outcome is read here so nothing is reported as unhandled.
            recv.add_done_callback(_consume)
            waiting: set[asyncio.Future[Any]] = {recv} if sender.done() else {recv, sender}
            timeout = None if self._deadline is None else max(0.0, self._deadline - loop.time())
            await asyncio.wait(waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if not recv.done():
                recv.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await recv
                if sender.done():
                    sender.result()  # a send that failed raises here (a drop: ConnectionClosed)
                if self._deadline is not None and loop.time() >= self._deadline:
                    self.timed_out = True
                    return
                continue  # everything is sent: wait for the flush, now bounded
            self._handle(json.loads(recv.result()))

    def _handle(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "session.output_transcript.delta":
            piece = str(event.get("delta") or "")
            self._text.append(piece)
            if self.on_text is not None:
                self.on_text(piece)
        elif kind == "session.input_transcript.delta":
            piece = str(event.get("delta") or "")
            self._source.append(piece)
            if self.on_source is not None:
                self.on_source(piece)
        elif kind == "session.output_audio.delta":
            data = base64.b64decode(str(event.get("delta") or ""))
            if data:
                self._speech.extend(data)
                if self.on_audio is not None:
                    self.on_audio(data)
        elif kind == "session.closed":
            self.complete = True
        elif kind == "error":
            if self.on_error is None:
                raise error_event(
                    event, self.model, "Check the language and the audio, then try again."
                )
            self.on_error(error_event(event, self.model, "The translation goes on."))


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
    session = TranslationSession(
        client,
        model=model,
        language=language,
        transcribe_model=transcribe_model,
        on_text=on_text,
        flush_timeout=None,  # a whole file is flushed at the server's pace; Stop cancels
    )
    session.append(pcm)
    session.finish()
    return await session.run()


def _consume(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()
