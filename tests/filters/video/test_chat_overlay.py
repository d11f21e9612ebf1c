"""The on-stream chat overlay: where and how big its box is, which messages it shows, and that
what people typed is drawn as those characters."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import ImageFont

from filters import registry
from filters.context import FrameContext
from filters.types import Image
from filters.video import chat_overlay
from filters.video.chat_overlay import ChatOverlay, emoji_picture, emoji_split
from filters.video.overlay import font_path
from tests.filters.helpers import changed

CHAT = [("Noah", "hello!"), ("Mia", "great stream"), ("", "Noah sent 5× Rose"), ("Ava", "hi")]


def drawn(overlay: ChatOverlay, frame: Image) -> Image:
    return overlay.process(frame, FrameContext(frame))


def box_of(before: Image, after: Image) -> tuple[int, int, int, int]:
    """x0, y0, x1, y1 of the pixels the overlay changed."""
    ys, xs = np.nonzero(changed(before, after))
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


def test_it_is_an_overlay_effect_with_the_declared_parameters() -> None:
    described = registry.get("overlay.chat").describe()
    assert described["category"] == "overlay"
    names = [p["name"] for p in described["parameters"]]
    assert names == ["position", "width", "lines", "font_size", "background", "opacity"]


def test_without_messages_the_frame_is_untouched(scene: Image) -> None:
    overlay = ChatOverlay()
    assert drawn(overlay, scene) is scene
    overlay.set_lines(CHAT)
    overlay.set_lines([])
    assert drawn(overlay, scene) is scene


def test_the_box_sits_where_asked_and_is_as_wide_as_asked(scene: Image) -> None:
    height, width = scene.shape[:2]
    overlay = ChatOverlay(position="bottom_left", width=40.0, background=100.0)
    overlay.set_lines(CHAT)
    x0, y0, x1, y1 = box_of(scene, drawn(overlay, scene))
    assert x0 < 0.05 * width and y1 > 0.95 * height and y0 > height / 2
    assert abs((x1 - x0 + 1) - 0.4 * width) <= 2
    overlay.update(position="top_right", width=25.0)
    x0, y0, x1, y1 = box_of(scene, drawn(overlay, scene))
    assert x1 > 0.95 * width and y0 < 0.05 * height and y1 < height / 2
    assert abs((x1 - x0 + 1) - 0.25 * width) <= 2


def test_only_the_newest_messages_that_fit_are_shown(scene: Image) -> None:
    two = ChatOverlay(lines=2)
    two.set_lines(CHAT)
    newest = ChatOverlay(lines=2)
    newest.set_lines(CHAT[-2:])
    older = ChatOverlay(lines=2)
    older.set_lines(CHAT[-3:-1])
    assert np.array_equal(drawn(two, scene), drawn(newest, scene))
    assert not np.array_equal(drawn(two, scene), drawn(older, scene))


def test_a_long_message_wraps_and_takes_the_lines_it_needs(scene: Image) -> None:
    overlay = ChatOverlay(width=20.0, lines=3, background=100.0)
    overlay.set_lines([("Noah", "short")])
    _, short_top, _, short_bottom = box_of(scene, drawn(overlay, scene))
    overlay.set_lines([("Noah", "a message long enough to need three lines in a narrow box")])
    _, top, _, bottom = box_of(scene, drawn(overlay, scene))
    assert (bottom - top) - (short_bottom - short_top) >= 2 * 22  # two more lines of 22 px


def test_font_size_and_background_opacity(scene: Image) -> None:
    small = ChatOverlay(font_size=16, background=100.0)
    big = ChatOverlay(font_size=32, background=100.0)
    for overlay in (small, big):
        overlay.set_lines(CHAT)
    _, small_top, _, small_bottom = box_of(scene, drawn(small, scene))
    _, big_top, _, big_bottom = box_of(scene, drawn(big, scene))
    assert 1.7 < (big_bottom - big_top) / (small_bottom - small_top) < 2.3
    clear = ChatOverlay(background=0.0)
    clear.set_lines(CHAT)
    solid_changes = changed(scene, drawn(big, scene)).sum()
    assert changed(scene, drawn(clear, scene)).sum() < solid_changes / 4  # only the letters
    x0, y0, x1, y1 = box_of(scene, drawn(small, scene))
    box = drawn(small, scene)[y0 : y1 + 1, x0 : x1 + 1]
    assert box.mean() < scene[y0 : y1 + 1, x0 : x1 + 1].mean() / 3  # a dark box behind


def text_width(overlay: ChatOverlay, frame: Image) -> int:
    x0, _, x1, _ = box_of(frame, drawn(overlay, frame))
    return x1 - x0 + 1


def test_names_and_messages_are_drawn_as_the_characters_typed() -> None:
    black = np.zeros((720, 1280, 3), np.uint8)
    face = ImageFont.truetype(str(font_path("sans")), 22)
    for typed, as_markup in (
        ("<b>hi</b> &amp; <i>you</i>", "hi & you"),
        ('<script>alert("x")</script>', ""),
        ("[b]big[/b] **bold** {{name}}", "big bold name"),
    ):
        overlay = ChatOverlay(width=100.0, background=0.0)
        overlay.set_lines([("", typed)])  # a system line: one font, no name
        width = text_width(overlay, black)
        assert abs(width - face.getlength(typed)) <= 10, typed  # ink vs advance: bearings
        assert abs(width - face.getlength(as_markup)) > 40, typed


def test_lines_come_from_a_setter_and_are_copied(scene: Image) -> None:
    overlay = ChatOverlay()
    lines = [("Noah", "hello!")]
    overlay.set_lines(lines)
    lines.append(("Mia", "later"))
    assert overlay.lines == (("Noah", "hello!"),)


def saturated_hues(before: Image, after: Image) -> set[int]:
    """The hues (in 12 bins) of the strongly coloured pixels that changed from ``before``."""
    hsv = cv2.cvtColor(after, cv2.COLOR_BGR2HSV)
    strong = changed(before, after) & (hsv[..., 1] > 120) & (hsv[..., 2] > 80)
    bins, counts = np.unique(hsv[..., 0][strong] // 15, return_counts=True)
    return {int(b) for b, n in zip(bins, counts, strict=True) if n >= 10}


def test_emoji_are_drawn_in_colour_not_as_boxes() -> None:
    """🎉 is no glyph of the text font: a tofu box (white, like the text) is what it used to
    risk; drawn from the colour emoji font it is many strongly coloured pixels."""
    black = np.zeros((720, 1280, 3), np.uint8)
    plain = ChatOverlay(background=0.0, font_size=40)
    plain.set_lines([("Noah", "party time")])
    party = ChatOverlay(background=0.0, font_size=40)
    party.set_lines([("Noah", "party time 🎉")])
    before, after = drawn(plain, black), drawn(party, black)
    assert len(saturated_hues(before, after)) >= 3  # the popper's red, yellow, blue, ...
    boxed = ChatOverlay(background=0.0, font_size=40)
    boxed.set_lines([("Noah", "party time \u25a1")])  # □: what a tofu box looks like
    assert saturated_hues(before, drawn(boxed, black)) == set()


def test_an_emoji_sequence_is_one_picture() -> None:
    family = emoji_picture("\U0001f468\u200d\U0001f469\u200d\U0001f467", 22)  # 👨‍👩‍👧
    assert family.size == emoji_picture("🎉", 22).size
    assert emoji_split("go 👍🏽!", bold=False) == [("go ", False), ("👍🏽", True), ("!", False)]
    assert emoji_split("I ❤️ it, ❤ too", bold=False)[1] == ("❤️", True)  # asked for as emoji
    assert emoji_split("I ❤️ it, ❤ too", bold=False)[2] == (" it, ❤ too", False)


def test_without_the_emoji_font_emoji_are_left_out_not_boxed(
    scene: Image, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    caches = (chat_overlay.emoji_face, chat_overlay.has_emoji, chat_overlay.emoji_picture)
    monkeypatch.setattr(chat_overlay, "EMOJI_FONT", tmp_path / "missing.ttf")
    for cached in caches:
        cached.cache_clear()
    try:
        with_party = ChatOverlay()
        with_party.set_lines([("Noah", "just ordered 2 🎉")])
        without = ChatOverlay()
        without.set_lines([("Noah", "just ordered 2 ")])
        assert np.array_equal(drawn(with_party, scene), drawn(without, scene))
    finally:
        for cached in caches:  # what they learnt without the font
            cached.cache_clear()
