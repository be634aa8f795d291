"""`salesrl forget`: delete one of the command line's deals and everything saved about it."""

from __future__ import annotations

import typer

from salesrl.bot.cli_app import app
from salesrl.bot.store import LOCAL_WORKSPACE, Store


@app.command("forget")
def forget_command(
    name: str = typer.Argument(..., help="The deal's name."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Delete a deal and everything saved about it."""
    if not yes and not typer.confirm(f"Delete deal {name!r} with all its calls and scores?"):
        raise typer.Exit(1)
    with Store.open() as store:
        calls = store.deals.forget(LOCAL_WORKSPACE, name)
    typer.echo(f"deleted {name!r} and its {calls} call{'s' if calls != 1 else ''}")
