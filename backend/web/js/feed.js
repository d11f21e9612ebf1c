// "Live activity": the last few gifts, orders and battle moments, newest first.

import { byId, h } from "./dom.js";

const LIMIT = 30;

export function setupFeed() {
  const list = byId("feed-list");
  return {
    add(...parts) {
      list.prepend(h("li", { class: "feed-item" }, ...parts));
      while (list.children.length > LIMIT) list.lastElementChild.remove();
    },
  };
}
