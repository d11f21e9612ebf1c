"""Schema of live shopping: a seller's catalog, sessions, their products, vouchers, orders.

Money columns are whole coins (INTEGER), the wallet's unit; there are no fractional prices.
"""

from __future__ import annotations

from backend.storage.schema import STAMPS, Migration

MIGRATIONS: list[Migration] = [
    (
        "shopping-001",
        [
            f"""CREATE TABLE products ({STAMPS},
            sellerId TEXT NOT NULL REFERENCES users(id),
            name TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            imageUrl TEXT NOT NULL DEFAULT '',
            price INTEGER NOT NULL CHECK (price > 0),
            stock INTEGER NOT NULL CHECK (stock >= 0))""",
            "CREATE INDEX products_seller ON products(sellerId, createdAt)",
            f"""CREATE TABLE shopping_sessions ({STAMPS},
            sellerId TEXT NOT NULL REFERENCES users(id),
            title TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL,
            pinnedProductId TEXT,
            startedAt TEXT,
            endedAt TEXT)""",
            "CREATE INDEX shopping_sessions_status ON shopping_sessions(status, startedAt)",
            f"""CREATE TABLE shopping_products ({STAMPS},
            sessionId TEXT NOT NULL REFERENCES shopping_sessions(id),
            productId TEXT NOT NULL REFERENCES products(id),
            livePrice INTEGER NOT NULL CHECK (livePrice > 0),
            flashPrice INTEGER,
            flashQuantity INTEGER NOT NULL DEFAULT 0,
            flashRemaining INTEGER NOT NULL DEFAULT 0 CHECK (flashRemaining >= 0),
            flashEndsAt TEXT,
            flashStatus TEXT NOT NULL DEFAULT 'none',
            flashEndReason TEXT,
            soldOutAt TEXT,
            UNIQUE (sessionId, productId))""",
            f"""CREATE TABLE shopping_pins ({STAMPS},
            sessionId TEXT NOT NULL REFERENCES shopping_sessions(id),
            productId TEXT NOT NULL,
            pinnedAt TEXT NOT NULL,
            unpinnedAt TEXT)""",
            "CREATE INDEX shopping_pins_session ON shopping_pins(sessionId, pinnedAt)",
            f"""CREATE TABLE shopping_interactions ({STAMPS},
            sessionId TEXT NOT NULL REFERENCES shopping_sessions(id),
            productId TEXT NOT NULL,
            viewerId TEXT NOT NULL,
            type TEXT NOT NULL,
            count INTEGER NOT NULL DEFAULT 1,
            UNIQUE (sessionId, productId, viewerId, type))""",
            f"""CREATE TABLE shopping_vouchers ({STAMPS},
            sessionId TEXT NOT NULL REFERENCES shopping_sessions(id),
            code TEXT NOT NULL,
            type TEXT NOT NULL,
            value INTEGER NOT NULL CHECK (value > 0),
            minOrder INTEGER NOT NULL DEFAULT 0,
            usageLimit INTEGER,
            perUserLimit INTEGER NOT NULL DEFAULT 1,
            expiresAt TEXT,
            UNIQUE (sessionId, code))""",
            f"""CREATE TABLE shopping_voucher_uses ({STAMPS},
            voucherId TEXT NOT NULL REFERENCES shopping_vouchers(id),
            userId TEXT NOT NULL REFERENCES users(id),
            status TEXT NOT NULL,
            orderId TEXT,
            holdUntil TEXT)""",
            "CREATE INDEX shopping_voucher_uses_voucher"
            " ON shopping_voucher_uses(voucherId, status)",
            f"""CREATE TABLE shopping_orders ({STAMPS},
            sessionId TEXT NOT NULL REFERENCES shopping_sessions(id),
            productId TEXT NOT NULL REFERENCES products(id),
            buyerId TEXT NOT NULL REFERENCES users(id),
            sellerId TEXT NOT NULL REFERENCES users(id),
            quantity INTEGER NOT NULL CHECK (quantity > 0),
            flashUnits INTEGER NOT NULL DEFAULT 0,
            unitPrice INTEGER NOT NULL,
            subtotal INTEGER NOT NULL,
            discount INTEGER NOT NULL DEFAULT 0,
            total INTEGER NOT NULL CHECK (total >= 0),
            voucherCode TEXT,
            status TEXT NOT NULL,
            paymentProvider TEXT NOT NULL,
            paymentRef TEXT,
            cancelledAt TEXT,
            fulfilledAt TEXT)""",
            "CREATE INDEX shopping_orders_session ON shopping_orders(sessionId, status)",
            "CREATE INDEX shopping_orders_buyer ON shopping_orders(buyerId)",
        ],
    ),
]
MIGRATIONS.append(
    (
        "shopping-002-order-flash-price",
        ["ALTER TABLE shopping_orders ADD COLUMN flashPrice INTEGER"],
    )
)
MIGRATIONS.append(
    (
        "shopping-003-voucher-holds-by-user",
        [
            "CREATE INDEX shopping_voucher_uses_user"
            " ON shopping_voucher_uses(userId, status, holdUntil)"
        ],
    )
)
