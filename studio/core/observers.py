"""Plain-Python observer lists: how the studio's engine tells whoever watches it what changed.

The broadcast engine has no Qt; the Qt UI, the headless studio, the benchmarks and the tests
all watch it through these. A listener is called synchronously, on the thread that emitted
(the event loop's, for everything the engine emits).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class Observers(Generic[T]):
    """Listeners of one kind of news; :meth:`add` returns the function that removes it."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[T], object]] = []

    def add(self, listener: Callable[[T], object]) -> Callable[[], None]:
        self._listeners.append(listener)

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    def emit(self, value: T) -> None:
        """Tell every listener; one that raises is logged and does not stop the others."""
        for listener in tuple(self._listeners):
            try:
                listener(value)
            except Exception:
                log.exception("a listener of %r failed", value)

    def __len__(self) -> int:
        return len(self._listeners)
