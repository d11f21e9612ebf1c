// The viewer page's very first step, a classic script run as soon as it arrives (before the
// style sheets and the page's modules): it starts what the first frame waits for that needs
// nothing from them (issue 23). A new viewer's guest token is asked for, and, when the page
// needs no STUN/TURN servers, the peer connection for the video is made and starts gathering
// its ICE candidates. js/session.js and js/whep.js take them over (once each); a peer
// connection nobody takes is closed.
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
    const pc = new RTCPeerConnection({ iceServers: [] });
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.addTransceiver("audio", { direction: "recvonly" });
    const described = pc.setLocalDescription();
    described.catch(() => {}); // whoever takes the connection awaits it
    peer = { pc, described };
    setTimeout(() => {
      if (peer) peer.pc.close();
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
    /** ``{pc, described}``: a peer connection with a receive-only video and audio transceiver
     * whose offer is being set (``described``), or null. */
    takePeer() {
      const taken = peer;
      peer = null;
      return taken;
    },
  };
})();
