"""The bundle test is the slowest in the suite (a PyInstaller build): it runs last."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "bundle: builds the PyInstaller bundle (minutes; runs last)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("bundle") is not None)
