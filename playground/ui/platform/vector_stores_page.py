"""The Vector stores page of the Platform tab: stores, their files' indexing, and search.

No network code: the page emits what the user asked for and shows what the controller gives it.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from playground.core.api.errors import AppError
from playground.core.platform.files import format_size
from playground.core.platform.vector_stores import Chunk, Chunking, StoreFile, StoreInfo
from playground.ui.common.widgets import named, wrapped_label
from playground.ui.platform.widgets import (
    select_row_of,
    selected_of,
    show_error,
    show_info,
    status_line,
    two_panes_and_status,
    upsert,
)


def _table(name: str, accessible: str, columns: tuple[str, ...]) -> QTableWidget:
    table = named(QTableWidget(0, len(columns)), name, accessible)
    table.setHorizontalHeaderLabels(list(columns))
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    return table


class VectorStoresPage(QWidget):
    """The Vector stores page.

    Signals:
        create_requested: make a store. args: name, days unused before it is deleted (0: kept),
            the `Chunking`.
        rename_requested: rename a store. args: its id, the new name.
        delete_requested: delete a store (confirmed). arg: its id.
        store_selected: show a store's files. arg: its id.
        add_selected_files_clicked: add the files selected on the Files page to the store.
        add_from_disk_clicked: upload files from this computer into the store.
        search_requested: search the store. args: its id, the query.
        refresh_requested: list the stores again.
    """

    create_requested = Signal(str, int, object)
    rename_requested = Signal(str, str)
    delete_requested = Signal(str)
    store_selected = Signal(str)
    add_selected_files_clicked = Signal()
    add_from_disk_clicked = Signal()
    search_requested = Signal(str, str)
    refresh_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("platformVectorStoresPage")
        self.stores: list[StoreInfo] = []

        self.name_edit = named(QLineEdit(), "storeName", "Store name")
        self.name_edit.setPlaceholderText("e.g. Product handbook")
        self.expiry = named(QSpinBox(), "storeExpiry", "Days unused before the store is deleted")
        self.expiry.setRange(0, 365)
        self.expiry.setSpecialValueText("Never")
        self.expiry.setSuffix(" days unused")
        self.chunking = named(QComboBox(), "storeChunking", "How files are cut into chunks")
        self.chunking.addItem("Automatic", Chunking())
        self.chunking.addItem(
            "Small chunks (400 tokens, 200 overlap)", Chunking("static", 400, 200)
        )
        self.chunking.addItem(
            "Large chunks (1,600 tokens, 400 overlap)", Chunking("static", 1600, 400)
        )
        form = QFormLayout()
        form.addRow("Name:", self.name_edit)
        form.addRow("Delete after:", self.expiry)
        form.addRow("Chunks:", self.chunking)
        self.create_button = named(QPushButton("Create store"), "storeCreate", "Create a store")
        self.create_button.clicked.connect(self._create)
        self.rename_button = named(QPushButton("Rename"), "storeRename", "Rename the store")
        self.rename_button.clicked.connect(self._rename)
        self.delete_button = named(QPushButton("Delete…"), "storeDelete", "Delete the store")
        self.delete_button.clicked.connect(self._ask_delete)
        self.refresh_button = named(QPushButton("Refresh"), "storesRefresh", "Refresh")
        self.refresh_button.clicked.connect(self.refresh_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.create_button)
        buttons.addWidget(self.rename_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        buttons.addWidget(self.refresh_button)
        self.table = _table("storesTable", "Vector stores", ("Store", "Files", "Size"))
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.itemSelectionChanged.connect(self._on_selection)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(
            wrapped_label(
                "storesHelp",
                "<b>Vector stores</b>: files indexed so the file-search tool can find passages "
                "in them.",
            )
        )
        left_layout.addLayout(form)
        left_layout.addLayout(buttons)
        left_layout.addWidget(self.table, 1)

        self.files_title = wrapped_label("storeFilesTitle", "Files: pick a store.")
        self.files_table = _table("storeFiles", "Files in the store", ("File", "Status"))
        self.add_selected_button = named(
            QPushButton("Add files selected on Files"),
            "storeAddSelected",
            "Add the files selected on the Files page",
        )
        self.add_selected_button.clicked.connect(self.add_selected_files_clicked)
        self.add_disk_button = named(
            QPushButton("Add from this computer…"), "storeAddFromDisk", "Upload and add files"
        )
        self.add_disk_button.clicked.connect(self.add_from_disk_clicked)
        add_row = QHBoxLayout()
        add_row.addWidget(self.add_selected_button)
        add_row.addWidget(self.add_disk_button)
        add_row.addStretch(1)
        self.query = named(QLineEdit(), "storeSearch", "Search the store")
        self.query.setPlaceholderText("Ask something the files answer, then press Enter")
        self.query.returnPressed.connect(self._search)
        self.search_button = named(QPushButton("Search"), "storeSearchButton", "Search the store")
        self.search_button.clicked.connect(self._search)
        search_row = QHBoxLayout()
        search_row.addWidget(self.query, 1)
        search_row.addWidget(self.search_button)
        self.results = named(QTextBrowser(), "storeSearchResults", "Search results")
        self.results.setPlaceholderText("The passages found, best first, with their scores.")
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.files_title)
        right_layout.addWidget(self.files_table, 1)
        right_layout.addLayout(add_row)
        right_layout.addWidget(QLabel("<b>Search</b>"))
        right_layout.addLayout(search_row)
        right_layout.addWidget(self.results, 2)

        self.status_label = status_line("storesStatus")
        two_panes_and_status(
            self, ((left, 1), (right, 1)), "storesSplitter", (500, 580), self.status_label
        )
        self.main_input: QWidget = self.name_edit
        self._update_buttons()

    # -- what the controller calls -------------------------------------------------------------

    def set_stores(self, stores: list[StoreInfo]) -> None:
        selected = self.selected_store()
        self.stores = list(stores)
        self.table.blockSignals(True)
        self.table.setRowCount(len(stores))
        for row, store in enumerate(stores):
            cells = (store.name or "(no name)", store.files_text, format_size(store.size))
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
            if selected is not None and store.id == selected.id:
                self.table.selectRow(row)
        self.table.blockSignals(False)
        self._update_buttons()

    def update_store(self, store: StoreInfo) -> None:
        self.set_stores(upsert(self.stores, store))

    def select_store(self, store_id: str) -> None:
        select_row_of(self.table, self.stores, store_id)

    def selected_store(self) -> StoreInfo | None:
        return selected_of(self.table, self.stores)

    def show_files(self, store: StoreInfo, files: list[StoreFile], names: dict[str, str]) -> None:
        self.files_title.setText(f"Files in {store.name or 'the store'}: {store.files_text}")
        self.files_table.setRowCount(len(files))
        for row, file in enumerate(files):
            self.files_table.setItem(row, 0, QTableWidgetItem(names.get(file.id, file.id)))
            status = QTableWidgetItem(file.status_text)
            if file.error:
                status.setToolTip(file.error)
                status.setText(f"{file.status_text}: {file.error}")
            self.files_table.setItem(row, 1, status)

    def show_chunks(self, query: str, chunks: list[Chunk]) -> None:
        if not chunks:
            self.results.setPlainText(
                f"Nothing in this store matches “{query}”. Try other words, or check that its "
                "files are ready."
            )
            return
        html = "".join(
            f"<p><b>{chunk.score:.2f}</b> · {chunk.filename}<br>{_escape(chunk.text)}</p>"
            for chunk in chunks
        )
        self.results.setHtml(html)

    def clear_form(self) -> None:
        self.name_edit.clear()

    def set_info(self, text: str) -> None:
        show_info(self.status_label, text)

    def show_error(self, error: AppError) -> None:
        show_error(self.status_label, error)

    # -- internals -----------------------------------------------------------------------------

    def _update_buttons(self) -> None:
        store = self.selected_store()
        for button in (
            self.rename_button,
            self.delete_button,
            self.add_selected_button,
            self.add_disk_button,
            self.search_button,
        ):
            button.setEnabled(store is not None)

    def _on_selection(self) -> None:
        self._update_buttons()
        store = self.selected_store()
        if store is not None:
            self.name_edit.setText(store.name)
            self.store_selected.emit(store.id)

    def _create(self) -> None:
        name = self.name_edit.text().strip()
        if not name:
            self.set_info("Give the new store a name first.")
            self.name_edit.setFocus()
            return
        self.create_requested.emit(name, self.expiry.value(), self.chunking.currentData())

    def _rename(self) -> None:
        store = self.selected_store()
        name = self.name_edit.text().strip()
        if store is not None and name and name != store.name:
            self.rename_requested.emit(store.id, name)

    def _search(self) -> None:
        store = self.selected_store()
        if store is not None and self.query.text().strip():
            self.search_requested.emit(store.id, self.query.text().strip())

    def _ask_delete(self) -> None:
        from playground.ui.common.question import ask

        store = self.selected_store()
        if store is None:
            return
        self.delete_box = ask(
            self,
            "storeDeleteQuestion",
            "Delete vector store",
            f"Delete the store {store.name or '(no name)'}?\n\nIts files stay on the Files page; "
            "the file-search tool can no longer use this store.",
            lambda yes: self.delete_requested.emit(store.id) if yes else None,
        )


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br>")
    )
