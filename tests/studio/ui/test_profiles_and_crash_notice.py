"""Two accounts on one machine (profiles), and the crash report offered on the next start."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from studio.core.crash import CrashReporter
from studio.core.profiles import Profile
from studio.core.settings_store import SettingsStore, config_dir
from studio.ui import notices
from studio.ui.profile_menu import ProfileMenu
from tests.servers import LiveServer
from tests.studio.ui.conftest import StudioFactory, make_account

WAIT = 15_000
CRASH = """
from studio.core.crash import CrashReporter
from studio.core.profiles import Profile
from studio.core.settings_store import StudioSettings

reporter = CrashReporter(Profile.named("work"))
reporter.start()
reporter.settings = StudioSettings(username="bob", token="bobs-secret-session-token")
raise RuntimeError("the encoder thread fell over")
"""


def test_two_profiles_keep_their_own_sign_in_and_name_it_in_the_title(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot, studio_dirs: dict[str, str]
) -> None:
    alice, bob = make_account(server.url), make_account(server.url)
    home = studio(server.url, alice, profile=Profile())
    work = studio(server.url, bob, profile=Profile.named("work"))
    qtbot.waitUntil(lambda: home.session.signed_in and work.session.signed_in, timeout=WAIT)
    assert home.windowTitle() == f"OnAir Studio — {alice.username}"
    assert work.windowTitle() == f"OnAir Studio — {bob.username} (profile: work)"

    # The default profile keeps today's file; the other has its own folder.
    assert home.session.store.path == config_dir() / "studio.json"
    assert work.session.store.path == config_dir() / "profiles" / "work" / "studio.json"
    assert SettingsStore(config_dir()).load().username == alice.username
    assert SettingsStore(config_dir() / "profiles" / "work").load().username == bob.username

    qtbot.waitUntil(lambda: work.findChild(ProfileMenu) is not None, timeout=WAIT)
    work.tasks.spawn(work.session.sign_out())
    qtbot.waitUntil(lambda: not work.session.signed_in, timeout=WAIT)
    assert work.windowTitle() == "OnAir Studio (profile: work)"
    assert home.session.signed_in  # signing out of one profile leaves the other alone


def test_the_account_menu_lists_profiles_and_makes_new_ones(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot, studio_dirs: dict[str, str]
) -> None:
    (config_dir() / "profiles" / "work").mkdir(parents=True)
    window = studio(server.url, profile=Profile())
    menu = window.findChild(ProfileMenu)
    assert isinstance(menu, ProfileMenu)
    launched: list[list[str]] = []
    menu.launch = launched.append  # starting a process is the edge; the command is checked
    menu.refresh()
    entries = [(a.text(), a.isChecked(), a.isEnabled()) for a in menu.actions() if a.text()]
    assert entries == [
        ("Default", True, False),  # this window's profile: checked
        ("work", False, True),
        ("New profile…", False, True),
    ]

    next(a for a in menu.actions() if a.text() == "work").trigger()
    assert launched[-1][-3:] == ["studio", "--profile", "work"]  # its own remembered backend

    assert menu.new_profile("not a name!") is None
    assert any("cannot be a profile name" in m for m in window.toasts.messages)
    assert menu.new_profile("work") is None  # exists already: picked from the list instead
    assert menu.new_profile("evening") == Profile("evening")
    assert launched[-1][-5:] == ["studio", "--profile", "evening", "--backend", server.url]
    assert (config_dir() / "profiles" / "evening").is_dir()
    menu.refresh()
    assert "evening" in [a.text() for a in menu.actions()]


def test_onair_studio_profile_opens_that_profiles_settings(
    server: LiveServer, studio_dirs: dict[str, str]
) -> None:
    """The real command line, as the README gives it: a studio process for profile `bob`."""
    studio = subprocess.Popen(
        [sys.executable, "onair_cli.py", "studio", "--profile", "bob", "--backend", server.url],
        env=studio_dirs,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    saved = Path(studio_dirs["ONAIR_CONFIG_DIR"]) / "profiles" / "bob" / "studio.json"
    log = Path(studio_dirs["ONAIR_DATA_DIR"]) / "studio" / "profiles" / "bob" / "studio.log"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and studio.poll() is None:
            if saved.exists() and log.exists():  # its settings and its own log
                break
            time.sleep(0.2)
        assert studio.poll() is None, "the studio exited"
        assert SettingsStore(saved.parent).load().backend_url == server.url
        default = Path(studio_dirs["ONAIR_CONFIG_DIR"]) / "studio.json"
        assert not default.exists()  # the default profile is untouched
        _second_studio_in_the_same_profile_is_refused(studio_dirs)
    finally:
        studio.terminate()
        studio.wait(timeout=30)

    refused = subprocess.run(
        [sys.executable, "onair_cli.py", "studio", "--profile", "../escape"],
        env=studio_dirs,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 2 and "cannot be a profile name" in refused.stderr


def _second_studio_in_the_same_profile_is_refused(env: dict[str, str]) -> None:
    """It says so (a message box, and on stderr) and leaves the profile's files alone."""
    second = subprocess.Popen(
        [sys.executable, "onair_cli.py", "studio", "--profile", "bob"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert second.stderr is not None
        said = ""
        while "already open" not in said and second.poll() is None:  # then: the message box
            said = second.stderr.readline()
        assert "“bob” is already open in another OnAir Studio window" in said
    finally:
        second.kill()
        second.wait(timeout=30)


def test_a_crash_report_is_offered_once_on_the_next_start(
    server: LiveServer, studio: StudioFactory, qtbot: QtBot, studio_dirs: dict[str, str]
) -> None:
    crashed = subprocess.run(
        [sys.executable, "-c", CRASH], env=studio_dirs, capture_output=True, text=True, timeout=120
    )
    assert crashed.returncode == 1 and "the encoder thread fell over" in crashed.stderr

    profile = Profile.named("work")
    window = studio(server.url, profile=profile)
    reporter = CrashReporter(profile)
    offer = notices.offer_crash_reports(window, reporter)
    assert isinstance(offer, QMessageBox)
    qtbot.waitUntil(offer.isVisible, timeout=WAIT)
    assert "crash report was saved" in offer.text()
    labels = [b.text() for b in offer.findChildren(QPushButton)]
    assert "Show report" in labels and "Dismiss" in labels
    show = next(b for b in offer.findChildren(QPushButton) if b.text() == "Show report")
    show.click()
    dialog = window.findChild(notices.CrashReportDialog)
    assert isinstance(dialog, notices.CrashReportDialog)
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT)
    text = dialog.text.toPlainText()
    assert "RuntimeError: the encoder thread fell over" in text
    assert '"username": "bob"' in text and "bobs-secret-session-token" not in text
    dialog.close()

    assert notices.offer_crash_reports(window, reporter) is None  # offered once only


def test_a_report_made_while_running_is_announced_at_once(
    server: LiveServer, studio: StudioFactory, studio_dirs: dict[str, str]
) -> None:
    window = studio(server.url, profile=Profile.named("work"))
    reporter = CrashReporter(Profile.named("work"))
    notices.report_now(window, reporter)
    try:
        raise LookupError("a panel lost its row")
    except LookupError as error:
        report = reporter.report_exception("An unhandled error", (LookupError, error, None))
    assert report is not None and "LookupError: a panel lost its row" in report.read_text()
    assert any(str(report) in m for m in window.toasts.messages)
    assert reporter.pending() == []  # told already: not offered again on the next start
