"""The retirement radar's core: status, badges, tooltips, replacements, defaults, the retired 404.

The model list comes from the fake server (``RETIREMENT_MODELS``, dated as on 2026-12-07) through
the real SDK and `ModelCatalog.refresh`; "today" is always passed in.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import openai
import pytest

from playground.core.api.capabilities import ModelKind
from playground.core.api.catalog import CatalogSnapshot, ModelCatalog
from playground.core.api.errors import ErrorKind, from_exception
from playground.core.api.retirements import (
    DEFAULT_RULES,
    Retirement,
    badge,
    dated_models,
    default_model,
    due_within,
    for_picker,
    load_table,
    price_data_age,
    replacement_for,
    retired_error,
    retirement_data_age,
    send_notice,
    shipped_table,
    status,
    table_date,
    visible_models,
)
from playground.core.models import ModelInfo
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.scenario import RETIREMENT_MODELS, RETIREMENT_TODAY

TODAY = date.fromisoformat(RETIREMENT_TODAY)


def _model(model_id: str, shutdown: str | None = None, created: int = 0) -> ModelInfo:
    return ModelInfo(model_id, created=created, shutdown_date=shutdown)


async def _snapshot(fake: FakeOpenAI) -> CatalogSnapshot:
    fake.scenario.models = list(RETIREMENT_MODELS)
    fake.scenario.today = RETIREMENT_TODAY
    client = openai.AsyncOpenAI(base_url=fake.base_url, api_key="sk-test-0123456789", max_retries=0)
    try:
        return await ModelCatalog(None).refresh(client, "openai")
    finally:
        await client.close()


def test_status_and_badge_on_both_sides_of_the_date() -> None:
    gpt_4o = _model("gpt-4o", "2027-01-14")
    assert status(gpt_4o, TODAY) is Retirement.SCHEDULED  # 38 days away
    assert status(gpt_4o, date(2026, 12, 15)) is Retirement.SOON  # 30 days away
    assert status(gpt_4o, date(2027, 1, 13)) is Retirement.SOON
    assert status(gpt_4o, date(2027, 1, 14)) is Retirement.RETIRED  # the API stops that day
    assert status(_model("gpt-6-luna"), TODAY) is Retirement.NONE
    assert status(_model("odd", "soon-ish"), TODAY) is Retirement.NONE  # unreadable: no date
    assert badge(gpt_4o, TODAY) == "retires 14 Jan"
    assert badge(_model("gpt-image-1.5", "2026-12-01"), TODAY) == "retired 1 Dec"
    assert badge(_model("far", "2028-06-30"), TODAY) == "retires 30 Jun 2028"
    assert badge(_model("gpt-6-luna"), TODAY) == ""


async def test_the_list_from_the_server_carries_dates_and_the_pickers_read_them(
    fake_openai: FakeOpenAI,
) -> None:
    snapshot = await _snapshot(fake_openai)
    image = snapshot.picker(ModelKind.IMAGE, TODAY)
    shown = {c.id: c for c in image.choices}
    retired = shown["gpt-image-1.5"]
    assert retired.status is Retirement.RETIRED
    assert retired.badge == "retired 1 Dec"
    assert retired.tooltip == (
        "gpt-image-1.5 was retired on 1 Dec 2026: requests to it fail. "
        "Suggested replacement: gpt-image-2."
    )
    assert retired.note == retired.tooltip  # picked anyway: explained
    assert image.ids() == ["gpt-image-2", "gpt-image-2.5-sunburst"]  # retired ones hidden
    assert "gpt-image-1.5" in image.ids(show_retired=True)

    chat = {c.id: c for c in snapshot.picker(ModelKind.CHAT, TODAY).choices}
    assert chat["gpt-4o"].badge == "retires 14 Jan"
    assert chat["gpt-4o"].tooltip == (
        "gpt-4o retires on 14 Jan 2027 (in 38 days). Suggested replacement: gpt-6-luna."
    )
    assert chat["gpt-4o"].note == ""  # more than 30 days away: the badge and tooltip suffice
    assert chat["gpt-5-mini"].status is Retirement.SOON
    assert "in 4 days" in chat["gpt-5-mini"].note
    assert chat["gpt-6-luna"].badge == chat["gpt-6-luna"].tooltip == ""


async def test_defaults_are_the_newest_undated_model_of_each_kind(fake_openai: FakeOpenAI) -> None:
    snapshot = await _snapshot(fake_openai)
    picks = {
        kind: default_model(snapshot.models, kind, TODAY)
        for kind in (ModelKind.CHAT, ModelKind.IMAGE, ModelKind.TRANSCRIPTION)
    }
    assert {k: (d.model, d.all_dated) for k, d in picks.items() if d} == {
        ModelKind.CHAT: ("gpt-6.1-sol", False),
        ModelKind.IMAGE: ("gpt-image-2.5-sunburst", False),  # not gpt-image-1.5, retired
        ModelKind.TRANSCRIPTION: ("gpt-transcribe", False),
    }
    # The kind's rules come before "newest": the cheap embedding model, the moderation alias.
    embedding = default_model(snapshot.models, ModelKind.EMBEDDING, TODAY)
    assert embedding is not None
    assert embedding.model == "text-embedding-3-small"
    assert DEFAULT_RULES[ModelKind.EMBEDDING].prefer


async def test_when_every_model_of_a_kind_is_dated_the_latest_date_wins_and_says_so(
    fake_openai: FakeOpenAI,
) -> None:
    snapshot = await _snapshot(fake_openai)
    speech = snapshot.picker(ModelKind.SPEECH, TODAY)
    assert speech.default is not None
    assert (speech.default.model, speech.default.all_dated) == ("gpt-4o-mini-tts", True)
    assert speech.default.shutdown == date(2027, 1, 6)
    chosen = speech.choice("gpt-4o-mini-tts")
    assert chosen is not None
    assert chosen.badge == "retires 6 Jan · latest date"
    assert chosen.note.startswith("Every listed speech model has a shutdown date")
    assert "through the Realtime API" in chosen.tooltip
    # Different dates: the one that lasts longest, not the newest.
    models = [_model("a-tts", "2027-01-06", created=9), _model("b-tts", "2027-03-01", created=1)]
    picked = default_model(models, ModelKind.SPEECH, TODAY)
    assert picked is not None
    assert (picked.model, picked.all_dated) == ("b-tts", True)
    # Everything retired: no default at all (the picker then offers "Show retired").
    assert default_model([_model("c-tts", "2026-01-01")], ModelKind.SPEECH, TODAY) is None


def test_a_retired_wanted_model_gives_way_to_the_default_unless_retired_are_shown() -> None:
    models = [
        _model("gpt-image-1.5", "2026-12-01", created=5),
        _model("gpt-image-2", created=7),
        _model("gpt-image-2-2026-01-01", created=9),  # a dated snapshot is avoided
    ]
    picker = for_picker(models, ModelKind.IMAGE, TODAY)
    assert picker.pick("gpt-image-1.5") == "gpt-image-2"
    assert picker.pick("gpt-image-1.5", show_retired=True) == "gpt-image-1.5"
    assert picker.pick("") == "gpt-image-2"
    assert picker.pick("not-listed") == "gpt-image-2"
    assert [m.id for m in visible_models(models, TODAY)] == [
        "gpt-image-2",
        "gpt-image-2-2026-01-01",
    ]
    assert len(visible_models(models, TODAY, show_retired=True)) == 3


def test_replacements_follow_the_table_then_the_newest_model_of_the_kind() -> None:
    listed = [
        _model("gpt-4o", "2027-01-14"),
        _model("gpt-6-luna", created=10),
        _model("gpt-5-mini", "2026-12-11"),
        _model("gpt-6.1-sol", created=20),
        _model("ft:gpt-4o-mini:acme::abc123", "2027-01-14"),
    ]
    by_table = replacement_for("gpt-4o", listed, TODAY)
    assert by_table is not None
    assert (by_table.model, by_table.from_table) == ("gpt-6-luna", True)
    assert by_table.can_switch
    fine_tune = replacement_for("ft:gpt-4o-mini:acme::abc123", listed, TODAY)
    assert fine_tune is not None
    assert fine_tune.model == "gpt-6-luna"
    # The table names gpt-5.6-terra, which this list lacks: the newest undated chat model.
    fallback = replacement_for("gpt-5-mini", listed, TODAY)
    assert fallback is not None
    assert (fallback.model, fallback.from_table) == ("gpt-6.1-sol", False)
    # No list at all: the table's answer, not switchable.
    unlisted = replacement_for("gpt-5-mini", None, TODAY)
    assert unlisted is not None
    assert unlisted.model == "gpt-5.6-terra"
    assert not unlisted.can_switch
    # Speech has no successor on /v1/audio/speech: the table says where to go, with a note.
    speech = replacement_for("tts-1", [_model("tts-1", "2027-01-06")], TODAY)
    assert speech is not None
    assert speech.model == "gpt-realtime-2.1-mini"
    assert not speech.same_kind
    assert "Realtime API" in speech.note
    # Unknown family, nothing newer listed: nothing to suggest.
    assert (
        replacement_for("my-local-model", [_model("my-local-model", "2027-01-01")], TODAY) is None
    )


def test_the_user_table_comes_first_and_a_broken_one_is_ignored(tmp_path: Path) -> None:
    mine = tmp_path / "replacements.json"
    mine.write_text(
        json.dumps({"rules": [{"pattern": "^gpt-4o$", "replacement": "gpt-6.2-sol"}]}),
        encoding="utf-8",
    )
    table = load_table(mine)
    assert table.rules[0].replacement == "gpt-6.2-sol"
    assert replacement_for("gpt-4o", None, TODAY, table) is not None
    assert replacement_for("gpt-4o", None, TODAY, table).model == "gpt-6.2-sol"  # type: ignore[union-attr]
    broken = tmp_path / "broken.json"
    broken.write_text('{"rules": [{"pattern": "(", "replacement": "x"}]}', encoding="utf-8")
    assert load_table(broken) == shipped_table()
    assert load_table(tmp_path / "missing.json") == shipped_table()


@pytest.mark.parametrize(
    ("model", "replacement"),
    [
        ("gpt-image-1.5", "gpt-image-2"),
        ("chatgpt-image-latest", "gpt-image-2"),
        ("gpt-5", "gpt-6.1-sol"),
        ("gpt-5-nano-2025-08-07", "gpt-5.6-luna"),
        ("gpt-4o-2024-08-06", "gpt-6-luna"),
        ("gpt-4.1-mini", "gpt-6-luna"),
        ("gpt-4o-mini-tts", "gpt-realtime-2.1-mini"),
        ("gpt-4o-mini-transcribe", "gpt-transcribe"),
        ("gpt-4o-realtime-preview", "gpt-realtime-2.1"),
        ("gpt-4o-mini-realtime-preview", "gpt-realtime-2.1-mini"),
        ("o4-mini", "gpt-6.1-sol"),
    ],
)
def test_the_shipped_table_follows_the_calendar(model: str, replacement: str) -> None:
    rule = shipped_table().rule_for(model)
    assert rule is not None
    assert rule.replacement == replacement
    assert shipped_table().rule_for(replacement) is None  # a replacement is never itself going
    assert date.fromisoformat(rule.retired) <= date(2027, 2, 26)


async def test_a_retired_models_404_names_the_date_and_offers_the_replacement(
    fake_openai: FakeOpenAI,
) -> None:
    snapshot = await _snapshot(fake_openai)  # the cached list knew gpt-image-1.5 as retired
    client = openai.AsyncOpenAI(
        base_url=fake_openai.base_url, api_key="sk-test-0123456789", max_retries=0
    )
    try:
        with pytest.raises(openai.NotFoundError) as raised:
            await client.images.generate(model="gpt-image-1.5", prompt="a lighthouse")
    finally:
        await client.close()
    plain = from_exception(raised.value, model="gpt-image-1.5")
    assert (plain.kind, plain.title) == (ErrorKind.MODEL_NOT_FOUND, "Model not found")

    error = retired_error(plain, "gpt-image-1.5", snapshot.models, TODAY)
    assert error.title == "Model retired"
    assert error.message == (
        "OpenAI retired “gpt-image-1.5” on 1 Dec 2026; the server no longer serves it (404)."
    )
    assert error.hint == (
        "Suggested replacement: gpt-image-2. Switch to gpt-image-2 and send again."
    )
    assert error.replacement == "gpt-image-2"
    assert error.kind is ErrorKind.MODEL_NOT_FOUND
    assert error.status == 404
    # A model the list knew with no date (or not at all) keeps the plain message.
    assert retired_error(plain, "gpt-image-2", snapshot.models, TODAY) is plain
    assert retired_error(plain, "gpt-image-1.5", None, TODAY) is plain
    # Speech: the replacement is not a speech model, so no button, but the words say where.
    speech = retired_error(plain, "tts-1", snapshot.models, date(2027, 1, 6))
    assert speech.replacement is None
    assert "gpt-realtime-2.1-mini (through the Realtime API" in speech.hint


async def test_the_send_notice_and_the_lists_a_retirements_view_reads(
    fake_openai: FakeOpenAI,
) -> None:
    snapshot = await _snapshot(fake_openai)
    notice = send_notice("gpt-5-mini", snapshot.models, TODAY)
    assert notice is not None
    assert notice.text == (
        "gpt-5-mini retires on 11 Dec 2026 (in 4 days). Suggested replacement: gpt-6.1-sol."
    )
    assert notice.replacement is not None
    assert notice.replacement.can_switch
    assert notice.shutdown == date(2026, 12, 11)
    assert send_notice("gpt-4o", snapshot.models, TODAY) is None  # 38 days away
    assert send_notice("gpt-4o", snapshot.models, date(2027, 1, 1)) is not None
    assert send_notice("gpt-6-luna", snapshot.models, TODAY) is None
    assert send_notice("gpt-5-mini", None, TODAY) is None

    dated = [(c.id, c.shutdown) for c in dated_models(snapshot.models, TODAY)]
    assert dated[:3] == [
        ("gpt-image-1-mini", date(2026, 12, 1)),
        ("gpt-image-1.5", date(2026, 12, 1)),
        ("gpt-5-mini", date(2026, 12, 11)),
    ]
    assert len(dated) == 9
    assert [c.id for c in due_within(snapshot.models, TODAY)] == [
        "gpt-5-mini",
        "gpt-4o-mini-tts",
        "tts-1",
    ]


def test_data_ages_for_about_and_settings() -> None:
    table = retirement_data_age()
    assert table.as_of == table_date() == shipped_table().updated
    assert "deprecations" in table.text
    prices = price_data_age("genai-prices 0.0 (bundled)", TODAY)
    assert prices.text.startswith("genai-prices 0.0 (bundled)")
    if prices.as_of is not None:  # genai-prices dates its price changes; none after today
        assert prices.as_of <= TODAY
        assert "newest price change listed" in prices.text
