"""Tip-offs (举报) for WeChat residents: the same rules as Telegram's (``services.tipoffs``,
``handlers/tipoffs.py``) by numbered choices — who will see what, named or anonymous, whom it
is about, the report itself, then following it with the receipt code.

Anonymity holds on WeChat as on Telegram: an anonymous report keeps only the sealed address and
the receipt code's hash; inspectors see an alias. Telegram answers the reporter directly and
leaves no trace; WeChat's answers go through the outbox, so every answer of this flow is a
*sealed* row (``"seal": True``: once sent or given up, its chat and content are forgotten) with
a key that does not name the push it answers, and its numbered choices are kept in the
conversation instead of being read back from the outbox. WeChat has no swipe-reply: a reporter
answers an inspector by following the report (its number, or the receipt code) first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from services.outbox import Button, Keyboard
from services.parts import Part
from services.people import Actor
from services.texts import cut, esc
from services.tipoffs import TipView

if TYPE_CHECKING:
    from services.wechat_residents import Turn, WeChatResidents

# What starts a report by words (the menu has its own key).
REPORT_WORDS = frozenset({"/report", "report", "举报", "/tipoff", "tipoff"})


class WeChatTipOffs:
    def __init__(self, residents: WeChatResidents) -> None:
        self.residents = residents
        self.services = residents.services
        self.tipoffs = residents.services.tipoffs

    async def _say(self, turn: Turn, text: str, buttons: Keyboard | None = None) -> None:
        await self.residents._say(turn, text, buttons, sealed=True)

    def _t(self, turn: Turn, key: str, **params: Any) -> str:
        return self.residents._t(turn, key, **params)

    def _choose(self, turn: Turn, text: str) -> str:
        return text + "\n" + self._t(turn, "wx.reply_number")

    # ---- starting ------------------------------------------------------------------------

    async def start(self, turn: Turn) -> None:
        """Before anything is written: who will see what, in plain words."""
        turn.data = {"locale": turn.locale}
        await self.residents._set(turn, "tip_mode")
        rows: Keyboard = [[Button(self._t(turn, "btn.report_named"), "wxt_named")]]
        anonymous = self.tipoffs.sealer.available
        if anonymous:
            rows.insert(0, [Button(self._t(turn, "btn.report_anonymous"), "wxt_anonymous")])
        rows.append([Button(self._t(turn, "btn.follow_report"), "wxt_follow")])
        explained = "tipoff.who_sees" if anonymous else "tipoff.who_sees_named_only"
        await self._say(turn, self._choose(turn, self._t(turn, explained)), rows)

    # ---- a numbered choice -----------------------------------------------------------------

    async def act(self, turn: Turn, actor: Actor, action: str, ref: int) -> None:
        if action in ("wxt_named", "wxt_anonymous"):
            named = action == "wxt_named"
            if not named and not self.tipoffs.sealer.available:
                await self._say(turn, self._t(turn, "tipoff.anonymous_refused"))
                return
            turn.data.update(named=named, concerns=[], parts=[])
            await self.residents._set(turn, "tip_concerns")
            await self._concerns(turn, actor, self._t(turn, "tipoff.ask_concerns"))
        elif action == "wxt_concern":
            concerns: list[int] = list(turn.data.get("concerns", []))
            if ref in concerns:
                concerns.remove(ref)
                toast = self._t(turn, "tipoff.concern_removed")
            else:
                concerns.append(ref)
                toast = self._t(turn, "tipoff.concern_noted")
            turn.data["concerns"] = concerns
            await self._concerns(turn, actor, toast)
        elif action == "wxt_concerns_done":
            await self.residents._set(turn, "tip_content")
            await self._say(
                turn,
                self._t(turn, "tipoff.ask_content"),
                [[Button(self._t(turn, "btn.done"), "wxt_review")]],
            )
        elif action == "wxt_review":
            await self._review(turn)
        elif action == "wxt_send":
            await self._send(turn, actor)
        elif action == "wxt_follow":
            await self.residents._set(turn, "tip_receipt")
            rows = [
                [Button(v.public_no, "wxt_open", v.id)]
                for v in await self.tipoffs.of_reporter(actor.uid)
            ]
            await self._say(turn, self._t(turn, "tipoff.ask_receipt"), rows)
        elif action == "wxt_open":
            views = {v.id: v for v in await self.tipoffs.of_reporter(actor.uid)}
            if ref not in views:
                await self._say(turn, self._t(turn, "button.stale"))
                return
            thread = await self.tipoffs.thread(ref, reporter_user_id=actor.uid)
            await self._following(turn, views[ref], thread, {"tipoff_id": ref})
        elif action == "wxt_done":
            await self.residents._clear(turn)
            await self.residents._menu(turn)

    async def _concerns(self, turn: Turn, actor: Actor, head: str) -> None:
        """The officials of the reporter's point, those chosen ticked (choosing again unticks)."""
        chosen = turn.data.get("concerns", [])
        rows: Keyboard = [
            [
                Button(
                    ("✅ " if o.staff_id in chosen else "")
                    + o.name
                    + (f" · {o.title}" if o.title else ""),
                    "wxt_concern",
                    o.staff_id,
                )
            ]
            for o in await self.tipoffs.officials(actor.uid)
        ]
        rows.append([Button(self._t(turn, "btn.tip_nobody"), "wxt_concerns_done")])
        await self._say(turn, self._choose(turn, head), rows)

    async def _review(self, turn: Turn) -> None:
        parts = turn.data.get("parts", [])
        if not parts:
            await self._say(turn, self._t(turn, "filing.empty"))
            return
        await self.residents._set(turn, "tip_confirm")
        named = turn.data.get("named", True)
        if not named and not self.tipoffs.sealer.available:
            # Begun before anonymous reporting was switched off: nothing is lost.
            text = self._t(turn, "tipoff.anonymous_refused_kept", count=len(parts))
            turn.data["named"] = True
            await self._say(turn, text, [[Button(self._t(turn, "btn.send_named"), "wxt_send")]])
            return
        key = "tipoff.confirm_named" if named else "tipoff.confirm_anonymous"
        await self._say(
            turn,
            self._t(turn, key, count=len(parts)),
            [[Button(self._t(turn, "btn.send"), "wxt_send")]],
        )

    async def _send(self, turn: Turn, actor: Actor) -> None:
        data = turn.data
        filed = await self.tipoffs.file(
            actor.uid,
            named=bool(data.get("named", True)),
            concerns=list(data.get("concerns", [])),
            parts=[Part.from_dict(p) for p in data.get("parts", [])],
        )
        await self.residents._clear(turn)
        if filed.receipt:
            text = self._t(turn, "tipoff.filed_anonymous", no=filed.public_no, code=filed.receipt)
        else:
            text = self._t(turn, "tipoff.filed_named", no=filed.public_no)
        if not filed.assigned:
            text += "\n\n" + self._t(turn, "tipoff.no_inspector_yet")
        await self._say(turn, text)

    # ---- what the reporter writes ----------------------------------------------------------

    async def message(self, turn: Turn, actor: Actor, part: Part | None) -> None:
        """A message (not a choice) while a report is in hand."""
        state, text = turn.state, part.text if part and part.kind == "text" else None
        if state == "tip_content" and part is not None:
            parts: list[dict[str, Any]] = turn.data.setdefault("parts", [])
            limit = self.services.ctx.config.max_parts
            if len(parts) >= limit:
                await self._say(turn, self._t(turn, "filing.too_many_parts", limit=limit))
                return
            parts.append(part.to_dict())
            await self.residents._set(turn, state)
            received = self.services.ctx.texts.plural(turn.locale, "filing.received", len(parts))
            await self._say(turn, received, [[Button(self._t(turn, "btn.done"), "wxt_review")]])
        elif state == "tip_receipt" and text:
            code = text.strip()
            view = await self.tipoffs.by_receipt(code)
            thread = await self.tipoffs.thread(view.id, receipt=code)
            await self._following(turn, view, thread, {"tipoff_id": view.id, "receipt": code})
        elif state == "tip_follow" and part is not None:
            receipt = turn.data.get("receipt")
            view = await self.tipoffs.add_from_reporter(
                int(turn.data["tipoff_id"]),
                part,
                reporter_user_id=None if receipt else actor.uid,
                receipt=receipt,
            )
            await self._say(
                turn,
                self._t(turn, "tipoff.relayed", no=view.public_no),
                [[Button(self._t(turn, "btn.done"), "wxt_done")]],
            )
        else:
            await self._say(turn, self._t(turn, "wx.reply_number"), self._choices(turn))

    def _choices(self, turn: Turn) -> Keyboard:
        """The choices last shown, shown again (kept in the conversation, not the outbox)."""
        labels = turn.data.get("choice_labels", [])
        return [
            [Button(label, action, ref)]
            for label, (action, ref) in zip(labels, turn.data.get("choices", []), strict=False)
        ]

    async def _following(
        self, turn: Turn, view: TipView, thread: list[Any], data: dict[str, Any]
    ) -> None:
        turn.data = {"locale": turn.locale, **data}
        await self.residents._set(turn, "tip_follow")
        texts = self.services.ctx.texts
        lines = [
            self._t(
                turn,
                "tipoff.follow_title",
                no=view.public_no,
                status=self._t(turn, f"tipoff.status_{view.status}"),
            )
        ]
        for item in thread[-15:]:
            who = self._t(turn, "tipoff.you" if item.from_reporter else "tipoff.inspection")
            body = esc(cut(item.text, 300)) if item.text else ""
            if not body and item.media_kind:
                body = f"[{self._t(turn, 'content.' + item.media_kind)}]"
            lines.append(f"{texts.when(turn.locale, item.at, view.tz)} · {who}\n{body}")
        text = "\n".join(lines) + "\n\n" + self._t(turn, "tipoff.add_more")
        await self._say(turn, text, [[Button(self._t(turn, "btn.done"), "wxt_done")]])
