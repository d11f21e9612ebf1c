"""MediaPipe's model files run directly in LiteRT: one thread, RGB input scaled to 0..1.

Where LiteRT is not installed (it has no wheel for Intel Macs), ``litert_or`` falls back to
running the same model through MediaPipe's graph.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TypeVar

import numpy as np

from filters.types import Image

log = logging.getLogger(__name__)
Model = TypeVar("Model")


@cache
def model_path(name: str) -> Path:
    """A TFLite model shipped inside the mediapipe package (``face_landmark/...``)."""
    import mediapipe

    path = Path(mediapipe.__file__).parent / "modules" / name
    if not path.is_file():
        raise FileNotFoundError(f"MediaPipe model missing: {path}")
    return path


class LiteModel:
    """One of MediaPipe's models (``name`` under its ``modules`` folder) in LiteRT."""

    def __init__(self, name: str) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self._interpreter = Interpreter(model_path=str(model_path(name)), num_threads=1)
        self._interpreter.allocate_tensors()
        details = self._interpreter.get_input_details()[0]
        self._input = details["index"]
        self.input_size = (int(details["shape"][2]), int(details["shape"][1]))
        """``(width, height)`` of the image the model takes."""
        self._outputs = {o["name"]: o["index"] for o in self._interpreter.get_output_details()}

    def run(self, rgb: Image) -> None:
        """Run the model on an RGB uint8 image of ``input_size``."""
        tensor = rgb.astype(np.float32)
        tensor *= 1.0 / 255.0
        self._interpreter.set_tensor(self._input, tensor[None])
        self._interpreter.invoke()

    def output(self, name: str) -> np.ndarray:
        """The named output tensor of the last run (valid until the next run)."""
        return self._interpreter.get_tensor(self._outputs[name])


def litert_or(lite: Callable[[], Model], graph: Callable[[], Model], what: str) -> Model:
    """``lite()``, or ``graph()`` (the same model through MediaPipe's graph) when LiteRT
    cannot be imported."""
    try:
        return lite()
    except ImportError as exc:
        log.warning("LiteRT is not available (%s): %s through MediaPipe's graph", exc, what)
        return graph()
