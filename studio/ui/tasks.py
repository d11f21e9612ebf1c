"""Run coroutines from Qt handlers on the qasync loop, with failures turned into messages.

Handlers never await on the UI thread's behalf: they ``spawn`` a task and return. A task that
fails reports through signals (a toast for API errors, the banner for an unreachable backend)
instead of vanishing into the loop's exception handler.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import QObject, Signal

from studio.core.api_client import ApiError, BackendUnreachable

log = logging.getLogger(__name__)


class Tasks(QObject):
    failed = Signal(str)  # a message for a person
    unreachable = Signal(str)  # the backend did not answer

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._running: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any], what: str = "") -> asyncio.Task[Any]:
        """Schedule ``coro``; ``what`` ("Sending the gift") prefixes its failure message."""
        task = asyncio.ensure_future(coro)
        self._running.add(task)
        task.add_done_callback(lambda done: self._finished(done, what))
        return task

    @property
    def busy(self) -> int:
        return len(self._running)

    async def cancel_all(self) -> None:
        tasks = tuple(self._running)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _finished(self, task: asyncio.Task[Any], what: str) -> None:
        self._running.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is None:
            return
        if isinstance(error, BackendUnreachable):
            self.unreachable.emit(str(error))
        elif isinstance(error, ApiError):
            self.failed.emit(f"{what} failed: {error}" if what else str(error))
        else:
            log.error("task failed", exc_info=error)
            self.failed.emit(f"{what or 'That'} failed unexpectedly ({type(error).__name__}).")
