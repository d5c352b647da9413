"""Administrators list and look at staff within their region."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from models.tables import Staff, User
from services.admin_access import PAGE_SIZE, By, acting, pages_of, staff_clause
from services.admin_staff.desk import StaffDesk
from services.admin_staff.lines import StaffLine, StaffPage, staff_lines


class Browse(StaffDesk):
    async def page(
        self, by: By, page: int = 0, *, removed: bool = False, size: int = PAGE_SIZE
    ) -> StaffPage:
        """Staff in the scope, active first; removed people only when asked for."""
        async with self.ctx.db.read() as session:
            scope = await acting(session, by)
            where: list[Any] = [staff_clause(scope)]
            if not removed:
                where.append(col(Staff.removed_at).is_(None))
            total = int(
                (
                    await session.execute(select(func.count()).select_from(Staff).where(*where))
                ).scalar_one()
            )
            pages, page = pages_of(total, page, size)
            rows = (
                await session.execute(
                    select(Staff, User)
                    .join(User, col(User.id) == col(Staff.user_id))
                    .where(*where)
                    .order_by(col(Staff.active).desc(), col(User.name), col(Staff.id))
                    .offset(page * size)
                    .limit(size)
                )
            ).all()
            lines = await staff_lines(self.ctx, session, [(s, u) for s, u in rows])
        return StaffPage(lines, page, pages, total)

    async def get(self, by: By, staff_id: int) -> StaffLine:
        async with self.ctx.db.read() as session:
            _, staff = await self._in_scope(session, by, staff_id)
            return await self._line(session, staff)
