"""Schema of gifts outside PK battles and of buying coins (issue 18).

``stream_gifts``: one row per gift sent on a live outside a battle (a battle's gifts stay in
``pk_gifts``); the coins themselves move in the ledger (``gift:sent``/``gift:received``, the
row's id as ``refId``).

``coin_purchases``: a checkout of a coin package with a payment provider. ``status`` is
``pending`` (the buyer is at the provider's checkout), ``paid`` (a verified webhook said so and
the coins were credited), ``refunded`` (taken back) or ``cancelled``. ``providerRef`` is the
provider's checkout id, ``paymentRef`` its payment id (a refund names that one).
``payment_events``: every verified webhook event once, by the provider's event id, so a
delivery repeated is recognised; ``purchaseId`` is null while an event names no purchase we
know yet (a refund delivered before its payment). ``account_flags``: what needs a person's
look, e.g. a refund that found fewer coins than it had to take back (``coins`` short); an
operator resolves one with a note (``onair admin flags resolve``), and a new shortfall on the
same purchase opens it again.
"""

from __future__ import annotations

from backend.storage.schema import STAMPS, Migration

MIGRATIONS: list[Migration] = [
    (
        "gifts-001",
        [
            f"""CREATE TABLE stream_gifts ({STAMPS},
            stream TEXT NOT NULL,
            streamerId TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            senderId TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            toHostId TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            giftId TEXT NOT NULL,
            quantity INTEGER NOT NULL CHECK (quantity > 0),
            coins INTEGER NOT NULL CHECK (coins > 0))""",
            "CREATE INDEX stream_gifts_to ON stream_gifts(toHostId, createdAt)",
            "CREATE INDEX pk_gifts_to ON pk_gifts(toHostId, createdAt)",
        ],
    ),
    (
        "coins-001",
        [
            f"""CREATE TABLE coin_purchases ({STAMPS},
            userId TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            packageId TEXT NOT NULL,
            coins INTEGER NOT NULL CHECK (coins > 0),
            amount INTEGER NOT NULL CHECK (amount > 0),
            currency TEXT NOT NULL,
            provider TEXT NOT NULL,
            providerRef TEXT,
            paymentRef TEXT,
            status TEXT NOT NULL DEFAULT 'pending',
            returnTo TEXT NOT NULL DEFAULT '',
            paidAt TEXT,
            refundedAt TEXT,
            coinsTakenBack INTEGER NOT NULL DEFAULT 0)""",
            "CREATE INDEX coin_purchases_user ON coin_purchases(userId, createdAt)",
            "CREATE INDEX coin_purchases_provider ON coin_purchases(provider, providerRef)",
            "CREATE INDEX coin_purchases_payment ON coin_purchases(provider, paymentRef)",
            f"""CREATE TABLE payment_events ({STAMPS},
            provider TEXT NOT NULL,
            eventId TEXT NOT NULL,
            kind TEXT NOT NULL,
            purchaseId TEXT,
            paymentRef TEXT,
            refundedAmount INTEGER NOT NULL DEFAULT 0,
            UNIQUE (provider, eventId))""",
            "CREATE INDEX payment_events_payment ON payment_events(provider, paymentRef)",
            f"""CREATE TABLE account_flags ({STAMPS},
            userId TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            reason TEXT NOT NULL,
            refId TEXT NOT NULL,
            coins INTEGER NOT NULL DEFAULT 0,
            note TEXT NOT NULL DEFAULT '',
            UNIQUE (reason, refId))""",
            "CREATE INDEX account_flags_user ON account_flags(userId)",
        ],
    ),
    (
        "gifts-002",
        [
            "ALTER TABLE account_flags ADD COLUMN resolvedAt TEXT",
            "ALTER TABLE account_flags ADD COLUMN resolution TEXT NOT NULL DEFAULT ''",
        ],
    ),
]
