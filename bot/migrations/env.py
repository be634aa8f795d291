"""Alembic environment of SalesRL.

Run from code (`salesrl db upgrade`, automatic SQLite upgrade): bot.store.schema passes a
connection already inside a write transaction. Run by hand, e.g. to write a new migration:

    .venv/bin/alembic -c bot/migrations/alembic.ini revision --autogenerate -m "what changed"

the database is SALESRL_DATABASE_URL (or the default SQLite file).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from salesrl.bot.settings import get_settings
from salesrl.bot.store.engine import WRITE_OPTION, lock_for_migration, make_engine
from salesrl.bot.store.schema import only_salesrl_tables
from salesrl.bot.store.tables import metadata

config = context.config
target_metadata = metadata


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        include_name=only_salesrl_tables,
        **kwargs,
    )


def run_migrations_offline() -> None:
    url = config.get_main_option("sqlalchemy.url") or get_settings().effective_database_url()
    _configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    _configure(connection=connection, render_as_batch=sqlite, transactional_ddl=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or get_settings().effective_database_url()
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            connection.execution_options(**{WRITE_OPTION: True})
            with connection.begin():
                lock_for_migration(connection)
                _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
