"""Alembic migrations applied from code: `salesrl db upgrade`, and the automatic upgrade of SQLite.

The migration scripts live in ``bot/migrations``; no alembic.ini is needed at run time.
"""

from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from bot.store.engine import WRITE_OPTION, describe_url, lock_for_migration
from bot.store.errors import DatabaseUnavailable, SchemaOutOfDate

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "bot/migrations/versions has no migration"
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None for a database SalesRL never migrated."""
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except sa.exc.OperationalError as e:
        raise DatabaseUnavailable(
            f"cannot open the database {describe_url(str(engine.url))}: {_first_line(e)}"
        ) from None


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Apply every pending migration in one transaction; returns (revision before, revision after)."""
    before = current_revision(engine)
    cfg = alembic_config()
    try:
        with engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                lock_for_migration(conn)
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
    except sa.exc.OperationalError as e:
        raise DatabaseUnavailable(
            f"cannot migrate the database {describe_url(str(engine.url))}: {_first_line(e)}"
        ) from None
    after = current_revision(engine)
    if before != after:
        log.info("database %s migrated from %s to %s", describe_url(str(engine.url)), before, after)
    return before, after or head_revision()


def ensure_schema(engine: Engine, *, auto_upgrade: bool) -> None:
    """Make sure the schema is the one this code expects.

    With auto_upgrade (SQLite: one machine, one user) pending migrations are applied; otherwise
    (PostgreSQL, shared by several processes) an out-of-date schema raises SchemaOutOfDate
    telling the user to run `salesrl db upgrade`.
    """
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    script = ScriptDirectory.from_config(alembic_config())
    if current is not None and _unknown(script, current):
        raise SchemaOutOfDate(
            f"the database is at schema revision {current}, newer than this SalesRL knows; "
            "upgrade SalesRL"
        )
    if auto_upgrade:
        upgrade(engine)
        return
    if current is None:
        raise SchemaOutOfDate(
            f"the database {describe_url(str(engine.url))} has no SalesRL tables yet; run `salesrl db upgrade`"
        )
    raise SchemaOutOfDate(
        f"the database schema is at revision {current}, this SalesRL needs {head}; run `salesrl db upgrade`"
    )


def _unknown(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.get_revision(revision) is None
    except Exception:  # alembic raises its own errors for revisions it cannot resolve
        return True


def _first_line(error: Exception) -> str:
    orig = getattr(error, "orig", None) or error
    text = str(orig).strip()
    return text.splitlines()[0] if text else type(orig).__name__
