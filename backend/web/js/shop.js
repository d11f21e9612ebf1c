// Live shopping: the pinned product card (live/regular price, flash-sale countdown, stock,
// sold out), a voucher field, buying with a confirmation, and the order's status.
// The card is built once and updated in place, so typing in it is never interrupted.

import { idempotencyKey } from "./api.js";
import { untilServerTime } from "./clock.js";
import { byId, fill, h, safeImageUrl } from "./dom.js";
import { coins, coinsText, countdown, displayName } from "./format.js";
import { every } from "./ticker.js";

const MAX_QUANTITY = 99;
const ORDER_STATUS = { placed: "Order placed", fulfilled: "Shipped", cancelled: "Cancelled" };

export function setupShop({ realtime, session, auth, feed }) {
  const panel = byId("shop");
  const dialog = byId("buy-dialog");
  let shop = null;
  let product = null;
  let quantity = 1;
  let voucher = null; // {code, discount, subtotal} once the server accepted it
  let order = null;
  let buyKey = null; // one key per confirmation, so a retried click cannot order twice

  const ui = buildCard();
  byId("shop-card").append(ui.root);

  function buildCard() {
    const el = {};
    el.media = h("div", { class: "product-media" });
    el.flashBadge = h("span", { class: "flash-badge" }, "Flash sale");
    el.name = h("h3", { class: "product-name" });
    el.desc = h("p", { class: "product-desc" });
    el.now = h("span", { class: "price-now coins" });
    el.was = h("s", { class: "price-was" });
    el.off = h("span", { class: "price-off" });
    el.timer = h("strong", { class: "flash-timer", role: "timer" });
    el.meter = h("span", { class: "flash-meter-fill" });
    el.flashLeft = h("span", { class: "flash-left" });
    el.flash = h(
      "div",
      { class: "flash" },
      h("div", { class: "flash-row" }, h("span", {}, "Flash sale ends in"), el.timer),
      h("div", { class: "flash-meter", "aria-hidden": "true" }, el.meter),
      el.flashLeft,
    );
    el.stock = h("p", { class: "stock" });
    el.qty = h("output", { class: "qty-value", "aria-live": "polite", id: "shop-qty" }, "1");
    const step = (label, text, delta) =>
      h("button", {
        type: "button",
        class: "qty-btn",
        "aria-label": label,
        onclick: () => setQuantity(quantity + delta),
      }, text);
    el.less = step("One fewer", "−", -1);
    el.more = step("One more", "+", 1);
    el.code = h("input", {
      id: "voucher-code",
      name: "voucher",
      autocomplete: "off",
      spellcheck: "false",
      autocapitalize: "characters",
      maxlength: 32,
      placeholder: "Code",
    });
    el.apply = h("button", { type: "submit", class: "btn btn-ghost" }, "Apply");
    el.voucherStatus = h("p", { class: "status voucher-status", role: "status" });
    el.chips = h("div", { class: "voucher-chips" });
    el.buy = h(
      "button",
      { type: "button", class: "btn btn-primary btn-buy", onclick: openConfirm },
      "Buy now",
    );
    el.orderStatus = h("p", { class: "order-status", role: "status", "aria-live": "polite" });
    el.empty = h("p", { class: "hint shop-empty" }, "The host has not pinned a product yet.");
    el.card = h(
      "article",
      { class: "product", "aria-labelledby": "shop-product-name" },
      h(
        "div",
        { class: "product-head" },
        el.media,
        h("div", { class: "product-info" }, el.flashBadge, el.name, el.desc),
      ),
      h("p", { class: "price" }, el.now, el.was, el.off),
      el.flash,
      el.stock,
      h(
        "div",
        { class: "qty" },
        h("span", { id: "shop-qty-label" }, "Quantity"),
        h(
          "div",
          { class: "qty-stepper", role: "group", "aria-labelledby": "shop-qty-label" },
          el.less,
          el.qty,
          el.more,
        ),
      ),
      h(
        "form",
        { class: "voucher", onsubmit: applyVoucher },
        h("label", { for: "voucher-code" }, "Voucher"),
        h("div", { class: "voucher-row" }, el.code, el.apply),
      ),
      el.chips,
      el.voucherStatus,
      el.buy,
      el.orderStatus,
    );
    el.name.id = "shop-product-name";
    el.root = h("div", {}, el.card, el.empty);
    return el;
  }

  function set(next) {
    const room = (s) => (s ? `live-shopping:${s.id}` : null);
    if (room(shop) !== room(next)) {
      if (shop) realtime.leave(room(shop));
      if (next) realtime.join(room(next));
    }
    shop = next;
    setProduct(next?.pinnedProduct ?? null);
  }

  function setProduct(next) {
    if (next && product && next.productId === product.productId) {
      // Stock only falls while a product is pinned: an older snapshot cannot undo a sale.
      const stock = Math.min(next.stock, product.stock);
      next = { ...next, stock, soldOut: next.soldOut || stock === 0 };
    } else {
      quantity = 1;
      voucher = null;
      ui.code.value = "";
      say(ui.voucherStatus, "");
      if (next && shop) track(next.productId);
    }
    product = next;
    render();
  }

  function track(productId) {
    session.api
      .post(`${base()}/interactions`, { productId, type: "view" })
      .catch(() => {}); // analytics only; never in the viewer's way
  }

  const base = () => `/api/live-shopping/${encodeURIComponent(shop.id)}`;

  function flashOn() {
    const sale = product?.flashSale;
    return Boolean(
      sale?.status === "active" && sale.remaining > 0 && untilServerTime(sale.endsAt) > 0,
    );
  }

  function render() {
    panel.hidden = !shop;
    if (!shop) return;
    ui.card.hidden = !product;
    ui.empty.hidden = Boolean(product);
    if (!product) return;
    ui.card.dataset.soldOut = String(product.soldOut);
    renderMedia();
    ui.name.textContent = product.name;
    ui.desc.textContent = product.description ?? "";
    ui.desc.hidden = !product.description;
    renderVouchers();
    renderPrice();
  }

  function renderMedia() {
    const image = safeImageUrl(product.imageUrl);
    const key = `${product.productId}:${image}`;
    if (ui.media.dataset.key === key) return;
    ui.media.dataset.key = key;
    const initial = product.name.trim().charAt(0).toUpperCase();
    fill(
      ui.media,
      image
        ? h("img", { src: image, alt: "" })
        : h("div", { class: "product-placeholder", "aria-hidden": "true" }, initial),
    );
  }

  function setText(el, text) {
    if (el.textContent !== text) el.textContent = text;
  }

  function renderPrice() {
    if (!product) return;
    const flash = flashOn();
    const now = flash ? product.flashSale.price : product.livePrice;
    const was = flash ? product.livePrice : product.regularPrice;
    ui.card.dataset.flash = String(flash);
    ui.flashBadge.hidden = !flash;
    ui.flash.hidden = !flash;
    ui.now.textContent = coins(now);
    ui.now.setAttribute("aria-label", `Price ${coinsText(now)}`);
    ui.was.hidden = was <= now;
    ui.was.textContent = coins(was);
    ui.was.setAttribute("aria-label", `was ${coinsText(was)}`);
    ui.off.hidden = was <= now;
    ui.off.textContent = `−${Math.round((100 * (was - now)) / was)}%`;
    if (flash) {
      const sale = product.flashSale;
      tickFlash();
      ui.meter.style.width = `${(100 * sale.remaining) / sale.quantity}%`;
      setText(ui.flashLeft, `${sale.remaining} of ${sale.quantity} left at this price`);
    }
    const left = product.stock;
    const low = left <= 5;
    setText(
      ui.stock,
      product.soldOut ? "Sold out" : low ? `Only ${left} left!` : `${left} in stock`,
    );
    ui.stock.dataset.level = product.soldOut ? "out" : low ? "low" : "ok";
    setText(ui.buy, product.soldOut ? "Sold out" : "Buy now");
    ui.buy.disabled = product.soldOut;
    setQuantity(quantity);
  }

  /** The flash countdown; when it runs out here, show the live price without waiting. */
  function tickFlash() {
    if (!product?.flashSale) return;
    if (flashOn() !== (ui.card.dataset.flash === "true")) return renderPrice();
    if (flashOn()) setText(ui.timer, countdown(untilServerTime(product.flashSale.endsAt)));
  }

  function setQuantity(value) {
    const max = Math.max(1, Math.min(MAX_QUANTITY, product?.stock ?? 1));
    const next = Math.min(max, Math.max(1, value));
    if (next !== quantity && voucher) {
      voucher = null; // the discount was checked for the old quantity
      say(ui.voucherStatus, "Quantity changed: apply the voucher again.");
    }
    quantity = next;
    setText(ui.qty, String(quantity));
    ui.less.disabled = quantity <= 1 || product?.soldOut;
    ui.more.disabled = quantity >= max || product?.soldOut;
  }

  function renderVouchers() {
    const usable = (shop?.vouchers ?? []).filter((v) => v.remaining !== 0);
    const key = usable.map((v) => v.code).join(" ");
    if (ui.chips.dataset.key === key) return; // rebuilding would steal a focused chip's focus
    ui.chips.dataset.key = key;
    fill(
      ui.chips,
      usable.slice(0, 3).map((v) =>
        h(
          "button",
          {
            type: "button",
            class: "chip",
            "aria-label": `Use voucher ${v.code}`,
            onclick: () => {
              ui.code.value = v.code;
              ui.code.focus();
            },
          },
          h("strong", {}, v.code),
          ` ${v.type === "percent" ? `${v.value}% off` : `${coins(v.value)} off`}`,
        ),
      ),
    );
  }

  function say(el, text, kind = "info") {
    el.textContent = text;
    el.dataset.kind = kind;
  }

  async function applyVoucher(event) {
    event.preventDefault();
    const code = ui.code.value.trim().toUpperCase();
    voucher = null;
    if (!code) return say(ui.voucherStatus, "Enter a voucher code.", "error");
    if (!session.signedIn) return auth.open("Sign in to use a voucher.");
    try {
      const result = await session.api.post(`${base()}/vouchers/use`, {
        code,
        productId: product.productId,
        quantity,
      });
      voucher = { code, discount: result.discount, subtotal: result.subtotal };
      say(ui.voucherStatus, `${code} applied: −${coinsText(result.discount)}.`, "ok");
    } catch (error) {
      say(ui.voucherStatus, error.message, "error");
    }
  }

  /** What the order should cost, as the server will compute it (it has the last word). */
  function estimate() {
    if (voucher) return { subtotal: voucher.subtotal, discount: voucher.discount };
    const flashUnits = flashOn() ? Math.min(quantity, product.flashSale.remaining) : 0;
    const flashPrice = product.flashSale?.price ?? 0;
    return {
      subtotal: flashUnits * flashPrice + (quantity - flashUnits) * product.livePrice,
      discount: 0,
    };
  }

  async function openConfirm() {
    if (!product || product.soldOut) return;
    if (!session.signedIn) return auth.open("Sign in to buy.");
    showSummary({ ...estimate(), voucherCode: voucher?.code });
    byId("buy-error").textContent = "";
    buyKey = idempotencyKey();
    dialog.showModal();
    byId("buy-confirm").focus();
    // Checkout: the server's price, and the voucher's use held for us while we confirm.
    const body = { productId: product.productId, quantity };
    if (voucher) body.voucherCode = voucher.code;
    try {
      showSummary(await session.api.post(`${base()}/checkout`, body));
    } catch (error) {
      byId("buy-error").textContent = error.message;
    }
  }

  function showSummary({ subtotal, discount, voucherCode }) {
    const line = (label, value, cls = "") =>
      h("div", { class: `summary-line ${cls}` }, h("span", {}, label), h("span", {}, value));
    fill(
      byId("buy-summary"),
      h("p", { class: "summary-product" }, `${quantity} × `, h("strong", {}, product.name)),
      line("Subtotal", coinsText(subtotal)),
      discount ? line(`Voucher ${voucherCode}`, `−${coinsText(discount)}`, "is-discount") : null,
      line("Total", coinsText(subtotal - discount), "is-total"),
      h("p", { class: "hint" }, `Paid in coins. You have ${coinsText(session.coins ?? 0)}.`),
    );
  }

  async function confirm(event) {
    event.preventDefault();
    const button = byId("buy-confirm");
    button.disabled = true;
    byId("buy-error").textContent = "";
    const body = { productId: product.productId, quantity };
    if (voucher) body.voucherCode = voucher.code;
    try {
      const placed = await session.api.post(`${base()}/orders`, body, { idempotency: buyKey });
      order = placed;
      session.setCoins(placed.balance.coins);
      voucher = null;
      ui.code.value = "";
      say(ui.voucherStatus, "");
      renderOrder();
      dialog.close();
    } catch (error) {
      byId("buy-error").textContent = error.message;
    } finally {
      button.disabled = false;
    }
  }

  function renderOrder() {
    if (!order) return;
    const status = ORDER_STATUS[order.status] ?? order.status;
    ui.orderStatus.dataset.status = order.status;
    fill(
      ui.orderStatus,
      h("strong", {}, status),
      ` · ${order.quantity} × ${order.productName} · ${coinsText(order.total)}`,
      order.discount ? ` (saved ${coinsText(order.discount)})` : "",
    );
  }

  byId("buy-form").addEventListener("submit", confirm);
  byId("buy-cancel").addEventListener("click", () => dialog.close());

  const ours = (data) => shop && data.sessionId === shop.id;
  const isPinned = (id) => product && product.productId === id;

  realtime.on("live-shopping:product-pinned", (data) => {
    if (ours(data)) setProduct(data.product);
  });
  for (const event of ["live-shopping:flash-sale", "live-shopping:flash-sale-ended"]) {
    realtime.on(event, (data) => {
      if (ours(data) && isPinned(data.product.productId)) setProduct(data.product);
    });
  }
  realtime.on("live-shopping:order", (data) => {
    if (!ours(data)) return;
    if (isPinned(data.product.productId)) setProduct(data.product);
    const who = displayName(data.order.buyer);
    feed.add(h("strong", {}, who), ` bought ${data.order.quantity} × ${data.order.productName}`);
  });
  realtime.on("live-shopping:sold-out", (data) => {
    if (ours(data) && isPinned(data.productId)) setProduct({ ...product, stock: 0, soldOut: true });
  });
  realtime.on("live-shopping:voucher", (data) => {
    if (!ours(data)) return;
    shop = { ...shop, vouchers: [...shop.vouchers, data.voucher] };
    renderVouchers();
  });
  realtime.on("live-shopping:order-updated", (data) => {
    if (order && data.order.id === order.id) {
      order = { ...order, status: data.order.status };
      renderOrder();
    }
  });
  realtime.on("live-shopping:ended", (data) => {
    if (ours(data)) set(null);
  });

  every(tickFlash);

  return { set };
}
