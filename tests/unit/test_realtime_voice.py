"""Voice chat over a live session (core/audio/voicechat.py) against the fake Realtime server:
server VAD turns, push-to-talk, interruption with truncation, function calls, an error event, a
dropped socket, and the saved conversation."""

from __future__ import annotations

import array
import asyncio
import json
import math
import zipfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from openai import AsyncOpenAI

from playground.core.api.errors import AppError, ErrorKind
from playground.core.audio.voicechat import (
    ASSISTANT,
    TOOL,
    USER,
    VoiceChatConfig,
    VoiceChatSession,
    VoiceConversation,
    VoiceStore,
    VoiceTool,
    VoiceTurn,
    parse_tools,
    transcribe_model_for,
)
from tests.fakes import openai_payloads as payloads
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.realtime import DEFAULT_REPLY, DEFAULT_USER_SAYS, RealtimeLog

RT = "gpt-realtime-2.1-mini"
LIVE = "gpt-live-transcribe"


def tone(ms: int, level: int = 9000) -> bytes:
    frames = 24 * ms
    samples = array.array(
        "h", (int(level * math.sin(2 * math.pi * 300 * i / 24_000)) for i in range(frames))
    )
    return samples.tobytes()


def silence(ms: int) -> bytes:
    return bytes(48 * ms)


class Listener:
    """Records what the session announces; can interrupt on speech like the page does."""

    def __init__(self) -> None:
        self.session: VoiceChatSession | None = None
        self.ready = asyncio.Event()
        self.answers: list[VoiceTurn] = []
        self.answered = asyncio.Event()
        self.calls: list[VoiceTurn] = []
        self.errors: list[AppError] = []
        self.errored = asyncio.Event()
        self.audio = bytearray()
        self.spoke = 0
        self.interrupt_at: int | None = None
        self.interrupted: list[bool] = []

    def session_ready(self) -> None:
        self.ready.set()

    def user_speaking(self) -> None:
        self.spoke += 1
        if self.interrupt_at is not None and self.session is not None:
            self.interrupted.append(self.session.interrupt(self.interrupt_at))

    def turn_changed(self, turn: VoiceTurn) -> None:
        pass

    def assistant_audio(self, turn: VoiceTurn, pcm: bytes) -> None:
        self.audio.extend(pcm)

    def answer_done(self, turn: VoiceTurn) -> None:
        self.answers.append(turn)
        self.answered.set()

    def tool_called(self, turn: VoiceTurn) -> None:
        self.calls.append(turn)

    def error_reported(self, error: AppError) -> None:
        self.errors.append(error)
        self.errored.set()


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        server.scenario.models = [*server.scenario.models, RT, LIVE]
        yield server


@pytest.fixture
async def client(fake: FakeOpenAI) -> AsyncIterator[AsyncOpenAI]:
    async with AsyncOpenAI(base_url=fake.base_url, api_key="test", max_retries=0) as c:
        yield c


def start(
    client: AsyncOpenAI, config: VoiceChatConfig, listener: Listener
) -> tuple[VoiceChatSession, asyncio.Task[None]]:
    conv = VoiceConversation(config.model, config.voice, config.instructions)
    session = VoiceChatSession(client, config, conv, listener)
    listener.session = session
    return session, asyncio.ensure_future(session.run())


async def speak(session: VoiceChatSession, pcm: bytes) -> None:
    """Sends `pcm` in 20 ms pieces, as the microphone does."""
    for offset in range(0, len(pcm), 960):
        session.send_audio(pcm[offset : offset + 960])
        await asyncio.sleep(0)


async def wait(event: asyncio.Event) -> None:
    await asyncio.wait_for(event.wait(), 10)


async def until(condition: Callable[[], bool]) -> None:
    """Waits (at most 10 s) until `condition` holds: the fake runs on its own thread."""

    async def _poll() -> None:
        while not condition():  # noqa: ASYNC110 (state of another thread: no event to await)
            await asyncio.sleep(0.01)

    await asyncio.wait_for(_poll(), 10)


async def test_a_server_vad_turn_is_heard_transcribed_and_answered(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    listener = Listener()
    config = VoiceChatConfig(RT, "cedar", "Be brief.", transcribe_model=LIVE)
    session, task = start(client, config, listener)
    await wait(listener.ready)
    said = tone(600)
    await speak(session, silence(100) + said + silence(600))
    await wait(listener.answered)
    # Every byte sent reached the server (its thread reads at its own pace).
    await until(lambda: fake.state(RealtimeLog).appended_bytes == len(session.input))
    session.close()
    await asyncio.wait_for(task, 10)

    [state] = fake.realtime_sessions
    update = state.of_type("session.update")[0]["session"]
    assert update["instructions"] == "Be brief."
    assert update["audio"]["input"]["turn_detection"]["type"] == "server_vad"
    assert update["audio"]["input"]["transcription"] == {"model": LIVE}
    assert update["audio"]["output"]["voice"] == "cedar"
    user, answer = session.conversation.turns
    assert (user.role, user.text, user.done) == (USER, DEFAULT_USER_SAYS, True)
    assert bytes(user.pcm) == said  # the speech between speech_started and speech_stopped
    assert (answer.role, answer.text, answer.interrupted) == (ASSISTANT, DEFAULT_REPLY, False)
    assert bytes(answer.pcm) == payloads.speech_pcm(DEFAULT_REPLY) == bytes(listener.audio)
    assert answer.usage is not None
    assert answer.usage.audio_tokens > 0  # the user's speech counted as audio in
    assert answer.usage.output_audio_tokens > 0


async def test_speaking_over_the_answer_truncates_it_to_what_was_heard(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    fake.scenario.tokens_per_second = 20  # 100 ms of answer every 100 ms
    listener = Listener()
    session, task = start(client, VoiceChatConfig(RT), listener)
    await wait(listener.ready)
    await speak(session, tone(300) + silence(600))
    await until(lambda: bool(listener.audio))
    listener.interrupt_at = 40  # the page says how much was played
    await speak(session, tone(300))
    await wait(listener.answered)
    session.close()
    await asyncio.wait_for(task, 10)

    assert listener.interrupted == [True]
    [state] = fake.realtime_sessions
    [truncate] = state.of_type("conversation.item.truncate")
    answer = next(t for t in session.conversation.turns if t.role == ASSISTANT)
    assert truncate["item_id"] == answer.item_id
    assert truncate["audio_end_ms"] == 40
    assert answer.interrupted
    assert answer.heard_ms == 40
    assert len(answer.heard_pcm) == 40 * 48
    assert len(answer.pcm) < len(payloads.speech_pcm(DEFAULT_REPLY))  # the server cut it off
    assert answer.usage is not None
    assert answer.usage.output_audio_tokens < 2 * 20  # billed for what was generated only
    assert state.of_type("response.cancel") == []  # server VAD cancels by itself


async def test_push_to_talk_commits_and_asks_for_the_answer(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    listener = Listener()
    session, task = start(client, VoiceChatConfig(RT, push_to_talk=True), listener)
    await wait(listener.ready)
    session.start_turn()
    await speak(session, tone(400))
    session.end_turn()
    await wait(listener.answered)
    session.close()
    await asyncio.wait_for(task, 10)
    [state] = fake.realtime_sessions
    assert state.of_type("session.update")[0]["session"]["audio"]["input"]["turn_detection"] is None
    kinds = [e["type"] for e in state.events if e["type"] != "input_audio_buffer.append"]
    assert kinds == [
        "session.update",
        "input_audio_buffer.clear",
        "input_audio_buffer.commit",
        "response.create",
    ]
    user, answer = session.conversation.turns
    assert bytes(user.pcm) == tone(400)
    assert answer.text == DEFAULT_REPLY


async def test_a_function_call_waits_for_the_typed_result(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    fake.state(RealtimeLog).tool_calls.append(("get_weather", '{"city": "Oslo"}'))
    listener = Listener()
    tools = parse_tools('[{"type": "function", "function": {"name": "get_weather"}}]')
    session, task = start(client, VoiceChatConfig(RT, tools=tools), listener)
    await wait(listener.ready)
    await speak(session, tone(300) + silence(600))
    await wait(listener.answered)
    [call] = listener.calls
    assert (call.role, call.name, call.text) == (TOOL, "get_weather", '{"city": "Oslo"}')
    listener.answered.clear()
    session.tool_result(call, "12 °C and raining")
    await wait(listener.answered)
    session.close()
    await asyncio.wait_for(task, 10)
    [state] = fake.realtime_sessions
    assert state.of_type("session.update")[0]["session"]["tools"] == [
        {
            "type": "function",
            "name": "get_weather",
            "description": "",
            "parameters": {"type": "object", "properties": {}},
        }
    ]
    [output] = state.of_type("conversation.item.create")
    assert output["item"] == {
        "type": "function_call_output",
        "call_id": call.call_id,
        "output": "12 °C and raining",
    }
    assert session.conversation.turns[-1].text == "The result is 12 °C and raining."


async def test_an_error_event_is_reported_and_the_session_goes_on(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    listener = Listener()
    session, task = start(client, VoiceChatConfig(RT, push_to_talk=True), listener)
    await wait(listener.ready)
    session.start_turn()
    assert session.end_turn() is False  # nothing said: nothing committed
    fake.scenario.stream_error = {"code": "server_error", "message": "The model is overloaded"}
    session.start_turn()
    await speak(session, tone(200))
    assert session.end_turn() is True
    await wait(listener.errored)
    assert listener.errors[0].message == "The model is overloaded."
    assert "The chat goes on" in listener.errors[0].hint
    fake.scenario.stream_error = None
    session.start_turn()
    await speak(session, tone(200))
    session.end_turn()
    await wait(listener.answered)
    session.close()
    await asyncio.wait_for(task, 10)
    assert session.conversation.turns[-1].text == DEFAULT_REPLY
    [state] = fake.realtime_sessions
    assert len(state.of_type("input_audio_buffer.commit")) == 2


async def test_a_dropped_socket_keeps_what_came_and_says_reconnect(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    fake.scenario.drop_after_chunks = 3
    listener = Listener()
    session, task = start(client, VoiceChatConfig(RT, transcribe_model=LIVE), listener)
    await wait(listener.ready)
    await speak(session, tone(300) + silence(600))
    with pytest.raises(AppError) as caught:
        await asyncio.wait_for(task, 10)
    assert caught.value.kind is ErrorKind.CONNECTION
    assert "Reconnect" in caught.value.hint
    answer = session.conversation.turns[-1]
    assert answer.interrupted
    assert len(answer.pcm) == 3 * 4800

    # Reconnecting with the same conversation sends its text again as context.
    fake.scenario.drop_after_chunks = None
    again = VoiceChatSession(client, VoiceChatConfig(RT), session.conversation, listener)
    listener.ready.clear()
    task = asyncio.ensure_future(again.run())
    await wait(listener.ready)

    def items() -> list[dict[str, Any]]:
        state = fake.realtime_sessions[-1]
        return [e["item"] for e in state.of_type("conversation.item.create")]

    await until(lambda: len(items()) == 2)  # the fake's thread reads what was sent
    again.close()
    await asyncio.wait_for(task, 10)
    assert items()[0]["content"] == [{"type": "input_text", "text": DEFAULT_USER_SAYS}]
    assert items()[1]["content"] == [{"type": "output_text", "text": answer.text}]


async def test_a_429_at_connect_carries_the_wait(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    fake.rate_limit(retry_after=20, path="/v1/realtime")
    _session, task = start(client, VoiceChatConfig(RT), Listener())
    with pytest.raises(AppError) as caught:
        await asyncio.wait_for(task, 10)
    assert caught.value.kind is ErrorKind.RATE_LIMIT
    assert caught.value.retry_after == 20


def test_tools_in_plain_words() -> None:
    assert parse_tools("") == ()
    assert parse_tools('{"name": "now"}') == (VoiceTool("now"),)
    with pytest.raises(AppError, match="could not be read"):
        parse_tools("{name}")
    with pytest.raises(AppError, match="needs at least a name"):
        parse_tools('[{"description": "x"}]')
    assert transcribe_model_for(["gpt-transcribe", LIVE, "whisper-1"]) == LIVE
    assert transcribe_model_for(["gpt-4o-mini"]) == ""


def test_a_conversation_is_saved_replayable_and_exported(tmp_path: Path) -> None:
    store = VoiceStore.under(tmp_path)
    conv = VoiceConversation(RT, "marin", "Be brief.")
    conv.turns += [
        VoiceTurn(USER, "i1", "Hello there", bytearray(tone(200)), done=True),
        VoiceTurn(ASSISTANT, "i2", "Hi! How", bytearray(tone(500)), interrupted=True, heard_ms=250),
        VoiceTurn(TOOL, "i3", "{}", name="now", call_id="c1", output="noon", done=True),
    ]
    store.save(conv)
    [saved] = store.saved()
    assert (saved.id, saved.title, saved.turns) == (conv.id, "Hello there", 3)
    back = store.load(conv.id)
    assert [t.text for t in back.turns] == ["Hello there", "Hi! How", "{}"]
    assert bytes(back.turns[0].pcm) == tone(200)
    assert len(back.turns[1].pcm) == 250 * 48  # what was heard
    assert back.turns[1].interrupted
    assert store.audio_path(conv.id, 0) is not None
    assert store.audio_path(conv.id, 2) is None
    target = tmp_path / "chat.zip"
    store.export(conv.id, target)
    with zipfile.ZipFile(target) as archive:
        names = set(archive.namelist())
        transcript = archive.read("transcript.md").decode()
        data = json.loads(archive.read("conversation.json"))
    assert {"transcript.md", "conversation.json", "001-user.wav", "002-assistant.wav"} <= names
    assert "**You**: Hello there" in transcript
    assert "**Assistant** (interrupted): Hi! How" in transcript
    assert "**Tool now**({}) → noon" in transcript
    assert data["model"] == RT
