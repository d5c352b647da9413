/* Writing as the pane's person: the reply keyboard, replies, text, start links, panels. */
import { call, el, fail, q, t, toast } from "./core.js";
import { summary } from "./messages.js";

export function renderKeyboard(pane) {
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

export function pressReplyButton(pane, button) {
  if (button.request_contact) openPanel(pane, "contact");
  else if (button.request_location) openPanel(pane, "location");
  else sendText(pane, button.text);
}

// -- composing -------------------------------------------------------------------------------

export function startReply(pane, messageId) {
  pane.replyTo = messageId;
  renderReplyBar(pane);
  q(pane, ".composer .text").focus();
}

export function renderReplyBar(pane) {
  const bar = q(pane, ".reply-bar");
  const replied = pane.replyTo && pane.messages.get(pane.replyTo);
  bar.hidden = !replied;
  if (replied) q(pane, ".quote-text").textContent = summary(replied);
}

export function takeReply(pane) {
  const replyTo = pane.replyTo;
  pane.replyTo = null;
  renderReplyBar(pane);
  return replyTo;
}

export async function send(pane, body) {
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

export function sendText(pane, text) {
  if (text.trim()) return send(pane, { text });
  return Promise.resolve();
}

export function sendStart(pane, payload) {
  return sendText(pane, payload ? `/start ${payload}` : "/start");
}

export function openPanel(pane, name) {
  for (const panel of ["location", "contact", "start"]) {
    q(pane, `.${panel}-panel`).hidden = panel !== name || !q(pane, `.${panel}-panel`).hidden;
  }
  q(pane, ".attach-menu").hidden = true;
  if (name === "contact") {
    const phone = q(pane, "[data-testid=phone]");
    if (!phone.value) phone.value = samplePhone(pane.userId);
  }
}

export function samplePhone(userId) {
  return `+86138${String(userId || 0).slice(-8).padStart(8, "0")}`;
}

export function readPhoto(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}
