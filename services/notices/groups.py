"""A contact point's Telegram group, linked to receive its notices (/link, /unlink in the
group), and the CLI's author lookup."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlmodel import col

from models.tables import ContactPoint, User, pk
from services.audit import audit
from services.errors import Invalid, NotAllowed, NotFound
from services.notices.base import NoticeBase
from services.notices.data import LinkedGroup
from services.texts import esc


class Groups(NoticeBase):
    async def link_group(self, user_id: int, code: str, chat_id: int) -> LinkedGroup:
        """Link a Telegram group to a contact point: its notices are posted there too."""
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            try:
                rights = await self._rights(session, user_id)
            except NotAllowed:
                raise NotAllowed("notices.link_staff_only") from None
            point = (
                await session.execute(
                    select(ContactPoint).where(
                        func.lower(col(ContactPoint.code)) == code.strip().lower()
                    )
                )
            ).scalar()
            if point is None:
                raise NotFound("point.not_found", code=esc(code[:32]))
            if pk(point) not in {pk(p) for p in await self._scope_points(session, rights)}:
                raise NotAllowed("notices.link_not_yours", code=point.code)
            await session.execute(
                update(ContactPoint)
                .where(col(ContactPoint.group_chat_id) == chat_id, col(ContactPoint.id) != point.id)
                .values(group_chat_id=None)
            )
            point.group_chat_id = chat_id
            audit(session, now, user_id, "point:link_group", f"point:{point.code}")
            return LinkedGroup(point.name, point.code, self.registration_link(point.code))

    async def unlink_group(self, user_id: int, chat_id: int) -> str:
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            try:
                rights = await self._rights(session, user_id)
            except NotAllowed:
                raise NotAllowed("notices.link_staff_only") from None
            point = (
                await session.execute(
                    select(ContactPoint).where(col(ContactPoint.group_chat_id) == chat_id)
                )
            ).scalar()
            if point is None:
                raise Invalid("notices.group_not_linked")
            if pk(point) not in {pk(p) for p in await self._scope_points(session, rights)}:
                raise NotAllowed("notices.link_not_yours", code=point.code)
            point.group_chat_id = None
            audit(session, now, user_id, "point:unlink_group", f"point:{point.code}")
            return point.name

    async def group_point(self, chat_id: int) -> LinkedGroup | None:
        async with self.ctx.db.read() as session:
            point = (
                await session.execute(
                    select(ContactPoint).where(col(ContactPoint.group_chat_id) == chat_id)
                )
            ).scalar()
        if point is None:
            return None
        return LinkedGroup(point.name, point.code, self.registration_link(point.code))

    async def group_gone(self, chat_id: int) -> None:
        """The bot was removed from a group: nothing more is posted there."""
        async with self.ctx.db.write() as session:
            await session.execute(
                update(ContactPoint)
                .where(col(ContactPoint.group_chat_id) == chat_id)
                .values(group_chat_id=None)
            )

    async def group_moved(self, old_chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup and has a new id."""
        async with self.ctx.db.write() as session:
            await session.execute(
                update(ContactPoint)
                .where(col(ContactPoint.group_chat_id) == old_chat_id)
                .values(group_chat_id=new_chat_id)
            )

    async def author_of_tg(self, tg_id: int) -> int:
        """The user id of the staff member with this Telegram id (the CLI's ``--author``)."""
        async with self.ctx.db.read() as session:
            user_id = (
                await session.execute(select(col(User.id)).where(col(User.tg_id) == tg_id))
            ).scalar()
            if user_id is None:
                raise NotFound("notices.cli_no_author", tg_id=tg_id)
            await self._rights(session, user_id)
        return int(user_id)
