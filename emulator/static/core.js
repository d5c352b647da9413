/* The chat page's shared state and small helpers: strings, elements, the control API, notices. */

export const PANES_KEY = "emulator.panes";
export const LOCALE_KEY = "emulator.locale";
export const TYPING_MS = 5000;

export const state = {
  strings: {},
  locale: "en",
  bot: null, // the first configured bot: {id, username, first_name}
  users: [],
  panes: [],
  active: 0,
  online: true,
  page: { time_zone: null, panes: {} }, // what the emulator's runner set: GET /control/page
};

// -- small helpers ---------------------------------------------------------------------------

export function t(key, params) {
  let text = state.strings[key] || key;
  for (const [name, value] of Object.entries(params || {})) {
    text = text.split(`{${name}}`).join(String(value));
  }
  return text;
}

export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export async function call(method, path, body) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

// A pane's own notices show over that pane; others over the page.
export function toast(text, kind, pane) {
  const node = el("div", { class: `toast ${kind || ""}`, "data-testid": "toast", text });
  (pane ? q(pane, ".toasts") : document.getElementById("toasts")).append(node);
  setTimeout(() => node.remove(), 3200);
}

export function showAlert(pane, text) {
  q(pane, ".alert-text").textContent = text;
  q(pane, ".alert-backdrop").hidden = false;
}

export function fail(error) {
  toast(t("demo.error", { error: error.message || error }), "error");
}

export function fullName(user) {
  return [user.first_name, user.last_name].filter(Boolean).join(" ");
}

export function initials(name) {
  return (name || "?").trim().slice(0, 1).toUpperCase();
}

// In the zone the emulator's runner named (the contact points' zone in the demo, where the
// bot's deadlines are), so "answer by 17:00" and the message times read on one clock.
export function clock(unix) {
  const date = new Date(unix * 1000);
  return date.toLocaleTimeString(state.locale === "en" ? "en" : "zh-Hans", {
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    timeZone: state.page.time_zone || undefined,
  });
}

// A t.me link that starts this bot with a payload: https://t.me/<bot>?start=<payload>
export function startPayload(url) {
  if (!state.bot) return null;
  const match = /^(?:https?:\/\/)?t\.me\/([A-Za-z0-9_]+)\?start=([A-Za-z0-9_-]*)$/.exec(url);
  if (!match || match[1].toLowerCase() !== state.bot.username.toLowerCase()) return null;
  return match[2];
}

export function q(pane, selector) {
  return pane.root.querySelector(selector);
}

export function userById(id) {
  return state.users.find((user) => user.id === id) || null;
}

// Fills every data-i18n* element under root with the current language's strings.
export function translate(root) {
  for (const node of root.querySelectorAll("[data-i18n]")) {
    node.textContent = t(node.dataset.i18n);
  }
  for (const node of root.querySelectorAll("[data-i18n-placeholder]")) {
    node.placeholder = t(node.dataset.i18nPlaceholder);
  }
  for (const node of root.querySelectorAll("[data-i18n-title]")) {
    node.title = t(node.dataset.i18nTitle);
  }
  if (root === document) document.title = t("demo.title");
}
