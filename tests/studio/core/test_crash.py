"""Crash reports: an unhandled exception, an error in a Qt slot, one in an asyncio callback and a
real fatal signal each leave a report in the data directory, never with the session token."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import textwrap

from studio.core.crash import CrashReporter, scrub
from studio.core.profiles import Profile
from studio.core.settings_store import StudioSettings

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLW9mLWFsaWNl"
START = textwrap.dedent(
    f"""
    import logging
    from studio.core.crash import CrashReporter
    from studio.core.profiles import Profile
    from studio.core.settings_store import StudioSettings

    reporter = CrashReporter(Profile.named("work"))
    reporter.start()
    reporter.settings = StudioSettings(username="alice", token={TOKEN!r}, video_codec="h264")
    print("previous run:", reporter.report_previous_run(), flush=True)
    logging.getLogger("studio.test").info("connecting with token=%s", {TOKEN!r})
    logging.getLogger("studio.test").info("the last thing before the crash")
    """
)


def _run(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", START + textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _reports() -> list[str]:
    reporter = CrashReporter(Profile.named("work"))
    return [p.read_text() for p in reporter.pending()]


def test_an_unhandled_exception_leaves_a_report_without_the_token(
    studio_dirs: dict[str, str],
) -> None:
    done = _run('raise RuntimeError("the mixer fell over")', studio_dirs)
    assert done.returncode == 1
    assert "RuntimeError: the mixer fell over" in done.stderr  # still printed as usual
    [report] = _reports()
    assert "RuntimeError: the mixer fell over" in report
    assert "the last thing before the crash" in report  # the log's tail
    assert '"username": "alice"' in report and '"video_codec": "h264"' in report
    for name in ("python", "PySide6-Essentials", "aiortc", "av", "mediapipe", "os"):
        assert f"\n{name}: " in report
    assert TOKEN not in report and TOKEN[:20] not in report
    assert "token=[redacted]" in report
    log = Profile.named("work").data_dir / "studio.log"
    assert "the mixer fell over" in log.read_text()  # and the rotating log has it too


def test_a_fatal_signal_is_written_up_on_the_next_start(studio_dirs: dict[str, str]) -> None:
    crashed = _run("import faulthandler; faulthandler._sigsegv()", studio_dirs)
    assert crashed.returncode == -signal.SIGSEGV
    assert _reports() == []  # nothing could run after the segfault but faulthandler

    again = _run("", studio_dirs)
    assert again.returncode == 0, again.stderr
    assert "previous run: " in again.stdout and "None" not in again.stdout
    [report] = _reports()
    assert "A fatal error stopped the studio" in report
    assert "Fatal Python error: Segmentation fault" in report
    assert "the last thing before the crash" in report  # the crashed run's log
    assert TOKEN not in report

    third = _run("", studio_dirs)  # a clean run after it: nothing new to report
    assert "previous run: None" in third.stdout
    assert len(_reports()) == 1


def test_errors_in_a_qt_slot_and_a_thread_are_reported_and_the_app_carries_on(
    studio_dirs: dict[str, str],
) -> None:
    done = _run(
        """
        import threading
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication

        app = QApplication([])
        def broken_slot():
            raise ValueError("a slot went wrong")
        for _ in range(3):  # the same error again makes no second report
            QTimer.singleShot(0, broken_slot)
        QTimer.singleShot(200, app.quit)
        app.exec()
        def broken_worker():
            raise OSError("the camera went away")
        worker = threading.Thread(target=broken_worker, name="capture")
        worker.start()
        worker.join()
        print("still running")
        """,
        studio_dirs,
    )
    assert done.returncode == 0, done.stderr
    assert "still running" in done.stdout
    slot, thread = sorted(_reports(), key=lambda text: "capture" in text)
    assert "ValueError: a slot went wrong" in slot
    assert "An unhandled error in capture" in thread and "OSError: the camera" in thread


async def test_an_error_in_an_asyncio_callback_is_reported(studio_dirs: dict[str, str]) -> None:
    reporter = CrashReporter(Profile.named("work"))
    reporter.settings = StudioSettings(token=TOKEN)
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()
    loop.set_exception_handler(reporter.handle_loop_exception)
    try:

        def callback() -> None:
            raise KeyError(f"lost {TOKEN}")

        loop.call_soon(callback)
        await asyncio.sleep(0.05)
    finally:
        loop.set_exception_handler(previous)
    [report] = _reports()
    assert "KeyError" in report and "Exception in callback" in report
    assert TOKEN not in report


def test_each_report_is_offered_once(studio_dirs: dict[str, str]) -> None:
    reporter = CrashReporter(Profile.named("work"))
    first = reporter.write("one", "details")
    second = reporter.write("two", "details")
    assert first is not None and second is not None
    assert reporter.pending() == [second, first]
    reporter.mark_offered(second)
    assert second.exists() and "two" in second.read_text()  # kept, just not offered again
    assert reporter.pending() == [first]
    assert CrashReporter(Profile.named("work")).pending() == [first]  # remembered on disk


def test_scrub_removes_tokens_passwords_and_keys() -> None:
    text = scrub(
        f"Authorization: Bearer abc123 password=hunter2 {TOKEN} https://u:pw@host/x stream-key",
        ["stream-key"],
    )
    for secret in ("abc123", "hunter2", TOKEN, "pw@", "stream-key"):
        assert secret not in text
