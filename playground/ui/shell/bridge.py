"""The one door for async work: the qasync loop and the `TaskRunner` every request goes through.

Controllers never create tasks themselves. They call `runner.start(coro, ...)`; the runner tracks the
task under a group name (one per tab), cancels it on request or at shutdown, maps any exception to an
`AppError`, and reports busy state, so the GUI never blocks and no failure is silent.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
from collections.abc import Callable, Coroutine
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication

from playground.core.api.errors import AppError, from_exception

log = logging.getLogger(__name__)

T = TypeVar("T")


def install_loop(app: QApplication) -> asyncio.AbstractEventLoop:
    """Creates the qasync loop for `app` and makes it the current and running asyncio loop."""
    loop: asyncio.AbstractEventLoop = _loop_class()(app)
    asyncio.set_event_loop(loop)
    # Qt runs the loop's callbacks whenever it handles events, also outside run_until_complete: in a
    # modal dialog's own loop, in the final round qasync runs after stopping, in QTest helpers. A
    # request stepped there without a running asyncio loop fails inside the HTTP stack ("unknown
    # async library"), so the loop counts as running on the GUI thread for as long as it is open.
    asyncio.events._set_running_loop(loop)
    # The app's own blocking work goes through `TaskRunner.run_blocking` (its own threads); this
    # default pool serves what libraries hand to the loop (asyncio's getaddrinfo for the HTTP
    # stack). Plain threads: qasync's QThread executor deletes Qt timers from the wrong thread when
    # a job is still running at shutdown.
    loop.set_default_executor(
        ThreadPoolExecutor(max_workers=2, thread_name_prefix="playground-worker")
    )
    # WORKAROUND for qasync 0.28, which never installs asyncio's async-generator hooks: without them
    # a half-read HTTP stream (a dropped or unreadable SSE reply) is finalised by the garbage
    # collector outside the loop, where httpx2/anyio cannot tell which async library runs it.
    sys.set_asyncgen_hooks(
        firstiter=loop._asyncgen_firstiter_hook,  # type: ignore[attr-defined]
        finalizer=loop._asyncgen_finalizer_hook,  # type: ignore[attr-defined]
    )
    return loop


def _loop_class() -> Any:
    import qasync  # the only qasync import in the app

    class AppLoop(qasync.QEventLoop):  # type: ignore[misc]
        """qasync's loop, still the running loop of the GUI thread between runs (see install_loop)."""

        def run_forever(self) -> Any:
            try:
                return super().run_forever()
            finally:  # qasync clears the running loop here
                if not self.is_closed():
                    asyncio.events._set_running_loop(self)

    return AppLoop


def close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Closes a loop made by `install_loop` and removes its hooks."""
    sys.set_asyncgen_hooks(firstiter=None, finalizer=None)
    asyncio.events._set_running_loop(None)
    loop.close()
    asyncio.set_event_loop(None)


#: Worker threads of a runner that was given no executor of its own.
WORKERS = 2


class TaskRunner(QObject):
    """Runs coroutines on the Qt event loop, one group at a time if asked, and blocking functions
    in worker threads (`run_blocking`, `start_blocking`, `executor`).

    Args:
        parent: the QObject parent.
        executor: the worker threads blocking work runs in; by default the runner starts its own
            (`WORKERS` plain threads, on first use) and stops them in `shutdown`.

    Signals:
        busy_changed: a group became busy or idle. args: the group name, busy or not.
        failed: a task failed and had no `on_error` of its own. arg: the AppError.
    """

    busy_changed = Signal(str, bool)
    failed = Signal(object)

    def __init__(self, parent: QObject | None = None, *, executor: Executor | None = None) -> None:
        super().__init__(parent)
        self._tasks: dict[str, set[asyncio.Task[Any]]] = {}
        self._executor = executor
        self._owns_executor = executor is None

    @property
    def executor(self) -> Executor:
        """The worker threads behind `run_blocking`, for core objects that take an `Executor`
        (they stay free of Qt and asyncio: `DeferredSecretStore`, `TiktokenCounter.warm`).

        Work submitted here gets no busy state or error mapping: prefer `start_blocking`.
        """
        if self._executor is None:
            # Plain threads, not qasync's QThread executor (see install_loop).
            self._executor = ThreadPoolExecutor(
                max_workers=WORKERS, thread_name_prefix="playground-blocking"
            )
        return self._executor

    def start(
        self,
        coro: Coroutine[Any, Any, T],
        *,
        group: str = "default",
        on_result: Callable[[T], None] | None = None,
        on_error: Callable[[AppError], None] | None = None,
        on_cancel: Callable[[], None] | None = None,
    ) -> asyncio.Task[T]:
        """Schedules `coro` and returns its task.

        Exactly one of `on_result`, `on_error` (or the `failed` signal) and `on_cancel` runs when the
        task ends, on the GUI thread.
        """
        task: asyncio.Task[T] = asyncio.ensure_future(coro)
        tasks = self._tasks.setdefault(group, set())
        was_busy = bool(tasks)
        tasks.add(task)
        if not was_busy:
            self.busy_changed.emit(group, True)

        def _done(t: asyncio.Task[T]) -> None:
            group_tasks = self._tasks.get(group, set())
            group_tasks.discard(t)
            try:
                if t.cancelled():
                    if on_cancel is not None:
                        on_cancel()
                    return
                exc = t.exception()
                if exc is not None:
                    error = from_exception(exc)
                    if error.kind.value == "unexpected":
                        log.error("task in %s failed", group, exc_info=exc)
                    if on_error is not None:
                        on_error(error)
                    else:
                        self.failed.emit(error)
                    return
                if on_result is not None:
                    on_result(t.result())
            except Exception as exc:  # a callback must not kill the loop; show it instead
                log.exception("callback for a task in %s failed", group)
                self.failed.emit(from_exception(exc))
            finally:
                if not group_tasks:
                    self.busy_changed.emit(group, False)

        task.add_done_callback(_done)
        return task

    async def run_blocking(self, fn: Callable[..., T], /, *args: Any) -> T:
        """Runs the blocking `fn(*args)` in a worker thread and returns its result.

        The one door for blocking work (file reads, Pillow, keyring calls, token counts, the price
        table): call it inside a coroutine given to `start`, so the task's group, cancellation and
        error mapping apply. A cancelled task stops waiting at once; the worker finishes its call
        and its result is dropped. `fn` must not touch widgets.
        """
        return await asyncio.get_running_loop().run_in_executor(
            self.executor, functools.partial(fn, *args)
        )

    def start_blocking(
        self,
        fn: Callable[..., T],
        /,
        *args: Any,
        group: str = "default",
        on_result: Callable[[T], None] | None = None,
        on_error: Callable[[AppError], None] | None = None,
        on_cancel: Callable[[], None] | None = None,
    ) -> asyncio.Task[T]:
        """`start` for one blocking call: `fn(*args)` runs in a worker thread, the callbacks on the
        GUI thread, with the same busy state, cancellation and error mapping as any task."""
        return self.start(
            self.run_blocking(fn, *args),
            group=group,
            on_result=on_result,
            on_error=on_error,
            on_cancel=on_cancel,
        )

    def is_busy(self, group: str = "default") -> bool:
        return bool(self._tasks.get(group))

    def is_idle(self) -> bool:
        """Whether no task of any group is running."""
        return not any(self._tasks.values())

    def cancel(self, group: str = "default") -> int:
        """Cancels every running task in `group`; returns how many were asked to stop."""
        tasks = list(self._tasks.get(group, ()))
        for task in tasks:
            task.cancel()
        return len(tasks)

    def cancel_all(self) -> None:
        for group in list(self._tasks):
            self.cancel(group)

    async def shutdown(self) -> None:
        """Cancels everything and waits until the tasks have finished unwinding; then stops the
        runner's own worker threads (a call still running in one finishes, its result unread)."""
        pending = [t for tasks in self._tasks.values() for t in tasks]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        if self._owns_executor and self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None  # a later use starts new threads
