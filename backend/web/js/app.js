// The viewer page: wires the stream's state (REST snapshot + live events) to the components.

import { setupAuth } from "./auth.js";
import { setupBattle } from "./battle.js";
import { setupCohost } from "./cohost.js";
import { byId, fill, h } from "./dom.js";
import { setupFeed } from "./feed.js";
import { coins, count, displayName } from "./format.js";
import { setupGifts } from "./gifts.js";
import { Realtime } from "./realtime.js";
import { Session } from "./session.js";
import { setupShop } from "./shop.js";
import { setupStage } from "./stage.js";
import { setMediaConfig } from "./tile.js";

const REFRESH_MS = 5000;
const requested = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() ?? "");

const session = new Session();
const realtime = new Realtime(() => session.token);
const feed = setupFeed();
const auth = setupAuth(session);
const stage = setupStage(() => session.token);
const battle = setupBattle({ realtime, feed, onChange: arrange });
const gifts = setupGifts({ session, auth, battle });
const shop = setupShop({ realtime, session, auth, feed });
const cohost = setupCohost({ realtime, feed, onChange: arrange, refresh });
let snapshot = null;
let connectedAs = null;

/** A battle host's tile: their stream is named after them. */
function entryFor(user) {
  return { stream: user.username, name: displayName(user) };
}

/** Decide what the stage shows from the current state. */
function arrange() {
  gifts.setBattle(battle.current);
  if (!snapshot) return;
  renderInfo();
  const current = battle.current;
  if (current) {
    stage.show("pk", [entryFor(current.host1), entryFor(current.host2)]);
  } else if (cohost.active) {
    const { mode, variant, entries } = cohost.arrangement();
    stage.show(mode, entries, variant);
  } else {
    const { stream, whepUrl } = snapshot;
    stage.show("single", [{ stream, whepUrl, name: displayName(snapshot.streamer) }]);
  }
}

function renderHeader() {
  const streamer = snapshot.streamer;
  const name = displayName(streamer);
  byId("streamer-name").textContent = name;
  byId("streamer-avatar").textContent = name.trim().charAt(0).toUpperCase();
  document.title = `${name} · OnAir`;
  const badge = byId("live-badge");
  badge.dataset.live = String(snapshot.live);
  badge.textContent = snapshot.live === false ? "Offline" : "Live";
  renderViewers(snapshot.viewerCount);
}

/** What is on: a title and a tag for each running feature. */
function renderInfo() {
  const current = battle.current;
  const titles = [current?.title, snapshot.multihost?.title, snapshot.shopping?.title];
  const title = titles.find(Boolean) ?? `Live with ${displayName(snapshot.streamer)}`;
  byId("stream-title").textContent = title;
  const tags = [];
  if (current) tags.push(["pk", current.status === "active" ? "PK battle" : "PK result"]);
  if (cohost.active) tags.push(["cohost", `Co-hosting · ${cohost.arrangement().entries.length}`]);
  if (snapshot.shopping) tags.push(["shop", "Shopping"]);
  const key = tags.flat().join("|");
  const list = byId("stream-tags");
  if (list.dataset.key === key) return;
  list.dataset.key = key;
  fill(list, tags.map(([kind, text]) => h("li", { class: `tag tag--${kind}` }, text)));
}

function renderViewers(viewers) {
  const el = byId("viewer-count");
  el.textContent = `${count(viewers)} watching`;
  el.setAttribute("aria-label", `${viewers} ${viewers === 1 ? "viewer" : "viewers"} watching`);
}

function renderAccount() {
  const signedIn = session.signedIn;
  byId("sign-in").hidden = signedIn;
  byId("sign-out").hidden = !signedIn;
  byId("account-name").hidden = !signedIn;
  byId("account-coins").hidden = !signedIn;
  if (signedIn) {
    byId("account-name").textContent = displayName(session.user);
    byId("account-coins").textContent = coins(session.coins);
    byId("account-coins").setAttribute("aria-label", `${session.coins} coins`);
  }
  stage.retryRefused();
  if (connectedAs !== session.token) {
    connectedAs = session.token;
    realtime.connect(); // events for this identity (orders, balance) need its token
  }
}

async function refresh() {
  try {
    snapshot = await session.api.get(`/api/streams/${encodeURIComponent(requested)}`);
  } catch (error) {
    if (error.status === 404) return showMissing(error.message);
    if (error.status === 401) await session.expired();
    return;
  }
  realtime.join(`stream:${snapshot.stream}`); // counts us as a viewer
  renderHeader();
  cohost.set(snapshot.multihost);
  shop.set(snapshot.shopping);
  battle.set(snapshot.battle);
}

function showMissing(message) {
  byId("streamer-name").textContent = "Stream not found";
  byId("live-badge").hidden = true;
  byId("stage").dataset.mode = "missing";
  byId("tiles").textContent = message;
}

let lostConnection = false;

function setConnection(state) {
  if (state === "closed") lostConnection = true;
  byId("connection").hidden = !lostConnection;
  if (state === "open" && lostConnection) {
    lostConnection = false;
    byId("connection").hidden = true;
    refresh(); // events may have been missed while away
  }
}

/** Identity and catalog first (retried until the server answers), then the stream's state. */
async function start() {
  try {
    await session.start();
    gifts.setCatalog(await session.api.get("/api/gifts"));
    setMediaConfig(await session.api.get("/api/media/config"));
  } catch {
    byId("connection").hidden = false;
    setTimeout(start, 3000);
    return;
  }
  byId("connection").hidden = true;
  await refresh();
  setInterval(refresh, REFRESH_MS);
}

realtime.on("status", setConnection);
realtime.on("stream:viewers", (data) => {
  if (data.stream === snapshot?.stream) renderViewers(data.viewers);
});
session.addEventListener("change", renderAccount);
byId("sign-in").addEventListener("click", () => auth.open());
byId("sign-out").addEventListener("click", () => session.signOut());
start();
