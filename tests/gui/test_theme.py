"""Both palettes meet WCAG AA and icons follow the palette (issue 20, item 17)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QSize
from PySide6.QtGui import QColor, QIcon, QImage, QPalette
from PySide6.QtWidgets import QApplication, QCheckBox, QPushButton, QRadioButton

from playground.ui.shell.theme import (
    DARK,
    LIGHT,
    apply_theme,
    contrast_ratio,
    control_border,
    icon,
    icon_color,
)

R = QPalette.ColorRole
G = QPalette.ColorGroup

#: Text on its background: 4.5:1 (WCAG 2.1 AA, 1.4.3).
TEXT_PAIRS = [
    (R.WindowText, R.Window),
    (R.Text, R.Base),
    (R.Text, R.AlternateBase),
    (R.ButtonText, R.Button),
    (R.HighlightedText, R.Highlight),
    (R.ToolTipText, R.ToolTipBase),
    (R.PlaceholderText, R.Base),
    (R.Link, R.Base),
    (R.Link, R.Window),
]


@pytest.fixture(params=[LIGHT, DARK])
def palette(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[QPalette]:
    before = QApplication.palette()
    apply_theme(qapp, request.param)
    yield QApplication.palette()
    QApplication.setPalette(before)


@pytest.mark.parametrize(
    ("fg", "bg"), TEXT_PAIRS, ids=[f"{f.name}-on-{b.name}" for f, b in TEXT_PAIRS]
)
@pytest.mark.parametrize("group", [G.Active, G.Inactive])
def test_text_contrast_is_aa(palette: QPalette, fg: R, bg: R, group: G) -> None:
    ratio = contrast_ratio(palette.color(group, fg), palette.color(group, bg))
    assert ratio >= 4.5, f"{fg.name} on {bg.name}: {ratio:.2f}:1"


@pytest.mark.parametrize("ground", [R.Window, R.Base, R.Button])
def test_control_borders_and_icons_reach_3_to_1(palette: QPalette, ground: R) -> None:
    background = palette.color(G.Active, ground)
    assert contrast_ratio(control_border(palette), background) >= 3.0
    assert contrast_ratio(icon_color(QIcon.Mode.Normal, palette), background) >= 3.0


def test_selected_icons_reach_3_to_1(palette: QPalette) -> None:
    on = palette.color(G.Active, R.Highlight)
    assert contrast_ratio(icon_color(QIcon.Mode.Selected, palette), on) >= 3.0


def _ink(image: QImage, ground: QColor) -> QColor:
    """The pixel of `image` that differs most from `ground` (what was drawn on it)."""
    best, best_ratio = ground, 1.0
    for y in range(image.height()):
        for x in range(image.width()):
            c = image.pixelColor(x, y)
            if c.alpha() < 200:
                continue
            ratio = contrast_ratio(c, ground)
            if ratio > best_ratio:
                best, best_ratio = c, ratio
    return best


@pytest.mark.parametrize("kind", [QCheckBox, QRadioButton])
def test_an_empty_check_box_or_radio_button_can_be_seen(
    palette: QPalette, qtbot: Any, kind: type[QCheckBox] | type[QRadioButton]
) -> None:
    box = kind("")
    qtbot.addWidget(box)
    box.resize(box.sizeHint())
    image = box.grab().toImage()
    window = palette.color(G.Active, R.Window)
    # the outline is the strongest thing drawn: at least 3:1 against the window behind it
    assert contrast_ratio(_ink(image, window), window) >= 3.0


def _icon_ink(pixmap_image: QImage) -> QColor:
    """The colour of the most opaque pixel of an icon."""
    best = QColor(0, 0, 0, 0)
    for y in range(pixmap_image.height()):
        for x in range(pixmap_image.width()):
            c = pixmap_image.pixelColor(x, y)
            if c.alpha() > best.alpha():
                best = c
    return best


@pytest.mark.parametrize("name", ["send", "stop", "refresh", "clear", "copy"])
def test_icons_made_before_a_palette_switch_follow_it(qapp: QApplication, name: str) -> None:
    before = QApplication.palette()
    try:
        apply_theme(qapp, LIGHT)
        made_in_light = icon(name)
        light_ink = _icon_ink(made_in_light.pixmap(QSize(24, 24)).toImage())
        apply_theme(qapp, DARK)
        dark = QApplication.palette()
        dark_ink = _icon_ink(made_in_light.pixmap(QSize(24, 24)).toImage())
        assert dark_ink.rgb() != light_ink.rgb()
        assert contrast_ratio(dark_ink, dark.color(G.Active, R.Button)) >= 3.0
        disabled = _icon_ink(made_in_light.pixmap(QSize(24, 24), QIcon.Mode.Disabled).toImage())
        assert disabled.rgb() == dark.color(G.Disabled, R.ButtonText).rgb()
    finally:
        QApplication.setPalette(before)


def test_a_button_icon_is_drawn_in_the_current_palette(qapp: QApplication, qtbot: Any) -> None:
    before = QApplication.palette()
    try:
        apply_theme(qapp, LIGHT)
        button = QPushButton(icon("stop"), "")
        qtbot.addWidget(button)
        button.resize(40, 30)
        apply_theme(qapp, DARK)
        image = button.grab().toImage()
        ground = QApplication.palette().color(G.Active, R.Button)
        centre = image.pixelColor(QPoint(image.width() // 2, image.height() // 2))
        assert contrast_ratio(centre, ground) >= 3.0  # not black on dark grey
    finally:
        QApplication.setPalette(before)


def test_unknown_icon_is_null() -> None:
    assert icon("no-such-icon").isNull()
    assert not icon("send").isNull()


def test_contrast_ratio_reference_values() -> None:
    assert contrast_ratio(QColor("black"), QColor("white")) == pytest.approx(21.0)
    assert contrast_ratio(QColor("white"), QColor("white")) == pytest.approx(1.0)
    assert contrast_ratio(QColor("#767676"), QColor("white")) == pytest.approx(4.54, abs=0.01)
    half_black = QColor(0, 0, 0, 128)
    assert contrast_ratio(half_black, QColor("white")) == pytest.approx(
        contrast_ratio(QColor(127, 127, 127), QColor("white")), abs=0.05
    )
