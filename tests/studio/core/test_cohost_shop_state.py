"""Co-host and live-shopping view state from server payloads: layouts, events, stock (no Qt)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from studio.core.events import ServerEvent
from studio.core.models import CohostLayout, CohostSession, Overlay, ShopSession
from studio.core.state import CohostState, ShopState, Tile, layout_tiles
from wire.events import MultiHost, Shopping


def _host(user: str, role: str = "cohost", manage: bool = False) -> dict[str, Any]:
    return {
        "userId": user,
        "username": user,
        "displayName": user.title(),
        "role": role,
        "canManage": manage,
        "audioEnabled": True,
        "videoEnabled": True,
    }


def _session(hosts: list[dict[str, Any]], status: str = "live") -> dict[str, Any]:
    order = [h["userId"] for h in hosts]
    return {
        "id": "s1",
        "title": "Show",
        "type": "panel",
        "status": status,
        "primaryHost": {"id": "me", "username": "me"},
        "hosts": hosts,
        "topology": "mesh",
        "maxHosts": 9,
        "layout": {"mode": "grid", "grid": "2x2", "order": order, "version": 1},
        "pending": {"invitations": [], "requests": []},
    }


def _invitation(user: str, kind: str = "invite") -> dict[str, Any]:
    return {
        "id": f"i-{user}",
        "sessionId": "s1",
        "user": {"id": user, "username": user},
        "kind": kind,
        "status": "pending",
        "canManage": False,
        "message": "",
        "expiresAt": None,
    }


def test_grid_tiles_fill_rows_in_order_and_centre_the_used_rows() -> None:
    two = layout_tiles(CohostLayout("grid", "2x2", None, ("a", "b")))
    assert two == [Tile("a", 0, 0.25, 0.5, 0.5), Tile("b", 0.5, 0.25, 0.5, 0.5)]
    nine = layout_tiles(CohostLayout("grid", "3x3", None, tuple("abcdefghi")))
    assert [(round(t.x, 3), round(t.y, 3)) for t in nine[3:5]] == [(0, 0.333), (0.333, 0.333)]
    assert all(t.width == pytest.approx(1 / 3) for t in nine)


def test_spotlight_sidebar_and_pip_put_the_main_host_first() -> None:
    spot = layout_tiles(CohostLayout("spotlight", None, "b", ("b", "a", "c")))
    assert spot[0] == Tile("b", 0.125, 0, 0.75, 0.75)  # a whole 16:9 picture, centred
    assert [t.y for t in spot[1:]] == [0.75, 0.75] and spot[1].width == 0.25
    side = layout_tiles(CohostLayout("sidebar", None, "a", ("a", "b")))
    assert side[0] == Tile("a", 0, 0.125, 0.75, 0.75) and side[1].x == 0.75
    pip = layout_tiles(
        CohostLayout("pip", None, "a", ("a", "b"), (Overlay("b", 0.7, 0.1, 0.2, 0.2),))
    )
    assert pip == [Tile("a", 0, 0, 1, 1), Tile("b", 0.7, 0.1, 0.2, 0.2)]
    assert layout_tiles(CohostLayout("spotlight", None, "a", ("a",))) == [Tile("a", 0, 0, 1, 1)]


def test_cohost_events_from_invitation_to_removal() -> None:
    primary = CohostState("me")
    primary.load(CohostSession.from_wire(_session([_host("me", "primary", True)])))
    assert primary.can_manage and primary.is_primary
    guest = CohostState("them")
    invited = ServerEvent(
        MultiHost.INVITED,
        {
            "sessionId": "s1",
            "invitation": _invitation("them"),
            "session": {"title": "Show", "primaryHost": {"displayName": "Me"}},
        },
    )
    assert guest.apply(invited) and guest.incoming["s1"].inviter == "Me"
    assert primary.apply(invited) and primary.session is not None
    assert [i.user.id for i in primary.session.invitations] == ["them"]

    joined = ServerEvent(MultiHost.JOINED, {"sessionId": "s1", "host": _host("them")})
    assert primary.apply(joined)
    assert [h.user_id for h in primary.session.hosts] == ["me", "them"]
    assert primary.session.invitations == ()
    layout = {"mode": "sidebar", "mainHostId": "them", "order": ["them", "me"], "version": 2}
    primary.apply(ServerEvent(MultiHost.LAYOUT_CHANGED, {"sessionId": "s1", "layout": layout}))
    assert [t.user_id for t in primary.tiles()] == ["them", "me"]
    muted = {**_host("them"), "audioEnabled": False}
    primary.apply(ServerEvent(MultiHost.SETTINGS, {"sessionId": "s1", "host": muted}))
    assert primary.session.host("them") is not None
    assert not primary.session.host("them").audio_enabled  # type: ignore[union-attr]

    request = ServerEvent(
        MultiHost.JOIN_REQUESTED, {"sessionId": "s1", "request": _invitation("fan", "request")}
    )
    assert primary.apply(request) and [r.user.id for r in primary.session.requests] == ["fan"]
    assert not primary.apply(ServerEvent(MultiHost.JOINED, {"sessionId": "other", "host": {}}))

    guest.load(CohostSession.from_wire(_session([_host("me", "primary", True), _host("them")])))
    assert guest.incoming == {} and not guest.can_manage
    left = {"sessionId": "s1", "userId": "them", "reason": "removed", "by": "me"}
    assert guest.apply(ServerEvent(MultiHost.LEFT, left))
    assert guest.session is None and "removed" in guest.notice
    assert primary.apply(ServerEvent(MultiHost.LEFT, left))
    assert [h.user_id for h in primary.session.hosts] == ["me"]
    assert primary.apply(ServerEvent(MultiHost.ENDED, {"sessionId": "s1", "reason": "ended"}))
    assert primary.session is None and primary.notice == "The session ended."


def test_a_lapsed_invitation_or_request_disappears_for_everyone() -> None:
    primary = CohostState("me")
    primary.load(CohostSession.from_wire(_session([_host("me", "primary", True)])))
    guest = CohostState("them")
    invited = {"sessionId": "s1", "invitation": _invitation("them"), "session": {}}
    asked = {"sessionId": "s1", "request": _invitation("fan", "request")}
    for state in (primary, guest):
        state.apply(ServerEvent(MultiHost.INVITED, invited))
    primary.apply(ServerEvent(MultiHost.JOIN_REQUESTED, asked))

    def lapsed(user: str, kind: str = "invite") -> ServerEvent:
        gone = {**_invitation(user, kind), "status": "expired"}
        return ServerEvent(MultiHost.INVITATION_EXPIRED, {"sessionId": "s1", "invitation": gone})

    assert guest.apply(lapsed("them")) and guest.incoming == {}
    assert primary.apply(lapsed("them")) and primary.session is not None
    assert primary.session.invitations == ()
    assert [r.user.id for r in primary.session.requests] == ["fan"]
    assert primary.apply(lapsed("fan", "request")) and primary.session.requests == ()
    assert not guest.apply(lapsed("fan", "request"))  # not theirs, nothing to close


def _product(pid: str, stock: int, **extra: Any) -> dict[str, Any]:
    return {
        "productId": pid,
        "name": pid.title(),
        "regularPrice": 50,
        "livePrice": 40,
        "currentPrice": 40,
        "stock": stock,
        "soldOut": stock == 0,
        "pinned": False,
        **extra,
    }


def test_shop_orders_stock_pins_and_flash_countdown() -> None:
    now = datetime.now(UTC)
    state = ShopState("seller")
    flash = {
        "price": 30,
        "quantity": 2,
        "remaining": 2,
        "status": "active",
        "endsAt": (now + timedelta(seconds=90)).isoformat(),
    }
    state.load(
        ShopSession.from_wire(
            {
                "id": "shop",
                "status": "live",
                "seller": {"id": "seller"},
                "serverTime": now.isoformat(),
                "products": [_product("lamp", 2, flashSale=flash), _product("mug", 5)],
                "vouchers": [],
            }
        )
    )
    assert 85 < state.flash_seconds_left(state.products["lamp"]) <= 90
    assert state.flash_seconds_left(state.products["mug"]) == 0
    pinned = {"sessionId": "shop", "product": {**_product("mug", 5), "pinned": True}}
    assert state.apply(ServerEvent(Shopping.PRODUCT_PINNED, pinned))
    assert state.pinned is not None and state.pinned.product_id == "mug"

    order = {
        "id": "o1",
        "sessionId": "shop",
        "productId": "lamp",
        "productName": "Lamp",
        "buyer": {"displayName": "Fan"},
        "quantity": 2,
        "total": 60,
        "status": "placed",
    }
    event = {"sessionId": "shop", "order": order, "product": _product("lamp", 0)}
    assert state.apply(ServerEvent(Shopping.ORDER, event))
    state.apply(ServerEvent(Shopping.ORDER, event))  # delivered twice: listed once
    assert [o.buyer for o in state.orders] == ["Fan"] and state.products["lamp"].sold_out
    done = {**event, "order": {**order, "status": "fulfilled"}}
    state.apply(ServerEvent(Shopping.ORDER_UPDATED, done))
    assert [o.status for o in state.orders] == ["fulfilled"]
    state.apply(ServerEvent(Shopping.SOLD_OUT, {"sessionId": "shop", "productId": "mug"}))
    assert state.products["mug"].sold_out and state.products["mug"].stock == 0
    voucher = {"code": "HI", "type": "percent", "value": 10}
    state.apply(ServerEvent(Shopping.VOUCHER, {"sessionId": "shop", "voucher": voucher}))
    assert state.vouchers["HI"].label == "10% off"
    assert not state.apply(ServerEvent(Shopping.SOLD_OUT, {"sessionId": "x", "productId": "mug"}))
