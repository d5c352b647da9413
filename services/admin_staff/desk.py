"""What every staff use case shares: the acting administrator's scope with the staff member
(and point) checked against it, showing someone again, and telling them what changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models.tables import ContactPoint, Staff, User, pk
from services.admin_access import By, Scope, acting, audit_round, check_point, check_staff
from services.admin_staff.lines import StaffLine, staff_line
from services.context import Context
from services.outbox import enqueue, text_message


class StaffDesk:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.texts = ctx.texts

    @staticmethod
    async def _in_scope(session: AsyncSession, by: By, staff_id: int) -> tuple[Scope, Staff]:
        """The acting administrator's scope, and the staff member within it."""
        scope = await acting(session, by)
        return scope, await check_staff(session, scope, staff_id)

    @classmethod
    async def _at_point(
        cls, session: AsyncSession, by: By, staff_id: int, point_id: int
    ) -> tuple[Scope, Staff, ContactPoint]:
        """The acting administrator's scope, and the staff member and point, both within it."""
        scope, staff = await cls._in_scope(session, by, staff_id)
        point = check_point(scope, await session.get(ContactPoint, point_id))
        return scope, staff, point

    async def _line(self, session: AsyncSession, staff: Staff) -> StaffLine:
        return await staff_line(self.ctx, session, staff)

    async def _tell(
        self,
        session: AsyncSession,
        staff: Staff,
        action: str,
        key: str,
        now: datetime,
        **params: Any,
    ) -> None:
        """A word to the staff member about what changed for them, in their language (after
        the change's audit row, which keys each time apart)."""
        user = await session.get(User, staff.user_id)
        if user is None or user.blocked_at is not None:
            return
        await session.flush()
        round_ = await audit_round(session, action, f"staff:{pk(staff)}")
        await enqueue(
            session,
            now,
            key=f"staff{pk(staff)}:{action}:{round_}",
            chat_id=user.chat_id,
            payload=text_message(self.texts(user.locale, key, **params)),
            recipient_user_id=pk(user),
        )
