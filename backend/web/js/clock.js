// The server's clock as seen from here: deadlines (battle end, flash sales) are server times,
// so countdowns use serverNow(), corrected by the offset measured on each exchange.

let offset = 0;
let bestRtt = Infinity;

/** A server timestamp observed between sentAt and receivedAt (both Date.now() values). */
export function observe(serverMs, sentAt, receivedAt) {
  if (!Number.isFinite(serverMs)) return;
  const rtt = Math.max(0, receivedAt - sentAt);
  // The tighter the round trip, the better the estimate: keep the best one (within 20 ms).
  if (rtt <= bestRtt + 20) {
    bestRtt = Math.min(rtt, bestRtt);
    offset = serverMs - (sentAt + rtt / 2);
  }
}

export const serverNow = () => Date.now() + offset;

/** Milliseconds from now until an ISO server time. */
export const untilServerTime = (iso) => Date.parse(iso) - serverNow();
