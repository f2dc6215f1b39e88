"""The window around the tabs: shortcuts, saved state, settings, first run, keys and the status bar."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog

from playground.core.api.secrets import MemorySecretStore, SecretStoreError
from playground.core.models import ProviderProfile
from playground.core.storage.settings import JsonSettingsStore, Settings
from playground.ui.shell.bridge import TaskRunner
from tests.conftest import TEST_KEY, AppHarness
from tests.fakes.openai_server import FakeOpenAI

pytestmark = pytest.mark.gui


def test_every_tab_is_there_and_builds(make_app: Callable[..., AppHarness]) -> None:
    app = make_app()
    tabs = app.window.tab_widget
    assert [tabs.tabText(i) for i in range(tabs.count())] == [
        "Chat",
        "Images",
        "Audio",
        "Embeddings",
        "Moderation",
        "Compare",
        "Prompt Lab",
        "Platform",
        "Usage",
    ]
    keys = ("images", "audio", "embeddings", "moderation", "compare", "lab", "platform", "usage")
    for index, key in enumerate(keys):
        view = app.feature(key).view  # built into its page of the window
        assert tabs.widget(index + 1).view is view


def test_ctrl_number_switches_tab_and_focuses_its_input(
    make_app: Callable[..., AppHarness], qtbot: Any
) -> None:
    app = make_app()
    window = app.window
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.current_tab_key() == "audio"
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.current_tab_key() == "chat"
    assert QApplication.focusWidget() is app.chat_tab.input_edit


def test_ctrl_q_quits(make_app: Callable[..., AppHarness], qtbot: Any) -> None:
    app = make_app()
    assert app.window.quit_action.shortcut().toString() == "Ctrl+Q"
    with qtbot.waitSignal(app.window.closing, timeout=2000):
        app.window.quit_action.trigger()
    assert not app.window.isVisible()


def test_geometry_last_tab_draft_and_parameters_survive_a_restart(
    make_app: Callable[..., AppHarness], tmp_path: Path
) -> None:
    first = make_app()
    first.window.resize(
        760, 610
    )  # inside the offscreen screen (800 x 800), which restore clamps to
    first.window.show_tab("embeddings")
    first.chat_tab.system_edit.setPlainText("Be terse.")
    first.chat_tab.params.temperature_row.set_value(0.3)
    first.chat_tab.input_edit.setPlainText("an unsent draft")
    first.window.close()

    saved = JsonSettingsStore(first.home / "config" / "settings.json").load()
    assert saved.ui.last_tab == "embeddings"
    assert saved.chat.system_prompt == "Be terse."

    second = make_app(home=first.home)
    assert second.window.current_tab_key() == "embeddings"
    assert (second.window.width(), second.window.height()) == (760, 610)
    assert second.chat_tab.system_edit.toPlainText() == "Be terse."
    assert second.chat_tab.params.temperature_row.value() == pytest.approx(0.3)
    assert second.chat_tab.input_edit.toPlainText() == "an unsent draft"


def test_the_key_is_never_written_to_any_file(
    make_app: Callable[..., AppHarness], qtbot: Any, wait_until: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.fail_next(401)  # the error path writes logs and ledger rows too
    app = make_app()
    app.chat_tab.input_edit.setPlainText("hello")
    qtbot.mouseClick(app.chat_tab.send_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: not app.runner.is_busy("chat"))
    app.chat_tab.input_edit.setPlainText("again")
    qtbot.mouseClick(app.chat_tab.send_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: not app.runner.is_busy("chat"))
    app.controller.refresh_models()
    wait_until(lambda: not app.runner.is_busy("models"))
    app.window.close()
    app.services.ledger.close()

    files = [p for p in app.home.rglob("*") if p.is_file()]
    assert any(p.name == "settings.json" for p in files)
    assert any(p.suffix == ".sqlite3" for p in files)
    for path in files:
        data = path.read_bytes()
        assert TEST_KEY.encode() not in data, f"the API key leaked into {path.name}"
        assert TEST_KEY[-12:].encode() not in data, f"part of the API key leaked into {path.name}"


def test_environment_key_is_used_and_labelled(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, wait_until: Any
) -> None:
    fake_openai.scenario.api_key = "sk-from-environment-000111222333"
    app = make_app(key=None, environ={"OPENAI_API_KEY": "sk-from-environment-000111222333"})
    assert "environment" in app.window.connection_label.toolTip()
    app.controller.refresh_models()
    wait_until(lambda: not app.runner.is_busy("models"))
    assert "models" in app.window.connection_label.text()
    assert "rejected" not in app.window.connection_label.text()


def test_no_key_says_so_in_the_status_bar(make_app: Callable[..., AppHarness]) -> None:
    app = make_app(key=None)
    assert "no API key" in app.window.connection_label.text()


def test_settings_dialog_saves_replaces_and_deletes_the_key(
    make_app: Callable[..., AppHarness], qtbot: Any, wait_until: Any
) -> None:
    app = make_app(key=None)
    dialog = app.controller.open_settings()
    wait_until(lambda: not app.runner.is_busy("keyring"))
    assert "No key stored" in dialog.key_status.text()
    dialog.key_edit.setText("sk-new-key-abcdefgh9876")
    qtbot.mouseClick(dialog.save_key_button, Qt.MouseButton.LeftButton)
    assert dialog.key_edit.text() == ""
    wait_until(lambda: not app.runner.is_busy("keyring"))
    assert app.services.secrets.get("openai") == "sk-new-key-abcdefgh9876"
    assert "sk-…9876" in dialog.key_status.text()
    assert "abcdefgh" not in dialog.key_status.text()

    qtbot.mouseClick(dialog.delete_key_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: not app.runner.is_busy("keyring"))
    assert app.services.secrets.get("openai") is None
    assert "No key stored" in dialog.key_status.text()
    dialog.reject()
    assert "no API key" in app.window.connection_label.text()


class _OffThreadSecrets(MemorySecretStore):
    """A keyring that notes which thread each call ran on, and can fail on `set`."""

    def __init__(self, fail_set: bool = False) -> None:
        super().__init__()
        self.threads: list[str] = []
        self.fail_set = fail_set

    def _note(self) -> None:
        import threading

        self.threads.append(threading.current_thread().name)

    def get(self, profile_id: str) -> str | None:
        self._note()
        return super().get(profile_id)

    def set(self, profile_id: str, key: str) -> None:
        self._note()
        if self.fail_set:
            raise SecretStoreError("The keyring is locked.")
        super().set(profile_id, key)

    def delete(self, profile_id: str) -> None:
        self._note()
        super().delete(profile_id)


@pytest.mark.parametrize("fail", [False, True], ids=["saved", "keyring-fails"])
def test_saving_a_key_reads_and_writes_the_keyring_off_the_gui_thread(
    make_app: Callable[..., AppHarness], qtbot: Any, wait_until: Any, fail: bool
) -> None:
    import threading

    secrets = _OffThreadSecrets(fail_set=fail)
    app = make_app(key=None, secrets=secrets)
    dialog = app.controller.open_settings()
    wait_until(lambda: not app.runner.is_busy("keyring"))
    secrets.threads.clear()
    dialog.key_edit.setText("sk-off-thread-key-00004321")
    qtbot.mouseClick(dialog.save_key_button, Qt.MouseButton.LeftButton)
    assert secrets.threads == []  # nothing ran on the click itself
    wait_until(lambda: not app.runner.is_busy("keyring"))
    gui = threading.main_thread().name
    assert secrets.threads
    assert gui not in secrets.threads
    if fail:
        assert "The keyring is locked." in dialog.key_status.text()  # said plainly
    else:
        assert "sk-…4321" in dialog.key_status.text()
    dialog.reject()


def test_settings_dialog_adds_a_local_server_and_makes_it_active(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, wait_until: Any
) -> None:
    app = make_app()
    dialog = app.controller.open_settings()
    ollama = next(a for a in dialog.add_button.menu().actions() if a.text() == "Ollama")
    ollama.trigger()
    assert dialog.base_url_edit.text() == "http://localhost:11434/v1"
    dialog.base_url_edit.setText(fake_openai.base_url)  # our stand-in for a local server
    dialog.activate_button.click()
    dialog.buttons.accepted.emit()  # OK: validates, then accepts
    wait_until(lambda: app.controller.settings_dialog is None)
    assert app.services.session.profile.name == "Ollama"
    saved = JsonSettingsStore(app.home / "config" / "settings.json").load()
    assert saved.active_profile == app.services.session.profile.id
    assert "key" not in (app.home / "config" / "settings.json").read_text().replace(
        "key_required", ""
    )
    # Let the model refresh OK started finish: cancelled mid-connect at teardown, the HTTP stack
    # leaves a connection coroutine unawaited, which a later test would trip over.
    wait_until(lambda: not app.runner.is_busy("models"))


def test_settings_dialog_refuses_an_invalid_profile(make_app: Callable[..., AppHarness]) -> None:
    app = make_app()
    dialog = app.controller.open_settings()
    custom = next(a for a in dialog.add_button.menu().actions() if "compatible" in a.text().lower())
    custom.trigger()
    dialog.base_url_edit.setText("not a url")
    dialog.buttons.accepted.emit()
    assert dialog.isVisible()
    assert "URL" in dialog.problems_label.text()
    dialog.reject()


def test_test_connection_lists_models(
    make_app: Callable[..., AppHarness], wait_until: Any, fake_openai: FakeOpenAI
) -> None:
    fake_openai.scenario.api_key = "sk-typed-but-not-saved-1234"
    app = make_app(key=None)
    dialog = app.controller.open_settings()
    dialog.key_edit.setText("sk-typed-but-not-saved-1234")
    dialog.test_button.click()
    wait_until(lambda: dialog.test_button.isEnabled())
    assert "models available" in dialog.test_result.text()
    assert app.services.secrets.get("openai") is None  # testing does not save
    dialog.key_edit.setText("sk-wrong")
    dialog.test_button.click()
    wait_until(lambda: dialog.test_button.isEnabled())
    assert "API key rejected" in dialog.test_result.text()
    dialog.reject()


def test_first_run_dialog_stores_the_key(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, tmp_path: Path, wait_until: Any
) -> None:
    home = tmp_path / "fresh"
    profile = ProviderProfile(id="openai", name="OpenAI", base_url=fake_openai.base_url)
    JsonSettingsStore(home / "config" / "settings.json").save(Settings(profiles=(profile,)))
    app = make_app(key=None, home=home)
    app.controller.start()
    dialog = app.controller.first_run_dialog
    assert dialog is not None
    assert dialog.isVisible()
    dialog.key_edit.setText("sk-first-run-key-00001111")
    dialog.start_button.click()
    wait_until(lambda: not app.runner.is_busy("keyring"))
    assert app.services.secrets.get("openai") == "sk-first-run-key-00001111"
    assert app.controller.settings.first_run_done
    wait_until(lambda: not app.runner.is_busy("models"))
    assert app.chat_tab.model_combo.count() > 0


def test_first_run_later_is_remembered(make_app: Callable[..., AppHarness], tmp_path: Path) -> None:
    app = make_app(key=None, home=tmp_path / "later", settings=Settings())
    app.controller.start()
    dialog = app.controller.first_run_dialog
    assert dialog is not None
    dialog.later_button.click()
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert JsonSettingsStore(app.home / "config" / "settings.json").load().first_run_done


def test_session_only_keyring_is_shown(
    make_app: Callable[..., AppHarness], wait_until: Any
) -> None:
    app = make_app()
    assert isinstance(app.services.secrets, MemorySecretStore)
    dialog = app.controller.open_settings()
    wait_until(lambda: not app.runner.is_busy("keyring"))
    assert "session only" in dialog.key_status.text()
    dialog.reject()


def test_theme_switch_is_saved(make_app: Callable[..., AppHarness]) -> None:
    app = make_app()
    app.window.theme_actions["dark"].trigger()
    from playground.ui.shell.theme import is_dark

    assert is_dark()
    assert JsonSettingsStore(app.home / "config" / "settings.json").load().ui.theme == "dark"
    app.window.theme_actions["light"].trigger()
    assert not is_dark()


def test_task_runner_cancels_and_reports(qloop: asyncio.AbstractEventLoop, wait_until: Any) -> None:
    runner = TaskRunner()
    events: list[str] = []
    busy: list[tuple[str, bool]] = []
    runner.busy_changed.connect(lambda group, state: busy.append((group, state)))

    async def forever() -> None:
        await asyncio.Event().wait()

    async def boom() -> None:
        raise RuntimeError("boom")

    runner.start(forever(), group="g", on_cancel=lambda: events.append("cancelled"))
    assert runner.is_busy("g")
    assert runner.cancel("g") == 1
    wait_until(lambda: not runner.is_busy("g"))
    runner.start(boom(), group="g", on_error=lambda e: events.append(e.message))
    wait_until(lambda: not runner.is_busy("g"))
    failed: list[object] = []
    runner.failed.connect(failed.append)
    runner.start(boom(), group="h")
    wait_until(lambda: not runner.is_busy("h"))
    assert events == ["cancelled", "RuntimeError: boom"]
    assert len(failed) == 1
    assert busy == [("g", True), ("g", False), ("g", True), ("g", False), ("h", True), ("h", False)]
    runner.deleteLater()


def test_an_unusable_data_folder_is_reported_and_the_app_still_works(
    qtbot: Any,
    qloop: asyncio.AbstractEventLoop,
    wait_until: Any,
    fake_openai: FakeOpenAI,
    tmp_path: Path,
) -> None:
    from playground.core.storage.paths import AppPaths
    from playground.core.storage.settings import MemorySettingsStore
    from playground.services import build_services
    from playground.window import build_window

    blocker = tmp_path / "home-is-a-file"
    blocker.write_text(
        "x", encoding="utf-8"
    )  # like a read-only or full disk: nothing can be created
    profile = ProviderProfile(
        id="openai", name="OpenAI", base_url=fake_openai.base_url, max_retries=0
    )
    secrets = MemorySecretStore()
    secrets.set("openai", TEST_KEY)
    services = build_services(
        AppPaths.under(blocker),
        secrets=secrets,
        environ={},
        settings_store=MemorySettingsStore(Settings(profiles=(profile,), first_run_done=True)),
    )
    assert any("cannot be created" in w for w in services.warnings)
    assert any("this session only" in w for w in services.warnings)
    assert not services.ledger.persistent
    runner = TaskRunner()
    window, controller = build_window(services, runner)
    qtbot.addWidget(window)
    controller.restore()
    tab = controller.chat.view
    tab.model_combo.setCurrentText("gpt-4o-mini")
    tab.input_edit.setPlainText("still works?")
    tab.send_button.click()
    wait_until(lambda: not runner.is_busy("chat"))
    assert "Hello!" in tab.conversation.plain_text()
    assert len(services.ledger.recent()) == 1  # counted in memory for the session
    window.close()
    qloop.run_until_complete(services.session.aclose())
    services.close()
    runner.deleteLater()


def test_the_busy_bar_follows_a_tabs_work_on_the_next_turn_of_the_loop(
    make_app: Callable[..., AppHarness], wait_until: Any
) -> None:
    """Chat's work shows the status bar's busy bar, and hides it when done; it is shown a moment
    later (not inside the Send click), so it waits for the event loop."""
    app = make_app()
    bar = app.window.busy_bar
    wait_until(app.runner.is_idle)
    wait_until(lambda: not bar.isVisibleTo(app.window))
    release = asyncio.Event()

    async def work() -> None:
        await release.wait()

    app.runner.start(work(), group="chat")
    assert not bar.isVisibleTo(app.window)  # not yet: the click returns first
    wait_until(lambda: bar.isVisibleTo(app.window))
    release.set()
    wait_until(lambda: not bar.isVisibleTo(app.window))
