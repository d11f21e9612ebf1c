"""``GET /api/admin/analytics``: the spec's key metrics as JSON (the same numbers as /metrics).

Counts are whole numbers; rates are ratios (0..1) rounded to 4 places, averages to 3.
"""

from __future__ import annotations

from wire.base import WireModel, absent_when_none


class BattleFigures(WireModel):
    by_status: dict[str, int]
    ended: int
    draws: int
    decided: int
    average_duration_seconds: float
    gifts: int
    gift_coins: int
    gift_coins_per_battle: float
    gift_senders: int
    viewers: int


class CohostFigures(WireModel):
    by_status: dict[str, int]
    average_hosts_per_session: float
    max_hosts_per_session: int
    layouts: dict[str, int]  # sessions by layout mode
    average_duration_seconds: float


class ShoppingFigures(WireModel):
    by_status: dict[str, int]
    products_added: int
    orders: int
    cancelled_orders: int
    units_sold: int
    revenue: int
    revenue_per_session: float
    unique_views: int
    conversion_rate: float
    average_order_value: float
    flash_sales: int
    flash_sales_sold_through: int
    flash_sale_success_rate: float
    flash_units_offered: int
    flash_units_sold: int


class FilterFigures(WireModel):
    """Filter use and unlocks; each group is absent until the catalog's tables exist."""

    available: bool
    uses: int | None = absent_when_none()
    top_filters: dict[str, int] | None = absent_when_none()
    users_per_filter: dict[str, int] | None = absent_when_none()
    unlocks: int | None = absent_when_none()
    unlock_revenue: int | None = absent_when_none()
    unlock_conversion_rate: float | None = absent_when_none()


class ConnectionAttempts(WireModel):
    success: int
    failure: int


class MediaFigures(WireModel):
    connections: dict[str, ConnectionAttempts]  # by kind: ingest, egress, peer
    connection_success_rate: float
    average_rtt_ms: float
    average_packet_loss_percent: float
    quality_changes: dict[str, int]  # by the level changed to
    reconnections: dict[str, int]  # by kind


class RealtimeFigures(WireModel):
    connections: int
    rooms: int
    slow_clients_dropped: int
    binary_frames_refused: int


class Figures(WireModel):
    """What the database and the media plane's counters tell."""

    pk_battles: BattleFigures
    multihost: CohostFigures
    live_shopping: ShoppingFigures
    stream_filters: FilterFigures
    webrtc: MediaFigures


class Analytics(Figures):
    realtime: RealtimeFigures
