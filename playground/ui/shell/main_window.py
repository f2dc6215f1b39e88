"""The main window: one tab per endpoint, the menus, and a status bar with counters and connection state."""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass

from PySide6.QtCore import QByteArray, QEvent, QSize, Qt, Signal, SignalInstance
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QGuiApplication,
    QKeySequence,
    QScreen,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMainWindow,
    QMenu,
    QProgressBar,
    QTabWidget,
    QToolButton,
    QWidget,
)

from playground import APP_NAME
from playground.core.storage.window_state import UiSettings
from playground.ui.common.widgets import named
from playground.ui.shell.counters_bar import CountersBar
from playground.ui.shell.theme import app_icon, icon

log = logging.getLogger(__name__)

#: The window's size on a first start, and the least it may be made: both shrink to the screen
#: (150% text on a 1600×1000 screen leaves about 1066×640 logical pixels).
_DEFAULT_SIZE = (1180, 760)
_MINIMUM_SIZE = (720, 520)


@dataclass(frozen=True, slots=True)
class TabSpec:
    key: str
    title: str
    icon: str
    widget: QWidget


class MainWindow(QMainWindow):
    """The Playground window. Holds views only; the app controller wires them to services.

    Signals:
        settings_requested: File → Settings.
        refresh_models_requested: View → Refresh models (F5).
        theme_chosen: View → Appearance. arg: "system", "light" or "dark".
        about_requested: Help → About.
        guide_requested: Help → Getting started (F1).
        open_data_folder_requested: Help → Open data folder.
        retirements_requested: Help → Model retirements…, or the status-bar hint.
        closing: the window is about to close (save state now).
    """

    settings_requested = Signal()
    refresh_models_requested = Signal()
    theme_chosen = Signal(str)
    about_requested = Signal()
    guide_requested = Signal()
    open_data_folder_requested = Signal()
    retirements_requested = Signal()
    closing = Signal()

    def __init__(self, tabs: list[TabSpec], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(app_icon())
        self.resize(*_DEFAULT_SIZE)
        self.setMinimumSize(*_MINIMUM_SIZE)
        self._fitted_on_show = False

        self.tab_widget = _TabWidget()
        self.tab_widget.setObjectName("mainTabs")
        self.tab_widget.setDocumentMode(True)
        self._keys: list[str] = []
        self._specs: dict[str, TabSpec] = {}
        for spec in tabs:
            self.tab_widget.addTab(spec.widget, icon(spec.icon), spec.title)
            self._keys.append(spec.key)
            self._specs[spec.key] = spec
        self.setCentralWidget(self.tab_widget)

        self.counters = CountersBar()
        self.connection_label = named(
            QLabel("Not connected"), "connectionState", "Connection state"
        )
        self.busy_bar = QProgressBar()
        self.busy_bar.setObjectName("busyIndicator")
        self.busy_bar.setRange(0, 0)  # indeterminate: a request is running
        self.busy_bar.setMaximumWidth(90)
        self.busy_bar.setMaximumHeight(12)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setVisible(False)
        status = self.statusBar()
        status.setObjectName("statusBar")
        status.addWidget(self.counters, 1)
        # "2 models you use retire soon": hidden until something saved is due (set_retirement_hint)
        self.retirement_hint = named(
            QToolButton(), "retirementHint", "Models you use that retire soon"
        )
        self.retirement_hint.setAutoRaise(True)
        self.retirement_hint.setVisible(False)
        self.retirement_hint.clicked.connect(self.retirements_requested)
        status.addPermanentWidget(self.retirement_hint)
        status.addPermanentWidget(self.busy_bar)
        status.addPermanentWidget(self.connection_label)

        self._build_menus()
        self.fit_to_screen(QGuiApplication.primaryScreen())

    # --- menus ---------------------------------------------------------------------------------

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.settings_action = self._action(
            file_menu,
            "&Settings…",
            QKeySequence.StandardKey.Preferences,
            self.settings_requested,
            "settings",
        )
        self.settings_action.setShortcuts([QKeySequence("Ctrl+,")])
        file_menu.addSeparator()
        self.quit_action = self._action(file_menu, "&Quit", QKeySequence("Ctrl+Q"), None)
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)

        edit_menu = bar.addMenu("&Edit")
        edit_items: list[tuple[str, QKeySequence.StandardKey, str] | None] = [
            ("&Undo", QKeySequence.StandardKey.Undo, "undo"),
            ("&Redo", QKeySequence.StandardKey.Redo, "redo"),
            None,
            ("Cu&t", QKeySequence.StandardKey.Cut, "cut"),
            ("&Copy", QKeySequence.StandardKey.Copy, "copy"),
            ("&Paste", QKeySequence.StandardKey.Paste, "paste"),
            ("Select &All", QKeySequence.StandardKey.SelectAll, "selectAll"),
        ]
        for item in edit_items:
            if item is None:
                edit_menu.addSeparator()
                continue
            text, std_key, slot = item
            action = QAction(text, self)
            # Shown in the menu only: the focused editor handles the key itself.
            action.setShortcut(QKeySequence(std_key))
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            action.triggered.connect(lambda _=False, name=slot: self._edit(name))
            edit_menu.addAction(action)

        view_menu = bar.addMenu("&View")
        self.tab_actions: list[QAction] = []
        for i, key in enumerate(self._keys):
            spec = self._specs[key]
            action = QAction(icon(spec.icon), spec.title, self)
            action.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            action.setObjectName(f"showTab_{key}")
            action.triggered.connect(lambda _=False, k=key: self.show_tab(k))
            view_menu.addAction(action)
            self.addAction(action)
            self.tab_actions.append(action)
        view_menu.addSeparator()
        self.refresh_action = self._action(
            view_menu,
            "&Refresh models",
            QKeySequence("F5"),
            self.refresh_models_requested,
            "refresh",
        )
        appearance = QMenu("&Appearance", self)
        group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for value, label in (
            ("system", "Follow the &system"),
            ("light", "&Light"),
            ("dark", "&Dark"),
        ):
            action = QAction(label, self, checkable=True)
            action.triggered.connect(lambda _=False, v=value: self.theme_chosen.emit(v))
            group.addAction(action)
            appearance.addAction(action)
            self.theme_actions[value] = action
        view_menu.addMenu(appearance)

        help_menu = bar.addMenu("&Help")
        self.guide_action = self._action(
            help_menu, "&Getting started", QKeySequence("F1"), self.guide_requested
        )
        self.guide_action.setObjectName("gettingStartedAction")
        self._action(help_menu, "Open &data folder", None, self.open_data_folder_requested)
        self.retirements_action = self._action(
            help_menu, "Model &retirements…", None, self.retirements_requested
        )
        self.retirements_action.setObjectName("retirementsAction")
        help_menu.addSeparator()
        self.about_action = self._action(
            help_menu, f"&About {APP_NAME}", None, self.about_requested
        )
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)

    def _action(
        self,
        menu: QMenu,
        text: str,
        shortcut: QKeySequence | QKeySequence.StandardKey | None,
        signal: SignalInstance | None,
        icon_name: str = "",
    ) -> QAction:
        action = QAction(text, self)
        if icon_name:
            action.setIcon(icon(icon_name))
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if signal is not None:
            action.triggered.connect(lambda _=False, s=signal: s.emit())
        menu.addAction(action)
        self.addAction(action)
        return action

    def _edit(self, name: str) -> None:
        widget = QApplication.focusWidget()
        method = getattr(widget, name, None)
        if callable(method):
            method()

    # --- tabs ----------------------------------------------------------------------------------

    @property
    def tab_keys(self) -> list[str]:
        return list(self._keys)

    def current_tab_key(self) -> str:
        return self._keys[self.tab_widget.currentIndex()]

    def tab(self, key: str) -> QWidget:
        return self._specs[key].widget

    def show_tab(self, key: str) -> None:
        """Switches to `key` and puts the focus in that tab's main input."""
        if key not in self._specs:
            return
        widget = self._specs[key].widget
        self.tab_widget.setCurrentWidget(widget)
        self.main_input(key).setFocus(Qt.FocusReason.ShortcutFocusReason)

    def main_input(self, key: str) -> QWidget:
        """The input of tab `key` that Ctrl+<n> focuses, resolved now: a tab whose main input
        depends on what it shows (Audio's pages) answers with the visible one. A page whose tab is
        built later (`TabPage`) is asked through its adopted view."""
        widget = self._specs[key].widget
        view = getattr(widget, "view", None) or widget
        target = getattr(view, "main_input", None)
        if not isinstance(target, QWidget):
            target = getattr(widget, "main_input", widget)
        return target if isinstance(target, QWidget) else widget

    def refresh_icons(self) -> None:
        """Re-tints the icons after a palette change."""
        for i, key in enumerate(self._keys):
            self.tab_widget.setTabIcon(i, icon(self._specs[key].icon))
            self.tab_actions[i].setIcon(icon(self._specs[key].icon))
            refresh = getattr(self._specs[key].widget, "refresh_icons", None)
            if callable(refresh):
                refresh()
        self.refresh_action.setIcon(icon("refresh"))
        self.settings_action.setIcon(icon("settings"))

    # --- status ----------------------------------------------------------------------------------

    def set_connection_state(self, text: str, tooltip: str = "", ok: bool | None = None) -> None:
        color = {True: "#2e9d5b", False: "#d93025", None: "#9aa0a6"}[ok]
        self.connection_label.setText(f'<span style="color:{color}">●</span> {text}')
        self.connection_label.setToolTip(tooltip)

    def set_retirement_hint(self, text: str, tooltip: str = "") -> None:
        """The status-bar hint that opens the Retirements view; hidden when `text` is ""."""
        self.retirement_hint.setText(f"⚠ {text}" if text else "")
        self.retirement_hint.setToolTip(tooltip or "Open the list of models you use that retire")
        self.retirement_hint.setVisible(bool(text))

    def set_busy(self, busy: bool) -> None:
        self.busy_bar.setVisible(busy)

    def restore_layout(self, ui: UiSettings) -> None:
        """Puts the window where it was (within the screen it opens on), with the tab it showed and
        the theme menu checked."""
        if ui.geometry:
            try:
                self.restoreGeometry(QByteArray(base64.b64decode(ui.geometry)))
            except (ValueError, TypeError):
                log.warning("stored window geometry unreadable; using the default size")
        self.fit_to_screen()
        self.set_theme_checked(ui.theme)
        if ui.last_tab in self._specs:
            self.show_tab(ui.last_tab)

    def set_theme_checked(self, value: str) -> None:
        action = self.theme_actions.get(value)
        if action is not None:
            action.setChecked(True)

    def fit_to_screen(self, screen: QScreen | None = None) -> None:
        """Shrinks and moves the window into the available area of `screen` (the one it is on by
        default): a stored size from a larger screen, or the default size at a large text scale,
        never opens the window past the screen's edges."""
        fit_to_screen(self, QSize(*_MINIMUM_SIZE), screen)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._fitted_on_show:  # now the screen it opens on and its frame are known
            self._fitted_on_show = True
            self.fit_to_screen()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.closing.emit()
        super().closeEvent(event)


def fit_to_screen(
    window: QWidget, minimum: QSize | None = None, screen: QScreen | None = None
) -> None:
    """Shrinks and moves a top-level `window` (the main window, a dialog) into the available area
    of `screen` (the one it is on by default), frame included, and lowers its minimum size to what
    fits. A maximized or full-screen window is left alone. Call it once the window is shown (its
    frame and screen are known then; `MainWindow` does so in its first `showEvent`).

    Args:
        window: the window.
        minimum: the minimum size it wants where the screen allows (its current one by default).
        screen: the screen to fit.
    """
    screen = screen or window.screen() or QGuiApplication.primaryScreen()
    if screen is None or window.isMaximized() or window.isFullScreen():
        return
    area = screen.availableGeometry()
    if area.isEmpty():
        return
    frame = window.frameGeometry()
    # The title bar and borders the window manager adds (none before the first show).
    extra_w = max(frame.width() - window.width(), 0)
    extra_h = max(frame.height() - window.height(), 0)
    room = QSize(max(area.width() - extra_w, 1), max(area.height() - extra_h, 1))
    window.setMinimumSize((minimum or window.minimumSize()).boundedTo(room))
    size = window.size().boundedTo(room)
    if size != window.size():
        window.resize(size)
    frame = window.frameGeometry()
    x = min(max(frame.x(), area.left()), area.right() + 1 - frame.width())
    y = min(max(frame.y(), area.top()), area.bottom() + 1 - frame.height())
    x, y = max(x, area.left()), max(y, area.top())
    if (x, y) != (frame.x(), frame.y()):
        window.move(x, y)


class _TabWidget(QTabWidget):
    """The window's tabs, without a repaint of every page on each layout change inside one.

    A layout request reaching a `QTabWidget` makes it place its bar and pages again and then repaint
    itself whole, even when nothing moved. Any label whose text changes sends one up (its layout,
    the splitter, the page...), so "Streaming… 12 tokens" or a new status line repainted the whole
    Chat tab, 6-18 ms per frame (bench/overhead.py, "first token painted"). The request is passed
    on only when what the tabs' own layout depends on changed: the bar's size, the tabs' size and
    the minimum size the pages need (which the window's minimum size follows).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._laid_out: tuple[QSize, QSize, QSize, int] | None = None

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:
            state = (self.tabBar().sizeHint(), self.size(), self.minimumSizeHint(), self.count())
            if state == self._laid_out:
                return True
            self._laid_out = state
        return super().event(event)
