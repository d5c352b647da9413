"""What the office's commands share: ``--as`` an administrator, and running one use case as
the operator (the office everywhere, or that administrator within their rights)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from bot.cli_core import Cli
from services.admin_access import Operator
from services.administration import Administration
from services.app import Services

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


def acting_as(f: F) -> F:
    return click.option(
        "--as",
        "as_tg",
        type=int,
        metavar="TELEGRAM_ID",
        help="Act as this administrator, within their rights (default: the office, everywhere).",
    )(f)


def office(services: Services) -> Administration:
    return services.admin


def run_as(
    cli: Cli,
    as_tg: int | None,
    use_case: Callable[[Administration, Operator], Awaitable[T]],
    *,
    needs_username: bool = False,
) -> T:
    """Run one use case as the operator (for the administrator ``--as`` names)."""

    async def go(services: Services) -> T:
        admin = office(services)
        return await use_case(admin, await admin.operator(as_tg))

    return cli.run(go, needs_username=needs_username)
