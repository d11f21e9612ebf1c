"""Background tasks of the real-time plane."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

log = logging.getLogger(__name__)
RECANCEL_AFTER_S = 2.0


async def cancel_all(tasks: Iterable[asyncio.Task[None]]) -> None:
    """Cancel every task, then wait until each has finished unwinding. A task still running
    ``RECANCEL_AFTER_S`` after its cancellation is cancelled again: a library may swallow one
    (redis-py's publish did, on shutdown: the broker's send loop went back to waiting for the
    next message, and the server never stopped)."""
    tasks = list(tasks)
    pending = set(tasks)
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=RECANCEL_AFTER_S)
        for task in pending:
            log.warning("task %s outlived its cancellation; cancelling it again", task.get_name())
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
