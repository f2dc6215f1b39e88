"""Issue 20's window-shell items: a damaged ledger, the first run, the keyboard, the guide."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from playground.core.models import Endpoint, LedgerEntry, RequestStatus, Usage
from playground.core.money.ledger import LedgerDamagedError, UsageLedger
from playground.core.storage.paths import AppPaths
from playground.ui.shell.ledger_repair import DamagedLedgerBox
from tests.conftest import AppHarness
from tests.fakes.openai_server import FakeOpenAI

pytestmark = pytest.mark.gui


def _row(i: int) -> LedgerEntry:
    return LedgerEntry(
        time=datetime.now(UTC),
        provider="OpenAI",
        model="gpt-4o-mini",
        endpoint=Endpoint.CHAT,
        usage=Usage(input_tokens=10 + i, output_tokens=5),
        cost=Decimal("0.001"),
        latency_ms=5.0,
        status=RequestStatus.OK,
        session_id="old",
    )


def damage_ledger(path: Path, rows: int = 300) -> None:
    """A ledger whose header is intact and whose later pages are garbage (what was reported)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with UsageLedger(path) as ledger:
        for i in range(rows):
            ledger.record(_row(i))
    data = bytearray(path.read_bytes())
    rng = random.Random(20)
    for offset in range(2 * 4096, len(data)):
        data[offset] = rng.randrange(256)
    path.write_bytes(bytes(data))


# --- 5. a damaged usage ledger ----------------------------------------------------------------


def test_a_ledger_with_garbage_pages_is_found_damaged_at_open(tmp_path: Path) -> None:
    path = tmp_path / "playground.sqlite3"
    damage_ledger(path)
    with pytest.raises(LedgerDamagedError, match="damaged"):
        UsageLedger(path)


def test_a_damaged_ledger_does_not_end_the_app_and_is_moved_aside_on_request(
    make_app: Callable[..., AppHarness], tmp_path: Path, wait_until: Any
) -> None:
    home = tmp_path / "home"
    ledger_file = AppPaths.under(home).database_file
    damage_ledger(ledger_file)
    app = make_app(home=home)  # used to raise from the counters' first read of the totals
    assert not app.services.ledger.persistent  # counting in memory meanwhile
    box = app.window.findChild(DamagedLedgerBox, "damagedLedgerBox")
    assert box is not None
    assert box.isVisible()
    assert "damaged" in box.text()
    tab = app.chat_tab
    tab.model_combo.setCurrentText("gpt-4o-mini")
    tab.input_edit.setPlainText("still counted?")
    tab.send_button.click()
    wait_until(lambda: not app.runner.is_busy("chat"))
    assert len(app.services.ledger.recent()) == 1

    box.move_button.click()
    info = app.window.findChild(QMessageBox, "ledgerRepairOutcome")
    assert info is not None
    assert "kept as" in info.text()
    info.close()
    moved = list(ledger_file.parent.glob("playground.sqlite3.damaged-*"))
    assert len(moved) == 1
    assert app.services.ledger.persistent
    assert app.services.accounting.ledger is app.services.ledger
    assert len(app.services.ledger.recent()) == 1  # the session's row came along
    assert app.services.accounting.session_totals().requests == 1


# --- 14, 15. the first run ----------------------------------------------------------------------


def _fresh_home(tmp_path: Path, base_url: str, *, first_run_done: bool = False) -> Path:
    from playground.core.models import ProviderProfile
    from playground.core.storage.settings import JsonSettingsStore, Settings

    home = tmp_path / "fresh"
    profile = ProviderProfile(id="openai", name="OpenAI", base_url=base_url, max_retries=0)
    JsonSettingsStore(AppPaths.under(home).settings_file).save(
        Settings(profiles=(profile,), first_run_done=first_run_done)
    )
    return home


def test_pasting_a_key_closes_the_welcome_and_the_cursor_waits_in_chat(
    make_app: Callable[..., AppHarness],
    fake_openai: FakeOpenAI,
    tmp_path: Path,
    qtbot: Any,
    wait_until: Any,
) -> None:
    app = make_app(key=None, home=_fresh_home(tmp_path, fake_openai.base_url))
    app.controller.start()
    dialog = app.controller.first_run_dialog
    assert dialog is not None
    assert dialog.isVisible()
    QApplication.clipboard().setText("sk-pasted-first-run-key-0000111122")
    dialog.key_edit.setFocus()
    qtbot.keyClick(dialog.key_edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    # action 1 was the paste; no "Start" click: the dialog is gone, the next action is typing
    assert not dialog.isVisible()
    assert app.controller.first_run_dialog is None
    assert QApplication.focusWidget() is app.chat_tab.input_edit
    wait_until(lambda: not app.runner.is_busy("keyring"))
    assert app.services.secrets.get("openai") == "sk-pasted-first-run-key-0000111122"


def test_a_key_typed_by_hand_waits_for_enter(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, tmp_path: Path, qtbot: Any
) -> None:
    app = make_app(key=None, home=_fresh_home(tmp_path, fake_openai.base_url))
    app.controller.start()
    dialog = app.controller.first_run_dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.key_edit, "sk-typed-by-hand-key-000011112222")
    assert dialog.isVisible()  # its last letter may still be coming
    qtbot.keyClick(dialog.key_edit, Qt.Key.Key_Return)
    assert not dialog.isVisible()
    assert QApplication.focusWidget() is app.chat_tab.input_edit


def test_without_a_keyring_the_key_is_asked_for_again_saying_why(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    from playground.core.api.secrets import MemorySecretStore

    home = _fresh_home(tmp_path, fake_openai.base_url, first_run_done=True)
    session_only = MemorySecretStore(notice="No keyring was found: keys last for this session.")
    app = make_app(key=None, home=home, secrets=session_only)  # the last run's key is gone
    app.controller.start()
    dialog = app.controller.first_run_dialog
    assert dialog is not None
    assert dialog.isVisible()
    heading = dialog.findChild(QLabel, "firstRunHeading")
    assert heading is not None
    assert "no keyring" in heading.text()
    assert "this session only" in heading.text() or "that session only" in heading.text()
    dialog.reject()


def test_with_a_keyring_a_later_start_does_not_ask(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    home = _fresh_home(tmp_path, fake_openai.base_url, first_run_done=True)
    app = make_app(key=None, home=home, secrets=_PersistentSecrets())
    app.controller.start()
    assert app.controller.first_run_dialog is None


class _PersistentSecrets:
    """A keyring that remembers (and holds no key for this profile)."""

    persistent = True
    notice = ""
    backend_name = "test keyring"

    def get(self, profile_id: str) -> str | None:
        return None

    def set(self, profile_id: str, key: str) -> None:
        pass

    def delete(self, profile_id: str) -> None:
        pass


# --- 18. the keyboard ---------------------------------------------------------------------------


def test_ctrl_3_focuses_the_visible_audio_page_input(
    make_app: Callable[..., AppHarness], qtbot: Any
) -> None:
    app = make_app()
    window = app.window
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    audio = app.feature("audio").view
    assert QApplication.focusWidget() is audio.speech.text_edit
    audio.pages.setCurrentWidget(audio.stt)
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    focused = QApplication.focusWidget()
    assert focused is audio.stt.choose_button
    assert focused.isVisible()


# --- 19. the status bar and Settings ------------------------------------------------------------


def test_the_draft_estimate_is_the_current_tabs(
    make_app: Callable[..., AppHarness], wait_until: Any
) -> None:
    app = make_app()
    label = app.window.counters.draft_label
    app.chat_tab.input_edit.setPlainText("How many tokens is this draft?")
    wait_until(lambda: label.text() != "Draft: —")
    chat_text = label.text()
    app.window.show_tab("images")
    assert label.text() == "Draft: —"  # Images' prompt is not Chat's draft
    app.window.show_tab("chat")
    assert label.text() == chat_text


def test_settings_says_the_server_comes_from_the_environment(
    make_app: Callable[..., AppHarness],
) -> None:
    from playground.core.models import ProviderProfile
    from playground.core.storage.settings import Settings

    settings = Settings(
        profiles=(ProviderProfile(id="openai", name="OpenAI", base_url=""),), first_run_done=True
    )
    app = make_app(settings=settings, environ={"OPENAI_BASE_URL": "http://proxy.test:9/v1"})
    dialog = app.controller.open_settings()
    placeholder = dialog.base_url_edit.placeholderText()
    assert "http://proxy.test:9/v1" in placeholder
    assert "from environment" in placeholder
    assert "api.openai.com" not in placeholder
    assert "from environment" in app.window.connection_label.toolTip()
    dialog.reject()


# --- 10/11. the 429 countdown on the other tabs ------------------------------------------------


def _wait_for_the_model_info(app: AppHarness, wait_until: Any) -> None:
    wait_until(lambda: not app.runner.is_busy("model-info"))


def test_moderations_429_hint_counts_down_and_never_names_a_wait_that_is_over(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, wait_until: Any
) -> None:
    app = make_app()
    _wait_for_the_model_info(app, wait_until)
    app.window.show_tab("moderation")
    controller = app.feature("moderation")
    view = controller.view
    view.input_edit.setPlainText("hello there")
    fake_openai.rate_limit(retry_after=3)
    view.check_button.click()
    wait_until(lambda: not app.runner.is_busy("moderation"))
    assert "Try again in 3 seconds." in view.error_label.text()
    controller._countdown.tick()
    assert "Try again in 2 seconds." in view.error_label.text()
    controller._countdown.tick()
    controller._countdown.tick()
    assert "3 seconds" not in view.error_label.text()
    assert "You can try again now." in view.error_label.text()


def test_embeddings_429_hint_counts_down(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, wait_until: Any
) -> None:
    app = make_app()
    app.window.show_tab("embeddings")
    view = app.feature("embeddings").view
    view.model_combo.setCurrentText("text-embedding-3-small")
    view.set_text("hello")
    fake_openai.rate_limit(retry_after=2, path="/embeddings")
    view.embed_button.click()
    wait_until(lambda: not app.runner.is_busy("embeddings"))
    assert "Try again in 2 seconds." in view.error_label.text()
    view._resume_wait.tick()
    view._resume_wait.tick()
    assert "2 seconds" not in view.error_label.text()
    assert "You can try again now." in view.error_label.text()


def test_images_429_hint_counts_down(
    make_app: Callable[..., AppHarness], fake_openai: FakeOpenAI, wait_until: Any
) -> None:
    fake_openai.scenario.models = ["gpt-4o-mini", "gpt-image-1"]
    app = make_app()
    app.window.show_tab("images")
    images = app.feature("images")
    app.controller.refresh_models()
    wait_until(lambda: images.view.model_combo.count() > 0)
    wait_until(lambda: not app.runner.is_busy("images-load"))
    view = images.view
    fake_openai.rate_limit(retry_after=2)
    view.prompt.setPlainText("A cat")
    view.generate_button.click()
    wait_until(lambda: not app.runner.is_busy("images"))
    assert "Try again in 2 seconds." in view.error_label.text()
    images._retry.tick()
    images._retry.tick()
    assert "2 seconds" not in view.error_label.text()
    assert "You can try again now." in view.error_label.text()
    assert view.generate_button.isEnabled()


# --- 23. a history that cannot be written -------------------------------------------------------


def _history_with_conversations(path: Path, count: int = 3) -> None:
    from playground.core.models import Message
    from playground.core.storage.history import HistoryStore

    path.parent.mkdir(parents=True, exist_ok=True)
    with HistoryStore(path) as history:
        for i in range(count):
            history.create(f"conv-{i}", title=f"Saved conversation {i}")
            history.append_message(f"conv-{i}", Message(role="user", content=f"question {i}"))
            history.append_message(f"conv-{i}", Message(role="assistant", content=f"answer {i}"))


def _damage_page_of(path: Path, name: str) -> None:
    """Garbage over the root page of table or index `name` (the rest of the file is intact)."""
    import sqlite3

    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        (root,) = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = ?", (name,)
        ).fetchone()
    conn.close()
    data = bytearray(path.read_bytes())
    start = (root - 1) * page_size
    data[start : start + page_size] = bytes([0xA5]) * page_size
    path.write_bytes(bytes(data))


def test_a_history_that_cannot_be_opened_still_shows_its_conversations(
    make_app: Callable[..., AppHarness], tmp_path: Path, wait_until: Any
) -> None:
    home = tmp_path / "home"
    history_file = AppPaths.under(home).history_file
    _history_with_conversations(history_file)
    _damage_page_of(history_file, "messages_streaming")  # the start-up recovery reads it
    before = history_file.read_bytes()
    app = make_app(home=home)
    history = app.services.history
    assert not history.persistent  # new conversations: this session only
    titles = {c.title for c in history.list()}
    assert {"Saved conversation 0", "Saved conversation 1", "Saved conversation 2"} <= titles
    assert any(
        "3 saved conversations" in w and "this session only" in w for w in app.services.warnings
    )
    assert history_file.read_bytes() == before  # read, never changed


def test_salvage_keeps_the_conversations_around_a_damaged_page(tmp_path: Path) -> None:
    from playground.core.storage.history import HistoryStore

    path = tmp_path / "history.sqlite3"
    _history_with_conversations(path, count=5)
    _damage_page_of(path, "messages_streaming")
    store, copied = HistoryStore.salvage(path)
    with store:
        assert copied == 5
        assert [m.message.content for m in store.load("conv-3").messages] == [
            "question 3",
            "answer 3",
        ]
        store.create("new-one")  # new ones go to memory
        assert store.exists("new-one")


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes read-only files"
)
def test_a_read_only_history_is_opened_read_only(tmp_path: Path) -> None:
    from playground.core.storage.history import HistoryError, HistoryStore

    folder = tmp_path / "data"
    path = folder / "history.sqlite3"
    _history_with_conversations(path)
    path.chmod(0o400)
    folder.chmod(0o500)
    try:
        with pytest.raises(HistoryError):
            HistoryStore(path)
        store, copied = HistoryStore.salvage(path)
        with store:
            assert copied == 3
    finally:
        folder.chmod(0o700)


# --- 21. a guide inside the app -----------------------------------------------------------------


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # offscreen; brought forward
def test_help_getting_started_explains_tabs_keys_key_and_money(
    make_app: Callable[..., AppHarness],
) -> None:
    app = make_app()
    app.window.guide_action.trigger()
    guide = app.controller.guide
    assert guide is not None
    assert guide.isVisible()
    text = guide.browser.toPlainText()
    for tab in ("Chat", "Images", "Audio", "Embeddings", "Moderation", "Compare", "Prompt Lab"):
        assert tab in text
    for key in ("Ctrl+Enter", "Esc", "Ctrl+1", "Ctrl+N", "Ctrl+,"):
        assert key in text
    assert "this session only" in text  # the tests' keyring keeps keys in memory: said so
    for figure in ("Session", "Today", "≈", "+ ?"):
        assert figure in text
    assert app.window.guide_action.shortcut().toString() == "F1"
    app.window.guide_action.trigger()  # a second time: the same window
    assert app.controller.guide is guide


def test_empty_moderation_and_audio_tabs_say_what_to_do(
    make_app: Callable[..., AppHarness], wait_until: Any
) -> None:
    app = make_app()
    wait_until(lambda: not app.runner.is_busy("model-info"))
    app.window.show_tab("audio")
    speech = app.feature("audio").view.speech
    assert speech.empty_hint.isVisible()
    assert "Generate" in speech.empty_hint.text()
    app.window.show_tab("moderation")
    moderation = app.feature("moderation").view
    assert moderation.empty_hint.isVisible()
    moderation.input_edit.setPlainText("hello there")
    moderation.check_button.click()
    wait_until(lambda: not app.runner.is_busy("moderation"))
    assert moderation.model.rowCount() == 1
    assert not moderation.empty_hint.isVisible()


def test_a_ledger_found_damaged_while_in_use_is_swapped_for_memory_and_explained(
    make_app: Callable[..., AppHarness], tmp_path: Path
) -> None:
    from playground.ui.shell.counters import CountersController

    app = make_app()
    assert app.services.ledger.persistent
    counters = app.window.findChild(CountersController)
    assert counters is not None
    counters.ledger_failed.emit(LedgerDamagedError("The usage ledger cannot be read: damaged."))
    assert not app.services.ledger.persistent  # counting goes on, in memory
    assert app.services.accounting.ledger is app.services.ledger
    box = app.window.findChild(DamagedLedgerBox, "damagedLedgerBox")
    assert box is not None
    assert box.isVisible()
    box.later_button.click()
    assert AppPaths.under(app.home).database_file.exists()  # "Not now" moves nothing


def test_the_self_test_reports_a_damaged_ledger(tmp_path: Path) -> None:
    from playground.selftest import check_databases

    paths = AppPaths.under(tmp_path)
    assert "not created yet" in check_databases(paths)()
    damage_ledger(paths.database_file)
    with pytest.raises(RuntimeError, match=r"ledger .* is damaged"):
        check_databases(paths)()


def test_first_answer_in_three_actions(
    make_app: Callable[..., AppHarness],
    fake_openai: FakeOpenAI,
    tmp_path: Path,
    qtbot: Any,
    wait_until: Any,
) -> None:
    """Paste the key, type the question, press Ctrl+Enter: nothing else between."""
    app = make_app(key=None, home=_fresh_home(tmp_path, fake_openai.base_url))
    app.controller.start()
    dialog = app.controller.first_run_dialog
    assert dialog is not None
    QApplication.clipboard().setText("sk-three-actions-key-000011112222")
    dialog.key_edit.setFocus()
    qtbot.keyClick(dialog.key_edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)  # 1
    # The model list arrives while the user types (the key is saved in a worker first).
    assert QApplication.focusWidget() is app.chat_tab.input_edit
    qtbot.keyClicks(app.chat_tab.input_edit, "Say hello")  # 2
    wait_until(lambda: not app.runner.is_busy("keyring") and not app.runner.is_busy("models"))
    assert app.window.focusWidget() is app.chat_tab.input_edit  # still where the typing went
    # A window manager gives the window back its activation when the dialog closes; the
    # offscreen platform has none, so do what it would.
    app.window.windowHandle().requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is app.window)
    qtbot.keyClick(  # 3
        QApplication.focusWidget(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier
    )
    wait_until(lambda: not app.runner.is_busy("chat"))
    assert "Hello!" in app.chat_tab.conversation.plain_text()
    assert "Say hello" in app.chat_tab.conversation.plain_text()


def test_the_guide_says_what_every_tab_is_for() -> None:
    from playground.ui.registry import FEATURE_TABLE
    from playground.ui.shell.guide import TAB_PURPOSES

    assert [name for name, _ in TAB_PURPOSES] == [title for _, title, *_ in FEATURE_TABLE]
