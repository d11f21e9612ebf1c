"""The session's shared layout: changed by its managers, re-fitted whenever the hosts change."""

from __future__ import annotations

import json

from backend.services.multihost import rules
from backend.services.multihost.layout_rules import (
    LayoutChange,
    StoredLayout,
    normalize_layout,
    same_shape,
    validated_layout,
)
from backend.services.multihost.presenters import Presenter
from backend.services.multihost.store import SessionStore
from backend.storage.db import Row, now_iso
from wire.events import MultiHost
from wire.multihost import CohostLayout, LayoutChanged
from wire.topology import topology


def first_layout(mode: str, grid: str | None, primary: str) -> StoredLayout:
    """A new session's layout: the primary host alone on the stage."""
    state: StoredLayout = {
        "mode": mode,
        "grid": grid,
        "version": 1,
        "changedBy": primary,
        "changedAt": now_iso(),
        "mainHostId": None,
        "order": [],
        "overlays": [],
    }
    return normalize_layout(state, [primary], primary)


class Layouts:
    def __init__(self, store: SessionStore, present: Presenter) -> None:
        self.store = store
        self.present = present

    def change(self, session_id: str, user_id: str, request: LayoutChange) -> CohostLayout:
        """A manager's new layout (the fields they leave out keep their value)."""
        with self.store.db.transaction():
            session = self.store.visible(session_id, user_id)
            rules.require_manager(self.store, session, user_id)
            rules.require_open(session)
            hosts = self.store.host_ids(session_id)
            wanted = validated_layout(self.store.layout(session), request, hosts)
            return self.present.layout(self.refit(session, wanted, user_id, force=True))

    def refit(
        self, session: Row, wanted: StoredLayout, by: str, force: bool = False
    ) -> StoredLayout:
        """Store the layout fitted to the current hosts; broadcast it if anything changed."""
        session_id = session["id"]
        current = self.store.layout(self.store.session(session_id))
        hosts = self.store.host_ids(session_id)
        fitted = normalize_layout(wanted, hosts, session["primaryHostId"])
        if not force and same_shape(fitted, current):
            return current
        fitted.update({"version": current["version"] + 1, "changedBy": by, "changedAt": now_iso()})
        self.store.db.update("multihost_sessions", session_id, {"layout": json.dumps(fitted)})
        changed = LayoutChanged(
            session_id=session_id,
            layout=self.present.layout(fitted),
            topology=topology(len(hosts)),
        )
        self.store.announce(session_id, MultiHost.LAYOUT_CHANGED, changed)
        return fitted

    def refit_to_hosts(self, session: Row, by: str) -> None:
        """After a host came or went: the session's layout fitted to who is there now."""
        self.refit(session, self.store.layout(session), by)
