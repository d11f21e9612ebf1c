"""Codec facts the SFU needs: which codec a session negotiated, and where keyframes start."""

from __future__ import annotations

from collections.abc import Mapping

from aiortc import RTCRtpCodecCapability, RTCRtpCodecParameters, RTCRtpSender
from aiortc.sdp import SessionDescription


def negotiated_codecs(sdp: str) -> dict[str, RTCRtpCodecParameters]:
    """The codec each media kind of an answer sends with (the first one that is not RTX)."""
    chosen: dict[str, RTCRtpCodecParameters] = {}
    for media in SessionDescription.parse(sdp).media:
        if media.kind in chosen:
            continue
        for codec in media.rtp.codecs:
            if codec.mimeType.lower() != f"{media.kind}/rtx":
                chosen[media.kind] = codec
                break
    return chosen


def preferences_for(codec: RTCRtpCodecParameters) -> list[RTCRtpCodecCapability]:
    """Codec preferences that make a subscriber negotiate exactly the publisher's codec."""
    kind = codec.mimeType.split("/")[0].lower()
    same = [
        capability
        for capability in RTCRtpSender.getCapabilities(kind).codecs
        if capability.mimeType.lower() == codec.mimeType.lower()
        and _same_profile(capability.parameters, codec.parameters)
    ]
    rtx = [
        c for c in RTCRtpSender.getCapabilities(kind).codecs if c.mimeType.lower().endswith("/rtx")
    ]
    return same + rtx


def _same_profile(offered: Mapping[str, object], used: Mapping[str, object]) -> bool:
    for key in ("packetization-mode", "profile-level-id"):
        if key in used and str(offered.get(key)) != str(used[key]):
            return False
    return True


def is_keyframe(mime_type: str, data: memoryview) -> bool:
    """Whether an encoded frame can be decoded on its own (audio frames always can)."""
    mime = mime_type.lower()
    if mime == "video/vp8":
        # RFC 6386 9.1: bit 0 of the frame tag is 0 for key frames.
        return len(data) > 0 and data[0] & 0x01 == 0
    if mime == "video/h264":
        return any(nal_type in (5, 7) for nal_type in _h264_nal_types(bytes(data)))
    return not mime.startswith("video/")


def _h264_nal_types(data: bytes) -> list[int]:
    types = []
    start = data.find(b"\x00\x00\x01")
    while start != -1 and start + 3 < len(data):
        types.append(data[start + 3] & 0x1F)
        start = data.find(b"\x00\x00\x01", start + 3)
    return types
