"""Background mode in the Responses engine: start, wait (now or after a restart), cancel."""

from __future__ import annotations

from collections.abc import AsyncIterator

import openai
import pytest

from playground.core.api.errors import AppError
from playground.core.chat.responses import ResponsesEngine
from playground.core.chat.service import ResponsesRequest
from playground.core.models import Message
from tests.fakes.openai_server import DEFAULT_REPLY, FakeOpenAI

HELLO = (Message("user", "Hello"),)


@pytest.fixture
async def client(fake_openai: FakeOpenAI) -> AsyncIterator[openai.AsyncOpenAI]:
    client = openai.AsyncOpenAI(base_url=fake_openai.base_url, api_key="test", max_retries=0)
    yield client
    await client.close()


def _engine(client: openai.AsyncOpenAI, naps: list[float]) -> ResponsesEngine:
    async def nap(seconds: float) -> None:  # polls are counted, not waited for
        naps.append(seconds)

    return ResponsesEngine(lambda: client, sleep=nap)


async def test_a_background_response_runs_on_and_is_picked_up_by_its_id(
    fake_openai: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    fake_openai.scenario.background_polls = 2
    naps: list[float] = []
    engine = _engine(client, naps)
    response_id = await engine.start_background(ResponsesRequest("gpt-4o-mini", HELLO))
    body = fake_openai.last("/responses").json or {}
    assert body["background"] is True
    assert body["store"] is True  # the API keeps background responses
    assert "stream" not in body
    # A fresh engine (after a restart) needs only the id.
    deltas: list[str] = []
    result = await _engine(client, naps).wait_background(
        response_id, "gpt-4o-mini", lambda _i, t: deltas.append(t)
    )
    assert result.text == DEFAULT_REPLY == "".join(deltas)
    assert result.response_id == response_id
    assert result.finish_reason == "stop"
    assert result.usage is not None
    assert len(naps) == 2  # asked while it ran, then it was done


async def test_a_cancelled_background_response_says_so(
    fake_openai: FakeOpenAI, client: openai.AsyncOpenAI
) -> None:
    fake_openai.scenario.background_polls = 5
    engine = _engine(client, [])
    response_id = await engine.start_background(ResponsesRequest("gpt-4o-mini", HELLO))
    await engine.cancel_background(response_id)
    assert fake_openai.last().path.endswith(f"/responses/{response_id}/cancel")
    with pytest.raises(AppError, match="cancelled"):
        await engine.wait_background(response_id, "gpt-4o-mini", lambda _i, _t: None)


async def test_a_background_response_the_server_no_longer_has_is_an_error(
    client: openai.AsyncOpenAI,
) -> None:
    with pytest.raises(AppError) as caught:
        await _engine(client, []).wait_background("resp_gone", "gpt-4o-mini", lambda _i, _t: None)
    assert caught.value.status == 404
