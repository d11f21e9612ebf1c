"""Layer transforms are pixel-exact: position, clipping, crops, scaling of flat areas, quarter
turns, alpha blending and aspect-keeping boxes."""

from __future__ import annotations

import numpy as np

from studio.core.scenes.layers import draw, prepare
from studio.core.scenes.model import Transform
from studio.core.scenes.sources import Picture
from studio.core.sources import Image

RED, GREEN, BLUE, WHITE = (0, 0, 255), (0, 255, 0), (255, 0, 0), (255, 255, 255)


def quadrants(width: int = 40, height: int = 20) -> Image:
    """Red top-left, green top-right, blue bottom-left, white bottom-right."""
    image = np.zeros((height, width, 3), np.uint8)
    image[: height // 2, : width // 2] = RED
    image[: height // 2, width // 2 :] = GREEN
    image[height // 2 :, : width // 2] = BLUE
    image[height // 2 :, width // 2 :] = WHITE
    return image


def composed(picture: Picture, transform: Transform, size: tuple[int, int] = (100, 60)) -> Image:
    canvas = np.zeros((size[1], size[0], 3), np.uint8)
    placed = prepare(picture, transform)
    assert placed is not None
    draw(canvas, placed)
    return canvas


def opaque(image: Image) -> Picture:
    return Picture(image, None, 0.0)


def test_an_unscaled_layer_lands_at_its_position_pixel_for_pixel() -> None:
    image = quadrants()
    canvas = composed(opaque(image), Transform(7, 11, 40, 20))
    assert np.array_equal(canvas[11:31, 7:47], image)
    canvas[11:31, 7:47] = 0
    assert not canvas.any()  # nothing else was touched


def test_a_layer_partly_off_the_canvas_is_clipped() -> None:
    image = quadrants()
    canvas = composed(opaque(image), Transform(-20, -10, 40, 20))
    assert np.array_equal(canvas[0:10, 0:20], image[10:20, 20:40])
    canvas = composed(opaque(image), Transform(90, 50, 40, 20))
    assert np.array_equal(canvas[50:60, 90:100], image[0:10, 0:10])


def test_a_crop_cuts_source_pixels_from_each_edge() -> None:
    image = np.arange(20 * 40 * 3, dtype=np.uint32).reshape(20, 40, 3).astype(np.uint8)
    crop = Transform(
        5, 5, 40 - 3 - 4, 20 - 2 - 6, crop_left=3, crop_top=2, crop_right=4, crop_bottom=6
    )
    canvas = composed(opaque(image), crop)
    assert np.array_equal(canvas[5 : 5 + 12, 5 : 5 + 33], image[2:14, 3:36])


def test_a_cropped_quadrant_scaled_up_fills_its_box_with_its_colour() -> None:
    top_right = Transform(10, 10, 60, 30, crop_left=20, crop_bottom=10)
    canvas = composed(opaque(quadrants()), top_right)
    assert (canvas[10:40, 10:70] == GREEN).all()
    assert not canvas[:10].any() and not canvas[40:].any()


def test_quarter_turns_rotate_clockwise_about_the_centre_exactly() -> None:
    image = quadrants(40, 20)
    canvas = composed(opaque(image), Transform(30, 20, 40, 20, rotation=90.0))
    # A 40x20 box turned a quarter keeps its centre (50, 30) and becomes 20x40.
    assert np.array_equal(canvas[10:50, 40:60], np.rot90(image, -1))
    assert (canvas[10:30, 50:60] == RED).all()  # red (top-left) went to the top right
    upside_down = composed(opaque(image), Transform(30, 20, 40, 20, rotation=180.0))
    assert np.array_equal(upside_down[20:40, 30:70], image[::-1, ::-1])


def test_other_angles_leave_transparent_corners() -> None:
    image = np.full((20, 20, 3), 200, np.uint8)
    canvas = composed(opaque(image), Transform(40, 20, 20, 20, rotation=45.0))
    assert (canvas[30, 50] == 200).all()  # the centre
    assert not canvas[21, 41].any()  # the box's corner is outside the turned square


def test_alpha_blends_exactly_at_the_ends_and_evenly_between() -> None:
    image = np.full((10, 30, 3), 200, np.uint8)
    alpha = np.zeros((10, 30), np.uint8)
    alpha[:, 10:20] = 255
    alpha[:, 20:] = 128
    canvas = np.full((10, 30, 3), 100, np.uint8)
    placed = prepare(Picture(image, alpha, 0.0), Transform(0, 0, 30, 10))
    assert placed is not None
    draw(canvas, placed)
    assert (canvas[:, :10] == 100).all()
    assert (canvas[:, 10:20] == 200).all()
    assert (canvas[:, 20:] == round((200 * 128 + 100 * 127) / 255)).all()


def test_keep_aspect_fits_the_picture_inside_its_box_centred() -> None:
    image = np.full((10, 40, 3), 255, np.uint8)  # 4:1
    canvas = composed(opaque(image), Transform(0, 0, 80, 60, keep_aspect=True))
    rows = np.flatnonzero(canvas[:, 40, 0])
    assert (rows.min(), rows.max()) == (20, 39)  # 80x20, centred in the 60-pixel-high box
    assert (canvas[20:40, :80] == 255).all()


def test_a_crop_that_leaves_nothing_draws_nothing() -> None:
    crop = Transform(0, 0, 10, 10, crop_left=30, crop_right=30)
    assert prepare(opaque(quadrants()), crop) is None


def test_alpha_blending_rounds_to_the_nearest_for_every_alpha_and_canvas_value() -> None:
    alpha, below = np.meshgrid(np.arange(256), np.arange(256), indexing="ij")
    for value in (0, 1, 99, 127, 128, 200, 254, 255):
        image = np.full((256, 256, 3), value, np.uint8)
        canvas = np.repeat(below[..., None], 3, axis=2).astype(np.uint8)
        placed = prepare(Picture(image, alpha.astype(np.uint8), 0.0), Transform(0, 0, 256, 256))
        assert placed is not None
        draw(canvas, placed)
        expected = np.floor((value * alpha + below * (255 - alpha)) / 255 + 0.5)
        assert np.array_equal(canvas[..., 1], expected.astype(np.uint8))
