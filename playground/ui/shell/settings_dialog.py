"""Settings: provider profiles with their keys and connection options, and the user's own prices.

The dialog edits copies and hands back a new `Settings` on OK. Keys are not settings: saving or
deleting a key goes straight to the controller (and from there to the keyring) through signals, so
no key ever sits in a settings object. The dialog holds no network code: "Test connection" asks the
controller, which answers through `show_test_result`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from playground.core.api.providers import (
    ENV_OPENAI_BASE_URL,
    PRESETS,
    new_profile,
    validate_profile,
)
from playground.core.api.retirements import DataAge
from playground.core.models import PriceOverride, ProviderKind, ProviderProfile
from playground.core.money.budgets import STATE_KEY as BUDGETS_KEY
from playground.core.storage.settings import Settings
from playground.ui.common.widgets import named, wrapped_label
from playground.ui.shell.budgets_page import BudgetsPage
from playground.ui.shell.theme import icon, is_dark

KIND_LABELS = {
    ProviderKind.OPENAI: "OpenAI",
    ProviderKind.AZURE: "Azure OpenAI",
    ProviderKind.COMPATIBLE: "OpenAI-compatible server",
}


class SettingsDialog(QDialog):
    """Edits provider profiles and price overrides.

    Signals:
        key_save_requested: store a key now. args: profile id, the key.
        key_delete_requested: delete the stored key now. arg: profile id.
        key_status_requested: the controller should call `set_key_status` for this profile. arg: id.
        test_requested: list the models of this (unsaved) profile. args: the ProviderProfile,
            the key typed in the field but not yet saved ("" for none).
        prices_update_requested: download newer prices now (Prices → "Update prices now").
    """

    key_save_requested = Signal(str, str)
    key_delete_requested = Signal(str)
    key_status_requested = Signal(str)
    test_requested = Signal(object, str)
    prices_update_requested = Signal()

    def __init__(
        self,
        settings: Settings,
        parent: QWidget | None = None,
        *,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        #: The environment requests are sent with (an empty OpenAI base URL is filled from it).
        self._environ: Mapping[str, str] = environ if environ is not None else {}
        self.setWindowTitle("Settings")
        self.setMinimumSize(760, 540)
        self._settings = settings
        self._profiles: list[ProviderProfile] = list(settings.profiles)
        self._active = settings.active_profile
        self._current_row = -1

        tabs = QTabWidget()
        tabs.addTab(self._build_providers_page(), icon("key"), "Providers")
        tabs.addTab(self._build_prices_page(settings), "Prices")
        self.budgets_page = BudgetsPage(
            settings.tabs.get(BUDGETS_KEY, {}), [p.name for p in settings.profiles]
        )
        tabs.addTab(self.budgets_page, "Budgets")

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._on_ok)
        self.buttons.rejected.connect(self.reject)
        self.problems_label = wrapped_label("settingsProblems")
        self.problems_label.setStyleSheet("color: %s" % ("#ff8a80" if is_dark() else "#b3261e"))

        layout = QVBoxLayout(self)
        layout.addWidget(tabs, 1)
        layout.addWidget(self.problems_label)
        layout.addWidget(self.buttons)

        self._fill_list()
        self.profile_list.setCurrentRow(self._index_of(self._active))

    # --- providers page --------------------------------------------------------------------------

    def _build_providers_page(self) -> QWidget:
        page = QWidget()
        self.profile_list = named(QListWidget(), "profileList", "Provider profiles")
        self.profile_list.setMaximumWidth(220)
        self.profile_list.currentRowChanged.connect(self._on_row_changed)

        self.add_button = QToolButton()
        self.add_button.setObjectName("addProfileButton")
        self.add_button.setText("Add provider")
        self.add_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.add_button)
        for preset in PRESETS:
            action = QAction(preset.name, menu)
            action.triggered.connect(lambda _=False, p=preset: self._add_profile(p))
            menu.addAction(action)
        self.add_button.setMenu(menu)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setObjectName("removeProfileButton")
        self.remove_button.clicked.connect(self._remove_profile)
        self.activate_button = QPushButton("Use this one")
        self.activate_button.setObjectName("activateProfileButton")
        self.activate_button.setToolTip("Send every request through this provider")
        self.activate_button.clicked.connect(self._activate_current)
        list_buttons = QHBoxLayout()
        list_buttons.addWidget(self.add_button)
        list_buttons.addWidget(self.remove_button)
        left = QVBoxLayout()
        left.addWidget(self.profile_list, 1)
        left.addLayout(list_buttons)
        left.addWidget(self.activate_button)

        # Connection fields
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("profileName")
        self.kind_label = QLabel()
        self.base_url_edit = QLineEdit()
        self.base_url_edit.setObjectName("baseUrlEdit")
        self.base_url_edit.setPlaceholderText("https://api.openai.com/v1")
        self.azure_endpoint_edit = QLineEdit()
        self.azure_endpoint_edit.setObjectName("azureEndpointEdit")
        self.azure_endpoint_edit.setPlaceholderText("https://<resource>.openai.azure.com")
        self.azure_deployment_edit = QLineEdit()
        self.azure_deployment_edit.setObjectName("azureDeploymentEdit")
        self.api_version_edit = QLineEdit()
        self.api_version_edit.setObjectName("apiVersionEdit")
        self.api_version_edit.setPlaceholderText("e.g. 2024-10-21")
        self.org_edit = QLineEdit()
        self.org_edit.setObjectName("organizationEdit")
        self.org_edit.setPlaceholderText("optional, org-…")
        self.project_edit = QLineEdit()
        self.project_edit.setObjectName("projectEdit")
        self.project_edit.setPlaceholderText("optional, proj_…")
        self.timeout_spin = QDoubleSpinBox()
        self.timeout_spin.setObjectName("timeoutSpin")
        self.timeout_spin.setRange(1, 3600)
        self.timeout_spin.setSuffix(" s")
        self.timeout_spin.setDecimals(0)
        self.retries_spin = QSpinBox()
        self.retries_spin.setObjectName("retriesSpin")
        self.retries_spin.setRange(0, 10)
        self.retries_spin.setToolTip(
            "How often a failed request (429, 5xx, dropped connection) is retried"
        )
        self.proxy_edit = QLineEdit()
        self.proxy_edit.setObjectName("proxyEdit")
        self.proxy_edit.setPlaceholderText("optional, http://host:port")

        conn_box = QGroupBox("Connection")
        self.conn_form = QFormLayout(conn_box)
        self.conn_form.addRow("Name", self.name_edit)
        self.conn_form.addRow("Type", self.kind_label)
        self.conn_form.addRow("Base URL", self.base_url_edit)
        self.conn_form.addRow("Azure endpoint", self.azure_endpoint_edit)
        self.conn_form.addRow("Deployment", self.azure_deployment_edit)
        self.conn_form.addRow("API version", self.api_version_edit)
        self.conn_form.addRow("Organization", self.org_edit)
        self.conn_form.addRow("Project", self.project_edit)
        self.conn_form.addRow("Timeout", self.timeout_spin)
        self.conn_form.addRow("Retries", self.retries_spin)
        self.conn_form.addRow("Proxy", self.proxy_edit)

        # Key
        self.key_status = wrapped_label("keyStatus")
        self.key_edit = named(QLineEdit(), "apiKeyEdit", "API key")
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("Paste a new key to store or replace it")
        self.save_key_button = QPushButton("Save key")
        self.save_key_button.setObjectName("saveKeyButton")
        self.save_key_button.clicked.connect(self._on_save_key)
        self.delete_key_button = QPushButton("Delete key")
        self.delete_key_button.setObjectName("deleteKeyButton")
        self.delete_key_button.clicked.connect(self._on_delete_key)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_edit, 1)
        key_row.addWidget(self.save_key_button)
        key_row.addWidget(self.delete_key_button)
        key_box = QGroupBox("API key")
        key_layout = QVBoxLayout(key_box)
        key_layout.addWidget(self.key_status)
        key_layout.addLayout(key_row)

        self.test_button = QPushButton(icon("refresh"), "Test connection")
        self.test_button.setObjectName("testConnectionButton")
        self.test_button.setToolTip("Lists the provider's models with these settings")
        self.test_button.clicked.connect(self._on_test)
        self.test_result = wrapped_label("testResult")
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_result, 1)

        right = QVBoxLayout()
        right.addWidget(key_box)
        right.addWidget(conn_box)
        right.addLayout(test_row)
        right.addStretch(1)

        layout = QHBoxLayout(page)
        layout.addLayout(left)
        layout.addLayout(right, 1)
        return page

    def _fill_list(self) -> None:
        with QSignalBlocker(self.profile_list):
            row = self.profile_list.currentRow()
            self.profile_list.clear()
            for p in self._profiles:
                text = f"{p.name}  (in use)" if p.id == self._active else p.name
                item = QListWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, p.id)
                if p.id == self._active:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.profile_list.addItem(item)
            if 0 <= row < self.profile_list.count():
                self.profile_list.setCurrentRow(row)

    def _index_of(self, profile_id: str) -> int:
        for i, p in enumerate(self._profiles):
            if p.id == profile_id:
                return i
        return 0

    def _on_row_changed(self, row: int) -> None:
        self._store_form()
        self._current_row = row
        if row < 0 or row >= len(self._profiles):
            return
        p = self._profiles[row]
        self.name_edit.setText(p.name)
        self.kind_label.setText(KIND_LABELS[p.kind])
        self.base_url_edit.setText(p.base_url)
        self.azure_endpoint_edit.setText(p.azure_endpoint)
        self.azure_deployment_edit.setText(p.azure_deployment)
        self.api_version_edit.setText(p.api_version)
        self.org_edit.setText(p.organization)
        self.project_edit.setText(p.project)
        self.timeout_spin.setValue(p.timeout_s)
        self.retries_spin.setValue(p.max_retries)
        self.proxy_edit.setText(p.proxy)
        azure = p.kind == ProviderKind.AZURE
        for w in (self.azure_endpoint_edit, self.azure_deployment_edit, self.api_version_edit):
            self.conn_form.setRowVisible(w, azure)
        self.conn_form.setRowVisible(self.base_url_edit, not azure)
        env_url = self._environ.get(ENV_OPENAI_BASE_URL, "").strip()
        if p.kind == ProviderKind.OPENAI and env_url:
            # Requests go where the environment says, not to api.openai.com: say so.
            self.base_url_edit.setPlaceholderText(f"{env_url} (from environment)")
            self.base_url_edit.setToolTip(
                f"Left empty, requests go to {env_url}, from the environment variable "
                f"{ENV_OPENAI_BASE_URL}. A URL typed here is used instead."
            )
        else:
            self.base_url_edit.setPlaceholderText(
                "https://api.openai.com/v1 (leave empty)"
                if p.kind == ProviderKind.OPENAI
                else "http://localhost:11434/v1"
            )
            self.base_url_edit.setToolTip("")
        for w in (self.org_edit, self.project_edit):
            self.conn_form.setRowVisible(w, p.kind == ProviderKind.OPENAI)
        self.remove_button.setEnabled(len(self._profiles) > 1)
        self.activate_button.setEnabled(p.id != self._active)
        self.key_edit.clear()
        self.test_result.clear()
        self.key_status.setText("")
        self.key_status_requested.emit(p.id)

    def _store_form(self) -> None:
        """Copies the form into the profile being edited."""
        row = self._current_row
        if row < 0 or row >= len(self._profiles):
            return
        self._profiles[row] = self._form_profile(self._profiles[row])

    def _form_profile(self, base: ProviderProfile) -> ProviderProfile:
        return base.replace(
            name=self.name_edit.text().strip() or base.name,
            base_url=self.base_url_edit.text().strip(),
            azure_endpoint=self.azure_endpoint_edit.text().strip(),
            azure_deployment=self.azure_deployment_edit.text().strip(),
            api_version=self.api_version_edit.text().strip(),
            organization=self.org_edit.text().strip(),
            project=self.project_edit.text().strip(),
            timeout_s=float(self.timeout_spin.value()),
            max_retries=self.retries_spin.value(),
            proxy=self.proxy_edit.text().strip(),
        )

    def current_profile(self) -> ProviderProfile | None:
        row = self.profile_list.currentRow()
        if row < 0 or row >= len(self._profiles):
            return None
        return self._form_profile(self._profiles[row])

    def _add_profile(self, preset: object) -> None:
        self._store_form()
        profile = new_profile(preset, existing_ids=[p.id for p in self._profiles])  # type: ignore[arg-type]
        self._profiles.append(profile)
        self._fill_list()
        self.profile_list.setCurrentRow(len(self._profiles) - 1)
        self.name_edit.setFocus()

    def _remove_profile(self) -> None:
        row = self.profile_list.currentRow()
        if len(self._profiles) <= 1 or row < 0:
            return
        removed = self._profiles.pop(row)
        self._current_row = -1
        if removed.id == self._active:
            self._active = self._profiles[0].id
        self._fill_list()
        self.profile_list.setCurrentRow(min(row, len(self._profiles) - 1))

    def _activate_current(self) -> None:
        p = self.current_profile()
        if p is None:
            return
        self._active = p.id
        self._fill_list()
        self.activate_button.setEnabled(False)

    # --- key -----------------------------------------------------------------------------------

    def set_key_status(self, profile_id: str, text: str) -> None:
        p = self.current_profile()
        if p is not None and p.id == profile_id:
            self.key_status.setText(text)

    def _on_save_key(self) -> None:
        p = self.current_profile()
        key = self.key_edit.text().strip()
        if p is None or not key:
            self.key_status.setText("Paste a key into the field first.")
            return
        self.key_edit.clear()
        self.key_save_requested.emit(p.id, key)

    def _on_delete_key(self) -> None:
        p = self.current_profile()
        if p is not None:
            self.key_delete_requested.emit(p.id)

    # --- test ----------------------------------------------------------------------------------

    def _on_test(self) -> None:
        p = self.current_profile()
        if p is None:
            return
        problems = validate_profile(p)
        if problems:
            self.show_test_result(False, " ".join(problems))
            return
        self.test_button.setEnabled(False)
        self.test_result.setText("Connecting…")
        self.test_requested.emit(p, self.key_edit.text().strip())

    def set_responses_found(self, found: bool) -> None:
        """Test connection found (or not) the Responses API on the profile shown: saved with it,
        so new conversations on that server use Responses."""
        row = self.profile_list.currentRow()
        if 0 <= row < len(self._profiles):
            self._profiles[row] = self._profiles[row].replace(responses_api=found)

    def show_test_result(self, ok: bool, text: str) -> None:
        self.test_button.setEnabled(True)
        color = (
            ("#81c995" if is_dark() else "#1e7e34")
            if ok
            else ("#ff8a80" if is_dark() else "#b3261e")
        )
        self.test_result.setText(f'<span style="color:{color}">{"✔" if ok else "✖"}</span> {text}')

    # --- prices page ---------------------------------------------------------------------------

    def _build_prices_page(self, settings: Settings) -> QWidget:
        page = QWidget()
        intro = QLabel(
            "Prices come from the maintained <i>genai-prices</i> table. Add your own price for a model "
            "that is missing there, a fine-tune, or a local model (0 makes it free). Dollars per million tokens."
        )
        intro.setWordWrap(True)
        self.prices_table = QTableWidget(0, 3)
        self.prices_table.setObjectName("priceOverrides")
        self.prices_table.setHorizontalHeaderLabels(["Model", "Input $ / 1M", "Output $ / 1M"])
        self.prices_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.prices_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        for model, o in sorted(settings.price_overrides.items()):
            self._add_price_row(model, str(o.input_per_mtok), str(o.output_per_mtok))
        add = QPushButton("Add price")
        add.setObjectName("addPriceButton")
        add.clicked.connect(lambda: self._add_price_row("", "0", "0"))
        remove = QPushButton("Remove")
        remove.clicked.connect(lambda: self.prices_table.removeRow(self.prices_table.currentRow()))
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        self.cost_guard_spin = named(
            QDoubleSpinBox(), "costGuardSpin", "Ask before a Prompt Lab run above"
        )
        self.cost_guard_spin.setRange(0.0, 10_000.0)
        self.cost_guard_spin.setDecimals(2)
        self.cost_guard_spin.setPrefix("$")
        self.cost_guard_spin.setValue(settings.cost_guard_usd)
        self.cost_guard_spin.setToolTip(
            "Before a Prompt Lab run, its cost range is estimated; above this amount you are "
            "asked to confirm ($0 asks every time)."
        )
        guard = QHBoxLayout()
        guard.addWidget(QLabel("Ask before a Prompt Lab run that may cost more than"))
        guard.addWidget(self.cost_guard_spin)
        guard.addStretch(1)
        layout = QVBoxLayout(page)
        layout.addWidget(intro)
        layout.addWidget(self.prices_table, 1)
        layout.addLayout(row)
        layout.addLayout(guard)
        layout.addWidget(self._build_data_group())
        return page

    def _build_data_group(self) -> QGroupBox:
        """How old the shipped price and retirement data are (`set_data_ages` fills it in), the
        price data in use and "Update prices now" (only ever on its click)."""
        box = QGroupBox("Data")
        box.setObjectName("dataGroup")
        form = QFormLayout(box)
        self.price_age_label = wrapped_label("priceDataAge", "Reading…")
        self.retirement_data_label = wrapped_label("retirementDataAge", "Reading…")
        form.addRow("Prices", self.price_age_label)
        form.addRow("Model retirements", self.retirement_data_label)
        form.addRow(self._build_price_data_row())
        return box

    def set_data_ages(self, ages: Sequence[DataAge]) -> None:
        """Shows how old the price data and the retirement/replacement table are."""
        for age in ages:
            label = self.price_age_label if age.name == "Price data" else self.retirement_data_label
            label.setText(age.text)

    def _build_price_data_row(self) -> QHBoxLayout:
        """The price data in use and "Update prices now" (only ever on this click)."""
        # What "Update prices now" did; the data in use is the "Prices" row above.
        self.price_data_label = wrapped_label(
            "priceDataLabel", "Newer prices are downloaded only when you ask."
        )
        self.update_prices_button = named(
            QPushButton("Update prices now"),
            "updatePricesButton",
            "Update prices now",
            "Download the newest price table now (genai-prices). Only when you click; the "
            "bundled prices stay in use if it fails.",
        )
        self.update_prices_button.clicked.connect(self.prices_update_requested)
        row = QHBoxLayout()
        row.addWidget(self.price_data_label, 1)
        row.addWidget(self.update_prices_button)
        return row

    def show_price_data(self, text: str, *, busy: bool = False, error: bool = False) -> None:
        """What the price data is now, or how an update went."""
        self.price_data_label.setText(text)
        self.price_data_label.setStyleSheet(
            "color: %s" % ("#ff8a80" if is_dark() else "#b3261e") if error else ""
        )
        self.update_prices_button.setEnabled(not busy)

    def _add_price_row(self, model: str, inp: str, out: str) -> None:
        r = self.prices_table.rowCount()
        self.prices_table.insertRow(r)
        for c, value in enumerate((model, inp, out)):
            self.prices_table.setItem(r, c, QTableWidgetItem(value))

    def _price_overrides(self) -> tuple[dict[str, PriceOverride], list[str]]:
        out: dict[str, PriceOverride] = {}
        problems: list[str] = []
        for r in range(self.prices_table.rowCount()):
            cells = [self.prices_table.item(r, c) for c in range(3)]
            model, inp, outp = ((c.text().strip() if c else "") for c in cells)
            if not model:
                continue
            try:
                i, o = Decimal(inp or "0"), Decimal(outp or "0")
                if i < 0 or o < 0:
                    raise InvalidOperation
            except InvalidOperation:
                problems.append(f"The price for “{model}” must be a number of dollars, 0 or more.")
                continue
            out[model] = PriceOverride(input_per_mtok=i, output_per_mtok=o)
        return out, problems

    # --- result --------------------------------------------------------------------------------

    def _on_ok(self) -> None:
        self._store_form()
        problems: list[str] = []
        for p in self._profiles:
            problems += [f"{p.name}: {msg}" for msg in validate_profile(p)]
        _, price_problems = self._price_overrides()
        problems += price_problems
        problems += self.budgets_page.problems()
        if problems:
            self.problems_label.setText("\n".join(problems))
            return
        self.accept()

    def result_settings(self) -> Settings:
        """The edited settings (call after the dialog was accepted)."""
        self._store_form()
        overrides, _ = self._price_overrides()
        return self._settings.replace(
            profiles=tuple(self._profiles),
            active_profile=self._active,
            price_overrides=overrides,
            cost_guard_usd=self.cost_guard_spin.value(),
            tabs={**self._settings.tabs, BUDGETS_KEY: self.budgets_page.state()},
        )
