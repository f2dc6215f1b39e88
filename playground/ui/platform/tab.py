"""The Platform tab's view: one line on how status is followed, then a page per part of the API."""

from __future__ import annotations

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from playground.ui.common.widgets import named, wrapped_label
from playground.ui.platform.batches_page import BatchesPage
from playground.ui.platform.files_page import FilesPage
from playground.ui.platform.fine_tuning_page import FineTuningPage
from playground.ui.platform.vector_stores_page import VectorStoresPage

POLLING_NOTE = (
    "Status is checked every few seconds while this window is open (no webhooks on a desktop)."
)


class PlatformTab(QWidget):
    """The Platform tab: the polling note and the pages (Files, Batches, Fine-tuning, Vector stores)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("platformTab")
        self.note = wrapped_label("platformNote", POLLING_NOTE)
        self.files = FilesPage()
        self.batches = BatchesPage()
        self.pages = named(QTabWidget(), "platformPages", "Platform pages")
        self.pages.setDocumentMode(True)
        self.pages.addTab(self.files, "Files")
        self.pages.addTab(self.batches, "Batches")
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.pages, 1)
        self.fine_tuning: FineTuningPage | None = None
        self.vector_stores: VectorStoresPage | None = None
        self.main_input: QWidget = self.files.main_input

    def add_fine_tuning(self) -> FineTuningPage:
        """Adds the Fine-tuning page (once) and returns it."""
        if self.fine_tuning is None:
            self.fine_tuning = FineTuningPage()
            self.pages.addTab(self.fine_tuning, "Fine-tuning")
        return self.fine_tuning

    def add_vector_stores(self) -> VectorStoresPage:
        """Adds the Vector stores page (once) and returns it."""
        if self.vector_stores is None:
            self.vector_stores = VectorStoresPage()
            self.pages.addTab(self.vector_stores, "Vector stores")
        return self.vector_stores
