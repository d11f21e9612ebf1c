"""The studio's handle on one push process (:mod:`studio.core.push_child`).

:meth:`PushProcess.open` starts the process, sends it the setup and waits, on the event loop
and cancellable at any moment, until it says the server accepted the stream. The output's
thread then writes packets into its pipe; a write only blocks that thread (with the GIL
released), never the studio. :meth:`PushProcess.close` ends it: after the end of the stream it
waits a moment for a clean goodbye, then kills it; either way the process is reaped. What the
process said (its error, or the last line it wrote to standard error) becomes the status line,
with the stream key masked.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import os
import signal
import sys
import threading
from concurrent.futures import Executor
from typing import IO, Final

from studio.core.muxer import EncodedPacket, MuxError, StreamTemplates
from studio.core.push_child import setup_message, write_packet

log = logging.getLogger(__name__)

STDERR_LINES: Final = 20
LINE_LIMIT: Final = 1 << 20  # bytes in one line of what the process says
MASK: Final = "***"


def push_command() -> list[str]:
    """How to start a push process: this interpreter, or the bundle's ``onair push``."""
    parent = str(os.getpid())
    if getattr(sys, "frozen", False):  # a PyInstaller bundle: the executable is `onair`
        return [sys.executable, "push", parent]
    return [sys.executable, "-m", "studio.core.push_child", parent]


class PushProcess:
    """One running push process (see the module's docstring)."""

    def __init__(self, process: asyncio.subprocess.Process, pipe: IO[bytes], secret: str):
        self.process = process
        self.secret = secret
        self.bytes_sent = 0  # packet bytes written into the pipe
        self.ended = threading.Event()  # the process has exited (the sending thread looks)
        self._pipe = pipe
        self._live = asyncio.Event()
        self._failure: MuxError | None = None  # what the process said went wrong
        self._stderr: collections.deque[str] = collections.deque(maxlen=STDERR_LINES)
        self._watch = asyncio.create_task(self._watch_process(), name="push process")

    @classmethod
    async def open(
        cls,
        url: str,
        format_name: str,
        templates: StreamTemplates,
        *,
        thread: Executor,
        timeout_s: float,
        secret: str = "",
    ) -> PushProcess:
        """A process connected to ``url`` (TimeoutError after ``timeout_s``; MuxError in the
        process's words when it could not connect). On failure the process is gone. On Linux
        the process also dies with the thread that runs this event loop (the studio's main
        thread), however that ends."""
        read_end, write_end = os.pipe()
        try:
            process = await asyncio.create_subprocess_exec(
                *push_command(),
                stdin=read_end,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                limit=LINE_LIMIT,
            )
        except BaseException as exc:
            os.close(write_end)
            if isinstance(exc, OSError):
                raise MuxError(f"Could not start the push process: {exc}") from exc
            raise
        finally:
            os.close(read_end)
        push = cls(process, os.fdopen(write_end, "wb"), secret)
        try:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(thread, push._setup, url, format_name, templates)
            async with asyncio.timeout(timeout_s):
                await push._until_live()
        except BaseException:
            await push.close(grace_s=0.0)
            raise
        return push

    # ---- on the output's thread ---------------------------------------------------------
    def _setup(self, url: str, format_name: str, templates: StreamTemplates) -> None:
        message = setup_message(url, format_name, templates)
        # It died at once (_until_live says why), or it is being closed while connecting.
        with contextlib.suppress(OSError, ValueError):
            self._pipe.write(message)
            self._pipe.flush()

    def send(self, packet: EncodedPacket) -> None:
        """Write one packet (blocks while the process does not read); OSError once it is
        gone."""
        write_packet(self._pipe, packet)
        self.bytes_sent += len(packet.data)

    def finish(self) -> None:
        """End the stream: the process finishes it and exits."""
        with contextlib.suppress(OSError):  # closed anyway; what stayed unsent is lost
            self._pipe.close()

    # ---- on the event loop --------------------------------------------------------------
    async def _until_live(self) -> None:
        said_live = asyncio.ensure_future(self._live.wait())
        try:
            await asyncio.wait([said_live, self._watch], return_when=asyncio.FIRST_COMPLETED)
        finally:
            said_live.cancel()
        if not self._live.is_set():
            raise self.failure()

    def failure(self) -> MuxError:
        """Why the process ended: its own words, else its last words on standard error."""
        if self._failure is not None:
            return self._failure
        last = self._stderr[-1] if self._stderr else ""
        code = self.process.returncode
        if last:
            return MuxError(f"The push process stopped: {last}")
        if code is not None and code < 0:
            return MuxError(f"The push process was stopped by {signal.Signals(-code).name}")
        return MuxError(f"The push process stopped (exit status {code})")

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()

    async def close(self, grace_s: float) -> None:
        """End the process: give it ``grace_s`` to finish the stream it was sent (call
        :meth:`finish` first), then kill it; return once it is reaped. Call it once no thread
        writes any more."""
        if grace_s > 0 and not self.ended.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(grace_s):
                    await asyncio.shield(self._watch)
        if not self.ended.is_set():
            self.kill()
        await asyncio.shield(self._watch)
        self.finish()

    async def _watch_process(self) -> None:
        try:
            await asyncio.gather(self._read_news(), self._read_stderr())
        finally:
            await self.process.wait()
            self.ended.set()

    async def _read_news(self) -> None:
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            try:
                news = json.loads(line)
            except ValueError:
                self._stderr.append(self._masked(line.decode(errors="replace").strip()))
                continue
            if news.get("live"):
                self._live.set()
            elif "error" in news:
                self._failure = MuxError(
                    self._masked(str(news["error"])),
                    server_said=self._masked(str(news.get("serverSaid") or "")),
                    errno=news.get("errno"),
                )

    async def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        async for raw in self.process.stderr:
            line = self._masked(raw.decode(errors="replace").strip())
            if line:
                self._stderr.append(line)
                log.debug("push process %d: %s", self.process.pid, line)

    def _masked(self, text: str) -> str:
        return text.replace(self.secret, MASK) if self.secret else text
