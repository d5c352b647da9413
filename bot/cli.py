"""``cpbot``: run the bot, migrate, manage contact points, staff and invites, start the demo.

Every command lives in a module of its own and is imported only when it runs (``LazyGroup``),
so ``cpbot --help`` and the office commands never import aiogram. **Adding a command** is one
line in ``COMMANDS`` below: its name, ``"module:attribute"`` of the click command or group, and
the one-line help ``cpbot --help`` shows. Command modules import ``bot.cli_core`` (``Cli``,
``pass_cli``), never this module; anything heavy is imported inside the command's body.

Everything printed for administrators comes from the catalogs, in the default locale (or the
one ``LANG`` names); errors go to stderr with a non-zero exit.
"""

from __future__ import annotations

import gc
import sys
from typing import Any

import click

from bot.cli_core import Lazy, LazyGroup, pass_cli

__all__ = ["COMMANDS", "entry", "main", "pass_cli"]

COMMANDS: dict[str, Lazy] = {
    "run": Lazy("bot.run_cli:run", "Run the bot with long polling (one process)."),
    "webhook": Lazy("bot.run_cli:webhook", "Take updates by webhook, answering after handling."),
    "worker": Lazy("bot.run_cli:worker", "Send the outbox and run the scheduler (no intake)."),
    "set-webhook": Lazy("bot.run_cli:set_webhook", "Tell Telegram where to post updates."),
    "migrate": Lazy("bot.run_cli:migrate", "Bring the database up to date."),
    "demo": Lazy("bot.run_cli:demo", "Start the emulators, the bot and a chat page to try it."),
    "points": Lazy("bot.points_cli:points", "Contact points: import, list, add, edit, posters."),
    "staff": Lazy("bot.admin_cli:staff", "Staff: list, invite, assign, suspend, remove."),
    "categories": Lazy(
        "bot.categories_cli:categories", "Case categories: list, add, rename, tier."
    ),
    "outbox": Lazy("bot.outbox_cli:outbox", "Undelivered messages and people who blocked the bot."),
    "invite": Lazy("bot.office_cli:invite", "Print a single-use invitation link for staff."),
    "audit": Lazy("bot.office_cli:audit", "The audit log of privileged actions (export)."),
    "keygen": Lazy("bot.office_cli:keygen", "Print a new key for CPBOT_TIPOFF_KEY."),
    "notices": Lazy("bot.notices_cli:notices", "Policy notices: send from a file, list, cancel."),
    "consult": Lazy("bot.consult_cli:consult", "Consultations: send from a file, results, close."),
    "report": Lazy("bot.report_cli:report", "Monthly report: charts and a workbook for a month."),
    "wechat": Lazy("bot.wechat_cli:wechat", "WeChat channel: set the account's menu."),
    "visits": Lazy(
        "bot.visits_cli:visits", "Visit rules: show or set visits a month, days a year."
    ),
}


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Contact Point Bot: residents reach the cadre of their contact point.

    Settings come from CPBOT_* environment variables or a .env file (see README.md);
    `cpbot COMMAND --help` says what each command reads, with an example.
    """


def entry(argv: list[str] | None = None) -> Any:
    """The ``cpbot`` script. When the command is done, so is the process: ``gc.freeze()``
    spares the interpreter's last collection a walk over every object the command loaded
    (0.1–0.15 s of an office command's exit). Only here: ``main`` also runs inside other
    programs (a test's ``CliRunner``), whose heap must not be frozen."""
    try:
        return main.main(args=argv, prog_name="cpbot")
    finally:
        gc.freeze()


if __name__ == "__main__":
    sys.exit(entry())
