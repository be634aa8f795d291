"""The `salesrl` Typer app that each command module (bot.cli_*) adds its commands to, and `fail`.

Command modules import this; bot.cli imports the command modules and runs the app, so the imports
go one way."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="salesrl",
    help="Score sales conversations turn by turn, train the agent, and run the Slack bot.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def fail(message: str) -> None:
    """Print one clear line on stderr and exit with code 2."""
    typer.echo(f"salesrl: {message}", err=True)
    raise typer.Exit(2)
