"""``GET /api/health``: liveness and a few numbers."""

from __future__ import annotations

from typing import Literal

from wire.base import WireModel


class Health(WireModel):
    status: Literal["ok"]
    schema_version: int
    connections: int  # open /ws connections on this process
