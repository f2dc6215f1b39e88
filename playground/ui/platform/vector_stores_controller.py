"""The Vector stores page's part of the Platform controller: stores, adding files (from the
Files page or the disk), following their indexing (polled with back-off while any file is still
indexing and the window is shown), and search."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog

from playground.core.platform.batches import Backoff
from playground.core.platform.files import FileInfo, FilesService
from playground.core.platform.vector_stores import (
    Chunk,
    Chunking,
    StoreFile,
    StoreInfo,
    VectorStoresService,
)
from playground.ui.platform.polling_controller import PollingPart
from playground.ui.platform.vector_stores_page import VectorStoresPage
from playground.ui.shell.bridge import TaskRunner

STORES_GROUP = "platform-stores"
STORES_POLL_GROUP = "platform-stores-poll"


class VectorStoresPart(PollingPart):
    """Drives the Vector stores page (see the module docstring).

    Args:
        selected_files: the files selected on the Files page (for "Add files selected on Files").
        file_names: names of files the app has listed, by id.
    """

    def __init__(
        self,
        page: VectorStoresPage,
        service: VectorStoresService,
        files: FilesService,
        runner: TaskRunner,
        selected_files: Callable[[], list[FileInfo]],
        file_names: Callable[[], dict[str, str]],
        *,
        backoff: Backoff | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(page, backoff, parent)
        self.page = page
        self.service = service
        self.files = files
        self.runner = runner
        self.selected_files = selected_files
        self.file_names = file_names
        self._names: dict[str, str] = {}
        self._shown = ""
        page.refresh_requested.connect(self.reload)
        page.create_requested.connect(self.create)
        page.rename_requested.connect(self.rename)
        page.delete_requested.connect(self.delete)
        page.store_selected.connect(self.show_store)
        page.add_selected_files_clicked.connect(self.add_selected)
        page.add_from_disk_clicked.connect(self.add_from_disk)
        page.search_requested.connect(self.search)

    def _start(self, coro: Coroutine[Any, Any, Any], on_result: Callable[..., None]) -> None:
        self.runner.start(
            coro,
            group=STORES_GROUP,
            on_result=on_result,
            on_error=self.page.show_error,
        )

    def reload(self) -> None:
        self._start(self.service.list_stores(), self.page.set_stores)

    def create(self, name: str, days: int, chunking: Chunking) -> None:
        def made(store: StoreInfo) -> None:
            self.page.update_store(store)
            self.page.select_store(store.id)
            self.page.set_info(f"Created {store.name}. Add files to it, then search it.")

        self._start(
            self.service.create(name, expires_after_days=days or None, chunking=chunking), made
        )

    def rename(self, store_id: str, name: str) -> None:
        def renamed(store: StoreInfo) -> None:
            self.page.update_store(store)
            self.page.set_info(f"Renamed to {store.name}.")

        self._start(self.service.rename(store_id, name), renamed)

    def delete(self, store_id: str) -> None:
        def deleted(_none: None) -> None:
            self.page.set_stores([s for s in self.page.stores if s.id != store_id])
            self.page.set_info("The store was deleted.")

        self._start(self.service.delete(store_id), deleted)

    def show_store(self, store_id: str) -> None:
        self._shown = store_id

        def shown(result: tuple[StoreInfo, list[StoreFile]]) -> None:
            store, files = result
            self.page.update_store(store)
            if self._shown == store.id:
                self.page.show_files(store, files, {**self.file_names(), **self._names})
            if any(not f.done for f in files):
                self.poll_later()
            else:
                self.backoff.changed()

        self.runner.start(
            self.service.files(store_id),
            group=STORES_POLL_GROUP,
            on_result=shown,
            on_error=self.page.show_error,
        )

    def poll(self) -> None:
        if not self._shown:
            return
        if not self.window_shown():
            self.poll_later()
            return
        self.backoff.unchanged()
        self.show_store(self._shown)

    def add_selected(self) -> None:
        store = self.page.selected_store()
        chosen = self.selected_files()
        if store is None:
            return
        if not chosen:
            self.page.set_info("Select files on the Files page first, then come back here.")
            return
        self._names.update({f.id: f.name for f in chosen})
        self._add(store.id, [f.id for f in chosen])

    def ask_upload_paths(self) -> list[str]:
        paths, _ = QFileDialog.getOpenFileNames(self.page, "Add files to the store", "")
        return list(paths)

    def add_from_disk(self) -> None:
        store = self.page.selected_store()
        paths = self.ask_upload_paths()
        if store is None or not paths:
            return

        async def upload() -> list[str]:
            ids = []
            for path in paths:
                plan = await self.runner.run_blocking(self.files.plan, Path(path), "assistants")
                info = await self.files.upload(plan)
                self._names[info.id] = info.name
                ids.append(info.id)
            return ids

        self.page.set_info("Uploading…")
        self._start(upload(), lambda ids: self._add(store.id, ids))

    def _add(self, store_id: str, file_ids: list[str]) -> None:
        def added(_files: list[StoreFile]) -> None:
            count = len(file_ids)
            self.page.set_info(
                f"Added {count} file{'s' if count != 1 else ''}; indexing takes a moment."
            )
            self.backoff.changed()
            self.show_store(store_id)

        self._start(self.service.add_files(store_id, file_ids), added)

    def search(self, store_id: str, query: str) -> None:
        def found(chunks: list[Chunk]) -> None:
            self.page.show_chunks(query, chunks)
            self.page.set_info("")

        self.page.set_info("Searching…")
        self._start(self.service.search(store_id, query), found)
