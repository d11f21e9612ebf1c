"""Backend settings: one immutable object built from CLI flags or the environment."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from platformdirs import user_data_dir


def default_data_dir() -> Path:
    return Path(os.environ.get("ONAIR_DATA_DIR", user_data_dir("onair-studio", "onair")))


@dataclass(frozen=True)
class IceServer:
    """A STUN or TURN server for clients. A TURN server with a ``secret`` (coturn's
    ``use-auth-secret``) gets short-lived credentials per user instead of a fixed password."""

    urls: str
    username: str | None = None
    credential: str | None = None
    secret: str | None = None
    ttl_seconds: int = 3600

    def as_dict(self) -> dict[str, Any]:
        """Serialised with its secret (for worker processes, never for clients)."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    def for_client(self, user_id: str, now: float | None = None) -> dict[str, str]:
        """What a client's RTCPeerConnection gets: the URL and credentials it may use now."""
        out = {"urls": self.urls}
        username, credential = self.username, self.credential
        if self.secret:
            username, credential = turn_credentials(self.secret, user_id, self.ttl_seconds, now)
        if username:
            out["username"] = username
        if credential:
            out["credential"] = credential
        return out


def turn_credentials(
    secret: str, user_id: str, ttl_seconds: int, now: float | None = None
) -> tuple[str, str]:
    """The TURN REST API scheme coturn checks: ``expiry:user`` signed with HMAC-SHA1."""
    expiry = int((time.time() if now is None else now) + ttl_seconds)
    username = f"{expiry}:{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def ice_for_client(servers: Iterable[IceServer], user_id: str) -> list[dict[str, str]]:
    return [server.for_client(user_id) for server in servers]


DEFAULT_WHIP_TEMPLATE = "/whip/{stream}"
DEFAULT_WHEP_TEMPLATE = "/whep/{stream}"
STREAM_PLACEHOLDER = "{stream}"
# host[:port] of an absolute template (it goes into the viewer page's CSP, so nothing else).
HOST_PORT = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


def check_media_template(name: str, template: str) -> None:
    """A WHIP/WHEP URL template: a path on this backend or an http(s) URL, with ``{stream}``."""
    if STREAM_PLACEHOLDER not in template:
        raise ValueError(f"{name} must contain {STREAM_PLACEHOLDER}: {template!r}")
    if template.startswith("/"):
        if template.startswith("//"):
            raise ValueError(f"{name} must be a path or an http(s) URL: {template!r}")
        return
    parts = urlsplit(template)
    if parts.scheme not in ("http", "https") or not HOST_PORT.fullmatch(parts.netloc):
        raise ValueError(f"{name} must be a path or an http(s) URL: {template!r}")


def media_url(template: str, stream: str) -> str:
    """The template with the stream's name filled in (percent-encoded: a path segment)."""
    return template.replace(STREAM_PLACEHOLDER, quote(stream, safe=""))


def media_origin(template: str) -> str:
    """``scheme://host[:port]`` of an absolute template; ``""`` for a path on this backend."""
    if template.startswith("/"):
        return ""
    parts = urlsplit(template)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class Settings:
    db_path: Path = field(default_factory=lambda: default_data_dir() / "onair.sqlite3")
    host: str = "127.0.0.1"
    port: int = 8765
    jwt_secret: str = ""
    token_ttl_seconds: int = 12 * 3600
    demo: bool = False
    allow_topup: bool = False
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 256 * 1024
    max_ws_message_bytes: int = 16 * 1024
    ws_queue_size: int = 256
    ws_heartbeat_seconds: float = 20.0
    ws_messages_per_second: float = 30.0
    rate_per_second: float = 30.0
    rate_burst: int = 120
    pk_invite_ttl_seconds: int = 120
    multihost_invite_ttl_seconds: int = 300
    # A co-host whose last connection to the session room drops counts as left after this.
    multihost_grace_seconds: float = 20.0
    ice_servers: tuple[IceServer, ...] = ()
    public_url: str = ""
    redis_url: str = ""
    # With several workers, a worker's room presence (viewer counts, co-hosts still connected)
    # stops counting this long after the worker dies.
    presence_ttl_seconds: float = field(
        default_factory=lambda: float(os.environ.get("ONAIR_PRESENCE_TTL", "15"))
    )
    metrics_token: str = ""  # a static bearer token for Prometheus scrapes of /metrics
    # Where studios publish (WHIP) and viewers play (WHEP): relative to this backend (the
    # embedded SFU) or absolute, for a dedicated media node or an external WHIP/WHEP server.
    whip_url_template: str = DEFAULT_WHIP_TEMPLATE
    whep_url_template: str = DEFAULT_WHEP_TEMPLATE

    def __post_init__(self) -> None:
        for name in ("whip_url_template", "whep_url_template"):
            check_media_template(name, getattr(self, name))

    def whip_url(self, stream: str) -> str:
        return media_url(self.whip_url_template, stream)

    def whep_url(self, stream: str) -> str:
        return media_url(self.whep_url_template, stream)

    @property
    def media_origins(self) -> tuple[str, ...]:
        """Origins of absolute WHIP/WHEP templates (other servers the viewer page talks to)."""
        origins: list[str] = []
        for template in (self.whep_url_template, self.whip_url_template):
            origin = media_origin(template)
            if origin and origin not in origins:
                origins.append(origin)
        return tuple(origins)

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    def to_json(self) -> str:
        """Serialised for worker processes (``onair serve --workers``)."""
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        values["db_path"] = str(self.db_path)
        values["ice_servers"] = [server.as_dict() for server in self.ice_servers]
        return json.dumps(values)

    @classmethod
    def from_json(cls, text: str) -> Settings:
        values = json.loads(text)
        values["db_path"] = Path(values["db_path"])
        values["cors_origins"] = tuple(values["cors_origins"])
        values["ice_servers"] = tuple(IceServer(**s) for s in values["ice_servers"])
        return cls(**values)

    def resolved_secret(self) -> str:
        """The JWT secret: given, or persisted beside the database so tokens survive restarts."""
        if self.jwt_secret:
            return self.jwt_secret
        secret_file = self.db_path.with_suffix(".secret")
        if secret_file.exists():
            return secret_file.read_text().strip()
        secret_file.parent.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(48)
        secret_file.write_text(value)
        secret_file.chmod(0o600)
        return value


def ice_servers_from_env(env: dict[str, str] | None = None) -> tuple[IceServer, ...]:
    """STUN/TURN servers from the spec's environment variables; none are needed on one LAN."""
    env = dict(os.environ) if env is None else env
    servers: list[IceServer] = []
    if env.get("STUN_SERVER_URL"):
        servers.append(IceServer(env["STUN_SERVER_URL"]))
    if env.get("TURN_SERVER_URL"):
        servers.append(
            IceServer(
                env["TURN_SERVER_URL"],
                env.get("TURN_USERNAME"),
                env.get("TURN_PASSWORD"),
                secret=env.get("TURN_SECRET") or None,
                ttl_seconds=int(env.get("TURN_CREDENTIAL_TTL", "3600")),
            )
        )
    return tuple(servers)
