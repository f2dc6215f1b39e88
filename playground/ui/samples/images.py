"""Sample content of the Images tab for `--screenshot`: a gallery, two fresh results, an estimate,
then the edit mode with a painted mask and a picture opened large.

The pictures are drawn with Qt (no network, no model). Only the controller's and the view's public
methods are used.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QBuffer, QIODevice, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QImage, QLinearGradient, QPainter, QPainterPath, QPixmap
from PySide6.QtWidgets import QApplication, QWidget

from playground.core.api.catalog import CatalogSnapshot
from playground.core.images.caps import ImageRequest, image_spec
from playground.core.images.files import prepare_upload
from playground.core.models import ModelInfo
from playground.ui.images.controller import ImagesController, Source

if TYPE_CHECKING:
    from playground.ui.common.feature import FeatureController

# As OpenAI lists them in December 2026: the gpt-image-1 family retired on 1 December.
SAMPLE_MODELS = (
    ModelInfo("gpt-image-1-mini", created=1_740_000_000, shutdown_date="2026-12-01"),
    ModelInfo("gpt-image-1.5", created=1_760_000_000, shutdown_date="2026-12-01"),
    ModelInfo("gpt-image-2", created=1_780_000_000),
)
SAMPLE_MODEL = "gpt-image-2"
SAMPLE_PROMPTS = (
    "A lighthouse on a cliff at dusk, warm windows, long exposure sea, watercolour",
    "Isometric cosy reading nook with plants and a sleeping cat, soft morning light",
    "Minimal poster of a hot-air balloon over striped fields, risograph style",
    "Macro photo of dew on a spider web, bokeh, early sun",
    "Paper-cut diorama of a night city with glowing windows",
    "A friendly robot watering tomatoes in a greenhouse, children's book illustration",
)


def fill(controller: FeatureController) -> list[tuple[str, QWidget]]:
    """Fills the tab; returns the further pictures (the edit mode, the viewer)."""
    assert isinstance(controller, ImagesController)
    _fill_generate(controller)
    return _edit_screens(controller)


def sample_picture(seed: int, width: int = 512, height: int = 512) -> bytes:
    """A pleasant abstract picture drawn with Qt (no network, no model): sky, sun, hills."""
    palettes = (
        ("#1d2b64", "#f8cdda", "#ffd86b", "#2d3a4a", "#51606f"),
        ("#0f9b8e", "#e0f7f4", "#fff3b0", "#2f6846", "#4f8a5b"),
        ("#ff7e5f", "#feb47b", "#fff1c1", "#6b3e26", "#9c5a3c"),
        ("#3a1c71", "#d76d77", "#ffaf7b", "#241a3b", "#45325e"),
        ("#56ccf2", "#e6f7ff", "#fffbe0", "#2f80ed", "#1b4f9c"),
        ("#134e5e", "#71b280", "#f4f1bb", "#0b2e36", "#1f5f4a"),
    )
    top, bottom, sun, far, near = (QColor(c) for c in palettes[seed % len(palettes)])
    image = QImage(width, height, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    sky = QLinearGradient(0, 0, 0, height)
    sky.setColorAt(0, top)
    sky.setColorAt(1, bottom)
    painter.fillRect(image.rect(), sky)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(sun)
    r = width * (0.09 + 0.02 * (seed % 3))
    painter.drawEllipse(QPointF(width * (0.3 + 0.08 * (seed % 5)), height * 0.38), r, r)
    for color, base, amp in ((far, 0.62, 0.08), (near, 0.76, 0.1)):
        path = QPainterPath(QPointF(0, height))
        steps = 8
        for i in range(steps + 1):
            x = width * i / steps
            y = height * (base + amp * (((i * 7 + seed * 3) % 5) / 4 - 0.5))
            path.lineTo(x, y)
        path.lineTo(width, height)
        path.closeSubpath()
        painter.setBrush(color)
        painter.drawPath(path)
    painter.setBrush(QColor(255, 255, 255, 60))
    painter.drawRoundedRect(QRectF(width * 0.55, height * 0.18, width * 0.3, height * 0.06), 12, 12)
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stubs say bytes; 6.11 wants str
    return bytes(buffer.data().data())


def _pixmap(data: bytes) -> QPixmap:
    pixmap = QPixmap()
    pixmap.loadFromData(data)
    return pixmap


def _fill_generate(controller: ImagesController) -> None:
    """A gallery of sample pictures, two fresh results and an estimate: what the tab is for."""
    controller.show_models(CatalogSnapshot("openai", SAMPLE_MODELS, 0.0))
    view = controller.view
    view.set_model(SAMPLE_MODEL)
    library = controller.library
    for i, prompt in enumerate(SAMPLE_PROMPTS[2:], start=2):
        data = sample_picture(i)
        item = library.add(
            data,
            "png",
            {
                "mode": "generate",
                "model": SAMPLE_MODEL,
                "prompt": prompt,
                "params": {"size": "1024x1024", "quality": "medium"},
                "width": 512,
                "height": 512,
                "cost": Decimal("0.034"),
            },
        )
        controller.show_saved_picture(item, _pixmap(data))
    view.set_options(
        {
            "prompt": SAMPLE_PROMPTS[0],
            "quality": "medium",
            "n": 2,
            "partial_images": 2,
            "size": "1024x1024",
        }
    )
    request = ImageRequest("generate", SAMPLE_MODEL, SAMPLE_PROMPTS[0], n=2, quality="medium")
    view.begin_results(2)
    for slot in range(2):
        data = sample_picture(slot)
        meta: dict[str, Any] = {
            "mode": request.mode,
            "model": request.model,
            "prompt": request.prompt,
            "params": request.params(),
            "index": slot,
            "n": request.n,
            "width": 512,
            "height": 512,
            "format": "png",
            "provider": controller.session.profile.name,
        }
        item = library.add(data, "png", meta)
        pixmap = _pixmap(data)
        controller.show_saved_picture(item, pixmap)
        view.show_result(slot, pixmap, item.id, f"Picture {slot + 1} · 512×512")
    view.end_results("no picture")
    view.set_status("Done: 2 pictures · 14.2 s · 2,120 tokens · $0.068")
    QApplication.processEvents()


def _edit_screens(controller: ImagesController) -> list[tuple[str, QWidget]]:
    """The edit mode with a painted mask, and a picture opened large; switched back afterwards."""
    view = controller.view
    view.set_mode("edit", emit=True)
    data = sample_picture(0, 768, 512)
    upload = prepare_upload(data, image_spec(view.model()))
    controller.replace_sources([Source("lighthouse.png", data, upload)])
    view.set_options({"prompt": "Add a small red sailing boat on the sea"})
    QApplication.processEvents()
    view.paint_mask([(0.2 + 0.06 * i, 0.84 - 0.02 * (i % 2)) for i in range(9)], 44)
    QApplication.processEvents()
    window = view.window()
    items = controller.library.items()
    viewer = controller.open_viewer(items[-1]) if items else None
    screens: list[tuple[str, QWidget]] = [("edit", window)]
    if viewer is not None:
        viewer.resize(820, 640)
        QApplication.processEvents()
        viewer.fit()
        screens.append(("view", viewer))

    def _back() -> None:
        view.set_mode("generate", emit=True)
        view.set_options({"prompt": SAMPLE_PROMPTS[0]})
        if viewer is not None:
            viewer.close()

    QTimer.singleShot(0, _back)
    return screens
