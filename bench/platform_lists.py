"""The Platform tab's Files page listing 10,000 files and its Batches page listing 1,000 batches,
paged from the fake server: time to the first page and GUI event-loop stalls while the rest pages
in, against a bare table fed the same pages.

Not a test: run it by hand after changing the Files or Batches page, and read the table.

    python -m bench.platform_lists [--runs 3] [--files 10000] [--batches 1000] [--json PATH]

The fake OpenAI server (tests/fakes) runs in a child process (`--serve`), holding `--files` files
and `--batches` batches.

* app: the real `PlatformTab` (1180 x 760, offscreen) and `PlatformController` with a
  `FilesService` over an `AsyncOpenAI` client; Refresh restarts the list, the first page (100
  files) comes in, then the table is scrolled to its end again and again (each scroll makes the
  model's `fetchMore` ask for the next page) until every file is listed.
* app, batches: the same tab's Batches page; Refresh lists the newest 100, then "Show older
  batches" is clicked again and again (100 more each time) until every batch is listed.
* bare (the baseline): a `QTableView` over a `QStandardItemModel`, fed by the same SDK calls
  (`client.files.list(limit=100, after=...)`, `client.batches.list(...)`) on the same qasync
  loop, one page after another.

Each variant runs once untimed first (the SDK's first use, the page types, connections). A 1 ms
precise `QTimer` records each firing from the click until the last page is shown; stall =
gap between firings - 1 ms. Targets (issue 17): first page shown ≤ 200 ms; stall p99 ≤ 16 ms.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if str(Path(__file__).resolve().parents[1]) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.chat_stream import StallProbe
from bench.common import (
    FAKE_KEY,
    WINDOW_SIZE,
    ChildServer,
    Figure,
    Gui,
    percentile,
    serve_until_stdin_closes,
    table_rows,
    value_at_most,
    write_json,
)

PAGE = 100
TARGET_FIRST_PAGE_MS = 200.0
TARGET_STALL_P99_MS = 16.0
TIMEOUT_S = 300.0
VARIANTS = ("app", "bare")
KINDS = ("files", "batches")


@dataclass
class Run:
    variant: str
    kind: str
    run: int
    first_page_ms: float
    all_listed_s: float
    stall_p99_ms: float
    stall_max_ms: float


def _stalls(stamps: Any) -> list[float]:
    return [max(0.0, (stamps[i + 1] - stamps[i]) * 1000 - 1.0) for i in range(len(stamps) - 1)]


def serve(files: int, batches: int) -> int:
    """The child: a fake server holding `files` files and `batches` finished batches."""
    from tests.fakes.openai_server import FakeOpenAI, Scenario

    fake = FakeOpenAI(Scenario(api_key=FAKE_KEY))
    added = [
        fake.files.add(f"document-{i:05}.jsonl", b"", "batch" if i % 3 else "user_data", size=i)
        for i in range(files)
    ]
    source = added[1] if files > 1 else fake.files.add("input.jsonl", b"", "batch")
    for i in range(batches):
        fake.batches.batches[f"batch_{i:05}"] = {
            "id": f"batch_{i:05}", "object": "batch", "endpoint": "/v1/chat/completions",
            "input_file_id": source["id"], "completion_window": "24h",
            "status": ("completed", "failed", "expired", "cancelled")[i % 4],
            "created_at": 1_780_000_000 + i,
            "request_counts": {"total": 50, "completed": 50 - i % 7, "failed": i % 7},
            "metadata": {"name": f"Batch {i:04}"},
        }  # fmt: skip
    return serve_until_stdin_closes(fake, files=files, batches=batches)


def _app_run(gui: Gui, client: Any, kind: str, count: int, run: int) -> Run:
    from playground.core.money.pricing import Pricer
    from playground.core.platform.batches import BatchesService
    from playground.core.platform.files import FilesService
    from playground.ui.platform.controller import PlatformController
    from playground.ui.platform.tab import PlatformTab
    from playground.ui.shell.bridge import TaskRunner

    runner = TaskRunner()
    view = PlatformTab()
    view.resize(*WINDOW_SIZE)
    view.show()
    controller = PlatformController(
        view, FilesService(lambda: client), BatchesService(lambda: client), runner, Pricer()
    )
    groups = ("platform-files-list", "platform-batches")

    def idle() -> bool:
        return not any(runner.is_busy(g) for g in groups)

    gui.run_until(idle, TIMEOUT_S)
    if kind == "batches":
        view.pages.setCurrentWidget(view.batches)
    gui.settle(0.2)
    model = view.files.model if kind == "files" else view.batches.model
    probe = StallProbe()
    probe.start()
    start = time.perf_counter()
    (view.files if kind == "files" else view.batches).refresh_button.click()
    # The Batches list keeps its rows until the fresh page replaces them: wait for that page.
    gui.run_until(lambda: model.rowCount() >= PAGE and (kind == "files" or idle()), TIMEOUT_S)
    gui.qapp.processEvents()  # the frame that shows it
    first = (time.perf_counter() - start) * 1000

    def listed() -> bool:
        if model.rowCount() >= count:
            return True
        if kind == "files":
            if not view.files.model.loading:
                view.files.table.scrollToBottom()
        elif idle() and view.batches.more_button.isVisibleTo(view.batches):
            view.batches.more_button.click()
        return False

    gui.run_until(listed, TIMEOUT_S)
    end = time.perf_counter()
    stamps = probe.stop()
    probe.close()
    assert model.rowCount() == count, model.rowCount()
    stalls = _stalls(stamps)
    gui.loop.run_until_complete(runner.shutdown())
    controller.deleteLater()
    view.close()
    view.deleteLater()
    gui.delete_later()
    return Run("app", kind, run, first, end - start, percentile(stalls, 99), max(stalls))


def _bare_run(gui: Gui, client: Any, kind: str, count: int, run: int) -> Run:
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QTableView

    model = QStandardItemModel(0, 5)
    table = QTableView()
    table.setModel(model)
    table.resize(*WINDOW_SIZE)
    table.show()
    gui.settle(0.2)
    shown: list[float] = []

    async def feed() -> None:
        after = None
        while True:
            kwargs: dict[str, Any] = {"limit": PAGE, "order": "desc"}
            if after:
                kwargs["after"] = after
            if kind == "files":
                page = await client.files.list(**kwargs)
                rows = [
                    (f.filename, f.purpose, str(f.bytes), str(f.created_at), f.status)
                    for f in page.data
                ]
            else:
                kwargs.pop("order")
                page = await client.batches.list(**kwargs)
                rows = [
                    ((b.metadata or {}).get("name", ""), b.status, str(b.request_counts),
                     str(b.created_at), b.endpoint)
                    for b in page.data
                ]  # fmt: skip
            for row in rows:
                model.appendRow([QStandardItem(text) for text in row])
            if not shown:
                gui.qapp.processEvents()
                shown.append(time.perf_counter())
            if not page.has_more:
                return
            after = page.data[-1].id

    probe = StallProbe()
    probe.start()
    start = time.perf_counter()
    gui.loop.run_until_complete(feed())
    end = time.perf_counter()
    stamps = probe.stop()
    probe.close()
    assert model.rowCount() == count
    stalls = _stalls(stamps)
    table.close()
    table.deleteLater()
    gui.delete_later()
    return Run(
        "bare", kind, run, (shown[0] - start) * 1000, end - start, percentile(stalls, 99),
        max(stalls),
    )  # fmt: skip


def measure(runs: int, files: int, batches: int) -> list[Run]:
    from openai import AsyncOpenAI

    counts = {"files": files, "batches": batches}
    server = ChildServer("bench.platform_lists", "--files", str(files), "--batches", str(batches))
    gui = Gui()
    client = AsyncOpenAI(base_url=server.base_url, api_key=FAKE_KEY, max_retries=0)
    results: list[Run] = []
    try:
        for kind in KINDS:
            for variant in VARIANTS:  # warm-up, not counted: first-use imports, connections
                make = _app_run if variant == "app" else _bare_run
                make(gui, client, kind, counts[kind], -1)
            for run in range(runs):
                order = VARIANTS if run % 2 == 0 else VARIANTS[::-1]
                for variant in order:
                    make = _app_run if variant == "app" else _bare_run
                    result = make(gui, client, kind, counts[kind], run)
                    results.append(result)
                    print(
                        f"{kind:<7} run {run + 1} {variant:<4}  first page "
                        f"{result.first_page_ms:6.1f} ms  all listed {result.all_listed_s:5.1f} s"
                        f"  stall p99 {result.stall_p99_ms:5.1f} ms  max "
                        f"{result.stall_max_ms:5.1f} ms",
                        flush=True,
                    )
    finally:
        gui.loop.run_until_complete(client.close())
        gui.close()
        server.close()
    if server.server_errors:
        raise RuntimeError("the fake server failed:\n" + "\n".join(server.server_errors))
    return results


def figures(results: list[Run], counts: dict[str, int]) -> list[Figure]:
    def values(variant: str, kind: str, name: str) -> list[float]:
        return [getattr(r, name) for r in results if r.variant == variant and r.kind == kind]

    found: list[Figure] = []
    for kind in KINDS:
        what = f"{counts[kind]:,} {kind}"

        def fig(title: str, name: str, target: str = "", limit: float | None = None) -> Figure:
            return Figure(
                "platform",
                f"{what}: {title}",  # noqa: B023 (used at once, inside the loop)
                values("app", kind, name),  # noqa: B023
                values("bare", kind, name),  # noqa: B023
                "bare table",
                target,
                value_at_most(limit) if limit is not None else None,
            )

        found += [
            fig("first page shown (ms)", "first_page_ms", "≤ 200 ms", TARGET_FIRST_PAGE_MS),
            fig("stall p99 while paging (ms)", "stall_p99_ms", "≤ 16 ms", TARGET_STALL_P99_MS),
            fig("stall max (ms)", "stall_max_ms"),
            fig("all listed (s)", "all_listed_s"),
        ]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--batches", type=int, default=1_000)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        return serve(args.files, args.batches)
    results = measure(args.runs, args.files, args.batches)
    found = figures(results, {"files": args.files, "batches": args.batches})
    print()
    print(table_rows([f.as_dict() for f in found]))
    if args.json:
        meta = {"runs": args.runs, "files": args.files, "batches": args.batches, "page": PAGE}
        write_json(args.json, found, meta)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
