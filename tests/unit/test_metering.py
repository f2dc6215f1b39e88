"""Metering: one usage estimate (text, images, tools) and one typed ledger record, checked against
exact counts."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from playground.core.chat.service import ChatRequest
from playground.core.models import (
    Endpoint,
    ImagePart,
    Message,
    PriceOverride,
    ProviderProfile,
    RequestStatus,
    ToolCall,
    Usage,
)
from playground.core.money.accounting import Accounting
from playground.core.money.ledger import UsageLedger
from playground.core.money.metering import (
    RequestRecord,
    estimate_usage,
    extra_input_tokens,
    input_tokens,
    output_tokens,
    reply_usage,
)
from playground.core.money.pricing import Pricer
from playground.core.money.tokens import TiktokenCounter, TokenizerError

WEATHER_TOOLS: tuple[dict[str, Any], ...] = (
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    },
)
CALL = ToolCall("call_1", "get_weather", '{"city":"Paris"}')


class WordCounter:
    """A `TokenCounter` whose counts are easy to check by eye: one token per word."""

    def count(self, text: str, model: str) -> int:
        return len(text.split())

    def count_messages(self, messages: Sequence[Message], model: str) -> int:
        return sum(1 + self.count(m.content, model) for m in messages)

    def is_loaded(self, model: str) -> bool:
        return True

    def load(self, model: str) -> None:
        pass


class BrokenCounter(WordCounter):
    def count_messages(self, messages: Sequence[Message], model: str) -> int:
        raise TokenizerError("Token counting data is missing.")


@dataclass(frozen=True)
class PlainRequest:
    """Not a ChatRequest: the estimate reads only model, messages and tools."""

    model: str
    messages: tuple[Message, ...]
    tools: tuple[dict[str, Any], ...] = ()


def _vision_and_tools_request() -> ChatRequest:
    return ChatRequest(
        model="gpt-4o",
        messages=(
            Message(
                "user",
                "What is in the picture?",
                images=(
                    ImagePart("https://example.com/a.png", detail="low"),  # 85
                    ImagePart("data:image/png;base64,AAAA", "high", 1024, 1024),  # 765
                ),
            ),
            Message("assistant", "", tool_calls=(CALL,)),
            Message("tool", "Sunny, 21 °C", tool_call_id="call_1"),
        ),
        tools=WEATHER_TOOLS,
    )


def test_estimate_counts_text_images_tool_definitions_and_tool_calls_exactly() -> None:
    counter = TiktokenCounter()
    request = _vision_and_tools_request()
    # The chat format (tokens per message 3 + role 1 + content), plus 3 to prime the reply:
    # user 3+1+6, assistant 3+1+0, tool 3+1+6 ("Sunny, 21 °C" is 6 tokens), priming 3.
    assert counter.count_messages(request.messages, "gpt-4o") == 27
    # What that leaves out: the images (85 low + 765 for 1024×1024 high), the tool definitions'
    # JSON (40) and the earlier call (name 2 + arguments 5).
    assert counter.count(json.dumps(list(WEATHER_TOOLS)), "gpt-4o") == 40
    assert extra_input_tokens(counter, request) == 85 + 765 + 40 + 2 + 5
    assert input_tokens(counter, request) == 27 + 897

    usage = estimate_usage(counter, request, "Paris is sunny.", (CALL,))
    assert usage == Usage(input_tokens=924, output_tokens=4 + 7, estimated=True)


def test_the_estimate_reads_any_chat_shaped_request() -> None:
    request = PlainRequest(
        "m", (Message("system", "be brief"), Message("user", "two words")), WEATHER_TOOLS
    )
    tools_words = len(json.dumps(list(WEATHER_TOOLS)).split())
    assert input_tokens(WordCounter(), request) == (1 + 2) + (1 + 2) + tools_words


def test_a_request_without_images_or_tools_is_its_messages() -> None:
    counter = TiktokenCounter()
    request = ChatRequest(model="gpt-4o", messages=(Message("user", "hello world"),))
    assert extra_input_tokens(counter, request) == 0
    assert input_tokens(counter, request) == 3 + 1 + 2 + 3


def test_output_counts_text_and_tool_calls() -> None:
    counter = WordCounter()
    assert output_tokens(counter, "m", "") == 0
    assert output_tokens(counter, "m", "three little words") == 3
    two_calls = (ToolCall("a", "f", "x y"), ToolCall("b", "g", "z"))
    assert output_tokens(counter, "m", "ok", two_calls) == 1 + (1 + 2) + (1 + 1)


def test_server_usage_wins_over_the_estimate() -> None:
    server = Usage(input_tokens=12, output_tokens=3, cached_tokens=2)
    request = _vision_and_tools_request()
    assert reply_usage(WordCounter(), request, server, "long answer text") is server
    estimate = reply_usage(WordCounter(), request, None, "long answer text")
    assert estimate.estimated
    assert estimate.output_tokens == 3


def test_an_estimate_that_cannot_be_made_is_an_estimated_zero(
    caplog: pytest.LogCaptureFixture,
) -> None:
    request = PlainRequest("m", (Message("user", "hi"),))
    with pytest.raises(TokenizerError):
        estimate_usage(BrokenCounter(), request, "answer")
    assert reply_usage(BrokenCounter(), request, None, "answer") == Usage(estimated=True)
    assert "token estimate for m failed" in caplog.text


# --- the ledger row ---------------------------------------------------------------------------


@pytest.fixture
def accounting() -> Iterator[Accounting]:
    ledger = UsageLedger.in_memory()
    # $2 in, $8 out per million tokens: exact, and independent of the shipped price table.
    pricer = Pricer({"my-model": PriceOverride(Decimal(2), Decimal(8))})
    yield Accounting(ledger, pricer, session_id="s1")
    ledger.close()


PROFILE = ProviderProfile(id="openai", name="OpenAI")


def test_write_prices_and_stores_one_typed_record(accounting: Accounting) -> None:
    record = RequestRecord(
        profile=PROFILE,
        model="my-model",
        endpoint=Endpoint.CHAT,
        usage=Usage(input_tokens=1_000, output_tokens=500, estimated=True),
        status=RequestStatus.CANCELLED,
        latency_ms=812.5,
        conversation_id="c1",
        request_id="req_1",
    )
    entry = accounting.write(record)
    assert entry.cost == Decimal("0.006")  # 1000 × 2/1M + 500 × 8/1M
    (stored,) = accounting.ledger.recent()
    assert stored.usage == record.usage
    assert (stored.provider, stored.model, stored.endpoint) == ("OpenAI", "my-model", Endpoint.CHAT)
    assert (stored.status, stored.latency_ms) == (RequestStatus.CANCELLED, 812.5)
    assert (stored.session_id, stored.conversation_id, stored.request_id) == ("s1", "c1", "req_1")
    assert stored.cost == Decimal("0.006")
    assert accounting.conversation_totals("c1").usage.estimated


def test_the_deprecated_keyword_record_writes_the_same_row(accounting: Accounting) -> None:
    usage = Usage(input_tokens=10, output_tokens=20)
    typed = accounting.write(
        RequestRecord(PROFILE, "my-model", Endpoint.CHAT, usage, RequestStatus.OK, 5.0)
    )
    loose = accounting.record(
        profile=PROFILE,
        model="my-model",
        endpoint=Endpoint.CHAT,
        usage=usage,
        latency_ms=5.0,
        status=RequestStatus.OK,
    )
    assert [e.cost for e in (typed, loose)] == [Decimal("0.00018")] * 2
    newest, oldest = accounting.ledger.recent()
    assert (newest.usage, newest.latency_ms, newest.cost) == (
        oldest.usage,
        oldest.latency_ms,
        oldest.cost,
    )
