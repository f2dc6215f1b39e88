"""The model pickers of Chat, Compare and Prompt Lab against a dated model list.

The fake server lists ``RETIREMENT_MODELS`` plus a chat model past its date; the app is told
"today" is 2026-12-07 (``make_app``), fetches the list through the real SDK and fills the pickers.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from playground.core.models import ProviderProfile
from playground.core.storage.settings import ChatSettings, Settings
from playground.ui.common.model_picker import ModelCombo
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.scenario import RETIREMENT_MODELS, RETIREMENT_TODAY

RETIRED_CHAT = {"id": "gpt-4.1-nano", "created": 1744321707, "shutdown_date": "2026-10-23"}


def _listing(fake_openai: FakeOpenAI, models: list[Any]) -> None:
    fake_openai.scenario.models = models
    fake_openai.scenario.today = RETIREMENT_TODAY


def _app_with_chat(make_app: Any, profile: ProviderProfile, chat: ChatSettings) -> Any:
    """The app on `profile` (the fake server), with Chat's settings `chat`."""
    return make_app(settings=Settings(profiles=(profile,), chat=chat, first_run_done=True))


def _tooltip(combo: ModelCombo, model: str) -> str:
    return str(combo.itemData(combo.findText(model), Qt.ItemDataRole.ToolTipRole) or "")


def _chat_combo(app: Any, wait_until: Any) -> ModelCombo:
    app.controller.refresh_models()
    combo = app.chat_tab.model_combo
    wait_until(lambda: combo.count() > 0, message="the chat picker was never filled")
    assert isinstance(combo, ModelCombo)
    return combo


def test_chat_picker_badges_dated_models_hides_retired_and_keeps_show_retired(
    make_app: Any, fake_openai: FakeOpenAI, wait_until: Any
) -> None:
    _listing(fake_openai, [*RETIREMENT_MODELS, RETIRED_CHAT])
    app = make_app(model="")  # a first run: nothing chosen yet
    combo = _chat_combo(app, wait_until)
    # The newest chat model with no shutdown date, never a dying one.
    assert app.chat_tab.current_model() == "gpt-6.1-sol"
    assert combo.shown(combo.findText("gpt-4o")) == "gpt-4o · retires 14 Jan"
    assert combo.shown(combo.findText("gpt-5-mini")) == "gpt-5-mini · retires 11 Dec"
    assert _tooltip(combo, "gpt-4o") == (
        "gpt-4o retires on 14 Jan 2027 (in 38 days). Suggested replacement: gpt-6-luna."
    )
    assert "gpt-4.1-nano" not in combo.model_ids()  # retired: hidden
    assert combo.retired_toggle.isVisibleTo(app.chat_tab)
    assert combo.retired_toggle.text() == "Show retired (1)"

    combo.retired_toggle.setChecked(True)
    combo.setCurrentText("gpt-4.1-nano")  # picked anyway: explained under the box
    assert combo.note.isVisibleTo(app.chat_tab)
    assert "was retired on 23 Oct 2026" in combo.note.text()

    app.controller.save_window_state()
    saved = app.services.settings_store.load()
    assert saved.chat.show_retired is True


def test_chat_picker_remembers_show_retired(
    make_app: Any,
    fake_openai: FakeOpenAI,
    fake_profile: ProviderProfile,
    wait_until: Any,
) -> None:
    _listing(fake_openai, [*RETIREMENT_MODELS, RETIRED_CHAT])
    app = _app_with_chat(
        make_app, fake_profile, ChatSettings(model="gpt-4.1-nano", show_retired=True)
    )
    combo = _chat_combo(app, wait_until)
    wait_until(lambda: "gpt-4.1-nano" in combo.model_ids())
    assert combo.shows_retired()
    assert app.chat_tab.current_model() == "gpt-4.1-nano"


def test_chat_first_run_where_every_chat_model_is_dated_picks_the_latest_date(
    make_app: Any, fake_openai: FakeOpenAI, wait_until: Any
) -> None:
    dated_chat = [
        m for m in RETIREMENT_MODELS if m["id"] in {"gpt-5-mini", "gpt-4o", "gpt-4o-mini"}
    ]
    _listing(fake_openai, [*dated_chat, RETIRED_CHAT])
    app = make_app(model="")
    combo = _chat_combo(app, wait_until)
    model = app.chat_tab.current_model()
    assert model in {"gpt-4o", "gpt-4o-mini"}  # both go on 14 Jan, the latest date listed
    assert combo.shown() == f"{model} · retires 14 Jan · latest date"
    assert combo.note.text().startswith("Every listed chat model has a shutdown date")


def test_compare_columns_badge_dated_models_and_share_show_retired(
    make_app: Any, fake_openai: FakeOpenAI, wait_until: Any
) -> None:
    _listing(fake_openai, [*RETIREMENT_MODELS, RETIRED_CHAT])
    app = make_app(model="gpt-4o")
    compare = app.feature("compare")
    app.controller.refresh_models()
    view = compare.view
    a, b = view.columns[0], view.columns[1]
    wait_until(lambda: a.model_combo.count() > 0)
    assert a.model() == "gpt-4o"  # Chat's model, dated but not retired
    assert a.model_combo.shown() == "gpt-4o · retires 14 Jan"
    assert "Suggested replacement: gpt-6-luna" in a.model_combo.toolTip()
    assert "gpt-4.1-nano" not in b.model_combo.model_ids()
    # The column's parameter panel lists the same choices, with the same badges.
    assert a.params.model_combo.shown() == "gpt-4o · retires 14 Jan"

    a.model_combo.retired_toggle.setChecked(True)
    assert b.model_combo.shows_retired()  # one toggle for every column
    assert "gpt-4.1-nano" in b.model_combo.model_ids()
    b.set_model("gpt-4.1-nano")
    assert b.model_combo.note.isVisibleTo(view)
    assert compare.save_state()["show_retired"] is True


def test_lab_variant_pickers_badge_dated_models_and_never_start_on_a_retired_one(
    make_app: Any,
    fake_openai: FakeOpenAI,
    fake_profile: ProviderProfile,
    wait_until: Any,
) -> None:
    _listing(fake_openai, [*RETIREMENT_MODELS, RETIRED_CHAT])
    # Chat still names the retired model (typed in an older version): a new variant does not.
    app = _app_with_chat(make_app, fake_profile, ChatSettings(model="gpt-4.1-nano"))
    app.controller.refresh_models()  # the model list (with its dates) is known, as once cached
    wait_until(lambda: app.services.catalog.cached("openai") is not None)
    lab = app.feature("lab")
    row = lab.view.variants.rows[0]
    wait_until(lambda: row.model_combo.count() > 0)
    assert row.model() == "gpt-6.1-sol"
    assert "gpt-4.1-nano" not in row.model_combo.model_ids()
    row.model_combo.setCurrentText("gpt-5-mini")
    assert row.model_combo.shown() == "gpt-5-mini · retires 11 Dec"
    assert row.model_combo.note.isVisibleTo(lab.view)  # within 30 days: said under the box
    assert "Suggested replacement: gpt-6.1-sol" in row.model_combo.note.text()

    second = lab.view.variants.add_variant()
    assert second is not None
    row.model_combo.retired_toggle.setChecked(True)
    assert second.model_combo.shows_retired()
    assert "gpt-4.1-nano" in second.model_combo.model_ids()
    assert lab.save_state()["show_retired"] is True


def test_a_saved_retired_choice_stays_picked_and_is_explained(
    make_app: Any, fake_openai: FakeOpenAI, wait_until: Any
) -> None:
    _listing(fake_openai, [*RETIREMENT_MODELS, RETIRED_CHAT])
    app = make_app(model="gpt-6-luna")
    compare = app.feature("compare")
    compare.restore_state(
        {
            "columns": 2,
            "settings": [
                {"model": "gpt-4.1-nano", "system": "", "api": "chat.completions", "fields": {}},
                {"model": "gpt-6-luna", "system": "", "api": "chat.completions", "fields": {}},
            ],
        }
    )
    app.controller.refresh_models()
    a, b = compare.view.columns[0], compare.view.columns[1]
    wait_until(lambda: b.model_combo.count() > 0)
    assert a.model() == "gpt-4.1-nano"  # never silently replaced
    assert a.model_combo.shown() == "gpt-4.1-nano · retired 23 Oct"
    assert "was retired on 23 Oct 2026" in a.model_combo.note.text()
    assert a.model_combo.note.isVisibleTo(compare.view)
    assert "gpt-4.1-nano" not in b.model_combo.model_ids()  # hidden where it is not the choice


def test_platform_batch_and_base_model_pickers_badge_dated_models_and_hide_retired(
    make_app: Any, fake_openai: FakeOpenAI, wait_until: Any
) -> None:
    _listing(fake_openai, [*RETIREMENT_MODELS, RETIRED_CHAT])
    app = make_app(model="")
    app.window.show_tab("platform")
    platform = app.feature("platform")
    app.controller.refresh_models()
    view = platform.view
    assert view.fine_tuning is not None
    pickers = (view.batches.model_combo, view.fine_tuning.model_combo)
    for combo in pickers:
        assert isinstance(combo, ModelCombo)
        wait_until(lambda c=combo: c.count() > 0, message="a Platform picker was never filled")
        assert combo.currentText() == "gpt-6.1-sol"  # the default: newest with no date
        assert combo.shown(combo.findText("gpt-5-mini")) == "gpt-5-mini · retires 11 Dec"
        assert "Suggested replacement: gpt-6-luna" in _tooltip(combo, "gpt-4o")
        assert "gpt-4.1-nano" not in combo.model_ids()  # retired: hidden
        assert not combo.retired_toggle.isHidden()  # the pages need not be on screen
        combo.retired_toggle.setChecked(True)
        assert "gpt-4.1-nano" in combo.model_ids()
        combo.setCurrentText("gpt-4.1-nano")
        assert not combo.note.isHidden()
        assert "was retired on 23 Oct 2026" in combo.note.text()
    # The batch is built with the picked model's id, not its badge.
    assert view.batches.draft().params.model == "gpt-4.1-nano"
