"""Media benchmarks (printed, never asserted).

1. Glass-to-glass latency at 720p30 with the default beauty chain ("Natural beauty"): a marker
   drawn into each source frame is read back from the frame the viewer decoded; latency is
   decode time minus capture time (p50, p95). Publisher, backend and viewer share one machine;
   the backend runs in a process of its own, the viewer in the publisher's (one clock).
2. SFU cost: CPU of the backend process against the number of subscribers (1, 10, 25, 50) of
   one 720p stream, next to stock ``aiortc.contrib.media.MediaRelay`` (decode once, encode per
   viewer) in the same run, with the frame rate each viewer actually got (MediaRelay
   saturates the CPU after a few viewers, and then its viewers get fewer frames). The backend,
   the publisher and the subscribers are separate processes; subscribers do not decode, so
   their cost never lands on the backend. ``python -m bench.media sfu-cost --counts 1 25
   --no-relay`` runs only this part, for the counts given, without the MediaRelay rows.

The processes talk over loopback; aioice is told to use 127.0.0.1 (it skips it by default).
On a shared machine other work would starve them (a starved backend forwards less and so
looks cheaper, a starved viewer loses packets), so the benchmark raises its own priority
(nice -5, inherited by its child processes) when it may.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import httpx
import numpy as np
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from fastapi import FastAPI, Request, Response
from numpy.typing import NDArray

from rtc.loopback import use_loopback_for_ice
from studio.core.quality import Condition, QualityController

SUBSCRIBERS = (1, 10, 25, 50)
VIEWERS_PER_PROCESS = 10
Process = asyncio.subprocess.Process
WINDOW_S = 10.0
LATENCY_S = 15.0
TICKS = os.sysconf("SC_CLK_TCK")


def prioritize() -> None:
    with contextlib.suppress(PermissionError):
        os.setpriority(os.PRIO_PROCESS, 0, -5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


async def register(base_url: str) -> tuple[str, str]:
    name = f"bench{os.getpid()}{int(time.time() * 1000) % 100000}"
    async with httpx.AsyncClient(base_url=base_url) as client:
        response = await client.post(
            "/api/auth/register", json={"username": name, "password": "correct horse"}
        )
        response.raise_for_status()
        return name, response.json()["data"]["token"]


def pinned_720p() -> QualityController:
    """HD (720p30, 1.5 Mbps) whatever the measurements say: the benchmark fixes the load."""
    return QualityController(start=Condition.GOOD, highest=Condition.GOOD, down_after=10**9)


def luma(frame: av.VideoFrame) -> NDArray[np.uint8]:
    """The Y plane without conversion or copy: the black/white marker reads the same there."""
    plane = frame.planes[0]
    rows = np.frombuffer(memoryview(plane), np.uint8).reshape(plane.height, plane.line_size)
    return rows[:, : plane.width]


# ---- 1. glass-to-glass latency ---------------------------------------------------------------
@contextlib.asynccontextmanager
async def backend_process() -> AsyncIterator[str]:
    """The backend in a process of its own, as deployed: it never shares the studio's GIL."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        async with child("_serve", str(port), "sfu", tmp):
            url = f"http://127.0.0.1:{port}"
            await wait_http(url + "/")
            yield url


async def glass_to_glass(with_filters: bool, codec: str = "vp8") -> None:
    from filters.assets import asset
    from filters.pipeline import Pipeline
    from filters.presets import load
    from studio.core.frames import FrameFlow
    from studio.core.marker import read_marker
    from studio.core.publisher import Publisher
    from studio.core.sources import SampleSource
    from studio.core.subscriber import WhepPlayer

    preset = load(asset("presets", "natural_beauty.json"))
    chain = Pipeline(preset.video_filters() if with_filters else [])
    source = SampleSource(1280, 720, fps=30.0, marker=True)
    flow = FrameFlow(source, chain)
    async with backend_process() as url:
        name, token = await register(url)
        quality = pinned_720p()
        publisher = Publisher(f"{url}/whip/{name}", flow, token=token, quality=quality, codec=codec)
        await publisher.start()
        await asyncio.wait_for(publisher.wait_live(), 30)
        player = WhepPlayer(f"{url}/whep/{name}", token=token, kinds=("video",))
        await player.start()
        assert player.video is not None
        latencies: list[float] = []
        seen = 0
        warm = time.monotonic() + 2.0  # skip start-up: first keyframe, model loading
        deadline = warm + LATENCY_S
        while time.monotonic() < deadline:
            frame = await player.video.recv()
            assert isinstance(frame, av.VideoFrame)
            decoded_at = time.monotonic()
            seen += 1
            value = read_marker(luma(frame))
            captured = source.captured.get(value) if value is not None else None
            if captured is not None and decoded_at > warm:
                latencies.append((decoded_at - captured) * 1000)
        status = publisher.status
        await player.stop()
        await publisher.stop()
        flow.stop()
    chain.close()
    cuts = statistics.quantiles(latencies, n=20)
    chain_name = f"'{preset.name}' chain" if with_filters else "no filters"
    print(f"glass-to-glass, 720p30, {chain_name}, {codec.upper()}, loopback, one machine:")
    print(
        f"  frames measured {len(latencies)}  p50 {statistics.median(latencies):.1f} ms"
        f"  p95 {cuts[18]:.1f} ms  (filters {flow.stats.process_ms:.1f} ms/frame,"
        f" encode {status.encode_ms:.1f} ms/frame, frames skipped {flow.stats.skipped})"
    )


# ---- 2. SFU cost against MediaRelay --------------------------------------------------------
def relay_app() -> FastAPI:
    """The stock alternative: MediaRelay (decode once, re-encode for every viewer)."""
    from aiortc.contrib.media import MediaRelay

    app = FastAPI()
    relay = MediaRelay()
    sources: dict[str, object] = {}
    pcs: set[RTCPeerConnection] = set()

    async def answer(pc: RTCPeerConnection, request: Request) -> Response:
        offer = (await request.body()).decode()
        await pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        pcs.add(pc)
        location = f"/session/{id(pc)}"
        return Response(pc.localDescription.sdp, 201, {"Location": location}, "application/sdp")

    @app.post("/whip/{stream}")
    async def whip(stream: str, request: Request) -> Response:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pc.on("track", lambda track: sources.__setitem__(track.kind, track))
        return await answer(pc, request)

    @app.post("/whep/{stream}")
    async def whep(stream: str, request: Request) -> Response:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        for track in sources.values():
            pc.addTrack(relay.subscribe(track))  # type: ignore[arg-type]
        return await answer(pc, request)

    @app.delete("/session/{ident}")
    async def end(ident: str) -> Response:
        return Response(status_code=200)

    return app


def serve(port: int, mode: str, data_dir: Path) -> None:
    import uvicorn

    from backend.app import create_app
    from backend.settings import Settings

    use_loopback_for_ice()
    app: FastAPI
    if mode == "sfu":
        settings = Settings(
            db_path=data_dir / "onair.sqlite3",
            jwt_secret="b" * 40,
            port=port,
            rate_per_second=1e6,
            rate_burst=1_000_000,
        )
        app = create_app(settings)
    else:
        app = relay_app()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


async def subscribe(url: str, token: str, count: int) -> None:
    """``count`` viewers that receive the packets without decoding them.

    Prints ``ready`` once all are connected, then, for every line read from stdin, the number
    of video frames received so far by all of them together; runs until stdin ends.
    """
    from rtc import aiortc_hooks
    from studio.core.subscriber import WhepPlayer

    use_loopback_for_ice()
    aiortc_hooks.install()
    players = []
    drains: list[asyncio.Task[None]] = []
    video_frames = 0

    async def drain(track: MediaStreamTrack) -> None:
        nonlocal video_frames
        with contextlib.suppress(Exception):
            while True:
                await track.recv()
                video_frames += track.kind == "video"

    async def connect(attempts: int = 3) -> None:
        player = WhepPlayer(url, token=token)

        @player.pc.on("track")
        def encoded(track: object) -> None:
            aiortc_hooks.receive_encoded(track)  # type: ignore[arg-type]

        try:
            await player.start()
        except (TimeoutError, httpx.HTTPError):  # a loaded machine: connecting took too long
            await player.stop()
            if attempts == 1:
                raise
            await connect(attempts - 1)
            return
        players.append(player)
        drains.extend(asyncio.create_task(drain(t)) for t in (player.video, player.audio) if t)

    for start in range(0, count, 10):
        await asyncio.gather(*(connect() for _ in range(min(10, count - start))))
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    while await loop.run_in_executor(None, sys.stdin.readline):
        print(video_frames, flush=True)
    for player in players:
        await player.stop()


@contextlib.asynccontextmanager
async def child(*args: str) -> AsyncIterator[asyncio.subprocess.Process]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.media", *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield process
    finally:
        if process.returncode is None:
            assert process.stdin is not None
            process.stdin.close()
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()


async def wait_http(url: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            with contextlib.suppress(httpx.HTTPError):
                await client.get(url)
                return
            await asyncio.sleep(0.1)


def encoded_clip(seconds: int = 3) -> list[bytes]:
    """3 s of the sample clip as 720p VP8 at 1.5 Mbps, a keyframe every second."""
    from studio.core.encoder import VideoEncoder
    from studio.core.sources import SampleSource

    clip = SampleSource(1280, 720, fps=30.0)._clip
    encoder = VideoEncoder("vp8")
    packets = []
    for index in range(30 * seconds):
        packet = encoder.encode(clip.frame(index), index * 3000, 1_500_000, 30.0, index % 30 == 0)
        assert packet is not None
        packets.append(bytes(packet))
    return packets


class ReplayTrack(MediaStreamTrack):
    """Sends pre-encoded 720p30 packets in a loop: a publisher that costs (almost) nothing,
    so the backend's load is the same at every subscriber count."""

    kind = "video"

    def __init__(self, packets: list[bytes]) -> None:
        super().__init__()
        self.packets = packets
        self.sent = 0
        self.bytes = 0
        self._start: float | None = None

    async def recv(self) -> av.Packet:
        if self._start is None:
            self._start = time.monotonic()
        await asyncio.sleep(max(0.0, self._start + self.sent / 30 - time.monotonic()))
        data = self.packets[self.sent % len(self.packets)]
        packet = av.Packet(data)
        packet.pts = self.sent * 3000
        packet.time_base = Fraction(1, 90000)
        self.sent += 1
        self.bytes += len(data)
        return packet


async def replay_publish(url: str, token: str, track: ReplayTrack) -> RTCPeerConnection:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    transceiver = pc.addTransceiver(track, direction="sendonly")
    vp8 = [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType == "video/VP8"]
    transceiver.setCodecPreferences(vp8)
    connected = asyncio.Event()

    @pc.on("connectionstatechange")
    def on_state() -> None:
        if pc.connectionState == "connected":
            connected.set()

    await pc.setLocalDescription(await pc.createOffer())
    headers = {"Content-Type": "application/sdp"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with httpx.AsyncClient() as client:
        response = await client.post(url, content=pc.localDescription.sdp, headers=headers)
    response.raise_for_status()
    await pc.setRemoteDescription(RTCSessionDescription(response.text, "answer"))
    await asyncio.wait_for(connected.wait(), 30)
    return pc


async def frames_received(viewers: asyncio.subprocess.Process) -> int:
    """Video frames all of a subscriber process's viewers got so far (see :func:`subscribe`)."""
    assert viewers.stdin is not None and viewers.stdout is not None
    viewers.stdin.write(b"\n")
    await viewers.stdin.drain()
    return int(await viewers.stdout.readline())


@dataclass(frozen=True)
class ServerLoad:
    cpu_pct: float  # backend process CPU, % of one core
    viewer_fps: float  # video frames a second each viewer received (the publisher sends 30)
    viewers_cpu_pct: float  # all subscriber processes together, % of one core


@contextlib.asynccontextmanager
async def viewer_processes(url: str, token: str, count: int) -> AsyncIterator[list[Process]]:
    """``count`` viewers, at most VIEWERS_PER_PROCESS to a process so they can use every core."""
    async with contextlib.AsyncExitStack() as stack:
        processes = []
        for start in range(0, count, VIEWERS_PER_PROCESS):
            size = str(min(VIEWERS_PER_PROCESS, count - start))
            processes.append(await stack.enter_async_context(child("_subscribe", url, token, size)))
        for process in processes:
            assert process.stdout is not None
            if await asyncio.wait_for(process.stdout.readline(), 600) != b"ready\n":
                raise RuntimeError("a subscriber process could not connect its viewers")
        yield processes


async def measure(server: Process, viewers: list[Process], count: int) -> ServerLoad:
    def cpu() -> tuple[float, float]:
        return cpu_seconds(server.pid), sum(cpu_seconds(v.pid) for v in viewers)

    async def received() -> int:
        return sum([await frames_received(v) for v in viewers])

    (server_start, viewers_start), start = cpu(), time.monotonic()
    got = await received()
    await asyncio.sleep(WINDOW_S)
    got = await received() - got
    server_end, viewers_end = cpu()
    elapsed = time.monotonic() - start
    return ServerLoad(
        100.0 * (server_end - server_start) / elapsed,
        got / elapsed / count,
        100.0 * (viewers_end - viewers_start) / elapsed,
    )


async def server_load(
    mode: str, counts: tuple[int, ...], clip: list[bytes]
) -> dict[int, ServerLoad]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    results: dict[int, ServerLoad] = {}
    with tempfile.TemporaryDirectory() as tmp:
        async with child("_serve", str(port), mode, tmp) as server:
            await wait_http(url + "/")
            name, token = (await register(url)) if mode == "sfu" else ("relay", "")
            track = ReplayTrack(clip)
            publisher = await replay_publish(f"{url}/whip/{name}", token, track)
            for count in counts:
                async with viewer_processes(f"{url}/whep/{name}", token, count) as viewers:
                    await asyncio.sleep(2.0)  # settle: every subscriber got its keyframe
                    frames, sent, start = track.sent, track.bytes, time.monotonic()
                    load = results[count] = await measure(server, viewers, count)
                    elapsed = time.monotonic() - start
                    print(
                        f"  ({mode}: {count} subscribers, {load.cpu_pct:.1f} % of a core,"
                        f" {load.viewer_fps:.1f} fps a viewer, the viewers'"
                        f" {len(viewers)} processes {load.viewers_cpu_pct:.0f} % of a core;"
                        f" publisher {(track.sent - frames) / elapsed:.0f} fps,"
                        f" {(track.bytes - sent) * 8 / elapsed / 1000:.0f} kbps,"
                        f" load average {os.getloadavg()[0]:.1f})"
                    )
            await publisher.close()
    return results


async def sfu_cost(counts: tuple[int, ...] = SUBSCRIBERS, with_relay: bool = True) -> None:
    clip = encoded_clip()
    sfu = await server_load("sfu", counts, clip)
    relay = await server_load("relay", counts, clip) if with_relay else {}
    print("backend CPU (% of one core) and frames each viewer got (fps, 30 sent) for one 720p30")
    print("VP8 stream (~1.5 Mbps), SFU packet forwarding next to stock MediaRelay, same run:")
    print(f"  {'subscribers':>11}  {'SFU CPU':>8}  {'per extra':>9}  {'SFU fps':>7}"
          f"  {'MediaRelay CPU':>14}  {'MediaRelay fps':>14}")  # fmt: skip
    previous: tuple[int, float] | None = None
    for count in counts:
        extra = ""
        if previous is not None:
            extra = f"{(sfu[count].cpu_pct - previous[1]) / (count - previous[0]):.2f}"
        previous = (count, sfu[count].cpu_pct)
        relay_cpu, relay_fps = (
            (f"{relay[count].cpu_pct:.1f}", f"{relay[count].viewer_fps:.1f}")
            if count in relay
            else ("-", "-")
        )
        print(
            f"  {count:>11}  {sfu[count].cpu_pct:>8.1f}  {extra:>9}  {sfu[count].viewer_fps:>7.1f}"
            f"  {relay_cpu:>14}  {relay_fps:>14}"
        )


def main() -> None:
    prioritize()
    use_loopback_for_ice()
    asyncio.run(glass_to_glass(with_filters=True))
    asyncio.run(glass_to_glass(with_filters=False))
    asyncio.run(glass_to_glass(with_filters=True, codec="h264"))  # the cheaper encoder
    asyncio.run(sfu_cost())


def _cli() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    serve_cmd = sub.add_parser("_serve")
    serve_cmd.add_argument("port", type=int)
    serve_cmd.add_argument("mode", choices=("sfu", "relay"))
    serve_cmd.add_argument("data_dir", type=Path)
    subscribe_cmd = sub.add_parser("_subscribe")
    subscribe_cmd.add_argument("url")
    subscribe_cmd.add_argument("token")
    subscribe_cmd.add_argument("count", type=int)
    cost_cmd = sub.add_parser("sfu-cost", help="only the SFU cost part (quicker to iterate on)")
    cost_cmd.add_argument("--counts", type=int, nargs="+", default=list(SUBSCRIBERS))
    cost_cmd.add_argument("--no-relay", action="store_true", help="skip the MediaRelay rows")
    args = parser.parse_args()
    if args.command == "sfu-cost":
        prioritize()
        use_loopback_for_ice()
        asyncio.run(sfu_cost(tuple(args.counts), with_relay=not args.no_relay))
    elif args.command == "_serve":
        serve(args.port, args.mode, args.data_dir)
    elif args.command == "_subscribe":
        asyncio.run(subscribe(args.url, args.token, args.count))
    else:
        main()


if __name__ == "__main__":
    _cli()
