"""The Embeddings tab (view only): texts and model on the left, four views of the vectors on the right.

Views: a similarity heatmap, semantic search, k-means clusters in a 2-D PCA scatter, and the most
similar pairs. The tab emits what the user asks for and its controller (`EmbeddingsController`)
does the work; the only things done here are pure view chores (copying a plot to the clipboard,
asking for a file name).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSignalBlocker,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QKeySequence,
    QPainter,
    QPalette,
    QShortcut,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from playground.core.api.errors import AppError
from playground.core.api.retirements import ModelChoice
from playground.core.embeddings.files import short
from playground.core.embeddings.service import MAX_MATRIX_TEXTS, EmbeddingLimits
from playground.ui.common.countdown import Countdown
from playground.ui.common.model_picker import ModelCombo, UseReplacementButton
from playground.ui.common.question import ask
from playground.ui.common.widgets import fill, named, side_by_side, wrapped_label
from playground.ui.embeddings.learn_views import (
    ClassifyPage,
    OutliersPage,
    RecommendPage,
    read_only_table,
)
from playground.ui.shell.theme import icon, is_dark

if TYPE_CHECKING:
    from playground.ui.embeddings.plots import ClusterView, HeatmapView

VIEW_HEATMAP, VIEW_SEARCH, VIEW_CLUSTERS, VIEW_PAIRS = range(4)
VIEW_CLASSIFY, VIEW_OUTLIERS, VIEW_RECOMMEND = range(4, 7)
EXPORTS = (
    ("vectors-csv", "Vectors as CSV…", "CSV files (*.csv)", ".csv"),
    ("vectors-npy", "Vectors as NumPy .npy…", "NumPy arrays (*.npy)", ".npy"),
    ("vectors-jsonl", "Vectors as JSONL…", "JSON Lines (*.jsonl)", ".jsonl"),
    ("similarity-csv", "Similarity matrix as CSV…", "CSV files (*.csv)", ".csv"),
)
SCORE_ROLE = Qt.ItemDataRole.UserRole + 1
SEARCH_RINGS = 5  # best search results ringed on the cluster map


class _ScoreDelegate(QStyledItemDelegate):
    """Draws a score cell as a bar behind its number (cosine similarity, 0..1)."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        score = index.data(SCORE_ROLE)
        if isinstance(score, float):
            rect: QRect = option.rect
            bar = QColor(option.palette.color(QPalette.ColorRole.Highlight))
            bar.setAlpha(70)
            # The bar stays left of the number (right-aligned, about 50 px wide).
            width = int(max(rect.width() - 58, 0) * max(0.0, min(score, 1.0)))
            painter.fillRect(QRect(rect.left() + 2, rect.top() + 3, width, rect.height() - 6), bar)
        super().paint(painter, option, index)


def _table(name: str, headers: Sequence[str]) -> QTableWidget:
    table = read_only_table(name, name, headers, row_padding=10)
    table.setItemDelegateForColumn(len(headers) - 1, _ScoreDelegate(table))
    return table


class EmbeddingsTab(QWidget):
    """The embeddings workbench view.

    Signals:
        inputs_changed: the texts, model or dimensions changed (the estimate is stale).
        embed_requested: Embed / Ctrl+Enter.
        stop_requested: Stop or Esc while batches are sent.
        resume_requested: send the batches a failed or stopped run did not finish.
        file_chosen: a file to load texts from. arg: its path.
        column_chosen: the column of the loaded file to take texts from. arg: the column name.
        search_requested: rank the texts against a query. arg: the query.
        k_changed: the number of clusters changed. arg: k.
        export_requested: save vectors or the similarity matrix. args: kind, path.
    """

    inputs_changed = Signal()
    embed_requested = Signal()
    stop_requested = Signal()
    resume_requested = Signal()
    file_chosen = Signal(str)
    column_chosen = Signal(str)
    search_requested = Signal(str)
    k_changed = Signal(int)
    export_requested = Signal(str, str)
    clear_cache_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("embeddingsTab")
        self._busy = False
        self.confirm_box: QMessageBox | None = None  # the "clear the cache?" question, while open
        self._labels: list[str] = []

        # --- left: inputs --------------------------------------------------------------------
        left = QWidget()
        left.setMinimumWidth(300)
        form = QVBoxLayout(left)
        form.setContentsMargins(10, 10, 6, 10)
        form.setSpacing(6)

        heading = QHBoxLayout()
        title = QLabel("<b>Texts</b> · one per line")
        heading.addWidget(title, 1)
        self.open_button = named(
            QPushButton("Open file…"), "embeddingsOpenButton", "Open a file of texts"
        )
        self.open_button.setToolTip(
            "Load texts from a .txt (one per line), .csv (pick the column) or .jsonl file; "
            "or drop the file on the text box"
        )
        self.open_button.clicked.connect(self._on_open_clicked)
        heading.addWidget(self.open_button)
        form.addLayout(heading)

        self.texts_edit = named(QPlainTextEdit(), "embeddingsTexts", "Texts to embed, one per line")
        self.texts_edit.setPlaceholderText(
            "Paste or type texts, one per line.\n\nThe cat sat on the mat.\n"
            "A kitten naps on the rug.\nStocks fell sharply today."
        )
        self.texts_edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.texts_edit.textChanged.connect(self.inputs_changed.emit)
        # A file dropped on the editor is opened like "Open file…" (not pasted as its path).
        self.texts_edit.installEventFilter(self)
        self.texts_edit.viewport().installEventFilter(self)
        form.addWidget(self.texts_edit, 1)

        self.column_row = QWidget()
        column_layout = QHBoxLayout(self.column_row)
        column_layout.setContentsMargins(0, 0, 0, 0)
        column_layout.addWidget(QLabel("Column:"))
        self.column_combo = named(QComboBox(), "embeddingsColumn", "Column of the file to embed")
        self.column_combo.activated.connect(
            lambda _i: self.column_chosen.emit(self.column_combo.currentText())
        )
        column_layout.addWidget(self.column_combo, 1)
        self.column_row.setVisible(False)
        form.addWidget(self.column_row)

        self.file_label = wrapped_label("embeddingsFileInfo")
        self.file_label.setVisible(False)
        form.addWidget(self.file_label)

        model_row = QHBoxLayout()
        model_row.addWidget(QLabel("Model"))
        self.model_combo = named(ModelCombo(), "embeddingsModel", "Embedding model")
        self.model_combo.setEditable(True)
        self.model_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        line = self.model_combo.lineEdit()
        if line is not None:
            line.setPlaceholderText("Refresh models, or type a model id")
        self.model_combo.currentTextChanged.connect(lambda _t: self.inputs_changed.emit())
        model_row.addWidget(self.model_combo, 1)
        form.addLayout(model_row)
        form.addWidget(self.model_combo.retired_toggle)
        form.addWidget(self.model_combo.note)

        dims_row = QHBoxLayout()
        dims_row.addWidget(QLabel("Dimensions"))
        self.dims_spin = named(QSpinBox(), "embeddingsDimensions", "Vector length (dimensions)")
        self.dims_spin.setRange(0, 0)
        self.dims_spin.setSpecialValueText("model default")
        self.dims_spin.setGroupSeparatorShown(True)
        self.dims_spin.valueChanged.connect(lambda _v: self.inputs_changed.emit())
        dims_row.addWidget(self.dims_spin, 1)
        form.addLayout(dims_row)

        self.estimate_label = wrapped_label("embeddingsEstimate", "Type or load some texts.")
        self.estimate_label.setTextFormat(Qt.TextFormat.RichText)
        form.addWidget(self.estimate_label)

        self.error_box = QFrame()
        self.error_box.setObjectName("embeddingsErrorBox")
        error_layout = QVBoxLayout(self.error_box)
        error_layout.setContentsMargins(0, 0, 0, 0)
        self.error_label = wrapped_label("embeddingsError")
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        error_layout.addWidget(self.error_label)
        self.resume_button = named(
            QPushButton("Resume"),
            "embeddingsResumeButton",
            "Resume the unfinished batches",
            "Send only the batches that did not finish",
        )
        self.resume_button.clicked.connect(self.resume_requested.emit)
        self._resume_text = "Resume"
        self._resume_wait = Countdown(self)
        self._resume_wait.changed.connect(self._show_resume)
        self._resume_wait.text_changed.connect(lambda _text: self._show_error_text())
        self._shown_error: AppError | None = None
        error_layout.addWidget(self.resume_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.use_replacement = UseReplacementButton(self.model_combo)  # a retired model's 404
        error_layout.addWidget(self.use_replacement, 0, Qt.AlignmentFlag.AlignLeft)
        self.error_box.setVisible(False)
        form.addWidget(self.error_box)

        self.progress = named(QProgressBar(), "embeddingsProgress", "Batches sent")
        self.progress.setVisible(False)
        form.addWidget(self.progress)

        buttons = QHBoxLayout()
        self.stop_button = named(
            QPushButton("Stop"),
            "embeddingsStopButton",
            "Stop sending",
            "Stop after the batches already answered (Esc)",
        )
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop_requested.emit)
        buttons.addWidget(self.stop_button)
        self.clear_cache_button = named(
            QPushButton("Clear cache…"), "embeddingsClearCache", "Clear the vector cache"
        )
        self.clear_cache_button.setToolTip(
            "Forget the vectors saved on this computer; the next run fetches (and pays for) them "
            "again"
        )
        self.clear_cache_button.clicked.connect(self.clear_cache_requested.emit)
        buttons.addWidget(self.clear_cache_button)
        buttons.addStretch(1)
        self.embed_button = named(
            QPushButton("Embed"),
            "embeddingsEmbedButton",
            "Embed the texts",
            "Fetch the vectors and draw the views (Ctrl+Enter)",
        )
        self.embed_button.setDefault(True)
        self.embed_button.clicked.connect(self._on_embed_clicked)
        buttons.addWidget(self.embed_button)
        form.addLayout(buttons)

        self.result_label = wrapped_label("embeddingsResult")
        self.result_label.setVisible(False)
        form.addWidget(self.result_label)

        # --- right: the views ----------------------------------------------------------------
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(6, 10, 10, 10)
        right_layout.setSpacing(6)
        self.stack = QStackedWidget()
        self.empty_label = QLabel(
            "<h3>See how close in meaning your texts are</h3>"
            "<p>Type a few texts on the left, one per line, or open a file, then press "
            "<b>Embed</b> (Ctrl+Enter).</p><p>You get a similarity heatmap, semantic search, "
            "clusters on a 2-D map and the most similar pairs. Vectors are cached on this "
            "computer, so the same text is never paid for twice.</p>"
        )
        self.empty_label.setObjectName("embeddingsEmpty")
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setMargin(24)
        self.sample_button = named(
            QPushButton("Try it with sample texts"),
            "embeddingsSampleButton",
            "Fill in sample texts",
        )
        self.sample_button.setToolTip(
            "Sixteen short texts on four topics, to see what the views show"
        )
        self.sample_button.clicked.connect(self.fill_sample_texts)
        empty = QWidget()
        empty_layout = QVBoxLayout(empty)
        empty_layout.addStretch(1)
        empty_layout.addWidget(self.empty_label)
        empty_layout.addWidget(self.sample_button, 0, Qt.AlignmentFlag.AlignHCenter)
        empty_layout.addStretch(1)
        self.stack.addWidget(empty)

        self.views = QTabWidget()
        self.views.setObjectName("embeddingsViews")
        self.views.setDocumentMode(True)
        # The plots (pyqtgraph, numpy) are built just after the tab is first shown, so showing it
        # is instant; `heatmap` and `clusters` build them on demand if asked for earlier.
        self._heatmap: HeatmapView | None = None
        self._clusters: ClusterView | None = None
        self._heatmap_page = QWidget()
        self._heatmap_page.setObjectName("embeddingsHeatmapPage")
        QVBoxLayout(self._heatmap_page).setContentsMargins(0, 0, 0, 0)
        self.views.addTab(self._heatmap_page, "Heatmap")
        self.views.addTab(self._build_search(), "Search")
        self.views.addTab(self._build_clusters(), "Clusters")
        self.views.addTab(self._build_pairs(), "Pairs")
        self.classify_page = ClassifyPage()
        self.outliers_page = OutliersPage()
        self.recommend_page = RecommendPage()
        self.views.addTab(self.classify_page, "Classify")
        self.views.addTab(self.outliers_page, "Outliers")
        self.views.addTab(self.recommend_page, "Recommend")
        for index, tip in (
            (3, "The most similar pairs of texts"),
            (4, "Teach labels from a few examples, then label the texts"),
            (5, "The texts that do not fit with the others"),
            (6, "Pick texts you like: get the closest others"),
        ):
            self.views.setTabToolTip(index, tip)
        self.views.currentChanged.connect(self._update_copy_enabled)
        corner = QWidget()
        corner_layout = QHBoxLayout(corner)
        corner_layout.setContentsMargins(0, 0, 0, 4)
        self.copy_button = named(
            QToolButton(), "embeddingsCopyPlot", "Copy the plot as a PNG image"
        )
        self.copy_button.setText("Copy plot")
        self.copy_button.setToolTip("Copy the plot to the clipboard as a PNG image")
        self.copy_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.copy_button.clicked.connect(self.copy_plot)
        corner_layout.addWidget(self.copy_button)
        self.export_button = named(
            QToolButton(), "embeddingsExport", "Export vectors or similarities"
        )
        self.export_button.setText("Export")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        for kind, label, _filter, _suffix in EXPORTS:
            action = menu.addAction(label)
            action.setObjectName(f"export-{kind}")
            action.triggered.connect(lambda _c=False, k=kind: self._ask_export_path(k))
        self.export_button.setMenu(menu)
        corner_layout.addWidget(self.export_button)
        self.views.setCornerWidget(corner, Qt.Corner.TopRightCorner)
        self.stack.addWidget(self.views)
        right_layout.addWidget(self.stack, 1)

        splitter = side_by_side(
            [(left, 0), (right, 1)], name="embeddingsSplitter", sizes=[360, 820]
        )
        fill(self, splitter, (0, 0, 0, 0))

        for seq in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(seq), self, self._on_embed_clicked)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self._on_escape)
        QShortcut(QKeySequence("Ctrl+F"), self, self.focus_search)
        self.main_input: QWidget = self.texts_edit
        self.refresh_icons()
        self._update_copy_enabled()

    # --- view pages ----------------------------------------------------------------------------

    def _build_search(self) -> QWidget:
        page = QWidget()
        page.setObjectName("embeddingsSearchPage")
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 6, 0, 0)
        row = QHBoxLayout()
        self.query_edit = named(QLineEdit(), "embeddingsQuery", "Search query")
        self.query_edit.setPlaceholderText(
            "Describe what you are looking for, in any words… (Ctrl+F)"
        )
        self.query_edit.setClearButtonEnabled(True)
        self.query_edit.returnPressed.connect(self._on_search_clicked)
        row.addWidget(self.query_edit, 1)
        self.search_button = named(
            QPushButton("Search"),
            "embeddingsSearchButton",
            "Rank the texts by meaning",
            "Rank the texts by how close they are in meaning (Enter)",
        )
        self.search_button.clicked.connect(self._on_search_clicked)
        row.addWidget(self.search_button)
        layout.addLayout(row)
        self.search_info = wrapped_label(
            "embeddingsSearchInfo", "The query is embedded with the same model (one small request)."
        )
        layout.addWidget(self.search_info)
        self.results_table = _table("embeddingsResults", ["#", "Text", "Score"])
        header = self.results_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(2, 140)
        layout.addWidget(self.results_table, 1)
        return page

    def _build_clusters(self) -> QWidget:
        page = QWidget()
        page.setObjectName("embeddingsClustersPage")
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 6, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel("Clusters (k)"))
        self.k_spin = named(QSpinBox(), "embeddingsK", "Number of clusters")
        self.k_spin.setRange(1, 20)
        self.k_spin.setValue(3)
        self.k_spin.valueChanged.connect(self.k_changed.emit)
        row.addWidget(self.k_spin)
        self.suggested_button = named(
            QPushButton("Use suggested"),
            "embeddingsSuggestedK",
            "Use the suggested number of clusters",
        )
        self.suggested_button.clicked.connect(self._use_suggested)
        row.addWidget(self.suggested_button)
        self.suggested_label = QLabel()
        self.suggested_label.setObjectName("embeddingsSuggestedLabel")
        row.addWidget(self.suggested_label, 1)
        layout.addLayout(row)
        self._clusters_area = QVBoxLayout()
        layout.addLayout(self._clusters_area, 1)
        self._suggested_k = 0
        return page

    def _build_pairs(self) -> QWidget:
        page = QWidget()
        page.setObjectName("embeddingsPairsPage")
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 6, 0, 0)
        self.pairs_info = wrapped_label("embeddingsPairsInfo")
        layout.addWidget(self.pairs_info)
        self.pairs_table = _table("embeddingsPairs", ["Text", "Most similar to", "Score"])
        header = self.pairs_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(2, 140)
        self.pairs_table.currentCellChanged.connect(self._on_pair_chosen)
        layout.addWidget(self.pairs_table, 1)
        self._pairs: list[tuple[int, int, float]] = []
        return page

    def _on_pair_chosen(self, row: int, *_args: int) -> None:
        """A chosen pair is shown in full under the heatmap and ringed on the cluster map."""
        if 0 <= row < len(self._pairs):
            i, j, _score = self._pairs[row]
            self.heatmap.show_detail(i, j)
            self.clusters.highlight([i, j])

    # --- the plots, built on first need ---------------------------------------------------------

    @property
    def heatmap(self) -> HeatmapView:
        self.ensure_plots()
        assert self._heatmap is not None
        return self._heatmap

    @property
    def clusters(self) -> ClusterView:
        self.ensure_plots()
        assert self._clusters is not None
        return self._clusters

    def ensure_plots(self) -> None:
        """Builds the heatmap and the cluster map (imports pyqtgraph and numpy) once."""
        if self._heatmap is not None:
            return
        from playground.ui.embeddings.plots import ClusterView, HeatmapView

        self._heatmap = HeatmapView(self._heatmap_page)
        layout = self._heatmap_page.layout()
        assert layout is not None
        layout.addWidget(self._heatmap)
        self._clusters = ClusterView()
        self._clusters_area.addWidget(self._clusters)
        self.outliers_page.set_map(ClusterView())

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._heatmap is None:
            # After this paint: the tab appears at once, the plots a moment later.
            QTimer.singleShot(0, self, self.ensure_plots)

    # --- what the controller reads -----------------------------------------------------------

    def text(self) -> str:
        return self.texts_edit.toPlainText()

    def model(self) -> str:
        return self.model_combo.currentText().strip()

    def dimensions(self) -> int | None:
        value = self.dims_spin.value()
        return value if self.dims_spin.isEnabled() and value > 0 else None

    def k(self) -> int:
        return self.k_spin.value()

    # --- what the controller sets ------------------------------------------------------------

    def set_models(
        self, models: Sequence[str | ModelChoice], current: str = "", default: str = ""
    ) -> None:
        """Lists the embedding models (ids, or choices with retirement badges); selects
        `current` (typed in when the list does not have it)."""
        keep = current or self.model()
        self.model_combo.blockSignals(True)
        self.model_combo.set_choices(models, keep, default)
        self.model_combo.blockSignals(False)
        self.inputs_changed.emit()

    def set_limits(self, limits: EmbeddingLimits, model: str, dimensions: int | None) -> None:
        """Enables `dimensions` where the model takes it, with the model's range."""
        self.dims_spin.blockSignals(True)
        if limits.dimensions and limits.max_dimensions:
            self.dims_spin.setEnabled(True)
            self.dims_spin.setRange(0, limits.max_dimensions)
            self.dims_spin.setSpecialValueText(f"model default ({limits.max_dimensions:,})")
            self.dims_spin.setToolTip(
                f"Shorter vectors cost the same but take less space; {model} takes "
                f"{limits.min_dimensions}–{limits.max_dimensions:,}."
            )
            if dimensions is not None:
                self.dims_spin.setValue(min(dimensions, limits.max_dimensions))
        else:
            self.dims_spin.setRange(0, 0)
            self.dims_spin.setSpecialValueText(
                f"model default ({limits.native_dimensions:,})"
                if limits.native_dimensions
                else "model default"
            )
            self.dims_spin.setEnabled(False)
            self.dims_spin.setToolTip(
                f"{model or 'This model'} always returns vectors of its own length."
            )
        self.dims_spin.blockSignals(False)

    def set_text(self, text: str) -> None:
        self.texts_edit.setPlainText(text)

    def set_estimate(self, html: str) -> None:
        self.estimate_label.setText(html)

    def set_file_info(self, text: str, columns: Sequence[str] = (), column: str = "") -> None:
        """Shows where the texts came from, and the column picker when the file has columns."""
        self.file_label.setText(text)
        self.file_label.setVisible(bool(text))
        self.column_combo.clear()
        self.column_combo.addItems(list(columns))
        if column:
            self.column_combo.setCurrentText(column)
        self.column_row.setVisible(len(columns) > 1)

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.stop_button.setEnabled(busy)
        self.embed_button.setEnabled(not busy)
        self.resume_button.setEnabled(not busy and self._resume_wait.left <= 0)
        self.open_button.setEnabled(not busy)
        self.clear_cache_button.setEnabled(not busy)
        if busy:
            self.progress.setVisible(True)

    def ask_clear_cache(self, vectors: int, on_yes: Callable[[], None]) -> None:
        """Asks (window-modal, without blocking) before the cached vectors are deleted; calls
        `on_yes` if the user agrees. The open box is `confirm_box` until it closes."""

        def answered(yes: bool) -> None:
            self.confirm_box = None
            if yes:
                on_yes()

        self.confirm_box = ask(
            self,
            "embeddingsClearCacheBox",
            "Clear the embeddings cache",
            f"Delete the {vectors:,} cached vector{'s' if vectors != 1 else ''}? Texts embedded "
            "again are sent (and paid for) again.",
            answered,
            no=QMessageBox.StandardButton.Cancel,
        )

    def set_progress(self, done: int, total: int, text: str = "") -> None:
        self.progress.setVisible(True)
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done if total else 1)
        self.progress.setFormat(text or f"Batch {done} of {total}")

    def hide_progress(self) -> None:
        self.progress.setVisible(False)

    def show_error(self, error: AppError, *, resume: str = "") -> None:
        """An error next to the Embed button; `resume` names what Resume would send ("" hides it).

        When the server asked to wait (429 with retry-after), Resume counts down and is enabled
        once the wait is over.
        """
        self._shown_error = error
        self.error_label.setToolTip(error.details or "")
        self.resume_button.setVisible(bool(resume))
        self._resume_text = resume or "Resume"
        self._resume_wait.start_for(error)  # the hint names the wait left, never a stale one
        self._show_error_text()
        self.use_replacement.offer(error)
        self.error_box.setVisible(True)

    def _show_error_text(self) -> None:
        error = self._shown_error
        if error is None:
            return
        red = "#ff8a80" if is_dark() else "#b3261e"
        self.error_label.setText(
            f"<span style='color:{red}'><b>{error.title}.</b> {error.message}</span> "
            f"{self._resume_wait.hint()}"
        )

    def _show_resume(self, left: int) -> None:
        """Resume counts down the server's retry-after and is enabled once it is over."""
        self.resume_button.setEnabled(left <= 0 and not self._busy)
        self.resume_button.setText(
            f"{self._resume_text} in {left} s" if left else self._resume_text
        )

    def hide_error(self) -> None:
        self._shown_error = None
        self._resume_wait.stop()
        self.error_label.clear()
        self.error_box.setVisible(False)

    def show_result(self, text: str) -> None:
        self.result_label.setText(text)
        self.result_label.setVisible(bool(text))

    def show_analysis(
        self,
        labels: Sequence[str],
        similarity: object,
        points: object,
        clusters: object,
        explained: tuple[float, float],
        pairs: Sequence[tuple[int, int, float]],
        suggested_k: int,
        k: int,
    ) -> None:
        """Draws every view for a finished run."""
        import numpy as np

        self._labels = list(labels)
        self.stack.setCurrentWidget(self.views)
        if similarity is None:
            self.heatmap.set_data([], np.zeros((0, 0), dtype=np.float32))
            self.heatmap.hover_label.setText(
                f"The heatmap is drawn for up to {MAX_MATRIX_TEXTS:,} texts; these are "
                f"{len(labels):,}. Search, Clusters and the exports still work."
            )
        else:
            self.heatmap.set_data(
                labels,
                np.asarray(similarity, dtype=np.float32),
                np.asarray(clusters, dtype=np.int32),
            )
        self.show_clusters(points, clusters, explained, suggested_k, k)
        self.clusters.highlight([])  # a new run: the old search's rings no longer apply
        self._fill_pairs(pairs)
        self.results_table.setRowCount(0)
        self.search_info.setText(
            f"Rank the {len(labels):,} texts by meaning. The query is embedded with the same "
            "model (one small request)."
        )
        self._update_copy_enabled()

    def show_clusters(
        self,
        points: object,
        clusters: object,
        explained: tuple[float, float],
        suggested_k: int,
        k: int,
    ) -> None:
        import numpy as np

        self._suggested_k = suggested_k
        self.k_spin.blockSignals(True)
        self.k_spin.setMaximum(max(1, min(20, len(self._labels))))
        self.k_spin.setValue(k)
        self.k_spin.blockSignals(False)
        if suggested_k > 1:
            self.suggested_label.setText(f"Suggested: <b>{suggested_k}</b> (best silhouette)")
        else:
            self.suggested_label.setText("Add more texts for a suggestion")
        self.suggested_button.setEnabled(suggested_k > 1 and suggested_k != k)
        labels = np.asarray(clusters, dtype=np.int32)
        self.clusters.set_data(
            self._labels, np.asarray(points, dtype=np.float64), labels, explained
        )
        if self.heatmap.matrix is not None and len(self.heatmap.labels) == len(labels):
            self.heatmap.set_clusters(labels)

    def show_search(
        self, query: str, ranking: Sequence[tuple[int, float]], limit: int = 200
    ) -> None:
        shown = ranking[:limit]
        self.results_table.setRowCount(len(shown))
        for row, (index, score) in enumerate(shown):
            self._set_row(
                self.results_table,
                row,
                [str(index + 1), self._labels[index]],
                score,
            )
        more = f" (top {limit:,} of {len(ranking):,})" if len(ranking) > limit else ""
        ringed = min(SEARCH_RINGS, len(ranking))
        self.search_info.setText(
            f"Closest in meaning to “{html.escape(short(query, 60))}”{more}. The best {ringed} "
            "are ringed on the Clusters map."
        )
        self.clusters.highlight([index for index, _score in ranking[:SEARCH_RINGS]])

    def set_search_busy(self, busy: bool) -> None:
        self.search_button.setEnabled(not busy)
        if busy:
            self.search_info.setText("Embedding the query…")

    def show_search_error(self, error: AppError) -> None:
        red = "#ff8a80" if is_dark() else "#b3261e"
        self.search_info.setText(
            f"<span style='color:{red}'><b>{error.title}.</b> {error.message}</span> {error.hint}"
        )

    def _fill_pairs(self, pairs: Sequence[tuple[int, int, float]]) -> None:
        self._pairs = list(pairs)
        self.pairs_table.setRowCount(len(pairs))
        for row, (i, j, score) in enumerate(pairs):
            self._set_row(
                self.pairs_table,
                row,
                [f"{i + 1}. {self._labels[i]}", f"{j + 1}. {self._labels[j]}"],
                score,
            )
        if pairs:
            note = (
                f"The {len(pairs):,} most similar pairs of texts, closest first. Choose one to "
                "read both in full under the heatmap and see them ringed on the Clusters map."
            )
        elif len(self._labels) > MAX_MATRIX_TEXTS:
            note = f"Pairs are found for up to {MAX_MATRIX_TEXTS:,} texts."
        else:
            note = "Embed at least two texts to compare them."
        self.pairs_info.setText(note)

    def _set_row(self, table: QTableWidget, row: int, cells: list[str], score: float) -> None:
        for col, text in enumerate(cells):
            item = QTableWidgetItem(" ".join(text.split()))
            item.setToolTip(text if len(text) > 60 else "")
            table.setItem(row, col, item)
        item = QTableWidgetItem(f"{score:.3f}")
        item.setData(SCORE_ROLE, float(score))
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        table.setItem(row, len(cells), item)

    def refresh_icons(self) -> None:
        self.embed_button.setIcon(icon("send"))
        self.stop_button.setIcon(icon("stop"))
        self.resume_button.setIcon(icon("refresh"))
        self.copy_button.setIcon(icon("copy"))

    # --- view chores -------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched in (self.texts_edit, self.texts_edit.viewport()) and event.type() in (
            QEvent.Type.DragEnter,
            QEvent.Type.DragMove,
            QEvent.Type.Drop,
        ):
            mime = event.mimeData()  # type: ignore[attr-defined]
            files = [u.toLocalFile() for u in mime.urls() if u.isLocalFile()] if mime else []
            if files:
                event.acceptProposedAction()  # type: ignore[attr-defined]
                if event.type() == QEvent.Type.Drop:
                    self.file_chosen.emit(files[0])
                return True
        return super().eventFilter(watched, event)

    def copy_plot(self) -> bool:
        """Puts the current plot on the clipboard as an image; False when no plot is shown."""
        plot = self.current_plot()
        if plot is None:
            return False
        QGuiApplication.clipboard().setPixmap(plot.grab_plot())
        self.copy_button.setText("Copied ✓")
        QTimer.singleShot(1500, self, lambda: self.copy_button.setText("Copy plot"))
        return True

    def current_plot(self) -> HeatmapView | ClusterView | None:
        if self.stack.currentWidget() is not self.views:
            return None
        index = self.views.currentIndex()
        if index == VIEW_HEATMAP:
            return self.heatmap
        if index == VIEW_CLUSTERS:
            return self.clusters
        return None

    def _update_copy_enabled(self, *_args: object) -> None:
        has_results = self.stack.currentWidget() is self.views
        self.copy_button.setText("Copy plot")
        self.copy_button.setEnabled(self.current_plot() is not None)
        self.export_button.setEnabled(has_results)

    def fill_sample_texts(self) -> None:
        """Puts the sample texts in the editor (nothing is sent until Embed)."""
        from playground.ui.embeddings.sample_texts import SAMPLE_TOPICS

        self.set_text("\n".join(t for topic in SAMPLE_TOPICS for t in topic))
        self.texts_edit.setFocus()

    def select_model(self, model: str) -> None:
        """Picks `model` (typed in if the list does not have it yet)."""
        self.model_combo.setCurrentText(model)

    def set_k(self, k: int) -> None:
        """Sets the number of clusters without asking to cluster again."""
        with QSignalBlocker(self.k_spin):
            self.k_spin.setValue(k)

    def set_query(self, query: str) -> None:
        self.query_edit.setText(query)

    def show_view(self, index: int) -> None:
        """Shows one of the result views (`VIEW_SEARCH`, `VIEW_CLUSTERS`, ...)."""
        self.views.setCurrentIndex(index)

    def point_at(self, row: int, column: int, point: int) -> None:
        """Shows what the pointer would: a heatmap cell's detail and a point on the cluster map."""
        self.heatmap.hover_cell(row, column)
        self.heatmap.show_detail(row, column)
        self.clusters.hover_point(point)

    def focus_search(self) -> None:
        """Ctrl+F: the Search view with the query box focused."""
        if self.stack.currentWidget() is self.views:
            self.views.setCurrentIndex(VIEW_SEARCH)
            self.query_edit.setFocus()
            self.query_edit.selectAll()

    def _use_suggested(self) -> None:
        if self._suggested_k > 1:
            self.k_spin.setValue(self._suggested_k)

    def _on_embed_clicked(self) -> None:
        if not self._busy:
            self.embed_requested.emit()

    def _on_escape(self) -> None:
        if self._busy:
            self.stop_requested.emit()

    def _on_search_clicked(self) -> None:
        query = self.query_edit.text().strip()
        if query:
            self.search_requested.emit(query)

    def _on_open_clicked(self) -> None:
        dialog = QFileDialog(self, "Open texts")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilters(
            ["Texts (*.txt *.csv *.jsonl)", "Text files (*.txt)", "CSV (*.csv)", "JSONL (*.jsonl)"]
        )
        dialog.fileSelected.connect(self.file_chosen.emit)
        dialog.open()

    def _ask_export_path(self, kind: str) -> None:
        _kind, label, name_filter, suffix = next(e for e in EXPORTS if e[0] == kind)
        dialog = QFileDialog(self, label.rstrip("…"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter(name_filter)
        dialog.setDefaultSuffix(suffix.lstrip("."))
        dialog.selectFile(("similarity" if kind == "similarity-csv" else "embeddings") + suffix)
        dialog.fileSelected.connect(lambda path: self.export_requested.emit(kind, path))
        dialog.open()
