"""What every ``cpbot`` command shares: the settings, the CLI's language, services on demand,
and the lazy group that imports a command's module only when that command runs.

Nothing here imports aiogram, SQLAlchemy or the services at module level: ``cpbot --help``
and the office commands start in well under a second, and only the commands that talk to
Telegram (``run``, ``webhook``, ``worker``, ``set-webhook``, ``demo``, ``invite`` and
``points qr`` without ``CPBOT_BOT_USERNAME``) pay for aiogram.

Every import of a command's modules runs inside ``importing()``: without it, Python's cyclic
garbage collector makes a full pass over the whole heap each time it grows by a quarter,
several passes of 0.1–0.2 s each while aiogram's types, SQLAlchemy and the models load (a
quarter of ``cpbot run``'s start-up CPU, and about 0.1 s of every office command), all of it
finding nothing to free.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import os
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from bot.settings import Settings
    from services.app import Services
    from services.texts import Translator

T = TypeVar("T")


@contextlib.contextmanager
def importing(*, freeze: bool = False) -> Iterator[None]:
    """Import modules with the cyclic collector paused; with ``freeze``, freeze what is alive.

    ``freeze`` is for the processes that run the bot: the modules, classes and functions just
    loaded live as long as the process, and ``gc.freeze()`` moves every object alive at the
    end into the permanent generation, so no later collection scans them either (the bot's
    own collections stay as small as its working set). Whatever is frozen and later becomes
    garbage in a reference cycle is never freed, so a command that can run inside another
    program (a test's ``CliRunner``) only pauses the collector. Nested uses are fine; the
    collector is enabled again only by the outer one, and only if it was enabled before."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if freeze:
                gc.freeze()
            gc.enable()


class Cli:
    """What every command needs: settings, the CLI's language, and services on demand."""

    def __init__(self) -> None:
        with importing():
            from bot.settings import SettingsError, load_settings
            from locales import normalize_locale
            from services.texts import Texts, Translator

        try:
            self.settings: Settings = load_settings()
        except SettingsError as exc:
            raise click.ClickException(str(exc)) from None
        locale = normalize_locale(os.environ.get("LANG"), self.settings.default_locale)
        self.t: Translator = Translator(Texts(), locale)

    def run(
        self, factory: Callable[[Services], Awaitable[T]], *, needs_username: bool = False
    ) -> T:
        with importing():
            from bot.service_config import service_config
            from bot.settings import SettingsError
            from models.db import Database
            from models.schema_check import sqlite_at_head
            from services.app import Services
            from services.clock import SystemClock
            from services.context import Context
            from services.errors import Refusal
            from services.points import CsvRejected

        async def go() -> T:
            url = self.settings.database_url
            if self.settings.is_sqlite and not sqlite_at_head(url):
                from models.migrate import upgrade

                await asyncio.to_thread(upgrade, url)
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
        from bot.settings import SettingsError

        if self.settings.bot_username:
            return self.settings.bot_username
        if self.settings.token is None:
            raise SettingsError(
                "setting CPBOT_BOT_USERNAME is missing "
                "(or set CPBOT_TOKEN so it can be asked from Telegram)"
            )
        with importing():
            from bot.factory import make_bot  # the only way here that needs aiogram

        bot = make_bot(self.settings)
        try:
            return (await bot.get_me()).username or "contact_point_bot"
        finally:
            await bot.session.close()


pass_cli = click.make_pass_decorator(Cli, ensure=True)


@dataclass(frozen=True)
class Lazy:
    """A command known by name and one line of help, imported from ``target``
    (``"module:attribute"``) only when it runs or its own ``--help`` is asked for."""

    target: str
    help: str


class LazyGroup(click.Group):
    """A click group whose subcommands live in their own modules and are imported on use.

    ``cpbot --help`` lists them from their registered help lines without importing any."""

    def __init__(self, *args: Any, lazy: dict[str, Lazy] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, Lazy] = dict(lazy or {})

    def add_lazy(self, name: str, target: str, help: str) -> None:
        self.lazy[name] = Lazy(target, help)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is not None or cmd_name not in self.lazy:
            return found
        module, _, attribute = self.lazy[cmd_name].target.partition(":")
        with importing():
            command = getattr(importlib.import_module(module), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.lazy[cmd_name].target} is not a click command")
        self.add_command(command, cmd_name)  # imported once
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows: list[tuple[str, str]] = []
        limit = formatter.width - 6 - max((len(n) for n in self.list_commands(ctx)), default=0)
        for name in self.list_commands(ctx):
            if name in self.commands:
                command = self.commands[name]
                if command.hidden:
                    continue
                rows.append((name, command.get_short_help_str(limit)))
            else:
                rows.append((name, self.lazy[name].help))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
