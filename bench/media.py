"""Media benchmarks (printed, never asserted).

1. Glass-to-glass latency at 720p30 with the default beauty chain ("Natural beauty"): a marker
   drawn into each source frame is read back from the frame the viewer decoded; latency is
   decode time minus capture time (p50, p95). Publisher, backend and viewer share one machine;
   the backend runs in a process of its own, the viewer in the publisher's (one clock). The
   last row has Chromium's /watch page as the viewer: a page script reads the marker from each
   frame the page presents (``requestVideoFrameCallback``); the page's clock is compared with
   this process's by round trips, and the skew printed. ``python -m bench.media glass
   [--browser]`` runs one row.
2. SFU cost: CPU of the backend process against the number of subscribers (1, 10, 25, 50) of
   one 720p stream, next to stock ``aiortc.contrib.media.MediaRelay`` (decode once, encode per
   viewer) in the same run, with the frame rate each viewer actually got (MediaRelay
   saturates the CPU after a few viewers, and then its viewers get fewer frames). The backend,
   the publisher and the subscribers are separate processes; subscribers do not decode, so
   their cost never lands on the backend. ``python -m bench.media sfu-cost --counts 1 25
   --no-relay`` runs only this part, for the counts given, without the MediaRelay rows;
   ``--baseline REV`` also serves the backend of that git revision (exported with ``git
   archive``) and alternates the two, twice, with the same publisher clip and viewers: the
   before/after comparison to make on a shared machine. The kernel's share of the backend's
   CPU (sending on loopback also pays for delivering to the viewers' sockets) is printed.

The processes talk over loopback; aioice is told to use 127.0.0.1 (it skips it by default).
On a shared machine other work would starve them (a starved backend forwards less and so
looks cheaper, a starved viewer loses packets), so the benchmark raises its own priority
(nice -5, inherited by its child processes) when it may.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
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
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:  # imported where used: the server and subscriber processes do not need them
    from playwright.async_api import Page

    from studio.core.broadcast import Broadcast
    from studio.core.publisher import Publisher
    from studio.core.sources import SampleSource, VideoSource

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


def resident_mb(pid: int) -> float:
    """The process's resident memory (VmRSS), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    return sum(cpu_split(pid))


def cpu_split(pid: int) -> tuple[float, float]:
    """The process's user and system (kernel) CPU seconds so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) / TICKS, int(fields[12]) / TICKS  # utime, stime


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
async def backend_process(tree: Path | None = None) -> AsyncIterator[str]:
    """The backend in a process of its own, as deployed: it never shares the studio's GIL
    (served from ``tree``, another revision's files, when given)."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        async with child("_serve", str(port), "sfu", tmp, tree=tree):
            url = f"http://127.0.0.1:{port}"
            await wait_http(url + "/")
            yield url


@contextlib.asynccontextmanager
async def live_studio(
    broadcast: Broadcast,
    source: VideoSource,
    codec: str = "vp8",
    quality: QualityController | None = None,
    tree: Path | None = None,
) -> AsyncIterator[tuple[str, str, str, Publisher]]:
    """``broadcast`` live from ``source`` on a fresh backend process (720p pinned unless
    ``quality`` says otherwise; from ``tree`` when given): (backend URL, stream name, its
    token, the publisher)."""
    from studio.core.broadcast import LiveTarget
    from studio.core.source_switch import SAMPLE

    async with backend_process(tree) as url:
        name, token = await register(url)
        broadcast.use_source(source, SAMPLE)
        try:
            publisher = await broadcast.go_live(
                LiveTarget(f"{url}/whip/{name}", token),
                codec=codec,
                quality=quality or pinned_720p(),
                audio=None,
            )
            await asyncio.wait_for(publisher.wait_live(), 30)
            yield url, name, token, publisher
        finally:
            await broadcast.close()


async def glass_to_glass(with_filters: bool, codec: str = "vp8", browser: bool = False) -> None:
    """The glass-to-glass row: into an aiortc viewer in this process, or with ``browser`` into
    the /watch page in Chromium (the marker read from each frame the page presents)."""
    from filters.assets import asset
    from filters.presets import load
    from studio.core.broadcast import Broadcast
    from studio.core.sources import SampleSource

    preset = load(asset("presets", "natural_beauty.json"))
    broadcast = Broadcast()
    if with_filters:
        broadcast.chain.apply_preset(preset)
    source = SampleSource(1280, 720, fps=30.0, marker=True)
    async with live_studio(broadcast, source, codec) as (url, name, token, publisher):
        flow = broadcast.flow
        assert flow is not None
        if browser:
            latencies, viewer = await latencies_in_chromium(url, name, source)
        else:
            latencies, viewer = await latencies_in_aiortc(url, name, token, source), "aiortc"
        status = publisher.status
    cuts = statistics.quantiles(latencies, n=20)
    chain_name = f"'{preset.name}' chain" if with_filters else "no filters"
    print(f"glass-to-glass, 720p30, {chain_name}, {codec.upper()}, loopback, into {viewer}:")
    print(
        f"  frames measured {len(latencies)}  p50 {statistics.median(latencies):.1f} ms"
        f"  p95 {cuts[18]:.1f} ms  (filters {flow.stats.process_ms:.1f} ms/frame,"
        f" encode {status.encode_ms:.1f} ms/frame, frames skipped {flow.stats.skipped},"
        f" load average {os.getloadavg()[0]:.1f})"
    )


async def latencies_in_aiortc(url: str, name: str, token: str, source: SampleSource) -> list[float]:
    """Capture → decoded by a WHEP player in this process (one clock), ms, after a warm-up."""
    from studio.core.marker import read_marker
    from studio.core.subscriber import WhepPlayer

    player = WhepPlayer(f"{url}/whep/{name}", token=token, kinds=("video",))
    await player.start()
    assert player.video is not None
    latencies: list[float] = []
    warm = time.monotonic() + WARM_UP_S  # skip start-up: first keyframe, model loading
    deadline = warm + LATENCY_S
    while time.monotonic() < deadline:
        frame = await player.video.recv()
        assert isinstance(frame, av.VideoFrame)
        decoded_at = time.monotonic()
        value = read_marker(luma(frame))
        captured = source.captured.get(value) if value is not None else None
        if captured is not None and decoded_at > warm:
            latencies.append((decoded_at - captured) * 1000)
    await player.stop()
    return latencies


WARM_UP_S = 2.0
READ_PRESENTED_MARKERS = """
window.onairPresented = [];
const CELLS = 22, CELL_PX = 8;  // studio.core.marker: 2 guard cells, 16 value bits, 4 check bits
const checksum = (v) => (v ^ (v >> 4) ^ (v >> 8) ^ (v >> 12) ^ 0xA) & 0xF;
function readMarker(video, context) {
  const width = (CELLS + 2) * CELL_PX;
  const cell = video.videoWidth / (CELLS + 2);
  context.drawImage(video, 0, 0, video.videoWidth, cell, 0, 0, width, CELL_PX);
  const pixels = context.getImageData(0, 0, width, CELL_PX).data;
  const bits = [];
  for (let index = 0; index < CELLS; index++) {
    let sum = 0;
    for (let y = 2; y < CELL_PX - 2; y++) {
      for (let x = index * CELL_PX + 2; x < (index + 1) * CELL_PX - 2; x++) {
        const at = (y * width + x) * 4;
        sum += pixels[at] + pixels[at + 1] + pixels[at + 2];
      }
    }
    bits.push(sum / (3 * (CELL_PX - 4) ** 2) > 127.5 ? 1 : 0);
  }
  if (bits[0] !== 1 || bits[1] !== 0) return null;
  let value = 0, check = 0;
  for (let i = 0; i < 16; i++) value |= bits[2 + i] << i;
  for (let i = 0; i < 4; i++) check |= bits[18 + i] << i;
  return check === checksum(value) ? value : null;
}
new MutationObserver(() => {
  for (const video of document.querySelectorAll("video:not([data-bench-read])")) {
    video.dataset.benchRead = "1";
    const canvas = new OffscreenCanvas((CELLS + 2) * CELL_PX, CELL_PX);
    const context = canvas.getContext("2d", { willReadFrequently: true });
    const presented = (now, frame) => {
      const value = readMarker(video, context);
      const at = performance.timeOrigin + frame.presentationTime;
      if (value !== null) window.onairPresented.push([value, at]);
      video.requestVideoFrameCallback(presented);
    };
    video.requestVideoFrameCallback(presented);
  }
}).observe(document, { childList: true, subtree: true });
"""
"""A page script: for each frame a ``<video>`` presents, the marker it carries and when it was
handed to the compositor (ms since the epoch)."""


async def latencies_in_chromium(
    url: str, name: str, source: SampleSource
) -> tuple[list[float], str]:
    """Capture → presented by the /watch page in Chromium, ms, after a warm-up, and what the
    viewer was (with how well the page's clock agrees with this process's)."""
    from bench._chromium import chromium

    to_epoch = time.time() - time.monotonic()
    latencies: list[float] = []
    async with chromium() as browser:
        page = await browser.new_page()
        await page.add_init_script(READ_PRESENTED_MARKERS)
        await page.goto(f"{url}/watch/{name}")
        await page.wait_for_function("() => window.onairPresented.length > 0", timeout=30_000)
        skew, uncertainty = await page_clock_skew_ms(page)
        await asyncio.sleep(WARM_UP_S)
        await page.evaluate("() => window.onairPresented.splice(0)")
        deadline = time.monotonic() + LATENCY_S
        while time.monotonic() < deadline:
            await asyncio.sleep(1.0)  # read often: the source forgets capture times after ~30 s
            presented = await page.evaluate("() => window.onairPresented.splice(0)")
            for value, at_ms in presented:
                captured = source.captured.get(value)
                if captured is not None:
                    latencies.append(at_ms - skew - (captured + to_epoch) * 1000)
    return latencies, f"Chromium's /watch page (clock skew {skew:+.1f} ± {uncertainty:.1f} ms)"


async def page_clock_skew_ms(page: Page) -> tuple[float, float]:
    """How far the page's epoch clock (timeOrigin + now) is ahead of this process's, and
    within how much (half the narrowest of a few round trips)."""
    samples = []
    for _ in range(5):
        before = time.time()
        theirs = await page.evaluate("() => performance.timeOrigin + performance.now()")
        after = time.time()
        samples.append((after - before, theirs - (before + after) / 2 * 1000))
    round_trip, skew = min(samples)
    return skew, round_trip / 2 * 1000


FIRST_FRAME_LOADS = 7
RECORD_FIRST_FRAME = """
window.onairBench = {};
const mark = (name) => { window.onairBench[name] ??= performance.now(); };
window.RTCPeerConnection = class extends window.RTCPeerConnection {
  constructor(...args) {
    super(...args);
    mark("pc");
    window.onairBench.pcs = (window.onairBench.pcs ?? 0) + 1;
    this.addEventListener("icecandidate", () => mark("candidate"), { once: true });
    this.addEventListener("icegatheringstatechange", () => {
      if (this.iceGatheringState === "complete") mark("gathered");
    });
    this.addEventListener("connectionstatechange", () => {
      if (this.connectionState === "connected") mark("connected");
    });
  }
};
// js/early.js hands its guest token and peer connection over to the page's modules.
let early;
Object.defineProperty(window, "onairEarly", {
  configurable: true,
  get: () => early,
  set: (handover) => {
    mark("early");
    const marked = (take, name) => (...args) => {
      const taken = take(...args);
      if (taken) mark(name);
      return taken;
    };
    early = {
      takeGuest: marked(() => handover.takeGuest(), "guestTaken"),
      takePeer: marked((url) => handover.takePeer(url), "peerTaken"),
    };
  },
});
new MutationObserver(() => {
  for (const video of document.querySelectorAll("video:not([data-bench-watched])")) {
    video.dataset.benchWatched = "1";
    video.requestVideoFrameCallback(() => mark("frame"));
  }
}).observe(document, { childList: true, subtree: true });
"""
"""A page script: when (ms since the navigation started) the page made its peer connection,
js/early.js was done, the modules took over its guest token and peer connection, the
connection finished gathering its ICE candidates, got connected and showed its first frame;
and how many peer connections and WHEP offers it made."""
MILESTONES = """() => {
  const entries = performance.getEntriesByType("resource");
  const first = (part) => entries.find((entry) => entry.name.includes(part));
  const whep = first("/whep/");
  const scripts = entries.filter(
    (entry) => entry.name.endsWith(".js") && entry.startTime < (whep?.startTime ?? 0),
  );
  const bench = window.onairBench;
  return {
    scripts: Math.max(0, ...scripts.map((entry) => entry.responseEnd)),
    asked: first("/api/auth/")?.startTime ?? 0,
    identity: first("/api/auth/")?.responseEnd ?? 0,
    pc: bench.pc ?? 0,
    early: bench.early ?? 0,
    guestTaken: bench.guestTaken ?? 0,
    peerTaken: bench.peerTaken ?? 0,
    candidate: bench.candidate ?? 0,
    gathered: bench.gathered ?? 0,
    offer: whep?.startTime ?? 0,
    sent: whep?.requestStart ?? 0,
    answer: whep?.responseEnd ?? 0,
    connected: bench.connected ?? 0,
    frame: bench.frame,
    peerConnections: bench.pcs ?? 0,
    offers: entries.filter((entry) => entry.name === whep?.name).length,
  };
}"""
"""Where the first frame's time went: when the scripts the video needs had loaded (those asked
for before the WHEP offer: the rest of the page loads after the first picture), the viewer
token was asked for and answered, the peer connection made, its candidates gathered, the WHEP
offer made, on the wire (it may wait for one of the browser's six connections to the server)
and answered, the connection up, the frame shown (ms since the navigation started)."""


async def first_frame_milestones(loads: int, tree: Path | None = None) -> list[dict[str, float]]:
    """Opening /watch/{stream} in Chromium → its first decoded frame on screen, ``loads`` times
    (a fresh browser context each: nothing cached), against a live 720p stream served by this
    tree's backend (or ``tree``'s): each load's :data:`MILESTONES`."""
    from bench._chromium import chromium
    from studio.core.broadcast import Broadcast
    from studio.core.sources import SampleSource

    times: list[dict[str, float]] = []
    source = SampleSource(1280, 720, fps=30.0)
    studio = live_studio(Broadcast(), source, tree=tree)
    async with studio as (url, name, _, _), chromium() as browser:
        await asyncio.sleep(1.0)
        for _ in range(loads):
            context = await browser.new_context()
            await context.add_init_script(RECORD_FIRST_FRAME)
            page = await context.new_page()
            await page.goto(f"{url}/watch/{name}")
            await page.wait_for_function("() => window.onairBench.frame", timeout=30_000)
            times.append(await page.evaluate(MILESTONES))
            await context.close()
    return times


async def viewer_first_frame(loads: int = FIRST_FRAME_LOADS, baseline: str | None = None) -> None:
    """The time-to-first-frame rows; with ``baseline`` (a git revision) that revision's backend
    and page too, alternately with this tree's, :data:`BASELINE_ROUNDS` times each."""
    from bench.backend import export_tree

    if baseline is None:
        print_first_frame_rows("this tree", await first_frame_milestones(loads))
        return
    with tempfile.TemporaryDirectory() as tmp:
        before = export_tree(baseline, Path(tmp))
        runs: dict[str, list[dict[str, float]]] = {f"baseline {baseline}": [], "this tree": []}
        for _ in range(BASELINE_ROUNDS):
            runs[f"baseline {baseline}"] += await first_frame_milestones(loads, before)
            runs["this tree"] += await first_frame_milestones(loads)
    for label, times in runs.items():
        print_first_frame_rows(label, times)
    theirs, ours = (statistics.median(t["frame"] for t in times) for times in runs.values())
    print(f"  p50 ratio, this tree / baseline: {ours / theirs:.2f}")


def print_first_frame_rows(label: str, times: list[dict[str, float]]) -> None:
    frames = [t["frame"] for t in times]
    p95 = statistics.quantiles(frames, n=20)[18] if len(frames) > 1 else frames[0]
    print(
        f"{label}: viewer time to first frame, Chromium, 720p VP8, loopback ({len(frames)} page"
        f" loads, navigation start → first frame shown): p50 {statistics.median(frames):.0f} ms,"
        f" p95 {p95:.0f} ms (each: {', '.join(f'{t:.0f}' for t in frames)}; target p50 ≤ 500 ms,"
        f" load average {os.getloadavg()[0]:.1f})"
    )
    # A baseline revision's page may not record every milestone: those read 0.
    medians = collections.defaultdict(float)
    medians.update({name: statistics.median(t[name] for t in times) for name in times[0]})
    print(
        "  medians, ms after navigation start: the video's scripts loaded {scripts:.0f}, viewer"
        " token asked {asked:.0f}, answered {identity:.0f}, peer connection made {pc:.0f},"
        " first candidate {candidate:.0f}, candidates gathered "
        "{gathered:.0f}, WHEP offer made {offer:.0f}, on the wire {sent:.0f}, answered "
        "{answer:.0f}, connected {connected:.0f}, first frame shown {frame:.0f}".format_map(medians)
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
            # Every page load comes from loopback as a new guest: at the default 10 a minute
            # the first-frame bench's 11th load waited ~6 s for its token.
            ip_rate_per_second=1e6,
            ip_rate_burst=1_000_000,
            guest_tokens_per_minute=1e6,
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
async def child(*args: str, tree: Path | None = None) -> AsyncIterator[asyncio.subprocess.Process]:
    """``bench.media`` with ``args`` in a process and session of its own, as `onair run` starts
    the backend (``studio.core.child_process``: the studio in this process does not take its
    CPU share), run from ``tree`` (another revision's files) when given, else from this one."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.media", *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL, cwd=tree, start_new_session=True,
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
    kernel_pct: float  # the part of it spent in the kernel (system time)
    viewer_fps: float  # video frames a second each viewer received (the publisher sends 30)
    viewers_cpu_pct: float  # all subscriber processes together, % of one core
    rss_mb: float  # the backend's resident memory at the end of the window


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
    def cpu() -> tuple[tuple[float, float], float]:
        return cpu_split(server.pid), sum(cpu_seconds(v.pid) for v in viewers)

    async def received() -> int:
        return sum([await frames_received(v) for v in viewers])

    (server_start, viewers_start), start = cpu(), time.monotonic()
    got = await received()
    await asyncio.sleep(WINDOW_S)
    got = await received() - got
    server_end, viewers_end = cpu()
    elapsed = time.monotonic() - start
    user, kernel = (end - begin for end, begin in zip(server_end, server_start, strict=True))
    return ServerLoad(
        100.0 * (user + kernel) / elapsed,
        100.0 * kernel / elapsed,
        got / elapsed / count,
        100.0 * (viewers_end - viewers_start) / elapsed,
        resident_mb(server.pid),
    )


async def server_load(
    mode: str, counts: tuple[int, ...], clip: list[bytes], tree: Path | None = None
) -> dict[int, ServerLoad]:
    """The backend's load for each count of subscribers: this tree's backend, or the one in
    ``tree`` (another revision's files)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    results: dict[int, ServerLoad] = {}
    with tempfile.TemporaryDirectory() as tmp:
        async with child("_serve", str(port), mode, tmp, tree=tree) as server:
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
                        f" {load.viewer_fps:.1f} fps a viewer, {load.rss_mb:.0f} MiB resident,"
                        f" the viewers'"
                        f" {len(viewers)} processes {load.viewers_cpu_pct:.0f} % of a core;"
                        f" publisher {(track.sent - frames) / elapsed:.0f} fps,"
                        f" {(track.bytes - sent) * 8 / elapsed / 1000:.0f} kbps,"
                        f" load average {os.getloadavg()[0]:.1f})"
                    )
            await publisher.close()
    return results


BASELINE_ROUNDS = 2
"""With ``--baseline``: the baseline's and this tree's SFU measured alternately, this often."""


async def sfu_cost(
    counts: tuple[int, ...] = SUBSCRIBERS, with_relay: bool = True, baseline: str | None = None
) -> None:
    from bench.backend import export_tree

    clip = encoded_clip()
    if baseline is None:
        sfu = await server_load("sfu", counts, clip)
        relay = await server_load("relay", counts, clip) if with_relay else {}
        print_sfu_rows("this tree", counts, sfu, relay)
        return
    with tempfile.TemporaryDirectory() as tmp:
        before = export_tree(baseline, Path(tmp))
        runs: list[tuple[str, dict[int, ServerLoad]]] = []
        for _ in range(BASELINE_ROUNDS):
            runs.append((f"baseline {baseline}", await server_load("sfu", counts, clip, before)))
            runs.append(("this tree", await server_load("sfu", counts, clip)))
    relay = await server_load("relay", counts, clip) if with_relay else {}
    for label, sfu in runs:
        print_sfu_rows(label, counts, sfu, relay)


def print_sfu_rows(
    label: str, counts: tuple[int, ...], sfu: dict[int, ServerLoad], relay: dict[int, ServerLoad]
) -> None:
    print(f"{label}: backend CPU (% of one core, and the kernel's part of it) and frames each")
    print("viewer got (fps, 30 sent) for one 720p30 VP8 stream (~1.5 Mbps), SFU packet")
    print("forwarding next to stock MediaRelay, same run (per extra: the change from the row")
    print("above, per added subscriber, and in CPU microseconds per added frame the viewers got,")
    print("which stays comparable when starved viewers get fewer; memory: resident set, MiB)")
    print(f"  {'subscribers':>11}  {'SFU CPU':>8}  {'kernel':>6}  {'per extra':>9}  {'us/frame':>8}"
          f"  {'SFU fps':>7}  {'SFU MiB':>7}  {'per extra':>9}"
          f"  {'MediaRelay CPU':>14}  {'MediaRelay fps':>14}")  # fmt: skip
    previous: tuple[int, ServerLoad] | None = None
    for count in counts:
        load = sfu[count]
        extra = per_frame = extra_mb = ""
        if previous is not None:
            added, before = count - previous[0], previous[1]
            extra = f"{(load.cpu_pct - before.cpu_pct) / added:.2f}"
            frames = count * load.viewer_fps - previous[0] * before.viewer_fps
            if frames > 0:
                per_frame = f"{(load.cpu_pct - before.cpu_pct) * 1e4 / frames:.0f}"
            extra_mb = f"{(load.rss_mb - before.rss_mb) / added:.2f}"
        previous = (count, load)
        relay_cpu, relay_fps = (
            (f"{relay[count].cpu_pct:.1f}", f"{relay[count].viewer_fps:.1f}")
            if count in relay
            else ("-", "-")
        )
        print(
            f"  {count:>11}  {load.cpu_pct:>8.1f}  {load.kernel_pct:>6.1f}  {extra:>9}"
            f"  {per_frame:>8}  {load.viewer_fps:>7.1f}  {load.rss_mb:>7.1f}  {extra_mb:>9}"
            f"  {relay_cpu:>14}  {relay_fps:>14}"
        )


def main() -> None:
    prioritize()
    use_loopback_for_ice()
    asyncio.run(glass_to_glass(with_filters=True))
    asyncio.run(glass_to_glass(with_filters=False))
    asyncio.run(glass_to_glass(with_filters=True, codec="h264"))  # the cheaper encoder
    asyncio.run(glass_to_glass(with_filters=True, browser=True))
    asyncio.run(viewer_first_frame())
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
    cost_cmd.add_argument(
        "--baseline", metavar="REV", help="also this git revision's SFU, alternately, same run"
    )
    glass_cmd = sub.add_parser("glass", help="only a glass-to-glass row (VP8, default chain)")
    glass_cmd.add_argument("--browser", action="store_true", help="into Chromium's /watch page")
    first_cmd = sub.add_parser("first-frame", help="only the viewer's time to first frame")
    first_cmd.add_argument("--loads", type=int, default=FIRST_FRAME_LOADS)
    first_cmd.add_argument(
        "--baseline", metavar="REV", help="also this git revision's backend and page, alternately"
    )
    args = parser.parse_args()
    if args.command == "glass":
        prioritize()
        use_loopback_for_ice()
        asyncio.run(glass_to_glass(with_filters=True, browser=args.browser))
    elif args.command == "first-frame":
        prioritize()
        use_loopback_for_ice()
        asyncio.run(viewer_first_frame(args.loads, args.baseline))
    elif args.command == "sfu-cost":
        prioritize()
        use_loopback_for_ice()
        asyncio.run(sfu_cost(tuple(args.counts), not args.no_relay, args.baseline))
    elif args.command == "_serve":
        serve(args.port, args.mode, args.data_dir)
    elif args.command == "_subscribe":
        asyncio.run(subscribe(args.url, args.token, args.count))
    else:
        main()


if __name__ == "__main__":
    _cli()
