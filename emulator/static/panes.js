/* Panes: one simulated person each, picked or created, with the controls of its header and
 * composer. */
import {
  PANES_KEY, call, el, fail, fullName, initials, q, state, t, translate, userById,
} from "./core.js";
import { followNewest, renderAll } from "./messages.js";
import { openPanel, readPhoto, send, sendStart, sendText, takeReply } from "./composer.js";
import { wechat } from "./wechat-pane.js";

// -- panes -----------------------------------------------------------------------------------

export function savePanes() {
  // Kept with the emulator's run: another run (a restarted demo) opens on its own pairs.
  const ids = state.panes.map((p) => p.userId);
  localStorage.setItem(PANES_KEY, JSON.stringify({ run: state.page.run, ids }));
}

export function addPane(userId) {
  const root = document.getElementById("pane-template").content.firstElementChild.cloneNode(true);
  const pane = {
    root,
    userId: null,
    replyTo: null,
    keyboard: null,
    forceReply: null,
    messages: new Map(), // message_id -> message dict
    typingTimer: null,
    atBottom: true, // the newest message is in view: keep it there as things change
  };
  root.dataset.paneIndex = String(state.panes.length);
  state.panes.push(pane);
  document.getElementById("panes").append(root);
  translate(root);
  wirePane(pane);
  followNewest(pane);
  renderUserSelect(pane);
  const known = state.users.some((u) => u.id === userId);
  if (known) selectUser(pane, userId);
  else showNewUser(pane, true);
  activate(state.panes.length - 1);
  return pane;
}

export function closePane(pane) {
  const index = state.panes.indexOf(pane);
  if (index < 0 || state.panes.length === 1) return;
  state.panes.splice(index, 1);
  pane.root.remove();
  state.panes.forEach((p, i) => { p.root.dataset.paneIndex = String(i); });
  savePanes();
  activate(Math.min(state.active, state.panes.length - 1));
}

export function activate(index) {
  state.active = index;
  state.panes.forEach((pane, i) => pane.root.classList.toggle("active", i === index));
  if (wechat.root) wechat.root.classList.toggle("active", index === -1); // -1: the WeChat pane
  renderTabs();
}

export function renderTabs() {
  const tabs = document.getElementById("tabs");
  tabs.replaceChildren(
    ...state.panes.map((pane, index) => {
      const user = userById(pane.userId);
      return el("button", {
        type: "button",
        class: index === state.active ? "active" : "",
        "data-testid": "pane-tab",
        text: user ? fullName(user) : t("demo.tab_empty"),
        onclick: () => activate(index),
      });
    }),
  );
  if (wechat.root) {
    tabs.append(el("button", {
      type: "button",
      class: state.active === -1 ? "active" : "",
      "data-testid": "wechat-tab",
      text: t("demo.wx_pane_title"),
      onclick: () => activate(-1),
    }));
  }
}

export function renderUserSelect(pane) {
  const select = q(pane, ".user-select");
  const options = [el("option", { value: "", text: t("demo.pick_user"), disabled: true })];
  for (const user of state.users) {
    options.push(el("option", { value: String(user.id), text: fullName(user) }));
  }
  options.push(el("option", { value: "new", text: t("demo.add_user") }));
  select.replaceChildren(...options);
  select.value = pane.userId ? String(pane.userId) : "";
  const user = userById(pane.userId);
  q(pane, ".avatar").textContent = initials(user ? user.first_name : "");
  renderStatus(pane);
}

export function renderStatus(pane, typing) {
  const status = q(pane, ".status");
  status.classList.toggle("typing", Boolean(typing));
  const botName = state.bot ? `@${state.bot.username}` : "";
  status.textContent = typing ? `${botName} ${t("demo.typing")}` : `${botName} · ${t("demo.bot")}`;
}

export function renderBlock(pane) {
  const button = q(pane, ".block-button");
  const user = userById(pane.userId);
  button.hidden = !user;
  const blocked = Boolean(user && user.blocked);
  button.classList.toggle("blocked", blocked);
  button.textContent = blocked ? t("demo.unblock") : t("demo.block");
}

export function showNewUser(pane, visible) {
  q(pane, ".new-user").hidden = !visible;
  if (visible) q(pane, "[data-testid=new-user-first-name]").focus();
}

export async function selectUser(pane, userId) {
  pane.userId = userId;
  pane.replyTo = null;
  renderUserSelect(pane);
  renderBlock(pane);
  renderTabs();
  savePanes();
  showNewUser(pane, false);
  await loadChat(pane);
}

export async function loadChat(pane) {
  if (!pane.userId) return;
  const [history, view] = await Promise.all([
    call("GET", `/control/chats/${pane.userId}/history`),
    call("GET", `/control/chats/${pane.userId}/keyboard`),
  ]);
  pane.messages = new Map(history.map((m) => [m.message_id, m]));
  pane.keyboard = view.keyboard;
  pane.forceReply = view.force_reply;
  renderAll(pane);
}

export async function refreshUsers() {
  state.users = await call("GET", "/control/users");
  for (const pane of state.panes) {
    renderUserSelect(pane);
    renderBlock(pane);
  }
  renderTabs();
}

export function wirePane(pane) {
  const root = pane.root;
  q(pane, ".user-select").addEventListener("change", (event) => {
    const value = event.target.value;
    if (value === "new") {
      event.target.value = pane.userId ? String(pane.userId) : "";
      showNewUser(pane, true);
    } else {
      selectUser(pane, Number(value)).catch(fail);
    }
  });
  q(pane, ".new-user").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    try {
      const user = await call("POST", "/control/users", {
        first_name: form.get("first_name"),
        last_name: form.get("last_name") || undefined,
        username: form.get("username") || undefined,
        language_code: form.get("language_code"),
      });
      event.target.reset();
      await refreshUsers();
      await selectUser(pane, user.id);
    } catch (error) { fail(error); }
  });
  q(pane, ".cancel-user").addEventListener("click", () => showNewUser(pane, false));
  q(pane, ".close-pane").addEventListener("click", () => closePane(pane));
  q(pane, ".block-button").addEventListener("click", async () => {
    const user = userById(pane.userId);
    if (!user) return;
    try {
      await call("POST", `/control/users/${user.id}/${user.blocked ? "unblock" : "block"}`, {});
    } catch (error) { fail(error); }
  });
  q(pane, ".commands-button").addEventListener("click", async () => {
    const list = q(pane, ".commands-list");
    if (!list.hidden || !pane.userId) { list.hidden = true; return; }
    try {
      const commands = await call("GET", `/control/users/${pane.userId}/commands`);
      list.replaceChildren(...(commands.length ? commands.map((c) => el("button", {
        type: "button",
        "data-testid": "command",
        onclick: () => { list.hidden = true; sendText(pane, `/${c.command}`); },
      }, el("b", { text: `/${c.command}` }), c.description)) : [
        el("div", { class: "empty", text: t("demo.no_commands") }),
      ]));
      list.hidden = false;
    } catch (error) { fail(error); }
  });
  q(pane, ".composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = q(pane, ".composer .text");
    const text = input.value;
    input.value = "";
    sendText(pane, text);
  });
  q(pane, ".attach").addEventListener("click", () => {
    q(pane, ".attach-menu").hidden = !q(pane, ".attach-menu").hidden;
  });
  q(pane, ".attach-menu").addEventListener("click", (event) => {
    const action = event.target.dataset && event.target.dataset.action;
    if (action === "photo") {
      q(pane, ".attach-menu").hidden = true;
      q(pane, ".photo-input").click();
    } else if (action) {
      openPanel(pane, action);
    }
  });
  q(pane, ".photo-input").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    event.target.value = "";
    if (!file) return;
    const input = q(pane, ".composer .text");
    const caption = input.value.trim();
    input.value = "";
    try {
      const data = await readPhoto(file);
      await send(pane, {
        photo: { data, filename: file.name, mime_type: file.type || undefined },
        caption: caption || undefined,
      });
    } catch (error) { fail(error); }
  });
  q(pane, ".send-location").addEventListener("click", () => {
    const latitude = Number(q(pane, "[data-testid=latitude]").value);
    const longitude = Number(q(pane, "[data-testid=longitude]").value);
    q(pane, ".location-panel").hidden = true;
    send(pane, { location: { latitude, longitude } });
  });
  q(pane, ".share-contact").addEventListener("click", () => {
    const user = userById(pane.userId);
    if (!user) return;
    q(pane, ".contact-panel").hidden = true;
    send(pane, {
      contact: {
        phone_number: q(pane, "[data-testid=phone]").value,
        first_name: user.first_name,
        last_name: user.last_name,
        user_id: user.id,
      },
    });
  });
  q(pane, ".send-start").addEventListener("click", () => {
    q(pane, ".start-panel").hidden = true;
    sendStart(pane, q(pane, "[data-testid=start-payload]").value.trim());
  });
  q(pane, ".cancel-reply").addEventListener("click", () => takeReply(pane));
  q(pane, ".alert-ok").addEventListener("click", () => {
    q(pane, ".alert-backdrop").hidden = true;
  });
  root.addEventListener("focusin", () => activate(state.panes.indexOf(pane)));
}
