"""The Images tab (view only): the options form, the prompt, the sources and mask painter, the
results and the gallery.

Every option list comes from `core.images_caps.image_spec` through `set_spec`; the view never knows
a model. It emits intent signals and shows what its controller tells it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QMimeData, QPointF, QSize, Qt, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDropEvent,
    QIcon,
    QImage,
    QKeySequence,
    QPainter,
    QPalette,
    QPixmap,
    QShortcut,
)
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from playground.core.api.errors import AppError
from playground.core.api.retirements import ModelChoice
from playground.core.images.caps import (
    Field,
    ImageModelSpec,
    Mode,
    aspect_label,
    normalize_size,
    suggested_sizes,
)
from playground.ui.common.model_picker import ModelCombo, UseReplacementButton
from playground.ui.common.widgets import fill, named, select_data, side_by_side, wrapped_label
from playground.ui.images.gallery import GalleryPanel, ImageView, with_checker
from playground.ui.images.mask import MaskPainter

if TYPE_CHECKING:
    from playground.core.images.library import LibraryItem

RESULT_ICON = 256
#: The newest results kept in the strip (every picture is in the gallery anyway).
MAX_RESULTS = 24
MODE_TITLES: dict[Mode, str] = {"generate": "Generate", "edit": "Edit", "variation": "Variations"}
_LABELS = {
    "auto": "Auto",
    "low": "Low",
    "medium": "Medium",
    "high": "High",
    "xhigh": "Extra high",
    "max": "Max",
    "standard": "Standard",
    "hd": "HD",
    "vivid": "Vivid",
    "natural": "Natural",
    "opaque": "Opaque",
    "transparent": "Transparent",
    "png": "PNG",
    "jpeg": "JPEG",
    "webp": "WEBP",
}


def _label(value: str) -> str:
    if value in _LABELS:
        return _LABELS[value]
    if not value[:1].isdigit():
        return value
    ratio = aspect_label(value)
    return value.replace("x", " × ") + (f"  ({ratio})" if ratio else "")


def _set_bold(widget: QWidget, bold: bool) -> None:
    font = widget.font()
    font.setBold(bold)
    widget.setFont(font)


class _ErrorLabel(QLabel):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.setObjectName(name)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Readable on light and dark palettes alike: white on a deep red.
        self.setStyleSheet(
            "color: white; background: #b3261e; border-radius: 4px; padding: 3px 6px;"
        )
        self.hide()

    def show_text(self, text: str, tooltip: str = "") -> None:
        self.setText(text)
        self.setToolTip(tooltip)
        self.setVisible(bool(text))


class ImagesTab(QWidget):
    """The Images tab.

    Signals:
        generate_requested: Generate (or Ctrl+Enter).
        stop_requested: Stop (or Esc).
        options_changed: any option, the prompt or the mode changed (re-check, re-estimate).
        model_changed: another model was picked. arg: the model id.
        mode_changed: Generate / Edit / Variations. arg: the mode.
        files_dropped: picture files were opened or dropped. arg: list of paths.
        image_pasted: a picture was pasted. arg: the QImage.
        source_removed: a source picture was removed. arg: its row.
        add_files_requested: "Add pictures…" was clicked (the controller opens the dialog).
        result_activated: a result was double-clicked. arg: the gallery item id.
        gallery_search_changed: the gallery's search text changed. arg: the query.
        gallery_action_requested: a gallery action ("open", "copy", "delete", ...). args: the
            action, the item id.
        gallery_undo_requested: Undo after a delete. arg: the item id.
    """

    generate_requested = Signal()
    stop_requested = Signal()
    options_changed = Signal()
    model_changed = Signal(str)
    mode_changed = Signal(str)
    files_dropped = Signal(list)
    image_pasted = Signal(object)
    source_removed = Signal(int)
    add_files_requested = Signal()
    result_activated = Signal(str)
    gallery_search_changed = Signal(str)
    gallery_action_requested = Signal(str, str)
    gallery_undo_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("imagesTab")
        self.setAcceptDrops(True)
        self._mode: Mode = "generate"
        self._spec = ImageModelSpec()
        self._busy = False
        self._fresh = 0  # tiles of the running request, at the top of the results
        self._retry_seconds = 0
        self._errors: dict[str, _ErrorLabel] = {}
        self._rows: dict[str, tuple[QLabel, QWidget, _ErrorLabel]] = {}

        # --- options column ------------------------------------------------------------------
        self.mode_buttons: dict[str, QPushButton] = {}
        mode_row = QHBoxLayout()
        mode_row.setSpacing(0)
        group = QButtonGroup(self)
        for mode, title in MODE_TITLES.items():
            button = named(QPushButton(title), f"mode_{mode}", f"{title} mode")
            button.setCheckable(True)
            # The active mode must read at a glance in both themes, not only by a subtle shade.
            button.toggled.connect(lambda on, b=button: _set_bold(b, on))
            group.addButton(button)
            button.clicked.connect(lambda _=False, m=mode: self.set_mode(m, emit=True))
            mode_row.addWidget(button)
            self.mode_buttons[mode] = button
        self.mode_buttons["generate"].setChecked(True)

        self.model_combo = named(ModelCombo(), "imageModel", "Image model")
        self.model_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.model_combo.setMinimumContentsLength(12)
        self.model_combo.currentTextChanged.connect(self._on_model_changed)
        self.model_note = wrapped_label("imageModelNote")
        self.model_note.hide()

        def combo(name: str, accessible: str) -> QComboBox:
            box = named(QComboBox(), name, accessible)
            box.currentIndexChanged.connect(lambda _i: self._changed())
            return box

        self.size_combo = named(QComboBox(), "imageSize", "Size")
        self.size_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.size_combo.currentTextChanged.connect(lambda _t: self._changed())
        self.quality_combo = combo("imageQuality", "Quality")
        self.style_combo = combo("imageStyle", "Style")
        self.background_combo = combo("imageBackground", "Background")
        self.format_combo = combo("imageFormat", "Output format")
        self.compression_spin = named(QSpinBox(), "imageCompression", "Compression")
        self.compression_spin.setRange(0, 100)
        self.compression_spin.setValue(100)
        self.compression_spin.setSuffix(" %")
        self.compression_spin.setToolTip("100 % keeps the most detail; lower makes smaller files")
        self.compression_spin.valueChanged.connect(lambda _v: self._changed())
        self.moderation_combo = combo("imageModeration", "Moderation")
        self.moderation_combo.setToolTip("Low filters less strictly; Auto is the default")
        self.fidelity_combo = combo("imageFidelity", "Input fidelity")
        self.fidelity_combo.setToolTip("High keeps faces and details of the source closer")
        self.count_spin = named(QSpinBox(), "imageCount", "Number of pictures")
        self.count_spin.setRange(1, 10)
        self.count_spin.valueChanged.connect(lambda _v: self._changed())
        self.partials_spin = named(QSpinBox(), "imagePartials", "Partial images")
        self.partials_spin.setRange(0, 3)
        self.partials_spin.setValue(2)
        self.partials_spin.setToolTip(
            "Rough versions streamed while the picture is made, so it sharpens in place"
        )
        self.partials_spin.valueChanged.connect(lambda _v: self._changed())

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._form = form
        for key, text, widget in (
            ("size", "Size", self.size_combo),
            ("quality", "Quality", self.quality_combo),
            ("style", "Style", self.style_combo),
            ("background", "Background", self.background_combo),
            ("output_format", "Format", self.format_combo),
            ("output_compression", "Compression", self.compression_spin),
            ("moderation", "Moderation", self.moderation_combo),
            ("input_fidelity", "Fidelity", self.fidelity_combo),
            ("n", "Pictures", self.count_spin),
            ("partial_images", "Partials", self.partials_spin),
        ):
            label = QLabel(text)
            label.setBuddy(widget)
            error = _ErrorLabel(f"error_{key}")
            cell = QWidget()
            cell_layout = QVBoxLayout(cell)
            cell_layout.setContentsMargins(0, 0, 0, 0)
            cell_layout.setSpacing(2)
            cell_layout.addWidget(widget)
            cell_layout.addWidget(error)
            form.addRow(label, cell)
            self._rows[key] = (label, cell, error)
            self._errors[key] = error

        self.estimate_label = wrapped_label("imageEstimate", "—")
        self.estimate_label.setToolTip("Cost before sending, from the price table (≈: an estimate)")
        self.generate_button = named(
            QPushButton("Generate"), "imageGenerate", "Generate", "Send the request (Ctrl+Enter)"
        )
        self.generate_button.setDefault(False)
        self.generate_button.clicked.connect(self._on_generate_clicked)
        self.stop_button = named(
            QPushButton("Stop"),
            "imageStop",
            "Stop",
            "Stop the request (Esc); pictures already here are kept",
        )
        self.stop_button.clicked.connect(self.stop_requested)
        self.stop_button.hide()
        self.progress = QProgressBar()
        self.progress.setObjectName("imageProgress")
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(6)
        self.progress.hide()
        self.status_label = wrapped_label("imageStatus")
        self.error_label = _ErrorLabel("imageError")
        self._errors["request"] = self.error_label
        self._errors["model"] = _ErrorLabel("error_model")

        options = QWidget()
        options.setObjectName("imageOptions")
        options_layout = QVBoxLayout(options)
        options_layout.setContentsMargins(8, 8, 8, 8)
        options_layout.addLayout(mode_row)
        options_layout.addSpacing(6)
        options_layout.addWidget(QLabel("<b>Model</b>"))
        options_layout.addWidget(self.model_combo)
        options_layout.addWidget(self.model_combo.retired_toggle)
        options_layout.addWidget(self.model_combo.note)
        options_layout.addWidget(self.model_note)
        options_layout.addWidget(self._errors["model"])
        self.use_replacement = UseReplacementButton(self.model_combo)
        options_layout.addWidget(self.use_replacement)  # under a retired model's error
        options_layout.addSpacing(4)
        options_layout.addLayout(form)
        options_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setObjectName("imageOptionsScroll")
        scroll.setWidget(options)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        send_box = QWidget()
        send_layout = QVBoxLayout(send_box)
        send_layout.setContentsMargins(8, 0, 8, 8)
        send_layout.addWidget(self.estimate_label)
        buttons = QHBoxLayout()
        buttons.addWidget(self.generate_button, 1)
        buttons.addWidget(self.stop_button, 1)
        send_layout.addLayout(buttons)
        send_layout.addWidget(self.progress)
        send_layout.addWidget(self.status_label)
        send_layout.addWidget(self.error_label)
        left = QWidget()
        left.setObjectName("imageLeft")
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(scroll, 1)
        left_layout.addWidget(send_box)
        left.setMinimumWidth(250)
        left.setMaximumWidth(340)

        # --- prompt ----------------------------------------------------------------------------
        self.prompt = named(QPlainTextEdit(), "imagePrompt", "Prompt")
        self.prompt.setPlaceholderText(
            "Describe the picture: subject, style, light, composition… (Ctrl+Enter generates)"
        )
        self.prompt.setTabChangesFocus(True)
        self.prompt.setMinimumHeight(60)
        self.prompt.setMaximumHeight(110)
        self.prompt.textChanged.connect(self._changed)
        self.prompt_count = QLabel()
        self.prompt_count.setObjectName("imagePromptCount")
        self.prompt_count.setAlignment(Qt.AlignmentFlag.AlignRight)
        prompt_error = _ErrorLabel("error_prompt")
        self._errors["prompt"] = prompt_error
        self.main_input = self.prompt

        # --- sources and mask ------------------------------------------------------------------
        self.sources = named(QListWidget(), "imageSources", "Source pictures")
        self.sources.setViewMode(QListView.ViewMode.IconMode)
        self.sources.setIconSize(QSize(84, 84))
        self.sources.setFlow(QListView.Flow.TopToBottom)
        self.sources.setWrapping(False)
        self.sources.setMovement(QListView.Movement.Static)
        self.sources.setFixedWidth(128)
        self.add_source_button = QToolButton()
        self.add_source_button.setObjectName("imageAddSource")
        self.add_source_button.setText("Add…")
        self.add_source_button.setToolTip("Add pictures from files (or drop them on the tab)")
        self.add_source_button.clicked.connect(self.add_files_requested)
        self.paste_button = QToolButton()
        self.paste_button.setObjectName("imagePasteSource")
        self.paste_button.setText("Paste")
        self.paste_button.setToolTip("Paste a picture from the clipboard")
        self.paste_button.clicked.connect(self.paste_from_clipboard)
        self.remove_source_button = QToolButton()
        self.remove_source_button.setObjectName("imageRemoveSource")
        self.remove_source_button.setText("Remove")
        self.remove_source_button.clicked.connect(self._on_remove_source)
        source_buttons = QHBoxLayout()
        source_buttons.setSpacing(2)
        source_buttons.addWidget(self.add_source_button)
        source_buttons.addWidget(self.paste_button)
        source_col = QVBoxLayout()
        source_col.addWidget(QLabel("<b>Sources</b>"))
        source_col.addWidget(self.sources, 1)
        source_col.addLayout(source_buttons)
        source_col.addWidget(self.remove_source_button)
        sources_error = _ErrorLabel("error_images")
        self._errors["images"] = sources_error
        self.mask_painter = MaskPainter()
        self.mask_painter.mask_changed.connect(self._changed)
        mask_error = _ErrorLabel("error_mask")
        self._errors["mask"] = mask_error
        self.mask_box = QWidget()
        mask_col = QVBoxLayout(self.mask_box)
        mask_col.setContentsMargins(0, 0, 0, 0)
        self.mask_title = QLabel("<b>Mask</b> (on the first picture)")
        mask_col.addWidget(self.mask_title)
        mask_col.addWidget(self.mask_painter, 1)
        mask_col.addWidget(mask_error)
        self.workspace = QWidget()
        self.workspace.setObjectName("imageWorkspace")
        work_layout = QHBoxLayout(self.workspace)
        work_layout.setContentsMargins(0, 0, 0, 0)
        source_box = QVBoxLayout()
        source_box.addLayout(source_col, 1)
        source_box.addWidget(sources_error)
        work_layout.addLayout(source_box)
        work_layout.addWidget(self.mask_box, 1)

        # --- results ----------------------------------------------------------------------------
        self.results = named(QListWidget(), "imageResults", "Results")
        self.results.setViewMode(QListView.ViewMode.IconMode)
        self.results.setIconSize(QSize(RESULT_ICON, RESULT_ICON))
        self.results.setGridSize(QSize(RESULT_ICON + 16, RESULT_ICON + 40))
        self.results.setResizeMode(QListView.ResizeMode.Adjust)
        self.results.setMovement(QListView.Movement.Static)
        self.results.setWordWrap(True)
        self.results.itemDoubleClicked.connect(self._on_result_activated)
        self.results_hint = QLabel(
            "Pick a model, describe a picture and press Generate. Every picture is saved to the "
            "gallery the moment it arrives."
        )
        self.results_hint.setObjectName("imageResultsHint")
        self.results_hint.setWordWrap(True)
        self.results_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        results_box = QWidget()
        results_layout = QVBoxLayout(results_box)
        results_layout.setContentsMargins(0, 0, 0, 0)
        results_layout.addWidget(self.results, 1)
        results_layout.addWidget(self.results_hint, 1)

        center_split = QSplitter(Qt.Orientation.Vertical)
        center_split.setObjectName("imageCenterSplit")
        center_split.addWidget(self.workspace)
        center_split.addWidget(results_box)
        center_split.setStretchFactor(0, 3)
        center_split.setStretchFactor(1, 2)
        center_split.setChildrenCollapsible(False)
        self.center_split = center_split
        center = QWidget()
        center_layout = QVBoxLayout(center)
        center_layout.setContentsMargins(4, 8, 4, 4)
        prompt_head = QHBoxLayout()
        prompt_head.addWidget(QLabel("<b>Prompt</b>"))
        prompt_head.addStretch(1)
        prompt_head.addWidget(self.prompt_count)
        center_layout.addLayout(prompt_head)
        center_layout.addWidget(self.prompt)
        center_layout.addWidget(prompt_error)
        center_layout.addWidget(center_split, 1)

        # --- gallery ------------------------------------------------------------------------------
        self.gallery = GalleryPanel()
        self._viewer: ImageView | None = None
        self.gallery.setMinimumWidth(240)
        self.gallery.search_changed.connect(self.gallery_search_changed)
        self.gallery.action_requested.connect(self.gallery_action_requested)
        self.gallery.undo_requested.connect(self.gallery_undo_requested)

        split = side_by_side(
            [(left, 0), (center, 1), (self.gallery, 0)], name="imageSplit", sizes=[270, 560, 340]
        )
        self.split = split
        fill(self, split, (0, 0, 0, 0))

        run = QShortcut(QKeySequence("Ctrl+Return"), self)
        run.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        run.activated.connect(self._on_generate_clicked)
        run_enter = QShortcut(QKeySequence("Ctrl+Enter"), self)
        run_enter.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        run_enter.activated.connect(self._on_generate_clicked)
        stop = QShortcut(QKeySequence("Escape"), self)
        stop.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        stop.activated.connect(self._on_escape)
        paste = QShortcut(QKeySequence.StandardKey.Paste, self.sources)
        paste.setContext(Qt.ShortcutContext.WidgetShortcut)
        paste.activated.connect(self.paste_from_clipboard)

        self._set_mode_widgets()
        self.set_results_empty(True)

    # --- mode, model and options ---------------------------------------------------------------

    def mode(self) -> Mode:
        return self._mode

    def set_mode(self, mode: Mode, *, emit: bool = False) -> None:
        if mode == "variation" and not self.mode_buttons["variation"].isVisible():
            mode = "generate"
        changed = mode != self._mode
        self._mode = mode
        self.mode_buttons[mode].setChecked(True)
        self._set_mode_widgets()
        self.set_spec(self._spec)
        if changed and emit:
            self.mode_changed.emit(mode)
        if changed:
            self._changed()

    def set_variations_available(self, available: bool) -> None:
        self.mode_buttons["variation"].setVisible(available)
        self.gallery.set_variations_available(available)
        if not available and self._mode == "variation":
            self.set_mode("generate", emit=True)

    def set_mode_enabled(self, mode: Mode, enabled: bool, why: str = "") -> None:
        button = self.mode_buttons[mode]
        button.setEnabled(enabled)
        button.setToolTip("" if enabled else why)

    def _set_mode_widgets(self) -> None:
        mode = self._mode
        self.workspace.setVisible(mode != "generate")
        # Generate has no workspace: the results get the whole height.
        self.center_split.setSizes([0, 1] if mode == "generate" else [300, 200])
        self.mask_box.setVisible(mode == "edit")
        self.prompt.setEnabled(mode != "variation")
        self.prompt.setPlaceholderText(
            "Variations need no prompt: they start from the picture."
            if mode == "variation"
            else (
                "Describe the change: what to put in the painted area… (Ctrl+Enter)"
                if mode == "edit"
                else "Describe the picture: subject, style, light, composition… (Ctrl+Enter "
                "generates)"
            )
        )
        self._update_generate_text()

    def _update_generate_text(self) -> None:
        text = {"generate": "Generate", "edit": "Edit", "variation": "Make variations"}[self._mode]
        if self._retry_seconds:
            text += f" (wait {self._retry_seconds} s)"
        self.generate_button.setText(text)

    def set_models(
        self, models: Sequence[str | ModelChoice], current: str = "", default: str = ""
    ) -> None:
        """Lists the image models (ids, or choices with retirement badges); selects `current`."""
        with_signals = self.model_combo.blockSignals(True)
        self.model_combo.setPlaceholderText(
            "No image models: refresh the model list" if not models else ""
        )
        self.model_combo.set_choices(models, current, default)
        self.model_combo.blockSignals(with_signals)

    def model(self) -> str:
        return self.model_combo.currentText()

    def set_model(self, model: str) -> None:
        index = self.model_combo.findText(model)
        if index >= 0:
            self.model_combo.setCurrentIndex(index)

    def _on_model_changed(self, model: str) -> None:
        self.model_changed.emit(model)

    def set_spec(self, spec: ImageModelSpec) -> None:
        """Shows the options `spec` offers for the current mode, keeping values where possible."""
        self._spec = spec
        mode = self._mode
        variation = mode == "variation"
        self.model_note.setText(spec.note)
        self.model_note.setVisible(bool(spec.note))
        sizes = suggested_sizes(spec, mode)
        current_size = self.size_value()
        with _Blocked(self.size_combo):
            self.size_combo.clear()
            for size in sizes:
                self.size_combo.addItem(_label(size), size)
            custom = spec.custom_sizes and not variation
            self.size_combo.setEditable(custom)
            if custom:
                self.size_combo.setToolTip(
                    f"Pick a size or type one (width x height, multiples of {spec.size_multiple}, "
                    f"up to {spec.max_edge} px on the long side)"
                )
            else:
                self.size_combo.setToolTip("")
            self.set_size(current_size if current_size else spec.default_size(mode))
        self._fill(self.quality_combo, spec.qualities)
        self._fill(self.style_combo, spec.styles)
        self._fill(self.background_combo, spec.backgrounds)
        self._fill(self.format_combo, spec.output_formats)
        self._fill(self.moderation_combo, spec.moderation_levels)
        self._fill(self.fidelity_combo, spec.input_fidelity)
        with _Blocked(self.count_spin):
            self.count_spin.setMaximum(spec.max_n)
        with _Blocked(self.partials_spin):
            self.partials_spin.setMaximum(max(spec.max_partial_images, 0))
        visible = {
            "size": bool(sizes),
            "quality": bool(spec.qualities) and not variation,
            "style": bool(spec.styles) and not variation,
            "background": bool(spec.backgrounds) and not variation,
            "output_format": bool(spec.output_formats) and not variation,
            "output_compression": spec.compression and not variation,
            "moderation": bool(spec.moderation_levels) and not variation,
            "input_fidelity": bool(spec.input_fidelity) and mode == "edit",
            "n": True,
            "partial_images": spec.max_partial_images > 0 and not variation,
        }
        for key, (_row_label, cell, _error) in self._rows.items():
            self._form.setRowVisible(cell, visible[key])
        self._form.activate()  # close the gaps of hidden rows now, not at the next event
        self.mask_box.setVisible(mode == "edit" and spec.mask)
        self._update_compression()
        self._update_prompt_count()

    def _fill(self, box: QComboBox, values: tuple[str, ...]) -> None:
        current = box.currentData()
        with _Blocked(box):
            box.clear()
            for value in values:
                box.addItem(_label(value), value)
            index = box.findData(current)
            box.setCurrentIndex(index if index >= 0 else 0)

    def size_value(self) -> str:
        index = self.size_combo.currentIndex()
        text = self.size_combo.currentText()
        if index >= 0 and self.size_combo.itemText(index) == text:
            return str(self.size_combo.itemData(index))
        return normalize_size(text)

    def set_size(self, size: str) -> None:
        index = self.size_combo.findData(size)
        if index >= 0:
            self.size_combo.setCurrentIndex(index)
        elif self.size_combo.isEditable() and size:
            self.size_combo.setEditText(size)
        elif self.size_combo.count():
            self.size_combo.setCurrentIndex(0)

    def options(self) -> dict[str, Any]:
        """The form's values (what the controller turns into an `ImageRequest`)."""
        return {
            "prompt": self.prompt.toPlainText(),
            "size": self.size_value(),
            "quality": self.quality_combo.currentData() or "auto",
            "style": self.style_combo.currentData() or "",
            "background": self.background_combo.currentData() or "auto",
            "output_format": self.format_combo.currentData() or "png",
            "output_compression": self.compression_spin.value(),
            "moderation": self.moderation_combo.currentData() or "auto",
            "input_fidelity": self.fidelity_combo.currentData() or "",
            "n": self.count_spin.value(),
            "partial_images": self.partials_spin.value(),
        }

    def set_options(self, options: dict[str, Any]) -> None:
        """Puts saved or reused values back (unknown ones are ignored)."""
        if isinstance(options.get("prompt"), str):
            self.prompt.setPlainText(options["prompt"])
        if isinstance(options.get("size"), str):
            self.set_size(options["size"])
        for key, box in (
            ("quality", self.quality_combo),
            ("style", self.style_combo),
            ("background", self.background_combo),
            ("output_format", self.format_combo),
            ("moderation", self.moderation_combo),
            ("input_fidelity", self.fidelity_combo),
        ):
            select_data(box, options.get(key))
        for key, spin in (
            ("output_compression", self.compression_spin),
            ("n", self.count_spin),
            ("partial_images", self.partials_spin),
        ):
            value = options.get(key)
            if isinstance(value, int):
                spin.setValue(value)
        self._changed()

    def _changed(self) -> None:
        self._update_compression()
        self._update_prompt_count()
        self.options_changed.emit()

    def _update_compression(self) -> None:
        lossy = self.format_combo.currentData() in ("jpeg", "webp")
        self.compression_spin.setEnabled(lossy)
        self.compression_spin.setToolTip(
            "100 % keeps the most detail; lower makes smaller files"
            if lossy
            else "Only JPEG and WEBP can be compressed"
        )

    def _update_prompt_count(self) -> None:
        length = len(self.prompt.toPlainText())
        limit = self._spec.max_prompt
        self.prompt_count.setText(f"{length:,} / {limit:,} characters")
        over = length > limit
        self.prompt_count.setStyleSheet("color: #b3261e; font-weight: bold;" if over else "")

    # --- errors ---------------------------------------------------------------------------------

    def show_problems(self, problems: Mapping[str, str]) -> None:
        """Shows each message next to its control; clears the others (not the request error)."""
        for key, label in self._errors.items():
            if key == "request":
                continue
            label.show_text(problems.get(key, ""))

    def show_error(self, text: str, details: str = "", field: Field | str = "request") -> None:
        target = self._errors.get(field, self.error_label)
        target.show_text(text, details)

    def hide_error(self) -> None:
        self.error_label.show_text("")
        self.use_replacement.offer(None)

    def offer_replacement(self, error: AppError | None) -> None:
        """ "Use <model>" under a retired model's error (`AppError.replacement`), or nothing."""
        self.use_replacement.offer(error)

    def problem_text(self, field: str) -> str:
        label = self._errors.get(field)
        return label.text() if label is not None and label.isVisible() else ""

    def visible_problems(self) -> dict[str, str]:
        return {k: v.text() for k, v in self._errors.items() if not v.isHidden()}

    # --- busy and progress -----------------------------------------------------------------------

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.generate_button.setVisible(not busy)
        self.stop_button.setVisible(busy)
        self.progress.setVisible(busy)

    def set_status(self, text: str) -> None:
        self.status_label.setText(text)

    def set_estimate(self, text: str) -> None:
        self.estimate_label.setText(text)

    def set_generate_enabled(self, enabled: bool, why: str = "") -> None:
        self.generate_button.setEnabled(enabled)
        self.generate_button.setToolTip("Send the request (Ctrl+Enter)" if enabled else why)

    def set_retry_countdown(self, seconds: int) -> None:
        """Shows "(wait N s)" on the Generate button while a rate limit lasts; 0 clears it."""
        self._retry_seconds = max(seconds, 0)
        self._update_generate_text()

    def _on_generate_clicked(self) -> None:
        if not self._busy and self.generate_button.isEnabled():
            self.generate_requested.emit()

    def _on_escape(self) -> None:
        if self._busy:
            self.stop_requested.emit()

    # --- results ------------------------------------------------------------------------------

    def set_results_empty(self, empty: bool) -> None:
        self.results.setVisible(not empty)
        self.results_hint.setVisible(empty)

    def begin_results(self, count: int) -> None:
        """Makes `count` waiting tiles for a new request (older results stay below)."""
        self.set_results_empty(False)
        waiting = self._placeholder()
        for slot in range(count):
            item = QListWidgetItem(waiting, f"Picture {slot + 1}: waiting…")
            item.setData(Qt.ItemDataRole.UserRole, "")
            item.setData(Qt.ItemDataRole.UserRole + 1, slot)
            item.setSizeHint(QSize(RESULT_ICON + 12, RESULT_ICON + 36))
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
            self.results.insertItem(slot, item)
        self._fresh = count
        while self.results.count() > max(MAX_RESULTS, count):
            self.results.takeItem(self.results.count() - 1)
        self.results.scrollToTop()

    def _placeholder(self) -> QIcon:
        """A soft square in the palette's colours, where a picture will appear."""
        pixmap = QPixmap(RESULT_ICON, RESULT_ICON)
        pixmap.fill(self.palette().color(QPalette.ColorRole.AlternateBase))
        painter = QPainter(pixmap)
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        painter.drawRect(pixmap.rect().adjusted(0, 0, -1, -1))
        painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, "Waiting for the picture…")
        painter.end()
        return QIcon(pixmap)

    def _tile(self, slot: int) -> QListWidgetItem | None:
        if slot >= self._fresh or slot >= self.results.count():
            return None
        return self.results.item(slot)

    def show_partial(self, slot: int, partial: int, pixmap: QPixmap) -> None:
        tile = self._tile(slot)
        if tile is not None:
            tile.setIcon(QIcon(_fit(pixmap)))
            tile.setText(f"Picture {slot + 1}: sharpening ({partial + 1})…")

    def show_result(self, slot: int, pixmap: QPixmap, item_id: str, caption: str) -> None:
        tile = self._tile(slot)
        if tile is None:
            return
        tile.setIcon(QIcon(_fit(pixmap)))
        tile.setText(caption)
        tile.setData(Qt.ItemDataRole.UserRole, item_id)
        tile.setToolTip("Double-click to open large")

    def end_results(self, note: str) -> None:
        """Marks tiles that got no picture (stopped, failed) with `note`; they keep partials."""
        for slot in range(self._fresh):
            tile = self.results.item(slot)
            if tile is not None and not tile.data(Qt.ItemDataRole.UserRole):
                tile.setText(f"Picture {slot + 1}: {note}")
        self._fresh = 0

    def result_ids(self) -> list[str]:
        return [
            str(self.results.item(i).data(Qt.ItemDataRole.UserRole) or "")
            for i in range(self.results.count())
        ]

    def _on_result_activated(self, item: QListWidgetItem) -> None:
        item_id = item.data(Qt.ItemDataRole.UserRole)
        if item_id:
            self.result_activated.emit(str(item_id))

    # --- sources ------------------------------------------------------------------------------

    def set_sources(self, sources: list[tuple[str, QPixmap, str]]) -> None:
        """Shows the source pictures: (label, thumbnail, tooltip)."""
        self.sources.clear()
        for label, pixmap, tip in sources:
            item = QListWidgetItem(QIcon(pixmap), label)
            item.setToolTip(tip)
            self.sources.addItem(item)
        self.remove_source_button.setEnabled(bool(sources))

    def set_mask_image(self, image: QImage | None) -> None:
        if image is None:
            self.mask_painter.set_image(QImage())
        else:
            self.mask_painter.set_image(image)

    def painted_mask(self) -> tuple[bytes, int, int] | None:
        """The painted coverage and the mask's size, or None when nothing is painted."""
        canvas = self.mask_painter.canvas
        mask = canvas.mask_image()
        coverage = canvas.coverage()
        if mask.isNull() or not any(coverage):
            return None
        return coverage, mask.width(), mask.height()

    def paint_mask(self, points: list[tuple[float, float]], brush_size: int) -> None:
        """Paints one stroke on the mask as the user would, after fitting it to the view.

        Args:
            points: the stroke, as fractions of the picture's width and height.
            brush_size: the brush's diameter in picture pixels.
        """
        self.mask_painter.fit()
        canvas = self.mask_painter.canvas
        image = canvas.image()
        w, h = image.width(), image.height()
        canvas.brush_size = brush_size
        canvas.paint_stroke([QPointF(w * x, h * y) for x, y in points])

    def set_mask_notes(self, notes: list[str]) -> None:
        """Notes on how the first picture was converted, shown in the mask's title."""
        self.mask_title.setText(
            "<b>Mask</b> (on the first picture)"
            + (f" — <i>{'; '.join(notes)}</i>" if notes else "")
        )

    def variations_available(self) -> bool:
        return self.mode_buttons["variation"].isVisible()

    # --- the gallery --------------------------------------------------------------------------

    def show_viewer(self, item: LibraryItem, pixmap: QPixmap) -> ImageView:
        """Shows a saved picture large in the viewer (made on first use); its actions are
        emitted as `gallery_action_requested`."""
        if self._viewer is None:
            self._viewer = ImageView(self)
            self._viewer.action_requested.connect(self.gallery_action_requested)
        self._viewer.show_item(item, pixmap, self.variations_available())
        if self._viewer.isVisible():
            self._viewer.raise_()  # already open behind the window: bring it to the front
        else:
            self._viewer.show()
        return self._viewer

    def close_viewer(self, item_id: str | None = None) -> None:
        """Closes the viewer (only if it shows `item_id`, when given)."""
        if self._viewer is not None and item_id in (None, self._viewer.item_id):
            self._viewer.close()

    def set_thumbnail_source(self, source: Callable[[str], QPixmap | None]) -> None:
        """Where the gallery finds a thumbnail it already has (kept when it is listed again)."""
        self.gallery.thumbnail_for = source

    def set_gallery_items(self, items: list[LibraryItem], total: int | None = None) -> None:
        self.gallery.set_items(items, total)

    def add_gallery_item(self, item: LibraryItem) -> None:
        """A new picture, first in the gallery."""
        self.gallery.prepend(item)

    def update_gallery_item(self, item: LibraryItem) -> None:
        self.gallery.update_item(item)

    def remove_gallery_item(self, item_id: str, note: str = "") -> None:
        """Takes a picture out of the gallery; `note` offers Undo."""
        self.gallery.remove(item_id)
        if note:
            self.gallery.show_deleted(item_id, note)

    def select_gallery_item(self, item_id: str) -> None:
        self.gallery.select(item_id)

    def set_thumbnail(self, item_id: str, pixmap: QPixmap) -> None:
        self.gallery.set_thumbnail(item_id, pixmap)

    def ids_without_thumbnail(self) -> list[str]:
        """The shown pictures that have no thumbnail yet."""
        return self.gallery.ids_without_thumbnail()

    def _on_remove_source(self) -> None:
        row = self.sources.currentRow()
        if row < 0 and self.sources.count():
            row = self.sources.count() - 1
        if row >= 0:
            self.source_removed.emit(row)

    def paste_from_clipboard(self) -> None:
        from PySide6.QtWidgets import QApplication

        data = QApplication.clipboard().mimeData()
        if data is None:
            return
        self._take_mime(data)

    def _take_mime(self, data: QMimeData) -> bool:
        if data.hasUrls():
            paths = [url.toLocalFile() for url in data.urls() if url.isLocalFile()]
            if paths:
                self.files_dropped.emit(paths)
                return True
        if data.hasImage():
            image = data.imageData()
            if isinstance(image, QImage) and not image.isNull():
                self.image_pasted.emit(image)
                return True
        self.show_error("The clipboard holds no picture.", field="images")
        return False

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        data = event.mimeData()
        if data.hasUrls() or data.hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        if self._mode == "generate":
            self.set_mode("edit", emit=True)
        if self._take_mime(event.mimeData()):
            event.acceptProposedAction()


def _fit(pixmap: QPixmap) -> QPixmap:
    """At most twice the tile size (sharp on HiDPI screens without keeping 4K pictures in memory)."""
    side = RESULT_ICON * 2
    if pixmap.width() > side or pixmap.height() > side:
        pixmap = pixmap.scaled(
            side,
            side,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    return with_checker(pixmap)


class _Blocked:
    """`with _Blocked(widget):` — no signals while writing values back."""

    def __init__(self, widget: QWidget) -> None:
        self.widget = widget

    def __enter__(self) -> None:
        self._was = self.widget.blockSignals(True)

    def __exit__(self, *_exc: object) -> None:
        self.widget.blockSignals(self._was)
