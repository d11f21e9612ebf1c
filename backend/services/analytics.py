"""The spec's key metrics: computed from the database when asked, plus live WebRTC counters.

``AnalyticsService.report()`` reads battles, gifts, co-host sessions, live shopping and stream
filters straight from the tables (nothing to keep in sync, nothing lost by a restart). The
WebRTC figures cannot come from the database: the media code reports them as they happen
through ``MediaMetrics`` (connection attempts, RTT, packet loss, quality changes,
reconnections). Everything lives in a per-app ``CollectorRegistry``, never the global one, so
several apps in one process (tests, workers) keep separate numbers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from backend.storage.db import Database
from wire.analytics import (
    BattleFigures,
    CohostFigures,
    Figures,
    FilterFigures,
    MediaFigures,
    ShoppingFigures,
)

PREFIX = "onair"
RTT_BUCKETS_MS = (10, 25, 50, 100, 150, 200, 300, 500, 1000, 2000)
LOSS_BUCKETS_PCT = (0.1, 0.5, 1, 2, 3, 5, 10, 20, 50)
CONNECTION_KINDS = ("ingest", "egress", "peer")
TOP_FILTERS = 10
# Tables the stream-filters catalog keeps; metrics for a missing table are left out.
FILTER_USES_TABLE = "filter_applications"
FILTER_UNLOCKS_TABLE = "filter_unlocks"


def _ratio(part: float, whole: float) -> float:
    return round(part / whole, 4) if whole else 0.0


class MediaMetrics:
    """What the media plane reports while it runs; every method is cheap and never raises."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.connections = Counter(
            f"{PREFIX}_webrtc_connections",
            "WebRTC connection attempts by kind (ingest, egress, peer) and result.",
            ("kind", "result"),
            registry=registry,
        )
        self.rtt = Histogram(
            f"{PREFIX}_webrtc_rtt_milliseconds",
            "Round-trip times reported by peers, in milliseconds.",
            buckets=RTT_BUCKETS_MS,
            registry=registry,
        )
        self.loss = Histogram(
            f"{PREFIX}_webrtc_packet_loss_percent",
            "Packet loss reported by peers, in percent.",
            buckets=LOSS_BUCKETS_PCT,
            registry=registry,
        )
        self.quality_changes = Counter(
            f"{PREFIX}_webrtc_quality_changes",
            "Quality level changes (adaptations), by the level changed to.",
            ("level",),
            registry=registry,
        )
        self.reconnections = Counter(
            f"{PREFIX}_webrtc_reconnections",
            "Connections that replaced an earlier one of the same peer, by kind.",
            ("kind",),
            registry=registry,
        )

    def connection(self, kind: str, succeeded: bool) -> None:
        self.connections.labels(kind, "success" if succeeded else "failure").inc()

    def network(self, rtt_ms: float | None, loss_pct: float) -> None:
        if rtt_ms is not None:
            self.rtt.observe(rtt_ms)
        self.loss.observe(loss_pct)

    def quality_change(self, level: str) -> None:
        self.quality_changes.labels(level).inc()

    def reconnection(self, kind: str) -> None:
        self.reconnections.labels(kind).inc()

    def snapshot(self) -> MediaFigures:
        """The same numbers as JSON: attempts, success rate, averages and counts."""
        attempts = {kind: {"success": 0, "failure": 0} for kind in CONNECTION_KINDS}
        for sample in _samples(self.connections):
            attempts.setdefault(sample.labels["kind"], {"success": 0, "failure": 0})
            attempts[sample.labels["kind"]][sample.labels["result"]] = int(sample.value)
        succeeded = sum(a["success"] for a in attempts.values())
        tried = succeeded + sum(a["failure"] for a in attempts.values())
        return MediaFigures.model_validate(
            {
                "connections": attempts,
                "connectionSuccessRate": _ratio(succeeded, tried),
                "averageRttMs": _histogram_mean(self.rtt),
                "averagePacketLossPercent": _histogram_mean(self.loss),
                "qualityChanges": {
                    s.labels["level"]: int(s.value) for s in _samples(self.quality_changes)
                },
                "reconnections": {
                    s.labels["kind"]: int(s.value) for s in _samples(self.reconnections)
                },
            }
        )


def _samples(counter: Counter) -> Iterator[Any]:
    for metric in counter.collect():
        yield from (s for s in metric.samples if s.name.endswith("_total"))


def _histogram_mean(histogram: Histogram) -> float:
    values = {s.name.rsplit("_", 1)[-1]: s.value for m in histogram.collect() for s in m.samples}
    return round(values["sum"] / values["count"], 3) if values.get("count") else 0.0


class AnalyticsService:
    """Battles, gifts, co-hosting, shopping and filters from the database, at read time."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.registry = CollectorRegistry()
        self.media = MediaMetrics(self.registry)
        self.registry.register(_ReportCollector(self))

    def report(self) -> Figures:
        return Figures(
            pk_battles=self._battles(),
            multihost=self._multihost(),
            live_shopping=self._shopping(),
            stream_filters=self._filters(),
            webrtc=self.media.snapshot(),
        )

    # ---- features -----------------------------------------------------------------
    def _by_status(self, table: str) -> dict[str, int]:
        rows = self.db.all(f'SELECT status, COUNT(*) AS n FROM "{table}" GROUP BY status')
        return {row["status"]: row["n"] for row in rows}

    def _battles(self) -> BattleFigures:
        ended = self.db.one(
            "SELECT COUNT(*) AS n, COALESCE(SUM(isDraw), 0) AS draws,"
            " AVG((julianday(endedAt) - julianday(startedAt)) * 86400) AS seconds"
            " FROM pk_battles WHERE status = 'ended'"
        )
        gifts = self.db.one(
            "SELECT COUNT(*) AS n, COALESCE(SUM(coins), 0) AS coins,"
            " COUNT(DISTINCT battleId) AS battles, COUNT(DISTINCT senderId) AS senders"
            " FROM pk_gifts"
        )
        viewers = self.db.scalar("SELECT COUNT(*) FROM pk_viewers")
        assert ended is not None and gifts is not None
        return BattleFigures.model_validate(
            {
                "byStatus": self._by_status("pk_battles"),
                "ended": ended["n"],
                "draws": ended["draws"],
                "decided": ended["n"] - ended["draws"],
                "averageDurationSeconds": round(ended["seconds"] or 0.0, 3),
                "gifts": gifts["n"],
                "giftCoins": gifts["coins"],
                "giftCoinsPerBattle": _ratio(gifts["coins"], gifts["battles"]),
                "giftSenders": gifts["senders"],
                "viewers": viewers,
            }
        )

    def _multihost(self) -> CohostFigures:
        seats = self.db.one(
            "SELECT COUNT(*) AS sessions, AVG(n) AS average, COALESCE(MAX(n), 0) AS most FROM"
            " (SELECT COUNT(*) AS n FROM multihost_hosts GROUP BY sessionId)"
        )
        duration = self.db.scalar(
            "SELECT AVG((julianday(endedAt) - julianday(startedAt)) * 86400)"
            " FROM multihost_sessions WHERE status = 'ended' AND startedAt IS NOT NULL"
        )
        layouts = self.db.all(
            "SELECT json_extract(layout, '$.mode') AS mode, COUNT(*) AS n"
            " FROM multihost_sessions GROUP BY mode"
        )
        assert seats is not None
        return CohostFigures.model_validate(
            {
                "byStatus": self._by_status("multihost_sessions"),
                "averageHostsPerSession": round(seats["average"] or 0.0, 3),
                "maxHostsPerSession": seats["most"],
                "layouts": {row["mode"]: row["n"] for row in layouts},
                "averageDurationSeconds": round(duration or 0.0, 3),
            }
        )

    def _shopping(self) -> ShoppingFigures:
        orders = self.db.one(
            "SELECT COUNT(*) FILTER (WHERE status != 'cancelled') AS orders,"
            " COUNT(*) FILTER (WHERE status = 'cancelled') AS cancelled,"
            " COALESCE(SUM(total) FILTER (WHERE status != 'cancelled'), 0) AS revenue,"
            " COALESCE(SUM(quantity) FILTER (WHERE status != 'cancelled'), 0) AS units"
            " FROM shopping_orders"
        )
        items = self.db.one(
            "SELECT COUNT(*) AS added, COUNT(*) FILTER (WHERE flashQuantity > 0) AS flash,"
            " COUNT(*) FILTER (WHERE flashQuantity > 0 AND flashRemaining = 0) AS soldThrough,"
            " COALESCE(SUM(flashQuantity), 0) AS offered,"
            " COALESCE(SUM(flashQuantity - flashRemaining), 0) AS flashSold"
            " FROM shopping_products"
        )
        views = self.db.scalar(
            "SELECT COUNT(*) FROM shopping_interactions WHERE type = 'view'"
        )  # one row per viewer, product and session: unique views
        sessions = self.db.scalar(
            "SELECT COUNT(*) FROM shopping_sessions WHERE status != 'scheduled'"
        )
        assert orders is not None and items is not None
        return ShoppingFigures.model_validate(
            {
                "byStatus": self._by_status("shopping_sessions"),
                "productsAdded": items["added"],
                "orders": orders["orders"],
                "cancelledOrders": orders["cancelled"],
                "unitsSold": orders["units"],
                "revenue": orders["revenue"],
                "revenuePerSession": _ratio(orders["revenue"], sessions),
                "uniqueViews": views,
                "conversionRate": _ratio(orders["orders"], views),
                "averageOrderValue": _ratio(orders["revenue"], orders["orders"]),
                "flashSales": items["flash"],
                "flashSalesSoldThrough": items["soldThrough"],
                "flashSaleSuccessRate": _ratio(items["soldThrough"], items["flash"]),
                "flashUnitsOffered": items["offered"],
                "flashUnitsSold": items["flashSold"],
            }
        )

    def _filters(self) -> FilterFigures:
        """Filter use and unlocks, from the catalog's tables once they exist."""
        uses_columns = self._columns(FILTER_USES_TABLE)
        unlock_columns = self._columns(FILTER_UNLOCKS_TABLE)
        report: dict[str, Any] = {"available": bool(uses_columns or unlock_columns)}
        if "filterId" in uses_columns:
            users = "COUNT(DISTINCT userId)" if "userId" in uses_columns else "0"
            rows = self.db.all(
                f"SELECT filterId, COUNT(*) AS n, {users} AS users FROM {FILTER_USES_TABLE}"
                " GROUP BY filterId ORDER BY n DESC LIMIT ?",
                (TOP_FILTERS,),
            )
            report["uses"] = self.db.scalar(f"SELECT COUNT(*) FROM {FILTER_USES_TABLE}")
            report["topFilters"] = {row["filterId"]: row["n"] for row in rows}
            report["usersPerFilter"] = {row["filterId"]: row["users"] for row in rows}
        if unlock_columns:
            coins = "COALESCE(SUM(coins), 0)" if "coins" in unlock_columns else "0"
            row = self.db.one(f"SELECT COUNT(*) AS n, {coins} AS coins FROM {FILTER_UNLOCKS_TABLE}")
            assert row is not None
            report["unlocks"] = row["n"]
            report["unlockRevenue"] = row["coins"]
            if "userId" in unlock_columns and "userId" in uses_columns:
                unlockers = self.db.scalar(
                    f"SELECT COUNT(DISTINCT userId) FROM {FILTER_UNLOCKS_TABLE}"
                )
                users = self.db.scalar(f"SELECT COUNT(DISTINCT userId) FROM {FILTER_USES_TABLE}")
                report["unlockConversionRate"] = _ratio(unlockers, users)
        return FilterFigures.model_validate(report)

    def _columns(self, table: str) -> set[str]:
        return {row["name"] for row in self.db.all(f'PRAGMA table_info("{table}")')}


class _ReportCollector(Collector):
    """Turns ``report()`` into Prometheus families at scrape time."""

    def __init__(self, analytics: AnalyticsService) -> None:
        self.analytics = analytics

    def collect(self) -> Iterator[Metric]:
        report = self.analytics.report()
        pk, mh, shop = report.pk_battles, report.multihost, report.live_shopping
        yield _by_label("pk_battles", "PK battles by status.", "status", pk.by_status)
        yield _counter("pk_battles_ended", "PK battles ended (time or forfeit).", pk.ended)
        yield _counter("pk_battle_draws", "PK battles that ended in a draw.", pk.draws)
        yield _gauge(
            "pk_battle_duration_seconds_average",
            "Average length of ended PK battles.",
            pk.average_duration_seconds,
        )
        yield _counter("pk_gifts", "Gifts sent in PK battles.", pk.gifts)
        yield _counter("pk_gift_coins", "Gift revenue in PK battles, in coins.", pk.gift_coins)
        yield _gauge(
            "pk_gift_coins_per_battle",
            "Average gift revenue of a battle that got gifts, in coins.",
            pk.gift_coins_per_battle,
        )
        yield _counter("pk_battle_viewers", "Signed-in viewers who took part.", pk.viewers)
        yield _by_label("multihost_sessions", "Co-host sessions by status.", "status", mh.by_status)
        yield _gauge(
            "multihost_hosts_per_session_average",
            "Average number of hosts who joined a co-host session.",
            mh.average_hosts_per_session,
        )
        yield _gauge(
            "multihost_hosts_per_session_max",
            "Most hosts that joined one co-host session.",
            mh.max_hosts_per_session,
        )
        yield _by_label(
            "multihost_sessions_by_layout",
            "Co-host sessions by their layout.",
            "layout",
            mh.layouts,
        )
        yield _gauge(
            "multihost_session_duration_seconds_average",
            "Average length of ended co-host sessions.",
            mh.average_duration_seconds,
        )
        yield from _shopping_metrics(shop)
        yield from _filter_metrics(report.stream_filters)


def _shopping_metrics(shop: ShoppingFigures) -> Iterator[Metric]:
    yield _by_label(
        "shopping_sessions", "Live-shopping sessions by status.", "status", shop.by_status
    )
    for value, name, text in (
        (shop.products_added, "shopping_products_added", "Products added to sessions."),
        (shop.orders, "shopping_orders", "Orders placed and not cancelled."),
        (shop.cancelled_orders, "shopping_orders_cancelled", "Orders cancelled."),
        (shop.units_sold, "shopping_units_sold", "Units sold."),
        (shop.revenue, "shopping_revenue_coins", "Shopping revenue, in coins."),
        (shop.unique_views, "shopping_product_views", "Unique product views."),
        (shop.flash_sales, "shopping_flash_sales", "Flash sales run."),
        (shop.flash_sales_sold_through, "shopping_flash_sales_sold_through", "Sold-out sales."),
    ):
        yield _counter(name, text, value)
    for ratio, name, text in (
        (shop.conversion_rate, "shopping_conversion_ratio", "Orders per unique product view."),
        (shop.average_order_value, "shopping_order_value_coins_average", "Average order value."),
        (shop.revenue_per_session, "shopping_revenue_per_session_coins", "Revenue per session."),
        (shop.flash_sale_success_rate, "shopping_flash_sale_success_ratio", "Sales sold through."),
    ):
        yield _gauge(name, text, ratio)


def _filter_metrics(filters: FilterFigures) -> Iterator[Metric]:
    if filters.uses is not None:
        yield _counter("filter_uses", "Stream filters applied.", filters.uses)
        yield _by_label(
            "filter_uses_top", "Uses of the most used filters.", "filter", filters.top_filters or {}
        )
    if filters.unlocks is not None:
        yield _counter("filter_unlocks", "Premium filters unlocked.", filters.unlocks)
        yield _counter(
            "filter_unlock_coins", "Premium filter revenue, in coins.", filters.unlock_revenue or 0
        )
    if filters.unlock_conversion_rate is not None:
        yield _gauge(
            "filter_unlock_conversion_ratio",
            "Users who unlocked a filter per user who applied one.",
            filters.unlock_conversion_rate,
        )


def _gauge(name: str, text: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_{name}", text, value=value)


def _counter(name: str, text: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(f"{PREFIX}_{name}", text, value=value)


def _by_label(name: str, text: str, label: str, values: dict[str, int]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(f"{PREFIX}_{name}", text, labels=(label,))
    for key, value in sorted(values.items(), key=lambda item: str(item[0])):
        family.add_metric((str(key),), value)
    return family
