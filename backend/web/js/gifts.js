// The gift catalog with coin prices, the viewer's balance, and sending during a PK battle.

import { idempotencyKey } from "./api.js";
import { byId, fill, h, safeImageUrl } from "./dom.js";
import { coins, coinsText, displayName } from "./format.js";

export function setupGifts({ session, auth, battle }) {
  const grid = byId("gift-grid");
  const targets = byId("gift-targets");
  const hint = byId("gift-hint");
  const status = byId("gift-status");
  const balance = byId("gift-balance");
  const quantity = byId("gift-quantity");
  let catalog = [];
  let current = null; // the battle gifts go to
  let target = null; // host id
  let sending = false;
  let shown = null; // which battle state the targets show, so gift events don't rebuild them

  function say(text, kind = "info") {
    status.textContent = text;
    status.dataset.kind = kind;
  }

  function renderBalance() {
    if (session.signedIn) {
      balance.textContent = coinsText(session.coins);
      balance.title = "Your balance";
    } else {
      balance.textContent = "";
    }
  }

  function renderTargets() {
    const key = current ? `${current.id}:${current.status}` : "";
    if (key === shown) return;
    shown = key;
    const active = current?.status === "active";
    targets.hidden = !active;
    if (!active) {
      hint.textContent = current
        ? "This battle is over — gifts are closed."
        : "Gifts count in PK battles. There's no battle on right now.";
      return;
    }
    hint.textContent = "";
    if (![current.host1.id, current.host2.id].includes(target)) target = current.host1.id;
    fill(
      targets,
      h("legend", {}, "Support"),
      ["host1", "host2"].map((side) =>
        h(
          "label",
          { class: `target target--${side}` },
          h("input", {
            type: "radio",
            name: "gift-target",
            value: current[side].id,
            checked: current[side].id === target,
            onchange: () => {
              target = current[side].id;
            },
          }),
          h("span", {}, displayName(current[side])),
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
    if (sending) return;
    if (current?.status !== "active") {
      say(hint.textContent, "error");
      return;
    }
    if (!session.signedIn) {
      auth.open("Sign in to send gifts.");
      return;
    }
    const count = Number(quantity.value) || 1;
    const to = current[current.host1.id === target ? "host1" : "host2"];
    sending = true;
    grid.setAttribute("aria-busy", "true");
    say(`Sending ${gift.name}…`);
    try {
      const result = await session.api.post(
        `/api/pk-battles/${encodeURIComponent(current.id)}/gift`,
        { giftId: gift.id, quantity: count, toHost: target },
        { idempotency: idempotencyKey() },
      );
      session.setCoins(result.balance.coins);
      battle.applyScores(result.battleId, result.scores, result.topSupporters);
      say(`Sent ${gift.name}${count > 1 ? ` ×${count}` : ""} to ${displayName(to)}.`, "ok");
    } catch (error) {
      say(error.message, "error");
      if (error.status === 401) await session.expired();
    } finally {
      sending = false;
      grid.removeAttribute("aria-busy");
    }
  }

  session.addEventListener("change", renderBalance);

  return {
    setCatalog(list) {
      catalog = list;
      renderCatalog();
    },
    setBattle(next) {
      current = next;
      grid.dataset.open = String(current?.status === "active");
      renderTargets();
    },
  };
}
