"""Typed views of the backend's JSON payloads, built with ``from_wire`` (no Qt, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from studio.core.wording import coins


def parse_time(value: str | None) -> datetime | None:
    """An ISO-8601 timestamp from the backend (always UTC), or None."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class Named:
    """A person as the backend names them: ``label`` is what the UI shows."""

    username: str
    display_name: str

    @property
    def label(self) -> str:
        return self.display_name or self.username


def names(data: dict[str, Any]) -> dict[str, str]:
    """``username`` and ``display_name`` of a wire user card (the name falls back to the login)."""
    username = str(data.get("username") or "")
    return {"username": username, "display_name": str(data.get("displayName") or username)}


@dataclass(frozen=True)
class User(Named):
    id: str
    username: str
    display_name: str
    coins: int = 0
    xp: int = 0
    live: bool | None = None  # publishing a stream now (None: not known, e.g. not a search)
    online: bool | None = None  # connected to the backend's event link

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> User:
        return cls(
            id=str(data["id"]),
            **names(data),
            coins=int(data.get("coins") or 0),
            xp=int(data.get("xp") or 0),
            live=data.get("live"),
            online=data.get("online"),
        )


@dataclass(frozen=True)
class AuthSession:
    user: User
    token: str


@dataclass(frozen=True)
class Wallet:
    coins: int
    xp: int

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Wallet:
        return cls(coins=int(data.get("coins") or 0), xp=int(data.get("xp") or 0))


@dataclass(frozen=True)
class Gift:
    id: str
    name: str
    coins: int
    icon: str

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Gift:
        return cls(str(data["id"]), str(data["name"]), int(data["coins"]), str(data["icon"]))


@dataclass(frozen=True)
class Host(Named):
    id: str
    username: str
    display_name: str
    score: int
    live: bool | None = None  # publishing now (only a battle's REST detail says)

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Host:
        return cls(
            id=str(data["id"]),
            **names(data),
            score=int(data.get("score") or 0),
            live=data.get("live"),
        )


@dataclass(frozen=True)
class Supporter(Named):
    id: str
    username: str
    display_name: str
    coins: int

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Supporter:
        return cls(
            id=str(data["id"]),
            **names(data),
            coins=int(data.get("coins") or 0),
        )


def supporters_from_wire(data: dict[str, Any] | None) -> dict[str, tuple[Supporter, ...]]:
    """``{"host1": [...], "host2": [...]}`` as typed tuples per side."""
    data = data or {}
    return {
        side: tuple(Supporter.from_wire(s) for s in data.get(side) or ())
        for side in ("host1", "host2")
    }


@dataclass(frozen=True)
class Battle:
    id: str
    status: str  # pending, active, ended, cancelled
    title: str
    duration: int  # minutes
    host1: Host
    host2: Host
    winner: str | None
    is_draw: bool
    rewards: dict[str, dict[str, int]] | None
    invite_expires_at: datetime | None
    ends_at: datetime | None
    server_time: datetime | None
    end_reason: str | None  # time, forfeit (ended); cancelled, declined, expired (cancelled)
    forfeited_by: str | None = None  # the host who ended it early (and so lost)
    gift_count: int = 0
    viewer_count: int = 0
    top_supporters: dict[str, tuple[Supporter, ...]] = field(default_factory=dict)

    def side_of(self, user_id: str) -> str | None:
        if user_id == self.host1.id:
            return "host1"
        if user_id == self.host2.id:
            return "host2"
        return None

    def host(self, side: str) -> Host:
        return self.host1 if side == "host1" else self.host2

    def opponent_of(self, user_id: str) -> Host:
        return self.host2 if user_id == self.host1.id else self.host1

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Battle:
        rewards = data.get("rewards")
        return cls(
            id=str(data["id"]),
            status=str(data["status"]),
            title=str(data.get("title") or ""),
            duration=int(data.get("duration") or 0),
            host1=Host.from_wire(data["host1"]),
            host2=Host.from_wire(data["host2"]),
            winner=data.get("winner"),
            is_draw=bool(data.get("isDraw")),
            rewards={k: {**v} for k, v in rewards.items()} if rewards else None,
            invite_expires_at=parse_time(data.get("inviteExpiresAt")),
            ends_at=parse_time(data.get("endsAt")),
            server_time=parse_time(data.get("serverTime")),
            end_reason=data.get("endReason"),
            forfeited_by=data.get("forfeitedBy"),
            gift_count=int(data.get("giftCount") or 0),
            viewer_count=int(data.get("viewerCount") or 0),
            top_supporters=supporters_from_wire(data.get("topSupporters")),
        )


@dataclass(frozen=True)
class GiftEvent:
    """One ``pk-battle:gift`` event: who sent what to which side, and the new scores."""

    battle_id: str
    gift_id: str
    name: str
    quantity: int
    coins: int
    to_host: str
    side: str
    sender: str
    scores: dict[str, int]
    top_supporters: dict[str, tuple[Supporter, ...]]

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> GiftEvent:
        gift = data["gift"]
        sender = gift.get("sender") or {}
        return cls(
            battle_id=str(data["battleId"]),
            gift_id=str(gift["giftId"]),
            name=str(gift.get("name") or gift["giftId"]),
            quantity=int(gift.get("quantity") or 1),
            coins=int(gift.get("coins") or 0),
            to_host=str(gift["toHost"]),
            side=str(gift["side"]),
            sender=str(sender.get("displayName") or sender.get("username") or "someone"),
            scores={k: int(v) for k, v in (data.get("scores") or {}).items()},
            top_supporters=supporters_from_wire(data.get("topSupporters")),
        )


@dataclass(frozen=True)
class CatalogEntry:
    """A filter as the backend's catalog sees it for this user: price and lock state."""

    id: str
    premium: bool
    price: int
    locked: bool

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> CatalogEntry:
        return cls(
            id=str(data["id"]),
            premium=bool(data.get("premium")),
            price=int(data.get("price") or 0),
            locked=bool(data.get("locked")),
        )


# ---- co-host sessions (/api/multihost) ---------------------------------------------------
@dataclass(frozen=True)
class CohostMember(Named):
    """One host of a co-host session and the settings every client renders."""

    user_id: str
    username: str
    display_name: str
    role: str  # primary, cohost
    can_manage: bool
    audio_enabled: bool
    video_enabled: bool
    stream_id: str

    @property
    def primary(self) -> bool:
        return self.role == "primary"

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> CohostMember:
        return cls(
            user_id=str(data["userId"]),
            **names(data),
            role=str(data.get("role") or "cohost"),
            can_manage=bool(data.get("canManage")),
            audio_enabled=bool(data.get("audioEnabled", True)),
            video_enabled=bool(data.get("videoEnabled", True)),
            stream_id=str(data.get("streamId") or data.get("username") or ""),
        )


@dataclass(frozen=True)
class Overlay:
    """A picture-in-picture tile, in fractions of the stage (0–1)."""

    user_id: str
    x: float
    y: float
    width: float
    height: float

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Overlay:
        return cls(
            str(data["userId"]),
            float(data["x"]),
            float(data["y"]),
            float(data["width"]),
            float(data["height"]),
        )


@dataclass(frozen=True)
class CohostLayout:
    mode: str  # grid, spotlight, sidebar, pip
    grid: str | None  # 2x2, 3x3 (grid only)
    main_host_id: str | None
    order: tuple[str, ...]
    overlays: tuple[Overlay, ...] = ()
    version: int = 0

    @property
    def key(self) -> str:
        """The picker's value: ``grid-2x2``, ``grid-3x3``, ``spotlight``, ``sidebar``, ``pip``."""
        return f"grid-{self.grid or '2x2'}" if self.mode == "grid" else self.mode

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> CohostLayout:
        return cls(
            mode=str(data.get("mode") or "grid"),
            grid=data.get("grid"),
            main_host_id=data.get("mainHostId"),
            order=tuple(str(h) for h in data.get("order") or ()),
            overlays=tuple(Overlay.from_wire(o) for o in data.get("overlays") or ()),
            version=int(data.get("version") or 0),
        )


@dataclass(frozen=True)
class Invitation:
    """An invitation to a co-host session, or a request to join one (``kind``)."""

    id: str
    session_id: str
    user: User
    kind: str  # invite, request
    status: str
    can_manage: bool
    message: str
    expires_at: datetime | None
    session_title: str = ""
    inviter: str = ""  # the session's primary host, for the invitee

    @classmethod
    def from_wire(cls, data: dict[str, Any], session: dict[str, Any] | None = None) -> Invitation:
        primary = (session or {}).get("primaryHost") or {}
        return cls(
            id=str(data["id"]),
            session_id=str(data["sessionId"]),
            user=User.from_wire(data.get("user") or {"id": ""}),
            kind=str(data.get("kind") or "invite"),
            status=str(data.get("status") or "pending"),
            can_manage=bool(data.get("canManage")),
            message=str(data.get("message") or ""),
            expires_at=parse_time(data.get("expiresAt")),
            session_title=str((session or {}).get("title") or ""),
            inviter=str(primary.get("displayName") or primary.get("username") or ""),
        )


@dataclass(frozen=True)
class CohostSession:
    id: str
    title: str
    type: str
    status: str  # scheduled, live, ended
    primary_host_id: str
    hosts: tuple[CohostMember, ...]
    layout: CohostLayout
    topology: str  # mesh, sfu
    max_hosts: int
    invitations: tuple[Invitation, ...] = ()  # pending, managers only
    requests: tuple[Invitation, ...] = ()
    end_reason: str | None = None
    server_time: datetime | None = None

    @property
    def open(self) -> bool:
        return self.status in ("scheduled", "live")

    def host(self, user_id: str) -> CohostMember | None:
        return next((h for h in self.hosts if h.user_id == user_id), None)

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> CohostSession:
        pending = data.get("pending") or {}
        primary = data.get("primaryHost") or {}
        return cls(
            id=str(data["id"]),
            title=str(data.get("title") or ""),
            type=str(data.get("type") or ""),
            status=str(data.get("status") or ""),
            primary_host_id=str(primary.get("id") or ""),
            hosts=tuple(CohostMember.from_wire(h) for h in data.get("hosts") or ()),
            layout=CohostLayout.from_wire(data.get("layout") or {}),
            topology=str(data.get("topology") or "mesh"),
            max_hosts=int(data.get("maxHosts") or 9),
            invitations=tuple(Invitation.from_wire(i) for i in pending.get("invitations") or ()),
            requests=tuple(Invitation.from_wire(i) for i in pending.get("requests") or ()),
            end_reason=data.get("endReason"),
            server_time=parse_time(data.get("serverTime")),
        )


# ---- live shopping (/api/products, /api/live-shopping) -------------------------------------
@dataclass(frozen=True)
class Product:
    """One of the seller's own products (the catalog a session draws from)."""

    id: str
    name: str
    price: int
    stock: int
    description: str = ""

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Product:
        return cls(
            id=str(data["id"]),
            name=str(data.get("name") or ""),
            price=int(data.get("price") or 0),
            stock=int(data.get("stock") or 0),
            description=str(data.get("description") or ""),
        )


@dataclass(frozen=True)
class FlashSale:
    price: int
    quantity: int
    remaining: int
    ends_at: datetime | None
    active: bool
    ended_reason: str | None = None

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> FlashSale:
        return cls(
            price=int(data.get("price") or 0),
            quantity=int(data.get("quantity") or 0),
            remaining=int(data.get("remaining") or 0),
            ends_at=parse_time(data.get("endsAt")),
            active=data.get("status") == "active",
            ended_reason=data.get("endedReason"),
        )


@dataclass(frozen=True)
class LiveProduct:
    """A product in a live-shopping session: its live price, stock and flash sale."""

    product_id: str
    name: str
    regular_price: int
    live_price: int
    current_price: int
    stock: int
    sold_out: bool
    pinned: bool
    flash_sale: FlashSale | None = None

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> LiveProduct:
        flash = data.get("flashSale")
        return cls(
            product_id=str(data["productId"]),
            name=str(data.get("name") or ""),
            regular_price=int(data.get("regularPrice") or 0),
            live_price=int(data.get("livePrice") or 0),
            current_price=int(data.get("currentPrice") or data.get("livePrice") or 0),
            stock=int(data.get("stock") or 0),
            sold_out=bool(data.get("soldOut")),
            pinned=bool(data.get("pinned")),
            flash_sale=FlashSale.from_wire(flash) if flash else None,
        )


@dataclass(frozen=True)
class Voucher:
    code: str
    type: str  # percent, fixed
    value: int
    min_order: int
    usage_limit: int | None
    used: int
    remaining: int | None
    expires_at: datetime | None

    @property
    def label(self) -> str:
        return f"{self.value}% off" if self.type == "percent" else f"{coins(self.value)} off"

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Voucher:
        limit, remaining = data.get("usageLimit"), data.get("remaining")
        return cls(
            code=str(data["code"]),
            type=str(data.get("type") or "fixed"),
            value=int(data.get("value") or 0),
            min_order=int(data.get("minOrder") or 0),
            usage_limit=None if limit is None else int(limit),
            used=int(data.get("used") or 0),
            remaining=None if remaining is None else int(remaining),
            expires_at=parse_time(data.get("expiresAt")),
        )


@dataclass(frozen=True)
class Order:
    id: str
    session_id: str
    product_id: str
    product_name: str
    buyer: str
    quantity: int
    total: int
    discount: int
    status: str  # placed, fulfilled, cancelled
    created_at: datetime | None

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Order:
        buyer = data.get("buyer") or {}
        return cls(
            id=str(data["id"]),
            session_id=str(data.get("sessionId") or ""),
            product_id=str(data.get("productId") or ""),
            product_name=str(data.get("productName") or ""),
            buyer=str(buyer.get("displayName") or buyer.get("username") or "someone"),
            quantity=int(data.get("quantity") or 1),
            total=int(data.get("total") or 0),
            discount=int(data.get("discount") or 0),
            status=str(data.get("status") or "placed"),
            created_at=parse_time(data.get("createdAt")),
        )


@dataclass(frozen=True)
class ShopSession:
    id: str
    title: str
    status: str  # scheduled, live, ended
    seller_id: str
    products: tuple[LiveProduct, ...]
    vouchers: tuple[Voucher, ...]
    server_time: datetime | None = None

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> ShopSession:
        return cls(
            id=str(data["id"]),
            title=str(data.get("title") or ""),
            status=str(data.get("status") or ""),
            seller_id=str((data.get("seller") or {}).get("id") or ""),
            products=tuple(LiveProduct.from_wire(p) for p in data.get("products") or ()),
            vouchers=tuple(Voucher.from_wire(v) for v in data.get("vouchers") or ()),
            server_time=parse_time(data.get("serverTime")),
        )


@dataclass(frozen=True)
class ProductStats:
    product_id: str
    name: str
    views: int
    orders: int
    units_sold: int
    revenue: int
    conversion_rate: float
    stock: int

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> ProductStats:
        return cls(
            product_id=str(data["productId"]),
            name=str(data.get("name") or ""),
            views=int(data.get("views") or 0),
            orders=int(data.get("orders") or 0),
            units_sold=int(data.get("unitsSold") or 0),
            revenue=int(data.get("revenue") or 0),
            conversion_rate=float(data.get("conversionRate") or 0.0),
            stock=int(data.get("stock") or 0),
        )


@dataclass(frozen=True)
class ShopAnalytics:
    session_id: str
    orders: int
    units_sold: int
    revenue: int
    views: int
    unique_viewers: int
    conversion_rate: float
    average_order_value: float
    cancelled_orders: int
    products: tuple[ProductStats, ...]
    flash_sell_through: float

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> ShopAnalytics:
        totals = data.get("totals") or {}
        return cls(
            session_id=str(data["sessionId"]),
            orders=int(totals.get("orders") or 0),
            units_sold=int(totals.get("unitsSold") or 0),
            revenue=int(totals.get("revenue") or 0),
            views=int(totals.get("views") or 0),
            unique_viewers=int(totals.get("uniqueViewers") or 0),
            conversion_rate=float(totals.get("conversionRate") or 0.0),
            average_order_value=float(totals.get("averageOrderValue") or 0.0),
            cancelled_orders=int(totals.get("cancelledOrders") or 0),
            products=tuple(ProductStats.from_wire(p) for p in data.get("products") or ()),
            flash_sell_through=float((data.get("flashSales") or {}).get("sellThrough") or 0.0),
        )
