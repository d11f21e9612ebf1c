"""cancel_and_wait: stops a task, but never swallows the waiter's own cancellation."""

from __future__ import annotations

import asyncio

from studio.core.tasks import cancel_and_wait


async def _slow_to_unwind() -> None:
    try:
        await asyncio.Event().wait()
    finally:
        await asyncio.sleep(0.05)  # cleanup that takes a while (a peer connection closing)


async def test_the_task_is_cancelled_and_the_caller_goes_on() -> None:
    task = asyncio.create_task(_slow_to_unwind())
    await asyncio.sleep(0)
    await cancel_and_wait(task)
    assert task.cancelled()


async def test_a_waiter_cancelled_meanwhile_stays_cancelled() -> None:
    after_stop: list[str] = []

    async def waiter() -> None:
        inner = asyncio.create_task(_slow_to_unwind())
        await asyncio.sleep(0)
        await cancel_and_wait(inner)
        after_stop.append("kept running")  # a swallowed cancellation would get here
        await asyncio.Event().wait()

    outer = asyncio.create_task(waiter())
    await asyncio.sleep(0.01)
    outer.cancel()
    await asyncio.wait_for(asyncio.gather(outer, return_exceptions=True), timeout=2)
    assert outer.cancelled() and after_stop == []


async def test_clean_up_in_a_cancelled_task_runs_to_the_end() -> None:
    cleaned: list[str] = []

    async def owner() -> None:
        inner = asyncio.create_task(_slow_to_unwind())
        try:
            await asyncio.Event().wait()
        finally:  # the owner is being cancelled: stopping its parts must not cut this short
            await cancel_and_wait(inner)
            cleaned.append("after the stop")

    outer = asyncio.create_task(owner())
    await asyncio.sleep(0.01)
    outer.cancel()
    await asyncio.wait_for(asyncio.gather(outer, return_exceptions=True), timeout=2)
    assert outer.cancelled() and cleaned == ["after the stop"]
