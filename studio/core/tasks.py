"""Stopping background tasks without swallowing the caller's own cancellation.

Timeouts in the studio use ``asyncio.timeout``, not ``asyncio.wait_for``: on Python 3.11,
``wait_for`` drops a cancellation that lands as the awaited result arrives, and a loop built
on it then never stops (``tests/studio/ui/test_stage.py`` shows it).
"""

from __future__ import annotations

import asyncio
from typing import Any


async def cancel_and_wait(task: asyncio.Task[Any]) -> None:
    """Cancel ``task`` and wait until it has unwound.

    Its ``CancelledError`` is expected and dropped, but if the task doing the waiting is itself
    being cancelled (a window closing, a test ending), that cancellation goes on: a bare
    ``suppress(CancelledError)`` here would swallow it and leave the caller running forever.
    """
    current = asyncio.current_task()
    # Counted from here: a caller already being cancelled (stopping things in a ``finally``)
    # must still get to the rest of its clean-up.
    pending = current.cancelling() if current is not None else 0
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        if current is not None and current.cancelling() > pending:
            raise
