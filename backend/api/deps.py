"""Dependencies: the service container and the caller's identity, injected per request.

They are ``async def`` on purpose: FastAPI runs plain ``def`` dependencies in a thread pool,
which costs a thread hop per request and would touch the hub off the event loop.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from backend.errors import Forbidden, Unauthorized
from backend.identity import AuthUser
from backend.services.container import Services


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise Unauthorized("Sign in first: send 'Authorization: Bearer <token>'.")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Use 'Authorization: Bearer <token>'.")
    return token.strip()


async def any_viewer(
    services: ServicesDep, authorization: Annotated[str | None, Header()] = None
) -> AuthUser:
    """A signed-in user or an anonymous viewer (guest token)."""
    return services.auth.verify(bearer_token(authorization))


async def signed_in(viewer: Annotated[AuthUser, Depends(any_viewer)]) -> AuthUser:
    """A signed-in account; guests are told to sign in."""
    if viewer.is_guest:
        raise Forbidden("Sign in or create an account to do this.", code="account_required")
    return viewer


CurrentUser = Annotated[AuthUser, Depends(signed_in)]
AnyViewer = Annotated[AuthUser, Depends(any_viewer)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]
