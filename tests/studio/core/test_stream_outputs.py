"""Streaming to other platforms, against real servers: nginx with its RTMP module on loopback
(two of them, each recording what it receives), the OnAir backend over WHIP and an aiortc
WHEP viewer; ffprobe reads what arrived."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import signal
import socket
import sys
import time
from asyncio.subprocess import PIPE
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bench._rtmp_server import RtmpServer, rtmp_server
from studio.core.broadcast import Broadcast
from studio.core.destinations import Destination
from studio.core.output_deck import OutputDeck
from studio.core.outputs import OutputState
from studio.core.protocols import NO_SRT, output_protocols
from studio.core.push_process import PushProcess
from studio.core.recorder import RecordingPlan
from studio.core.shared_encoder import EncodeSetting
from studio.core.source_switch import SAMPLE
from studio.core.sources import SampleSource
from studio.core.stream_key_store import FileKeyStore
from studio.core.stream_output import OutputStatus, StreamOutput
from studio.core.subscriber import WhepPlayer
from tests.backend.api_helpers import register
from tests.helpers_media import (
    Collector,
    live_broadcast,
    loopback_ice,  # noqa: F401  (fixture)
)
from tests.media_probe import probe
from tests.servers import LiveServer

pytestmark = pytest.mark.usefixtures("loopback_ice")

SIZE = (640, 360)
DOWN_S = 3.0  # how long the first RTMP server stays dead
SETTING = EncodeSetting(*SIZE, 800, preset="ultrafast")


@pytest.fixture
def rtmp_a(tmp_path: Path) -> Iterator[RtmpServer]:
    with rtmp_server(tmp_path / "rtmp-a") as server:
        yield server


@pytest.fixture
def rtmp_b(tmp_path: Path) -> Iterator[RtmpServer]:
    with rtmp_server(tmp_path / "rtmp-b") as server:
        yield server


def destination(server: RtmpServer, **values: object) -> Destination:
    defaults = {"server": server.url, "resolution": "640x360", "bitrate": 800}
    return Destination.from_preset("rtmp").with_values(
        **{**defaults, "speed": "ultrafast", **values}
    )


def deck_for(broadcast: Broadcast, tmp_path: Path, keyed: dict[str, Destination]) -> OutputDeck:
    keys = FileKeyStore(tmp_path / "cfg" / "stream-keys.json")
    for key, dest in keyed.items():
        keys.set(dest.id, key)
    plan = RecordingPlan(tmp_path / "recordings")
    return OutputDeck(broadcast, keys, list(keyed.values()), plan, max_backoff_s=1.0)


async def until(check: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        await asyncio.sleep(0.05)


def longest_marker_gap(markers: list[int]) -> int:
    return max((b - a for a, b in itertools.pairwise(markers)), default=0)


async def test_two_destinations_and_whip_share_one_encode_and_one_reconnects_alone(
    server: LiveServer, rtmp_a: RtmpServer, rtmp_b: RtmpServer, tmp_path: Path
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        host = await register(client)
    async with live_broadcast(server.url, host.username, host.token, size=SIZE) as broadcast:
        a, b = destination(rtmp_a), destination(rtmp_b)
        deck = deck_for(broadcast, tmp_path, {"alpha": a, "bravo": b})
        seen: dict[str, list[OutputStatus]] = {a.id: [], b.id: []}
        deck.status_changed.add(lambda change: seen[change[0]].append(change[1]))
        await deck.start_enabled()
        await until(lambda: all(deck.status(d.id).state is OutputState.LIVE for d in (a, b)))

        # One encode for both destinations (same setting), two feeds of it.
        [encoder] = broadcast.encoders.encoders.values()
        assert encoder.subscribers == 2

        player = WhepPlayer(f"{server.url}/whep/{host.username}", token=host.token)
        await player.start()
        assert player.video is not None
        viewer = Collector(player.video).start()
        try:
            await viewer.wait_for(lambda: len(viewer.markers) > 30)
            # From the last frame before A goes down: the viewer's first picture is the cached
            # keyframe, held until the keyframe it asked for (a gap by design, see the SFU).
            before_down = len(viewer.markers) - 1
            rtmp_a.kill()
            await until(lambda: deck.status(a.id).state is OutputState.RECONNECTING)
            await asyncio.sleep(DOWN_S)
            rtmp_a.start()
            await until(lambda: deck.status(a.id).state is OutputState.LIVE, what="A back")
            await asyncio.sleep(2.0)
        finally:
            await viewer.stop()
            await player.stop()

        # The viewer on the WHIP stream saw no gap while A was down.
        while_down = viewer.markers[before_down:]
        assert longest_marker_gap(while_down) <= 30, while_down
        assert deck.status(a.id).reconnects == 1
        waits = {s.retry_in_s for s in seen[a.id] if s.state is OutputState.RECONNECTING}
        assert waits - {0}, "the status never said when the next attempt comes"
        assert all(s.state is OutputState.LIVE for s in seen[b.id][1:]), "B was disturbed"
        b_uptime = deck.status(b.id).uptime_s

        await broadcast.end()  # ending the broadcast stops every destination
        await deck.settled()
        assert {deck.status(d.id).state for d in (a, b)} == {OutputState.STOPPED}
        assert broadcast.encoders.encoders == {}

    rtmp_a.stop()
    rtmp_b.stop()
    [b_file] = rtmp_b.recorded("bravo")
    got = probe(b_file)
    assert (got.video_codec, got.audio_codec, got.width, got.height) == ("h264", "aac", *SIZE)
    assert got.audio_rate == 48000
    # From half a second in: a starved machine may take a while between the push's first
    # keyframe and the next frame; A went down later (the WHEP viewer had 30 frames by then).
    assert got.longest_gap(after=0.5) < 0.5, "B's stream had a gap while A reconnected"
    assert abs(got.duration - b_uptime) < 1.5
    # 30 fps: every frame sits on the 1/30 s grid (FLV rounds to milliseconds); frames the
    # busy machine's program never made leave gaps on the grid, not other timings.
    # The recording's clock starts at its first packet, which may be a sound: the grid is the
    # first frame's.
    slots = [(t - got.video_times[0]) * 30 for t in got.video_times]
    assert max(abs(s - round(s)) for s in slots) < 0.05, got.video_times
    assert got.fps > 10
    # A published twice: before the kill, and again after it reconnected.
    assert len(rtmp_a.recorded("alpha")) == 2
    assert probe(rtmp_a.recorded("alpha")[-1]).duration > 1.0


async def test_a_refused_key_fails_once_in_the_servers_words(
    server: LiveServer, rtmp_a: RtmpServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with httpx.AsyncClient(base_url=server.url) as client:
        host = await register(client)
    async with live_broadcast(server.url, host.username, host.token, size=SIZE) as broadcast:
        first, second = destination(rtmp_a), destination(rtmp_a, bitrate=600)
        secret = "same-secret-key-7f3a"
        deck = deck_for(broadcast, tmp_path, {secret: first})
        await deck.start_enabled()
        await until(lambda: deck.status(first.id).state is OutputState.LIVE)
        deck.add(second, secret)  # the same key twice, added while live: it starts at once
        await deck.settled()  # and nginx refuses the second publisher
        await until(lambda: deck.status(second.id).state is OutputState.FAILED)
        await asyncio.sleep(3.0)  # a retry storm would show in this time

        refused = deck.status(second.id)
        assert refused.error == "The server refused the stream: Already publishing"
        assert refused.attempts == 1
        assert deck.status(first.id).state is OutputState.LIVE
        # The refused output (another bitrate) gave its encode back: only the first one runs.
        assert len(broadcast.encoders.encoders) == 1

        await deck.update(second, "another-key")  # the key corrected: it starts afresh
        await until(lambda: deck.status(second.id).state is OutputState.LIVE)
        assert len(broadcast.encoders.encoders) == 2
        await deck.close()
    log_text = (rtmp_a.root / "error.log").read_text()
    assert log_text.count("already publishing") == 1
    assert rtmp_a.recorded("another-key")
    assert secret not in caplog.text, "a stream key reached the log"


async def test_a_destination_that_cannot_start_says_why_without_connecting(
    tmp_path: Path,
) -> None:
    broadcast = Broadcast()
    tiktok = Destination.from_preset("tiktok")
    keyless = Destination.from_preset("twitch")
    deck = deck_for(broadcast, tmp_path, {"key": tiktok})
    deck.add(keyless)
    await deck.start_enabled()
    assert "enter the server URL" in deck.status(tiktok.id).error
    assert "TikTok LIVE Center" in deck.status(tiktok.id).error
    assert deck.status(keyless.id).error == "Twitch: enter the stream key"
    assert broadcast.outputs == {}
    await broadcast.close()


@pytest.mark.skipif("srt" in output_protocols(), reason="this FFmpeg build has SRT")
async def test_srt_says_plainly_that_this_ffmpeg_lacks_it(tmp_path: Path) -> None:
    broadcast = Broadcast()
    srt = Destination.from_preset("srt").with_values(server="srt://127.0.0.1:9000")
    deck = deck_for(broadcast, tmp_path, {"": srt})
    await deck.start_enabled()
    assert deck.status(srt.id) == OutputStatus(OutputState.FAILED, error=NO_SRT)
    assert broadcast.outputs == {}
    await broadcast.close()


# ---- servers that never answer ------------------------------------------------------------
HANDSHAKE = 1536  # bytes of each RTMP handshake part after the version byte


@dataclass
class Unanswering:
    url: str
    asked: asyncio.Event  # the client got as far as this server lets it and waits


@contextlib.asynccontextmanager
async def unanswering_server(kind: str) -> AsyncIterator[Unanswering]:
    """An RTMP server on loopback that never answers: ``silent`` listens but never accepts (the
    kernel completes the TCP handshake, then nothing); ``stalling`` accepts and sends the first
    byte of an RTMP handshake (S0), then nothing; ``quiet`` completes the RTMP handshake and
    never answers the client's ``connect`` command (FFmpeg then waits inside its connect)."""
    asked = asyncio.Event()
    if kind == "silent":
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen(1)
            yield Unanswering(f"rtmp://127.0.0.1:{listener.getsockname()[1]}/live/key", asked)
        return
    held: list[asyncio.StreamWriter] = []

    async def stall(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        writer.write(b"\x03")
        if kind == "quiet":
            await reader.readexactly(1 + HANDSHAKE)  # C0, C1
            writer.write(bytes(2 * HANDSHAKE))  # S1, S2
            await reader.readexactly(HANDSHAKE)  # C2
            await reader.read(1)  # the start of the connect command, never answered
        asked.set()

    server = await asyncio.start_server(stall, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield Unanswering(f"rtmp://127.0.0.1:{port}/live/key", asked)
    finally:
        for writer in held:  # FFmpeg's hung connection ends with this
            writer.close()
        server.close()


def sample_broadcast() -> Broadcast:
    broadcast = Broadcast()
    broadcast.use_source(SampleSource(*SIZE, fps=30.0), SAMPLE)
    return broadcast


def process_state(pid: int) -> tuple[int, str] | None:
    """(parent, state) of process ``pid``; None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    state, parent = text[text.rindex(")") + 2 :].split()[:2]
    return int(parent), state


def push_processes(parent: int | None = None) -> list[str]:
    """The push processes and zombie children of ``parent`` (this test process by default),
    as "pid state": none once every output has stopped, each process reaped."""
    me, found = parent or os.getpid(), []
    for folder in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            known = process_state(int(folder.name))
            command = (folder / "cmdline").read_bytes()
            if known and known[0] == me and (b"push_child" in command or known[1] == "Z"):
                found.append(f"{folder.name} {known[1]}")
    return found


@pytest.mark.parametrize("kind", ["silent", "stalling", "quiet"])
async def test_a_server_that_never_answers_times_out_and_the_backoff_goes_on(kind: str) -> None:
    broadcast = sample_broadcast()
    async with unanswering_server(kind) as server:
        output = StreamOutput(
            broadcast.encoders, server.url, SETTING, max_backoff_s=1.0, connect_timeout_s=1.0
        )
        statuses: list[OutputStatus] = []
        output.status_changed.add(statuses.append)
        await output.start()
        await until(lambda: output.status.attempts >= 3, what="a third attempt")
        await output.stop()
    await broadcast.close()
    timed_out = [s for s in statuses if s.error == "Could not connect: timed out after 1 s"]
    assert timed_out, statuses
    assert any(s.state is OutputState.RECONNECTING and s.retry_in_s >= 1 for s in timed_out)
    assert output.state is OutputState.STOPPED
    assert push_processes() == []


@pytest.mark.parametrize("kind", ["silent", "stalling", "quiet"])
async def test_stop_returns_promptly_while_connecting_to_a_server_that_never_answers(
    kind: str,
) -> None:
    broadcast = sample_broadcast()
    async with unanswering_server(kind) as server:
        output = StreamOutput(broadcast.encoders, server.url, SETTING, connect_timeout_s=120.0)
        await output.start()
        await until(lambda: output.state is OutputState.CONNECTING)
        if kind != "silent":
            await asyncio.wait_for(server.asked.wait(), 20.0)  # well into the connection
        assert push_processes(), "no push process is connecting"
        await asyncio.wait_for(output.stop(), 10.0)  # not the 120 s connect timeout
        assert output.state is OutputState.STOPPED
        assert output.status.attempts == 1
    await broadcast.close()
    assert push_processes() == []


async def test_a_server_gone_quiet_after_the_handshake_stalls_nothing_else(
    rtmp_a: RtmpServer,
) -> None:
    """FFmpeg waiting inside its connect (no timeout, the GIL held) once froze the whole
    studio: now it waits in a push process, and the studio and its other outputs go on."""
    broadcast = sample_broadcast()
    healthy = StreamOutput(broadcast.encoders, f"{rtmp_a.url}/healthy", SETTING)
    await healthy.start()
    await until(lambda: healthy.state is OutputState.LIVE, what="the healthy output live")
    async with unanswering_server("quiet") as server:
        stuck = StreamOutput(
            broadcast.encoders, server.url, SETTING, max_backoff_s=1.0, connect_timeout_s=3.0
        )
        await stuck.start()
        await asyncio.wait_for(server.asked.wait(), 20.0)
        # FFmpeg now waits for an answer to its connect command that never comes. The event
        # loop runs (this very wait needs it) and the other output keeps sending.
        uptime = healthy.status.uptime_s
        await until(lambda: healthy.status.uptime_s > uptime + 2.0, what="the healthy output")
        assert healthy.status.bitrate_kbps > 0
        await until(lambda: stuck.status.attempts >= 2, what="a second attempt")
        assert stuck.status.error == "Could not connect: timed out after 3 s"
        assert healthy.state is OutputState.LIVE
        await asyncio.wait_for(stuck.stop(), 10.0)
    live_for = healthy.status.uptime_s
    await asyncio.wait_for(healthy.stop(), 10.0)
    await broadcast.close()
    assert push_processes() == []
    rtmp_a.stop()
    [recorded] = rtmp_a.recorded("healthy")
    got = probe(recorded)
    assert abs(got.duration - live_for) < 1.5, (got.duration, live_for)
    assert got.longest_gap(after=0.5) < 0.5, "the healthy output stalled with the quiet one"


async def test_a_push_process_that_dies_is_told_and_the_output_reconnects(
    rtmp_a: RtmpServer,
) -> None:
    broadcast = sample_broadcast()
    output = StreamOutput(broadcast.encoders, f"{rtmp_a.url}/killed", SETTING, max_backoff_s=1.0)
    statuses: list[OutputStatus] = []
    output.status_changed.add(statuses.append)
    await output.start()
    await until(lambda: output.state is OutputState.LIVE)
    [process] = push_processes()
    os.kill(int(process.split()[0]), signal.SIGKILL)
    await until(lambda: output.state is OutputState.RECONNECTING, what="the loss noticed")
    assert output.status.error == "The push process was stopped by SIGKILL"
    await until(lambda: output.state is OutputState.LIVE, what="live again")
    assert output.status.reconnects == 1
    await output.stop()
    await broadcast.close()
    assert push_processes() == []
    assert len(rtmp_a.recorded("killed")) == 2


async def test_a_push_process_dies_with_the_studio_even_while_stuck_connecting() -> None:
    async with unanswering_server("quiet") as server:
        studio = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.studio.core.push_until_killed",
            server.url,
            stdout=PIPE,
            cwd=Path(__file__).parents[3],
        )
        try:
            assert studio.stdout is not None
            assert await studio.stdout.readline() == b"connecting\n"
            await asyncio.wait_for(server.asked.wait(), 20.0)  # FFmpeg waits inside its connect
            [process] = push_processes(studio.pid)
            pid = int(process.split()[0])
            studio.kill()  # no clean-up runs in the studio
        finally:
            with contextlib.suppress(ProcessLookupError):
                studio.kill()
            await studio.wait()

        def gone() -> bool:
            known = process_state(pid)
            return known is None or known[1] == "Z"  # dead, waiting for init to reap it

        await until(gone, what="the orphaned push process gone")


async def test_what_a_push_process_says_on_stderr_becomes_its_status_without_the_key() -> None:
    key = "live_8812_secret"
    read_end, write_end = os.pipe()
    words = f"print('Cannot reach rtmp://example.test/app/{key}', file=__import__('sys').stderr)"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        f"{words}; raise SystemExit(3)",
        stdin=read_end,
        stdout=PIPE,
        stderr=PIPE,
    )
    os.close(read_end)
    push = PushProcess(process, os.fdopen(write_end, "wb"), secret=key)
    await push.close(grace_s=10.0)
    assert process.returncode == 3
    assert str(push.failure()) == (
        "The push process stopped: Cannot reach rtmp://example.test/app/***"
    )


async def test_the_bundle_starts_its_push_processes_with_onair_push(
    rtmp_a: RtmpServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PyInstaller bundle has no ``python -m``: its executable is ``onair``, and ``onair
    push`` runs the push process (here ``onair`` is this interpreter running the CLI)."""
    onair = tmp_path / "onair"
    onair.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m onair_cli "$@"\n')
    onair.chmod(0o755)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(onair))
    broadcast = sample_broadcast()
    output = StreamOutput(broadcast.encoders, f"{rtmp_a.url}/bundled", SETTING)
    await output.start()
    await until(lambda: output.state is OutputState.LIVE)
    assert output.push_pid is not None
    command = Path(f"/proc/{output.push_pid}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")
    assert command[-3:-1] == [b"onair_cli", b"push"]
    await asyncio.sleep(1.0)
    await output.stop()
    await broadcast.close()
    rtmp_a.stop()
    assert probe(rtmp_a.recorded("bundled")[0]).duration > 0.5
