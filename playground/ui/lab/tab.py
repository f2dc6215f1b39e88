"""The Prompt Lab tab (view only): template and versions, variants, test cases, results grid.

The tab emits what the user wants; `LabController` checks, estimates, runs and stores.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from playground.core.api.errors import AppError
from playground.core.api.retirements import ModelChoice
from playground.core.lab.graders import GraderSettings
from playground.core.lab.store import RunInfo, Version
from playground.core.lab.suite import (
    DEFAULT_CONCURRENCY,
    MAX_CONCURRENCY,
    MAX_SAMPLES,
    CellKey,
    CellResult,
    LabRun,
    Prompt,
    TestCase,
)
from playground.ui.common.message_view import MessageView
from playground.ui.common.model_picker import UseReplacementButton
from playground.ui.common.widgets import named, side_by_side, wrapped_label
from playground.ui.lab.cases import CasesTable
from playground.ui.lab.graders import GraderPanel
from playground.ui.lab.matrix import MatrixDialog
from playground.ui.lab.ranking import RankingView
from playground.ui.lab.results import ResultsGrid
from playground.ui.lab.variants import VariantsEditor, VariantSettings
from playground.ui.shell.theme import icon, is_dark


def _graders_dialog(panel: QWidget, parent: QWidget) -> QDialog:
    """The Graders window: the panel and Close (settings apply as they change)."""
    dialog = QDialog(parent)
    dialog.setObjectName("labGradersDialog")
    dialog.setWindowTitle("Graders")
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.hide)
    layout = QVBoxLayout(dialog)
    layout.addWidget(
        wrapped_label(
            "labGradersHint",
            "Rubric and label checks are judged by a model; similarity compares meanings. "
            "Grading is counted apart from the variants' cost.",
        )
    )
    layout.addWidget(panel)
    layout.addWidget(buttons)
    return dialog


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


class VersionDiffDialog(QDialog):
    """Two saved versions and the lines that differ between them."""

    def __init__(
        self,
        versions: list[Version],
        diff: Callable[[Version, Version], list[str]],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("labDiffDialog")
        self.setWindowTitle("Compare prompt versions")
        self._versions = versions
        self._diff = diff
        self.old_combo = QComboBox()
        self.old_combo.setObjectName("labDiffOld")
        self.new_combo = QComboBox()
        self.new_combo.setObjectName("labDiffNew")
        for v in versions:
            self.old_combo.addItem(v.title, v.id)
            self.new_combo.addItem(v.title, v.id)
        self.old_combo.setCurrentIndex(min(1, len(versions) - 1))
        self.new_combo.setCurrentIndex(0)
        self.view = QTextBrowser()
        self.view.setObjectName("labDiffView")
        row = QHBoxLayout()
        row.addWidget(QLabel("From"))
        row.addWidget(self.old_combo, 1)
        row.addWidget(QLabel("to"))
        row.addWidget(self.new_combo, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)
        self.old_combo.currentIndexChanged.connect(self.refresh)
        self.new_combo.currentIndexChanged.connect(self.refresh)
        self.resize(720, 480)
        self.refresh()

    def refresh(self) -> None:
        by_id = {v.id: v for v in self._versions}
        old, new = by_id.get(self.old_combo.currentData()), by_id.get(self.new_combo.currentData())
        if old is None or new is None:
            self.view.setPlainText("Save at least two versions to compare them.")
            return
        lines = self._diff(old, new)
        dark = is_dark()
        added, removed = ("#1f4d2c", "#5c2323") if dark else ("#e3f4e8", "#fde3e1")
        out = []
        for line in lines:
            text = html.escape(line) or "&nbsp;"
            if line.startswith("+") and not line.startswith("+++"):
                out.append(f"<div style='background-color:{added}'>{text}</div>")
            elif line.startswith("-") and not line.startswith("---"):
                out.append(f"<div style='background-color:{removed}'>{text}</div>")
            elif line.startswith("@@"):
                out.append(f"<div style='color:gray'>{text}</div>")
            else:
                out.append(f"<div>{text}</div>")
        body = "".join(out) if lines else "<p>The two versions are the same.</p>"
        self.view.setHtml(f"<div style='font-family:monospace; white-space:pre-wrap'>{body}</div>")


class LabTab(QWidget):
    """Prompt Lab.

    Signals:
        run_requested: Run (False) or Run as batch (True).
        stop_requested: Stop / Esc.
        resume_requested: run the cells the last run did not finish.
        save_version_requested: save the template as a version. arg: the label (may be "").
        load_version_requested: put a saved version in the editor. arg: its id.
        diff_requested: open the version diff.
        import_cases_requested: Import… (CSV or JSONL).
        export_cases_requested: Export… the cases.
        export_results_requested: arg: "csv" or "json".
        past_run_chosen: a stored run was picked. arg: its id.
        template_changed: the system prompt or the message changed.
        variants_changed: a variant was added, removed or edited.
        cell_chosen: a result cell was selected. arg: its CellKey.
    """

    run_requested = Signal(bool)
    stop_requested = Signal()
    resume_requested = Signal()
    save_version_requested = Signal(str)
    load_version_requested = Signal(int)
    diff_requested = Signal()
    import_cases_requested = Signal()
    add_pictures_requested = Signal()
    export_cases_requested = Signal()
    export_results_requested = Signal(str)
    past_run_chosen = Signal(int)
    template_changed = Signal()
    variants_changed = Signal()
    cell_chosen = Signal(object)
    starter_chosen = Signal(str)  # "New from starter": a shipped starter's id
    compare_runs_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("labTab")
        self._busy = False

        # --- left: prompt, versions, variants ----------------------------------------------------
        self.system_edit = named(QPlainTextEdit(), "labSystem", "System prompt template")
        self.system_edit.setPlaceholderText("System prompt (optional), may use {{variables}}")
        self.system_edit.setTabChangesFocus(True)
        self.system_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 12)
        self.template_edit = named(QPlainTextEdit(), "labTemplate", "Message template")
        self.template_edit.setPlaceholderText(
            "The message, with {{variables}} filled from each test case, e.g.\n"
            "Translate into French: {{text}}"
        )
        self.template_edit.setTabChangesFocus(True)
        self.template_edit.setMinimumHeight(self.fontMetrics().lineSpacing() * 4 + 12)
        self.main_input = self.template_edit
        self.variables_label = wrapped_label("labVariablesHint")

        self.version_combo = named(QComboBox(), "labVersions", "Saved versions")
        self.version_combo.setMinimumContentsLength(10)
        self.version_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.load_version_button = QPushButton("Load")
        self.load_version_button.setObjectName("labLoadVersion")
        self.load_version_button.setToolTip("Put this version in the editor")
        self.diff_button = QPushButton("Diff…")
        self.diff_button.setObjectName("labDiffButton")
        self.diff_button.setToolTip("See what changed between two versions")
        self.label_edit = named(QLineEdit(), "labVersionLabel", "Version label")
        self.label_edit.setPlaceholderText("Label (optional)")
        self.save_version_button = QPushButton("Save version")
        self.save_version_button.setObjectName("labSaveVersion")
        self.save_version_button.setToolTip("Keep this prompt as a version (runs remember it)")

        versions_row = QHBoxLayout()
        versions_row.addWidget(self.version_combo, 1)
        versions_row.addWidget(self.load_version_button)
        versions_row.addWidget(self.diff_button)
        save_row = QHBoxLayout()
        save_row.addWidget(self.label_edit, 1)
        save_row.addWidget(self.save_version_button)

        self.variants = VariantsEditor()
        self.graders = GraderPanel()
        self.graders_dialog = _graders_dialog(self.graders, self)
        self.graders_button = QPushButton("Graders…")
        self.graders_button.setObjectName("labGradersButton")
        self.matrix_button = QPushButton("Build a matrix…")
        self.matrix_button.setObjectName("labMatrixButton")
        self.matrix_button.setToolTip(
            "Make variants from prompt versions × models × one parameter (e.g. temperature)"
        )
        self.matrix_dialog: MatrixDialog | None = None
        self._matrix_versions: list[tuple[int | None, str]] = [(None, "Draft")]
        self._matrix_models: list[str] = []

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 6, 0)
        left_layout.setSpacing(6)
        self.starter_button = QPushButton("New from starter…")
        self.starter_button.setObjectName("labStarterButton")
        self.starter_button.setToolTip(
            "Start from a task that comes with the app: its prompt, settings and test cases"
        )
        self.starter_menu = QMenu(self.starter_button)
        self.starter_menu.setObjectName("labStarterMenu")
        self.starter_button.setMenu(self.starter_menu)
        self.set_starters([])
        starter_row = QHBoxLayout()
        starter_row.addWidget(_heading("Prompt template"), 1)
        starter_row.addWidget(self.starter_button)
        left_layout.addLayout(starter_row)
        left_layout.addWidget(self.system_edit)
        left_layout.addWidget(self.template_edit, 1)
        left_layout.addWidget(self.variables_label)
        left_layout.addWidget(_heading("Versions"))
        left_layout.addLayout(versions_row)
        left_layout.addLayout(save_row)
        left_layout.addWidget(_heading("Variants (columns)"))
        left_layout.addWidget(self.variants)
        left_layout.addWidget(self.matrix_button, 0, Qt.AlignmentFlag.AlignLeft)
        left_scroll = QScrollArea()
        left_scroll.setWidgetResizable(True)
        left_scroll.setFrameShape(QFrame.Shape.NoFrame)
        left_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        left_scroll.setWidget(left)
        left_scroll.setMinimumWidth(380)

        # --- right: cases and results ------------------------------------------------------------
        self.cases = CasesTable()
        self.add_case_button = QPushButton("Add case")
        self.add_case_button.setObjectName("labAddCase")
        self.remove_case_button = QPushButton("Remove")
        self.remove_case_button.setObjectName("labRemoveCase")
        self.pictures_button = QPushButton("Add pictures…")
        self.pictures_button.setObjectName("labAddPictures")
        self.pictures_button.setToolTip(
            "Send pictures with the selected case's message (for models that see images)"
        )
        self.import_button = QPushButton("Import…")
        self.import_button.setObjectName("labImportCases")
        self.import_button.setToolTip(
            "Cases from CSV (a column per variable, plus expect/expected and images) or JSONL"
        )
        self.export_cases_button = QPushButton("Export…")
        self.export_cases_button.setObjectName("labExportCases")
        cases_bar = QHBoxLayout()
        cases_bar.addWidget(self.add_case_button)
        cases_bar.addWidget(self.remove_case_button)
        cases_bar.addWidget(self.pictures_button)
        cases_bar.addWidget(self.graders_button)
        cases_bar.addStretch(1)
        cases_bar.addWidget(self.import_button)
        cases_bar.addWidget(self.export_cases_button)
        cases_page = QWidget()
        cases_layout = QVBoxLayout(cases_page)
        cases_layout.addWidget(self.cases, 1)
        cases_layout.addLayout(cases_bar)

        self.results = ResultsGrid()
        self.runs_combo = named(QComboBox(), "labPastRuns", "Past runs")
        self.runs_combo.setMinimumContentsLength(18)
        self.runs_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.export_csv_button = QPushButton("Export CSV…")
        self.export_csv_button.setObjectName("labExportCsv")
        self.export_json_button = QPushButton("Export JSON…")
        self.export_json_button.setObjectName("labExportJson")
        results_bar = QHBoxLayout()
        results_bar.addWidget(QLabel("Run"))
        results_bar.addWidget(self.runs_combo, 1)
        self.compare_runs_button = QPushButton("Compare runs…")
        self.compare_runs_button.setObjectName("labCompareRunsButton")
        self.compare_runs_button.setToolTip(
            "Pick two runs: see which cases changed from pass to fail and back"
        )
        results_bar.addWidget(self.compare_runs_button)
        results_bar.addWidget(self.export_csv_button)
        results_bar.addWidget(self.export_json_button)
        self.detail_view = MessageView("Output")
        self.detail_view.setObjectName("labCellDetail")
        self.detail_check = wrapped_label("labCellCheck", "Select a cell to read its whole output.")
        detail = QWidget()
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.addWidget(self.detail_check)
        # "Use <model>" under a cell that failed on a retired model (offer_replacement).
        self.use_replacement = UseReplacementButton(QComboBox(), detail)
        self.use_replacement.setObjectName("labUseReplacement")
        detail_layout.addWidget(self.use_replacement, 0, Qt.AlignmentFlag.AlignLeft)
        detail_layout.addWidget(self.detail_view)
        detail_layout.addStretch(1)
        detail_scroll = QScrollArea()
        detail_scroll.setWidgetResizable(True)
        detail_scroll.setFrameShape(QFrame.Shape.NoFrame)
        detail_scroll.setWidget(detail)
        results_split = QSplitter(Qt.Orientation.Vertical)
        results_split.addWidget(self.results)
        results_split.addWidget(detail_scroll)
        results_split.setStretchFactor(0, 3)
        results_split.setStretchFactor(1, 1)
        results_split.setSizes([330, 170])
        results_page = QWidget()
        results_layout = QVBoxLayout(results_page)
        results_layout.addLayout(results_bar)
        results_layout.addWidget(results_split, 1)

        self.pages = QTabWidget()
        self.pages.setObjectName("labPages")
        self.pages.addTab(cases_page, "Test cases")
        self.pages.addTab(results_page, "Results")
        self.ranking = RankingView()
        self.pages.addTab(self.ranking, "Ranking")

        splitter = side_by_side([(left_scroll, 2), (self.pages, 3)], sizes=[440, 720])

        # --- bottom: run bar ---------------------------------------------------------------------
        self.samples_spin = named(QSpinBox(), "labSamples", "Samples per cell")
        self.samples_spin.setRange(1, MAX_SAMPLES)
        self.samples_spin.setToolTip("Run every case this many times per variant")
        self.concurrency_spin = named(QSpinBox(), "labConcurrency", "Requests at once")
        self.concurrency_spin.setRange(1, MAX_CONCURRENCY)
        self.concurrency_spin.setValue(DEFAULT_CONCURRENCY)
        self.concurrency_spin.setToolTip("How many requests run at the same time")
        self.run_button = QPushButton(icon("send"), "Run")
        self.run_button.setObjectName("labRunButton")
        self.run_button.setToolTip("Run every case × variant × sample (Ctrl+Enter)")
        self.batch_button = QPushButton("Run as batch")
        self.batch_button.setObjectName("labBatchButton")
        self.batch_button.setToolTip(
            "Send the grid through the Batch API: about half the price, results within 24 hours"
        )
        self.resume_button = QPushButton("Resume")
        self.resume_button.setObjectName("labResumeButton")
        self.resume_button.setToolTip("Run only the cells that did not finish")
        self.resume_button.setEnabled(False)
        self.stop_button = QPushButton(icon("stop"), "Stop")
        self.stop_button.setObjectName("labStopButton")
        self.stop_button.setToolTip("Stop the run; finished cells are kept (Esc)")
        self.stop_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setObjectName("labProgress")
        self.progress.setTextVisible(True)
        self.progress.setFormat("%v of %m")
        self.progress.setVisible(False)
        self.progress.setMaximumWidth(220)
        self.status_label = wrapped_label("labStatus")
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        run_bar = QHBoxLayout()
        run_bar.addWidget(QLabel("Samples"))
        run_bar.addWidget(self.samples_spin)
        run_bar.addWidget(QLabel("At once"))
        run_bar.addWidget(self.concurrency_spin)
        run_bar.addWidget(self.progress)
        run_bar.addStretch(1)
        run_bar.addWidget(self.resume_button)
        run_bar.addWidget(self.stop_button)
        run_bar.addWidget(self.batch_button)
        run_bar.addWidget(self.run_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(splitter, 1)
        # What to do first, while the prompt is empty (issue 20 item 21).
        self.empty_hint = wrapped_label(
            "labEmptyHint",
            "Start here: write the message on the left with {{variables}}, give each test case "
            "its values, then press Run to see every variant's answers side by side.",
        )
        self.empty_hint.setEnabled(False)  # drawn in the muted text colour
        layout.addWidget(self.empty_hint)
        layout.addWidget(self.status_label)
        layout.addLayout(run_bar)

        self.run_button.clicked.connect(lambda: self._request_run(False))
        self.batch_button.clicked.connect(lambda: self._request_run(True))
        self.stop_button.clicked.connect(self.stop_requested)
        self.resume_button.clicked.connect(self.resume_requested)
        self.save_version_button.clicked.connect(
            lambda: self.save_version_requested.emit(self.label_edit.text())
        )
        self.load_version_button.clicked.connect(self._on_load_version)
        self.diff_button.clicked.connect(self.diff_requested)
        self.add_case_button.clicked.connect(self._on_add_case)
        self.remove_case_button.clicked.connect(self.cases.remove_selected)
        self.import_button.clicked.connect(self.import_cases_requested)
        self.pictures_button.clicked.connect(self.add_pictures_requested)
        self.export_cases_button.clicked.connect(self.export_cases_requested)
        self.export_csv_button.clicked.connect(lambda: self.export_results_requested.emit("csv"))
        self.export_json_button.clicked.connect(lambda: self.export_results_requested.emit("json"))
        self.runs_combo.activated.connect(self._on_run_chosen)
        self.system_edit.textChanged.connect(self._on_template_changed)
        self.template_edit.textChanged.connect(self._on_template_changed)
        self.variants.changed.connect(self.variants_changed)
        self.matrix_button.clicked.connect(self.open_matrix)
        self.graders_button.clicked.connect(self.graders_dialog.show)
        self.graders.changed.connect(self._on_graders_changed)
        self._on_graders_changed()
        self.compare_runs_button.clicked.connect(self.compare_runs_requested)
        self.pages.currentChanged.connect(lambda _index: self._refresh_ranking())
        self.results.cell_chosen.connect(self.cell_chosen)
        run = QShortcut(QKeySequence("Ctrl+Return"), self)
        run.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        run.activated.connect(lambda: self._request_run(False))
        stop = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        stop.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        stop.activated.connect(self.stop_requested)
        self._on_template_changed()

    # --- reading ----------------------------------------------------------------------------------

    def prompt(self) -> Prompt:
        return Prompt(self.system_edit.toPlainText(), self.template_edit.toPlainText())

    def set_default_api(self, api: str) -> None:
        """The API every variant uses until its own is chosen (Responses for OpenAI)."""
        self.variants.set_default_api(api)

    def variant_settings(self) -> list[VariantSettings]:
        """Every variant's name, model, parameters and prompt version, in order."""
        return self.variants.settings()

    def variant_problems(self) -> list[str]:
        """The variants' parameter problems, each with its variant's name."""
        return self.variants.problems()

    def test_cases(self) -> list[TestCase]:
        return self.cases.cases()

    def variables(self) -> list[str]:
        """The case table's variable columns."""
        return self.cases.variables()

    def samples(self) -> int:
        return self.samples_spin.value()

    def grader_settings(self) -> GraderSettings:
        """Who grades rubric, label and similarity checks, and their pass marks."""
        return self.graders.settings()

    def concurrency(self) -> int:
        return self.concurrency_spin.value()

    # --- slots ------------------------------------------------------------------------------------

    def set_starters(self, starters: list[tuple[str, str, str]]) -> None:
        """The shipped starters for "New from starter", `(id, title, category)`."""
        self.starter_menu.clear()
        for category in sorted({c for _i, _t, c in starters}, key=str.casefold):
            self.starter_menu.addSection(category)
            for starter_id, title, _c in (s for s in starters if s[2] == category):
                action = self.starter_menu.addAction(title.replace("&", "&&"))
                action.triggered.connect(lambda _=False, i=starter_id: self.starter_chosen.emit(i))
        self.starter_button.setEnabled(bool(starters))

    def set_prompt(self, prompt: Prompt) -> None:
        self.system_edit.setPlainText(prompt.system)
        self.template_edit.setPlainText(prompt.user)

    def set_models(
        self, models: Sequence[str | ModelChoice], preferred: str = "", default: str = ""
    ) -> None:
        """Every variant's model list (`ModelChoice` entries carry retirement badges); a variant
        without a model gets `preferred`, `default` or the first."""
        self.variants.set_models(models, preferred, default)
        self._matrix_models = [m if isinstance(m, str) else m.id for m in models]

    def shows_retired(self) -> bool:
        return self.variants.shows_retired()

    def set_show_retired(self, on: bool) -> None:
        self.variants.set_show_retired(on)

    def ensure_variant(self) -> None:
        """Adds a first variant when there is none."""
        if not self.variants.rows:
            self.variants.add_variant()

    def set_variants(self, variants: list[VariantSettings]) -> None:
        self.variants.set_settings(variants)

    def set_variables(self, names: list[str]) -> None:
        """The case table's variable columns."""
        self.cases.set_variables(names)

    def set_test_cases(self, cases: list[TestCase]) -> None:
        self.cases.set_cases(cases)

    def _on_add_case(self) -> None:
        """A new case, with the cursor in its first cell, typing ready (not left on the button)."""
        self.cases.add_case()
        self.cases.setFocus()
        index = self.cases.currentIndex()
        if index.isValid() and self.cases.cellWidget(index.row(), index.column()) is None:
            self.cases.edit(index)  # a variable's cell (not the check's drop-down)

    def add_case_pictures(self, sources: list[str]) -> None:
        """Adds pictures to the selected case."""
        self.cases.add_pictures(sources)

    def mark_case_problems(self, problems: dict[int, list[str]]) -> None:
        """Marks the cases (by row) that cannot run, with the reasons."""
        self.cases.mark_problems(problems)

    def set_grader_settings(self, settings: GraderSettings) -> None:
        self.graders.set_settings(settings)

    def set_grader_models(self, chat: list[str], embedding: list[str]) -> None:
        """The models the grader pickers offer."""
        self.graders.set_models(chat, embedding)

    def set_samples(self, samples: int) -> None:
        self.samples_spin.setValue(samples)

    def set_concurrency(self, concurrency: int) -> None:
        self.concurrency_spin.setValue(concurrency)

    def clear_version_label(self) -> None:
        self.label_edit.clear()

    def show_cases_page(self) -> None:
        self.pages.setCurrentIndex(0)

    def show_results_page(self) -> None:
        self.pages.setCurrentIndex(1)

    def show_run(self, run: LabRun) -> None:
        """Shows `run`'s grid (its finished cells, the others empty) and its ranking."""
        self.results.show_run(run)
        self._refresh_ranking()

    def set_result(self, key: CellKey, result: CellResult | None) -> None:
        self.results.set_result(key, result)

    def update_summary(self) -> None:
        """Sums the variants' results again in the summary row, and ranks them again (when the
        Ranking page shows; else when it is next shown)."""
        self.results.update_summary()
        self._refresh_ranking()

    def set_versions(self, versions: list[Version]) -> None:
        self.version_combo.clear()
        for v in versions:
            self.version_combo.addItem(v.title, v.id)
        has = bool(versions)
        self.load_version_button.setEnabled(has)
        self.diff_button.setEnabled(len(versions) >= 2)
        self.variants.set_versions(versions)
        self._matrix_versions = [(None, "Draft"), *((v.id, f"v{v.id}") for v in versions)]

    def set_runs(self, runs: list[RunInfo], current: int | None) -> None:
        self.runs_combo.clear()
        for info in runs:
            stamp = info.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
            self.runs_combo.addItem(
                f"#{info.id} · {stamp}" + (f" · {info.label}" if info.label else ""), info.id
            )
        if current is not None:
            self.runs_combo.setCurrentIndex(max(self.runs_combo.findData(current), 0))

    def set_busy(self, busy: bool, *, can_resume: bool = False) -> None:
        self._busy = busy
        self.run_button.setEnabled(not busy)
        self.batch_button.setEnabled(not busy)
        self.stop_button.setEnabled(busy)
        self.resume_button.setEnabled(not busy and can_resume)

    def set_progress(self, done: int, total: int) -> None:
        self.progress.setVisible(total > 0)
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)

    def set_status(self, text: str, *, error: bool = False, details: str | None = None) -> None:
        """The status line; `details` (when given) is its tooltip, e.g. what an import left out."""
        if details is not None:
            self.status_label.setToolTip(details)
        if error:
            red = "#ff8a80" if is_dark() else "#b3261e"
            self.status_label.setText(f"<span style='color:{red}'>{html.escape(text)}</span>")
        else:
            self.status_label.setText(html.escape(text))

    def show_error(self, error: AppError) -> None:
        self.set_status(error.text, error=True)
        self.status_label.setToolTip(error.details or "")

    def show_detail(self, text: str, check: str) -> None:
        self.detail_view.set_text(text)
        self.detail_check.setText(check)
        self.use_replacement.offer(None)

    def offer_replacement(self, variant: int, error: AppError) -> None:
        """ "Use <model>" under the shown cell: picks `error.replacement` (a retired model's
        404) in variant number `variant` (0-based)."""
        rows = self.variants.rows
        if 0 <= variant < len(rows):
            self.use_replacement.offer(error, rows[variant].model_combo)

    def refresh_icons(self) -> None:
        self.run_button.setIcon(icon("send"))
        self.stop_button.setIcon(icon("stop"))

    def open_matrix(self) -> None:
        """The matrix form; its variants replace the current ones when accepted."""
        current = [v.model for v in self.variant_settings() if v.model]
        dialog = MatrixDialog(self._matrix_versions, self._matrix_models, current, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._apply_matrix(dialog))
        dialog.finished.connect(lambda _r: setattr(self, "matrix_dialog", None))
        self.matrix_dialog = dialog
        dialog.open()

    def _refresh_ranking(self) -> None:
        if self.pages.currentWidget() is self.ranking:
            self.ranking.show_run(self.results.run())

    def _on_graders_changed(self) -> None:
        self.graders_button.setToolTip(
            "Who grades rubric, label and similarity checks. "
            + self.graders.settings().describe()
            + "."
        )

    def _apply_matrix(self, dialog: MatrixDialog) -> None:
        self.variants.set_settings(
            [VariantSettings(c.name, c.model, dict(c.fields), c.version_id) for c in dialog.cells()]
        )

    # --- internals --------------------------------------------------------------------------------

    def _request_run(self, batch: bool) -> None:
        if not self._busy:
            self.run_requested.emit(batch)

    def _on_load_version(self) -> None:
        data = self.version_combo.currentData()
        if data is not None:
            self.load_version_requested.emit(int(data))

    def _on_run_chosen(self, index: int) -> None:
        data = self.runs_combo.itemData(index)
        if data is not None:
            self.past_run_chosen.emit(int(data))

    def _on_template_changed(self) -> None:
        self.empty_hint.setVisible(not self.template_edit.toPlainText().strip())
        names = self.prompt().variables()
        self.variables_label.setText(
            "Variables: "
            + ", ".join(f"{{{{{n}}}}}" for n in names)
            + " (a column each in Test cases)"
            if names
            else "Write {{name}} in the prompt to make a variable; each test case gives it a value."
        )
        self.template_changed.emit()
