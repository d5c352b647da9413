"""``cpbot visits policy show|set``: the visit rule on the command line — the default for
every point, or a point's own (``--point CODE``). The same use case as /admin → 📏 Visit rules;
a change is audited as ``visits:policy``, by the system or by the administrator ``--as`` names.

``bot/cli.py`` names ``visits`` (built here from ``bot.cli_core.pass_cli``) and imports this
module only when the command runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from services.app import Services
from services.visits import policy_lines

if TYPE_CHECKING:
    from bot.cli_core import Cli


async def _show(cli: Cli, services: Services, code: str | None) -> list[str]:
    """The rule in force, as lines for the terminal."""
    if code is None:
        policy = await services.visits.default_policy()
        return [cli.t("visits.cli.default"), *policy_lines(cli.t.texts, cli.t.locale, policy)]
    by = await services.admin.operator()
    point = await services.admin.points.by_code(by, code)
    head = cli.t("visits.cli.point", name=point.name, code=point.code)
    policy = await services.visits.policy(point.id)
    source = cli.t("admin.vr.own" if policy.source == "point" else "admin.vr.inherited")
    radius = cli.t("visits.cli.radius", radius=point.radius_m, code=point.code)
    return [head, source, *policy_lines(cli.t.texts, cli.t.locale, policy), radius]


def visits_group(pass_cli: Callable[[Callable[..., Any]], Callable[..., Any]]) -> click.Group:
    """The ``visits`` command group, built on the CLI's own pass decorator."""

    @click.group("visits")
    def visits() -> None:
        """Cadres' visits: the rule of how often they visit and stay."""

    @visits.group("policy")
    def policy() -> None:
        """The visit rule: visit days a month, stay days a year, whether unverified days count,
        reception notice days. The check-in radius is a point's: cpbot points edit CODE --radius M.
        """

    @policy.command("show")
    @click.option("--point", "code", metavar="CODE", help="a point's rule (default: the default)")
    @pass_cli
    def show(cli: Cli, code: str | None) -> None:
        """Print the rule in force, e.g. `cpbot visits policy show --point XH01`."""
        for line in cli.run(lambda s: _show(cli, s, code)):
            click.echo(line)

    @policy.command("set")
    @click.option("--point", "code", metavar="CODE", help="set this point's own rule")
    @click.option("--visits-per-month", type=int, help="visit days a month (0-31)")
    @click.option("--days-per-year", type=int, help="stay days a year (0-366)")
    @click.option("--notice-days", type=int, help="days ahead residents hear of a reception (0-30)")
    @click.option("--count-unverified/--no-count-unverified", default=None)
    @click.option("--as", "as_tg", type=int, metavar="TELEGRAM_ID", help="record it as theirs")
    @pass_cli
    def set_(
        cli: Cli,
        code: str | None,
        visits_per_month: int | None,
        days_per_year: int | None,
        notice_days: int | None,
        count_unverified: bool | None,
        as_tg: int | None,
    ) -> None:
        """Change some values of the rule, keeping the others; audited. Example:
        `cpbot visits policy set --point XH01 --visits-per-month 2 --days-per-year 20`."""
        given = {
            "visits_per_month": visits_per_month,
            "days_per_year": days_per_year,
            "notice_days": notice_days,
            "count_unverified": count_unverified,
        }
        changes = {k: v for k, v in given.items() if v is not None}
        if not changes:
            raise click.UsageError(cli.t("visits.cli.nothing"))

        async def go(services: Services) -> list[str]:
            by = await services.admin.operator(as_tg)
            point_id = None
            if code is not None:
                point_id = (await services.admin.points.by_code(by, code)).id
            await services.visits.change_policy(by, point_id, **changes)
            return await _show(cli, services, code)

        for line in cli.run(go):
            click.echo(line)
        click.echo(cli.t("visits.cli.saved"))

    return visits


def _visits() -> click.Group:
    from bot.cli_core import pass_cli

    return visits_group(pass_cli)


visits = _visits()
