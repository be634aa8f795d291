"""The `salesrl` command line. Errors a user can act on print one line on stderr and exit 2."""

from __future__ import annotations

import sys

import typer

from salesrl.agent.errors import SalesRLError
from salesrl.bot.cli_app import app

# Each command module adds its commands to `app` (bot.cli_app) when imported, in this order (--help's).
from salesrl.bot import cli_score  # noqa: F401
from salesrl.bot import cli_train  # noqa: F401
from salesrl.bot import cli_eval  # noqa: F401
from salesrl.bot import cli_deals  # noqa: F401
from salesrl.bot import cli_export  # noqa: F401
from salesrl.bot import cli_forget  # noqa: F401
from salesrl.bot import cli_db  # noqa: F401
from salesrl.bot import cli_synth  # noqa: F401
from salesrl.bot import cli_serve  # noqa: F401
from salesrl.bot import cli_digest  # noqa: F401
from salesrl.bot import cli_ingest  # noqa: F401
from salesrl.bot import cli_crm  # noqa: F401


def main(argv: list[str] | None = None) -> None:
    try:
        app(args=argv, standalone_mode=True)
    except SalesRLError as e:
        typer.echo(f"salesrl: {e}", err=True)
        sys.exit(2)
