"""The countdown owns the changing part of a 429's hint (issue 20, item 11)."""

from __future__ import annotations

from typing import Any

from playground.core.api.errors import AppError, ErrorKind, retry_hint
from playground.ui.common.countdown import Countdown


def _rate_limit(seconds: float) -> AppError:
    return AppError(
        ErrorKind.RATE_LIMIT,
        "Rate limit reached",
        "Too many requests or tokens for now (429). Rate limit reached for requests.",
        retry_hint(seconds),
        status=429,
        retry_after=seconds,
    )


def test_the_sentence_counts_down_and_never_shows_a_stale_wait(qtbot: Any) -> None:
    countdown = Countdown()
    texts: list[str] = []
    countdown.text_changed.connect(texts.append)
    countdown.start_for(_rate_limit(2.2))  # rounded up: never "try again" before the server allows
    assert countdown.left == 3
    countdown.tick()
    countdown.tick()
    countdown.tick()
    assert [t.rsplit(". ", 1)[1] for t in texts] == [
        "Try again in 3 seconds.",
        "Try again in 2 seconds.",
        "Try again in 1 second.",
        "You can try again now.",
    ]
    assert texts[0].startswith("Too many requests")
    assert countdown.hint() == "You can try again now."
    assert "second" not in countdown.text()


def test_stop_says_the_wait_is_over(qtbot: Any) -> None:
    countdown = Countdown()
    texts: list[str] = []
    countdown.text_changed.connect(texts.append)
    countdown.start_for(_rate_limit(5))
    countdown.stop()
    assert texts[-1].endswith("You can try again now.")


def test_a_plain_start_forgets_the_error(qtbot: Any) -> None:
    countdown = Countdown()
    texts: list[str] = []
    countdown.start_for(_rate_limit(5))
    countdown.text_changed.connect(texts.append)
    countdown.start(4)
    countdown.tick()
    assert texts == []
    assert countdown.text() == ""
    assert countdown.left == 3
