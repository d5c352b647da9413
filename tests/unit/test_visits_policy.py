"""Issue 18: the visit rule is editable by administrators — in the menu (see
tests/integration/test_admin_visit_rules.py), in the use case, and on the command line
(``cpbot visits policy``) — and every change is audited."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from sqlmodel import col, select

from bot.cli import pass_cli
from bot.visits_cli import visits_group
from models.tables import AuditLog
from services.admin_access import Operator
from services.app import Services
from services.clock import FakeClock
from services.errors import Invalid, NotAllowed
from tests.unit.test_admin_cli import county, rows
from tests.unit.test_visits import county as points_county
from tests.unit.test_visits import make_admin

__all__ = ["county"]  # the CLI tests' fixture


@pytest.fixture
def services(services_on_both: Services) -> Services:
    return services_on_both


async def test_change_policy_keeps_the_other_values_and_is_audited(
    services: Services, clock: FakeClock
) -> None:
    await points_county(services)
    zhou = await make_admin(services)
    regional = await make_admin(services, "Wu", region="Yijiang")
    xh = await services.points.by_code("XH01")
    changed = await services.visits.change_policy(zhou.user_id, None, visits_per_month=2)
    assert (changed.visits_per_month, changed.days_per_year) == (2, 10)
    own = await services.visits.change_policy(zhou.user_id, xh.id, days_per_year=20)
    assert (own.visits_per_month, own.days_per_year, own.source) == (2, 20, "point")
    assert (await services.visits.default_policy()).days_per_year == 10
    with pytest.raises(Invalid) as refused:
        await services.visits.change_policy(zhou.user_id, None, visits_per_month=32)
    assert refused.value.key == "visits.policy.bad"
    with pytest.raises(NotAllowed):  # only an administrator of every region sets the default
        await services.visits.change_policy(regional.user_id, None, visits_per_month=3)
    with pytest.raises(NotAllowed):  # nor another region's point
        await services.visits.change_policy(regional.user_id, xh.id, visits_per_month=3)
    by_cli = await services.visits.change_policy(Operator(), xh.id, count_unverified=False)
    assert not by_cli.count_unverified and by_cli.days_per_year == 20
    async with services.ctx.db.read() as session:
        logged = (
            await session.execute(
                select(AuditLog)
                .where(col(AuditLog.action) == "visits:policy")
                .order_by(AuditLog.id)
            )
        ).scalars()
        actors = [(a.actor_user_id, a.target) for a in logged]
    assert actors == [
        (zhou.user_id, "default"),
        (zhou.user_id, f"point:{xh.id}"),
        (None, f"point:{xh.id}"),
    ]


def cpbot_visits(*args: str) -> Result:
    @click.group()
    def root() -> None:
        pass

    root.add_command(visits_group(pass_cli))
    return CliRunner().invoke(root, ["visits", *args], catch_exceptions=False)


def test_the_cli_shows_and_sets_the_rule(county: dict[str, int], db_path: Path) -> None:
    shown = cpbot_visits("policy", "show")
    assert shown.exit_code == 0 and "Visit days a month: 1" in shown.output
    done = cpbot_visits(
        "policy",
        "set",
        "--point",
        "XH01",
        "--visits-per-month",
        "2",
        "--as",
        str(county["boss_tg"]),
    )
    assert done.exit_code == 0, done.output
    assert "Visit days a month: 2" in done.output and "Stay days a year: 10" in done.output
    assert "This point has its own rule." in done.output and "Check-in radius: 300 m" in done.output
    [entry] = rows(db_path, AuditLog, col(AuditLog.action) == "visits:policy")
    assert entry.actor_user_id == county["boss"] and entry.detail["visits_per_month"] == 2
    default = cpbot_visits("policy", "show")
    assert "Visit days a month: 1" in default.output


def test_the_cli_refuses_bad_input_with_the_bounds(county: dict[str, int]) -> None:
    nothing = CliRunner().invoke(visits_group(pass_cli), ["policy", "set"])
    assert nothing.exit_code != 0 and "Nothing to change" in nothing.output
    bad = CliRunner().invoke(visits_group(pass_cli), ["policy", "set", "--days-per-year", "400"])
    assert bad.exit_code != 0 and "stay days a year 0–366" in bad.output
    unknown = CliRunner().invoke(visits_group(pass_cli), ["policy", "show", "--point", "NOPE"])
    assert unknown.exit_code != 0
