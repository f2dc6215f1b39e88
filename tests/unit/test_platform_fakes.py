"""The fake server's Files, Uploads, Batch, Vector store and Fine-tuning families, through the SDK."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Iterator

import openai
import pytest
from openai import AsyncOpenAI

from tests.fakes.fine_tuning import REFUSAL_MESSAGE
from tests.fakes.openai_server import FakeOpenAI


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server
    assert server.server_errors == []


@pytest.fixture
async def client(fake: FakeOpenAI) -> AsyncIterator[AsyncOpenAI]:
    api = AsyncOpenAI(base_url=fake.base_url, api_key="test", max_retries=0)
    yield api
    await api.close()


def _batch_line(custom_id: str, model: str = "gpt-4o-mini") -> str:
    body = {"model": model, "messages": [{"role": "user", "content": f"Hi {custom_id}"}]}
    return json.dumps(
        {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions", "body": body}
    )


async def test_files_upload_list_pages_content_delete(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    for i in range(5):
        fake.files.add(f"notes-{i}.txt", b"x" * i, "user_data")
    uploaded = await client.files.create(file=("a.jsonl", b'{"a": 1}\n'), purpose="fine-tune")
    assert (uploaded.filename, uploaded.bytes, uploaded.purpose) == ("a.jsonl", 9, "fine-tune")

    first = await client.files.list(limit=4)
    assert [f.filename for f in first.data] == [
        "a.jsonl",
        "notes-4.txt",
        "notes-3.txt",
        "notes-2.txt",
    ]
    assert first.has_more
    second = await client.files.list(limit=4, after=first.data[-1].id)
    assert [f.filename for f in second.data] == ["notes-1.txt", "notes-0.txt"]
    assert not second.has_more
    tuned = await client.files.list(purpose="fine-tune")
    assert [f.id for f in tuned.data] == [uploaded.id]

    content = await client.files.content(uploaded.id)
    assert content.read() == b'{"a": 1}\n'
    deleted = await client.files.delete(uploaded.id)
    assert deleted.deleted
    with pytest.raises(openai.NotFoundError):
        await client.files.retrieve(uploaded.id)


async def test_file_over_the_limit_and_bad_batch_line_are_refused(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    fake.files.max_file_bytes = 10
    with pytest.raises(openai.BadRequestError, match="too large"):
        await client.files.create(file=("big.txt", b"x" * 11), purpose="user_data")
    fake.files.max_file_bytes = 1000
    data = (_batch_line("a") + "\nnot json\n").encode()
    with pytest.raises(openai.BadRequestError, match="Line 2"):
        await client.files.create(file=("b.jsonl", data), purpose="batch")
    assert fake.files.files == {}


async def test_upload_in_parts_survives_a_dropped_part(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    data = bytes(range(256)) * 40
    upload = await client.uploads.create(
        bytes=len(data),
        filename="big.bin",
        mime_type="application/octet-stream",
        purpose="user_data",
    )
    fake.files.drop_part_after = 1
    first = await client.uploads.parts.create(upload.id, data=data[:5000])
    with pytest.raises(openai.InternalServerError):
        await client.uploads.parts.create(upload.id, data=data[5000:])
    second = await client.uploads.parts.create(upload.id, data=data[5000:])
    done = await client.uploads.complete(upload.id, part_ids=[first.id, second.id])
    assert done.status == "completed"
    assert done.file is not None
    assert fake.files.files[done.file.id].data == data


async def test_batch_lifecycle_list_cancel_and_expiry(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    data = "\n".join(_batch_line(f"row-{i}") for i in range(4)).encode()
    file = await client.files.create(file=("in.jsonl", data), purpose="batch")
    batch = await client.batches.create(
        input_file_id=file.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    seen = [batch.status]
    while batch.status not in ("completed", "failed", "expired", "cancelled"):
        batch = await client.batches.retrieve(batch.id)
        seen.append(batch.status)
    assert seen == ["validating", "in_progress", "finalizing", "completed"]
    assert batch.request_counts is not None
    assert batch.request_counts.completed == 4
    assert batch.output_file_id is not None
    out = (await client.files.content(batch.output_file_id)).read().decode()
    assert sorted(json.loads(line)["custom_id"] for line in out.splitlines()) == [
        f"row-{i}" for i in range(4)
    ]

    fake.batches.outcome = "expired"
    late = await client.batches.create(
        input_file_id=file.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    for _ in range(3):
        late = await client.batches.retrieve(late.id)
    assert late.status == "expired"
    assert late.error_file_id is not None
    errors = (await client.files.content(late.error_file_id)).read().decode()
    assert "batch_expired" in errors

    fake.batches.outcome = "completed"
    fake.batches.slow_cancel = True
    stopped = await client.batches.create(
        input_file_id=file.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    assert (await client.batches.cancel(stopped.id)).status == "cancelling"
    assert (await client.batches.retrieve(stopped.id)).status == "cancelled"
    listed = await client.batches.list(limit=2)
    assert [b.id for b in listed.data] == [stopped.id, late.id]
    assert listed.has_more


async def test_failed_batch_says_why(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    fake.batches.outcome = "failed"
    fake.batches.steps = 1
    file = await client.files.create(file=("in.jsonl", _batch_line("x").encode()), purpose="batch")
    batch = await client.batches.create(
        input_file_id=file.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    batch = await client.batches.retrieve(batch.id)
    assert batch.status == "failed"
    assert batch.errors is not None
    assert batch.errors.data
    assert batch.errors.data[0].line == 1


async def test_vector_store_indexes_then_searches(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    text = b"Cats sleep most of the day.\n\nDogs like long walks in the park.\n\nBirds sing."
    file = await client.files.create(file=("pets.txt", text), purpose="assistants")
    broken = await client.files.create(file=("pic.bin", b"\xff\xfe\x00"), purpose="assistants")
    store = await client.vector_stores.create(
        name="Pets", expires_after={"anchor": "last_active_at", "days": 7}
    )
    await client.vector_stores.files.create(store.id, file_id=file.id)
    await client.vector_stores.files.create(store.id, file_id=broken.id)
    first = await client.vector_stores.files.list(store.id)
    assert {f.status for f in first.data} == {"in_progress"}
    second = await client.vector_stores.files.list(store.id)
    states = {f.id: f.status for f in second.data}
    assert states == {file.id: "completed", broken.id: "failed"}
    renamed = await client.vector_stores.update(store.id, name="Animals")
    assert renamed.name == "Animals"
    assert renamed.file_counts.completed == 1
    assert renamed.file_counts.failed == 1

    found = await client.vector_stores.search(store.id, query="long walks for dogs")
    assert found.data[0].content[0].text == "Dogs like long walks in the park."
    assert found.data[0].score == 0.75  # long, walks, dogs of four query words
    assert all("Cats" not in r.content[0].text for r in found.data)
    assert (await client.vector_stores.delete(store.id)).deleted


async def test_fine_tuning_job_runs_with_events_checkpoints_and_metrics(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    file = await client.files.create(file=("train.jsonl", b"{}\n"), purpose="fine-tune")
    job = await client.fine_tuning.jobs.create(
        model="gpt-4o-mini", training_file=file.id, validation_file=file.id, suffix="pets"
    )
    while job.status not in ("succeeded", "failed", "cancelled"):
        job = await client.fine_tuning.jobs.retrieve(job.id)
    assert job.status == "succeeded"
    assert job.fine_tuned_model is not None
    assert ":pets:" in job.fine_tuned_model
    events = await client.fine_tuning.jobs.list_events(job.id, limit=50)
    metrics = [e.data for e in events.data if e.type == "metrics"]
    assert len(metrics) == fake.fine_tuning.steps
    checkpoints = await client.fine_tuning.jobs.checkpoints.list(job.id)
    assert len(checkpoints.data) == 3
    result = (await client.files.content(job.result_files[0])).read()
    assert base64.b64decode(result).decode().splitlines()[0] == "step,train_loss,valid_loss"

    other = await client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file.id)
    assert (await client.fine_tuning.jobs.cancel(other.id)).status == "cancelled"
    fake.fine_tuning.fail_jobs = True
    failing = await client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file.id)
    while failing.status not in ("succeeded", "failed", "cancelled"):
        failing = await client.fine_tuning.jobs.retrieve(failing.id)
    assert failing.error is not None
    assert failing.error.message


async def test_fine_tuning_refusal_when_no_new_jobs(fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    file = await client.files.create(file=("train.jsonl", b"{}\n"), purpose="fine-tune")
    old = await client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file.id)
    fake.fine_tuning.accepts_new_jobs = False
    with pytest.raises(openai.PermissionDeniedError) as caught:
        await client.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=file.id)
    assert REFUSAL_MESSAGE in str(caught.value)
    assert (await client.fine_tuning.jobs.retrieve(old.id)).id == old.id  # still readable
