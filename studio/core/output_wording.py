"""Outputs' states as the Outputs panel says them ("Live · 4.5 Mbps · 0 dropped · 0:12:03")."""

from __future__ import annotations

from studio.core.outputs import OutputState
from studio.core.recorder import RecordingStatus
from studio.core.stream_output import OutputStatus


def clock(seconds: float) -> str:
    """h:mm:ss."""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def bitrate(kbps: float) -> str:
    return f"{kbps / 1000:.1f} Mbps" if kbps >= 1000 else f"{kbps:.0f} kbps"


def size(count: int) -> str:
    """Bytes as a person reads them: 812 KB, 45.6 MB, 1.20 GB."""
    if count >= 1_000_000_000:
        return f"{count / 1e9:.2f} GB"
    if count >= 1_000_000:
        return f"{count / 1e6:.1f} MB"
    return f"{count / 1e3:.0f} KB"


def describe_output(status: OutputStatus, *, enabled: bool = True) -> str:
    """One line for a destination's state."""
    state = status.state
    if state is OutputState.LIVE:
        dropped = f"{status.dropped_frames:,} dropped"
        return f"Live · {bitrate(status.bitrate_kbps)} · {dropped} · {clock(status.uptime_s)}"
    if state is OutputState.CONNECTING:
        return "Connecting…"
    if state is OutputState.RECONNECTING:
        when = f" in {status.retry_in_s} s" if status.retry_in_s else "…"
        return f"Reconnecting{when}" + (f" — {status.error}" if status.error else "")
    if state is OutputState.FAILED:
        return status.error or "Failed"
    return "Starts when you go live" if enabled else "Off"


def describe_recording(status: RecordingStatus) -> str:
    """The recording indicator's text."""
    if status.state is OutputState.LIVE:
        return f"● REC {clock(status.duration_s)} · {size(status.size_bytes)}"
    if status.state is OutputState.FAILED:
        return status.message
    if status.files:
        names = ", ".join(path.name for path in status.files)
        return f"Saved {clock(status.duration_s)} · {size(status.size_bytes)}: {names}"
    return "Not recording"
