"""``cpbot consult``: start a consultation from a file, read its results, export them, close it
with the outcome. ``bot/cli.py`` names ``consult``
(built here from ``bot.cli_core.pass_cli``) and imports this module only when the command runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from services.app import Services
from services.consultations import Form, Preview

if TYPE_CHECKING:
    from bot.notices_cli import CliLike, Decorator

FORMAT = """\b
A consultation file is TOML, for example:

  title = { zh_Hans = "新华街专项资金怎么用", en = "How to spend the Xinhua Street fund" }
  intro = { zh_Hans = "我们有**20万元**……", en = "We have **200,000 yuan**…" }
  opens = "2026-03-01 09:00"      # optional; default: at once (the point's time zone)
  closes = "2026-03-20 18:00"     # the deadline; at most 90 days ahead
  anonymous = false               # true: answers kept with no link to anyone
  points = ["XH01"]               # or regions = ["Jinghu"]; neither: your whole area

  [[questions]]
  kind = "single"                 # single, multiple, scale (1-5), number, text
  required = true
  text = { zh_Hans = "先做什么？", en = "What first?" }
  options = { zh_Hans = ["路灯", "长椅"], en = ["Lamps", "Benches"] }

A plain string instead of { … } is in the bot's language (or `language = "en"`).
The introduction is Markdown like a notice file. See docs/consultations.md.
"""


def _read(cli: CliLike, file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise click.ClickException(cli.t("cli.not_utf8", file=file.name)) from None


def consult_group(pass_cli: Decorator) -> click.Group:
    @click.group(
        "consult",
        help="Consultations and surveys (征求意见): send, results, export, close.\n\n" + FORMAT,
    )
    def consult() -> None:
        pass

    @consult.command("send", help="Start the consultation in FILE.\n\n" + FORMAT)
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--author", type=int, help="Telegram id of the cadre or administrator who asks")
    @click.option("--yes", is_flag=True, help="send without asking for confirmation")
    @pass_cli
    def send(cli: CliLike, file: Path, author: int | None, yes: bool) -> None:
        source = _read(cli, file)

        async def plan(s: Services) -> tuple[int | None, Form, Preview]:
            user_id = await s.notices.author_of_tg(author) if author is not None else None
            form = await s.consultations.read_form(user_id, source)
            preview = await s.consultations.preview(user_id, form, cli.settings.default_locale)
            return user_id, form, preview

        user_id, form, preview = cli.run(plan)
        privacy = "consult.preview_anonymous" if preview.anonymous else "consult.preview_named"
        click.echo(
            cli.t(
                "consult.cli_preview",
                points=preview.points,
                residents=preview.residents,
                questions=len(form.questions),
                privacy=cli.t(privacy),
            )
        )
        if not yes:
            click.confirm(cli.t("notices.cli_confirm"), abort=True)
        cid = cli.run(lambda s: s.consultations.create(user_id, form), needs_username=True)
        click.echo(cli.t("consult.cli_created", id=cid))

    @consult.command("results")
    @click.argument("consultation_id", type=int)
    @pass_cli
    def results(cli: CliLike, consultation_id: int) -> None:
        """Counts, percentages and free-text themes of consultation CONSULTATION_ID."""
        locale = cli.settings.default_locale
        text = cli.run(lambda s: s.consultations.results(None, consultation_id, locale))
        click.echo(text)

    @consult.command("export")
    @click.argument("consultation_id", type=int)
    @click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
    @pass_cli
    def export(cli: CliLike, consultation_id: int, out: Path) -> None:
        """Write the answers to OUT (XLSX), one row per submission, e.g. `export 3 fund.xlsx`."""
        locale = cli.settings.default_locale
        data = cli.run(lambda s: s.consultations.export(None, consultation_id, locale))
        out.write_bytes(data)
        click.echo(cli.t("consult.cli_exported", id=consultation_id, file=out.name))

    @consult.command("close")
    @click.argument("consultation_id", type=int)
    @click.argument("outcome", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--adopted", type=int, required=True, help="how many opinions were adopted")
    @pass_cli
    def close(cli: CliLike, consultation_id: int, outcome: Path, adopted: int) -> None:
        """Close it and send OUTCOME (a Markdown file, like a notice: `<!-- lang: en -->`
        sections) to everyone who answered, e.g. `close 3 outcome.md --adopted 12`."""
        from services.notices import parse_notice_file

        texts = parse_notice_file(_read(cli, outcome), cli.settings.default_locale)
        cli.run(
            lambda s: s.consultations.close(None, consultation_id, texts, adopted),
            needs_username=True,
        )
        click.echo(cli.t("consult.cli_closed", id=consultation_id))

    return consult


def _consult() -> click.Group:
    from bot.cli_core import pass_cli

    return consult_group(pass_cli)


consult = _consult()
