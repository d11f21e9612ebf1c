"""Every effect at its neutral values leaves its input exactly unchanged."""

import numpy as np
import pytest

from filters import registry
from filters.audio.voice import VoiceFilter
from filters.base import VideoFilter
from filters.pipeline import Pipeline
from filters.types import Image
from tests.filters.conftest import MakeContext

VIDEO = [cls.id for cls in registry.all_filters() if issubclass(cls, VideoFilter)]
VOICE = [cls.id for cls in registry.all_filters() if issubclass(cls, VoiceFilter)]


@pytest.mark.parametrize("filter_id", VIDEO)
def test_video_neutral_is_identity(filter_id: str, scene: Image, make_ctx: MakeContext) -> None:
    cls = registry.get(filter_id)
    neutral = cls.neutral_values()
    assert neutral, f"{filter_id} declares no neutral value"
    effect = cls(**neutral)
    assert effect.is_neutral()
    assert isinstance(effect, VideoFilter)
    out = effect.process(scene, make_ctx(scene))
    assert np.array_equal(out, scene)


@pytest.mark.parametrize("filter_id", VOICE)
def test_voice_neutral_is_identity(filter_id: str) -> None:
    cls = registry.get(filter_id)
    effect = cls(**cls.neutral_values())
    assert isinstance(effect, VoiceFilter)
    audio = np.random.default_rng(0).uniform(-0.5, 0.5, (1, 960)).astype(np.float32)
    assert np.array_equal(effect.process(audio, 48_000), audio)


def test_neutral_chain_is_identity(scene: Image) -> None:
    chain = [registry.get(i)(**registry.get(i).neutral_values()) for i in VIDEO]
    pipeline = Pipeline([f for f in chain if isinstance(f, VideoFilter)])
    assert np.array_equal(pipeline.process(scene), scene)
    assert not pipeline.failures
