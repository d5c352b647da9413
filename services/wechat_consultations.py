"""Consultations (征求意见) for WeChat residents: the same use cases as Telegram's
(``services.consultations``, ``handlers/consultations/answer.py``) by numbered choices.

The invitation's *Answer* (a choice of the fan-out's row) opens the consultation; then one
question at a time: a single choice or the scale (1–5) by its number, a multiple choice as
"1,3" (or one number at a time, then *Done*), a number or free text as a message; *Back* and
*Skip* (where the question is optional) as choices, or the words "back"/"返回" and
"skip"/"跳过" where the answer itself is written. Then the summary, and *Submit*. A named
consultation's answers may be changed until the deadline; an anonymous one's are final, and
nothing after it (``services.consultations`` decides, as on Telegram).

The choices of the screen on show are kept in the conversation with its outbox key, so that a
notice or a cadre's reply arriving in between does not change what a number means, and a click
on an older question's menu is known as such.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlmodel import col

from models.tables import Outbox
from services.consultations import Answering, wording
from services.errors import Invalid, NotFound
from services.outbox import Button, Keyboard
from services.people import Actor
from services.texts import esc

if TYPE_CHECKING:
    from services.wechat_residents import Turn, WeChatResidents

# What lists the consultations by words (the account's menu has its own key).
CONSULT_WORDS = frozenset({"/consultations", "consultations", "征求意见", "意见征集"})
BACK_WORDS = frozenset({"back", "/back", "返回", "上一题"})
SKIP_WORDS = frozenset({"skip", "/skip", "跳过"})
QUESTION, SUMMARY = "cs_q", "cs_sum"
STATES = frozenset({QUESTION, SUMMARY})
# Refusals that end the answering (the others ask for an answer again).
ENDS = frozenset(
    {"consult.closed", "consult.not_open", "consult.not_found", "consult.anonymous_final"}
)
# Several numbers at once, for a multiple choice: "1,3", "1 3", "1，3", "1、3".
_NUMBERS = re.compile(r"^\d{1,2}(?:\s*[,，、;；\s]\s*\d{1,2})+$")


class WeChatConsultations:
    def __init__(self, residents: WeChatResidents) -> None:
        self.residents = residents
        self.services = residents.services

    def _t(self, turn: Turn, key: str, **params: Any) -> str:
        return self.residents._t(turn, key, **params)

    async def _say(
        self, turn: Turn, text: str, buttons: Keyboard | None = None, *, anonymous: bool = False
    ) -> str:
        """An answer of this flow; an anonymous consultation's are sealed (forgotten once
        WeChat took them, keyed by no push), so no row ties the resident to their answers."""
        anonymous = anonymous or bool(turn.data.get("anonymous"))
        kept = turn.data.get("choices")
        key = await self.residents._say(turn, text, buttons, sealed=anonymous)
        if anonymous and not buttons and kept:
            # A sealed word between screens (a refusal): the screen's choices still hold.
            turn.data["choices"] = kept
            await self.services.conversations.set_data(turn.key, turn.data)
        return key

    @staticmethod
    def answering(turn: Turn) -> bool:
        return turn.state in STATES

    async def leave(self, turn: Turn) -> None:
        """The resident turned to something else (the account's menu, another command): the
        screen's numbers no longer mean its choices."""
        if self.answering(turn):
            await self.residents._clear(turn)

    async def _begun(self, turn: Turn, actor: Actor) -> Answering:
        """The consultation being answered, still open to this resident; refused (and the
        flow left) once it closed, or when an anonymous answer was given meanwhile."""
        try:
            return await self.services.consultations.begin_answering(
                actor.uid, int(turn.data["cid"])
            )
        except (Invalid, NotFound):
            await self.residents._clear(turn)
            raise

    # ---- the list, and opening one ---------------------------------------------------------

    async def listing(self, turn: Turn, actor: Actor) -> None:
        """The consultations of the resident's point (as Telegram's /consultations), the open
        ones to answer (or change) by number."""
        consultations = self.services.consultations
        await self.leave(turn)
        lines = await consultations.for_resident(actor.uid, limit=9)
        if not lines:
            await self.residents._say(turn, self._t(turn, "consult.resident_none"))
            return
        rows: Keyboard = []
        out = [self._t(turn, "consult.resident_head")]
        for line in lines:
            title = esc(line.title)
            if line.has_outcome:
                out.append(
                    self._t(
                        turn,
                        "consult.resident_outcome",
                        title=title,
                        received=line.received,
                        adopted=line.adopted,
                    )
                )
            elif line.status == "open":
                mine = self._t(turn, "consult.resident_mine") if line.answered else ""
                closes = self.services.texts.when(turn.locale, line.closes_at, line.tz)
                out.append(
                    self._t(turn, "consult.resident_open", title=title, closes=closes, mine=mine)
                )
                if not (line.answered and line.anonymous):  # an anonymous answer is final
                    label = self._t(turn, "consult.btn_change", title=line.title[:40])
                    rows.append([Button(label, "cs_open", line.id)])
            else:
                out.append(
                    self._t(turn, "consult.resident_closed", title=title, received=line.received)
                )
        await self.residents._say(turn, "\n".join(out), rows or None)

    async def open(self, turn: Turn, actor: Actor, consultation_id: int) -> None:
        begun = await self.services.consultations.begin_answering(actor.uid, consultation_id)
        turn.data = {
            "locale": turn.locale,
            "cid": consultation_id,
            "i": 0,
            "answers": dict(begun.answers),
        }
        await self._show(turn, actor)

    # ---- what the resident sends while answering ---------------------------------------------

    async def message(self, turn: Turn, actor: Actor, clicked: tuple[int, int] | None) -> bool:
        """A push while a question or the summary is on show; False when it is not this
        flow's (a click on another message's menu), for the resident's usual handling."""
        if clicked is not None:
            if clicked[0] != await self._screen_row(turn):
                return False
            chosen = self._kept(turn, clicked[1])
            if chosen is None:
                await self._say(turn, self._t(turn, "button.stale"))
                return True
            await self.act(turn, actor, *chosen)
            return True
        fields = turn.inbound.payload
        text = fields.get("Content", "").strip() if fields.get("MsgType") == "text" else ""
        lowered = text.lower()
        if lowered in BACK_WORDS:
            await self.act(turn, actor, "cs_back", int(turn.data["cid"]))
            return True
        if lowered in SKIP_WORDS and self._has(turn, "cs_skip"):
            await self.act(turn, actor, "cs_skip", int(turn.data["cid"]))
            return True
        kind = turn.data.get("kind") if turn.state == QUESTION else None
        if kind in ("number", "text"):
            if not text:
                await self._say(turn, self._t(turn, "wx.consult_write"))
                return True
            await self._answer(turn, actor, text)
            return True
        if kind == "multiple" and _NUMBERS.match(text):
            options = int(turn.data.get("options", 0))
            picked = [int(n) for n in re.findall(r"\d+", text)]
            if not all(1 <= n <= options for n in picked):
                raise Invalid("consult.answer_option")
            await self._answer(turn, actor, sorted({n - 1 for n in picked}))
            return True
        number = int(text) if text.isdigit() and len(text) <= 2 else None
        chosen = self._kept(turn, number) if number is not None else None
        if chosen is None:
            await self._say(turn, self._t(turn, "wx.consult_use_number"))
            return True
        await self.act(turn, actor, *chosen)
        return True

    # ---- a choice --------------------------------------------------------------------------

    async def act(self, turn: Turn, actor: Actor, action: str, ref: int) -> None:
        """A numbered choice of this flow: the button it stands for, as Telegram's handlers
        (``handlers/consultations/answer.py``) take it."""
        if action == "cs_open":
            await self.open(turn, actor, ref)
            return
        cid = int(turn.data.get("cid", -1))
        if not self.answering(turn) or cid not in (ref, ref // 100):
            await self._say(turn, self._t(turn, "consult.stale"))
            return
        number = int(turn.data["i"])
        answers: dict[str, Any] = turn.data["answers"]
        if action == "cs_pick" and turn.state == QUESTION:
            choice = ref % 100
            if turn.data.get("kind") == "multiple":  # a tick toggles; Done moves on
                answers[str(number)] = sorted(set(answers.get(str(number)) or []) ^ {choice})
                await self._show(turn, actor)
            else:
                await self._answer(turn, actor, choice)
        elif action == "cs_done" and turn.state == QUESTION:
            await self._answer(turn, actor, answers.get(str(number)) or [])
        elif action == "cs_skip" and turn.state == QUESTION:
            await self._answer(turn, actor, None)
        elif action == "cs_back":
            turn.data["i"] = max(0, number - 1)
            await self._show(turn, actor)
        elif action == "cs_restart":
            turn.data["i"] = 0
            await self._show(turn, actor)
        elif action == "cs_submit" and turn.state == SUMMARY:
            anonymous = bool(turn.data.get("anonymous"))
            try:
                outcome = await self.services.consultations.submit(actor.uid, cid, answers)
            except (Invalid, NotFound) as refused:
                if refused.key in ENDS:  # else an answer to give again: the summary stays
                    await self.residents._clear(turn)
                raise
            await self.residents._clear(turn)
            key = "consult.submitted_new" if outcome == "new" else "consult.submitted_changed"
            await self._say(turn, self._t(turn, key), anonymous=anonymous)
        else:
            await self._say(turn, self._t(turn, "consult.stale"))

    # ---- screens ---------------------------------------------------------------------------

    async def _answer(self, turn: Turn, actor: Actor, raw: Any) -> None:
        """The current question's answer, checked (a refusal says why and keeps the question),
        then the next question or the summary."""
        number = int(turn.data["i"])
        begun = await self._begun(turn, actor)
        value = self.services.consultations.check(begun, number, raw)
        turn.data["answers"][str(number)] = value
        turn.data["i"] = number + 1
        await self._show(turn, actor)

    async def _show(self, turn: Turn, actor: Actor) -> None:
        """The current question, or the summary once every question was seen; refused (and
        the flow left) when the consultation closed meanwhile."""
        texts, locale = self.services.texts, turn.locale
        begun = await self._begun(turn, actor)
        consultation = begun.consultation
        turn.data["anonymous"] = bool(consultation.anonymous)
        number = int(turn.data["i"])
        answers = turn.data["answers"]
        questions = wording.questions_of(consultation)
        if number >= len(questions):
            state = SUMMARY
            text, rows = wording.summary(texts, consultation, answers, locale)
            rows.append([Button(texts(locale, "btn.back"), "cs_back", int(turn.data["cid"]))])
            hint = self._t(turn, "wx.reply_number")
            turn.data.pop("kind", None)
        else:
            state = QUESTION
            question = questions[number]
            current = answers.get(str(number))
            text, rows = wording.question_screen(texts, consultation, number, locale, current)
            turn.data["kind"] = question.kind
            turn.data["options"] = len(question.labels(locale, consultation.fallback_locale))
            hint = self._hint(turn, question.kind, bool(rows))
        actions = [b for row in rows for b in row if not b.url]
        turn.data["choices"] = [[b.action, b.ref] for b in actions]
        key = await self._say(turn, text + "\n\n" + hint, rows or None)
        turn.data["screen"] = key
        await self.residents._set(turn, state)

    def _hint(self, turn: Turn, kind: str, navigation: bool) -> str:
        if kind == "multiple":
            return self._t(turn, "wx.consult_multiple")
        if kind in ("number", "text"):
            if not navigation:
                return self._t(turn, "wx.consult_typed")
            return self._t(turn, "wx.consult_typed") + " " + self._t(turn, "wx.consult_typed_nav")
        return self._t(turn, "wx.reply_number")

    def _kept(self, turn: Turn, number: int) -> tuple[str, int] | None:
        kept = turn.data.get("choices") or []
        if 1 <= number <= len(kept):
            return str(kept[number - 1][0]), int(kept[number - 1][1])
        return None

    def _has(self, turn: Turn, action: str) -> bool:
        return any(c[0] == action for c in turn.data.get("choices") or [])

    async def _screen_row(self, turn: Turn) -> int | None:
        """The outbox row of the screen on show (whose menu a click must come from)."""
        key = turn.data.get("screen")
        if not key:
            return None
        async with self.services.ctx.db.read() as session:
            found = (
                await session.execute(select(col(Outbox.id)).where(col(Outbox.dedupe_key) == key))
            ).scalar()
        return int(found) if found is not None else None
