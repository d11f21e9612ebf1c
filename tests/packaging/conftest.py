"""The bundle test is the slowest in the suite (a PyInstaller build, 1.5-2 minutes): it runs last,
and its build starts in the background, at a low priority, as soon as the session knows it will
run it, so the build is done by the time the rest of the suite is."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD_S = 1400


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "bundle: builds the PyInstaller bundle (minutes; runs last)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("bundle") is not None)


class BundleBuild:
    """``pyinstaller packaging/onair.spec`` into a fresh temp folder, running in the background."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="onair-bundle-")
        work = Path(self._folder.name)
        self._log_path = work / "pyinstaller.log"
        self.dist = work / "dist"
        with self._log_path.open("wb") as log:
            self._process = subprocess.Popen(
                ["nice", "-n", "10", sys.executable, "-m", "PyInstaller",
                 str(ROOT / "packaging" / "onair.spec"), "--noconfirm", "--log-level", "WARN",
                 "--distpath", str(self.dist), "--workpath", str(work / "build")],
                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        # Reaped the moment it ends: an unreaped child is a zombie of the test process for the
        # rest of the run, and tests that check their own children are reaped would see it.
        self._reaper = threading.Thread(target=self._process.wait, name="bundle build", daemon=True)
        self._reaper.start()

    def finished(self) -> Path:
        """The bundle's folder once the build is done; the test fails with its log if it failed."""
        self._reaper.join(timeout=BUILD_S)
        returncode = self._process.returncode
        assert returncode is not None, f"PyInstaller still building after {BUILD_S} s"
        log = self._log_path.read_text(encoding="utf-8", errors="replace")
        assert returncode == 0, f"PyInstaller ended with {returncode}:\n{log[-4000:]}"
        return self.dist / "onair"

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._folder.cleanup()


BUILD = pytest.StashKey[BundleBuild]()


def pytest_collection_finish(session: pytest.Session) -> None:
    """After deselection (``-k``, ``-m``): a session without the bundle test builds nothing."""
    config = session.config
    if config.option.collectonly:
        return
    if any(item.get_closest_marker("bundle") for item in session.items):
        config.stash[BUILD] = BundleBuild()


def pytest_unconfigure(config: pytest.Config) -> None:
    build = config.stash.get(BUILD, None)
    if build is not None:
        build.close()


@pytest.fixture(scope="module")
def bundle(pytestconfig: pytest.Config) -> Path:
    """The bundle's folder, from the build the session started when it was collected."""
    return pytestconfig.stash[BUILD].finished()
