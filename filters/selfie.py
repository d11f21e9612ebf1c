"""MediaPipe's selfie segmentation model (the landscape one) run directly in LiteRT.

Through MediaPipe's graph the same model costs about a millisecond more a frame here; where
LiteRT is not installed (no wheel for Intel Macs) the graph stands in.
"""

from __future__ import annotations

import logging
from typing import Protocol

import cv2
import numpy as np

from filters.face_mesh import model_path
from filters.types import Image, Mask

log = logging.getLogger(__name__)

MODEL = "selfie_segmentation/selfie_segmentation_landscape.tflite"


class SelfieModel(Protocol):
    def mask(self, rgb: Image) -> Mask:
        """Person probability (float32 0..1) for a reduced RGB frame."""
        ...

    def close(self) -> None: ...


class LiteSelfie:
    """The model's 256 × 144 input (the frame stretched to it, as MediaPipe does); the mask
    comes back at that size whatever the frame's shape."""

    def __init__(self) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self._interpreter = Interpreter(model_path=str(model_path(MODEL)), num_threads=1)
        self._interpreter.allocate_tensors()
        details = self._interpreter.get_input_details()[0]
        self._input = details["index"]
        self._size = (int(details["shape"][2]), int(details["shape"][1]))
        self._output = self._interpreter.get_output_details()[0]["index"]

    def mask(self, rgb: Image) -> Mask:
        if (rgb.shape[1], rgb.shape[0]) != self._size:
            rgb = cv2.resize(rgb, self._size, interpolation=cv2.INTER_LINEAR)
        tensor = rgb.astype(np.float32)
        tensor *= 1.0 / 255.0
        self._interpreter.set_tensor(self._input, tensor[None])
        self._interpreter.invoke()
        return np.array(self._interpreter.get_tensor(self._output)[0, :, :, 0], np.float32)

    def close(self) -> None:
        return None


class GraphSelfie:
    """The same model through MediaPipe's SelfieSegmentation solution."""

    def __init__(self) -> None:
        import mediapipe as mp

        self._graph = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=1)

    def mask(self, rgb: Image) -> Mask:
        return np.asarray(self._graph.process(rgb).segmentation_mask, np.float32)

    def close(self) -> None:
        self._graph.close()


def selfie_model() -> SelfieModel:
    try:
        return LiteSelfie()
    except ImportError as exc:
        log.warning("LiteRT is not available (%s): segmenting through MediaPipe's graph", exc)
        return GraphSelfie()
