"""The administrator's menu on the command line, for bulk work and scripts.

``cpbot points add|edit|deactivate|activate`` and ``cpbot staff …`` (here), ``cpbot categories …``
(``bot/categories_cli.py``) and ``cpbot outbox …`` (``bot/outbox_cli.py``) run the same use
cases as ``/admin`` in Telegram. The command line is the operator of the installation: it acts
everywhere, as "the system" in the audit log, or for an administrator named with
``--as TELEGRAM_ID`` (``bot/cli_acting.py``). Refusals are printed from the catalogs (in the
language ``LANG`` names) with a non-zero exit.

``bot.cli`` names ``staff``, ``categories`` and ``outbox`` lazily (imported when they run);
``bot.points_cli`` adds the point commands to its group with ``register_points``. Like every
command module, this one imports ``bot.cli_core`` and never ``bot.cli``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import click

from bot.categories_cli import categories
from bot.cli_acting import acting_as, run_as
from bot.cli_core import Cli, pass_cli
from bot.outbox_cli import outbox
from services.admin_access import Operator
from services.admin_points import NewPoint
from services.admin_staff import ACTIVE, REMOVED, SUSPENDED, StaffLine
from services.administration import Administration

TIME = "%Y-%m-%d %H:%M UTC"
ROLE_KEYS = {
    "cadre": "admin.role.cadre",
    "inspector": "admin.role.inspector",
    "admin": "admin.role.admin",
}
STATUS_KEYS = {
    ACTIVE: "admin.staff.status_active",
    SUSPENDED: "admin.staff.status_suspended",
    REMOVED: "admin.staff.status_removed",
}


# ---- contact points --------------------------------------------------------------------------


@click.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--region", default="", help="e.g. 芜湖市/镜湖区 (administrators' scope)")
@click.option("--address", default="", help="shown to residents and on the poster")
@click.option("--lat", type=float, help="latitude in decimal degrees (with --lon)")
@click.option("--lon", type=float, help="longitude in decimal degrees (with --lat)")
@click.option("--tz", default="Asia/Shanghai", show_default=True, help="IANA time zone")
@acting_as
@pass_cli
def points_add(
    cli: Cli,
    code: str,
    name: str,
    region: str,
    address: str,
    lat: float | None,
    lon: float | None,
    tz: str,
    as_tg: int | None,
) -> None:
    """Add a contact point (checked like a row of `cpbot points import`)."""
    new = NewPoint(code=code, name=name, region=region, address=address, lat=lat, lon=lon, tz=tz)
    card = run_as(cli, as_tg, lambda a, by: a.points.add(by, new))
    click.echo(cli.t("admin.cli.point_added", code=card.code, name=card.name))


@click.command("edit")
@click.argument("code")
@click.option("--name")
@click.option("--address")
@click.option("--region")
@click.option("--tz", help="IANA time zone")
@click.option("--radius", help="metres around the point that count as on site")
@click.option("--lat", type=float, help="latitude (with --lon)")
@click.option("--lon", type=float, help="longitude (with --lat)")
@click.option("--no-location", is_flag=True, help="forget the point's location")
@acting_as
@pass_cli
def points_edit(
    cli: Cli,
    code: str,
    name: str | None,
    address: str | None,
    region: str | None,
    tz: str | None,
    radius: str | None,
    lat: float | None,
    lon: float | None,
    no_location: bool,
    as_tg: int | None,
) -> None:
    """Change a contact point's name, address, region, time zone, radius or location; all or
    nothing. The code stays (it is printed on the posters)."""
    given = {"name": name, "address": address, "region": region, "tz": tz, "radius": radius}
    changes = {k: v for k, v in given.items() if v is not None}
    location: tuple[float | None, float | None] | None = None
    if no_location:
        if lat is not None or lon is not None:
            raise click.UsageError(cli.t("admin.cli.location_or_none"))
        location = (None, None)
    elif lat is not None or lon is not None:
        location = (lat, lon)
    if not changes and location is None:
        raise click.UsageError(cli.t("admin.point.nothing_to_change"))

    async def edit(a: Administration, by: Operator) -> Any:
        point = await a.points.by_code(by, code)
        return await a.points.edit(by, point.id, changes, location=location)

    card = run_as(cli, as_tg, edit)
    click.echo(cli.t("admin.cli.point_edited", code=card.code, name=card.name))


@click.command("deactivate")
@click.argument("code")
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
@acting_as
@pass_cli
def points_deactivate(cli: Cli, code: str, yes: bool, as_tg: int | None) -> None:
    """Stop a contact point taking cases; its residents are asked to choose another one.
    Its open cases stay with their cadres."""
    point = run_as(cli, as_tg, lambda a, by: a.points.by_code(by, code))
    if not yes:
        click.confirm(
            cli.t(
                "admin.cli.confirm_deactivate",
                name=point.name,
                residents=point.residents,
                open=point.open_cases,
            ),
            abort=True,
        )
    done = run_as(cli, as_tg, lambda a, by: a.points.deactivate(by, point.id))
    click.echo(cli.t("admin.cli.point_deactivated", code=point.code, told=done.residents_told))


@click.command("activate")
@click.argument("code")
@acting_as
@pass_cli
def points_activate(cli: Cli, code: str, as_tg: int | None) -> None:
    """Let a deactivated contact point take cases again."""

    async def activate(a: Administration, by: Operator) -> Any:
        point = await a.points.by_code(by, code)
        return await a.points.reactivate(by, point.id)

    card = run_as(cli, as_tg, activate)
    click.echo(cli.t("admin.cli.point_activated", code=card.code))


# ---- staff -----------------------------------------------------------------------------------


@click.group("staff")
def staff() -> None:
    """Staff: list, invite, assign to points, suspend, reinstate, remove.

    STAFF is the number in the first column of `cpbot staff list`; POINT is a point's code.
    """


def _staff_line(cli: Cli, s: StaffLine) -> str:
    points = ", ".join(("*" if p.primary else "") + p.code for p in s.points) or "-"
    return cli.t(
        "admin.cli.staff_line",
        id=s.id,
        name=s.name,
        role=cli.t(ROLE_KEYS[s.role]),
        status=cli.t(STATUS_KEYS[s.status]),
        region=s.region or "-",
        points=points,
        open=s.open_cases,
        overdue=s.overdue,
    )


@staff.command("list")
@click.option("--removed", is_flag=True, help="also list people who were removed")
@pass_cli
def staff_list(cli: Cli, removed: bool) -> None:
    """Staff with their role, status, points (* primary) and open / overdue cases."""

    async def every(a: Administration, by: Operator) -> list[StaffLine]:
        lines: list[StaffLine] = []
        page = 0
        while True:
            result = await a.staff.page(by, page, removed=removed, size=200)
            lines += result.staff
            if result.page + 1 >= result.pages:
                return lines
            page += 1

    lines = run_as(cli, None, every)
    if not lines:
        click.echo(cli.t("admin.cli.no_staff"))
    for line in lines:
        click.echo(_staff_line(cli, line))


@staff.command("invite")
@click.argument("role", type=click.Choice(["cadre", "inspector", "admin"]))
@click.option("--point", "point", help="code of the contact point a new cadre serves")
@click.option("--region", help="region a new administrator or inspector covers")
@click.option("--hours", type=click.IntRange(1, 24 * 90), help="hours until the link expires")
@acting_as
@pass_cli
def staff_invite(
    cli: Cli,
    role: str,
    point: str | None,
    region: str | None,
    hours: int | None,
    as_tg: int | None,
) -> None:
    """Print a single-use invitation link to forward to a new staff member."""
    link = run_as(
        cli,
        as_tg,
        lambda a, by: a.staff.invite(by, role, point_code=point, region=region, ttl_hours=hours),
        needs_username=True,
    )
    click.echo(link.link)
    click.echo(cli.t("cli.invite_expires", when=link.expires_at.strftime(TIME)), err=True)


def _on_point(
    name: str,
    help_: str,
    call: Callable[[Administration, Operator, int, int], Awaitable[StaffLine]],
) -> click.Command:
    @click.command(name, help=help_)
    @click.argument("staff_id", metavar="STAFF", type=int)
    @click.argument("code", metavar="POINT")
    @acting_as
    @pass_cli
    def command(cli: Cli, staff_id: int, code: str, as_tg: int | None) -> None:
        async def go(a: Administration, by: Operator) -> StaffLine:
            point = await a.points.by_code(by, code)
            return await call(a, by, staff_id, point.id)

        click.echo(_staff_line(cli, run_as(cli, as_tg, go)))

    return command


staff.add_command(
    _on_point(
        "assign",
        "Let STAFF serve POINT (its primary cadre if it has none).",
        lambda a, by, s, p: a.staff.assign(by, s, p),
    )
)
staff.add_command(
    _on_point(
        "unassign",
        "STAFF no longer serves POINT (their open cases stay with them).",
        lambda a, by, s, p: a.staff.unassign(by, s, p),
    )
)
staff.add_command(
    _on_point(
        "primary",
        "Make STAFF the primary cadre of POINT: new cases there go to them first.",
        lambda a, by, s, p: a.staff.make_primary(by, s, p),
    )
)


@staff.command("suspend")
@click.argument("staff_id", metavar="STAFF", type=int)
@acting_as
@pass_cli
def staff_suspend(cli: Cli, staff_id: int, as_tg: int | None) -> None:
    """End STAFF's access for now (reinstate later); their open cases are re-routed."""
    done = run_as(cli, as_tg, lambda a, by: a.staff.suspend(by, staff_id))
    click.echo(_staff_line(cli, done.staff))
    click.echo(cli.t("admin.staff.rerouted", n=done.cases, unowned=done.unowned))


@staff.command("reinstate")
@click.argument("staff_id", metavar="STAFF", type=int)
@acting_as
@pass_cli
def staff_reinstate(cli: Cli, staff_id: int, as_tg: int | None) -> None:
    """Give a suspended STAFF their access back."""
    line = run_as(cli, as_tg, lambda a, by: a.staff.reinstate(by, staff_id))
    click.echo(_staff_line(cli, line))


@staff.command("remove")
@click.argument("staff_id", metavar="STAFF", type=int)
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
@acting_as
@pass_cli
def staff_remove(cli: Cli, staff_id: int, yes: bool, as_tg: int | None) -> None:
    """End STAFF's access for good and their assignments; their open cases are re-routed."""
    line = run_as(cli, as_tg, lambda a, by: a.staff.get(by, staff_id))
    if not yes:
        click.confirm(
            cli.t("admin.cli.confirm_remove", name=line.name, n=line.open_cases), abort=True
        )
    done = run_as(cli, as_tg, lambda a, by: a.staff.remove(by, staff_id))
    click.echo(_staff_line(cli, done.staff))
    click.echo(cli.t("admin.staff.rerouted", n=done.cases, unowned=done.unowned))


def register_points(points: click.Group) -> None:
    """Add the point commands of the administrator's menu to ``cpbot points``."""
    for command in (points_add, points_edit, points_deactivate, points_activate):
        points.add_command(command)


def register(main: click.Group, points: click.Group) -> None:
    """Add ``staff``, ``categories`` and ``outbox`` to ``main``, and the point commands to
    ``points`` (what ``bot.cli`` does lazily; tests build small groups with it)."""
    register_points(points)
    for group in (staff, categories, outbox):
        main.add_command(group)
