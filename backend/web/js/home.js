// The home page: who is live now (followed streamers first, then the most watched), the
// followed streamers who are not, a search by name and the notification bell.

import { setupAuth } from "./auth.js";
import { setupBell } from "./bell.js";
import { byId, fill, h, safeImageUrl } from "./dom.js";
import { ago, count, displayName } from "./format.js";
import { Realtime } from "./realtime.js";
import { Session } from "./session.js";

const REFRESH_MS = 10000;
const SEARCH_DELAY_MS = 250;
const BADGES = {
  pk: "PK battle",
  cohost: "Co-hosting",
  shopping: "Shopping",
  "flash-sale": "Flash sale",
};

const session = new Session();
const realtime = new Realtime(async () => (await session.api.post("/api/ws-ticket")).ticket);
const auth = setupAuth(session);
setupBell({ session, realtime });
let query = "";
let loading = 0;
let connectedAs = null;

const watchUrl = (stream) => `/watch/${encodeURIComponent(stream)}`;

function thumbnail(live) {
  const url = safeImageUrl(live.stillUrl);
  const name = displayName(live.streamer);
  // A new still every few seconds: the address changes so the browser fetches it again.
  const src = url && `${url}${url.includes("?") ? "&" : "?"}t=${Math.floor(Date.now() / REFRESH_MS)}`;
  return h(
    "div",
    { class: "card-media" },
    src
      ? h("img", { src, alt: "", loading: "lazy", decoding: "async" })
      : h("span", { class: "card-initial", "aria-hidden": "true" }, name.charAt(0).toUpperCase()),
    h("span", { class: "badge", "data-live": "true" }, "Live"),
    h(
      "span",
      { class: "card-viewers viewers", "aria-label": `${live.viewerCount} watching` },
      count(live.viewerCount),
    ),
  );
}

function liveCard(live) {
  const name = displayName(live.streamer);
  const badges = live.badges.map((badge) =>
    h("li", { class: `tag tag--${badge}` }, BADGES[badge] ?? badge),
  );
  return h(
    "li",
    { class: "card", "data-stream": live.stream },
    h(
      "a",
      { class: "card-link", href: watchUrl(live.stream) },
      thumbnail(live),
      h(
        "div",
        { class: "card-body" },
        h("h3", { class: "card-title" }, live.title),
        h(
          "p",
          { class: "card-streamer" },
          h("span", { class: "card-name" }, name),
          live.following ? h("span", { class: "following-mark" }, "Following") : null,
        ),
        live.category ? h("p", { class: "card-category" }, live.category) : null,
      ),
    ),
    badges.length ? h("ul", { class: "tags card-tags", "aria-label": "Happening now" }, badges) : null,
  );
}

function offlineRow(entry) {
  const name = displayName(entry.streamer);
  const when = entry.lastLiveAt ? `Last live ${ago(entry.lastLiveAt)}` : "Not live yet";
  return h(
    "li",
    { class: "offline-item" },
    h(
      "a",
      { href: watchUrl(entry.stream) },
      h("span", { class: "avatar", "aria-hidden": "true" }, name.charAt(0).toUpperCase()),
      h(
        "span",
        { class: "offline-text" },
        h("span", { class: "offline-name" }, name),
        h("span", { class: "offline-when" }, entry.lastLiveAt ? h("time", { datetime: entry.lastLiveAt }, when) : when),
      ),
      h("span", { class: "offline-followers" }, `${count(entry.followers)} ${entry.followers === 1 ? "follower" : "followers"}`),
    ),
  );
}

function render(data) {
  const note = byId("live-note");
  if (!data.liveKnown) note.textContent = "This server cannot tell who is live.";
  else if (!data.live.length) {
    note.textContent = query ? `Nobody live matches “${query}”.` : "Nobody is live right now. Check back soon.";
  } else {
    const n = data.live.length;
    note.textContent = `${n} ${n === 1 ? "stream" : "streams"} live${query ? ` matching “${query}”` : ""}`;
  }
  fill(byId("live-list"), data.live.map(liveCard));
  byId("offline-title").textContent = query ? "Not live now" : "Following · offline";
  byId("offline-section").hidden = !data.offline.length;
  fill(byId("offline-list"), data.offline.map(offlineRow));
}

async function refresh() {
  const mine = ++loading;
  const path = query ? `/api/discover?q=${encodeURIComponent(query)}` : "/api/discover";
  try {
    const data = await session.api.get(path);
    if (mine !== loading) return; // a newer search answered first
    byId("connection").hidden = true;
    render(data);
  } catch (error) {
    if (error.status === 401) await session.expired();
    else byId("connection").hidden = false;
  }
}

function renderAccount() {
  const signedIn = session.signedIn;
  byId("sign-in").hidden = signedIn;
  byId("sign-out").hidden = !signedIn;
  byId("account-name").hidden = !signedIn;
  if (signedIn) byId("account-name").textContent = displayName(session.user);
  if (connectedAs !== session.token) {
    connectedAs = session.token;
    realtime.connect(); // the user room (notifications) follows the identity
    refresh();
  }
}

let searchTimer = null;
byId("search").addEventListener("input", (event) => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => {
    query = event.target.value.trim();
    refresh();
  }, SEARCH_DELAY_MS);
});
byId("search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  clearTimeout(searchTimer);
  query = byId("search").value.trim();
  refresh();
});
// Someone went live: the list changes now, not at the next refresh.
realtime.on("notification:added", () => refresh());
realtime.on("status", (state) => {
  if (state === "open") refresh();
});
session.addEventListener("change", renderAccount);
byId("sign-in").addEventListener("click", () => auth.open());
byId("sign-out").addEventListener("click", () => session.signOut());

async function start() {
  try {
    await session.start();
  } catch {
    byId("connection").hidden = false;
    setTimeout(start, 3000);
    return;
  }
  setInterval(refresh, REFRESH_MS);
}
start();
