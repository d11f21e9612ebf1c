// One timer drives every countdown on the page (battle clock, flash sales).

const subscribers = new Set();
let interval = null;

export function every(tick) {
  subscribers.add(tick);
  if (!interval) interval = setInterval(() => subscribers.forEach((fn) => fn()), 250);
  tick();
  return () => subscribers.delete(tick);
}
