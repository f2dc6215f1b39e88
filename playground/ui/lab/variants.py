"""Prompt Lab variants: each a column of the grid, with its prompt version, model and parameters.

Parameters are Chat's own `ChatParamsPanel` (in the dialog "Parameters…" opens), so a variant
accepts exactly what Chat does and greys out what its model rejects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from playground.core.api.capabilities import capabilities
from playground.core.api.retirements import ModelChoice
from playground.core.lab.store import Version
from playground.ui.common.chat_params import API_RESPONSES
from playground.ui.common.model_picker import ModelCombo
from playground.ui.common.params_dialog import ParamsDialog
from playground.ui.common.widgets import named

MAX_VARIANTS = 6
DRAFT = -1  # the prompt combo's data for "the prompt as it is now (unsaved)"


@dataclass(frozen=True, slots=True)
class VariantSettings:
    """What one variant row holds: its name (as typed), model, Chat's request fields and the saved
    prompt version it sends (None: the current draft)."""

    name: str
    model: str
    fields: dict[str, Any]
    version_id: int | None


class VariantRow(QFrame):
    """One variant: name, prompt (draft or a saved version), model, Parameters…, remove.

    Signals:
        remove_requested: the × button.
        changed: anything in the row changed.
    """

    remove_requested = Signal()
    changed = Signal()

    def __init__(self, number: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"labVariant{number}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.name_edit = named(QLineEdit(f"Variant {number}"), "labVariantName", "Variant name")
        self.prompt_combo = QComboBox()
        self.prompt_combo.setObjectName("labVariantPrompt")
        self.prompt_combo.setAccessibleName("Variant prompt version")
        self.prompt_combo.setToolTip(
            "Which prompt this variant sends: the draft or a saved version"
        )
        self.prompt_combo.addItem("Current draft", DRAFT)
        self.prompt_combo.setMinimumContentsLength(8)
        self.prompt_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.model_combo = ModelCombo()
        self.model_combo.setEditable(True)
        self.model_combo.setObjectName("labVariantModel")
        self.model_combo.setAccessibleName("Variant model")
        self.model_combo.setMinimumContentsLength(8)
        self.model_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.params_button = QPushButton("Parameters…")
        self.params_button.setObjectName("labVariantParams")
        self.params_button.setToolTip("Temperature, length, output format… (the same as Chat's)")
        # The same width whatever it says, so the rows' columns line up.
        widest = self.params_button.fontMetrics().horizontalAdvance("Parameters (10)…")
        self.params_button.setMinimumWidth(widest + 24)
        self.remove_button = named(QToolButton(), "labVariantRemove", "Remove variant")
        self.remove_button.setText("×")
        self.remove_button.setToolTip("Remove this variant")
        self.params_dialog = ParamsDialog("Variant parameters", self)
        self.params = self.params_dialog.panel

        grid = QGridLayout(self)
        grid.setContentsMargins(6, 6, 6, 6)
        grid.setHorizontalSpacing(4)
        grid.setVerticalSpacing(4)
        grid.addWidget(self.name_edit, 0, 0)
        grid.addWidget(self.model_combo, 0, 1)
        grid.addWidget(self.remove_button, 0, 2)
        grid.addWidget(self.prompt_combo, 1, 0, 1, 2)
        grid.addWidget(self.params_button, 1, 2)
        grid.addWidget(self.model_combo.note, 2, 0, 1, 3)  # hidden while it has nothing to say
        grid.addWidget(self.model_combo.retired_toggle, 3, 0, 1, 3)
        grid.setColumnStretch(0, 2)
        grid.setColumnStretch(1, 3)

        self.remove_button.clicked.connect(self.remove_requested)
        self.params_button.clicked.connect(self._open_params)
        self.model_combo.currentTextChanged.connect(self._on_model_changed)
        self.params.model_changed.connect(self._on_panel_model_changed)
        self.name_edit.textChanged.connect(lambda _t: self.changed.emit())
        self.prompt_combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.params.changed.connect(self.changed)
        self.params.changed.connect(self._update_params_button)
        self._update_params_button()

    def name(self) -> str:
        return self.name_edit.text()

    def model(self) -> str:
        return self.model_combo.currentText().strip()

    def settings(self) -> VariantSettings:
        return VariantSettings(self.name(), self.model(), self.fields(), self.version_id())

    def problems(self) -> list[str]:
        """Why the parameters cannot be sent as they are (empty when they can)."""
        return self.params.problems()

    def version_id(self) -> int | None:
        data = self.prompt_combo.currentData()
        return None if data in (None, DRAFT) else int(data)

    def fields(self) -> dict[str, Any]:
        """Chat's request fields, the Responses settings that are plain values (built-in tools
        are not offered in Prompt Lab) and "api"."""
        extras = {k: v for k, v in self.params.responses_fields().items() if isinstance(v, str)}
        return {**self.params.request_fields(), **extras, "api": self.params.api()}

    def api(self) -> str:
        return self.params.api()

    def set_api(self, api: str) -> None:
        self.params.set_api(api)

    def set_models(
        self, models: Sequence[str | ModelChoice], current: str, default: str = ""
    ) -> None:
        """Fills the picker (`ModelChoice` entries carry retirement badges; retired ones are
        hidden unless "Show retired"); `default` replaces a hidden retired `current`."""
        with QSignalBlocker(self.model_combo):
            self.model_combo.set_choices(models, current, default)
        self._on_model_changed(self.model())

    def set_versions(self, versions: list[Version]) -> None:
        keep = self.prompt_combo.currentData()
        with QSignalBlocker(self.prompt_combo):
            self.prompt_combo.clear()
            self.prompt_combo.addItem("Current draft", DRAFT)
            for v in versions:
                self.prompt_combo.addItem(v.title, v.id)
            index = self.prompt_combo.findData(keep)
            self.prompt_combo.setCurrentIndex(max(index, 0))

    def set_version(self, version_id: int | None) -> None:
        index = self.prompt_combo.findData(DRAFT if version_id is None else version_id)
        self.prompt_combo.setCurrentIndex(max(index, 0))

    def apply(self, name: str, model: str, fields: dict[str, Any], version_id: int | None) -> None:
        from playground.ui.common.chat_params import FIELD_NAMES, RESPONSES_FIELD_NAMES

        names = {*FIELD_NAMES, *RESPONSES_FIELD_NAMES, "api"}
        self.name_edit.setText(name)
        self.params.set_fields(
            {k: v for k, v in fields.items() if k in names and (k != "api" or v)}
        )
        self.model_combo.setCurrentText(model)
        self.set_version(version_id)

    def _update_params_button(self) -> None:
        """The button says how many settings differ from the defaults; its tooltip lists them."""
        fields = self.params.request_fields()
        shown = []
        for name, label in (
            ("temperature", "temperature"),
            ("top_p", "top p"),
            ("max_output_tokens", "max output"),
            ("seed", "seed"),
            ("reasoning_effort", "reasoning effort"),
        ):
            if fields.get(name) not in (None, ""):
                shown.append(f"{label} {fields[name]}")
        if fields.get("response_format"):
            shown.append("JSON output")
        if fields.get("stop"):
            shown.append("stop sequences")
        if fields.get("tools"):
            shown.append("tools")
        if self.params.api() == API_RESPONSES:
            shown.insert(0, "Responses API")
        self.params_button.setText(f"Parameters ({len(shown)})…" if shown else "Parameters…")
        self.params_button.setToolTip(
            ("Set: " + ", ".join(shown) if shown else "Model defaults")
            + "\nTemperature, length, output format… (the same as Chat's)"
        )

    def _open_params(self) -> None:
        self.params_dialog.setWindowTitle(f"{self.name_edit.text()}: parameters")
        self.params_dialog.show()
        self.params_dialog.raise_()

    def _on_model_changed(self, text: str) -> None:
        model = text.strip()
        with QSignalBlocker(self.params.model_combo):
            self.params.model_combo.setCurrentText(model)
        caps = capabilities(model)
        self.params.set_capabilities(caps, model)
        self.params.set_model_limits(caps.max_output, caps.context_window)
        self.changed.emit()

    def _on_panel_model_changed(self, model: str) -> None:
        if model != self.model():
            self.model_combo.setCurrentText(model)


class VariantsEditor(QWidget):
    """The list of variants with "Add variant".

    Signals:
        changed: a variant was added, removed or edited.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("labVariants")
        self.rows: list[VariantRow] = []
        self._models: list[str | ModelChoice] = []
        self._preferred = ""
        self._default = ""  # the kind's default, for a row whose model is a hidden retired one
        self._show_retired = False
        self._versions: list[Version] = []
        self._default_api = ""  # a new row's API ("": the panel's own default)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        self.add_button = QPushButton("Add variant")
        self.add_button.setObjectName("labAddVariant")
        self.add_button.setToolTip(
            f"Another column: a prompt version or parameters (up to {MAX_VARIANTS})"
        )
        bar = QHBoxLayout()
        bar.addWidget(self.add_button)
        bar.addStretch(1)
        self._layout.addLayout(bar)
        self.add_button.clicked.connect(lambda: self.add_variant())

    def add_variant(self) -> VariantRow | None:
        if len(self.rows) >= MAX_VARIANTS:
            return None
        row = VariantRow(len(self.rows) + 1, self)
        row.set_versions(self._versions)
        listed = [m if isinstance(m, str) else m.id for m in self._models]
        first = self._preferred or self._default or (listed[0] if listed else "")
        default = self.rows[-1].model() if self.rows else first
        row.model_combo.retired_toggle.setChecked(self._show_retired)
        row.model_combo.retired_toggle.toggled.connect(self.set_show_retired)
        row.set_models(self._models, default, self._default)
        if self._default_api:
            row.set_api(self.rows[-1].api() if self.rows else self._default_api)
        row.remove_requested.connect(lambda r=row: self.remove_variant(r))
        row.changed.connect(self.changed)
        self._layout.insertWidget(len(self.rows), row)
        self.rows.append(row)
        self._update_buttons()
        self.changed.emit()
        return row

    def remove_variant(self, row: VariantRow) -> None:
        if len(self.rows) <= 1:
            return
        self.rows.remove(row)
        self._layout.removeWidget(row)
        row.deleteLater()
        self._update_buttons()
        self.changed.emit()

    def clear_to(self, count: int) -> None:
        while len(self.rows) > max(count, 1):
            row = self.rows.pop()
            self._layout.removeWidget(row)
            row.deleteLater()
        while len(self.rows) < count:
            self.add_variant()
        self._update_buttons()

    def settings(self) -> list[VariantSettings]:
        """Every variant's settings, in order."""
        return [row.settings() for row in self.rows]

    def set_settings(self, variants: list[VariantSettings]) -> None:
        """Shows `variants` (saved or sample ones): one row each, at least one row."""
        self.clear_to(len(variants))
        for row, variant in zip(self.rows, variants, strict=False):
            row.apply(variant.name, variant.model, variant.fields, variant.version_id)
        self.changed.emit()

    def problems(self) -> list[str]:
        """Every row's parameter problems, each with the row's name."""
        return [f"{row.name()}: {p}" for row in self.rows for p in row.problems()]

    def set_models(
        self, models: Sequence[str | ModelChoice], preferred: str = "", default: str = ""
    ) -> None:
        """Fills every row's model list; a row without a model gets `preferred` (Chat's model),
        `default` or the first in the list.

        Args:
            models: every listed model (`ModelChoice` entries carry retirement badges).
            preferred: a new row's model.
            default: the kind's default (never retired), for a row whose model is a hidden
                retired one.
        """
        self._models = list(models)
        self._preferred = preferred
        self._default = default
        first = next((m if isinstance(m, str) else m.id for m in models), "")
        for row in self.rows:
            row.set_models(models, row.model() or preferred or default or first, default)

    def shows_retired(self) -> bool:
        """Whether the model pickers list retired models ("Show retired", one for every row)."""
        return self._show_retired

    def set_show_retired(self, on: bool) -> None:
        self._show_retired = on
        for row in self.rows:
            row.model_combo.retired_toggle.setChecked(on)

    def set_default_api(self, api: str) -> None:
        """The API of the rows there are and of new ones (until a row's own is chosen)."""
        self._default_api = api
        for row in self.rows:
            row.set_api(api)

    def set_versions(self, versions: list[Version]) -> None:
        self._versions = versions
        for row in self.rows:
            row.set_versions(versions)

    def _update_buttons(self) -> None:
        self.add_button.setEnabled(len(self.rows) < MAX_VARIANTS)
        for row in self.rows:
            row.remove_button.setEnabled(len(self.rows) > 1)
