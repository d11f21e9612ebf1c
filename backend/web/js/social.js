// The watch page's follow button and follower count, and tap-to-like: taps fly as hearts at
// once and go to the server in batches; the counter shows the live's total as the server
// announces it (one event per room every quarter second) plus the taps not sent yet.

import { byId, h } from "./dom.js";
import { count, displayName } from "./format.js";

const SEND_EVERY_MS = 400;
const MAX_BATCH = 100; // the server's limit for one request
const MAX_FLYING = 24; // hearts on screen at once
const OTHERS_HEARTS = 6; // at most this many hearts for others' likes per announcement

export function setupFollow({ session, auth, onChange }) {
  const button = byId("follow");
  const label = byId("follower-count");
  let streamer = null;
  let state = { following: false, followers: 0 };
  let busy = false;

  function render() {
    const mine = streamer && session.user?.id === streamer.id;
    button.hidden = !streamer || mine;
    button.textContent = state.following ? "Following" : "Follow";
    button.setAttribute("aria-pressed", String(state.following));
    button.classList.toggle("is-following", state.following);
    const n = state.followers;
    label.textContent = `${count(n)} ${n === 1 ? "follower" : "followers"}`;
    label.hidden = !streamer;
  }

  async function toggle() {
    if (!streamer || busy) return;
    if (!session.signedIn) {
      auth.open(`Sign in to follow ${displayName(streamer)}.`);
      return;
    }
    busy = true;
    button.disabled = true;
    const path = `/api/users/${encodeURIComponent(streamer.id)}/follow`;
    try {
      const answer = state.following
        ? await session.api.delete(path)
        : await session.api.post(path);
      state = { following: answer.following, followers: answer.followers };
      render();
      onChange(); // a followers-only chat opens (or closes) for this viewer
    } catch (error) {
      button.title = error.message;
    } finally {
      busy = false;
      button.disabled = false;
    }
  }

  button.addEventListener("click", toggle);
  session.addEventListener("change", render);
  return {
    /** The stream's snapshot: its streamer and whether this viewer follows them. */
    set(snapshot) {
      streamer = snapshot.streamer;
      if (!busy) state = { following: snapshot.following, followers: snapshot.followers };
      render();
    },
  };
}

export function setupLikes({ session, realtime, auth }) {
  const button = byId("like");
  const label = byId("like-count");
  const status = byId("like-status");
  const hearts = byId("hearts");
  let stream = null;
  let total = 0; // the server's count
  let unsent = 0; // taps waiting for the next batch
  let sending = false;
  let mineUnannounced = 0; // my accepted taps not yet in an announcement
  let timer = null;

  function render() {
    const shown = total + unsent;
    label.textContent = count(shown);
    button.setAttribute("aria-label", `Like, ${shown} ${shown === 1 ? "like" : "likes"} so far`);
  }

  function fly(n) {
    for (let i = 0; i < n && hearts.childElementCount < MAX_FLYING; i += 1) {
      const heart = h("span", { class: "heart" });
      heart.style.setProperty("--drift", `${Math.round(Math.random() * 60 - 30)}px`);
      heart.style.setProperty("--hue", `${Math.round(Math.random() * 60 - 20)}deg`);
      heart.style.animationDelay = `${i * 90}ms`;
      heart.addEventListener("animationend", () => heart.remove());
      hearts.append(heart);
    }
  }

  async function send() {
    timer = null;
    if (sending || !unsent || !stream) return;
    const batch = Math.min(unsent, MAX_BATCH);
    unsent -= batch;
    sending = true;
    try {
      const answer = await session.api.post(`/api/streams/${encodeURIComponent(stream)}/likes`, {
        count: batch,
      });
      mineUnannounced += answer.accepted;
      total = Math.max(total, answer.total);
      status.textContent = answer.accepted < batch ? "Easy there, that's a lot of love!" : "";
    } catch (error) {
      status.textContent = error.status === 429 ? "Easy there, that's a lot of love!" : error.message;
    } finally {
      sending = false;
      render();
      if (unsent) schedule();
    }
  }

  function schedule() {
    if (!timer) timer = setTimeout(send, SEND_EVERY_MS);
  }

  button.addEventListener("click", () => {
    if (!stream) return;
    if (!session.signedIn) {
      auth.open("Sign in to send likes.");
      return;
    }
    unsent += 1;
    fly(1);
    render();
    schedule();
  });
  realtime.on("stream:likes", (data) => {
    if (data.stream !== stream) return;
    const mine = Math.min(mineUnannounced, data.added);
    mineUnannounced -= mine;
    fly(Math.min(OTHERS_HEARTS, data.added - mine));
    total = Math.max(total, data.total);
    render();
  });
  return {
    /** The stream's snapshot: its name, whether it is live and its likes so far. */
    set(snapshot) {
      if (snapshot.stream !== stream) {
        stream = snapshot.stream;
        total = 0;
      }
      total = Math.max(total, snapshot.likes);
      button.disabled = snapshot.live === false;
      render();
    },
  };
}
