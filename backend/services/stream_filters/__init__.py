"""Stream-filters catalog: the effects of ``filters.registry`` as a catalog with use, unlocks,
favourites, ratings and users' custom filters (presets of known filters).

One part per subdomain, each on the ones below it:

- ``catalog``: kept in step with the code at start (``sync``), listings, trending, featured;
- ``search``: filters by the words of a query;
- ``applications``: applying a filter on one's own stream (the ``stream-filters:applied`` event);
- ``unlocks``: paying a premium filter's price once, through the wallet;
- ``reviews``: favourites and ratings;
- ``custom``: users' custom filters and the marketplace of the shared ones;
- ``rules`` (no database), ``store`` (the shared lookups), ``presenters`` (rows → wire models).
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.events import EventSink
from backend.services.stream_filters.applications import Applications
from backend.services.stream_filters.catalog import Catalog
from backend.services.stream_filters.custom import CustomFilters
from backend.services.stream_filters.presenters import FilterPresenter
from backend.services.stream_filters.reviews import Reviews
from backend.services.stream_filters.search import Search
from backend.services.stream_filters.store import FilterStore
from backend.services.stream_filters.unlocks import Unlocks
from backend.services.wallet import WalletService
from backend.storage.db import Database


@dataclass(frozen=True)
class StreamFilterCatalog:
    """The parts of the stream-filters catalog, built together (they share the store and the
    presenter)."""

    catalog: Catalog
    search: Search
    applications: Applications
    unlocks: Unlocks
    reviews: Reviews
    custom: CustomFilters

    @classmethod
    def build(cls, db: Database, events: EventSink, wallet: WalletService) -> StreamFilterCatalog:
        store = FilterStore(db, events)
        present = FilterPresenter(store)
        return cls(
            catalog=Catalog(store, present),
            search=Search(store, present),
            applications=Applications(store, present),
            unlocks=Unlocks(store, present, wallet),
            reviews=Reviews(store, present),
            custom=CustomFilters(store, present),
        )
