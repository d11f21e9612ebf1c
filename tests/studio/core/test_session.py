"""Signing in, remembering the session between runs, and a backend that is down."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from studio.core.api_client import ApiError, BackendUnreachable
from studio.core.events import LinkState
from studio.core.session import Session
from studio.core.settings_store import SettingsStore, StudioSettings
from tests.servers import LiveServer, free_port


async def test_remembered_session_resumes_on_the_next_run(
    server: LiveServer, tmp_path: Path
) -> None:
    store = SettingsStore(tmp_path)
    first = Session(store, StudioSettings(backend_url=server.url))
    seen: list[object] = []
    first.on_change(seen.append)
    name = f"u{uuid.uuid4().hex[:8]}"
    user = await first.create_account(name, "correct horse", "Streamer")
    assert first.events is not None
    await first.events.wait_connected()
    assert first.events.state is LinkState.CONNECTED
    await first.close()
    assert store.load().token and store.load().username == name

    second = Session(store, store.load())
    try:
        resumed = await second.resume()
        assert resumed is not None and resumed.id == user.id
        await second.sign_out()
        assert store.load().token == "" and second.user is None
    finally:
        await second.close()
    assert seen == [user]


async def test_not_remembered_and_refused_tokens(server: LiveServer, tmp_path: Path) -> None:
    store = SettingsStore(tmp_path)
    session = Session(store, StudioSettings(backend_url=server.url))
    try:
        name = f"u{uuid.uuid4().hex[:8]}"
        await session.create_account(name, "correct horse", remember=False)
        assert store.load().token == ""
        with pytest.raises(ApiError):
            await session.sign_in(name, "wrong password")
    finally:
        await session.close()

    store.save(StudioSettings(backend_url=server.url, token="stale"))
    stale = Session(store, store.load())
    try:
        assert await stale.resume() is None
        assert store.load().token == ""
    finally:
        await stale.close()


async def test_unreachable_backend_keeps_the_remembered_token(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path)
    store.save(StudioSettings(backend_url=f"http://127.0.0.1:{free_port()}", token="keep"))
    session = Session(store, store.load())
    try:
        with pytest.raises(BackendUnreachable):
            await session.resume()
        assert store.load().token == "keep"
    finally:
        await session.close()


async def test_two_resumes_at_once_sign_in_once(server: LiveServer, tmp_path: Path) -> None:
    store = SettingsStore(tmp_path)
    first = Session(store, StudioSettings(backend_url=server.url))
    await first.create_account(f"u{uuid.uuid4().hex[:8]}", "correct horse")
    await first.close()

    again = Session(store, store.load())
    seen: list[object] = []
    again.on_change(seen.append)
    try:
        users = await asyncio.gather(again.resume(), again.resume())
        assert users[0] is not None and users[0] == users[1]
        assert seen == [users[0]]  # one sign-in: one "Welcome"
    finally:
        await again.close()
