"""View state the studio renders, built from REST snapshots and server events (no Qt).

The backend decides every number: scores, timers, winner and rewards. These classes only keep
the latest server facts and answer the questions a view asks ("how many seconds are left by
the server's clock?", "what share of the bar is mine?").
"""

from __future__ import annotations

import enum
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from studio.core.events import ServerEvent
from wire import stage_layout
from wire.events import Shopping
from wire.multihost import EVENTS as COHOST_EVENTS
from wire.multihost import (
    CohostLayout,
    CohostMember,
    CohostSession,
    HostJoined,
    HostLeft,
    Invitation,
    InvitationExpired,
    Invited,
    JoinRequested,
    LayoutChanged,
    Pending,
    RequestDeclined,
    SessionEnded,
    SessionEvent,
    SessionStarted,
    SettingsChanged,
)
from wire.pk import (
    Battle,
    BattleCancelled,
    BattleChanged,
    BattleDetail,
    BattleEnded,
    BattleStanding,
    GiftEvent,
    SentGift,
    Side,
    TopSupporters,
)
from wire.shopping import (
    FlashSaleEnded,
    FlashSaleStarted,
    LiveProduct,
    OrderChanged,
    ProductAdded,
    ProductPinned,
    PublicOrder,
    SessionChanged,
    ShopAnalytics,
    ShopSession,
    SoldOut,
    Voucher,
    VoucherCreated,
)
from wire.stage_layout import Tile

FEED_LENGTH = 40
NO_SUPPORTERS = TopSupporters(host1=[], host2=[])


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
        self.supporters = NO_SUPPORTERS
        self.feed: deque[SentGift] = deque(maxlen=FEED_LENGTH)
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
    def my_side(self) -> Side:
        assert self.battle is not None
        return self.battle.side_of(self.me) or "host1"

    @property
    def their_side(self) -> Side:
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
        if isinstance(battle, BattleDetail):
            self.note_live(battle)
        self.result = None
        self.clock.observe(battle.server_time)
        self.scores = {"host1": battle.host1.score, "host2": battle.host2.score}
        if isinstance(battle, BattleStanding):
            self.supporters = battle.top_supporters

    def note_live(self, battle: BattleDetail) -> bool:
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
        self.supporters = NO_SUPPORTERS

    def apply(self, event: ServerEvent) -> bool:
        """Fold one server event in; True when it concerned this host's battle."""
        if not event.name.startswith("pk-battle:"):
            return False
        payload = event.payload()
        if isinstance(payload, BattleChanged):
            battle = payload.battle
            if battle.side_of(self.me) is None or self._busy_elsewhere(battle.id):
                return False
            self.load(battle)
            return True
        if isinstance(payload, GiftEvent) and self._is_mine(payload.battle_id):
            self.feed.appendleft(payload.gift)
            self.scores = {"host1": payload.scores["host1"], "host2": payload.scores["host2"]}
            self.supporters = payload.top_supporters
            return True
        if isinstance(payload, BattleEnded | BattleCancelled) and self._is_mine(payload.battle.id):
            self._finish(payload.battle, payload.reason)
            return True
        return False

    def _busy_elsewhere(self, battle_id: str) -> bool:
        return (
            self.battle is not None
            and self.battle.id != battle_id
            and self.phase in (PKPhase.LIVE, PKPhase.OUTGOING)
        )

    def _is_mine(self, battle_id: str) -> bool:
        return self.battle is not None and battle_id == self.battle.id

    def _finish(self, battle: Battle, reason: str) -> None:
        self.battle = battle
        self.scores = {"host1": battle.host1.score, "host2": battle.host2.score}
        side = battle.side_of(self.me) or "host1"
        other: Side = "host2" if side == "host1" else "host1"
        reward = (battle.rewards or {}).get(self.me)
        if battle.status == "ended":
            outcome = "draw" if battle.is_draw else ("won" if battle.winner == self.me else "lost")
        else:
            outcome = reason if reason in ("declined", "expired") else "cancelled"
        self.result = BattleResult(
            outcome=outcome,
            my_score=self.scores[side],
            their_score=self.scores[other],
            coins=reward.coins if reward else 0,
            xp=reward.xp if reward else 0,
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


def layout_key(layout: CohostLayout) -> str:
    """The picker's value: ``grid-2x2``, ``grid-3x3``, ``spotlight``, ``sidebar``, ``pip``."""
    return f"grid-{layout.grid or '2x2'}" if layout.mode == "grid" else layout.mode


NO_PENDING = Pending(invitations=[], requests=[])


class CohostState:
    """One user's view of co-hosting: their open session, invitations to them, requests."""

    def __init__(self, me: str) -> None:
        self.me = me
        self.session: CohostSession | None = None
        self.incoming: dict[str, Invited] = {}  # invitations to me, by session
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

    @property
    def pending(self) -> Pending:
        """Open invitations and requests of my session (empty unless I manage it)."""
        session = self.session
        return session.pending if session is not None and session.pending else NO_PENDING

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
        if event.name not in COHOST_EVENTS:
            return False
        payload = event.payload()
        if not isinstance(payload, SessionEvent):
            return False
        if isinstance(payload, Invited):
            return self._invited(payload)
        if isinstance(payload, InvitationExpired):
            return self._expire(payload.session_id, payload.invitation)
        if isinstance(payload, RequestDeclined):
            self.notice = "Your request to join was declined."
            return True
        if isinstance(payload, SessionEnded):
            return self._ended(payload.session_id)
        if not self._mine(payload.session_id):
            return False
        return self._session_changed(payload)

    def _invited(self, invited: Invited) -> bool:
        invitation = invited.invitation
        if invitation.user.id == self.me:
            self.incoming[invited.session_id] = invited
            return True
        return self._pending_changed(invited.session_id, invitations=[invitation])

    def _ended(self, session_id: str) -> bool:
        invited = self.incoming.pop(session_id, None) is not None
        if self._mine(session_id):
            self._close("The session ended.")
            return True
        return invited

    def _session_changed(self, event: SessionEvent) -> bool:
        """An event of the session I host."""
        assert self.session is not None
        session = self.session
        if isinstance(event, HostJoined):
            return self._joined(event)
        if isinstance(event, HostLeft):
            return self._left(event)
        if isinstance(event, SettingsChanged):
            hosts = [event.host if h.user_id == event.user_id else h for h in session.hosts]
            return self._change(event.session_id, hosts=hosts)
        if isinstance(event, LayoutChanged):
            return self._change(event.session_id, layout=event.layout)
        if isinstance(event, SessionStarted):
            return self._change(event.session_id, status="live")
        if isinstance(event, JoinRequested):
            return self._pending_changed(event.session_id, requests=[event.request])
        return False

    def _joined(self, joined: HostJoined) -> bool:
        assert self.session is not None
        host = joined.host
        hosts = [*(h for h in self.session.hosts if h.user_id != host.user_id), host]
        pending = self.pending
        answered = Pending(
            invitations=[i for i in pending.invitations if i.user.id != host.user_id],
            requests=[r for r in pending.requests if r.user.id != host.user_id],
        )
        return self._change(
            joined.session_id,
            hosts=hosts,
            topology=joined.topology,
            pending=answered if self.session.pending is not None else None,
        )

    def _left(self, left: HostLeft) -> bool:
        assert self.session is not None
        if left.user_id == self.me:
            removed = left.reason == "removed"
            self._close("You were removed from the session." if removed else "You left.")
            return True
        return self._change(
            left.session_id,
            hosts=[h for h in self.session.hosts if h.user_id != left.user_id],
            topology=left.topology,
        )

    def _expire(self, session_id: str, lapsed: Invitation) -> bool:
        mine = self.incoming.get(session_id)
        if mine is not None and mine.invitation.id == lapsed.id:
            del self.incoming[session_id]
            return True
        if not self._mine(session_id):
            return False
        pending = self.pending
        return self._change(
            session_id,
            pending=Pending(
                invitations=[i for i in pending.invitations if i.id != lapsed.id],
                requests=[r for r in pending.requests if r.id != lapsed.id],
            ),
        )

    def _mine(self, session_id: str) -> bool:
        return self.session is not None and self.session.id == session_id

    def _pending_changed(
        self,
        session_id: str,
        invitations: Sequence[Invitation] = (),
        requests: Sequence[Invitation] = (),
    ) -> bool:
        """One more open invitation or request (replacing an older one of the same user)."""
        pending = self.pending
        return self._change(
            session_id,
            pending=Pending(
                invitations=_replacing(pending.invitations, invitations),
                requests=_replacing(pending.requests, requests),
            ),
        )

    def _change(self, session_id: str, **changes: Any) -> bool:
        if not self._mine(session_id):
            return False
        assert self.session is not None
        self.session = self.session.model_copy(update=changes)
        return True

    def _close(self, notice: str) -> None:
        self.session = None
        self.notice = notice


def _replacing(current: Sequence[Invitation], new: Sequence[Invitation]) -> list[Invitation]:
    users = {i.user.id for i in new}
    return [*(i for i in current if i.user.id not in users), *new]


# ---- live shopping ------------------------------------------------------------------------
ORDER_FEED_LENGTH = 100


class ShopState:
    """The seller's live-shopping session: products with stock and flash sales, orders."""

    def __init__(self, me: str) -> None:
        self.me = me
        self.session: ShopSession | None = None
        self.products: dict[str, LiveProduct] = {}
        self.vouchers: dict[str, Voucher] = {}
        self.orders: deque[PublicOrder] = deque(maxlen=ORDER_FEED_LENGTH)  # newest first
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

    def load_orders(self, orders: Iterable[PublicOrder]) -> None:
        self.orders.clear()
        self.orders.extend(orders)

    def apply(self, event: ServerEvent) -> bool:
        """Fold one ``live-shopping:*`` event of my session in; True when it was mine."""
        if self.session is None or event.data.get("sessionId") != self.session.id:
            return False
        payload = event.payload()
        if isinstance(payload, ProductPinned):
            pinned = payload.product.product_id if payload.product else None
            self.products = {
                key: p.model_copy(update={"pinned": key == pinned})
                for key, p in self.products.items()
            }
        elif isinstance(payload, ProductAdded | FlashSaleStarted | FlashSaleEnded):
            self._upsert(payload.product)
        elif isinstance(payload, OrderChanged):
            self._upsert(payload.product)
            placed = event.name == Shopping.ORDER
            if placed and all(o.id != payload.order.id for o in self.orders):
                self.orders.appendleft(payload.order)
            else:
                self._replace_order(payload.order)
        elif isinstance(payload, SoldOut):
            product = self.products.get(payload.product_id)
            if product is not None:
                self._upsert(product.model_copy(update={"stock": 0, "sold_out": True}))
        elif isinstance(payload, VoucherCreated):
            self.vouchers[payload.voucher.code] = payload.voucher
        elif isinstance(payload, SessionChanged):
            self.load(payload.session)
        return True

    def _upsert(self, product: LiveProduct) -> None:
        self.products[product.product_id] = product

    def _replace_order(self, order: PublicOrder) -> None:
        for index, existing in enumerate(self.orders):
            if existing.id == order.id:
                self.orders[index] = order
                return
        self.orders.appendleft(order)
