"""The `salesrl` command line. Errors a user can act on print one line on stderr and exit 2."""

from __future__ import annotations

import sys

import typer

from salesrl.agent.errors import SalesRLError

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


def main(argv: list[str] | None = None) -> None:
    # Command modules register themselves on `app` when imported.
    from salesrl.bot import cli_commands  # noqa: F401

    try:
        app(args=argv, standalone_mode=True)
    except SalesRLError as e:
        typer.echo(f"salesrl: {e}", err=True)
        sys.exit(2)
