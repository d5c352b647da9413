"""``cpbot``: run the bot, migrate, manage contact points and invites, start the demo.

Everything printed for administrators comes from the catalogs, in the default locale (or the
one ``LANG`` names); errors go to stderr with a non-zero exit.
"""

from __future__ import annotations

import asyncio
import csv
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO, TypeVar

import click

from bot.admin_cli import register as register_admin
from bot.factory import service_config
from bot.logs import setup_logging
from bot.notices_cli import notices_group
from bot.report_cli import report_command
from bot.settings import SettingsError, load_settings
from locales import normalize_locale
from models.db import Database
from models.migrate import upgrade
from services.app import Services
from services.clock import SystemClock
from services.context import Context
from services.errors import Refusal
from services.points import CsvRejected
from services.sealing import new_key
from services.texts import Texts, Translator

T = TypeVar("T")


class Cli:
    """What every command needs: settings, the CLI's language, and services on demand."""

    def __init__(self) -> None:
        try:
            self.settings = load_settings()
        except SettingsError as exc:
            raise click.ClickException(str(exc)) from None
        locale = normalize_locale(os.environ.get("LANG"), self.settings.default_locale)
        self.t = Translator(Texts(), locale)

    def run(
        self, factory: Callable[[Services], Awaitable[T]], *, needs_username: bool = False
    ) -> T:
        async def go() -> T:
            if self.settings.is_sqlite:
                await asyncio.to_thread(upgrade, self.settings.database_url)
            username = await self.bot_username() if needs_username else "contact_point_bot"
            db = Database.from_url(self.settings.database_url)
            config = service_config(self.settings, username)
            try:
                return await factory(Services(Context.create(db, config, SystemClock())))
            finally:
                await db.dispose()

        try:
            return asyncio.run(go())
        except CsvRejected as exc:
            for p in exc.problems:
                click.echo(
                    self.t(
                        "cli.csv_problem",
                        line=p.line,
                        column=p.column or "-",
                        reason=self.t(p.key, **p.params),
                    ),
                    err=True,
                )
            raise click.ClickException(
                self.t("points.csv.rejected", count=len(exc.problems))
            ) from None
        except Refusal as exc:
            raise click.ClickException(self.t(exc.key, **exc.params)) from None
        except SettingsError as exc:
            raise click.ClickException(str(exc)) from None

    async def bot_username(self) -> str:
        if self.settings.bot_username:
            return self.settings.bot_username
        if self.settings.token is None:
            raise SettingsError(
                "setting CPBOT_BOT_USERNAME is missing "
                "(or set CPBOT_TOKEN so it can be asked from Telegram)"
            )
        from bot.factory import make_bot

        bot = make_bot(self.settings)
        try:
            return (await bot.get_me()).username or "contact_point_bot"
        finally:
            await bot.session.close()


pass_cli = click.make_pass_decorator(Cli, ensure=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Contact Point Bot: residents reach the cadre of their contact point."""


@main.command()
@pass_cli
def run(cli: Cli) -> None:
    """Run the bot with long polling (one process)."""
    from bot.runners import run_polling

    setup_logging(cli.settings)
    try:
        cli.settings.bot_token()
        asyncio.run(run_polling(cli.settings))
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


@main.command()
@click.option(
    "--intake-only",
    is_flag=True,
    help="take updates only; `cpbot worker` sends and schedules (needs PostgreSQL and Redis)",
)
@pass_cli
def webhook(cli: Cli, intake_only: bool) -> None:
    """Take updates by webhook (CPBOT_WEBHOOK_URL), answering each after handling it."""
    from bot.runners import run_webhook

    setup_logging(cli.settings)
    try:
        cli.settings.bot_token()
        if not cli.settings.webhook_url:
            raise SettingsError("setting CPBOT_WEBHOOK_URL is missing")
        asyncio.run(run_webhook(cli.settings, intake_only=intake_only))
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


@main.command()
@pass_cli
def worker(cli: Cli) -> None:
    """Send the outbox and run the scheduler, beside webhook replicas (no update intake)."""
    from bot.runners import run_worker

    setup_logging(cli.settings)
    try:
        cli.settings.bot_token()
        asyncio.run(run_worker(cli.settings))
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


@main.command("set-webhook")
@pass_cli
def set_webhook_command(cli: Cli) -> None:
    """Tell Telegram where to post updates (CPBOT_WEBHOOK_URL, CPBOT_WEBHOOK_SECRET)."""
    from bot.factory import build_app
    from bot.webhook import set_webhook

    async def go() -> None:
        app = await build_app(cli.settings)
        try:
            await set_webhook(app)
        finally:
            await app.close()

    try:
        cli.settings.bot_token()
        asyncio.run(go())
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(cli.t("cli.webhook_set", url=cli.settings.webhook_url or ""))


@main.command()
@pass_cli
def migrate(cli: Cli) -> None:
    """Bring the database up to date."""
    upgrade(cli.settings.database_url)
    click.echo(cli.t("cli.migrated"))


@main.group()
def points() -> None:
    """Contact points: import, list, posters."""


@points.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_cli
def points_import(cli: Cli, file: Path) -> None:
    """Import or update contact points from a CSV file.

    Columns: code,name,region,address,lat,lon and optionally tz. Rows are matched by code.
    A file with any bad row imports nothing.
    """
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise click.ClickException(cli.t("cli.not_utf8", file=file.name)) from None
    report = cli.run(lambda s: s.points.import_csv(text))
    click.echo(cli.t("cli.imported", created=report.created, updated=report.updated))


@points.command("list")
@pass_cli
def points_list(cli: Cli) -> None:
    """List contact points."""
    rows = cli.run(lambda s: s.points.all())
    if not rows:
        click.echo(cli.t("cli.no_points"))
        return
    for p in rows:
        state = "" if p.active else " " + cli.t("cli.inactive")
        where = f"{p.lat:.5f},{p.lon:.5f}" if p.lat is not None and p.lon is not None else "-"
        click.echo(f"{p.code}\t{p.name}\t{p.region}\t{where}\t{p.tz}{state}")


@points.command("qr")
@click.argument("code")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="PNG file to write (default: poster-CODE.png)",
)
@pass_cli
def points_qr(cli: Cli, code: str, out: Path | None) -> None:
    """Write a printable registration poster with the point's QR code."""

    async def make(s: Services) -> tuple[bytes, str]:
        point = await s.points.by_code(code)
        return await s.points.poster(point), s.points.registration_link(point.code)

    png, link = cli.run(make, needs_username=True)
    target = out or Path(f"poster-{code}.png")
    target.write_bytes(png)
    click.echo(cli.t("cli.poster_written", file=str(target), link=link))


register_admin(main, points)


@main.command()
@click.argument("role", type=click.Choice(["cadre", "inspector", "admin"]))
@click.option("--point", "point", help="contact point code the new staff member serves")
@click.option("--region", help="region an administrator or inspector covers")
@click.option("--hours", type=click.IntRange(1, 24 * 90), help="hours until the link expires")
@pass_cli
def invite(cli: Cli, role: str, point: str | None, region: str | None, hours: int | None) -> None:
    """Print a single-use invitation link for a new staff member."""
    link = cli.run(
        lambda s: s.staff.create_invite(role, point_code=point, region=region, ttl_hours=hours),
        needs_username=True,
    )
    click.echo(link.link)
    expires = link.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    click.echo(cli.t("cli.invite_expires", when=expires), err=True)


@main.command()
def keygen() -> None:
    """Print a new key for CPBOT_TIPOFF_KEY (seals anonymous reporters)."""
    click.echo(new_key())


@main.group()
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
    """Write the audit log, oldest first."""
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


@main.command()
@click.option(
    "--dir",
    "folder",
    default="demo",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="folder for the demo's data",
)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option("--host", default="127.0.0.1", show_default=True)
def demo(folder: Path, port: int, host: str) -> None:
    """Start the local Telegram emulator, the bot and a chat page to try it all."""
    from bot.demo import run_demo

    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run_demo(folder, host, port))


main.add_command(notices_group(pass_cli))
main.add_command(report_command(pass_cli))


def entry(argv: list[str] | None = None) -> Any:
    return main.main(args=argv, prog_name="cpbot")


if __name__ == "__main__":
    sys.exit(entry())
