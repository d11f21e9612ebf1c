"""Processes the studio starts that must end with it (the backend `onair run` starts, a
destination's push process)."""

from __future__ import annotations

import ctypes
import functools
import os
import signal
import subprocess
import sys
from typing import Final

PR_SET_PDEATHSIG: Final = 1


def die_with_parent(parent: int, signum: int = signal.SIGKILL) -> None:
    """Ask Linux to send this process ``signum`` when ``parent`` (its parent) goes, even if
    nothing in it could notice then; exit at once if it is gone already."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signum)
    if os.getppid() != parent:  # gone before we asked
        os._exit(1)


def start_in_own_session(command: list[str]) -> subprocess.Popen[bytes]:
    """``command`` in a session of its own, sent SIGTERM when this process ends.

    With the kernel's autogroup scheduling (on in Debian and most desktops) the CPU is shared
    between sessions before the threads in them, so the studio's effects and encoder (a core
    or more) do not keep a backend in the same session waiting: there, its answers to viewers
    waited 100-200 ms at a time for a CPU (issue 23). Its own session also keeps a terminal's
    Ctrl-C for the studio, which stops the backend itself. Call it before this process starts
    a thread: the death signal is asked for between fork and exec (``preexec_fn``)."""
    return subprocess.Popen(
        command,
        start_new_session=True,
        preexec_fn=functools.partial(die_with_parent, os.getpid(), signal.SIGTERM),
    )
