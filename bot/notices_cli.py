"""``cpbot notices``: send a policy notice from a file, list notices, cancel one.

``bot/cli.py`` names ``notices`` (this module's group, built by ``notices_group`` from
``bot.cli_core.pass_cli``) and imports this module only when the command runs.

A notice file is Markdown (headings, **bold**, *italic*, ~~strike~~, `code`, [links](https://…),
bullet lists). Language variants are sections started by ``<!-- lang: en -->`` lines; text before
the first one is in ``--lang`` (default: the bot's language)::

    # 关于春节期间供水安排的通知
    2月10日至12日，**新华路**一带停水……
    <!-- lang: en -->
    # Water supply over the Spring Festival
    From 10 to 12 February the **Xinhua Road** area has no water…
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

import click

from services.app import Services
from services.errors import Refusal
from services.notices import (
    SCHEDULED,
    Audience,
    Estimate,
    NoticeDraft,
    parse_notice_file,
)
from services.texts import Translator

T = TypeVar("T")
Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


class CliLike(Protocol):
    """What the main CLI hands to each command (``bot.cli.Cli``)."""

    t: Translator

    @property
    def settings(self) -> Any: ...

    def run(
        self, factory: Callable[[Services], Awaitable[T]], *, needs_username: bool = False
    ) -> T: ...


def parse_audience(spec: str) -> Audience:
    """``all``, ``region:Jinghu,Yijiang`` or ``point:XH01,JH02``."""
    kind, _, values = spec.strip().partition(":")
    names = tuple(v.strip() for v in values.split(",") if v.strip())
    kind = kind.strip().lower()
    if kind == "all" and not names:
        return Audience("all")
    if kind in ("region", "regions") and names:
        return Audience("regions", regions=names)
    if kind in ("point", "points") and names:
        return Audience("points", point_codes=names)
    raise ValueError(spec)


def notices_group(pass_cli: Decorator) -> click.Group:
    @click.group("notices")
    def notices() -> None:
        """Policy notices (政策通知): send from a file, list, cancel.

        A notice file is UTF-8 Markdown: # headings, **bold**, *italic*, ~~strike~~, `code`,
        [links](https://…) and "- " bullet lists are kept.
        Each language is a section started by a line <!-- lang: xx --> (zh_Hans or en); text
        before the first such line is in --lang (default: the bot's language). Residents get
        their own language, or the first one given. For example, notice.md:

        \b
            # 关于春节期间供水安排的通知
            2月10日至12日，**新华路**一带停水。
            <!-- lang: en -->
            # Water supply over the Spring Festival
            From 10 to 12 February the **Xinhua Road** area has no water.

        and then: cpbot notices send notice.md --audience point:XH01 --at "2026-02-09 09:00"
        """

    @notices.command("send")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option(
        "--audience",
        default="all",
        show_default=True,
        help="all, region:NAME[,NAME…] or point:CODE[,CODE…]",
    )
    @click.option("--lang", help="language of the text before any <!-- lang: xx --> line")
    @click.option(
        "--at", "at", help="local time to send it, e.g. '2026-03-05 09:00' (default: now)"
    )
    @click.option(
        "--author",
        type=int,
        help="Telegram id of the cadre or administrator who signs it and follows its progress",
    )
    @click.option("--yes", is_flag=True, help="send without asking for confirmation")
    @pass_cli
    def send(
        cli: CliLike,
        file: Path,
        audience: str,
        lang: str | None,
        at: str | None,
        author: int | None,
        yes: bool,
    ) -> None:
        """Send the notice in FILE (UTF-8 Markdown) to residents: shows who it reaches and asks
        before it goes. The file's format, with an example: `cpbot notices --help`.

        \b
        For example:
            cpbot notices send notice.md
            cpbot notices send notice.md --audience region:芜湖市/镜湖区 --lang zh_Hans
            cpbot notices send notice.md --audience point:XH01,JH02 --at "2026-03-05 09:00" --yes
        """
        t = cli.t
        try:
            source = file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise click.ClickException(t("cli.not_utf8", file=file.name)) from None
        try:
            chosen = parse_audience(audience)
        except ValueError:
            raise click.BadParameter(
                t("notices.cli_bad_audience"), param_hint="--audience"
            ) from None
        fallback = lang or cli.settings.default_locale
        try:
            texts = parse_notice_file(source, fallback)
        except Refusal as exc:
            raise click.ClickException(t(exc.key, **exc.params)) from None
        if fallback not in texts:
            fallback = next(iter(texts))

        async def plan(s: Services) -> tuple[int | None, Estimate, datetime | None]:
            user_id = await s.notices.author_of_tg(author) if author is not None else None
            estimate = await s.notices.estimate(user_id, chosen)
            send_at = s.notices.when(at, estimate.tz) if at else None
            s.notices.check_draft(NoticeDraft(texts, fallback, chosen, send_at=send_at))
            return user_id, estimate, send_at

        user_id, estimate, send_at = cli.run(plan)
        click.echo(
            t(
                "notices.cli_preview",
                points=estimate.points,
                residents=estimate.residents - estimate.unreachable,
                unreachable=estimate.unreachable,
                groups=estimate.groups,
                languages=", ".join(sorted(texts)),
                when=send_at.strftime("%Y-%m-%d %H:%M UTC") if send_at else t("notices.when_now"),
            )
        )
        if not yes:
            click.confirm(t("notices.cli_confirm"), abort=True)
        draft = NoticeDraft(texts, fallback, chosen, send_at=send_at)
        created = cli.run(lambda s: s.notices.create(user_id, draft), needs_username=True)
        key = "notices.cli_scheduled" if created.status == SCHEDULED else "notices.cli_created"
        click.echo(t(key, id=created.notice_id))

    @notices.command("list")
    @click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500))
    @pass_cli
    def list_(cli: CliLike, limit: int) -> None:
        """The recent notices with their figures."""
        rows = cli.run(lambda s: s.notices.recent(limit))
        if not rows:
            click.echo(cli.t("notices.cli_none"))
            return
        for line, progress in rows:
            tally = progress.tally
            click.echo(
                cli.t(
                    "notices.cli_line",
                    id=line.id,
                    status=line.status,
                    when=line.when.strftime("%Y-%m-%d %H:%M UTC"),
                    sent=tally.sent,
                    total=progress.total,
                    failed=tally.failed,
                    blocked=tally.blocked,
                    reads=progress.reads,
                    title=line.title,
                )
            )

    @notices.command("cancel")
    @click.argument("notice_id", type=int)
    @pass_cli
    def cancel(cli: CliLike, notice_id: int) -> None:
        """Stop a notice: what has not been sent yet never will be."""
        progress = cli.run(lambda s: s.notices.cancel(None, notice_id))
        click.echo(cli.t("notices.cli_cancelled", id=notice_id, sent=progress.tally.sent))

    return notices


def _notices() -> click.Group:
    from bot.cli_core import pass_cli

    return notices_group(pass_cli)


notices = _notices()
