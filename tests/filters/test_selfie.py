"""The selfie model run in LiteRT gives MediaPipe's mask; without LiteRT the graph stands in."""

import sys

import cv2
import numpy as np
import pytest

from filters.imaging import reduced_rgb
from filters.selfie import GraphSelfie, LiteSelfie, selfie_model
from filters.synthetic import SyntheticFaceClip


@pytest.mark.parametrize("size", [(1280, 720), (640, 480)], ids=["16:9", "4:3"])
def test_litert_mask_matches_mediapipes(size: tuple[int, int]) -> None:
    clip = SyntheticFaceClip(*size)
    lite, graph = LiteSelfie(), GraphSelfie()
    for index in (0, 40):
        rgb = reduced_rgb(clip.frame(index), 256)
        ours, theirs = lite.mask(rgb), graph.mask(rgb)
        assert ours.shape == (144, 256) and ours.dtype == np.float32
        theirs = cv2.resize(theirs, (256, 144), interpolation=cv2.INTER_LINEAR)
        assert np.abs(ours - theirs).mean() < 0.01
        truth = cv2.resize(clip.person_mask(index), (256, 144)) > 127
        assert ((ours > 0.5) == truth).mean() > 0.97
    graph.close()


def test_without_litert_the_graph_segments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)  # import fails
    model = selfie_model()
    assert isinstance(model, GraphSelfie)
    rgb = reduced_rgb(SyntheticFaceClip(640, 360).frame(0), 256)
    assert model.mask(rgb).max() > 0.9
    model.close()
