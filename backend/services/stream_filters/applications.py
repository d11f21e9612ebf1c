"""Applying a filter on one's own stream: the parameters checked against the filter's declared
ranges, the use recorded, the stream's room (``stream:{stream}``) and the streamer told."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from backend.errors import Forbidden, InvalidInput
from backend.services.records import announce, fetch
from backend.services.stream_filters.presenters import FilterPresenter
from backend.services.stream_filters.rules import require_unlocked, validated
from backend.services.stream_filters.store import FilterStore
from backend.services.webrtc import owns_stream, validate_stream_name
from wire.events import StreamFilters, stream_room, user_room
from wire.stream_filters import FilterApplied


class Applications:
    def __init__(self, store: FilterStore, present: FilterPresenter) -> None:
        self.store = store
        self.db = store.db
        self.present = present

    def apply(
        self, user_id: str, filter_id: str, stream_id: str, parameters: Mapping[str, Any]
    ) -> FilterApplied:
        """Validate and record one use on the caller's stream; tell the stream's room."""
        with self.db.transaction():
            row = self.store.available(filter_id)
            stream = self._own_stream(user_id, stream_id)
            require_unlocked(row, self.store.has_unlocked(user_id, filter_id))
            values = validated(filter_id, parameters)
            application = self.db.insert(
                "filter_applications",
                {
                    "filterId": filter_id,
                    "userId": user_id,
                    "streamId": stream,
                    "parameters": json.dumps(values),
                },
            )
            self.db.execute(
                "UPDATE stream_filters SET usageCount = usageCount + 1 WHERE id = ?", (filter_id,)
            )
            applied = self.present.applied(application, row, values, user_id)
            announce(
                self.db,
                self.store.events,
                (stream_room(stream), user_room(user_id)),
                StreamFilters.APPLIED,
                applied,
            )
        return applied

    def _own_stream(self, user_id: str, stream_id: str) -> str:
        """The caller's stream as the media code names it (``username`` or ``username~label``);
        the caller's user id stands for their main stream."""
        user = fetch(self.db, "users", user_id, "That user does not exist.", "user_not_found")
        username = str(user["username"])
        if stream_id == user_id:
            return username
        someone_else = self.db.one("SELECT id FROM users WHERE id = ?", (stream_id,))
        if someone_else is None:
            try:
                validate_stream_name(stream_id)
            except InvalidInput as exc:
                raise InvalidInput(exc.message, code="invalid_stream") from None
        if someone_else is not None or not owns_stream(stream_id, username):
            raise Forbidden(
                f"You can only apply filters to your own stream ({username},"
                f" {username}~label or your user id).",
                code="not_your_stream",
            )
        # Imported here: backend.services.streams imports the container, which imports us.
        from backend.services.streams import canonical_name

        return canonical_name(stream_id, username)
