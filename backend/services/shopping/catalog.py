"""A seller's own products (``/api/products``); only the seller sees or edits them here."""

from __future__ import annotations

from typing import Any

from backend.errors import InvalidInput
from backend.services.shopping.rules import check_product
from backend.services.shopping.store import own_product
from backend.storage.db import Database
from wire.shopping import Product


class ProductCatalog:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(
        self, seller_id: str, name: str, price: int, stock: int, description: str, image_url: str
    ) -> Product:
        check_product(name, price, stock)
        row = self.db.insert(
            "products",
            {
                "sellerId": seller_id,
                "name": name.strip(),
                "description": description.strip(),
                "imageUrl": image_url.strip(),
                "price": price,
                "stock": stock,
            },
        )
        return Product.model_validate(row)

    def update(self, seller_id: str, product_id: str, changes: dict[str, Any]) -> Product:
        if not changes:
            raise InvalidInput("Nothing to change.", code="no_changes")
        with self.db.transaction():
            merged = {**own_product(self.db, seller_id, product_id), **changes}
            check_product(merged["name"], merged["price"], merged["stock"])
            self.db.update("products", product_id, changes)
            if changes.get("stock"):
                self.db.execute(
                    "UPDATE shopping_products SET soldOutAt = NULL WHERE productId = ?",
                    (product_id,),
                )
            return self.get(seller_id, product_id)

    def get(self, seller_id: str, product_id: str) -> Product:
        return Product.model_validate(own_product(self.db, seller_id, product_id))

    def mine(self, seller_id: str) -> list[Product]:
        rows = self.db.all(
            "SELECT * FROM products WHERE sellerId = ? ORDER BY createdAt DESC", (seller_id,)
        )
        return [Product.model_validate(row) for row in rows]
