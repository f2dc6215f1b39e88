"""Live transcription on the Speech to text page: the microphone written down as it is spoken.

While a take is recorded (at 24 kHz, still written to disk first), its PCM also goes to a live
transcription session (`VoiceChatConfig(transcription_only=True)`: the transcription model from
the list, server voice detection, no answers). Each finished sentence appears in the transcript
view as it comes, and writes a ledger row (TRANSCRIPTION). When recording stops mid-sentence the
last words are committed and the session closes once they are written down (or after a few
seconds). The take itself stays the page's source, so it can still be transcribed as a file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer

from playground.core.api.errors import AppError
from playground.core.audio.voicechat import (
    USER,
    VoiceChatConfig,
    VoiceChatSession,
    VoiceConversation,
    VoiceTurn,
)
from playground.core.models import Endpoint, RequestStatus
from playground.core.money.metering import RequestRecord

if TYPE_CHECKING:
    from playground.core.api.session import ApiSession
    from playground.ui.audio.tab import SpeechToTextPage
    from playground.ui.shell.bridge import TaskRunner
    from playground.ui.shell.counters import CountersController

LIVE_STT = "audio-live-stt"
#: How long a stopped take waits for its last words to be written down.
FLUSH_MS = 5000


class LiveTranscriber(QObject):
    """Runs one live transcription session per take (see the module docstring).

    Args:
        page: the Speech to text page (its transcript view shows the text).
        api: the API session (client and profile).
        runner: runs the session.
        counters: writes the ledger rows.
        parent: the QObject parent.
    """

    def __init__(
        self,
        page: SpeechToTextPage,
        api: ApiSession,
        runner: TaskRunner,
        counters: CountersController,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.page = page
        self.api = api
        self.runner = runner
        self.counters = counters
        self.model = ""
        self.session: VoiceChatSession | None = None
        self._closing = False
        self._recorded: set[int] = set()
        self._flush = QTimer(self)
        self._flush.setSingleShot(True)
        self._flush.setInterval(FLUSH_MS)
        self._flush.timeout.connect(self._close)

    @property
    def active(self) -> bool:
        return self.session is not None

    def start(self) -> None:
        """Opens a session for a take that starts now."""
        config = VoiceChatConfig(
            model=self.model, transcribe_model=self.model, transcription_only=True
        )
        conv = VoiceConversation(self.model, "")
        session = VoiceChatSession(self.api.client, config, conv, self)
        self.session = session
        self._closing = False
        self._recorded.clear()
        self.page.begin_live_transcript()
        self.runner.start(
            session.run(),
            group=LIVE_STT,
            on_result=lambda _none: self._ended(session, None),
            on_error=lambda error: self._ended(session, error),
            on_cancel=lambda: self._ended(session, None),
        )

    def feed(self, pcm: bytes) -> None:
        session = self.session
        if session is not None and session.open and not self._closing:
            session.send_audio(pcm)

    def stop(self) -> None:
        """The take ended: write down the last words, then close."""
        session = self.session
        if session is None or self._closing:
            return
        self._closing = True
        if session.hearing and session.open:
            session.commit()
            self._flush.start()
        else:
            self._close()

    def shutdown(self) -> None:
        self._close()
        self.runner.cancel(LIVE_STT)

    def _close(self) -> None:
        self._flush.stop()
        if self.session is not None:
            self.session.close()

    def _ended(self, session: VoiceChatSession, error: AppError | None) -> None:
        if session is not self.session:
            return
        self.session = None
        self._flush.stop()
        if error is not None:
            self.page.show_source_error(error)

    # --- VoiceEvents ---------------------------------------------------------------------------

    def session_ready(self) -> None:
        self.page.show_live_text("", f"Listening ({self.model})… the text appears as you speak.")

    def user_speaking(self) -> None:
        pass

    def turn_changed(self, turn: VoiceTurn) -> None:
        session = self.session
        if session is None:
            return
        turns = [t for t in session.conversation.turns if t.role == USER]
        text = "\n".join(t.text.strip() for t in turns if t.text.strip())
        self.page.show_live_text(text, f"Live transcript by {self.model}")
        if turn.done and id(turn) not in self._recorded:
            self._recorded.add(id(turn))
            if turn.transcription_usage is not None:
                self.counters.write(
                    RequestRecord(
                        profile=self.api.profile,
                        tab="audio",
                        model=self.model,
                        endpoint=Endpoint.TRANSCRIPTION,
                        usage=turn.transcription_usage,
                        status=RequestStatus.OK,
                    )
                )
            if self._closing and not session.hearing:
                self._close()

    def assistant_audio(self, turn: VoiceTurn, pcm: bytes) -> None:
        pass

    def answer_done(self, turn: VoiceTurn) -> None:
        pass

    def tool_called(self, turn: VoiceTurn) -> None:
        pass

    def error_reported(self, error: AppError) -> None:
        self.page.show_source_error(error)
