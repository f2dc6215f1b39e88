"""A fake Realtime API: ``GET /v1/realtime?model=…`` upgraded to a WebSocket on the same server.

The SDK builds the WebSocket URL from the client's ``base_url`` (``http://host:port/v1`` becomes
``ws://host:port/v1/realtime?model=…``, unless ``websocket_base_url`` is set), so the socket is
served by the same :class:`~tests.fakes.server.FakeServer` as the HTTP families: the request goes
through the same log, faults (``fake.rate_limit(path="/v1/realtime")`` answers the handshake with
a 429), API-key check and model check (404 for a model not in ``Scenario.models``) before the
route upgrades it. The frames are spoken with the ``websockets`` package's sans-I/O protocol
(the package the SDK's ``openai[realtime]`` extra uses).

Events answered (the GA Realtime API's names):

* on connect: ``session.created``;
* ``session.update`` → ``session.updated`` (the merged session); a built-in voice that is not a
  realtime voice gets an ``error`` event (``invalid_value``, param ``session.audio.output.voice``);
* ``conversation.item.create`` → ``conversation.item.added`` and ``conversation.item.done``;
* ``response.create`` → ``response.created``, then per 100 ms of PCM (24 kHz 16-bit mono, the
  fake speech tone of :func:`~tests.fakes.openai_payloads.speech_pcm` for the last user text) one
  ``response.output_audio.delta`` (base64) followed by one word of
  ``response.output_audio_transcript.delta`` while words last, then ``…audio.done``,
  ``…audio_transcript.done`` and ``response.done`` with usage: input text tokens (instructions +
  text, :func:`~tests.fakes.openai_payloads.count_tokens`), output audio tokens (2 per delta) and
  output text tokens (the transcript).
* anything else → an ``error`` event (``invalid_request_error``), the session stays open.

Knobs (the same :class:`~tests.fakes.scenario.Scenario` as the HTTP fakes): ``tokens_per_second``
paces the audio deltas (each counts its 2 audio tokens); ``drop_after_chunks`` drops the socket
(no close frame) after that many audio deltas; ``stream_error`` (``{"code", "message"}``) answers
``response.create`` with that ``error`` event instead of a response; ``latency_s`` delays the
handshake. The events each session received are in ``fake.state(RealtimeLog).sessions``.

The Live API (``GET /v1/live/sessions``, SDK ``client.live.connect()``) is served the same way
by :class:`_LiveSession`: ``session.start`` (model checked from the event, since the URL names
none) → ``session.started``; microphone audio → the user's words, a spoken answer and a
cumulative ``session.usage.updated`` after each pause; ``session.close`` → ``session.closed``.

Live translation (``GET /v1/realtime/translations``, SDK ``client.realtime.translations.connect``)
by ``_translations``: ``session.update`` (language checked), ``session.input_audio_buffer.append``,
and ``session.close`` → the translation (source words when asked, translated words, speech) and
``session.closed``; with ``RealtimeLog.translate_as_heard`` the steps come while audio arrives;
``Scenario.stream_error`` answers the first audio with that ``error`` event (the session goes on).

The family is one of :data:`tests.fakes.openai_server.FAMILIES`: every ``FakeOpenAI`` serves it,
and ``fake.realtime_sessions`` lists the sessions it saw.
"""

from __future__ import annotations

import array
import base64
import contextlib
import hashlib
import json
import math
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from tests.fakes import openai_payloads as payloads
from tests.fakes.server import Family, Handler
from tests.fakes.wire import JsonDict, Reply, error_body, new_id

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#: Voices a realtime session speaks with.
REALTIME_VOICES = (
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
#: PCM bytes per audio delta: 100 ms at 24 kHz 16-bit mono.
DELTA_BYTES = 4800
#: Audio tokens each delta counts (usage and pacing).
TOKENS_PER_DELTA = 2
#: Input audio: 24 kHz 16-bit mono, 48 bytes a millisecond.
BYTES_PER_MS = 48
#: A translation session's engine frame: 200 ms of input audio.
TRANSLATION_FRAME_BYTES = 200 * BYTES_PER_MS
#: Server VAD hears speech above this peak level (0.0 to 1.0).
VAD_LEVEL = 0.05
#: What a committed user turn "said" unless `RealtimeLog.user_says` says otherwise.
DEFAULT_USER_SAYS = "Hello, can you hear me?"
#: What a live translation gives unless `RealtimeLog.translation_text` says otherwise.
DEFAULT_TRANSLATION = "Good morning, the meeting starts at nine and ends at noon."
#: What the model answers a voice turn unless `RealtimeLog.replies` says otherwise.
#: The voices of the Live models (the SDK's `BuiltInVoice`).
LIVE_VOICES = (
    "alloy", "ash", "ballad", "beacon", "bossa", "cedar", "cinder", "coral", "delta", "echo",
    "gleam", "marin", "meridian", "quartz", "ripple", "sage", "shida", "shimmer", "stone",
    "tempo", "verse", "vesper", "willow",
)  # fmt: skip
#: The pause after which the fake Live model answers.
LIVE_SILENCE_MS = 500
DEFAULT_REPLY = "Yes, I can hear you clearly. How can I help you today?"


@dataclass
class RealtimeSession:
    """One WebSocket session as the fake saw it."""

    model: str
    events: list[JsonDict] = field(default_factory=list)
    session: JsonDict = field(default_factory=dict)
    dropped: bool = False

    def of_type(self, kind: str) -> list[JsonDict]:
        return [e for e in self.events if e.get("type") == kind]


class RealtimeLog:
    """The sessions this server served (newest last), and the voice-chat knobs.

    Attributes:
        user_says: what the next committed user turns "said" (their input transcripts), in order;
            `DEFAULT_USER_SAYS` once empty.
        replies: what the next responses say, in order; a voice turn's default is
            `DEFAULT_REPLY`, a text turn's is its last text (the speech fake reads it).
        tool_calls: (name, arguments JSON) of the function calls the next responses make instead
            of speaking, while the session has function tools.
        appended_bytes: input audio received through ``input_audio_buffer.append``.
        translation_text: what a live translation session says the audio meant.
        translate_as_heard: a live translation answers while audio still arrives (one step of
            source word, translated word and speech per 200 ms frame heard), as the real one
            does; otherwise everything comes at ``session.close`` (the flush).
        translation_ignores_close: a live translation never answers ``session.close`` (the
            client's bounded wait for ``session.closed`` is what ends it).
        voice_tokens_per_second: paces the answers to spoken turns (``Scenario.tokens_per_second``
            paces the others), so a voice chat can hear real-time answers while clips stream fast.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sessions: list[RealtimeSession] = []
        self.user_says: list[str] = []
        self.replies: list[str] = []
        self.tool_calls: list[tuple[str, str]] = []
        self.appended_bytes = 0
        self.voice_tokens_per_second: float | None = None
        self.translation_text = DEFAULT_TRANSLATION
        self.translate_as_heard = False
        self.translation_ignores_close = False


FAMILY = Family("realtime", state=RealtimeLog)


def _upgrade(h: Handler, *, live: bool = False) -> tuple[Any, socket.socket, RealtimeSession]:
    """Checks the model, answers the WebSocket handshake and logs the session (a Live session
    names its model in `session.start`, not in the URL)."""
    from websockets.protocol import State
    from websockets.server import ServerProtocol
    from websockets.sync.connection import Connection

    model = "" if live else h.check_model(h.record.query.get("model"))
    key = h.record.headers.get("sec-websocket-key")
    if h.record.headers.get("upgrade", "").lower() != "websocket" or not key:
        raise Reply(400, error_body("This endpoint takes WebSocket connections only."))
    accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
    h.send_response(101, "Switching Protocols")
    h.send_header("Upgrade", "websocket")
    h.send_header("Connection", "Upgrade")
    h.send_header("Sec-WebSocket-Accept", accept)
    h.end_headers()
    h.wfile.flush()
    h._headers_sent = True
    h.close_connection = True

    log = h.fake.state(RealtimeLog)
    state = RealtimeSession(model=str(model))
    with log.lock:
        log.sessions.append(state)
    sock: socket.socket = h.connection
    sock.settimeout(None)
    ws = Connection(sock, ServerProtocol(state=State.OPEN), ping_interval=None, close_timeout=1)
    return ws, sock, state


@FAMILY.route("GET", "/realtime")
def _realtime(h: Handler) -> None:
    ws, sock, state = _upgrade(h)
    try:
        _Session(h, ws, sock, state, h.fake.state(RealtimeLog), state.model).run()
    finally:
        with contextlib.suppress(Exception):
            ws.close()


@FAMILY.route("GET", "/live/sessions")
def _live(h: Handler) -> None:
    ws, sock, state = _upgrade(h, live=True)
    try:
        _LiveSession(h, ws, sock, state, h.fake.state(RealtimeLog)).run()
    finally:
        with contextlib.suppress(Exception):
            ws.close()


@FAMILY.route("GET", "/realtime/translations")
def _translations(h: Handler) -> None:
    from websockets.exceptions import ConnectionClosed

    ws, sock, state = _upgrade(h)
    log = h.fake.state(RealtimeLog)
    session: JsonDict = {
        "id": new_id("sess_", 24),
        "object": "realtime.translation_session",
        "type": "translation",
        "model": state.model,
        "expires_at": 0,
        "audio": {"input": {"transcription": None}, "output": {"language": "en"}},
    }
    state.session = session
    heard = bytearray()

    def send(event: JsonDict) -> None:
        event.setdefault("event_id", new_id("event_", 20))
        ws.send(json.dumps(event))

    translation = _Translation(h, send, sock, state, session)
    try:
        send({"type": "session.created", "session": session})
        while True:
            try:
                event = json.loads(ws.recv())
            except ConnectionClosed:
                return
            except ValueError:
                send(_error("invalid_request_error", "The message is not valid JSON.", None))
                continue
            state.events.append(event)
            kind = event.get("type")
            if kind == "session.update":
                update = event.get("session") or {}
                language = (update.get("audio") or {}).get("output", {}).get("language")
                if language is not None and not (
                    isinstance(language, str) and len(language) == 2 and language.isalpha()
                ):
                    send(
                        _error(
                            "invalid_request_error",
                            f"Invalid value: '{language}'. Expected an ISO-639-1 language code.",
                            "session.audio.output.language",
                            code="invalid_value",
                        )
                    )
                    continue
                _merge(session, update)
                send({"type": "session.updated", "session": session})
            elif kind == "session.input_audio_buffer.append":
                chunk = base64.b64decode(str(event.get("audio") or ""))
                if not heard and h.fake.scenario.stream_error is not None:
                    problem = h.fake.scenario.stream_error  # once, at the first audio
                    send(
                        _error(
                            "invalid_request_error",
                            str(problem.get("message") or "Error"),
                            None,
                            code=problem.get("code"),
                        )
                    )
                heard.extend(chunk)
                with log.lock:
                    log.appended_bytes += len(chunk)
                    as_heard = log.translate_as_heard
                # Translating as it hears: one step for every 200 ms frame heard so far.
                while as_heard and translation.steps < len(heard) // TRANSLATION_FRAME_BYTES:
                    if not translation.step():
                        break
            elif kind == "session.close":
                with log.lock:
                    ignore = log.translation_ignores_close
                if ignore:
                    continue  # never flushes: the client's bounded wait has to end it
                if heard:
                    translation.rest()
                send({"type": "session.closed"})
                return
            else:
                send(
                    _error(
                        "invalid_request_error",
                        f"Invalid value: '{kind}'. This event type is not supported here.",
                        "type",
                    )
                )
    except _Dropped:
        return
    finally:
        with contextlib.suppress(Exception):
            ws.close()


class _Translation:
    """What the fake translation session says, step by step: step `i` sends source word `i`
    (when the session asked for the source text), translated word `i` and the `i`-th 100 ms of
    the translated speech; `rest()` sends what is left (the flush at ``session.close``).
    ``Scenario.drop_after_chunks`` drops the socket at that step."""

    def __init__(
        self, h: Handler, send: Any, sock: socket.socket, state: RealtimeSession, session: JsonDict
    ) -> None:
        self.h, self.send, self.sock, self.state, self.session = h, send, sock, state, session
        self.steps = 0
        self._words: list[str] | None = None
        self._source: list[str] = []
        self._pieces: list[bytes] = []

    def _prepare(self) -> None:
        if self._words is not None:
            return
        log = self.h.fake.state(RealtimeLog)
        with log.lock:
            translated = log.translation_text
        self._words = translated.split()
        if (self.session.get("audio") or {}).get("input", {}).get("transcription"):
            self._source = str(self.h.fake.scenario.transcript_text).split()
        pcm = payloads.speech_pcm(translated)
        self._pieces = [pcm[i : i + DELTA_BYTES] for i in range(0, len(pcm), DELTA_BYTES)]

    def step(self) -> bool:
        """Sends the next step; False when there was none left."""
        self._prepare()
        assert self._words is not None
        index = self.steps
        if index >= max(len(self._pieces), len(self._words), len(self._source)):
            return False
        limit = self.h.fake.scenario.drop_after_chunks
        if limit is not None and index >= limit:
            self.state.dropped = True
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)
            raise _Dropped
        self.steps += 1
        if index < len(self._source):
            delta = self._source[index] if index == 0 else f" {self._source[index]}"
            self.send({"type": "session.input_transcript.delta", "delta": delta, "elapsed_ms": 200})
        if index < len(self._words):
            delta = self._words[index] if index == 0 else f" {self._words[index]}"
            self.send(
                {"type": "session.output_transcript.delta", "delta": delta, "elapsed_ms": 200}
            )
        if index < len(self._pieces):
            self.send(
                {
                    "type": "session.output_audio.delta",
                    "delta": base64.b64encode(self._pieces[index]).decode(),
                    "format": "pcm16",
                    "sample_rate": 24000,
                    "channels": 1,
                }
            )
        return True

    def rest(self) -> None:
        """The flush: every step not sent yet."""
        while self.step():
            pass


class _Dropped(Exception):
    """The fake dropped the socket (``drop_after_chunks``)."""


@dataclass
class _Response:
    """A response being streamed: events still to send, audio deltas paced."""

    id: str
    item_id: str
    events: list[tuple[JsonDict, bool]]
    response: JsonDict
    usage: JsonDict
    tokens_per_second: float | None = None
    audio_sent: int = 0
    due: float = 0.0


class _Session:
    """One WebSocket session: answers events, runs server VAD over appended audio and streams
    responses while still reading (so speech over an answer interrupts it)."""

    def __init__(
        self,
        h: Handler,
        ws: Any,
        sock: socket.socket,
        state: RealtimeSession,
        log: RealtimeLog,
        model: str,
    ) -> None:
        self.h, self.ws, self.sock, self.state, self.log = h, ws, sock, state, log
        self.scenario = h.fake.scenario
        self.session: JsonDict = {
            "id": new_id("sess_", 24),
            "object": "realtime.session",
            "type": "realtime",
            "model": model,
            "output_modalities": ["audio"],
            "instructions": "",
            "tools": [],
            "audio": {
                "input": {
                    "format": {"type": "audio/pcm", "rate": 24000},
                    "transcription": None,
                    "turn_detection": {
                        "type": "server_vad",
                        "threshold": 0.5,
                        "prefix_padding_ms": 300,
                        "silence_duration_ms": 500,
                        "create_response": True,
                        "interrupt_response": True,
                    },
                },
                "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "marin"},
            },
        }
        state.session = self.session
        self.items: list[JsonDict] = []
        self.audio_len_ms: dict[str, int] = {}  # assistant item -> ms of audio sent
        self.buffer = bytearray()
        self.buffer_start_ms = 0
        self.total_ms = 0.0
        self.speaking = False
        self.silence_ms = 0.0
        self.speech_item = ""
        self.current: _Response | None = None

    def send(self, event: JsonDict) -> None:
        event.setdefault("event_id", new_id("event_", 20))
        self.ws.send(json.dumps(event))

    def run(self) -> None:
        from websockets.exceptions import ConnectionClosed

        self.send({"type": "session.created", "session": self.session})
        while True:
            timeout: float | None = None
            if self.current is not None:
                timeout = max(0.0, self.current.due - time.monotonic())
            try:
                raw = self.ws.recv(timeout=timeout)
            except TimeoutError:
                try:
                    self._stream_step()
                except _Dropped:
                    return
                continue
            except ConnectionClosed:
                return
            try:
                event = json.loads(raw)
            except ValueError:
                self.send(_error("invalid_request_error", "The message is not valid JSON.", None))
                continue
            self.state.events.append(event)
            try:
                self._handle(event)
            except _Dropped:
                return

    # --- client events --------------------------------------------------------------------------

    def _handle(self, event: JsonDict) -> None:
        kind = event.get("type")
        if kind == "session.update":
            problem = _session_problem(event.get("session") or {})
            if problem is not None:
                self.send(problem)
                return
            _merge(self.session, event.get("session") or {})
            self.send({"type": "session.updated", "session": self.session})
        elif kind == "conversation.item.create":
            item = dict(event.get("item") or {})
            item.setdefault("id", new_id("item_", 20))
            item["status"] = "completed"
            self._add_item(item)
        elif kind == "response.create":
            if self.scenario.stream_error is not None:
                self.send(
                    _error(
                        "invalid_request_error",
                        str(self.scenario.stream_error.get("message") or "Error"),
                        None,
                        code=self.scenario.stream_error.get("code"),
                    )
                )
                return
            if self.current is not None:
                self.send(
                    _error(
                        "invalid_request_error",
                        "Conversation already has an active response in progress.",
                        None,
                        code="conversation_already_has_active_response",
                    )
                )
                return
            self._start_response()
            while self.current is not None and self.current.tokens_per_second is None:
                self._stream_step()
        elif kind == "input_audio_buffer.append":
            self._append(base64.b64decode(str(event.get("audio") or "")))
        elif kind == "input_audio_buffer.commit":
            if len(self.buffer) < 100 * BYTES_PER_MS:
                self.send(
                    _error(
                        "invalid_request_error",
                        "Error committing input audio buffer: buffer too small. Expected at least "
                        f"100ms of audio, but buffer only has {len(self.buffer) / BYTES_PER_MS:.2f}"
                        "ms of audio.",
                        None,
                        code="input_audio_buffer_commit_empty",
                    )
                )
                return
            item_id = self.speech_item if self.speaking else new_id("item_", 20)
            self.speaking = False
            self._commit(item_id)
        elif kind == "input_audio_buffer.clear":
            self.buffer.clear()
            self.buffer_start_ms = int(self.total_ms)
            self.send({"type": "input_audio_buffer.cleared"})
        elif kind == "response.cancel":
            if self.current is None:
                self.send(
                    _error(
                        "invalid_request_error",
                        "Cancellation failed: no active response found",
                        None,
                        code="response_cancel_not_active",
                    )
                )
                return
            self._cancel()
        elif kind == "conversation.item.truncate":
            self._truncate(event)
        else:
            self.send(
                _error(
                    "invalid_request_error",
                    f"Invalid value: '{kind}'. This event type is not supported here.",
                    "type",
                )
            )

    def _add_item(self, item: JsonDict) -> None:
        previous = self.items[-1]["id"] if self.items else None
        self.items.append(item)
        self.send({"type": "conversation.item.added", "previous_item_id": previous, "item": item})
        self.send({"type": "conversation.item.done", "previous_item_id": previous, "item": item})

    # --- input audio and server VAD -----------------------------------------------------------

    def _vad(self) -> JsonDict | None:
        vad = (self.session.get("audio") or {}).get("input", {}).get("turn_detection")
        return vad if isinstance(vad, dict) else None

    def _append(self, pcm: bytes) -> None:
        self.buffer.extend(pcm)
        chunk_ms = len(pcm) / BYTES_PER_MS
        start_ms = self.total_ms
        self.total_ms += chunk_ms
        with self.log.lock:
            self.log.appended_bytes += len(pcm)
        vad = self._vad()
        if vad is None or not pcm:
            return
        loud = peak(pcm) > VAD_LEVEL
        if not self.speaking and loud:
            self.speaking = True
            self.silence_ms = 0.0
            self.speech_item = new_id("item_", 20)
            self.send(
                {
                    "type": "input_audio_buffer.speech_started",
                    "audio_start_ms": int(start_ms),
                    "item_id": self.speech_item,
                }
            )
            if self.current is not None and vad.get("interrupt_response", True):
                self._cancel()
        elif self.speaking and not loud:
            self.silence_ms += chunk_ms
            if self.silence_ms >= float(vad.get("silence_duration_ms") or 500):
                self.speaking = False
                self.send(
                    {
                        "type": "input_audio_buffer.speech_stopped",
                        "audio_end_ms": int(self.total_ms - self.silence_ms),
                        "item_id": self.speech_item,
                    }
                )
                self._commit(self.speech_item)
                answers = self.session.get("type") != "transcription"
                if answers and vad.get("create_response", True) and self.current is None:
                    self._start_response()
        elif loud:
            self.silence_ms = 0.0

    def _commit(self, item_id: str) -> None:
        previous = self.items[-1]["id"] if self.items else None
        heard_ms = len(self.buffer) / BYTES_PER_MS
        self.buffer.clear()
        self.send(
            {
                "type": "input_audio_buffer.committed",
                "previous_item_id": previous,
                "item_id": item_id,
            }
        )
        with self.log.lock:
            said = self.log.user_says.pop(0) if self.log.user_says else DEFAULT_USER_SAYS
        item: JsonDict = {
            "id": item_id,
            "type": "message",
            "role": "user",
            "status": "completed",
            "content": [{"type": "input_audio", "transcript": None}],
            "heard_ms": heard_ms,
            "said": said,
        }
        self._add_item(item)
        if (self.session.get("audio") or {}).get("input", {}).get("transcription"):
            for index, word in enumerate(said.split()):
                self.send(
                    {
                        "type": "conversation.item.input_audio_transcription.delta",
                        "item_id": item_id,
                        "content_index": 0,
                        "delta": word if index == 0 else f" {word}",
                    }
                )
            self.send(
                {
                    "type": "conversation.item.input_audio_transcription.completed",
                    "item_id": item_id,
                    "content_index": 0,
                    "transcript": said,
                    "usage": {"type": "duration", "seconds": math.ceil(heard_ms / 1000)},
                }
            )

    # --- responses ------------------------------------------------------------------------------

    def _start_response(self) -> None:
        response_id, item_id = new_id("resp_", 20), new_id("item_", 20)
        response: JsonDict = {
            "id": response_id,
            "object": "realtime.response",
            "status": "in_progress",
            "output": [],
            "usage": None,
        }
        self.send({"type": "response.created", "response": dict(response)})
        last = self.items[-1] if self.items else {}
        voice_turn = last.get("role") == "user" and "said" in last
        tools = [t for t in self.session.get("tools") or [] if t.get("type") == "function"]
        with self.log.lock:
            call = self.log.tool_calls.pop(0) if (tools and self.log.tool_calls) else None
        in_text = payloads.count_tokens(str(self.session.get("instructions") or ""))
        in_audio = 0
        for item in self.items:
            if item.get("type") == "function_call_output":
                in_text += payloads.count_tokens(str(item.get("output") or ""))
            for part in item.get("content") or []:
                if part.get("type") in ("input_text", "output_text"):
                    in_text += payloads.count_tokens(str(part.get("text") or ""))
            if "heard_ms" in item:
                in_audio += math.ceil(float(item["heard_ms"]) / 100)  # 10 audio tokens a second
        events: list[tuple[JsonDict, bool]] = []
        if call is not None:
            name, arguments = call
            call_item: JsonDict = {
                "id": item_id,
                "type": "function_call",
                "status": "completed",
                "call_id": new_id("call_", 20),
                "name": name,
                "arguments": arguments,
            }
            common = {"response_id": response_id, "item_id": item_id, "output_index": 0}
            events += [
                (
                    {
                        "type": "response.output_item.added",
                        "response_id": response_id,
                        "output_index": 0,
                        "item": {**call_item, "arguments": "", "status": "in_progress"},
                    },
                    False,
                ),
                (
                    {
                        "type": "response.function_call_arguments.delta",
                        **common,
                        "call_id": call_item["call_id"],
                        "delta": arguments,
                    },
                    False,
                ),
                (
                    {
                        "type": "response.function_call_arguments.done",
                        **common,
                        "call_id": call_item["call_id"],
                        "name": name,
                        "arguments": arguments,
                    },
                    False,
                ),
                (
                    {
                        "type": "response.output_item.done",
                        "response_id": response_id,
                        "output_index": 0,
                        "item": call_item,
                    },
                    False,
                ),
            ]
            response["output"] = [call_item]
            out_text, out_audio = payloads.count_tokens(name + arguments), 0
        else:
            text = self._reply_text(voice_turn)
            output = self.session.get("audio", {}).get("output", {})
            pcm = payloads.speech_pcm(text, float(output.get("speed") or 1.0))
            pieces = [pcm[i : i + DELTA_BYTES] for i in range(0, len(pcm), DELTA_BYTES)]
            words = text.split()
            message: JsonDict = {
                "id": item_id,
                "type": "message",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_audio", "transcript": text}],
            }
            common = {
                "response_id": response_id,
                "item_id": item_id,
                "output_index": 0,
                "content_index": 0,
            }
            if voice_turn:
                events.append(
                    (
                        {
                            "type": "response.output_item.added",
                            "response_id": response_id,
                            "output_index": 0,
                            "item": {**message, "status": "in_progress", "content": []},
                        },
                        False,
                    )
                )
            for index, piece in enumerate(pieces):
                events.append(
                    (
                        {
                            "type": "response.output_audio.delta",
                            **common,
                            "delta": base64.b64encode(piece).decode(),
                        },
                        True,
                    )
                )
                if index < len(words):
                    word = words[index] if index == 0 else f" {words[index]}"
                    delta = {"type": "response.output_audio_transcript.delta", **common}
                    events.append(({**delta, "delta": word}, False))
            rest = words[len(pieces) :]
            if rest:
                delta = {"type": "response.output_audio_transcript.delta", **common}
                events.append(({**delta, "delta": " " + " ".join(rest)}, False))
            events.append(({"type": "response.output_audio.done", **common}, False))
            events.append(
                (
                    {
                        "type": "response.output_audio_transcript.done",
                        **common,
                        "transcript": text,
                    },
                    False,
                )
            )
            response["output"] = [message]
            out_text, out_audio = payloads.count_tokens(text), TOKENS_PER_DELTA * len(pieces)
        usage = {
            "total_tokens": in_text + in_audio + out_text + out_audio,
            "input_tokens": in_text + in_audio,
            "output_tokens": out_text + out_audio,
            "input_token_details": {
                "text_tokens": in_text,
                "audio_tokens": in_audio,
                "image_tokens": 0,
                "cached_tokens": 0,
            },
            "output_token_details": {"text_tokens": out_text, "audio_tokens": out_audio},
        }
        with self.log.lock:
            tps = self.log.voice_tokens_per_second if voice_turn else None
        self.current = _Response(
            response_id,
            item_id,
            events,
            response,
            usage,
            tokens_per_second=tps or self.scenario.tokens_per_second,
            due=time.monotonic(),
        )

    def _reply_text(self, voice_turn: bool) -> str:
        with self.log.lock:
            if self.log.replies:
                return self.log.replies.pop(0)
        if voice_turn:
            return DEFAULT_REPLY
        text = ""
        for item in self.items:
            if item.get("type") == "function_call_output":
                text = f"The result is {item.get('output')}."
            for part in item.get("content") or []:
                if part.get("type") == "input_text":
                    text = str(part.get("text") or "")
        return text

    def _stream_step(self) -> None:
        """Sends the next events of the current response, up to and including one audio delta."""
        current = self.current
        if current is None:
            return
        scenario = self.scenario
        while current.events:
            event, is_audio = current.events[0]
            if is_audio:
                limit = scenario.drop_after_chunks
                if limit is not None and current.audio_sent >= limit:
                    self._drop()
                if not self.h.fake._pause(0):
                    raise _Dropped
            current.events.pop(0)
            self.send(event)
            if is_audio:
                current.audio_sent += 1
                self.audio_len_ms[current.item_id] = (
                    current.audio_sent * DELTA_BYTES // BYTES_PER_MS
                )
                tps = current.tokens_per_second
                if tps:
                    current.due = time.monotonic() + TOKENS_PER_DELTA / tps
                    return
        if scenario.drop_after_chunks is not None and current.audio_sent:
            self._drop()
        self._finish("completed")

    def _finish(self, status: str) -> None:
        current = self.current
        if current is None:
            return
        self.current = None
        response = current.response
        usage = dict(current.usage)
        if status == "cancelled":
            # Only what was generated so far is billed: the audio deltas that went out.
            out_audio = TOKENS_PER_DELTA * current.audio_sent
            out_text = min(usage["output_token_details"]["text_tokens"], current.audio_sent)
            usage.update(
                output_tokens=out_audio + out_text,
                total_tokens=usage["input_tokens"] + out_audio + out_text,
                output_token_details={"text_tokens": out_text, "audio_tokens": out_audio},
            )
            response["status_details"] = {"type": "cancelled", "reason": "turn_detected"}
        for item in response["output"]:
            self.items.append(item)
        response.update(status=status, usage=usage)
        self.send({"type": "response.done", "response": response})

    def _cancel(self) -> None:
        self._finish("cancelled")

    def _truncate(self, event: JsonDict) -> None:
        item_id = str(event.get("item_id") or "")
        end_ms = event.get("audio_end_ms")
        known = self.audio_len_ms.get(item_id)
        if known is None:
            self.send(
                _error(
                    "invalid_request_error",
                    f"Item with item_id '{item_id}' not found or has no audio.",
                    "item_id",
                    code="item_truncate_invalid_item_id",
                )
            )
            return
        if not isinstance(end_ms, int) or end_ms < 0 or end_ms > known:
            self.send(
                _error(
                    "invalid_request_error",
                    f"Audio content of {known}ms is shorter than {end_ms}ms.",
                    "audio_end_ms",
                    code="invalid_value",
                )
            )
            return
        self.send(
            {
                "type": "conversation.item.truncated",
                "item_id": item_id,
                "content_index": int(event.get("content_index") or 0),
                "audio_end_ms": end_ms,
            }
        )

    def _drop(self) -> None:
        self.state.dropped = True
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        raise _Dropped


def peak(pcm: bytes) -> float:
    """The loudest sample of 16-bit PCM, 0.0 to 1.0."""
    samples = array.array("h", pcm[: len(pcm) - len(pcm) % 2])
    if sys.byteorder == "big":
        samples.byteswap()
    return max((abs(v) for v in samples), default=0) / 32768


def _session_problem(update: JsonDict) -> JsonDict | None:
    if update.get("type") not in (None, "realtime", "transcription"):
        return _error("invalid_request_error", "Invalid value for 'session.type'.", "session.type")
    voice = update.get("audio", {}).get("output", {}).get("voice")
    if isinstance(voice, str) and voice not in REALTIME_VOICES:
        return _error(
            "invalid_request_error",
            f"Invalid value: '{voice}'. Supported values are: "
            + ", ".join(f"'{v}'" for v in REALTIME_VOICES)
            + ".",
            "session.audio.output.voice",
            code="invalid_value",
        )
    speed = update.get("audio", {}).get("output", {}).get("speed")
    if isinstance(speed, int | float) and not 0.25 <= speed <= 1.5:
        return _error(
            "invalid_request_error",
            f"Invalid 'session.audio.output.speed': {speed}. Expected a value between 0.25 and 1.5.",
            "session.audio.output.speed",
            code="decimal_out_of_range",
        )
    return None


def _merge(into: JsonDict, update: JsonDict) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def _error(kind: str, message: str, param: str | None, *, code: object = None) -> JsonDict:
    return {
        "type": "error",
        "error": {"type": kind, "code": code, "message": message, "param": param, "event_id": None},
    }


def audio_seconds(pcm: bytes) -> float:
    """Seconds of 24 kHz 16-bit mono PCM."""
    return len(pcm) / (payloads.SPEECH_SAMPLE_RATE * 2)


def expected_deltas(text: str, speed: float = 1.0) -> int:
    """How many audio deltas the fake sends for ``text``."""
    frames = int(payloads.SPEECH_SAMPLE_RATE * payloads.speech_duration(text, speed))
    return math.ceil(frames * 2 / DELTA_BYTES)


# --- the Live API (/v1/live/sessions) ---------------------------------------------------------------


class _LiveSession:
    """One Live API session: ``session.start`` (the model checked against the list, the voice
    against the Live voices) answered by ``session.started``; ``session.input_audio.append`` run
    through the same voice detection as the Realtime fake; when the user pauses
    (``LIVE_SILENCE_MS``), the user's words (``RealtimeLog.user_says``) as
    ``session.input_transcript.delta`` with their times, then the answer
    (``RealtimeLog.replies`` or `DEFAULT_REPLY`) as output transcript and audio deltas and a
    cumulative ``session.usage.updated`` (whole seconds of the session so far); ``session.close``
    answered by ``session.closed``. ``Scenario.drop_after_chunks`` drops the socket after that
    many audio deltas of an answer; ``Scenario.stream_error`` sends an ``error`` event instead of
    the first answer."""

    def __init__(
        self, h: Handler, ws: Any, sock: socket.socket, state: RealtimeSession, log: RealtimeLog
    ) -> None:
        self.h, self.ws, self.sock, self.state, self.log = h, ws, sock, state, log
        self.scenario = h.fake.scenario
        self.started = False
        self.total_ms = 0.0
        self.speaking = False
        self.speech_start_ms = 0.0
        self.silence_ms = 0.0
        self.errored = False
        self.heard_words = False
        self.said_words = False

    def send(self, event: JsonDict) -> None:
        event.setdefault("event_id", new_id("event_", 20))
        self.ws.send(json.dumps(event))

    def run(self) -> None:
        from websockets.exceptions import ConnectionClosed

        while True:
            try:
                event = json.loads(self.ws.recv())
            except ConnectionClosed:
                return
            except ValueError:
                self.send(_error("invalid_request_error", "The message is not valid JSON.", None))
                continue
            self.state.events.append(event)
            kind = event.get("type")
            if not self.started and kind != "session.start":
                self.send(_error("invalid_request_error", "Send session.start first.", "type"))
            elif kind == "session.start":
                if not self._start(event.get("session") or {}):
                    return
            elif kind == "session.input_audio.append":
                try:
                    self._append(base64.b64decode(str(event.get("audio") or "")))
                except _Dropped:
                    return
            elif kind == "session.close":
                self.send(
                    {
                        "type": "session.closed",
                        "reason": "close_requested",
                        "session": self.state.session,
                        "usage": {"seconds": self._seconds()},
                    }
                )
                return
            else:
                self.send(
                    _error(
                        "invalid_request_error",
                        f"Invalid value: '{kind}'. This event type is not supported here.",
                        "type",
                    )
                )

    def _start(self, session: JsonDict) -> bool:
        model = str(session.get("model") or "")
        if model not in self.scenario.model_ids():
            self.send(
                _error(
                    "invalid_request_error",
                    f"The model `{model}` does not exist or you do not have access to it.",
                    "session.model",
                    code="model_not_found",
                )
            )
            return False
        voice = ((session.get("audio") or {}).get("output") or {}).get("voice", "marin")
        name = voice.get("id") if isinstance(voice, dict) else voice
        if not isinstance(voice, dict) and name not in LIVE_VOICES:
            self.send(
                _error(
                    "invalid_request_error",
                    f"Invalid value: '{name}'. Supported values are: {', '.join(LIVE_VOICES)}.",
                    "session.audio.output.voice",
                    code="invalid_value",
                )
            )
            return False
        self.state.model = model
        self.state.session = {"id": new_id("sess_", 24), "object": "live.session", **session}
        self.started = True
        self.send({"type": "session.started", "session": self.state.session})
        return True

    def _seconds(self) -> int:
        return math.ceil(self.total_ms / 1000)

    def _append(self, pcm: bytes) -> None:
        chunk_ms = len(pcm) / BYTES_PER_MS
        start_ms = self.total_ms
        self.total_ms += chunk_ms
        with self.log.lock:
            self.log.appended_bytes += len(pcm)
        loud = peak(pcm) > VAD_LEVEL
        if not self.speaking and loud:
            self.speaking, self.silence_ms, self.speech_start_ms = True, 0.0, start_ms
        elif self.speaking and not loud:
            self.silence_ms += chunk_ms
            if self.silence_ms >= LIVE_SILENCE_MS:
                self.speaking = False
                self._answer(self.speech_start_ms, self.total_ms - self.silence_ms)
        elif loud:
            self.silence_ms = 0.0

    def _answer(self, start_ms: float, end_ms: float) -> None:
        with self.log.lock:
            said = self.log.user_says.pop(0) if self.log.user_says else DEFAULT_USER_SAYS
            reply = self.log.replies.pop(0) if self.log.replies else DEFAULT_REPLY
        words = said.split()
        step = (end_ms - start_ms) / max(len(words), 1)
        for index, word in enumerate(words):
            # One running transcript per side: only its very first word has no space before it.
            first = index == 0 and not self.heard_words
            self.heard_words = True
            self.send(
                {
                    "type": "session.input_transcript.delta",
                    "delta": word if first else f" {word}",
                    "start_ms": int(start_ms + index * step),
                    "end_ms": int(start_ms + (index + 1) * step),
                }
            )
        error = self.scenario.stream_error
        if error and not self.errored:
            self.errored = True
            self.send({"type": "error", "error": {"type": "invalid_request_error", **error}})
            return
        pcm = payloads.speech_pcm(reply)
        pieces = [pcm[i : i + DELTA_BYTES] for i in range(0, len(pcm), DELTA_BYTES)]
        replied = reply.split()
        at = self.total_ms
        for index, piece in enumerate(pieces):
            limit = self.scenario.drop_after_chunks
            if limit is not None and index >= limit:
                self.state.dropped = True
                with contextlib.suppress(OSError):
                    self.sock.shutdown(socket.SHUT_RDWR)
                raise _Dropped
            if index < len(replied):
                first = index == 0 and not self.said_words
                self.said_words = True
                self.send(
                    {
                        "type": "session.output_transcript.delta",
                        "delta": replied[index] if first else f" {replied[index]}",
                        "start_ms": int(at),
                        "end_ms": int(at + 100),
                    }
                )
            self.send(
                {"type": "session.output_audio.delta", "delta": base64.b64encode(piece).decode()}
            )
            at += len(piece) / BYTES_PER_MS
        rest = replied[len(pieces) :]
        if rest:
            self.send(
                {
                    "type": "session.output_transcript.delta",
                    "delta": " " + " ".join(rest),
                    "start_ms": int(at),
                    "end_ms": int(at),
                }
            )
        self.send({"type": "session.usage.updated", "usage": {"seconds": self._seconds()}})
