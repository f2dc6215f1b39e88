"""Renders the app icon from its SVG source into the formats each OS packages want.

    python scripts/make_icons.py

Writes resources/app/playground.png (256 px, Linux desktop entry), playground.ico (Windows) and
playground.icns (macOS). Run it after changing resources/icons/playground.svg and commit the output.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "resources" / "icons" / "playground.svg"
OUT = ROOT / "resources" / "app"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PIL import Image
    from PySide6.QtCore import QBuffer, QIODevice, QRectF, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        print(f"cannot read {SOURCE}", file=sys.stderr)
        return 1
    images: dict[int, Image.Image] = {}
    for size in SIZES:
        canvas = QImage(size, size, QImage.Format.Format_ARGB32)
        canvas.fill(Qt.GlobalColor.transparent)
        painter = QPainter(canvas)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        canvas.save(buffer, "PNG")
        images[size] = Image.open(io.BytesIO(bytes(buffer.data().data()))).convert("RGBA")
    OUT.mkdir(parents=True, exist_ok=True)
    images[256].save(OUT / "playground.png")
    images[256].save(OUT / "playground.ico", sizes=[(s, s) for s in (16, 24, 32, 48, 64, 128, 256)])
    images[1024].save(OUT / "playground.icns")
    del app
    for name in ("playground.png", "playground.ico", "playground.icns"):
        print(OUT / name, (OUT / name).stat().st_size, "bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
