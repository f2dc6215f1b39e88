"""The vector stores file search reads, picked from the list the API gives (ticks, by name).

A view: it never fetches anything. It asks with `wanted` (when it is first needed, and on
Refresh); its owner answers with `set_stores` or `set_problem`. What was chosen before the list
came (a stored conversation, a pasted request) stays chosen until the list says it no longer
exists; then it is left out, and the note says so in plain words.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from playground.ui.common.widgets import named, wrapped_label

NONE_YET = (
    "You have no vector stores yet. Create one in the Platform tab (Vector stores), "
    "then press Refresh."
)
GONE = (
    "{what} chosen before no longer exist{s} on OpenAI and {was} left out. "
    "Tick another one, or create one in the Platform tab."
)
VISIBLE_ROWS = 4


class VectorStorePicker(QWidget):
    """Ticks for the vector stores to search, a Refresh button and a plain note.

    Signals:
        wanted: the list is needed (first shown, or Refresh pressed).
        changed: the ticks changed.
    """

    wanted = Signal()
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("vectorStorePicker")
        self.list = named(
            QListWidget(),
            "vectorStoresList",
            "Vector stores",
            "The vector stores (files uploaded to OpenAI) file search may read. Tick one or more.",
        )
        self.list.itemChanged.connect(lambda _item: self.changed.emit())
        self.list.setWordWrap(True)  # a long name wraps rather than hiding behind a scroll bar
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        rows = self.list.sizeHintForRow(0) if self.list.count() else self.fontMetrics().height() + 6
        self.list.setMaximumHeight(rows * VISIBLE_ROWS + 2 * self.list.frameWidth() + 4)
        self.refresh_button = named(
            QPushButton("Refresh"),
            "vectorStoresRefresh",
            "Refresh",
            "Ask OpenAI for the list again.",
        )
        self.refresh_button.clicked.connect(self.wanted)
        self.note = wrapped_label("vectorStoresNote")
        self.note.setVisible(False)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.note, 1)
        row.addWidget(self.refresh_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.list)
        layout.addLayout(row)
        self.loaded = False

    def want(self) -> None:
        """Asks for the list unless it came already."""
        if not self.loaded:
            self.note.setText("Asking OpenAI for your vector stores…")
            self.note.setVisible(True)
            self.wanted.emit()

    def chosen(self) -> tuple[str, ...]:
        """The ids of the ticked stores."""
        return tuple(
            self._id(row)
            for row in range(self.list.count())
            if self.list.item(row).checkState() == Qt.CheckState.Checked
        )

    def set_chosen(self, ids: Sequence[str]) -> None:
        """Ticks `ids`; one not in the list (yet) is shown by its id until the list comes."""
        self.list.blockSignals(True)
        if not self.loaded:
            self.list.clear()
        listed = set()
        for row in range(self.list.count()):
            item = self.list.item(row)
            listed.add(self._id(row))
            on = self._id(row) in ids
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        for store_id in ids:
            if store_id not in listed:
                self._add(store_id, store_id, checked=True)
        self.list.blockSignals(False)

    def set_stores(self, stores: Sequence[tuple[str, str]]) -> None:
        """The list from the API: (id, what the user sees) per store. Keeps the ticks of the stores
        still there; says which chosen ones are gone."""
        chosen = self.chosen()
        known = {store_id for store_id, _label in stores}
        gone = [i for i in chosen if i not in known]
        self.loaded = True
        self.list.blockSignals(True)
        self.list.clear()
        for store_id, label in stores:
            self._add(store_id, label, checked=store_id in chosen)
        self.list.blockSignals(False)
        if not stores and not gone:
            self._say(NONE_YET)
        elif gone:
            many = len(gone) > 1
            what = f"{len(gone)} vector stores" if many else "A vector store"
            self._say(GONE.format(what=what, s="" if many else "s", was="were" if many else "was"))
        else:
            self._say("")
        if gone:
            self.changed.emit()

    def set_problem(self, text: str) -> None:
        """The list could not be fetched: `text` says why; the ticks stay as they were."""
        self._say(text)

    def _say(self, text: str) -> None:
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def _add(self, store_id: str, label: str, *, checked: bool) -> None:
        item = QListWidgetItem(label)
        item.setData(Qt.ItemDataRole.UserRole, store_id)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        self.list.addItem(item)

    def _id(self, row: int) -> str:
        return str(self.list.item(row).data(Qt.ItemDataRole.UserRole))
