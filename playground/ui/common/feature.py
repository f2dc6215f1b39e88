"""How a tab beyond Chat plugs into the window: a `Feature` (key, title, icon, builder) and the
`FeatureController` the builder returns.

Tabs are built lazily: the window starts with a light page per feature and builds the real tab and
its controller the first time the tab is shown (or a test asks for it), so start-up pays only for
Chat. Whatever the app tells a feature before it is built (the model list, settings) is kept and
replayed when it is built.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QVBoxLayout, QWidget

if TYPE_CHECKING:
    from playground.core.api.catalog import CatalogSnapshot
    from playground.core.storage.settings import Settings
    from playground.services import Services
    from playground.ui.common.chat_link import ChatLink
    from playground.ui.shell.bridge import TaskRunner
    from playground.ui.shell.counters import CountersController


@dataclass(frozen=True, slots=True)
class FeatureContext:
    """What a feature's builder gets: the shared services, the task runner, the window (parent for
    its controller and dialogs), the status-bar counters and what it may know of Chat."""

    services: Services
    runner: TaskRunner
    window: QWidget
    counters: CountersController
    chat: ChatLink


class FeatureController(QObject):
    """Base for a tab's controller. Override what the tab needs; every hook has a safe default.

    `view` is the tab widget. `busy_groups` are the TaskRunner groups whose work lights the
    window's busy indicator.
    """

    busy_groups: tuple[str, ...] = ()

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

    def fill_sample(self) -> None:
        """`--screenshot`: fill the tab with sample content, without the network, so the picture
        shows what the tab is for."""

    def extra_screens(self) -> list[tuple[str, QWidget]]:
        """`--screenshot`: further (name, widget) pictures after `fill_sample` (a dialog, another
        view of the tab); each is grabbed as `<tab>-<name>-<theme>.png`."""
        return []


Builder = Callable[[FeatureContext], FeatureController]


@dataclass(frozen=True, slots=True)
class Feature:
    key: str
    title: str
    icon: str
    build: Builder


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
    """Builds feature tabs when first shown and relays the app's news to the built ones."""

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
        self.controllers: dict[str, FeatureController] = {}
        self._snapshot: CatalogSnapshot | None = None
        self._have_snapshot = False

    def controller(self, key: str) -> FeatureController:
        """The feature's controller, building its tab now if it is not built yet."""
        built = self.controllers.get(key)
        if built is not None:
            return built
        page = self.pages[key]
        controller = page.feature.build(self.context)
        self.controllers[key] = controller
        page.adopt(controller.view)
        controller.restore_state(dict(self._settings().tabs.get(key, {})))
        if self._have_snapshot:
            controller.show_models(self._snapshot)
        return controller

    def ensure_built(self, widget: QWidget | None) -> None:
        if isinstance(widget, LazyTab) and widget.feature.key in self.pages:
            self.controller(widget.feature.key)

    def show_models(self, snapshot: CatalogSnapshot | None) -> None:
        self._snapshot, self._have_snapshot = snapshot, True
        for controller in self.controllers.values():
            controller.show_models(snapshot)

    def apply_settings(self, settings: Settings) -> None:
        for controller in self.controllers.values():
            controller.apply_settings(settings)

    def busy_groups(self) -> tuple[str, ...]:
        return tuple(g for c in self.controllers.values() for g in c.busy_groups)

    def saved_states(self, previous: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Every feature's state: fresh from the built ones, kept as it was for the others."""
        states = dict(previous)
        for key, controller in self.controllers.items():
            states[key] = controller.save_state()
        return states

    def shutdown(self) -> None:
        for controller in self.controllers.values():
            controller.shutdown()
