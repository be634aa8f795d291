"""The database behind the repositories: its engine and its transactions.

    db = Database(make_engine(url))
    with db.writing() as s:     # one write transaction; commits on leaving, rolls back on an error
        ...
    with db.reading() as s:     # reads; never takes the write lock
        ...

Locking, as the repositories rely on it:

* SQLite (bot.store.engine): a write transaction begins with ``BEGIN IMMEDIATE``, so writers take the
  database's one write lock at their first statement and run one at a time (waiting up to the 30-s busy
  timeout); a read transaction begins with plain ``BEGIN`` and, in WAL mode, never blocks nor is blocked.
  ``SELECT ... FOR UPDATE`` is ignored by SQLite: the write lock already serialises read-modify-write.
* PostgreSQL: transactions are READ COMMITTED. A read-modify-write of one row locks it first with
  ``SELECT ... FOR UPDATE`` (or ``FOR NO KEY UPDATE``, `with_for_update(key_share=True)`, where rows
  pointing at it may still be inserted meanwhile). Claims and event ids rely on unique constraints
  (``INSERT ... ON CONFLICT DO NOTHING``) or on one conditional UPDATE whose WHERE clause holds the
  condition, so two processes never both win.
* Either way, a database that cannot be reached, or a pool with no free connection within its timeout,
  raises DatabaseUnavailable with one plain line; the details go to the log.

Objects handed out are detached: sessions use ``expire_on_commit=False`` and nothing is lazily loaded.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Any, Iterator

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from salesrl.bot.store.engine import WRITE_OPTION, describe_url
from salesrl.bot.store.errors import DatabaseUnavailable, InvalidValue
from salesrl.bot.store.tables import WORKSPACES, utcnow

log = logging.getLogger(__name__)

DATABASE_UNAVAILABLE = "SalesRL's database is unavailable; please try again in a minute."


class Database:
    """An engine and its transactions (see the module docstring for the locking rules)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._write_engine = engine.execution_options(**{WRITE_OPTION: True})

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def url(self) -> str:
        """The database URL with any password hidden."""
        return describe_url(str(self.engine.url))

    @contextmanager
    def writing(self) -> Iterator[Session]:
        try:
            with Session(self._write_engine, expire_on_commit=False) as session, session.begin():
                yield session
        except (sa.exc.OperationalError, sa.exc.TimeoutError) as e:  # TimeoutError: no pooled connection came
            raise self._unavailable(e) from e

    @contextmanager
    def reading(self) -> Iterator[Session]:
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                yield session
        except (sa.exc.OperationalError, sa.exc.TimeoutError) as e:
            raise self._unavailable(e) from e

    def _unavailable(self, error: sa.exc.SQLAlchemyError) -> DatabaseUnavailable:
        """The error users see says only that the database is unavailable: its address, user and
        the driver's words (which name the host) go to the log, the password hidden."""
        log.warning("database error on %s: %s", self.url, first_line(error))
        return DatabaseUnavailable(DATABASE_UNAVAILABLE)

    def insert(self, table: sa.Table) -> Any:
        """An INSERT that can take ON CONFLICT clauses on both backends."""
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    def ensure_workspace_row(self, session: Session, workspace_id: str) -> None:
        """The workspace's row, which every other row of it points at (created on first use)."""
        session.execute(
            self.insert(WORKSPACES)
            .values(id=workspace_id, name=None, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["id"])
        )


def check_workspace(workspace_id: str) -> None:
    if not isinstance(workspace_id, str) or not workspace_id or len(workspace_id) > 64:
        raise InvalidValue("a workspace id (the Slack team id, or 'local') is required")


def first_line(error: Exception) -> str:
    orig = getattr(error, "orig", None) or error
    text = str(orig).strip()
    return text.splitlines()[0] if text else type(orig).__name__
