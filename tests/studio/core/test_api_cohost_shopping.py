"""The studio's typed co-host and live-shopping calls against a real backend on loopback."""

from __future__ import annotations

import pytest

from studio.core.api_client import ApiError
from studio.core.state import layout_key
from tests.servers import LiveServer
from tests.studio.core.test_api_client import _signed_in


async def test_cohost_session_invite_accept_settings_layout_remove(server: LiveServer) -> None:
    primary, guest, asker = (
        await _signed_in(server),
        await _signed_in(server),
        await _signed_in(server),
    )
    try:
        me, them, other = await primary.me(), await guest.me(), await asker.me()
        session = await primary.create_cohost_session("Late show", "podcast", "grid", "2x2")
        assert (session.status, session.primary_host.id, layout_key(session.layout)) == (
            "scheduled",
            me.id,
            "grid-2x2",
        )
        assert [h.user_id for h in session.hosts] == [me.id] and session.hosts[0].primary
        assert (await primary.start_cohost_session(session.id)).status == "live"

        invitation = await primary.invite_cohost(session.id, them.id)
        assert (invitation.kind, invitation.user.id) == ("invite", them.id)
        pending = await primary.cohost_session(session.id)
        assert pending.pending is not None
        assert [i.user.id for i in pending.pending.invitations] == [them.id]
        joined = await guest.accept_cohost_invite(session.id)
        assert [h.user_id for h in joined.hosts] == [me.id, them.id]
        assert joined.layout.order == [me.id, them.id] and joined.topology == "mesh"
        assert [s.id for s in await guest.user_cohost_sessions(them.id)] == [session.id]
        assert (await guest.cohost_room(session.id)).endswith(session.id)

        request = await asker.request_to_cohost(session.id, "let me in")
        assert (request.kind, request.message) == ("request", "let me in")
        asked = (await primary.cohost_session(session.id)).pending
        assert asked is not None and [r.user.id for r in asked.requests] == [other.id]
        declined = await primary.answer_cohost_request(session.id, other.id, approve=False)
        assert declined.pending is not None and declined.pending.requests == []
        assert len(declined.hosts) == 2

        muted = await primary.cohost_settings(session.id, user_id=them.id, audio=False)
        assert (muted.user_id, muted.audio_enabled, muted.video_enabled) == (them.id, False, True)
        with pytest.raises(ApiError) as unmute:
            await primary.cohost_settings(session.id, user_id=them.id, audio=True)
        assert unmute.value.code == "own_settings_only"
        changed = await primary.change_cohost_layout(session.id, "spotlight", main_host=them.id)
        layout = (await guest.cohost_session(session.id)).layout
        assert layout == changed
        assert (layout_key(layout), layout.main_host_id, layout.order) == (
            "spotlight",
            them.id,
            [them.id, me.id],
        )
        await primary.change_cohost_layout(session.id, "pip")
        assert [o.user_id for o in (await primary.cohost_session(session.id)).layout.overlays] == [
            me.id
        ]

        with pytest.raises(ApiError) as not_manager:
            await guest.remove_cohost(session.id, me.id)
        assert not_manager.value.code == "not_manager"
        removed = await primary.remove_cohost(session.id, them.id)
        assert [h.user_id for h in removed.hosts] == [me.id]
        ended = await primary.end_cohost_session(session.id)
        assert (ended.status, ended.open) == ("ended", False)
    finally:
        for api in (primary, guest, asker):
            await api.aclose()


async def test_products_session_flash_sale_orders_vouchers_analytics(server: LiveServer) -> None:
    seller, buyer = await _signed_in(server), await _signed_in(server, coins=1_000)
    try:
        lamp = await seller.create_product("Moon lamp", 120, 3, "Warm light")
        mug = await seller.create_product("Mug", 40, 10)
        assert [p.id for p in await seller.products()] == [mug.id, lamp.id]
        shop = await seller.create_shop_session("Friday deals")
        assert shop.status == "scheduled"
        shop = await seller.start_shop_session(shop.id)
        added = await seller.add_live_product(shop.id, lamp.id, live_price=100, flash=(80, 2, 60))
        assert (added.live_price, added.current_price, added.stock) == (100, 80, 3)
        assert added.flash_sale is not None and added.flash_sale.active
        assert added.flash_sale.ends_at is not None and added.flash_sale.remaining == 2
        await seller.add_live_product(shop.id, mug.id)
        pinned = await seller.pin_product(shop.id, lamp.id)
        assert pinned is not None and pinned.pinned
        voucher = await seller.create_voucher(shop.id, "save10", "fixed", 10, usage_limit=5)
        assert (voucher.code, voucher.type, voucher.value, voucher.remaining) == (
            "SAVE10",
            "fixed",
            10,
            5,
        )

        order = await buyer.place_order(shop.id, lamp.id, 3, voucher="SAVE10")
        assert (order.quantity, order.total, order.discount) == (3, 80 * 2 + 100 - 10, 10)
        with pytest.raises(ApiError) as sold_out:
            await buyer.place_order(shop.id, lamp.id)
        assert sold_out.value.code == "out_of_stock"
        detail = await seller.shop_session(shop.id)
        lamp_live = next(p for p in detail.products if p.product_id == lamp.id)
        assert (lamp_live.stock, lamp_live.sold_out, lamp_live.pinned) == (0, True, True)
        assert [v.used for v in detail.vouchers] == [1]
        assert [o.id for o in await seller.shop_orders(shop.id)] == [order.id]
        fulfilled = await seller.set_order_status(shop.id, order.id, "fulfilled")
        assert fulfilled.status == "fulfilled"

        stats = await seller.shop_analytics(shop.id)
        assert (stats.totals.orders, stats.totals.units_sold, stats.totals.revenue) == (1, 3, 250)
        assert stats.flash_sales.sell_through == 1.0
        assert {p.name: p.units_sold for p in stats.products} == {"Moon lamp": 3, "Mug": 0}
        assert await seller.pin_product(shop.id, None) is None
        mug_flash = await seller.start_flash_sale(shop.id, mug.id, (30, 4, 60))
        assert mug_flash.current_price == 30 and mug_flash.flash_sale is not None
        assert mug_flash.flash_sale.active and mug_flash.flash_sale.remaining == 4
    finally:
        await seller.aclose()
        await buyer.aclose()


async def test_only_the_seller_manages_a_shop(server: LiveServer) -> None:
    seller, other = await _signed_in(server), await _signed_in(server)
    try:
        shop = await seller.start_shop_session((await seller.create_shop_session("Mine")).id)
        with pytest.raises(ApiError) as refused:
            await other.shop_analytics(shop.id)
        assert (refused.value.status, refused.value.code) == (403, "not_seller")
    finally:
        await seller.aclose()
        await other.aclose()
