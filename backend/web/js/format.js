// Numbers and times as people read them.

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });

export const coins = (n) => integer.format(n ?? 0);
/** "1 coin", "1,250 coins" */
export const coinsText = (n) => `${coins(n)} ${n === 1 ? "coin" : "coins"}`;
export const count = (n) => (n >= 10000 ? compact.format(n) : integer.format(n ?? 0));

/** 83_000 → "1:23"; an hour or more → "1:02:03". Never negative. */
export function countdown(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

export const displayName = (user) => user?.displayName || user?.username || "Someone";

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const STEPS = [
  ["year", 365 * 86400],
  ["month", 30 * 86400],
  ["week", 7 * 86400],
  ["day", 86400],
  ["hour", 3600],
  ["minute", 60],
];

/** An ISO time as "3 hours ago", "yesterday", "now". */
export function ago(iso) {
  const seconds = (Date.parse(iso) - Date.now()) / 1000;
  for (const [unit, size] of STEPS) {
    if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  }
  return "just now";
}
