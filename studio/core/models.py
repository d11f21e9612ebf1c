"""Typed views of the backend's JSON payloads, built with ``from_wire`` (no Qt, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


def parse_time(value: str | None) -> datetime | None:
    """An ISO-8601 timestamp from the backend (always UTC), or None."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass(frozen=True)
class User:
    id: str
    username: str
    display_name: str
    coins: int = 0
    xp: int = 0

    @property
    def label(self) -> str:
        return self.display_name or self.username

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> User:
        return cls(
            id=str(data["id"]),
            username=str(data.get("username", "")),
            display_name=str(data.get("displayName") or data.get("username") or ""),
            coins=int(data.get("coins") or 0),
            xp=int(data.get("xp") or 0),
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
class Host:
    id: str
    username: str
    display_name: str
    score: int

    @property
    def label(self) -> str:
        return self.display_name or self.username

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Host:
        return cls(
            id=str(data["id"]),
            username=str(data.get("username") or ""),
            display_name=str(data.get("displayName") or data.get("username") or ""),
            score=int(data.get("score") or 0),
        )


@dataclass(frozen=True)
class Supporter:
    id: str
    username: str
    display_name: str
    coins: int

    @property
    def label(self) -> str:
        return self.display_name or self.username

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Supporter:
        return cls(
            id=str(data["id"]),
            username=str(data.get("username") or ""),
            display_name=str(data.get("displayName") or data.get("username") or ""),
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
    end_reason: str | None
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
