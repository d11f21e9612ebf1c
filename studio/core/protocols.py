"""Which network protocols PyAV's bundled FFmpeg can push to (it has no SRT today).

FFmpeg lists its output protocols with ``avio_enum_protocols``; PyAV does not expose it, so
this asks the libavformat PyAV loaded, through ctypes.
"""

from __future__ import annotations

import ctypes
import functools
from pathlib import Path

import av

NO_SRT = (
    "SRT is not available: the FFmpeg bundled with PyAV was built without libsrt. "
    "Use RTMP or RTMPS for this destination."
)


@functools.cache
def output_protocols() -> frozenset[str]:
    """The protocols FFmpeg can write to (``rtmp``, ``rtmps``, ``file``, ...)."""
    library = ctypes.CDLL(_libavformat())
    enumerate_protocols = library.avio_enum_protocols
    enumerate_protocols.restype = ctypes.c_char_p
    enumerate_protocols.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_int]
    opaque = ctypes.c_void_p()
    names: set[str] = set()
    while (name := enumerate_protocols(ctypes.byref(opaque), 1)) is not None:
        names.add(name.decode())
    return frozenset(names)


def _libavformat() -> str:
    """The path of the libavformat PyAV itself uses (bundled, or the system's)."""
    maps = Path("/proc/self/maps")
    if maps.exists():
        for line in maps.read_text().splitlines():
            path = line.split(maxsplit=5)[-1]
            if "libavformat" in Path(path).name:
                return path
    bundled = sorted(Path(av.__file__).parent.parent.glob("av.libs/libavformat*"))
    if bundled:
        return str(bundled[0])
    return "libavformat.so"


def missing_protocol(scheme: str) -> str:
    """Why ``scheme`` cannot be pushed to ("" when it can)."""
    if scheme in output_protocols():
        return ""
    if scheme == "srt":
        return NO_SRT
    return f"{scheme.upper()} is not available in this build of FFmpeg."
