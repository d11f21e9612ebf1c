"""Every way a viewer or publisher can go away leaves nothing behind."""

from __future__ import annotations

import asyncio
import gc
import threading
import weakref

import httpx
import pytest
from aiortc import RTCPeerConnection

from studio.core.subscriber import WhepPlayer
from tests.backend.api_helpers import register
from tests.helpers_media import live_publisher, loopback_ice  # noqa: F401
from tests.servers import LiveServer

pytestmark = pytest.mark.usefixtures("loopback_ice")
CYCLES = 100
AT_ONCE = 10


def media_threads() -> list[str]:
    """Threads a peer connection owns (decoders); worker pools are shared and bounded."""
    pooled = ("AnyIO worker thread", "asyncio_")
    return sorted(t.name for t in threading.enumerate() if not t.name.startswith(pooled))


def live_objects() -> tuple[int, list[asyncio.Task[object]]]:
    """The peer connections alive, and every pending task (on the test's loop and on the
    server's thread), from one collection."""
    gc.collect()
    objects = gc.get_objects()
    pcs = sum(1 for o in objects if isinstance(o, RTCPeerConnection))
    return pcs, [o for o in objects if isinstance(o, asyncio.Task) and not o.done()]


def described(tasks: list[asyncio.Task[object]]) -> str:
    return "; ".join(f"{t.get_name()} {t.get_coro()!r} at {t.get_stack(limit=3)}" for t in tasks)


async def settle(condition: object, timeout: float = 20.0) -> None:
    async def poll() -> None:
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), timeout)


async def test_100_join_leave_cycles_leave_no_peer_connection_task_or_thread(
    server: LiveServer,
) -> None:
    media = server.app.state.media
    async with httpx.AsyncClient(base_url=server.url) as client:
        alice = await register(client)
        viewer = await register(client)
    url = f"{server.url}/whep/{alice.username}"
    server_pcs: list[weakref.ref[RTCPeerConnection]] = []

    async def cycle(number: int) -> None:
        player = WhepPlayer(url, token=viewer.token)
        await player.start()
        for session in list(media.sessions.values()):
            server_pcs.append(weakref.ref(session.pc))
        if number % 2:
            await player.stop()  # DELETE, then close
        else:
            await player.pc.close()  # just hang up: the server notices on its own

    async with live_publisher(server.url, alice.username, alice.token, size=(256, 144)):
        await cycle(0)
        await settle(lambda: len(media.sessions) == 1)
        baseline_threads = media_threads()
        baseline_pcs, baseline_tasks = live_objects()
        # Weak: with the baseline's tasks held in a set, every server-side peer connection of
        # the run stayed alive to the end (the last assertion failed).
        before: weakref.WeakSet[asyncio.Task[object]] = weakref.WeakSet(baseline_tasks)
        del baseline_tasks

        def left_over() -> tuple[int, list[asyncio.Task[object]]]:
            """Peer connections alive, and the pending tasks started since the baseline (not
            counting the poll asking)."""
            pcs, pending = live_objects()
            polling = asyncio.current_task()
            return pcs, [t for t in pending if t not in before and t is not polling]

        def nothing_left() -> bool:
            pcs, started = left_over()
            return pcs <= baseline_pcs and not started

        for start in range(0, CYCLES, AT_ONCE):
            await asyncio.gather(*(cycle(n) for n in range(start, start + AT_ONCE)))
        await settle(lambda: len(media.sessions) == 1)  # only the publisher is left
        stream = media.streams[alice.username]
        assert stream.viewers == set()
        stills = server.app.state.stills.track(alice.username)  # the home page's pictures
        assert all(not (f.subscribers - {stills}) for f in stream.fanouts.values())
        await settle(lambda: media_threads() == baseline_threads)
        # A task still finishing (seen once, at load, beside the bundle's build) goes in a
        # moment; a leaked one never does.
        try:
            await settle(nothing_left)
        except TimeoutError:
            pcs, started = left_over()
            pytest.fail(
                f"{pcs} peer connections against {baseline_pcs}; "
                f"tasks started since and still pending: {described(started)}"
            )
    await settle(lambda: not media.sessions and not media.streams)  # publisher gone too
    gc.collect()
    assert [ref for ref in server_pcs if ref() is not None] == []
