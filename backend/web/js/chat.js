// The live chat panel: history, live messages, the pinned one, and writing (issue 17).
// Every piece of text from people goes in with textContent (dom.js's h()), never as markup.

import { untilServerTime } from "./clock.js";
import { byId, fill, h } from "./dom.js";
import { displayName } from "./format.js";

const PAGE = 50;
const MAX_LENGTH = 300;
const NEAR_BOTTOM_PX = 40;
const NEAR_TOP_PX = 60;
const ANNOUNCE_EVERY_MS = 10000; // screen readers hear a summary, not every line
const EMOJI = ["😀", "😂", "😍", "🔥", "👏", "🎉", "❤️", "👍", "😮", "😢", "🙏", "💯"];
const BADGES = { host: "Host", moderator: "Mod" };
const REPORT_STEPS = {
  none: "Report",
  confirm: "Report this?",
  sending: "Report this?",
  reported: "Reported",
};

const segmenter = globalThis.Intl?.Segmenter ? new Intl.Segmenter() : null;
/** User-perceived characters, as the server counts them. */
const length = (text) => (segmenter ? [...segmenter.segment(text)].length : [...text].length);

export function setupChat({ realtime, session, auth, supporters }) {
  const scroller = byId("chat-scroll");
  const list = byId("chat-list");
  const older = byId("chat-older");
  const newButton = byId("chat-new");
  const form = byId("chat-form");
  const input = byId("chat-input");
  const counter = byId("chat-count");
  const status = byId("chat-status");
  const announcer = byId("chat-announce");
  const emojiBox = byId("chat-emoji");
  const emojiToggle = byId("chat-emoji-toggle");
  let stream = null;
  let shownStream = null; // whose history the list shows
  let nextBefore = null;
  let loadingOlder = false;
  let unseen = 0;
  let unannounced = 0;
  let announceTimer = null;
  let loads = 0; // history requests in flight
  // Live changes made while history was being read: the page may have been read before them,
  // so they are made again over it once it lands (each is harmless to repeat), if it is the
  // page of the stream they were made to.
  let sinceLoad = [];
  const reports = new Map(); // message id → "confirm" | "sending" | "reported"
  let replacingList = false;
  const showError = (error) => (status.textContent = error.message);

  const atBottom = () =>
    scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < NEAR_BOTTOM_PX;
  const scrollToBottom = () => {
    scroller.scrollTop = scroller.scrollHeight;
  };

  function line(message) {
    if (message.kind === "system") {
      return h(
        "li",
        {
          class: `chat-line chat-line--system chat-line--${message.system}`,
          "data-id": message.id,
          "data-created": message.createdAt,
        },
        message.text,
      );
    }
    const author = message.author;
    const role = author?.role ?? "viewer";
    const mine = session.user && author?.id === session.user.id;
    const badges = [];
    if (BADGES[role]) badges.push(h("span", { class: `chat-badge chat-badge--${role}` }, BADGES[role]));
    if (author && supporters().has(author.id)) {
      badges.push(h("span", { class: "chat-badge chat-badge--supporter", title: "Top supporter" }, "Top"));
    }
    const name = author ? displayName(author) : "Someone";
    return h(
      "li",
      {
        class: `chat-line${mine ? " chat-line--mine" : ""}`,
        "data-id": message.id,
        "data-role": role,
        "data-created": message.createdAt,
      },
      badges,
      h("span", { class: "chat-author" }, name),
      h("span", { class: "chat-text" }, message.text),
      mine || !session.user ? null : reportButton(message, name),
    );
  }

  /** Two steps (Report → Report this?) so a stray click reports nothing; reached from the
   * message list with Enter and the arrows, so fifty messages are not fifty Tab stops. The
   * step is kept per message (``reports``), so a re-read list shows it on the new button. */
  function reportButton(message, name) {
    const button = h("button", {
      type: "button",
      class: "chat-report",
      tabindex: "-1",
      "aria-label": `Report message from ${name}`,
      onclick: async () => {
        if (reports.get(message.id) !== "confirm") return setReport(button, message.id, "confirm");
        setReport(button, message.id, "sending");
        let step = "reported";
        try {
          await session.api.post(
            `/api/streams/${encodeURIComponent(stream)}/chat/messages/${encodeURIComponent(message.id)}/report`,
            {},
          );
          status.textContent = "";
          announcer.textContent = "Reported. The moderators will look at it.";
        } catch (error) {
          step = "confirm";
          status.textContent = error.message;
        }
        const shown = list.querySelector(`[data-id="${CSS.escape(message.id)}"] .chat-report`);
        setReport(shown ?? button, message.id, step);
      },
    });
    button.addEventListener("blur", () => {
      // Leaving the button takes the question back; a re-read list replacing it (Chromium blurs
      // a focused button as it is removed) is not the viewer leaving: the new one asks on.
      if (!replacingList && reports.get(message.id) === "confirm") {
        setReport(button, message.id, undefined);
      }
    });
    showReport(button, reports.get(message.id));
    return button;
  }

  function showReport(button, step) {
    button.textContent = REPORT_STEPS[step ?? "none"];
    button.disabled = step === "sending" || step === "reported";
  }

  function setReport(button, messageId, step) {
    if (step) reports.set(messageId, step);
    else reports.delete(messageId);
    showReport(button, step);
  }

  /** Keyboard: Enter in the message list picks the newest message's Report button, Up/Down
   * move between messages, Escape goes back to the list (whose arrows scroll as usual). */
  function moveAmongReports(event) {
    const buttons = [...list.querySelectorAll(".chat-report:not([disabled])")];
    const at = buttons.indexOf(document.activeElement);
    if (event.target === scroller && event.key === "Enter" && buttons.length) {
      event.preventDefault();
      buttons[buttons.length - 1].focus();
    } else if (at >= 0 && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
      event.preventDefault();
      const next = at + (event.key === "ArrowUp" ? -1 : 1);
      buttons[Math.max(0, Math.min(buttons.length - 1, next))].focus();
    } else if (at >= 0 && event.key === "Escape") {
      scroller.focus();
    }
  }

  function showPinned(message) {
    byId("chat-pinned").hidden = !message;
    const text = byId("chat-pinned-text");
    if (!message) return fill(text);
    const who = message.author ? `${displayName(message.author)}: ` : "";
    fill(text, who, message.text);
    text.dataset.id = message.id;
  }

  let shownRules = null;

  function showRules(settings) {
    shownRules = settings;
    const rules = [];
    if (settings.slowModeSeconds) rules.push(`Slow mode ${settings.slowModeSeconds}s`);
    if (settings.membersOnly) rules.push("Followers only");
    byId("chat-rules").textContent = rules.join(" · ");
  }

  /** Whether who may write changes with these rules (then this viewer's standing is read again). */
  const whoMayWriteChanged = (settings) =>
    shownRules !== null &&
    (shownRules.membersOnly !== settings.membersOnly ||
      shownRules.minAccountAgeMinutes !== settings.minAccountAgeMinutes);

  let timeoutEnds = null;

  function showViewer(viewer) {
    clearTimeout(timeoutEnds);
    if (viewer.timedOutUntil) {
      // Able to write again when the time out ends (the server is asked, not assumed).
      const left = Math.max(0, untilServerTime(viewer.timedOutUntil)) + 500;
      timeoutEnds = setTimeout(() => stream && load(stream), left);
    }
    const guest = viewer.role === "guest";
    byId("chat-guest").hidden = !guest;
    form.hidden = guest || viewer.banned; // banned: reads and watches, writes no more
    input.disabled = !viewer.canWrite;
    byId("chat-send").disabled = !viewer.canWrite;
    input.placeholder = viewer.canWrite ? "Say something…" : (viewer.reason ?? "");
    if (!guest && !viewer.canWrite) status.textContent = viewer.reason ?? "";
    else if (!guest) status.textContent = "";
  }

  function showUnseen() {
    newButton.hidden = unseen === 0;
    newButton.textContent = `${unseen} new message${unseen === 1 ? "" : "s"} ↓`;
  }

  function announceLater() {
    unannounced += 1;
    if (announceTimer) return;
    announceTimer = setTimeout(() => {
      announceTimer = null;
      if (!unannounced) return;
      announcer.textContent = `${unannounced} new chat message${unannounced === 1 ? "" : "s"}`;
      unannounced = 0;
    }, ANNOUNCE_EVERY_MS);
  }

  /** A live change: made now, and again over a history page that is on its way. */
  function live(change) {
    const result = change();
    if (loads) sinceLoad.push({ of: stream, change });
    return result;
  }

  const shownLine = (id) => list.querySelector(`[data-id="${CSS.escape(id)}"]`);

  /** Appends ``message`` unless it is shown already; whether it did. */
  function appendOnce(message) {
    if (shownLine(message.id)) return false;
    list.append(line(message));
    return true;
  }

  function receive(message) {
    const follow = atBottom();
    if (!live(() => appendOnce(message))) return;
    if (follow) {
      scrollToBottom();
    } else {
      unseen += 1;
      showUnseen();
    }
    announceLater();
  }

  /** The message whose Report button has the keyboard, so a re-read list gives it back. */
  function focusedMessageId() {
    const active = document.activeElement;
    return list.contains(active) ? active.closest("[data-id]")?.dataset.id : undefined;
  }

  async function load(name) {
    stream = name;
    loads += 1;
    let page;
    try {
      page = await session.api.get(`/api/streams/${encodeURIComponent(name)}/chat?limit=${PAGE}`);
    } finally {
      loads -= 1;
    }
    const replay = sinceLoad;
    if (!loads) sinceLoad = [];
    if (stream !== name) return;
    // A reader scrolled up keeps their place when the same chat is read again (a reconnect).
    const follow = shownStream !== name || atBottom();
    const place = scroller.scrollTop;
    shownStream = name;
    const focused = focusedMessageId();
    const lines = page.messages.slice().reverse().map(line);
    replacingList = true;
    try {
      fill(list, lines);
    } finally {
      replacingList = false;
    }
    showPinned(page.pinned);
    showRules(page.settings);
    for (const { of, change } of replay) if (of === name) change();
    if (focused) list.querySelector(`[data-id="${CSS.escape(focused)}"] .chat-report`)?.focus();
    nextBefore = page.nextBefore;
    showViewer(page.viewer);
    if (follow) {
      unseen = 0;
      showUnseen();
      scrollToBottom();
    } else {
      scroller.scrollTop = place;
    }
  }

  async function loadOlder() {
    if (!nextBefore || loadingOlder || !stream) return;
    loadingOlder = true;
    older.hidden = false;
    try {
      const path = `/api/streams/${encodeURIComponent(stream)}/chat?limit=${PAGE}&before=${encodeURIComponent(nextBefore)}`;
      const page = await session.api.get(path);
      const fromBottom = scroller.scrollHeight - scroller.scrollTop;
      list.prepend(...page.messages.slice().reverse().map(line));
      scroller.scrollTop = scroller.scrollHeight - fromBottom; // the viewer's place stays put
      nextBefore = page.nextBefore;
    } catch (error) {
      status.textContent = error.message;
    } finally {
      loadingOlder = false;
      older.hidden = true;
    }
  }

  async function send(event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || !stream) return;
    if (length(text) > MAX_LENGTH) {
      status.textContent = `Messages are at most ${MAX_LENGTH} characters.`;
      return;
    }
    byId("chat-send").disabled = true;
    status.textContent = "";
    try {
      const sent = await session.api.post(`/api/streams/${encodeURIComponent(stream)}/chat`, { text });
      input.value = "";
      updateCounter();
      if (sent.held) status.textContent = "Your message is waiting for a moderator.";
      else receive(sent.message);
      scrollToBottom();
    } catch (error) {
      status.textContent = error.message;
    } finally {
      byId("chat-send").disabled = input.disabled;
      input.focus();
    }
  }

  function updateCounter() {
    const n = length(input.value.trim());
    counter.textContent = `${n}/${MAX_LENGTH}`;
    counter.dataset.over = String(n > MAX_LENGTH);
  }

  const mine = (data) => data.stream === stream;
  /** Removes every line written at or before ``clearedAt`` (all of them, when it comes live). */
  function clearBefore(clearedAt) {
    const cutoff = Date.parse(clearedAt);
    for (const shown of [...list.children]) {
      if (!(Date.parse(shown.dataset.created) > cutoff)) shown.remove();
    }
    showPinned(null);
    nextBefore = null;
    unseen = 0;
    showUnseen();
  }

  realtime.on("chat:message", (data) => mine(data) && receive(data));
  realtime.on("chat:deleted", (data) => mine(data) && live(() => shownLine(data.messageId)?.remove()));
  realtime.on("chat:pinned", (data) => mine(data) && live(() => showPinned(data.message)));
  realtime.on("chat:unpinned", (data) => {
    if (!mine(data)) return;
    live(() => byId("chat-pinned-text").dataset.id === data.messageId && showPinned(null));
  });
  realtime.on("chat:cleared", (data) => mine(data) && live(() => clearBefore(data.clearedAt)));
  // History is read again once the room is joined (first time and after every reconnect):
  // a message written before the join reached the server is in it, any later one comes live.
  realtime.on("joined", (data) => {
    if (stream && data.room === `stream:${stream}`) load(stream).catch(showError);
  });
  realtime.on("chat:settings", (data) => {
    if (!mine(data)) return;
    const reread = whoMayWriteChanged(data);
    live(() => showRules(data));
    if (reread) load(stream).catch(showError);
  });
  const aboutMe = (data) => mine(data) && session.user && data.user.id === session.user.id;
  realtime.on("chat:user-timed-out", (data) => aboutMe(data) && load(stream));
  realtime.on("chat:user-banned", (data) => aboutMe(data) && load(stream));

  scroller.addEventListener("scroll", () => {
    if (atBottom() && unseen) {
      unseen = 0;
      showUnseen();
    }
    if (scroller.scrollTop < NEAR_TOP_PX) loadOlder();
  });
  newButton.addEventListener("click", () => {
    scrollToBottom();
    unseen = 0;
    showUnseen();
    input.focus();
  });
  scroller.addEventListener("keydown", moveAmongReports);
  // On touch screens (no hover) a tap on a message shows its Report button.
  list.addEventListener("click", (event) => {
    if (event.target.closest("button")) return;
    const tapped = event.target.closest(".chat-line");
    for (const open of list.querySelectorAll(".chat-line.is-open")) {
      if (open !== tapped) open.classList.remove("is-open");
    }
    tapped?.classList.toggle("is-open");
  });
  form.addEventListener("submit", send);
  input.addEventListener("input", updateCounter);
  byId("chat-sign-in").addEventListener("click", () => auth.open("Sign in to chat."));
  fill(
    emojiBox,
    EMOJI.map((emoji) =>
      h("button", {
        type: "button",
        "aria-label": `Insert ${emoji}`,
        onclick: () => {
          input.setRangeText(emoji, input.selectionStart ?? input.value.length, input.selectionEnd ?? input.value.length, "end");
          updateCounter();
          input.focus();
        },
      }, emoji),
    ),
  );
  emojiToggle.addEventListener("click", () => {
    emojiBox.hidden = !emojiBox.hidden;
    emojiToggle.setAttribute("aria-expanded", String(!emojiBox.hidden));
  });

  return {
    /** Show ``name``'s chat; it is read again each time the connection joins its room. */
    set(name) {
      if (name === stream) return;
      load(name).catch(showError);
    },
    /** Read again what this viewer may write (they followed or stopped following). */
    reread() {
      if (stream) load(stream).catch(showError);
    },
  };
}
