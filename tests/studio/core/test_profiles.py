"""Profile names and where each profile keeps its files."""

from __future__ import annotations

import pytest

from studio.core import profiles
from studio.core.profiles import Profile, ProfileError
from studio.core.settings_store import config_dir


@pytest.mark.parametrize("name", ["../up", "a/b", "-dash", "spaced name", "x" * 33, "é"])
def test_names_that_are_not_folder_safe_are_refused_with_what_is_allowed(name: str) -> None:
    with pytest.raises(ProfileError, match="letters, digits"):
        Profile.named(name)


def test_the_default_profile_keeps_todays_folders(studio_dirs: dict[str, str]) -> None:
    assert Profile.named(None) == Profile.named("") == Profile.named("Default") == Profile()
    assert Profile().config_dir == config_dir()
    work = Profile.named("work")
    assert work.config_dir == config_dir() / "profiles" / "work"
    assert work.data_dir == Profile().data_dir / "profiles" / "work"
    assert profiles.existing() == [Profile()]
    work.config_dir.mkdir(parents=True)
    (config_dir() / "profiles" / "not a profile").mkdir()
    assert profiles.existing() == [Profile(), work]
