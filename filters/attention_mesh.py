"""The refined FaceMesh model (478 points) in LiteRT, its MediaPipe operations in numpy.

``face_landmark_with_attention.tflite`` holds three custom operations LiteRT does not have:
``Landmarks2TransformMatrix`` (a box around the lips or an eye, from the mesh the model has
just predicted), ``TransformTensorBilinear`` (that box sampled from a feature map) and
``TransformLandmarks`` (the refined points out of the box). The model is cut at them once,
into a trunk (image → mesh, face flag, feature map) and heads (the three boxes → lips, eyes
and irises), both run in LiteRT; what lies between is a few small numpy steps, and the
refined points replace the mesh's as MediaPipe's ``LandmarksRefinementCalculator`` does.
The points are MediaPipe's (within 1e-3 px, tested against its ``FaceLandmarkCpu`` graph);
the graph's calculators and thread hand-offs cost about a third of its time.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from filters.face_mesh import FaceRegion, LandmarkModel, crop_region, points_in_frame
from filters.litert import LiteModel, model_path
from filters.types import Image, Points

MODEL = "face_landmark/face_landmark_with_attention.tflite"
F32 = NDArray[np.float32]

BOX_LANDMARKS = ("multiply_by_constant", "multiply_by_constant_2", "multiply_by_constant_4")
"""The trunk's mesh in feature-map pixels, that the lips', right and left eye's boxes are
made from (in this order)."""
FEATURES = "p_re_lu_3"
MESH, FACE_FLAG = "output_mesh_identity", "conv_faceflag"
BOXES = ("landmarks_to_transform_matrix_v2", "landmarks_to_transform_matrix_v2_1",
         "landmarks_to_transform_matrix_v2_2")  # fmt: skip
SAMPLED = ("transform_tensor_bilinear_v2", "transform_tensor_bilinear_v2_1",
           "transform_tensor_bilinear_v2_2")  # fmt: skip
REFINED = (
    # (the heads' points, the matrix taking them out of their box): lips, the subject's
    # right eye, its iris, the left eye, its iris (the model names the eyes the other way)
    ("reshape_1", "multiply_by_constant_1"),
    ("reshape_3", "multiply_by_constant_3"),
    ("reshape_4", "multiply_by_constant_3"),
    ("reshape_6", "multiply_by_constant_5"),
    ("reshape_7", "multiply_by_constant_5"),
)
IRISES = (np.arange(468, 473), np.arange(473, 478))
EYE_CONTOUR = 16
"""An iris's depth is the mean depth of the first 16 points of its eye's box landmarks (the
eye's contour), as MediaPipe's refinement sets it."""


@dataclass(frozen=True)
class BoxOptions:
    """A ``Landmarks2TransformMatrix`` operation's options."""

    left: int
    right: int
    subset: NDArray[np.intp]
    scale: tuple[float, float]
    size: tuple[int, int]

    @classmethod
    def of(cls, options: dict[str, Any]) -> BoxOptions:
        return cls(
            int(options["left_rotation_idx"]),
            int(options["right_rotation_idx"]),
            np.array(options["subset_idxs"], np.intp),
            (float(options["scale_x"]), float(options["scale_y"])),
            (int(options["output_width"]), int(options["output_height"])),
        )


@dataclass(frozen=True)
class AttentionParts:
    """The model cut into its two LiteRT parts, and the boxes' options (lips, eyes)."""

    trunk: bytes
    heads: bytes
    boxes: tuple[BoxOptions, ...]


@cache
def attention_parts() -> AttentionParts:
    """The refined model cut around its custom operations (~1 s, once per process)."""
    from ai_edge_litert import schema_py_generated as schema
    from flatbuffers import flexbuffers

    model = schema.ModelT.InitFromPackedBuf(model_path(MODEL).read_bytes(), 0)
    graph = model.subgraphs[0]
    boxes = tuple(
        BoxOptions.of(flexbuffers.Loads(bytes(op.customOptions)))
        for op in graph.operators
        if _custom_code(model, op) == "Landmarks2TransformMatrix"
    )
    trunk = _cut(model, ["input_1"], [*BOX_LANDMARKS, FEATURES, MESH, FACE_FLAG])
    heads = _cut(model, [*SAMPLED, *BOXES], sorted({name for pair in REFINED for name in pair}))
    return AttentionParts(trunk, heads, boxes)


def _custom_code(model: Any, op: Any) -> str | None:
    code = model.operatorCodes[op.opcodeIndex].customCode
    return code.decode() if code else None


def _cut(model: Any, inputs: list[str], outputs: list[str]) -> bytes:
    """The part of ``model`` computing ``outputs`` from ``inputs``, as a model of its own
    (it must need no custom operation)."""
    import flatbuffers

    graph = model.subgraphs[0]
    index = {tensor.name.decode(): i for i, tensor in enumerate(graph.tensors)}
    producer = {out: i for i, op in enumerate(graph.operators) for out in op.outputs}
    given, needed = {index[name] for name in inputs}, set()
    wanted = [index[name] for name in outputs]
    while wanted:
        tensor = wanted.pop()
        if tensor in given or tensor not in producer or producer[tensor] in needed:
            continue
        op = graph.operators[producer[tensor]]
        if _custom_code(model, op) is not None:
            raise ValueError(f"{graph.tensors[tensor].name!r} needs a custom operation")
        needed.add(producer[tensor])
        wanted.extend(t for t in op.inputs if t >= 0)
    part, part_graph = copy.copy(model), copy.copy(graph)
    part_graph.operators = [graph.operators[i] for i in sorted(needed)]
    part_graph.inputs = [index[name] for name in inputs]
    part_graph.outputs = [index[name] for name in outputs]
    part.subgraphs = [part_graph]
    builder = flatbuffers.Builder(1 << 22)
    builder.Finish(part.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def box_matrix(points: F32, box: BoxOptions) -> F32:
    """``Landmarks2TransformMatrix``: the 4 × 4 map from the box's output pixels to
    feature-map pixels; the box is turned so the line from ``box.left`` to ``box.right`` is
    level, holds ``box.subset``, and is scaled by ``box.scale``."""
    xy = points[:, :2].astype(np.float64)
    along = xy[box.right] - xy[box.left]
    u = along / np.linalg.norm(along)
    v = np.array([-u[1], u[0]])
    turned = xy[box.subset] @ np.stack([u, v], axis=1)
    low, high = turned.min(axis=0), turned.max(axis=0)
    middle = (low + high) / 2.0
    centre = middle[0] * u + middle[1] * v
    width, height = box.size
    step_x = box.scale[0] * (high[0] - low[0]) / width
    step_y = box.scale[1] * (high[1] - low[1]) / height
    matrix = np.eye(4, dtype=np.float32)
    matrix[:2, 0], matrix[:2, 1] = u * step_x, v * step_y
    matrix[:2, 3] = centre - (u * step_x * width + v * step_y * height) / 2.0
    return matrix


@lru_cache(maxsize=4)
def _pixel_centres(width: int, height: int) -> NDArray[np.float64]:
    """``(3, width × height)``: x, y and 1 of each pixel centre of a box, row by row."""
    rows, columns = np.mgrid[0:height, 0:width] + 0.5
    return np.stack([columns.ravel(), rows.ravel(), np.ones(width * height)])


_CORNER_X, _CORNER_Y = np.array([[0], [1], [0], [1]]), np.array([[0], [0], [1], [1]])
"""The four pixels around a sample point: right of it (x + 1), below it (y + 1)."""


def sample_box(features: F32, matrix: F32, size: tuple[int, int]) -> F32:
    """``TransformTensorBilinear``: the ``(height, width, channels)`` box of ``features``
    whose pixel centres ``matrix`` maps into the feature map, bilinear, zero outside."""
    rows, columns, channels = features.shape
    x, y = matrix[:2, [0, 1, 3]].astype(np.float64) @ _pixel_centres(*size) - 0.5
    x0, y0 = np.floor(x), np.floor(y)
    fx, fy = x - x0, y - y0
    cx, cy = x0.astype(np.intp) + _CORNER_X, y0.astype(np.intp) + _CORNER_Y
    weights = np.where(_CORNER_X, fx, 1.0 - fx) * np.where(_CORNER_Y, fy, 1.0 - fy)
    weights *= (cx >= 0) & (cx < columns) & (cy >= 0) & (cy < rows)
    index = np.clip(cy, 0, rows - 1) * columns + np.clip(cx, 0, columns - 1)
    corners = np.take(features.reshape(-1, channels), index, axis=0)
    sampled: F32 = np.einsum("kn,knc->nc", weights.astype(np.float32), corners)
    return sampled.reshape(size[1], size[0], channels)


class AttentionMeshModel(LandmarkModel):
    """``face_landmark_with_attention.tflite`` in LiteRT on one thread: 478 points and a
    presence score (a face under one half is dropped, as MediaPipe's subgraph does)."""

    points = 478

    def __init__(self) -> None:
        parts = attention_parts()
        self._trunk = LiteModel(MODEL, parts.trunk)
        self._heads = LiteModel(MODEL, parts.heads)
        self._boxes = parts.boxes

    def run(self, frame: Image, region: FaceRegion) -> Points | None:
        crop, crop_to_frame = crop_region(frame, region)
        self._trunk.run(crop)
        if float(self._trunk.output(FACE_FLAG).reshape(-1)[0]) < 0.0:  # presence under 1/2
            return None
        features = self._trunk.output(FEATURES)[0]
        inputs: dict[str, F32] = {}
        for box, landmarks, matrix_name, sampled in zip(
            self._boxes, BOX_LANDMARKS, BOXES, SAMPLED, strict=True
        ):
            matrix = box_matrix(self._trunk.output(landmarks)[0], box)
            inputs[matrix_name] = matrix[None]
            inputs[sampled] = sample_box(features, matrix, box.size)[None]
        self._heads.run_on(inputs)
        return points_in_frame(self._refined(), crop_to_frame, region)

    def _refined(self) -> Points:
        """The mesh (crop pixels) with the heads' lips, eyes and irises in place."""
        points = np.empty((self.points, 3), np.float32)
        points[:468] = self._trunk.output(MESH).reshape(468, 3)
        lips, right_eye, left_eye = (box.subset for box in self._boxes)
        places = (lips, right_eye, IRISES[0], left_eye, IRISES[1])
        for place, (name, matrix_name) in zip(places, REFINED, strict=True):
            matrix = self._heads.output(matrix_name)[0]
            refined = self._heads.output(name)[0]
            points[place, :2] = refined @ matrix[:2, :2].T + matrix[:2, 3]
        for iris, eye in zip(IRISES, (right_eye, left_eye), strict=True):
            points[iris, 2] = points[eye[:EYE_CONTOUR], 2].mean()
        return points

    def close(self) -> None:
        return None
