"""Every tip-off use case behind one name, for handlers, the scheduler and staff changes: the
reporter's (reporting.py), the inspectors' (inspection.py, acknowledgement.py) and the hand-on
of waiting reports (routing.py). One key (the sealer) serves them all."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models.tipoffs import TipOff
from services.context import Context
from services.sealing import Sealer
from services.tipoffs.acknowledgement import Acknowledgement
from services.tipoffs.inspection import Inspection
from services.tipoffs.relaying import hand_on
from services.tipoffs.reporting import Reporting
from services.tipoffs.routing import route_waiting_in


class TipOffs(Reporting, Inspection, Acknowledgement):
    """The reporter's use cases, the inspectors', and the hand-on of waiting reports; the
    sealer (``self.sealer``: no key means anonymous reporting is off) is one for all."""

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx, Sealer(ctx.config.tipoff_key))

    async def route_waiting(self) -> int:
        """Hand every open report without an active inspector to one: a report filed before
        any inspector of its region joined, or whose inspector was suspended or removed. The
        new inspector gets the card and what the reporter sent. Returns how many moved."""
        async with self.ctx.db.write() as session:
            return await self.route_waiting_in(session, self.ctx.clock.now())

    async def route_waiting_in(self, session: AsyncSession, now: datetime) -> int:
        """:meth:`route_waiting` inside the caller's transaction (a suspension's)."""

        async def give(session: AsyncSession, tip: TipOff, now: datetime) -> None:
            await hand_on(self.ctx, session, tip, now)

        return await route_waiting_in(session, now, give)
