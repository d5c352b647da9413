"""``cpbot wechat``: the WeChat Official Account's settings that live on WeChat's side."""

from __future__ import annotations

import click

from bot.cli_core import Cli, pass_cli


@click.group()
def wechat() -> None:
    """The WeChat channel (CPBOT_WECHAT_* settings)."""


@wechat.command("menu")
@pass_cli
def menu(cli: Cli) -> None:
    """Set the account's menu: new case, my cases, and more (point, notices, tip-offs, consult)."""
    if not cli.settings.wechat_enabled:
        raise click.ClickException(cli.t("cli.wechat_off"))
    from bot.factory import wechat_channel
    from services.app import Services
    from wechat.api import WeChatApiError

    async def go(s: Services) -> None:
        channel = wechat_channel(cli.settings, s, None)
        assert channel is not None
        try:
            await channel.api.set_menu(channel.menu())
        finally:
            await channel.close()

    try:
        cli.run(go)
    except WeChatApiError as exc:
        raise click.ClickException(cli.t("cli.wechat_refused", code=exc.code)) from None
    click.echo(cli.t("cli.wechat_menu_set"))
