"""Render packaging/icons/onair-studio.svg to the PNG sizes desktops look for.

python packaging/render_icons.py  (Qt's SVG renderer; no display needed)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parent / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(svg: Path, size: int, target: Path) -> None:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    QSvgRenderer(str(svg)).render(painter)
    painter.end()
    if not image.save(str(target)):
        raise OSError(f"cannot write {target}")


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QGuiApplication(sys.argv[:1])
    svg = ICONS / "onair-studio.svg"
    for size in SIZES:
        render(svg, size, ICONS / f"onair-studio-{size}.png")
    print(f"wrote {len(SIZES)} PNGs to {ICONS}")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
