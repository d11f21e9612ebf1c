"""Schema of the stream-filters catalog: filters seeded from ``filters.registry``, their use,
unlocks, favourites and ratings, and users' custom filters (presets).

``stream_filters.id`` is the effect id in code (``beauty.smooth``); a filter removed from the
code keeps its row with ``available = 0``. ``filter_applications`` and ``filter_unlocks`` are
also read by ``AnalyticsService`` (filterId, userId, coins).
"""

from __future__ import annotations

from backend.storage.schema import STAMPS, Migration

MIGRATIONS: list[Migration] = [
    (
        "filters-001",
        [
            f"""CREATE TABLE stream_filters ({STAMPS},
            name TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            category TEXT NOT NULL,
            version TEXT NOT NULL,
            premium INTEGER NOT NULL DEFAULT 0,
            price INTEGER NOT NULL DEFAULT 0 CHECK (price >= 0),
            tags TEXT NOT NULL DEFAULT '[]',
            needs TEXT NOT NULL DEFAULT '[]',
            parameters TEXT NOT NULL DEFAULT '[]',
            sortOrder INTEGER NOT NULL DEFAULT 0,
            featured INTEGER NOT NULL DEFAULT 0,
            available INTEGER NOT NULL DEFAULT 1,
            usageCount INTEGER NOT NULL DEFAULT 0,
            favoriteCount INTEGER NOT NULL DEFAULT 0,
            ratingSum INTEGER NOT NULL DEFAULT 0,
            ratingCount INTEGER NOT NULL DEFAULT 0)""",
            "CREATE INDEX stream_filters_category"
            " ON stream_filters(available, category, usageCount)",
            f"""CREATE TABLE filter_applications ({STAMPS},
            filterId TEXT NOT NULL REFERENCES stream_filters(id),
            userId TEXT NOT NULL REFERENCES users(id),
            streamId TEXT NOT NULL,
            parameters TEXT NOT NULL DEFAULT '{{}}')""",
            "CREATE INDEX filter_applications_recent ON filter_applications(createdAt, filterId)",
            "CREATE INDEX filter_applications_filter ON filter_applications(filterId, userId)",
            f"""CREATE TABLE filter_unlocks ({STAMPS},
            filterId TEXT NOT NULL REFERENCES stream_filters(id),
            userId TEXT NOT NULL REFERENCES users(id),
            coins INTEGER NOT NULL CHECK (coins >= 0),
            UNIQUE (userId, filterId))""",
            f"""CREATE TABLE filter_favorites ({STAMPS},
            filterId TEXT NOT NULL REFERENCES stream_filters(id),
            userId TEXT NOT NULL REFERENCES users(id),
            UNIQUE (userId, filterId))""",
            "CREATE INDEX filter_favorites_filter ON filter_favorites(filterId)",
            f"""CREATE TABLE filter_ratings ({STAMPS},
            filterId TEXT NOT NULL REFERENCES stream_filters(id),
            userId TEXT NOT NULL REFERENCES users(id),
            rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
            UNIQUE (filterId, userId))""",
            "CREATE INDEX filter_ratings_user ON filter_ratings(userId)",
            f"""CREATE TABLE custom_filters ({STAMPS},
            authorId TEXT NOT NULL REFERENCES users(id),
            name TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            public INTEGER NOT NULL DEFAULT 0,
            preset TEXT NOT NULL)""",
            "CREATE INDEX custom_filters_public ON custom_filters(public, createdAt)",
            "CREATE INDEX custom_filters_author ON custom_filters(authorId, createdAt)",
        ],
    ),
]
