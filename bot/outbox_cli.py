"""``cpbot outbox``: messages that could not be delivered and people who blocked the bot, as
``/admin`` → 📮 Delivery problems. ``bot/cli.py`` names ``outbox`` and imports this module only
when it runs."""

from __future__ import annotations

import click

from bot.cli_acting import acting_as, run_as
from bot.cli_core import Cli, pass_cli
from services.admin_access import Operator
from services.administration import Administration

TIME = "%Y-%m-%d %H:%M UTC"


@click.group("outbox")
def outbox() -> None:
    """Messages that could not be delivered, and people who blocked the bot."""


@outbox.command("dead")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@pass_cli
def outbox_dead(cli: Cli, limit: int) -> None:
    """Undelivered messages, newest first: id, when, to whom, case, reason."""
    result = run_as(cli, None, lambda a, by: a.delivery.dead(by, 0, size=limit))
    if not result.rows:
        click.echo(cli.t("admin.delivery.none"))
    for row in result.rows:
        click.echo(
            cli.t(
                "admin.cli.dead_line",
                id=row.id,
                when=row.at.strftime(TIME),
                who=row.recipient or cli.t("admin.delivery.unnamed"),
                case=row.case_no or "-",
                reason=" ".join(row.reason.split()) or "-",
            )
        )
    if result.total > len(result.rows):
        click.echo(cli.t("admin.cli.more", count=result.total - len(result.rows)))


@outbox.command("blocked")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000))
@pass_cli
def outbox_blocked(cli: Cli, limit: int) -> None:
    """People who blocked the bot: nothing reaches them until they write again."""
    result = run_as(cli, None, lambda a, by: a.delivery.blocked(by, 0, size=limit))
    if not result.rows:
        click.echo(cli.t("admin.blocked.none"))
    for row in result.rows:
        click.echo(
            cli.t(
                "admin.cli.blocked_line",
                name=row.name,
                point=row.point or "-",
                since=row.since.strftime(TIME),
            )
        )
    if result.total > len(result.rows):
        click.echo(cli.t("admin.cli.more", count=result.total - len(result.rows)))


def _settle(name: str, help_: str, done_key: str, retry: bool) -> click.Command:
    @click.command(name, help=help_)
    @click.argument("ids", metavar="ID...", nargs=-1, type=int)
    @click.option("--all", "every", is_flag=True, help="every undelivered message")
    @acting_as
    @pass_cli
    def command(cli: Cli, ids: tuple[int, ...], every: bool, as_tg: int | None) -> None:
        if bool(ids) == every:
            raise click.UsageError(cli.t("admin.cli.ids_or_all"))

        async def go(a: Administration, by: Operator) -> int:
            chosen = await a.delivery.dead_ids(by) if every else list(ids)
            for outbox_id in chosen:
                if retry:
                    await a.delivery.retry(by, outbox_id)
                else:
                    await a.delivery.dismiss(by, outbox_id)
            return len(chosen)

        click.echo(cli.t(done_key, count=run_as(cli, as_tg, go)))

    return command


outbox.add_command(
    _settle(
        "retry",
        "Send undelivered messages again (ids from `cpbot outbox dead`).",
        "admin.cli.retried",
        retry=True,
    )
)
outbox.add_command(
    _settle(
        "dismiss",
        "Give undelivered messages up for good (ids from `cpbot outbox dead`).",
        "admin.cli.dismissed",
        retry=False,
    )
)
