"""How a tab plugs into the window: a `Feature` (key, title, icon, builder) and the
`FeatureController` the builder returns. Every tab, Chat included, is a feature (the table is in
`ui/registry.py`); the app talks to each through the `FeatureController` hooks, and to Chat's few
extra commands through `ChatCommands`.

Tabs are built lazily: the window starts with a light page per feature and builds the real tab and
its controller the first time the tab is shown (or a test asks for it), so start-up pays only for
Chat, which the app builds right after the first frame. Whatever the app tells a feature before it
is built (the model list, settings) is kept and replayed when it is built.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

if TYPE_CHECKING:
    from playground.core.api.catalog import CatalogSnapshot
    from playground.core.storage.settings import Settings
    from playground.services import Services
    from playground.ui.common.chat_link import ChatLink
    from playground.ui.shell.bridge import TaskRunner
    from playground.ui.shell.counters import CountersController

CHAT = "chat"  # Chat's key: the first tab, built right after the first frame


@dataclass(frozen=True, slots=True)
class FeatureContext:
    """What a feature's builder gets: the shared services, the task runner, the window (parent for
    its controller and dialogs), the status-bar counters, what it may know of Chat (`chat`), a
    way to bring a tab to the front (`show_tab`, by key), `open_starter` to open a shipped starter's
    test suite in Prompt Lab (by the starter's id) and `open_conversation` to open a stored
    conversation in Chat (by id)."""

    services: Services
    runner: TaskRunner
    window: QWidget
    counters: CountersController
    chat_link: Callable[[], ChatLink]
    show_tab: Callable[[str], None] = lambda _key: None
    open_starter: Callable[[str], None] = lambda _starter_id: None
    open_conversation: Callable[[str], None] = lambda _conversation_id: None
    compare_models: Callable[[list[str]], str] = lambda _models: "Compare is not available."
    """Shows Compare with one column per model; returns what to tell the user ("" when set)."""

    @property
    def chat(self) -> ChatLink:
        """Chat's link (Chat is built before any other tab asks for it)."""
        return self.chat_link()


class FeatureController(QObject):
    """Base for a tab's controller. Override what the tab needs; every hook has a safe default.

    `view` is the tab widget. `busy_groups` are the TaskRunner groups whose work lights the
    window's busy indicator.

    Signals:
        refresh_models_requested: the tab asked for a fresh model list.
    """

    busy_groups: tuple[str, ...] = ()
    refresh_models_requested = Signal()

    def __init__(self, view: QWidget, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view

    def show_models(self, snapshot: CatalogSnapshot | None) -> None:
        """The provider's model list arrived (or the cached one at start; None when there is none)."""

    def apply_settings(self, settings: Settings) -> None:
        """Settings changed (provider, price overrides, ...)."""

    def restore_state(self, state: dict[str, Any]) -> None:
        """The tab's saved state (`Settings.tabs[key]`), once, right after building."""

    def save_state(self) -> dict[str, Any]:
        """The tab's state to keep until the next start (JSON-able)."""
        return {}

    def shutdown(self) -> None:
        """The window is closing: stop players, recorders and timers."""

    def open_starter(self, starter_id: str) -> None:
        """Open a shipped starter (`core/starters.py`; Prompt Lab opens its test suite)."""


@runtime_checkable
class ChatCommands(Protocol):
    """What only Chat offers the window and the other tabs, besides the `FeatureController` hooks."""

    def link(self) -> ChatLink:
        """Chat's settings for Compare and Prompt Lab (`ui/common/chat_link.py`)."""
        ...

    def new_conversation(self) -> None: ...

    def open_conversation(self, conversation_id: str) -> None: ...

    def export_conversation(self, kind: str) -> None:
        """Save the open conversation; `kind` is "markdown" or "json"."""
        ...

    def copy_last_answer(self) -> None: ...

    def save_preset(self, name: str) -> None: ...

    def show_code(self) -> None: ...


Builder = Callable[[FeatureContext], FeatureController]
StartHook = Callable[[FeatureContext, dict[str, Any], Callable[[], bool]], object]
"""Work a feature does from start-up before its tab is built (the Platform tab follows running
jobs): gets the context, the tab's saved state and "is the tab built now?"."""


@dataclass(frozen=True, slots=True)
class Feature:
    """A tab: its key, title, icon and builder. `section`: the `Settings` field that keeps its
    state (Chat's typed `ChatSettings`, older than `Settings.tabs`); "" keeps it in
    `Settings.tabs[key]`. `eager`: built at start-up (`FeatureHost.start`), not when first shown.
    `at_start`: called at start-up instead, for a tab that is built later (see `StartHook`)."""

    key: str
    title: str
    icon: str
    build: Builder
    section: str = ""
    eager: bool = False
    at_start: StartHook | None = None


class TabPage(QWidget):
    """A page of the main window that its real tab is built into later (`adopt`), so the window can
    be shown before any tab is built."""

    def __init__(self, key: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"{key}Page")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.main_input: QWidget = self
        self.view: QWidget | None = None  # the adopted tab

    def adopt(self, view: QWidget) -> None:
        self._layout.addWidget(view)  # parented first: showing it can never open a window
        view.show()  # children added to a visible page are not shown on their own
        self.view = view
        self.main_input = getattr(view, "main_input", view)


class LazyTab(TabPage):
    """The page the window holds for a feature until the real tab is built into it."""

    def __init__(self, feature: Feature, parent: QWidget | None = None) -> None:
        super().__init__(feature.key, parent)
        self.feature = feature


class FeatureHost(QObject):
    """Builds feature tabs when first shown and relays the app's news to the built ones.

    Signals:
        refresh_models_requested: a tab asked for a fresh model list.
    """

    refresh_models_requested = Signal()

    def __init__(
        self,
        pages: list[LazyTab],
        context: FeatureContext,
        settings: Callable[[], Settings],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.pages = {page.feature.key: page for page in pages}
        self.context = context
        self._settings = settings
        self.started: dict[str, FeatureController] = {}  # built at start-up (Chat)
        self.controllers: dict[str, FeatureController] = {}  # built when first shown
        self._snapshot: CatalogSnapshot | None = None
        self._have_snapshot = False

    def start(self) -> None:
        """Builds the tabs that are built at start-up (Chat), right after the first frame."""
        for key, page in self.pages.items():
            if page.feature.eager:
                self.controller(key)
            elif page.feature.at_start is not None:
                state = _state_of(self._settings(), page.feature)
                page.feature.at_start(self.context, state, functools.partial(self._is_built, key))

    def _is_built(self, key: str) -> bool:
        return key in self.built()

    def built(self) -> dict[str, FeatureController]:
        """Every built tab's controller, by key, in build order."""
        return {**self.started, **self.controllers}

    def controller(self, key: str) -> FeatureController:
        """The feature's controller, building its tab now if it is not built yet."""
        built = self.built().get(key)
        if built is not None:
            return built
        page = self.pages[key]
        controller = page.feature.build(self.context)
        (self.started if page.feature.eager else self.controllers)[key] = controller
        page.adopt(controller.view)
        controller.refresh_models_requested.connect(self.refresh_models_requested)
        controller.restore_state(_state_of(self._settings(), page.feature))
        if self._have_snapshot:
            controller.show_models(self._snapshot)
        return controller

    def chat(self) -> ChatCommands:
        """Chat's controller (built now if it is not yet)."""
        controller = self.controller(CHAT)
        if not isinstance(controller, ChatCommands):
            raise TypeError(f"the {CHAT!r} feature does not offer ChatCommands")
        return controller

    def ensure_built(self, widget: QWidget | None) -> None:
        if isinstance(widget, LazyTab) and widget.feature.key in self.pages:
            self.controller(widget.feature.key)

    def show_models(self, snapshot: CatalogSnapshot | None) -> None:
        self._snapshot, self._have_snapshot = snapshot, True
        for controller in self.built().values():
            controller.show_models(snapshot)

    def apply_settings(self, settings: Settings) -> None:
        for controller in self.built().values():
            controller.apply_settings(settings)
        self.context.counters.budgets.refresh()  # the budgets may have changed

    def busy_groups(self) -> tuple[str, ...]:
        return tuple(g for c in self.built().values() for g in c.busy_groups)

    def saved_settings(self, settings: Settings) -> Settings:
        """`settings` with every feature's state: fresh from the built ones, kept as it was for the
        others."""
        tabs = dict(settings.tabs)
        sections: dict[str, Any] = {}
        for key, controller in self.built().items():
            state = controller.save_state()
            section = self.pages[key].feature.section
            if section:
                sections[section] = dataclasses.replace(getattr(settings, section), **state)
            else:
                tabs[key] = state
        return settings.replace(tabs=tabs, **sections)

    def shutdown(self) -> None:
        for controller in self.built().values():
            controller.shutdown()


def _state_of(settings: Settings, feature: Feature) -> dict[str, Any]:
    """A feature's saved state: its `Settings` section as a dict, or `Settings.tabs[key]`."""
    if feature.section:
        return dataclasses.asdict(getattr(settings, feature.section))
    return dict(settings.tabs.get(feature.key, {}))
