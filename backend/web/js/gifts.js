// The gift tray on every live: the catalog with coin prices, the viewer's balance, whom a gift
// goes to (the streamer; any host while co-hosting; either side during a PK battle, where it
// counts for the battle), and the gift animation on the stage.

import { idempotencyKey } from "./api.js";
import { byId, fill, h, safeImageUrl } from "./dom.js";
import { coins, coinsText, displayName } from "./format.js";

const MAX_BURSTS = 12;
const reducedMotion = matchMedia("(prefers-reduced-motion: reduce)");

export function setupGifts({ session, auth, battle, realtime, feed, coinShop }) {
  const grid = byId("gift-grid");
  const targets = byId("gift-targets");
  const hint = byId("gift-hint");
  const status = byId("gift-status");
  const balance = byId("gift-balance");
  const quantity = byId("gift-quantity");
  const bursts = byId("gift-bursts");
  let catalog = [];
  let stream = null; // the live's name, as /api/streams/{stream} answers it
  let streamer = null;
  let cohosts = []; // the hosts of the live co-host session, when there is one
  let current = null; // the streamer's battle
  let target = null; // the recipient's user id
  let sending = false;
  let shown = null; // which recipients the targets show, so events don't rebuild them

  function say(text, kind = "info") {
    status.textContent = text;
    status.dataset.kind = kind;
  }

  function renderBalance() {
    balance.textContent = session.signedIn ? coinsText(session.coins) : "";
    balance.title = session.signedIn ? "Your balance" : "";
  }

  function inBattle() {
    return current?.status === "active";
  }

  /** Who a gift can go to now, and how each is drawn. */
  function recipients() {
    if (inBattle()) {
      return ["host1", "host2"].map((side) => ({ user: current[side], kind: `target--${side}` }));
    }
    if (cohosts.length > 1) return cohosts.map((user) => ({ user, kind: "" }));
    return streamer ? [{ user: streamer, kind: "" }] : [];
  }

  function renderTargets() {
    const list = recipients();
    const key = `${inBattle()}|${list.map(({ user }) => user.id).join(",")}`;
    if (key === shown) return;
    shown = key;
    if (!list.some(({ user }) => user.id === target)) target = list[0]?.user.id ?? null;
    grid.dataset.open = String(list.length > 0);
    targets.hidden = list.length < 2;
    if (list.length < 2) {
      hint.textContent = streamer ? `Gifts go to ${displayName(streamer)}.` : "";
      return;
    }
    hint.textContent = inBattle() ? "Gifts count in the PK battle." : "";
    fill(
      targets,
      h("legend", {}, inBattle() ? "Support" : "Send to"),
      list.map(({ user, kind }) =>
        h(
          "label",
          { class: `target ${kind}` },
          h("input", {
            type: "radio",
            name: "gift-target",
            value: user.id,
            checked: user.id === target,
            onchange: () => {
              target = user.id;
            },
          }),
          h("span", {}, displayName(user)),
        ),
      ),
    );
  }

  function renderCatalog() {
    fill(
      grid,
      catalog.map((gift) => {
        const icon = safeImageUrl(gift.icon);
        return h(
          "button",
          {
            type: "button",
            class: "gift",
            "aria-label": `Send ${gift.name}, ${coinsText(gift.coins)} each`,
            onclick: () => send(gift),
          },
          icon ? h("img", { src: icon, alt: "", width: 40, height: 40 }) : null,
          h("span", { class: "gift-name" }, gift.name),
          h("span", { class: "gift-price" }, coins(gift.coins)),
        );
      }),
    );
  }

  async function send(gift) {
    if (sending || !stream || !target) return;
    if (!session.signedIn) {
      auth.open("Sign in to send gifts.");
      return;
    }
    const count = Number(quantity.value) || 1;
    const to = recipients().find(({ user }) => user.id === target)?.user;
    sending = true;
    grid.setAttribute("aria-busy", "true");
    say(`Sending ${gift.name}…`);
    try {
      const result = await session.api.post(
        `/api/streams/${encodeURIComponent(stream)}/gift`,
        { giftId: gift.id, quantity: count, toHost: target },
        { idempotency: idempotencyKey() },
      );
      session.setCoins(result.balance.coins);
      if (result.battle) {
        const { battleId, scores, topSupporters } = result.battle;
        battle.applyScores(battleId, scores, topSupporters);
      }
      say(`Sent ${gift.name}${count > 1 ? ` ×${count}` : ""} to ${displayName(to)}.`, "ok");
    } catch (error) {
      say(error.message, "error");
      if (error.code === "insufficient_funds") coinShop.open(error.message);
      if (error.status === 401) await session.expired();
    } finally {
      sending = false;
      grid.removeAttribute("aria-busy");
    }
  }

  function burst(gift) {
    if (reducedMotion.matches) return;
    while (bursts.children.length >= MAX_BURSTS) bursts.firstElementChild.remove();
    const icon = safeImageUrl(gift.icon);
    const node = h(
      "div",
      { class: "burst burst--live" },
      icon ? h("img", { src: icon, alt: "" }) : null,
      h("span", {}, gift.quantity > 1 ? `×${gift.quantity}` : ""),
    );
    node.style.setProperty("--drift", `${Math.round(Math.random() * 120 - 60)}px`);
    node.addEventListener("animationend", () => node.remove());
    bursts.append(node);
  }

  // A gift outside a battle (a battle's gifts are drawn by battle.js).
  realtime.on("stream:gift", (data) => {
    if (data.stream !== stream) return;
    const gift = data.gift;
    burst(gift);
    feed.add(
      h("strong", {}, displayName(gift.sender)),
      ` sent ${gift.name}${gift.quantity > 1 ? ` ×${gift.quantity}` : ""} to `,
      displayName(gift.recipient),
      " ",
      h("span", { class: "muted" }, `(${coins(gift.coins)} coins)`),
    );
  });

  session.addEventListener("change", renderBalance);
  byId("gift-buy-coins").addEventListener("click", () => coinShop.open());

  return {
    setCatalog(list) {
      catalog = list;
      renderCatalog();
    },
    /** The live: its name, its streamer, its co-host session (or null). */
    setStream(snapshot, multihost) {
      stream = snapshot.stream;
      streamer = snapshot.streamer;
      cohosts = (multihost?.hosts ?? []).map((host) => ({ ...host, id: host.userId }));
      renderTargets();
    },
    setBattle(next) {
      current = next;
      renderTargets();
    },
  };
}
