import numpy as np

from filters.context import FrameContext
from filters.types import Image
from filters.video.overlay import Sticker, TextOverlay
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
