"""The Platform tab's Batches page, driven as a user would, against the fake server."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from playground.core.api.catalog import CatalogSnapshot
from playground.core.models import ModelInfo
from playground.core.platform.batches import Backoff, BatchesService
from playground.core.platform.files import FilesService
from playground.ui.platform.controller import PlatformController
from playground.ui.platform.tab import PlatformTab
from tests.conftest import Parts, WaitUntil
from tests.fakes.openai_server import FakeOpenAI

PROMPTS = "The Shawshank Redemption\n\nUp\nAlien\n"


def _open(parts: Parts, qtbot: Any) -> PlatformController:
    client = parts.services.session.client
    view = PlatformTab()
    qtbot.addWidget(view)
    view.resize(1100, 700)
    view.show()
    view.pages.setCurrentWidget(view.batches)
    controller = PlatformController(
        view,
        FilesService(client),
        BatchesService(client),
        parts.runner,
        parts.services.pricer,
        counter=parts.services.counter,
        backoff=Backoff(first=0.01, longest=0.04, after_error=0.02),
    )
    controller.show_models(
        CatalogSnapshot("openai", (ModelInfo("gpt-4o-mini"), ModelInfo("gpt-4.1")), 0.0)
    )
    return controller


def _started(parts: Parts, qtbot: Any, wait_until: WaitUntil) -> PlatformController:
    """The Batches page with the prompt list filled in, checked and its batch started."""
    controller = _open(parts, qtbot)
    page = controller.view.batches
    wait_until(lambda: _idle(controller))
    _fill_prompts(controller, qtbot)
    page.check_button.click()
    wait_until(lambda: page.start_button.isEnabled())
    page.start_button.click()
    return controller


def _add_batches(fake: FakeOpenAI, batches: list[tuple[str, int, Any]]) -> None:
    """Finished batches in the fake server: (id, created_at, metadata) each."""
    file = fake.files.add("in.jsonl", b'{"custom_id": "a"}\n', "batch")
    for batch_id, created, metadata in batches:
        fake.batches.batches[batch_id] = {
            "id": batch_id, "object": "batch", "endpoint": "/v1/chat/completions",
            "input_file_id": file["id"], "completion_window": "24h", "status": "completed",
            "created_at": created, "request_counts": {"total": 1, "completed": 1, "failed": 0},
            "metadata": metadata,
        }  # fmt: skip


def _idle(controller: PlatformController) -> bool:
    return not any(controller.runner.is_busy(g) for g in controller.busy_groups)


def _statuses(controller: PlatformController) -> list[str]:
    return [b.status for b in controller.view.batches.model.batches]


def _fill_prompts(controller: PlatformController, qtbot: Any) -> None:
    page = controller.view.batches
    page.model_combo.setCurrentText("gpt-4o-mini")
    page.system_edit.setText("Answer with one film genre.")
    page.prompts_edit.setPlainText(PROMPTS)


def test_a_prompt_list_is_checked_run_through_its_lifecycle_and_mapped_back(
    parts: Parts, qtbot: Any, fake_openai: FakeOpenAI, wait_until: WaitUntil, tmp_path: Path
) -> None:
    fake_openai.batches.fail_ids = {"prompt-3"}
    controller = _open(parts, qtbot)
    page = controller.view.batches
    wait_until(lambda: _idle(controller))
    _fill_prompts(controller, qtbot)
    assert not page.start_button.isEnabled()  # nothing is sent before a check
    page.check_button.click()
    wait_until(lambda: page.start_button.isEnabled())
    summary = page.check_summary.text()
    assert summary.startswith("3 requests, ready to send. Input ≈")
    assert "at the batch price (≈$" in summary
    assert summary.endswith("live); the answers are charged on top.")

    page.start_button.click()
    wait_until(lambda: _statuses(controller) == ["completed"] and _idle(controller))
    upload = fake_openai.last("/v1/files")
    assert upload.form["purpose"] == "batch"
    lines = [json.loads(line) for line in upload.files["file"].data.decode().splitlines()]
    assert [line["custom_id"] for line in lines] == ["prompt-1", "prompt-3", "prompt-4"]
    assert lines[0]["body"]["messages"][0] == {
        "role": "system",
        "content": "Answer with one film genre.",
    }
    # It was followed through every state, one look at a time.
    assert len(fake_openai.requests_to(f"/batches/{page.model.batches[0].id}")) == 3
    assert page.model.batches[0].counts_text == "2 of 3 done, 1 failed"
    assert not page.cancel_button.isEnabled()

    page.table.selectRow(0)
    page.results_button.click()
    wait_until(lambda: page.results.rowCount() == 3 and _idle(controller))
    rows = [(r.custom_id, r.input, bool(r.output), r.error) for r in page.results.rows]
    assert rows[0][:3] == ("prompt-1", "The Shawshank Redemption", True)
    assert rows[1][0:2] == ("prompt-3", "Up")
    assert "does not exist" in rows[1][3]
    assert rows[2][:3] == ("prompt-4", "Alien", True)
    assert page.results_title.text() == (
        "Results of prompt-list.jsonl: 2 answered, 1 with a problem"
    )
    assert page.cost_label.text().startswith("Cost at the batch price: $")
    assert "(the same requests live: $" in page.cost_label.text()

    target = tmp_path / "out.csv"
    controller.batches.ask_save_path = lambda _s, _f: str(target)  # type: ignore[method-assign]
    page.export_csv.click()
    wait_until(lambda: _idle(controller) and target.exists())
    exported = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert exported[0] == ["custom_id", "input", "output", "error"]
    assert [row[0] for row in exported[1:]] == ["prompt-1", "prompt-3", "prompt-4"]


def test_problems_are_listed_by_line_and_nothing_is_uploaded(
    parts: Parts, qtbot: Any, fake_openai: FakeOpenAI, wait_until: WaitUntil, tmp_path: Path
) -> None:
    good = {
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]},
    }
    path = tmp_path / "requests.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps({"custom_id": "a", **good}),
                json.dumps({"custom_id": "a", **good}),
                "{broken",
            ]
        ),
        encoding="utf-8",
    )
    controller = _open(parts, qtbot)
    page = controller.view.batches
    wait_until(lambda: _idle(controller))
    page.use_file_source()
    controller.batches.ask_open_path = lambda: str(path)  # type: ignore[method-assign]
    page.open_button.click()
    page.check_button.click()
    wait_until(lambda: page.problems.count() == 2)
    assert [page.problems.item(i).text() for i in range(2)] == [
        'Line 2: custom_id "a" is already used on line 1.',
        "Line 3: This line is not valid JSON.",
    ]
    assert "nothing was uploaded" in page.check_summary.text()
    assert not page.start_button.isEnabled()
    assert [r for r in fake_openai.requests if r.method == "POST"] == []


def test_polling_pauses_while_the_window_is_hidden(
    parts: Parts, qtbot: Any, fake_openai: FakeOpenAI, wait_until: WaitUntil
) -> None:
    fake_openai.batches.steps = 10_000
    controller = _started(parts, qtbot, wait_until)
    page = controller.view.batches
    wait_until(lambda: _statuses(controller) == ["in_progress"])
    batch_id = page.model.batches[0].id

    ticks: list[int] = []
    controller.batches.timer.timeout.connect(lambda: ticks.append(1))
    controller.view.hide()
    wait_until(lambda: not controller.runner.is_busy("platform-batches-poll"))
    looked = len(fake_openai.requests_to(f"/batches/{batch_id}"))
    wait_until(lambda: len(ticks) >= 5)  # the timer keeps ticking, but asks nothing
    assert len(fake_openai.requests_to(f"/batches/{batch_id}")) == looked

    controller.view.show()
    wait_until(lambda: len(fake_openai.requests_to(f"/batches/{batch_id}")) > looked)


def test_a_429_while_polling_backs_off_and_keeps_the_batch(
    parts: Parts, qtbot: Any, fake_openai: FakeOpenAI, wait_until: WaitUntil
) -> None:
    controller = _open(parts, qtbot)
    page = controller.view.batches
    wait_until(lambda: _idle(controller))
    _fill_prompts(controller, qtbot)
    page.check_button.click()
    wait_until(lambda: page.start_button.isEnabled())
    fake_openai.batches.steps = 6
    page.start_button.click()
    wait_until(lambda: _statuses(controller) == ["in_progress"])
    batch_id = page.model.batches[0].id
    fake_openai.fail_next(429, times=2, path=f"/batches/{batch_id}")
    wait_until(lambda: "Could not check the status" in page.poll_label.text())
    assert "Nothing is lost" in page.poll_label.text()
    assert len(page.model.batches) == 1
    wait_until(lambda: _statuses(controller) == ["completed"])
    assert page.poll_label.text() == ""


def test_an_expired_batch_shows_its_error_file(
    parts: Parts, qtbot: Any, fake_openai: FakeOpenAI, wait_until: WaitUntil
) -> None:
    fake_openai.batches.outcome = "expired"
    controller = _started(parts, qtbot, wait_until)
    page = controller.view.batches
    wait_until(lambda: _statuses(controller) == ["expired"] and _idle(controller))
    assert page.model.index(0, 1).data() == "Expired"
    tip = page.model.index(0, 1).data(Qt.ItemDataRole.ToolTipRole)
    assert tip == "Expired (not finished within 24 h)"
    assert page.status_label.text() == (
        "prompt-list.jsonl expired: 1 of 3 requests were answered within 24 h. Show results to "
        "see them; the rest are listed with the reason."
    )
    page.table.selectRow(0)
    page.results_button.click()
    wait_until(lambda: page.results.rowCount() == 3)
    errors = [r.error for r in page.results.rows]
    assert errors[0] == ""
    assert (
        errors[1:]
        == ["This request could not be executed before the completion window expired."] * 2
    )


def test_cancel_a_running_batch(
    parts: Parts, qtbot: Any, fake_openai: FakeOpenAI, wait_until: WaitUntil
) -> None:
    fake_openai.batches.steps = 10_000
    fake_openai.batches.slow_cancel = True
    controller = _started(parts, qtbot, wait_until)
    page = controller.view.batches
    wait_until(lambda: _statuses(controller) == ["in_progress"])
    page.table.selectRow(0)
    page.cancel_button.click()
    wait_until(lambda: _statuses(controller) == ["cancelled"])
    assert fake_openai.requests_to("/cancel")
    assert not page.cancel_button.isEnabled()


def test_the_prompt_list_draft_survives_a_restart(
    parts: Parts, qtbot: Any, wait_until: WaitUntil
) -> None:
    first = _open(parts, qtbot)
    _fill_prompts(first, qtbot)
    saved = json.loads(json.dumps(first.save_state()))
    again = _open(parts, qtbot)
    again.restore_state(saved)
    page = again.view.batches
    assert page.prompts_edit.toPlainText() == PROMPTS
    assert page.system_edit.text() == "Answer with one film genre."
    assert page.model_combo.currentText() == "gpt-4o-mini"
    wait_until(lambda: _idle(first) and _idle(again))


def test_a_failed_batch_says_why(
    parts: Parts, qtbot: Any, fake_openai: FakeOpenAI, wait_until: WaitUntil
) -> None:
    fake_openai.batches.outcome = "failed"
    controller = _started(parts, qtbot, wait_until)
    page = controller.view.batches
    wait_until(lambda: _statuses(controller) == ["failed"] and _idle(controller))
    assert page.status_label.text() == (
        "prompt-list.jsonl failed: Line 1: The batch input file is not valid for this endpoint. "
        "Fix the file and start it again; nothing was charged."
    )
    assert not page.results_button.isEnabled()  # no output or error file to show
    assert page.prompts_edit.toPlainText() == PROMPTS  # the draft is kept


def test_older_batches_are_listed_on_demand(
    parts: Parts, qtbot: Any, fake_openai: FakeOpenAI, wait_until: WaitUntil
) -> None:
    fake_openai.batches.steps = 1
    _add_batches(
        fake_openai,
        [(f"batch_{i:03}", 1_780_000_000 + i, {"name": f"old {i}"}) for i in range(130)],
    )
    controller = _open(parts, qtbot)
    page = controller.view.batches
    wait_until(lambda: len(page.model.batches) == 100 and _idle(controller))
    assert page.more_button.isVisibleTo(page)
    page.more_button.click()
    wait_until(lambda: len(page.model.batches) == 130 and _idle(controller))
    assert page.model.batches[-1].name == "old 0"
    assert not page.more_button.isVisibleTo(page)


def test_batches_from_prompt_lab_are_listed_and_say_so(
    parts: Parts, qtbot: Any, fake_openai: FakeOpenAI, wait_until: WaitUntil
) -> None:
    _add_batches(
        fake_openai,
        [
            ("batch_lab", 1_780_000_000, {"source": "playground-prompt-lab", "run": "7"}),
            ("batch_mine", 1_779_999_999, {"name": "Movie genres"}),
            ("batch_other", 1_779_999_998, None),
        ],
    )  # the first as Lab's "Run as batch" makes it
    controller = _open(parts, qtbot)
    page = controller.view.batches
    wait_until(lambda: len(page.model.batches) == 3 and _idle(controller))
    model = page.model
    rows = {b.id: row for row, b in enumerate(model.batches)}
    names = {key: model.index(row, 0).data() for key, row in rows.items()}
    assert names == {
        "batch_lab": "Test-suite run · from Prompt Lab",
        "batch_mine": "Movie genres",
        "batch_other": "Batch",
    }
    tip = Qt.ItemDataRole.ToolTipRole
    assert "Prompt Lab" in model.index(rows["batch_lab"], 0).data(tip)
    assert model.index(rows["batch_mine"], 0).data(tip) is None
