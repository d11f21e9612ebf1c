"""Write the generated assets: colour-look ``.cube`` files and sticker images.

python -m filters.build_assets [ASSETS_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
from PIL import Image as PILImage

from filters import art
from filters.assets import assets_dir
from filters.types import Image
from filters.video.looks import LOOKS
from filters.video.lut import Lut3D, write_cube

CUBE_SIZE = 17
SHEET_NAME = "spinning_star_4x4.png"
"""A sprite sheet: the ``_<columns>x<rows>`` suffix tells the loader how to cut it."""


def _pil(image: Image) -> PILImage.Image:
    return PILImage.fromarray(cv2.cvtColor(image, cv2.COLOR_BGRA2RGBA))


def write_luts(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, look in LOOKS.items():
        title = name.replace("_", " ").title()
        write_cube(Lut3D.from_look(look, CUBE_SIZE, title), folder / f"{name}.cube")


def write_stickers(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, draw in art.STICKERS.items():
        _pil(draw()).save(folder / f"{name}.png", optimize=True)
    beat = [_pil(f) for f in art.heart_beat()]
    beat[0].save(folder / "heart_beat.gif", save_all=True, append_images=beat[1:],
                 duration=70, loop=0, disposal=2)  # fmt: skip
    twinkle = [_pil(f) for f in art.twinkle()]
    twinkle[0].save(folder / "twinkle.png", save_all=True, append_images=twinkle[1:],
                    duration=60, loop=0, disposal=1)  # fmt: skip
    cells = art.spinning_star()
    rows = [cv2.hconcat(cells[r * 4 : r * 4 + 4]) for r in range(4)]
    _pil(cv2.vconcat(rows)).save(folder / SHEET_NAME, optimize=True)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0]) if args else assets_dir()
    write_luts(root / "luts")
    write_stickers(root / "stickers")
    print(f"assets written under {root}")


if __name__ == "__main__":
    main()
