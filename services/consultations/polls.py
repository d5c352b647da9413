"""Native polls in linked groups: a consultation's single-choice questions posted as Telegram
polls in the groups linked to its points (when the author asked for it), and their votes.

- Posting: at opening, one outbox row per group and question (``consult{id}:poll:q{n}:c{chat}``,
  unique, so a restart posts nothing twice); the sender records the poll's id with the row.
- A **named** consultation posts non-anonymous polls: each ``poll_answer`` is one person's vote
  (``consult_poll_votes``, one per person and question whatever group they voted in; a
  retracted vote is removed), linked to the resident when the voter is registered. A resident
  who also answered in private is counted once: the private answer; their poll vote is left
  out of the figures.
- An **anonymous** consultation posts anonymous polls: Telegram sends totals only (``poll``
  updates), kept per poll; nobody can be told apart, so they are shown beside the private
  answers, never added to them.
- Votes after the deadline are not counted.
- Every poll posted for the same (consultation, group, question) counts, as one poll: a copy
  posted again after a crash (the sender died between Telegram's answer and recording the id)
  is recognised by its words when its first ``poll`` update comes (``_adopt``).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.consultations import (
    Consultation,
    ConsultationPoint,
    ConsultPoll,
    ConsultPollVote,
    ConsultRoll,
)
from models.tables import ContactPoint, Outbox, Residency, User, pk
from services.consultations import wording
from services.consultations.base import OPEN, ConsultBase
from services.outbox import enqueue, poll_message, stop_poll_message

POLLED = ("single",)

log = logging.getLogger(__name__)


class Polls(ConsultBase):
    async def _post_polls(
        self,
        session: AsyncSession,
        consultation: Consultation,
        points: list[ContactPoint],
        now: Any,
    ) -> int:
        """Queue the polls of a consultation that opens: each single-choice question in each
        linked group of its points, in the consultation's own language."""
        if not consultation.group_polls:
            return 0
        groups = sorted({int(p.group_chat_id) for p in points if p.group_chat_id is not None})
        locale = consultation.fallback_locale
        queued = 0
        for number, question in enumerate(wording.questions_of(consultation)):
            if question.kind not in POLLED:
                continue
            text = f"{wording.title_of(consultation, locale)} · {question.words(locale, locale)}"
            options = question.labels(locale, locale)
            for chat_id in groups:
                payload = poll_message(
                    text,
                    options,
                    anonymous=consultation.anonymous,
                    consult_poll={"consultation_id": pk(consultation), "question": number},
                )
                await enqueue(
                    session,
                    now,
                    key=f"consult{pk(consultation)}:poll:q{number}:c{chat_id}",
                    chat_id=chat_id,
                    payload=payload,
                )
                queued += 1
        return queued

    async def _stop_polls(self, session: AsyncSession, consultation_id: int, now: Any) -> int:
        """Close the consultation's polls in the groups (it closed): a ``stopPoll`` per poll
        through the outbox, once each (the row's key)."""
        polls = (
            await session.execute(
                select(
                    col(ConsultPoll.poll_id), col(ConsultPoll.chat_id), col(ConsultPoll.message_id)
                ).where(
                    col(ConsultPoll.consultation_id) == consultation_id,
                    col(ConsultPoll.message_id) > 0,
                )
            )
        ).all()
        for poll_id, chat_id, message_id in polls:
            await enqueue(
                session,
                now,
                key=f"consult{consultation_id}:stop:{poll_id}",
                chat_id=int(chat_id),
                payload=stop_poll_message(int(message_id)),
            )
        return len(polls)

    async def poll_vote(self, poll_id: str, voter_tg_id: int, option_ids: list[int]) -> bool:
        """A vote in a non-anonymous poll (empty: retracted). False when it does not count: an
        unknown poll, an anonymous one, a consultation no longer open, a bad option."""
        now = self.ctx.clock.now()
        for _ in range(2):  # two replicas storing the first vote at once: the loser updates
            try:
                async with self.ctx.db.write() as session:
                    return await self._store_vote(session, poll_id, voter_tg_id, option_ids, now)
            except IntegrityError:
                continue
        return False

    async def _store_vote(
        self,
        session: AsyncSession,
        poll_id: str,
        voter_tg_id: int,
        option_ids: list[int],
        now: datetime,
    ) -> bool:
        poll = await session.get(ConsultPoll, poll_id)
        if poll is None or poll.anonymous:
            return False
        consultation = await session.get(Consultation, poll.consultation_id)
        if consultation is None or consultation.anonymous or not self._counts_now(consultation):
            return False
        if any(not 0 <= i < len(poll.counts) for i in option_ids) or len(option_ids) > 1:
            return False
        key = (poll.consultation_id, poll.question, voter_tg_id)
        if not option_ids:
            await session.execute(
                delete(ConsultPollVote).where(
                    col(ConsultPollVote.consultation_id) == key[0],
                    col(ConsultPollVote.question) == key[1],
                    col(ConsultPollVote.voter_tg_id) == key[2],
                )
            )
            return True
        resident = await self._resident(session, consultation, voter_tg_id)
        vote = await session.get(ConsultPollVote, key)
        if vote is None:
            session.add(
                ConsultPollVote(
                    consultation_id=key[0],
                    question=key[1],
                    voter_tg_id=voter_tg_id,
                    user_id=resident,
                    options=list(option_ids),
                    voted_at=now,
                )
            )
        else:
            vote.options = list(option_ids)
            vote.user_id = resident
            vote.voted_at = now
        await session.flush()
        return True

    def _counts_now(self, consultation: Consultation) -> bool:
        return consultation.status == OPEN and self.ctx.clock.now() < consultation.closes_at

    async def _resident(
        self, session: AsyncSession, consultation: Consultation, tg_id: int
    ) -> int | None:
        """The voter as a resident the consultation asks, if they are registered there."""
        row = (
            await session.execute(
                select(col(User.id))
                .join(Residency, col(Residency.user_id) == col(User.id))
                .join(
                    ConsultationPoint,
                    col(ConsultationPoint.contact_point_id) == col(Residency.contact_point_id),
                )
                .where(
                    col(User.tg_id) == tg_id,
                    col(ConsultationPoint.consultation_id) == consultation.id,
                )
            )
        ).scalar()
        return None if row is None else int(row)

    async def poll_totals(
        self,
        poll_id: str,
        counts: list[int],
        voters: int,
        *,
        question: str | None = None,
        options: list[str] | None = None,
        anonymous: bool = True,
    ) -> bool:
        """A poll's new totals (every poll update; the only figures of an anonymous poll).
        Totals that come after the deadline are not kept. A poll the sender never recorded (a
        copy posted before a crash) is recognised by its words (``question``, ``options``) and
        from then on counts like the copy that was recorded."""
        for _ in range(2):  # two replicas adopting the same copy at once: the loser updates
            try:
                async with self.ctx.db.write() as session:
                    poll = await session.get(ConsultPoll, poll_id)
                    if poll is None and question is not None and options is not None:
                        poll = await self._adopt(session, poll_id, question, options, anonymous)
                    return await self._store_totals(session, poll, counts, voters)
            except IntegrityError:
                continue
        return False

    async def _store_totals(
        self, session: AsyncSession, poll: ConsultPoll | None, counts: list[int], voters: int
    ) -> bool:
        if poll is None or len(counts) != len(poll.counts):
            return False
        consultation = await session.get(Consultation, poll.consultation_id)
        if consultation is None or not self._counts_now(consultation):
            return False
        poll.counts = [int(c) for c in counts]
        poll.voters = int(voters)
        poll.updated_at = self.ctx.clock.now()
        return True

    async def _adopt(
        self,
        session: AsyncSession,
        poll_id: str,
        question: str,
        options: list[str],
        anonymous: bool,
    ) -> ConsultPoll | None:
        """A poll the bot posted but never recorded: the sender crashed between Telegram's
        answer and the record, and posted the poll again on retry. Only a poll row tried more
        than once can have left such a copy; the copy is that row's poll when its words match
        (the same question, options and kind) and the consultation is open. Recorded with the
        row's group when one row matches, with no group (0) when the same question's rows of
        several groups do; its message is unknown, so it cannot be closed at the deadline
        (its later votes are not counted either way). Words matching questions of two open
        consultations are not guessed at."""
        rows = (
            await session.execute(
                select(col(Outbox.chat_id), col(Outbox.payload)).where(
                    col(Outbox.dedupe_key).like("consult%:poll:q%"),
                    col(Outbox.attempts) > 1,
                )
            )
        ).all()
        found: dict[tuple[int, int], set[int]] = {}
        for chat_id, payload in rows:
            about = (payload or {}).get("consult_poll")
            if (
                about
                and payload.get("question") == question
                and list(payload.get("options") or []) == list(options)
                and bool(payload.get("is_anonymous", True)) == anonymous
            ):
                key = (int(about["consultation_id"]), int(about["question"]))
                found.setdefault(key, set()).add(int(chat_id))
        if len(found) != 1:
            if found:
                log.warning("an unrecorded poll matches %d consultation questions", len(found))
            return None
        [((consultation_id, number), chats)] = found.items()
        consultation = await session.get(Consultation, consultation_id)
        if consultation is None or not self._counts_now(consultation):
            return None
        poll = ConsultPoll(
            poll_id=poll_id,
            consultation_id=consultation_id,
            question=number,
            chat_id=next(iter(chats)) if len(chats) == 1 else 0,
            message_id=0,
            anonymous=anonymous,
            counts=[0] * len(options),
            voters=0,
            created_at=self.ctx.clock.now(),
        )
        session.add(poll)
        await session.flush()  # two replicas adopting it at once: the loser tries again
        log.info("consultation %s: an unrecorded copy of a poll adopted", consultation_id)
        return poll

    async def _poll_figures(
        self, session: AsyncSession, consultation: Consultation
    ) -> dict[int, dict[str, Any]]:
        """Per polled question: the polls' figures, as results show them beside the private
        answers. Named: the votes of people who did not answer in private (each once);
        anonymous: the polls' totals."""
        cid = pk(consultation)
        polls = (
            (
                await session.execute(
                    select(ConsultPoll).where(col(ConsultPoll.consultation_id) == cid)
                )
            )
            .scalars()
            .all()
        )
        out: dict[int, dict[str, Any]] = {}
        groups: dict[int, set[int]] = {}
        for poll in polls:
            entry = out.setdefault(
                poll.question,
                {"polls": 0, "counts": [0] * len(poll.counts), "voters": 0, "anonymous": True},
            )
            # Groups, not polls: a copy posted again after a crash is the same group's poll
            # (an adopted copy whose group is unknown, 0, adds none).
            chats = groups.setdefault(poll.question, set())
            chats.add(int(poll.chat_id))
            entry["polls"] = max(1, len(chats - {0}))
            if consultation.anonymous:
                entry["counts"] = [a + b for a, b in zip(entry["counts"], poll.counts, strict=True)]
                entry["voters"] += poll.voters
        if consultation.anonymous or not out:
            return out
        answered = select(col(ConsultRoll.user_id)).where(col(ConsultRoll.consultation_id) == cid)
        votes = (
            await session.execute(
                select(col(ConsultPollVote.question), col(ConsultPollVote.options)).where(
                    col(ConsultPollVote.consultation_id) == cid,
                    (col(ConsultPollVote.user_id).is_(None))
                    | col(ConsultPollVote.user_id).not_in(answered),
                )
            )
        ).all()
        for entry in out.values():
            entry["anonymous"] = False
        for question, options in votes:
            if int(question) not in out:
                continue
            entry = out[int(question)]
            entry["voters"] += 1
            for i in options:
                if 0 <= int(i) < len(entry["counts"]):
                    entry["counts"][int(i)] += 1
        return out
