"""Codec facts the SFU needs: which codec a session negotiated, and where keyframes start."""

from __future__ import annotations

import re
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


RECEIVER_ESTIMATES = re.compile(
    r"^a=(extmap:\d+(/\w+)? http://www\.webrtc\.org/experiments/rtp-hdrext/abs-send-time"
    r"|extmap:\d+(/\w+)? http://www\.ietf\.org/id/draft-holmer-rmcat-transport-wide-cc-.*"
    r"|rtcp-fb:(\d+|\*) (goog-remb|transport-cc))$"
)
"""SDP lines of a viewer's offer asking to send bandwidth estimates back: the abs-send-time
and transport-wide sequence header extensions and the REMB / transport-cc feedback."""


def without_receiver_estimates(offer_sdp: str) -> str:
    """A viewer's offer without what would make it send bandwidth estimates to the SFU.

    Forwarding sends the publisher's bitrate whatever a viewer estimates, yet aiortc viewers
    send a REMB several times a second for each video stream with abs-send-time stamps (and
    Chrome one with ``goog-remb``): each is a datagram the SFU decrypts, parses and drops,
    the largest part of what a viewer cost it besides sending. Answering without them, the
    viewer sends only its reports, NACKs and keyframe requests.
    """
    lines = offer_sdp.splitlines(keepends=True)
    return "".join(line for line in lines if not RECEIVER_ESTIMATES.match(line.rstrip("\r\n")))


DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
PAYLOAD_LINE = re.compile(r"^a=(?:rtpmap|fmtp|rtcp-fb):(\d+)[ \r\n]")
RTPMAP = re.compile(r"^a=rtpmap:(\d+) ([^/\s]+)")
RTX_OF = re.compile(r"^a=fmtp:(\d+) apt=(\d+)")


def media_sections(sdp: str) -> tuple[list[str], list[list[str]]]:
    """An SDP's session lines and each media section's lines (``m=`` first), line ends kept."""
    session: list[str] = []
    sections: list[list[str]] = []
    for line in sdp.splitlines(keepends=True):
        if line.startswith("m="):
            sections.append([line])
        elif sections:
            sections[-1].append(line)
        else:
            session.append(line)
    return session, sections


def media_directions(sdp: str) -> list[tuple[str, str | None]]:
    """Each media section's kind and direction attribute (None without one), as aiortc reads
    them, without parsing the rest."""
    found: list[tuple[str, str | None]] = []
    for lines in media_sections(sdp)[1]:
        kind = lines[0][2:].split(" ", 1)[0].strip()
        attributes = (line.strip()[2:] for line in lines if line.startswith("a="))
        found.append((kind, next((a for a in reversed(list(attributes)) if a in DIRECTIONS), None)))
    return found


def only_codecs(offer_sdp: str, codecs: Mapping[str, RTCRtpCodecParameters]) -> str:
    """A viewer's offer with, in each media section of a kind in ``codecs``, only that codec's
    payload types and their retransmission (RTX) ones.

    The answer names one codec anyway (:func:`preferences_for`); a browser offers some forty
    (VP8, VP9 and AV1 profiles, a dozen H.264 ones, RED, FEC, their RTX), and aiortc reads,
    copies and compares every one of them when it takes the offer and again in its answer:
    most of the time a viewer's answer cost. A section without the codec stays as it was (it
    is refused as before)."""
    session, sections = media_sections(offer_sdp)
    return "".join(session + [line for lines in sections for line in _pruned(lines, codecs)])


def _pruned(lines: list[str], codecs: Mapping[str, RTCRtpCodecParameters]) -> list[str]:
    words = lines[0].split()
    kind = words[0][2:]
    if kind not in codecs:
        return lines
    name = codecs[kind].mimeType.split("/")[1].lower()
    names = {int(m[1]): m[2].lower() for m in map(RTPMAP.match, lines) if m}
    keep = {pt for pt, codec in names.items() if codec == name}
    rtx_of = {int(m[1]): int(m[2]) for m in map(RTX_OF.match, lines) if m}
    keep |= {pt for pt, main in rtx_of.items() if main in keep and names.get(pt) == "rtx"}
    if not keep:
        return lines
    formats = [pt for pt in words[3:] if pt.isdigit() and int(pt) in keep]
    media_line = " ".join(words[:3] + formats)
    ending = lines[0][len(lines[0].rstrip("\r\n")) :]
    kept = [line for line in lines[1:] if _payload(line) in keep or _payload(line) is None]
    return [media_line + ending, *kept]


def _payload(line: str) -> int | None:
    """The payload type an rtpmap, fmtp or rtcp-fb line is about (None for other lines)."""
    match = PAYLOAD_LINE.match(line)
    return int(match[1]) if match else None


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


def starts_decoding(mime_type: str, data: memoryview) -> bool:
    """Whether a decoder that has seen nothing else can start from this video frame: a VP8
    keyframe, or an H.264 IDR picture that brings its parameter sets (SPS and PPS) along."""
    if mime_type.lower() == "video/h264":
        return {5, 7, 8} <= set(_h264_nal_types(bytes(data)))
    return mime_type.lower().startswith("video/") and is_keyframe(mime_type, data)


def _h264_nal_types(data: bytes) -> list[int]:
    types = []
    start = data.find(b"\x00\x00\x01")
    while start != -1 and start + 3 < len(data):
        types.append(data[start + 3] & 0x1F)
        start = data.find(b"\x00\x00\x01", start + 3)
    return types
