"""The Platform tab's Fine-tuning page: the Dataset doctor, jobs created, followed, cancelled, and
the provider's refusal, against the fake server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from playground.core.api.catalog import CatalogSnapshot
from playground.core.models import ModelInfo
from playground.core.platform.batches import Backoff, BatchesService
from playground.core.platform.files import FilesService
from playground.core.platform.fine_tuning import FineTuningService
from playground.ui.platform.controller import PlatformController
from playground.ui.platform.fine_tuning_page import FineTuningPage
from playground.ui.platform.tab import PlatformTab
from tests.conftest import Parts, WaitUntil
from tests.fakes.fine_tuning import REFUSAL_MESSAGE
from tests.fakes.openai_server import FakeOpenAI


def _open(parts: Parts, qtbot: Any, tried: list[str] | None = None) -> PlatformController:
    client = parts.services.session.client
    view = PlatformTab()
    qtbot.addWidget(view)
    view.resize(1100, 700)
    view.show()
    controller = PlatformController(
        view,
        FilesService(client),
        BatchesService(client),
        parts.runner,
        parts.services.pricer,
        fine_tuning=FineTuningService(client),
        counter=parts.services.counter,
        try_in_chat=(tried if tried is not None else []).append,
        history=parts.services.history,
        backoff=Backoff(first=0.01, longest=0.04, after_error=0.02),
    )
    controller.show_models(CatalogSnapshot("openai", (ModelInfo("gpt-4o-mini"),), 0.0))
    assert view.fine_tuning is not None
    view.pages.setCurrentWidget(view.fine_tuning)
    return controller


def _page(controller: PlatformController) -> FineTuningPage:
    page = controller.view.fine_tuning
    assert page is not None
    return page


def _idle(controller: PlatformController) -> bool:
    return not any(controller.runner.is_busy(g) for g in controller.busy_groups) and not (
        controller.runner.is_busy("platform-jobs-poll")
    )


def _examples(count: int, role: str = "user") -> list[str]:
    return [
        json.dumps(
            {
                "messages": [
                    {"role": role, "content": f"Question {i}?"},
                    {"role": "assistant", "content": f"Answer {i}."},
                ]
            }
        )
        for i in range(count)
    ]


def _choose(controller: PlatformController, path: Path) -> None:
    part = controller.fine_tuning
    assert part is not None
    part.ask_open_path = lambda _title: str(path)  # type: ignore[method-assign]
    _page(controller).training_button.click()


def test_the_doctor_finds_problems_at_their_lines_and_fixes_the_obvious_ones(
    parts: Parts, qtbot: Any, wait_until: WaitUntil, tmp_path: Path, fake_openai: FakeOpenAI
) -> None:
    lines = _examples(11)
    lines[2] = "{broken"
    lines[4] = lines[4].replace('"user"', '"Human"')
    path = tmp_path / "support.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    controller = _open(parts, qtbot)
    page = _page(controller)
    wait_until(lambda: _idle(controller))
    _choose(controller, path)
    page.check_button.click()
    wait_until(lambda: page.findings.count() > 0 and _idle(controller))
    found = [page.findings.item(i).text() for i in range(page.findings.count())]
    assert found == [
        "Note: 10 examples: it works, but 50 or more usually train clearly better.",
        "Line 3: This line is not valid JSON.",
        'Line 5: message 1 has the role "Human", which is not one of system, developer, user, '
        'assistant, tool. Fix: write the role as "user".',
    ]
    assert not page.start_button.isEnabled()  # nothing goes up with a problem left
    summary = page.summary.text()
    assert summary.startswith("10 examples · ≈")
    assert "2 problems to fix before uploading." in summary
    assert "Training cost: — (the price data has no training price for gpt-4o-mini)." in summary
    assert sum(count for _low, _high, count in page.histogram.bins) == 10  # the readable ones

    part = controller.fine_tuning
    assert part is not None
    fixed = tmp_path / "support-fixed.jsonl"
    part.ask_save_path = lambda _title, _suggested: str(fixed)  # type: ignore[method-assign]
    page.fix_button.click()
    wait_until(lambda: "now the training file" in page.status_label.text() and _idle(controller))
    assert json.loads(fixed.read_text(encoding="utf-8").splitlines()[4])["messages"][0]["role"] == (
        "user"
    )
    assert path.read_text(encoding="utf-8").count('"Human"') == 1  # the original is untouched
    assert [f for f in fake_openai.requests if f.method == "POST"] == []  # offline


def test_a_job_is_created_followed_to_the_end_and_another_cancelled(
    parts: Parts, qtbot: Any, wait_until: WaitUntil, tmp_path: Path, fake_openai: FakeOpenAI
) -> None:
    path = tmp_path / "train.jsonl"
    path.write_text("\n".join(_examples(12)) + "\n", encoding="utf-8")
    tried: list[str] = []
    controller = _open(parts, qtbot, tried)
    page = _page(controller)
    wait_until(lambda: _idle(controller))
    _choose(controller, path)
    page.suffix.setText("support")
    page.check_button.click()
    wait_until(lambda: page.start_button.isEnabled())
    assert "Ready to upload." in page.summary.text()

    page.start_button.click()
    wait_until(lambda: [j.status for j in page.jobs] == ["succeeded"] and _idle(controller))
    created = fake_openai.last("/fine_tuning/jobs").json
    assert created["model"] == "gpt-4o-mini"
    assert created["suffix"] == "support"
    assert created["method"] == {
        "type": "supervised",
        "supervised": {"hyperparameters": {"n_epochs": 3}},
    }
    assert fake_openai.files.files[created["training_file"]].obj["purpose"] == "fine-tune"
    assert page.table.item(0, 0).text() == "Done"
    assert ":support:" in page.table.item(0, 2).text()
    wait_until(lambda: page.events.count() > 0 and _idle(controller))
    events = [page.events.item(i).text() for i in range(page.events.count())]
    assert events[-1].endswith("The job has successfully completed")
    assert any("training loss" in e for e in events)
    assert page.loss.train == [
        (1, 1.0),
        (2, 0.6667),
        (3, 0.5),
        (4, 0.4),
    ]  # the fake's 2 / (1 + step)
    assert page.loss.valid == []  # no validation file
    wait_until(lambda: page.loss_source == "the job’s result file")  # every step, once done
    assert page.loss.train[-1] == (4, 0.4)
    page.try_button.click()
    assert len(tried) == 1
    assert tried[0].startswith("ft:gpt-4o-mini:org-fake:support:")
    wait_until(lambda: page.checkpoints.count() == 3 and _idle(controller))
    assert page.checkpoints.item(0).text().startswith("Step 1: ft:gpt-4o-mini:org-fake:support:")
    assert page.checkpoints.item(0).text().endswith("(training loss 0.4000)")

    fake_openai.fine_tuning.steps = 10_000
    page.start_button.click()
    wait_until(lambda: len(page.jobs) == 2 and page.jobs[0].status == "running")
    page.select_job(page.jobs[0].id)
    page.cancel_button.click()
    wait_until(lambda: page.jobs[0].status == "cancelled" and _idle(controller))
    assert page.table.item(0, 0).text() == "Cancelled"
    assert not page.cancel_button.isEnabled()


def test_a_dpo_job_takes_its_hyperparameters_and_refuses_a_file_of_the_wrong_kind(
    parts: Parts, qtbot: Any, wait_until: WaitUntil, tmp_path: Path, fake_openai: FakeOpenAI
) -> None:
    fake_openai.fine_tuning.steps = 10_000
    plain = tmp_path / "train.jsonl"
    plain.write_text("\n".join(_examples(12)) + "\n", encoding="utf-8")
    pair = {
        "input": {"messages": [{"role": "user", "content": "Hi?"}]},
        "preferred_output": [{"role": "assistant", "content": "Hello! How can I help?"}],
        "non_preferred_output": [{"role": "assistant", "content": "What."}],
    }
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("\n".join(json.dumps(pair | {"n": i}) for i in range(12)), encoding="utf-8")
    controller = _open(parts, qtbot)
    page = _page(controller)
    wait_until(lambda: _idle(controller))
    assert not page.beta.isVisibleTo(page)  # beta belongs to preference training only
    page.set_method("dpo")
    assert page.beta.isVisibleTo(page)
    _choose(controller, plain)
    page.check_button.click()
    wait_until(lambda: page.start_button.isEnabled())
    page.start_button.click()
    assert "The file does not fit the method" in page.status_label.text()
    assert "a better answer and a worse one" in page.status_label.text()
    assert [r for r in fake_openai.requests if r.method == "POST"] == []  # nothing sent

    _choose(controller, pairs)
    page.check_button.click()
    wait_until(lambda: page.start_button.isEnabled())
    page.epochs.setValue(2)
    page.batch_size.setValue(4)
    page.learning_rate.setValue(0.5)
    page.beta.setValue(0.25)
    page.seed.setValue(7)
    page.start_button.click()
    wait_until(lambda: len(page.jobs) == 1)
    created = fake_openai.last("/fine_tuning/jobs").json
    assert created["method"] == {
        "type": "dpo",
        "dpo": {
            "hyperparameters": {
                "n_epochs": 2,
                "batch_size": 4,
                "learning_rate_multiplier": 0.5,
                "beta": 0.25,
            }
        },
    }
    assert created["seed"] == 7
    assert page.jobs[0].method == "dpo"


def test_the_providers_refusal_is_shown_in_plain_words_and_old_jobs_stay(
    parts: Parts, qtbot: Any, wait_until: WaitUntil, tmp_path: Path, fake_openai: FakeOpenAI
) -> None:
    fake_openai.fine_tuning.steps = 10_000
    path = tmp_path / "train.jsonl"
    path.write_text("\n".join(_examples(12)) + "\n", encoding="utf-8")
    controller = _open(parts, qtbot)
    page = _page(controller)
    wait_until(lambda: _idle(controller))
    _choose(controller, path)
    page.check_button.click()
    wait_until(lambda: page.start_button.isEnabled())
    page.start_button.click()  # a job made while the provider still took new ones
    wait_until(lambda: len(page.jobs) == 1)

    fake_openai.fine_tuning.accepts_new_jobs = False
    page.start_button.click()
    wait_until(lambda: "No new fine-tuning jobs here" in page.status_label.text())
    text = page.status_label.text()
    assert "This provider does not accept new fine-tuning jobs." in text
    assert REFUSAL_MESSAGE in text  # the API's own words, kept
    assert "Azure OpenAI" in text  # and what to do
    assert len(page.jobs) == 1  # the old job is still there, still followed
    assert page.jobs[0].status in ("queued", "running", "validating_files")
    assert page.start_button.isEnabled()  # the checked dataset is kept for another try


def test_try_in_chat_opens_the_fine_tuned_model_in_chat(make_app: Any) -> None:
    from playground.core.platform.fine_tuning import JobInfo

    app = make_app()
    app.window.show_tab("platform")
    controller = app.feature("platform")
    page = controller.view.fine_tuning
    model = "ft:gpt-4o-mini:org-fake:support:abc123"
    page.set_jobs([JobInfo("ftjob-1", "succeeded", "gpt-4o-mini", 1_780_000_000, model)])
    page.select_job("ftjob-1")
    page.try_button.click()
    assert app.window.current_tab_key() == "chat"
    assert app.chat_tab.current_model() == model


def test_compare_with_base_model_opens_compare_with_both_models(make_app: Any) -> None:
    from playground.core.platform.fine_tuning import JobInfo

    app = make_app()
    app.window.show_tab("platform")
    page = app.feature("platform").view.fine_tuning
    model = "ft:gpt-4o-mini:org-fake:support:abc123"
    page.set_jobs(
        [
            JobInfo("ftjob-2", "running", "gpt-4o-mini", 1_780_000_100),
            JobInfo("ftjob-1", "succeeded", "gpt-4o-mini", 1_780_000_000, model),
        ]
    )
    page.select_job("ftjob-2")
    assert not page.compare_button.isEnabled()  # no model yet
    page.select_job("ftjob-1")
    page.compare_button.click()
    assert app.window.current_tab_key() == "compare"
    compare = app.feature("compare").view
    columns = [compare.column_settings(c)["model"] for c in compare.column_ids()]
    assert columns[:2] == [model, "gpt-4o-mini"]


def test_a_dataset_is_built_from_chosen_chat_conversations_and_answers(
    parts: Parts, qtbot: Any, wait_until: WaitUntil, tmp_path: Path, fake_openai: FakeOpenAI
) -> None:
    from playground.core.models import Message

    history = parts.services.history
    for name, answers in (("lamps", 6), ("kettles", 5), ("not used", 3)):
        history.create(name, system_prompt=f"You answer questions about {name}.")
        for i in range(answers):
            history.append_message(name, Message("user", f"{name} question {i}?"))
            history.append_message(name, Message("assistant", f"{name} answer {i}."))
    controller = _open(parts, qtbot)
    page = _page(controller)
    wait_until(lambda: _idle(controller))
    part = controller.fine_tuning
    assert part is not None
    target = tmp_path / "from-chat.jsonl"
    part.ask_save_path = lambda _title, _suggested: str(target)  # type: ignore[method-assign]
    page.from_chat_button.click()
    dialog = part.from_chat_dialog
    assert dialog is not None
    qtbot.addWidget(dialog)
    wait_until(lambda: dialog.conversations.count() == 3 and _idle(controller))
    assert not dialog.build_button.isEnabled()  # nothing ticked yet
    dialog.set_conversation_checked("lamps", True)
    dialog.set_conversation_checked("kettles", True)
    dialog.open_conversation("lamps")
    wait_until(lambda: dialog.turns.count() == 6)
    assert dialog.turns.item(0).text() == "You: lamps question 0?\nAnswer: lamps answer 0."
    dialog.set_turn_checked(3, False)  # the second answer (message 4) is not learned
    dialog.build_button.click()
    wait_until(lambda: "Built 10 examples from 2 conversations" in page.status_label.text())
    wait_until(lambda: page.start_button.isEnabled() and _idle(controller))
    assert not dialog.isVisible()
    assert page.files() == (str(target), "")
    lines = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    lamps = [line for line in lines if "lamps" in line["messages"][0]["content"]]
    assert [line["messages"][-1]["content"] for line in lamps] == [
        "lamps answer 0.", "lamps answer 2.", "lamps answer 3.", "lamps answer 4.",
        "lamps answer 5.",
    ]  # fmt: skip
    assert lamps[1]["messages"][0] == {
        "role": "system",
        "content": "You answer questions about lamps.",
    }
    assert lamps[1]["messages"][2]["weight"] == 0  # earlier answers are context only
    assert len(lines) - len(lamps) == 5  # every kettles answer
    assert page.summary.text().startswith("10 examples · ≈")
    assert [r for r in fake_openai.requests if r.method == "POST"] == []  # offline
