"""Rate limits live (issue 18, item 4): every reply's x-ratelimit-* headers reach the status bar
and its gauges; a server that sends none shows no gauge (not a zero); a 429 says which limit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt

from tests.conftest import AppHarness, WaitUntil
from tests.fakes.openai_server import FakeOpenAI
from tests.gui.drivers import chat_idle, send_in_chat
from tests.gui.test_usage import chatted


def _counters(app: AppHarness) -> Any:
    return app.controller.features.context.counters


def test_gauges_show_what_the_server_reported_after_a_reply(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: WaitUntil
) -> None:
    app = make_app()
    bar = app.window.counters
    assert not bar.limits_label.isVisibleTo(bar)
    app.chat_tab.set_api("chat.completions")
    send_in_chat(app, qtbot, "Hello")
    wait_until(chat_idle(app))
    wait_until(lambda: bar.limits_label.isVisibleTo(bar))
    limits = _counters(app).rate_limits.get("gpt-4o-mini")
    assert limits is not None
    assert limits.requests.limit == fake_openai.scenario.ratelimit_requests
    left = limits.requests.remaining
    assert left < limits.requests.limit
    assert bar.limits_label.text().startswith(f"Left this minute: {left:,} req · ")

    qtbot.mouseClick(bar.limits_label, Qt.MouseButton.LeftButton)
    popup = _counters(app).limits_popup
    wait_until(lambda: popup.isVisible())
    gauge, reset = popup.gauges.gauges[("gpt-4o-mini", "requests")]
    assert gauge.maximum() == fake_openai.scenario.ratelimit_requests
    assert gauge.value() in (left, limits.requests.limit)  # the 12 ms window may have passed
    assert reset.text() in ("Full", "Full again in under a second")
    assert ("gpt-4o-mini", "tokens") in popup.gauges.gauges
    popup.close()


def test_a_server_without_rate_limit_headers_shows_no_gauge(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: WaitUntil
) -> None:
    fake_openai.scenario.ratelimit_headers = False
    app = make_app()
    app.chat_tab.set_api("chat.completions")
    send_in_chat(app, qtbot, "Hello")
    wait_until(lambda: len(fake_openai.requests_to("/chat/completions")) == 1)
    wait_until(chat_idle(app))
    assert _counters(app).rate_limits.latest() is None
    assert not app.window.counters.limits_label.isVisibleTo(app.window.counters)


def test_a_429_says_which_limit_was_hit(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: WaitUntil
) -> None:
    fake_openai.rate_limit(retry_after=30, kind="tokens")
    app = make_app()
    app.chat_tab.set_api("chat.completions")
    send_in_chat(app, qtbot, "Hello")
    wait_until(lambda: _counters(app).rate_limits.latest() is not None)
    limits = _counters(app).rate_limits.latest()
    assert limits.tokens is not None
    assert limits.tokens.remaining == 0
    assert limits.tokens.reset_s > 0
    assert app.window.counters.limits_label.text().endswith(" · 0 tok")


def test_the_responses_api_reports_its_headers_too(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: WaitUntil
) -> None:
    app = chatted(make_app, qtbot, wait_until, api="responses")
    wait_until(lambda: _counters(app).rate_limits.get("gpt-4o-mini") is not None)


def test_the_usage_page_has_the_gauges_too(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: WaitUntil
) -> None:
    app = chatted(make_app, qtbot, wait_until)
    app.window.show_tab("usage")
    usage = app.feature("usage")
    tables = usage.view.tables
    tables.setCurrentWidget(usage.gauges)
    assert tables.tabText(tables.currentIndex()) == "Rate limits"
    wait_until(lambda: ("gpt-4o-mini", "requests") in usage.gauges.gauges)
    bar, _reset = usage.gauges.gauges[("gpt-4o-mini", "requests")]
    assert bar.maximum() == fake_openai.scenario.ratelimit_requests
    assert not usage.gauges.empty_label.isVisible()


def test_prompt_lab_paces_a_run_by_the_requests_left_instead_of_running_into_429s(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: WaitUntil
) -> None:
    """Three requests per 0.4 s window, eight cells, four at once: without pacing the burst gets
    429s (tests/unit/test_ratelimits.py shows the fake refusing one); with it none."""
    from playground.core.lab.suite import CellStatus, TestCase
    from tests.gui.drivers import opener
    from tests.gui.test_lab import LabTab

    fake_openai.scenario.ratelimit_requests = 3
    fake_openai.scenario.ratelimit_window_s = 0.4
    lab = opener(LabTab, make_app, qtbot, wait_until)()
    lab.view.concurrency_spin.setValue(4)
    lab.set_up([TestCase({"country": f"Country {i}"}) for i in range(8)])
    lab.run()
    assert fake_openai.window_rejections == 0
    assert len(fake_openai.requests_to("/chat/completions")) == 8
    results = lab.controller.run.results.values()
    assert [r.status for r in results] == [CellStatus.OK] * 8


def test_compare_paces_its_samples_by_the_requests_left_instead_of_running_into_429s(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: WaitUntil
) -> None:
    """Three requests per 0.4 s window; two columns of the same model, three samples each: six
    requests that Compare would send a few at once. Paced by the headers, none is refused."""
    fake_openai.scenario.ratelimit_requests = 3
    fake_openai.scenario.ratelimit_window_s = 0.4
    app = make_app()
    app.window.show_tab("compare")
    app.controller.refresh_models()
    compare = app.feature("compare")
    view = compare.view
    wait_until(lambda: view.columns[0].model_combo.count() > 0)
    view.columns_spin.setValue(2)
    for column in view.active_columns():
        column.model_combo.setCurrentText("gpt-4o-mini")
    view.samples_spin.setValue(3)
    view.input_edit.setPlainText("Name a colour")
    qtbot.mouseClick(view.run_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: not app.runner.is_busy("compare"), timeout=30)
    assert len(fake_openai.requests_to("/responses")) == 6
    assert fake_openai.window_rejections == 0
    for column in view.active_columns():
        assert len(column.texts()) == 3
        assert all(column.texts())


def test_prompt_lab_paces_a_run_by_the_tokens_left_too(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, qtbot: Any, wait_until: WaitUntil
) -> None:
    """Plenty of requests but 2,500 tokens per 0.4 s window, and each cell may write 1,000
    tokens: about two cells fit in a window. Paced by the tokens left, none is refused."""
    from playground.core.lab.suite import CellStatus, TestCase
    from tests.gui.drivers import opener
    from tests.gui.test_lab import LabTab

    fake_openai.scenario.ratelimit_requests = 100
    fake_openai.scenario.ratelimit_tokens = 2500
    fake_openai.scenario.ratelimit_window_s = 0.4
    lab = opener(LabTab, make_app, qtbot, wait_until)()
    lab.view.concurrency_spin.setValue(4)
    view = lab.set_up([TestCase({"country": f"Country {i}"}) for i in range(6)])
    view.variants.rows[0].params.set_fields({"model": "gpt-4o-mini", "max_output_tokens": 1000})
    lab.run()
    assert fake_openai.window_rejections == 0
    sent = fake_openai.requests_to("/chat/completions")
    assert len(sent) == 6
    assert all(
        (r.json or {}).get("max_completion_tokens", (r.json or {}).get("max_tokens")) == 1000
        for r in sent
    )
    results = lab.controller.run.results.values()
    assert [r.status for r in results] == [CellStatus.OK] * 6
