"""Users' custom filters: presets of catalog filters with chosen values, owned by their author,
private or shared in the marketplace."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from backend.errors import Forbidden, InvalidInput, NotFound
from backend.services.stream_filters.presenters import FilterPresenter
from backend.services.stream_filters.rules import (
    CUSTOM_SCOPES,
    check_custom,
    check_shareable,
    require_unlocked,
    validated,
)
from backend.services.stream_filters.store import FilterStore
from filters.presets import Preset, PresetEntry, PresetError
from wire.stream_filters import CustomDeleted, CustomFilter


class CustomFilters:
    def __init__(self, store: FilterStore, present: FilterPresenter) -> None:
        self.store = store
        self.db = store.db
        self.present = present

    def create(
        self,
        author_id: str,
        name: str,
        description: str,
        public: bool,
        entries: Iterable[Mapping[str, Any]],
    ) -> CustomFilter:
        """A preset of known filters with valid parameters, owned by its author."""
        name, description = name.strip(), description.strip()
        items = list(entries)
        check_custom(name, description, len(items))
        with self.db.transaction():
            unlocked = self.store.viewer(author_id).unlocked
            chain = [self._entry(i, item, unlocked, public) for i, item in enumerate(items)]
            preset = Preset(name, tuple(chain), description)
            try:  # the stored JSON is exactly what the studio loads
                Preset.from_dict(preset.to_dict())
            except PresetError as exc:
                raise InvalidInput(str(exc), code="invalid_filters") from None
            row = self.db.insert(
                "custom_filters",
                {
                    "authorId": author_id,
                    "name": name,
                    "description": description,
                    "public": int(public),
                    "preset": json.dumps(preset.to_dict()),
                },
            )
            return self.present.custom_filter(row, author_id)

    def _entry(
        self, index: int, item: Mapping[str, Any], unlocked: set[str], public: bool
    ) -> PresetEntry:
        """Entry ``index`` of a new custom filter, checked like an apply of that filter."""
        filter_id = str(item["id"])
        where = f"filters[{index}] ({filter_id}): "
        row = self.db.one(
            "SELECT * FROM stream_filters WHERE id = ? AND available = 1", (filter_id,)
        )
        if row is None:
            raise InvalidInput(f"{where}there is no such filter.", code="unknown_filter")
        params = dict(item.get("params") or {})
        try:
            values = validated(filter_id, params, where)
        except NotFound:
            raise InvalidInput(f"{where}there is no such filter.", code="unknown_filter") from None
        require_unlocked(row, filter_id in unlocked, where)
        chosen = {key: values[key] for key in params}
        if public:
            check_shareable(filter_id, chosen, where)
        return PresetEntry(filter_id, chosen, bool(item.get("enabled", True)))

    def listing(
        self, viewer_id: str, scope: str = "marketplace", limit: int = 50
    ) -> list[CustomFilter]:
        """``marketplace``: everyone's public custom filters; ``mine``: all of the viewer's."""
        if scope not in CUSTOM_SCOPES:
            raise InvalidInput("scope must be marketplace or mine.", code="invalid_scope")
        if scope == "mine":
            rows = self.db.all(
                "SELECT * FROM custom_filters WHERE authorId = ?"
                " ORDER BY createdAt DESC, rowid DESC LIMIT ?",
                (viewer_id, limit),
            )
        else:
            rows = self.db.all(
                "SELECT * FROM custom_filters WHERE public = 1"
                " ORDER BY createdAt DESC, rowid DESC LIMIT ?",
                (limit,),
            )
        return self.present.custom_filters(rows, viewer_id)

    def get(self, viewer_id: str, custom_id: str) -> CustomFilter:
        return self.present.custom_filter(
            self.store.visible_custom(custom_id, viewer_id), viewer_id
        )

    def delete(self, user_id: str, custom_id: str) -> CustomDeleted:
        with self.db.transaction():
            row = self.store.visible_custom(custom_id, user_id)
            if row["authorId"] != user_id:
                raise Forbidden("Only its author can delete a custom filter.", code="not_author")
            self.db.execute("DELETE FROM custom_filters WHERE id = ?", (custom_id,))
        return CustomDeleted(id=custom_id)
