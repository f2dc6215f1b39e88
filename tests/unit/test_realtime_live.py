"""Voice chat through the Live API (core/audio/live.py) against the fake Live server
(`tests/fakes/realtime.py`, `GET /v1/live/sessions`) through the SDK's `client.live.connect()`:
a spoken turn answered and billed per second, refusals before connecting, an error event, a
dropped socket and a reconnect that sends the earlier words as the session's input."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from openai import AsyncOpenAI

from playground.core.api.errors import AppError, ErrorKind
from playground.core.audio.live import LiveVoiceSession, is_live_model, live_problem
from playground.core.audio.voicechat import (
    ASSISTANT,
    USER,
    VoiceChatConfig,
    VoiceConversation,
    VoiceTool,
)
from tests.fakes import openai_payloads as payloads
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.realtime import DEFAULT_REPLY, DEFAULT_USER_SAYS, RealtimeLog
from tests.unit.test_realtime_voice import Listener, silence, speak, tone, until, wait

GL = "gpt-live-1.1"


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        server.scenario.models = [*server.scenario.models, GL, "gpt-live-transcribe"]
        yield server


@pytest.fixture
async def client(fake: FakeOpenAI) -> AsyncIterator[AsyncOpenAI]:
    async with AsyncOpenAI(base_url=fake.base_url, api_key="test", max_retries=0) as c:
        yield c


def start(
    client: AsyncOpenAI,
    config: VoiceChatConfig,
    listener: Listener,
    conv: VoiceConversation | None = None,
) -> tuple[LiveVoiceSession, asyncio.Task[None]]:
    conv = conv or VoiceConversation(config.model, config.voice, config.instructions)
    session = LiveVoiceSession(client, config, conv, listener)
    listener.session = session
    return session, asyncio.ensure_future(session.run())


def test_which_models_are_live_voice_models() -> None:
    assert is_live_model("gpt-live-1.1")
    assert is_live_model("gpt-live-1-2026-10-01")
    assert not is_live_model("gpt-live-transcribe")
    assert not is_live_model("gpt-realtime-2.1")
    assert not is_live_model("gpt-4o-mini")


async def test_a_spoken_turn_is_answered_and_billed_by_the_second(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    listener = Listener()
    config = VoiceChatConfig(GL, "willow", "Be brief.")
    session, task = start(client, config, listener)
    await wait(listener.ready)
    said = tone(600)
    await speak(session, silence(100) + said + silence(600))
    await wait(listener.answered)
    await until(lambda: fake.state(RealtimeLog).appended_bytes == len(session.input))
    session.close()
    await asyncio.wait_for(task, 10)

    [state] = fake.realtime_sessions
    [begin] = state.of_type("session.start")
    assert state.events[0] is begin  # nothing before session.start
    assert begin["session"]["model"] == GL
    assert begin["session"]["instructions"] == "Be brief."
    assert begin["session"]["audio"] == {
        "format": {"type": "audio/pcm", "rate": 24_000},
        "output": {"voice": "willow"},
    }
    assert len(state.of_type("session.input_audio.append")) == len(
        range(0, len(session.input), 960)
    )
    user, answer = session.conversation.turns
    assert (user.role, user.text, user.done) == (USER, DEFAULT_USER_SAYS, True)
    assert abs(len(user.pcm) - len(said)) <= 48 * 25  # the words' times on the session timeline
    assert (answer.role, answer.text, answer.done) == (ASSISTANT, DEFAULT_REPLY, True)
    assert bytes(answer.pcm) == payloads.speech_pcm(DEFAULT_REPLY) == bytes(listener.audio)
    assert answer.usage is not None
    assert answer.usage.audio_seconds == 2  # 1.3 s of session so far, billed in whole seconds


async def test_what_the_live_api_does_not_take_is_refused_before_connecting(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    cases = [
        (VoiceChatConfig(GL, push_to_talk=True), "Push to talk is not offered here"),
        (VoiceChatConfig(GL, tools=(VoiceTool("f", "", {}),)), "No function tools"),
        (VoiceChatConfig(GL, voice="fable"), "Voice not available"),
    ]
    for config, title in cases:
        problem = live_problem(config)
        assert problem is not None
        assert problem.title.startswith(title)
        _session, task = start(client, config, Listener())
        with pytest.raises(AppError) as caught:
            await asyncio.wait_for(task, 10)
        assert caught.value.title.startswith(title)
    assert fake.realtime_sessions == []
    assert live_problem(VoiceChatConfig(GL, voice="voice_123abc")) is None


async def test_an_error_event_is_shown_and_the_chat_goes_on(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    fake.scenario.stream_error = {"code": "server_error", "message": "The model hiccuped."}
    listener = Listener()
    session, task = start(client, VoiceChatConfig(GL), listener)
    await wait(listener.ready)
    await speak(session, tone(300) + silence(600))
    await wait(listener.errored)
    assert "The model hiccuped." in listener.errors[0].message
    await speak(session, tone(300) + silence(600))
    await wait(listener.answered)
    session.close()
    await asyncio.wait_for(task, 10)
    # The Live API writes the user's words down continuously: both attempts make one turn.
    [user, answer] = session.conversation.turns
    assert (user.role, user.text) == (USER, f"{DEFAULT_USER_SAYS} {DEFAULT_USER_SAYS}")
    assert answer.role == ASSISTANT


async def test_a_dropped_socket_keeps_what_came_and_a_reconnect_sends_the_words_again(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    listener = Listener()
    config = VoiceChatConfig(GL)
    conv = VoiceConversation(GL, config.voice, "")
    session, task = start(client, config, listener, conv)
    await wait(listener.ready)
    await speak(session, tone(300) + silence(600))
    await wait(listener.answered)
    fake.scenario.drop_after_chunks = 2
    fake.state(RealtimeLog).user_says.append("Tell me more.")
    await speak(session, tone(300) + silence(600))
    with pytest.raises(AppError) as caught:
        await asyncio.wait_for(task, 10)
    assert (caught.value.kind, caught.value.title) == (ErrorKind.CONNECTION, "Connection dropped")
    last = conv.turns[-1]
    assert (last.role, last.interrupted, len(last.pcm)) == (ASSISTANT, True, 2 * 4800)

    fake.scenario.drop_after_chunks = None
    again = Listener()
    session, task = start(client, config, again, conv)
    await wait(again.ready)
    session.close()
    await asyncio.wait_for(task, 10)
    begin = fake.realtime_sessions[-1].of_type("session.start")[0]["session"]
    assert [(i["role"], i["content"][0]["text"]) for i in begin["input"]] == [
        ("user", DEFAULT_USER_SAYS),
        ("assistant", DEFAULT_REPLY),
        ("user", "Tell me more."),
        ("assistant", DEFAULT_REPLY.split()[0] + " " + DEFAULT_REPLY.split()[1]),
    ]


async def test_a_model_the_list_lacks_is_refused_in_plain_words(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    _session, task = start(client, VoiceChatConfig("gpt-live-9"), Listener())
    with pytest.raises(AppError) as caught:
        await asyncio.wait_for(task, 10)
    assert "gpt-live-9" in caught.value.message
    assert caught.value.kind is not ErrorKind.CONNECTION
