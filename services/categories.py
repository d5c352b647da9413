"""Categories of cases and their deadline tiers, as administrators keep them.

A retired category is no longer offered when filing; the cases filed under it keep it. A
category's tier sets the deadlines of cases filed from then on. Categories apply to every
region, so only administrators of all regions change them (anyone may read them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models.enums import Tier
from models.tables import Case, Category, pk
from services.admin_access import By, acting, only_everywhere
from services.audit import audit
from services.context import Context
from services.errors import Invalid, NotFound
from services.texts import esc

CODE_RE = re.compile(r"^[a-z0-9_]{1,32}$")
NAME_LIMIT = 40  # a category is a button label


@dataclass(frozen=True)
class CategoryLine:
    id: int
    code: str
    name_zh: str
    name_en: str
    tier: str
    active: bool
    cases: int  # cases filed under it, of any status

    def name(self, locale: str) -> str:
        return self.name_zh if locale == "zh_Hans" else self.name_en


def clean_name(value: str) -> str:
    name = " ".join(value.split())
    if not name or len(name) > NAME_LIMIT:
        raise Invalid("admin.category.bad_name", limit=NAME_LIMIT)
    return name


def clean_tier(value: str) -> Tier:
    try:
        return Tier(value.strip().lower())
    except ValueError:
        raise Invalid(
            "admin.category.bad_tier", tier=esc(value), tiers=", ".join(t.value for t in Tier)
        ) from None


def clean_code(value: str) -> str:
    code = value.strip().lower()
    if not CODE_RE.match(code):
        raise Invalid("admin.category.bad_code", code=esc(value))
    return code


class Categories:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def all(self, by: By) -> list[CategoryLine]:
        """Every category, those offered first, in the order residents see them."""
        async with self.ctx.db.read() as session:
            await acting(session, by)
            rows = (
                await session.execute(
                    select(Category).order_by(
                        col(Category.active).desc(), col(Category.sort), col(Category.id)
                    )
                )
            ).scalars()
            categories = list(rows)
            counts = dict(
                (
                    await session.execute(
                        select(col(Case.category_id), func.count()).group_by(col(Case.category_id))
                    )
                ).all()
            )
        return [_line(c, int(counts.get(c.id, 0))) for c in categories]

    async def get(self, by: By, category_id: int) -> CategoryLine:
        async with self.ctx.db.read() as session:
            await acting(session, by)
            return await self._line(session, await _must(session, category_id))

    async def by_code(self, by: By, code: str) -> CategoryLine:
        async with self.ctx.db.read() as session:
            await acting(session, by)
            found = (
                await session.execute(
                    select(Category).where(col(Category.code) == code.strip().lower())
                )
            ).scalar()
            if found is None:
                raise NotFound("admin.category.not_found", code=esc(code))
            return await self._line(session, found)

    async def may_change(self, by: By) -> None:
        """Refuses anyone who may not change categories (before asking them anything)."""
        async with self.ctx.db.read() as session:
            only_everywhere(await acting(session, by))

    async def check_code(self, by: By, code: str) -> str:
        """A code for a new category: well-formed and not taken."""
        code = clean_code(code)
        async with self.ctx.db.read() as session:
            only_everywhere(await acting(session, by))
            await _free(session, code)
        return code

    async def add(self, by: By, code: str, name_zh: str, name_en: str, tier: str) -> CategoryLine:
        code, tier_ = clean_code(code), clean_tier(tier)
        name_zh, name_en = clean_name(name_zh), clean_name(name_en)
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            scope = await acting(session, by)
            only_everywhere(scope)
            await _free(session, code)
            last = (await session.execute(select(func.max(col(Category.sort))))).scalar()
            category = Category(
                code=code,
                name_zh=name_zh,
                name_en=name_en,
                tier=tier_,
                active=True,
                sort=(last or 0) + 1,
            )
            session.add(category)
            await session.flush()
            audit(
                session, now, scope.user_id, "category:add", f"category:{pk(category)}", tier=tier_
            )
            return await self._line(session, category)

    async def rename(self, by: By, category_id: int, name_zh: str, name_en: str) -> CategoryLine:
        """New names in both languages; cases filed under it show the new names too."""
        name_zh, name_en = clean_name(name_zh), clean_name(name_en)
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            scope = await acting(session, by)
            only_everywhere(scope)
            category = await _must(session, category_id)
            category.name_zh, category.name_en = name_zh, name_en
            audit(session, now, scope.user_id, "category:rename", f"category:{category_id}")
            return await self._line(session, category)

    async def retire(self, by: By, category_id: int) -> CategoryLine:
        """No longer offered when filing; its cases keep it."""
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            scope = await acting(session, by)
            only_everywhere(scope)
            category = await _must(session, category_id)
            if not category.active:
                raise Invalid("admin.category.already_retired", code=category.code)
            others = (
                await session.execute(
                    select(func.count())
                    .select_from(Category)
                    .where(col(Category.active), col(Category.id) != category_id)
                )
            ).scalar_one()
            if not others:
                raise Invalid("admin.category.last_one")
            category.active = False
            audit(session, now, scope.user_id, "category:retire", f"category:{category_id}")
            return await self._line(session, category)

    async def restore(self, by: By, category_id: int) -> CategoryLine:
        """Offered again when filing."""
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            scope = await acting(session, by)
            only_everywhere(scope)
            category = await _must(session, category_id)
            if category.active:
                raise Invalid("admin.category.already_active", code=category.code)
            category.active = True
            audit(session, now, scope.user_id, "category:restore", f"category:{category_id}")
            return await self._line(session, category)

    async def set_tier(self, by: By, category_id: int, tier: str) -> CategoryLine:
        """The deadlines of cases filed under it from now on (filed cases keep theirs)."""
        tier_ = clean_tier(tier)
        now = self.ctx.clock.now()
        async with self.ctx.db.write() as session:
            scope = await acting(session, by)
            only_everywhere(scope)
            category = await _must(session, category_id)
            before = category.tier
            category.tier = tier_
            audit(
                session,
                now,
                scope.user_id,
                "category:tier",
                f"category:{category_id}",
                before=before,
                tier=tier_,
            )
            return await self._line(session, category)

    @staticmethod
    async def _line(session: AsyncSession, category: Category) -> CategoryLine:
        cases = (
            await session.execute(
                select(func.count()).select_from(Case).where(col(Case.category_id) == category.id)
            )
        ).scalar_one()
        return _line(category, int(cases))


def _line(category: Category, cases: int) -> CategoryLine:
    return CategoryLine(
        pk(category),
        category.code,
        category.name_zh,
        category.name_en,
        category.tier,
        category.active,
        cases,
    )


async def _must(session: AsyncSession, category_id: int) -> Category:
    category = await session.get(Category, category_id)
    if category is None:
        raise NotFound("admin.category.gone")
    return category


async def _free(session: AsyncSession, code: str) -> None:
    taken = (
        await session.execute(select(col(Category.id)).where(col(Category.code) == code))
    ).scalar()
    if taken is not None:
        raise Invalid("admin.category.code_taken", code=code)
