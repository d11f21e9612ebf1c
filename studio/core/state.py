"""View state the studio renders, built from REST snapshots and server events (no Qt).

The backend decides every number: scores, timers, winner and rewards. These classes only keep
the latest server facts and answer the questions a view asks ("how many seconds are left by
the server's clock?", "what share of the bar is mine?").
"""

from __future__ import annotations

import dataclasses
import enum
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from studio.core.events import ServerEvent
from studio.core.models import (
    Battle,
    CohostLayout,
    CohostMember,
    CohostSession,
    GiftEvent,
    Invitation,
    LiveProduct,
    Order,
    ShopAnalytics,
    ShopSession,
    Supporter,
    Voucher,
)
from wire import stage_layout
from wire.events import PK, MultiHost, Shopping
from wire.stage_layout import Tile

FEED_LENGTH = 40


class ServerClock:
    """The server's wall clock as seen from here: deadlines are counted on it, not ours."""

    def __init__(self) -> None:
        self.offset = 0.0  # server time minus local time, in seconds

    def observe(self, server_time: datetime | None) -> None:
        if server_time is not None:
            self.offset = server_time.timestamp() - time.time()

    def now(self) -> float:
        return time.time() + self.offset

    def seconds_until(self, deadline: datetime | None) -> float:
        if deadline is None:
            return 0.0
        return max(0.0, deadline.timestamp() - self.now())


class PKPhase(enum.StrEnum):
    IDLE = "idle"  # no battle: search for an opponent and challenge
    OUTGOING = "outgoing"  # my challenge waits for the opponent
    INCOMING = "incoming"  # someone challenged me
    LIVE = "live"
    RESULT = "result"  # ended, cancelled, declined or expired


@dataclass(frozen=True)
class BattleResult:
    outcome: str  # won, lost, draw, cancelled, declined, expired
    my_score: int
    their_score: int
    coins: int
    xp: int
    opponent: str
    note: str = ""  # how it ended, when not on time: "You ended the battle early"

    @property
    def headline(self) -> str:
        return {
            "won": "Victory!",
            "lost": "Defeat",
            "draw": "It's a draw",
            "declined": "Challenge declined",
            "expired": "Challenge expired",
        }.get(self.outcome, "Battle cancelled")


class PKState:
    """One host's view of their current battle."""

    def __init__(self, me: str) -> None:
        self.me = me
        self.battle: Battle | None = None
        self.scores: dict[str, int] = {"host1": 0, "host2": 0}
        self.supporters: dict[str, tuple[Supporter, ...]] = {"host1": (), "host2": ()}
        self.feed: deque[GiftEvent] = deque(maxlen=FEED_LENGTH)
        self.result: BattleResult | None = None
        self.live: dict[str, bool | None] = {}  # host id -> publishing now, from REST details
        self.clock = ServerClock()

    # ---- questions views ask --------------------------------------------------------
    @property
    def phase(self) -> PKPhase:
        if self.result is not None:
            return PKPhase.RESULT
        battle = self.battle
        if battle is None:
            return PKPhase.IDLE
        if battle.status == "active":
            return PKPhase.LIVE
        return PKPhase.OUTGOING if battle.host1.id == self.me else PKPhase.INCOMING

    @property
    def my_side(self) -> str:
        assert self.battle is not None
        return self.battle.side_of(self.me) or "host1"

    @property
    def their_side(self) -> str:
        return "host2" if self.my_side == "host1" else "host1"

    def my_share(self) -> float:
        """My fraction of the combined score (0.5 while nobody has scored)."""
        mine, theirs = self.scores[self.my_side], self.scores[self.their_side]
        return 0.5 if mine + theirs == 0 else mine / (mine + theirs)

    def seconds_left(self) -> float:
        """Time to the battle's end, or to the invitation's expiry while it waits."""
        battle = self.battle
        if battle is None or self.result is not None:
            return 0.0
        deadline = battle.ends_at if battle.status == "active" else battle.invite_expires_at
        return self.clock.seconds_until(deadline)

    # ---- changes --------------------------------------------------------------------
    def load(self, battle: Battle) -> None:
        """A snapshot from REST (on start, or after the event link reconnects)."""
        if battle.status in ("ended", "cancelled"):
            if self.battle is not None and self.battle.id == battle.id:
                self._finish(battle, battle.end_reason or "cancelled")
            return
        if self.battle is None or self.battle.id != battle.id:
            self.feed.clear()
            self.live = {}
        self.battle = battle
        self.note_live(battle)
        self.result = None
        self.clock.observe(battle.server_time)
        self.scores = {"host1": battle.host1.score, "host2": battle.host2.score}
        if battle.top_supporters:
            self.supporters = dict(battle.top_supporters)

    def note_live(self, battle: Battle) -> bool:
        """Take which hosts are live from a REST detail of the current battle (events do not
        say); True when that changed anything."""
        if self.battle is None or battle.id != self.battle.id:
            return False
        known = {h.id: h.live for h in (battle.host1, battle.host2) if h.live is not None}
        changed = any(self.live.get(host) != live for host, live in known.items())
        self.live.update(known)
        return changed

    def dismiss(self) -> None:
        """Leave the result card for a fresh challenge."""
        self.battle = None
        self.result = None
        self.live = {}
        self.feed.clear()
        self.scores = {"host1": 0, "host2": 0}
        self.supporters = {"host1": (), "host2": ()}

    def apply(self, event: ServerEvent) -> bool:
        """Fold one server event in; True when it concerned this host's battle."""
        data = event.data
        if event.name in (PK.CREATED, PK.STARTED):
            battle = Battle.from_wire(data["battle"])
            if battle.side_of(self.me) is None or self._busy_elsewhere(battle.id):
                return False
            self.load(battle)
            return True
        if not self._is_mine(data):
            return False
        if event.name == PK.GIFT:
            gift = GiftEvent.from_wire(data)
            self.feed.appendleft(gift)
            self.scores = {"host1": gift.scores["host1"], "host2": gift.scores["host2"]}
            self.supporters = gift.top_supporters
            return True
        if event.name in (PK.ENDED, PK.CANCELLED):
            battle = Battle.from_wire(data["battle"])
            self._finish(battle, str(data.get("reason") or battle.end_reason or "cancelled"))
            return True
        return False

    def _busy_elsewhere(self, battle_id: str) -> bool:
        return (
            self.battle is not None
            and self.battle.id != battle_id
            and self.phase in (PKPhase.LIVE, PKPhase.OUTGOING)
        )

    def _is_mine(self, data: dict[str, Any]) -> bool:
        battle_id = data.get("battleId") or (data.get("battle") or {}).get("id")
        return self.battle is not None and battle_id == self.battle.id

    def _finish(self, battle: Battle, reason: str) -> None:
        self.battle = battle
        self.scores = {"host1": battle.host1.score, "host2": battle.host2.score}
        side = battle.side_of(self.me) or "host1"
        other = "host2" if side == "host1" else "host1"
        reward = (battle.rewards or {}).get(self.me, {})
        if battle.status == "ended":
            outcome = "draw" if battle.is_draw else ("won" if battle.winner == self.me else "lost")
        else:
            outcome = reason if reason in ("declined", "expired") else "cancelled"
        self.result = BattleResult(
            outcome=outcome,
            my_score=self.scores[side],
            their_score=self.scores[other],
            coins=int(reward.get("coins", 0)),
            xp=int(reward.get("xp", 0)),
            opponent=battle.host(other).label,
            note=self._forfeit_note(battle),
        )

    def _forfeit_note(self, battle: Battle) -> str:
        if battle.end_reason != "forfeit" or battle.forfeited_by is None:
            return ""
        if battle.forfeited_by == self.me:
            return "You ended the battle early"
        return f"{battle.opponent_of(self.me).label} ended the battle early"


# ---- co-host sessions -----------------------------------------------------------------------
def layout_tiles(layout: CohostLayout) -> list[Tile]:
    """Every host's tile for the shared layout, drawn the same way by every client."""
    overlays = {o.user_id: Tile(o.user_id, o.x, o.y, o.width, o.height) for o in layout.overlays}
    return stage_layout.layout_tiles(layout.mode, layout.grid, layout.order, overlays)


class CohostState:
    """One user's view of co-hosting: their open session, invitations to them, requests."""

    def __init__(self, me: str) -> None:
        self.me = me
        self.session: CohostSession | None = None
        self.incoming: dict[str, Invitation] = {}  # invitations to me, by session
        self.notice = ""  # why the last session stopped for me

    @property
    def me_host(self) -> CohostMember | None:
        return self.session.host(self.me) if self.session is not None else None

    @property
    def can_manage(self) -> bool:
        """Primary host or a manager: invite, approve, remove, mute others, change layout."""
        host = self.me_host
        return host is not None and host.can_manage

    @property
    def is_primary(self) -> bool:
        host = self.me_host
        return host is not None and host.primary

    def tiles(self) -> list[Tile]:
        return layout_tiles(self.session.layout) if self.session is not None else []

    def load(self, session: CohostSession) -> None:
        """A REST snapshot of a session I host (or was hosting)."""
        self.incoming.pop(session.id, None)
        if session.open and session.host(self.me) is not None:
            self.session = session
            self.notice = ""
        elif self.session is not None and self.session.id == session.id:
            self._close("The session ended." if not session.open else "You left the session.")

    def forget_invitation(self, session_id: str) -> None:
        self.incoming.pop(session_id, None)

    def apply(self, event: ServerEvent) -> bool:
        """Fold one ``multihost:*`` event in; True when it changed what this user sees."""
        data = event.data
        session_id = str(data.get("sessionId") or "")
        if event.name == MultiHost.INVITED:
            invitation = Invitation.from_wire(data["invitation"], data.get("session"))
            if invitation.user.id == self.me:
                self.incoming[session_id] = invitation
                return True
            return self._change(session_id, invitations=self._pending("invitations", invitation))
        if event.name == MultiHost.ENDED and session_id in self.incoming:
            self.incoming.pop(session_id)
            if not self._mine(session_id):
                return True
        if event.name == MultiHost.INVITATION_EXPIRED:
            return self._expire(session_id, Invitation.from_wire(data["invitation"]))
        if event.name == MultiHost.REQUEST_DECLINED:
            self.notice = "Your request to join was declined."
            return True
        if not self._mine(session_id):
            return False
        assert self.session is not None
        session = self.session
        if event.name == MultiHost.JOINED:
            host = CohostMember.from_wire(data["host"])
            hosts = (*(h for h in session.hosts if h.user_id != host.user_id), host)
            return self._change(
                session_id,
                hosts=hosts,
                topology=str(data.get("topology") or session.topology),
                invitations=tuple(i for i in session.invitations if i.user.id != host.user_id),
                requests=tuple(r for r in session.requests if r.user.id != host.user_id),
            )
        if event.name == MultiHost.LEFT:
            user_id = str(data["userId"])
            if user_id == self.me:
                removed = data.get("reason") == "removed"
                self._close("You were removed from the session." if removed else "You left.")
                return True
            return self._change(
                session_id,
                hosts=tuple(h for h in session.hosts if h.user_id != user_id),
                topology=str(data.get("topology") or session.topology),
            )
        if event.name == MultiHost.SETTINGS:
            host = CohostMember.from_wire(data["host"])
            hosts = tuple(host if h.user_id == host.user_id else h for h in session.hosts)
            return self._change(session_id, hosts=hosts)
        if event.name == MultiHost.LAYOUT_CHANGED:
            return self._change(session_id, layout=CohostLayout.from_wire(data["layout"]))
        if event.name == MultiHost.STARTED:
            return self._change(session_id, status="live")
        if event.name == MultiHost.JOIN_REQUESTED:
            request = Invitation.from_wire(data["request"])
            return self._change(session_id, requests=self._pending("requests", request))
        if event.name == MultiHost.ENDED:
            self._close("The session ended.")
            return True
        return False

    def _expire(self, session_id: str, lapsed: Invitation) -> bool:
        mine = self.incoming.get(session_id)
        if mine is not None and mine.id == lapsed.id:
            del self.incoming[session_id]
            return True
        if not self._mine(session_id):
            return False
        assert self.session is not None
        return self._change(
            session_id,
            invitations=tuple(i for i in self.session.invitations if i.id != lapsed.id),
            requests=tuple(r for r in self.session.requests if r.id != lapsed.id),
        )

    def _mine(self, session_id: str) -> bool:
        return self.session is not None and self.session.id == session_id

    def _pending(self, field: str, item: Invitation) -> tuple[Invitation, ...]:
        current: tuple[Invitation, ...] = getattr(self.session, field, ())
        return (*(i for i in current if i.user.id != item.user.id), item)

    def _change(self, session_id: str, **changes: Any) -> bool:
        if not self._mine(session_id):
            return False
        assert self.session is not None
        self.session = dataclasses.replace(self.session, **changes)
        return True

    def _close(self, notice: str) -> None:
        self.session = None
        self.notice = notice


# ---- live shopping ------------------------------------------------------------------------
ORDER_FEED_LENGTH = 100


class ShopState:
    """The seller's live-shopping session: products with stock and flash sales, orders."""

    def __init__(self, me: str) -> None:
        self.me = me
        self.session: ShopSession | None = None
        self.products: dict[str, LiveProduct] = {}
        self.vouchers: dict[str, Voucher] = {}
        self.orders: deque[Order] = deque(maxlen=ORDER_FEED_LENGTH)  # newest first
        self.analytics: ShopAnalytics | None = None
        self.clock = ServerClock()

    @property
    def live(self) -> bool:
        return self.session is not None and self.session.status == "live"

    @property
    def pinned(self) -> LiveProduct | None:
        return next((p for p in self.products.values() if p.pinned), None)

    def flash_seconds_left(self, product: LiveProduct) -> float:
        """Seconds left in the product's flash sale by the server's clock (0 when over)."""
        flash = product.flash_sale
        if flash is None or not flash.active or flash.remaining <= 0:
            return 0.0
        return self.clock.seconds_until(flash.ends_at)

    def load(self, session: ShopSession) -> None:
        self.session = session
        self.clock.observe(session.server_time)
        self.products = {p.product_id: p for p in session.products}
        self.vouchers = {v.code: v for v in session.vouchers}

    def load_orders(self, orders: list[Order]) -> None:
        self.orders.clear()
        self.orders.extend(orders)

    def apply(self, event: ServerEvent) -> bool:
        """Fold one ``live-shopping:*`` event of my session in; True when it was mine."""
        data = event.data
        if self.session is None or data.get("sessionId") != self.session.id:
            return False
        product = data.get("product")
        if event.name == Shopping.PRODUCT_PINNED:
            pinned = LiveProduct.from_wire(product) if product else None
            self.products = {
                key: dataclasses.replace(p, pinned=pinned is not None and key == pinned.product_id)
                for key, p in self.products.items()
            }
            return True
        if product:
            self._upsert(LiveProduct.from_wire(product))
        if event.name in (Shopping.ORDER, Shopping.ORDER_UPDATED):
            order = Order.from_wire(data["order"])
            if event.name == Shopping.ORDER and all(o.id != order.id for o in self.orders):
                self.orders.appendleft(order)
            else:
                self._replace_order(order)
        elif event.name == Shopping.SOLD_OUT:
            key = str(data["productId"])
            if key in self.products:
                self._upsert(dataclasses.replace(self.products[key], stock=0, sold_out=True))
        elif event.name == Shopping.VOUCHER:
            voucher = Voucher.from_wire(data["voucher"])
            self.vouchers[voucher.code] = voucher
        elif event.name in (Shopping.STARTED, Shopping.ENDED):
            self.load(ShopSession.from_wire(data["session"]))
        return True

    def _upsert(self, product: LiveProduct) -> None:
        self.products[product.product_id] = product

    def _replace_order(self, order: Order) -> None:
        for index, existing in enumerate(self.orders):
            if existing.id == order.id:
                self.orders[index] = order
                return
        self.orders.appendleft(order)
