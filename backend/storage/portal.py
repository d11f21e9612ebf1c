"""Sync database code that waits for the network without stopping the event loop.

The services are plain functions (``db.one(...)`` returns rows, not awaitables), and they run
on the event loop inside ``async`` endpoints. On PostgreSQL each statement is a network round
trip: done in place, it would stop every other request for its duration. ``run_in_portal``
drives a coroutine (a request) inside a greenlet of its own; sync code it calls may then
``wait(awaitable)`` or ``wait_for_thread(future)``: the greenlet hands it to the driver, the
driver awaits it on the loop (other requests run meanwhile) and switches back with its result,
the way SQLAlchemy's asyncio layer runs its sync core. Outside a portal (a timer callback, a
thread) ``current_portal()`` is None and callers do the blocking call instead.

A blocking caller on the loop thread that needs what a suspended portal holds (the write
lock) cannot wait for the loop to resume that portal: ``finish_while`` resumes it right there,
finishing the thread work it waits for synchronously, and its driver carries on from wherever
the portal got to.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Generator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import greenlet

T = TypeVar("T")


@dataclass(frozen=True)
class _Wait:
    awaitable: Awaitable[Any] | None = None  # sync code in the portal waits for this
    work: Future[Any] | None = None  # ... or for this work on another thread


@dataclass(frozen=True)
class _Yield:
    value: Any  # the coroutine yielded this to the event loop (a future, or None)


@dataclass(frozen=True)
class _Done:
    value: Any  # what the coroutine returned


Message = _Wait | _Yield | _Done


class Portal(greenlet.greenlet):
    """The greenlet a driven coroutine runs in; ``locals`` is state of its own (its open
    transaction), as a thread has thread-locals."""

    def __init__(self, driven: _Driven) -> None:
        super().__init__(driven.steps)
        self.driven = driven
        self.locals: dict[str, Any] = {}


def current_portal() -> Portal | None:
    current = greenlet.getcurrent()
    return current if isinstance(current, Portal) else None


def _switch_up(message: Message) -> Any:
    portal = current_portal()
    assert portal is not None, "wait() runs only inside run_in_portal"
    return portal.parent.switch(message)


def wait(awaitable: Awaitable[T]) -> T:
    """Await ``awaitable`` from sync code running in a portal (the loop runs meanwhile)."""
    return cast(T, _switch_up(_Wait(awaitable=awaitable)))


def wait_for_thread(work: Future[T]) -> T:
    """Wait for ``work`` (submitted to a thread pool) from sync code running in a portal."""
    return cast(T, _switch_up(_Wait(work=work)))


class _Driven:
    def __init__(self, coro: Coroutine[Any, Any, Any]) -> None:
        self._coro = coro
        self.outstanding: Message | None = None  # what the driver awaits for the portal now
        self.taken: Message | BaseException | None = None  # where finish_while left it

    def steps(self) -> _Done:
        """In the portal: step the coroutine, handing each yield up to the driver."""
        value: Any = None
        error: BaseException | None = None
        while True:
            try:
                yielded = self._coro.send(value) if error is None else self._coro.throw(error)
            except StopIteration as stop:
                return _Done(stop.value)
            value, error = None, None
            try:
                value = _switch_up(_Yield(yielded))
            except greenlet.GreenletExit:
                self._coro.close()
                raise
            except BaseException as exc:  # thrown in by the task (cancellation)
                error = exc

    def __await__(self) -> Generator[Any, Any, Any]:
        portal = Portal(self)
        portal.gr_context = greenlet.getcurrent().gr_context  # the task's context variables
        message: Message = portal.switch()
        while not isinstance(message, _Done):
            self.outstanding = message
            error: BaseException | None = None
            try:
                result = yield from _awaited(message)
            except BaseException as exc:
                result, error = None, exc
            message = self._next(portal, result, error)
        return message.value

    def _next(self, portal: Portal, result: Any, error: BaseException | None) -> Message:
        """The portal's next message: from resuming it, or from where ``finish_while`` left
        it (then the result just awaited was already handed to it)."""
        taken, self.taken = self.taken, None
        if taken is None:
            return _resume(portal, result, error)
        if isinstance(taken, BaseException):
            raise taken
        return taken


def _awaited(message: _Wait | _Yield) -> Generator[Any, Any, Any]:
    if isinstance(message, _Yield):
        return (yield message.value)
    if message.work is not None:
        return (yield from asyncio.wrap_future(message.work).__await__())
    assert message.awaitable is not None
    return (yield from message.awaitable.__await__())


def finish_while(holder: Callable[[], Portal | None]) -> None:
    """Outside any portal, on the loop thread: resume the portal ``holder()`` names, waiting
    here for the thread work it waits on, until ``holder()`` is None. Only for a portal that
    waits on nothing but thread work while it holds what the caller needs."""
    while (portal := holder()) is not None:
        driven = portal.driven
        message = driven.taken if driven.taken is not None else driven.outstanding
        assert isinstance(message, _Wait) and message.work is not None, message
        error: BaseException | None = None
        try:
            result = message.work.result()
        except BaseException as exc:
            result, error = None, exc
        try:
            driven.taken = _resume(portal, result, error)
        except BaseException as exc:  # the request failed: its driver raises it
            driven.taken = exc


def _resume(portal: Portal, result: Any, error: BaseException | None) -> Message:
    """Switch into the portal with what it waited for; returns its next message."""
    message: Message = portal.switch(result) if error is None else portal.throw(error)
    return message


async def run_in_portal(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to its end; sync code it calls may :func:`wait` without blocking the loop."""
    return cast(T, await _Driven(coro))
