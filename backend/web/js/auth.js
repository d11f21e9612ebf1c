// Sign in / create an account without leaving the stream: a modal <dialog> with two modes.

import { byId } from "./dom.js";

export function setupAuth(session) {
  const dialog = byId("auth-dialog");
  const form = byId("auth-form");
  const title = byId("auth-title");
  const nameRow = byId("auth-display-row");
  const submit = byId("auth-submit");
  const toggle = byId("auth-toggle");
  const error = byId("auth-error");
  let mode = "signin";
  let reason = "";

  function setMode(next) {
    mode = next;
    const signup = mode === "signup";
    title.textContent = signup ? "Create an account" : "Sign in";
    nameRow.hidden = !signup;
    submit.textContent = signup ? "Create account" : "Sign in";
    toggle.textContent = signup ? "I have an account — sign in" : "New here? Create an account";
    form.password.autocomplete = signup ? "new-password" : "current-password";
    byId("auth-reason").textContent = reason;
    error.textContent = "";
  }

  function open(why = "") {
    reason = why;
    setMode(mode);
    form.reset();
    dialog.showModal();
    form.username.focus();
  }

  toggle.addEventListener("click", () => setMode(mode === "signin" ? "signup" : "signin"));
  byId("auth-cancel").addEventListener("click", () => dialog.close());

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const username = form.username.value.trim();
    const password = form.password.value;
    if (!username || !password) {
      error.textContent = "Enter a username and a password.";
      return;
    }
    submit.disabled = true;
    error.textContent = "";
    try {
      if (mode === "signup") {
        await session.signUp(username, password, form.displayName.value.trim());
      } else {
        await session.signIn(username, password);
      }
      dialog.close();
    } catch (problem) {
      error.textContent = problem.message;
    } finally {
      submit.disabled = false;
    }
  });

  return { open };
}
