"""The starters gallery the empty Chat shows: shipped tasks to start from (`core/starters.py`).

A view: it lists the starters it is given, filters them by the search box and the category, shows
the selected one's purpose, blanks and settings (with their reasons, for the model picked in Chat),
and emits intents. The controller loads the starters and does what Open and Test it mean.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from playground.core.starters import Starter
from playground.ui.common.widgets import named, wrapped_label

ALL_CATEGORIES = "All categories"
_ID_ROLE = Qt.ItemDataRole.UserRole
VISIBLE_ROWS = 6


class StarterGallery(QFrame):
    """A small gallery of starters: search, categories, a list, details, Open and Test it.

    Signals:
        open_requested: put the starter into Chat. arg: the starter's id.
        test_requested: open the starter's test suite in Prompt Lab. arg: the starter's id.
    """

    open_requested = Signal(str)
    test_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("starterGallery")
        self.setAccessibleName("Starters")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._starters: list[Starter] = []
        self._loaded = False
        self._model = ""
        self._models: dict[str, str] = {}

        title = QLabel("Start from a working example")
        title.setObjectName("starterGalleryTitle")
        font = title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        title.setFont(font)
        intro = wrapped_label(
            "starterGalleryIntro",
            "Pick a task and press Open: the instructions, the blanks to fill in and the settings "
            "are put in for you. “Test it” shows in Prompt Lab how such a prompt is checked.",
        )
        self.search_edit = named(
            QLineEdit(), "starterSearch", "Search starters", "Find a starter by its name or purpose"
        )
        self.search_edit.setPlaceholderText("Search, e.g. email, summary, JSON")
        self.search_edit.setClearButtonEnabled(True)
        self.category_combo = named(
            QComboBox(), "starterCategory", "Category", "Show the starters of one kind only"
        )
        self.category_combo.addItem(ALL_CATEGORIES)
        filters = QHBoxLayout()
        filters.addWidget(self.search_edit, 2)
        filters.addWidget(self.category_combo, 1)

        self.list = named(QListWidget(), "starterList", "Starters", "Double-click to open one")
        self.list.setUniformItemSizes(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.empty_label = wrapped_label("starterEmpty")
        self.empty_label.setVisible(False)
        self.details = wrapped_label("starterDetails")
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.problems_label = wrapped_label("starterProblems")
        self.problems_label.setVisible(False)

        self.open_button = QPushButton("Open")
        self.open_button.setObjectName("starterOpenButton")
        self.open_button.setAccessibleName("Open starter")
        self.open_button.setToolTip("Put this task's instructions, blanks and settings into Chat")
        self.test_button = QPushButton("Test it in Prompt Lab")
        self.test_button.setObjectName("starterTestButton")
        self.test_button.setAccessibleName("Test starter in Prompt Lab")
        self.test_button.setToolTip("Open this task's ready test cases in Prompt Lab")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.test_button)
        buttons.addWidget(self.open_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addLayout(filters)
        layout.addWidget(self.list)
        layout.addWidget(self.empty_label)
        layout.addLayout(buttons)  # under the list, so they stay in view in a short window
        layout.addWidget(self.details)
        layout.addWidget(self.problems_label)

        self.search_edit.textChanged.connect(self._refilter)
        self.category_combo.currentIndexChanged.connect(self._refilter)
        self.list.currentItemChanged.connect(self._show_details)
        self.list.itemDoubleClicked.connect(lambda _item: self.open_selected())
        self.open_button.clicked.connect(self.open_selected)
        self.test_button.clicked.connect(self.test_selected)
        self._fit_list()
        self._refilter()

    # --- public API ------------------------------------------------------------------------------

    def set_starters(self, starters: Sequence[Starter], problems: Sequence[str] = ()) -> None:
        """Lists `starters`; `problems` are lines about starter files that were skipped."""
        self._starters = list(starters)
        self._loaded = True
        current = self.category_combo.currentText()
        self.category_combo.blockSignals(True)
        self.category_combo.clear()
        self.category_combo.addItem(ALL_CATEGORIES)
        self.category_combo.addItems(sorted({s.category for s in starters}, key=str.casefold))
        self.category_combo.setCurrentText(current)
        self.category_combo.blockSignals(False)
        self.problems_label.setText(" ".join(problems))
        self.problems_label.setVisible(bool(problems))
        self._refilter()

    def set_model(self, model: str) -> None:
        """The model picked in Chat: the settings shown are the ones it will get."""
        self._model = model
        self._show_details()

    def set_models(self, models: Mapping[str, str]) -> None:
        """The model Open will use for each starter, by id (its own, or the one used instead)."""
        self._models = dict(models)
        self._show_details()

    def set_search(self, text: str) -> None:
        self.search_edit.setText(text)

    def set_category(self, category: str) -> None:
        self.category_combo.setCurrentText(category or ALL_CATEGORIES)

    def shown_ids(self) -> list[str]:
        """The ids of the starters listed now (after search and category), in order."""
        return [str(self.list.item(i).data(_ID_ROLE)) for i in range(self.list.count())]

    def selected_id(self) -> str:
        item = self.list.currentItem()
        return str(item.data(_ID_ROLE)) if item is not None else ""

    def select(self, starter_id: str) -> None:
        for i in range(self.list.count()):
            if self.list.item(i).data(_ID_ROLE) == starter_id:
                self.list.setCurrentRow(i)
                return

    def open_selected(self) -> None:
        if self.selected_id():
            self.open_requested.emit(self.selected_id())

    def test_selected(self) -> None:
        if self.selected_id():
            self.test_requested.emit(self.selected_id())

    # --- internals --------------------------------------------------------------------------------

    def _category(self) -> str:
        text = self.category_combo.currentText()
        return "" if text == ALL_CATEGORIES else text

    def _refilter(self) -> None:
        keep = self.selected_id()
        query, category = self.search_edit.text(), self._category()
        shown = [
            s
            for s in self._starters
            if (not category or s.category == category) and s.matches(query)
        ]
        self.list.blockSignals(True)
        self.list.clear()
        for starter in shown:
            item = QListWidgetItem(f"{starter.title}  —  {starter.purpose}")
            item.setData(_ID_ROLE, starter.id)
            item.setToolTip(f"{starter.category}: {starter.purpose}")
            self.list.addItem(item)
        self.list.blockSignals(False)
        if shown:
            ids = [s.id for s in shown]
            self.list.setCurrentRow(ids.index(keep) if keep in ids else 0)
        if not self._starters:
            self.empty_label.setText(
                "No starter could be read (see below). Type your own instructions instead."
                if self._loaded
                else "The starters are loading…"
            )
        elif query.strip():
            where = f" in {category}" if category else ""
            self.empty_label.setText(
                f"No starter matches “{query.strip()}”{where}. Try another word, or clear the "
                "search to see them all."
            )
        else:
            self.empty_label.setText(f"There is no starter in {category} yet.")
        self.empty_label.setVisible(not shown)
        self.list.setVisible(bool(shown))
        self._show_details()

    def _starter(self, starter_id: str) -> Starter | None:
        return next((s for s in self._starters if s.id == starter_id), None)

    def _show_details(self) -> None:
        starter = self._starter(self.selected_id())
        self.open_button.setEnabled(starter is not None)
        self.test_button.setEnabled(starter is not None)
        self.details.setVisible(starter is not None)
        if starter is None:
            self.details.clear()
            return
        model = self._models.get(starter.id) or self._model or starter.model
        blanks = ", ".join(starter.variables())
        lines = "".join(f"<li>{_escape(line.text())}</li>" for line in starter.settings_for(model))
        self.details.setText(
            f"<b>{_escape(starter.title)}</b> · {_escape(starter.category)}<br>"
            f"{_escape(starter.purpose)}<br>"
            f"You fill in: {_escape(blanks)}<br>"
            f"Settings on {_escape(model)}:<ul style='margin: 0'>{lines}</ul>"
        )

    def _fit_list(self) -> None:
        rows = VISIBLE_ROWS
        height = self.list.fontMetrics().height() + 6
        self.list.setFixedHeight(rows * height + 2 * self.list.frameWidth() + 4)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
