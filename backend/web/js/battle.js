// PK battle: score bar, countdown from the server deadline, gift bursts, supporters, result.
// The server decides every number; this only renders what it says (scores only ever grow, so
// a late event or a response racing an event can never move the bar backwards).

import { untilServerTime } from "./clock.js";
import { byId, fill, h, safeImageUrl } from "./dom.js";
import { coins, countdown, displayName } from "./format.js";
import { every } from "./ticker.js";

const SIDES = ["host1", "host2"];
const MAX_BURSTS = 12;
const reducedMotion = matchMedia("(prefers-reduced-motion: reduce)");

export function setupBattle({ realtime, feed, onChange }) {
  const el = {
    root: byId("pk"),
    bar: byId("pk-bar"),
    fill: byId("pk-fill1"),
    timer: byId("pk-timer"),
    bursts: byId("pk-bursts"),
    result: byId("pk-result"),
    resultTitle: byId("pk-result-title"),
    resultDetail: byId("pk-result-detail"),
    supporters: byId("pk-supporters"),
  };
  let battle = null;
  let dismissed = null; // the id of a result the viewer closed

  function roomOf(b) {
    return b ? `pk-battle:${b.id}` : null;
  }

  function set(next) {
    if (next && next.status === "ended" && next.id === dismissed) next = null;
    const previous = battle;
    if (previous && next && previous.id === next.id) {
      next = merge(previous, next);
    }
    if (roomOf(previous) !== roomOf(next)) {
      if (previous) realtime.leave(roomOf(previous));
      if (next && next.status === "active") realtime.join(roomOf(next));
    }
    battle = next;
    render();
    onChange(battle);
  }

  function merge(old, fresh) {
    const scores = {};
    for (const side of SIDES) scores[side] = Math.max(old.scores[side], fresh.scores[side]);
    return { ...fresh, scores, topSupporters: fresh.topSupporters ?? old.topSupporters };
  }

  function render() {
    el.root.hidden = !battle;
    el.supporters.hidden = !battle;
    if (!battle) return;
    for (const side of SIDES) {
      byId(`pk-name-${side}`).textContent = displayName(battle[side]);
    }
    renderScores();
    renderSupporters();
    renderResult();
    tick();
  }

  function renderScores() {
    const [a, b] = SIDES.map((side) => battle.scores[side]);
    const share = a + b === 0 ? 50 : Math.min(95, Math.max(5, (100 * a) / (a + b)));
    el.fill.style.width = `${share}%`;
    byId("pk-score-host1").textContent = coins(a);
    byId("pk-score-host2").textContent = coins(b);
    el.bar.setAttribute(
      "aria-label",
      `Score: ${displayName(battle.host1)} ${coins(a)}, ${displayName(battle.host2)} ${coins(b)}`,
    );
    el.root.dataset.leader = a === b ? "tie" : a > b ? "host1" : "host2";
  }

  function renderSupporters() {
    for (const side of SIDES) {
      const people = battle.topSupporters?.[side] ?? [];
      const list = byId(`pk-top-${side}`);
      byId(`pk-top-title-${side}`).textContent = displayName(battle[side]);
      if (!people.length) {
        fill(list, h("li", { class: "muted" }, "No gifts yet — be the first!"));
        continue;
      }
      fill(
        list,
        people.map((person, rank) =>
          h(
            "li",
            {},
            h("span", { class: `rank rank-${rank + 1}`, "aria-hidden": "true" }, rank + 1),
            h("span", { class: "who" }, displayName(person)),
            h(
              "span",
              { class: "amount" },
              coins(person.coins),
              h("span", { class: "visually-hidden" }, " coins"),
            ),
          ),
        ),
      );
    }
  }

  function renderResult() {
    const over = battle.status === "ended";
    el.result.hidden = !over;
    el.root.classList.toggle("is-over", over);
    if (!over) return;
    const winner = SIDES.find((side) => battle[side].id === battle.winner);
    el.result.dataset.winner = winner ?? "draw";
    el.resultTitle.textContent = winner ? `${displayName(battle[winner])} wins!` : "It's a draw!";
    const score = `${coins(battle.scores.host1)} – ${coins(battle.scores.host2)}`;
    const early = endedEarly();
    el.result.dataset.reason = early ? "forfeit" : "time";
    el.resultDetail.textContent = early ? `${early} · ${score}` : score;
  }

  /** "bob ended the battle early" when a host forfeited (the other side won), else "". */
  function endedEarly() {
    if (battle.endReason !== "forfeit") return "";
    const side = SIDES.find((s) => battle[s].id === battle.forfeitedBy);
    return side ? `${displayName(battle[side])} ended the battle early` : "";
  }

  function tick() {
    if (!battle) return;
    if (battle.status !== "active") {
      el.timer.textContent = battle.status === "ended" ? "Final" : "";
      el.timer.classList.remove("is-urgent");
      return;
    }
    const left = untilServerTime(battle.endsAt);
    el.timer.textContent = countdown(left);
    el.timer.classList.toggle("is-urgent", left <= 10000);
  }
  every(tick);

  function burst(gift) {
    if (reducedMotion.matches) return;
    while (el.bursts.children.length >= MAX_BURSTS) el.bursts.firstElementChild.remove();
    const icon = safeImageUrl(gift.icon);
    const node = h(
      "div",
      { class: `burst burst--${gift.side}` },
      icon ? h("img", { src: icon, alt: "" }) : null,
      h("span", {}, gift.quantity > 1 ? `×${gift.quantity}` : ""),
    );
    node.style.setProperty("--drift", `${Math.round(Math.random() * 60 - 30)}px`);
    node.addEventListener("animationend", () => node.remove());
    el.bursts.append(node);
  }

  realtime.on("pk-battle:gift", (data) => {
    if (!battle || data.battleId !== battle.id) return;
    set({ ...battle, scores: data.scores, topSupporters: data.topSupporters });
    const gift = data.gift;
    burst(gift);
    const to = SIDES.includes(gift.side) ? displayName(battle[gift.side]) : "";
    feed.add(
      h("strong", {}, displayName(gift.sender)),
      ` sent ${gift.name}${gift.quantity > 1 ? ` ×${gift.quantity}` : ""} to ${to} `,
      h("span", { class: "muted" }, `(${coins(gift.coins)} coins)`),
    );
  });

  realtime.on("pk-battle:ended", (data) => {
    if (!battle || data.battleId !== battle.id) return;
    set({ ...data.battle, topSupporters: battle.topSupporters });
    const early = battle ? endedEarly() : "";
    feed.add(
      h("strong", {}, el.resultTitle.textContent),
      early ? ` ${early}.` : "",
      " The PK battle is over.",
    );
  });

  realtime.on("pk-battle:cancelled", (data) => {
    if (battle && data.battle?.id === battle.id) set(null);
  });

  byId("pk-result-close").addEventListener("click", () => {
    dismissed = battle?.id ?? null;
    set(null);
  });

  return {
    set,
    get current() {
      return battle;
    },
    /** A gift we sent ourselves: its response carries the new scores before the event does. */
    applyScores(battleId, scores, topSupporters) {
      if (battle && battle.id === battleId) set({ ...battle, scores, topSupporters });
    },
  };
}
