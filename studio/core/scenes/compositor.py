"""The compositor: the scene on air drawn onto the canvas, frame after frame (no Qt).

:class:`SourceRack` keeps one live :class:`~studio.core.scenes.sources.SceneSource` per
source of the collection (opened, reopened when its values change, closed when removed).
:class:`Compositor` is a video source (``read()`` blocks until the next frame is due and
returns the composed canvas), so a :class:`studio.core.frames.FrameFlow` around it is the
broadcast's program: outputs and the preview consume it unchanged.

Pacing: while the scene on air shows the camera, each camera frame (after the effect chain)
is composed as soon as it is ready, and the composed frame carries the camera frame's capture
time (so latency measured downstream includes the camera); otherwise frames come at the
canvas's rate. Switching scenes cuts, or fades over the collection's ``fade_ms``.

Only what is on air captures: the sources of other scenes are paused (no screen grabs, no
decoding; the camera's flow, with its effect chain, too when no scene on air shows it). A
switch resumes the new scene's sources first and cuts (or starts fading) once each shows a
picture taken since, within ``WARM_UP_S``, so no frame of the switch shows a picture from
when they were paused.
"""

from __future__ import annotations

import logging
import textwrap
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from filters.params import ParamError
from studio.core.frames import FrameFlow
from studio.core.scenes import sources
from studio.core.scenes.buffers import BufferPool
from studio.core.scenes.layers import Placed, draw, prepare
from studio.core.scenes.model import (
    Layer,
    Scene,
    SceneCollection,
    SourceConfig,
    Transform,
    Transition,
)
from studio.core.scenes.sources import CameraFrames, Picture, SceneSource, default_font
from studio.core.sources import Image, SourceFrame

log = logging.getLogger(__name__)

FPS = 30.0
CAMERA_STALL_S = 0.25  # compose without a new camera frame after this long
WARM_UP_S = 0.15  # the longest a switch waits for the new scene's resumed sources
PLACEHOLDER_RGB = (46, 46, 58)
TEXT_RGB = (232, 232, 240)


class SourceRack:
    """The live sources of a collection, kept in step with its :class:`SourceConfig` s."""

    def __init__(self, camera: CameraFrames) -> None:
        self._camera = camera
        self._live: dict[str, tuple[SourceConfig, SceneSource | None]] = {}
        self._problems: dict[str, str] = {}  # sources whose values do not fit their kind
        self._lock = threading.Lock()

    def sync(self, configs: Mapping[str, SourceConfig]) -> None:
        """Open new sources, reopen changed ones, close removed ones."""
        with self._lock:
            stale = [sid for sid, (cfg, _) in self._live.items() if configs.get(sid) != cfg]
            closing = [self._live.pop(sid)[1] for sid in stale]
            for sid, config in configs.items():
                if sid not in self._live:
                    self._live[sid] = (config, self._open(config))
        for source in closing:
            if source is not None:
                source.close()

    def picture(self, source_id: str, now: float) -> Picture | None:
        entry = self._live.get(source_id)
        if entry is None or entry[1] is None:
            return None
        try:
            return entry[1].picture(now)
        except Exception as exc:  # one broken source must not stop the program
            log.exception("scene source %s failed", entry[0].name)
            entry[1].status = f"{entry[0].name} failed: {exc}"
            return None

    def run_only(self, source_ids: set[str]) -> None:
        """Resume the sources in ``source_ids``, pause every other."""
        for source_id, (_, source) in list(self._live.items()):
            if source is None:
                continue
            if source_id in source_ids:
                source.resume()
            else:
                source.pause()

    def fresh_since(self, source_id: str, moment: float) -> bool:
        """Whether the source shows a picture taken at ``moment`` or later (or has nothing
        newer coming: a still, a problem, a source that is not open)."""
        entry = self._live.get(source_id)
        return entry is None or entry[1] is None or entry[1].fresh_since(moment)

    def status(self, source_id: str) -> str:
        """Why the source shows a placeholder ("" when it shows its picture)."""
        if source_id in self._problems:
            return self._problems[source_id]
        entry = self._live.get(source_id)
        if entry is None:
            return "This source is not open."
        return entry[1].status if entry[1] is not None else ""

    def close(self) -> None:
        self.sync({})

    def _open(self, config: SourceConfig) -> SceneSource | None:
        self._problems.pop(config.id, None)
        try:
            source = sources.create(config.kind, config.values, self._camera)
            source.start()
        except (ParamError, OSError) as exc:
            self._problems[config.id] = f"{config.name}: {exc}"
            return None
        return source


@dataclass
class CompositorStats:
    compose_ms: float = 0.0  # moving average of composing one canvas
    composed: int = 0


@dataclass
class _Fade:
    from_scene: str
    started: float
    seconds: float


@dataclass
class _Pending:
    scene: str  # the scene to switch to once its sources are warm
    since: float  # when its sources were resumed


@dataclass
class _Cache:
    """Prepared layers by layer id: (what was prepared: the picture's pixels, or a
    placeholder's message; the transform; the result)."""

    placed: dict[str, tuple[object, Transform, Placed | None]] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)  # layer ids drawn in this frame

    def forget_unused(self) -> None:
        """Drop layers no longer on air (removed, or in a scene switched away from), so
        their pixels are not held for the rest of the broadcast."""
        if len(self.placed) > len(self.used):
            self.placed = {k: v for k, v in self.placed.items() if k in self.used}


class Compositor:
    """A video source of the collection's scene on air (see the module's docstring).

    ``camera_flow`` returns the flow whose frames camera layers show (None while there is
    no camera), so the compositor can wait for its next frame.
    """

    def __init__(
        self,
        collection: SceneCollection,
        rack: SourceRack,
        camera_flow: Callable[[], FrameFlow | None] = lambda: None,
        fps: float = FPS,
    ) -> None:
        self.collection = collection
        self.rack = rack
        self.fps = fps
        self.width, self.height = collection.size  # the canvas's (follows a change)
        self.stats = CompositorStats()
        self._camera_flow = camera_flow
        self._closed = threading.Event()
        self._on_air = collection.current
        self._fade: _Fade | None = None
        self._pending: _Pending | None = None
        self._cache = _Cache()
        self._buffers = BufferPool()  # canvases and scaled layers, used again when let go
        self._camera_seq = 0
        self._due = time.monotonic()
        self._index = 0
        self._last: Image | None = None
        self._reported: set[str] = set()

    # ---- the video source protocol ---------------------------------------------------
    def read(self) -> SourceFrame | None:
        self._follow_switch(time.monotonic())  # resumes a new scene's camera before waiting
        captured_at = self._wait_for_frame()
        if captured_at is None:
            return None
        try:
            image = self.compose(time.monotonic())
        except Exception as exc:  # a bug in one frame must not stop the program
            self._report_once(exc)
            image = self._last if self._last is not None else self._black()
        self._last = image
        self._index += 1
        return SourceFrame(image, self._index - 1, captured_at)

    def close(self) -> None:
        self._closed.set()

    def _report_once(self, exc: Exception) -> None:
        said = f"{type(exc).__name__}: {exc}"
        if said not in self._reported:
            self._reported.add(said)
            log.exception("composing a frame failed (the last good frame stays on air)")

    def _black(self) -> Image:
        return np.zeros((self.height, self.width, 3), np.uint8)

    # ---- composing -------------------------------------------------------------------
    def compose(self, now: float) -> Image:
        """The canvas at ``now``: the scene on air, or a fade between two scenes."""
        started = time.perf_counter()
        self._follow_switch(now)
        self._cache.used.clear()
        canvas = self._scene_canvas(self._on_air, now)
        fade = self._fade
        if fade is not None:
            progress = (now - fade.started) / fade.seconds
            if progress >= 1.0:
                self._fade = None
            else:
                before = self._scene_canvas(fade.from_scene, now)
                mixed = self._buffers.take(canvas.shape)
                cv2.addWeighted(canvas, progress, before, 1.0 - progress, 0.0, dst=mixed)
                canvas = mixed
        self._cache.forget_unused()
        self._buffers.end_frame()
        self._capture_only_what_shows()
        cost = (time.perf_counter() - started) * 1000.0
        stats = self.stats
        stats.compose_ms = cost if stats.composed == 0 else 0.9 * stats.compose_ms + 0.1 * cost
        stats.composed += 1
        return canvas

    def _follow_switch(self, now: float) -> None:
        wanted = self.collection.current
        if wanted == self._on_air:
            self._pending = None
            return
        if self._pending is None or self._pending.scene != wanted:
            self._pending = _Pending(wanted, now)
            self._capture_only_what_shows()
        since = self._pending.since
        if now - since < WARM_UP_S and not self._scene_fresh(wanted, since):
            return  # the scene on air stays for another frame
        self._pending = None
        collection = self.collection
        if collection.transition is Transition.FADE and collection.fade_ms > 0:
            self._fade = _Fade(self._on_air, now, collection.fade_ms / 1000.0)
        else:
            self._fade = None
        self._on_air = wanted

    def _scenes_needed(self) -> list[Scene]:
        """The scene on air, the one fading out and the one about to go on air."""
        ids = {self._on_air}
        if self._fade is not None:
            ids.add(self._fade.from_scene)
        if self._pending is not None:
            ids.add(self._pending.scene)
        return [scene for scene in self.collection.scenes if scene.id in ids]

    def _capture_only_what_shows(self) -> None:
        needed = self._scenes_needed()
        self.rack.run_only({la.source_id for s in needed for la in s.layers if la.visible})
        flow = self._camera_flow()
        if flow is None:
            return
        kind = sources.CameraLayer.kind
        if any(scene_shows(scene, self.collection, kind) for scene in needed):
            flow.resume()
        else:
            flow.pause()

    def _scene_fresh(self, scene_id: str, since: float) -> bool:
        scene = self.collection.scene(scene_id)
        return all(
            self.rack.fresh_since(layer.source_id, since) for layer in scene.layers if layer.visible
        )

    def _scene_canvas(self, scene_id: str, now: float) -> Image:
        width, height = self.width, self.height = self.collection.size
        try:
            scene = self.collection.scene(scene_id)
        except ValueError:
            return self._black()
        placed = [p for la in scene.layers if la.visible and (p := self._placed(la, now))]
        # Nothing under the top-most opaque layer that covers the canvas can show.
        bottom = max((i for i, p in enumerate(placed) if p.covers(width, height)), default=-1)
        placed = placed[max(0, bottom) :]
        if len(placed) == 1 and bottom == 0 and placed[0].image.shape[:2] == (height, width):
            return placed[0].image  # exactly the canvas, as it is (frames are shared and
            # never drawn on once made: camera frames already reach the outputs this way)
        canvas = self._buffers.take((height, width, 3))
        if bottom < 0:
            canvas.fill(0)
        for layer in placed:
            draw(canvas, layer)
        return canvas

    def _placed(self, layer: Layer, now: float) -> Placed | None:
        picture = self.rack.picture(layer.source_id, now)
        message = self.rack.status(layer.source_id) if picture is None else ""
        if picture is None and not message:
            return None
        # The same pixel array (kept alive by the cache, so never another's) or message.
        key: object = picture.image if picture is not None else message
        self._cache.used.add(layer.id)
        # Taken out, so that its scaled pixels can go back to the pool before the new ones.
        cached = self._cache.placed.pop(layer.id, None)
        fresh = cached is not None and cached[1] == layer.transform
        if cached is not None and fresh and (cached[0] is key or _same_message(cached[0], key)):
            self._cache.placed[layer.id] = cached
            return cached[2]
        del cached
        shown = picture or placeholder(message, layer.transform)
        placed = prepare(shown, layer.transform, self._buffers)
        self._cache.placed[layer.id] = (key, layer.transform, placed)
        return placed

    # ---- pacing ----------------------------------------------------------------------
    def _wait_for_frame(self) -> float | None:
        """Wait until the next frame is due; its capture time, or None once closed."""
        flow = self._camera_flow() if self._shows_camera() else None
        if flow is not None and flow.running:
            # Paced by the camera: no frame composed twice from the same camera frame (each
            # would be encoded again), unless the camera stalls (a clock must still tick).
            frame = flow.wait_newer(self._camera_seq, CAMERA_STALL_S)
            if self._closed.is_set():
                return None
            if frame is not None:
                self._camera_seq = frame.seq
                self._due = time.monotonic() + 1.0 / self.fps
                return frame.captured_at
        if self._closed.wait(max(0.0, self._due - time.monotonic())):
            return None
        self._due = max(self._due + 1.0 / self.fps, time.monotonic())
        return time.monotonic()

    def _shows_camera(self) -> bool:
        scene = self.collection.current_scene()
        return scene is not None and scene_shows(scene, self.collection, sources.CameraLayer.kind)


def placeholder(message: str, transform: Transform) -> Picture:
    """A dark box saying ``message``: what a layer shows when its source cannot."""
    width, height = max(2, transform.width), max(2, transform.height)
    size = max(10, min(40, width // 28))
    font = ImageFont.truetype(str(default_font()), size)
    lines = textwrap.wrap(message, max(8, int(width / (size * 0.6)) - 2)) or [""]
    board = PILImage.new("RGB", (width, height), PLACEHOLDER_RGB)
    draw_text = ImageDraw.Draw(board)
    top = max(0, (height - len(lines) * size * 5 // 4) // 2)
    for row, line in enumerate(lines):
        draw_text.text((size // 2, top + row * size * 5 // 4), line, font=font, fill=TEXT_RGB)
    image = np.ascontiguousarray(np.asarray(board, np.uint8)[..., ::-1])
    return Picture(image, None, time.monotonic())


def _same_message(cached: object, key: object) -> bool:
    return isinstance(cached, str) and isinstance(key, str) and cached == key


def scene_shows(scene: Scene, collection: SceneCollection, kind: str) -> bool:
    """Whether ``scene`` has a visible layer of a source of ``kind``."""
    configs = collection.sources
    return any(
        layer.visible and layer.source_id in configs and configs[layer.source_id].kind == kind
        for layer in scene.layers
    )
