// The viewer page's very first step, a classic script the server writes into the page's head
// (backend/api/web.py), run before the style sheets and the page's modules load: it starts
// what the first frame waits for that needs nothing from them (issue 23). A new viewer's guest
// token is asked for, and, when the page needs no STUN/TURN servers, the peer connection for
// the video is made and its WHEP offer sent for the stream the URL names (/watch/{stream}) as
// soon as it has the token. js/session.js and js/whep.js take them over (once each); a
// connection nobody takes is closed and its WHEP session ended.
"use strict";

(() => {
  const UNTAKEN_MS = 15000;
  const meta = document.querySelector('meta[name="onair-media"]')?.content;
  let media = null;
  try {
    media = meta ? JSON.parse(meta) : null;
  } catch {
    media = null; // js/boot.js asks the server for the media settings instead
  }
  const saved = localStorage.getItem("onair.token") || sessionStorage.getItem("onair.guest");
  let guest = saved
    ? null
    : fetch("/api/auth/guest", { method: "POST", headers: { Accept: "application/json" } })
        .then((response) => (response.ok ? response.json() : null))
        .then((body) => body?.data?.token ?? null)
        .catch(() => null);

  let peer = null;
  if (media && !media.askIceServers && globalThis.RTCPeerConnection) {
    const stream = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() ?? "");
    const template = media.whep || "/whep/{stream}";
    const url = new URL(template.split("{stream}").join(encodeURIComponent(stream)), location.href);
    const pc = new RTCPeerConnection({ iceServers: [] });
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.addTransceiver("audio", { direction: "recvonly" });
    const late = []; // candidates gathered once the offer left (null: their end), to trickle
    let offered = false;
    pc.addEventListener("icecandidate", ({ candidate }) => offered && late.push(candidate));
    const token = saved ? Promise.resolve(saved) : guest;
    // The offer leaves without waiting for candidates: js/whep.js trickles the late ones.
    const bearer = (held) => (held ? { Authorization: `Bearer ${held}` } : {});
    const answered = Promise.all([pc.setLocalDescription(), token]).then(([, held]) => {
      offered = true;
      return fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/sdp", ...bearer(held) },
        body: pc.localDescription.sdp,
      }).then((response) => ({ response, token: held }));
    });
    answered.catch(() => {}); // whoever takes the connection awaits it
    peer = { pc, url: url.href, answered, late };
    setTimeout(() => {
      if (!peer) return;
      peer.pc.close();
      answered.then(({ response, token: held }) => {
        const resource = response.status === 201 && response.headers.get("Location");
        if (!resource) return;
        fetch(new URL(resource, url), { method: "DELETE", headers: bearer(held), keepalive: true });
      }).catch(() => {});
      peer = null;
    }, UNTAKEN_MS);
  }

  globalThis.onairEarly = {
    /** The new guest's token (null if it could not be had), or null without such a request. */
    takeGuest() {
      const taken = guest;
      guest = null;
      return taken;
    },
    /** The peer connection for ``url`` (absolute) with its offer on the way, or null:
     * ``{pc, answered, late}``, ``answered`` resolving to ``{response, token}`` (the WHEP
     * POST's response and the token it was sent with), ``late`` the candidates gathered since
     * the offer left (null marks their end), growing until the offer is answered. */
    takePeer(url) {
      if (peer?.url !== url) return null;
      const taken = peer;
      peer = null;
      return taken;
    },
  };
})();
