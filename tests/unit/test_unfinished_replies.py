"""Replies that are not what was asked for are never shown as finished (issue 20, items 1-3).

Each case is served byte for byte by the fake server (`fail_next` with a status of 200 and a raw
body) and read through the real SDK by the real services.
"""

from __future__ import annotations

import base64
import json
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from openai import AsyncOpenAI

from playground.core.api.errors import AppError, ErrorKind
from playground.core.api.replies import unexpected_body
from playground.core.audio.service import AudioService, SpeechRequest, TranscriptionRequest
from playground.core.chat.service import ChatProgress, ChatRequest, ChatService
from playground.core.images.caps import ImageRequest
from playground.core.images.service import ImageService
from playground.core.models import Message
from tests.fakes.openai_server import FakeOpenAI

CHAT = "/chat/completions"


def _chunk(content: str | None = None, finish: str | None = None) -> str:
    delta = {"content": content} if content is not None else {"role": "assistant"}
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    body = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "gpt-4o-mini"}
    return "data: " + json.dumps({**body, "choices": [choice]}) + "\n\n"


@pytest.fixture
async def service(fake_openai: FakeOpenAI) -> AsyncIterator[ChatService]:
    client = AsyncOpenAI(base_url=fake_openai.base_url, api_key="sk-test", max_retries=0)
    try:
        yield ChatService(lambda: client)
    finally:
        await client.close()


def _request() -> ChatRequest:
    return ChatRequest(model="gpt-4o-mini", messages=(Message("user", "Hi"),))


async def _stream(service: ChatService, progress: ChatProgress | None = None) -> str:
    parts: list[str] = []
    result = await service.stream(_request(), lambda _i, t: parts.append(t), progress)
    assert result.text == "".join(parts)
    return result.text


async def test_a_stream_that_just_stops_is_interrupted_and_keeps_its_text(
    fake_openai: FakeOpenAI, service: ChatService
) -> None:
    body = _chunk() + _chunk("The sky") + _chunk(" is")  # no finish_reason, no usage, no [DONE]
    fake_openai.fail_next(200, raw_body=body, content_type="text/event-stream", path=CHAT)
    progress = ChatProgress()
    with pytest.raises(AppError) as caught:
        await _stream(service, progress)
    assert caught.value.kind == ErrorKind.CONNECTION
    assert caught.value.title == "Answer interrupted"
    assert "kept" in caught.value.hint
    assert progress.text == "The sky is"


async def test_a_stream_with_its_finish_reason_but_no_done_is_complete(
    fake_openai: FakeOpenAI, service: ChatService
) -> None:
    body = _chunk() + _chunk("Blue.") + _chunk(finish="stop")
    fake_openai.fail_next(200, raw_body=body, content_type="text/event-stream", path=CHAT)
    assert await _stream(service) == "Blue."


async def test_an_html_page_says_what_it_is(fake_openai: FakeOpenAI, service: ChatService) -> None:
    page = "<!DOCTYPE html><html><head><title>Corporate sign-in</title></head><body>Log in</body></html>"
    fake_openai.fail_next(200, raw_body=page, content_type="text/html", path=CHAT)
    with pytest.raises(AppError) as caught:
        await _stream(service)
    error = caught.value
    assert error.kind == ErrorKind.INVALID_RESPONSE
    assert "web page" in error.message
    assert "Corporate sign-in" in error.message
    assert "proxy or login page" in error.message


async def test_plain_text_is_quoted(fake_openai: FakeOpenAI, service: ChatService) -> None:
    fake_openai.fail_next(200, raw_body="Service paused", content_type="text/plain", path=CHAT)
    with pytest.raises(AppError) as caught:
        await _stream(service)
    assert "Service paused" in caught.value.message


async def test_an_empty_200_is_not_an_answer(fake_openai: FakeOpenAI, service: ChatService) -> None:
    fake_openai.fail_next(200, raw_body="", content_type="text/event-stream", path=CHAT)
    with pytest.raises(AppError) as caught:
        await _stream(service)
    assert caught.value.title == "Empty answer"


async def test_a_server_that_ignores_stream_is_read_as_one_body(
    fake_openai: FakeOpenAI, service: ChatService
) -> None:
    reply = {
        "id": "chatcmpl-2",
        "object": "chat.completion",
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Whole answer."},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
    }
    fake_openai.fail_next(200, raw_body=json.dumps(reply), path=CHAT)
    result = await service.stream(_request(), lambda _i, _t: None)
    assert result.text == "Whole answer."
    assert result.finish_reason == "stop"
    assert result.usage is not None
    assert result.usage.output_tokens == 3


async def test_a_whole_body_keeps_each_tool_call_apart(
    fake_openai: FakeOpenAI, service: ChatService
) -> None:
    calls = [
        {"id": f"call_{i}", "type": "function", "function": {"name": n, "arguments": "{}"}}
        for i, n in enumerate(("weather", "time"))
    ]
    reply = {
        "id": "chatcmpl-3",
        "object": "chat.completion",
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": None, "tool_calls": calls},
                "finish_reason": "tool_calls",
            }
        ],
    }
    fake_openai.fail_next(200, raw_body=json.dumps(reply), path=CHAT)
    result = await service.stream(_request(), lambda _i, _t: None)
    assert [c.name for c in result.choices[0].tool_calls] == ["weather", "time"]


def test_unexpected_body_never_shows_a_key() -> None:
    error = unexpected_body("Bad key sk-proj-abcdefghijklmnopqrstuvwxyz012345", "text/plain")
    assert "abcdefghijklmnop" not in error.message


# --- Images and Audio ------------------------------------------------------------------------------

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
    b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00"
    b"IEND\xaeB`\x82"
)


@pytest.fixture
async def client(fake_openai: FakeOpenAI) -> AsyncIterator[AsyncOpenAI]:
    sdk = AsyncOpenAI(base_url=fake_openai.base_url, api_key="sk-test", max_retries=0)
    try:
        yield sdk
    finally:
        await sdk.close()


def _streamed_picture() -> ImageRequest:
    return ImageRequest("generate", "gpt-image-1", "a cat", quality="low", partial_images=2)


async def test_images_read_a_whole_body_sent_for_a_stream(
    fake_openai: FakeOpenAI, client: AsyncOpenAI
) -> None:
    whole = {"created": 1, "data": [{"b64_json": base64.b64encode(PNG).decode()}]}
    fake_openai.fail_next(200, raw_body=json.dumps(whole), path="/images/generations")
    shown: list[bytes] = []
    result = await ImageService(lambda: client).run(
        _streamed_picture(), lambda *_: None, lambda image: shown.append(image.data)
    )
    assert shown == [PNG]
    assert len(result.images) == 1


async def test_images_never_report_done_with_no_picture(
    fake_openai: FakeOpenAI, client: AsyncOpenAI
) -> None:
    partial = {"type": "image_generation.partial_image", "partial_image_index": 0,
               "b64_json": base64.b64encode(PNG).decode()}  # fmt: skip
    stopped = "event: image_generation.partial_image\ndata: " + json.dumps(partial) + "\n\n"
    fake_openai.fail_next(200, raw_body=stopped, content_type="text/event-stream")
    fake_openai.fail_next(200, raw_body="", content_type="text/event-stream")
    service = ImageService(lambda: client)
    with pytest.raises(AppError) as caught:
        await service.run(_streamed_picture(), lambda *_: None, lambda _i: None)
    assert caught.value.title == "Answer interrupted"
    with pytest.raises(AppError) as caught:
        await service.run(_streamed_picture(), lambda *_: None, lambda _i: None)
    assert caught.value.title == "Empty answer"


async def test_images_say_a_web_page_came(fake_openai: FakeOpenAI, client: AsyncOpenAI) -> None:
    page = "<html><head><title>Proxy login</title></head></html>"
    fake_openai.fail_next(200, raw_body=page, content_type="text/html")
    request = ImageRequest("generate", "dall-e-3", "a cat")
    with pytest.raises(AppError) as caught:
        await ImageService(lambda: client).run(request, lambda *_: None, lambda _i: None)
    assert "web page" in caught.value.message


def _wav(tmp_path: Path) -> Path:
    path = tmp_path / "speech.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x01" * 8000)
    return path


async def test_a_streamed_transcript_sent_whole_is_read(
    fake_openai: FakeOpenAI, client: AsyncOpenAI, tmp_path: Path
) -> None:
    fake_openai.fail_next(200, raw_body=json.dumps({"text": "Whole words."}))
    result = await AudioService(lambda: client).transcribe(
        TranscriptionRequest("gpt-4o-transcribe", _wav(tmp_path), stream=True)
    )
    assert result.transcript.text == "Whole words."


async def test_a_transcript_that_stops_or_is_empty_is_not_done(
    fake_openai: FakeOpenAI, client: AsyncOpenAI, tmp_path: Path
) -> None:
    delta = {"type": "transcript.text.delta", "delta": "Hello"}
    fake_openai.fail_next(
        200, raw_body="data: " + json.dumps(delta) + "\n\n", content_type="text/event-stream"
    )
    fake_openai.fail_next(200, raw_body=json.dumps({"text": ""}))
    service = AudioService(lambda: client)
    request = TranscriptionRequest("gpt-4o-transcribe", _wav(tmp_path), stream=True)
    with pytest.raises(AppError) as caught:
        await service.transcribe(request)
    assert caught.value.title == "Answer interrupted"
    with pytest.raises(AppError) as caught:
        await service.transcribe(request)
    assert caught.value.title == "No words found"


async def test_speech_that_is_a_web_page_is_not_played(
    fake_openai: FakeOpenAI, client: AsyncOpenAI
) -> None:
    fake_openai.fail_next(
        200, raw_body="<html><body>Sign in</body></html>", content_type="text/html"
    )
    with pytest.raises(AppError) as caught:
        await AudioService(lambda: client).speech(SpeechRequest("tts-1", "alloy", "Hello"))
    assert "web page" in caught.value.message
