"""Voice chat through the Live API (`gpt-live-1`, `gpt-live-1.1`; SDK `client.live.connect()`), no Qt.

The Live API is a second route for Voice chat next to the Realtime API. It is one WebSocket
(`/v1/live/sessions`) with its own events:

- the client sends `session.start` first (the model, instructions, audio format and voice, and
  earlier text as `input` items) and waits for `session.started`; then
  `session.input_audio.append` (PCM 24 kHz) as the microphone records, and `session.close`;
- the server sends `session.output_audio.delta` (the answer's audio),
  `session.input_transcript.delta` / `session.output_transcript.delta` (both sides' words, with
  times on the session's timeline), `session.usage.updated` (the billable seconds so far,
  cumulative), `error` and `session.closed`.

The model listens while it speaks and decides itself when to answer and when to stop (there are
no turn, commit or truncate events, and no function tools unless a delegation is configured,
which this app does not offer). So the turns here are made from the transcripts: words from the
user start a user turn, words or audio from the model an answer; an answer is taken as finished
when the next usage report comes or when the user speaks again. Each answer carries the seconds
billed since the previous one (`Usage.audio_seconds`).
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from playground.core.api.errors import AppError
from playground.core.audio.realtime import error_event, voice_param
from playground.core.audio.voicechat import (
    ASSISTANT,
    BYTES_PER_MS,
    USER,
    VOICE_RATE,
    VoiceChatConfig,
    VoiceChatSession,
    VoiceTurn,
)
from playground.core.models import Usage

#: The voices a Live model speaks with (the SDK's `BuiltInVoice`), or a custom voice id.
LIVE_VOICES = (
    "alloy", "ash", "ballad", "beacon", "bossa", "cedar", "cinder", "coral", "delta", "echo",
    "gleam", "marin", "meridian", "quartz", "ripple", "sage", "shida", "shimmer", "stone",
    "tempo", "verse", "vesper", "willow",
)  # fmt: skip

_LIVE = re.compile(r"(^|/)gpt-live-\d")
_NOT_VOICE = re.compile(r"transcri|translat", re.IGNORECASE)


def is_live_model(model: str) -> bool:
    """Whether `model` is a Live API voice model (gpt-live-1, gpt-live-1.1, their snapshots),
    not a live transcription or translation model."""
    name = model.strip().lower()
    return bool(_LIVE.search(name)) and not _NOT_VOICE.search(name)


def live_problem(config: VoiceChatConfig) -> AppError | None:
    """What stops a Live chat before connecting, in plain words, or None."""
    if config.push_to_talk:
        return AppError.local(
            "Push to talk is not offered here",
            f"{config.model} listens all the time and decides itself when to answer.",
            "Choose “Just talk”, or a realtime model for push to talk.",
        )
    if config.tools:
        return AppError.local(
            "No function tools with this model",
            f"{config.model} talks through the Live API, which does not call your functions.",
            "Clear the Tools box, or choose a realtime model to use tools.",
        )
    voice = config.voice.strip()
    if voice not in LIVE_VOICES and not voice.startswith("voice_"):
        return AppError.local(
            "Voice not available",
            f"{config.model} has no voice called “{voice}”.",
            "Choose one of the listed voices, or a custom voice id (voice_…).",
        )
    return None


class LiveVoiceSession(VoiceChatSession):
    """One Live API session of a voice chat: the same listener (`VoiceEvents`) and conversation
    as `VoiceChatSession`, so the page, the saving and the costs work as for a realtime model.

    Args:
        client: an `AsyncOpenAI` client, or a function that returns one (called on connecting).
        config: the chat's settings (`config.model` is a Live model).
        conversation: where the turns go (a reconnect passes the same one: its text is sent
            again as the session's `input`).
        events: the listener.
    """

    APPEND = "session.input_audio.append"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._billed_s = 0.0  # seconds already put on an answer
        self._reported_s = 0.0  # the latest cumulative usage

    # --- sending -------------------------------------------------------------------------------

    def start_turn(self) -> None:
        """Nothing to do: the Live model listens all the time (push to talk is refused)."""

    def end_turn(self) -> bool:
        return False

    def commit(self) -> None:
        """Nothing to commit: the Live model decides when a turn ends."""

    def interrupt(self, played_ms: int) -> bool:
        """The user spoke over the answer: the model stops by itself (it hears it); the answer
        is kept as heard."""
        turn = self._answer
        if turn is None or not turn.pcm:
            return False
        turn.interrupted = True
        turn.heard_ms = max(0, min(played_ms, turn.audio_ms))
        self.events.turn_changed(turn)
        return True

    def start_event(self) -> dict[str, Any]:
        """The `session.start` event."""
        session: dict[str, Any] = {
            "model": self.config.model,
            "audio": {
                "format": {"type": "audio/pcm", "rate": VOICE_RATE},
                "output": {"voice": voice_param(self.config.voice)},
            },
        }
        if self.config.instructions.strip():
            session["instructions"] = self.config.instructions.strip()
        earlier = self._history()
        if earlier:
            session["input"] = earlier
        return {"type": "session.start", "session": session}

    def _history(self) -> list[dict[str, Any]]:
        """The text of earlier turns (after a reconnect), as the Live API's initial items."""
        items: list[dict[str, Any]] = []
        for turn in self.conversation.turns:
            text = turn.text.strip()
            if turn.role == USER and text:
                part = {"type": "input_text", "text": text}
                items.append({"type": "message", "role": "user", "content": [part]})
            elif turn.role == ASSISTANT and text:
                part = {"type": "output_text", "text": text}
                items.append({"type": "message", "role": "assistant", "content": [part]})
        return items

    # --- running -------------------------------------------------------------------------------

    def problem(self) -> AppError | None:
        return live_problem(self.config)

    def connect(self, client: Any) -> Any:
        # No reconnecting inside the SDK: a drop is shown, and Reconnect starts anew.
        return client.live.connect(max_retries=0)

    async def begin(self, connection: Any) -> None:
        """Sends `session.start` and waits for `session.started` (nothing else may come
        first).

        Raises:
            AppError: the server refused the session (an `error` event).
        """
        await connection.send(self.start_event())
        while True:
            event = json.loads(await connection.recv_bytes())
            if event.get("type") == "session.started":
                return
            if event.get("type") == "error":
                raise error_event(event, self.config.model, "Check the model and the voice.")

    def _handle(self, event: dict[str, Any]) -> None:
        kind = str(event.get("type") or "")
        if kind == "session.input_transcript.delta":
            turn = self._speech
            if turn is None:
                self._finish_answer()
                turn = VoiceTurn(USER)
                self._speech = turn
                self._speech_start = int(event.get("start_ms") or 0) * BYTES_PER_MS
                self.conversation.turns.append(turn)
                self.events.user_speaking()
            _add_words(turn, str(event.get("delta") or ""))
            end = int(event.get("end_ms") or 0) * BYTES_PER_MS
            turn.pcm = bytearray(self.input[self._speech_start : max(end, self._speech_start)])
            self.events.turn_changed(turn)
        elif kind == "session.output_transcript.delta":
            turn = self._live_answer()
            _add_words(turn, str(event.get("delta") or ""))
            self.events.turn_changed(turn)
        elif kind == "session.output_audio.delta":
            turn = self._live_answer()
            data = base64.b64decode(str(event.get("delta") or ""))
            if data:
                turn.pcm.extend(data)
                self.events.assistant_audio(turn, data)
        elif kind == "session.usage.updated" or kind == "session.closed":
            usage = event.get("usage") or {}
            self._reported_s = max(self._reported_s, float(usage.get("seconds") or 0))
            self._finish_answer()
        elif kind == "error":
            self.events.error_reported(
                error_event(event, self.config.model, "The chat goes on: say it again or go on.")
            )

    def _live_answer(self) -> VoiceTurn:
        """The answer being spoken (a new one after the user's words)."""
        speech, self._speech = self._speech, None
        if speech is not None:
            speech.done = True
            self.events.turn_changed(speech)
        turn = self._answer
        if turn is None:
            turn = VoiceTurn(ASSISTANT)
            self._answer = turn
            self.conversation.turns.append(turn)
        return turn

    def _finish_answer(self) -> None:
        """Ends the answer being spoken (if any), billed with the seconds reported since the
        previous answer (the session bills its whole length, silence included)."""
        turn, self._answer = self._answer, None
        if turn is None:
            return
        seconds = max(0.0, self._reported_s - self._billed_s)
        self._billed_s = self._reported_s
        turn.usage = Usage(audio_seconds=seconds)
        turn.done = True
        self.events.answer_done(turn)


def _add_words(turn: VoiceTurn, delta: str) -> None:
    """Adds a fragment of the running transcript to `turn` (without the space that joins it to
    the previous turn's words)."""
    turn.text = turn.text + delta if turn.text else delta.lstrip()
