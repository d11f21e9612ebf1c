"""A studio process pushing the sample source to an RTMP URL until it is killed (``python -m
tests.studio.core.push_until_killed URL``): prints "connecting" once its output connects."""

from __future__ import annotations

import asyncio
import sys

from studio.core.broadcast import Broadcast
from studio.core.outputs import OutputState
from studio.core.shared_encoder import EncodeSetting
from studio.core.source_switch import SAMPLE
from studio.core.sources import SampleSource
from studio.core.stream_output import StreamOutput


async def push(url: str) -> None:
    broadcast = Broadcast()
    broadcast.use_source(SampleSource(640, 360, fps=30.0), SAMPLE)
    setting = EncodeSetting(640, 360, 800, preset="ultrafast")
    output = StreamOutput(broadcast.encoders, url, setting, connect_timeout_s=600.0)
    await output.start()
    while output.state is not OutputState.CONNECTING:
        await asyncio.sleep(0.05)
    print("connecting", flush=True)
    await asyncio.Event().wait()  # until killed


if __name__ == "__main__":
    asyncio.run(push(sys.argv[1]))
