"""`core.chat.server_state`: which stored answer a "Keep on OpenAI" request continues from."""

from __future__ import annotations

from playground.core.chat.server_state import (
    KeptResponse,
    chain_key,
    kept_response,
    previous_response,
)
from playground.core.models import Message, ToolCall

SYSTEM = Message("system", "Be brief.")
TURNS = [Message("user", "One"), Message("assistant", "A1"), Message("user", "Two")]


def test_continues_from_the_last_answer_while_what_it_saw_is_unchanged() -> None:
    kept = kept_response("resp_1", TURNS[:1], TURNS[1])
    assert kept == KeptResponse("resp_1", chain_key(TURNS[:2]))
    assert previous_response([SYSTEM, *TURNS], {1: kept}) == "resp_1"
    # The system prompt is sent every time (as instructions): changing it changes nothing.
    assert previous_response([Message("system", "Be long."), *TURNS], {1: kept}) == "resp_1"


def test_an_edited_earlier_turn_or_an_unkept_answer_sends_everything() -> None:
    kept = {1: KeptResponse("resp_1", chain_key(TURNS[:2]))}
    edited = [Message("user", "One, edited"), *TURNS[1:]]
    assert previous_response(edited, kept) is None
    assert previous_response(TURNS, {}) is None  # the answer was not kept on OpenAI
    assert previous_response(TURNS[:1], kept) is None  # nothing answered yet
    assert kept_response(None, TURNS[:1], TURNS[1]) is None


def test_the_digest_sees_tool_calls_and_roles() -> None:
    call = Message("assistant", "", tool_calls=(ToolCall("c1", "f", "{}"),))
    other = Message("assistant", "", tool_calls=(ToolCall("c1", "f", '{"x": 1}'),))
    assert chain_key([TURNS[0], call]) != chain_key([TURNS[0], other])
    assert chain_key([Message("user", "A1")]) != chain_key([Message("assistant", "A1")])
