"""Who is signed in, to which backend: the API client, the event link and the remembered token.

The UI asks a :class:`Session` to sign in, create an account or resume the remembered one;
afterwards ``session.api`` makes calls as that user and ``session.events`` streams their
events. Signing out forgets the token in the settings file.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from studio.core.api_client import ApiClient, ApiError, BackendUnreachable
from studio.core.events import EventClient
from studio.core.settings_store import SettingsStore, StudioSettings
from wire.users import Account, AccountSession


class Session:
    def __init__(self, store: SettingsStore, settings: StudioSettings) -> None:
        self.store = store
        self.settings = settings
        self.api = ApiClient(settings.backend_url)
        self.events: EventClient | None = None
        self.user: Account | None = None
        self._listeners: list[Callable[[Account | None], None]] = []
        self._resuming = asyncio.Lock()

    @property
    def signed_in(self) -> bool:
        return self.user is not None

    def on_change(self, listener: Callable[[Account | None], None]) -> None:
        """Called with the user after signing in, with None after signing out."""
        self._listeners.append(listener)

    async def use_backend(self, url: str) -> None:
        """Point at another backend (signs out of the current one)."""
        url = url.strip().rstrip("/")
        if url == self.api.base_url:
            return
        await self.sign_out()
        await self.api.aclose()
        self.settings.backend_url = url
        self.api = ApiClient(url)
        self.store.save(self.settings)

    async def sign_in(self, username: str, password: str, remember: bool = True) -> Account:
        return await self._start(await self.api.login(username, password), remember)

    async def create_account(
        self, username: str, password: str, display_name: str = "", remember: bool = True
    ) -> Account:
        created = await self.api.register(username, password, display_name or None)
        return await self._start(created, remember)

    async def resume(self) -> Account | None:
        """Sign in with the remembered token; None when there is none or it was refused.

        Two resumes at once (the start, and a retry after the backend came back) sign in once.
        """
        async with self._resuming:
            if self.user is not None:
                return self.user
            return await self._resume_token()

    async def _resume_token(self) -> Account | None:
        token = self.settings.token
        if not token:
            return None
        self.api.token = token
        try:
            user = await self.api.me()
        except BackendUnreachable:
            self.api.token = None
            raise  # keep the remembered token until the backend answers
        except ApiError as exc:
            self.api.token = None
            if exc.status in (401, 403):
                self._forget_token()
            return None
        return await self._start(AccountSession(user=user, token=token), remember=True)

    async def sign_out(self) -> None:
        if self.events is not None:
            await self.events.stop()
            self.events = None
        self.api.token = None
        was_signed_in, self.user = self.user is not None, None
        self._forget_token()
        if was_signed_in:
            self._notify()

    async def close(self) -> None:
        if self.events is not None:
            await self.events.stop()
            self.events = None
        await self.api.aclose()

    async def refresh_user(self) -> Account:
        """The signed-in user with a fresh coin balance."""
        self.user = await self.api.me()
        return self.user

    async def _start(self, auth: AccountSession, remember: bool) -> Account:
        if self.events is not None:
            await self.events.stop()
        self.user = auth.user
        self.settings.username = auth.user.username
        self.settings.remember = remember
        self.settings.token = auth.token if remember else ""
        self.store.save(self.settings)
        self.events = EventClient(self.api.ws_url, auth.token)
        self.events.start()
        self._notify()
        return auth.user

    def _forget_token(self) -> None:
        if self.settings.token:
            self.settings.token = ""
            self.store.save(self.settings)

    def _notify(self) -> None:
        for listener in tuple(self._listeners):
            listener(self.user)
