// The video stage: which tiles are shown and how they are arranged.
// Modes: single (one stream), pk (two side by side), and the co-host layouts grid, spotlight,
// sidebar and pip. Tiles persist across changes, so a layout switch never restarts a video.

import { byId } from "./dom.js";
import { createTile } from "./tile.js";

const HAVE_PICTURE = 2; // HTMLMediaElement.HAVE_CURRENT_DATA: a frame to show

export function setupStage(getToken) {
  const stage = byId("stage");
  const holder = byId("tiles");
  const unmute = byId("unmute");
  const unmuteLabel = byId("unmute-label");
  const tiles = new Map();
  const settling = [];
  let muted = true;

  /** entries: [{stream, name, muted, cameraOff, whepUrl?, box: {x, y, w, h}?}], main first.
   *  A box (fractions of the stage) places the tile; without one the mode's CSS grid does. */
  function show(mode, entries, variant = "") {
    stage.dataset.mode = mode;
    stage.dataset.variant = variant;
    stage.dataset.count = String(entries.length);
    stage.style.setProperty("--others", String(Math.max(1, entries.length - 1)));
    const wanted = new Set(entries.map((entry) => entry.stream));
    for (const [stream, tile] of tiles) {
      if (!wanted.has(stream)) {
        tile.destroy();
        tiles.delete(stream);
      }
    }
    entries.forEach((entry, index) => {
      let tile = tiles.get(entry.stream);
      if (!tile) {
        tile = createTile(entry.stream, getToken, entry.whepUrl, tileChanged);
        tile.setMuted(muted);
        tiles.set(entry.stream, tile);
        holder.append(tile.el);
      }
      tile.update(entry);
      tile.el.style.order = String(index);
      tile.el.classList.toggle("is-main", index === 0);
      place(tile.el, entry.box ?? null);
    });
    showUnmute();
    orient();
  }

  /** One stream alone takes its own shape: a vertical one (a phone-first canvas) stands
   *  upright instead of sitting small between bars in a wide stage. */
  function orient() {
    const video = stage.dataset.mode === "single" ? holder.querySelector(".tile video") : null;
    const upright = Boolean(video && video.videoHeight > video.videoWidth);
    stage.dataset.orientation = upright ? "portrait" : "landscape";
  }
  // A video's size is known (or changes) with these events, which do not bubble: caught on
  // the way down.
  holder.addEventListener("loadedmetadata", orient, true);
  holder.addEventListener("resize", orient, true);

  /** The sound button only while a video plays: an offline stream has nothing to unmute. */
  function showUnmute() {
    unmute.hidden = ![...tiles.values()].some((tile) => tile.el.dataset.state === "playing");
  }

  function tileChanged() {
    showUnmute();
    if ([...tiles.values()].some((tile) => !hasSettled(tile.el))) return;
    for (const resolve of settling.splice(0)) resolve();
  }

  /** A tile shows its first picture, or says why it has none. */
  function hasSettled(el) {
    const { state } = el.dataset;
    const video = el.querySelector("video");
    return state !== "connecting" && (state !== "playing" || video.readyState >= HAVE_PICTURE);
  }
  holder.addEventListener("loadeddata", tileChanged, true);

  /** Resolves once each tile shows its first picture, or says why it has none. */
  function settled() {
    return new Promise((resolve) => {
      settling.push(resolve);
      tileChanged();
    });
  }

  /** A tile at its box, inset by half the gap on every side, as the studio draws it. */
  function place(el, box) {
    el.classList.toggle("is-placed", Boolean(box));
    const sides = [["left", "x", 1], ["top", "y", 1], ["width", "w", -2], ["height", "h", -2]];
    for (const [prop, key, gaps] of sides) {
      el.style[prop] = box ? `calc(${box[key] * 100}% + ${gaps} * var(--gap) / 2)` : "";
    }
  }

  function setMuted(value) {
    muted = value;
    for (const tile of tiles.values()) tile.setMuted(value);
    unmute.setAttribute("aria-pressed", String(!value));
    unmute.classList.toggle("is-on", !value);
    unmuteLabel.textContent = value ? "Tap to unmute" : "Mute";
  }
  unmute.addEventListener("click", () => setMuted(!muted));

  function retryRefused(token) {
    for (const tile of tiles.values()) tile.retry(token);
  }

  return { show, retryRefused, settled };
}
