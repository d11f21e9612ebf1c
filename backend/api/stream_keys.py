"""/api/streams/{stream}/keys: stream keys for encoders (OBS, FFmpeg, GStreamer) to publish
the stream over WHIP. Only the stream's owner lists, makes and revokes them; revoking one
ends at once a session published with it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import Field

from backend.api.deps import CurrentUser, ServicesDep
from backend.api.models import Body
from backend.api.responses import ok
from backend.media.server import MediaServer
from backend.storage.db import Row
from wire.base import Empty, Ok
from wire.stream_keys import NewStreamKey, StreamKeyInfo

router = APIRouter(prefix="/api/streams", tags=["stream keys"])


class KeyRequest(Body):
    label: str = Field(default="", max_length=64, description="what the key is for: 'OBS'")


def _info(row: Row) -> StreamKeyInfo:
    return StreamKeyInfo.model_validate(row)


@router.get("/{stream}/keys")
async def list_keys(
    stream: str, user: CurrentUser, services: ServicesDep
) -> Ok[list[StreamKeyInfo]]:
    """The stream's keys (never the keys themselves), with when each was last used."""
    return ok([_info(row) for row in services.stream_keys.listed(user, stream)])


@router.post("/{stream}/keys", status_code=201)
async def create_key(
    stream: str, user: CurrentUser, services: ServicesDep, body: KeyRequest | None = None
) -> Ok[NewStreamKey]:
    """A new key; the answer is the only time it is shown."""
    key, row = services.stream_keys.create(user, stream, body.label if body else "")
    return ok(NewStreamKey.model_validate({**row, "key": key}))


@router.delete("/{stream}/keys/{key_id}")
async def revoke_key(
    stream: str, key_id: str, request: Request, user: CurrentUser, services: ServicesDep
) -> Ok[Empty]:
    """Revoke a key: refused from now on (403), and a session published with it ends."""
    services.stream_keys.revoke(user, stream, key_id)
    media: MediaServer | None = getattr(request.app.state, "media", None)
    if media is not None:
        await media.end_published_with(key_id)
    return ok(Empty())
