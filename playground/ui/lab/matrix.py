"""Prompt Lab's matrix form: pick prompt versions, models and one parameter's values; every
combination becomes a variant (a column of the grid). View only."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from playground.core.lab.analysis import (
    MatrixCell,
    MatrixError,
    MatrixParameter,
    matrix,
    parse_values,
)
from playground.ui.common.widgets import named, wrapped_label


def _checklist(name: str, accessible: str, items: Sequence[tuple[str, object]]) -> QListWidget:
    widget = named(QListWidget(), name, accessible)
    for text, data in items:
        item = QListWidgetItem(text)
        item.setData(Qt.ItemDataRole.UserRole, data)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Unchecked)
        widget.addItem(item)
    rows = min(max(widget.count(), 3), 6)
    widget.setFixedHeight(widget.sizeHintForRow(0) * rows + 2 * widget.frameWidth() + 4)
    return widget


def _checked(widget: QListWidget) -> list[object]:
    return [
        widget.item(i).data(Qt.ItemDataRole.UserRole)
        for i in range(widget.count())
        if widget.item(i).checkState() == Qt.CheckState.Checked
    ]


class MatrixDialog(QDialog):
    """The matrix form. `cells()` holds the variants it makes once accepted.

    Args:
        versions: (version id or None for the current draft, title) pairs.
        models: the chat models offered.
        checked_models: models ticked at first (the variants' current ones).
    """

    def __init__(
        self,
        versions: Sequence[tuple[int | None, str]],
        models: Sequence[str],
        checked_models: Sequence[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("labMatrixDialog")
        self.setWindowTitle("Build a matrix of variants")
        self._versions = {str(v): title for v, title in versions}
        self.versions_list = _checklist(
            "labMatrixVersions", "Prompt versions", [(t, v) for v, t in versions]
        )
        if self.versions_list.count():
            self.versions_list.item(0).setCheckState(Qt.CheckState.Checked)
        self.models_list = _checklist("labMatrixModels", "Models", [(m, m) for m in models])
        for i in range(self.models_list.count()):
            if self.models_list.item(i).text() in checked_models:
                self.models_list.item(i).setCheckState(Qt.CheckState.Checked)
        self.parameter_combo = named(QComboBox(), "labMatrixParameter", "Also vary")
        for parameter in MatrixParameter:
            self.parameter_combo.addItem(parameter.label, parameter.value)
        self.values_edit = named(QLineEdit(), "labMatrixValues", "Values")
        self.values_edit.setPlaceholderText("Values, commas between")
        self.preview = wrapped_label("labMatrixPreview")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Make variants")
        ok.setObjectName("labMatrixOk")

        form = QFormLayout()
        form.addRow("Prompt versions", self.versions_list)
        form.addRow("Models", self.models_list)
        form.addRow("Also vary", self.parameter_combo)
        form.addRow("Values", self.values_edit)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel("Every combination becomes a variant; they replace the variants you have.")
        )
        layout.addLayout(form)
        layout.addWidget(self.preview)
        layout.addWidget(self.buttons)

        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.versions_list.itemChanged.connect(lambda _i: self._update())
        self.models_list.itemChanged.connect(lambda _i: self._update())
        self.parameter_combo.currentIndexChanged.connect(self._on_parameter_changed)
        self.values_edit.textChanged.connect(lambda _t: self._update())
        self._on_parameter_changed()

    def parameter(self) -> MatrixParameter:
        return MatrixParameter(self.parameter_combo.currentData())

    def cells(self) -> list[MatrixCell]:
        """The variants the form makes.

        Raises:
            MatrixError: what is missing or wrong, in plain words.
        """
        parameter = self.parameter()
        versions = [(v, self._versions[str(v)]) for v in _checked(self.versions_list)]
        models = [str(m) for m in _checked(self.models_list)]
        values = parse_values(parameter, self.values_edit.text())
        return matrix(
            [(v if isinstance(v, int) else None, t) for v, t in versions],
            models,
            parameter,
            values,
        )

    def accept(self) -> None:
        try:
            self.cells()
        except MatrixError:
            self._update()
            return
        super().accept()

    def _on_parameter_changed(self) -> None:
        parameter = self.parameter()
        self.values_edit.setEnabled(parameter != MatrixParameter.NONE)
        self.values_edit.setText(parameter.suggested)
        self._update()

    def _update(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        try:
            cells = self.cells()
        except MatrixError as exc:
            self.preview.setText(str(exc))
            ok.setEnabled(False)
            return
        ok.setEnabled(True)
        self.preview.setText(
            f"{len(cells)} variant{'s' if len(cells) != 1 else ''}: "
            + ", ".join(c.name for c in cells[:3])
            + (" …" if len(cells) > 3 else "")
        )
