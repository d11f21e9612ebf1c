// The backend's REST API: the JSON envelope, bearer tokens, Idempotency-Key, errors in words.

import { observe } from "./clock.js";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// The server's messages are written for people; only fill in when there is none.
function describe(status, error) {
  const code = error?.code ?? "error";
  if (error?.message) return new ApiError(status, code, error.message);
  if (status >= 500) return new ApiError(status, code, "The server had a problem. Try again.");
  return new ApiError(status, code, "That did not work. Try again.");
}

/** A new key per user action; reuse it when retrying the same action. */
export const idempotencyKey = () =>
  globalThis.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random().toString(36).slice(2)}`;

export function createApi(getToken) {
  async function request(method, path, { body, idempotency } = {}) {
    const headers = { Accept: "application/json" };
    const token = getToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (idempotency) headers["Idempotency-Key"] = idempotency;
    const sentAt = Date.now();
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, "network", "Cannot reach the server. Check your connection.");
    }
    const payload = await response.json().catch(() => null);
    if (!response.ok || !payload?.success) {
      throw describe(response.status, payload?.error);
    }
    const serverTime = payload.data?.serverTime;
    if (serverTime) observe(Date.parse(serverTime), sentAt, Date.now());
    return payload.data;
  }

  return {
    get: (path) => request("GET", path),
    post: (path, body, options = {}) => request("POST", path, { body, ...options }),
    delete: (path) => request("DELETE", path),
  };
}
