// The viewer page's first steps: the watched stream's video starts the moment the page knows
// the stream's name (its URL), before the rest of the page's scripts and without waiting for
// the stream's state. Its WHEP offer waits for nothing but a viewer token, whose round trip
// overlaps the making of the offer (issue 23: every round trip before the offer delayed the
// first frame).
//
// The rest of the page (js/app.js) loads once the video shows its first picture (or says why
// it has none), or after REST_AFTER_MS: until then its dozen scripts and its requests would
// queue before the token and the offer on the browser's six connections to the server, and
// take the server's and the browser's time while they answer and connect. It takes the stage
// over: the tile stays while the stream's state says this stream is shown, and goes for a
// stream that does not exist. A click on one of its buttons before it has loaded is kept and
// made again once it has, so no tap is lost.
//
// The media settings come with the page (<meta name="onair-media">): where streams play, and
// whether STUN/TURN servers are configured; only then (their credentials are per viewer) does
// the video wait for GET /api/media/config.

import { Session } from "./session.js";
import { setupStage } from "./stage.js";
import { setMediaConfig } from "./tile.js";

const RETRY_MS = 3000;
const REST_AFTER_MS = 2500;
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The stream named in the page's URL, /watch/{stream}. */
export const requested = decodeURIComponent(
  location.pathname.split("/").filter(Boolean).pop() ?? "",
);
export const session = new Session();
/** The first identity (restored, or a new guest's); js/app.js retries when it fails. */
export const identity = session.start();
identity.catch(() => {}); // js/app.js handles its failure: not "unhandled" meanwhile
export const stage = setupStage(async () => {
  await session.ready;
  return session.token;
});

/** The media settings the page came with, or null when they must be asked for. */
function pageMedia() {
  const content = document.querySelector('meta[name="onair-media"]')?.content;
  const media = content ? JSON.parse(content) : null;
  return media && !media.askIceServers ? { whep: media.whep, iceServers: [] } : null;
}

/** The media settings: the page's, else asked for (again until the server answers). */
async function loadMediaConfig() {
  const known = pageMedia();
  if (known) return setMediaConfig(known);
  for (;;) {
    try {
      await session.ready;
      return setMediaConfig(await session.api.get("/api/media/config"));
    } catch {
      await pause(RETRY_MS);
    }
  }
}

/** Resolves once the media settings are in and the requested stream's tile has started. */
export const playing = loadMediaConfig().then(() => {
  stage.show("single", [{ stream: requested, name: requested }]);
});

const earlyClicks = [];
/** Keeps a click on a button js/app.js has not wired yet (the stage's own are wired here). */
function keepEarlyClick(event) {
  const button = event.target.closest?.("button");
  if (!button || button.closest("#unmute")) return;
  event.preventDefault();
  event.stopPropagation();
  if (!earlyClicks.includes(button)) earlyClicks.push(button);
}
document.addEventListener("click", keepEarlyClick, true);

Promise.race([playing.then(() => stage.settled()), pause(REST_AFTER_MS)])
  .then(() => import("./app.js"))
  .then(() => {
    document.removeEventListener("click", keepEarlyClick, true);
    for (const button of earlyClicks.splice(0)) button.click();
  });
