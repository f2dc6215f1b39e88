"""Voice chat: a spoken conversation with a realtime model over one live session (no Qt).

`VoiceChatSession.run()` opens `client.realtime.connect(model=...)`, sends the `session.update`
(`VoiceChatConfig.session()`: audio in and out as PCM 24 kHz, the voice, the system prompt, the
function tools, live transcription of the user's speech, and server voice-activity detection or
none for push-to-talk), then reads events until it is closed or the socket drops. The microphone's
PCM goes in with `send_audio` (`input_audio_buffer.append`); push-to-talk ends a turn with
`end_turn` (`input_audio_buffer.commit` + `response.create`); server VAD ends it by itself.

Everything that happens lands in a `VoiceConversation` (the turns of both sides, their text,
their audio, their usage) and is announced to a `VoiceEvents` listener, so a view can follow it.
Interruption: when the user speaks over an answer (`input_audio_buffer.speech_started`, or
push-to-talk pressed while the model speaks) the listener stops playback and calls `interrupt`
with how much was played; the session cancels the answer where the server has not (push-to-talk)
and sends `conversation.item.truncate`, so the model's memory of what it said matches what was
heard.

Faults: an `error` event is announced (the session stays usable, as the API promises); a socket
that drops marks the answer in progress interrupted (its audio and text so far are kept) and
`run` raises a CONNECTION `AppError`; a refused connection (429 with its `retry-after`, 401, 404)
raises like the speech route does.

`VoiceStore` keeps conversations under `<data>/audio/conversations/<id>/`: `conversation.json`
(turns, text, settings, usage, cost) and one WAV per turn that has audio, written before the
index names them; `export` writes a zip with a Markdown transcript and the WAVs.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import os
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from playground.core.api.errors import AppError, ErrorKind
from playground.core.audio.files import pcm_to_wav
from playground.core.audio.realtime import (
    connect_error,
    error_event,
    refuse_problem,
    response_usage,
    voice_param,
)
from playground.core.audio.service import usage_of_transcription
from playground.core.models import Usage
from playground.core.storage.paths import ensure_private_dir

log = logging.getLogger(__name__)

#: A live session's audio, both ways: PCM 16-bit mono at 24 kHz.
VOICE_RATE = 24_000
#: Bytes of that audio per millisecond.
BYTES_PER_MS = VOICE_RATE * 2 // 1000
#: Server VAD: how long a pause ends the user's turn.
SILENCE_MS = 500
#: The shortest turn the server takes (it refuses to commit less than 100 ms of audio).
MIN_TURN_MS = 100

USER, ASSISTANT, TOOL = "user", "assistant", "tool"


@dataclass(frozen=True, slots=True)
class VoiceTool:
    """A function the model may call; the user types its result.

    Attributes:
        name: the function name.
        description: what it does, for the model.
        parameters: its JSON schema (an object schema).
    """

    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})

    def to_api(self) -> dict[str, Any]:
        return {
            "type": "function",
            "name": self.name,
            "description": self.description,
            "parameters": self.parameters,
        }


def parse_tools(text: str) -> tuple[VoiceTool, ...]:
    """Tools from the tool box's JSON: one function or a list (Chat's shape, with or without the
    `{"type": "function", "function": {...}}` wrapper).

    Raises:
        AppError: the text is not such JSON (in plain words).
    """
    text = text.strip()
    if not text:
        return ()
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AppError.local(
            "Tools are not valid JSON",
            f"The tool definitions could not be read ({exc.msg}, line {exc.lineno}).",
            "Fix the JSON, or clear the box to talk without tools.",
        ) from exc
    items = raw if isinstance(raw, list) else [raw]
    tools: list[VoiceTool] = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("function"), dict):
            item = item["function"]
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(item, dict) or not isinstance(name, str) or not name.strip():
            raise AppError.local(
                "A tool has no name",
                'Each tool needs at least a name, e.g. {"name": "get_weather"}.',
                "Add the name, or clear the box to talk without tools.",
            )
        params = item.get("parameters")
        tools.append(
            VoiceTool(
                name.strip(),
                str(item.get("description") or ""),
                params if isinstance(params, dict) else {"type": "object", "properties": {}},
            )
        )
    return tuple(tools)


@dataclass(frozen=True, slots=True)
class VoiceChatConfig:
    """How a voice chat is set up.

    Attributes:
        model: the realtime model.
        voice: a realtime voice name, or a custom voice id (`voice_...`).
        instructions: the system prompt.
        push_to_talk: the user holds a key while speaking (no server voice detection).
        tools: functions the model may call.
        transcribe_model: the model that writes down what the user says ("" for none).
        transcription_only: a live transcription session (no answers): the user's speech is
            written down as it comes, by `transcribe_model` (the session's model).
    """

    model: str
    voice: str = "marin"
    instructions: str = ""
    push_to_talk: bool = False
    tools: tuple[VoiceTool, ...] = ()
    transcribe_model: str = ""
    transcription_only: bool = False

    def problem(self) -> AppError | None:
        """What stops this chat before connecting, or None."""
        if self.transcription_only:
            if not self.transcribe_model:
                return AppError.local(
                    "No live transcription model",
                    "The model list has no transcription model for a live session.",
                    "Transcribe the recording as a file instead.",
                )
            return None
        return refuse_problem(self.model, self.voice, 1.0)

    @property
    def session_model(self) -> str:
        """The model the session is opened with."""
        return self.transcribe_model if self.transcription_only else self.model

    def session(self) -> dict[str, Any]:
        """The `session` of the `session.update` event."""
        fmt = {"type": "audio/pcm", "rate": VOICE_RATE}
        audio_in: dict[str, Any] = {
            "format": fmt,
            "turn_detection": None
            if self.push_to_talk
            else {
                "type": "server_vad",
                "silence_duration_ms": SILENCE_MS,
                "create_response": True,
                "interrupt_response": True,
            },
        }
        if self.transcribe_model:
            audio_in["transcription"] = {"model": self.transcribe_model}
        if self.transcription_only:
            vad = dict(audio_in["turn_detection"] or {"type": "server_vad"})
            vad.pop("create_response", None)
            vad.pop("interrupt_response", None)
            audio_in["turn_detection"] = vad
            return {"type": "transcription", "audio": {"input": audio_in}}
        session: dict[str, Any] = {
            "type": "realtime",
            "output_modalities": ["audio"],
            "audio": {
                "input": audio_in,
                "output": {"format": fmt, "voice": voice_param(self.voice)},
            },
        }
        if self.instructions.strip():
            session["instructions"] = self.instructions.strip()
        if self.tools:
            session["tools"] = [t.to_api() for t in self.tools]
            session["tool_choice"] = "auto"
        return session


@dataclass(slots=True)
class VoiceTurn:
    """One turn of the conversation.

    Attributes:
        role: "user" (spoken), "assistant" (spoken answer) or "tool" (a function call and the
            result the user typed).
        item_id: the server's item id.
        text: what was said (the transcript), or the call's arguments for a tool turn.
        pcm: the turn's audio (24 kHz 16-bit mono): the user's speech or the answer as it came.
        interrupted: the answer was cut off (spoken over, or the socket dropped).
        heard_ms: where playback stopped when it was cut off (None: played to the end).
        usage: what the answer used (`response.done`), None for user turns.
        cost: its price in dollars, None when unknown.
        name, call_id, output: for a tool turn, the function, the call and the typed result.
        done: the turn is complete (its answer or transcript came).
        transcription_usage: what writing down a user turn used (the transcription model's).
    """

    role: str
    item_id: str = ""
    text: str = ""
    pcm: bytearray = field(default_factory=bytearray)
    interrupted: bool = False
    heard_ms: int | None = None
    usage: Usage | None = None
    cost: Decimal | None = None
    name: str = ""
    call_id: str = ""
    output: str | None = None
    done: bool = False
    transcription_usage: Usage | None = None

    @property
    def audio_ms(self) -> int:
        return len(self.pcm) // BYTES_PER_MS

    @property
    def heard_pcm(self) -> bytes:
        """The audio the user heard: all of it, or up to where it was cut off."""
        if self.heard_ms is None:
            return bytes(self.pcm)
        return bytes(self.pcm[: self.heard_ms * BYTES_PER_MS])


@dataclass(slots=True)
class VoiceConversation:
    """A voice chat: its settings and turns, in order."""

    model: str
    voice: str
    instructions: str = ""
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    turns: list[VoiceTurn] = field(default_factory=list)

    def turn(self, item_id: str) -> VoiceTurn | None:
        for turn in reversed(self.turns):
            if turn.item_id == item_id:
                return turn
        return None

    @property
    def cost(self) -> Decimal | None:
        """The answers' summed cost; None when one of them is unpriced."""
        total = Decimal(0)
        for turn in self.turns:
            if turn.usage is None:
                continue
            if turn.cost is None:
                return None
            total += turn.cost
        return total

    @property
    def title(self) -> str:
        for turn in self.turns:
            if turn.role == USER and turn.text.strip():
                words = turn.text.split()
                return " ".join(words[:8]) + ("…" if len(words) > 8 else "")
        return "Voice chat"

    def markdown(self) -> str:
        """The transcript as Markdown (export)."""
        lines = [f"# {self.title}", "", f"{self.created} · {self.model} · voice {self.voice}", ""]
        if self.instructions.strip():
            lines += ["System prompt:", "", f"> {self.instructions.strip()}", ""]
        for turn in self.turns:
            mark = " (interrupted)" if turn.interrupted else ""
            if turn.role == TOOL:
                lines.append(f"**Tool {turn.name}**({turn.text}) → {turn.output or '(no result)'}")
            else:
                who = "You" if turn.role == USER else "Assistant"
                lines.append(f"**{who}**{mark}: {turn.text or '(no transcript)'}")
            lines.append("")
        return "\n".join(lines)


class VoiceEvents(Protocol):
    """What a voice chat session announces (all on the event loop's thread)."""

    def session_ready(self) -> None:
        """The session is set up: the microphone may start sending."""

    def user_speaking(self) -> None:
        """The server heard the user start speaking (server VAD)."""

    def turn_changed(self, turn: VoiceTurn) -> None:
        """A turn was added or its text grew."""

    def assistant_audio(self, turn: VoiceTurn, pcm: bytes) -> None:
        """A piece of the answer's audio (play it now)."""

    def answer_done(self, turn: VoiceTurn) -> None:
        """An answer ended (completed, cut off or a tool call); its usage is on the turn."""

    def tool_called(self, turn: VoiceTurn) -> None:
        """The model called a function: the user types the result (`tool_result`)."""

    def error_reported(self, error: AppError) -> None:
        """The server sent an `error` event; the session goes on."""


class VoiceChatSession:
    """One live session of a voice chat (see the module docstring).

    Args:
        client: an `AsyncOpenAI` client, or a function that returns one (called on connecting).
        config: the chat's settings.
        conversation: where the turns go (a reconnect passes the same one: its text turns are
            sent again as context).
        events: the listener.
    """

    #: The event that carries microphone audio on this route.
    APPEND = "input_audio_buffer.append"

    def __init__(
        self,
        client: Any,
        config: VoiceChatConfig,
        conversation: VoiceConversation,
        events: VoiceEvents,
    ) -> None:
        self.client = client
        self.config = config
        self.conversation = conversation
        self.events = events
        self._queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._sent_ms = 0.0
        self._speech: VoiceTurn | None = None
        self._answer: VoiceTurn | None = None
        self._speech_start = 0
        self._pending_call: VoiceTurn | None = None
        self._response_active = False
        self._closing = False
        self.open = False
        #: Input audio sent since the session opened (the server's ms are counted from it).
        self.input = bytearray()

    # --- sending (any time; queued in order) -----------------------------------------------------

    def send_audio(self, pcm: bytes) -> None:
        """Sends microphone PCM (24 kHz 16-bit mono)."""
        if not pcm or self._closing:
            return
        self.input.extend(pcm)
        self._queue.put_nowait({"type": self.APPEND, "audio": base64.b64encode(pcm).decode()})

    def start_turn(self) -> None:
        """Push-to-talk pressed: a new user turn starts (audio from before is dropped)."""
        self._queue.put_nowait({"type": "input_audio_buffer.clear"})
        self._speech = VoiceTurn(USER)
        self._speech_start = len(self.input)

    def end_turn(self) -> bool:
        """Push-to-talk released: the user's turn is complete; ask for the answer. False (and
        nothing sent) when less than `MIN_TURN_MS` was said: the server refuses that."""
        speech = self._speech
        said = bytes(self.input[self._speech_start :]) if speech is not None else b""
        if len(said) < MIN_TURN_MS * BYTES_PER_MS:
            self._queue.put_nowait({"type": "input_audio_buffer.clear"})
            self._speech = None
            return False
        if speech is not None:
            speech.pcm = bytearray(said)
        self._queue.put_nowait({"type": "input_audio_buffer.commit"})
        self._queue.put_nowait({"type": "response.create"})
        return True

    def interrupt(self, played_ms: int) -> bool:
        """The user spoke over the answer after `played_ms` of it were played: cancel it where
        the server has not, and truncate it to what was heard. False when nothing was playing."""
        turn = self._answer if self._answer is not None else self._last_answer()
        if turn is None or not turn.item_id or not turn.pcm:
            return False
        if self._answer is None and played_ms >= turn.audio_ms:
            return False  # it had been played to the end
        if self._response_active and self.config.push_to_talk:
            self._queue.put_nowait({"type": "response.cancel"})
        heard = max(0, min(played_ms, turn.audio_ms))
        turn.interrupted = True
        turn.heard_ms = heard
        self._queue.put_nowait(
            {
                "type": "conversation.item.truncate",
                "item_id": turn.item_id,
                "content_index": 0,
                "audio_end_ms": heard,
            }
        )
        self.events.turn_changed(turn)
        return True

    def tool_result(self, turn: VoiceTurn, output: str) -> None:
        """Sends the result the user typed for a function call, and asks for the answer."""
        turn.output = output
        turn.done = True
        self.events.turn_changed(turn)
        self._queue.put_nowait(
            {
                "type": "conversation.item.create",
                "item": {"type": "function_call_output", "call_id": turn.call_id, "output": output},
            }
        )
        self._queue.put_nowait({"type": "response.create"})

    @property
    def hearing(self) -> bool:
        """The server heard speech start that it has not committed yet."""
        return self._speech is not None

    def commit(self) -> None:
        """Ends the user's turn now (a live transcription that stops mid-sentence)."""
        self._queue.put_nowait({"type": "input_audio_buffer.commit"})

    def close(self) -> None:
        """Ends the session (`run` returns)."""
        self._closing = True
        self._queue.put_nowait(None)

    # --- running ---------------------------------------------------------------------------------

    async def run(self) -> None:
        """Runs the session until `close()`.

        Raises:
            AppError: refused before or at connecting, or the socket dropped.
        """
        problem = self.problem()
        if problem is not None:
            raise problem
        try:
            from websockets.exceptions import ConnectionClosed
        except ImportError as exc:
            raise AppError.local(
                "Realtime not installed",
                "Voice chat needs the websockets package (openai[realtime]).",
                "Reinstall the app with its dependencies.",
            ) from exc
        model = self.config.session_model
        client = self.client
        try:
            if callable(client):  # a getter (`ApiSession.client`): a missing key fails here
                client = client()
            async with self.connect(client) as connection:
                await self.begin(connection)
                self.open = True
                self.events.session_ready()
                sender = asyncio.ensure_future(self._send_all(connection))
                try:
                    await self._receive(connection, sender)
                except ConnectionClosed:
                    if not self._closing:
                        raise self._dropped() from None
                finally:
                    self.open = False
                    sender.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await sender
        except AppError:
            raise
        except Exception as exc:
            if self._closing:
                return
            raise connect_error(exc, model, str(getattr(client, "base_url", ""))) from exc

    def problem(self) -> AppError | None:
        """What stops this session before connecting (the route's own rules), or None."""
        return self.config.problem()

    def connect(self, client: Any) -> Any:
        """The SDK's connection manager for this route."""
        return client.realtime.connect(model=self.config.session_model)

    async def begin(self, connection: Any) -> None:
        """What is sent before the microphone's audio: the session and the earlier turns."""
        await connection.send({"type": "session.update", "session": self.config.session()})
        for item in self._context():
            await connection.send({"type": "conversation.item.create", "item": item})

    async def _send_all(self, connection: Any) -> None:
        while True:
            event = await self._queue.get()
            if event is None:
                await connection.close()
                return
            await connection.send(event)

    async def _receive(self, connection: Any, sender: asyncio.Future[None]) -> None:
        while True:
            recv = asyncio.ensure_future(connection.recv_bytes())
            # If this task is cancelled (the tab closes), the read left behind ends with the
            # socket's close: its outcome is read here so nothing is reported as unhandled.
            recv.add_done_callback(_consume)
            await asyncio.wait({recv, sender}, return_when=asyncio.FIRST_COMPLETED)
            if not recv.done():
                recv.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await recv
                if self._closing:
                    return
                sender.result()  # a send that failed raises here
                return
            self._handle(json.loads(recv.result()))

    def _handle(self, event: dict[str, Any]) -> None:
        kind = str(event.get("type") or "")
        conv = self.conversation
        if kind == "input_audio_buffer.speech_started":
            start = int(event.get("audio_start_ms") or 0)
            self._speech = VoiceTurn(USER, item_id=str(event.get("item_id") or ""))
            self._speech_start = start * BYTES_PER_MS
            self.events.user_speaking()
        elif kind == "input_audio_buffer.speech_stopped":
            if self._speech is not None:
                end = int(event.get("audio_end_ms") or 0) * BYTES_PER_MS
                self._speech.pcm = bytearray(self.input[self._speech_start : end])
        elif kind == "input_audio_buffer.committed":
            turn: VoiceTurn | None = self._speech or VoiceTurn(USER)
            assert turn is not None
            self._speech = None
            turn.item_id = str(event.get("item_id") or turn.item_id)
            conv.turns.append(turn)
            self.events.turn_changed(turn)
        elif kind == "conversation.item.input_audio_transcription.delta":
            turn = conv.turn(str(event.get("item_id") or ""))
            if turn is not None:
                turn.text += str(event.get("delta") or "")
                self.events.turn_changed(turn)
        elif kind == "conversation.item.input_audio_transcription.completed":
            turn = conv.turn(str(event.get("item_id") or ""))
            if turn is not None:
                turn.text = str(event.get("transcript") or "").strip()
                turn.done = True
                turn.transcription_usage = usage_of_transcription(event.get("usage"))
                self.events.turn_changed(turn)
        elif kind == "response.created":
            self._response_active = True
            self._answer = None
        elif kind == "response.output_audio.delta":
            turn = self._answer_for(event)
            data = base64.b64decode(str(event.get("delta") or ""))
            if data:
                turn.pcm.extend(data)
                self.events.assistant_audio(turn, data)
        elif kind == "response.output_audio_transcript.delta":
            turn = self._answer_for(event)
            turn.text += str(event.get("delta") or "")
            self.events.turn_changed(turn)
        elif kind == "response.function_call_arguments.done":
            turn = VoiceTurn(
                TOOL,
                item_id=str(event.get("item_id") or ""),
                text=str(event.get("arguments") or ""),
                name=str(event.get("name") or ""),
                call_id=str(event.get("call_id") or ""),
            )
            conv.turns.append(turn)
            self.events.turn_changed(turn)
            self._pending_call = turn
        elif kind == "response.done":
            self._response_done(event.get("response") or {})
        elif kind == "error":
            self.events.error_reported(
                error_event(event, self.config.model, "The chat goes on: say it again or go on.")
            )

    def _answer_for(self, event: dict[str, Any]) -> VoiceTurn:
        item_id = str(event.get("item_id") or "")
        turn = self._answer
        if turn is None or (item_id and turn.item_id != item_id):
            turn = VoiceTurn(ASSISTANT, item_id=item_id)
            self._answer = turn
            self.conversation.turns.append(turn)
        return turn

    def _last_answer(self) -> VoiceTurn | None:
        for turn in reversed(self.conversation.turns):
            if turn.role == ASSISTANT:
                return turn
        return None

    def _response_done(self, response: dict[str, Any]) -> None:
        self._response_active = False
        usage = response_usage(response)
        turn = self._answer
        self._answer = None
        call, self._pending_call = self._pending_call, None
        owner = turn or call
        if owner is None:  # a response with no output (cancelled before it began)
            owner = VoiceTurn(ASSISTANT, done=True, interrupted=True)
            self.conversation.turns.append(owner)
        owner.usage = usage
        if str(response.get("status") or "") == "cancelled":
            owner.interrupted = True
        if turn is not None:
            turn.done = True
        self.events.answer_done(owner)
        if call is not None:
            self.events.tool_called(call)

    def _context(self) -> list[dict[str, Any]]:
        """The text of earlier turns, sent again after a reconnect."""
        items: list[dict[str, Any]] = []
        for turn in self.conversation.turns:
            text = turn.text.strip()
            if turn.role == USER and text:
                items.append(
                    {
                        "type": "message",
                        "role": "user",
                        "content": [{"type": "input_text", "text": text}],
                    }
                )
            elif turn.role == ASSISTANT and text:
                items.append(
                    {
                        "type": "message",
                        "role": "assistant",
                        "content": [{"type": "output_text", "text": text}],
                    }
                )
        return items

    def _dropped(self) -> AppError:
        turn = self._answer
        if turn is not None:
            turn.interrupted = True
            turn.done = True
            self._answer = None
            self.events.turn_changed(turn)
        return AppError(
            ErrorKind.CONNECTION,
            "Connection dropped",
            "The live session closed"
            + (" in the middle of an answer" if turn is not None else "")
            + ". Everything said and heard so far is kept.",
            "Press Reconnect to go on talking.",
        )


# --- the saved conversations ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SavedVoiceChat:
    """A conversation in the history list."""

    id: str
    title: str
    created: str
    turns: int
    cost: str


class VoiceStore:
    """Voice chats on disk: `<root>/<id>/conversation.json` plus a WAV per turn with audio."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def under(cls, data_dir: Path) -> VoiceStore:
        return cls(data_dir / "audio" / "conversations")

    def folder(self, conversation_id: str) -> Path:
        return self.root / conversation_id

    def save(self, conv: VoiceConversation) -> Path:
        """Writes the audio files, then the index (atomically).

        Raises:
            OSError: the folder cannot be written.
        """
        folder = self.folder(conv.id)
        ensure_private_dir(folder)
        turns: list[dict[str, Any]] = []
        for index, turn in enumerate(conv.turns):
            audio = ""
            pcm = turn.heard_pcm
            if pcm:
                audio = f"{index + 1:03d}-{turn.role}.wav"
                target = folder / audio
                if not target.exists() or target.stat().st_size != 44 + len(pcm):
                    _write_atomic(target, pcm_to_wav(pcm, VOICE_RATE))
            turns.append(
                {
                    "role": turn.role,
                    "item_id": turn.item_id,
                    "text": turn.text,
                    "audio": audio,
                    "interrupted": turn.interrupted,
                    "heard_ms": turn.heard_ms,
                    "usage": None if turn.usage is None else _usage_json(turn.usage),
                    "cost": None if turn.cost is None else str(turn.cost),
                    "name": turn.name,
                    "call_id": turn.call_id,
                    "output": turn.output,
                }
            )
        cost = conv.cost
        index_data = {
            "id": conv.id,
            "created": conv.created,
            "model": conv.model,
            "voice": conv.voice,
            "instructions": conv.instructions,
            "title": conv.title,
            "cost": "" if cost is None else str(cost),
            "turns": turns,
        }
        _write_atomic(
            folder / "conversation.json", json.dumps(index_data, indent=2).encode("utf-8")
        )
        return folder

    def saved(self) -> list[SavedVoiceChat]:
        """Newest first; unreadable folders are skipped."""
        found: list[SavedVoiceChat] = []
        if not self.root.is_dir():
            return found
        for folder in self.root.iterdir():
            try:
                data = json.loads((folder / "conversation.json").read_text("utf-8"))
                found.append(
                    SavedVoiceChat(
                        str(data["id"]),
                        str(data.get("title") or "Voice chat"),
                        str(data.get("created") or ""),
                        len(data.get("turns") or []),
                        str(data.get("cost") or ""),
                    )
                )
            except (OSError, ValueError, KeyError, TypeError):
                continue
        found.sort(key=lambda c: c.created, reverse=True)
        return found

    def load(self, conversation_id: str) -> VoiceConversation:
        """Reads a saved conversation (with its audio).

        Raises:
            OSError, ValueError: it is missing or damaged.
        """
        folder = self.folder(conversation_id)
        data = json.loads((folder / "conversation.json").read_text("utf-8"))
        conv = VoiceConversation(
            model=str(data.get("model") or ""),
            voice=str(data.get("voice") or ""),
            instructions=str(data.get("instructions") or ""),
            id=str(data["id"]),
            created=str(data.get("created") or ""),
        )
        for raw in data.get("turns") or []:
            pcm = bytearray()
            if raw.get("audio"):
                with contextlib.suppress(OSError):
                    pcm = bytearray((folder / str(raw["audio"])).read_bytes()[44:])
            usage = raw.get("usage")
            conv.turns.append(
                VoiceTurn(
                    role=str(raw.get("role") or USER),
                    item_id=str(raw.get("item_id") or ""),
                    text=str(raw.get("text") or ""),
                    pcm=pcm,
                    interrupted=bool(raw.get("interrupted")),
                    heard_ms=None,  # the file holds what was heard
                    usage=None if usage is None else Usage(**usage),
                    cost=None if raw.get("cost") is None else Decimal(str(raw["cost"])),
                    name=str(raw.get("name") or ""),
                    call_id=str(raw.get("call_id") or ""),
                    output=raw.get("output"),
                    done=True,
                )
            )
        return conv

    def audio_path(self, conversation_id: str, index: int) -> Path | None:
        """The WAV of turn `index` (0-based) of a saved conversation, if it has one."""
        try:
            data = json.loads((self.folder(conversation_id) / "conversation.json").read_text())
            name = str(data["turns"][index].get("audio") or "")
        except (OSError, ValueError, KeyError, IndexError, TypeError):
            return None
        path = self.folder(conversation_id) / name
        return path if name and path.is_file() else None

    def export(self, conversation_id: str, target: Path) -> None:
        """A zip with `transcript.md`, `conversation.json` and the WAVs.

        Raises:
            OSError, ValueError: the conversation cannot be read or the zip written.
        """
        folder = self.folder(conversation_id)
        conv = self.load(conversation_id)
        tmp = target.with_name(target.name + ".part")
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("transcript.md", conv.markdown())
            for path in sorted(folder.iterdir()):
                if path.suffix in (".wav", ".json"):
                    archive.write(path, path.name)
        os.replace(tmp, target)

    def delete(self, conversation_id: str) -> None:
        shutil.rmtree(self.folder(conversation_id), ignore_errors=True)


def _consume(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()


def transcribe_model_for(models: Sequence[str]) -> str:
    """The model that writes down the user's speech in a live session: a live transcription
    model from the list if there is one, else any transcription model, else none."""
    found = [m for m in models if "transcribe" in m.lower() or "whisper" in m.lower()]
    live = [m for m in found if "live" in m.lower() or "realtime" in m.lower()]
    return (live or found or [""])[0]


def _usage_json(usage: Usage) -> dict[str, Any]:
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cached_tokens": usage.cached_tokens,
        "audio_tokens": usage.audio_tokens,
        "image_input_tokens": usage.image_input_tokens,
        "output_audio_tokens": usage.output_audio_tokens,
        "estimated": usage.estimated,
    }


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
