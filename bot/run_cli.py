"""``cpbot run|webhook|worker|set-webhook|migrate|demo``: the commands that run the bot.

Each imports the bot (and aiogram) inside its body, so naming them costs nothing."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import click

from bot.cli_core import Cli, importing, pass_cli


@click.command()
@pass_cli
def run(cli: Cli) -> None:
    """Run the bot with long polling (one process): intake, sender and scheduler."""
    with importing(freeze=True):
        from bot.logs import setup_logging
        from bot.runners import run_polling
        from bot.settings import SettingsError

    setup_logging(cli.settings)
    try:
        cli.settings.bot_token()
        asyncio.run(run_polling(cli.settings))
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


@click.command()
@click.option(
    "--intake-only",
    is_flag=True,
    help="take updates only; `cpbot worker` sends and schedules (needs PostgreSQL and Redis)",
)
@pass_cli
def webhook(cli: Cli, intake_only: bool) -> None:
    """Take updates by webhook (CPBOT_WEBHOOK_URL), answering each after handling it."""
    with importing(freeze=True):
        from bot.logs import setup_logging
        from bot.settings import SettingsError
        from bot.webhook import run_webhook

    setup_logging(cli.settings)
    try:
        cli.settings.bot_token()
        if not cli.settings.webhook_url:
            raise SettingsError("setting CPBOT_WEBHOOK_URL is missing")
        asyncio.run(run_webhook(cli.settings, intake_only=intake_only))
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


@click.command()
@pass_cli
def worker(cli: Cli) -> None:
    """Send the outbox and run the scheduler, beside webhook replicas (no update intake)."""
    with importing(freeze=True):
        from bot.logs import setup_logging
        from bot.runners import run_worker
        from bot.settings import SettingsError

    setup_logging(cli.settings)
    try:
        cli.settings.bot_token()
        asyncio.run(run_worker(cli.settings))
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


@click.command("set-webhook")
@pass_cli
def set_webhook(cli: Cli) -> None:
    """Tell Telegram where to post updates (CPBOT_WEBHOOK_URL, CPBOT_WEBHOOK_SECRET)."""
    with importing():
        from bot.factory import build_app
        from bot.settings import SettingsError
        from bot.webhook import set_webhook as tell_telegram

    async def go() -> None:
        app = await build_app(cli.settings)
        try:
            await tell_telegram(app)
        finally:
            await app.close()

    try:
        cli.settings.bot_token()
        asyncio.run(go())
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(cli.t("cli.webhook_set", url=cli.settings.webhook_url or ""))


@click.command()
@pass_cli
def migrate(cli: Cli) -> None:
    """Bring the database (CPBOT_DATABASE_URL) up to date."""
    with importing():
        from models.migrate import upgrade

    upgrade(cli.settings.database_url)
    click.echo(cli.t("cli.migrated"))


@click.command()
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
    """Start the local Telegram and WeChat emulators, the bot and a chat page to try it all."""
    with importing(freeze=True):
        from bot.demo import run_demo

    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run_demo(folder, host, port))
