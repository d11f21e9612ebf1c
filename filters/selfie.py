"""MediaPipe's selfie segmentation model (the landscape one) run directly in LiteRT.

Through MediaPipe's graph the same model costs about a millisecond more a frame here; where
LiteRT is not installed (no wheel for Intel Macs) the graph stands in.
"""

from __future__ import annotations

from typing import Protocol

import cv2
import numpy as np

from filters.litert import LiteModel, litert_or
from filters.types import Image, Mask

MODEL = "selfie_segmentation/selfie_segmentation_landscape.tflite"


class SelfieModel(Protocol):
    def mask(self, rgb: Image) -> Mask:
        """Person probability (float32 0..1) for a reduced RGB frame."""
        ...

    def close(self) -> None: ...


class LiteSelfie(SelfieModel):
    """The model's 256 × 144 input (the frame stretched to it, as MediaPipe does); the mask
    comes back at that size whatever the frame's shape."""

    def __init__(self) -> None:
        self._model = LiteModel(MODEL)

    def mask(self, rgb: Image) -> Mask:
        size = self._model.input_size
        if (rgb.shape[1], rgb.shape[0]) != size:
            rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_LINEAR)
        self._model.run(rgb)
        return np.array(self._model.output("segment_back")[0, :, :, 0], np.float32)

    def close(self) -> None:
        return None


class GraphSelfie(SelfieModel):
    """The same model through MediaPipe's SelfieSegmentation solution."""

    def __init__(self) -> None:
        import mediapipe as mp

        self._graph = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=1)

    def mask(self, rgb: Image) -> Mask:
        return np.asarray(self._graph.process(rgb).segmentation_mask, np.float32)

    def close(self) -> None:
        self._graph.close()


def selfie_model() -> SelfieModel:
    return litert_or(LiteSelfie, GraphSelfie, "segmenting")
