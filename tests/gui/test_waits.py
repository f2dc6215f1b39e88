"""Waits the user can see (issue 20, items 10 and 12): how long a request has waited, each retry as
it is announced, and no money counted for a request that produced nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playground.core.api.errors import AppError, ErrorKind
from playground.core.api.retry import RetryWait
from playground.core.models import ProviderProfile, RequestStatus
from playground.core.storage.settings import ChatSettings, Settings
from playground.ui.common.wait_line import WAITING, WaitLine
from tests.conftest import AppHarness
from tests.fakes.openai_server import DEFAULT_REPLY, FakeOpenAI
from tests.gui.drivers import chat_idle, send_in_chat

LIMITED = AppError(ErrorKind.RATE_LIMIT, "Rate limit reached", "Too many requests.", retry_after=3)


def test_the_wait_line_counts_the_wait_and_each_retry(qtbot: Any) -> None:
    line = WaitLine()
    shown: list[str] = []
    line.text_changed.connect(shown.append)
    line.start()
    assert shown == [WAITING]
    started = line._started
    assert line.text(now=started + 1) == WAITING  # a normal wait shows no counter
    assert line.text(now=started + 12) == f"{WAITING} 12 s"
    line.retrying(RetryWait(2, 3, 3.0, LIMITED))
    assert shown[-1] == "Rate limit reached: retrying in 3 s (attempt 2 of 3)."
    ends = line._retry_ends
    assert line.text(now=ends - 1.2) == "Rate limit reached: retrying in 1 s (attempt 2 of 3)."
    assert line.text(now=ends + 5) == f"{WAITING} (attempt 2 of 3)"
    line.tick()
    assert len(shown) == 3
    line.stop()
    assert not line.active


def test_chat_shows_the_retry_and_then_the_answer(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    profile = ProviderProfile(
        id="openai", name="OpenAI", base_url=fake_openai.base_url, max_retries=1
    )
    settings = Settings(
        profiles=(profile,), chat=ChatSettings(model="gpt-4o-mini"), first_run_done=True
    )
    fake_openai.rate_limit(retry_after=0.05, path="/chat/completions")
    app = make_app(settings=settings)
    app.chat_tab.set_api("chat.completions")  # the Chat Completions wire format
    shown: list[str] = []
    app.chat.sending.wait_line.text_changed.connect(shown.append)
    send_in_chat(app, qtbot, "Hello")
    wait_until(chat_idle(app))
    assert any("retrying" in s and "(attempt 2 of 2)" in s for s in shown), shown
    assert DEFAULT_REPLY in app.chat_tab.conversation.plain_text()
    assert len(fake_openai.requests_to("/chat/completions")) == 2  # the app retried, the SDK not


def test_a_request_that_never_reached_a_model_costs_nothing(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: Any
) -> None:
    app = make_app()
    for fault in (
        lambda: fake_openai.fail_next(401),
        lambda: fake_openai.rate_limit(retry_after=7),
    ):
        fault()
        send_in_chat(app, qtbot, "Hello")
        wait_until(chat_idle(app))
    rows = app.services.ledger.recent()[:2]
    assert [r.status for r in rows] == [RequestStatus.ERROR, RequestStatus.ERROR]
    assert [r.cost for r in rows] == [0, 0]
    assert app.services.accounting.today_totals().cost == 0
