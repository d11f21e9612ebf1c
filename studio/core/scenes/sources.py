"""Scene source kinds: what a layer can show, each with declared parameters (no Qt).

A kind is a :class:`SceneSource` subclass with ``kind``, ``label``, ``description`` and
``params`` (the same :class:`filters.params.Param` declarations effects use, so the studio
builds a source's properties panel the way it builds an effect's). An instance holds one set
of values and hands the compositor its current :class:`Picture` (BGR pixels and an optional
alpha mask; a source hands out the very same arrays while its pixels stay the same, so
unchanged layers are not scaled again). A source that cannot show anything (a missing file,
no X11 display) returns None and says why in ``status``; the compositor draws a placeholder
with that message instead of stopping. Sources no scene on air shows are paused (a screen is
not grabbed, a file not decoded) and resumed before their scene goes on air; ``fresh_since``
says when a resumed source shows a new picture again.

Kinds: ``camera`` (the studio's camera with the effect chain: the only layer effects touch),
``screen`` (X11 screen or region, :mod:`studio.core.scenes.capture`), ``image`` (PNG/JPEG,
animated GIF), ``text`` (plain, clock or countdown), ``color`` (fill or gradient) and
``media`` (a looping video file).
"""

from __future__ import annotations

import datetime
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Final

import numpy as np
from numpy.typing import NDArray
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont, ImageSequence, UnidentifiedImageError

from filters.assets import asset
from filters.base import Parameterised
from filters.params import (
    Param,
    ParamError,
    ParamValue,
    choice,
    color,
    file,
    flag,
    hex_to_bgr,
    integer,
    scalar,
    text,
)
from studio.core.frames import ProcessedFrame
from studio.core.scenes import capture, windows
from studio.core.sources import (
    FileSource,
    Image,
    SourceFrame,
    VideoSource,
    continue_after_pause,
)

log = logging.getLogger(__name__)

Mask = NDArray[np.uint8]
CameraFrames = Callable[[], ProcessedFrame | None]
"""The studio's camera after the effect chain: its newest frame, or None (no camera yet)."""

IMAGE_EXTENSIONS: Final = (".png", ".jpg", ".jpeg", ".gif")
VIDEO_EXTENSIONS: Final = (".mp4", ".mov", ".mkv", ".webm", ".avi")
FONT_EXTENSIONS: Final = (".ttf", ".otf")


@dataclass(frozen=True)
class Picture:
    image: Image  # BGR
    alpha: Mask | None  # H x W, 255 = opaque; None for a fully opaque picture
    captured_at: float  # time.monotonic() when the pixels were taken


class SceneSource(Parameterised):
    """One source's live side: started, asked for pictures by the compositor, closed."""

    kind: ClassVar[str]
    label: ClassVar[str]
    description: ClassVar[str] = ""

    def __init__(self, values: Mapping[str, object] | None = None) -> None:
        self.status = ""  # why there is no picture, for a person ("" when all is well)
        super().__init__(**dict(values or {}))

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """The kind for the UI: ``parameters`` are :meth:`filters.params.Param.describe`
        entries, as an effect's are."""
        return {
            "kind": cls.kind,
            "label": cls.label,
            "description": cls.description,
            "parameters": [cls.describe_param(param) for param in cls.params],
        }

    @classmethod
    def describe_param(cls, param: Param, value: ParamValue | None = None) -> dict[str, Any]:
        """``param`` for the properties panel, which shows ``value`` (a kind may offer what
        there is to pick from right now, e.g. the open windows)."""
        return param.describe()

    def start(self) -> None:
        """Open what the source reads (a file, a capture thread). Problems go to ``status``."""

    def picture(self, now: float) -> Picture | None:
        raise NotImplementedError

    def pause(self) -> None:
        """Stop capturing until :meth:`resume` (no scene on air shows the source)."""

    def resume(self) -> None:
        """Capture again (a scene showing the source is about to go on air)."""

    def fresh_since(self, moment: float) -> bool:
        """Whether the picture is one taken at ``moment`` (``time.monotonic()``) or later, or
        the source has nothing newer to wait for (a still picture, a problem)."""
        return True

    def close(self) -> None:
        """Stop reading (threads end, devices close)."""


# ---- the camera ------------------------------------------------------------------------
class CameraLayer(SceneSource):
    kind = "camera"
    label = "Camera"
    description = "The camera picked in the source menu, with your effects."

    def __init__(self, values: Mapping[str, object] | None, camera: CameraFrames) -> None:
        super().__init__(values)
        self._camera = camera

    def picture(self, now: float) -> Picture | None:
        frame = self._camera()
        if frame is None:
            self.status = "Waiting for the camera…"
            return None
        self.status = ""
        return Picture(frame.image, None, frame.captured_at)

    def fresh_since(self, moment: float) -> bool:
        frame = self._camera()
        return frame is None or frame.captured_at >= moment


# ---- sources read by a thread of their own -------------------------------------------
class Feed:
    """Reads a video source on its own thread and keeps its newest frame.

    ``opener`` runs on that thread (opening a file or a display may take a moment); an
    OSError it raises, or the source ending, becomes ``problem``.
    """

    def __init__(self, opener: Callable[[], VideoSource], name: str) -> None:
        self.problem = ""
        self._opener = opener
        self._latest: SourceFrame | None = None
        self._source: VideoSource | None = None
        self._closed = threading.Event()
        self._awake = threading.Event()  # cleared while paused
        self._awake.set()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def latest(self) -> SourceFrame | None:
        return self._latest

    def pause(self) -> None:
        """Read no more frames until :meth:`resume` (the newest one stays)."""
        self._awake.clear()

    def resume(self) -> None:
        self._awake.set()

    def close(self) -> None:
        self._closed.set()
        self._awake.set()  # a paused thread wakes up to end
        source = self._source
        if source is not None:
            source.close()

    def _run(self) -> None:
        try:
            source = self._source = self._opener()
        except OSError as exc:
            self.problem = str(exc)
            return
        if self._closed.is_set():
            source.close()
            return
        while not self._closed.is_set():
            if not self._awake.is_set():
                self._awake.wait()
                continue_after_pause(source)
                continue
            try:
                frame = source.read()
            except Exception as exc:  # the layer shows why; the program goes on
                log.warning("%s stopped: %s", self._thread.name, exc)
                self.problem = str(exc)
                return
            if frame is None:
                if not self._closed.is_set():
                    self.problem = "the source ended"
                return
            self._latest = frame


class FeedSource(SceneSource):
    """A kind whose pictures come from a :class:`Feed`."""

    _feed: Feed | None = None
    keeps_last_frame: ClassVar[bool] = False  # after a problem: the last frame, or nothing

    def open(self) -> VideoSource:
        """The video source to read (on the feed's thread); OSError when it cannot open."""
        raise NotImplementedError

    def problem(self, reason: str) -> str:
        """``status`` for a feed that stopped with ``reason``."""
        return reason

    def start(self) -> None:
        self._feed = Feed(self.open, f"scene-{self.kind}")
        self._feed.start()

    def picture(self, now: float) -> Picture | None:
        feed = self._feed
        if feed is None:
            return None
        newest = feed.latest()
        if feed.problem:
            self.status = self.problem(feed.problem)
            if not self.keeps_last_frame:
                return None
        if newest is None:
            return None
        return Picture(newest.image, None, newest.captured_at)

    def pause(self) -> None:
        if self._feed is not None:
            self._feed.pause()

    def resume(self) -> None:
        if self._feed is not None:
            self._feed.resume()

    def fresh_since(self, moment: float) -> bool:
        feed = self._feed
        if feed is None or feed.problem:
            return True
        newest = feed.latest()
        return newest is not None and newest.captured_at >= moment

    def close(self) -> None:
        if self._feed is not None:
            self._feed.close()


class MediaSource(FeedSource):
    kind = "media"
    label = "Media file"
    description = "A video file, played in a loop."
    keeps_last_frame = True  # a clip that played once stays on its last frame
    params = (
        file("path", "File", "", VIDEO_EXTENSIONS),
        flag("loop", "Loop", True),
    )

    def open(self) -> VideoSource:
        path = Path(self.text("path"))
        if not path.is_file():
            raise OSError(f"Video file not found: {path}")
        return FileSource(path, loop=self.flag("loop"))


class ScreenSource(FeedSource):
    kind = "screen"
    label = "Screen capture"
    description = "A whole screen or a part of it (X11)."
    params = (
        integer("monitor", "Screen", 1, 0, 16),
        integer("x", "Left", 0, 0, 16384, "px"),
        integer("y", "Top", 0, 0, 16384, "px"),
        integer("width", "Width", 0, 0, 16384, "px"),
        integer("height", "Height", 0, 0, 16384, "px"),
        integer("fps", "Frames per second", 30, 1, 60, "fps"),
    )

    def open(self) -> VideoSource:
        region = capture.Region(
            int(self.number("x")),
            int(self.number("y")),
            int(self.number("width")),
            int(self.number("height")),
        )
        return capture.ScreenGrabber(int(self.number("monitor")), region, self.number("fps"))

    def problem(self, reason: str) -> str:
        return f"Screen capture is not available: {reason}"


class WindowSource(FeedSource):
    kind = "window"
    label = "Window capture"
    description = "One application window, found by its title, followed when it moves (X11)."
    params = (
        text("window", "Window", "", 300),
        integer("fps", "Frames per second", 30, 1, 60, "fps"),
    )

    @classmethod
    def describe_param(cls, param: Param, value: ParamValue | None = None) -> dict[str, Any]:
        described = param.describe()
        if param.name != "window":
            return described
        titles = [w.title for w in windows.list_windows() if w.title]
        # What is chosen stays offered (blank: nothing yet; a title: a window not open now).
        chosen = [] if value is None or value in titles else [str(value)]
        return {**described, "type": "choice", "choices": chosen + titles, "verbatim": True}

    def open(self) -> VideoSource:
        return windows.WindowGrabber(self.text("window"), self.number("fps"))

    def problem(self, reason: str) -> str:
        return f"Window capture: {reason}"


# ---- still and drawn sources ------------------------------------------------------------
class ImageSource(SceneSource):
    kind = "image"
    label = "Image"
    description = "A PNG or JPEG picture, or an animated GIF."
    params = (file("path", "File", "", IMAGE_EXTENSIONS),)

    def __init__(self, values: Mapping[str, object] | None = None) -> None:
        self._frames: list[tuple[Image, Mask | None]] = []
        self._ends: list[float] = []  # each frame's end, seconds into the animation
        self._started = time.monotonic()
        super().__init__(values)

    def start(self) -> None:
        path = Path(self.text("path"))
        try:
            with PILImage.open(path) as picture:
                frames = [_bgr_alpha(frame) for frame in ImageSequence.Iterator(picture)]
                durations = _durations(picture, len(frames))
        except FileNotFoundError:
            self.status = f"Image file not found: {path}"
            return
        except (OSError, UnidentifiedImageError) as exc:
            self.status = f"Cannot read the image {path.name}: {exc}"
            return
        self._frames, self._ends = frames, list(np.cumsum(durations))
        self._started = time.monotonic()

    def picture(self, now: float) -> Picture | None:
        if not self._frames:
            return None
        index = 0
        if len(self._frames) > 1:
            at = (now - self._started) % self._ends[-1]
            index = int(np.searchsorted(self._ends, at, side="right"))
            index = min(index, len(self._frames) - 1)
        image, alpha = self._frames[index]
        return Picture(image, alpha, self._started)


class TextSource(SceneSource):
    kind = "text"
    label = "Text"
    description = "Text, a clock or a countdown."
    params = (
        choice("mode", "Shows", "text", ("text", "clock", "countdown")),
        text("text", "Text", "Starting soon"),
        text("clock_format", "Clock format", "%H:%M:%S", 40),
        text("countdown_to", "Count down to (HH:MM)", "00:00", 5),
        file("font", "Font", "", FONT_EXTENSIONS),
        integer("size", "Size", 72, 8, 400, "px"),
        color("color", "Colour", "#ffffff"),
        integer("outline", "Outline", 0, 0, 20, "px"),
        color("outline_color", "Outline colour", "#000000"),
        flag("background", "Background", False),
        color("background_color", "Background colour", "#000000"),
        scalar("background_opacity", "Background opacity", 60.0, 0.0, 100.0, 1.0, "%"),
    )

    def __init__(self, values: Mapping[str, object] | None = None) -> None:
        self._shown: str | None = None
        self._picture: Picture | None = None
        self._font: ImageFont.FreeTypeFont | None = None
        super().__init__(values)

    def start(self) -> None:
        font = self.text("font")
        path = Path(font) if font else default_font()
        try:
            self._font = ImageFont.truetype(str(path), int(self.number("size")))
        except OSError:
            self.status = f"Font not found: {path}; using the built-in font"
            self._font = ImageFont.truetype(str(default_font()), int(self.number("size")))
        if self.text("mode") == "countdown":
            _time_of_day(self.text("countdown_to"))  # a bad time is said at once

    def picture(self, now: float) -> Picture | None:
        shown = self.words(datetime.datetime.now())
        if shown != self._shown or self._picture is None:
            self._shown = shown
            image, alpha = self._render(shown)
            self._picture = Picture(image, alpha, now)
        return self._picture

    def words(self, now: datetime.datetime) -> str:
        """What the source shows at ``now``."""
        mode = self.text("mode")
        if mode == "clock":
            return now.strftime(self.text("clock_format"))
        if mode == "countdown":
            return _countdown(now, _time_of_day(self.text("countdown_to")))
        return self.text("text")

    def _render(self, words: str) -> tuple[Image, Mask]:
        font = self._font or ImageFont.truetype(str(default_font()), int(self.number("size")))
        outline = int(self.number("outline"))
        pad = max(4, int(self.number("size")) // 4) + outline
        left, top, right, bottom = font.getbbox(words or " ", stroke_width=outline)
        size = (max(1, int(right - left) + 2 * pad), max(1, int(bottom - top) + 2 * pad))
        background = (0, 0, 0, 0)
        if self.flag("background"):
            red, green, blue = _rgb(self.text("background_color"))
            opacity = round(self.fraction("background_opacity") * 255)
            background = (red, green, blue, opacity)
        canvas = PILImage.new("RGBA", size, background)
        ImageDraw.Draw(canvas).text(
            (pad - left, pad - top),
            words,
            font=font,
            fill=(*_rgb(self.text("color")), 255),
            stroke_width=outline,
            stroke_fill=(*_rgb(self.text("outline_color")), 255),
        )
        image, alpha = _bgr_alpha(canvas)
        return image, alpha if alpha is not None else np.full(image.shape[:2], 255, np.uint8)


class ColorSource(SceneSource):
    kind = "color"
    label = "Colour"
    description = "A colour fill or a gradient."
    params = (
        color("color", "Colour", "#1f2433"),
        choice("gradient", "Gradient", "none", ("none", "horizontal", "vertical", "diagonal")),
        color("color2", "Second colour", "#5a3df0"),
    )
    SIZE: ClassVar[int] = 256  # drawn small; the layer scales it (a gradient scales smoothly)

    def __init__(self, values: Mapping[str, object] | None = None) -> None:
        self._picture: Picture | None = None
        super().__init__(values)

    def start(self) -> None:
        self._picture = Picture(self._fill(), None, time.monotonic())

    def picture(self, now: float) -> Picture | None:
        return self._picture

    def _fill(self) -> Image:
        first = np.array(hex_to_bgr(self.text("color")), np.float32)
        second = np.array(hex_to_bgr(self.text("color2")), np.float32)
        ramp = np.linspace(0.0, 1.0, self.SIZE, dtype=np.float32)
        weights = {
            "none": np.zeros((self.SIZE, self.SIZE), np.float32),
            "horizontal": np.tile(ramp, (self.SIZE, 1)),
            "vertical": np.tile(ramp[:, None], (1, self.SIZE)),
            "diagonal": (ramp[None, :] + ramp[:, None]) / 2.0,
        }[self.text("gradient")]
        mixed = first + (second - first) * weights[..., None]
        return np.asarray(np.rint(mixed), np.uint8)


KINDS: Final[dict[str, type[SceneSource]]] = {
    kind.kind: kind
    for kind in (
        CameraLayer,
        ScreenSource,
        WindowSource,
        ImageSource,
        TextSource,
        ColorSource,
        MediaSource,
    )
}


def describe_kinds() -> list[dict[str, Any]]:
    """Every kind, for the UI's "add a source" menu and its properties panel."""
    return [kind.describe() for kind in KINDS.values()]


def check_values(kind: str, values: Mapping[str, object]) -> dict[str, ParamValue]:
    """Every parameter of ``kind`` with ``values`` checked (``ParamError`` saying what is
    wrong, or an unknown kind)."""
    return _kind(kind).validate(values)


def create(kind: str, values: Mapping[str, object], camera: CameraFrames) -> SceneSource:
    """A new, not yet started source of ``kind`` (``ParamError`` for bad values)."""
    cls = _kind(kind)
    if cls is CameraLayer:
        return CameraLayer(values, camera)
    return cls(values)


def _kind(kind: str) -> type[SceneSource]:
    try:
        return KINDS[kind]
    except KeyError:
        raise ParamError(f"unknown source kind {kind!r}; one of {', '.join(KINDS)}") from None


# ---- helpers --------------------------------------------------------------------------
def default_font() -> Path:
    return asset("fonts", "DejaVuSans.ttf")


def _rgb(value: str) -> tuple[int, int, int]:
    blue, green, red = hex_to_bgr(value)
    return red, green, blue


def _bgr_alpha(picture: PILImage.Image) -> tuple[Image, Mask | None]:
    """A Pillow picture as BGR pixels and an alpha mask (None when fully opaque)."""
    rgba = np.asarray(picture.convert("RGBA"), np.uint8)
    image = np.ascontiguousarray(rgba[..., 2::-1])
    alpha = np.ascontiguousarray(rgba[..., 3])
    return image, None if bool(alpha.min() == 255) else alpha


def _durations(picture: PILImage.Image, count: int) -> list[float]:
    """Seconds each frame of an animation shows (GIFs say milliseconds; 0 means 100 ms)."""
    durations = []
    for index in range(count):
        picture.seek(index)
        durations.append(max(20, int(picture.info.get("duration", 100) or 100)) / 1000.0)
    return durations


def _time_of_day(value: str) -> datetime.time:
    try:
        return datetime.datetime.strptime(value, "%H:%M").time()
    except ValueError:
        raise ParamError(f"countdown_to: {value!r} is not a time like 20:30") from None


def _countdown(now: datetime.datetime, target: datetime.time) -> str:
    """Time left until the next ``target`` o'clock, as H:MM:SS or M:SS."""
    end = datetime.datetime.combine(now.date(), target)
    if end <= now:
        end += datetime.timedelta(days=1)
    left = int((end - now).total_seconds())
    hours, rest = divmod(left, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
