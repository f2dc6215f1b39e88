"""TaskRunner's door for blocking work: `run_blocking` and `start_blocking` run a function in a
worker thread with the same result, error, cancel and busy handling as any task."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from playground.core.api.errors import AppError, ErrorKind
from playground.ui.shell.bridge import TaskRunner

pytestmark = pytest.mark.gui

WAIT_S = 10.0  # bounds a hang only; nothing is asserted about how long anything took


@pytest.fixture
def runner(qloop: asyncio.AbstractEventLoop) -> Iterator[TaskRunner]:
    runner = TaskRunner()
    yield runner
    qloop.run_until_complete(runner.shutdown())
    runner.deleteLater()


def _outcome(loop: asyncio.AbstractEventLoop) -> asyncio.Future[tuple[str, Any]]:
    return loop.create_future()


def _settle(loop: asyncio.AbstractEventLoop, fut: asyncio.Future[Any]) -> Any:
    return loop.run_until_complete(asyncio.wait_for(fut, WAIT_S))


def test_start_blocking_runs_in_a_worker_and_answers_on_the_gui_thread(
    qloop: asyncio.AbstractEventLoop, runner: TaskRunner
) -> None:
    gui = threading.current_thread()
    ran_in: list[threading.Thread] = []
    answered_in: list[threading.Thread] = []

    def add(a: int, b: int) -> int:
        ran_in.append(threading.current_thread())
        return a + b

    done = _outcome(qloop)

    def on_result(value: int) -> None:
        answered_in.append(threading.current_thread())
        done.set_result(("result", value))

    runner.start_blocking(add, 2, 3, group="sum", on_result=on_result)
    assert _settle(qloop, done) == ("result", 5)
    assert len(ran_in) == 1
    assert ran_in[0] is not gui
    assert ran_in[0].name.startswith("playground-blocking")
    assert answered_in == [gui]


def test_run_blocking_inside_a_task_returns_each_result(
    qloop: asyncio.AbstractEventLoop, runner: TaskRunner
) -> None:
    async def two_steps() -> str:
        first = await runner.run_blocking(str.upper, "abc")
        return await runner.run_blocking(str.__add__, first, "!")

    done = _outcome(qloop)
    runner.start(two_steps(), on_result=lambda v: done.set_result(("result", v)))
    assert _settle(qloop, done) == ("result", "ABC!")


def test_an_exception_becomes_an_app_error(
    qloop: asyncio.AbstractEventLoop, runner: TaskRunner, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> None:
        raise ValueError("the worker failed")

    done = _outcome(qloop)
    runner.start_blocking(
        broken,
        on_result=lambda v: done.set_result(("result", v)),
        on_error=lambda e: done.set_result(("error", e)),
    )
    how, error = _settle(qloop, done)
    assert how == "error"
    assert isinstance(error, AppError)
    assert error.kind == ErrorKind.UNEXPECTED
    assert "ValueError: the worker failed" in error.details
    assert "task in default failed" in caplog.text  # unexpected errors are logged


def test_an_app_error_passes_through_and_without_on_error_goes_to_failed(
    qloop: asyncio.AbstractEventLoop, runner: TaskRunner
) -> None:
    mine = AppError.local("Disk full", "The file could not be written.")

    def refuse() -> None:
        raise mine

    done = _outcome(qloop)
    runner.failed.connect(lambda e: done.set_result(("failed", e)))
    runner.start_blocking(refuse, on_result=lambda v: done.set_result(("result", v)))
    assert _settle(qloop, done) == ("failed", mine)


def test_cancelling_stops_waiting_at_once_and_drops_the_late_result(
    qloop: asyncio.AbstractEventLoop, runner: TaskRunner
) -> None:
    started, release, finished = threading.Event(), threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait(WAIT_S)
        finished.set()
        return "late"

    outcomes: list[str] = []
    cancelled = _outcome(qloop)

    def on_cancel() -> None:
        outcomes.append("cancelled")
        cancelled.set_result(("cancelled", None))

    runner.start_blocking(
        slow, group="slow", on_result=lambda v: outcomes.append(v), on_cancel=on_cancel
    )
    qloop.run_until_complete(asyncio.wait_for(asyncio.to_thread(started.wait, WAIT_S), WAIT_S))
    assert runner.cancel("slow") == 1
    _settle(qloop, cancelled)
    assert not finished.is_set()  # the caller was told while the worker still ran
    assert not runner.is_busy("slow")

    release.set()
    assert finished.wait(WAIT_S)
    # Let the loop run whatever the worker's end could still schedule: nothing reaches the caller.
    qloop.run_until_complete(runner.run_blocking(lambda: None))
    assert outcomes == ["cancelled"]


def test_busy_state_covers_the_blocking_call(
    qloop: asyncio.AbstractEventLoop, runner: TaskRunner
) -> None:
    changes: list[tuple[str, bool]] = []
    runner.busy_changed.connect(lambda group, busy: changes.append((group, busy)))
    release = threading.Event()
    seen_busy: list[bool] = []

    def work() -> int:
        release.wait(WAIT_S)
        return 1

    done = _outcome(qloop)
    runner.start_blocking(work, group="count", on_result=lambda v: done.set_result(("result", v)))
    seen_busy.append(runner.is_busy("count"))
    assert changes == [("count", True)]
    release.set()
    assert _settle(qloop, done) == ("result", 1)
    assert changes == [("count", True), ("count", False)]
    assert seen_busy == [True]
    assert not runner.is_busy("count")


def test_the_executor_is_the_runners_own_unless_one_is_given(
    qloop: asyncio.AbstractEventLoop,
) -> None:
    own = TaskRunner()
    assert (
        own.executor.submit(threading.current_thread)
        .result(WAIT_S)
        .name.startswith("playground-blocking")
    )
    qloop.run_until_complete(own.shutdown())
    own.deleteLater()

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="given") as pool:
        given = TaskRunner(executor=pool)
        assert given.executor is pool
        name = qloop.run_until_complete(given.run_blocking(lambda: threading.current_thread().name))
        assert name.startswith("given")
        qloop.run_until_complete(given.shutdown())
        assert pool.submit(lambda: "still open").result(WAIT_S) == "still open"  # not stopped
        given.deleteLater()
