"""Shared fixtures. Database fixtures: every storage test runs on SQLite and on a real PostgreSQL.

PostgreSQL comes from SALESRL_TEST_POSTGRES_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/test). Each test session works in its own schema,
salesrl_test_<pid>_<random>, migrated once and dropped at the end, so parallel runs never collide;
tables are emptied between tests. When no server answers, the PostgreSQL variants are skipped
(a laptop without PostgreSQL still passes) unless SALESRL_REQUIRE_POSTGRES=1, as set by .ci/run,
which turns that skip into a failure.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path
from typing import Callable, Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from salesrl.agent.types import ScorePoint, ScoreResult, Tip, Transcript, Turn

DEFAULT_TEST_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

def postgres_required() -> bool:
    return os.environ.get("SALESRL_REQUIRE_POSTGRES", "").strip().lower() in ("1", "true", "yes")


def url_with_schema(url: str, schema: str) -> str:
    """The URL with every connection's search_path set to `schema` (libpq `options`)."""
    parsed = make_url(url)
    return parsed.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """The URL of a reachable PostgreSQL server, or a skip (a failure when it is required)."""
    url = os.environ.get("SALESRL_TEST_POSTGRES_URL") or DEFAULT_TEST_POSTGRES_URL
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3}, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as e:  # any failure to connect means "no server here"
        reason = f"PostgreSQL not reachable at {make_url(url).render_as_string()}: {str(e).splitlines()[0]}"
        if postgres_required():
            pytest.fail(f"{reason} (SALESRL_REQUIRE_POSTGRES=1)", pytrace=False)
        pytest.skip(reason)
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="session")
def postgres_schema_factory(postgres_server_url: str) -> Iterator[Callable[[], str]]:
    """Makes fresh, empty schemas (URLs pointing at them); drops them all at the end."""
    made: list[str] = []

    def make() -> str:
        schema = f"salesrl_test_{os.getpid()}_{secrets.token_hex(4)}"
        engine = sa.create_engine(postgres_server_url, poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        engine.dispose()
        made.append(schema)
        return url_with_schema(postgres_server_url, schema)

    yield make
    engine = sa.create_engine(postgres_server_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for schema in made:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_url(postgres_schema_factory: Callable[[], str]) -> str:
    """The session's PostgreSQL schema, migrated to the latest revision."""
    from salesrl.bot.store.engine import make_engine
    from salesrl.bot.store.schema import upgrade

    url = postgres_schema_factory()
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return url


def _empty_postgres(url: str) -> None:
    """Every SalesRL table emptied and its ids starting at 1 again. DELETE and setval rather than
    TRUNCATE ... RESTART IDENTITY: on tables of a few rows they take 0.03 s, TRUNCATE 0.1 s (it
    replaces each table's files), and the PostgreSQL variant of every storage test pays it."""
    from salesrl.bot.store.tables import metadata

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):  # a table before those it references
            conn.execute(table.delete())
        conn.exec_driver_sql("SELECT setval(quote_ident(schemaname) || '.' || quote_ident(sequencename), 1, false)"
                             " FROM pg_sequences WHERE schemaname = current_schema()")
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_url_in(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], str]:
    """sqlite_url_in(folder): the URL of folder/salesrl.db, made there, if it is not there yet, as a
    copy of a file migrated once for the session: what a new file is after its first open (which
    tests/bot/test_store_migrations.py checks), without running the migrations again for every test."""
    from salesrl.bot.store import Store

    migrated = tmp_path_factory.mktemp("migrated-sqlite") / "salesrl.db"
    Store.open(f"sqlite:///{migrated}").close()

    def url_in(folder: Path) -> str:
        path = folder / "salesrl.db"
        if not path.exists():  # already there: another bot or store of the same test is using it
            shutil.copyfile(migrated, path)
        return f"sqlite:///{path}"

    return url_in


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a fresh, migrated SQLite file, or the session's PostgreSQL schema,
    migrated and emptied."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url_in")(tmp_path)
    url = request.getfixturevalue("postgres_url")
    _empty_postgres(url)
    return url


@pytest.fixture
def store(database_url: str):  # type: ignore[no-untyped-def]
    from salesrl.bot.store import Store

    s = Store.open(database_url)
    yield s
    s.close()


def make_score_result(
    probabilities: list[float] | tuple[float, ...] = (0.4, 0.5, 0.6),
    *,
    tips: tuple[Tip, ...] = (Tip(kind="next_best_action", turn=None, text="Propose a pilot with a date."),),
    texts: list[str] | None = None,
    notes: tuple[int, ...] = (),
    model_id: str = "test-model",
    status: str = "toss-up",
) -> ScoreResult:
    """A ScoreResult made by hand: turns alternate rep/prospect, one point per turn."""
    turns = []
    points = []
    for i, p in enumerate(probabilities):
        role = "rep" if i % 2 == 0 else "prospect"
        speaker = "Ana" if role == "rep" else "Ben"
        text = texts[i] if texts else f"{speaker} says thing number {i}."
        turns.append(Turn(speaker=speaker, role=role, text=text, start=float(i * 10), is_note=i in notes))
        points.append(
            ScorePoint(
                index=i, speaker=speaker, role=role, text=text, probability=p, uncertainty=0.05,
                in_distribution=0.9, action_values=tuple(0.1 * k for k in range(9)),
            )
        )
    return ScoreResult(
        transcript=Transcript(turns=tuple(turns), format="plain", roles_decided_by="names given with --rep"),
        points=tuple(points),
        tips=tips,
        model={"id": model_id},
        status=status,
    )


@pytest.fixture
def score_result() -> Callable[..., ScoreResult]:
    """`score_result([0.3, 0.5, 0.7], tips=...)` builds a ScoreResult by hand."""
    return make_score_result
