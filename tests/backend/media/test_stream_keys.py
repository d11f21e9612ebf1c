"""Stream keys: an encoder publishes one stream with a long-lived, revocable key that nothing
else in the API accepts; a revoked key is refused at once and its live session ends."""

from __future__ import annotations

import httpx
import pytest

from backend.media.server import MediaServer
from bench._ws import ws_ticket
from tests.backend.api_helpers import ApiUser, register
from tests.helpers_media import live_publisher, loopback_ice, played_markers  # noqa: F401
from tests.servers import LiveServer

pytestmark = [pytest.mark.usefixtures("loopback_ice"), pytest.mark.timeout(90)]


def keys_path(user: ApiUser, stream: str | None = None) -> str:
    return f"/api/streams/{stream or user.username}/keys"


async def test_owner_makes_lists_and_revokes_keys_shown_once(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        alice, mallory = await register(http), await register(http)
        made = await alice.call("POST", keys_path(alice), json={"label": "OBS"})
        assert made.status_code == 201, made.text
        new = made.json()["data"]
        assert new["key"].startswith("onair_sk_") and len(new["key"]) > 40
        assert (new["label"], new["hint"], new["lastUsedAt"]) == ("OBS", new["key"][-4:], None)
        second = await alice.data("POST", keys_path(alice))  # no body: no label
        listed = await alice.data("GET", keys_path(alice))
        assert [k["id"] for k in listed] == [new["id"], second["id"]]
        assert all("key" not in k for k in listed)  # never shown again
        assert new["key"] not in str(listed)

        # Nobody else sees, makes or revokes them.
        for method, path in (
            ("GET", keys_path(alice)),
            ("POST", keys_path(alice)),
            ("DELETE", f"{keys_path(alice)}/{new['id']}"),
        ):
            answer = await mallory.call(method, path)
            assert answer.status_code == 403, answer.text
            assert answer.json()["error"]["code"] == "not_your_stream"
        assert (
            await mallory.call("DELETE", f"{keys_path(mallory)}/{new['id']}")
        ).status_code == 404

        assert (await alice.call("DELETE", f"{keys_path(alice)}/{second['id']}")).status_code == 200
        assert [k["id"] for k in await alice.data("GET", keys_path(alice))] == [new["id"]]
        again = await alice.call("DELETE", f"{keys_path(alice)}/{second['id']}")
        assert again.status_code == 404


async def test_a_key_publishes_its_stream_and_nothing_else(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        alice, bob = await register(http), await register(http)
        key = (await alice.data("POST", keys_path(alice)))["key"]
        as_key = {"Authorization": f"Bearer {key}"}
        for path in ("/api/auth/me", "/api/wallet", keys_path(alice)):
            assert (await http.get(path, headers=as_key)).status_code == 401, path
        assert (await http.post("/api/ws-ticket", headers=as_key)).status_code == 401
        sdp = {**as_key, "Content-Type": "application/sdp"}
        for stream in (bob.username, f"{alice.username}~cam2"):
            wrong = await http.post(f"/whip/{stream}", content="v=0\r\n", headers=sdp)
            assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "wrong_stream"
        unknown = await http.post(
            f"/whip/{alice.username}",
            content="v=0\r\n",
            headers={**sdp, "Authorization": "Bearer onair_sk_made-up"},
        )
        assert unknown.status_code == 401
        assert unknown.json()["error"]["code"] == "invalid_stream_key"
        with pytest.raises(httpx.HTTPStatusError):
            await ws_ticket(server.ws_url, key)


async def test_publishing_with_a_key_then_revoking_it_ends_the_stream(server: LiveServer) -> None:
    media: MediaServer = server.app.state.media
    async with httpx.AsyncClient(base_url=server.url) as http:
        alice, fan = await register(http), await register(http)
        new = await alice.data("POST", keys_path(alice), json={"label": "OBS"})
        stream = alice.username
        async with live_publisher(server.url, stream, new["key"], size=(320, 180)):
            assert media.streams[stream].live
            assert len(await played_markers(f"{server.url}/whep/{stream}", fan.token, 3)) >= 3
            (listed,) = await alice.data("GET", keys_path(alice))
            assert listed["lastUsedAt"] is not None

            revoked = await alice.call("DELETE", f"{keys_path(alice)}/{new['id']}")
            assert revoked.status_code == 200
            assert stream not in media.streams or not media.streams[stream].live  # at once
            again = await http.post(
                f"/whip/{stream}",
                content="v=0\r\n",
                headers={
                    "Authorization": f"Bearer {new['key']}",
                    "Content-Type": "application/sdp",
                },
            )
            assert again.status_code == 403, again.text
            assert again.json()["error"]["code"] == "stream_key_revoked"
