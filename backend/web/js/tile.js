// One host's video: the player, their name, muted/camera-off flags and the connection state.

import { h } from "./dom.js";
import { WhepPlayer } from "./whep.js";

// What a tile says while it has no picture: a short line, and a longer one for big tiles.
const STATE_TEXT = {
  connecting: () => ["Connecting…", ""],
  reconnecting: () => ["Reconnecting…", ""],
  offline: (name) => ["Offline", `${name} is not live yet. The video starts when they go live.`],
  error: (name) => ["Sign in to watch", `${name} streams to signed-in viewers only.`],
};

// Where streams play: the backend's WHEP URL template (GET /api/media/config). The default is
// this backend's own /whep/{stream}; a deployment may name a dedicated media server instead.
let media = { whep: "/whep/{stream}", iceServers: [] };

export function setMediaConfig({ whep, iceServers }) {
  media = { whep: whep || media.whep, iceServers: iceServers ?? [] };
}

/** The WHEP URL of a stream: the template with the name encoded as one path segment. */
export function whepUrlFor(stream) {
  return media.whep.split("{stream}").join(encodeURIComponent(stream));
}

/** whepUrl: the stream's URL when the server named it (the stream snapshot's whepUrl);
 *  onState: called after the tile's state (connecting, playing, offline, ...) changed. */
export function createTile(stream, getToken, whepUrl = null, onState = () => {}) {
  const video = h("video", { playsinline: true, muted: true, autoplay: true });
  const stateText = h("p", {});
  const stateHint = h("p", { class: "tile-hint" });
  const spinner = h("span", { class: "spinner" });
  const overlay = h(
    "div",
    { class: "tile-state", role: "status" },
    spinner,
    stateText,
    stateHint,
  );
  const name = h("span", { class: "tile-name" });
  const mic = h("span", { class: "flag flag-mic", role: "img", "aria-label": "Microphone muted" });
  const cam = h("span", { class: "flag flag-cam", role: "img", "aria-label": "Camera off" });
  const initial = h("span", { class: "tile-initial", "aria-hidden": "true" });
  const el = h(
    "figure",
    { class: "tile", "data-state": "connecting", "data-stream": stream },
    video,
    initial,
    overlay,
    h("figcaption", { class: "tile-caption" }, name, mic, cam),
  );
  let label = stream;
  let shown = "connecting";
  const player = new WhepPlayer(video, {
    url: whepUrl || whepUrlFor(stream),
    token: getToken,
    iceServers: media.iceServers,
    onState: (state, detail) => {
      // A retry announces "reconnecting" without a reason; while offline, stay "offline".
      const retrying = state === "reconnecting" && !detail?.reason;
      shown = retrying && shown === "offline" ? shown : state;
      renderState();
    },
  });

  function renderState() {
    const changed = el.dataset.state !== shown;
    el.dataset.state = shown;
    const [text, hint] = STATE_TEXT[shown]?.(label) ?? ["", ""];
    // A live region: only real changes, or screen readers hear the same line again.
    if (stateText.textContent !== text) stateText.textContent = text;
    if (stateHint.textContent !== hint) stateHint.textContent = hint;
    if (changed) onState();
  }
  player.start();
  renderState();

  return {
    el,
    update({ name: displayName, muted = false, cameraOff = false }) {
      label = displayName || stream;
      if (name.textContent !== label) name.textContent = label;
      initial.textContent = label.trim().charAt(0).toUpperCase();
      video.setAttribute("aria-label", `Live video of ${label}`);
      el.classList.toggle("is-cam-off", cameraOff);
      mic.hidden = !muted;
      cam.hidden = !cameraOff;
      renderState();
    },
    setMuted(value) {
      video.muted = value;
      if (!value) video.play().catch(() => {});
    },
    /** After signing in: a stream that refused a guest may play now (asked again only with
     * another ``token`` than the one refused). */
    retry(token) {
      if (player.state !== "error" || player.offeredWith === token) return;
      player.stop();
      shown = "connecting";
      player.start();
    },
    destroy() {
      player.stop();
      el.remove();
    },
  };
}
