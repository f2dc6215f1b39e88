"""`core.chat.context`: what a request sends when the conversation outgrows the window."""

from __future__ import annotations

from playground.core.chat.context import (
    SUMMARY_NAME,
    fit,
    input_budget,
    is_summary,
    left_out,
    summary_note,
    summary_request_messages,
)
from playground.core.models import Message, ToolCall

TURNS = [
    Message("user", "one"),
    Message("assistant", "", tool_calls=(ToolCall("c1", "f", "{}"),)),
    Message("tool", "result", tool_call_id="c1"),
    Message("assistant", "A1"),
    Message("user", "two"),
    Message("assistant", "A2"),
    Message("user", "three"),
]
SIZES = [100] * len(TURNS)


def test_everything_fits_or_the_window_is_unknown() -> None:
    assert fit(TURNS, SIZES, 50, 10_000).left_out == ()
    shaped = fit(TURNS, SIZES, 50, None)
    assert shaped.fits
    assert shaped.kept == tuple(range(len(TURNS)))


def test_the_oldest_exchanges_go_whole_and_the_newest_stays() -> None:
    shaped = fit(TURNS, SIZES, 50, 400)
    # The first exchange (a call and its result with it) goes at once: no orphan tool result.
    assert shaped.left_out == (0, 1, 2, 3)
    assert shaped.kept == (4, 5, 6)
    assert shaped.tokens == 350
    assert shaped.fits
    hopeless = fit(TURNS, SIZES, 50, 120)
    assert hopeless.kept == (6,)  # the new message always stays
    assert not hopeless.fits
    asked = fit(TURNS, SIZES, 50, 400, drop=False)
    assert asked.left_out == ()
    assert not asked.fits


def test_pinned_turns_stay() -> None:
    shaped = fit(TURNS, SIZES, 0, 400, pinned={0})
    assert 0 in shaped.kept
    assert shaped.left_out == (1, 2, 3)


def test_a_summary_note_replaces_every_turn_before_it() -> None:
    note = summary_note("They talked about tides.")
    assert is_summary(note)
    assert note.name == SUMMARY_NAME
    assert note.content.startswith("Summary of the earlier conversation:")
    turns = [*TURNS[:4], note, *TURNS[4:]]
    assert left_out(turns) == (0, 1, 2, 3)
    shaped = fit(turns, [100] * len(turns), 0, 10_000)
    assert shaped.kept == (4, 5, 6, 7)


def test_the_summary_request_holds_the_transcript() -> None:
    system, user = summary_request_messages(TURNS[:4])
    assert system.role == "system"
    assert "Summarise" in system.content
    assert "User: one" in user.content
    assert "[called f({})]" in user.content
    assert "Tool result: result" in user.content


def test_input_budget() -> None:
    assert input_budget(8_192, 7_000) == 1_192
    assert input_budget(8_192, None) == 8_192
    assert input_budget(None, 100) is None
