"""The on-stream chat: the latest chat messages drawn onto the broadcast, as streamers show them
with an OBS chat overlay.

The effect knows nothing of chat servers: whoever has the messages hands it the latest lines
with :meth:`ChatOverlay.set_lines` (``(name, text)`` pairs, oldest first; an empty name is a
system line such as a gift). Everything is drawn as the literal characters people typed; no
markup is interpreted. Emoji are drawn in colour from the system's colour emoji font (Noto
Color Emoji, a bitmap font drawn at its one size and scaled); without that font they are left
out rather than drawn as empty boxes. The box is rendered once per change of lines or
parameters and then only blended onto each frame.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

import cv2
import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from filters.base import Category, VideoFilter
from filters.context import FrameContext
from filters.params import Param, amount, choice, integer, scalar
from filters.types import Image
from filters.video.overlay import POSITIONS, REFERENCE_HEIGHT, font_path, place
from filters.video.sprites import paste

ChatLine = tuple[str, str]  # (display name, text); "" as the name: a system line
NAME_COLOURS = ("#ff6b9a", "#9d86ff", "#5cb8ff", "#45dca0", "#ffc14d", "#ff8a5c", "#d77bff")
TEXT_COLOUR = "#ffffff"
SYSTEM_COLOUR = "#ffd66b"
MARGIN = 0.03  # of the frame's height, between the box and the frame's edges
PADDING = 0.5  # of the font size, inside the box
SPACING = 0.25  # of the font size, between lines
MAX_KEPT = 50  # lines the overlay keeps (far more than it can show)
NO_GLYPH = "\U0010fffd"  # a private-use character no font draws: the "missing glyph" box
EMOJI_FONT = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")  # fonts-noto-color-emoji
EMOJI_STRIKE = 109  # the one size Noto Color Emoji's bitmaps are drawn at
EMOJI_SCALE = 0.95  # an emoji's height, as a share of the font size's line box
EMOJI_PRESENTATION = "\ufe0f"  # after a character: "show me as an emoji"
PICTOGRAPHS = 0x1F000  # from here on, what the emoji font has is shown as an emoji by default
# Within an emoji: joiners, variation selectors, skin tones, keycaps and tags (subdivision flags).
EMOJI_JOINERS = frozenset(
    ["\u200d", "\ufe0e", "\ufe0f", "\u20e3"]
    + [chr(c) for c in range(0x1F3FB, 0x1F400)]
    + [chr(c) for c in range(0xE0020, 0xE0080)]
)


def name_colour(name: str) -> str:
    """A name's colour, the same for the same name in every run."""
    digest = hashlib.blake2s(name.encode(), digest_size=4).digest()
    return NAME_COLOURS[int.from_bytes(digest) % len(NAME_COLOURS)]


@dataclass(frozen=True)
class Run:
    """A piece of one drawn line in one font and colour."""

    text: str
    bold: bool
    colour: str
    emoji: bool = False  # drawn from the colour emoji font


class ChatOverlay(VideoFilter):
    id = "overlay.chat"
    name = "Chat"
    category = Category.OVERLAY
    description = "The latest chat messages on your stream, in a box you place and size."
    tags = ("overlay", "chat", "messages", "text")
    params: ClassVar[tuple[Param, ...]] = (
        choice("position", "Position", "bottom_left", POSITIONS),
        scalar("width", "Size", 34.0, 15.0, 100.0, 0.5, "% of width"),
        integer("lines", "Lines", 6, 1, 20, "lines"),
        integer("font_size", "Font size", 22, 10, 72, "px at 720p"),
        scalar("background", "Background opacity", 55.0, 0.0, 100.0, 1.0, "%"),
        amount("opacity", "Opacity", 100.0),  # the whole overlay's; at 0 it is off
    )

    def __init__(self, **values: object) -> None:
        super().__init__(**values)
        self._lines: tuple[ChatLine, ...] = ()
        self._lock = threading.Lock()  # lines are set on the UI thread, drawn on the pipeline's
        self._sprite: tuple[tuple[object, ...], Image] | None = None  # (what it shows, BGRA)

    def set_lines(self, lines: Sequence[ChatLine]) -> None:
        """The messages to show, oldest first (only the newest that fit are drawn)."""
        kept = tuple((str(name), str(text)) for name, text in lines[-MAX_KEPT:])
        with self._lock:
            self._lines = kept

    @property
    def lines(self) -> tuple[ChatLine, ...]:
        with self._lock:
            return self._lines

    def render(self, frame: Image, ctx: FrameContext) -> Image:
        lines = self.lines
        if not lines:
            return frame
        sprite = self._box(lines, ctx.width, ctx.height)
        x, y = self._origin(sprite, ctx.width, ctx.height)
        return paste(frame, sprite, x, y, self.fraction("opacity"))

    def _box(self, lines: tuple[ChatLine, ...], width: int, height: int) -> Image:
        key: tuple[object, ...] = (lines, width, height, tuple(sorted(self.values.items())))
        cached = self._sprite
        if cached is not None and cached[0] == key:
            return cached[1]
        scale = height / REFERENCE_HEIGHT
        size = max(6, round(self.number("font_size") * scale))
        box_width = max(4 * size, round(self.number("width") / 100.0 * width))
        sprite = draw_box(lines, size, box_width, int(self.number("lines")), self.background)
        self._sprite = (key, sprite)
        return sprite

    @property
    def background(self) -> int:
        return round(self.number("background") / 100.0 * 255)

    def _origin(self, sprite: Image, width: int, height: int) -> tuple[int, int]:
        box_h, box_w = sprite.shape[:2]
        return place(self.text("position"), (box_w, box_h), (width, height), MARGIN * height)


def draw_box(
    lines: Sequence[ChatLine], size: int, width: int, max_lines: int, background: int
) -> Image:
    """The chat box as a BGRA sprite: the newest messages, wrapped to ``width``, as many as
    fit in ``max_lines`` lines, on a rounded dark box of ``background`` alpha."""
    regular, bold = font("sans", size), font("sans_bold", size)
    pad = round(PADDING * size)
    room = width - 2 * pad
    drawn = newest_that_fit(lines, room, (regular, bold), max_lines)
    line_height = round(size * (1 + SPACING))
    height = 2 * pad + line_height * len(drawn) - round(SPACING * size)
    canvas = PILImage.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=pad, fill=(12, 12, 18, background))
    for row, runs in enumerate(drawn):
        x, y = float(pad), pad + row * line_height
        for run in runs:
            if run.emoji:
                picture = emoji_picture(run.text, size)
                top = y + (size - picture.height) // 2 + round(0.1 * size)
                canvas.alpha_composite(picture, (round(x), max(0, top)))
                x += picture.width
                continue
            face = bold if run.bold else regular
            draw.text((x, y), run.text, font=face, fill=run.colour, stroke_width=1,
                      stroke_fill=(0, 0, 0, 160))  # fmt: skip
            x += face.getlength(run.text)
    sprite = cv2.cvtColor(np.asarray(canvas), cv2.COLOR_RGBA2BGRA)
    sprite.flags.writeable = False
    return sprite


@lru_cache(maxsize=16)
def font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path(name)), size)


def newest_that_fit(
    lines: Sequence[ChatLine],
    room: int,
    fonts: tuple[ImageFont.FreeTypeFont, ImageFont.FreeTypeFont],
    max_lines: int,
) -> list[list[Run]]:
    """The drawn lines of the newest whole messages that fit in ``max_lines`` (a message is
    never cut at its start: a newest one longer than the box shows its first lines)."""
    shown: list[list[Run]] = []
    for name, text in reversed(lines):
        message = wrap(message_runs(name, text), room, *fonts)
        if len(shown) + len(message) > max_lines:
            return shown or message[:max_lines]
        shown = message + shown
    return shown


def message_runs(name: str, text: str) -> list[Run]:
    """One message as coloured runs: the name in bold in its colour, then the text; emoji in
    either as runs of their own."""
    if not name:
        return styled(text, False, SYSTEM_COLOUR)
    return styled(name, True, name_colour(name)) + styled(" " + text, False, TEXT_COLOUR)


def styled(text: str, bold: bool, colour: str) -> list[Run]:
    """``text`` as runs in one style: emoji apart, characters no font here draws left out."""
    runs = []
    for piece, emoji in emoji_split(text, bold):
        shown = piece if emoji else drawable(piece, bold)
        if shown:
            runs.append(Run(shown, bold, colour, emoji))
    return runs


def emoji_split(text: str, bold: bool) -> list[tuple[str, bool]]:
    """``text`` cut into pieces that are emoji sequences (True) or not (False). A character the
    emoji font draws is an emoji when it is one of the pictographs from U+1F000 on, when the
    text font lacks it, or when it asks for emoji presentation (U+FE0F after it, as in ❤️);
    joiners, skin tones and the like stay with the emoji before them."""
    pieces: list[tuple[str, bool]] = []
    for index, ch in enumerate(text):
        follows = text[index + 1 : index + 2]
        in_emoji = bool(pieces) and pieces[-1][1]
        emoji = (in_emoji and ch in EMOJI_JOINERS) or (
            has_emoji(ch)
            and (ord(ch) >= PICTOGRAPHS or not has_glyph(ch, bold) or follows == EMOJI_PRESENTATION)
        )
        if pieces and pieces[-1][1] == emoji:
            pieces[-1] = (pieces[-1][0] + ch, emoji)
        else:
            pieces.append((ch, emoji))
    return pieces


@lru_cache(maxsize=1)
def emoji_face() -> ImageFont.FreeTypeFont | None:
    """The colour emoji font, or None where it is not installed (emoji are then left out)."""
    try:
        return ImageFont.truetype(str(EMOJI_FONT), EMOJI_STRIKE)
    except OSError:
        return None


@lru_cache(maxsize=4096)
def has_emoji(ch: str) -> bool:
    face = emoji_face()
    if face is None or ch.isascii():
        return False
    top, bottom = face.getbbox(ch)[1::2]
    return bottom > top  # a character the font lacks has an empty box


@lru_cache(maxsize=512)
def emoji_picture(text: str, size: int) -> PILImage.Image:
    """``text`` (emoji only) in colour, scaled from the font's bitmaps to ``size`` px text."""
    face = emoji_face()
    assert face is not None, "emoji runs exist only where the emoji font does"
    left, top, right, bottom = (round(edge) for edge in face.getbbox(text))
    strike = PILImage.new("RGBA", (max(1, right - left), max(1, bottom - top)), (0, 0, 0, 0))
    ImageDraw.Draw(strike).text((-left, -top), text, font=face, embedded_color=True)
    scale = EMOJI_SCALE * size / (bottom - top or 1)
    target = (max(1, round(strike.width * scale)), max(1, round(strike.height * scale)))
    return strike.resize(target, PILImage.Resampling.LANCZOS)


def drawable(text: str, bold: bool) -> str:
    """``text`` without the characters the overlay's font has no glyph for (many emoji): they
    would be drawn as empty boxes on the stream."""
    return "".join(ch for ch in text if has_glyph(ch, bold))


@lru_cache(maxsize=4096)
def has_glyph(ch: str, bold: bool) -> bool:
    if ch.isascii():
        return True
    face = font("sans_bold" if bold else "sans", 22)
    return bytes(face.getmask(ch)) != bytes(face.getmask(NO_GLYPH))


def wrap(
    runs: list[Run], room: int, regular: ImageFont.FreeTypeFont, bold: ImageFont.FreeTypeFont
) -> list[list[Run]]:
    """``runs`` broken into lines no wider than ``room`` px, between words where it can (a
    word wider than a whole line is broken between characters)."""
    lines: list[list[Run]] = [[]]
    used = 0.0
    for run in runs:
        if run.emoji:  # never broken: a sequence is one picture
            picture_width = emoji_picture(run.text, round(regular.size)).width
            if used + picture_width > room and used > 0:
                lines.append([])
                used = 0.0
            lines[-1].append(run)
            used += picture_width
            continue
        face = bold if run.bold else regular
        for piece in _pieces(run.text):
            width = face.getlength(piece)
            if used + width > room and used > 0:
                lines.append([])
                used = 0.0
                piece = piece.lstrip(" ")
                width = face.getlength(piece)
            while width > room and len(piece) > 1:  # a word longer than a line
                cut = _fitting(piece, room - used, face)
                lines[-1].append(Run(piece[:cut], run.bold, run.colour))
                lines.append([])
                used, piece = 0.0, piece[cut:]
                width = face.getlength(piece)
            _append(lines[-1], Run(piece, run.bold, run.colour))
            used += width
    return [line for line in lines if line]


def _append(line: list[Run], run: Run) -> None:
    """Add ``run`` to ``line``, joined to the last run when it looks the same (fewer, longer
    runs draw faster)."""
    last = line[-1] if line else None
    if last is not None and (last.bold, last.colour, last.emoji) == (run.bold, run.colour, False):
        line[-1] = Run(last.text + run.text, run.bold, run.colour)
    else:
        line.append(run)


def _pieces(text: str) -> list[str]:
    """Words with the spaces before them ("a b" → ["a", " b"])."""
    pieces: list[str] = []
    for index, word in enumerate(text.split(" ")):
        pieces.append(word if index == 0 else " " + word)
    return [piece for piece in pieces if piece]


def _fitting(piece: str, room: float, face: ImageFont.FreeTypeFont) -> int:
    """How many leading characters of ``piece`` fit in ``room`` px (at least one)."""
    cut = 1
    while cut < len(piece) and face.getlength(piece[: cut + 1]) <= room:
        cut += 1
    return cut
