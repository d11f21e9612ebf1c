"""The account menu's profile picker: every profile on this machine, and "New profile…".

Picking another profile opens it in a studio of its own (a second process: both stay
signed in, each with its own settings), the way ``onair studio --profile NAME`` does.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog, QMenu

from studio.core import profiles
from studio.core.profiles import Profile, ProfileError
from studio.ui.main_window import MainWindow

Launcher = Callable[[list[str]], object]


def studio_command(profile: Profile, backend: str | None) -> list[str]:
    """The command line that opens ``profile`` in a new studio process."""
    frozen = getattr(sys, "frozen", False)  # a PyInstaller bundle: the executable is `onair`
    program = [sys.executable] if frozen else [sys.executable, "-m", "onair_cli"]
    command = [*program, "studio", "--profile", profile.name]
    return [*command, "--backend", backend] if backend else command


def start_process(command: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, start_new_session=True)  # outlives this studio


class ProfileMenu(QMenu):
    def __init__(self, window: MainWindow, launch: Launcher = start_process) -> None:
        super().__init__("Profiles", window.account)
        self.studio = window
        self.launch = launch
        self.aboutToShow.connect(self.refresh)
        self.triggered.connect(self._picked)
        self.refresh()

    def refresh(self) -> None:
        """List the profiles as they are now (another studio may have made one)."""
        self.clear()
        current = self.studio.profile
        for profile in profiles.existing():
            label = "Default" if profile.is_default else profile.name
            action = self.addAction(label)
            action.setData(profile.name)
            action.setCheckable(True)
            action.setChecked(profile == current)
            action.setEnabled(profile != current)
        self.addSeparator()
        self.addAction("New profile…", self._ask_new)

    def _picked(self, action: QAction) -> None:
        name = action.data()
        if isinstance(name, str):
            self.open_profile(Profile.named(name))

    def open_profile(self, profile: Profile, backend: str | None = None) -> None:
        self.launch(studio_command(profile, backend))
        self.studio.toasts.show_toast(
            f"Opening profile “{profile.name}”",
            "It opens in a window of its own, with its own sign-in and settings.",
            ms=4000,
        )

    def _ask_new(self) -> None:
        name, ok = QInputDialog.getText(
            self.studio, "New profile", "Name of the new profile (for example: work):"
        )
        if ok:
            self.new_profile(name)

    def new_profile(self, name: str) -> Profile | None:
        """Make the profile ``name`` and open it, pointed at this studio's backend."""
        try:
            profile = Profile.named(name)
        except ProfileError as exc:
            self.studio.toasts.show_toast("Choose another name", str(exc), kind="warning")
            return None
        if profile in profiles.existing():
            self.studio.toasts.show_toast(
                f"Profile “{profile.name}” exists already", "Pick it from the list.", kind="info"
            )
            return None
        profile.config_dir.mkdir(parents=True, exist_ok=True)
        self.open_profile(profile, self.studio.session.api.base_url)
        return profile


def add_profile_menu(window: MainWindow, launch: Launcher = start_process) -> ProfileMenu:
    menu = ProfileMenu(window, launch)
    account = window.account.menu()
    account.addSeparator()
    account.addMenu(menu)
    return menu
