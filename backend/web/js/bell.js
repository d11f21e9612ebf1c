// The bell: a signed-in viewer's notifications ("X went live"), the unread count live over
// /ws, the list opened from the bell (which marks them read). Names go in as text.

import { byId, fill, h } from "./dom.js";
import { ago } from "./format.js";

export function setupBell({ session, realtime }) {
  const wrap = byId("bell-wrap");
  const button = byId("bell");
  const badge = byId("bell-count");
  const panel = byId("bell-panel");
  const list = byId("bell-list");
  let items = [];
  let unread = 0;

  function render() {
    renderCount();
    if (!items.length) {
      fill(list, h("li", { class: "bell-empty" }, "When someone you follow goes live, you'll see it here."));
      return;
    }
    fill(
      list,
      items.map((item) =>
        h(
          "li",
          { class: item.read ? "bell-item" : "bell-item is-unread" },
          h(
            "a",
            { href: `/watch/${encodeURIComponent(item.stream)}` },
            h("strong", {}, item.streamer.displayName || item.streamer.username),
            " went live",
            h("span", { class: "bell-title" }, item.title),
            h("time", { datetime: item.createdAt }, ago(item.createdAt)),
          ),
        ),
      ),
    );
  }

  function renderCount() {
    badge.hidden = unread === 0;
    badge.textContent = unread > 99 ? "99+" : String(unread);
    button.setAttribute(
      "aria-label",
      unread ? `Notifications, ${unread} unread` : "Notifications",
    );
  }

  async function load() {
    if (!session.signedIn) return;
    try {
      const data = await session.api.get("/api/notifications");
      items = data.notifications;
      unread = data.unread;
      render();
    } catch {
      // the count comes again with the next notification or reload
    }
  }

  /** Opening marks everything read (the count goes at once, the server is told after); the
   * new ones stay highlighted until the list closes. */
  async function toggle() {
    const opening = panel.hidden;
    if (!opening) return close();
    panel.hidden = false;
    button.setAttribute("aria-expanded", "true");
    if (unread === 0) return;
    unread = 0;
    renderCount();
    try {
      unread = (await session.api.post("/api/notifications/read", {})).unread;
    } catch {
      load(); // not marked read: the count the server still has comes back
      return;
    }
    renderCount();
  }

  function close() {
    panel.hidden = true;
    button.setAttribute("aria-expanded", "false");
    if (unread === 0) items = items.map((item) => ({ ...item, read: true }));
    render();
  }

  button.addEventListener("click", toggle);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !panel.hidden) {
      close();
      button.focus();
    }
  });
  realtime.on("notification:added", (data) => {
    items = [data.notification, ...items.filter((i) => i.id !== data.notification.id)];
    unread = data.unread;
    render();
  });
  // Connected (again): what arrived while the link was down is fetched, not lost.
  realtime.on("status", (state) => {
    if (state === "open") load();
  });
  realtime.on("notification:read", (data) => {
    unread = data.unread;
    if (panel.hidden) close(); // read on another page: nothing new here either
    else renderCount();
  });
  session.addEventListener("change", () => {
    wrap.hidden = !session.signedIn;
    items = [];
    unread = 0;
    render();
    load();
  });
  return { load };
}
