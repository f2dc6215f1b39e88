"""The Retirements view (Help → Model retirements…) and its status-bar hint, in the whole app.

The fake server lists ``RETIREMENT_MODELS`` (gpt-5-mini retires on 11 Dec, gpt-4o and
gpt-4o-mini on 14 Jan, tts-1 on 6 Jan, the gpt-image-1 family retired on 1 Dec); the app is told
"today" is 2026-12-07. The saved things are put in the stores the app reads: presets, history,
and the tabs' saved state in the settings file.
"""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from playground.core.api.radar import SavedKind, SavedUse
from playground.core.chat.presets import Preset
from playground.core.chat.service import ChatRequest
from playground.core.models import Message, ProviderProfile
from playground.core.storage.settings import ChatSettings, Settings
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.scenario import RETIREMENT_MODELS, RETIREMENT_TODAY

# The offscreen platform cannot raise a window or pass size hints on; the view is brought forward.
pytestmark = [
    pytest.mark.gui,
    pytest.mark.qt_log_ignore("does not support raise", "does not support propagateSizeHints"),
]

TABS: dict[str, dict[str, Any]] = {
    "lab": {
        "system": "",
        "user": "Say hello to {{name}}",
        "cases": [
            {"id": "c1", "values": {"name": "Ada"}, "expect": "contains", "expected": "Hello"},
            {"id": "c2", "values": {"name": "Bo"}, "expect": "contains", "expected": "Hello"},
        ],
        "variants": [{"name": "Greeter", "model": "gpt-4o-mini", "fields": {}}],
        "samples": 1,
        "concurrency": 4,
    },
    "compare": {
        "columns": 2,
        "samples": 1,
        "input": "",
        "settings": [
            {"model": "gpt-4o", "system": "", "api": "chat.completions", "fields": {}},
            {"model": "gpt-6-luna", "system": "", "api": "chat.completions", "fields": {}},
        ],
    },
    "images": {"model": "gpt-image-1.5"},
    "audio": {"speech_model": "tts-1", "stt_model": "gpt-transcribe"},
}


@pytest.fixture
def app(make_app: Any, fake_openai: FakeOpenAI, fake_profile: ProviderProfile) -> Any:
    """The app on a dated model list, with a preset, a conversation and a Lab suite on models
    that retire."""
    fake_openai.scenario.models = list(RETIREMENT_MODELS)
    fake_openai.scenario.today = RETIREMENT_TODAY
    fake_openai.scenario.reply_text = "Hello there, friend."
    settings = Settings(
        profiles=(fake_profile,),
        chat=ChatSettings(model="gpt-6-luna"),
        first_run_done=True,
        cost_guard_usd=1000.0,
        tabs={k: dict(v) for k, v in TABS.items()},
    )
    app = make_app(settings=settings)
    services = app.services
    services.presets.save(
        Preset("Support bot", "You help customers.", ChatRequest(model="gpt-4o", messages=()))
    )
    services.presets.save(Preset("Fresh", "", ChatRequest(model="gpt-6-luna", messages=())))
    services.history.create("conv-1", params=ChatRequest(model="gpt-5-mini", messages=()))
    services.history.append_message("conv-1", Message("user", "Plan a trip to Lisbon"))
    services.history.append_message("conv-1", Message("assistant", "Day one: Alfama."))
    return app


def _open(app: Any, wait_until: Any) -> Any:
    app.controller.refresh_models()
    wait_until(lambda: app.services.catalog.cached("openai") is not None)
    app.window.retirements_action.trigger()
    dialog = app.controller.retirements_dialog
    radar = app.controller.retirements
    wait_until(
        lambda: not app.runner.is_busy("retirements") and bool(_row_labels(dialog)),
        message="the view listed nothing",
    )
    return dialog, radar


def _use(radar: Any, kind: SavedKind, model: str) -> SavedUse:
    return next(u for u in radar.uses if u.kind is kind and u.model == model)


TRY, SWITCH = 0, 1  # the buttons of a listed use: Try the replacement, Switch


def _press(
    qtbot: Any, dialog: Any, radar: Any, kind: SavedKind, model: str, button: int
) -> SavedUse:
    """Clicks `button` (TRY or SWITCH) on the listed use of `model` by a saved thing of `kind`;
    returns that use."""
    use = _use(radar, kind, model)
    buttons = dialog.buttons(use)
    assert buttons is not None
    qtbot.mouseClick(buttons[button], Qt.MouseButton.LeftButton)
    return use


def test_the_view_lists_every_kind_of_saved_thing_grouped_by_date(
    app: Any, wait_until: Any
) -> None:
    dialog, radar = _open(app, wait_until)
    found = {(u.kind, u.model) for u in radar.uses}
    assert found == {
        (SavedKind.PRESET, "gpt-4o"),
        (SavedKind.CONVERSATION, "gpt-5-mini"),
        (SavedKind.LAB, "gpt-4o-mini"),
        (SavedKind.COMPARE, "gpt-4o"),
        (SavedKind.TAB, "gpt-image-1.5"),
        (SavedKind.TAB, "tts-1"),
    }  # the preset, column and conversation on undated models are not listed
    headings = [g.title() for g in _groups(dialog)]
    assert headings == [
        "Retired on 1 Dec 2026",
        "Retiring on 11 Dec 2026 (in 4 days)",
        "Retiring on 6 Jan 2027 (in 30 days)",
        "Retiring on 14 Jan 2027 (in 38 days)",
    ]
    texts = " | ".join(label.text() for label in _row_labels(dialog))
    assert "Preset “Support bot”" in texts
    assert "Conversation “Plan a trip to Lisbon”" in texts
    assert "Prompt Lab variant “Greeter”" in texts
    assert "Compare column “Column A”" in texts
    assert "Images tab" in texts
    assert "gpt-image-1.5 → gpt-image-2" in texts
    # A speech model's replacement is reached through another API: nothing to switch to here.
    tts = dialog.buttons(_use(radar, SavedKind.TAB, "tts-1"))
    assert tts is not None
    assert not tts[1].isEnabled()


def _groups(dialog: Any) -> list[Any]:
    from PySide6.QtWidgets import QGroupBox

    return [b for b in dialog.rows_widget.findChildren(QGroupBox)]


def _row_labels(dialog: Any) -> list[Any]:
    from PySide6.QtWidgets import QLabel

    return [
        w for w in dialog.rows_widget.findChildren(QLabel) if w.objectName() == "retirementsRowText"
    ]


def test_the_status_bar_hint_counts_the_models_due_and_opens_the_view(
    app: Any, wait_until: Any, qtbot: Any
) -> None:
    hint = app.window.retirement_hint
    assert hint.isHidden()
    app.controller.refresh_models()
    wait_until(lambda: hint.isVisible(), message="no hint in the status bar")
    # Within 30 days: gpt-5-mini (11 Dec) and tts-1 (6 Jan); gpt-4o (14 Jan) is later and
    # gpt-image-1.5 is already retired.
    assert hint.text() == "⚠ 2 models you use retire soon"
    assert "gpt-5-mini" in hint.toolTip()
    assert "tts-1" in hint.toolTip()
    qtbot.mouseClick(hint, Qt.MouseButton.LeftButton)
    dialog = app.controller.retirements_dialog
    assert dialog is not None
    assert dialog.isVisible()


def test_a_preset_is_switched_to_the_replacement_and_undone(
    app: Any, wait_until: Any, qtbot: Any
) -> None:
    dialog, radar = _open(app, wait_until)
    presets = app.services.presets
    _press(qtbot, dialog, radar, SavedKind.PRESET, "gpt-4o", SWITCH)
    wait_until(lambda: presets.get("Support bot").model == "gpt-6-luna")
    assert presets.get("Support bot").system_prompt == "You help customers."  # the rest kept
    wait_until(lambda: dialog.undo_button.isEnabled())
    assert "Preset “Support bot” now uses gpt-6-luna" in dialog.status_label.text()
    wait_until(lambda: all(u.kind is not SavedKind.PRESET for u in radar.uses))

    qtbot.mouseClick(dialog.undo_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: presets.get("Support bot").model == "gpt-4o")
    wait_until(lambda: any(u.kind is SavedKind.PRESET for u in radar.uses))
    assert not dialog.undo_button.isEnabled()


def test_a_tab_setting_is_switched_in_the_tab_and_undone(
    app: Any, wait_until: Any, qtbot: Any
) -> None:
    dialog, radar = _open(app, wait_until)
    _press(qtbot, dialog, radar, SavedKind.COMPARE, "gpt-4o", SWITCH)
    compare = app.feature("compare")
    assert compare.view.column_model(0) == "gpt-6-luna"
    qtbot.mouseClick(dialog.undo_button, Qt.MouseButton.LeftButton)
    assert compare.view.column_model(0) == "gpt-4o"


def test_trying_the_replacement_reruns_the_lab_suite_old_against_new(
    app: Any, fake_openai: FakeOpenAI, wait_until: Any, qtbot: Any
) -> None:
    dialog, radar = _open(app, wait_until)
    use = _press(qtbot, dialog, radar, SavedKind.LAB, "gpt-4o-mini", TRY)
    assert use.replacement == "gpt-6-luna"
    wait_until(lambda: bool(dialog.trial_rows()), timeout=30, message="no old-vs-new table")
    rows = {r[0]: r[1:] for r in dialog.trial_rows()}
    assert rows["Model"] == ["gpt-4o-mini", "gpt-6-luna"]
    assert rows["Variant"] == ["Greeter", "Greeter on gpt-6-luna"]
    assert rows["Pass rate"] == ["100% (2 of 2)", "100% (2 of 2)"]
    assert rows["Answered"] == ["2 of 2", "2 of 2"]
    assert all(cell.startswith("$") for cell in rows["Cost"])
    assert all(cell != "—" for cell in rows["Median latency"])
    models = sorted(r.json["model"] for r in fake_openai.requests_to("/chat/completions"))
    models += sorted(r.json["model"] for r in fake_openai.requests_to("/responses") if r.json)
    assert models.count("gpt-6-luna") == 2
    assert models.count("gpt-4o-mini") == 2
    lab = app.feature("lab")
    assert [v.model for v in lab.view.variant_settings()] == ["gpt-4o-mini", "gpt-6-luna"]


def test_trying_the_replacement_for_a_conversation_compares_its_last_message(
    app: Any, fake_openai: FakeOpenAI, wait_until: Any, qtbot: Any
) -> None:
    dialog, radar = _open(app, wait_until)
    use = _press(qtbot, dialog, radar, SavedKind.CONVERSATION, "gpt-5-mini", TRY)
    assert use.replacement == "gpt-6.1-sol"
    compare = app.feature("compare")
    view = compare.view
    wait_until(lambda: not app.runner.is_busy("compare") and bool(view.columns[1].views))
    wait_until(lambda: not app.runner.is_busy("compare"))
    assert app.window.current_tab_key() == "compare"
    assert [view.column_model(c) for c in view.active_column_ids()] == ["gpt-5-mini", "gpt-6.1-sol"]
    assert view.message() == "Plan a trip to Lisbon"
    bodies = [r.json for r in fake_openai.requests_to("/chat/completions") if r.json]
    bodies += [r.json for r in fake_openai.requests_to("/responses") if r.json]
    assert {b["model"] for b in bodies} >= {"gpt-5-mini", "gpt-6.1-sol"}


def test_settings_and_about_show_how_old_the_price_and_retirement_data_are(
    app: Any, wait_until: Any
) -> None:
    from PySide6.QtWidgets import QLabel

    from playground.core.api.retirements import long_date, table_date
    from playground.ui.shell.about import AboutDialog

    dialog = app.controller.open_settings()
    wait_until(lambda: dialog.price_age_label.text() != "Reading…")
    assert "genai-prices" in dialog.price_age_label.text()
    assert "newest price change listed:" in dialog.price_age_label.text()
    assert dialog.retirement_data_label.text() == (
        f"checked {long_date(table_date())} against OpenAI's deprecations page"
    )
    dialog.reject()

    app.window.about_action.trigger()
    wait_until(lambda: bool(app.window.findChildren(AboutDialog)))
    about = app.window.findChildren(AboutDialog)[0]
    text = " ".join(label.text() for label in about.findChildren(QLabel))
    assert "Model retirements and replacements" in text
    assert "newest price change listed:" in text
    about.reject()


def test_an_open_conversation_is_switched_in_chat_too_and_undone(
    app: Any, wait_until: Any, qtbot: Any
) -> None:
    dialog, radar = _open(app, wait_until)
    app.controller.features.chat().open_conversation("conv-1")
    wait_until(lambda: app.chat_tab.current_model() == "gpt-5-mini")
    history = app.services.history
    _press(qtbot, dialog, radar, SavedKind.CONVERSATION, "gpt-5-mini", SWITCH)
    wait_until(lambda: history.load("conv-1").params.model == "gpt-6.1-sol")
    wait_until(lambda: app.chat_tab.current_model() == "gpt-6.1-sol")
    messages = [m.message.content for m in history.load("conv-1").messages]
    assert messages == ["Plan a trip to Lisbon", "Day one: Alfama."]  # untouched
    wait_until(lambda: dialog.undo_button.isEnabled())
    qtbot.mouseClick(dialog.undo_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: history.load("conv-1").params.model == "gpt-5-mini")
    wait_until(lambda: app.chat_tab.current_model() == "gpt-5-mini")


def test_trying_the_replacement_for_a_preset_sets_up_compare_with_its_prompt(
    app: Any, fake_openai: FakeOpenAI, wait_until: Any, qtbot: Any
) -> None:
    dialog, radar = _open(app, wait_until)
    _press(qtbot, dialog, radar, SavedKind.PRESET, "gpt-4o", TRY)
    compare = app.feature("compare")
    view = compare.view
    assert app.window.current_tab_key() == "compare"
    assert [view.column_model(c) for c in view.active_column_ids()] == ["gpt-4o", "gpt-6-luna"]
    assert [c.system_edit.toPlainText() for c in view.active_columns()] == [
        "You help customers.",
        "You help customers.",
    ]
    # The preset has no message of its own: nothing is sent until the user types one.
    assert not fake_openai.requests_to("/responses")
    assert not fake_openai.requests_to("/chat/completions")
    assert "type a message there and press Run" in dialog.status_label.text()
    # Undo puts Compare's own set-up back (its columns had no system prompt).
    assert dialog.undo_button.isEnabled()
    qtbot.mouseClick(dialog.undo_button, Qt.MouseButton.LeftButton)
    assert [c.system_edit.toPlainText() for c in view.active_columns()] == ["", ""]


def test_a_lab_variant_is_switched_and_undone_keeping_the_suite(
    app: Any, wait_until: Any, qtbot: Any
) -> None:
    dialog, radar = _open(app, wait_until)
    _press(qtbot, dialog, radar, SavedKind.LAB, "gpt-4o-mini", SWITCH)
    lab = app.feature("lab")
    assert [(v.name, v.model) for v in lab.view.variant_settings()] == [("Greeter", "gpt-6-luna")]
    assert len(lab.view.test_cases()) == 2  # the cases are kept
    assert lab.view.prompt().user == "Say hello to {{name}}"
    qtbot.mouseClick(dialog.undo_button, Qt.MouseButton.LeftButton)
    assert [v.model for v in lab.view.variant_settings()] == ["gpt-4o-mini"]
    wait_until(lambda: any(u.kind is SavedKind.LAB for u in radar.uses))
