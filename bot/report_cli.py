"""``cpbot report --month 2026-11 [--region R | --point CODE] --out DIR``: the monthly report
(the charts as PNG files and the workbook) written to a folder, for the office.

``bot/cli.py`` names ``report`` (built here from ``bot.cli_core.pass_cli``) and imports this
module only when the command runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:  # the report's modules (matplotlib, the models) load when it is made
    from bot.notices_cli import CliLike, Decorator
    from services.app import Services
    from services.reports.service import MonthlyReport


def write_report(made: MonthlyReport, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for chart in made.charts:
        path = out / f"{made.file_stem}-{chart.name}.png"
        path.write_bytes(chart.png)
        paths.append(path)
    book = out / f"{made.file_stem}.xlsx"
    book.write_bytes(made.workbook)
    paths.append(book)
    return paths


def report_command(pass_cli: Decorator) -> click.Command:
    @click.command("report")
    @click.option("--month", required=True, help="the month, like 2026-11")
    @click.option("--region", help="one region (and the regions below it)")
    @click.option(
        "--point",
        "points",
        multiple=True,
        help="a contact point, by its code (repeat for several)",
    )
    @click.option(
        "--out",
        "out",
        required=True,
        type=click.Path(file_okay=False, path_type=Path),
        help="folder to write the PNG charts and the XLSX workbook into",
    )
    @pass_cli
    def report(
        cli: CliLike, month: str, region: str | None, points: tuple[str, ...], out: Path
    ) -> None:
        """The monthly report: charts and a workbook with every case of the month, in the
        CLI's language."""
        if region and points:
            raise click.UsageError("--region and --point exclude each other")
        from bot.cli_core import importing
        from services.reports.drawing import ChartDrawing, ForkedDrawer, InThread

        # Forked before the models load: it imports matplotlib on the other core meanwhile.
        forked = ForkedDrawer.start()
        drawing: ChartDrawing = forked or InThread()
        try:
            with importing():  # the workbook and the figures' queries: 0.1 s less
                from services.reports import service, workbook  # noqa: F401

            async def make(services: Services) -> Any:
                return await services.reports.for_office(
                    month, cli.t.locale, region=region, points=points, drawing=drawing
                )

            made: MonthlyReport = cli.run(make)
        finally:
            if forked is not None:
                forked.close()
        for path in write_report(made, out):
            click.echo(cli.t("report.cli.written", path=path))

    return report


def _report() -> click.Command:
    from bot.cli_core import pass_cli

    return report_command(pass_cli)


report = _report()
