"""FaceMesh's landmark models run directly, with MediaPipe's tracking rules.

MediaPipe's FaceMesh solution runs its model inside a graph of some twenty calculators whose
scheduling costs as much as the model (a 720p frame: ~6.9 ms through the graph, ~2.5 ms this
way on the same machine). Here each face is cut from the full-resolution frame as the
model's 192 × 192 input, and the rules the graph applies are plain numpy:

* a face found by the short-range face detector (MediaPipe's, only while fewer faces are
  tracked than asked for) gives a region: its box, turned so the eyes are level, squared on
  its longer side and grown 1.5 ×;
* each tracked face's landmarks give the next frame's region the same way (all points' box,
  turned by the line between the outer eye corners 33 → 263);
* a face whose presence score falls under one half is dropped (and detection looks for faces
  again); a detected face overlapping a tracked one is the same face.

Two models, both in LiteRT: the 468-point base mesh (``face_landmark.tflite``) and the
refined one (478 points: irises, finer lips and eyes; ``face_landmark_with_attention.tflite``),
whose MediaPipe custom operations run in numpy between the two parts it is cut into
(``filters.attention_mesh``). Without LiteRT, the refined model runs through MediaPipe's own
``FaceLandmarkCpu`` subgraph, alone in a graph of one node.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

from filters.imaging import reduced_rgb
from filters.litert import LiteModel, litert_or
from filters.types import Affine, Image, Points

CROP_SIZE = 192
"""The landmark model's input: a square, 192 pixels a side."""
ROI_SCALE = 1.5
"""A region is the face's box grown by this factor (MediaPipe's ``RectTransformation``)."""
EYE_LINE = (33, 263)
"""Outer corners of the right and left eye: the line that sets a region's rotation."""
SAME_FACE_IOU = 0.5
MIN_DETECTION = 0.5


@dataclass(frozen=True)
class FaceRegion:
    """A square region of the frame around a face, turned by ``rotation`` (radians,
    clockwise on screen) so the eyes are level in the crop; all in frame pixels."""

    cx: float
    cy: float
    size: float
    rotation: float

    @classmethod
    def around(cls, box: tuple[float, float, float, float], eyes: Points) -> FaceRegion:
        """MediaPipe's region for a box ``(x0, y0, x1, y1)``: centred on it, turned so the
        line from ``eyes[0]`` to ``eyes[1]`` is horizontal, squared on the longer side and
        grown ``ROI_SCALE`` ×."""
        x0, y0, x1, y1 = box
        dx, dy = eyes[1] - eyes[0]
        rotation = float(np.arctan2(dy, dx))
        size = max(x1 - x0, y1 - y0) * ROI_SCALE
        return cls((x0 + x1) / 2.0, (y0 + y1) / 2.0, float(size), rotation)

    @classmethod
    def of_landmarks(cls, points: Points) -> FaceRegion:
        x0, y0 = points[:, :2].min(axis=0)
        x1, y1 = points[:, :2].max(axis=0)
        return cls.around((x0, y0, x1, y1), points[list(EYE_LINE), :2])

    def crop_to_frame(self) -> Affine:
        """The 2 × 3 affine map from crop pixels to frame pixels (crop pixel 0 and
        ``CROP_SIZE`` lie on the region's edges, as in MediaPipe's ``ImageToTensor``)."""
        cos, sin = np.cos(self.rotation), np.sin(self.rotation)
        step = self.size / CROP_SIZE
        x_axis, y_axis = np.array([cos, sin]) * step, np.array([-sin, cos]) * step
        corner = np.array([self.cx, self.cy]) - (x_axis + y_axis) * (CROP_SIZE / 2.0)
        return np.column_stack([x_axis, y_axis, corner])

    def box(self) -> tuple[float, float, float, float]:
        """The axis-aligned box of the (unturned) square, for overlap tests."""
        half = self.size / 2.0
        return self.cx - half, self.cy - half, self.cx + half, self.cy + half

    def overlap(self, other: FaceRegion) -> float:
        """Intersection over union of the two regions' boxes."""
        ax0, ay0, ax1, ay1 = self.box()
        bx0, by0, bx1, by1 = other.box()
        width = max(0.0, min(ax1, bx1) - max(ax0, bx0))
        height = max(0.0, min(ay1, by1) - max(ay0, by0))
        inter = width * height
        union = self.size**2 + other.size**2 - inter
        return inter / union if union > 0 else 0.0


class LandmarkModel(Protocol):
    points: int

    def run(self, frame: Image, region: FaceRegion) -> Points | None:
        """``(points, 3)`` landmarks of the face in ``region`` of the BGR ``frame`` (x, y in
        frame pixels, depth in pixels relative to the face's centre plane), or ``None``
        when the model sees no face there."""
        ...

    def close(self) -> None: ...


def crop_region(frame: Image, region: FaceRegion) -> tuple[Image, Affine]:
    """The region as the models' RGB input, and the crop-to-frame map."""
    to_frame = region.crop_to_frame()
    crop = cv2.warpAffine(
        frame, to_frame, (CROP_SIZE, CROP_SIZE),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_CONSTANT,
    )  # fmt: skip
    return cv2.cvtColor(crop, cv2.COLOR_BGR2RGB), to_frame


def points_in_frame(in_crop: Points, to_frame: Affine, region: FaceRegion) -> Points:
    """Landmarks in crop pixels (depth too) mapped to frame pixels."""
    points = np.empty_like(in_crop, dtype=np.float32)
    points[:, :2] = in_crop[:, :2] @ to_frame[:, :2].T + to_frame[:, 2]
    points[:, 2] = in_crop[:, 2] * (region.size / CROP_SIZE)
    return points


class BaseMeshModel(LandmarkModel):
    """``face_landmark.tflite`` in LiteRT on one thread: 468 points and a presence score."""

    points = 468

    def __init__(self) -> None:
        self._model = LiteModel("face_landmark/face_landmark.tflite")

    def run(self, frame: Image, region: FaceRegion) -> Points | None:
        crop, to_frame = crop_region(frame, region)
        self._model.run(crop)
        if float(self._model.output("conv2d_31").reshape(-1)[0]) < 0.0:  # presence under 1/2
            return None
        raw = self._model.output("conv2d_21").reshape(-1, 3)
        return points_in_frame(raw, to_frame, region)

    def close(self) -> None:
        return None


_ATTENTION_GRAPH = """
input_stream: "image"
input_stream: "roi"
output_stream: "landmarks"
num_threads: 1
node {
  calculator: "FaceLandmarkCpu"
  input_stream: "IMAGE:image"
  input_stream: "ROI:roi"
  input_side_packet: "WITH_ATTENTION:with_attention"
  output_stream: "LANDMARKS:landmarks"
}
"""


class RefinedMeshModel(LandmarkModel):
    """``face_landmark_with_attention.tflite`` through MediaPipe's ``FaceLandmarkCpu``
    subgraph (which drops a face whose presence is under one half): 478 points."""

    points = 478

    def __init__(self) -> None:
        import mediapipe as mp
        from google.protobuf import text_format
        from mediapipe.framework import calculator_pb2
        from mediapipe.framework.formats import rect_pb2
        from mediapipe.python import packet_creator, packet_getter
        from mediapipe.python._framework_bindings import calculator_graph, resource_util

        resource_util.set_resource_dir(str(Path(mp.__file__).parent.parent))
        config = text_format.Parse(_ATTENTION_GRAPH, calculator_pb2.CalculatorGraphConfig())
        self._graph = calculator_graph.CalculatorGraph(graph_config=config)
        self._found: list[Any] = []
        self._graph.observe_output_stream(
            "landmarks", lambda _, packet: self._found.append(packet_getter.get_proto(packet))
        )
        self._graph.start_run(
            input_side_packets={"with_attention": packet_creator.create_bool(True)}
        )
        self._packets = packet_creator
        self._rgb = mp.ImageFormat.SRGB
        whole = rect_pb2.NormalizedRect(x_center=0.5, y_center=0.5, width=1.0, height=1.0)
        self._whole_crop = packet_creator.create_proto(whole)  # the crop is the region
        self._timestamp = 0

    def run(self, frame: Image, region: FaceRegion) -> Points | None:
        crop, to_frame = crop_region(frame, region)
        self._timestamp += 1
        image = self._packets.create_image_frame(image_format=self._rgb, data=crop)
        self._graph.add_packet_to_input_stream("image", image.at(self._timestamp))
        self._graph.add_packet_to_input_stream("roi", self._whole_crop.at(self._timestamp))
        self._graph.wait_until_idle()
        if not self._found:
            return None
        normalized = landmark_array(self._found.pop())
        return points_in_frame(normalized * CROP_SIZE, to_frame, region)

    def close(self) -> None:
        self._graph.close()


_LANDMARK_RECORD = np.dtype(
    [("head", "u1", 3), ("x", "<f4"), ("y_tag", "u1"), ("y", "<f4"), ("z_tag", "u1"), ("z", "<f4")]
)
"""A serialized ``NormalizedLandmark`` with x, y and z set: field 1 (length 15) holding
tag 0x0d + x, tag 0x15 + y, tag 0x1d + z."""
_LANDMARK_HEAD = np.array([0x0A, 0x0F, 0x0D], np.uint8)


def landmark_array(marks: Any) -> Points:
    """``(n, 3)`` float32 x, y, z of a ``NormalizedLandmarkList``: read straight from its
    serialized bytes when every landmark has exactly x, y and z (what FaceMesh emits; a
    fifth of the cost of 478 attribute reads), else attribute by attribute."""
    data = marks.SerializeToString()
    if len(data) == len(marks.landmark) * _LANDMARK_RECORD.itemsize:
        records = np.frombuffer(data, _LANDMARK_RECORD)
        if (
            (records["head"] == _LANDMARK_HEAD).all()
            and (records["y_tag"] == 0x15).all()
            and (records["z_tag"] == 0x1D).all()
        ):
            stacked = np.stack([records["x"], records["y"], records["z"]], axis=1)
            points: Points = stacked.astype(np.float32)
            return points
    return np.array([(p.x, p.y, p.z) for p in marks.landmark], np.float32)


class FaceDetector:
    """MediaPipe's short-range face detector; each face as the region the landmark model
    should look at."""

    def __init__(self, min_confidence: float) -> None:
        import mediapipe as mp

        self._model = mp.solutions.face_detection.FaceDetection(
            model_selection=0, min_detection_confidence=min_confidence
        )

    def regions(self, small_rgb: Image, width: int, height: int) -> list[FaceRegion]:
        """Faces in ``small_rgb`` (a reduced copy of a ``width`` × ``height`` frame)."""
        result = self._model.process(small_rgb)
        return [_detection_region(d, width, height) for d in result.detections or []]

    def close(self) -> None:
        self._model.close()


def _detection_region(detection: Any, width: int, height: int) -> FaceRegion:
    data = detection.location_data
    box = data.relative_bounding_box
    scale = np.array([width, height], np.float64)
    x0, y0 = box.xmin * width, box.ymin * height
    eyes = np.array([(k.x, k.y) for k in data.relative_keypoints[:2]]) * scale
    return FaceRegion.around((x0, y0, x0 + box.width * width, y0 + box.height * height), eyes)


class FaceMesh:
    """Tracks up to ``max_faces`` faces with the base or the ``refined`` model: landmarks
    for each tracked region every frame, detection only while fewer are tracked (every
    frame when ``static``)."""

    def __init__(self, max_faces: int, max_side: int, static: bool, refined: bool) -> None:
        self.max_faces = max_faces
        self.max_side = max_side
        self.static = static
        # Without LiteRT MediaPipe's graph runs the refined model, which also stands in for
        # the base one: its first 468 points are the base mesh's.
        self._model: LandmarkModel = litert_or(
            _attention_model if refined else BaseMeshModel, RefinedMeshModel, "tracking faces"
        )
        self._detector = FaceDetector(MIN_DETECTION)
        self._regions: list[FaceRegion] = []

    @property
    def points(self) -> int:
        return self._model.points

    def landmarks(self, frame: Image) -> list[Points]:
        """Each face's ``(points, 3)`` landmarks: x, y and depth in frame pixels."""
        height, width = frame.shape[:2]
        regions = [] if self.static else list(self._regions)
        if len(regions) < self.max_faces:
            small = reduced_rgb(frame, self.max_side)
            for region in self._detector.regions(small, width, height):
                if len(regions) < self.max_faces and all(
                    region.overlap(known) < SAME_FACE_IOU for known in regions
                ):
                    regions.append(region)
        faces = [self._model.run(frame, region) for region in regions]
        found = [points for points in faces if points is not None]
        self._regions = [FaceRegion.of_landmarks(points) for points in found]
        return found

    def close(self) -> None:
        self._detector.close()
        self._model.close()


def _attention_model() -> LandmarkModel:
    # filters.attention_mesh builds on this module's regions and crops.
    from filters.attention_mesh import AttentionMeshModel

    return AttentionMeshModel()
