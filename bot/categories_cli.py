"""``cpbot categories``: the categories of cases and their deadline tiers, as ``/admin`` →
🏷 Categories. ``bot/cli.py`` names ``categories`` and imports this module only when it runs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import click

from bot.cli_acting import acting_as, run_as
from bot.cli_core import Cli, pass_cli
from models.enums import Tier
from services.admin_access import Operator
from services.administration import Administration
from services.categories import CategoryLine


@click.group("categories")
def categories() -> None:
    """Categories of cases and their deadline tiers (CODE names a category)."""


TIER_CHOICE = click.Choice([t.value for t in Tier])


def _category_line(cli: Cli, c: CategoryLine) -> str:
    return cli.t(
        "admin.cli.category_line",
        code=c.code,
        zh=c.name_zh,
        en=c.name_en,
        tier=cli.t(f"tier.{c.tier}"),
        status=cli.t("admin.cli.offered") if c.active else cli.t("admin.cli.retired"),
        cases=c.cases,
    )


@categories.command("list")
@pass_cli
def categories_list(cli: Cli) -> None:
    """Every category: code, names, tier, whether it is offered, cases filed under it."""
    for c in run_as(cli, None, lambda a, by: a.categories.all(by)):
        click.echo(_category_line(cli, c))


@categories.command("add")
@click.argument("code")
@click.option("--zh", required=True, help="name in Chinese")
@click.option("--en", required=True, help="name in English")
@click.option("--tier", required=True, type=TIER_CHOICE, help="sets the deadlines")
@acting_as
@pass_cli
def categories_add(cli: Cli, code: str, zh: str, en: str, tier: str, as_tg: int | None) -> None:
    """Add a category residents can file under."""
    c = run_as(cli, as_tg, lambda a, by: a.categories.add(by, code, zh, en, tier))
    click.echo(_category_line(cli, c))


def _on_category(
    name: str, help_: str, call: Callable[[Administration, Operator, int], Awaitable[CategoryLine]]
) -> click.Command:
    @click.command(name, help=help_)
    @click.argument("code")
    @acting_as
    @pass_cli
    def command(cli: Cli, code: str, as_tg: int | None) -> None:
        async def go(a: Administration, by: Operator) -> CategoryLine:
            return await call(a, by, (await a.categories.by_code(by, code)).id)

        click.echo(_category_line(cli, run_as(cli, as_tg, go)))

    return command


categories.add_command(
    _on_category(
        "retire",
        "No longer offer CODE when filing (cases filed under it keep it).",
        lambda a, by, c: a.categories.retire(by, c),
    )
)
categories.add_command(
    _on_category(
        "restore", "Offer a retired CODE again.", lambda a, by, c: a.categories.restore(by, c)
    )
)


@categories.command("rename")
@click.argument("code")
@click.option("--zh", required=True, help="new name in Chinese")
@click.option("--en", required=True, help="new name in English")
@acting_as
@pass_cli
def categories_rename(cli: Cli, code: str, zh: str, en: str, as_tg: int | None) -> None:
    """Rename a category in both languages (its cases show the new names too)."""

    async def go(a: Administration, by: Operator) -> CategoryLine:
        return await a.categories.rename(by, (await a.categories.by_code(by, code)).id, zh, en)

    click.echo(_category_line(cli, run_as(cli, as_tg, go)))


@categories.command("tier")
@click.argument("code")
@click.argument("tier", type=TIER_CHOICE)
@acting_as
@pass_cli
def categories_tier(cli: Cli, code: str, tier: str, as_tg: int | None) -> None:
    """Set the priority tier of a category (the deadlines of cases filed from now on)."""

    async def go(a: Administration, by: Operator) -> CategoryLine:
        return await a.categories.set_tier(by, (await a.categories.by_code(by, code)).id, tier)

    click.echo(_category_line(cli, run_as(cli, as_tg, go)))
