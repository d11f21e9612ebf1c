"""Co-host sessions: up to nine hosts, roles, invitations and requests, a shared layout.

The primary host (the creator) and the hosts they made managers (``canManage``) invite,
approve, remove and change the layout; every host changes their own settings. The layout is one
piece of state every client renders; it is re-fitted whenever the hosts change.

One part per subdomain, each on the ones below it:

- ``sessions``: create, start, end, leave, a host's connection lost, the reads;
- ``invitations``: invitations and requests to join, answered or lapsed;
- ``seats``: hosts joining, leaving, being removed, their own settings;
- ``layouts``: the shared layout (its pure rules in ``layout_rules``);
- ``rules`` (who may do what), ``store`` (the rows), ``presenters`` (rows → wire models).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from backend.events import EventSink
from backend.services.multihost.invitations import Invitations
from backend.services.multihost.layouts import Layouts
from backend.services.multihost.presenters import Presenter
from backend.services.multihost.seats import Seats
from backend.services.multihost.sessions import Sessions
from backend.services.multihost.store import SessionStore
from backend.services.scheduler import Scheduler
from backend.storage.db import Database


@dataclass(frozen=True)
class MultiHost:
    sessions: Sessions
    invitations: Invitations
    seats: Seats
    layouts: Layouts


def build_multihost(
    db: Database,
    events: EventSink,
    scheduler: Scheduler,
    invite_ttl_seconds: int,
    grace_seconds: float,
) -> MultiHost:
    store = SessionStore(db, events)
    present = Presenter(store)
    layouts = Layouts(store, present)
    seats = Seats(store, present, layouts)
    invitations = Invitations(
        store, present, seats, scheduler, timedelta(seconds=invite_ttl_seconds)
    )
    sessions = Sessions(
        store, present, seats, invitations, scheduler, timedelta(seconds=grace_seconds)
    )
    return MultiHost(sessions, invitations, seats, layouts)
