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

  /** entries: [{stream, name, muted, cameraOff, whepUrl?, pip: {x, y, w, h}?}], main first. */
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
      const column = { x: 0.73, y: 0.03 + 0.26 * (index - 1), w: 0.24, h: 0.24 };
      placePip(tile.el, mode === "pip" && index > 0 ? (entry.pip ?? column) : null);
    });
  }

  /** Overlays of the pip layout: the layout's boxes (fractions of the stage) or a column. */
  function placePip(el, box) {
    for (const [prop, key] of [["left", "x"], ["top", "y"], ["width", "w"], ["height", "h"]]) {
      el.style[prop] = box ? `${(box[key] * 100).toFixed(2)}%` : "";
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
