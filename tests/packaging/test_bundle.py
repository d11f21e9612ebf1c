"""`make package` end to end: build the PyInstaller bundle from packaging/onair.spec in a fresh
folder (the ``bundle`` fixture, tests/packaging/conftest.py: built while the rest of the suite
runs), then run the frozen `onair --version` and `onair selftest` (effects on the sample
source, publish over WHIP and play back over WHEP on loopback) from outside the repository."""

from __future__ import annotations

import os
import subprocess
from importlib.metadata import version
from pathlib import Path

import pytest

# A guard against pulling in what the app never uses (jaxlib alone is 330 MB, playwright 165):
# the bundle measured 687 MB when this was written.
MAX_BUNDLE_MB = 800
LEFT_OUT = ("jaxlib", "jax", "playwright", "mypy", "pytest", "tkinter")

pytestmark = [pytest.mark.bundle, pytest.mark.timeout(1500)]


def folder_mb(folder: Path) -> float:
    """Bytes on disk, each file once (the bundle links shared libraries under two names)."""
    files = [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]
    return sum(p.lstat().st_size for p in files) / 1e6


def run_bundle(bundle: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    return subprocess.run(
        [str(bundle / "onair"), *args],
        cwd=cwd, env=environment, capture_output=True, text=True, timeout=180,
    )  # fmt: skip


def test_bundle_runs_version_and_selftest(bundle: Path, tmp_path: Path) -> None:
    size = folder_mb(bundle)
    print(f"bundle {bundle}: {size:.0f} MB")
    internal = bundle / "_internal"
    assert not [name for name in LEFT_OUT if (internal / name).exists()]
    assert size < MAX_BUNDLE_MB
    assert (internal / "assets" / "presets" / "natural_beauty.json").is_file()
    assert (internal / "packaging" / "icons" / "onair-studio-256.png").is_file()
    models = internal / "mediapipe" / "modules"
    assert (models / "face_landmark" / "face_landmark_with_attention.tflite").is_file()
    assert (models / "selfie_segmentation" / "selfie_segmentation_cpu.binarypb").is_file()

    shown = run_bundle(bundle, "--version", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == f"onair {version('onair-studio')}"

    checked = run_bundle(bundle, "selftest", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr[-4000:]
    lines = checked.stdout.splitlines()
    assert [line.split(":")[0] for line in lines if line.startswith("[")] == [
        "[ok] filters registry",
        "[ok] default effect chain",
        "[ok] publish over WHIP, play over WHEP",
    ]
    assert lines[-1] == "selftest passed"
