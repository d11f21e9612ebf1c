// The video stage: which tiles are shown and how they are arranged.
// Modes: single (one stream), pk (two side by side), and the co-host layouts grid, spotlight,
// sidebar and pip. Tiles persist across changes, so a layout switch never restarts a video.

import { byId } from "./dom.js";
import { createTile } from "./tile.js";

export function setupStage(getToken) {
  const stage = byId("stage");
  const holder = byId("tiles");
  const unmute = byId("unmute");
  const unmuteLabel = byId("unmute-label");
  const tiles = new Map();
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
        tile = createTile(entry.stream, getToken, entry.whepUrl);
        tile.setMuted(muted);
        tiles.set(entry.stream, tile);
        holder.append(tile.el);
      }
      tile.update(entry);
      tile.el.style.order = String(index);
      tile.el.classList.toggle("is-main", index === 0);
      place(tile.el, entry.box ?? null);
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

  function retryRefused() {
    for (const tile of tiles.values()) tile.retry();
  }

  return { show, retryRefused };
}
