"""SalesRL's history: `Store`, one repository per kind of record over one `Database`.

    with Store.open() as store:           # SALESRL_DATABASE_URL or the SQLite file in the data dir
        deal = store.deals.get_or_create(workspace_id, "Acme")
        call_id = store.calls.save(workspace_id, deal.id, result, "cli", redacted_text)

Rules every repository keeps:

* Every method that touches a workspace's rows takes ``workspace_id`` as its first, required
  argument and filters on it; rows of another workspace are invisible (ids from another
  workspace behave as if they did not exist). The exceptions work across workspaces and return
  only counts (the retention purge, pruning old event ids and request signatures, renewing a
  process's pending calls) or list the workspaces themselves, for the scheduler; the signatures
  of signed requests (`events.first_time_request`) and `ping` belong to no workspace, and an API
  token's lookup (`ingest_tokens.workspace_of`) is how a request names its workspace.
* Each method is one transaction (bot.store.database states the locking rules).
* Values handed out are frozen dataclasses defined beside their repository, never live ORM objects.
* The store does not redact: callers pass text that is already redacted (agent.redact).

Opening: `Store.open()` uses SALESRL_DATABASE_URL or the SQLite file in the data directory. A
SQLite database is migrated automatically (a fresh file on first use, an older one after an
upgrade of SalesRL). A PostgreSQL database, shared by several processes, is migrated only by
`salesrl db upgrade`; until then `Store.open` refuses it with that instruction.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from salesrl.agent.types import ScoreResult
from salesrl.bot.settings import get_settings
from salesrl.bot.store.calls import Calls, SavedCall
from salesrl.bot.store.config import WorkspaceConfigs
from salesrl.bot.store.crm import CrmRows
from salesrl.bot.store.database import Database, first_line
from salesrl.bot.store.deals import Deals
from salesrl.bot.store.digests import Digests
from salesrl.bot.store.engine import describe_url, make_engine
from salesrl.bot.store.errors import DatabaseUnavailable
from salesrl.bot.store.events import Events
from salesrl.bot.store.flags import Flags
from salesrl.bot.store.ingest import IngestTokens
from salesrl.bot.store.live import LiveSessionRows
from salesrl.bot.store.pending import PendingCallRows
from salesrl.bot.store.questions import Questions
from salesrl.bot.store.retention import Retention
from salesrl.bot.store.schema import ensure_schema
from salesrl.bot.store.workspaces import Workspaces
from salesrl.bot.store.zoom import ZoomRecordings

log = logging.getLogger(__name__)

LOCAL_WORKSPACE = "local"  # the workspace of the command line
PING_TIMEOUT_S = 2.0  # `ping` (the health check) gives up after about this long


def _ping_connect_args(dialect: str) -> dict[str, Any]:
    if dialect == "postgresql":
        return {"connect_timeout": int(PING_TIMEOUT_S)}  # libpq counts whole seconds
    return {"timeout": PING_TIMEOUT_S}  # SQLite: how long to wait for a lock


class Store:
    """SalesRL's history in one database. Build it with `Store.open`; close it when done."""

    def __init__(self, engine: Engine) -> None:
        self.database = db = Database(engine)
        self.workspaces = Workspaces(db)
        self.deals = Deals(db)
        self.calls = Calls(db)
        self.flags = Flags(db)
        self.questions = Questions(db)
        self.digests = Digests(db)
        self.live = LiveSessionRows(db)
        self.pending = PendingCallRows(db)
        self.events = Events(db)
        self.config = WorkspaceConfigs(db)
        self.retention = Retention(db)
        self.ingest_tokens = IngestTokens(db)
        self.zoom_recordings = ZoomRecordings(db)
        self.crm = CrmRows(db)
        # A connection of its own for each `ping`, with short timeouts: the pool's connections
        # wait as long as the driver lets them, and a health check must answer quickly.
        self._ping_engine = sa.create_engine(engine.url, poolclass=sa.pool.NullPool, hide_parameters=True,
                                             connect_args=_ping_connect_args(engine.dialect.name))

    @classmethod
    def open(cls, url: str | None = None, *, auto_upgrade: bool | None = None) -> "Store":
        """Open the database at `url` (default: settings). auto_upgrade defaults to True for SQLite."""
        url = url or get_settings().effective_database_url()
        engine = make_engine(url)
        try:
            upgrade = engine.dialect.name == "sqlite" if auto_upgrade is None else auto_upgrade
            ensure_schema(engine, auto_upgrade=upgrade)
        except BaseException:
            engine.dispose()
            raise
        log.debug("store opened on %s", describe_url(url))
        return cls(engine)

    def close(self) -> None:
        self.database.engine.dispose()
        self._ping_engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def url(self) -> str:
        """The database URL with any password hidden."""
        return self.database.url

    @property
    def dialect(self) -> str:
        return self.database.dialect

    def ping(self) -> None:
        """Raise DatabaseUnavailable unless the database answers a trivial query within about
        PING_TIMEOUT_S (a new connection each time: it proves the database takes connections)."""
        try:
            with self._ping_engine.connect() as conn:
                if self.database.dialect == "postgresql":
                    conn.exec_driver_sql(f"SET statement_timeout = {int(PING_TIMEOUT_S * 1000)}")
                    conn.exec_driver_sql("SELECT 1")
                else:  # SELECT 1 alone never opens the file; this reads its first page
                    conn.exec_driver_sql("SELECT count(*) FROM sqlite_master")
        except sa.exc.SQLAlchemyError as e:
            raise DatabaseUnavailable(f"database error on {self.url}: {first_line(e)}") from e


def save_scored_call(
    store: Store,
    workspace_id: str,
    deal_name: str,
    result: ScoreResult,
    *,
    source: str = "cli",
    transcript_text: str | None = None,
    user_id: str | None = None,
    channel_id: str | None = None,
    thread_ts: str | None = None,
) -> SavedCall:
    """Save a scored call under a deal, creating the deal if new (`salesrl score FILE --deal NAME`).

    The transcript text must already be redacted. Returns the call id and the deal as it is
    after the save (latest probability, trend, call count)."""
    deal = store.deals.get_or_create(workspace_id, deal_name, owner_id=user_id, channel_id=channel_id)
    call_id = store.calls.save(
        workspace_id, deal.id, result, source, transcript_text,
        user_id=user_id, channel_id=channel_id, thread_ts=thread_ts,
    )
    saved = store.deals.get_by_id(workspace_id, deal.id)
    assert saved is not None
    return SavedCall(call_id=call_id, deal=saved)
