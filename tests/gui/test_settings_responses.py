"""Test connection finds the Responses API on a compatible server (issue 21); the server's new
conversations then use it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from playground.core.models import ProviderKind, ProviderProfile
from playground.core.storage.settings import ChatSettings, Settings
from playground.ui.common.chat_params import API_CHAT_COMPLETIONS, API_RESPONSES
from tests.conftest import AppHarness
from tests.fakes.openai_server import FakeOpenAI

pytestmark = pytest.mark.gui


def _local(fake_openai: FakeOpenAI) -> Settings:
    profile = ProviderProfile(
        id="local",
        name="Local server",
        kind=ProviderKind.COMPATIBLE,
        base_url=fake_openai.base_url,
        key_required=False,
        max_retries=0,
    )
    return Settings(
        profiles=(profile,),
        active_profile="local",
        chat=ChatSettings(model="gpt-4o-mini"),
        first_run_done=True,
    )


def _test_connection(app: AppHarness, wait_until: Any) -> Any:
    dialog = app.controller.open_settings()
    dialog.test_button.click()
    wait_until(lambda: dialog.test_button.isEnabled())
    return dialog


def test_a_compatible_server_with_responses_makes_it_the_default(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, wait_until: Any
) -> None:
    app = make_app(key=None, settings=_local(fake_openai))
    assert app.chat_tab.api() == API_CHAT_COMPLETIONS
    dialog = _test_connection(app, wait_until)
    assert "models available" in dialog.test_result.text()
    assert "also speaks the Responses API" in dialog.test_result.text()
    (probe,) = [r for r in fake_openai.requests_to("/responses") if r.method == "POST"]
    assert "input" not in (probe.json or {})  # the probe asks for nothing to be generated
    dialog.buttons.accepted.emit()
    wait_until(lambda: app.controller.settings_dialog is None)
    assert app.controller.settings.profiles[0].responses_api
    app.chat.new_conversation()
    assert app.chat_tab.api() == API_RESPONSES
    wait_until(lambda: not app.runner.is_busy("models"))


def test_a_server_without_responses_stays_on_chat_completions(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, wait_until: Any
) -> None:
    app = make_app(key=None, settings=_local(fake_openai))
    fake_openai.fail_next(
        404, message="Unexpected endpoint or method. (POST /v1/responses)", code="not_found",
        path="/responses",
    )  # fmt: skip
    dialog = _test_connection(app, wait_until)
    assert "Chat Completions only" in dialog.test_result.text()
    dialog.buttons.accepted.emit()
    wait_until(lambda: app.controller.settings_dialog is None)
    assert not app.controller.settings.profiles[0].responses_api
    app.chat.new_conversation()
    assert app.chat_tab.api() == API_CHAT_COMPLETIONS
    wait_until(lambda: not app.runner.is_busy("models"))
