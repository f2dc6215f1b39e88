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

This module's family is not in :data:`tests.fakes.openai_server.FAMILIES` yet (that module has
another owner): :class:`FakeRealtimeOpenAI` is ``FakeOpenAI`` plus this family.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import math
import socket
import threading
from dataclasses import dataclass, field
from typing import Any

from tests.fakes import openai_payloads as payloads
from tests.fakes.openai_server import FAMILIES, FakeOpenAI
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
    """The sessions this server served (newest last)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sessions: list[RealtimeSession] = []


REALTIME_FAMILY = Family("realtime", state=RealtimeLog)


@REALTIME_FAMILY.route("GET", "/realtime")
def _realtime(h: Handler) -> None:
    from websockets.exceptions import ConnectionClosed
    from websockets.protocol import State
    from websockets.server import ServerProtocol
    from websockets.sync.connection import Connection

    model = h.check_model(h.record.query.get("model"))
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
    session: JsonDict = {
        "id": new_id("sess_", 24),
        "object": "realtime.session",
        "type": "realtime",
        "model": model,
        "output_modalities": ["audio"],
        "instructions": "",
        "audio": {"output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "marin"}},
    }
    state.session = session
    items: list[JsonDict] = []

    def send(event: JsonDict) -> None:
        event.setdefault("event_id", new_id("event_", 20))
        ws.send(json.dumps(event))

    try:
        send({"type": "session.created", "session": session})
        while True:
            try:
                raw = ws.recv()
            except ConnectionClosed:
                return
            try:
                event = json.loads(raw)
            except ValueError:
                send(_error("invalid_request_error", "The message is not valid JSON.", None))
                continue
            state.events.append(event)
            kind = event.get("type")
            if kind == "session.update":
                problem = _session_problem(event.get("session") or {})
                if problem is not None:
                    send(problem)
                    continue
                _merge(session, event.get("session") or {})
                send({"type": "session.updated", "session": session})
            elif kind == "conversation.item.create":
                item = dict(event.get("item") or {})
                item.setdefault("id", new_id("item_", 20))
                item["status"] = "completed"
                items.append(item)
                send({"type": "conversation.item.added", "previous_item_id": None, "item": item})
                send({"type": "conversation.item.done", "previous_item_id": None, "item": item})
            elif kind == "response.create":
                if not _respond(h, send, session, items, state, sock):
                    return
            else:
                send(
                    _error(
                        "invalid_request_error",
                        f"Invalid value: '{kind}'. This event type is not supported here.",
                        "type",
                    )
                )
    finally:
        with contextlib.suppress(Exception):
            ws.close()


def _respond(
    h: Handler,
    send: Any,
    session: JsonDict,
    items: list[JsonDict],
    state: RealtimeSession,
    sock: socket.socket,
) -> bool:
    """Answer ``response.create``; False when the socket was dropped."""
    scenario = h.fake.scenario
    if scenario.stream_error is not None:
        send(
            _error(
                "invalid_request_error",
                str(scenario.stream_error.get("message") or "Error"),
                None,
                code=scenario.stream_error.get("code"),
            )
        )
        return True
    text = ""
    for item in items:
        for part in item.get("content") or []:
            if part.get("type") == "input_text":
                text = str(part.get("text") or "")
    output = session.get("audio", {}).get("output", {})
    speed = float(output.get("speed") or 1.0)
    pcm = payloads.speech_pcm(text, speed)
    pieces = [pcm[i : i + DELTA_BYTES] for i in range(0, len(pcm), DELTA_BYTES)]
    words = text.split()
    response_id = new_id("resp_", 20)
    item_id = new_id("item_", 20)
    response: JsonDict = {
        "id": response_id,
        "object": "realtime.response",
        "status": "in_progress",
        "output": [],
        "usage": None,
    }
    send({"type": "response.created", "response": response})
    common = {"response_id": response_id, "item_id": item_id, "output_index": 0, "content_index": 0}
    tps = scenario.tokens_per_second
    for index, piece in enumerate(pieces):
        if scenario.drop_after_chunks is not None and index >= scenario.drop_after_chunks:
            state.dropped = True
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            return False
        if tps and not h.fake._pause(TOKENS_PER_DELTA / tps):
            return False
        send(
            {
                "type": "response.output_audio.delta",
                **common,
                "delta": base64.b64encode(piece).decode(),
            }
        )
        if index < len(words):
            word = words[index] if index == 0 else f" {words[index]}"
            send({"type": "response.output_audio_transcript.delta", **common, "delta": word})
    rest = words[len(pieces) :]
    if rest:
        send(
            {
                "type": "response.output_audio_transcript.delta",
                **common,
                "delta": " " + " ".join(rest),
            }
        )
    if scenario.drop_after_chunks is not None:
        state.dropped = True
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        return False
    send({"type": "response.output_audio.done", **common})
    send({"type": "response.output_audio_transcript.done", **common, "transcript": text})
    in_tokens = payloads.count_tokens(
        str(session.get("instructions") or "")
    ) + payloads.count_tokens(text)
    audio_tokens = TOKENS_PER_DELTA * len(pieces)
    text_out = payloads.count_tokens(text)
    response.update(
        status="completed",
        output=[
            {
                "id": item_id,
                "type": "message",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_audio", "transcript": text}],
            }
        ],
        usage={
            "total_tokens": in_tokens + audio_tokens + text_out,
            "input_tokens": in_tokens,
            "output_tokens": audio_tokens + text_out,
            "input_token_details": {
                "text_tokens": in_tokens,
                "audio_tokens": 0,
                "cached_tokens": 0,
            },
            "output_token_details": {"text_tokens": text_out, "audio_tokens": audio_tokens},
        },
    )
    send({"type": "response.done", "response": response})
    return True


def _session_problem(update: JsonDict) -> JsonDict | None:
    if update.get("type") not in (None, "realtime"):
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


class FakeRealtimeOpenAI(FakeOpenAI):
    """``FakeOpenAI`` that also serves ``/v1/realtime`` (see the module docstring)."""

    families = (*FAMILIES, REALTIME_FAMILY)

    @property
    def realtime_sessions(self) -> list[RealtimeSession]:
        log = self.state(RealtimeLog)
        with log.lock:
            return list(log.sessions)
