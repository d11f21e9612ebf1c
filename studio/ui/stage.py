"""The co-host stage: every host's video in the session's shared layout, where the preview is.

:class:`CohostStage` paints the tiles (video, or the host's avatar while there is none or the
camera is off; the name and a muted mark on each). :class:`TileFeeds` runs one asyncio task
per host that takes frames (the local frame flow, or a remote WebRTC track), scales each to
its tile on a worker thread and hands it to the stage, so the UI thread only paints.

A remote host's video can stop without its track ending (their publisher went away, the
network dropped): after ``STALL_S`` without a frame the tile dims its last frame and says
"Reconnecting…"; when the track ends it shows the avatar and "Offline" until video returns.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import av
import cv2
import numpy as np
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from studio.core.frames import Program
from studio.core.sources import Image
from studio.core.tasks import cancel_and_wait
from studio.ui import theme
from studio.ui.preview import to_qimage
from studio.ui.widgets import paint_avatar
from wire.stage_layout import Tile

ASPECT = 16 / 9
STALL_S = 2.0
HOLD_S = 15.0  # a host whose video moves to another call: how long to wait before "Offline"
RECONNECTING, OFFLINE = "Reconnecting…", "Offline"


class StageHost(Protocol):
    """Who a tile shows (a co-host session's member, a PK battle's host)."""

    @property
    def user_id(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def primary(self) -> bool: ...
    @property
    def audio_enabled(self) -> bool: ...
    @property
    def video_enabled(self) -> bool: ...


class CohostStage(QWidget):
    """Hosts' tiles in a shared layout: co-host sessions, and the two sides of a PK battle."""

    def __init__(self, aspect: float = ASPECT) -> None:
        """``aspect``: of the whole stage (PK: two 16:9 tiles side by side, 32:9)."""
        super().__init__()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 180)
        self.aspect = aspect
        self.tiles: list[Tile] = []
        self.hosts: Mapping[str, StageHost] = {}
        self.me = ""
        self.rings: Mapping[str, str] = {}  # a coloured outline for other hosts' tiles
        self.frames: dict[str, Image] = {}  # BGRA, scaled to the tile
        self.frame_counts: dict[str, int] = {}
        self.status: dict[str, str] = {}  # RECONNECTING or OFFLINE, for hosts whose video stopped

    def set_layout(
        self,
        tiles: list[Tile],
        hosts: Mapping[str, StageHost],
        me: str,
        rings: Mapping[str, str] | None = None,
    ) -> None:
        """The tiles and who is in them; ``me`` is outlined in the accent colour."""
        self.tiles, self.hosts, self.me = tiles, hosts, me
        self.rings = {**(rings or {}), me: theme.ACCENT}
        for gone in set(self.frames) - set(hosts):
            del self.frames[gone]
        self.update()

    def set_frame(self, user_id: str, image: Image) -> None:
        self.frames[user_id] = image
        self.frame_counts[user_id] = self.frame_counts.get(user_id, 0) + 1
        self.status.pop(user_id, None)
        self.update()

    def mark_stalled(self, user_id: str) -> None:
        """No frame from the host for a while: their last frame must not pass for live."""
        if user_id in self.frames:
            self.status[user_id] = RECONNECTING
            self.update()

    def mark_ended(self, user_id: str) -> None:
        """The host's track ended (they stopped or left): their avatar, marked offline."""
        self.drop_frames(user_id)
        self.status[user_id] = OFFLINE
        self.update()

    def drop_frames(self, user_id: str) -> None:
        self.status.pop(user_id, None)
        if self.frames.pop(user_id, None) is not None:
            self.update()

    def stage_rect(self) -> QRectF:
        """The 16:9 area the layout fills, as large as fits and centred."""
        width = min(float(self.width()), self.height() * self.aspect)
        height = width / self.aspect
        return QRectF((self.width() - width) / 2, (self.height() - height) / 2, width, height)

    def tile_rect(self, tile: Tile) -> QRectF:
        """The tile's box on this widget: the viewer page's geometry (``Tile.pixels``)."""
        stage = self.stage_rect()
        left, top, width, height = tile.pixels(stage.width(), stage.height())
        return QRectF(stage.left() + left, stage.top() + top, width, height)

    def tile_size(self, user_id: str) -> tuple[int, int] | None:
        """Device pixels of the host's tile (None when the layout has no tile for them)."""
        tile = next((t for t in self.tiles if t.user_id == user_id), None)
        if tile is None:
            return None
        box = self.tile_rect(tile)
        ratio = self.devicePixelRatioF()
        return max(2, int(box.width() * ratio)), max(2, int(box.height() * ratio))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#07080b"))
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        for tile in self.tiles:
            self._paint_tile(painter, tile)

    def _paint_tile(self, painter: QPainter, tile: Tile) -> None:
        box = self.tile_rect(tile)
        host = self.hosts.get(tile.user_id)
        name = host.label if host is not None else "…"
        frame = self.frames.get(tile.user_id)
        painter.save()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(theme.SURFACE_HIGH))
        painter.drawRoundedRect(box, 10, 10)
        status = self.status.get(tile.user_id)
        if frame is not None and (host is None or host.video_enabled):
            painter.drawImage(fitted(box, frame.shape[1], frame.shape[0]), to_qimage(frame))
            if status is not None:
                painter.setBrush(QColor(0, 0, 0, 150))
                painter.drawRoundedRect(box, 10, 10)
                _paint_status(painter, box.center(), status, spinner=True)
        else:
            side = min(box.width(), box.height()) * 0.36
            circle = QRectF(0, 0, side, side)
            circle.moveCenter(box.center())
            if status is not None:
                painter.setOpacity(0.45)
            paint_avatar(painter, circle, name)
            painter.setOpacity(1.0)
            if status is not None:
                below = QPointF(box.center().x(), circle.bottom() + 22)
                _paint_status(painter, below, status, spinner=False)
        ring = self.rings.get(tile.user_id)
        if ring is not None:
            painter.setPen(QPen(QColor(ring), 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(box.adjusted(1, 1, -1, -1), 10, 10)
        self._label(painter, box, host, name)
        painter.restore()

    def _label(self, painter: QPainter, box: QRectF, host: StageHost | None, name: str) -> None:
        marks = ""
        if host is not None:
            marks += "" if host.audio_enabled else "  🔇"
            marks += "" if host.video_enabled else "  ⃠cam"
            marks = ("  ★" if host.primary else "") + marks
        text = name + (" (you)" if host is not None and host.user_id == self.me else "") + marks
        font = QFont(painter.font())
        font.setPixelSize(12)
        font.setBold(True)
        painter.setFont(font)
        width = min(box.width() - 16, painter.fontMetrics().horizontalAdvance(text) + 20)
        chip = QRectF(box.left() + 8, box.bottom() - 30, width, 22)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 160))
        painter.drawRoundedRect(chip, 11, 11)
        painter.setPen(QColor("white"))
        elided = painter.fontMetrics().elidedText(
            text, Qt.TextElideMode.ElideRight, int(chip.width() - 16)
        )
        painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, elided)


class PairStage(CohostStage):
    """Two hosts (a PK battle), each a whole 16:9 picture as large as the area allows: side by
    side when the area is wide, one above the other when it is tall."""

    def __init__(self) -> None:
        super().__init__(aspect=2 * ASPECT)
        self.pair: tuple[str, str] | None = None

    def set_pair(
        self,
        pair: tuple[str, str],
        hosts: Mapping[str, StageHost],
        me: str,
        rings: Mapping[str, str] | None = None,
    ) -> None:
        self.pair = pair
        self.set_layout(self._arranged(), hosts, me, rings)

    def stacked(self) -> bool:
        width, height = float(self.width()), float(self.height())
        side_by_side = min(width / 2, height * ASPECT)  # each picture's width
        one_above_other = min(width, height / 2 * ASPECT)
        return one_above_other > side_by_side

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.pair is not None:
            self.tiles = self._arranged()

    def _arranged(self) -> list[Tile]:
        assert self.pair is not None
        first, second = self.pair
        if self.stacked():
            self.aspect = ASPECT / 2
            return [Tile(first, 0.0, 0.0, 1.0, 0.5), Tile(second, 0.0, 0.5, 1.0, 0.5)]
        self.aspect = 2 * ASPECT
        return [Tile(first, 0.0, 0.0, 0.5, 1.0), Tile(second, 0.5, 0.0, 0.5, 1.0)]


def _paint_status(painter: QPainter, centre: QPointF, text: str, spinner: bool) -> None:
    """A pill saying why the video is not live (``spinner``: a reconnecting dot before it)."""
    font = QFont(painter.font())
    font.setPixelSize(13)
    font.setBold(True)
    painter.setFont(font)
    dot = 14.0 if spinner else 0.0
    width = painter.fontMetrics().horizontalAdvance(text) + 28 + dot
    pill = QRectF(0, 0, width, 28)
    pill.moveCenter(centre)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(0, 0, 0, 190))
    painter.drawRoundedRect(pill, 14, 14)
    if spinner:
        painter.setBrush(QColor(theme.WARNING))
        painter.drawEllipse(QPointF(pill.left() + 17, pill.center().y()), 4.5, 4.5)
    painter.setPen(QColor(theme.WARNING if spinner else "#c9ccd6"))
    painter.drawText(pill.adjusted(dot, 0, 0, 0), Qt.AlignmentFlag.AlignCenter, text)


def fitted(box: QRectF, width: float, height: float) -> QRectF:
    """A ``width`` × ``height`` picture as large as fits in ``box``, centred: never cropped."""
    scale = min(box.width() / width, box.height() / height)
    rect = QRectF(0, 0, width * scale, height * scale)
    rect.moveCenter(box.center())
    return rect


def _fit(image: Image, size: tuple[int, int]) -> Image:
    """``image`` (BGR) scaled to fit inside ``size`` whole (the viewer page's object-fit:
    contain: a crop could cut a face away), as BGRA."""
    height, width = image.shape[:2]
    scale = min(size[0] / width, size[1] / height)
    scaled = (max(1, round(width * scale)), max(1, round(height * scale)))
    bgra = cv2.cvtColor(cv2.resize(image, scaled, interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2BGRA)
    return np.asarray(bgra, np.uint8)


def _decode_fit(frame: av.VideoFrame, size: tuple[int, int]) -> Image:
    return _fit(np.asarray(frame.to_ndarray(format="bgr24"), np.uint8), size)


class TileFeeds:
    """One task per host feeding the stage: frames in, scaled off the UI thread, painted."""

    def __init__(self, stage: CohostStage) -> None:
        self.stage = stage
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._scaler = ThreadPoolExecutor(1, thread_name_prefix="stage-scale")

    @property
    def users(self) -> set[str]:
        return {user for user, task in self._tasks.items() if not task.done()}

    def local(self, user_id: str, flow: Program) -> None:
        self._start(user_id, self._local(user_id, flow))

    def remote(self, user_id: str, track: MediaStreamTrack) -> asyncio.Task[None]:
        """Feed ``track`` to the host's tile; the task ends when the track does."""
        return self._start(user_id, self._remote(user_id, track))

    def hold(self, user_id: str) -> None:
        """The host's video moves to another call (mesh ↔ SFU): their tile keeps its last frame,
        marked reconnecting, until the new call's video arrives — they did not go offline.
        Offline only if none arrives within ``HOLD_S``."""
        self.stage.mark_stalled(user_id)
        self._start(user_id, self._held(user_id))

    async def stop(self, user_id: str) -> None:
        task = self._tasks.pop(user_id, None)
        if task is not None:
            await cancel_and_wait(task)
        self.stage.drop_frames(user_id)

    async def stop_all(self) -> None:
        for user_id in list(self._tasks):
            await self.stop(user_id)

    async def close(self) -> None:
        """Stop every feed, then the scaler they submit to."""
        await self.stop_all()
        self._scaler.shutdown(wait=False)

    def _start(self, user_id: str, feed: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        old = self._tasks.pop(user_id, None)
        if old is not None:
            old.cancel()
        task = self._tasks[user_id] = asyncio.ensure_future(feed)
        return task

    async def _held(self, user_id: str) -> None:
        await asyncio.sleep(HOLD_S)
        self.stage.mark_ended(user_id)

    async def _local(self, user_id: str, flow: Program) -> None:
        loop = asyncio.get_running_loop()
        seq = 0
        with contextlib.suppress(EOFError):
            while True:
                frame = await flow.next(seq)
                seq = frame.seq
                size = self.stage.tile_size(user_id)
                if size is not None:
                    image = await loop.run_in_executor(self._scaler, _fit, frame.image, size)
                    self.stage.set_frame(user_id, image)

    async def _remote(self, user_id: str, track: MediaStreamTrack) -> None:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(MediaStreamError):
            while True:
                try:
                    async with asyncio.timeout(STALL_S):
                        frame = await track.recv()
                except TimeoutError:
                    self.stage.mark_stalled(user_id)
                    continue
                size = self.stage.tile_size(user_id)
                if size is not None and isinstance(frame, av.VideoFrame):
                    image = await loop.run_in_executor(self._scaler, _decode_fit, frame, size)
                    self.stage.set_frame(user_id, image)
        self.stage.mark_ended(user_id)
