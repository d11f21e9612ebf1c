"""A process started beside the studio has a session (a CPU share) of its own and ends with
the studio, however the studio ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from studio.core.child_process import start_in_own_session

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]
STARTER = f"""
import sys, time
from studio.core.child_process import start_in_own_session
child = start_in_own_session({SLEEPER!r})
print(child.pid, flush=True)
time.sleep(120)
"""


def running(pid: int) -> bool:
    """Alive and not a zombie waiting for whoever adopted it to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def wait_until_gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not running(pid)


def test_it_runs_in_a_session_of_its_own() -> None:
    child = start_in_own_session(SLEEPER)
    try:
        assert os.getsid(child.pid) == child.pid != os.getsid(0)
    finally:
        child.terminate()
        child.wait(10)


def test_it_ends_when_the_process_that_started_it_is_killed() -> None:
    starter = subprocess.Popen(
        [sys.executable, "-c", STARTER], stdout=subprocess.PIPE, cwd=Path(__file__).parents[3]
    )
    assert starter.stdout is not None
    child = int(starter.stdout.readline())
    try:
        assert running(child)
        starter.send_signal(signal.SIGKILL)  # no chance to stop it itself
        starter.wait(10)
        assert wait_until_gone(child), "the child outlived the process that started it"
    finally:
        if running(child):
            os.kill(child, signal.SIGKILL)
