"""The Moderation tab against the fake server: items, chart, thresholds, table, export, faults, and
the Chat tab's moderation check."""

from __future__ import annotations

import csv
import math
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from playground.core.models import Endpoint, RequestStatus
from playground.core.moderation.service import MAX_TEXTS_PER_REQUEST
from tests.conftest import AppHarness, MakeParts, WaitUntil
from tests.fakes import openai_payloads as payloads
from tests.fakes.openai_server import FakeOpenAI
from tests.gui.drivers import TabDriver, opener

pytestmark = pytest.mark.gui

LINES = [
    "Have a lovely day",
    "",
    "I will kill the process",  # violence (the fake's trigger words)
    "Nice weather for a picnic",
    "I hate mondays",  # hate
]


class ModerationTab(TabDriver):
    """A running app with the Moderation tab shown, and the steps its tests share."""

    key = "moderation"

    def prepare(self) -> None:
        # Let the start-up price lookup finish first: it imports the price table in a worker
        # thread, and a first import of the SDK racing it on the GUI thread is not what these
        # tests are about.
        self.wait_idle("model-info")
        self.app.window.show_tab(self.key)

    @property
    def controller(self) -> Any:
        """The tab's controller (it is the feature controller itself)."""
        return self.feature

    def check(self) -> None:
        """Clicks Check and waits until every request has ended."""
        self.click(self.view.check_button)
        self.wait_idle("moderation")

    def check_lines(self, text: str) -> None:
        """Checks each line of `text` as an item of its own ("Many items")."""
        self.view.many_check.setChecked(True)
        self.view.input_edit.setPlainText(text)
        self.check()


@pytest.fixture
def open_moderation(
    make_app: Callable[..., AppHarness], qtbot: Any, wait_until: WaitUntil
) -> Callable[..., ModerationTab]:
    """Starts an app (`make_app`'s keywords) and shows its Moderation tab."""
    return opener(ModerationTab, make_app, qtbot, wait_until)


def _moderation_rows(app: AppHarness) -> list[Any]:
    return [e for e in app.services.ledger.recent(50) if e.endpoint == Endpoint.MODERATIONS]


def _chat_with_the_check_on(make_app: Callable[..., AppHarness]) -> AppHarness:
    """An app whose Chat tab has each prompt and reply checked by the moderation API."""
    app = make_app()
    app.chat_tab.moderation_check.setChecked(True)
    return app


def _send_in_chat(qtbot: Any, app: AppHarness, text: str) -> None:
    """Types `text` in the Chat tab and clicks Send."""
    qtbot.keyClicks(app.chat_tab.input_edit, text)
    qtbot.mouseClick(app.chat_tab.send_button, Qt.MouseButton.LeftButton)


def _chat_and_check_done(app: AppHarness) -> bool:
    return not app.runner.is_busy("chat") and not app.runner.is_busy("chat-moderation")


def _badge(turn: Any) -> Any:
    """The moderation badge of a chat turn, or None."""
    from playground.ui.common.moderation_badge import ModerationBadge

    return turn.findChild(ModerationBadge, "moderationBadge")


def test_many_lines_become_items_with_a_table_and_a_chart(
    open_moderation: Callable[..., ModerationTab], qtbot: Any, fake_openai: FakeOpenAI
) -> None:
    tab = open_moderation()
    c, view = tab.controller, tab.view
    assert view.current_model() == "omni-moderation-latest"
    tab.check_lines("\n".join(LINES))

    body = fake_openai.last("/moderations").json
    assert body == {"model": "omni-moderation-latest", "input": [x for x in LINES if x]}
    assert "1 empty line skipped." in view.notes_label.text()
    assert view.model.rowCount() == 4
    assert [r.flagged for r in view.model.rows] == [False, True, False, True]
    assert "4 of 4 items checked · 2 flagged by the API" in view.summary_label.text()

    # The first item's chart is shown: one bar per category of the answer, in the API's order.
    assert [name for name, _s, _st in view.chart.rows] == list(payloads.MODERATION_CATEGORIES)
    assert view.badge.text() == "✓ Not flagged"

    # Clicking a row opens that item's chart.
    row = view.proxy.mapFromSource(view.model.index(1, 1))
    rect = view.table.visualRect(row)
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert c.current == 1
    assert "I will kill the process" in view.item_title.text()
    assert view.badge.text() == "⚠ Flagged"
    states = {name: state for name, _s, state in view.chart.rows}
    assert states["violence"] == "flagged"
    assert states["hate"] == "clear"
    assert view.chart.labels[11] == "Violence  [text]"

    # The arrow keys walk through the items, each showing its chart.
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_Down)
    assert c.current == 2
    assert "Nice weather" in view.item_title.text()

    # One free ledger row for the one request, counted in the status bar.
    rows = _moderation_rows(tab.app)
    assert len(rows) == 1
    assert rows[0].cost == 0
    assert rows[0].status == RequestStatus.OK


def test_thresholds_show_what_you_would_block_against_the_api_flags(
    open_moderation: Callable[..., ModerationTab], wait_until: WaitUntil
) -> None:
    tab = open_moderation()
    c, view = tab.controller, tab.view
    tab.check_lines("a calm sentence\nI will kill the process")
    calm = c.results[0]
    assert not calm.flagged
    assert [r.blocked for r in view.model.rows] == [False, True]

    # Lower one threshold under the calm item's violence score: you block it, the API does not.
    score = calm.scores["violence"]
    view.thresholds.set_threshold("violence", 0.0)
    assert c.thresholds["violence"] == 0.0
    # The table follows once the slider pauses (a drag sends one change per pixel).
    wait_until(lambda: [r.blocked for r in view.model.rows] == [True, True])
    c.show_item(0)
    assert view.badge.text() == "Over your thresholds"
    assert "Stricter than the API on Violence" in view.verdict_label.text()
    states = {name: state for name, _s, state in view.chart.rows}
    assert states["violence"] == "blocked"
    assert score >= 0.0

    # Raise the flagged item's threshold above its score: you would let it through.
    c.show_item(1)
    view.thresholds.set_threshold("violence", 1.0)
    assert "More lenient than the API on Violence" in view.verdict_label.text()
    wait_until(lambda: [r.blocked for r in view.model.rows] == [False, False])
    # Log scale: a score of 1e-3 sits three decades above the floor of 1e-6.
    view.log_check.setChecked(True)
    widths = list(view.chart.bars.opts["width"])
    scores = [score for _n, score, _s in view.chart.rows]
    assert widths[11] == pytest.approx(math.log10(scores[11]) + 6)
    view.log_check.setChecked(False)
    assert list(view.chart.bars.opts["width"])[11] == pytest.approx(scores[11])

    view.thresholds.reset_button.click()
    assert set(c.thresholds.values()) == {0.5}
    wait_until(lambda: [r.blocked for r in view.model.rows] == [False, True])


def test_table_sorts_filters_and_exports_csv(
    open_moderation: Callable[..., ModerationTab], qtbot: Any, tmp_path: Path
) -> None:
    tab = open_moderation()
    c, view = tab.controller, tab.view
    tab.check_lines("\n".join(LINES))

    view.filter_combo.setCurrentIndex(1)  # flagged by the API
    assert view.proxy.rowCount() == 2
    view.filter_combo.setCurrentIndex(2)  # not flagged
    assert view.proxy.rowCount() == 2
    view.filter_combo.setCurrentIndex(0)
    qtbot.keyClicks(view.filter_edit, "hate")
    assert view.proxy.rowCount() == 1
    assert view.proxy.index(0, 1).data() == "I hate mondays"
    view.filter_edit.clear()

    view.table.sortByColumn(5, Qt.SortOrder.DescendingOrder)
    scores = [view.proxy.index(r, 5).data(Qt.ItemDataRole.UserRole) for r in range(4)]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] > 0.9

    target = tmp_path / "results.csv"
    c.ask_save_path = lambda _suggested: str(target)
    view.export_button.click()
    with target.open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert [r["text"] for r in table] == [x for x in LINES if x]
    for row, index in zip(table, sorted(c.results), strict=True):
        result = c.results[index]
        assert row["flagged"] == ("yes" if result.flagged else "no")
        for name, score in result.scores.items():
            assert float(row[f"score:{name}"]) == pytest.approx(score, abs=1e-6)
    assert "Saved 4 results" in view.notes_label.text()

    # Ctrl+F goes to the filter; Copy chart puts a picture on the clipboard.
    qtbot.keyClick(view.input_edit, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert view.filter_edit.hasFocus()
    from PySide6.QtWidgets import QApplication

    QApplication.clipboard().clear()
    view.copy_chart_button.click()
    assert not QApplication.clipboard().pixmap().isNull()


def test_batches_a_failed_batch_keeps_results_and_resumes(
    open_moderation: Callable[..., ModerationTab], fake_openai: FakeOpenAI
) -> None:
    tab = open_moderation()
    view = tab.view
    lines = [f"line number {i}" for i in range(MAX_TEXTS_PER_REQUEST + 8)]
    view.many_check.setChecked(True)
    view.input_edit.setPlainText("\n".join(lines))

    failed_once: list[bool] = []

    def fail_the_second_request() -> None:
        if view.model.rows and not failed_once:
            failed_once.append(True)
            fake_openai.fail_next(503)

    view.model.modelReset.connect(fail_the_second_request)
    tab.check()

    sizes = [len(r.json["input"]) for r in fake_openai.requests_to("/moderations")]
    assert sizes == [MAX_TEXTS_PER_REQUEST, 8]  # the second one failed
    assert view.model.rowCount() == MAX_TEXTS_PER_REQUEST  # the first batch is kept
    assert view.error_box.isVisible()
    assert view.resume_button.isVisible()
    assert view.resume_button.text() == "Resume (8)"
    assert "8 items still to check" in view.error_label.text()
    assert [e.status for e in _moderation_rows(tab.app)] == [RequestStatus.ERROR, RequestStatus.OK]

    tab.click(view.resume_button)
    tab.wait_idle("moderation")
    sent = fake_openai.requests_to("/moderations")
    assert len(sent) == 3
    assert sent[-1].json["input"] == lines[MAX_TEXTS_PER_REQUEST:]
    assert view.model.rowCount() == len(lines)
    assert not view.error_box.isVisible()


def test_image_items_send_multimodal_input_and_show_input_types(
    open_moderation: Callable[..., ModerationTab], fake_openai: FakeOpenAI
) -> None:
    tab = open_moderation()
    c, view = tab.controller, tab.view
    assert view.images.add_url("https://example.com/gore.png")
    view.input_edit.setPlainText("a photo from the weekend")
    tab.check()
    body = fake_openai.last("/moderations").json
    assert body["input"] == [
        {"type": "text", "text": "a photo from the weekend"},
        {"type": "image_url", "image_url": {"url": "https://example.com/gore.png"}},
    ]
    result = c.results[0]
    assert result.applied["violence"] == ("text", "image")
    assert view.badge.text() == "⚠ Flagged"
    assert view.chart.labels[11] == "Violence  [text, image]"
    assert view.chart.labels[2] == "Hate  [text]"
    assert "🖼" in view.model.rows[0].label

    # Many items: each image is an item (and a request) of its own.
    tab.check_lines("one\ntwo")
    assert [len(b) if isinstance(b, list) else 1 for b in
            (r.json["input"] for r in fake_openai.requests_to("/moderations")[1:])] == [2, 1]  # fmt: skip
    assert view.model.rowCount() == 3


def test_a_pasted_image_is_an_item_sent_as_a_data_url(
    open_moderation: Callable[..., ModerationTab], qtbot: Any, fake_openai: FakeOpenAI, qapp: Any
) -> None:
    from PySide6.QtGui import QColor, QImage

    tab = open_moderation()
    c, view = tab.controller, tab.view
    image = QImage(40, 30, QImage.Format.Format_RGB32)
    image.fill(QColor("teal"))
    qapp.clipboard().setImage(image)
    view.input_edit.setFocus()
    qtbot.keyClick(view.input_edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    tab.wait_until(lambda: len(view.image_inputs()) == 1)
    assert view.input_edit.toPlainText() == ""  # the image was not pasted as text
    tab.check()
    parts = fake_openai.last("/moderations").json["input"]
    assert len(parts) == 1
    assert parts[0]["image_url"]["url"].startswith("data:image/png;base64,")
    assert c.results[0].applied["sexual"] == ("image",)
    assert c.results[0].applied["hate"] == ()

    # A text-only model: the image is left out, and the tab says so.
    view.set_models(["omni-moderation-latest", "text-moderation-latest"], "text-moderation-latest")
    assert not view.images.attach_button.isEnabled()
    assert view.model_note.text() == "Text only"


def test_model_list_prefers_omni_and_warns_when_there_is_none(
    open_moderation: Callable[..., ModerationTab],
) -> None:
    from playground.core.api.catalog import CatalogSnapshot
    from playground.core.models import ModelInfo

    c = open_moderation().controller
    ids = ("gpt-4o-mini", "text-moderation-stable", "omni-moderation-2024-09-26")
    c.show_models(CatalogSnapshot("openai", tuple(ModelInfo(m) for m in ids), 0.0))
    combo = c.view.model_combo
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "omni-moderation-2024-09-26",
        "text-moderation-stable",
    ]
    assert c.view.current_model() == "omni-moderation-2024-09-26"
    c.show_models(CatalogSnapshot("openai", (ModelInfo("llama3.2"),), 0.0))
    assert c.view.current_model() == "omni-moderation-latest"
    assert "lists no moderation model" in c.view.notes_label.text()


def test_a_wrong_file_type_gets_a_clear_message(
    open_moderation: Callable[..., ModerationTab], tmp_path: Path
) -> None:
    tab = open_moderation()
    view = tab.view
    notes = tmp_path / "notes.txt"
    notes.write_text("not a picture", encoding="utf-8")
    view.images.add_files([notes])
    tab.wait_until(lambda: view.error_box.isVisible())
    assert "Image not added" in view.error_label.text()
    assert "not an image" in view.error_label.text()
    assert view.image_inputs() == ()


def test_bad_input_and_server_errors_are_shown_next_to_the_inputs(
    open_moderation: Callable[..., ModerationTab], fake_openai: FakeOpenAI
) -> None:
    tab = open_moderation()
    c, view = tab.controller, tab.view
    view.many_check.setChecked(True)
    view.input_edit.setPlainText("\n   \n")
    view.check_button.click()
    assert view.error_box.isVisible()
    assert "Nothing to check" in view.error_label.text()
    assert not fake_openai.requests_to("/moderations")

    view.input_edit.setPlainText("hello there")
    fake_openai.fail_next(401)
    tab.check()
    assert view.error_box.isVisible()
    assert "rejected the API key (401)" in view.error_label.text()
    assert view.input_edit.toPlainText() == "hello there"  # nothing lost
    assert view.resume_button.text() == "Resume (1)"

    fake_openai.rate_limit(retry_after=7)
    tab.check()
    assert "Rate limit reached" in view.error_label.text()
    assert "7 s" in view.error_label.text()
    # Resume counts down the wait the server asked for.
    assert view.resume_button.text() == "Resume (1) in 7 s"
    assert not view.resume_button.isEnabled()
    c._countdown.tick()
    assert view.resume_button.text() == "Resume (1) in 6 s"
    for _ in range(6):
        c._countdown.tick()
    assert view.resume_button.text() == "Resume (1)"
    assert view.resume_button.isEnabled()
    assert view.free_label.text() == "Free on OpenAI"

    tab.check()
    assert not view.error_box.isVisible()
    assert view.model.rowCount() == 1


def test_chart_and_badge_follow_the_light_and_dark_palettes(
    open_moderation: Callable[..., ModerationTab], qapp: Any
) -> None:
    from PySide6.QtGui import QPalette

    from playground.ui.shell.theme import apply_theme

    tab = open_moderation()
    view = tab.view
    view.input_edit.setPlainText("I will kill the process")
    tab.check()
    try:
        for theme in ("dark", "light"):
            apply_theme(qapp, theme)
            qapp.processEvents()
            base = qapp.palette().color(QPalette.ColorRole.Base)
            assert view.chart.plot.backgroundBrush().color() == base
            assert view.badge.colours()[0] == ("#5c1f1c" if theme == "dark" else "#fbe3e1")
            # The picture itself changes too (no stale style sheet).
            image = view.badge.grab().toImage()
            centre_left = image.pixelColor(4, image.height() // 2).name()
            assert centre_left == view.badge.colours()[0]
    finally:
        apply_theme(qapp, "light")


def test_state_is_kept_across_runs(open_moderation: Callable[..., ModerationTab]) -> None:
    tab = open_moderation()
    c = tab.controller
    c.view.many_check.setChecked(True)
    c.view.input_edit.setPlainText("first\nsecond")
    c.view.thresholds.set_threshold("hate", 0.2)
    tab.app.controller.save_window_state()
    c2 = open_moderation(home=tab.app.home).controller
    assert c2.view.many_check.isChecked()
    assert c2.view.input_edit.toPlainText() == "first\nsecond"
    assert c2.thresholds["hate"] == pytest.approx(0.2)
    assert c2.view.thresholds.sliders["hate"].value() == 20


def test_chat_moderation_check_badges_the_prompt_and_the_reply(
    make_app: Callable[..., AppHarness], qtbot: Any, wait_until: WaitUntil, fake_openai: FakeOpenAI
) -> None:
    fake_openai.scenario.reply_text = "Have a calm and lovely day."
    app = _chat_with_the_check_on(make_app)
    tab = app.chat_tab
    _send_in_chat(qtbot, app, "How do I kill a stuck process?")

    def badges() -> list[str]:
        found = []
        for turn in tab.conversation.turns:
            badge = _badge(turn)
            found.append(badge.text() if badge is not None else "")
        return found

    wait_until(lambda: _chat_and_check_done(app) and len(badges()) == 2)
    assert badges() == ["⚠ Flagged: Violence", "✓ Not flagged"]
    inputs = [r.json["input"] for r in fake_openai.requests_to("/moderations")]
    assert sorted(map(tuple, inputs)) == sorted(
        [("How do I kill a stuck process?",), ("Have a calm and lovely day.",)]
    )
    assert all(
        r.json["model"] == "omni-moderation-latest" for r in fake_openai.requests_to("/moderations")
    )
    assert len(_moderation_rows(app)) == 2

    # Off: no check, no badge.
    tab.moderation_check.setChecked(False)
    _send_in_chat(qtbot, app, "thanks")
    wait_until(lambda: not app.runner.is_busy("chat") and len(tab.conversation.turns) == 4)
    assert badges()[2:] == ["", ""]
    assert len(fake_openai.requests_to("/moderations")) == 2


def test_chat_moderation_badges_come_back_with_the_conversation(
    make_app: Callable[..., AppHarness], qtbot: Any, wait_until: WaitUntil, fake_openai: FakeOpenAI
) -> None:
    fake_openai.scenario.reply_text = "Have a calm and lovely day."
    app = _chat_with_the_check_on(make_app)
    _send_in_chat(qtbot, app, "How do I kill a stuck process?")

    def badges(harness: AppHarness) -> list[tuple[str, str]]:
        found = []
        for turn in harness.chat_tab.conversation.turns:
            badge = _badge(turn)
            found.append((badge.text(), badge.toolTip()) if badge is not None else ("", ""))
        return found

    wait_until(lambda: _chat_and_check_done(app) and all(b for b, _ in badges(app)))
    shown = badges(app)
    assert [text for text, _ in shown] == ["⚠ Flagged: Violence", "✓ Not flagged"]
    conversation_id = app.chat.conversation.id

    # Another conversation and back, then a new start on the same data: the verdicts are kept.
    app.chat.new_conversation()
    assert badges(app) == []
    app.chat.open_conversation(conversation_id)
    assert badges(app) == shown
    again = make_app(home=app.home)
    again.chat.open_conversation(conversation_id)
    assert badges(again) == shown
    assert (
        len(fake_openai.requests_to("/moderations")) == 2
    )  # shown from the history, not re-checked


def test_chat_moderation_check_looks_at_the_prompt_images_too(
    make_app: Callable[..., AppHarness], qtbot: Any, wait_until: WaitUntil, fake_openai: FakeOpenAI
) -> None:
    app = _chat_with_the_check_on(make_app)
    tab = app.chat_tab
    assert tab.attachments.add_url("https://example.com/gore.png")
    assert tab.attachments.add_url("https://example.com/cat.png")
    _send_in_chat(qtbot, app, "what is in these pictures?")
    wait_until(
        lambda: _chat_and_check_done(app) and len(fake_openai.requests_to("/moderations")) == 3
    )
    sent = [r.json["input"] for r in fake_openai.requests_to("/moderations")]
    prompt_checks = [x for x in sent if isinstance(x, list) and isinstance(x[0], dict)]
    assert prompt_checks == [
        [
            {"type": "text", "text": "what is in these pictures?"},
            {"type": "image_url", "image_url": {"url": "https://example.com/gore.png"}},
        ],
        [{"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}],
    ]
    badge = _badge(tab.conversation.turns[0])
    assert badge.text() == "⚠ Flagged: Violence: graphic"  # from the first image
    assert len(_moderation_rows(app)) == 3


def test_chat_moderation_check_failure_is_a_badge_not_a_blocker(
    make_app: Callable[..., AppHarness], qtbot: Any, wait_until: WaitUntil, fake_openai: FakeOpenAI
) -> None:
    app = _chat_with_the_check_on(make_app)
    tab = app.chat_tab
    fake_openai.fail_next(500, path="/moderations", times=2)
    _send_in_chat(qtbot, app, "hello")
    wait_until(lambda: _chat_and_check_done(app))
    user_badge = _badge(tab.conversation.turns[0])
    assert user_badge.text() == "Check failed"
    assert user_badge.toolTip()
    assert tab.conversation.turns[1].text()  # the chat answer arrived all the same
    assert not tab.error_box.isVisible()


def test_plotting_stays_off_the_start_up_path() -> None:
    script = textwrap.dedent(
        """
        import sys, tempfile
        from pathlib import Path
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from playground.window import build_window
        from playground.services import build_services
        from playground.core.storage.paths import AppPaths
        from playground.core.api.secrets import MemorySecretStore
        from playground.core.storage.settings import MemorySettingsStore
        from playground.ui.shell.bridge import TaskRunner, close_loop, install_loop
        loop = install_loop(app)
        services = build_services(AppPaths.under(Path(tempfile.mkdtemp())),
            secrets=MemorySecretStore(), environ={}, settings_store=MemorySettingsStore())
        window, controller = build_window(services, TaskRunner())
        controller.restore()
        window.show()
        print("BEFORE", "pyqtgraph" in sys.modules, "numpy" in sys.modules)
        window.show_tab("moderation")
        controller.features.controller("moderation")
        print("AFTER", "pyqtgraph" in sys.modules)
        services.close()
        close_loop(loop)
        """
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "BEFORE False False" in result.stdout
    assert "AFTER True" in result.stdout


def test_chat_moderation_check_is_remembered_across_starts(make_app: Any, qtbot: Any) -> None:
    app = make_app()
    assert not app.chat_tab.moderation_check_on
    qtbot.mouseClick(app.chat_tab.moderation_check, Qt.MouseButton.LeftButton)
    assert app.chat_tab.moderation_check_on
    app.controller.save_window_state()
    again = make_app(home=app.home)
    assert again.chat_tab.moderation_check_on


def test_the_controller_works_with_its_view_alone_without_the_window(
    qtbot: Any, qloop: Any, wait_until: WaitUntil, fake_openai: FakeOpenAI, make_parts: MakeParts
) -> None:
    """The controller needs only its view, its services and a task runner: no window, no app."""
    from playground.core.moderation.service import ModerationService
    from playground.ui.moderation.controller import ModerationController
    from playground.ui.moderation.tab import ModerationTab as ModerationView

    parts = make_parts()
    services, runner, counters = parts.services, parts.runner, parts.counters
    view = ModerationView()
    qtbot.addWidget(view)
    controller = ModerationController(
        view,
        ModerationService(services.session.client),
        services.session,
        runner,
        services.accounting,
        counters,
    )
    controller.show_models(None)
    view.set_many_items(True)
    view.set_input_text("Have a lovely day\nI will kill the process")
    qtbot.mouseClick(view.check_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: not runner.is_busy("moderation"))
    assert fake_openai.last("/moderations").json["input"] == [
        "Have a lovely day",
        "I will kill the process",
    ]
    assert [r.flagged for r in view.model.rows] == [False, True]
    assert controller.current == 0
    assert "2 of 2 items checked" in view.summary_label.text()
    assert [e.endpoint for e in services.ledger.recent()] == [Endpoint.MODERATIONS]
    assert controller.save_state()["text"] == "Have a lovely day\nI will kill the process"
