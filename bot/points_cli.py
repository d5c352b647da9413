"""``cpbot points``: import, list, add, edit, (de)activate contact points and print posters."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.admin_cli import register_points
from bot.cli_core import Cli, pass_cli

if TYPE_CHECKING:
    from services.app import Services


@click.group()
def points() -> None:
    """Contact points: import, list, add, edit, posters."""


@points.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_cli
def points_import(cli: Cli, file: Path) -> None:
    """Import or update contact points from FILE, a UTF-8 CSV file with a header row.

    Columns: code,name,region,address,lat,lon and optionally tz (an IANA time zone; default
    Asia/Shanghai). lat and lon are decimal degrees and may be left empty. Rows are matched
    by code: a known code is updated, a new one added. A file with any bad row imports
    nothing and every problem is listed. For example:

    \b
        code,name,region,address,lat,lon,tz
        XH01,新华社区联系点,芜湖市/镜湖区,新华路12号,31.3336,118.3760,Asia/Shanghai
        JH02,吉和街道联系点,芜湖市/镜湖区,吉和北路8号,,,
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
    """List contact points: code, name, region, location, time zone (tab-separated)."""
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
@click.option(
    "--wechat",
    is_flag=True,
    help="the WeChat account's QR code for the point instead of Telegram's (CPBOT_WECHAT_*)",
)
@pass_cli
def points_qr(cli: Cli, code: str, out: Path | None, wechat: bool) -> None:
    """Write a printable registration poster with the point's QR code.

    CODE is a contact point's code, e.g. `cpbot points qr XH01 --out xh01.png`;
    with --wechat, scanning it follows the WeChat account and sets the point.
    """
    if wechat and not cli.settings.wechat_enabled:
        raise click.ClickException(cli.t("cli.wechat_off"))

    async def make(s: Services) -> tuple[bytes, str]:
        point = await s.points.by_code(code)
        if not wechat:
            return await s.points.poster(point), s.points.registration_link(point.code)
        from bot.factory import wechat_channel

        channel = wechat_channel(cli.settings, s, None)
        assert channel is not None
        try:
            link = await channel.point_qr(point.code)
        finally:
            await channel.close()
        return await s.points.poster(point, link), link

    png, link = cli.run(make, needs_username=not wechat)
    target = out or Path(f"poster-{code}.png")
    target.write_bytes(png)
    click.echo(cli.t("cli.poster_written", file=str(target), link=link))


register_points(points)
