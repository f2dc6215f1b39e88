"""Fine-tuning jobs (`core/platform/fine_tuning.py`) against the fake server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from openai import AsyncOpenAI

from playground.core.api.errors import AppError
from playground.core.platform.fine_tuning import FineTuningService, JobRequest
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
