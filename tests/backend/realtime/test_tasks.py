"""Stopping the real-time plane's background tasks."""

from __future__ import annotations

import asyncio

import pytest

from backend.realtime.tasks import cancel_all

pytestmark = pytest.mark.one_engine


async def finishes(tasks: list[asyncio.Task[None]]) -> bool:
    """Whether ``cancel_all(tasks)`` returns (within a minute: it would hang, not be slow)."""
    stopping = asyncio.create_task(cancel_all(tasks))
    done, _ = await asyncio.wait([stopping], timeout=60)
    return stopping in done


async def test_a_task_that_swallows_its_cancellation_is_cancelled_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    swallowed = asyncio.Event()

    async def stubborn() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            swallowed.set()  # as redis-py's publish did on shutdown, then back to waiting
        await asyncio.Event().wait()

    task = asyncio.create_task(stubborn(), name="stubborn")
    await asyncio.sleep(0)
    assert await finishes([task])
    assert swallowed.is_set() and task.cancelled()
    assert "task stubborn outlived its cancellation" in caplog.text


async def test_tasks_that_end_on_their_cancellation_are_cancelled_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tasks = [asyncio.create_task(asyncio.sleep(3600)) for _ in range(3)]
    await asyncio.sleep(0)
    assert await finishes(tasks)
    assert all(task.cancelled() for task in tasks)
    assert "outlived" not in caplog.text
