"""What extra outputs cost: one RTMP output, three of the same setting (one shared encode),
three of three settings (three encodes), in one run.

    onair bench outputs          (or: python -m bench.outputs)

The program is the sample clip at 1280x720, 30 fps; every output pushes to a real nginx RTMP
server on loopback (another process: its CPU is not counted). Each row runs for
``ONAIR_BENCH_SECONDS`` (default 10) after a warm-up and prints the studio's CPU time (every
thread of this process: capture, encoders; and each output's push process, which muxes and
sends) as a share of one core and in milliseconds per program frame, what the outputs add to
the program alone (ms per frame: comparable even when a busy machine slows the program), the
encodes that ran, the frames a second of the slowest of the program and its encodes, and the
frames each output dropped. Asserts nothing.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench._rtmp_server import RtmpServer, rtmp_server
from studio.core.audio import sample_audio
from studio.core.frames import FrameFlow
from studio.core.outputs import OutputState
from studio.core.shared_encoder import EncoderPool, EncodeSetting
from studio.core.sources import SampleSource
from studio.core.stream_output import StreamOutput

WARMUP_S = 3.0
HD = EncodeSetting(1280, 720, 4500)
SCENARIOS: dict[str, tuple[EncodeSetting, ...]] = {
    "program alone (no output)": (),
    "1 output, 720p 4.5 Mbps": (HD,),
    "3 outputs, same setting": (HD, HD, HD),
    "3 outputs, 3 settings": (HD, EncodeSetting(854, 480, 2500), EncodeSetting(720, 1280, 3000)),
}


def _seconds() -> float:
    return float(os.environ.get("ONAIR_BENCH_SECONDS", "10"))


@dataclass(frozen=True)
class Row:
    cpu_share: float  # of one core
    cpu_ms_per_frame: float  # process CPU per program frame
    encodes: int
    fps: float  # the slowest of the program and its encodes
    dropped: list[int]  # per output


async def _measure(
    flow: FrameFlow, server: RtmpServer, settings: tuple[EncodeSetting, ...], seconds: float
) -> Row:
    pool = EncoderPool(lambda: flow, sample_audio)
    outputs = [
        StreamOutput(pool, f"{server.url}/bench{index}", setting)
        for index, setting in enumerate(settings)
    ]
    for output in outputs:
        await output.start()
    for output in outputs:
        await asyncio.wait_for(output.wait_live(), 20)
    await asyncio.sleep(WARMUP_S)
    encoders = list(pool.encoders.values())
    counted = [flow.stats.processed, *(encoder.stats.frames for encoder in encoders)]
    cpu, wall = _studio_cpu(outputs), time.monotonic()
    await asyncio.sleep(seconds)
    cpu, elapsed = _studio_cpu(outputs) - cpu, time.monotonic() - wall
    now = [flow.stats.processed, *(encoder.stats.frames for encoder in encoders)]
    done = [after - before for before, after in zip(counted, now, strict=True)]
    row = Row(
        cpu / elapsed,
        cpu * 1000 / max(done[0], 1),
        len(encoders),
        min(done) / elapsed,
        [output.status.dropped_frames for output in outputs],
    )
    unhealthy = [o.name for o in outputs if o.state is not OutputState.LIVE]
    for output in outputs:
        await output.stop()
    await pool.close()
    if unhealthy:
        print(f"  (not live at the end: {unhealthy})")
    return row


def _studio_cpu(outputs: list[StreamOutput]) -> float:
    """CPU seconds of this process and of the outputs' push processes."""
    tick = os.sysconf("SC_CLK_TCK")
    total = time.process_time()
    for pid in filter(None, (output.push_pid for output in outputs)):
        stat = Path(f"/proc/{pid}/stat").read_text()
        user, system = stat[stat.rindex(")") + 2 :].split()[11:13]  # utime, stime
        total += (int(user) + int(system)) / tick
    return total


async def _run(root: Path) -> None:
    seconds = _seconds()
    flow = FrameFlow(SampleSource(1280, 720, fps=30.0))
    flow.start()
    try:
        with rtmp_server(root) as server:
            print(f"outputs benchmark: {seconds:.0f} s a row, program 1280x720 at 30 fps")
            columns = ("CPU % core", "ms/frame", "outputs", "encodes", "fps")
            widths = (11, 10, 9, 8, 6)
            header = "".join(f"{c:>{w}}" for c, w in zip(columns, widths, strict=True))
            print(" " * 30 + header + "  dropped")
            baseline = 0.0
            for name, settings in SCENARIOS.items():
                row = await _measure(flow, server, settings, seconds)
                baseline = baseline or row.cpu_ms_per_frame
                extra = row.cpu_ms_per_frame - baseline
                print(
                    f"{name:30}{row.cpu_share * 100:>10.1f}%{row.cpu_ms_per_frame:>10.1f}"
                    f"{f'+{extra:.1f}' if settings else '':>9}{row.encodes:>8}{row.fps:>6.1f}  "
                    f"{', '.join(map(str, row.dropped)) or '-'}"
                )
    finally:
        flow.stop()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="onair-bench-outputs-") as root:
        asyncio.run(_run(Path(root)))


if __name__ == "__main__":
    main()
