"""Error mapping: every failure of a real SDK call becomes an AppError a user can act on."""

from __future__ import annotations

import socket
from collections.abc import Callable

import openai
import pytest

from playground.core.api.errors import (
    AppError,
    ErrorKind,
    from_exception,
    redact,
    retry_hint,
)
from tests.fakes.openai_server import FakeOpenAI


async def _failure(
    fake: FakeOpenAI, *, model: str = "gpt-4o-mini", stream: bool = False
) -> AppError:
    client = openai.AsyncOpenAI(
        base_url=fake.base_url, api_key="sk-test-abcdefghijkl1234", max_retries=0
    )
    try:
        if stream:
            s = await client.chat.completions.create(
                model=model, messages=[{"role": "user", "content": "hi"}], stream=True
            )
            async with s:
                async for _ in s:
                    pass
        else:
            await client.chat.completions.create(
                model=model, messages=[{"role": "user", "content": "hi"}]
            )
    except Exception as exc:
        return from_exception(exc, model=model, base_url=fake.base_url)
    finally:
        await client.close()
    pytest.fail("the request did not fail")


@pytest.mark.parametrize(
    ("inject", "kind", "status", "words"),
    [
        (lambda f: f.fail_next(401), ErrorKind.AUTH, 401, "Settings → Providers"),
        (lambda f: f.fail_next(403), ErrorKind.PERMISSION, 403, "organization"),
        (
            lambda f: f.rate_limit(retry_after=3),
            ErrorKind.RATE_LIMIT,
            429,
            "Try again in 3 seconds",
        ),
        (lambda f: f.quota_exceeded(), ErrorKind.QUOTA, 429, "billing"),
        (lambda f: f.fail_next(500), ErrorKind.SERVER, 500, "Nothing is wrong with your request"),
        (lambda f: f.fail_next(503), ErrorKind.SERVER, 503, "Try again"),
        (
            lambda f: f.fail_next(400, message="Invalid value for 'n'."),
            ErrorKind.BAD_REQUEST,
            400,
            "'n'",
        ),
        (
            lambda f: f.fail_next(400, code="context_length_exceeded", message="too long"),
            ErrorKind.CONTEXT_LENGTH,
            400,
            "Delete some turns",
        ),
    ],
    ids=["401", "403", "429", "quota", "500", "503", "400", "context"],
)
async def test_status_codes(
    fake_openai: FakeOpenAI,
    inject: Callable[[FakeOpenAI], None],
    kind: ErrorKind,
    status: int,
    words: str,
) -> None:
    inject(fake_openai)
    error = await _failure(fake_openai)
    assert error.kind == kind
    assert error.status == status
    assert words in str(error)
    assert error.request_id is not None
    assert error.request_id.startswith("req_")


async def test_rate_limit_keeps_retry_after(fake_openai: FakeOpenAI) -> None:
    fake_openai.rate_limit(retry_after=12)
    error = await _failure(fake_openai)
    assert error.retry_after == 12


async def test_unknown_model_names_the_model_and_hints(fake_openai: FakeOpenAI) -> None:
    error = await _failure(fake_openai, model="gpt-3.5-turbo-0301")
    assert error.kind == ErrorKind.MODEL_NOT_FOUND
    assert "gpt-3.5-turbo-0301" in error.message
    assert "Refresh" in error.hint


async def test_invalid_json(fake_openai: FakeOpenAI) -> None:
    fake_openai.invalid_json_next()
    error = await _failure(fake_openai)
    assert error.kind == ErrorKind.INVALID_RESPONSE


async def test_dropped_stream(fake_openai: FakeOpenAI) -> None:
    fake_openai.scenario.drop_after_chunks = 3
    error = await _failure(fake_openai, stream=True)
    assert error.kind == ErrorKind.CONNECTION
    assert "dropped" in error.message


async def test_connection_refused() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = openai.AsyncOpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="k", max_retries=0)
    try:
        with pytest.raises(openai.APIConnectionError) as info:
            await client.models.list()
    finally:
        await client.close()
    error = from_exception(info.value, base_url=f"http://127.0.0.1:{port}/v1")
    assert error.kind == ErrorKind.CONNECTION
    assert "refused" in error.message
    assert "running" in error.hint


async def test_timeout(fake_openai: FakeOpenAI) -> None:
    fake_openai.scenario.latency_s = 2.0
    client = openai.AsyncOpenAI(
        base_url=fake_openai.base_url, api_key="k", max_retries=0, timeout=0.2
    )
    try:
        with pytest.raises(openai.APITimeoutError) as info:
            await client.models.list()
    finally:
        await client.close()
    error = from_exception(info.value)
    assert error.kind == ErrorKind.TIMEOUT
    assert "timeout" in error.hint


def test_keys_are_redacted_from_details_and_messages() -> None:
    key = "sk-proj-SECRETSECRETSECRET1234"
    error = from_exception(RuntimeError(f"boom with {key}"))
    assert key not in error.message
    assert key not in error.details
    assert "sk-…1234" in error.message
    assert redact(f"a {key} b") == "a sk-…1234 b"


def test_an_app_error_passes_through() -> None:
    original = AppError.local("Bad file", "Not an image.")
    assert from_exception(original) is original


def test_unexpected_errors_keep_details() -> None:
    error = from_exception(ValueError("odd"))
    assert error.kind == ErrorKind.UNEXPECTED
    assert "ValueError: odd" in error.message
    assert "Traceback" in error.details or "ValueError" in error.details


# --- the 429 hint reads as sentences and never names a wait that is over (issue 20, item 11) -------


async def test_a_server_message_without_a_full_stop_still_ends_a_sentence(
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.fail_next(
        429, message="Rate limit reached for requests", headers={"retry-after": "3"}
    )
    error = await _failure(fake_openai)
    assert error.kind == ErrorKind.RATE_LIMIT
    assert "reached for requests. Try again in 3 seconds." in str(error)


@pytest.mark.parametrize("status", [400, 401, 403])
async def test_every_api_message_ends_like_a_sentence(fake_openai: FakeOpenAI, status: int) -> None:
    fake_openai.fail_next(status, message="Something odd happened")
    error = await _failure(fake_openai)
    assert error.message.endswith("Something odd happened.")


async def test_the_wait_in_the_hint_follows_the_countdown(fake_openai: FakeOpenAI) -> None:
    fake_openai.rate_limit(retry_after=3)
    error = await _failure(fake_openai)
    assert error.hint == "Try again in 3 seconds."  # at the moment it happened
    assert error.hint_at(2) == "Try again in 2 seconds."
    assert error.hint_at(1) == "Try again in 1 second."
    assert error.hint_at(0) == "You can try again now."
    assert error.text_at(0).endswith(". You can try again now.")
    assert "3 seconds" not in error.text_at(0)


async def test_other_hints_do_not_count_down(fake_openai: FakeOpenAI) -> None:
    fake_openai.fail_next(401)
    error = await _failure(fake_openai)
    assert error.hint_at(0) == error.hint


def test_retry_hint_words() -> None:
    assert retry_hint(None) == "Try again in a moment."
    assert retry_hint(0.4) == "Try again in 1 second."
    assert retry_hint(12) == "Try again in 12 seconds."
    assert retry_hint(0) == "You can try again now."
