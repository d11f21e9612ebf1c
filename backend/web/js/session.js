// Who is watching: a signed-in account (token kept in localStorage) or an anonymous guest.
// Fires "change" when the identity or the coin balance changes.

import { ApiError, createApi } from "./api.js";

// The same keys js/whep.js reads: an account token, else a guest token kept for the tab.
const ACCOUNT_KEY = "onair.token";
const GUEST_KEY = "onair.guest";

export class Session extends EventTarget {
  constructor() {
    super();
    this.token = null;
    this.user = null; // null while a guest
    this.coins = null;
    this.api = createApi(() => this.token);
    /** Resolves at the first identity (a restored account, or a guest): a token to send. */
    this.ready = new Promise((resolve) => {
      this.addEventListener("change", () => resolve(), { once: true });
    });
  }

  get signedIn() {
    return this.user !== null;
  }

  /** Restore the saved account, or watch as a guest. */
  async start() {
    const saved = localStorage.getItem(ACCOUNT_KEY);
    if (saved) {
      this.token = saved;
      try {
        const me = await this.api.get("/api/auth/me");
        if (me.role !== "guest") return this.#become(saved, me, me.coins);
      } catch (error) {
        if (!(error instanceof ApiError) || error.status !== 401) throw error;
      }
      localStorage.removeItem(ACCOUNT_KEY);
    }
    await this.#guest();
  }

  async signIn(username, password) {
    const data = await this.api.post("/api/auth/login", { username, password });
    this.#saveAccount(data);
  }

  async signUp(username, password, displayName) {
    const body = { username, password };
    if (displayName) body.displayName = displayName;
    const data = await this.api.post("/api/auth/register", body);
    this.#saveAccount(data);
  }

  async signOut() {
    localStorage.removeItem(ACCOUNT_KEY);
    await this.#guest();
  }

  setCoins(coins) {
    if (coins === this.coins) return;
    this.coins = coins;
    this.dispatchEvent(new Event("change"));
  }

  async refreshBalance() {
    if (!this.signedIn) return;
    const wallet = await this.api.get("/api/wallet");
    this.setCoins(wallet.coins);
  }

  /** An account token expired mid-visit: fall back to watching as a guest. */
  async expired() {
    if (this.signedIn) await this.signOut();
  }

  async #guest() {
    const early = await globalThis.onairEarly?.takeGuest(); // asked for by js/early.js
    if (early) return this.#saveGuest(early);
    const saved = sessionStorage.getItem(GUEST_KEY);
    if (saved) {
      this.token = saved;
      try {
        await this.api.get("/api/auth/me");
        return this.#become(saved, null, null);
      } catch (error) {
        if (!(error instanceof ApiError) || error.status !== 401) throw error;
      }
    }
    this.token = null;
    const data = await this.api.post("/api/auth/guest");
    this.#saveGuest(data.token);
  }

  #saveGuest(token) {
    sessionStorage.setItem(GUEST_KEY, token);
    this.#become(token, null, null);
  }

  #saveAccount(data) {
    localStorage.setItem(ACCOUNT_KEY, data.token);
    this.#become(data.token, data.user, data.user.coins);
  }

  #become(token, user, coins) {
    this.token = token;
    this.user = user;
    this.coins = coins;
    this.dispatchEvent(new Event("change"));
  }
}
