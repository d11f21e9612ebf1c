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
from numpy.typing import NDArray

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
    """One of MediaPipe's models (``name`` under its ``modules`` folder) in LiteRT, or the
    flatbuffer ``content`` of a model (a part cut from one, ``filters.attention_mesh``)."""

    def __init__(self, name: str, content: bytes | None = None) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self._interpreter = (
            Interpreter(model_path=str(model_path(name)), num_threads=1)
            if content is None
            else Interpreter(model_content=content, num_threads=1)
        )
        self._interpreter.allocate_tensors()
        inputs = self._interpreter.get_input_details()
        self._input = inputs[0]["index"]
        self.input_size = (int(inputs[0]["shape"][2]), int(inputs[0]["shape"][1]))
        """``(width, height)`` of the image the model takes (when its input is an image)."""
        self._inputs = {i["name"]: i["index"] for i in inputs}
        self._outputs = {o["name"]: o["index"] for o in self._interpreter.get_output_details()}

    def run(self, rgb: Image) -> None:
        """Run the model on an RGB uint8 image of ``input_size``."""
        tensor = rgb.astype(np.float32)
        tensor *= 1.0 / 255.0
        self._interpreter.set_tensor(self._input, tensor[None])
        self._interpreter.invoke()

    def run_on(self, tensors: dict[str, NDArray[np.float32]]) -> None:
        """Run the model on float32 input tensors, by name."""
        for name, tensor in tensors.items():
            self._interpreter.set_tensor(self._inputs[name], tensor)
        self._interpreter.invoke()

    def output(self, name: str) -> NDArray[np.float32]:
        """The named output tensor of the last run (valid until the next run)."""
        tensor: NDArray[np.float32] = self._interpreter.get_tensor(self._outputs[name])
        return tensor


def litert_or(lite: Callable[[], Model], graph: Callable[[], Model], what: str) -> Model:
    """``lite()``, or ``graph()`` (the same model through MediaPipe's graph) when LiteRT
    cannot be imported."""
    try:
        return lite()
    except ImportError as exc:
        log.warning("LiteRT is not available (%s): %s through MediaPipe's graph", exc, what)
        return graph()
