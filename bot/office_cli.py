"""``cpbot invite``, ``cpbot audit export`` and ``cpbot keygen``: the office's other commands."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO

import click

from bot.cli_core import Cli, pass_cli

if TYPE_CHECKING:
    from services.app import Services


@click.command()
@click.argument("role", type=click.Choice(["cadre", "inspector", "admin"]))
@click.option("--point", "point", help="contact point code the new staff member serves")
@click.option("--region", help="region an administrator or inspector covers")
@click.option("--hours", type=click.IntRange(1, 24 * 90), help="hours until the link expires")
@pass_cli
def invite(cli: Cli, role: str, point: str | None, region: str | None, hours: int | None) -> None:
    """Print a single-use invitation link for a new staff member.

    ROLE is cadre, inspector or admin. For example:

    \b
        cpbot invite cadre --point XH01
        cpbot invite admin --region 芜湖市/镜湖区 --hours 48
    """
    link = cli.run(
        lambda s: s.staff.create_invite(role, point_code=point, region=region, ttl_hours=hours),
        needs_username=True,
    )
    click.echo(link.link)
    expires = link.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    click.echo(cli.t("cli.invite_expires", when=expires), err=True)


@click.command()
def keygen() -> None:
    """Print a new key for CPBOT_TIPOFF_KEY (seals anonymous reporters)."""
    from services.sealing import new_key

    click.echo(new_key())


@click.group()
def audit() -> None:
    """The audit log of privileged actions."""


@audit.command("export")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="first day (UTC), inclusive")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="last day (UTC), exclusive")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True
)
@click.option(
    "--out",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="file to write (default: standard output)",
)
@pass_cli
def audit_export(
    cli: Cli, since: datetime | None, until: datetime | None, fmt: str, out: TextIO
) -> None:
    """Write the audit log, oldest first: at, actor, action, target, detail (JSON).

    Days are given as YYYY-MM-DD, e.g. `cpbot audit export --since 2026-01-01 --format jsonl`.
    """
    start = since.replace(tzinfo=UTC) if since else None
    end = until.replace(tzinfo=UTC) if until else None

    async def dump(services: Services) -> int:
        writer = csv.writer(out) if fmt == "csv" else None
        if writer is not None:
            writer.writerow(["at", "actor", "action", "target", "detail"])
        count = 0
        async for entry in services.audit_trail.export(start, end):
            detail = json.dumps(entry.detail, ensure_ascii=False)
            if writer is not None:
                writer.writerow(
                    [entry.at.isoformat(), entry.actor or "", entry.action, entry.target, detail]
                )
            else:
                out.write(
                    json.dumps(
                        {
                            "at": entry.at.isoformat(),
                            "actor": entry.actor,
                            "action": entry.action,
                            "target": entry.target,
                            "detail": entry.detail,
                        },
                        ensure_ascii=False,
                    )
                    + "\n"
                )
            count += 1
        return count

    count = cli.run(dump)
    click.echo(cli.t("cli.audit_exported", count=count), err=True)
