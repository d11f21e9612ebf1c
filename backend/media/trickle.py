"""Trickle ICE on a WHIP/WHEP session (RFC 9725 §4.3, RFC 8840 SDP fragments).

A client that sends its offer before it has gathered every candidate ``PATCH``es the session's
``Location`` with an ``application/trickle-ice-sdpfrag`` body: its ICE credentials, one
``m=`` section per media line with ``a=mid``, the new ``a=candidate`` lines and, at the end,
``a=end-of-candidates``. The server gathers its own candidates before answering, so it never
trickles back (204, no body). ICE restarts (new credentials) are not supported: 422.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiortc import RTCIceCandidate
from aiortc.sdp import candidate_from_sdp

from backend.errors import DomainError, InvalidInput

TRICKLE_ICE = "application/trickle-ice-sdpfrag"


class IceRestartUnsupported(DomainError):
    status = 422
    code = "ice_restart_unsupported"


@dataclass(frozen=True)
class IceFragment:
    ufrag: str | None
    pwd: str | None
    candidates: tuple[RTCIceCandidate, ...]
    end_of_candidates: bool


def parse_fragment(text: str) -> IceFragment:
    """Read an SDP fragment; candidates get the ``a=mid`` and index of their ``m=`` section."""
    ufrag = pwd = mid = None
    mline = 0
    sections = 0
    candidates: list[RTCIceCandidate] = []
    end = False
    for line in (raw.strip() for raw in text.splitlines()):
        if line.startswith("m="):
            mline, sections, mid = sections, sections + 1, None
        elif line.startswith("a=mid:"):
            mid = line.removeprefix("a=mid:")
        elif line.startswith("a=ice-ufrag:"):
            ufrag = line.removeprefix("a=ice-ufrag:")
        elif line.startswith("a=ice-pwd:"):
            pwd = line.removeprefix("a=ice-pwd:")
        elif line.startswith("a=candidate:"):
            candidates.append(_candidate(line.removeprefix("a=candidate:"), mid, mline))
        elif line == "a=end-of-candidates":
            end = True
    if not candidates and not end:
        raise InvalidInput("The fragment has no a=candidate or a=end-of-candidates line.")
    return IceFragment(ufrag, pwd, tuple(candidates), end)


def _candidate(text: str, mid: str | None, mline: int) -> RTCIceCandidate:
    try:
        candidate = candidate_from_sdp(text)
    except (AssertionError, ValueError, IndexError) as exc:
        raise InvalidInput(f"Not an ICE candidate: {text!r}") from exc
    candidate.sdpMid = mid
    candidate.sdpMLineIndex = mline
    return candidate
