// The coin shop: packages from the server, a checkout with the payment provider (the buyer
// pays on its page and comes back with ?coins=<purchase>), and the coins once they arrive.
// Coins are credited by the provider's webhook, never by this page: it only waits to see them.

import { byId, fill, h } from "./dom.js";
import { coins, coinsText } from "./format.js";

const POLL_MS = 1000;
const POLL_TRIES = 45;

export function setupCoinShop({ session, auth }) {
  const dialog = byId("coin-dialog");
  const list = byId("coin-packages");
  const reason = byId("coin-reason");
  const note = byId("coin-note");
  const error = byId("coin-error");
  const status = byId("coin-status");
  let shop = null;
  let buying = false;

  function say(text, kind = "info") {
    status.textContent = text;
    status.dataset.kind = kind;
  }

  function render() {
    byId("coin-balance").textContent = session.signedIn ? `You have ${coinsText(session.coins)}` : "";
    if (shop.provider === "off") {
      fill(list);
      note.textContent = "Buying coins is not set up on this server yet.";
      return;
    }
    note.textContent = shop.sandbox
      ? "Sandbox checkout: a test payment, no real money is charged."
      : "You pay on a secure checkout page and come back here.";
    fill(
      list,
      shop.packages.map((pack) =>
        h(
          "button",
          {
            type: "button",
            class: "coin-package",
            "aria-label": `Buy ${coinsText(pack.coins)} for ${pack.price}`,
            onclick: () => buy(pack),
          },
          h("span", { class: "coin-amount coins" }, coins(pack.coins)),
          h("span", { class: "coin-price" }, pack.price),
        ),
      ),
    );
  }

  async function open(why = "") {
    if (!session.signedIn) {
      auth.open("Sign in to buy coins.");
      return;
    }
    reason.textContent = why;
    error.textContent = "";
    try {
      shop ??= await session.api.get("/api/coins/packages");
    } catch (failure) {
      say(failure.message, "error");
      return;
    }
    render();
    if (!dialog.open) dialog.showModal();
    list.querySelector("button")?.focus();
  }

  async function buy(pack) {
    if (buying) return;
    buying = true;
    list.setAttribute("aria-busy", "true");
    error.textContent = "";
    try {
      const started = await session.api.post("/api/coins/checkout", {
        packageId: pack.id,
        returnTo: location.pathname,
      });
      location.assign(started.checkoutUrl);
    } catch (failure) {
      error.textContent = failure.message;
      buying = false;
      list.removeAttribute("aria-busy");
    }
  }

  /** Back from the checkout (?coins=<purchase id> or ?coins=cancelled): wait for the coins. */
  async function returned() {
    const params = new URLSearchParams(location.search);
    const outcome = params.get("coins");
    if (!outcome) return;
    params.delete("coins");
    const rest = params.toString();
    history.replaceState(null, "", location.pathname + (rest ? `?${rest}` : ""));
    if (outcome === "cancelled") {
      say("Checkout cancelled: no coins were bought.");
      return;
    }
    if (!session.signedIn) return;
    say("Waiting for the payment to be confirmed…");
    for (let tries = 0; tries < POLL_TRIES; tries += 1) {
      let purchase;
      try {
        purchase = await session.api.get(`/api/coins/purchases/${encodeURIComponent(outcome)}`);
      } catch (failure) {
        say(failure.message, "error");
        return;
      }
      if (purchase.status === "paid") {
        await session.refreshBalance();
        say(`${coinsText(purchase.coins)} added to your balance.`, "ok");
        return;
      }
      if (purchase.status !== "pending") {
        say(`This purchase was ${purchase.status}: no coins were added.`, "error");
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    say("The payment is not confirmed yet; your coins arrive as soon as it is.");
  }

  byId("coin-close").addEventListener("click", () => dialog.close());
  session.addEventListener("change", () => {
    if (shop && dialog.open) render();
  });

  return { open, returned };
}
