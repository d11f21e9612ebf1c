"""``LeanRoute``: an ``APIRoute`` for a hot JSON endpoint (FastAPI's documented extension point,
a custom ``route_class``).

FastAPI matches, documents (OpenAPI: parameters, body, response model from the endpoint's
signature) and runs it like any route: it is in FastAPI's own route table and its errors go
through the app's exception handlers. Only its request handler is its own: instead of FastAPI's
generic dependency solving and the re-validation of the answer against the response model
(together about half of a small request's CPU), an ``Arguments`` function resolves the
endpoint's arguments from the request, and the endpoint's typed answer is serialised once.
The arguments function settles who is asking before it reads the body, so a stranger's
malformed request is 401, not 422.

``LeanDispatch`` (ASGI middleware, inside the body-size and rate limits) hands a request that
one of these routes matches fully straight to that route: past FastAPI's exception and
exit-stack middleware and its route-table walk (FastAPI 0.165 walks an included router twice):
about 9% of a gift's server CPU in a py-spy profile of the gift storm. The route
is the router's own (the one OpenAPI documents); its errors get the app's exception handlers,
as through FastAPI's stack. Any other request (a wrong method included) goes on as usual.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from typing import Any, TypeVar

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from backend.api.deps import any_viewer, signed_in
from backend.identity import AuthUser
from backend.services.container import Services

Arguments = Callable[[Request], Awaitable[dict[str, Any]]]
"""The endpoint's keyword arguments, resolved from the request."""
BodyModel = TypeVar("BodyModel", bound=BaseModel)


class LeanRoute(APIRoute):
    arguments: Arguments  # set by lean_route()

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        return self.answer

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer without the per-request exit stacks and exception wrapping FastAPI puts
        around a generic handler: this one has no dependencies to clean up, and its errors
        reach the app's exception handlers all the same (through ``LeanDispatch``, or the
        app's exception middleware when FastAPI's router calls it)."""
        if self.methods and scope["method"] not in self.methods:
            raise HTTPException(405, headers={"Allow": ", ".join(sorted(self.methods))})
        body = await self.answer_json(Request(scope, receive, send))
        await send(
            {
                "type": "http.response.start",
                "status": self.status_code or 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", b"%d" % len(body)),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def answer_json(self, request: Request) -> bytes:
        """The endpoint's typed answer as JSON (serialised as built: not validated again)."""
        answer: BaseModel = await self.endpoint(**await self.arguments(request))
        return answer.__pydantic_serializer__.to_json(answer, by_alias=True)

    async def answer(self, request: Request) -> Response:
        """The same answer as a ``Response``, for FastAPI's generic request handling."""
        return Response(
            await self.answer_json(request),
            status_code=self.status_code or 200,
            media_type="application/json",
        )


def lean_route(arguments: Arguments) -> type[APIRoute]:
    """The route class of an endpoint whose arguments ``arguments`` resolves (pass it as
    ``route_class_override``)."""
    return type("LeanRoute", (LeanRoute,), {"arguments": staticmethod(arguments)})


def lean_routes(routers: Iterable[APIRouter]) -> list[LeanRoute]:
    """The lean routes of ``routers`` (included in the app without a prefix of their own)."""
    return [route for router in routers for route in router.routes if isinstance(route, LeanRoute)]


class LeanDispatch:
    """Answers the requests its lean routes match fully (see the module's docstring)."""

    def __init__(self, app: ASGIApp, routes: Iterable[LeanRoute]) -> None:
        self.app = app
        self.routes = tuple(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for route in self.routes:
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    scope.update(child_scope)
                    await self._answer(route, scope, receive, send)
                    return
        await self.app(scope, receive, send)

    @staticmethod
    async def _answer(route: LeanRoute, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await route.handle(scope, receive, send)
        except Exception as exc:
            handler = _handler_for(exc, scope["app"].exception_handlers)
            if handler is None:
                raise  # unexpected: the server-error middleware answers 500
            response: Response = await handler(Request(scope, receive), exc)
            await response(scope, receive, send)


def _handler_for(exc: Exception, handlers: Mapping[Any, Any]) -> Any:
    """The app's handler of ``exc`` (by class, as FastAPI's exception middleware looks it up;
    the catch-all ``Exception`` handler is the server-error middleware's, so not here)."""
    for kind in type(exc).__mro__:
        if kind is Exception:
            return None
        if kind in handlers:
            return handlers[kind]
    return None


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def account_of(request: Request) -> AuthUser:
    """The signed-in caller (``CurrentUser``), from the Authorization header alone."""
    viewer = await any_viewer(services_of(request), request.headers.get("authorization"))
    return await signed_in(viewer)


async def json_body(request: Request, model: type[BodyModel]) -> BodyModel:
    """The body parsed as ``model``; invalid JSON or fields are a 422 like any other route's."""
    content_type = request.headers.get("content-type")
    if content_type is not None and "json" not in content_type.lower():
        raise RequestValidationError(
            [{"loc": ("body",), "msg": "Send the body as JSON.", "type": "json_type"}]
        )
    try:
        return model.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None


def signed_in_post(body: type[BaseModel], caller: str) -> Arguments:
    """The arguments of a POST by a signed-in account that honours ``Idempotency-Key``: the
    path's parameters by name, ``body`` parsed, the account (passed as ``caller``), the
    services and the key. Who asks is settled before the body is read (401 before 422)."""

    async def arguments(request: Request) -> dict[str, Any]:
        account = await account_of(request)
        return {
            **request.path_params,
            "body": await json_body(request, body),
            caller: account,
            "services": services_of(request),
            "idempotency_key": request.headers.get("idempotency-key"),
        }

    return arguments
