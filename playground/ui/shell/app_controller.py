"""The app-level controller: window state, the model list, the connection state and the dialogs.

It talks to every tab, Chat included, through the `FeatureHost` and the `FeatureController` hooks
(models, settings, saved state, shutdown). Keyring reads and writes run in a worker thread through
the `TaskRunner`; the Settings dialog is updated when they finish.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from playground.core.api.catalog import CatalogSnapshot, ModelCatalog
from playground.core.api.errors import AppError
from playground.core.api.imports import prepare_for_requests
from playground.core.api.providers import new_profile, preset_by_key
from playground.core.api.retirements import DataAge, price_data_age, retirement_data_age
from playground.core.api.secrets import SecretStoreError, mask_key
from playground.core.api.session import ApiSession
from playground.core.chat.probe import serves_responses
from playground.core.models import ProviderKind, ProviderProfile
from playground.core.storage.settings import Settings, SettingsStore
from playground.core.storage.window_state import UiSettings
from playground.ui.common.chat_link import ChatSettings as ChatLinkSettings
from playground.ui.common.feature import FeatureHost
from playground.ui.shell.about import AboutDialog
from playground.ui.shell.bridge import TaskRunner
from playground.ui.shell.first_run import FirstRunDialog
from playground.ui.shell.guide import GettingStartedWindow
from playground.ui.shell.main_window import MainWindow
from playground.ui.shell.retirements import (
    RetirementHooks,
    RetirementsController,
    RetirementsDialog,
)
from playground.ui.shell.settings_dialog import SettingsDialog
from playground.ui.shell.theme import apply_theme

if TYPE_CHECKING:
    from playground.core.api.providers import Connection
    from playground.core.money.pricing import Pricer

log = logging.getLogger(__name__)

KEYRING_GROUP = "keyring"
CHAT_KEY = "chat"

#: Why the key dialog comes back on a later start when there is no keyring.
SESSION_KEY_GONE = (
    "This computer has no keyring, so the key you gave last time was kept for that session only "
    "and is gone now. Paste it again to continue; it is kept in memory until you quit, never in a "
    "file."
)


class AppController(QObject):
    """Wires the main window to settings, the keyring, the model catalog and the tabs."""

    def __init__(
        self,
        window: MainWindow,
        store: SettingsStore,
        session: ApiSession,
        catalog: ModelCatalog,
        runner: TaskRunner,
        features: FeatureHost,
        pricer: Pricer | None = None,
        data_dir: str = "",
        about_extra: Callable[[], list[tuple[str, str]]] | None = None,
        parent: QObject | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.window = window
        self.store = store
        self.session = session
        self.catalog = catalog
        self.runner = runner
        self.features = features
        self.pricer = pricer
        self.data_dir = data_dir
        self._about_extra = about_extra or list
        self.environ: Mapping[str, str] = environ if environ is not None else {}
        self.settings = store.load()
        self.settings_dialog: SettingsDialog | None = None
        self._prepared = False  # prepare_for_requests has run (before the first refresh)
        self._preparing = False
        self.first_run_dialog: FirstRunDialog | None = None
        self.guide: GettingStartedWindow | None = None
        # The Retirements view (Help → Model retirements…); window.py gives the controller.
        self.retirements: RetirementsController | None = None
        self.retirements_dialog: RetirementsDialog | None = None
        # What day it is (window.py gives Services.today) and how old the shipped data is.
        self.today: Callable[[], date] = date.today
        self.data_ages: list[DataAge] | None = None

        window.settings_requested.connect(self.open_settings)
        window.refresh_models_requested.connect(self.refresh_models)
        window.theme_chosen.connect(self._on_theme_chosen)
        window.about_requested.connect(self._on_about)
        window.guide_requested.connect(self.open_guide)
        window.open_data_folder_requested.connect(self._on_open_data_folder)
        window.retirements_requested.connect(self.open_retirements)
        window.closing.connect(self._on_closing)
        features.refresh_models_requested.connect(self.refresh_models)
        window.tab_widget.currentChanged.connect(
            lambda index: features.ensure_built(window.tab_widget.widget(index))
        )
        # The status bar's busy bar follows the tasks a moment later (the next turn of the event
        # loop): showing it lays the status bar out again (~0.6 ms), which would otherwise come
        # between the Send click and the request going out.
        self._busy_timer = QTimer(self)
        self._busy_timer.setSingleShot(True)
        self._busy_timer.setInterval(0)
        self._busy_timer.timeout.connect(self._show_busy)
        runner.busy_changed.connect(self._on_busy_changed)
        runner.failed.connect(self._on_task_failed)

    @property
    def chat(self) -> Any:
        """The Chat tab's controller, for `--screenshot`'s Chat sample and the benchmarks (they
        use its view, conversation and commands); the app itself uses `features`."""
        return self.features.chat()

    # --- start ---------------------------------------------------------------------------------

    def restore(self) -> None:
        """Restores geometry (unless the window is already up) and the last tab, shows the cached
        models. Each tab restores its own state when it is built (Chat's in `fill_window`)."""
        if not self.window.isVisible():
            self.window.restore_layout(self.settings.ui)
        elif self.settings.ui.last_tab in self.window.tab_keys:
            self.window.show_tab(self.settings.ui.last_tab)
        # a last tab shown before the features were wired
        self.features.ensure_built(self.window.tab_widget.currentWidget())
        self._show_models(self.catalog.cached(self.session.profile.id))
        self.update_connection_state()

    def start(self, *, allow_first_run: bool = True) -> None:
        """After the window is shown: the first-run dialog if needed, then a model refresh.

        Without a keyring the key pasted on an earlier start is gone: the dialog asks for it again,
        saying why, instead of letting the first request fail with "No API key"."""
        if self._has_key():
            self.refresh_models()
        elif allow_first_run and not self.settings.first_run_done:
            self.run_first_run()
        elif allow_first_run and not self.session.secrets.persistent:
            self.run_first_run(reason=SESSION_KEY_GONE)

    def _has_key(self) -> bool:
        conn = self.session.connection()
        return bool(conn.api_key) or not self.session.profile.key_required

    def run_first_run(self, reason: str = "") -> FirstRunDialog:
        """Opens the welcome dialog (window-modal, non-blocking); its answer is applied when it
        closes. `reason`: why it is shown on a later start ("" on the first one)."""
        dialog = FirstRunDialog(self.session.secrets.notice, self.window, reason=reason)
        self.first_run_dialog = dialog
        dialog.finished.connect(lambda _code: self._on_first_run_finished(dialog))
        dialog.open()
        return dialog

    def _on_first_run_finished(self, dialog: FirstRunDialog) -> None:
        self.first_run_dialog = None
        dialog.deleteLater()
        choice = dialog.choice()
        settings = self.settings.replace(first_run_done=True)
        if choice.preset and CHAT_KEY in self.window.tab_keys:
            # The next action is typing the question: the cursor waits in Chat's input.
            self.window.show_tab(CHAT_KEY)
        if choice.preset in ("ollama", "lmstudio"):
            profile = new_profile(
                preset_by_key(choice.preset), existing_ids=[p.id for p in settings.profiles]
            )
            settings = settings.replace(
                profiles=(*settings.profiles, profile), active_profile=profile.id
            )
        elif choice.preset == "openai" and choice.api_key:
            profile_id = self.session.profile.id

            def _saved(outcome: _KeyOutcome) -> None:
                if outcome.problem:
                    QMessageBox.warning(self.window, "Key not saved", outcome.problem)
                self.session.invalidate()
                self._apply_settings(settings)
                self.refresh_models()

            self._keyring_call(self._store_key, profile_id, choice.api_key, then=_saved)
            return
        self._apply_settings(settings)
        if self._has_key():
            self.refresh_models()

    # --- models and connection -----------------------------------------------------------------

    def refresh_models(self) -> None:
        profile = self.session.profile
        if not self._prepared:
            self._prepare_then(self.refresh_models)
            return
        try:
            client = self.session.client()
        except Exception as exc:  # no key: say so in the status bar, not in a dialog
            self.update_connection_state(error=str(exc))
            return
        self.window.set_connection_state(f"{profile.name} · connecting…", ok=None)
        self.runner.start(
            self.catalog.refresh(client, profile.id),
            group="models",
            on_result=self._on_models,
            on_error=self._on_models_failed,
        )

    def _prepare_then(self, then: Callable[[], None]) -> None:
        """Loads the SDK and the Markdown renderer in a worker thread (`prepare_for_requests`), then
        calls `then` on the GUI thread. Only the first request of a run waits for it."""
        if self._preparing:
            return  # a second refresh click while loading: the first one's refresh follows
        self._preparing = True
        profile = self.session.profile
        self.window.set_connection_state(f"{profile.name} · connecting…", ok=None)

        def _loaded(_result: object = None) -> None:
            self._prepared, self._preparing = True, False
            then()

        def _failed(error: AppError) -> None:  # the request itself will say what is wrong
            log.warning("loading the SDK failed: %s", error.message)
            _loaded()

        # In the "models" group: whoever waits for the model list waits for this too.
        self.runner.start(self._prepare(), group="models", on_result=_loaded, on_error=_failed)

    async def _prepare(self) -> None:
        """`prepare_for_requests` in a worker thread, once per run."""
        if not self._prepared:
            await self.runner.run_blocking(prepare_for_requests)
            self._prepared = True

    def _on_models(self, snapshot: CatalogSnapshot) -> None:
        self._show_models(snapshot)
        self.update_connection_state(models=len(snapshot.models))

    def _on_models_failed(self, error: AppError) -> None:
        self.update_connection_state(error=f"{error.title}: {error.message} {error.hint}")

    def _show_models(self, snapshot: CatalogSnapshot | None) -> None:
        self.features.show_models(snapshot)
        # The status-bar hint, when the list dates any model (no dates: nothing to look for).
        dated = snapshot is not None and any(m.shutdown_date for m in snapshot.models)
        if self.retirements is not None and dated:
            self.retirements.refresh()

    # --- the Retirements view ------------------------------------------------------------------

    def retirement_hooks(self) -> RetirementHooks:
        """How the Retirements view reaches the model list and the tabs (never importing one)."""
        return RetirementHooks(
            snapshot=lambda: self.catalog.cached(self.session.profile.id),
            tab_states=lambda: self.features.saved_settings(self.settings).tabs,
            apply_tab_state=self._apply_tab_state,
            compare=lambda: self._shown_tab("compare"),
            lab=lambda: self._shown_tab("lab"),
            conversation_changed=self._reopen_if_open,
        )

    def _reopen_if_open(self, conversation_id: str, model: str) -> None:
        """Chat's picker follows a switched conversation when it is the open one."""
        if self.features.saved_settings(self.settings).chat.conversation_id != conversation_id:
            return
        link = self.features.chat().link()
        shown = link.chat_settings()
        link.use_in_chat(ChatLinkSettings(model, shown.system, shown.fields))

    def set_retirements(self, controller: RetirementsController) -> None:
        self.retirements = controller
        controller.uses_changed.connect(
            lambda _uses: self.window.set_retirement_hint(*controller.hint())
        )

    def open_retirements(self) -> RetirementsDialog | None:
        """Help → Model retirements… (or the status-bar hint): the view, listed afresh."""
        if self.retirements is None:
            return None
        if self.retirements_dialog is None:
            self.retirements_dialog = RetirementsDialog(self.window)
            self.retirements.attach(self.retirements_dialog)
        dialog = self.retirements_dialog
        if dialog.isVisible():
            self.retirements.refresh()
        dialog.show()  # lists afresh when shown
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def _shown_tab(self, key: str) -> object | None:
        if key not in self.window.tab_keys:
            return None
        self.window.show_tab(key)
        return self.features.controller(key)

    def _apply_tab_state(self, key: str, state: dict[str, Any]) -> bool:
        """A tab's saved state replaced (a switch to a replacement model, or its Undo); False
        when the tab is busy and was left alone."""
        controller = self.features.controller(key)
        if any(self.runner.is_busy(group) for group in controller.busy_groups):
            return False
        controller.restore_state(state)
        controller.show_models(self.catalog.cached(self.session.profile.id))
        self.settings = self.settings.replace(tabs={**self.settings.tabs, key: state})
        return True

    def update_connection_state(
        self, *, models: int | None = None, error: str = "", conn: Connection | None = None
    ) -> None:
        """The status bar's connection line; `conn` when it was just resolved (in a worker)."""
        profile = self.session.profile
        conn = conn or self.session.connection()
        key_text = {
            "keyring": f"key in {self.session.secrets.backend_name}",
            "session": "key for this session only",
            "environment": "key from environment",
            "not needed": "no key needed",
            "none": "no key",
        }.get(conn.key_source, conn.key_source)
        tip_lines = [
            f"Provider: {profile.name}",
            f"Server: {_server_text(conn)}",
            f"API key: {key_text}",
        ]
        if self.session.secrets.notice:
            tip_lines.append(self.session.secrets.notice)
        if error:
            self.window.set_connection_state(
                f"{profile.name} · {_short(error)}", "\n".join([*tip_lines, error]), ok=False
            )
        elif models is not None:
            self.window.set_connection_state(
                f"{profile.name} · {models} models", "\n".join(tip_lines), ok=True
            )
        elif conn.key_source == "none" and profile.key_required:
            self.window.set_connection_state(
                f"{profile.name} · no API key", "Open File → Settings to add a key.", ok=False
            )
        else:
            suffix = " (session only)" if conn.key_source == "session" else ""
            self.window.set_connection_state(
                f"{profile.name}{suffix}", "\n".join(tip_lines), ok=None
            )

    def _on_busy_changed(self, _group: str, _busy: bool) -> None:
        self._busy_timer.start()

    def _show_busy(self) -> None:
        groups = ("models", *self.features.busy_groups())
        self.window.set_busy(any(self.runner.is_busy(g) for g in groups))

    # --- settings ------------------------------------------------------------------------------

    def open_settings(self) -> SettingsDialog:
        """Opens Settings (window-modal, non-blocking); OK applies and saves the edited settings."""
        if self.settings_dialog is not None:
            self.settings_dialog.raise_()
            return self.settings_dialog
        dialog = SettingsDialog(self.settings, self.window, environ=self.environ)
        self.settings_dialog = dialog
        if self.data_ages is not None:
            dialog.set_data_ages(self.data_ages)
        else:
            self.load_data_ages()
        dialog.key_status_requested.connect(self._on_key_status_requested)
        dialog.key_save_requested.connect(self._on_key_save_requested)
        dialog.key_delete_requested.connect(self._on_key_delete_requested)
        dialog.test_requested.connect(self._on_test_requested)
        dialog.prices_update_requested.connect(lambda: self._on_update_prices(dialog))
        dialog.finished.connect(lambda code: self._on_settings_finished(dialog, code))
        dialog.destroyed.connect(lambda: self._forget_dialog(dialog))
        current = dialog.current_profile()
        if current is not None:
            dialog.set_key_status(current.id, "Reading the keyring…")
            self._on_key_status_requested(current.id)
        dialog.open()
        return dialog

    def _on_update_prices(self, dialog: SettingsDialog) -> None:
        """Settings → Prices → "Update prices now": genai-prices' updater, in a worker."""
        from playground.core.money.price_update import ENV_URL, default_url, update_prices

        if self.pricer is None:
            return
        url = self.environ.get(ENV_URL) or default_url()
        dialog.show_price_data("Downloading the newest prices…", busy=True)

        def done(update: Any) -> None:
            self.data_ages = None  # About and Settings read the new data's age again
            self.load_data_ages()
            if self.settings_dialog is dialog:
                dialog.show_price_data(
                    f"Prices updated: {update.models:,} models of {update.providers} providers. "
                    f"Before: {update.before}. Now: {update.after}."
                )

        def failed(error: AppError) -> None:
            if self.settings_dialog is dialog:
                dialog.show_price_data(error.message, error=True)

        self.runner.start_blocking(
            update_prices, url, self.pricer, group="prices", on_result=done, on_error=failed
        )

    def _forget_dialog(self, dialog: SettingsDialog) -> None:
        """A keyring call ending after its dialog is gone updates nothing."""
        if self.settings_dialog is dialog:
            self.settings_dialog = None

    def _on_settings_finished(self, dialog: SettingsDialog, code: int) -> None:
        self.settings_dialog = None
        dialog.deleteLater()
        if code == QDialog.DialogCode.Accepted.value:
            self._apply_settings(dialog.result_settings())
            self.refresh_models()
        else:  # keys saved or deleted while the dialog was open still count
            self.update_connection_state()

    def _apply_settings(self, settings: Settings) -> None:
        self.settings = settings
        self.session.set_settings(settings)
        self._save(settings)
        self.session.invalidate()
        if self.pricer is not None:
            self.pricer.set_overrides(settings.price_overrides)
        self.features.apply_settings(settings)
        self.update_connection_state()

    def key_status_text(self, profile_id: str) -> str:
        secrets = self.session.secrets
        profile = next((p for p in self.settings.profiles if p.id == profile_id), None)
        stored = None
        try:
            stored = secrets.get(profile_id)
        except SecretStoreError as exc:
            return f"The keyring could not be read: {exc}"
        if stored:
            where = secrets.backend_name if secrets.persistent else "memory, for this session only"
            text = f"Stored: <b>{mask_key(stored)}</b> in {where}."
        elif profile is not None:
            conn = self.session.connection(profile)
            if conn.key_source == "environment" and conn.api_key:
                text = (
                    f"Using <b>{mask_key(conn.api_key)}</b> from the environment (OPENAI_API_KEY)."
                )
            elif not profile.key_required:
                text = "This server needs no key (you may still store one)."
            else:
                text = "No key stored yet."
        else:
            text = "No key stored yet."
        if secrets.notice:
            text += f"<br><i>{secrets.notice}</i>"
        return text

    # The keyring is read and written in a worker thread (a D-Bus round trip each, and a locked
    # keyring may wait for the user): the dialog's key line is updated when the call ends.

    def _keyring_call(
        self, fn: Callable[..., _KeyOutcome], *args: str, then: Callable[[_KeyOutcome], None]
    ) -> None:
        def _failed(error: AppError) -> None:  # an unexpected failure: say it, plainly
            then(_KeyOutcome(problem=f"{error.title}: {error.message}"))

        self.runner.start_blocking(fn, *args, group=KEYRING_GROUP, on_result=then, on_error=_failed)

    def _key_status(self, profile_id: str) -> _KeyOutcome:
        """In a worker: the dialog's key line for `profile_id`."""
        return _KeyOutcome(status=self.key_status_text(profile_id))

    def _store_key(self, profile_id: str, key: str) -> _KeyOutcome:
        """In a worker: stores the key, then reads back the key line and the connection."""
        try:
            self.session.secrets.set(profile_id, key)
        except SecretStoreError as exc:
            return _KeyOutcome(problem=str(exc))
        return self._after_key_change(profile_id)

    def _delete_key(self, profile_id: str) -> _KeyOutcome:
        """In a worker: deletes the key, then reads back the key line and the connection."""
        try:
            self.session.secrets.delete(profile_id)
        except SecretStoreError as exc:
            return _KeyOutcome(problem=str(exc))
        return self._after_key_change(profile_id)

    def _after_key_change(self, profile_id: str) -> _KeyOutcome:
        return _KeyOutcome(
            status=self.key_status_text(profile_id), connection=self.session.connection()
        )

    def _show_key_outcome(self, profile_id: str, outcome: _KeyOutcome) -> None:
        if outcome.connection is not None:  # the key changed: the next request uses the new one
            self.session.invalidate()
            self.update_connection_state(conn=outcome.connection)
        if self.settings_dialog is not None:
            self.settings_dialog.set_key_status(profile_id, outcome.problem or outcome.status)

    def _on_key_status_requested(self, profile_id: str) -> None:
        self._keyring_call(
            self._key_status,
            profile_id,
            then=lambda outcome: self._show_key_outcome(profile_id, outcome),
        )

    def _on_key_save_requested(self, profile_id: str, key: str) -> None:
        self._keyring_call(
            self._store_key,
            profile_id,
            key,
            then=lambda outcome: self._show_key_outcome(profile_id, outcome),
        )

    def _on_key_delete_requested(self, profile_id: str) -> None:
        self._keyring_call(
            self._delete_key,
            profile_id,
            then=lambda outcome: self._show_key_outcome(profile_id, outcome),
        )

    def _on_test_requested(self, profile: ProviderProfile, typed_key: str) -> None:
        dialog = self.settings_dialog

        async def _test() -> tuple[int, bool | None]:
            await self._prepare()
            client = self.session.client_for(profile, api_key=typed_key or None)
            try:
                models = [m.id async for m in await client.models.list()]
                # A compatible server may also speak the Responses API (LM Studio does).
                found = None
                if profile.kind is ProviderKind.COMPATIBLE and models:
                    found = await serves_responses(client, models[0])
                return len(models), found
            finally:
                await client.close()

        def _ok(outcome: tuple[int, bool | None]) -> None:
            count, found = outcome
            if dialog is not None:
                text = f"Connected: {count} models available."
                if found is not None:
                    dialog.set_responses_found(found)
                    text += (
                        " It also speaks the Responses API: new chats use it."
                        if found
                        else " It speaks Chat Completions only."
                    )
                dialog.show_test_result(True, text)

        def _failed(error: AppError) -> None:
            if dialog is not None:
                dialog.show_test_result(False, f"{error.title}. {error.message} {error.hint}")

        self.runner.start(_test(), group="test-connection", on_result=_ok, on_error=_failed)

    # --- window ---------------------------------------------------------------------------------

    def _on_theme_chosen(self, value: str) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, value)
            self.window.refresh_icons()
        self._apply_settings(self.settings.replace(ui=_replace_ui(self.settings.ui, theme=value)))

    def _on_closing(self) -> None:
        self.save_window_state()
        self.features.shutdown()

    def save_window_state(self) -> None:
        geometry = base64.b64encode(bytes(self.window.saveGeometry().data())).decode("ascii")
        settings = self.features.saved_settings(
            self.settings.replace(
                ui=_replace_ui(
                    self.settings.ui, geometry=geometry, last_tab=self.window.current_tab_key()
                )
            )
        )
        self.settings = settings
        self.session.set_settings(settings)
        self._save(settings)

    def _save(self, settings: Settings) -> None:
        try:
            self.store.save(settings)
        except OSError as exc:
            log.error("could not save settings: %s", exc)
            QMessageBox.warning(
                self.window,
                "Settings not saved",
                f"Your settings could not be saved ({exc}). They last until you quit.",
            )

    def _on_task_failed(self, error: AppError) -> None:
        """A background task failed and nothing else showed it: say so, details one click away."""
        text = f"{error.message}\n\n{error.hint}".strip()
        box = QMessageBox(QMessageBox.Icon.Warning, error.title, text, parent=self.window)
        box.setDetailedText(error.details)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def about_extra(self) -> list[tuple[str, str]]:
        """The About box's extra rows (keyring, data folder, the price and retirement data with
        their dates), read when shown."""
        ages = self.data_ages
        if ages is None:  # not read yet: the price table's version, the retirement table's date
            info = self.pricer.data_info() if self.pricer is not None else "unknown"
            ages = [
                DataAge("Price data", None, info),
                retirement_data_age(),
            ]
        return [*self._about_extra(), *((a.name, a.text) for a in ages)]

    def load_data_ages(self, then: Callable[[], object] | None = None) -> None:
        """Reads how old the price data and the retirement table are (the price table is large:
        off the GUI thread), then shows it in Settings (and runs `then`)."""
        today = self.today()

        def read() -> list[DataAge]:
            from playground.core.money.price_update import data_text  # says so after an update

            return [price_data_age(data_text(), today), retirement_data_age()]

        def done(ages: list[DataAge]) -> None:
            self.data_ages = ages
            if self.settings_dialog is not None:
                self.settings_dialog.set_data_ages(ages)
            if then is not None:
                then()

        self.runner.start_blocking(read, group="data-ages", on_result=done)

    def open_guide(self) -> GettingStartedWindow:
        """Help → Getting started: one window, brought to the front when already open."""
        if self.guide is None:
            secrets = self.session.secrets
            if secrets.persistent:
                place = f"in your system's keyring ({secrets.backend_name})"
            else:
                place = (
                    "in memory, for this session only, because this computer has no keyring: "
                    "you are asked for it again at the next start"
                )
            self.guide = GettingStartedWindow(place, self.window)
        self.guide.show()
        self.guide.raise_()
        self.guide.activateWindow()
        return self.guide

    def _on_about(self) -> None:
        if self.data_ages is None:
            self.load_data_ages(then=self._show_about)
        else:
            self._show_about()

    def _show_about(self) -> AboutDialog:
        dialog = AboutDialog(self.about_extra(), self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _on_open_data_folder(self) -> None:
        if self.data_dir:
            QDesktopServices.openUrl(QUrl.fromLocalFile(self.data_dir))


@dataclass(frozen=True, slots=True)
class _KeyOutcome:
    """What a keyring call in a worker found: the dialog's key line, or the problem to show
    instead; and the connection after a key change (None when the key did not change)."""

    status: str = ""
    problem: str = ""
    connection: Connection | None = None


def _replace_ui(ui: UiSettings, **changes: str) -> UiSettings:
    import dataclasses

    return dataclasses.replace(ui, **changes)


def _server_text(conn: Connection) -> str:
    """Where requests go, and whether the environment (OPENAI_BASE_URL) said so."""
    if not conn.base_url:
        return "default"
    if conn.from_environment("base_url"):
        return f"{conn.base_url} (from environment)"
    return conn.base_url


def _short(text: str, limit: int = 48) -> str:
    first = text.split(".")[0].strip()
    return first if len(first) <= limit else first[: limit - 1] + "…"
