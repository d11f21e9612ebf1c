// WHEP player: plays a stream from POST /whep/{stream} in a <video>, and recovers by itself.
//
//   import { WhepPlayer } from "/web/js/whep.js";
//   const player = new WhepPlayer(videoElement, {
//     url: "/whep/alice", token: () => tokenString, onState: (state, detail) => {},
//   });
//   player.start();  // ... player.stop();
//
// States: "connecting", "playing", "offline" (stream not live yet), "reconnecting", "stopped",
// "error" (cannot recover without the user, e.g. no permission). The player reconnects with
// backoff when the connection fails or closes, or when no video frame was decoded for a few
// seconds (a server that went away), and keeps the same <video> element: no page reload.
//
// Loaded as /web/js/whep.js?mount, the module plays every <video data-whep-stream="name">.
//
// Without STUN/TURN servers (the default: this backend on the viewer's network or loopback) the
// offer leaves at once, with whatever ICE candidates are gathered by then (often none: a
// browser takes 100-150 ms for its first): the rest, and the end of candidates, follow in a
// PATCH (trickle ICE, RFC 9725 §4.3) when the server takes them. The server needs none of them
// to connect: the browser's checks reach the server's candidates in the answer, and the server
// learns the browser's address from them (a peer-reflexive candidate), as an ICE-lite server
// does. With STUN/TURN servers it waits for every candidate, as a server that takes no PATCH
// would never learn the relayed ones.

const STALL_MS = 3000;
const DISCONNECTED_MS = 2000;
const MAX_BACKOFF_MS = 3000;
const GATHER_TIMEOUT_MS = 2000;
const TRICKLE = "application/trickle-ice-sdpfrag";

export class WhepError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export class WhepPlayer {
  constructor(video, { url, token = null, iceServers = [], onState = () => {} }) {
    this.video = video;
    this.url = url;
    this.token = typeof token === "function" ? token : () => token;
    this.iceServers = iceServers;
    this.onState = onState;
    this.state = "idle";
    this.pc = null;
    this.resource = null;
    this.offeredWith = null; // the token the last offer was sent with
    this.attempt = 0;
    this.reconnects = 0;
    this._running = false;
    this._timer = null;
    this._watch = null;
    this._stream = new MediaStream();
  }

  start() {
    if (this._running) return;
    this._running = true;
    this._connect();
  }

  stop() {
    this._running = false;
    clearTimeout(this._timer);
    this._teardown();
    this._setState("stopped");
  }

  async _connect() {
    if (!this._running) return;
    this._setState(this.attempt ? "reconnecting" : "connecting");
    // The page's first player takes the connection js/early.js began, its offer on the way.
    const url = new URL(this.url, location.href).href;
    const early = this.iceServers.length ? null : globalThis.onairEarly?.takePeer(url);
    const pc = early?.pc ?? new RTCPeerConnection({ iceServers: this.iceServers });
    this.pc = pc;
    if (!early) {
      pc.addTransceiver("video", { direction: "recvonly" });
      pc.addTransceiver("audio", { direction: "recvonly" });
    }
    pc.ontrack = (event) => this._useTrack(event.track);
    pc.onconnectionstatechange = () => {
      if (pc !== this.pc) return;
      if (pc.connectionState === "connected") {
        this.attempt = 0;
        this._setState("playing");
      } else if (pc.connectionState === "failed" || pc.connectionState === "closed") {
        this._retry(`connection ${pc.connectionState}`);
      }
    };
    try {
      const sent = early ? await adoptOffer(early) : await this._offer(pc);
      if (!sent || pc !== this.pc) return;
      const { candidates, response, token } = sent;
      this.offeredWith = token;
      if (early && response.status !== 201 && response.status !== 404) {
        // Sent with a token the page no longer holds (an account's that expired, say):
        // offered again, as any player offers, without counting as an attempt.
        this._teardown();
        return this._connect();
      }
      if (response.status !== 201) {
        throw new WhepError(response.status, await response.text());
      }
      const auth = bearer(token);
      this.resource = new URL(response.headers.get("Location"), url).href;
      await pc.setRemoteDescription({ type: "answer", sdp: await response.text() });
      if ((response.headers.get("Accept-Patch") ?? "").includes(TRICKLE)) {
        const etag = response.headers.get("ETag");
        candidates.trickleTo(this.resource, etag ? { ...auth, "If-Match": etag } : auth);
      }
      this._watchStats(pc);
    } catch (error) {
      if (pc !== this.pc) return;
      const status = error instanceof WhepError ? error.status : 0;
      if (status === 401 || status === 403) {
        this._teardown();
        this._setState("error", { status, message: error.message });
        return;
      }
      this._retry(status === 404 ? "offline" : String(error), status === 404);
    }
  }

  /** Makes ``pc``'s offer and sends it: the POST's response, the token it went with and the
   * candidates gathered after it (trickled once the response says where); null when the
   * player moved on meanwhile. */
  async _offer(pc) {
    // The token's round trip (a new guest's) overlaps the making of the offer.
    const asked = Promise.resolve().then(() => this.token());
    asked.catch(() => {}); // awaited below; not "unhandled" while the offer is being made
    const candidates = new LateCandidates(pc, this.iceServers.length === 0);
    await pc.setLocalDescription(await pc.createOffer());
    await candidates.ready;
    const token = await asked;
    if (pc !== this.pc) return null;
    const auth = bearer(token);
    const response = await fetch(this.url, {
      method: "POST",
      headers: { "Content-Type": "application/sdp", ...auth },
      body: candidates.takeOffer(),
    });
    return { candidates, response, token };
  }

  _useTrack(track) {
    for (const old of this._stream.getTracks()) {
      if (old.kind === track.kind) this._stream.removeTrack(old);
    }
    this._stream.addTrack(track);
    // Attached once there is a track: a <video> showing a stream without one holds the page's
    // load event until a frame arrives, which for an offline stream is never.
    if (this.video.srcObject !== this._stream) this.video.srcObject = this._stream;
    const playing = this.video.play();
    if (playing) playing.catch(() => {});  // autoplay rules: muted video always plays
  }

  _watchStats(pc) {
    let frames = -1;
    let stalledSince = performance.now();
    let disconnectedSince = null;
    clearInterval(this._watch);
    this._watch = setInterval(async () => {
      if (pc !== this.pc) return;
      const now = performance.now();
      if (pc.connectionState === "disconnected") {
        disconnectedSince ??= now;
        if (now - disconnectedSince > DISCONNECTED_MS) return this._retry("disconnected");
      } else {
        disconnectedSince = null;
      }
      const stats = await pc.getStats();
      let decoded = 0;
      stats.forEach((report) => {
        if (report.type === "inbound-rtp" && report.kind === "video") {
          decoded = report.framesDecoded || 0;
        }
      });
      if (decoded !== frames) {
        frames = decoded;
        stalledSince = now;
      } else if (now - stalledSince > STALL_MS) {
        this._retry("no video");
      }
    }, 500);
  }

  _retry(reason, offline = false) {
    if (!this._running) return;
    this._teardown();
    this.attempt += 1;
    this.reconnects += 1;
    this._setState(offline ? "offline" : "reconnecting", { reason });
    const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** (this.attempt - 1));
    clearTimeout(this._timer);
    this._timer = setTimeout(() => this._connect(), delay * (0.8 + 0.2 * Math.random()));
  }

  _teardown() {
    clearInterval(this._watch);
    const pc = this.pc;
    this.pc = null;
    if (pc) pc.close();
    const resource = this.resource;
    this.resource = null;
    if (resource) {
      Promise.resolve(this.token()).then((token) => fetch(resource, {
        method: "DELETE",
        keepalive: true,
        headers: bearer(token),
      })).catch(() => {});
    }
  }

  _setState(state, detail = {}) {
    if (state === this.state && state !== "reconnecting") return;
    this.state = state;
    this.onState(state, detail);
  }
}

/** A peer connection's ICE candidates around its offer: ``ready`` resolves when the offer may
 * leave (with ``trickle``, at once; else once gathering is complete, or after
 * GATHER_TIMEOUT_MS whatever happened); what is gathered after ``takeOffer()`` goes to the
 * session by PATCH once ``trickleTo`` knows where, in order, the end of candidates last. */
class LateCandidates {
  constructor(pc, trickle) {
    this.pc = pc;
    this.taken = false;
    this.late = [];
    this.ended = false;
    this._send = null;
    this._sending = Promise.resolve();
    pc.addEventListener("icecandidate", ({ candidate }) => {
      if (!this.taken || this.ended) return;
      if (candidate?.candidate) this.late.push(candidate);
      else this.ended = true;
      this._send?.();
    });
    // Candidates gathered before the offer is taken are in it.
    this.ready = trickle || pc.iceGatheringState === "complete"
      ? Promise.resolve()
      : gatheringEnded(pc, GATHER_TIMEOUT_MS);
  }

  /** The offer as it is now; later candidates are trickled. */
  takeOffer() {
    this.taken = true;
    this.ended = this.pc.iceGatheringState === "complete";
    return this.pc.localDescription.sdp;
  }

  /** The offer was sent by someone else, who kept ``gathered`` since (null: their end). */
  takenBefore(gathered) {
    this.taken = true;
    this.late = gathered.filter((candidate) => candidate?.candidate);
    this.ended = gathered.length > this.late.length || this.pc.iceGatheringState === "complete";
  }

  trickleTo(resource, headers) {
    this._send = () => {
      if (!this.late.length && !this.ended) return;
      const body = sdpFragment(this.pc.localDescription.sdp, this.late.splice(0), this.ended);
      this._send = this.ended ? null : this._send;
      this._sending = this._sending.then(() => fetch(resource, {
        method: "PATCH", headers: { ...headers, "Content-Type": TRICKLE }, body,
      })).catch(() => {}); // a lost PATCH: the candidates that did arrive may well be enough
    };
    if (this.late.length || this.ended) this._send();
  }
}

/** The Authorization header for ``token``, none without one. */
const bearer = (token) => (token ? { Authorization: `Bearer ${token}` } : {});

/** js/early.js's connection (see its ``takePeer``) once its offer is answered: from then on
 * its candidates are the player's to trickle. */
async function adoptOffer({ pc, answered, late }) {
  const { response, token } = await answered;
  const candidates = new LateCandidates(pc, true);
  candidates.takenBefore(late);
  return { candidates, response, token };
}

/** Resolves at ``pc``'s end of candidates, or after ``ms`` whatever happened. */
function gatheringEnded(pc, ms) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    pc.addEventListener("icecandidate", ({ candidate }) => {
      if (candidate?.candidate) return;
      clearTimeout(timer);
      resolve();
    });
  });
}

/** An RFC 8840 fragment: the offer's ICE credentials, each candidate under its media line's
 * mid, then (``ended``) the end of candidates. */
function sdpFragment(sdp, candidates, ended) {
  const attribute = (name) => sdp.match(new RegExp(`^a=${name}:(.*)$`, "m"))?.[1]?.trim();
  const lines = [`a=ice-ufrag:${attribute("ice-ufrag")}`, `a=ice-pwd:${attribute("ice-pwd")}`];
  const mids = new Map();
  for (const candidate of candidates) {
    const mid = candidate.sdpMid ?? attribute("mid");
    mids.set(mid, [...(mids.get(mid) ?? []), `a=${candidate.candidate}`]);
  }
  if (!mids.size) mids.set(attribute("mid"), []);
  for (const [mid, found] of mids) lines.push("m=video 9 UDP/TLS/RTP/SAVPF 0", `a=mid:${mid}`, ...found);
  if (ended) lines.push("a=end-of-candidates");
  return `${lines.join("\r\n")}\r\n`;
}

// A viewer token: the signed-in user's, else an anonymous guest token (kept for the tab).
export async function viewerToken() {
  const saved = localStorage.getItem("onair.token") || sessionStorage.getItem("onair.guest");
  if (saved) return saved;
  const response = await fetch("/api/auth/guest", { method: "POST" });
  if (!response.ok) throw new WhepError(response.status, "no viewer token");
  const token = (await response.json()).data.token;
  sessionStorage.setItem("onair.guest", token);
  return token;
}

export function mount(root = document) {
  const players = [];
  for (const video of root.querySelectorAll("video[data-whep-stream]")) {
    const stream = video.dataset.whepStream;
    const status = video.dataset.whepStatus ? document.getElementById(video.dataset.whepStatus) : null;
    const player = new WhepPlayer(video, {
      url: `/whep/${encodeURIComponent(stream)}`,
      token: viewerToken,
      onState: (state) => {
        video.dataset.whepState = state;
        if (status) status.textContent = state;
      },
    });
    video.whepPlayer = player;
    player.start();
    players.push(player);
  }
  return players;
}

if (new URL(import.meta.url).searchParams.has("mount")) {
  const start = () => {
    const stream = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || "");
    for (const video of document.querySelectorAll("video[data-whep-stream='']")) {
      video.dataset.whepStream = stream;
    }
    mount();
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
}
