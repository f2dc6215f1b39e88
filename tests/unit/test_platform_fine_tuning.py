"""Fine-tuning jobs (`core/platform/fine_tuning.py`) against the fake server."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import pytest
from openai import AsyncOpenAI

from playground.core.api.errors import AppError
from playground.core.platform.fine_tuning import (
    FineTuningService,
    JobRequest,
    read_result_file,
)
from tests.fakes.fine_tuning import REFUSAL_MESSAGE
from tests.fakes.openai_server import FakeOpenAI


@pytest.fixture
async def client(fake_openai: FakeOpenAI) -> AsyncIterator[AsyncOpenAI]:
    api = AsyncOpenAI(base_url=fake_openai.base_url, api_key="test", max_retries=0)
    yield api
    await api.close()


def test_a_dpo_request_carries_its_hyperparameters_under_its_method() -> None:
    request = JobRequest("gpt-4o-mini", "file-1", "file-2", "dpo", epochs=2, seed=5)
    assert request.to_api() == {
        "model": "gpt-4o-mini",
        "training_file": "file-1",
        "validation_file": "file-2",
        "method": {"type": "dpo", "dpo": {"hyperparameters": {"n_epochs": 2}}},
        "seed": 5,
    }


def test_dpo_hyperparameters_go_under_the_method_and_beta_only_with_dpo() -> None:
    dpo = JobRequest(
        "gpt-4o-mini", "file-1", method="dpo", epochs=1, batch_size=8,
        learning_rate_multiplier=0.5, beta=0.2,
    )  # fmt: skip
    assert dpo.to_api()["method"] == {
        "type": "dpo",
        "dpo": {
            "hyperparameters": {
                "n_epochs": 1,
                "batch_size": 8,
                "learning_rate_multiplier": 0.5,
                "beta": 0.2,
            }
        },
    }
    supervised = JobRequest("gpt-4o-mini", "file-1", beta=0.2)
    assert supervised.to_api()["method"] == {
        "type": "supervised",
        "supervised": {"hyperparameters": {}},
    }


def test_the_result_file_is_read_plain_or_base64_and_bad_rows_are_skipped() -> None:
    text = "step,train_loss,train_accuracy,valid_loss\n1,1.5,0.2,\n2,0.75,0.4,0.9\nx,1,1,1\n"
    plain = read_result_file(text.encode())
    assert plain.train == [(1, 1.5), (2, 0.75)]
    assert plain.valid == [(2, 0.9)]
    assert read_result_file(base64.b64encode(text.encode())) == plain
    assert not read_result_file(b"not a result file at all")


async def test_jobs_events_cancel_and_the_refusal(
    fake_openai: FakeOpenAI, client: AsyncOpenAI
) -> None:
    file = fake_openai.files.add("train.jsonl", b"{}\n", "fine-tune")
    service = FineTuningService(lambda: client)
    job = await service.create(JobRequest("gpt-4o-mini", file["id"], suffix="pets"))
    assert job.status_text == "Checking the files"
    while not job.done:
        (job,) = await service.refresh([job.id])
    assert job.status_text == "Done"
    events = await service.events(job.id)
    assert events[0].message.startswith("Validating training file")
    assert events[-1].message == "The job has successfully completed"
    assert [e.metrics["step"] for e in events if e.metrics] == [1, 2, 3, 4]
    metrics = await service.result_metrics(job)
    assert metrics.train == [(1, 1.0), (2, 0.6667), (3, 0.5), (4, 0.4)]  # 2 / (1 + step)

    other = await service.create(JobRequest("gpt-4o-mini", file["id"]))
    assert (await service.cancel(other.id)).status_text == "Cancelled"
    assert [j.id for j in await service.list_jobs()] == [other.id, job.id]

    fake_openai.fine_tuning.accepts_new_jobs = False
    with pytest.raises(AppError) as caught:
        await service.create(JobRequest("gpt-4o-mini", file["id"]))
    assert caught.value.title == "No new fine-tuning jobs here"
    assert REFUSAL_MESSAGE in caught.value.message
    assert "Azure OpenAI" in caught.value.hint


async def test_a_failed_job_keeps_its_error_and_events(
    fake_openai: FakeOpenAI, client: AsyncOpenAI
) -> None:
    fake_openai.fine_tuning.fail_jobs = True
    file = fake_openai.files.add("train.jsonl", b"{}\n", "fine-tune")
    service = FineTuningService(lambda: client)
    job = await service.create(JobRequest("gpt-4o-mini", file["id"]))
    while not job.done:
        (job,) = await service.refresh([job.id])
    assert job.status == "failed"
    assert job.error == "The job failed due to an invalid training file."
    assert len(await service.events(job.id)) == 4
