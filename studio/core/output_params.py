"""The declared parameters of outputs, as effects declare theirs: the Outputs panel builds its
forms from these, and saved values are checked against them.

:data:`ENCODE_PARAMS` (canvas, frame rate, bitrate, encoder speed) are shared by destinations
and the recording, so a recording at a destination's setting shares its encode.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from platformdirs import user_videos_dir

from filters.params import Param, ParamError, ParamType, ParamValue
from studio.core.recorder import Container, RecordingPlan
from studio.core.shared_encoder import X264_PRESETS, EncodeSetting

RESOLUTIONS: Final = ("1920x1080", "1280x720", "854x480", "640x360", "1080x1920", "720x1280")

ENCODE_PARAMS: Final = (
    Param("resolution", ParamType.CHOICE, "1280x720", choices=RESOLUTIONS),
    Param("fps", ParamType.INT, 30, label="Frame rate", min=15, max=60, step=5, unit="fps"),
    Param(
        "bitrate",
        ParamType.INT,
        4500,
        label="Video bitrate",
        min=500,
        max=12000,
        step=100,
        unit="kbps",
        help="Constant bitrate: the platform's recommendation for the resolution.",
    ),
    Param(
        "speed",
        ParamType.CHOICE,
        "veryfast",
        label="Encoder speed",
        choices=X264_PRESETS,
        help="Faster costs less CPU for a little less quality at the same bitrate.",
    ),
)


def _split_at(name: str, label: str, maximum: int, step: int, unit: str, help: str) -> Param:
    """A limit at which the recording goes on in a new file (0: none)."""
    return Param(
        name, ParamType.INT, 0, label=label, min=0, max=maximum, step=step, unit=unit, help=help
    )


RECORDING_PARAMS: Final = (
    Param(
        "container",
        ParamType.CHOICE,
        Container.MKV.value,
        label="File format",
        choices=tuple(c.value for c in Container),
        help="Both survive a crash: what was recorded until then still plays.",
    ),
    Param("remux", ParamType.BOOL, True, label="Remux to MP4 when stopped"),
    _split_at("split_minutes", "New file every", 600, 5, "min", "0: one file, however long."),
    _split_at("split_mb", "New file at", 50000, 500, "MB", "0: no size limit."),
    *ENCODE_PARAMS,
)


def validate(params: Sequence[Param], values: Mapping[str, object]) -> dict[str, ParamValue]:
    """Every parameter's value, ``values`` checked (``ParamError`` names what is wrong)."""
    by_name = {param.name: param for param in params}
    out = {param.name: param.default for param in params}
    for name, value in values.items():
        if name not in by_name:
            raise ParamError(f"unknown setting {name!r}")
        out[name] = by_name[name].coerce(value)
    return out


def setting_from(values: Mapping[str, ParamValue]) -> EncodeSetting:
    """The encode that :data:`ENCODE_PARAMS` values describe."""
    width, height = (int(part) for part in str(values["resolution"]).split("x"))
    return EncodeSetting(
        width,
        height,
        video_kbps=int(values["bitrate"]),
        fps=int(values["fps"]),
        preset=str(values["speed"]),
    )


def default_recordings_folder() -> Path:
    """``<ONAIR_DATA_DIR>/recordings`` for a portable install, else Videos/OnAir."""
    data = os.environ.get("ONAIR_DATA_DIR")
    return Path(data) / "recordings" if data else Path(user_videos_dir()) / "OnAir"


def recording_plan(saved: Mapping[str, object]) -> RecordingPlan:
    """The plan saved values describe (values that no longer fit give the defaults)."""
    folder = Path(str(saved.get("folder") or default_recordings_folder()))
    names = {param.name for param in RECORDING_PARAMS}
    try:
        values = validate(RECORDING_PARAMS, {k: v for k, v in saved.items() if k in names})
    except ParamError:
        values = validate(RECORDING_PARAMS, {})
    return RecordingPlan(
        folder,
        setting_from(values),
        Container(str(values["container"])),
        remux_to_mp4=bool(values["remux"]),
        split_seconds=int(values["split_minutes"]) * 60.0,
        split_mb=float(values["split_mb"]),
    )
