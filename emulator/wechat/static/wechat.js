/* The WeChat emulator's chat page: one follower's conversation with the Official Account, as a
 * phone shows it, with the account's menu at the bottom.
 *
 * Everything goes through the page's API (/page/...): the conversation is loaded once, then kept
 * live by the Server-Sent Events stream at /page/events. Labels come from the "demo" catalog
 * via /page/strings, in the browser's language or the one a ?lang= link names. No build step.
 */

const LOCALE_KEY = "wechat.locale";
const FOLLOWER_KEY = "wechat.follower";
const GAP_FOR_TIME = 300; // seconds between messages that earn a time line, as WeChat does

const state = {
  strings: {},
  locale: "zh_Hans",
  config: {
    account_name: "", menu: null, followers: [], posters: [], panes: {}, posters_for: {}, run: "",
  },
  openid: null,
  entries: new Map(), // id -> entry of the shown follower
  online: true,
};

// -- helpers ---------------------------------------------------------------------------------

function t(key, params) {
  let text = state.strings[key] || key;
  for (const [name, value] of Object.entries(params || {})) {
    text = text.split(`{${name}}`).join(String(value));
  }
  return text;
}

function el(tag, attrs, ...children) {
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

async function call(method, path, body) {
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

function toast(text) {
  const node = el("div", { class: "toast", "data-testid": "wx-toast", text });
  document.getElementById("toasts").append(node);
  setTimeout(() => node.remove(), 3200);
}

function fail(error) {
  toast(t("demo.wx_error", { error: error.message || error }));
}

function translate() {
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
    node.placeholder = t(node.dataset.i18nPlaceholder);
  }
  for (const node of document.querySelectorAll("[data-i18n-title]")) node.title = t(node.dataset.i18nTitle);
  document.title = t("demo.wx_title");
}

function follower() {
  return state.config.followers.find((f) => f.openid === state.openid) || null;
}

function clock(unix) {
  return new Date(unix * 1000).toLocaleTimeString(state.locale === "en" ? "en" : "zh-Hans", {
    hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });
}

// -- strings and language --------------------------------------------------------------------

function initialLocale() {
  const asked = new URLSearchParams(location.search).get("lang");
  if (asked) return asked;
  const saved = localStorage.getItem(LOCALE_KEY);
  if (saved) return saved;
  return (navigator.language || "").toLowerCase().startsWith("zh") ? "zh_Hans" : "en";
}

async function setLocale(locale) {
  const data = await call("GET", `/page/strings?locale=${encodeURIComponent(locale)}`);
  state.strings = data.strings;
  state.locale = data.locale;
  localStorage.setItem(LOCALE_KEY, state.locale);
  document.documentElement.lang = state.locale === "zh_Hans" ? "zh-Hans" : "en";
  translate();
}

// -- the conversation ------------------------------------------------------------------------

function avatar(mine) {
  const name = mine ? (follower() || {}).name : state.config.account_name;
  return el("div", { class: "avatar", "aria-hidden": "true", text: (name || "?").trim().slice(0, 1) });
}

function row(entry, mine, bubble) {
  return el("div", {
    class: `row ${mine ? "me" : "account"}`,
    "data-testid": "wx-message",
    "data-from": mine ? "me" : "account",
  }, avatar(mine), bubble);
}

function mediaImage(mediaId) {
  return el("div", { class: "bubble image" },
    el("img", { src: `/page/media/${encodeURIComponent(mediaId)}`, alt: t("demo.wx_image"),
      "data-testid": "wx-image" }));
}

// WeChat's text messages may carry links; a weixin://bizmsgmenu link is a choice to tap.
const LINK = /<a\s+href="([^"]*)"[^>]*>([\s\S]*?)<\/a>/g;

function richText(text) {
  const bubble = el("div", { class: "bubble" });
  let last = 0;
  for (const match of text.matchAll(LINK)) {
    bubble.append(text.slice(last, match.index));
    const [href, label] = [match[1], match[2]];
    if (href.startsWith("weixin://bizmsgmenu")) {
      const params = new URLSearchParams(href.split("?")[1] || "");
      bubble.append(choice(params.get("msgmenuid") || "", params.get("msgmenucontent") || label, label));
    } else {
      bubble.append(el("a", { href, target: "_blank", rel: "noopener", text: label }));
    }
    last = match.index + match[0].length;
  }
  bubble.append(text.slice(last));
  return bubble;
}

function choice(id, content, label) {
  return el("button", {
    type: "button", class: "choice", "data-testid": "wx-choice", text: label || content,
    onclick: () => send({ type: "choice", id, content }),
  });
}

function accountBubble(message) {
  if (message.via === "subscription") {
    const lines = Object.values(message.data || {}).map((item) => el("p", { text: item.value }));
    return el("div", { class: "notice-card", "data-testid": "wx-notice" },
      el("h3", { text: t("demo.wx_subscription") }), ...lines);
  }
  if (message.via === "reply") {
    if (message.MsgType === "image" && message.MediaId) return mediaImage(message.MediaId);
    return richText(message.Content || `[${message.MsgType}]`);
  }
  const kind = message.msgtype;
  const body = message[kind] || {};
  switch (kind) {
    case "text": return richText(body.content || "");
    case "image": return mediaImage(body.media_id);
    case "voice": return el("div", { class: "bubble", text: t("demo.wx_voice") });
    case "video": return el("div", { class: "bubble", text: body.title || t("demo.wx_video") });
    case "news": {
      const items = (body.articles || []).map((a) => el("a", { href: a.url || "#", target: "_blank", text: a.title }));
      return el("div", { class: "bubble" }, t("demo.wx_news"), " ", ...items);
    }
    case "msgmenu":
      return el("div", { class: "bubble", "data-testid": "wx-msgmenu" },
        body.head_content ? el("div", { text: body.head_content }) : null,
        ...(body.list || []).map((item) => choice(String(item.id), item.content)),
        body.tail_content ? el("div", { text: body.tail_content }) : null);
    default:
      return el("div", { class: "bubble", text: `[${kind}]` });
  }
}

function ownBubble(entry) {
  switch (entry.type) {
    case "image": return mediaImage(entry.media_id);
    case "location":
      return el("div", { class: "bubble" }, el("div", { class: "location" },
        el("strong", { text: `📍 ${entry.label || t("demo.wx_location")}` }),
        `${entry.lat.toFixed(5)}, ${entry.lon.toFixed(5)}`));
    default: return el("div", { class: "bubble", text: entry.text || "" });
  }
}

function posterLabel(scene) {
  const poster = state.config.posters.find((p) => p.scene === scene);
  return poster ? poster.label : scene;
}

function render(entry) {
  if (entry.from === "system") {
    return el("div", { class: "system", "data-testid": "wx-system" },
      el("span", { text: t("demo.wx_scanned", { poster: posterLabel(entry.scene) }) }));
  }
  if (entry.from === "me") return row(entry, true, ownBubble(entry));
  const message = entry.message;
  if (message.via === "reply" && message.MsgType === "system") {
    return el("div", { class: "system", "data-testid": "wx-system" }, el("span", { text: message.Content }));
  }
  return row(entry, false, accountBubble(message));
}

function renderAll() {
  const box = document.getElementById("messages");
  const nodes = [];
  let previous = null;
  for (const entry of [...state.entries.values()].sort((a, b) => a.id - b.id)) {
    if (previous === null || entry.at - previous >= GAP_FOR_TIME) {
      nodes.push(el("div", { class: "time", text: clock(entry.at) }));
    }
    previous = entry.at;
    nodes.push(render(entry));
  }
  box.replaceChildren(...nodes);
  box.scrollTop = box.scrollHeight;
}

function addEntry(entry) {
  if (entry.openid !== state.openid) return;
  state.entries.set(entry.id, entry);
  renderAll();
}

async function loadConversation() {
  state.entries.clear();
  if (state.openid) {
    const data = await call("GET", `/page/followers/${encodeURIComponent(state.openid)}/messages`);
    for (const entry of data.messages) state.entries.set(entry.id, entry);
  }
  renderAll();
}

// -- the account and the demo's controls -----------------------------------------------------

async function refreshConfig() {
  state.config = await call("GET", "/page/config");
  renderChrome();
}

function renderChrome() {
  const config = state.config;
  document.getElementById("account-name").textContent = config.account_name;
  const followers = document.getElementById("follower");
  followers.replaceChildren(...config.followers.map((f) => el("option", { value: f.openid, text: f.name })));
  followers.value = state.openid || "";
  const posters = document.getElementById("poster");
  const chosen = posters.value;
  posters.replaceChildren(...config.posters.map((p) => el("option", { value: p.scene, text: p.label })));
  if (chosen) posters.value = chosen;
  const me = follower();
  document.getElementById("not-following").hidden = !me || me.following;
  renderMenu();
}

function renderMenu() {
  const buttons = (state.config.menu && state.config.menu.button) || [];
  const tabs = document.getElementById("menu-tabs");
  tabs.replaceChildren(...buttons.map((button) => {
    const subs = button.sub_button || [];
    return el("button", {
      type: "button", class: subs.length ? "has-sub" : "", "data-testid": "wx-menu-tab", text: button.name,
      onclick: (event) => (subs.length ? togglePopup(event.currentTarget, subs) : press(button)),
    });
  }));
  if (!buttons.length) tabs.append(el("span", { class: "notice", text: t("demo.wx_no_menu") }));
  // WeChat opens on the menu when the account has one, on the keyboard otherwise.
  if (!buttons.length && !document.getElementById("menu-bar").hidden) showKeyboard(true);
}

function togglePopup(tab, subs) {
  const popup = document.getElementById("menu-popup");
  if (!popup.hidden && popup.dataset.tab === tab.textContent) { popup.hidden = true; return; }
  popup.dataset.tab = tab.textContent;
  popup.replaceChildren(...subs.map((sub) => el("button", {
    type: "button", "data-testid": "wx-menu-item", text: sub.name,
    onclick: () => { popup.hidden = true; press(sub); },
  })));
  const phone = document.querySelector(".phone").getBoundingClientRect();
  const box = tab.getBoundingClientRect();
  popup.hidden = false;
  popup.style.left = `${Math.max(4, box.left - phone.left + box.width / 2 - popup.offsetWidth / 2)}px`;
}

function press(button) {
  if (button.type === "view" && button.url) { window.open(button.url, "_blank", "noopener"); return; }
  send({ type: "click", key: button.key || "" });
}

function showKeyboard(on) {
  document.getElementById("menu-bar").hidden = on;
  document.getElementById("input-bar").hidden = !on;
  document.getElementById("menu-popup").hidden = true;
  if (on) document.getElementById("text").focus();
}

async function send(body) {
  if (!state.openid) return;
  try {
    const result = await call("POST", `/page/followers/${encodeURIComponent(state.openid)}/send`, body);
    if (!result.delivered) toast(t("demo.wx_not_delivered"));
    if (body.type === "scan") await refreshConfig();
  } catch (error) {
    fail(error);
  }
}

async function choose(openid) {
  state.openid = openid;
  localStorage.setItem(FOLLOWER_KEY, JSON.stringify({ run: state.config.run, openid }));
  renderChrome();
  await loadConversation();
}

function scan() {
  const scene = document.getElementById("poster").value;
  if (scene) send({ type: "scan", scene });
}

function readImage(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1]);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

function wire() {
  document.getElementById("follower").addEventListener("change", (e) => choose(e.target.value).catch(fail));
  document.getElementById("scan").addEventListener("click", scan);
  document.getElementById("tool-scan").addEventListener("click", scan);
  document.getElementById("to-keyboard").addEventListener("click", () => showKeyboard(true));
  document.getElementById("to-menu").addEventListener("click", () => showKeyboard(false));
  document.getElementById("plus").addEventListener("click", () => {
    const tools = document.getElementById("tools");
    tools.hidden = !tools.hidden;
    document.getElementById("location-panel").hidden = true;
  });
  document.getElementById("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = document.getElementById("text");
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send({ type: "text", text });
  });
  const photo = document.getElementById("photo-input");
  document.getElementById("tool-photo").addEventListener("click", () => photo.click());
  photo.addEventListener("change", async () => {
    const file = photo.files[0];
    photo.value = "";
    if (!file) return;
    document.getElementById("tools").hidden = true;
    try {
      await send({ type: "image", data: await readImage(file), mime_type: file.type || "image/jpeg" });
    } catch (error) { fail(error); }
  });
  document.getElementById("tool-location").addEventListener("click", () => {
    document.getElementById("location-panel").hidden = false;
  });
  document.getElementById("location-panel").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = event.target;
    document.getElementById("location-panel").hidden = true;
    document.getElementById("tools").hidden = true;
    send({ type: "location", lat: Number(form.lat.value), lon: Number(form.lon.value), label: form.label.value });
  });
}

function listen() {
  const source = new EventSource("/page/events");
  source.onmessage = (message) => addEntry(JSON.parse(message.data));
  source.onerror = () => {
    state.online = false;
    document.getElementById("offline").hidden = false;
  };
  source.onopen = () => {
    document.getElementById("offline").hidden = true;
    if (!state.online) {
      state.online = true;
      refreshConfig().then(loadConversation).catch(fail);
    }
  };
}

// -- start -----------------------------------------------------------------------------------

async function main() {
  state.config = await call("GET", "/page/config");
  await setLocale(initialLocale());
  wire();
  listen();
  // Who the page plays: a link's ?follower=<openid>, else what this browser showed in this
  // run, else the one the runner named for the page's language, else the first follower.
  const known = (openid) => state.config.followers.some((f) => f.openid === openid);
  let openid = new URLSearchParams(location.search).get("follower");
  if (!known(openid)) {
    try {
      const kept = JSON.parse(localStorage.getItem(FOLLOWER_KEY) || "{}");
      openid = kept.run === state.config.run ? kept.openid : null;
    } catch (error) { openid = null; }
  }
  if (!known(openid)) openid = state.config.panes[state.locale] || null;
  if (!known(openid)) openid = state.config.followers.length ? state.config.followers[0].openid : null;
  // Open on the poster of the follower's language pair when the runner named one.
  const poster = new URLSearchParams(location.search).get("poster") || state.config.posters_for[state.locale];
  await choose(openid);
  if (poster) document.getElementById("poster").value = poster;
}

main().catch(fail);
