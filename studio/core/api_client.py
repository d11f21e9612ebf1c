"""The backend's REST API as typed async methods (httpx), with errors a person can act on.

Every response is the backend's envelope: ``{"success": true, "data": ...}`` or
``{"success": false, "error": {"code", "message"}}``. Failures raise :class:`ApiError` with
that code and message; a backend that cannot be reached raises :class:`BackendUnreachable`,
so the UI can show its banner and retry instead of a traceback.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from studio.core.net_errors import describe_failure
from wire.base import WireBody, wire_time
from wire.gifts import GiftIncome
from wire.health import Health
from wire.http import tls_context
from wire.multihost import (
    Approve,
    CohostLayout,
    CohostMember,
    CohostSession,
    HostSettings,
    Invitation,
    Invite,
    JoinRequest,
    LayoutRequest,
    NewSession,
)
from wire.pk import Battle, BattleDetail, GiftReceipt, Leaderboard, Metric, Period
from wire.shopping import (
    LiveProduct,
    Order,
    PinResult,
    PlacedOrder,
    Product,
    ShopAnalytics,
    ShopSession,
    Voucher,
)
from wire.stream_filters import CatalogFilter, Unlocked
from wire.stream_keys import NewStreamKey, StreamKeyInfo
from wire.users import AccountSession, FoundUser, Me
from wire.wallet import Balance, Gift, WalletView
from wire.webrtc import MultihostSetup

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
        self._http = httpx.AsyncClient(
            base_url=self.base_url, timeout=timeout, transport=transport, verify=tls_context()
        )

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
    ) -> AccountSession:
        body: dict[str, Any] = {"username": username, "password": password}
        if display_name:
            body["displayName"] = display_name
        data = await self.request("POST", "/api/auth/register", json=body, auth=False)
        return self._signed_in(data)

    async def login(self, username: str, password: str) -> AccountSession:
        body = {"username": username, "password": password}
        data = await self.request("POST", "/api/auth/login", json=body, auth=False)
        return self._signed_in(data)

    async def me(self) -> Me:
        return Me.model_validate(await self.request("GET", "/api/auth/me"))

    # ---- stream keys (what an encoder such as OBS publishes with) ---------------------
    async def stream_keys(self, stream: str) -> list[StreamKeyInfo]:
        data = await self.request("GET", f"/api/streams/{quote(stream, safe='')}/keys")
        return [StreamKeyInfo.model_validate(item) for item in data]

    async def create_stream_key(self, stream: str, label: str = "") -> NewStreamKey:
        path = f"/api/streams/{quote(stream, safe='')}/keys"
        return NewStreamKey.model_validate(await self.request("POST", path, json={"label": label}))

    async def revoke_stream_key(self, stream: str, key_id: str) -> None:
        await self.request("DELETE", f"/api/streams/{quote(stream, safe='')}/keys/{key_id}")

    async def search_users(self, query: str) -> list[FoundUser]:
        data = await self.request("GET", "/api/auth/users", params={"q": query})
        return [FoundUser.model_validate(u) for u in data]

    async def health(self) -> Health:
        return Health.model_validate(await self.request("GET", "/api/health", auth=False))

    def _signed_in(self, data: dict[str, Any]) -> AccountSession:
        session = AccountSession.model_validate(data)
        self.token = session.token
        return session

    # ---- wallet and gifts -----------------------------------------------------------
    async def wallet(self) -> WalletView:
        return WalletView.model_validate(await self.request("GET", "/api/wallet"))

    async def topup(self, coins: int) -> Balance:
        data = await self.request("POST", "/api/wallet/topup", json={"coins": coins})
        return Balance.model_validate(data)

    async def gifts(self) -> list[Gift]:
        return [Gift.model_validate(g) for g in await self.request("GET", "/api/gifts")]

    async def gift_income(self, since: datetime) -> GiftIncome:
        """What I received in gifts since ``since`` (battle gifts included), top gifters."""
        data = await self.request("GET", "/api/gifts/income", params={"since": wire_time(since)})
        return GiftIncome.model_validate(data)

    # ---- PK battles -----------------------------------------------------------------
    async def create_battle(self, opponent_id: str, duration: int, title: str = "") -> Battle:
        body = {"opponent": opponent_id, "duration": duration, "title": title}
        return Battle.model_validate(await self.request("POST", "/api/pk-battles", json=body))

    async def accept_battle(self, battle_id: str) -> Battle:
        data = await self.request("POST", f"/api/pk-battles/{battle_id}/accept")
        return Battle.model_validate(data)

    async def leave_battle(self, battle_id: str) -> Battle:
        """Cancel a waiting challenge (the invited opponent declines with it), or end a running
        battle early, which forfeits it: the opponent wins."""
        return Battle.model_validate(await self.request("DELETE", f"/api/pk-battles/{battle_id}"))

    async def battle(self, battle_id: str) -> BattleDetail:
        """The battle with its top supporters and which of its hosts is live now."""
        data = await self.request("GET", f"/api/pk-battles/{battle_id}")
        return BattleDetail.model_validate(data)

    async def active_battles(self) -> list[Battle]:
        data = await self.request("GET", "/api/pk-battles/active/list")
        return [Battle.model_validate(b) for b in data]

    async def user_battles(self, user_id: str) -> list[Battle]:
        data = await self.request("GET", f"/api/pk-battles/user/{user_id}")
        return [Battle.model_validate(b) for b in data["battles"]]

    async def send_gift(
        self,
        battle_id: str,
        gift_id: str,
        to_host: str,
        quantity: int = 1,
        idempotency_key: str | None = None,
    ) -> GiftReceipt:
        body = {"giftId": gift_id, "quantity": quantity, "toHost": to_host}
        data = await self.request(
            "POST",
            f"/api/pk-battles/{battle_id}/gift",
            json=body,
            idempotency_key=idempotency_key or uuid.uuid4().hex,
        )
        return GiftReceipt.model_validate(data)

    # ---- effects catalog ------------------------------------------------------------
    async def filter_catalog(self) -> dict[str, CatalogFilter]:
        """Every catalog filter by id, with its price and whether it is locked for me."""
        data = await self.request("GET", "/api/stream-filters")
        return {entry.id: entry for entry in map(CatalogFilter.model_validate, data)}

    async def unlock_filter(self, filter_id: str) -> Balance:
        """Buy a premium filter with coins (once; a retry does not charge again); the balance
        after paying."""
        data = await self.request(
            "POST",
            f"/api/stream-filters/{filter_id}/unlock",
            idempotency_key=f"unlock-{filter_id}",
        )
        return Unlocked.model_validate(data).balance

    async def leaderboard(
        self, period: Period = "all-time", metric: Metric = "wins", limit: int = 20
    ) -> Leaderboard:
        params = {"period": period, "metric": metric, "limit": limit}
        data = await self.request("GET", "/api/pk-battles/leaderboard/rankings", params=params)
        return Leaderboard.model_validate(data)

    # ---- co-host sessions -----------------------------------------------------------
    async def create_cohost_session(
        self, title: str, session_type: str, layout: str = "grid", grid: str | None = None
    ) -> CohostSession:
        body = NewSession(title=title, type=session_type, layout=layout, grid=grid or None)
        data = await self.request("POST", "/api/multihost", json=body.to_body())
        return CohostSession.model_validate(data)

    async def cohost_session(self, session_id: str) -> CohostSession:
        data = await self.request("GET", f"/api/multihost/{session_id}")
        return CohostSession.model_validate(data)

    async def user_cohost_sessions(self, user_id: str) -> list[CohostSession]:
        data = await self.request("GET", f"/api/multihost/user/{user_id}")
        return [CohostSession.model_validate(s) for s in data]

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
        body = Invite(user_id=user_id, can_manage=can_manage, message=message)
        path = f"/api/multihost/{session_id}/invite"
        data = await self.request("POST", path, json=body.to_body())
        return Invitation.model_validate(data)

    async def request_to_cohost(self, session_id: str, message: str = "") -> Invitation:
        body = JoinRequest(message=message)
        path = f"/api/multihost/{session_id}/request"
        data = await self.request("POST", path, json=body.to_body())
        return Invitation.model_validate(data)

    async def answer_cohost_request(
        self, session_id: str, user_id: str, approve: bool
    ) -> CohostSession:
        return await self._cohost(
            "POST", session_id, "approve", Approve(user_id=user_id, approve=approve)
        )

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
        body = HostSettings(user_id=user_id, audio_enabled=audio, video_enabled=video)
        path = f"/api/multihost/{session_id}/settings"
        data = await self.request("PUT", path, json=body.to_body())
        return CohostMember.model_validate(data)

    async def change_cohost_layout(
        self, session_id: str, mode: str, grid: str | None = None, main_host: str | None = None
    ) -> CohostLayout:
        body = LayoutRequest(mode=mode, grid=grid, main_host_id=main_host)
        path = f"/api/multihost/{session_id}/layout"
        data = await self.request("PUT", path, json=body.to_body())
        return CohostLayout.model_validate(data)

    async def cohost_room(self, session_id: str) -> str:
        """The ``webrtc:*`` room id of a session's call (``/api/webrtc/multihost/:id/setup``)."""
        data = await self.request("GET", f"/api/webrtc/multihost/{session_id}/setup")
        return MultihostSetup.model_validate(data).room_id

    async def _cohost(
        self, method: str, session_id: str, action: str, body: WireBody | None = None
    ) -> CohostSession:
        path = f"/api/multihost/{session_id}/{action}"
        data = await self.request(method, path, json=body.to_body() if body else None)
        return CohostSession.model_validate(data)

    # ---- products and live shopping -------------------------------------------------
    async def products(self) -> list[Product]:
        return [Product.model_validate(p) for p in await self.request("GET", "/api/products")]

    async def create_product(
        self, name: str, price: int, stock: int, description: str = ""
    ) -> Product:
        body = {"name": name, "price": price, "stock": stock, "description": description}
        return Product.model_validate(await self.request("POST", "/api/products", json=body))

    async def create_shop_session(self, title: str, description: str = "") -> ShopSession:
        body = {"title": title, "description": description}
        data = await self.request("POST", "/api/live-shopping", json=body)
        return ShopSession.model_validate(data)

    async def shop_session(self, session_id: str) -> ShopSession:
        data = await self.request("GET", f"/api/live-shopping/{session_id}")
        return ShopSession.model_validate(data)

    async def start_shop_session(self, session_id: str) -> ShopSession:
        data = await self.request("POST", f"/api/live-shopping/{session_id}/start")
        return ShopSession.model_validate(data)

    async def end_shop_session(self, session_id: str) -> ShopSession:
        data = await self.request("POST", f"/api/live-shopping/{session_id}/end")
        return ShopSession.model_validate(data)

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
        return LiveProduct.model_validate(data)

    async def start_flash_sale(
        self, session_id: str, product_id: str, flash: tuple[int, int, int]
    ) -> LiveProduct:
        """A flash sale, (price, quantity, seconds), on a product already in the session."""
        path = f"/api/live-shopping/{session_id}/products/{product_id}/flash-sale"
        data = await self.request("POST", path, json=flash_sale_body(flash))
        return LiveProduct.model_validate(data)

    async def pin_product(self, session_id: str, product_id: str | None) -> LiveProduct | None:
        """Pin a product (None unpins); returns the pinned product."""
        body = {"productId": product_id}
        data = await self.request(
            "POST", f"/api/live-shopping/{session_id}/products/pin", json=body
        )
        return PinResult.model_validate(data).pinned_product

    async def place_order(
        self,
        session_id: str,
        product_id: str,
        quantity: int = 1,
        voucher: str | None = None,
        idempotency_key: str | None = None,
    ) -> PlacedOrder:
        body: dict[str, Any] = {"productId": product_id, "quantity": quantity}
        if voucher:
            body["voucherCode"] = voucher
        data = await self.request(
            "POST",
            f"/api/live-shopping/{session_id}/orders",
            json=body,
            idempotency_key=idempotency_key or uuid.uuid4().hex,
        )
        return PlacedOrder.model_validate(data)

    async def shop_orders(self, session_id: str) -> list[Order]:
        data = await self.request("GET", f"/api/live-shopping/{session_id}/orders")
        return [Order.model_validate(o) for o in data]

    async def set_order_status(self, session_id: str, order_id: str, status: str) -> Order:
        """``fulfilled`` (pays the seller) or ``cancelled`` (refunds the buyer)."""
        data = await self.request(
            "PUT",
            f"/api/live-shopping/{session_id}/orders/{order_id}",
            json={"status": status},
        )
        return Order.model_validate(data)

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
        return Voucher.model_validate(data)

    async def shop_analytics(self, session_id: str) -> ShopAnalytics:
        data = await self.request("GET", f"/api/live-shopping/{session_id}/analytics")
        return ShopAnalytics.model_validate(data)


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
