"""Prompt Lab graders (core/lab/graders.py) against the fake server through the real SDK: rubric,
label and similarity checks, the Decisions API with several questions in one call, its fallback
to the chat grader, errors and unreadable replies."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import openai
import pytest

from playground.core.lab.graders import (
    DECISIONS_MODEL,
    Grader,
    GraderSettings,
    criteria,
    grader_problems,
)
from playground.core.lab.store import LabStore
from playground.core.lab.suite import Expectation, ExpectKind, LabRun, TestCase
from playground.core.models import Endpoint
from tests.fakes.decisions import GraderReplies
from tests.fakes.openai_server import FakeOpenAI

ANSWER = "Paris is the capital of France."
RUBRIC = 'Names the capital "Paris"\nMentions the country "France"'


@pytest.fixture
async def client(fake_openai: FakeOpenAI) -> AsyncIterator[openai.AsyncOpenAI]:
    fake_openai.scenario.models = [*fake_openai.scenario.models, DECISIONS_MODEL]
    fake_openai.scenario.reply_text = GraderReplies(ANSWER)
    client = openai.AsyncOpenAI(base_url=fake_openai.base_url, api_key="test", max_retries=0)
    yield client
    await client.close()


def _case(kind: ExpectKind, value: str) -> TestCase:
    return TestCase({"q": "capital of France?"}, Expectation(kind, value))


def _grader(client: openai.AsyncOpenAI, **settings: object) -> Grader:
    return Grader(lambda: client, GraderSettings(**{"model": "gpt-4o-mini", **settings}))  # type: ignore[arg-type]


async def test_rubric_passes_with_score_and_reason(
    client: openai.AsyncOpenAI, fake_openai: FakeOpenAI
) -> None:
    grade = await _grader(client).grade(_case(ExpectKind.RUBRIC, RUBRIC), ANSWER)
    assert grade.check.passed is True
    assert grade.check.score == 1.0
    assert grade.check.detail.startswith("Met — mentions “Paris”")
    assert "(score 1.00, needs 0.70; 2/2 criteria met)" in grade.check.detail
    assert [c.endpoint for c in grade.calls] == [Endpoint.CHAT]
    assert grade.calls[0].usage.input_tokens > 0
    sent = fake_openai.last("/chat/completions").json or {}
    assert sent["model"] == "gpt-4o-mini"
    assert sent["response_format"] == {"type": "json_object"}


async def test_rubric_fails_naming_the_criterion_and_the_graders_reason(
    client: openai.AsyncOpenAI,
) -> None:
    rubric = 'Names the capital "Paris"\nMentions the river "Seine"'
    grade = await _grader(client).grade(_case(ExpectKind.RUBRIC, rubric), ANSWER)
    assert grade.check.passed is False
    assert grade.check.score == 0.0
    assert grade.check.detail.startswith('Fails “Mentions the river "Seine"” — does not mention')
    assert "1/2 criteria met" in grade.check.detail
    assert "Seine" in grade.check.detail
    assert "does not mention" in grade.check.detail  # the grader's own reason


async def test_label_check_judged_by_a_model(client: openai.AsyncOpenAI) -> None:
    right = await _grader(client).grade(_case(ExpectKind.LABEL, "Paris | London"), ANSWER)
    wrong = await _grader(client).grade(_case(ExpectKind.LABEL, "London | Paris"), ANSWER)
    assert right.check.passed is True
    assert "Labelled “Paris”" in right.check.detail
    assert wrong.check.passed is False
    assert "expected “London”" in wrong.check.detail


async def test_similarity_to_a_reference_answer(
    client: openai.AsyncOpenAI, fake_openai: FakeOpenAI
) -> None:
    same = await _grader(client).grade(_case(ExpectKind.SIMILAR, ANSWER), ANSWER)
    other = await _grader(client, similarity=0.99).grade(
        _case(ExpectKind.SIMILAR, "Bananas are yellow and grow in bunches."), ANSWER
    )
    assert same.check.passed is True
    assert same.check.score == pytest.approx(1.0)
    assert other.check.passed is False
    assert "needs 0.99" in other.check.detail
    assert [c.endpoint for c in same.calls] == [Endpoint.EMBEDDINGS]
    assert (fake_openai.last("/embeddings").json or {})["input"] == [
        ANSWER,
        "Bananas are yellow and grow in bunches.",
    ]


async def test_decisions_asks_every_rubric_line_in_one_request(
    client: openai.AsyncOpenAI, fake_openai: FakeOpenAI
) -> None:
    rubric = RUBRIC + '\nNames the river "Seine"'
    grader = _grader(client, use_decisions=True)
    grade = await grader.grade(_case(ExpectKind.RUBRIC, rubric), ANSWER)
    sent = fake_openai.requests_to("/decisions")
    assert len(sent) == 1
    body = sent[0].json or {}
    assert body["model"] == DECISIONS_MODEL
    assert [q["type"] for q in body["questions"]] == ["predicate"] * 3
    assert grade.check.passed is False
    assert "2/3 criteria met" in grade.check.detail
    assert grade.check.score == pytest.approx(0.08)
    assert [c.endpoint for c in grade.calls] == [Endpoint.DECISIONS]
    assert grade.calls[0].usage.output_tokens == 0  # billed on input only
    assert fake_openai.requests_to("/chat/completions") == []


async def test_decisions_label_is_one_choice_question(
    client: openai.AsyncOpenAI, fake_openai: FakeOpenAI
) -> None:
    grade = await _grader(client, use_decisions=True).grade(
        _case(ExpectKind.LABEL, "Paris | London | Rome"), ANSWER
    )
    question = (fake_openai.last("/decisions").json or {})["questions"][0]
    assert question["type"] == "choice"
    assert [c["value"] for c in question["choices"]] == ["Paris", "London", "Rome"]
    assert grade.check.passed is True


async def test_decisions_missing_from_the_model_list_falls_back_and_says_so(
    client: openai.AsyncOpenAI, fake_openai: FakeOpenAI
) -> None:
    grader = Grader(
        lambda: client, GraderSettings("gpt-4o-mini", use_decisions=True), models={"gpt-4o-mini"}
    )
    grade = await grader.grade(_case(ExpectKind.RUBRIC, RUBRIC), ANSWER)
    assert grade.check.passed is True
    assert grade.check.detail.startswith(
        f"Decisions API not used ({DECISIONS_MODEL} is not in your model list); graded by "
        "gpt-4o-mini."
    )
    assert fake_openai.requests_to("/decisions") == []
    assert grader.decisions_off == f"{DECISIONS_MODEL} is not in your model list"


async def test_decisions_refused_falls_back_to_the_chat_grader(
    client: openai.AsyncOpenAI, fake_openai: FakeOpenAI
) -> None:
    rubric = 'Names the capital "Paris" [refuse]'
    grade = await _grader(client, use_decisions=True).grade(
        _case(ExpectKind.RUBRIC, rubric), ANSWER
    )
    assert len(fake_openai.requests_to("/decisions")) == 1
    assert len(fake_openai.requests_to("/chat/completions")) == 1
    assert grade.check.passed is True
    assert grade.check.detail.startswith("Decisions API not used (it declined a question)")
    assert [c.endpoint for c in grade.calls] == [Endpoint.DECISIONS, Endpoint.CHAT]


async def test_decisions_error_falls_back_for_every_later_cell(
    client: openai.AsyncOpenAI, fake_openai: FakeOpenAI
) -> None:
    fake_openai.scenario.models = ["gpt-4o-mini"]  # the key has no access to the beta model
    grader = _grader(client, use_decisions=True)
    first = await grader.grade(_case(ExpectKind.RUBRIC, RUBRIC), ANSWER)
    second = await grader.grade(_case(ExpectKind.RUBRIC, RUBRIC), ANSWER)
    assert first.check.passed is True
    assert second.check.passed is True
    assert "Decisions API not used" in first.check.detail
    assert len(fake_openai.requests_to("/decisions")) == 1  # not asked again
    assert grader.decisions_off


async def test_unreadable_grader_reply_is_retried_once(
    client: openai.AsyncOpenAI, fake_openai: FakeOpenAI
) -> None:
    fake_openai.scenario.reply_text = GraderReplies(ANSWER, garble=1)
    grade = await _grader(client).grade(_case(ExpectKind.RUBRIC, RUBRIC), ANSWER)
    assert grade.check.passed is True
    assert len(grade.calls) == 2


async def test_unreadable_twice_is_not_graded_never_passed(
    client: openai.AsyncOpenAI, fake_openai: FakeOpenAI
) -> None:
    fake_openai.scenario.reply_text = GraderReplies(ANSWER, garble=5)
    grade = await _grader(client).grade(_case(ExpectKind.RUBRIC, RUBRIC), ANSWER)
    assert grade.check.passed is None
    assert grade.check.ungraded
    assert "could not be read twice" in grade.check.detail
    assert len(grade.calls) == 2  # both requests are metered


async def test_grader_error_is_not_graded_with_the_reason(
    client: openai.AsyncOpenAI, fake_openai: FakeOpenAI
) -> None:
    fake_openai.fail_next(500, path="/chat/completions")
    grade = await _grader(client).grade(_case(ExpectKind.RUBRIC, RUBRIC), ANSWER)
    assert grade.check.passed is None
    assert grade.check.ungraded
    assert grade.check.detail.startswith("Not graded:")
    assert grade.calls == ()


def test_problems_and_criteria() -> None:
    cases = [_case(ExpectKind.RUBRIC, "x")]
    assert grader_problems(cases, GraderSettings()) != []
    assert grader_problems(cases, GraderSettings("gpt-4o-mini")) == []
    assert grader_problems([_case(ExpectKind.CONTAINS, "x")], GraderSettings()) == []
    assert criteria("short; names the capital ;") == ["short", "names the capital"]
    assert criteria("a; b\nc") == ["a; b", "c"]  # with lines, ";" is just text
    assert criteria("- short\n\n2. names the capital\n* polite") == [
        "short",
        "names the capital",
        "polite",
    ]
    assert Expectation(ExpectKind.LABEL, "only").problem() is not None
    assert Expectation(ExpectKind.RUBRIC, "ok").check("x").ungraded


def test_settings_round_trip_and_clamp() -> None:
    settings = GraderSettings("gpt-4.1", True, "text-embedding-3-large", 0.6, 0.9)
    assert GraderSettings.from_dict(settings.to_dict()) == settings
    assert GraderSettings.from_dict({"pass_score": "7", "similarity": None}).pass_score == 1.0


async def test_fake_decisions_endpoint_through_the_sdk(
    client: openai.AsyncOpenAI, fake_openai: FakeOpenAI
) -> None:
    decision = await client.decisions.create(
        model=DECISIONS_MODEL,
        input=ANSWER,
        questions=[
            {"type": "predicate", "name": "a", "instructions": 'Mentions "Paris"'},
            {"type": "choice", "instructions": "Tone?", "choices": [{"value": "dry"}]},
            {
                "type": "score",
                "instructions": "Quality",
                "levels": [{"label": "bad"}, {"label": "ok"}, {"label": "good"}],
            },
        ],
    )
    assert [a.type for a in decision.answers] == ["predicate", "choice", "score"]
    assert decision.usage.output_tokens == 3
    with pytest.raises(openai.BadRequestError):
        await client.decisions.create(
            model="gpt-4o-mini", input="x", questions=[{"type": "predicate", "instructions": "y"}]
        )


def test_grader_settings_are_stored_with_the_run_also_in_an_older_file(tmp_path: Path) -> None:
    path = tmp_path / "lab.sqlite3"
    with sqlite3.connect(path) as conn:  # a file from before graded checks: no graders column
        conn.executescript(
            "CREATE TABLE runs (id INTEGER PRIMARY KEY, created_at TEXT NOT NULL, label TEXT NOT"
            " NULL DEFAULT '', samples INTEGER NOT NULL, variants TEXT NOT NULL, cases TEXT NOT"
            " NULL, results TEXT NOT NULL);"
            "INSERT INTO runs VALUES (1, '2026-12-01T10:00:00+00:00', 'old', 1, '[]', '[]', '{}');"
        )
    conn.close()
    settings = GraderSettings("gpt-4.1", True, pass_score=0.6)
    with LabStore(path) as store:
        old = store.load_run(1)
        assert old is not None
        assert old.graders == {}
        run = LabRun([], [_case(ExpectKind.RUBRIC, "x")], graders=settings.to_dict())
        run_id = store.save_run(run)
    with LabStore(path) as store:
        again = store.load_run(run_id)
    assert again is not None
    assert GraderSettings.from_dict(again.graders) == settings
