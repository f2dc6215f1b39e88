"""Runs the Voice chat page: the microphone into a live session, the answers out of the speaker.

The microphone is recorded at 24 kHz into a take under `<data>/audio/recordings/` (on disk
before anything is sent) and its PCM goes to the `VoiceChatSession` as it comes: always with
server voice detection, only while Space is held with push-to-talk. Answers play through their
own `LivePlayer`. When the user speaks over an answer, playback stops and the session truncates
the answer to what was played. Every answer writes a ledger row (Endpoint REALTIME, priced at
the model's text and audio token rates); the page shows the cost of the last answer, the total
and the cost per minute of talking, live. The conversation is saved after every answer and when
it ends (`VoiceStore`), and a saved one can be replayed turn by turn and exported.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer

from playground.core.api.errors import AppError, ErrorKind
from playground.core.api.retirements import ModelChoice
from playground.core.audio.live import LiveVoiceSession, is_live_model, live_problem
from playground.core.audio.realtime import is_realtime_model
from playground.core.audio.voicechat import (
    VOICE_RATE,
    VoiceChatConfig,
    VoiceChatSession,
    VoiceConversation,
    VoiceStore,
    VoiceTurn,
    parse_tools,
    transcribe_model_for,
)
from playground.core.models import Endpoint, RequestStatus
from playground.core.money.formatting import format_cost
from playground.core.money.metering import RequestRecord
from playground.ui.audio.media import AudioDevices, LivePlayer, Recorder
from playground.ui.audio.voice_page import VoiceChatPage

if TYPE_CHECKING:
    from playground.core.api.session import ApiSession
    from playground.ui.shell.bridge import TaskRunner
    from playground.ui.shell.counters import CountersController

log = logging.getLogger(__name__)

VOICE = "audio-voice"


class VoiceChatController(QObject):
    """Wires the Voice chat page to a live session, the microphone, the speaker and the ledger.

    Args:
        page: the page it runs.
        session: the API session (its client opens the live session; its profile prices it).
        store: where conversations are saved.
        recordings: the folder for microphone takes.
        recorder: records the microphone (its own, not the Speech to text page's).
        live: plays the answers.
        devices: the device list (made on first need).
        counters: writes the ledger rows.
        runner: runs the session.
        parent: the QObject parent.
    """

    def __init__(
        self,
        page: VoiceChatPage,
        session: ApiSession,
        store: VoiceStore,
        recordings: Path,
        recorder: Recorder,
        live: LivePlayer,
        devices: Callable[[], AudioDevices],
        counters: CountersController,
        runner: TaskRunner,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.page = page
        self.api = session
        self.store = store
        self.recordings = recordings
        self.recorder = recorder
        self.live = live
        self._devices = devices
        self.counters = counters
        self.runner = runner
        self.models: list[str] = []
        self.session: VoiceChatSession | None = None
        self.conversation: VoiceConversation | None = None
        self.config: VoiceChatConfig | None = None
        self._playing: VoiceTurn | None = None
        self._started = 0.0
        self._talk_started = 0
        self._tool_turn: VoiceTurn | None = None
        self._shown: VoiceConversation | None = None
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._show_cost)

        page.start_requested.connect(self.start)
        page.stop_requested.connect(self.stop)
        page.reconnect_requested.connect(self.reconnect)
        page.talk_pressed.connect(self._on_talk_pressed)
        page.talk_released.connect(self._on_talk_released)
        page.tool_result_entered.connect(self._on_tool_result)
        page.history_chosen.connect(self.show_saved)
        page.export_requested.connect(self.export)
        page.turn_chosen.connect(self.play_turn)
        recorder.audio_ready.connect(self._on_mic_audio)
        recorder.level_changed.connect(page.set_level)
        recorder.failed.connect(self._on_mic_failed)
        live.failed.connect(page.set_state)
        page.set_history(store.saved())

    # --- set-up ------------------------------------------------------------------------------------

    def show_models(self, realtime: Sequence[str | ModelChoice], all_ids: Sequence[str]) -> None:
        """The realtime models that can talk, and every listed id (for the transcription model)."""
        choices = [c for c in realtime if is_realtime_model(c if isinstance(c, str) else c.id)]
        choices += [m for m in all_ids if is_live_model(m)]  # the Live API, a second route
        self.models = list(all_ids)
        current = self.page.model
        ids = [c if isinstance(c, str) else c.id for c in choices]
        self.page.set_models(choices, current if current in ids else "")

    def refresh_devices(self) -> None:
        self.page.set_devices(self._devices().inputs())

    # --- the session -------------------------------------------------------------------------------

    def start(self) -> None:
        page = self.page
        page.clear_message()
        self.refresh_devices()
        if not page.device_id:
            return  # the page says there is no microphone
        try:
            tools = parse_tools(page.tools_edit.toPlainText())
        except AppError as error:
            page.show_error(error)
            return
        config = VoiceChatConfig(
            model=page.model,
            voice=page.voice,
            instructions=page.instructions.toPlainText(),
            push_to_talk=page.push_to_talk,
            tools=tools,
            transcribe_model=transcribe_model_for(self.models),
        )
        problem = live_problem(config) if is_live_model(config.model) else config.problem()
        if problem is not None:
            page.show_error(problem)
            return
        self.config = config
        self.conversation = VoiceConversation(config.model, config.voice, config.instructions)
        self._open()

    def reconnect(self) -> None:
        """Opens a new session for the same conversation (its text is sent again as context)."""
        if self.config is None or self.conversation is None:
            self.start()
            return
        self.page.clear_message()
        self._open()

    def _open(self) -> None:
        config, conv = self.config, self.conversation
        assert config is not None
        assert conv is not None
        page = self.page
        take = self.recordings / f"voice-{conv.id}-{int(time.time())}.wav"
        try:
            take.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            page.show_error(
                AppError.local(
                    "Cannot record",
                    f"The recording folder {take.parent} cannot be written ({exc}).",
                    "Free some disk space or check the data folder.",
                )
            )
            return
        route = LiveVoiceSession if is_live_model(config.model) else VoiceChatSession
        session = route(self.api.client, config, conv, self)  # the client is made on connecting
        self.session = session
        page.set_running(True)
        page.set_state(f"Connecting to {config.model}…")
        self._show_conversation()
        if not self.recorder.start(page.device_id, take, VOICE_RATE):
            self.session = None
            page.set_running(False)
            return  # the recorder said why (failed → the page)
        self._started = time.monotonic()
        self._clock.start()
        self.runner.start(
            session.run(),
            group=VOICE,
            on_result=lambda _none: self._ended(session, None),
            on_error=lambda error: self._ended(session, error),
            on_cancel=lambda: self._ended(session, None),
        )

    def stop(self) -> None:
        """Ends the conversation: the session closes, the take and the chat are saved."""
        session = self.session
        if session is not None:
            session.close()
        self._ended(session, None)

    def shutdown(self) -> None:
        self.stop()
        self.runner.cancel(VOICE)

    def _ended(self, session: VoiceChatSession | None, error: AppError | None) -> None:
        if session is not None and session is not self.session:
            return  # an older session ending late
        self.session = None
        self.recorder.stop()
        self.live.stop()
        self._clock.stop()
        self._playing = None
        self._save()
        page = self.page
        if error is None:
            page.set_running(False)
            page.set_state("The chat ended. It is saved under Saved chats.")
        elif error.kind is ErrorKind.CONNECTION and self.conversation and self.conversation.turns:
            page.show_dropped(error)
            page.set_state("Disconnected. What was said and heard is kept.")
        else:
            page.set_running(False)
            page.show_error(error)
            page.set_state("Not connected.")
            if error.kind is ErrorKind.CONNECTION:
                page.reconnect_button.show()
        self._show_conversation()
        self._show_cost()

    # --- the microphone ------------------------------------------------------------------------

    def _on_mic_audio(self, pcm: bytes) -> None:
        session = self.session
        if session is None or not session.open:
            return
        if self.config is not None and self.config.push_to_talk and not self.page.talking:
            return
        session.send_audio(pcm)

    def _on_mic_failed(self, text: str) -> None:
        if self.session is None:
            self.page.show_error(
                AppError.local("Microphone unavailable", text, "Choose another microphone.")
            )
            return
        self.page.set_state(text)

    def _on_talk_pressed(self) -> None:
        session = self.session
        if session is None:
            return
        if self.live.active and self._playing is not None:
            self._interrupt()  # also cancels the answer if it is still coming
        session.start_turn()
        self.page.set_state("Listening… release Space to send.")

    def _on_talk_released(self) -> None:
        session = self.session
        if session is None:
            return
        if session.end_turn():
            self.page.set_state("Sent. Waiting for the answer…")
        else:
            self.page.set_state("Too short: hold Space while you speak, then release it.")

    def _interrupt(self) -> None:
        """Stops the answer that is playing; the session truncates it to what was played."""
        session = self.session
        played = self.live.played_ms if self.live.active else 0
        self.live.stop()
        self._playing = None
        if session is not None:
            session.interrupt(played)

    # --- VoiceEvents ---------------------------------------------------------------------------

    def session_ready(self) -> None:
        assert self.config is not None
        if self.config.push_to_talk:
            self.page.set_state("Connected. Hold Space (or the Talk button) while you speak.")
        else:
            self.page.set_state("Connected. Speak; the model answers when you pause.")

    def user_speaking(self) -> None:
        if self._playing is not None and self.live.active:
            self._interrupt()
        self.page.set_state("Listening…")

    def turn_changed(self, turn: VoiceTurn) -> None:  # noqa: ARG002 (the page shows all turns)
        self._show_conversation()

    def assistant_audio(self, turn: VoiceTurn, pcm: bytes) -> None:
        if self._playing is not turn:
            self._playing = turn
            if not self.live.start(VOICE_RATE):
                return
            self.page.set_state("Answering… speak to interrupt.")
        if self.live.active:
            self.live.feed(pcm)

    def answer_done(self, turn: VoiceTurn) -> None:
        if turn is self._playing and self.live.active:
            self.live.finish()
        config = self.config
        if turn.usage is not None and config is not None:
            entry = self.counters.write(
                RequestRecord(
                    profile=self.api.profile,
                    tab="audio",
                    model=config.model,
                    endpoint=Endpoint.REALTIME,
                    usage=turn.usage,
                    status=RequestStatus.ERROR if turn.interrupted else RequestStatus.OK,
                    conversation_id=None,
                )
            )
            turn.cost = entry.cost
        self._save()
        self._show_conversation()
        self._show_cost()
        if self.session is not None and not turn.interrupted:
            self.page.set_state("Your turn.")

    def tool_called(self, turn: VoiceTurn) -> None:
        self._tool_turn = turn
        self.page.ask_tool_result(turn.name, turn.text)
        self.page.set_state(f"The model called {turn.name}: type its result.")

    def error_reported(self, error: AppError) -> None:
        self.page.show_error(error)

    def _on_tool_result(self, text: str) -> None:
        turn, self._tool_turn = self._tool_turn, None
        if turn is None or self.session is None:
            return
        self.session.tool_result(turn, text)
        self.page.set_state("Result sent. Waiting for the answer…")

    # --- showing, saving, replaying ------------------------------------------------------------

    def _show_conversation(self) -> None:
        conv = self.conversation
        if conv is not None:
            self._shown = conv
            self.page.show_turns(conv.turns, conv.id if conv.turns else "")

    def _show_cost(self) -> None:
        conv = self.conversation
        if conv is None:
            return
        answers = [t for t in conv.turns if t.usage is not None]
        if not answers:
            self.page.show_cost("Cost: nothing yet")
            return
        last = answers[-1].cost
        total = conv.cost
        minutes = (time.monotonic() - self._started) / 60 if self._started else 0.0
        rate = "—"
        if total is not None and minutes > 0:
            rate = format_cost(total / Decimal(repr(max(minutes, 1 / 60))))
        self.page.show_cost(
            f"Last answer {format_cost(last)} · this chat {format_cost(total)} · {rate} per minute"
        )

    def _save(self) -> None:
        conv = self.conversation
        if conv is None or not conv.turns:
            return
        try:
            self.store.save(conv)
        except OSError as exc:
            self.page.show_error(
                AppError.local(
                    "Chat not saved",
                    f"The voice chat could not be written to {self.store.root} ({exc}).",
                    "Free some disk space or check the data folder; the chat stays on screen.",
                )
            )
            return
        self.page.set_history(self.store.saved(), select=conv.id)

    def show_saved(self, conversation_id: str) -> None:
        """Shows a saved conversation (its turns can be played)."""
        if self.session is not None:
            return  # the live chat stays on screen while it runs
        try:
            conv = self.store.load(conversation_id)
        except (OSError, ValueError, KeyError) as exc:
            self.page.show_error(
                AppError.local(
                    "Chat cannot be opened",
                    f"This saved chat could not be read ({exc}).",
                    "It may have been moved or damaged; the others are unaffected.",
                )
            )
            return
        self.conversation = None
        self._shown = conv
        self.page.show_turns(conv.turns, conv.id)
        self.page.set_state(f"Saved chat with {conv.model} · click a turn to play it.")

    def play_turn(self, index: int) -> None:
        conv = self._shown
        if conv is None or not 0 <= index < len(conv.turns) or self.session is not None:
            return
        path = self.store.audio_path(conv.id, index)
        if path is None:
            return
        self.page.player.load(path)
        self.page.player.toggle()

    def export(self, conversation_id: str, target: str) -> None:
        try:
            self.store.export(conversation_id, Path(target))
        except (OSError, ValueError, KeyError) as exc:
            self.page.show_error(
                AppError.local(
                    "Export failed",
                    f"The chat could not be exported to {target} ({exc}).",
                    "Choose another folder and try again.",
                )
            )
            return
        self.page.set_state(f"Exported to {Path(target).name}.")

    def state(self) -> dict[str, Any]:
        page = self.page
        return {
            "voice_model": page.model,
            "voice_voice": page.voice,
            "voice_instructions": page.instructions.toPlainText(),
            "voice_ptt": page.push_to_talk,
            "voice_tools": page.tools_edit.toPlainText(),
        }

    def restore(self, state: dict[str, Any]) -> None:
        page = self.page
        if state.get("voice_voice"):
            page.voice_combo.setCurrentText(str(state["voice_voice"]))
        page.instructions.setPlainText(str(state.get("voice_instructions", "")))
        page.ptt_radio.setChecked(bool(state.get("voice_ptt", False)))
        page.vad_radio.setChecked(not bool(state.get("voice_ptt", False)))
        page.tools_edit.setPlainText(str(state.get("voice_tools", "")))
