/* The emulator's chat page: one person plays several simulated users side by side.
 *
 * Everything goes through the control API: history is loaded per pane, then kept live by the
 * Server-Sent Events stream at /control/events. Page strings come from the "demo" gettext
 * domain via /control/strings. No build step, no dependencies.
 */
"use strict";

(() => {
  const PANES_KEY = "emulator.panes";
  const LOCALE_KEY = "emulator.locale";
  const TYPING_MS = 5000;

  const state = {
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

  // A pane's own notices show over that pane; others over the page.
  function toast(text, kind, pane) {
    const node = el("div", { class: `toast ${kind || ""}`, "data-testid": "toast", text });
    (pane ? q(pane, ".toasts") : document.getElementById("toasts")).append(node);
    setTimeout(() => node.remove(), 3200);
  }

  function showAlert(pane, text) {
    q(pane, ".alert-text").textContent = text;
    q(pane, ".alert-backdrop").hidden = false;
  }

  function fail(error) {
    toast(t("demo.error", { error: error.message || error }), "error");
  }

  function fullName(user) {
    return [user.first_name, user.last_name].filter(Boolean).join(" ");
  }

  function initials(name) {
    return (name || "?").trim().slice(0, 1).toUpperCase();
  }

  // In the zone the emulator's runner named (the contact points' zone in the demo, where the
  // bot's deadlines are), so "answer by 17:00" and the message times read on one clock.
  function clock(unix) {
    const date = new Date(unix * 1000);
    return date.toLocaleTimeString(state.locale === "en" ? "en" : "zh-Hans", {
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZone: state.page.time_zone || undefined,
    });
  }

  // A t.me link that starts this bot with a payload: https://t.me/<bot>?start=<payload>
  function startPayload(url) {
    if (!state.bot) return null;
    const match = /^(?:https?:\/\/)?t\.me\/([A-Za-z0-9_]+)\?start=([A-Za-z0-9_-]*)$/.exec(url);
    if (!match || match[1].toLowerCase() !== state.bot.username.toLowerCase()) return null;
    return match[2];
  }

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
  }

  function renderPageInfo() {
    const zone = document.getElementById("time-zone");
    zone.hidden = !state.page.time_zone;
    zone.textContent = t("demo.time_zone", { zone: state.page.time_zone || "" });
    const api = document.getElementById("bot-api");
    api.textContent = state.bot ? `${location.origin}/bot${state.bot.token}/` : "";
  }

  function translate(root) {
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

  // -- panes -----------------------------------------------------------------------------------

  function savePanes() {
    // Kept with the emulator's run: another run (a restarted demo) opens on its own pairs.
    const ids = state.panes.map((p) => p.userId);
    localStorage.setItem(PANES_KEY, JSON.stringify({ run: state.page.run, ids }));
  }

  function q(pane, selector) {
    return pane.root.querySelector(selector);
  }

  function addPane(userId) {
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

  function closePane(pane) {
    const index = state.panes.indexOf(pane);
    if (index < 0 || state.panes.length === 1) return;
    state.panes.splice(index, 1);
    pane.root.remove();
    state.panes.forEach((p, i) => { p.root.dataset.paneIndex = String(i); });
    savePanes();
    activate(Math.min(state.active, state.panes.length - 1));
  }

  function activate(index) {
    state.active = index;
    state.panes.forEach((pane, i) => pane.root.classList.toggle("active", i === index));
    renderTabs();
  }

  function renderTabs() {
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
  }

  function userById(id) {
    return state.users.find((user) => user.id === id) || null;
  }

  function renderUserSelect(pane) {
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

  function renderStatus(pane, typing) {
    const status = q(pane, ".status");
    status.classList.toggle("typing", Boolean(typing));
    const botName = state.bot ? `@${state.bot.username}` : "";
    status.textContent = typing ? `${botName} ${t("demo.typing")}` : `${botName} · ${t("demo.bot")}`;
  }

  function renderBlock(pane) {
    const button = q(pane, ".block-button");
    const user = userById(pane.userId);
    button.hidden = !user;
    const blocked = Boolean(user && user.blocked);
    button.classList.toggle("blocked", blocked);
    button.textContent = blocked ? t("demo.unblock") : t("demo.block");
  }

  function showNewUser(pane, visible) {
    q(pane, ".new-user").hidden = !visible;
    if (visible) q(pane, "[data-testid=new-user-first-name]").focus();
  }

  async function selectUser(pane, userId) {
    pane.userId = userId;
    pane.replyTo = null;
    renderUserSelect(pane);
    renderBlock(pane);
    renderTabs();
    savePanes();
    showNewUser(pane, false);
    await loadChat(pane);
  }

  async function loadChat(pane) {
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

  function renderAll(pane) {
    const box = q(pane, ".messages");
    if (!pane.userId) {
      box.replaceChildren(el("div", { class: "empty", text: t("demo.select_user_first") }));
    } else if (pane.messages.size === 0) {
      box.replaceChildren(el("div", { class: "empty", text: t("demo.empty_chat") }));
    } else {
      box.replaceChildren(...[...pane.messages.values()].map((m) => renderMessage(pane, m)));
    }
    renderKeyboard(pane);
    renderReplyBar(pane);
    scrollToNewest(pane);
  }

  // Telegram keeps the newest message in view while one reads at the bottom: when a keyboard,
  // a reply bar or a panel takes room from the chat, when an edit makes a message longer, when
  // a photo loads. Scrolled up to read, the view stays where it is.
  function followNewest(pane) {
    const box = q(pane, ".messages");
    box.addEventListener("scroll", () => {
      pane.atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 24;
    });
    new ResizeObserver(() => { if (pane.atBottom) scrollToNewest(pane); }).observe(box);
  }

  function scrollToNewest(pane) {
    const box = q(pane, ".messages");
    box.scrollTop = box.scrollHeight;
    pane.atBottom = true;
  }

  // -- messages --------------------------------------------------------------------------------

  function upsertMessage(pane, message) {
    pane.messages.set(message.message_id, message);
    const box = q(pane, ".messages");
    const node = renderMessage(pane, message);
    const old = box.querySelector(`[data-message-id="${message.message_id}"]`);
    if (old) {
      old.replaceWith(node);
      if (pane.atBottom) scrollToNewest(pane);
    } else {
      const empty = box.querySelector(".empty");
      if (empty) empty.remove();
      box.append(node);
      scrollToNewest(pane); // a new message, sent or received, is shown
    }
  }

  function senderName(message) {
    if (!message.from) return "";
    if (message.from.is_bot) return message.from.first_name;
    return fullName(message.from);
  }

  function renderMessage(pane, message) {
    const own = message.from && message.from.id === pane.userId;
    const node = el("div", {
      class: `msg ${own ? "out" : "in"}${message.deleted ? " deleted" : ""}`,
      "data-testid": "message",
      "data-message-id": String(message.message_id),
      "data-from": own ? "user" : "bot",
    });
    const bubble = el("div", { class: "bubble", "data-testid": "bubble" });
    if (message.deleted) {
      bubble.append(el("div", { class: "text", text: t("demo.deleted") }));
      node.append(bubble);
      return node;
    }
    if (message.chat && message.chat.type !== "private" && !own) {
      bubble.append(el("div", { class: "sender", text: senderName(message) }));
    }
    if (message.forward_origin) {
      const origin = message.forward_origin;
      const who = origin.sender_user ? fullName(origin.sender_user) : origin.sender_user_name || "";
      bubble.append(el("div", { class: "forwarded", text: `${t("demo.forwarded")} ${who}` }));
    }
    if (message.reply_to_message) bubble.append(renderQuote(pane, message.reply_to_message));
    bubble.append(...renderContent(pane, message));
    const meta = el("div", { class: "meta" });
    if (message.edit_date) meta.append(el("span", { class: "edited", text: t("demo.edited") }));
    meta.append(el("time", { text: clock(message.date) }));
    bubble.append(meta);
    node.append(bubble);
    const markup = message.reply_markup && message.reply_markup.inline_keyboard;
    if (markup && markup.length) node.append(renderInlineKeyboard(pane, message, markup));
    node.append(
      el("button", {
        type: "button",
        class: "reply-action",
        "data-testid": "reply-button",
        title: t("demo.reply"),
        text: "↩",
        onclick: () => startReply(pane, message.message_id),
      }),
    );
    node.addEventListener("dblclick", () => startReply(pane, message.message_id));
    return node;
  }

  function renderQuote(pane, replied) {
    return el(
      "div",
      {
        class: "reply-quote",
        "data-testid": "reply-quote",
        onclick: () => {
          const target = q(pane, `[data-message-id="${replied.message_id}"]`);
          if (!target) return;
          target.scrollIntoView({ block: "center", behavior: "smooth" });
          target.classList.add("flash");
          setTimeout(() => target.classList.remove("flash"), 1200);
        },
      },
      el("b", { text: senderName(replied) }),
      summary(replied),
    );
  }

  function summary(message) {
    if (message.text) return message.text;
    if (message.caption) return message.caption;
    for (const kind of ["photo", "video", "voice", "audio", "document", "sticker", "location",
      "venue", "contact", "poll"]) {
      if (message[kind]) return t(`demo.${kind}`);
    }
    return "";
  }

  function fileUrl(fileId) {
    return `/control/files/${encodeURIComponent(fileId)}`;
  }

  function renderContent(pane, message) {
    const parts = [];
    if (message.photo) {
      const biggest = message.photo[message.photo.length - 1];
      parts.push(el("img", {
        class: "photo", src: fileUrl(biggest.file_id), alt: t("demo.photo"),
        "data-testid": "photo", loading: "lazy",
        onload: () => { if (pane.atBottom) scrollToNewest(pane); },
        onclick: () => window.open(fileUrl(biggest.file_id), "_blank"),
      }));
    }
    if (message.sticker) {
      parts.push(el("img", {
        class: "sticker", src: fileUrl(message.sticker.file_id), alt: message.sticker.emoji || "",
        title: message.sticker.emoji || t("demo.sticker"),
      }));
      if (message.sticker.emoji) parts.push(el("div", { class: "text", text: message.sticker.emoji }));
    }
    for (const kind of ["video", "voice", "audio", "document"]) {
      const file = message[kind];
      if (!file) continue;
      parts.push(el("div", { class: "card", "data-testid": `${kind}-card` },
        el("span", { class: "emoji", text: "📎" }),
        el("a", { href: fileUrl(file.file_id), target: "_blank",
          text: file.file_name || t(`demo.${kind}`) })));
    }
    if (message.venue) {
      const v = message.venue;
      parts.push(el("div", { class: "card", "data-testid": "venue-card" },
        el("span", { class: "emoji", text: "📍" }),
        el("div", {}, el("b", { text: v.title }), el("div", { text: v.address }),
          el("small", { text: coordinates(v.location) }))));
    } else if (message.location) {
      parts.push(el("div", { class: "card", "data-testid": "location-card" },
        el("span", { class: "emoji", text: "📍" }),
        el("div", {}, el("b", { text: t("demo.location") }),
          el("div", { text: coordinates(message.location) }))));
    }
    if (message.contact) {
      const c = message.contact;
      parts.push(el("div", { class: "card", "data-testid": "contact-card" },
        el("span", { class: "emoji", text: "👤" }),
        el("div", {}, el("b", { text: fullName(c) }), el("div", { text: c.phone_number }))));
    }
    if (message.poll) {
      parts.push(el("div", { class: "card poll", "data-testid": "poll-card" },
        el("span", { class: "emoji", text: "📊" }),
        el("div", {}, el("b", { text: message.poll.question }),
          el("ol", {}, ...message.poll.options.map((o) => el("li", { text: o.text }))))));
    }
    if (message.text !== undefined) {
      parts.push(renderText(pane, message.text, message.entities || []));
    } else if (message.caption) {
      parts.push(renderText(pane, message.caption, message.caption_entities || []));
    }
    return parts;
  }

  function coordinates(location) {
    return `${location.latitude.toFixed(5)}, ${location.longitude.toFixed(5)}`;
  }

  // Entities use UTF-16 offsets, which is what JavaScript strings index by.
  function renderText(pane, text, entities) {
    const node = el("div", { class: "text", "data-testid": "message-text" });
    const sorted = [...entities].sort((a, b) => a.offset - b.offset || b.length - a.length);
    appendRange(pane, node, text, sorted, 0, text.length);
    return node;
  }

  function appendRange(pane, parent, text, entities, start, end) {
    let position = start;
    let index = 0;
    while (index < entities.length) {
      const entity = entities[index];
      const entityEnd = Math.min(entity.offset + entity.length, end);
      if (entity.offset < position || entity.offset >= end) { index += 1; continue; }
      if (entity.offset > position) parent.append(text.slice(position, entity.offset));
      // Entities nested inside this one are rendered inside its element.
      const inner = [];
      index += 1;
      while (index < entities.length && entities[index].offset < entityEnd) {
        inner.push(entities[index]);
        index += 1;
      }
      const wrapper = wrap(pane, entity, text.slice(entity.offset, entityEnd));
      appendRange(pane, wrapper, text, inner, entity.offset, entityEnd);
      parent.append(wrapper);
      position = entityEnd;
    }
    if (position < end) parent.append(text.slice(position, end));
  }

  function wrap(pane, entity, content) {
    switch (entity.type) {
      case "bold": return el("b");
      case "italic": return el("i");
      case "underline": return el("u");
      case "strikethrough": return el("s");
      case "code": return el("code");
      case "pre": return el("pre");
      case "blockquote":
      case "expandable_blockquote": return el("blockquote");
      case "spoiler": {
        const node = el("span", { class: "spoiler" });
        node.addEventListener("click", () => node.classList.add("shown"));
        return node;
      }
      case "text_link": return link(pane, entity.url);
      case "url": return link(pane, content);
      case "email": return el("a", { href: `mailto:${content}` });
      case "bot_command":
        return el("span", {
          class: "link", "data-testid": "command-link",
          onclick: () => sendText(pane, content.split("@")[0]),
        });
      case "mention":
      case "hashtag":
      case "text_mention": return el("span", { class: "link" });
      default: return el("span");
    }
  }

  function link(pane, url) {
    const payload = startPayload(url);
    if (payload !== null) {
      return el("a", {
        href: url, "data-testid": "start-link",
        onclick: (event) => { event.preventDefault(); sendStart(pane, payload); },
      });
    }
    const href = /^[a-z]+:/i.test(url) ? url : `http://${url}`;
    return el("a", { href, target: "_blank", rel: "noopener noreferrer" });
  }

  // -- keyboards -------------------------------------------------------------------------------

  function renderInlineKeyboard(pane, message, rows) {
    return el("div", { class: "inline-keyboard", "data-testid": "inline-keyboard" },
      ...rows.map((row) => el("div", { class: "row" },
        ...row.map((button) => el("button", {
          type: "button",
          class: button.url ? "url" : "",
          "data-testid": "inline-button",
          text: button.text,
          onclick: () => pressInline(pane, message, button),
        })))));
  }

  async function pressInline(pane, message, button) {
    if (button.callback_data !== undefined) {
      try {
        await call("POST", "/control/press", {
          user_id: pane.userId,
          message_id: message.message_id,
          callback_data: button.callback_data,
        });
      } catch (error) { fail(error); }
    } else if (button.url) {
      const payload = startPayload(button.url);
      if (payload !== null) sendStart(pane, payload);
      else window.open(button.url, "_blank", "noopener");
    } else if (button.copy_text) {
      navigator.clipboard && navigator.clipboard.writeText(button.copy_text.text);
    } else {
      toast(t("demo.unsupported_button"));
    }
  }

  function renderKeyboard(pane) {
    const area = q(pane, ".reply-keyboard");
    const keyboard = pane.keyboard;
    const input = q(pane, ".composer .text");
    input.placeholder = (keyboard && keyboard.input_field_placeholder)
      || (pane.forceReply && pane.forceReply.placeholder)
      || t("demo.message_placeholder");
    if (!keyboard) {
      area.replaceChildren();
      return;
    }
    area.replaceChildren(...keyboard.keyboard.map((row) => el("div", { class: "row" },
      ...row.map((button) => el("button", {
        type: "button",
        "data-testid": "reply-keyboard-button",
        text: button.text,
        onclick: () => pressReplyButton(pane, button),
      })))));
  }

  function pressReplyButton(pane, button) {
    if (button.request_contact) openPanel(pane, "contact");
    else if (button.request_location) openPanel(pane, "location");
    else sendText(pane, button.text);
  }

  // -- composing -------------------------------------------------------------------------------

  function startReply(pane, messageId) {
    pane.replyTo = messageId;
    renderReplyBar(pane);
    q(pane, ".composer .text").focus();
  }

  function renderReplyBar(pane) {
    const bar = q(pane, ".reply-bar");
    const replied = pane.replyTo && pane.messages.get(pane.replyTo);
    bar.hidden = !replied;
    if (replied) q(pane, ".quote-text").textContent = summary(replied);
  }

  function takeReply(pane) {
    const replyTo = pane.replyTo;
    pane.replyTo = null;
    renderReplyBar(pane);
    return replyTo;
  }

  async function send(pane, body) {
    if (!pane.userId) { toast(t("demo.select_user_first")); return; }
    const replyTo = takeReply(pane);
    try {
      await call("POST", "/control/messages", {
        user_id: pane.userId,
        reply_to_message_id: replyTo || undefined,
        ...body,
      });
    } catch (error) {
      pane.replyTo = replyTo;
      renderReplyBar(pane);
      fail(error);
    }
  }

  function sendText(pane, text) {
    if (text.trim()) return send(pane, { text });
    return Promise.resolve();
  }

  function sendStart(pane, payload) {
    return sendText(pane, payload ? `/start ${payload}` : "/start");
  }

  function openPanel(pane, name) {
    for (const panel of ["location", "contact", "start"]) {
      q(pane, `.${panel}-panel`).hidden = panel !== name || !q(pane, `.${panel}-panel`).hidden;
    }
    q(pane, ".attach-menu").hidden = true;
    if (name === "contact") {
      const phone = q(pane, "[data-testid=phone]");
      if (!phone.value) phone.value = samplePhone(pane.userId);
    }
  }

  function samplePhone(userId) {
    return `+86138${String(userId || 0).slice(-8).padStart(8, "0")}`;
  }

  function readPhoto(file) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result);
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(file);
    });
  }

  function wirePane(pane) {
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

  // -- live events -----------------------------------------------------------------------------

  async function refreshUsers() {
    state.users = await call("GET", "/control/users");
    for (const pane of state.panes) {
      renderUserSelect(pane);
      renderBlock(pane);
    }
    renderTabs();
  }

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
    activate(0);
    // A demo link like /?start=cp_LANE3 fills the first pane's start parameter.
    const payload = new URLSearchParams(location.search).get("start");
    if (payload !== null) {
      q(state.panes[0], "[data-testid=start-payload]").value = payload;
      openPanel(state.panes[0], "start");
    }
  }

  main().catch(fail);
})();
