"""Live translation on the Speech to text page: the microphone translated into English as it is
spoken, the way an interpreter works.

With "Translate to English" chosen, a live translation model listed and "Translate as I speak"
ticked, a take is recorded at 24 kHz (written to disk first, as every take) and its PCM also goes
to a live translation session (`core/audio/live_translate.TranslationSession`) as it is recorded.
The English appears in the transcript view as it comes, and what was said in its own language on
a quieter line under it (when a live transcription model is listed to write it down). When the
take stops, the session flushes what it still holds (waiting at most `FLUSH_SECONDS`); then the
translated speech is saved to the clip history, one ledger row is written (TRANSLATION, the
seconds sent, priced where the price data knows the model) and the take stays the page's source,
so it can still be translated as a file. A failure (a refused or dropped connection, a 429) is
said in plain words under the Translate button (where it stays when the take is saved, and
where the next step is pressed); the take is never touched.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from playground.core.api.errors import AppError
from playground.core.audio.files import format_clock, pcm_to_wav
from playground.core.audio.live_translate import (
    DROPPED,
    FLUSH_SECONDS,
    RATE,
    LiveTranslation,
    TranslationSession,
)
from playground.core.audio.transcripts import Transcript
from playground.core.models import Endpoint, RequestStatus, Usage
from playground.core.money.formatting import format_cost
from playground.core.money.metering import RequestRecord

if TYPE_CHECKING:
    from playground.core.api.session import ApiSession
    from playground.core.audio.clips import ClipStore
    from playground.core.models import LedgerEntry
    from playground.ui.audio.tab import SpeechToTextPage
    from playground.ui.shell.bridge import TaskRunner
    from playground.ui.shell.counters import CountersController

LIVE_TR = "audio-live-translate"


class LiveTranslator(QObject):
    """Runs one live translation session per take (see the module docstring).

    Args:
        page: the Speech to text page (its transcript view shows the translation).
        api: the API session (client and profile).
        runner: runs the session.
        counters: writes the ledger rows.
        clips: where the translated speech is kept.
        parent: the QObject parent.

    Attributes:
        model: the live translation model ("" when the list has none).
        source_model: the transcription model that writes down what was said ("" for none).
        flush_seconds: how long a stopped take waits for the session to flush.

    Signals:
        clip_saved: the translated speech was added to the clip history. arg: the clip's id.
    """

    clip_saved = Signal(str)

    def __init__(
        self,
        page: SpeechToTextPage,
        api: ApiSession,
        runner: TaskRunner,
        counters: CountersController,
        clips: ClipStore,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.page = page
        self.api = api
        self.runner = runner
        self.counters = counters
        self.clips = clips
        self.model = ""
        self.source_model = ""
        self.flush_seconds = FLUSH_SECONDS
        self.session: TranslationSession | None = None

    @property
    def active(self) -> bool:
        """A session is running (recording, or flushing after the take ended)."""
        return self.session is not None

    def start(self) -> bool:
        """Opens a session for a take that starts now; False (said on the page) when no live
        translation model is listed."""
        if not self.model:
            self.page.show_error(
                AppError.local(
                    "No live translation model",
                    "The model list has no live translation model, so nothing is translated "
                    "while you speak.",
                    "The take is still recorded: press Translate when it is saved.",
                )
            )
            return False
        model = self.model
        session = TranslationSession(
            self.api.client,
            model=model,
            language="en",
            transcribe_model=self.source_model,
            on_text=lambda _piece: self._show(session),
            on_source=lambda _piece: self._show(session),
            on_open=lambda: self._show(session),
            on_error=self._reported,
            flush_timeout=self.flush_seconds,
        )
        self.session = session
        self.page.begin_live_translation(f"Connecting to {model}…")
        self.runner.start(
            session.run(),
            group=LIVE_TR,
            on_result=lambda result: self._done(session, result),
            on_error=lambda error: self._failed(session, error),
            on_cancel=lambda: self._cancelled(session),
        )
        return True

    def feed(self, pcm: bytes) -> None:
        """Hands the session the PCM just recorded (24 kHz mono, already in the take)."""
        session = self.session
        if session is not None and not session.finishing:
            session.append(pcm)

    def stop(self) -> None:
        """The take ended: the session flushes what it still holds, then closes."""
        session = self.session
        if session is None or session.finishing:
            return
        session.finish()
        if session is self.session:
            self._show(session)

    def shutdown(self) -> None:
        self.runner.cancel(LIVE_TR)

    # --- what comes ----------------------------------------------------------------------------

    def _show(self, session: TranslationSession) -> None:
        if session is not self.session:
            return  # a new take has started; this one only finishes
        if not session.open:
            info = f"Connecting to {session.model}…"
        elif session.finishing:
            info = "Finishing the translation…"
        else:
            info = f"Translating as you speak ({session.model})…"
        self.page.show_live_translation(session.text, session.source_text, info)

    def _reported(self, error: AppError) -> None:
        """An `error` event: said, and the translation goes on (the server keeps the session)."""
        self.page.show_error(error)

    def _done(self, session: TranslationSession, result: LiveTranslation) -> None:
        current = session is self.session
        if current:
            self.session = None
        entry = self._record(session, Usage(audio_seconds=result.seconds), RequestStatus.OK)
        clip = None
        if result.pcm:
            try:
                clip = self.clips.add(
                    pcm_to_wav(result.pcm),
                    model=session.model,
                    voice="",
                    response_format="wav",
                    speed=1.0,
                    instructions="",
                    text=result.text,
                    duration_s=len(result.pcm) / (RATE * 2),
                )
            except OSError as exc:
                self.page.show_error(
                    AppError.local(
                        "Spoken English not saved",
                        f"The translated speech could not be written to {self.clips.clips_dir} "
                        f"({exc}).",
                        "The text is shown and the take is kept: free some disk space, then "
                        "press Translate to translate the take again.",
                    )
                )
            else:
                self.clip_saved.emit(clip.id)
        if not current:
            return
        parts = [
            f"Translated as you spoke by {session.model}",
            f"{format_clock(result.seconds)} of audio",
            f"cost {format_cost(entry.cost)}",
        ]
        if not result.complete:
            parts.append(
                f"the session did not confirm the end within {session.flush_timeout:g} s, so "
                "the last words may be missing"
            )
        if clip is not None:
            parts.append("the spoken English is also in Text to speech's history")
        transcript = Transcript(
            result.text, "text", result.text, duration_s=result.seconds, task="translate"
        )
        self.page.show_transcript(transcript, " · ".join(parts))  # the source line stays
        if clip is not None:
            self.page.show_translated_speech(self.clips.playable_path(clip))

    def _failed(self, session: TranslationSession, error: AppError) -> None:
        current = session is self.session
        if current:
            self.session = None
        # What was sent before the failure may have been billed: an estimate when words came.
        usage = Usage(audio_seconds=session.seconds, estimated=True) if session.text else Usage()
        self._record(session, usage, RequestStatus.ERROR)
        if not current:
            return
        kept = (
            "The take is kept: press Translate to translate it as a file."
            if session.finishing
            else "Recording goes on and the take is kept: when you stop, press Translate to "
            "translate it as a file."
        )
        words = len(session.text.split())
        if error.code == DROPPED:
            when = "before the translation finished" if session.finishing else "while you spoke"
            came = f"; the {words} words that came are shown." if words else "."
            error = dataclasses.replace(
                error,
                title="Live translation stopped",
                message=f"The connection to {session.model} dropped {when}{came}",
                hint=kept,
            )
        else:
            error = dataclasses.replace(error, hint=f"{error.hint} {kept}".strip())
        self.page.show_error(error)
        self.page.show_live_translation(
            session.text,
            session.source_text,
            f"Live translation stopped; the {words} words that came are shown."
            if words
            else "Live translation stopped before any words came.",
        )

    def _cancelled(self, session: TranslationSession) -> None:
        if session is self.session:
            self.session = None
        usage = Usage(audio_seconds=session.seconds, estimated=True) if session.text else Usage()
        self._record(session, usage, RequestStatus.CANCELLED)

    def _record(
        self, session: TranslationSession, usage: Usage, status: RequestStatus
    ) -> LedgerEntry:
        return self.counters.write(
            RequestRecord(
                profile=self.api.profile,
                tab="audio",
                model=session.model,
                endpoint=Endpoint.TRANSLATION,
                usage=usage,
                status=status,
            )
        )
