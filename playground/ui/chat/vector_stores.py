"""File search's list of vector stores: fetched from the API (the Platform tab's core service, never
its widgets) when the parameter panel asks, and shown there by name."""

from __future__ import annotations

from PySide6.QtCore import QObject

from playground.core.api.errors import AppError
from playground.core.platform.vector_stores import StoreInfo, VectorStoresService
from playground.ui.chat.tab import ChatTab
from playground.ui.shell.bridge import TaskRunner

GROUP = "chat-vector-stores"


def store_label(store: StoreInfo) -> str:
    """How a store shows in the list: its name and how many of its files are ready."""
    name = store.name or "A store without a name"
    if store.status == "expired":
        return f"{name} (expired: file search cannot read it)"
    return f"{name} · {store.files_text}"


class VectorStoreList(QObject):
    """Answers the panel's `vector_stores_wanted` with the stores of the active provider."""

    def __init__(
        self,
        view: ChatTab,
        service: VectorStoresService,
        runner: TaskRunner,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.view = view
        self.service = service
        self.runner = runner
        view.vector_stores_wanted.connect(self.fetch)

    def fetch(self) -> None:
        if self.runner.is_busy(GROUP):
            return
        self.runner.start(
            self.service.list_stores(),
            group=GROUP,
            on_result=self._show,
            on_error=self._failed,
            on_cancel=lambda: None,
        )

    def _show(self, stores: list[StoreInfo]) -> None:
        self.view.set_vector_stores([(s.id, store_label(s)) for s in stores])

    def _failed(self, error: AppError) -> None:
        self.view.set_vector_stores_problem(
            f"Your vector stores could not be listed: {error.message} Press Refresh to try again."
        )
