"""The shipped starters (playground/data/starters) and their Qt-free loader, core/starters.py."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path

import openai
import pytest

from playground.core.chat.presets import fill_variables, find_variables
from playground.core.chat.service import ChatService
from playground.core.lab.suite import (
    CellKey,
    CellResult,
    CellStatus,
    LabRun,
    problems,
    result_for,
    run_grid,
)
from playground.core.models import ModelInfo
from playground.core.starters import (
    SAMPLING_NAMES,
    Starter,
    StarterLibrary,
    choose_model,
    load_starters,
    nearest_effort,
)
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.scenario import DEFAULT_MODELS, MODEL_META

TODAY = date(2026, 12, 7)
SHIPPED = Path(__file__).resolve().parents[2] / "playground" / "data" / "starters"
LIBRARY = load_starters()


def _listed(ids: tuple[str, ...] = DEFAULT_MODELS) -> list[ModelInfo]:
    return [
        ModelInfo(
            i,
            created=int(MODEL_META.get(i, {}).get("created", 0)),
            shutdown_date=MODEL_META.get(i, {}).get("shutdown_date"),
        )
        for i in ids
    ]


def test_every_shipped_starter_loads() -> None:
    assert LIBRARY.problems == ()
    files = sorted(SHIPPED.glob("*.json"))
    assert len(LIBRARY.starters) == len(files) >= 15
    ids = [s.id for s in LIBRARY.starters]
    assert len(set(ids)) == len(ids)
    for starter in LIBRARY.starters:
        assert starter.title
        assert starter.purpose
        assert starter.category
        assert starter.model
        assert "\n" not in starter.purpose, starter.id
        assert starter.variables(), f"{starter.id} has no {{{{variables}}}}"
        assert all(s.reason for s in starter.settings)


@pytest.mark.parametrize("starter", LIBRARY.starters, ids=lambda s: s.id)
def test_each_starter_fills_and_its_suite_is_valid(starter: Starter) -> None:
    assert 3 <= len(starter.cases) <= 6
    for case in starter.cases:
        assert set(starter.variables()) <= {k for k, v in case.values.items() if v.strip()}
        filled = fill_variables(starter.system_prompt + starter.user_template, case.values)
        assert find_variables([filled]) == []
        assert case.expect.kind.value, f"{starter.id}: a case without a check"
        assert case.expect.problem() is None
    for model in ("gpt-4.1-mini", "o3", "gpt-6-luna"):
        variant = starter.variant(model)
        assert problems([variant], list(starter.cases)) == []
        request = variant.request(starter.cases[0])
        assert "{{" not in request.messages[-1].content


def test_settings_follow_the_model() -> None:
    starter = LIBRARY.get("classify-fixed")
    assert starter is not None
    plain = starter.fields_for("gpt-4.1-mini")
    assert plain["temperature"] == 0.0
    assert "reasoning_effort" not in plain
    # A reasoning model takes no temperature: the line says why and what replaces it.
    lines = {line.name: line for line in starter.settings_for("o3")}
    assert not lines["temperature"].sent
    assert "not sent to o3" in lines["temperature"].reason
    assert "reasoning effort" in lines["temperature"].reason
    assert lines["reasoning_effort"].value == "low"  # o3 has no "minimal": the nearest above
    assert lines["max_output_tokens"].value > 20  # its hidden thinking counts against the limit
    fields = starter.fields_for("o3")
    assert not SAMPLING_NAMES & set(fields)
    # GPT-6 at effort "none" takes a temperature: thinking is turned off to keep it.
    luna = starter.fields_for("gpt-6-luna")
    assert luna["reasoning_effort"] == "none"
    assert luna["temperature"] == 0.0
    assert nearest_effort("minimal", ("low", "medium")) == "low"
    assert nearest_effort("xhigh", ("low", "high")) == "high"
    assert nearest_effort("low", ()) is None


def test_a_missing_model_gives_the_newest_suitable_one_and_says_so() -> None:
    starter = LIBRARY.get("translate")
    assert starter is not None
    listed = _listed()
    choice = choose_model(starter, listed, TODAY)
    assert choice.model in DEFAULT_MODELS
    assert choice.model != starter.model
    assert starter.model in choice.note
    assert choice.model in choice.note
    there = choose_model(starter, [*listed, ModelInfo(starter.model)], TODAY)
    assert there.model == starter.model
    assert there.note == ""
    assert choose_model(starter, None, TODAY).model == starter.model


def test_a_damaged_file_is_skipped_with_a_message(tmp_path: Path) -> None:
    for name in ("translate.json", "proofread.json"):
        shutil.copy(SHIPPED / name, tmp_path / name)
    (tmp_path / "broken.json").write_text('{"format": "playground-starter", ', encoding="utf-8")
    wrong = json.loads((SHIPPED / "translate.json").read_text(encoding="utf-8"))
    wrong["id"] = "other"
    wrong["settings"][0]["name"] = "volume"
    (tmp_path / "wrong.json").write_text(json.dumps(wrong), encoding="utf-8")
    library = load_starters(tmp_path)
    assert [s.id for s in library.starters] == ["proofread", "translate"]
    assert len(library.problems) == 2
    assert any("broken.json is damaged" in p and "skipped" in p for p in library.problems)
    assert any("wrong.json" in p and "volume" in p for p in library.problems)
    assert load_starters(tmp_path / "missing").problems


def test_search_and_categories() -> None:
    assert "Writing" in LIBRARY.categories()
    found = LIBRARY.search("email")
    assert [s.id for s in found] == ["email-triage"]
    assert all(s.category == "Teaching" for s in LIBRARY.search("", "Teaching"))
    assert LIBRARY.search("no such task at all") == []
    assert StarterLibrary().search("x") == []


async def test_every_suite_runs_end_to_end_with_a_result_in_every_cell(
    fake_openai: FakeOpenAI,
) -> None:
    client = openai.AsyncOpenAI(base_url=fake_openai.base_url, api_key="test", max_retries=0)
    service = ChatService(lambda: client)
    listed = _listed()
    runs: list[LabRun] = []
    failures: list[str] = []
    try:
        for starter in LIBRARY.starters:
            model = choose_model(starter, listed, TODAY).model
            run = LabRun(
                [starter.variant(model), starter.variant("gpt-4o-mini")], list(starter.cases)
            )
            runs.append(run)

            async def execute(key: CellKey, run: LabRun = run) -> CellResult:
                result = await service.stream(run.request(key), lambda _i, _t: None)
                return result_for(run.case(key.case_id), result.text)

            await run_grid(
                run.cells(),
                execute,
                on_done=run.results.__setitem__,
                on_failed=lambda key, error: failures.append(f"{key}: {error}"),
            )
    finally:
        await client.close()
    assert failures == []
    for run in runs:
        assert run.pending() == []
        for key in run.cells():
            result = run.results[key]
            assert result.status == CellStatus.OK
            assert result.text
            assert result.check.passed is not None  # every case has a check, and it ran
    bodies = [r.json or {} for r in fake_openai.requests_to("/chat/completions")]
    assert not any("temperature" in b for b in bodies if b.get("model") == "o3")
    assert any(re.search("json", str(b.get("response_format"))) for b in bodies)
