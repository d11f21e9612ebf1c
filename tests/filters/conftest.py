"""Shared fixtures: real face images and a context factory with a static face tracker."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import pytest

from filters.context import FaceTracker, FrameContext, PersonSegmenter
from filters.synthetic import SyntheticFaceClip, load_face
from filters.types import Image

MakeContext = Callable[[Image], FrameContext]


@pytest.fixture(scope="session")
def tracker() -> FaceTracker:
    return FaceTracker(max_faces=1, max_side=1280, static=True)


@pytest.fixture(scope="session")
def base_tracker() -> FaceTracker:
    """The 468-point base mesh, as a chain without ``"refined"`` filters gets."""
    return FaceTracker(max_faces=1, max_side=1280, static=True, refined=False)


@pytest.fixture(scope="session")
def segmenter() -> PersonSegmenter:
    return PersonSegmenter()


@pytest.fixture
def make_ctx(tracker: FaceTracker, segmenter: PersonSegmenter) -> MakeContext:
    def make(frame: Image) -> FrameContext:
        return FrameContext(frame, tracker=tracker, segmenter=segmenter)

    return make


@pytest.fixture(scope="session")
def portrait() -> Image:
    """The astronaut portrait at 2× (face ~210 px tall), read-only."""
    image = cv2.resize(load_face("astronaut"), None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    image.flags.writeable = False
    return image


@pytest.fixture(scope="session")
def hopper() -> Image:
    image = load_face("grace_hopper")
    image.flags.writeable = False
    return image


@pytest.fixture(scope="session")
def clip() -> SyntheticFaceClip:
    return SyntheticFaceClip(1280, 720, seed=0)


@pytest.fixture(scope="session")
def scene(clip: SyntheticFaceClip) -> Image:
    """A 720p frame of the synthetic clip (face, body, soft background), read-only."""
    frame = clip.frame(12)
    frame.flags.writeable = False
    return frame
