"""The browser tests share one Chromium (tests/e2e/shared_chromium.py explains why and how).

A test asks for the ``chromium`` fixture and writes ``async with chromium() as browser:`` (or
``chromium(FLAG)`` for a browser launched with an extra flag). Such a test runs on the event
loop of this package (tests/e2e), where the shared browser lives; at its end, its pages are
closed and the tasks it left running are cancelled, as the end of a per-test loop would. The
browsers and the driver are closed when the package's last test is done, so they do not sit in
memory through the rest of the run.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.e2e.shared_chromium import Chromium, SharedChromium, cancel_tasks_started_since


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    package_loop = pytest.mark.asyncio(loop_scope="package")
    for item in items:
        if "chromium" in getattr(item, "fixturenames", ()):
            item.add_marker(package_loop, append=False)  # before pytest-asyncio's own marker


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def shared_chromium() -> AsyncIterator[SharedChromium]:
    shared = SharedChromium()
    await shared.start()
    try:
        yield shared
    finally:
        await shared.stop()


@pytest_asyncio.fixture(loop_scope="package")
async def chromium(shared_chromium: SharedChromium) -> AsyncIterator[Chromium]:
    before = asyncio.all_tasks()
    yield shared_chromium.use
    await shared_chromium.close_all_contexts()
    await cancel_tasks_started_since(before | shared_chromium.driver_tasks)
