"""The Usage tab (view): what was spent over a period, as a chart and tables, and a CSV export.

The view holds no ledger code: it says what the user asked for through its signals and shows the
`UsageReport` its controller gives it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from playground.core.models import LedgerEntry
from playground.core.money.formatting import format_cost, format_cost_full, format_tokens
from playground.core.money.ledger import GroupTotal
from playground.core.money.usage import PeriodChoice, UsageReport, kind_name, tab_name
from playground.ui.common.widgets import named, wrapped_label
from playground.ui.shell.theme import is_dark
from playground.ui.usage.chart import SpendChart
from playground.ui.usage.tables import fill_table, make_table

STACKS = (("model", "By model"), ("tab", "By tab"), ("endpoint", "By kind of request"))


class UsageTab(QWidget):
    """Spend per day, totals per model, tab, kind, provider and conversation, the most expensive
    requests and the tokens by kind, for a chosen period.

    Signals:
        report_requested: the period or the stacking changed, or Refresh was pressed.
        export_requested: save the period's rows as CSV. arg: the file path.
        explain_requested: show how a request's price was made. arg: its `LedgerEntry`.
        conversation_requested: open a request's conversation in Chat. arg: its id.
    """

    report_requested = Signal()
    export_requested = Signal(str)
    explain_requested = Signal(object)
    conversation_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("usageTab")
        self.top_entries: list[LedgerEntry] = []
        self.tab_names: dict[str, str] = {}

        self.period_combo = named(QComboBox(), "usagePeriod", "Period")
        for choice in PeriodChoice:
            self.period_combo.addItem(choice.label, choice.value)
        self.period_combo.setCurrentIndex(1)  # the last 30 days
        self.first_edit = named(QDateEdit(), "usageFrom", "From")
        self.last_edit = named(QDateEdit(), "usageTo", "To")
        for edit in (self.first_edit, self.last_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("d MMM yyyy")
            edit.setEnabled(False)  # editable for a custom period only
            edit.dateChanged.connect(self._on_dates_edited)
        self.stack_combo = named(
            QComboBox(),
            "usageStackBy",
            "Stack the bars",
            "Colour the bars by model, by tab or by kind",
        )
        for key, label in STACKS:
            self.stack_combo.addItem(label, key)
        self.refresh_button = named(QPushButton("Refresh"), "usageRefresh", "Refresh")
        self.export_button = named(
            QPushButton("Export CSV…"),
            "usageExport",
            "Export CSV",
            "Save every request of the period, with every column, as a CSV file.",
        )
        self.period_combo.currentIndexChanged.connect(self._on_period_changed)
        self.stack_combo.currentIndexChanged.connect(lambda _i: self.report_requested.emit())
        self.refresh_button.clicked.connect(self.report_requested)
        self.export_button.clicked.connect(self._on_export_clicked)

        controls = QHBoxLayout()
        controls.addWidget(QLabel("Period"))
        controls.addWidget(self.period_combo)
        controls.addWidget(self.first_edit)
        controls.addWidget(QLabel("to"))
        controls.addWidget(self.last_edit)
        controls.addSpacing(12)
        controls.addWidget(self.stack_combo)
        controls.addStretch(1)
        controls.addWidget(self.refresh_button)
        controls.addWidget(self.export_button)

        self.message_label = wrapped_label("usageMessage")
        self.message_label.hide()
        self.summary_label = named(QLabel(""), "usageSummary", "Period totals")
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.chart = SpendChart()
        self.tables = named(QTabWidget(), "usageTables", "Usage tables")
        group_headers = ["Requests", "Input tokens", "Output tokens", "Cost"]
        self.model_table = _table("usageByModel", ["Model", *group_headers])
        self.tab_table = _table("usageByTab", ["Tab", *group_headers])
        self.kind_table = _table("usageByKind", ["Kind of request", *group_headers])
        self.provider_table = _table("usageByProvider", ["Provider", *group_headers])
        self.conversation_table = _table("usageByConversation", ["Conversation", *group_headers])
        self.top_table = _table(
            "usageTop", ["When", "Model", "Kind", "Input tokens", "Output tokens", "Cost"]
        )
        self.top_table.setToolTip(
            "Click a cost to see how it was made; double-click a row to open its conversation."
        )
        self.top_table.cellClicked.connect(self._on_top_clicked)
        self.top_table.cellDoubleClicked.connect(self._on_top_double_clicked)
        self.top_table.itemSelectionChanged.connect(self._on_top_selection)
        self.explain_button = named(
            QPushButton("How this price was made"), "usageExplain", "How this price was made"
        )
        self.open_button = named(
            QPushButton("Open its conversation"),
            "usageOpenConversation",
            "Open its conversation",
            "Open the selected request's conversation in Chat.",
        )
        self.explain_button.clicked.connect(lambda: self._on_top_clicked(self._top_row(), 5))
        self.open_button.clicked.connect(lambda: self._on_top_double_clicked(self._top_row(), 0))
        top_page = QWidget()
        top_layout = QVBoxLayout(top_page)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.top_table, 1)
        top_buttons = QHBoxLayout()
        top_buttons.addWidget(self.explain_button)
        top_buttons.addWidget(self.open_button)
        top_buttons.addStretch(1)
        top_layout.addLayout(top_buttons)
        self._on_top_selection()
        self.tokens_table = _table("usageTokens", ["Kind", "Amount"])
        pages: tuple[tuple[QWidget, str], ...] = (
            (self.model_table, "Per model"),
            (self.tab_table, "Per tab"),
            (self.kind_table, "Per kind"),
            (self.provider_table, "Per provider"),
            (self.conversation_table, "Per conversation"),
            (top_page, "Ten most expensive"),
            (self.tokens_table, "Tokens by kind"),
        )
        for page, title in pages:
            self.tables.addTab(page, title)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.chart)
        splitter.addWidget(self.tables)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([520, 420])  # shares, scaled to the height the tab gets

        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.message_label)
        layout.addWidget(self.summary_label)
        layout.addWidget(splitter, 1)
        self.main_input: QWidget = self.period_combo

    # --- what the user asked for -------------------------------------------------------------------

    def period_choice(self) -> PeriodChoice:
        return PeriodChoice(self.period_combo.currentData())

    def set_period_choice(self, choice: PeriodChoice) -> None:
        self.period_combo.setCurrentIndex(self.period_combo.findData(choice.value))

    def custom_dates(self) -> tuple[date, date]:
        return self.first_edit.date().toPython(), self.last_edit.date().toPython()  # type: ignore[return-value]

    def show_period(self, first: date, last: date) -> None:
        """Shows the dates of the period the report covers (without asking for a new report)."""
        for edit, day in ((self.first_edit, first), (self.last_edit, last)):
            edit.blockSignals(True)
            edit.setDate(QDate(day.year, day.month, day.day))
            edit.blockSignals(False)

    def set_tab_names(self, names: dict[str, str]) -> None:
        """Each tab's title by its key (the ledger keeps keys)."""
        self.tab_names = dict(names)

    def stack_by(self) -> str:
        return str(self.stack_combo.currentData())

    def set_stack_by(self, key: str) -> None:
        index = self.stack_combo.findData(key)
        if index >= 0:
            self.stack_combo.setCurrentIndex(index)

    def _on_period_changed(self, _index: int) -> None:
        custom = self.period_choice() is PeriodChoice.CUSTOM
        self.first_edit.setEnabled(custom)
        self.last_edit.setEnabled(custom)
        self.report_requested.emit()

    def _on_dates_edited(self) -> None:
        if self.period_choice() is PeriodChoice.CUSTOM:
            self.report_requested.emit()

    def add_page(self, title: str, widget: QWidget) -> None:
        """Adds a page beside the tables (the rate-limit gauges)."""
        self.tables.addTab(widget, title)

    def _top_row(self) -> int:
        rows = self.top_table.selectionModel().selectedRows()
        return rows[0].row() if rows else -1

    def _on_top_selection(self) -> None:
        row = self._top_row()
        chosen = self.top_entries[row] if 0 <= row < len(self.top_entries) else None
        self.explain_button.setEnabled(chosen is not None)
        self.open_button.setEnabled(chosen is not None and bool(chosen.conversation_id))

    def _on_top_clicked(self, row: int, column: int) -> None:
        if 0 <= row < len(self.top_entries) and column == self.top_table.columnCount() - 1:
            self.explain_requested.emit(self.top_entries[row])

    def _on_top_double_clicked(self, row: int, _column: int) -> None:
        if 0 <= row < len(self.top_entries) and self.top_entries[row].conversation_id:
            self.conversation_requested.emit(self.top_entries[row].conversation_id)

    def _on_export_clicked(self) -> None:
        first, last = self.custom_dates()
        path = self.ask_export_path(f"usage-{first.isoformat()}-to-{last.isoformat()}.csv")
        if path:
            self.export_requested.emit(path)

    def ask_export_path(self, suggested: str) -> str:
        """Where to save the CSV ("" when cancelled). Tests replace this seam."""
        path, _ = QFileDialog.getSaveFileName(self, "Export usage", suggested, "CSV files (*.csv)")
        return path

    # --- showing ----------------------------------------------------------------------------------

    def set_message(self, text: str, *, error: bool = False) -> None:
        """A line above the chart ("" hides it): an unreadable ledger, an export's result."""
        self.message_label.setVisible(bool(text))
        self.message_label.setText(text)
        colour = ("#ff8a80" if is_dark() else "#b3261e") if error else ""
        self.message_label.setStyleSheet(f"color: {colour}" if colour else "")

    def show_unreadable(self, text: str) -> None:
        """The ledger cannot be read: say so, and show nothing stale."""
        self.set_message(text, error=True)
        self.summary_label.setText("")
        self.chart.show_days((), {}, "Nothing to show: the usage record could not be read.")
        for table in self._all_tables():
            table.setRowCount(0)
        self.export_button.setEnabled(False)

    def show_report(self, report: UsageReport) -> None:
        t = report.totals
        self.export_button.setEnabled(not report.empty)
        if report.empty:
            self.summary_label.setText(
                f"No requests from {_day(report.first)} to {_day(report.last)}. Pick a longer "
                "period, or send something first."
            )
        else:
            unknown = f" ({t.unpriced:,} with no known price)" if t.unpriced else ""
            requests = "1 request" if t.requests == 1 else f"{t.requests:,} requests"
            self.summary_label.setText(
                f"<b>{format_cost(t.cost)}</b> from {_day(report.first)} to {_day(report.last)}: "
                f"{requests}{unknown}, {format_tokens(t.usage.input_tokens)} in, "
                f"{format_tokens(t.usage.output_tokens)} out."
            )
        self.chart.show_days(
            report.days,
            report.series,
            "Nothing spent in this period." if report.empty or not t.cost else "",
        )
        self._fill_groups(self.model_table, report.by_model, lambda k: k)
        if not report.complete:  # the rest follows in a moment
            return
        self._fill_groups(self.tab_table, report.by_tab, lambda k: tab_name(k, self.tab_names))
        self._fill_groups(self.kind_table, report.by_kind, kind_name)
        self._fill_groups(self.provider_table, report.by_provider, lambda k: k)
        self._fill_groups(
            self.conversation_table, report.by_conversation, lambda k: k or "(no conversation)"
        )
        self.top_entries = list(report.top)
        self.top_table.clearSelection()
        fill_table(
            self.top_table,
            [
                [
                    e.time.astimezone().strftime("%d %b %Y %H:%M"),
                    e.model,
                    kind_name(e.endpoint.value),
                    format_tokens(e.usage.input_tokens, estimated=e.usage.estimated),
                    format_tokens(e.usage.output_tokens, estimated=e.usage.estimated),
                    format_cost(e.cost, estimated=e.usage.estimated),
                ]
                for e in report.top
            ],
            tips=[format_cost_full(e.cost) for e in report.top],
        )
        u = t.usage
        fill_table(
            self.tokens_table,
            [
                ["Input tokens (all)", format_tokens(u.input_tokens)],
                ["  of which cached", format_tokens(u.cached_tokens)],
                ["  of which written to the cache", format_tokens(u.cache_write_tokens)],
                ["  of which audio", format_tokens(u.audio_tokens)],
                ["  of which images", format_tokens(u.image_input_tokens)],
                ["Output tokens (all)", format_tokens(u.output_tokens)],
                ["  of which reasoning", format_tokens(u.reasoning_tokens)],
                ["  of which audio", format_tokens(u.output_audio_tokens)],
                ["  of which images", format_tokens(u.image_output_tokens)],
                ["Images made", f"{u.images:,}"],
                ["Audio", f"{u.audio_seconds:,.0f} s"],
                ["Characters read aloud", f"{u.characters:,}"],
                ["Web searches (built-in tool)", f"{u.web_searches:,}"],
                ["File searches (built-in tool)", f"{u.file_searches:,}"],
                ["Code interpreter runs", f"{u.code_runs:,}"],
            ],
        )

    def _fill_groups(
        self, table: QTableWidget, groups: Sequence[GroupTotal], name: Callable[[str], str]
    ) -> None:
        fill_table(
            table,
            [
                [
                    str(name(g.key)),
                    f"{g.requests:,}",
                    format_tokens(g.input_tokens),
                    format_tokens(g.output_tokens),
                    format_cost(g.cost) + (" + ?" if g.unpriced else ""),
                ]
                for g in groups
            ],
            tips=[format_cost_full(g.cost) for g in groups],
        )

    def _all_tables(self) -> list[QTableWidget]:
        return [
            self.model_table,
            self.tab_table,
            self.kind_table,
            self.provider_table,
            self.conversation_table,
            self.top_table,
            self.tokens_table,
        ]


def _table(name: str, headers: Sequence[str]) -> QTableWidget:
    return make_table(name, headers, rows_selectable=True)


def _day(d: date) -> str:
    return f"{d.day} {d:%b %Y}"
