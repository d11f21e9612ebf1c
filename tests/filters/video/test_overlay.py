import numpy as np
from PIL import ImageFont

from filters.context import FrameContext
from filters.types import Image
from filters.video.overlay import Sticker, TextOverlay, font_path
from tests.filters.helpers import changed


def test_text_is_drawn_where_asked(scene: Image) -> None:
    out = TextOverlay(text="Hello", position="bottom_right", size=60).process(
        scene, FrameContext(scene)
    )
    diff = changed(scene, out)
    ys, xs = np.nonzero(diff)
    assert xs.min() > scene.shape[1] * 0.6 and ys.min() > scene.shape[0] * 0.7
    assert diff.sum() > 800


def test_text_size_scales_with_frame_and_colour_is_used(scene: Image) -> None:
    small = scene[::2, ::2].copy()
    big_out = TextOverlay(text="W", color="#ff0000", outline_width=0).process(
        scene, FrameContext(scene)
    )
    small_out = TextOverlay(text="W", color="#ff0000", outline_width=0).process(
        small, FrameContext(small)
    )
    ratio = changed(scene, big_out).sum() / changed(small, small_out).sum()
    assert 3.0 < ratio < 5.0
    drawn = big_out[changed(scene, big_out, 60)]
    assert (drawn[:, 2] > 200).mean() > 0.6


def test_sticker_position_and_size(scene: Image) -> None:
    out = Sticker(sticker="heart", x=25.0, y=50.0, size=10.0).process(scene, FrameContext(scene))
    ys, xs = np.nonzero(changed(scene, out, 20))
    assert abs(xs.mean() - 0.25 * scene.shape[1]) < 10
    assert abs(ys.mean() - 0.5 * scene.shape[0]) < 12
    assert 0.07 * scene.shape[1] < xs.max() - xs.min() < 0.11 * scene.shape[1]


def test_empty_text_draws_nothing(scene: Image) -> None:
    assert TextOverlay(text="   ").process(scene, FrameContext(scene)) is scene


def test_text_is_drawn_as_the_characters_typed() -> None:
    """Markup, entities and escapes are characters, drawn as such (the ink is as wide as the
    literal string, not as the text markup would leave)."""
    black = np.zeros((720, 1280, 3), np.uint8)
    face = ImageFont.truetype(str(font_path("sans_bold")), 48)
    for typed, as_markup in (("<b>LIVE</b>", "LIVE"), ("A&amp;B", "A&B"), ("<br>x", "x")):
        out = TextOverlay(text=typed, outline_width=0).process(black, FrameContext(black))
        xs = np.nonzero(changed(black, out))[1]
        width = int(xs.max() - xs.min() + 1)
        assert abs(width - face.getlength(typed)) <= 12, typed  # ink vs advance: bearings
        assert abs(width - face.getlength(as_markup)) > 40, typed
