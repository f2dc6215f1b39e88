"""The Files service (`core/platform/files.py`) against the fake server, through the real SDK."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from openai import AsyncOpenAI

from playground.core.api.errors import AppError, ErrorKind
from playground.core.platform.files import (
    MAX_FILE_BYTES,
    FilesService,
    UploadJournal,
    check_upload,
    format_size,
    make_preview,
)
from tests.fakes.openai_server import FakeOpenAI


@pytest.fixture
async def client(fake_openai: FakeOpenAI) -> AsyncIterator[AsyncOpenAI]:
    api = AsyncOpenAI(base_url=fake_openai.base_url, api_key="test", max_retries=0)
    yield api
    await api.close()


def test_check_upload_refuses_empty_wrong_type_and_plans_parts(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    with pytest.raises(AppError, match="empty"):
        check_upload(path, 0, "user_data")
    with pytest.raises(AppError, match=r"\.jsonl") as caught:
        check_upload(path, 10, "batch")
    assert caught.value.kind is ErrorKind.LOCAL
    assert caught.value.hint  # says what to do
    with pytest.raises(AppError, match="PNG, JPEG"):
        check_upload(path, 10, "vision")
    assert not check_upload(path, MAX_FILE_BYTES, "user_data").in_parts
    big = check_upload(path, MAX_FILE_BYTES + 1, "user_data")
    assert big.parts == 9  # 512 MB + 1 byte in 64 MB parts
    with pytest.raises(AppError, match="largest file"):
        check_upload(path, 9 * 1024**3, "user_data")


def test_sizes_read_in_plain_units() -> None:
    assert format_size(1) == "1 byte"
    assert format_size(820 * 1024) == "820 KB"
    assert format_size(1536 * 1024) == "1.5 MB"


def test_jsonl_preview_numbers_lines_and_marks_broken_ones() -> None:
    data = b'{"a": 1}\n\nnot json\n{"b": 2}\n'
    preview = make_preview("x.jsonl", data)
    assert preview.kind == "jsonl"
    assert preview.text.splitlines() == [
        '    1  {"a": 1}',
        "    3  (not valid JSON) not json",
        '    4  {"b": 2}',
    ]
    assert make_preview("x.png", b"\x89PNG").kind == "image"
    assert make_preview("x.bin", b"\xff\xfe\xfd\x00\x81").kind in ("none", "text")


async def test_list_pages_then_delete(fake_openai: FakeOpenAI, client: AsyncOpenAI) -> None:
    for i in range(7):
        fake_openai.files.add(f"f{i}.txt", b"abc", "user_data")
    fake_openai.files.add("train.jsonl", b"{}\n", "fine-tune")
    service = FilesService(lambda: client)
    first = await service.list_page(limit=5)
    assert [f.name for f in first.files] == ["train.jsonl", "f6.txt", "f5.txt", "f4.txt", "f3.txt"]
    assert first.has_more
    rest = await service.list_page(limit=5, after=first.last_id)
    assert [f.name for f in rest.files] == ["f2.txt", "f1.txt", "f0.txt"]
    assert not rest.has_more
    only = await service.list_page(purpose="fine-tune")
    assert [f.name for f in only.files] == ["train.jsonl"]

    assert await service.delete([first.files[1].id, first.files[2].id]) == [
        first.files[1].id,
        first.files[2].id,
    ]
    with pytest.raises(AppError) as caught:
        await service.delete([first.files[3].id, "file-gone"])
    assert "1 of 2 files were deleted" in caught.value.message
    assert len(fake_openai.files.files) == 5


async def test_small_upload_goes_in_one_request(
    fake_openai: FakeOpenAI, client: AsyncOpenAI, tmp_path: Path
) -> None:
    path = tmp_path / "train.jsonl"
    path.write_text(json.dumps({"messages": []}) + "\n")
    service = FilesService(lambda: client)
    info = await service.upload(service.plan(path, "fine-tune"))
    assert (info.name, info.purpose, info.size) == ("train.jsonl", "fine-tune", path.stat().st_size)
    assert fake_openai.requests_to("/uploads") == []


async def test_upload_in_parts_resumes_after_a_restart(
    fake_openai: FakeOpenAI, client: AsyncOpenAI, tmp_path: Path
) -> None:
    path = tmp_path / "big.txt"
    data = b"0123456789" * 390  # 3,900 bytes: four parts of 1,000
    path.write_bytes(data)
    journal_file = tmp_path / "state" / "uploads.json"
    first_run = FilesService(
        lambda: client, UploadJournal(journal_file), max_file_bytes=1000, part_bytes=1000
    )
    plan = first_run.plan(path, "user_data")
    assert plan.parts == 4
    fake_openai.files.drop_part_after = 2  # the third part fails
    progress: list[tuple[int, int]] = []
    with pytest.raises(AppError) as caught:
        await first_run.upload(plan, lambda sent, total: progress.append((sent, total)))
    assert "2 of 4 parts were sent" in caught.value.hint
    assert progress[-1] == (2000, len(data))

    # A new service over the same journal file: the app started again.
    second_run = FilesService(
        lambda: client, UploadJournal(journal_file), max_file_bytes=1000, part_bytes=1000
    )
    assert second_run.resumable(path) is not None
    progress.clear()
    info = await second_run.upload(
        second_run.plan(path, "user_data"), lambda s, t: progress.append((s, t))
    )
    assert fake_openai.files.files[info.id].data == data
    assert len(fake_openai.requests_to("/uploads")) == 1  # one upload created, not two
    assert len(fake_openai.requests_to("/parts")) == 5  # 2 sent, 1 failed, 2 resumed
    assert progress[0] == (2000, len(data))
    assert progress[-1] == (len(data), len(data))
    assert second_run.journal.pending() == []


async def test_changed_file_starts_its_upload_again(
    fake_openai: FakeOpenAI, client: AsyncOpenAI, tmp_path: Path
) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"a" * 2500)
    service = FilesService(lambda: client, max_file_bytes=1000, part_bytes=1000)
    fake_openai.files.drop_part_after = 1
    with pytest.raises(AppError):
        await service.upload(service.plan(path, "user_data"))
    path.write_bytes(b"b" * 2600)
    assert service.resumable(path) is None
    info = await service.upload(service.plan(path, "user_data"))
    assert fake_openai.files.files[info.id].data == b"b" * 2600
    assert len(fake_openai.requests_to("/uploads")) == 2


async def test_large_files_are_not_fetched_for_a_preview(
    fake_openai: FakeOpenAI, client: AsyncOpenAI
) -> None:
    obj = fake_openai.files.add("huge.txt", b"x", "user_data", size=50 * 1024 * 1024)
    small = fake_openai.files.add("notes.txt", b"hello", "user_data")
    service = FilesService(lambda: client)
    page = await service.list_page()
    infos = {f.id: f for f in page.files}
    big = await service.preview(infos[obj["id"]])
    assert big.kind == "none"
    assert "Download it" in big.text
    assert fake_openai.requests_to("/content") == []
    assert (await service.preview(infos[small["id"]])).text == "hello"
