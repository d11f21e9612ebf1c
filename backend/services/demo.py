"""Demo data behind `onair serve --demo`: a few accounts with coins so everything can be tried."""

from __future__ import annotations

from backend.errors import Conflict
from backend.services.container import Services

DEMO_PASSWORD = "onair-demo"
DEMO_USERS = (
    ("alice", "Alice ✨"),
    ("bob", "Bob the Builder"),
    ("carol", "Carol Sings"),
    ("dave", "Dave Games"),
    ("viewer1", "Viewer One"),
    ("viewer2", "Viewer Two"),
)
DEMO_COINS = 5_000


def seed_demo(services: Services) -> list[str]:
    """Create the demo accounts that are missing; returns the usernames created."""
    created = []
    for username, display in DEMO_USERS:
        try:
            row = services.auth.register(username, DEMO_PASSWORD, display)
        except Conflict:
            continue
        services.wallet.move(row["id"], DEMO_COINS, "demo")
        created.append(username)
    return created
