"""/metrics and /api/admin/analytics: admin only, the spec's key metrics from the real database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from backend.app import create_app
from backend.services.analytics import PREFIX
from backend.services.container import Services
from backend.settings import Settings
from onair_cli import main as onair
from tests.backend.api_helpers import ApiUser, Listener, register
from tests.servers import LiveServer, database_args, make_settings, running_server
from wire.analytics import ConnectionAttempts

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
async def client(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        yield http


async def admin_user(client: httpx.AsyncClient, server: LiveServer) -> ApiUser:
    user = await register(client)
    assert onair(["admin", "grant", user.username, *database_args(server.settings)]) == 0
    return user


async def scrape(admin: ApiUser) -> Samples:
    response = await admin.call("GET", "/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def services_of(server: LiveServer) -> Services:
    services: Services = server.app.state.services
    return services


async def test_metrics_and_analytics_are_for_admins_only(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    user = await register(client)
    guest = (await client.post("/api/auth/guest")).json()["data"]["token"]
    for path in ("/metrics", "/api/admin/analytics"):
        assert (await client.get(path)).status_code == 401
        as_guest = await client.get(path, headers={"Authorization": f"Bearer {guest}"})
        assert as_guest.status_code == 403
        assert (await user.call("GET", path)).status_code == 403
    db = database_args(server.settings)
    # The role is read at every request: the token issued before the grant works at once.
    assert onair(["admin", "grant", user.username, *db]) == 0
    assert (await user.call("GET", "/metrics")).status_code == 200
    assert (await user.call("GET", "/api/admin/analytics")).status_code == 200
    assert onair(["admin", "revoke", user.username, *db]) == 0
    assert (await user.call("GET", "/metrics")).status_code == 403
    assert onair(["admin", "grant", "nobody-here", *db]) == 1


async def test_key_metrics_come_from_the_database(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    admin = await admin_user(client, server)
    host1, host2 = await register(client), await register(client)
    fan, browser = await register(client, coins=1000), await register(client)
    services = services_of(server)

    battle = await host1.data("POST", "/api/pk-battles", json={"opponent": host2.id, "duration": 2})
    await host2.data("POST", f"/api/pk-battles/{battle['id']}/accept")
    for gift, to in (("star", host2.id), ("rose", host1.id)):
        gift_body = {"giftId": gift, "quantity": 3, "toHost": to}
        await fan.data("POST", f"/api/pk-battles/{battle['id']}/gift", json=gift_body)
    services.pk.end_battle(battle["id"])

    session = await host1.data(
        "POST", "/api/multihost", json={"title": "Talk", "type": "panel", "layout": "spotlight"}
    )
    await host1.data("POST", f"/api/multihost/{session['id']}/invite", json={"userId": host2.id})
    await host2.data("POST", f"/api/multihost/{session['id']}/accept")

    product = await host1.data(
        "POST", "/api/products", json={"name": "Mug", "price": 100, "stock": 10}
    )
    shop = await host1.data("POST", "/api/live-shopping", json={"title": "Mugs"})
    await host1.data("POST", f"/api/live-shopping/{shop['id']}/start")
    flash = {"price": 50, "quantity": 2, "expiresIn": 60_000}
    await host1.data(
        "POST",
        f"/api/live-shopping/{shop['id']}/products",
        json={"productId": product["id"], "flashSale": flash},
    )
    for viewer in (fan, browser):
        await viewer.data(
            "POST",
            f"/api/live-shopping/{shop['id']}/interactions",
            json={"productId": product["id"], "type": "view"},
        )
    order = {"productId": product["id"], "quantity": 3}
    await fan.data("POST", f"/api/live-shopping/{shop['id']}/orders", json=order)

    media = services.analytics.media
    media.connection("ingest", True)
    media.connection("egress", True)
    media.connection("egress", False)
    media.network(40.0, 0.5)
    media.network(None, 2.5)
    media.quality_change("hd")
    media.reconnection("egress")

    async with Listener(server.ws_url, fan.token):
        samples = await scrape(admin)
        report = await admin.data("GET", "/api/admin/analytics")

    expected_samples = {
        ("onair_pk_battles", (("status", "ended"),)): 1,
        ("onair_pk_battles_ended_total", ()): 1,
        ("onair_pk_gifts_total", ()): 2,
        ("onair_pk_gift_coins_total", ()): 33,
        ("onair_pk_gift_coins_per_battle", ()): 33,
        ("onair_multihost_sessions", (("status", "scheduled"),)): 1,
        ("onair_multihost_hosts_per_session_average", ()): 2,
        ("onair_multihost_sessions_by_layout", (("layout", "spotlight"),)): 1,
        ("onair_shopping_sessions", (("status", "live"),)): 1,
        ("onair_shopping_products_added_total", ()): 1,
        ("onair_shopping_orders_total", ()): 1,
        ("onair_shopping_revenue_coins_total", ()): 200,  # 2 at the flash price, 1 at 100
        ("onair_shopping_product_views_total", ()): 2,
        ("onair_shopping_conversion_ratio", ()): 0.5,
        ("onair_shopping_order_value_coins_average", ()): 200,
        ("onair_shopping_flash_sales_sold_through_total", ()): 1,
        ("onair_shopping_flash_sale_success_ratio", ()): 1,
        ("onair_webrtc_connections_total", (("kind", "egress"), ("result", "failure"))): 1,
        ("onair_webrtc_connections_total", (("kind", "egress"), ("result", "success"))): 1,
        ("onair_webrtc_rtt_milliseconds_count", ()): 1,
        ("onair_webrtc_rtt_milliseconds_bucket", (("le", "50.0"),)): 1,
        ("onair_webrtc_packet_loss_percent_sum", ()): 3,
        ("onair_webrtc_quality_changes_total", (("level", "hd"),)): 1,
        ("onair_webrtc_reconnections_total", (("kind", "egress"),)): 1,
        ("onair_ws_connections", ()): 1,
        ("onair_ws_binary_frames_refused_total", ()): 0,
    }
    assert {key: samples.get(key) for key in expected_samples} == expected_samples
    assert samples[("onair_pk_battle_duration_seconds_average", ())] >= 0

    assert report["pkBattles"]["giftCoins"] == 33 and report["pkBattles"]["decided"] == 1
    assert report["multihost"]["layouts"] == {"spotlight": 1}
    shopping = report["liveShopping"]
    assert (shopping["orders"], shopping["revenue"], shopping["conversionRate"]) == (1, 200, 0.5)
    assert (shopping["flashUnitsOffered"], shopping["flashUnitsSold"]) == (2, 2)
    webrtc = report["webrtc"]
    assert webrtc["connectionSuccessRate"] == round(2 / 3, 4)
    assert (webrtc["averageRttMs"], webrtc["averagePacketLossPercent"]) == (40.0, 1.5)
    assert report["realtime"]["connections"] == 1


async def test_filter_use_and_unlocks(server: LiveServer, client: httpx.AsyncClient) -> None:
    admin = await admin_user(client, server)
    streamer, other = await register(client, coins=1000), await register(client, coins=1000)
    db = services_of(server).db
    free, premium = (
        db.scalar("SELECT id FROM stream_filters WHERE premium = ? LIMIT 1", (flag,))
        for flag in (0, 1)
    )
    price = db.scalar("SELECT price FROM stream_filters WHERE id = ?", (premium,))
    await streamer.data("POST", f"/api/stream-filters/{premium}/unlock")
    for user, filter_id in ((streamer, free), (streamer, free), (streamer, premium), (other, free)):
        body = {"streamId": user.username}
        await user.data("POST", f"/api/stream-filters/{filter_id}/apply", json=body)

    samples = await scrape(admin)
    assert samples[("onair_filter_uses_total", ())] == 4
    assert samples[("onair_filter_uses_top", (("filter", free),))] == 3
    assert samples[("onair_filter_unlocks_total", ())] == 1
    assert samples[("onair_filter_unlock_coins_total", ())] == price
    assert samples[("onair_filter_unlock_conversion_ratio", ())] == 0.5
    filters = (await admin.data("GET", "/api/admin/analytics"))["streamFilters"]
    assert filters["usersPerFilter"][free] == 2 and filters["available"] is True


def test_every_app_has_its_own_registry(tmp_path: Path) -> None:
    apps = [
        create_app(Settings(db_path=tmp_path / f"{n}.sqlite3", jwt_secret="k" * 40))
        for n in range(2)
    ]
    first, second = (app.state.services.analytics for app in apps)
    first.media.connection("ingest", True)
    assert first.media.snapshot().connections["ingest"].success == 1
    assert second.media.snapshot().connections["ingest"].success == 0
    for app in apps:
        app.state.services.db.close()


async def test_media_plane_reports_connections_network_and_quality(
    server: LiveServer, client: httpx.AsyncClient
) -> None:
    streamer = await register(client)
    refused = await streamer.call(
        "POST",
        f"/whip/{streamer.username}",
        content="v=0 not an offer",
        headers={"Content-Type": "application/sdp"},
    )
    assert refused.status_code == 400
    for rtt, loss in ((20.0, 0.0), (400.0, 12.0)):
        await streamer.data(
            "POST", "/api/webrtc/quality/adapt", json={"rtt": rtt, "packetLoss": loss}
        )
    media = services_of(server).analytics.media.snapshot()
    assert media.connections["ingest"] == ConnectionAttempts(success=0, failure=1)
    assert media.average_rtt_ms == pytest.approx(210.0)
    assert media.average_packet_loss_percent == pytest.approx(6.0)


async def test_a_static_metrics_token_lets_prometheus_scrape(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "scrape.sqlite3", metrics_token="scrape-" + "t" * 32)
    with running_server(settings) as live:
        async with httpx.AsyncClient(base_url=live.url) as http:
            scraped = await http.get(
                "/metrics", headers={"Authorization": f"Bearer {settings.metrics_token}"}
            )
            assert scraped.status_code == 200
            assert f"{PREFIX}_ws_connections" in scraped.text
            wrong = await http.get("/metrics", headers={"Authorization": "Bearer scrape-wrong"})
            assert wrong.status_code == 401
            user = await register(http)
            assert (await user.call("GET", "/metrics")).status_code == 403
            # The token is for /metrics only: the JSON analytics still need an admin.
            analytics = await http.get(
                "/api/admin/analytics",
                headers={"Authorization": f"Bearer {settings.metrics_token}"},
            )
            assert analytics.status_code == 401
