"""The Retirements view's data (`core/api/radar.py`): which saved things name a dated model,
grouped by date; the status-bar hint; a tab's state switched to the replacement; a Lab trial."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from playground.core.api.radar import (
    SavedKind,
    SavedUse,
    collect,
    due_soon,
    group_by_date,
    hint_text,
    switched_state,
    trial,
)
from playground.core.chat.presets import Preset
from playground.core.chat.service import ChatRequest
from playground.core.lab.suite import (
    CellKey,
    CellResult,
    CellStatus,
    Expectation,
    ExpectKind,
    LabRun,
    Prompt,
    TestCase,
    Variant,
    result_for,
)
from playground.core.models import ModelInfo
from playground.core.storage.history import ConversationSummary

TODAY = date(2026, 12, 7)
MODELS = (
    ModelInfo("gpt-image-1.5", shutdown_date="2026-12-01"),
    ModelInfo("gpt-5-mini", shutdown_date="2026-12-11"),
    ModelInfo("tts-1", shutdown_date="2027-01-06"),
    ModelInfo("gpt-4o", shutdown_date="2027-01-14"),
    ModelInfo("gpt-4o-mini", shutdown_date="2027-01-14"),
    ModelInfo("gpt-6-luna", created=1790000000),
    ModelInfo("gpt-6.1-sol", created=1795000000),
    ModelInfo("gpt-image-2", created=1770000000),
)
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _summary(cid: str, title: str, model: str) -> ConversationSummary:
    return ConversationSummary(cid, title, NOW, NOW, NOW, 2, model, "", False)


def _uses() -> list[SavedUse]:
    return collect(
        MODELS,
        TODAY,
        presets=[
            Preset("Support", params=ChatRequest(model="gpt-4o", messages=())),
            Preset("Keeps the model", params=ChatRequest(model="", messages=())),
            Preset("Fresh", params=ChatRequest(model="gpt-6-luna", messages=())),
        ],
        conversations=[_summary("c1", "Trip", "gpt-5-mini"), _summary("c2", "", "gpt-6.1-sol")],
        tabs={
            "lab": {"variants": [{"name": "A", "model": "gpt-4o-mini"}, {"model": "gpt-6-luna"}]},
            "compare": {
                "columns": 1,  # the second column is hidden: not listed
                "settings": [{"model": "gpt-4o"}, {"model": "gpt-5-mini"}],
            },
            "images": {"model": "gpt-image-1.5", "size": "1024x1024"},
            "audio": {"speech_model": "tts-1", "stt_model": "gpt-transcribe"},
        },
    )


def test_collect_lists_each_kind_of_saved_thing_on_a_dated_model_soonest_first() -> None:
    uses = _uses()
    assert [(u.kind, u.title, u.model) for u in uses] == [
        (SavedKind.TAB, "Images", "gpt-image-1.5"),
        (SavedKind.CONVERSATION, "Trip", "gpt-5-mini"),
        (SavedKind.TAB, "Audio", "tts-1"),
        (SavedKind.PRESET, "Support", "gpt-4o"),
        (SavedKind.LAB, "A", "gpt-4o-mini"),
        (SavedKind.COMPARE, "Column A", "gpt-4o"),
    ]
    images = uses[0]
    assert images.retired
    assert images.replacement == "gpt-image-2"
    assert images.describe() == "Images tab"
    assert uses[3].describe() == "Preset “Support”"
    assert uses[2].replacement == ""  # speech moves to another API: nothing to switch to here


def test_groups_by_date_with_headings() -> None:
    groups = group_by_date(_uses())
    assert [g.heading(TODAY) for g in groups] == [
        "Retired on 1 Dec 2026",
        "Retiring on 11 Dec 2026 (in 4 days)",
        "Retiring on 6 Jan 2027 (in 30 days)",
        "Retiring on 14 Jan 2027 (in 38 days)",
    ]
    assert [len(g.uses) for g in groups] == [1, 1, 1, 3]


def test_the_hint_counts_distinct_models_due_within_30_days() -> None:
    soon = due_soon(_uses(), TODAY)
    assert soon == ["gpt-5-mini", "tts-1"]  # not the retired one, not the one 38 days away
    assert hint_text(soon) == "2 models you use retire soon"
    assert hint_text(["tts-1"]) == "tts-1, which you use, retires soon"
    assert hint_text([]) == ""


def test_switched_state_names_the_replacement_only_in_model_settings() -> None:
    state = {
        "model": "gpt-4o",
        "system": "gpt-4o",  # text that happens to be a model id is not a model setting
        "settings": [{"model": "gpt-4o", "fields": {"temperature": 1}}, {"model": "gpt-6-luna"}],
        "speech_model": "gpt-4o",
    }
    switched = switched_state(state, "gpt-4o", "gpt-6-luna")
    assert switched == {
        "model": "gpt-6-luna",
        "system": "gpt-4o",
        "settings": [
            {"model": "gpt-6-luna", "fields": {"temperature": 1}},
            {"model": "gpt-6-luna"},
        ],
        "speech_model": "gpt-6-luna",
    }
    assert state["model"] == "gpt-4o"  # the original is left as it was (for Undo)
    assert switched_state(switched, "gpt-6-luna", "gpt-4o")["settings"][0]["model"] == "gpt-4o"


def test_trial_gives_old_and_new_numbers_of_a_lab_run() -> None:
    prompt = Prompt("", "Say hi to {{name}}")
    old = Variant("Greeter", prompt, "gpt-4o-mini")
    new = Variant("Greeter on gpt-6-luna", prompt, "gpt-6-luna")
    cases = [TestCase({"name": n}, Expectation(ExpectKind.CONTAINS, "Hello"), id=n) for n in "AB"]
    run = LabRun([old, new], cases)
    run.results[CellKey("A", old.id, 0)] = result_for(
        cases[0], "Hello A", cost=Decimal("0.001"), latency_ms=800.0
    )
    run.results[CellKey("B", old.id, 0)] = result_for(
        cases[1], "Hi B", cost=Decimal("0.001"), latency_ms=1000.0
    )
    run.results[CellKey("A", new.id, 0)] = result_for(
        cases[0], "Hello A", cost=Decimal("0.002"), latency_ms=400.0
    )
    run.results[CellKey("B", new.id, 0)] = CellResult(CellStatus.ERROR, error="404")
    got = trial(run, "gpt-4o-mini", "gpt-6-luna")
    assert got is not None
    assert (got.old.passed, got.old.checked, got.old.pass_rate) == (1, 2, 0.5)
    assert (got.new.passed, got.new.checked, got.new.errors) == (1, 1, 1)
    assert got.old.median_latency_ms == 900.0
    assert got.new.done == 1
    assert got.new.total == 2
    assert trial(run, "gpt-4o-mini", "o3") is None
