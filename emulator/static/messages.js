/* A pane's chat: messages, their content and entities, inline keyboards, the newest in view. */
import { call, clock, el, fail, fullName, q, startPayload, t, toast } from "./core.js";
import { renderKeyboard, renderReplyBar, sendStart, sendText, startReply } from "./composer.js";

export function renderAll(pane) {
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
export function followNewest(pane) {
  const box = q(pane, ".messages");
  box.addEventListener("scroll", () => {
    pane.atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 24;
  });
  new ResizeObserver(() => { if (pane.atBottom) scrollToNewest(pane); }).observe(box);
}

export function scrollToNewest(pane) {
  const box = q(pane, ".messages");
  box.scrollTop = box.scrollHeight;
  pane.atBottom = true;
}

// -- messages --------------------------------------------------------------------------------

export function upsertMessage(pane, message) {
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

export function senderName(message) {
  if (!message.from) return "";
  if (message.from.is_bot) return message.from.first_name;
  return fullName(message.from);
}

export function renderMessage(pane, message) {
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

export function renderQuote(pane, replied) {
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

export function summary(message) {
  if (message.text) return message.text;
  if (message.caption) return message.caption;
  for (const kind of ["photo", "video", "voice", "audio", "document", "sticker", "location",
    "venue", "contact", "poll"]) {
    if (message[kind]) return t(`demo.${kind}`);
  }
  return "";
}

export function fileUrl(fileId) {
  return `/control/files/${encodeURIComponent(fileId)}`;
}

export function renderContent(pane, message) {
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

export function coordinates(location) {
  return `${location.latitude.toFixed(5)}, ${location.longitude.toFixed(5)}`;
}

// Entities use UTF-16 offsets, which is what JavaScript strings index by.
export function renderText(pane, text, entities) {
  const node = el("div", { class: "text", "data-testid": "message-text" });
  const sorted = [...entities].sort((a, b) => a.offset - b.offset || b.length - a.length);
  appendRange(pane, node, text, sorted, 0, text.length);
  return node;
}

export function appendRange(pane, parent, text, entities, start, end) {
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

export function wrap(pane, entity, content) {
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

export function link(pane, url) {
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

export function renderInlineKeyboard(pane, message, rows) {
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

export async function pressInline(pane, message, button) {
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
