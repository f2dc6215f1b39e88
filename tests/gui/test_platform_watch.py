"""Running batches and fine-tuning jobs followed from start-up (`ui/platform/watch_controller.py`), before
the Platform tab is built, against the fake server."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from playground.core.models import ProviderProfile
from playground.core.platform.batches import Backoff, BatchesService
from playground.core.platform.fine_tuning import FineTuningService
from playground.core.storage.settings import Settings
from playground.ui.platform.watch_controller import StartupWatch, following
from tests.conftest import Parts, WaitUntil
from tests.fakes.openai_server import FakeOpenAI

FAST = Backoff(first=0.01, longest=0.04, after_error=0.02)


def _running(qloop: asyncio.AbstractEventLoop, client: Any, fake: FakeOpenAI) -> tuple[str, str]:
    """A batch and a fine-tuning job, both just started: (batch id, job id)."""
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Alien (1979)"}]}
    request = {"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": body}
    line = json.dumps(request).encode() + b"\n"
    batch_file = fake.files.add("movies.jsonl", line, "batch")
    train = fake.files.add("train.jsonl", b"{}\n", "fine-tune")

    async def start() -> tuple[str, str]:
        batch = await client.batches.create(
            input_file_id=batch_file["id"],
            endpoint="/v1/chat/completions",
            completion_window="24h",
            metadata={"name": "Movie genres"},
        )
        job = await client.fine_tuning.jobs.create(
            model="gpt-4o-mini", training_file=train["id"], suffix="support"
        )
        return batch.id, job.id

    return qloop.run_until_complete(start())


def test_the_watch_says_when_each_finishes_and_waits_while_the_window_is_hidden(
    parts: Parts,
    qtbot: Any,
    qloop: asyncio.AbstractEventLoop,
    wait_until: WaitUntil,
    fake_openai: FakeOpenAI,
) -> None:
    client = parts.services.session.client
    batch_id, job_id = _running(qloop, client(), fake_openai)
    window = QWidget()
    qtbot.addWidget(window)
    said: list[str] = []
    watch = StartupWatch(
        BatchesService(client),
        FineTuningService(client),
        parts.runner,
        window,
        [batch_id],
        [job_id],
        backoff=FAST,
    )
    watch.finished.connect(said.append)
    looked = len(fake_openai.requests)
    watch.poll()  # the window is hidden: no look, only a later try
    assert len(fake_openai.requests) == looked
    assert watch.timer.isActive()

    window.show()
    watch.start()
    wait_until(lambda: len(said) == 2 and not parts.runner.is_busy("platform-watch"))
    assert sorted(said) == [
        "Batch “Movie genres” finished: done (1 of 1 done).",
        "Fine-tuning job “support” finished: done.",
    ]
    assert not watch.active  # nothing left to follow
    assert fake_openai.batches.batches[batch_id]["status"] == "completed"


def test_following_reads_only_well_formed_ids() -> None:
    assert following({}) == ([], [])
    assert following({"following": {"batches": ["b1", 3], "jobs": "j1"}}) == (["b1"], [])


def test_the_app_follows_what_was_running_at_the_last_close(
    make_app: Any,
    qloop: asyncio.AbstractEventLoop,
    wait_until: WaitUntil,
    fake_openai: FakeOpenAI,
) -> None:
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=fake_openai.base_url, api_key="test", max_retries=0)
    batch_id, job_id = _running(qloop, client, fake_openai)
    qloop.run_until_complete(client.close())
    profile = ProviderProfile(
        id="openai", name="OpenAI", base_url=fake_openai.base_url, max_retries=0
    )
    settings = Settings(
        profiles=(profile,),
        first_run_done=True,
        tabs={"platform": {"following": {"batches": [batch_id], "jobs": [job_id]}}},
    )
    app = make_app(settings=settings)
    assert "platform" not in app.controller.features.built()  # the tab itself is not built
    watch = app.window.findChild(QObject, "platformStartupWatch")
    assert isinstance(watch, StartupWatch)
    watch.backoff = Backoff(first=0.01, longest=0.04, after_error=0.02)
    status = app.window.statusBar()
    wait_until(lambda: "finished" in status.currentMessage())
    assert "The Platform tab has the details." in status.currentMessage()

    # Once the tab is built it follows everything itself; the watch stops.
    app.window.show_tab("platform")
    assert not watch.active
    saved = app.controller.features.saved_settings(app.controller.settings).tabs["platform"]
    assert set(saved["following"]) == {"batches", "jobs"}
