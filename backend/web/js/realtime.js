// The /ws connection: reconnects with backoff, rejoins its rooms, keeps the clock in sync.
// Listeners: on(eventName, fn(data)); "status" events carry "connecting" | "open" | "closed".

import { observe } from "./clock.js";

const PING_MS = 15000;
const MAX_BACKOFF_MS = 5000;

export class Realtime {
  /** getTicket: resolves to a single-use ticket for /ws (POST /api/ws-ticket). */
  constructor(getTicket) {
    this.getTicket = getTicket;
    this.generation = 0;
    this.rooms = new Set();
    this.handlers = new Map();
    this.socket = null;
    this.attempt = 0;
    this.timer = null;
    this.pinger = null;
  }

  on(event, handler) {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event).add(handler);
  }

  join(room) {
    if (this.rooms.has(room)) return;
    this.rooms.add(room);
    this.#send("join", { room });
  }

  leave(room) {
    if (!this.rooms.delete(room)) return;
    this.#send("leave", { room });
  }

  /** Open (or reopen, e.g. after signing in) the connection as the current identity. The
   * login token never goes in the URL (URLs end up in logs): a ticket good for one connection
   * does. */
  async connect() {
    this.#close();
    clearTimeout(this.timer);
    const generation = ++this.generation;
    this.#emit("status", "connecting");
    let ticket;
    try {
      ticket = await this.getTicket();
    } catch {
      if (generation === this.generation) this.#retry();
      return;
    }
    if (generation !== this.generation) return; // connect() was called again meanwhile
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const query = `ticket=${encodeURIComponent(ticket)}`;
    const socket = new WebSocket(`${scheme}://${location.host}/ws?${query}`);
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.attempt = 0;
      for (const room of this.rooms) this.#send("join", { room });
      this.#ping();
      this.pinger = setInterval(() => this.#ping(), PING_MS);
      this.#emit("status", "open");
    });
    socket.addEventListener("message", (message) => this.#receive(message.data));
    socket.addEventListener("close", () => {
      if (this.socket !== socket) return;
      this.#close();
      this.#retry();
    });
  }

  #retry() {
    this.#emit("status", "closed");
    const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempt++);
    this.timer = setTimeout(() => this.connect(), delay * (0.75 + Math.random() / 2));
  }

  #close() {
    clearInterval(this.pinger);
    const socket = this.socket;
    this.socket = null;
    if (socket && socket.readyState <= WebSocket.OPEN) socket.close();
  }

  #ping() {
    this.#send("ping", { t: Date.now() });
  }

  #send(event, data) {
    if (this.socket?.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify({ event, data }));
    }
  }

  #receive(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    const { event, data } = message;
    if (event === "pong" && Number.isFinite(data?.t)) {
      observe(data.serverTime * 1000, data.t, Date.now());
    }
    this.#emit(event, data ?? {});
  }

  #emit(event, data) {
    for (const handler of this.handlers.get(event) ?? []) {
      try {
        handler(data);
      } catch (error) {
        console.error(`handler for ${event} failed`, error);
      }
    }
  }
}
