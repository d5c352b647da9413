"""Residents on WeChat: each message or event kept in ``channel_inbox`` becomes service calls.

The same use cases as Telegram's handlers call, without aiogram. Every answer goes through the
outbox (channel ``wechat``: the customer-service API under WeChat's window rules) with a key
made from the inbox row, so a message handled twice (a crash after handling, before ``finish``)
answers once and files once (a case's source key is the resident's address and WeChat's
``MsgId``).

WeChat has no inline buttons and no native reply, so:
- choices are numbered lines; the resident answers with the number. The choices are those of
  the bot's last message to them (the newest outbox row of their chat), so a number always
  means what the resident last saw;
- a message that is not a choice goes to the case named in the bot's last message while it is
  open, or else begins a new case; "my cases" names another case to write to.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from locales import LOCALES
from models.enums import CaseKind, CaseStatus, OutboxStatus
from models.tables import Case, Outbox
from services import channel_outbox
from services.app import Services
from services.case_rules import OPEN
from services.cases import Draft
from services.channel_inbox import Inbound
from services.channels import WECHAT, Identity, identify, link_user
from services.errors import Refusal
from services.outbox import Button, Keyboard, enqueue, keyboard_of, text_message
from services.parts import Part
from services.people import Actor
from services.texts import esc
from services.wechat_consultations import CONSULT_WORDS, WeChatConsultations
from services.wechat_tipoffs import REPORT_WORDS, WeChatTipOffs

KINDS = list(CaseKind)
POINT_PREFIX = "cp_"  # the poster's QR scene: "cp_" + the point's code, as Telegram's deep link
# The account's menu (``cpbot wechat menu``): click keys.
MENU_KEYS = ("NEW_CASE", "MY_CASES", "MY_POINT", "NOTICES", "REPORT", "CONSULTATIONS")
# Media kinds WeChat pushes -> the kind a case keeps.
MEDIA_KINDS = {"image": "photo", "voice": "voice", "video": "video", "shortvideo": "video"}
# The text menu's choices, in the order of MENU_KEYS.
MENU_ACTIONS = ("wx_new", "wx_cases", "wx_point", "wx_notices", "wx_report", "wx_consults")
CANCEL_WORDS = frozenset({"0", "cancel", "取消", "/cancel"})
MYDATA_WORDS = frozenset({"/mydata", "mydata", "我的数据"})
FORGET_WORDS = frozenset({"/forget", "forget", "删除我的数据"})
MAX_TEXT = 2000


@dataclass
class Turn:
    """One inbox row in hand: who, where they stand, and the answers queued for them."""

    inbound: Inbound
    identity: Identity
    state: str | None
    data: dict[str, Any]
    locale: str
    said: int = 0

    @property
    def address(self) -> int:
        return self.identity.address

    @property
    def key(self) -> str:
        return f"wechat:{self.address}"


ProfileLanguage = Callable[[str], Awaitable[str | None]]
"""An openid -> the language of the follower's WeChat profile (``zh_CN``, ``en``…), if known."""


def locale_of_profile(language: str | None) -> str | None:
    """The bot's language for WeChat's profile language: Chinese ones -> zh_Hans, English -> en."""
    if not language:
        return None
    if language.lower().startswith("zh"):
        return "zh_Hans"
    if language.lower().startswith("en"):
        return "en"
    return None


class WeChatResidents:
    def __init__(self, services: Services, profile_language: ProfileLanguage | None = None) -> None:
        self.services = services
        self.ctx = services.ctx
        self.profile_language = profile_language
        self.tips = WeChatTipOffs(self)
        self.consult = WeChatConsultations(self)

    # ---- the way in ----------------------------------------------------------------------

    async def handle(self, inbound: Inbound) -> None:
        now = self.ctx.clock.now()
        fields = inbound.payload
        identity = await identify(self.ctx.db, WECHAT, inbound.sender, now)
        state, data = await self.services.conversations.get(f"wechat:{identity.address}")
        turn = Turn(inbound, identity, state, data, data.get("locale", "") or "")
        event = fields.get("Event", "").lower() if fields.get("MsgType") == "event" else ""
        if event == "unsubscribe":
            if identity.user_id is not None:
                await self.services.people.set_reachable(identity.address, False)
            return
        if event in ("location", "view", "templatesendjobfinish"):
            return  # reports WeChat makes on its own, not something the resident said
        # Whatever they did opened a reply window: what waited for them goes out now.
        await channel_outbox.unpark(self.ctx, identity.address)
        scene = _scene(fields, event)
        if identity.user_id is None:
            await self._guest(turn, scene)
            return
        actor = await self.services.people.actor(identity.address, identity.address, "", None)
        turn.locale = actor.locale
        try:
            await self._resident(turn, actor, event, scene)
        except Refusal as refused:
            await self._say(turn, self.ctx.texts(turn.locale, refused.key, **refused.params))

    # ---- before the privacy notice is accepted ---------------------------------------------

    async def _guest(self, turn: Turn, scene: str | None) -> None:
        if scene is not None:
            turn.data["scene"] = scene
        if not turn.locale and self.profile_language is not None:
            # Not chosen yet: the language of their WeChat profile, if the bot takes it.
            try:
                turn.locale = (
                    locale_of_profile(await self.profile_language(turn.inbound.sender)) or ""
                )
            except Exception:  # WeChat unreachable: the default, and they may switch
                turn.locale = ""
        locale = turn.locale or self.ctx.config.default_locale
        choice = _number(turn.inbound.payload) if turn.state == "privacy" else None
        if choice == 1:
            await self._accept(turn, locale)
            return
        if choice == 2:
            await self.services.conversations.set_state(turn.key, None)
            await self.services.conversations.set_data(turn.key, {})
            await self._say(turn, self.ctx.texts(locale, "wx.declined"), locale=locale)
            return
        if choice == 3:
            locale = LOCALES[(LOCALES.index(locale) + 1) % len(LOCALES)]
        turn.data["locale"] = locale
        await self.services.conversations.set_state(turn.key, "privacy")
        await self.services.conversations.set_data(turn.key, turn.data)
        t = self.ctx.texts
        await self._say(
            turn,
            t(locale, "wx.welcome") + "\n\n" + t(locale, "wx.privacy"),
            [
                [Button(t(locale, "reg.accept"), "wx_accept")],
                [Button(t(locale, "reg.decline"), "wx_decline")],
                [Button(t(locale, "wx.other_language"), "wx_language")],
            ],
            locale=locale,
        )

    async def _accept(self, turn: Turn, locale: str) -> None:
        actor = await self.services.people.register(turn.address, turn.address, "", locale)
        await link_user(self.ctx.db, turn.identity.id, actor.uid)
        turn.locale = actor.locale
        scene = turn.data.get("scene")
        await self.services.conversations.set_state(turn.key, None)
        await self.services.conversations.set_data(turn.key, {})
        await self._say(turn, self.ctx.texts(locale, "reg.thanks"))
        if not (scene and await self._set_point(turn, actor, scene)):
            await self._ask_point(turn)

    # ---- residents -------------------------------------------------------------------------

    async def _resident(self, turn: Turn, actor: Actor, event: str, scene: str | None) -> None:
        fields = turn.inbound.payload
        if scene is not None:
            if not await self._set_point(turn, actor, scene):
                await self._say(turn, self._t(turn, "reg.point_link_unknown"))
            return
        if event == "click":
            await self.consult.leave(turn)
            await self._menu_key(turn, actor, fields.get("EventKey", ""))
            return
        if event:
            await self._menu(turn)  # followed again without a poster
            return
        text = fields.get("Content", "").strip() if fields.get("MsgType") == "text" else ""
        lowered = text.lower()
        answering_number = turn.state == "cs_q" and turn.data.get("kind") == "number"
        if text and lowered in CANCEL_WORDS and not (answering_number and text == "0"):
            await self._clear(turn)
            await self._say(turn, self._t(turn, "flow.cancelled"))
            await self._menu(turn)
            return
        if lowered in MYDATA_WORDS | FORGET_WORDS | REPORT_WORDS:
            await self.consult.leave(turn)
        if lowered in MYDATA_WORDS:
            await self._my_data(turn, actor)
            return
        if lowered in FORGET_WORDS:
            await self._say(
                turn,
                self._t(turn, "privacy.forget_confirm"),
                [[Button(self._t(turn, "wx.forget_yes"), "wx_forget")]],
            )
            return
        if lowered in REPORT_WORDS:
            await self.tips.start(turn)
            return
        if lowered in CONSULT_WORDS:
            await self.consult.listing(turn, actor)
            return
        clicked = _clicked(fields)
        if self.consult.answering(turn) and await self.consult.message(turn, actor, clicked):
            return  # a question or the summary on show: what they send answers it
        number = _number(fields)
        if clicked is not None:
            number = clicked[1]
            if not await self._current_menu(turn, clicked[0]):
                await self._say(turn, self._t(turn, "button.stale"))
                return
        if number is not None:
            chosen = await self._choice(turn, number)
            if chosen is not None:
                await self._act(turn, actor, *chosen)
                return
        if turn.state and turn.state.startswith("tip_"):
            # A report in hand: what is written belongs to it, never to a case.
            await self.tips.message(turn, actor, self._part(turn))
            return
        if turn.state == "point" and text:
            await self._find_point(turn, text)
            return
        part = self._part(turn)
        if part is None:
            await self._say(turn, self._t(turn, "wx.unsupported"))
            return
        if turn.state in ("kind", "category"):
            turn.data.setdefault("parts", []).append(part.to_dict())
            await self.services.conversations.set_data(turn.key, turn.data)
            await self._say(turn, self._t(turn, "wx.kept_choose"))
            return
        if turn.state == "content":
            await self._file(turn, actor, [*_parts(turn.data), part])
            return
        case_id = await self._named_case(turn)
        if case_id is not None:
            view = await self.services.cases.follow_up(actor.uid, case_id, part)
            await self._say(turn, self._t(turn, "wx.added", no=view.public_no), case_id=view.id)
            return
        await self._begin(turn, actor, [part])

    async def _menu_key(self, turn: Turn, actor: Actor, key: str) -> None:
        if key == "NEW_CASE":
            await self._begin(turn, actor, [])
        elif key == "MY_CASES":
            await self._cases(turn, actor)
        elif key == "MY_POINT":
            await self._point_card(turn, actor)
        elif key == "NOTICES":
            await self._notices(turn, actor)
        elif key == "REPORT":
            await self.tips.start(turn)
        elif key == "CONSULTATIONS":
            await self.consult.listing(turn, actor)
        else:
            await self._menu(turn)

    async def _act(self, turn: Turn, actor: Actor, action: str, ref: int) -> None:
        """A numbered choice: the button it stands for, as Telegram's handlers would take it."""
        t, lifecycle = self._t, self.services.lifecycle
        if action.startswith("wxt_"):
            await self.tips.act(turn, actor, action, ref)
        elif action.startswith("cs_"):
            await self.consult.act(turn, actor, action, ref)
        elif action in MENU_ACTIONS:
            await self._menu_key(turn, actor, MENU_KEYS[MENU_ACTIONS.index(action)])
        elif action == "wx_language":
            locale = LOCALES[(LOCALES.index(turn.locale) + 1) % len(LOCALES)]
            await self.services.people.set_locale(actor.uid, locale)
            turn.locale = locale
            await self._say(turn, t(turn, "language.set"))
            await self._menu(turn)
        elif action == "wx_kind" and 0 <= ref < len(KINDS):
            turn.data["kind"] = KINDS[ref].value
            await self._ask_category(turn)
        elif action == "wx_cat":
            turn.data["category_id"] = ref
            parts = _parts(turn.data)
            if parts:
                await self._file(turn, actor, parts)
            else:
                await self._set(turn, "content")
                await self._say(turn, t(turn, "wx.ask_content"))
        elif action == "wx_pick_point":
            point = await self.services.points.choose(actor.uid, ref)
            await self._clear(turn)
            await self._say(turn, t(turn, "reg.point_set", point=esc(point.name)))
            await self._menu(turn)
        elif action == "wx_case":
            await self._show_case(turn, actor, ref)
        elif action in ("rc_withdraw", "rc_withdraw_yes"):
            if action == "rc_withdraw":
                view = (await self.services.cases.for_resident(actor.uid, ref)).case
                yes = Button(t(turn, "btn.withdraw_yes"), "rc_withdraw_yes", ref)
                await self._say(turn, t(turn, "withdraw.confirm", no=view.public_no), [[yes]])
            else:
                view = await lifecycle.withdraw(actor.uid, ref)
                await self._say(turn, t(turn, "withdraw.done", no=view.public_no))
        elif action == "verdict_yes":
            view = await lifecycle.confirm(actor.uid, ref)
            await self._ask_rating(turn, view.id, view.public_no)
        elif action == "rc_rate":
            view = (await self.services.cases.for_resident(actor.uid, ref)).case
            await self._ask_rating(turn, view.id, view.public_no)
        elif action == "verdict_no":
            view = await lifecycle.reopen(actor.uid, ref)
            await self._say(turn, t(turn, "wx.reopened", no=view.public_no), case_id=view.id)
        elif action.startswith("rate") and action[4:].isdigit():
            stars = int(action[4:])
            view = await lifecycle.rate(actor.uid, ref, stars)
            text = t(turn, "verdict.rated_stars", no=view.public_no, stars="⭐" * stars)
            await self._say(turn, text)
        elif action in ("notice_read", "notice_open"):
            notice = await self.services.notices.open_for_resident(actor.uid, ref)
            await self.services.notices.mark_read(actor.uid, ref)
            await self._say(turn, notice.text)
        elif action == "wx_forget":
            await self.services.privacy.forget(actor.uid)
            await self.services.conversations.set_state(turn.key, None)
            await self.services.conversations.set_data(turn.key, {})
            await self._say(turn, t(turn, "privacy.forgotten"))
        else:
            await self._menu(turn)  # a choice WeChat residents have no way to act on

    # ---- filing --------------------------------------------------------------------------

    async def _begin(self, turn: Turn, actor: Actor, parts: list[Part]) -> None:
        if actor.point_id is None:
            await self._say(turn, self._t(turn, "filing.no_point"))
            await self._ask_point(turn)
            return
        if not (await self.services.points.get(actor.point_id)).active:
            await self._say(turn, self._t(turn, "filing.point_inactive"))
            return
        turn.data = {"locale": turn.locale, "parts": [p.to_dict() for p in parts]}
        await self._set(turn, "kind")
        rows = [[Button(self._t(turn, f"kind.{k}"), "wx_kind", i)] for i, k in enumerate(KINDS)]
        await self._say(turn, self._t(turn, "filing.ask_kind") + "\n" + self._hint(turn), rows)

    async def _ask_category(self, turn: Turn) -> None:
        await self._set(turn, "category")
        rows = [
            [Button(c.name(turn.locale), "wx_cat", c.id)]
            for c in await self.services.cases.categories()
        ]
        await self._say(turn, self._t(turn, "filing.ask_category") + "\n" + self._hint(turn), rows)

    async def _file(self, turn: Turn, actor: Actor, parts: list[Part]) -> None:
        draft = Draft(
            kind=str(turn.data.get("kind", CaseKind.COMPLAINT.value)),
            category_id=int(turn.data.get("category_id", 0)),
            parts=parts,
        )
        # The confirmation (number, who, by when) is queued with the case, exactly once.
        await self.services.cases.file(actor.uid, draft)
        await self._clear(turn)

    async def _ask_rating(self, turn: Turn, case_id: int, no: str) -> None:
        stars = [[Button("⭐" * n, f"rate{n}", case_id)] for n in range(5, 0, -1)]
        await self._say(turn, self._t(turn, "verdict.thanks_rate", no=no), stars)

    # ---- cases, point, notices, data -------------------------------------------------------

    async def _cases(self, turn: Turn, actor: Actor) -> None:
        cases = await self.services.cases.of_resident(actor.uid, limit=9)
        if not cases:
            await self._say(turn, self._t(turn, "cases.none_resident"))
            return
        rows = [
            [
                Button(
                    f"{c.public_no} · {self._t(turn, f'status.{c.status}')} · {c.summary[:30]}",
                    "wx_case",
                    c.id,
                )
            ]
            for c in cases
        ]
        await self._say(turn, self._t(turn, "wx.cases_pick"), rows)

    async def _show_case(self, turn: Turn, actor: Actor, case_id: int) -> None:
        view = (await self.services.cases.for_resident(actor.uid, case_id)).case
        rows: Keyboard = []
        if view.status in OPEN:
            rows.append([Button(self._t(turn, "btn.withdraw"), "rc_withdraw", view.id)])
        if view.status == CaseStatus.RESOLVED:
            rows.append([Button(self._t(turn, "btn.verdict_yes"), "verdict_yes", view.id)])
            rows.append([Button(self._t(turn, "btn.verdict_no"), "verdict_no", view.id)])
        elif view.verdict == "resolved" and view.satisfaction is None:
            rows.append([Button(self._t(turn, "btn.rate"), "rc_rate", view.id)])
        text = self._t(
            turn, "wx.case_chosen", no=view.public_no, status=self._t(turn, f"status.{view.status}")
        )
        await self._say(turn, text, rows, case_id=view.id)

    async def _point_card(self, turn: Turn, actor: Actor) -> None:
        if actor.point_id is None:
            await self._ask_point(turn)
            return
        point = await self.services.points.get(actor.point_id)
        text = self._t(turn, "point.card", point=esc(point.name), address=esc(point.address or "—"))
        await self._say(turn, text)

    async def _notices(self, turn: Turn, actor: Actor) -> None:
        lines = await self.services.notices.for_resident(actor.uid, limit=9)
        if not lines:
            await self._say(turn, self._t(turn, "notices.none_resident"))
            return
        rows = [
            [Button(("" if n.read else "• ") + n.title[:40], "notice_open", n.id)] for n in lines
        ]
        await self._say(turn, self._t(turn, "notices.list_resident"), rows)

    async def _my_data(self, turn: Turn, actor: Actor) -> None:
        exported = json.loads(await self.services.privacy.export(actor.uid))
        text = json.dumps(exported, ensure_ascii=False, indent=1)
        await self._say(turn, self._t(turn, "wx.mydata") + "\n\n" + esc(text[:6000]))

    # ---- contact points --------------------------------------------------------------------

    async def _set_point(self, turn: Turn, actor: Actor, scene: str) -> bool:
        code = scene[len(POINT_PREFIX) :] if scene.startswith(POINT_PREFIX) else ""
        try:
            point = await self.services.points.by_code(code) if code else None
        except Refusal:
            point = None
        if point is None or not point.active:
            return False
        await self.services.points.choose(actor.uid, point.id)
        await self._say(turn, self._t(turn, "reg.point_set", point=esc(point.name)))
        await self._menu(turn)
        return True

    async def _ask_point(self, turn: Turn) -> None:
        await self._set(turn, "point")
        await self._say(turn, self._t(turn, "wx.ask_point"))

    async def _find_point(self, turn: Turn, query: str) -> None:
        found = await self.services.points.search(query[:60])
        if not found:
            await self._say(turn, self._t(turn, "reg.no_points_found", query=esc(query[:60])))
            return
        rows = [[Button(p.name[:60], "wx_pick_point", p.id)] for p in found]
        await self._say(turn, self._t(turn, "reg.pick_point"), rows)

    async def _menu(self, turn: Turn) -> None:
        t = self._t
        rows = [
            [Button(t(turn, "menu.new_case"), "wx_new")],
            [Button(t(turn, "menu.my_cases"), "wx_cases")],
            [Button(t(turn, "menu.my_point"), "wx_point")],
            [Button(t(turn, "menu.notices"), "wx_notices")],
            [Button(t(turn, "menu.tipoff"), "wx_report")],
            [Button(t(turn, "wx.menu_consultations"), "wx_consults")],
            [Button(t(turn, "wx.other_language"), "wx_language")],
        ]
        await self._say(turn, t(turn, "wx.menu"), rows)

    # ---- plumbing --------------------------------------------------------------------------

    def _t(self, turn: Turn, key: str, **params: Any) -> str:
        return self.ctx.texts(turn.locale or self.ctx.config.default_locale, key, **params)

    def _hint(self, turn: Turn) -> str:
        return self._t(turn, "wx.reply_number")

    async def _say(
        self,
        turn: Turn,
        text: str,
        buttons: Keyboard | None = None,
        *,
        case_id: int | None = None,
        locale: str | None = None,
        sealed: bool = False,
    ) -> str:
        """An answer to the resident, queued for WeChat's customer-service API. ``sealed``
        (a tip-off's): forgotten once sent, its key naming no push, its choices kept in the
        conversation (``services.wechat_tipoffs``)."""
        key = f"wx{turn.inbound.id}:{turn.said}"
        payload = {**text_message(text, buttons), "locale": locale or turn.locale}
        if sealed:
            payload["seal"] = True
            sealer = self.services.tipoffs.sealer
            if sealer.available:
                key = "wxs" + sealer.mac("wechat-say", turn.inbound.id, turn.said)[:40]
            actions = [b for row in buttons or [] for b in row if not b.url]
            turn.data["choices"] = [[b.action, b.ref] for b in actions]
            turn.data["choice_labels"] = [b.label for b in actions]
            await self.services.conversations.set_data(turn.key, turn.data)
        turn.said += 1
        async with self.ctx.db.write() as session:
            await enqueue(
                session,
                self.ctx.clock.now(),
                key=key,
                chat_id=turn.address,
                payload=payload,
                recipient_user_id=turn.identity.user_id,
                case_id=case_id,
            )
        return key

    async def _set(self, turn: Turn, state: str | None) -> None:
        turn.state = state
        await self.services.conversations.set_state(turn.key, state)
        await self.services.conversations.set_data(turn.key, turn.data)

    async def _clear(self, turn: Turn) -> None:
        turn.data = {}
        await self._set(turn, None)

    async def _last_message(self, turn: Turn) -> tuple[dict[str, Any], int | None] | None:
        """The bot's last message to the resident (shown, or on its way): its payload and case."""
        async with self.ctx.db.read() as session:
            row = (
                await session.execute(
                    select(col(Outbox.payload), col(Outbox.case_id))
                    .where(
                        col(Outbox.chat_id) == turn.address,
                        col(Outbox.status).in_(
                            (OutboxStatus.SENT, OutboxStatus.SENDING, OutboxStatus.PENDING)
                        ),
                        col(Outbox.dedupe_key).not_like(f"wx{turn.inbound.id}:%"),
                    )
                    .order_by(col(Outbox.id).desc())
                    .limit(1)
                )
            ).first()
        return None if row is None else (row[0], row[1])

    async def _current_menu(self, turn: Turn, row_id: int) -> bool:
        """Whether a clicked menu is the bot's last message to the resident (choices kept in
        the conversation, a tip-off's, are the last ones shown)."""
        if turn.state and turn.state.startswith("tip_"):
            return True
        async with self.ctx.db.read() as session:
            newest = (
                await session.execute(
                    select(col(Outbox.id))
                    .where(
                        col(Outbox.chat_id) == turn.address,
                        col(Outbox.status).in_(
                            (OutboxStatus.SENT, OutboxStatus.SENDING, OutboxStatus.PENDING)
                        ),
                        col(Outbox.dedupe_key).not_like(f"wx{turn.inbound.id}:%"),
                    )
                    .order_by(col(Outbox.id).desc())
                    .limit(1)
                )
            ).scalar()
        return newest == row_id

    async def _choice(self, turn: Turn, number: int) -> tuple[str, int] | None:
        if turn.state and turn.state.startswith("tip_"):
            kept = turn.data.get("choices") or []
            if 1 <= number <= len(kept):
                return str(kept[number - 1][0]), int(kept[number - 1][1])
            return None
        last = await self._last_message(turn)
        if last is None:
            return None
        actions = [b for row in keyboard_of(last[0]) for b in row if not b.url]
        if not 1 <= number <= len(actions):
            return None
        return actions[number - 1].action, actions[number - 1].ref

    async def _named_case(self, turn: Turn) -> int | None:
        """The case the bot's last message named, if it is still open for the resident."""
        last = await self._last_message(turn)
        if last is None or last[1] is None:
            return None
        async with self.ctx.db.read() as session:
            status = (
                await session.execute(select(col(Case.status)).where(col(Case.id) == last[1]))
            ).scalar()
        return last[1] if status is not None and status != CaseStatus.CLOSED else None

    def _part(self, turn: Turn) -> Part | None:
        fields = turn.inbound.payload
        kind = fields.get("MsgType", "")
        message_id = int(fields.get("MsgId") or 0) or turn.inbound.id
        address = turn.address
        if kind == "text":
            return Part(address, message_id, kind="text", text=fields.get("Content", "")[:MAX_TEXT])
        if kind in MEDIA_KINDS:
            # A voice message's text when WeChat recognised it (语音识别).
            words = fields.get("Recognition") or None
            media = fields.get("MediaId")
            return Part(address, message_id, MEDIA_KINDS[kind], words, channel_media=media)
        if kind == "location":
            try:
                lat, lon = float(fields["Location_X"]), float(fields["Location_Y"])
            except (KeyError, ValueError):
                return None
            label = fields.get("Label") or None
            return Part(address, message_id, kind="location", text=label, lat=lat, lon=lon)
        return None


def _clicked(fields: dict[str, str]) -> tuple[int, int] | None:
    """A click on a clickable menu (msgmenu): WeChat sends its item's text with its id."""
    found = fields.get("bizmsgmenuid", "")
    if fields.get("MsgType") != "text" or not found.isdigit():
        return None
    value = int(found)
    return value // 100, value % 100


def _number(fields: dict[str, str]) -> int | None:
    if fields.get("MsgType") != "text":
        return None
    text = fields.get("Content", "").strip()
    return int(text) if text.isdigit() and len(text) <= 2 else None


def _scene(fields: dict[str, str], event: str) -> str | None:
    """The poster's scene of a follow through a QR code (``qrscene_…``) or a scan (``SCAN``)."""
    key = fields.get("EventKey", "")
    if event == "subscribe" and key.startswith("qrscene_"):
        return key[len("qrscene_") :]
    if event == "scan" and key:
        return key
    return None


def _parts(data: dict[str, Any]) -> list[Part]:
    return [Part.from_dict(p) for p in data.get("parts", [])]
