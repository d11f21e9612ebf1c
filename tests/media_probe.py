"""What a media file holds, as Debian's ``ffprobe`` reads it (not our own code)."""

from __future__ import annotations

import itertools
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Probed:
    video_codec: str
    audio_codec: str
    width: int
    height: int
    video_times: list[float]  # each video frame's time, in order
    audio_rate: int

    @property
    def duration(self) -> float:
        """From the first video frame to the last one read."""
        return self.video_times[-1] - self.video_times[0] if self.video_times else 0.0

    @property
    def fps(self) -> float:
        return (len(self.video_times) - 1) / self.duration if self.duration else 0.0

    def longest_gap(self, after: float = 0.0) -> float:
        """The longest time between two consecutive video frames from ``after`` seconds on."""
        pairs = itertools.pairwise(t for t in self.video_times if t >= after)
        return max((b - a for a, b in pairs), default=0.0)


def probe(path: Path) -> Probed:
    """Read every video frame's time and the streams' codecs (fails if ffprobe cannot)."""
    streams = _ffprobe(
        str(path), "-show_entries", "stream=codec_type,codec_name,width,height,sample_rate"
    )
    video = next(s for s in streams["streams"] if s["codec_type"] == "video")
    audio = next((s for s in streams["streams"] if s["codec_type"] == "audio"), {})
    frames = _ffprobe(
        str(path), "-select_streams", "v:0", "-show_entries", "frame=best_effort_timestamp_time"
    )
    times = sorted(
        float(f["best_effort_timestamp_time"])
        for f in frames["frames"]
        if f.get("best_effort_timestamp_time") not in (None, "N/A")
    )
    return Probed(
        video["codec_name"],
        audio.get("codec_name", ""),
        int(video["width"]),
        int(video["height"]),
        times,
        int(audio.get("sample_rate", 0)),
    )


def _ffprobe(*args: str) -> dict[str, Any]:
    """ffprobe's JSON for ``args`` (which name the input)."""
    result = subprocess.run(
        ["ffprobe", "-v", "error", *args, "-of", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def luma_by_time(path: Path) -> list[tuple[float, float]]:
    """(time, average luma 0..255) of every video frame, from ffprobe's signalstats."""
    return _lavfi_series(path, "movie", "signalstats", "lavfi.signalstats.YAVG")


def loudness_by_time(path: Path) -> list[tuple[float, float]]:
    """(time, RMS level in dB) of every decoded audio frame, from ffprobe's astats."""
    return _lavfi_series(
        path, "amovie", "astats=metadata=1:reset=1", "lavfi.astats.Overall.RMS_level"
    )


def _lavfi_series(path: Path, source: str, measure: str, tag: str) -> list[tuple[float, float]]:
    graph = f"{source}={path},{measure}"
    data = _ffprobe("-f", "lavfi", "-i", graph, "-show_entries", f"frame=pts_time:frame_tags={tag}")
    series = []
    for frame in data["frames"]:
        value = frame.get("tags", {}).get(tag)
        if value not in (None, "nan"):  # silence is -inf dB: below any threshold
            series.append((float(frame["pts_time"]), float(value)))
    return series


def onsets(series: list[tuple[float, float]], threshold: float) -> list[float]:
    """The times at which ``series`` rises above ``threshold``."""
    out, above = [], False
    for time, value in series:
        if value > threshold and not above:
            out.append(time)
        above = value > threshold
    return out
