"""Scene source kinds: what each shows, and the placeholder with a clear message when one
cannot show anything (a missing file, no X11 display, a source that fails)."""

from __future__ import annotations

import datetime
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image as PILImage

from filters.params import ParamError
from studio.core.scenes.compositor import PLACEHOLDER_RGB, Compositor, SourceRack
from studio.core.scenes.model import SceneCollection, Transform
from studio.core.scenes.sources import (
    KINDS,
    ColorSource,
    ImageSource,
    MediaSource,
    Picture,
    TextSource,
    check_values,
    describe_kinds,
)

PLACEHOLDER_BGR = PLACEHOLDER_RGB[::-1]


def one_layer(kind: str, values: dict[str, object], box: Transform) -> tuple[Compositor, str]:
    collection = SceneCollection(canvas="1280x720")
    source = collection.add_source(kind, kind.title(), values)  # type: ignore[arg-type]
    scene = collection.add_scene("Only")
    collection.add_layer(scene.id, source.id, box)
    rack = SourceRack(lambda: None)
    rack.sync(collection.sources)
    return Compositor(collection, rack), source.id


def test_every_kind_declares_parameters_the_ui_can_build_controls_from() -> None:
    described = {kind["kind"]: kind for kind in describe_kinds()}
    kinds = {"camera", "screen", "window", "image", "text", "color", "media"}
    assert set(described) == set(KINDS) == kinds
    text = {p["name"]: p for p in described["text"]["parameters"]}
    assert text["mode"]["choices"] == ["text", "clock", "countdown"]
    assert text["color"]["type"] == "color" and text["size"]["type"] == "int"
    assert described["image"]["parameters"][0]["extensions"] == [".png", ".jpg", ".jpeg", ".gif"]
    with pytest.raises(ParamError, match="size: 1000 is above the maximum"):
        check_values("text", {"size": 1000})
    with pytest.raises(ParamError, match="unknown source kind 'webcam'"):
        check_values("webcam", {})


def test_a_missing_image_shows_a_placeholder_that_says_so(tmp_path: Path) -> None:
    missing = tmp_path / "logo.png"
    compositor, source_id = one_layer(
        "image", {"path": str(missing)}, Transform(100, 100, 400, 200)
    )
    canvas = compositor.compose(time.monotonic())
    assert compositor.rack.status(source_id) == f"Image file not found: {missing}"
    shown = canvas[100:300, 100:500]
    assert (shown[5, 5] == PLACEHOLDER_BGR).all()  # the placeholder's background...
    assert (shown.max(axis=2) > 200).any()  # ...with the message written on it
    assert not canvas[:100].any() and not canvas[300:].any()


def test_a_png_with_transparency_leaves_the_canvas_showing(tmp_path: Path) -> None:
    path = tmp_path / "badge.png"
    pixels = np.zeros((20, 20, 4), np.uint8)
    pixels[5:15, 5:15] = (255, 0, 0, 255)  # an opaque red square, the rest transparent
    PILImage.fromarray(pixels, "RGBA").save(path)
    compositor, source_id = one_layer("image", {"path": str(path)}, Transform(0, 0, 20, 20))
    canvas = compositor.compose(time.monotonic())
    assert compositor.rack.status(source_id) == ""
    assert (canvas[5:15, 5:15] == (0, 0, 255)).all()
    assert not canvas[:5].any() and not canvas[15:].any()


def test_an_animated_gif_plays_its_frames_in_time(tmp_path: Path) -> None:
    path = tmp_path / "blink.gif"
    frames = [PILImage.new("RGB", (8, 8), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=[100, 300], loop=0)
    source = ImageSource({"path": str(path)})
    source.start()
    started = source.picture(0.0)
    assert started is not None
    at = started.captured_at  # the animation's start
    colours = [tuple(source.picture(at + t).image[0, 0]) for t in (0.05, 0.2, 0.39, 0.45)]  # type: ignore[union-attr]
    assert colours == [(0, 0, 255), (255, 0, 0), (255, 0, 0), (0, 0, 255)]


def test_text_shows_words_a_clock_or_a_countdown() -> None:
    at = datetime.datetime(2026, 12, 6, 19, 58, 30)
    assert TextSource({"text": "Hello"}).words(at) == "Hello"
    assert TextSource({"mode": "clock", "clock_format": "%H:%M"}).words(at) == "19:58"
    assert TextSource({"mode": "countdown", "countdown_to": "20:00"}).words(at) == "1:30"
    assert TextSource({"mode": "countdown", "countdown_to": "21:00"}).words(at) == "1:01:30"


def test_text_is_drawn_in_its_colour_with_an_outline_over_its_background() -> None:
    values = {"text": "Hi", "color": "#ff0000", "outline": 3, "outline_color": "#00ff00"}
    source = TextSource({**values, "background": True, "background_color": "#0000ff"})
    source.start()
    picture = source.picture(0.0)
    assert isinstance(picture, Picture) and picture.alpha is not None
    colours = {tuple(c) for c in picture.image.reshape(-1, 3)}
    assert {(0, 0, 255), (0, 255, 0), (255, 0, 0)} <= colours  # text, outline, background
    assert picture.alpha.min() > 0 and picture.alpha.max() == 255  # 60 % background
    assert source.picture(1.0) is picture  # unchanged words are not drawn again


def test_a_countdown_to_a_time_that_is_not_one_says_so() -> None:
    compositor, source_id = one_layer(
        "text", {"mode": "countdown", "countdown_to": "25:99"}, Transform(0, 0, 200, 100)
    )
    assert "'25:99' is not a time like 20:30" in compositor.rack.status(source_id)


def test_a_gradient_runs_from_the_first_colour_to_the_second() -> None:
    source = ColorSource({"color": "#000000", "color2": "#ffffff", "gradient": "horizontal"})
    source.start()
    picture = source.picture(0.0)
    assert picture is not None
    assert (picture.image[:, 0] == 0).all() and (picture.image[:, -1] == 255).all()
    assert (np.diff(picture.image[0, :, 0].astype(int)) >= 0).all()


def write_clip(path: Path, colours: list[tuple[int, int, int]], fps: float = 20.0) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (32, 32))
    for colour in colours:
        writer.write(np.full((32, 32, 3), colour, np.uint8))
    writer.release()


def test_a_media_file_loops(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    write_clip(path, [(0, 0, 250)] * 4 + [(250, 0, 0)] * 4)  # 0.4 s, red then blue
    source = MediaSource({"path": str(path)})
    source.start()
    seen: list[int] = []
    deadline = time.monotonic() + 10
    while len(seen) < 3 and time.monotonic() < deadline:  # red, blue, red again
        picture = source.picture(time.monotonic())
        colour = int(np.argmax(picture.image[16, 16])) if picture is not None else -1
        if colour >= 0 and (not seen or seen[-1] != colour):
            seen.append(colour)
        time.sleep(0.01)
    source.close()
    assert seen == [2, 0, 2] and source.status == ""


def test_a_missing_media_file_says_so(tmp_path: Path) -> None:
    source = MediaSource({"path": str(tmp_path / "gone.mp4")})
    source.start()
    deadline = time.monotonic() + 10
    while source.picture(0.0) is None and not source.status and time.monotonic() < deadline:
        time.sleep(0.01)
    assert source.status == f"Video file not found: {tmp_path / 'gone.mp4'}"


def test_screen_capture_without_a_display_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")
    compositor, source_id = one_layer("screen", {}, Transform(0, 0, 640, 360))
    deadline = time.monotonic() + 10
    while not compositor.rack.status(source_id) and time.monotonic() < deadline:
        compositor.compose(time.monotonic())
        time.sleep(0.01)
    assert "Wayland session" in compositor.rack.status(source_id)
    compositor.rack.close()


def test_a_source_that_fails_becomes_a_placeholder_and_the_others_go_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: ColorSource, now: float) -> Picture | None:
        raise RuntimeError("the GPU caught fire")

    monkeypatch.setattr(ColorSource, "picture", broken)
    collection = SceneCollection(canvas="1280x720")
    fill = collection.add_source("color", "Fill")
    words = collection.add_source("text", "Words", {"text": "still here"})
    scene = collection.add_scene("Only")
    collection.add_layer(scene.id, fill.id, Transform(0, 0, 100, 100))
    collection.add_layer(scene.id, words.id, Transform(200, 0, 300, 100))
    rack = SourceRack(lambda: None)
    rack.sync(collection.sources)
    canvas = Compositor(collection, rack).compose(time.monotonic())
    assert rack.status(fill.id) == "Fill failed: the GPU caught fire"
    assert (canvas[5, 5] == PLACEHOLDER_BGR).all()
    assert canvas[:, 200:500].max() == 255  # the text was drawn
