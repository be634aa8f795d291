"""SQLAlchemy engines for SQLite and PostgreSQL, configured the way the store relies on.

SQLite: WAL journal (readers never block the writer), foreign keys on, a 30 s busy timeout, and
transactions begun by us rather than by the sqlite3 module: ``BEGIN IMMEDIATE`` for writes, so
two processes writing the same deal queue on the database lock instead of failing half-way, and
plain ``BEGIN`` for reads. PostgreSQL: psycopg 3, pre-ping so a restarted server is survived;
writes that read-modify-write a row take ``SELECT ... FOR UPDATE``. A server that takes connections
but never answers (or a pool whose connections are all stuck) is given up on within Slack's 3-s ack
budget: `CONNECT_TIMEOUT_S` to connect, `POOL_TIMEOUT_S` to wait for a pooled connection; the store
turns either failure into DatabaseUnavailable, so the asker hears one plain line instead of nothing.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from salesrl.bot.store.errors import DatabaseUnavailable, InvalidValue

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Execution option on a connection that is about to write: SQLite then takes the write lock at BEGIN.
WRITE_OPTION = "salesrl_write"
# pg_advisory_xact_lock key held while migrating, so two `salesrl db upgrade` runs take turns.
MIGRATION_LOCK_KEY = 0x5A1E5_0001
# SQLAlchemy puts a failed statement's parameters (transcript text, questions) into its exceptions'
# messages, which tracebacks then carry into the log: every engine of the store leaves them out.
HIDE_PARAMETERS = {"hide_parameters": True}
# PostgreSQL: libpq (and psycopg) wait for ever for a server that accepts and never answers. Two
# seconds is libpq's shortest connect timeout, and leaves time to answer Slack within its three.
CONNECT_TIMEOUT_S = 2
POOL_TIMEOUT_S = 2.0  # waiting for one of the pool's connections when all are in use
POOL_SIZE, MAX_OVERFLOW = 5, 10  # connections kept, and opened beyond them at busy times (SQLAlchemy's defaults)


def describe_url(url: str) -> str:
    """The URL with any password hidden, safe to print and log."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def make_engine(url: str) -> Engine:
    """An engine for `url` with SalesRL's connection settings; raises DatabaseUnavailable on a bad URL."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InvalidValue(
            "SALESRL_DATABASE_URL is not a database URL; expected e.g. sqlite:///path/salesrl.db "
            "or postgresql+psycopg://user@host/db"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed)
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3 is what we ship
        try:
            return sa.create_engine(parsed, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW,
                                    pool_timeout=POOL_TIMEOUT_S, **HIDE_PARAMETERS,
                                    connect_args={"connect_timeout": CONNECT_TIMEOUT_S})
        except NoSuchModuleError:
            raise DatabaseUnavailable(
                f"no driver for {parsed.drivername}; use postgresql+psycopg:// (psycopg 3)"
            ) from None
    raise InvalidValue(f"unsupported database {backend!r}; SalesRL runs on SQLite and PostgreSQL")


def _sqlite_engine(url: sa.URL) -> Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        path = Path(database).expanduser()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise DatabaseUnavailable(f"cannot create the directory {path.parent} ({e.strerror})") from None
        url = url.set(database=str(path))
    if database in ("", ":memory:"):
        # One in-memory database shared by every connection (tests, one thread); a file is
        # needed for anything else.
        engine = sa.create_engine(
            url, poolclass=sa.pool.StaticPool, connect_args={"check_same_thread": False}, **HIDE_PARAMETERS
        )
    else:
        engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **HIDE_PARAMETERS)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We emit BEGIN ourselves (see _on_begin); the sqlite3 module must not.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys = ON")
            _use_wal(cursor)
            # In WAL mode NORMAL never corrupts the database and keeps every transaction atomic;
            # only the last commits before a power loss (not a process crash) may be lost.
            cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        if conn.get_execution_options().get(WRITE_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")

    return engine


def _use_wal(cursor: Any) -> None:
    """Switch the file to the WAL journal unless it is already there. The switch needs exclusive access, and
    while another connection holds the write lock SQLite fails it at once with "database is locked", without
    running the busy handler (tests/bot/test_store_migrations.py reproduces it; a CI run saw one of four threads
    opening a fresh file fail so). It is retried here within the busy timeout. Reading the mode first means a
    file already in WAL mode, every open after the first, takes no such lock."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    delay = 0.005
    while True:
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


def lock_for_migration(conn: sa.Connection) -> None:
    """Serialise schema migrations across processes (PostgreSQL; SQLite's BEGIN IMMEDIATE already does)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
