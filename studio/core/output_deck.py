"""The studio's outputs beyond its own page: destinations to other platforms and recording.

An :class:`OutputDeck` sits on a :class:`studio.core.broadcast.Broadcast`. When the broadcast
goes live (WHIP to the OnAir backend), every enabled destination starts too, each an output of
its own (``Broadcast.add_output("rtmp:<id>", ...)``) sharing one encode per setting; switching
a destination on or off while live starts or stops only that one; ending the broadcast stops
them all. Recording is independent of going live. The UI (and tests) watch the deck through
its observer lists and never build outputs themselves.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import replace
from typing import Any, Final

from studio.core.broadcast import Broadcast
from studio.core.destinations import Destination
from studio.core.observers import Observers
from studio.core.outputs import OutputState
from studio.core.recorder import Recorder, RecordingPlan, RecordingStatus
from studio.core.stream_key_store import KeyStore
from studio.core.stream_output import OutputStatus, StreamOutput

log = logging.getLogger(__name__)

RECORDING: Final = "recording"
IDLE: Final = OutputStatus(OutputState.IDLE)


def output_key(destination_id: str) -> str:
    return f"rtmp:{destination_id}"


class OutputDeck:
    """Destinations and the recorder of one broadcast (see the module's docstring)."""

    def __init__(
        self,
        broadcast: Broadcast,
        keys: KeyStore,
        destinations: list[Destination],
        plan: RecordingPlan,
        *,
        max_backoff_s: float = 30.0,
    ) -> None:
        self.broadcast = broadcast
        self.keys = keys
        self.destinations = list(destinations)
        self.plan = plan
        self.max_backoff_s = max_backoff_s
        self.changed: Observers[list[Destination]] = Observers()  # added, edited, removed
        self.status_changed: Observers[tuple[str, OutputStatus]] = Observers()  # id, status
        self.recording_changed: Observers[RecordingStatus] = Observers()
        self.statuses: dict[str, OutputStatus] = {}
        self.recorder: Recorder | None = None
        self._pending: set[asyncio.Task[None]] = set()
        self._unfollow = broadcast.live_changed.add(self._live_changed)

    # ---- destinations -----------------------------------------------------------------
    def find(self, destination_id: str) -> Destination:
        for destination in self.destinations:
            if destination.id == destination_id:
                return destination
        raise KeyError(destination_id)

    def status(self, destination_id: str) -> OutputStatus:
        return self.statuses.get(destination_id, IDLE)

    def add(self, destination: Destination, key: str = "") -> None:
        """A new destination; while live, an enabled one starts at once (its card then says
        what it still needs: a server URL, a key)."""
        self.destinations.append(destination)
        if key:
            self.keys.set(destination.id, key)
        self.changed.emit(list(self.destinations))
        if self.broadcast.live and destination.enabled:
            self._spawn(self._start(destination))

    async def update(self, destination: Destination, key: str | None = None) -> None:
        """Replace the destination of the same id (``key`` None keeps the stored key); while
        live, an enabled one (re)starts with the new settings (a refused key, corrected)."""
        index = self.destinations.index(self.find(destination.id))
        self.destinations[index] = destination
        if key is not None:
            self.keys.set(destination.id, key)
        self.changed.emit(list(self.destinations))
        await self._stop(destination.id)
        if self.broadcast.live and destination.enabled:
            await self._start(destination)

    async def remove(self, destination_id: str) -> None:
        await self._stop(destination_id)
        self.destinations.remove(self.find(destination_id))
        self.keys.delete(destination_id)
        self.statuses.pop(destination_id, None)
        self.changed.emit(list(self.destinations))

    async def set_enabled(self, destination_id: str, enabled: bool) -> None:
        """Switch one destination on or off; while live, it starts or stops at once."""
        destination = replace(self.find(destination_id), enabled=enabled)
        self.destinations[self.destinations.index(self.find(destination_id))] = destination
        self.changed.emit(list(self.destinations))
        if not self.broadcast.live:
            return
        if enabled:
            await self._start(destination)
        else:
            await self._stop(destination_id)

    # ---- following the broadcast --------------------------------------------------------
    def _live_changed(self, live: bool) -> None:
        self._spawn(self.start_enabled() if live else self.stop_all())

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def settled(self) -> None:
        """Wait for the starts and stops that going live or ending set off."""
        while self._pending:
            await asyncio.gather(*tuple(self._pending))

    async def start_enabled(self) -> None:
        for destination in self.destinations:
            if destination.enabled:
                await self._start(destination)

    async def stop_all(self) -> None:
        for destination in self.destinations:
            await self._stop(destination.id)

    async def _start(self, destination: Destination) -> None:
        key = output_key(destination.id)
        running = self.broadcast.outputs.get(key)
        if running is not None and running.state is not OutputState.FAILED:
            return
        await self.broadcast.remove_output(key)  # one that failed is tried afresh
        secret = self.keys.get(destination.id)
        problem = destination.problem(secret)
        if problem:
            self._set_status(destination.id, OutputStatus(OutputState.FAILED, error=problem))
            return
        output = StreamOutput(
            self.broadcast.encoders,
            destination.url(secret),
            destination.setting,
            name=destination.name,
            max_backoff_s=self.max_backoff_s,
            secret=secret,
        )
        output.status_changed.add(lambda status: self._set_status(destination.id, status))
        await self.broadcast.add_output(key, output)

    async def _stop(self, destination_id: str) -> None:
        await self.broadcast.remove_output(output_key(destination_id))

    def _set_status(self, destination_id: str, status: OutputStatus) -> None:
        self.statuses[destination_id] = status
        self.status_changed.emit((destination_id, status))

    # ---- recording --------------------------------------------------------------------
    @property
    def recording(self) -> bool:
        return RECORDING in self.broadcast.outputs

    async def start_recording(self) -> Recorder:
        """Record the program with :attr:`plan` until :meth:`stop_recording` (or a full
        disk); needs an open source."""
        if self.recorder is not None and self.recording:
            return self.recorder
        recorder = self.recorder = Recorder(self.broadcast.encoders, self.plan)
        recorder.status_changed.add(self._recording_changed)
        await self.broadcast.add_output(RECORDING, recorder)
        return recorder

    async def stop_recording(self) -> RecordingStatus | None:
        recorder = self.recorder
        await self.broadcast.remove_output(RECORDING)
        return recorder.status if recorder is not None else None

    def _recording_changed(self, status: RecordingStatus) -> None:
        if status.state is OutputState.FAILED and self.recording:
            # It stopped by itself (a full disk): it is no longer an output of the broadcast.
            self._spawn(self.broadcast.remove_output(RECORDING))
        self.recording_changed.emit(status)

    async def close(self) -> None:
        self._unfollow()
        await self.settled()
        await self.stop_all()
        await self.stop_recording()
