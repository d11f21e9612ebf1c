// Sign in / create an account without leaving the page: a modal <dialog> with two modes,
// built here once for every page that needs it (the home page, the watch page).

import { byId, h } from "./dom.js";

function buildDialog() {
  const field = (label, props) => [h("label", { for: props.id }, label), h("input", props)];
  return h(
    "dialog",
    { class: "dialog", id: "auth-dialog", "aria-labelledby": "auth-title" },
    h(
      "form",
      { id: "auth-form", method: "dialog", novalidate: true },
      h("h2", { id: "auth-title" }, "Sign in"),
      h("p", { class: "hint", id: "auth-reason" }),
      field("Username", {
        id: "auth-username",
        name: "username",
        autocomplete: "username",
        required: true,
        maxlength: 32,
        spellcheck: "false",
        autocapitalize: "none",
      }),
      field("Password", {
        id: "auth-password",
        name: "password",
        type: "password",
        required: true,
        minlength: 8,
        autocomplete: "current-password",
      }),
      h(
        "div",
        { id: "auth-display-row", hidden: true },
        h("label", { for: "auth-display" }, "Display name ", h("span", { class: "muted" }, "(optional)")),
        h("input", { id: "auth-display", name: "displayName", maxlength: 64, autocomplete: "nickname" }),
      ),
      h("p", { class: "error", id: "auth-error", role: "alert" }),
      h(
        "div",
        { class: "dialog-actions" },
        h("button", { type: "submit", class: "btn btn-primary", id: "auth-submit" }, "Sign in"),
        h("button", { type: "button", class: "btn btn-ghost", id: "auth-cancel" }, "Cancel"),
      ),
      h("button", { type: "button", class: "linkish", id: "auth-toggle" }, "New here? Create an account"),
    ),
  );
}

export function setupAuth(session) {
  document.body.append(buildDialog());
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
