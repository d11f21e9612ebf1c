// The viewer page: wires the stream's state (REST snapshot + live events) to the components.

import { setupAuth } from "./auth.js";
import { setupBattle } from "./battle.js";
import { identity, playing, requested, session, stage } from "./boot.js";
import { setupChat } from "./chat.js";
import { setupCohost } from "./cohost.js";
import { setupCoinShop } from "./coins.js";
import { byId, fill, h } from "./dom.js";
import { setupFeed } from "./feed.js";
import { coins, count, displayName } from "./format.js";
import { setupGifts } from "./gifts.js";
import { Realtime } from "./realtime.js";
import { setupShop } from "./shop.js";
import { setupFollow, setupLikes } from "./social.js";

const REFRESH_MS = 5000;

const realtime = new Realtime(async () => (await session.api.post("/api/ws-ticket")).ticket);
const feed = setupFeed();
const auth = setupAuth(session);
const battle = setupBattle({ realtime, feed, onChange: arrange });
const coinShop = setupCoinShop({ session, auth });
const gifts = setupGifts({ session, auth, battle, realtime, feed, coinShop });
const shop = setupShop({ realtime, session, auth, feed });
const cohost = setupCohost({ realtime, feed, onChange: arrange, refresh });
const chat = setupChat({ realtime, session, auth, supporters: topSupporters });
const follow = setupFollow({ session, auth, onChange: () => chat.reread() });
const likes = setupLikes({ session, realtime, auth });
let snapshot = null;
let connectedAs = null;

/** A battle host's tile: their stream is named after them. */
function entryFor(user) {
  return { stream: user.username, name: displayName(user) };
}

/** The ids of the running battle's top supporters (their chat lines are marked). */
function topSupporters() {
  const running = battle.current?.status === "active" ? battle.current : null;
  const top = running?.topSupporters;
  const all = top ? [...(top.host1 ?? []), ...(top.host2 ?? [])] : [];
  return new Set(all.map((supporter) => supporter.id));
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
  const titles = [snapshot.title, current?.title, snapshot.multihost?.title, snapshot.shopping?.title];
  const title = titles.find(Boolean) ?? `Live with ${displayName(snapshot.streamer)}`;
  byId("stream-title").textContent = title;
  const tags = [];
  if (current) tags.push(["pk", current.status === "active" ? "PK battle" : "PK result"]);
  if (cohost.active) tags.push(["cohost", `Co-hosting · ${cohost.arrangement().entries.length}`]);
  if (snapshot.shopping) tags.push(["shop", "Shopping"]);
  if (snapshot.category) tags.push(["category", snapshot.category]);
  const key = tags.flat().join("|");
  const list = byId("stream-tags");
  if (list.dataset.key === key) return;
  list.dataset.key = key;
  fill(list, tags.map(([kind, text]) => h("li", { class: `tag tag--${kind}` }, text)));
}

function renderViewers(viewers) {
  const el = byId("viewer-count");
  // The word goes on a phone beside the Follow button (the eye says it); the label keeps it.
  el.replaceChildren(count(viewers), h("span", { class: "viewers-word" }, " watching"));
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
  stage.retryRefused(session.token);
  if (connectedAs !== session.token) {
    connectedAs = session.token;
    realtime.connect(); // events for this identity (orders, balance) need its token; the chat
    // reads what this identity may write once the new connection has joined the stream's room
    if (snapshot) refresh(); // whether this identity follows the streamer
  }
}

function fetchSnapshot() {
  return session.api.get(`/api/streams/${encodeURIComponent(requested)}`);
}

/** Read the stream's state again (or take ``pending``, a read already on its way). */
async function refresh(pending = null) {
  try {
    snapshot = await (pending ?? fetchSnapshot());
  } catch (error) {
    if (error.status === 404) return showMissing(error.message);
    if (error.status === 401) await session.expired();
    return;
  }
  realtime.join(`stream:${snapshot.stream}`); // counts us as a viewer
  chat.set(snapshot.stream);
  renderHeader();
  follow.set(snapshot);
  likes.set(snapshot);
  gifts.setStream(snapshot, snapshot.multihost);
  cohost.set(snapshot.multihost);
  shop.set(snapshot.shopping);
  battle.set(snapshot.battle);
}

function showMissing(message) {
  byId("streamer-name").textContent = "Stream not found";
  byId("live-badge").hidden = true;
  stage.show("missing", []); // the video js/boot.js started stops
  byId("tiles").textContent = message;
}

let lostConnection = false;

function setConnection(state) {
  if (state === "closed") lostConnection = true;
  byId("connection").hidden = !lostConnection;
  if (state === "open" && lostConnection) {
    lostConnection = false;
    byId("connection").hidden = true;
  }
}

// Events sent before the connection joined the stream's room (while the page loads, while it
// was away) never reach it: the state is read again once it has joined (the chat does the same).
realtime.on("joined", (data) => {
  if (snapshot && data.room === `stream:${snapshot.stream}`) refresh();
});

/** The gift catalog, read again until the server answers. */
function loadCatalog() {
  session.api.get("/api/gifts").then(
    (catalog) => gifts.setCatalog(catalog),
    () => setTimeout(loadCatalog, 3000),
  );
}

/** Identity first (``first``: the one js/boot.js asked for), then the stream's state and the
 * catalog at once (retried until the server answers). The video does not wait for them:
 * js/boot.js started it from the URL's stream name. */
async function start(first = null) {
  let pending;
  try {
    await (first ?? session.start());
    pending = fetchSnapshot();
    pending.catch(() => {}); // refresh() handles its failure; not "unhandled" meanwhile
    loadCatalog();
  } catch {
    byId("connection").hidden = false;
    setTimeout(start, 3000);
    return;
  }
  byId("connection").hidden = true;
  coinShop.returned(); // back from a coin checkout: wait for the coins to arrive
  await playing; // the media settings are in: the stage may place tiles
  await refresh(pending);
  setInterval(() => refresh(), REFRESH_MS);
}

realtime.on("status", setConnection);
realtime.on("stream:viewers", (data) => {
  if (data.stream === snapshot?.stream) renderViewers(data.viewers);
});
session.addEventListener("change", renderAccount);
byId("sign-in").addEventListener("click", () => auth.open());
byId("sign-out").addEventListener("click", () => session.signOut());
// js/boot.js may have the identity already: said again for everything set up here to hear it.
if (session.token) session.dispatchEvent(new Event("change"));
start(identity);
