"""Votes in a consultation's native polls in linked groups: ``poll_answer`` (non-anonymous
polls: who chose what, or a retracted vote) and ``poll`` (every poll's new totals; the only
figures of an anonymous poll). Nothing is answered in the group; the rules are in
services/consultations/polls.py."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import Poll, PollAnswer

from services.app import Services

router = Router(name="consult_polls")


@router.poll_answer()
async def vote(answer: PollAnswer, services: Services) -> None:
    if answer.user is None:  # a vote on behalf of a chat: nobody to count once
        return
    await services.consultations.poll_vote(answer.poll_id, answer.user.id, list(answer.option_ids))


@router.poll()
async def totals(poll: Poll, services: Services) -> None:
    counts = [option.voter_count for option in poll.options]
    await services.consultations.poll_totals(
        poll.id,
        counts,
        poll.total_voter_count,
        question=poll.question,
        options=[option.text for option in poll.options],
        anonymous=poll.is_anonymous,
    )
