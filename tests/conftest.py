"""Shared fixtures: Qt offscreen, the fake OpenAI server, a qasync loop per test, and a built app.

One way of running asyncio under Qt is used in every GUI test: a qasync loop per test, driven with
`wait_until` (which runs the loop until a condition holds, or fails after a generous timeout). Core
tests are plain `async def` tests under pytest-asyncio and never touch Qt.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncio
import gc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.fakes.openai_server import FakeOpenAI

if TYPE_CHECKING:
    from playground.core.models import ProviderProfile

TODAY = date(2026, 12, 7)
"""The day the app's tests live on: retirement dates are judged against it, not the clock."""

TEST_KEY = "sk-test-Playground0123456789abcdefXYZ"


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def fake_profile(fake_openai: FakeOpenAI) -> ProviderProfile:
    """The one OpenAI profile, on the fake server, that a test's own `Settings` name."""
    from playground.core.models import ProviderProfile

    return ProviderProfile(id="openai", name="OpenAI", base_url=fake_openai.base_url, max_retries=0)


@pytest.fixture
def qloop(qapp: Any) -> Iterator[asyncio.AbstractEventLoop]:
    from playground.ui.shell.bridge import close_loop, install_loop

    loop = install_loop(qapp)
    yield loop
    close_loop(loop)  # without closing: "QThread: Destroyed while thread is still running"
    # Collect the closed loop's Qt objects (timers, signallers) here, on the GUI thread. Left to the
    # cyclic collector they may be freed in a worker thread, where Qt warns and can crash.
    gc.collect()


WaitUntil = Callable[..., None]


@pytest.fixture
def wait_until(qloop: asyncio.AbstractEventLoop) -> WaitUntil:
    """Runs the Qt/asyncio loop until `predicate()` is true; fails with `message` after `timeout` s.

    The timeout only bounds a hang: nothing is asserted about how long the wait took.
    """

    def _wait(predicate: Callable[[], object], timeout: float = 15.0, message: str = "") -> None:
        async def _poll() -> None:
            while not predicate():  # noqa: ASYNC110 (widget state has no event to await)
                await asyncio.sleep(0.002)

        try:
            qloop.run_until_complete(asyncio.wait_for(_poll(), timeout))
        except TimeoutError:
            pytest.fail(message or f"condition not met within {timeout} s")

    return _wait


@dataclass
class Parts:
    """The core services, a task runner and the status-bar counters, without any window: what a
    tab's controller is built from in a test of the controller alone."""

    services: Any
    runner: Any
    counters: Any
    home: Path


MakeParts = Callable[..., Parts]


@pytest.fixture
def make_parts(
    qtbot: Any, qloop: asyncio.AbstractEventLoop, fake_openai: FakeOpenAI, tmp_path: Path
) -> Iterator[MakeParts]:
    """`make_parts(settings=None)`: services on a throw-away home talking to the fake server (one
    OpenAI profile unless `settings` names others), closed when the test ends."""
    from playground.core.api.secrets import MemorySecretStore
    from playground.core.models import ProviderProfile
    from playground.core.storage.paths import AppPaths
    from playground.core.storage.settings import MemorySettingsStore, Settings
    from playground.services import build_services
    from playground.ui.shell.bridge import TaskRunner
    from playground.ui.shell.counters import CountersController
    from playground.ui.shell.counters_bar import CountersBar

    made: list[Parts] = []

    def _make(settings: Settings | None = None) -> Parts:
        if settings is None:
            profile = ProviderProfile(
                id="openai", name="OpenAI", base_url=fake_openai.base_url, max_retries=0
            )
            settings = Settings(profiles=(profile,), first_run_done=True)
        secrets = MemorySecretStore()
        secrets.set("openai", TEST_KEY)
        services = build_services(
            AppPaths.under(tmp_path / "home"),
            secrets=secrets,
            environ={},
            settings_store=MemorySettingsStore(settings),
            today=lambda: TODAY,
        )
        runner = TaskRunner()
        bar = CountersBar()
        qtbot.addWidget(bar)
        counters = CountersController(bar, services.counter, services.accounting, runner)
        made.append(Parts(services, runner, counters, tmp_path))
        return made[-1]

    yield _make
    for parts in made:
        qloop.run_until_complete(parts.runner.shutdown())
        qloop.run_until_complete(parts.services.session.aclose())
        parts.services.close()
        parts.runner.deleteLater()


@pytest.fixture
def parts(make_parts: MakeParts) -> Parts:
    """`make_parts()` with the default settings."""
    return make_parts()


@dataclass
class AppHarness:
    """A fully wired app (window, controllers, services) talking to the fake server."""

    window: Any
    controller: Any
    services: Any
    runner: Any
    home: Path

    @property
    def chat(self) -> Any:
        return self.controller.chat

    @property
    def chat_tab(self) -> Any:
        return self.controller.chat.view

    def feature(self, key: str) -> Any:
        """The controller of a feature tab ("images", "audio", ...), building the tab if needed;
        its widget is `.view`."""
        return self.controller.features.controller(key)


@pytest.fixture
def make_app(
    qtbot: Any, qloop: asyncio.AbstractEventLoop, fake_openai: FakeOpenAI, tmp_path: Path
) -> Iterator[Callable[..., AppHarness]]:
    from PySide6.QtWidgets import QApplication

    from playground.core.api.secrets import MemorySecretStore
    from playground.core.models import ProviderProfile
    from playground.core.storage.paths import AppPaths
    from playground.core.storage.settings import ChatSettings, JsonSettingsStore, Settings
    from playground.services import build_services
    from playground.ui.shell.bridge import TaskRunner
    from playground.window import build_window

    made: list[AppHarness] = []

    def _today() -> date:
        return TODAY

    def _make(
        *,
        key: str | None = TEST_KEY,
        environ: dict[str, str] | None = None,
        settings: Settings | None = None,
        model: str = "gpt-4o-mini",
        home: Path | None = None,
        secrets: Any = None,
    ) -> AppHarness:
        """`secrets`: the keyring to use (a fresh `MemorySecretStore` holding `key` by default)."""
        home = home or tmp_path / "home"
        paths = AppPaths.under(home)
        store = JsonSettingsStore(paths.settings_file)
        if settings is None and not paths.settings_file.exists():
            profile = ProviderProfile(
                id="openai", name="OpenAI", base_url=fake_openai.base_url, max_retries=0
            )
            settings = Settings(
                profiles=(profile,), chat=ChatSettings(model=model), first_run_done=True
            )
        if settings is not None:
            store.save(settings)
        secrets = secrets if secrets is not None else MemorySecretStore()
        if key:
            secrets.set("openai", key)
        services = build_services(
            paths, secrets=secrets, environ=environ or {}, settings_store=store, today=_today
        )
        runner = TaskRunner()
        window, controller = build_window(services, runner)
        qtbot.addWidget(window)
        controller.restore()
        window.show()
        qtbot.waitExposed(window)
        window.windowHandle().requestActivate()  # window shortcuts (Ctrl+1, Esc) need an active window
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
        harness = AppHarness(window, controller, services, runner, home)
        made.append(harness)
        return harness

    yield _make
    from PySide6.QtCore import QCoreApplication, QEvent

    for h in made:
        qloop.run_until_complete(h.runner.shutdown())
        qloop.run_until_complete(h.services.session.aclose())
        h.services.close()
        h.runner.deleteLater()  # pytest-qt closes and deletes the window itself
    # Delete now, while Python is fully alive, not at interpreter shutdown.
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
