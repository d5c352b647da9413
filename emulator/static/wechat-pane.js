/* The WeChat emulator's chat page as one more pane (the demo's WeChat resident beside the
 * Telegram cadre). It lives on the WeChat emulator's own port, so it sits in a frame: the
 * address is built from this page's host name and the port the emulator's runner named. */
import { el, state, t } from "./core.js";

export const wechat = { root: null, frame: null };

export function addWeChatPane() {
  const port = state.page.wechat && state.page.wechat.port;
  if (!port || wechat.root) return;
  wechat.frame = el("iframe", { class: "wechat-frame", "data-testid": "wechat-frame" });
  wechat.root = el("section", { class: "pane wechat-pane", "data-testid": "wechat-pane" },
    el("div", { class: "pane-header wechat-header" },
      el("div", { class: "avatar wechat-avatar", "aria-hidden": "true", text: "微" }),
      el("div", { class: "who", "data-i18n": "demo.wx_pane_title" })),
    wechat.frame);
  document.getElementById("panes").append(wechat.root);
  localizeWeChatPane();
}

// The frame speaks the page's language: a change of language reloads it in the new one.
export function localizeWeChatPane() {
  if (!wechat.root) return;
  wechat.root.querySelector(".who").textContent = t("demo.wx_pane_title");
  const src = `${location.protocol}//${location.hostname}:${state.page.wechat.port}/?lang=${state.locale}`;
  if (wechat.frame.getAttribute("src") !== src) wechat.frame.setAttribute("src", src);
}
