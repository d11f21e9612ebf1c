"""A studio process that records the sample source until it is killed (``python -m
tests.studio.core.record_until_killed FOLDER``): prints the file's path once it records."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from studio.core.broadcast import Broadcast
from studio.core.output_deck import OutputDeck
from studio.core.recorder import RecordingPlan
from studio.core.shared_encoder import EncodeSetting
from studio.core.source_switch import SAMPLE
from studio.core.sources import SampleSource
from studio.core.stream_key_store import FileKeyStore


async def record(folder: Path) -> None:
    broadcast = Broadcast()
    broadcast.use_source(SampleSource(640, 360, fps=30.0), SAMPLE)
    plan = RecordingPlan(folder, EncodeSetting(640, 360, 1000, preset="ultrafast"))
    deck = OutputDeck(broadcast, FileKeyStore(folder / "keys.json"), [], plan)
    recorder = await deck.start_recording()
    while recorder.status.size_bytes == 0:
        await asyncio.sleep(0.05)
    print(recorder.status.path, flush=True)
    await asyncio.Event().wait()  # until killed


if __name__ == "__main__":
    asyncio.run(record(Path(sys.argv[1])))
