"""LUTs: the shipped looks match their reference transforms; .cube files round-trip."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from filters import registry
from filters.context import FrameContext
from filters.types import Image
from filters.video import lut as lut_module
from filters.video.color import CustomLut, LutFilter, look_path
from filters.video.looks import LOOKS
from filters.video.lut import (
    CubeError,
    Lut3D,
    atlas_lut,
    compile_lut,
    read_cube,
    table_position,
    write_cube,
)


def _reference(image: Image, look_name: str) -> np.ndarray:
    rgb = image[..., ::-1].astype(np.float32) / 255.0
    return np.clip(LOOKS[look_name](rgb), 0, 1)[..., ::-1] * 255.0


def test_at_least_eight_looks_ship() -> None:
    shipped = sorted(p.stem for p in look_path("x").parent.glob("*.cube"))
    assert len(shipped) >= 8
    assert set(shipped) == set(LOOKS)


@pytest.mark.parametrize("look", sorted(LOOKS))
def test_shipped_look_matches_its_transform(look: str, scene: Image) -> None:
    effect = registry.create(f"color.{look}", {"intensity": 100.0})
    assert isinstance(effect, LutFilter)
    out = effect.process(scene, FrameContext(scene))
    error = np.abs(out.astype(np.float32) - _reference(scene, look))
    assert error.mean() < 1.5
    assert np.percentile(error, 99.9) < 6


def test_apply_matches_trilinear_sampling() -> None:
    rng = np.random.default_rng(3)
    table = np.clip(rng.normal(0.5, 0.2, (9, 9, 9, 3)), 0, 1).astype(np.float32)
    lut = Lut3D(table)
    image = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    expected = lut.sample(image[..., ::-1].astype(np.float32) / 255.0)[..., ::-1] * 255.0
    out = compile_lut(lut).apply(image)
    assert np.abs(out - expected).mean() < 1.5


def test_cube_round_trip_and_custom_file(tmp_path: Path, scene: Image) -> None:
    lut = Lut3D.from_look(lambda rgb: 1.0 - rgb, size=5, title="Negative")
    path = tmp_path / "negative.cube"
    write_cube(lut, path)
    loaded = read_cube(path)
    assert loaded.title == "Negative"
    assert np.allclose(loaded.table, lut.table, atol=1e-5)
    out = CustomLut(cube=str(path), intensity=100.0).process(scene, FrameContext(scene))
    assert np.abs(out.astype(int) - (255 - scene.astype(int))).max() <= 2


def test_intensity_mixes_with_the_original(scene: Image) -> None:
    full = registry.create("color.noir", {"intensity": 100.0}).process(scene, FrameContext(scene))  # type: ignore[attr-defined]
    half = registry.create("color.noir", {"intensity": 50.0}).process(scene, FrameContext(scene))  # type: ignore[attr-defined]
    expected = cv2.addWeighted(full, 0.5, scene, 0.5, 0)
    assert np.abs(half.astype(int) - expected).max() <= 1


@pytest.mark.parametrize(
    "text",
    ["LUT_3D_SIZE 2\n0 0 0\n", "LUT_1D_SIZE 4\n", "LUT_3D_SIZE 2\n" + "0 0 x\n" * 8],
)
def test_bad_cube_files_are_rejected(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bad.cube"
    path.write_text(text)
    with pytest.raises(CubeError):
        read_cube(path)


def test_domain_is_normalised(tmp_path: Path) -> None:
    rows = [f"{r * 2} {g * 2} {b * 2}" for b in (0, 1) for g in (0, 1) for r in (0, 1)]
    path = tmp_path / "domain.cube"
    path.write_text("LUT_3D_SIZE 2\nDOMAIN_MIN 0 0 0\nDOMAIN_MAX 2 2 2\n" + "\n".join(rows))
    assert read_cube(path).table.max() == 1.0


@pytest.mark.parametrize("look", ["warm", "noir"])  # a per-channel curve and the atlas
@pytest.mark.parametrize("intensity", [100.0, 60.0])
def test_a_chain_grades_its_own_copy_in_place(look: str, intensity: float, scene: Image) -> None:
    effect = registry.create(f"color.{look}", {"intensity": intensity})
    assert isinstance(effect, LutFilter)
    original = scene.copy()
    ctx = FrameContext(scene, reuse_buffers=True)
    first = effect.process(scene, ctx)
    assert first is not scene and np.array_equal(scene, original)
    expected = effect.process(first, FrameContext(first))
    assert effect.process(first, ctx) is first  # the chain's own copy: no new frame
    assert np.array_equal(first, expected)


def test_the_general_path_in_strips_equals_one_pass(
    scene: Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    lut = compile_lut(Lut3D.from_look(LOOKS["cinematic"], size=17))
    assert lut.curves is None
    in_strips = lut.apply(scene, 0.7)
    monkeypatch.setattr(lut_module, "TABLE_STRIP_ROWS", scene.shape[0])
    assert np.array_equal(in_strips, lut.apply(scene, 0.7))


@pytest.mark.parametrize("look", ["cinematic", "noir", "golden_hour"])
@pytest.mark.parametrize("strength", [1.0, 0.6])
def test_the_baked_table_grades_as_the_atlas_interpolation(
    look: str, strength: float, scene: Image
) -> None:
    """The table lookup gives the very pixels of the trilinear atlas remap it replaced."""
    lut = read_cube(look_path(look))
    rng = np.random.default_rng(5)
    noise = rng.integers(0, 256, (97, 131, 3), dtype=np.uint8)  # every part of the table
    atlas, table = atlas_lut(lut), compile_lut(lut)
    for image in (scene, noise):
        graded = atlas.remap(image)
        expected = (
            cv2.addWeighted(graded, strength, image, 1 - strength, 0) if strength < 1 else graded
        )
        assert np.array_equal(table.apply(image, strength), expected)


def test_the_table_holds_every_colour_where_table_position_points() -> None:
    swap = Lut3D.from_look(lambda rgb: rgb[..., ::-1], size=3)  # red and blue trade places
    lut = compile_lut(swap)
    assert lut.curves is None
    blue, green, red = np.meshgrid(*[np.arange(0, 256, 5, dtype=np.uint8)] * 3, indexing="ij")
    colours = np.stack([blue, green, red], axis=-1).reshape(-1, 1, 3)
    column, row = table_position(colours)[:, 0].T.astype(int)
    found = lut.table[row, column]
    assert np.array_equal(found, atlas_lut(swap).remap(colours)[:, 0])
    assert np.abs(found.astype(int) - colours[:, 0, ::-1]).max() <= 4


def test_a_mixed_table_is_made_once_a_strength_holds(scene: Image) -> None:
    """A slider being dragged (a new strength each frame) mixes frames; a strength asked for
    twice in a row gets a table of its own."""
    lut = compile_lut(Lut3D.from_look(LOOKS["noir"], size=9))
    lut_module._mixed_colours.cache_clear()
    dragged = [lut.apply(scene, strength) for strength in (0.3, 0.4, 0.5)]
    assert lut_module._mixed_colours.cache_info().currsize == 0
    held = lut.apply(scene, 0.5)
    assert lut_module._mixed_colours.cache_info().currsize == 1
    assert np.array_equal(held, dragged[-1])
