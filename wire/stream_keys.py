"""Stream keys: what the studio's settings list, and the key itself, shown once."""

from __future__ import annotations

from wire.base import Timestamp, WireModel


class StreamKeyInfo(WireModel):
    """A key as listed: its hint (last characters) tells keys apart; the key is never shown
    again after it is made."""

    id: str
    stream: str
    label: str
    hint: str
    created_at: Timestamp
    last_used_at: Timestamp | None = None


class NewStreamKey(StreamKeyInfo):
    """``POST /api/streams/{stream}/keys``: the new key, the only time it is shown."""

    key: str
