"""Publishing with a stream key from a WHIP client we did not write: medooze's ``whip-whep``
from the npm registry (``make bootstrap`` installs it into tests/e2e/whip_client), run in
Debian's Chromium on its fake camera, as an encoder such as OBS would publish. The viewer page
plays the stream; revoking the key ends it at once and the key is refused (403) from then on.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page

from tests.backend.api_helpers import register
from tests.e2e.shared_chromium import Chromium
from tests.e2e.viewer_helpers import FRAMES_DECODED, open_viewer
from tests.helpers_media import loopback_ice  # noqa: F401
from tests.servers import LiveServer

pytestmark = [pytest.mark.usefixtures("loopback_ice"), pytest.mark.timeout(180)]

WHIP_JS = Path(__file__).parent / "whip_client" / "node_modules" / "whip-whep" / "whip.js"
FAKE_CAMERA = ("--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream")
PUBLISH = """async ({url, key}) => {
  const media = await navigator.mediaDevices.getUserMedia(
    {audio: true, video: {width: 320, height: 180}});
  const pc = new RTCPeerConnection();
  for (const track of media.getTracks()) pc.addTransceiver(track, {direction: 'sendonly'});
  const client = new WHIPClient();
  try {
    await client.publish(pc, url, key);
  } catch (error) {
    pc.close();
    return String(error.message);
  }
  window.encoder = {client, pc};
  return 'published';
}"""


async def encoder_page(browser_page: Page, base_url: str) -> Page:
    """A page of the backend's origin (so the client may call it) with WHIPClient loaded."""
    assert WHIP_JS.exists(), f"{WHIP_JS} is missing: run `make bootstrap` (npm ci)"
    await browser_page.goto(f"{base_url}/api/health")
    source = WHIP_JS.read_text() + "\nwindow.WHIPClient = WHIPClient;\n"
    await browser_page.add_script_tag(content=source, type="module")
    await browser_page.wait_for_function("() => typeof window.WHIPClient === 'function'")
    return browser_page


async def test_a_third_party_client_publishes_with_a_stream_key(
    server: LiveServer, chromium: Chromium
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        alice = await register(http)
        stream = alice.username
        key = await alice.data("POST", f"/api/streams/{stream}/keys", json={"label": "OBS"})
        whip_url = f"{server.url}/whip/{stream}"
        async with chromium(*FAKE_CAMERA) as browser:
            context = await browser.new_context()
            encoder = await encoder_page(await context.new_page(), server.url)
            assert await encoder.evaluate(PUBLISH, {"url": whip_url, "key": key["key"]}) == (
                "published"
            )
            await encoder.wait_for_function(
                "() => window.encoder.pc.connectionState === 'connected'"
            )

            viewer = await open_viewer(browser, server.url, stream)
            page = viewer.page
            await page.wait_for_function(
                "() => document.querySelector('.tile')?.dataset.state === 'playing'",
                timeout=20_000,
            )
            assert (await page.evaluate(FRAMES_DECODED, 10))["frames"] == 10
            (listed,) = await alice.data("GET", f"/api/streams/{stream}/keys")
            assert listed["lastUsedAt"] is not None

            revoked = await alice.call("DELETE", f"/api/streams/{stream}/keys/{key['id']}")
            assert revoked.status_code == 200
            await page.wait_for_function(
                "() => ['reconnecting', 'offline'].includes("
                "document.querySelector('.tile').dataset.state)",
                timeout=15_000,
            )
            again = await encoder_page(await context.new_page(), server.url)
            refused = await again.evaluate(PUBLISH, {"url": whip_url, "key": key["key"]})
            assert refused == "Request rejected with status 403"
            assert viewer.errors == []
