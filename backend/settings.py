"""Backend settings: one immutable object built from CLI flags or the environment."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import os
import re
import secrets
import socket
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


def check_node_url(url: str) -> None:
    """A node's own address: ``http(s)://host[:port]``, nothing after it."""
    parts = urlsplit(url.rstrip("/"))
    if parts.scheme not in ("http", "https") or not HOST_PORT.fullmatch(parts.netloc) or parts.path:
        raise ValueError(f"node URL must look like http://10.0.0.11:8765 (got {url!r})")


def check_trusted_proxies(entries: Iterable[str]) -> None:
    """Raise ValueError naming an entry that is not an IP address or network."""
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ValueError(
                f"trusted proxy {entry!r} is not an IP address or network (e.g. 10.0.0.0/8)"
            ) from None


def media_url(template: str, stream: str) -> str:
    """The template with the stream's name filled in (percent-encoded: a path segment)."""
    return template.replace(STREAM_PLACEHOLDER, quote(stream, safe=""))


def media_origin(template: str) -> str:
    """``scheme://host[:port]`` of an absolute template; ``""`` for a path on this backend."""
    if template.startswith("/"):
        return ""
    parts = urlsplit(template)
    return f"{parts.scheme}://{parts.netloc}"


DEFAULT_COIN_PACKAGES = (
    "coins-100:100:0.99,coins-550:550:4.99,coins-1200:1200:9.99,coins-6500:6500:49.99"
)
COIN_PROVIDERS = ("sandbox", "stripe", "off")
ZERO_DECIMAL_CURRENCIES = frozenset({"bif", "clp", "jpy", "krw", "pyg", "vnd", "xaf", "xof"})


@dataclass(frozen=True)
class CoinPackageSpec:
    """One package of the coin shop: ``amount`` in the currency's minor unit (cents)."""

    id: str
    coins: int
    amount: int
    currency: str


def parse_coin_packages(spec: str, currency: str) -> tuple[CoinPackageSpec, ...]:
    """``id:coins:price,...`` (price in the currency's major unit, e.g. ``coins-550:550:4.99``)
    as packages; ValueError naming the entry that is wrong."""
    if not re.fullmatch(r"[a-z]{3}", currency):
        raise ValueError(f"coin currency must be a 3-letter ISO code like usd: {currency!r}")
    scale = 1 if currency in ZERO_DECIMAL_CURRENCIES else 100
    packages: list[CoinPackageSpec] = []
    for entry in filter(None, (part.strip() for part in spec.split(","))):
        match = re.fullmatch(r"([a-z0-9-]{1,40}):([0-9]{1,7}):([0-9]{1,6}(?:\.[0-9]{1,2})?)", entry)
        if match is None:
            raise ValueError(
                f"coin package {entry!r} must look like coins-550:550:4.99 (id:coins:price)"
            )
        package_id, coins, price = match.groups()
        amount = round(float(price) * scale)
        if int(coins) < 1 or amount < 1 or (scale == 1 and "." in price):
            raise ValueError(f"coin package {entry!r} needs at least 1 coin and a price above 0")
        if any(known.id == package_id for known in packages):
            raise ValueError(f"coin package id {package_id!r} is used twice")
        packages.append(CoinPackageSpec(package_id, int(coins), amount, currency))
    return tuple(packages)


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
    # Requests to /api, /whip, /whep: per signed-in user or guest token, and per client address
    # whatever token it sends (so fresh guest tokens bring no fresh budget).
    rate_per_second: float = 30.0
    rate_burst: int = 120
    ip_rate_per_second: float = 60.0
    ip_rate_burst: int = 240
    guest_tokens_per_minute: float = 10.0  # per client address
    # Peers whose X-Forwarded-For names the client (addresses or networks, e.g. 10.0.0.0/8):
    # by default a reverse proxy on this machine, as the deployment guide sets it up.
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    # Password hashing (login, register) runs on this many threads with this many waiting;
    # past that a login is answered 503 at once instead of slowing everything else down.
    login_workers: int = 1
    login_queue: int = 32
    # argon2id's cost per password hash: OWASP's recommended minimum (2 passes over 19 MiB).
    # Lower it only where no real account is kept (the test suite hashes thousands).
    password_hash_passes: int = 2
    password_hash_memory_kib: int = 19 * 1024
    # Wrong passwords allowed per account and per client address before growing delays.
    login_free_failures: int = 5
    pk_invite_ttl_seconds: int = 120
    multihost_invite_ttl_seconds: int = 300
    # A co-host whose last connection to the session room drops counts as left after this.
    multihost_grace_seconds: float = 20.0
    ice_servers: tuple[IceServer, ...] = ()
    public_url: str = ""
    redis_url: str = ""
    # PostgreSQL (``postgresql://user@host/db``) instead of the SQLite file at ``db_path``:
    # what several backend nodes share.
    database_url: str = ""
    # With several workers, a worker's room presence (viewer counts, co-hosts still connected)
    # stops counting this long after the worker dies.
    presence_ttl_seconds: float = field(
        default_factory=lambda: float(os.environ.get("ONAIR_PRESENCE_TTL", "15"))
    )
    # With a shared PostgreSQL database (several nodes): the address other nodes reach this
    # node at (its media requests are forwarded there), default http://HOST:PORT; a node
    # whose heartbeat is this old counts as dead and its streams are released.
    node_url: str = ""
    node_ttl_seconds: float = field(
        default_factory=lambda: float(os.environ.get("ONAIR_NODE_TTL", "15"))
    )
    metrics_token: str = ""  # a static bearer token for Prometheus scrapes of /metrics
    # Where studios publish (WHIP) and viewers play (WHEP): relative to this backend (the
    # embedded SFU) or absolute, for a dedicated media node or an external WHIP/WHEP server.
    whip_url_template: str = DEFAULT_WHIP_TEMPLATE
    whep_url_template: str = DEFAULT_WHEP_TEMPLATE
    # Buying coins: "sandbox" (a test checkout served by this backend, no real money),
    # "stripe" (Stripe Checkout) or "off"; left empty: the sandbox in demo/dev mode
    # (allow_topup), else off.
    coins_provider: str = ""
    coin_packages: str = DEFAULT_COIN_PACKAGES
    coin_currency: str = "usd"
    stripe_secret_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_api_base: str = ""  # another Stripe API address (a local test double)

    def __post_init__(self) -> None:
        for name in ("whip_url_template", "whep_url_template"):
            check_media_template(name, getattr(self, name))
        check_trusted_proxies(self.trusted_proxies)
        if self.password_hash_passes < 1 or self.password_hash_memory_kib < 8:
            raise ValueError("password hashing needs at least 1 pass over 8 KiB")
        if self.node_url:
            check_node_url(self.node_url)
        self.coin_package_list  # noqa: B018 (checked here: a mistake stops the start)
        if self.coins_provider not in ("", *COIN_PROVIDERS):
            raise ValueError(f"coins provider must be one of {', '.join(COIN_PROVIDERS)}")
        if self.coin_provider == "stripe" and not (
            self.stripe_secret_key and self.stripe_webhook_secret
        ):
            raise ValueError(
                "the stripe coins provider needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET"
            )

    @property
    def coin_provider(self) -> str:
        """The provider that sells coins: ``sandbox``, ``stripe`` or ``off``."""
        if self.coins_provider:
            return self.coins_provider
        return "sandbox" if self.allow_topup else "off"

    @property
    def coin_package_list(self) -> tuple[CoinPackageSpec, ...]:
        return parse_coin_packages(self.coin_packages, self.coin_currency)

    @property
    def advertised_node_url(self) -> str:
        """Where the other nodes reach this one (``--node-url``, else ``http://HOST:PORT``)."""
        if self.node_url:
            return self.node_url.rstrip("/")
        host = socket.getfqdn() if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

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
        values["trusted_proxies"] = tuple(values["trusted_proxies"])
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
