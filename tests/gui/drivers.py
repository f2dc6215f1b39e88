"""Drivers for the GUI tests of one feature tab each (Audio, Moderation, Embeddings, Prompt Lab).

A driver holds a running app (`tests.conftest.AppHarness`) with pytest-qt's bot and the
`wait_until` loop runner, and names the few steps that a tab's tests take again and again
("choose a file, click Transcribe, wait until it has ended"), so that each test reads as what it
checks. Subclasses in the test modules name their tab (`key`), get it ready (`prepare`) and add
those steps; a module's fixture returns `opener(Driver, ...)`, which starts an app and hands it
back in a prepared driver.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from PySide6.QtCore import Qt

from tests.conftest import AppHarness, WaitUntil


@dataclass
class TabDriver:
    """A running app, and the bot and loop runner that drive it. `key` names the tab."""

    key: ClassVar[str]
    app: AppHarness
    qtbot: Any
    wait_until: WaitUntil

    def prepare(self) -> None:
        """Gets the app ready for the tab's tests (shows the tab); run once, by `opener`."""

    @property
    def feature(self) -> Any:
        """The tab's feature controller (built on first use)."""
        return self.app.feature(self.key)

    @property
    def view(self) -> Any:
        """The tab's widget."""
        return self.feature.view

    def click(self, widget: Any) -> None:
        """A left click in the middle of `widget`, as a user would make it."""
        self.qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)

    def wait_idle(self, *groups: str, timeout: float | None = None) -> None:
        """Runs the loop until none of the task runner's `groups` has a task left (failing after
        `timeout` s, `wait_until`'s own bound when None)."""
        runner = self.app.runner
        bound = {} if timeout is None else {"timeout": timeout}
        self.wait_until(lambda: not any(runner.is_busy(group) for group in groups), **bound)

    def meanwhile(
        self, condition: Callable[[], bool], action: Callable[[], object], until: Callable[[], bool]
    ) -> None:
        """`meanwhile` below, with this driver's loop runner."""
        meanwhile(self.wait_until, condition, action, until)


def meanwhile(
    wait_until: WaitUntil,
    condition: Callable[[], bool],
    action: Callable[[], object],
    until: Callable[[], bool],
) -> None:
    """Runs the loop until `condition`, does `action` right there, and runs on until `until`.

    Mid-run checks and clicks happen inside one wait: qasync processes pending Qt events once
    more after a wait ends, outside the asyncio loop, which a request in flight cannot survive
    (a harness detail; the app's loop never stops).
    """
    done = False

    def check() -> bool:
        nonlocal done
        if not done and condition():
            action()
            done = True
        return done and until()

    wait_until(check)


D = TypeVar("D", bound=TabDriver)


def opener(
    driver: type[D], make_app: Callable[..., AppHarness], qtbot: Any, wait_until: WaitUntil
) -> Callable[..., D]:
    """A function that starts an app (with `make_app`'s keywords, e.g. `home=` for a restart)
    and returns it in a prepared `driver`."""

    def _open(**kwargs: Any) -> D:
        tab = driver(make_app(**kwargs), qtbot, wait_until)
        tab.prepare()
        return tab

    return _open


# --- the Chat tab (its tests drive the harness directly) --------------------------------------------


def send_in_chat(app: AppHarness, qtbot: Any, text: str) -> None:
    """Puts `text` in the Chat input and clicks Send."""
    tab = app.chat_tab
    tab.input_edit.setPlainText(text)
    qtbot.mouseClick(tab.send_button, Qt.MouseButton.LeftButton)


def chat_idle(app: AppHarness) -> Callable[[], bool]:
    """A condition for `wait_until`: no chat request is under way."""
    return lambda: not app.runner.is_busy("chat")
