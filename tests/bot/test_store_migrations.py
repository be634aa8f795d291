"""Schema changes go through Alembic: a fresh SQLite file is migrated on first use, PostgreSQL
by `salesrl db upgrade`, and the migrations produce exactly the tables the models describe."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from salesrl.bot.cli import main
from salesrl.bot.settings import Settings
from salesrl.bot.store import SchemaOutOfDate, Store
from salesrl.bot.store.engine import make_engine
from salesrl.bot.store.schema import head_revision, only_salesrl_tables, upgrade
from salesrl.bot.store.tables import metadata


def test_a_fresh_sqlite_file_is_migrated_on_first_use(tmp_path):
    path = tmp_path / "nested" / "dir" / "salesrl.db"
    with Store.open(f"sqlite:///{path}") as store:
        store.deals.get_or_create("local", "Acme")
    assert path.exists()
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one() == head_revision()
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    engine.dispose()


def test_switching_to_wal_waits_for_a_writer_that_holds_the_file(tmp_path):
    """SQLite runs no busy handler for the journal-mode switch while another connection holds the write lock: a
    plain switch fails at once. make_engine retries it within the busy timeout, so an open that meets a writer
    (two bot processes starting on a fresh file) waits for it instead of failing."""
    import sqlite3
    import threading
    import time

    path = tmp_path / "fresh.db"
    sqlite3.connect(path).close()
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    plain = sqlite3.connect(path, isolation_level=None, timeout=5)
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        plain.execute("PRAGMA journal_mode = WAL")
    assert time.monotonic() - started < 1.0  # at once, not after the 5 s timeout: the case the retry is for
    plain.close()

    release = threading.Timer(0.5, writer.rollback)
    release.start()
    engine = make_engine(f"sqlite:///{path}")
    started = time.monotonic()
    with engine.connect() as conn:
        waited = time.monotonic() - started
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
    release.join()
    writer.close()
    engine.dispose()
    assert 0.4 < waited < 10


def test_two_processes_opening_a_fresh_sqlite_file_together_both_succeed(tmp_path):
    import threading

    url = f"sqlite:///{tmp_path / 'salesrl.db'}"
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def open_and_use() -> None:
        try:
            barrier.wait(timeout=30)
            with Store.open(url) as store:
                store.events.mark_processed("local", "Ev1")
        except BaseException as e:  # collected and asserted below
            errors.append(e)

    threads = [threading.Thread(target=open_and_use) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_the_default_database_is_a_sqlite_file_in_the_data_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("SALESRL_DATABASE_URL", raising=False)
    monkeypatch.setenv("SALESRL_DATA_DIR", str(tmp_path / "data"))
    with Store.open() as store:
        assert store.dialect == "sqlite"
        store.deals.get_or_create("local", "Acme")
    assert (tmp_path / "data" / "salesrl.db").exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the paths the docs give for Linux")
def test_the_default_data_directory_is_the_documented_one_on_linux(tmp_path, monkeypatch):
    monkeypatch.delenv("SALESRL_DATA_DIR", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    assert Settings().data_dir == Path.home() / ".local" / "share" / "salesrl"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert Settings().data_dir == tmp_path / "salesrl"


def test_models_and_migrations_describe_the_same_schema(database_url):  # migrated by the migrations
    engine = make_engine(database_url)
    with engine.begin() as conn:
        # a table someone else keeps in the same database (like Slack's OAuth stores)
        conn.exec_driver_sql("CREATE TABLE slack_bots_elsewhere (id INTEGER PRIMARY KEY)")
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": only_salesrl_tables}
        )
        diff = compare_metadata(context, metadata)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE slack_bots_elsewhere")
    engine.dispose()
    assert diff == []


@pytest.mark.postgres
def test_postgres_needs_db_upgrade_and_says_so(postgres_schema_factory, monkeypatch, capsys):
    url = postgres_schema_factory()  # an empty schema
    with pytest.raises(SchemaOutOfDate, match="salesrl db upgrade"):
        Store.open(url)

    monkeypatch.setenv("SALESRL_DATABASE_URL", url)
    with pytest.raises(SystemExit) as done:
        main(["db", "upgrade"])
    assert done.value.code in (0, None)
    assert f"schema revision {head_revision()}" in capsys.readouterr().out

    with Store.open(url) as store:
        assert store.dialect == "postgresql"
        store.deals.get_or_create("T1", "Acme")
    # running it again is harmless
    with pytest.raises(SystemExit):
        main(["db", "upgrade"])
    assert "up to date" in capsys.readouterr().out


def test_a_database_from_a_newer_salesrl_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'salesrl.db'}"
    Store.open(url).close()
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'f00dfeed'")
    engine.dispose()
    with pytest.raises(SchemaOutOfDate, match="newer than this SalesRL"):
        Store.open(url)


def test_upgrade_reports_before_and_after(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'salesrl.db'}")
    assert upgrade(engine) == (None, head_revision())
    assert upgrade(engine) == (head_revision(), head_revision())
    engine.dispose()


def test_an_unreachable_database_is_one_clear_error(monkeypatch, capsys):
    monkeypatch.setenv("SALESRL_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(SystemExit) as done:
        main(["deals"])
    assert done.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("salesrl: cannot open the database")


def test_an_unsupported_database_url_is_refused(monkeypatch, capsys):
    monkeypatch.setenv("SALESRL_DATABASE_URL", "mysql://x@y/z")
    with pytest.raises(SystemExit) as done:
        main(["deals"])
    assert done.value.code == 2
    assert "SQLite and PostgreSQL" in capsys.readouterr().err

