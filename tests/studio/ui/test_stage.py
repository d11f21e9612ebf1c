"""The host tiles: a remote host whose video stops is shown as reconnecting, then offline —
never as a frozen last frame passing for live; PK tiles show whole 16:9 pictures."""

from __future__ import annotations

import asyncio
from fractions import Fraction

import av
import numpy as np
import pytest
import qasync
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from pytestqt.qtbot import QtBot

from studio.core.frames import FrameFlow
from studio.core.sources import SampleSource
from studio.core.state import Tile
from studio.ui import stage as stage_module
from studio.ui.panels.pk import Fighter
from studio.ui.stage import OFFLINE, RECONNECTING, CohostStage, PairStage, TileFeeds

WAIT = 5_000


class ControlledTrack(MediaStreamTrack):
    """Yields a frame whenever the test says so; ``end()`` ends it like a closed peer."""

    kind = "video"

    def __init__(self) -> None:
        super().__init__()
        self.pending: asyncio.Queue[av.VideoFrame | None] = asyncio.Queue()
        self.sent = 0

    def send(self) -> None:
        image = np.full((360, 640, 3), 200, np.uint8)
        frame = av.VideoFrame.from_ndarray(image, format="bgr24")
        frame.pts, frame.time_base = self.sent * 3000, Fraction(1, 90000)
        self.sent += 1
        self.pending.put_nowait(frame)

    def end(self) -> None:
        self.pending.put_nowait(None)

    async def recv(self) -> av.VideoFrame:
        frame = await self.pending.get()
        if frame is None:
            raise MediaStreamError
        return frame


def centre_brightness(stage: CohostStage) -> int:
    image = stage.grab().toImage()
    tile = stage.tile_rect(stage.tiles[0]).toRect()
    return int(image.pixelColor(tile.center().x(), tile.top() + tile.height() // 4).value())


def test_stalled_then_ended_remote_video_is_marked(
    loop: qasync.QEventLoop, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stage_module, "STALL_S", 0.3)
    stage = CohostStage()
    qtbot.addWidget(stage)
    stage.resize(640, 360)
    stage.show()
    stage.set_layout([Tile("bob", 0.0, 0.0, 1.0, 1.0)], {"bob": Fighter("bob", "Bob")}, me="alice")
    feeds = TileFeeds(stage)
    track = ControlledTrack()
    task = feeds.remote("bob", track)

    track.send()
    qtbot.waitUntil(lambda: stage.frame_counts.get("bob", 0) == 1, timeout=WAIT)
    assert "bob" not in stage.status
    live = centre_brightness(stage)

    qtbot.waitUntil(lambda: stage.status.get("bob") == RECONNECTING, timeout=WAIT)
    assert "bob" in stage.frames  # the last frame stays, dimmed under the notice
    assert centre_brightness(stage) < live * 0.6

    track.send()  # video is back
    qtbot.waitUntil(lambda: stage.frame_counts.get("bob", 0) == 2, timeout=WAIT)
    assert "bob" not in stage.status

    track.end()
    qtbot.waitUntil(task.done, timeout=WAIT)
    assert stage.status.get("bob") == OFFLINE and "bob" not in stage.frames
    stage.grab()  # the avatar with its offline notice paints
    flow = FrameFlow(SampleSource(160, 90, fps=30.0))
    flow.start()
    feeds.local("alice", flow)  # still feeding when the stage closes
    qtbot.waitUntil(lambda: "alice" in feeds.users, timeout=WAIT)
    closing = asyncio.ensure_future(feeds.close())
    qtbot.waitUntil(closing.done, timeout=WAIT)
    closing.result()
    assert not feeds.users  # every feed stopped before the scaler they submit to
    flow.stop()


def test_a_host_moving_to_another_call_is_reconnecting_not_offline(
    loop: qasync.QEventLoop, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mesh ↔ SFU: the old call's track ends while the host is still publishing; their tile
    keeps the last frame as "Reconnecting…" until the new call's video comes, and says
    "Offline" only when none comes."""
    monkeypatch.setattr(stage_module, "HOLD_S", 0.5)
    stage = CohostStage()
    qtbot.addWidget(stage)
    stage.resize(640, 360)
    stage.set_layout([Tile("bob", 0.0, 0.0, 1.0, 1.0)], {"bob": Fighter("bob", "Bob")}, me="alice")
    feeds = TileFeeds(stage)
    old = ControlledTrack()
    feeds.remote("bob", old)
    old.send()
    qtbot.waitUntil(lambda: stage.frame_counts.get("bob", 0) == 1, timeout=WAIT)

    feeds.hold("bob")
    old.end()  # the old call hangs up
    qtbot.wait(100)
    assert stage.status.get("bob") == RECONNECTING and "bob" in stage.frames
    new = ControlledTrack()
    feeds.remote("bob", new)
    new.send()
    qtbot.waitUntil(lambda: stage.frame_counts.get("bob", 0) == 2, timeout=WAIT)
    qtbot.wait(700)  # past HOLD_S: the new video cancelled the wait for it
    assert "bob" not in stage.status

    feeds.hold("bob")  # and this time no video comes back
    qtbot.waitUntil(lambda: stage.status.get("bob") == OFFLINE, timeout=WAIT)
    closing = asyncio.ensure_future(feeds.close())
    qtbot.waitUntil(closing.done, timeout=WAIT)


def test_a_picture_of_another_shape_is_fitted_whole_not_cropped(qtbot: QtBot) -> None:
    """A 4:3 camera in a 16:9 tile: both edges of the picture stay in view (a face near the
    edge is not cut away), with bars beside it."""
    stage = CohostStage()
    qtbot.addWidget(stage)
    stage.resize(640, 360)
    stage.set_layout([Tile("bob", 0.0, 0.0, 1.0, 1.0)], {"bob": Fighter("bob", "Bob")}, me="")
    picture = np.full((480, 640, 3), 128, np.uint8)
    picture[:, :40] = (0, 0, 255)  # red left edge, blue right edge (BGR)
    picture[:, -40:] = (255, 0, 0)
    size = stage.tile_size("bob")
    assert size is not None
    fitted = stage_module._fit(picture, size)
    assert fitted.shape[0] == size[1] and fitted.shape[1] < size[0]  # whole, at full height
    stage.set_frame("bob", fitted)
    image = stage.grab().toImage()
    row = image.height() // 2
    colours = [image.pixelColor(x, row) for x in range(image.width())]
    reds = [x for x, c in enumerate(colours) if c.red() > 200 and c.blue() < 60]
    blues = [x for x, c in enumerate(colours) if c.blue() > 200 and c.red() < 60]
    assert reds and blues and min(reds) > 40 and max(blues) < image.width() - 40  # bars outside


class EndlessTrack(MediaStreamTrack):
    """A frame each turn of the event loop, for ever."""

    kind = "video"

    async def recv(self) -> av.VideoFrame:
        await asyncio.sleep(0)
        return av.VideoFrame(16, 16, "yuv420p")


def test_a_remote_feed_stops_whenever_it_is_cancelled(
    loop: qasync.QEventLoop, qtbot: QtBot
) -> None:
    """Python 3.11's ``asyncio.wait_for`` drops a cancellation that lands just as the frame
    it waits for arrives; a feed loop built on it then never stops (nor the battle's close
    that waits for it)."""
    feeds = TileFeeds(CohostStage())  # no tile for the host: the loop never leaves asyncio

    async def stop_after(turns: int) -> None:
        feeds.remote("bob", EndlessTrack())
        for _ in range(turns):
            await asyncio.sleep(0)
        await asyncio.wait_for(feeds.stop("bob"), 2.0)

    for turns in range(8):  # every point of the loop's cycle
        stopping = asyncio.ensure_future(stop_after(turns))
        qtbot.waitUntil(stopping.done, timeout=WAIT)
        stopping.result()
    assert not feeds.users


@pytest.mark.parametrize(("width", "height", "stacked"), [(1200, 500, False), (450, 860, True)])
def test_pk_pictures_are_whole_side_by_side_or_stacked(
    qtbot: QtBot, width: int, height: int, stacked: bool
) -> None:
    stage = PairStage()
    qtbot.addWidget(stage)
    stage.resize(width, height)
    hosts = {name: Fighter(name, name.title()) for name in ("alice", "bob")}
    stage.set_pair(("alice", "bob"), hosts, me="alice")
    assert stage.stacked() is stacked
    first, second = (stage.tile_rect(t) for t in stage.tiles)
    assert (second.top() > first.top()) is stacked and (second.left() > first.left()) is not stacked
    for user in ("alice", "bob"):
        size = stage.tile_size(user)
        assert size is not None
        assert abs(size[0] / size[1] - 16 / 9) < 0.05  # whole pictures: nothing cropped
        assert size[0] >= min(width, 2 * height) * 0.45  # and as large as the area allows

    stage.resize(height * 2, width // 2)  # the dock moved: the pair is rearranged
    assert [t.user_id for t in stage.tiles] == ["alice", "bob"]
    assert stage.stacked() is not stacked
