"""The main window with its tabs and controllers, built from the typed `Services`.

`app.run_app` shows the bare shell first (`build_shell`) and fills it after the first frame
(`fill_window`); tests, `--self-test` and `--screenshot` build both at once (`build_window`). The tab
list itself lives in `ui/registry.py`; each tab's registration module builds its own view,
services and controller.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playground.services import Services
    from playground.ui.registry import LazyTab
    from playground.ui.shell.app_controller import AppController
    from playground.ui.shell.bridge import TaskRunner
    from playground.ui.shell.counters import CountersController
    from playground.ui.shell.main_window import MainWindow


def build_shell() -> tuple[MainWindow, list[LazyTab]]:
    """The main window with its menus, status bar and one empty page per tab, before any service
    or tab exists; returns (window, pages). `run_app` shows it at once and fills it after the first
    frame (`fill_window`), so the window appears as fast as an empty one."""
    from playground.ui.registry import LazyTab, all_features
    from playground.ui.shell.main_window import MainWindow, TabSpec

    pages = [LazyTab(feature) for feature in all_features()]
    tabs = [TabSpec(p.feature.key, p.feature.title, p.feature.icon, p) for p in pages]
    return MainWindow(tabs), pages


def fill_window(
    window: MainWindow, pages: list[LazyTab], services: Services, runner: TaskRunner
) -> AppController:
    """Wires the app controller into a window from `build_shell` and builds the Chat tab (the
    other tabs are built when first shown); returns the app controller."""
    from playground.ui.common.feature import FeatureContext, FeatureHost
    from playground.ui.shell.app_controller import AppController
    from playground.ui.shell.counters import CountersController
    from playground.ui.shell.retirements import RetirementsController

    counters = CountersController(
        window.counters, services.counter, services.accounting, runner, window
    )
    host = FeatureHost(
        pages,
        FeatureContext(
            services,
            runner,
            window,
            counters,
            chat_link=lambda: host.chat().link(),
            show_tab=window.show_tab,
            open_starter=lambda starter_id: open_starter(starter_id),
            open_conversation=lambda conversation_id: _open_in_chat(conversation_id),
            compare_models=lambda models: _compare_models(models),
        ),
        lambda: controller.settings,
        window,
    )

    def open_starter(starter_id: str) -> None:
        host.controller("lab").open_starter(starter_id)
        window.show_tab("lab")

    controller = AppController(
        window,
        services.settings_store,
        services.session,
        services.catalog,
        runner,
        host,
        pricer=services.pricer,
        data_dir=str(services.paths.data_dir),
        about_extra=lambda: [
            ("Keyring", services.secrets.backend_name),
            ("Data folder", str(services.paths.data_dir)),
        ],
        parent=window,
        environ=services.environ,
    )

    def _compare_models(models: list[str]) -> str:
        from playground.ui.shell.retirements import CompareHook

        window.show_tab("compare")
        compare = host.controller("compare")
        if not isinstance(compare, CompareHook):
            return "Compare is not available."
        return compare.compare_models(models, "", "", None)

    def _open_in_chat(conversation_id: str) -> None:
        host.chat().open_conversation(conversation_id)
        window.show_tab("chat")

    controller.today = services.today
    controller.set_retirements(
        RetirementsController(
            services.presets,
            services.history,
            runner,
            services.today,
            controller.retirement_hooks(),
            parent=controller,
        )
    )
    # The status bar's draft estimate is the current tab's (Chat's only on Chat).
    window.tab_widget.currentChanged.connect(
        lambda _index: counters.set_current_tab(window.current_tab_key())
    )
    counters.set_current_tab(window.current_tab_key())
    counters.budgets.set_window(window)

    def keep_settings(settings: Any) -> None:  # "Allow for the rest of today" outlasts a restart
        controller.settings = settings
        controller.store.save(settings)

    counters.budgets.set_settings_source(lambda: controller.settings, keep_settings)
    window.counters.usage_requested.connect(lambda: window.show_tab("usage"))
    host.start()  # Chat is built now, right after the first frame; the others when first shown
    _watch_ledger(window, services, counters)
    return controller


def _watch_ledger(window: MainWindow, services: Services, counters: CountersController) -> None:
    """A damaged usage ledger, found at start or on a later read, is explained in the window with
    an offer to move the file aside; usage is counted in memory meanwhile."""
    from playground.core.money.ledger import LedgerDamagedError, UsageLedger
    from playground.ui.shell.ledger_repair import offer_to_move_aside

    offered = False

    def _install(ledger: UsageLedger) -> None:
        services.replace_ledger(ledger)
        counters.refresh_totals()

    def _offer() -> None:
        nonlocal offered
        if offered:
            return
        offered = True
        offer_to_move_aside(window, services.paths.database_file, lambda: services.ledger, _install)

    def _on_failed(error: Exception) -> None:
        if isinstance(error, LedgerDamagedError) and services.ledger.persistent:
            # Damaged while in use: count in memory from now on, then ask.
            services.replace_ledger(UsageLedger.in_memory())
            services.damaged_ledger = services.paths.database_file
            counters.refresh_totals()
            _offer()

    counters.ledger_failed.connect(_on_failed)
    if services.damaged_ledger is not None:
        _offer()


def build_window(services: Services, runner: TaskRunner) -> tuple[MainWindow, AppController]:
    """Builds the main window with every tab and its controllers; returns (window, app controller)."""
    window, pages = build_shell()
    return window, fill_window(window, pages, services, runner)
