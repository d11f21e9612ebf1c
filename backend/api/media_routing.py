"""A WHIP/WHEP request for a stream whose SFU is on another node goes to that node.

With several nodes behind one address, a viewer's ``POST /whep/{stream}`` (or a studio's
reconnecting ``POST /whip/{stream}``, or a ``DELETE``/``PATCH`` of a session) may reach a node
that does not hold the stream. That node forwards the request as it came (body, bearer token,
``If-Match``) to the holder named in ``media_streams`` and hands its answer back unchanged: the
SDP answer carries the holder's ICE candidates, so the media flows between the client and the
holder directly, and the ``Location`` (a path with the stream's name) is routed the same way
when the client deletes or trickles. A forwarded request carries ``X-OnAir-Routed-From`` and is
never forwarded again.
"""

from __future__ import annotations

import httpx
from fastapi import Request, Response

from backend.errors import DomainError
from backend.media.nodes import MediaNodes
from wire.http import tls_context

ROUTED_FROM = "x-onair-routed-from"
REQUEST_HEADERS = ("authorization", "content-type", "if-match")
ANSWER_HEADERS = (
    "content-type",
    "location",
    "etag",
    "link",
    "accept-patch",
    "retry-after",
    "cache-control",
)


class NodeUnavailable(DomainError):
    status = 503
    code = "media_node_unavailable"


class MediaRouter:
    def __init__(self, nodes: MediaNodes) -> None:
        self.nodes = nodes
        self.http = httpx.AsyncClient(
            timeout=httpx.Timeout(30.0, connect=5.0), verify=tls_context()
        )

    async def close(self) -> None:
        await self.http.aclose()

    async def forward(self, request: Request, stream: str) -> Response | None:
        """The holder's answer to ``request``; None when this node answers it itself."""
        if ROUTED_FROM in request.headers:
            return None  # another node sent it here: this node holds the stream, or nobody
        holder = await self.nodes.db.off_loop(lambda: self.nodes.holder(stream))
        if holder is None or holder.node_id == self.nodes.id:
            return None
        try:
            answer = await self.http.request(
                request.method,
                holder.url + request.url.path,
                params=request.query_params,
                content=await request.body(),
                headers=self._headers(request),
            )
        except httpx.TransportError as exc:
            raise NodeUnavailable(
                f"The node that holds this stream ({holder.url}) does not answer: try again "
                "in a few seconds (a node that is down gives its streams up)."
            ) from exc
        headers = {name: answer.headers[name] for name in ANSWER_HEADERS if name in answer.headers}
        return Response(answer.content, status_code=answer.status_code, headers=headers)

    def _headers(self, request: Request) -> dict[str, str]:
        headers = {
            name: request.headers[name] for name in REQUEST_HEADERS if name in request.headers
        }
        headers[ROUTED_FROM] = self.nodes.id
        client = request.scope.get("client")
        peer = str(client[0]) if client else "unknown"
        earlier = request.headers.get("x-forwarded-for")
        # As a proxy: the holder trusts it from this node (--trusted-proxy) and limits the client.
        headers["x-forwarded-for"] = f"{earlier}, {peer}" if earlier else peer
        return headers
