"""Stopping background tasks without swallowing the caller's own cancellation."""

from __future__ import annotations

import asyncio
from typing import Any


async def cancel_and_wait(task: asyncio.Task[Any]) -> None:
    """Cancel ``task`` and wait until it has unwound.

    Its ``CancelledError`` is expected and dropped, but if the task doing the waiting is itself
    being cancelled (a window closing, a test ending), that cancellation goes on: a bare
    ``suppress(CancelledError)`` here would swallow it and leave the caller running forever.
    """
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise
