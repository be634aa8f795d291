"""`salesrl db upgrade` and `salesrl db purge`: the database's schema and its retention."""

from __future__ import annotations

from typing import Optional

import typer

from salesrl.bot.cli_app import app, fail
from salesrl.bot.settings import get_settings
from salesrl.bot.store import Store
from salesrl.bot.store.engine import describe_url, make_engine
from salesrl.bot.store.schema import upgrade

db_app = typer.Typer(help="The database that keeps scored calls, deals and outcomes.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema (needed once for PostgreSQL, and after upgrades)."""
    url = get_settings().effective_database_url()
    engine = make_engine(url)
    try:
        before, after = upgrade(engine)
    finally:
        engine.dispose()
    where = describe_url(url)
    if before == after:
        typer.echo(f"{where} is up to date (schema revision {after})")
    else:
        typer.echo(f"{where} migrated from {before or 'an empty database'} to schema revision {after}")


@db_app.command("purge")
def db_purge(
    older_than_days: Optional[int] = typer.Option(
        None, "--older-than-days", min=0, help="Default: SALESRL_RETENTION_DAYS."
    ),
) -> None:
    """Delete transcript texts older than the retention period, in every workspace; scores stay."""
    days = older_than_days if older_than_days is not None else get_settings().retention_days
    if days is None:
        fail("give --older-than-days N or set SALESRL_RETENTION_DAYS")
    assert days is not None
    with Store.open() as store:
        purged = store.retention.purge_transcripts(days)
    typer.echo(f"deleted the transcripts of {purged} call{'s' if purged != 1 else ''} older than {days} days")
