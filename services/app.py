"""The use cases, built once from a context and handed to every handler and job.

Each is imported when first used: a command line call that lists points does not load the
visits or notices code."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from services.context import Context
from services.texts import Texts

if TYPE_CHECKING:
    from services.administration import Administration
    from services.audit import AuditTrail
    from services.case_clock import CaseClock
    from services.cases import Cases
    from services.consultations import Consultations
    from services.conversations import Conversations
    from services.digest.service import Digests
    from services.figures import Figures
    from services.lifecycle import Lifecycle
    from services.notices import Notices
    from services.outbox import OutboxStore
    from services.people import People
    from services.points import Points
    from services.presses import Presses
    from services.privacy import Privacy
    from services.reminders import HasReminders, Reminders
    from services.reports.service import Reports
    from services.staff import StaffService
    from services.tipoffs import TipOffs
    from services.visits import Visits


class Services:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @property
    def texts(self) -> Texts:
        return self.ctx.texts

    @cached_property
    def people(self) -> People:
        from services.people import People

        return People(self.ctx)

    @cached_property
    def points(self) -> Points:
        from services.points import Points

        return Points(self.ctx)

    @cached_property
    def staff(self) -> StaffService:
        from services.staff import StaffService

        return StaffService(self.ctx)

    @cached_property
    def cases(self) -> Cases:
        from services.cases import Cases

        return Cases(self.ctx)

    @cached_property
    def presses(self) -> Presses:
        """The button presses answered and handled, shared by every process."""
        from services.presses import Presses

        return Presses(self.ctx)

    @cached_property
    def conversations(self) -> Conversations:
        from services.conversations import Conversations

        return Conversations(self.ctx)

    @cached_property
    def reminders(self) -> Reminders:
        """One reminder runner with every feature's handlers registered."""
        from services.reminders import Reminders

        reminders = Reminders(self.ctx)
        for feature in self.features_with_reminders():
            for kind, handler in feature.reminder_handlers().items():
                reminders.handle(kind, handler)
        return reminders

    @cached_property
    def visits(self) -> Visits:
        from services.visits import Visits

        return Visits(self.ctx)

    @cached_property
    def notices(self) -> Notices:
        from services.notices import Notices

        return Notices(self.ctx)

    @cached_property
    def consultations(self) -> Consultations:
        from services.consultations import Consultations

        return Consultations(self.ctx)

    @cached_property
    def lifecycle(self) -> Lifecycle:
        from services.lifecycle import Lifecycle

        return Lifecycle(self.ctx)

    @cached_property
    def case_clock(self) -> CaseClock:
        from services.case_clock import CaseClock

        return CaseClock(self.ctx)

    @cached_property
    def figures(self) -> Figures:
        from services.figures import Figures

        return Figures(self.ctx)

    @cached_property
    def tipoffs(self) -> TipOffs:
        from services.tipoffs import TipOffs

        return TipOffs(self.ctx)

    @cached_property
    def privacy(self) -> Privacy:
        from services.privacy import Privacy

        return Privacy(self.ctx)

    @cached_property
    def audit_trail(self) -> AuditTrail:
        from services.audit import AuditTrail

        return AuditTrail(self.ctx)

    @cached_property
    def admin(self) -> Administration:
        from services.administration import Administration

        return Administration(self.ctx)

    @cached_property
    def reports(self) -> Reports:
        from services.reports.service import Reports

        return Reports(self.ctx, self.figures, self.visits)

    @cached_property
    def digests(self) -> Digests:
        from services.digest.service import Digests

        return Digests(self.ctx)

    def features_with_reminders(self) -> list[HasReminders]:
        return [
            self.case_clock,
            self.tipoffs,
            self.visits,
            self.notices,
            self.consultations,
            self.reports,
            self.digests,
        ]

    def outbox(self, worker_id: str | None = None, channel: str = "telegram") -> OutboxStore:
        from services.outbox import OutboxStore

        return OutboxStore(self.ctx, worker_id, channel=channel)
