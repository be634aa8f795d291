"""`salesrl ingest token create | list | revoke`: the API tokens of `POST /ingest` (bot.ingest)."""

from __future__ import annotations

import typer

from salesrl.bot.cli_app import app, workspace_id
from salesrl.bot.store import Store

ingest_app = typer.Typer(help="Calls sent to POST /ingest by other tools, with a workspace's API token.",
                         no_args_is_help=True)
token_app = typer.Typer(help="API tokens, one workspace each.", no_args_is_help=True)
ingest_app.add_typer(token_app, name="token")
app.add_typer(ingest_app, name="ingest")

WORKSPACE = typer.Option(..., "--workspace", "-w", help="The Slack team id (T...) the calls go to.",
                         callback=workspace_id)


@token_app.command("create")
def create(workspace: str = WORKSPACE,
           label: str = typer.Option("", help="What the token is for, e.g. zapier.")) -> None:
    """Make a token; it is printed once and only its hash is kept."""
    with Store.open() as store:
        record, token = store.ingest_tokens.create(workspace, label)
    typer.echo(token)
    typer.echo(f"token {record.id} for {workspace}: send it as `Authorization: Bearer …` to POST /ingest; "
               "it is not shown again", err=True)


@token_app.command("list")
def list_tokens(workspace: str = WORKSPACE) -> None:
    """The workspace's tokens (never the tokens themselves)."""
    with Store.open() as store:
        tokens = store.ingest_tokens.of_workspace(workspace)
    if not tokens:
        typer.echo(f"No ingest tokens in {workspace}.")
    for t in tokens:
        state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "live"
        typer.echo(f"{t.id}  {t.created_at:%Y-%m-%d}  {state}  {t.label}")


@token_app.command("revoke")
def revoke(token_id: int = typer.Argument(..., help="The token's number, from `salesrl ingest token list`."),
           workspace: str = WORKSPACE) -> None:
    """Stop a token working at once."""
    with Store.open() as store:
        store.ingest_tokens.revoke(workspace, token_id)
    typer.echo(f"token {token_id} of {workspace} revoked")
