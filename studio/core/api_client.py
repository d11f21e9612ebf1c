"""The backend's REST API as typed async methods (httpx), with errors a person can act on.

Every response is the backend's envelope: ``{"success": true, "data": ...}`` or
``{"success": false, "error": {"code", "message"}}``. Failures raise :class:`ApiError` with
that code and message; a backend that cannot be reached raises :class:`BackendUnreachable`,
so the UI can show its banner and retry instead of a traceback.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from studio.core.models import (
    AuthSession,
    Battle,
    CatalogEntry,
    CohostMember,
    CohostSession,
    Gift,
    GiftEvent,
    Invitation,
    LiveProduct,
    Order,
    Product,
    ShopAnalytics,
    ShopSession,
    User,
    Voucher,
    Wallet,
)
from studio.core.net_errors import describe_failure

DEFAULT_TIMEOUT_S = 10.0


class ApiError(Exception):
    """The backend answered with an error (``status`` 4xx/5xx, a stable ``code``)."""

    def __init__(
        self, status: int, code: str, message: str, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after

    def __str__(self) -> str:
        return self.message


class BackendUnreachable(ApiError):
    """No answer at all: the backend is down, the URL is wrong, or the network dropped."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(0, "unreachable", f"Cannot reach the backend at {url}: {reason}")
        self.url = url


class NotSignedIn(ApiError):
    def __init__(self) -> None:
        super().__init__(401, "not_signed_in", "Sign in first.")


def ws_url_for(base_url: str) -> str:
    """The ``/ws`` endpoint of a backend given by its HTTP base URL."""
    return base_url.rstrip("/").replace("http", "ws", 1) + "/ws"


class ApiClient:
    """One backend, one signed-in user (``token``); safe to share across tasks on one loop."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout, transport=transport)

    @property
    def ws_url(self) -> str:
        return ws_url_for(self.base_url)

    async def aclose(self) -> None:
        await self._http.aclose()

    # ---- transport ------------------------------------------------------------------
    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        auth: bool = True,
    ) -> Any:
        """The ``data`` of a successful response; raises :class:`ApiError` otherwise."""
        headers: dict[str, str] = {}
        if auth:
            if not self.token:
                raise NotSignedIn()
            headers["Authorization"] = f"Bearer {self.token}"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        try:
            response = await self._http.request(
                method, path, json=json, params=params, headers=headers
            )
        except httpx.TransportError as exc:
            raise BackendUnreachable(self.base_url, describe_failure(exc)) from None
        return _unwrap(response)

    # ---- auth -----------------------------------------------------------------------
    async def register(
        self, username: str, password: str, display_name: str | None = None
    ) -> AuthSession:
        body: dict[str, Any] = {"username": username, "password": password}
        if display_name:
            body["displayName"] = display_name
        data = await self.request("POST", "/api/auth/register", json=body, auth=False)
        return self._signed_in(data)

    async def login(self, username: str, password: str) -> AuthSession:
        body = {"username": username, "password": password}
        data = await self.request("POST", "/api/auth/login", json=body, auth=False)
        return self._signed_in(data)

    async def me(self) -> User:
        return User.from_wire(await self.request("GET", "/api/auth/me"))

    async def search_users(self, query: str) -> list[User]:
        data = await self.request("GET", "/api/auth/users", params={"q": query})
        return [User.from_wire(u) for u in data]

    async def health(self) -> dict[str, Any]:
        data: dict[str, Any] = await self.request("GET", "/api/health", auth=False)
        return data

    def _signed_in(self, data: dict[str, Any]) -> AuthSession:
        self.token = str(data["token"])
        return AuthSession(User.from_wire(data["user"]), self.token)

    # ---- wallet and gifts -----------------------------------------------------------
    async def wallet(self) -> Wallet:
        return Wallet.from_wire(await self.request("GET", "/api/wallet"))

    async def topup(self, coins: int) -> Wallet:
        data = await self.request("POST", "/api/wallet/topup", json={"coins": coins})
        return Wallet.from_wire(data)

    async def gifts(self) -> list[Gift]:
        return [Gift.from_wire(g) for g in await self.request("GET", "/api/gifts")]

    # ---- PK battles -----------------------------------------------------------------
    async def create_battle(self, opponent_id: str, duration: int, title: str = "") -> Battle:
        body = {"opponent": opponent_id, "duration": duration, "title": title}
        return Battle.from_wire(await self.request("POST", "/api/pk-battles", json=body))

    async def accept_battle(self, battle_id: str) -> Battle:
        data = await self.request("POST", f"/api/pk-battles/{battle_id}/accept")
        return Battle.from_wire(data)

    async def leave_battle(self, battle_id: str) -> Battle:
        """Cancel a waiting challenge (the invited opponent declines with it), or end a running
        battle early, which forfeits it: the opponent wins."""
        return Battle.from_wire(await self.request("DELETE", f"/api/pk-battles/{battle_id}"))

    async def battle(self, battle_id: str) -> Battle:
        return Battle.from_wire(await self.request("GET", f"/api/pk-battles/{battle_id}"))

    async def active_battles(self) -> list[Battle]:
        data = await self.request("GET", "/api/pk-battles/active/list")
        return [Battle.from_wire(b) for b in data]

    async def user_battles(self, user_id: str) -> list[Battle]:
        data = await self.request("GET", f"/api/pk-battles/user/{user_id}")
        return [Battle.from_wire(b) for b in data["battles"]]

    async def send_gift(
        self,
        battle_id: str,
        gift_id: str,
        to_host: str,
        quantity: int = 1,
        idempotency_key: str | None = None,
    ) -> GiftEvent:
        body = {"giftId": gift_id, "quantity": quantity, "toHost": to_host}
        data = await self.request(
            "POST",
            f"/api/pk-battles/{battle_id}/gift",
            json=body,
            idempotency_key=idempotency_key or uuid.uuid4().hex,
        )
        return GiftEvent.from_wire(data)

    # ---- effects catalog ------------------------------------------------------------
    async def filter_catalog(self) -> dict[str, CatalogEntry]:
        """Every catalog filter by id, with its price and whether it is locked for me."""
        data = await self.request("GET", "/api/stream-filters")
        return {entry.id: entry for entry in map(CatalogEntry.from_wire, data)}

    async def unlock_filter(self, filter_id: str) -> Wallet:
        """Buy a premium filter with coins (once; a retry does not charge again)."""
        data = await self.request(
            "POST",
            f"/api/stream-filters/{filter_id}/unlock",
            idempotency_key=f"unlock-{filter_id}",
        )
        return Wallet.from_wire(data["balance"])

    async def leaderboard(
        self, period: str = "all-time", metric: str = "wins", limit: int = 20
    ) -> list[dict[str, Any]]:
        params = {"period": period, "metric": metric, "limit": limit}
        data = await self.request("GET", "/api/pk-battles/leaderboard/rankings", params=params)
        entries: list[dict[str, Any]] = data["entries"]
        return entries

    # ---- co-host sessions -----------------------------------------------------------
    async def create_cohost_session(
        self, title: str, session_type: str, layout: str = "grid", grid: str | None = None
    ) -> CohostSession:
        body: dict[str, Any] = {"title": title, "type": session_type, "layout": layout}
        if grid:
            body["grid"] = grid
        return CohostSession.from_wire(await self.request("POST", "/api/multihost", json=body))

    async def cohost_session(self, session_id: str) -> CohostSession:
        return CohostSession.from_wire(await self.request("GET", f"/api/multihost/{session_id}"))

    async def user_cohost_sessions(self, user_id: str) -> list[CohostSession]:
        data = await self.request("GET", f"/api/multihost/user/{user_id}")
        return [CohostSession.from_wire(s) for s in data]

    async def start_cohost_session(self, session_id: str) -> CohostSession:
        return await self._cohost("POST", session_id, "start")

    async def end_cohost_session(self, session_id: str) -> CohostSession:
        return await self._cohost("POST", session_id, "end")

    async def leave_cohost_session(self, session_id: str) -> CohostSession:
        return await self._cohost("POST", session_id, "leave")

    async def accept_cohost_invite(self, session_id: str) -> CohostSession:
        return await self._cohost("POST", session_id, "accept")

    async def invite_cohost(
        self, session_id: str, user_id: str, can_manage: bool = False, message: str = ""
    ) -> Invitation:
        body = {"userId": user_id, "canManage": can_manage, "message": message}
        data = await self.request("POST", f"/api/multihost/{session_id}/invite", json=body)
        return Invitation.from_wire(data)

    async def request_to_cohost(self, session_id: str, message: str = "") -> Invitation:
        body = {"message": message}
        data = await self.request("POST", f"/api/multihost/{session_id}/request", json=body)
        return Invitation.from_wire(data)

    async def answer_cohost_request(
        self, session_id: str, user_id: str, approve: bool
    ) -> CohostSession:
        body = {"userId": user_id, "approve": approve}
        return await self._cohost("POST", session_id, "approve", body)

    async def remove_cohost(self, session_id: str, user_id: str) -> CohostSession:
        return await self._cohost("DELETE", session_id, f"hosts/{user_id}")

    async def cohost_settings(
        self,
        session_id: str,
        *,
        user_id: str | None = None,
        audio: bool | None = None,
        video: bool | None = None,
    ) -> CohostMember:
        """Change my own audio/video (or, as a manager, turn another host's off)."""
        body: dict[str, Any] = {"userId": user_id, "audioEnabled": audio, "videoEnabled": video}
        body = {k: v for k, v in body.items() if v is not None}
        data = await self.request("PUT", f"/api/multihost/{session_id}/settings", json=body)
        return CohostMember.from_wire(data)

    async def change_cohost_layout(
        self, session_id: str, mode: str, grid: str | None = None, main_host: str | None = None
    ) -> None:
        body: dict[str, Any] = {"mode": mode, "grid": grid, "mainHostId": main_host}
        body = {k: v for k, v in body.items() if v is not None}
        await self.request("PUT", f"/api/multihost/{session_id}/layout", json=body)

    async def cohost_room(self, session_id: str) -> str:
        """The ``webrtc:*`` room id of a session's call (``/api/webrtc/multihost/:id/setup``)."""
        data = await self.request("GET", f"/api/webrtc/multihost/{session_id}/setup")
        return str(data["roomId"])

    async def _cohost(
        self, method: str, session_id: str, action: str, body: dict[str, Any] | None = None
    ) -> CohostSession:
        data = await self.request(method, f"/api/multihost/{session_id}/{action}", json=body)
        return CohostSession.from_wire(data)

    # ---- products and live shopping -------------------------------------------------
    async def products(self) -> list[Product]:
        return [Product.from_wire(p) for p in await self.request("GET", "/api/products")]

    async def create_product(
        self, name: str, price: int, stock: int, description: str = ""
    ) -> Product:
        body = {"name": name, "price": price, "stock": stock, "description": description}
        return Product.from_wire(await self.request("POST", "/api/products", json=body))

    async def create_shop_session(self, title: str, description: str = "") -> ShopSession:
        body = {"title": title, "description": description}
        return ShopSession.from_wire(await self.request("POST", "/api/live-shopping", json=body))

    async def shop_session(self, session_id: str) -> ShopSession:
        data = await self.request("GET", f"/api/live-shopping/{session_id}")
        return ShopSession.from_wire(data)

    async def start_shop_session(self, session_id: str) -> ShopSession:
        data = await self.request("POST", f"/api/live-shopping/{session_id}/start")
        return ShopSession.from_wire(data)

    async def end_shop_session(self, session_id: str) -> ShopSession:
        data = await self.request("POST", f"/api/live-shopping/{session_id}/end")
        return ShopSession.from_wire(data)

    async def add_live_product(
        self,
        session_id: str,
        product_id: str,
        live_price: int | None = None,
        flash: tuple[int, int, int] | None = None,
    ) -> LiveProduct:
        """Put a product in the session; ``flash`` is (price, quantity, seconds)."""
        body: dict[str, Any] = {"productId": product_id}
        if live_price is not None:
            body["livePrice"] = live_price
        if flash is not None:
            body["flashSale"] = flash_sale_body(flash)
        data = await self.request("POST", f"/api/live-shopping/{session_id}/products", json=body)
        return LiveProduct.from_wire(data)

    async def start_flash_sale(
        self, session_id: str, product_id: str, flash: tuple[int, int, int]
    ) -> LiveProduct:
        """A flash sale, (price, quantity, seconds), on a product already in the session."""
        path = f"/api/live-shopping/{session_id}/products/{product_id}/flash-sale"
        return LiveProduct.from_wire(await self.request("POST", path, json=flash_sale_body(flash)))

    async def pin_product(self, session_id: str, product_id: str | None) -> LiveProduct | None:
        """Pin a product (None unpins); returns the pinned product."""
        body = {"productId": product_id}
        data = await self.request(
            "POST", f"/api/live-shopping/{session_id}/products/pin", json=body
        )
        pinned = data.get("pinnedProduct")
        return LiveProduct.from_wire(pinned) if pinned else None

    async def place_order(
        self,
        session_id: str,
        product_id: str,
        quantity: int = 1,
        voucher: str | None = None,
        idempotency_key: str | None = None,
    ) -> Order:
        body: dict[str, Any] = {"productId": product_id, "quantity": quantity}
        if voucher:
            body["voucherCode"] = voucher
        data = await self.request(
            "POST",
            f"/api/live-shopping/{session_id}/orders",
            json=body,
            idempotency_key=idempotency_key or uuid.uuid4().hex,
        )
        return Order.from_wire(data)

    async def shop_orders(self, session_id: str) -> list[Order]:
        data = await self.request("GET", f"/api/live-shopping/{session_id}/orders")
        return [Order.from_wire(o) for o in data]

    async def set_order_status(self, session_id: str, order_id: str, status: str) -> Order:
        """``fulfilled`` (pays the seller) or ``cancelled`` (refunds the buyer)."""
        data = await self.request(
            "PUT",
            f"/api/live-shopping/{session_id}/orders/{order_id}",
            json={"status": status},
        )
        return Order.from_wire(data)

    async def create_voucher(
        self,
        session_id: str,
        code: str,
        kind: str,
        value: int,
        min_order: int = 0,
        usage_limit: int | None = None,
    ) -> Voucher:
        body: dict[str, Any] = {"code": code, "type": kind, "value": value, "minOrder": min_order}
        if usage_limit is not None:
            body["usageLimit"] = usage_limit
        data = await self.request("POST", f"/api/live-shopping/{session_id}/vouchers", json=body)
        return Voucher.from_wire(data)

    async def shop_analytics(self, session_id: str) -> ShopAnalytics:
        data = await self.request("GET", f"/api/live-shopping/{session_id}/analytics")
        return ShopAnalytics.from_wire(data)


def _unwrap(response: httpx.Response) -> Any:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("success") is True and response.is_success:
        return body.get("data")
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        code = str(error.get("code") or "error")
        message = str(error.get("message") or response.reason_phrase)
    else:  # not our backend's envelope: a proxy, another server on that port
        code = "bad_response"
        message = f"The backend answered {response.status_code} {response.reason_phrase}."
    retry = response.headers.get("retry-after", "")
    retry_after = float(retry) if retry.isdigit() else None
    raise ApiError(response.status_code, code, message, retry_after)


def flash_sale_body(flash: tuple[int, int, int]) -> dict[str, int]:
    price, quantity, seconds = flash
    return {"price": price, "quantity": quantity, "expiresIn": seconds * 1000}
