"""Sign-in under attack: password hashing on a bounded pool, growing delays after wrong
passwords per account and per client address.

argon2 is meant to be slow; left unbounded, a stream of wrong passwords takes the CPU every
other request needs. Hashing runs on ``workers`` threads with at most ``queue`` sign-ins
waiting; past that the answer is 503 ``busy`` at once. Wrong passwords are counted per account
(from any address: one account cannot be brute-forced from many addresses) and per address
(one address cannot guess at, or lock out, many accounts). Past the free failures each further
one doubles the wait. An address that has signed in to an account before is not held back by
that account's count, so strangers cannot lock its owner out.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from backend.errors import Busy, TooManyAttempts, Unauthorized
from backend.services.auth import AuthService
from backend.storage.db import Row

T = TypeVar("T")
FIRST_DELAY_S = 1.0
MAX_DELAY_S = 15 * 60.0
FORGET_AFTER_S = 60 * 60.0  # failures older than this (with none since) are forgiven
ADDRESS_ALLOWANCE = 4  # an address (an office, a NAT) gets this many times an account's
MAX_KEYS = 100_000


class HashingPool:
    """Runs password hashing on ``workers`` threads, at most ``queue`` more waiting."""

    def __init__(self, workers: int, queue: int) -> None:
        self.workers = workers
        self.capacity = workers + queue
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="password-hash")
        self._admitted = 0
        self._lock = threading.Lock()
        self.running = 0
        self.peak_running = 0
        self.refused = 0

    async def run(self, work: Callable[[], T]) -> T:
        if self._admitted >= self.capacity:
            self.refused += 1
            raise Busy("The server is busy signing people in; try again in a moment.", 1.0)
        self._admitted += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self._executor, self._counted, work
            )
        finally:
            self._admitted -= 1

    def _counted(self, work: Callable[[], T]) -> T:
        with self._lock:
            self.running += 1
            self.peak_running = max(self.peak_running, self.running)
        try:
            return work()
        finally:
            with self._lock:
                self.running -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0
    blocked_until: float = 0.0
    pending: int = 0  # attempts being checked now


class FailureCounter:
    """Wrong passwords by key, with the wait they have earned; least recently seen forgotten
    first once ``MAX_KEYS`` are kept. Attempts still being checked count as possible
    failures, so a burst sent at once gets no more guesses than one sent in turn."""

    def __init__(self, free: int) -> None:
        self.free = free
        self._entries: OrderedDict[str, _Failures] = OrderedDict()

    def wait(self, key: str, now: float) -> float:
        entry = self._entries.get(key)
        if entry is None:
            return 0.0
        if entry.blocked_until > now:
            return entry.blocked_until - now
        if entry.pending and entry.count + entry.pending >= self.free:
            return FIRST_DELAY_S  # past the free ones, one attempt at a time
        return 0.0

    def start(self, key: str) -> None:
        self._entry(key).pending += 1

    def finish(self, key: str, failed: bool, now: float) -> None:
        entry = self._entry(key)
        entry.pending = max(0, entry.pending - 1)
        if not failed:
            return
        if now - entry.last > FORGET_AFTER_S:
            entry.count = 0
        entry.count += 1
        entry.last = now
        over = entry.count - self.free + 1  # the last free failure earns the first wait
        if over > 0:
            entry.blocked_until = now + min(MAX_DELAY_S, FIRST_DELAY_S * 2 ** (over - 1))

    def _entry(self, key: str) -> _Failures:
        entry = self._entries.pop(key, None) or _Failures()
        self._entries[key] = entry  # now the most recently seen
        if len(self._entries) > MAX_KEYS:
            self._entries.popitem(last=False)
        return entry


class LoginService:
    def __init__(self, auth: AuthService, pool: HashingPool, free_failures: int) -> None:
        self.auth = auth
        self.pool = pool
        self.accounts = FailureCounter(free_failures)
        self.addresses = FailureCounter(free_failures * ADDRESS_ALLOWANCE)
        self._known: OrderedDict[tuple[str, str], None] = OrderedDict()

    async def authenticate(self, username: str, password: str, address: str) -> Row:
        account = username.casefold()
        self._check(account, address, time.monotonic())
        self.accounts.start(account)
        self.addresses.start(address)
        failed = False
        try:
            row = await self.pool.run(lambda: self.auth.authenticate(username, password))
        except Unauthorized:
            failed = True
            raise
        finally:
            now = time.monotonic()
            self.accounts.finish(account, failed, now)
            self.addresses.finish(address, failed, now)
        self._remember(account, address)
        return row

    async def register(self, username: str, password: str, display_name: str | None) -> Row:
        return await self.pool.run(lambda: self.auth.register(username, password, display_name))

    def _check(self, account: str, address: str, now: float) -> None:
        wait = self.addresses.wait(address, now)
        if (account, address) not in self._known:
            wait = max(wait, self.accounts.wait(account, now))
        if wait > 0:
            seconds = math.ceil(wait)
            raise TooManyAttempts(f"Too many attempts, try again in {seconds} s.", seconds)

    def _remember(self, account: str, address: str) -> None:
        self._known[(account, address)] = None
        self._known.move_to_end((account, address))
        if len(self._known) > MAX_KEYS:
            self._known.popitem(last=False)
