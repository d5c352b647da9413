/* The emulator's chat page: one person plays several simulated users side by side.
 *
 * Everything goes through the control API: history is loaded per pane, then kept live by the
 * Server-Sent Events stream at /control/events. Page strings come from the "demo" gettext
 * domain via /control/strings. No build step, no dependencies: ES modules the browser loads.
 *
 * app.js: language, the live events and start-up; panes.js: the panes and their controls;
 * messages.js: a chat's messages and inline keyboards; composer.js: writing as the pane's
 * person; core.js: shared state and small helpers.
 */
import {
  LOCALE_KEY, PANES_KEY, TYPING_MS, call, fail, q, showAlert, state, t, toast, translate, userById,
} from "./core.js";
import {
  activate, addPane, loadChat, refreshUsers, renderBlock, renderStatus, renderTabs,
  renderUserSelect,
} from "./panes.js";
import { renderAll, scrollToNewest, upsertMessage } from "./messages.js";
import { openPanel, renderKeyboard, startReply } from "./composer.js";
import { addWeChatPane, localizeWeChatPane } from "./wechat-pane.js";

// -- strings and language --------------------------------------------------------------------

function initialLocale() {
  const saved = localStorage.getItem(LOCALE_KEY);
  if (saved) return saved;
  return (navigator.language || "").toLowerCase().startsWith("zh") ? "zh_Hans" : "en";
}

async function setLocale(locale) {
  const data = await call("GET", `/control/strings?locale=${encodeURIComponent(locale)}`);
  state.strings = data.strings;
  state.locale = data.locale;
  localStorage.setItem(LOCALE_KEY, state.locale);
  document.documentElement.lang = state.locale === "zh_Hans" ? "zh-Hans" : "en";
  document.getElementById("language").value = state.locale;
  translate(document);
  for (const pane of state.panes) {
    translate(pane.root);
    renderUserSelect(pane);
    renderBlock(pane);
    renderAll(pane);
  }
  renderTabs();
  renderPageInfo();
  localizeWeChatPane();
}

function renderPageInfo() {
  const zone = document.getElementById("time-zone");
  zone.hidden = !state.page.time_zone;
  zone.textContent = t("demo.time_zone", { zone: state.page.time_zone || "" });
  const api = document.getElementById("bot-api");
  api.textContent = state.bot ? `${location.origin}/bot${state.bot.token}/` : "";
}


// -- live events -----------------------------------------------------------------------------

function panesFor(event) {
  if (state.bot && event.bot !== undefined && event.bot !== state.bot.id) return [];
  return state.panes.filter((pane) => pane.userId !== null && pane.userId === event.chat_id);
}

function onEvent(event) {
  switch (event.type) {
    case "message":
    case "edit":
      for (const pane of panesFor(event)) upsertMessage(pane, event.message);
      break;
    case "delete":
      for (const pane of panesFor(event)) {
        const message = pane.messages.get(event.message_id);
        if (message) upsertMessage(pane, { ...message, deleted: true });
      }
      break;
    case "keyboard":
      for (const pane of panesFor(event)) {
        pane.keyboard = event.keyboard;
        const wasAsked = pane.forceReply;
        pane.forceReply = event.force_reply;
        if (event.force_reply && (!wasAsked || wasAsked.message_id !== event.force_reply.message_id)) {
          startReply(pane, event.force_reply.message_id);
        }
        renderKeyboard(pane);
        if (pane.atBottom) scrollToNewest(pane);
      }
      break;
    case "callback_answer": {
      // Over the pane of the person who pressed, on the chat the button was in.
      const panes = state.panes.filter((pane) => pane.userId === event.user_id);
      const own = panes.filter((pane) => pane.userId === event.chat_id);
      for (const pane of (own.length ? own : panes).slice(0, 1)) {
        if (!event.text) continue;
        if (event.show_alert) showAlert(pane, event.text);
        else toast(event.text, "", pane);
      }
      break;
    }
    case "chat_action":
      for (const pane of panesFor(event)) {
        renderStatus(pane, true);
        clearTimeout(pane.typingTimer);
        pane.typingTimer = setTimeout(() => renderStatus(pane, false), TYPING_MS);
      }
      break;
    case "user":
    case "block":
      refreshUsers().catch(fail);
      break;
    case "reset":
      refreshUsers().then(() => state.panes.forEach((pane) => {
        if (!userById(pane.userId)) { pane.userId = null; pane.messages.clear(); }
        renderAll(pane);
      })).catch(fail);
      break;
    default:
      break;
  }
}

function listen() {
  const source = new EventSource("/control/events");
  source.onmessage = (message) => onEvent(JSON.parse(message.data));
  source.onerror = () => {
    state.online = false;
    document.getElementById("offline").hidden = false;
  };
  source.onopen = () => {
    document.getElementById("offline").hidden = true;
    if (!state.online) {
      // Events were missed while offline: reload what every pane shows.
      state.online = true;
      refreshUsers().then(() => Promise.all(state.panes.map(loadChat))).catch(fail);
    }
  };
}

// -- start -----------------------------------------------------------------------------------

async function main() {
  const [bots, page] = await Promise.all([
    call("GET", "/control/bots"),
    call("GET", "/control/page"),
  ]);
  state.bot = bots[0] || null;
  state.page = page;
  await setLocale(initialLocale());
  state.users = await call("GET", "/control/users");
  document.getElementById("language").addEventListener("change", (event) => {
    setLocale(event.target.value).catch(fail);
  });
  document.getElementById("add-pane").addEventListener("click", () => addPane(null));
  listen();
  let saved = [];
  try {
    const kept = JSON.parse(localStorage.getItem(PANES_KEY) || "{}");
    if (kept && kept.run === state.page.run && Array.isArray(kept.ids)) saved = kept.ids;
  } catch (error) { saved = []; }
  // Who sits side by side: a link's /?panes=<id>,<id>, else what this browser showed in this
  // run, else the pair the emulator's runner named for the page's language (the demo seeds
  // one in each), else the first two people.
  const known = (ids) => ids.filter((id) => state.users.some((u) => u.id === id));
  const named = known((new URLSearchParams(location.search).get("panes") || "")
    .split(",").filter(Boolean).map(Number));
  const paired = known(state.page.panes[state.locale] || []);
  if (named.length) saved = named;
  else if (!known(saved.filter(Boolean)).length && paired.length) saved = paired;
  if (!saved.length) saved = state.users.slice(0, 2).map((u) => u.id);
  while (saved.length < 2) saved.push(null);
  for (const userId of saved) addPane(userId);
  addWeChatPane(); // the demo's WeChat resident, when the runner named a WeChat emulator
  activate(0);
  // A demo link like /?start=cp_LANE3 fills the first pane's start parameter.
  const payload = new URLSearchParams(location.search).get("start");
  if (payload !== null) {
    q(state.panes[0], "[data-testid=start-payload]").value = payload;
    openPanel(state.panes[0], "start");
  }
}

main().catch(fail);
