"""Other platforms to stream to: presets, the declared parameters the UI is built from, and
one configured destination.

A destination's parameters are declared like an effect's (``filters.params.Param``), so the
Outputs panel builds its form from :data:`DESTINATION_PARAMS` as the effects panel does. The
stream key is not one of them: it is a secret, kept in the key store under the destination's
id, and joined to the server URL only when the stream starts.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final

from filters.params import Param, ParamError, ParamType, ParamValue
from studio.core.output_params import ENCODE_PARAMS, setting_from, validate
from studio.core.protocols import missing_protocol
from studio.core.shared_encoder import EncodeSetting


@dataclass(frozen=True)
class Preset:
    id: str
    name: str
    server: str  # "" when the platform gives each stream its own (TikTok)
    resolution: str = "1280x720"
    bitrate_kbps: int = 4500
    fps: int = 30
    hint: str = ""  # where to find the server URL and the key


PRESETS: Final = (
    Preset(
        "youtube",
        "YouTube Live",
        "rtmps://a.rtmps.youtube.com:443/live2",
        hint="YouTube Studio → Go live → Stream: copy the stream key.",
    ),
    Preset(
        "twitch",
        "Twitch",
        "rtmp://live.twitch.tv/app",
        hint="Twitch Creator Dashboard → Settings → Stream: copy the primary stream key.",
    ),
    Preset(
        "tiktok",
        "TikTok LIVE",
        "",
        resolution="720x1280",
        bitrate_kbps=3000,
        hint="TikTok LIVE Center → Streaming software: copy the server URL and the stream key.",
    ),
    Preset(
        "facebook",
        "Facebook Live",
        "rtmps://live-api-s.facebook.com:443/rtmp",
        hint="Facebook Live Producer → Streaming software: copy the stream key.",
    ),
    Preset(
        "kick",
        "Kick",
        "rtmps://fa723fc1b171.global-contribute.live-video.net/app",
        hint="Kick dashboard → Settings → Stream URL & Key: check the URL, copy the key.",
    ),
    Preset("rtmp", "Custom RTMP(S)", "", hint="rtmp://host/app or rtmps://host/app"),
    Preset("srt", "Custom SRT", "", hint="srt://host:port (caller); the key goes in streamid"),
)
PRESET_BY_ID: Final = {preset.id: preset for preset in PRESETS}

DESTINATION_PARAMS: Final = (
    Param("name", ParamType.TEXT, "", label="Name", max_length=60),
    Param("server", ParamType.TEXT, "", label="Server URL", max_length=500),
    *ENCODE_PARAMS,
)


def validate_values(values: Mapping[str, object]) -> dict[str, ParamValue]:
    """Every destination parameter's value, ``values`` checked (``ParamError`` says why)."""
    return validate(DESTINATION_PARAMS, values)


@dataclass(frozen=True)
class Destination:
    """One configured destination (its key is in the key store under :attr:`id`)."""

    preset: str
    values: Mapping[str, ParamValue]
    enabled: bool = True
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    @classmethod
    def from_preset(cls, preset_id: str) -> Destination:
        preset = PRESET_BY_ID[preset_id]
        values = {
            "name": preset.name,
            "server": preset.server,
            "resolution": preset.resolution,
            "bitrate": preset.bitrate_kbps,
            "fps": preset.fps,
        }
        return cls(preset_id, validate_values(values))

    @property
    def name(self) -> str:
        return str(self.values["name"]) or PRESET_BY_ID[self.preset].name

    @property
    def server(self) -> str:
        return str(self.values["server"]).strip()

    @property
    def scheme(self) -> str:
        return self.server.split("://", 1)[0].lower() if "://" in self.server else ""

    @property
    def setting(self) -> EncodeSetting:
        return setting_from(self.values)

    def with_values(self, **changes: object) -> Destination:
        return replace(self, values=validate_values({**self.values, **changes}))

    def problem(self, key: str) -> str:
        """What stops this destination from starting ("" when nothing does)."""
        if not self.server:
            return f"{self.name}: enter the server URL ({PRESET_BY_ID[self.preset].hint})"
        if self.scheme not in ("rtmp", "rtmps", "srt"):
            return f"{self.name}: the server URL must start with rtmp://, rtmps:// or srt://"
        if self.scheme != "srt" and not key:
            return f"{self.name}: enter the stream key"
        return missing_protocol(self.scheme)

    def url(self, key: str) -> str:
        """Where to push: the server URL with the key (RTMP: a path; SRT: ``streamid``)."""
        if self.scheme == "srt":
            if not key:
                return self.server
            return f"{self.server}{'&' if '?' in self.server else '?'}streamid={key}"
        return f"{self.server.rstrip('/')}/{key}"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "preset": self.preset, "enabled": self.enabled, **self.values}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Destination:
        """A saved destination (``ParamError`` / ``KeyError`` when it is not one)."""
        preset = str(data["preset"])
        if preset not in PRESET_BY_ID:
            raise ParamError(f"unknown preset {preset!r}")
        names = {param.name for param in DESTINATION_PARAMS}
        values = validate_values({k: v for k, v in data.items() if k in names})
        return cls(preset, values, bool(data.get("enabled", True)), str(data["id"]))


def load_destinations(saved: list[dict[str, Any]]) -> list[Destination]:
    """The saved destinations that still make sense (others are left out)."""
    out = []
    for data in saved:
        try:
            out.append(Destination.from_dict(data))
        except (ParamError, KeyError, ValueError, TypeError):
            continue
    return out
