"""The repository: every read and write of SalesRL's history goes through `Store`.

Rules it keeps:

* Every method that touches a workspace's rows takes ``workspace_id`` as its first, required
  argument and filters on it; rows of another workspace are invisible (ids from another
  workspace behave as if they did not exist). The maintenance methods `purge_transcripts` and
  `prune_processed_events` work across workspaces and return only counts; `list_workspaces`
  lists the workspaces themselves, for the scheduler. Signed requests already received
  (`first_time_request`) and `ping` belong to no workspace: they serve the HTTP edge.
* Each method is one transaction. A call is saved with its turns, scores and tips in one
  transaction: a crash mid-save leaves nothing behind.
* Writes that read-modify-write a deal lock its row first (``SELECT ... FOR NO KEY UPDATE`` on
  PostgreSQL, which still lets other transactions insert flags or questions pointing at the deal;
  SQLite write transactions begin with ``BEGIN IMMEDIATE`` and so run one at a time), so two
  processes saving calls on the same deal both land. Other updates are single atomic statements;
  claims and event ids rely on unique constraints (INSERT ... ON CONFLICT DO NOTHING).
* Values handed out are frozen records (`bot.store.records`), never live ORM objects.
* The store does not redact: callers pass text that is already redacted (agent.redact).

Opening: `Store.open()` uses SALESRL_DATABASE_URL or the SQLite file in the data directory. A
SQLite database is migrated automatically (a fresh file on first use, an older one after an
upgrade of SalesRL). A PostgreSQL database, shared by several processes, is migrated only by
`salesrl db upgrade`; until then `Store.open` refuses it with that instruction.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Iterable, Iterator, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from salesrl.agent.dataset import Conversation
from salesrl.agent.transcript import without_invisible
from salesrl.agent.types import ScoreResult, Turn
from salesrl.bot.settings import get_settings
from salesrl.bot.store import digest_queries
from salesrl.bot.store import records as r
from salesrl.bot.store.engine import WRITE_OPTION, describe_url, make_engine
from salesrl.bot.store.errors import DatabaseUnavailable, InvalidValue, NotFound
from salesrl.bot.store.models import (
    CALL_SOURCES,
    AnswerRow,
    CallRow,
    DealRow,
    DigestRunRow,
    DigestSubscriptionRow,
    FlagRow,
    LiveSessionRow,
    ProcessedEventRow,
    QuestionRow,
    SeenRequestRow,
    TipRow,
    TurnScoreRow,
    UserRow,
    WorkspaceRow,
    utcnow,
)
from salesrl.bot.store.rows import (
    call_record,
    check_workspace,
    checked_amount,
    chunks,
    deal_filters,
    deal_record,
    first_line,
    flag_record,
    jsonable,
    model_id_of,
    no_deal,
    normalise_deal_name,
    subscription_record,
    subscription_values,
    select_deals,
    turn_record,
    turn_rows,
)
from salesrl.bot.store.live_sessions import LiveSessionStore
from salesrl.bot.store.pending_calls import PENDING, PendingCallStore, PendingCallTaken
from salesrl.bot.store.schema import ensure_schema
from salesrl.bot.store.workspace_config import WorkspaceConfigStore

log = logging.getLogger(__name__)

LOCAL_WORKSPACE = "local"  # the workspace of the command line
DEFAULT_DIGEST_LEASE = timedelta(minutes=15)
DATABASE_UNAVAILABLE = "SalesRL's database is unavailable; please try again in a minute."

_UNSET: Any = object()
PING_TIMEOUT_S = 2.0  # `ping` (the health check) gives up after about this long


def _ping_connect_args(dialect: str) -> dict[str, Any]:
    if dialect == "postgresql":
        return {"connect_timeout": int(PING_TIMEOUT_S)}  # libpq counts whole seconds
    return {"timeout": PING_TIMEOUT_S}  # SQLite: how long to wait for a lock

WS = WorkspaceRow.__table__
USERS = UserRow.__table__
DEALS = DealRow.__table__
CALLS = CallRow.__table__
TURNS = TurnScoreRow.__table__
TIPS = TipRow.__table__
FLAGS = FlagRow.__table__
QUESTIONS = QuestionRow.__table__
ANSWERS = AnswerRow.__table__
SUBSCRIPTIONS = DigestSubscriptionRow.__table__
RUNS = DigestRunRow.__table__
EVENTS = ProcessedEventRow.__table__
SEEN_REQUESTS = SeenRequestRow.__table__
LIVE_SESSIONS = LiveSessionRow.__table__


class Store(LiveSessionStore, WorkspaceConfigStore, PendingCallStore):
    """SalesRL's history in one database. Build it with `Store.open`; close it when done.

    Live sessions (bot.store.live_sessions), workspace configuration (bot.store.workspace_config)
    and pending calls (bot.store.pending_calls) are written in their own modules and mixed in."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._write_engine = engine.execution_options(**{WRITE_OPTION: True})
        # A connection of its own for each `ping`, with short timeouts: the pool's connections
        # wait as long as the driver lets them, and a health check must answer quickly.
        self._ping_engine = sa.create_engine(engine.url, poolclass=sa.pool.NullPool, hide_parameters=True,
                                             connect_args=_ping_connect_args(engine.dialect.name))

    # ----------------------------------------------------------------------------- lifecycle

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
        self._engine.dispose()
        self._ping_engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def url(self) -> str:
        """The database URL with any password hidden."""
        return describe_url(str(self._engine.url))

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        try:
            with Session(self._write_engine, expire_on_commit=False) as session, session.begin():
                yield session
        except (sa.exc.OperationalError, sa.exc.TimeoutError) as e:  # TimeoutError: no pooled connection came
            raise self._unavailable(e) from e

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        try:
            with Session(self._engine) as session:
                yield session
        except (sa.exc.OperationalError, sa.exc.TimeoutError) as e:
            raise self._unavailable(e) from e

    def _unavailable(self, error: sa.exc.SQLAlchemyError) -> DatabaseUnavailable:
        """The error users see says only that the database is unavailable: its address, user and
        the driver's words (which name the host) go to the log, the password hidden."""
        log.warning("database error on %s: %s", self.url, first_line(error))
        return DatabaseUnavailable(DATABASE_UNAVAILABLE)

    def _insert(self, table: sa.Table) -> Any:
        """An INSERT that can take ON CONFLICT clauses on both backends."""
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    def _ensure_workspace_row(self, session: Session, workspace_id: str) -> None:
        session.execute(
            self._insert(WS)
            .values(id=workspace_id, name=None, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["id"])
        )

    # ----------------------------------------------------------------------------- workspaces

    def ensure_workspace(self, workspace_id: str, name: str | None = None) -> r.Workspace:
        """Create the workspace if new; a given name replaces the stored one."""
        check_workspace(workspace_id)
        with self._writing() as s:
            stmt = self._insert(WS).values(id=workspace_id, name=name, created_at=utcnow())
            stmt = stmt.on_conflict_do_update(
                index_elements=["id"], set_={"name": sa.func.coalesce(stmt.excluded.name, WS.c.name)}
            )
            s.execute(stmt)
            row = s.execute(sa.select(WS).where(WS.c.id == workspace_id)).one()
        return r.Workspace(id=row.id, name=row.name, created_at=row.created_at)

    def list_workspaces(self) -> list[r.Workspace]:
        with self._reading() as s:
            rows = s.execute(sa.select(WS).order_by(WS.c.id)).all()
        return [r.Workspace(id=x.id, name=x.name, created_at=x.created_at) for x in rows]

    def forget_workspace(self, workspace_id: str) -> bool:
        """Delete everything kept about a workspace (the app was uninstalled)."""
        check_workspace(workspace_id)
        with self._writing() as s:
            return s.execute(sa.delete(WS).where(WS.c.id == workspace_id)).rowcount > 0

    # ----------------------------------------------------------------------------- users

    def ensure_user(self, workspace_id: str, user_id: str, display_name: str | None = None) -> r.User:
        check_workspace(workspace_id)
        if not user_id:
            raise InvalidValue("a user needs a Slack user id")
        with self._writing() as s:
            self._ensure_workspace_row(s, workspace_id)
            stmt = self._insert(USERS).values(
                workspace_id=workspace_id, id=user_id, display_name=display_name, updated_at=utcnow()
            )
            stmt = stmt.on_conflict_do_update(
                index_elements=["workspace_id", "id"],
                set_={
                    "display_name": sa.func.coalesce(stmt.excluded.display_name, USERS.c.display_name),
                    "updated_at": stmt.excluded.updated_at,
                },
            )
            s.execute(stmt)
            row = s.execute(
                sa.select(USERS).where(USERS.c.workspace_id == workspace_id, USERS.c.id == user_id)
            ).one()
        return r.User(workspace_id=row.workspace_id, id=row.id, display_name=row.display_name)

    def user_names(self, workspace_id: str, user_ids: Iterable[str]) -> dict[str, str]:
        """Display names of the given users that have one."""
        check_workspace(workspace_id)
        ids = sorted({u for u in user_ids if u})
        if not ids:
            return {}
        with self._reading() as s:
            rows = s.execute(
                sa.select(USERS.c.id, USERS.c.display_name).where(
                    USERS.c.workspace_id == workspace_id, USERS.c.id.in_(ids)
                )
            ).all()
        return {x.id: x.display_name for x in rows if x.display_name}

    # ----------------------------------------------------------------------------- deals

    def get_or_create_deal(
        self,
        workspace_id: str,
        name: str,
        owner_id: str | None = None,
        channel_id: str | None = None,
    ) -> r.Deal:
        """The deal of that name (case and spacing ignored), created open if new. An owner or
        channel given here fills in one the deal does not have yet; it never replaces one."""
        check_workspace(workspace_id)
        display, key = normalise_deal_name(name)
        now = utcnow()
        with self._writing() as s:
            self._ensure_workspace_row(s, workspace_id)
            s.execute(
                self._insert(DEALS)
                .values(
                    workspace_id=workspace_id, name=display, name_key=key, owner_id=owner_id,
                    channel_id=channel_id, status="open", call_count=0, created_at=now, updated_at=now,
                )
                .on_conflict_do_nothing(index_elements=["workspace_id", "name_key"])
            )
            where = (DEALS.c.workspace_id == workspace_id, DEALS.c.name_key == key)
            if owner_id is not None or channel_id is not None:
                s.execute(
                    sa.update(DEALS)
                    .where(*where)
                    .values(
                        owner_id=sa.func.coalesce(DEALS.c.owner_id, owner_id),
                        channel_id=sa.func.coalesce(DEALS.c.channel_id, channel_id),
                    )
                )
            row = s.execute(select_deals().where(*where)).one()
        return deal_record(row)

    def get_deal(self, workspace_id: str, name: str) -> r.Deal | None:
        check_workspace(workspace_id)
        _, key = normalise_deal_name(name)
        with self._reading() as s:
            row = s.execute(
                select_deals().where(DEALS.c.workspace_id == workspace_id, DEALS.c.name_key == key)
            ).one_or_none()
        return deal_record(row) if row else None

    def get_deal_by_id(self, workspace_id: str, deal_id: int) -> r.Deal | None:
        check_workspace(workspace_id)
        with self._reading() as s:
            row = s.execute(
                select_deals().where(DEALS.c.workspace_id == workspace_id, DEALS.c.id == deal_id)
            ).one_or_none()
        return deal_record(row) if row else None

    def list_deals(
        self,
        workspace_id: str,
        owner_id: str | None = None,
        channel_ids: Sequence[str] | None = None,
        status: str | None = None,
    ) -> list[r.Deal]:
        """Deals with their latest probability and trend, most recently active first."""
        check_workspace(workspace_id)
        stmt = select_deals().where(DEALS.c.workspace_id == workspace_id)
        if owner_id is not None:
            stmt = stmt.where(DEALS.c.owner_id == owner_id)
        if channel_ids is not None:
            stmt = stmt.where(DEALS.c.channel_id.in_(list(channel_ids)))
        if status is not None:
            stmt = stmt.where(DEALS.c.status == status)
        stmt = stmt.order_by(DEALS.c.updated_at.desc(), DEALS.c.id.desc())
        with self._reading() as s:
            return [deal_record(x) for x in s.execute(stmt).all()]

    def update_deal(
        self,
        workspace_id: str,
        name: str,
        *,
        owner_id: str | None = _UNSET,
        channel_id: str | None = _UNSET,
        stage: str | None = _UNSET,
        amount: Decimal | float | None = _UNSET,
    ) -> r.Deal:
        """Set the given fields (None clears one); raises NotFound for an unknown deal."""
        check_workspace(workspace_id)
        _, key = normalise_deal_name(name)
        values: dict[str, Any] = {
            k: v
            for k, v in {"owner_id": owner_id, "channel_id": channel_id, "stage": stage}.items()
            if v is not _UNSET
        }
        if amount is not _UNSET:
            values["amount"] = None if amount is None else checked_amount(amount)
        values["updated_at"] = utcnow()
        return self._update_deal_row(workspace_id, name, key, values)

    def _update_deal_row(self, workspace_id: str, name: str, key: str, values: dict[str, Any]) -> r.Deal:
        where = (DEALS.c.workspace_id == workspace_id, DEALS.c.name_key == key)
        with self._writing() as s:
            # (no UPDATE ... RETURNING: SQLite before 3.35 lacks it)
            s.execute(sa.update(DEALS).where(*where).values(**values))
            row = s.execute(select_deals().where(*where)).one_or_none()
        if row is None:
            raise no_deal(name)
        return deal_record(row)

    def record_outcome(
        self, workspace_id: str, deal_name: str, won: bool | None, closed_at: datetime | None = None
    ) -> r.Deal:
        """Close a deal as won or lost (recording it again corrects it); won=None reopens it."""
        check_workspace(workspace_id)
        _, key = normalise_deal_name(deal_name)
        now = utcnow()
        status = "open" if won is None else "won" if won else "lost"
        deal = self._update_deal_row(
            workspace_id, deal_name, key,
            {"status": status, "closed_at": None if won is None else closed_at or now, "updated_at": now},
        )
        log.info("deal %s is now %s", deal.id, deal.status)
        return deal

    def forget_deal(self, workspace_id: str, name: str) -> int:
        """Delete a deal and everything about it: calls, turns, scores, tips, flags, questions,
        answers. Returns the number of calls deleted; raises NotFound for an unknown deal."""
        check_workspace(workspace_id)
        _, key = normalise_deal_name(name)
        with self._writing() as s:
            deal_id = s.execute(
                sa.select(DEALS.c.id)
                .where(DEALS.c.workspace_id == workspace_id, DEALS.c.name_key == key)
                .with_for_update()
            ).scalar_one_or_none()
            if deal_id is None:
                raise no_deal(name)
            calls = s.execute(
                sa.select(sa.func.count()).select_from(CALLS).where(CALLS.c.deal_id == deal_id)
            ).scalar_one()
            # Foreign keys cascade to calls, turn scores, tips, flags, questions and answers.
            s.execute(sa.delete(DEALS).where(DEALS.c.id == deal_id))
        log.info("deal %s forgotten with %d calls", deal_id, calls)
        return int(calls)

    # ----------------------------------------------------------------------------- calls

    def save_call(
        self,
        workspace_id: str,
        deal_id: int | None,
        result: ScoreResult,
        source: str,
        transcript_text: str | None,
        user_id: str | None = None,
        channel_id: str | None = None,
        thread_ts: str | None = None,
        pending_id: int | None = None,
    ) -> int:
        """Save a scored call with its turns, scores and tips in one transaction; returns its id.

        `transcript_text` must already be redacted. With a deal, the deal's latest probability,
        trend and call count move in the same transaction, under a lock on the deal's row. With a
        `pending_id` (bot.store.pending_calls), that row learns the call's id in it too; when the
        row has a call already, or is gone, nothing is saved (PendingCallTaken).
        """
        check_workspace(workspace_id)
        if source not in CALL_SOURCES:
            raise InvalidValue(f"unknown call source {source!r}; expected one of {', '.join(CALL_SOURCES)}")
        if not result.points:
            raise InvalidValue("a call without scored turns cannot be saved")
        turns = turn_rows(result)
        first = float(result.points[0].probability)
        final = result.final
        model_id = model_id_of(result.model)
        with self._writing() as s:
            self._ensure_workspace_row(s, workspace_id)
            latest: float | None = None
            if deal_id is not None:
                locked = s.execute(
                    sa.select(DEALS.c.id, DEALS.c.latest_probability)
                    .where(DEALS.c.id == deal_id, DEALS.c.workspace_id == workspace_id)
                    .with_for_update(key_share=True)
                ).one_or_none()
                if locked is None:
                    raise NotFound(f"no deal with id {deal_id} in this workspace")
                latest = locked.latest_probability
            # Taken under the deal's lock (SQLite: the database write lock), so calls of a deal
            # are timestamped in the order they change the deal's latest probability and trend.
            now = utcnow()
            call_id = s.execute(
                sa.insert(CALLS).values(
                    workspace_id=workspace_id,
                    deal_id=deal_id,
                    source=source,
                    user_id=user_id,
                    channel_id=channel_id,
                    thread_ts=thread_ts,
                    transcript_text=transcript_text,
                    format=result.transcript.format,
                    roles_decided_by=result.transcript.roles_decided_by or "",
                    model_id=model_id,
                    model_info=jsonable(result.model),
                    status=result.status or "",
                    turn_count=len(result.points),
                    first_probability=first,
                    final_probability=float(final.probability),
                    final_uncertainty=float(final.uncertainty),
                    final_in_distribution=float(final.in_distribution),
                    created_at=now,
                )
            ).inserted_primary_key[0]
            for row in turns:
                row["call_id"] = call_id
            s.execute(sa.insert(TURNS), turns)
            if result.tips:
                s.execute(
                    sa.insert(TIPS),
                    [
                        {"call_id": call_id, "position": i, "kind": t.kind, "turn_index": t.turn, "text": t.text}
                        for i, t in enumerate(result.tips)
                    ],
                )
            if pending_id is not None:
                marked = s.execute(sa.update(PENDING).where(PENDING.c.id == pending_id,
                                                            PENDING.c.workspace_id == workspace_id,
                                                            PENDING.c.call_id.is_(None))
                                   .values(call_id=call_id)).rowcount
                if not marked:  # saved or answered by another process: nothing of this save is kept
                    raise PendingCallTaken(f"pending call {pending_id} was saved or answered elsewhere")
            if deal_id is not None:
                final_p = float(final.probability)
                s.execute(
                    sa.update(DEALS)
                    .where(DEALS.c.id == deal_id)
                    .values(
                        call_count=DEALS.c.call_count + 1,
                        latest_probability=final_p,
                        trend=final_p - (latest if latest is not None else first),
                        last_call_at=now,
                        updated_at=now,
                    )
                )
        log.info("call %s saved (%d turns, deal %s, source %s)", call_id, len(turns), deal_id, source)
        return int(call_id)

    def list_calls(self, workspace_id: str, deal_id: int) -> list[r.Call]:
        """A deal's calls, oldest first."""
        check_workspace(workspace_id)
        with self._reading() as s:
            rows = s.execute(
                sa.select(CALLS)
                .where(CALLS.c.workspace_id == workspace_id, CALLS.c.deal_id == deal_id)
                .order_by(CALLS.c.created_at, CALLS.c.id)
            ).all()
        return [call_record(x) for x in rows]

    def get_call(self, workspace_id: str, call_id: int) -> r.CallDetail | None:
        """A call with its transcript, turn scores and tips."""
        check_workspace(workspace_id)
        with self._reading() as s:
            row = s.execute(
                sa.select(CALLS).where(CALLS.c.workspace_id == workspace_id, CALLS.c.id == call_id)
            ).one_or_none()
            if row is None:
                return None
            turns = s.execute(sa.select(TURNS).where(TURNS.c.call_id == call_id).order_by(TURNS.c.idx)).all()
            tips = s.execute(sa.select(TIPS).where(TIPS.c.call_id == call_id).order_by(TIPS.c.position)).all()
        return r.CallDetail(
            call=call_record(row),
            transcript_text=row.transcript_text,
            roles_decided_by=row.roles_decided_by,
            model_info=dict(row.model_info or {}),
            turns=tuple(turn_record(t) for t in turns),
            tips=tuple(r.StoredTip(kind=t.kind, turn=t.turn_index, text=t.text) for t in tips),
        )

    def set_call_thread(self, workspace_id: str, call_id: int, channel_id: str, thread_ts: str) -> None:
        """Remember the Slack message the call's result was posted as."""
        check_workspace(workspace_id)
        with self._writing() as s:
            done = s.execute(
                sa.update(CALLS)
                .where(CALLS.c.workspace_id == workspace_id, CALLS.c.id == call_id)
                .values(channel_id=channel_id, thread_ts=thread_ts)
            ).rowcount
        if not done:
            raise NotFound(f"no call with id {call_id} in this workspace")

    def find_call_by_thread(self, workspace_id: str, channel_id: str, thread_ts: str) -> r.Call | None:
        check_workspace(workspace_id)
        with self._reading() as s:
            row = s.execute(
                sa.select(CALLS)
                .where(
                    CALLS.c.workspace_id == workspace_id,
                    CALLS.c.channel_id == channel_id,
                    CALLS.c.thread_ts == thread_ts,
                )
                .order_by(CALLS.c.id.desc())
                .limit(1)
            ).one_or_none()
        return call_record(row) if row else None

    def purge_transcripts(self, older_than_days: int, *, now: datetime | None = None) -> int:
        """Delete the text of calls older than this (all workspaces): the transcript and each
        turn's text. Scores, tips and outcomes stay. Questions and answers older than this (they
        quote turns) and live sessions idle since before it (their turns) are deleted too.
        Returns the number of calls purged."""
        if older_than_days < 0:
            raise InvalidValue("older_than_days cannot be negative")
        now = now or utcnow()
        cutoff = now - timedelta(days=older_than_days)
        with self._writing() as s:
            ids = s.execute(
                sa.select(CALLS.c.id).where(CALLS.c.created_at < cutoff, CALLS.c.transcript_purged_at.is_(None))
            ).scalars().all()
            for chunk in chunks(ids, 500):
                s.execute(sa.update(TURNS).where(TURNS.c.call_id.in_(chunk)).values(text=None))
                s.execute(
                    sa.update(CALLS)
                    .where(CALLS.c.id.in_(chunk))
                    .values(transcript_text=None, transcript_purged_at=now)
                )
            # answers cascade with their questions, live turns with their sessions
            questions = s.execute(sa.delete(QUESTIONS).where(QUESTIONS.c.created_at < cutoff)).rowcount
            sessions = s.execute(sa.delete(LIVE_SESSIONS).where(LIVE_SESSIONS.c.updated_at < cutoff)).rowcount
            s.execute(sa.delete(PENDING).where(PENDING.c.created_at < cutoff))  # never answered: nobody waits now
        if questions or sessions:
            log.info("purged %d questions with their answers and %d idle live sessions older than %d days",
                     questions, sessions, older_than_days)
        if ids:
            log.info("purged the transcripts of %d calls older than %d days", len(ids), older_than_days)
        return len(ids)

    def export_closed_deals(self, workspace_id: str) -> list[Conversation]:
        """Every call of a won or lost deal as a training conversation (outcome 1 for won).

        Note turns are left out; calls whose transcript was purged cannot be exported and are
        skipped."""
        check_workspace(workspace_id)
        with self._reading() as s:
            calls = s.execute(
                sa.select(
                    CALLS.c.id, CALLS.c.source, CALLS.c.format, CALLS.c.model_id, CALLS.c.created_at,
                    DEALS.c.id.label("deal_id"), DEALS.c.name.label("deal_name"), DEALS.c.status,
                )
                .join(DEALS, DEALS.c.id == CALLS.c.deal_id)
                .where(
                    CALLS.c.workspace_id == workspace_id,
                    DEALS.c.workspace_id == workspace_id,
                    DEALS.c.status.in_(("won", "lost")),
                    CALLS.c.transcript_purged_at.is_(None),
                )
                .order_by(DEALS.c.id, CALLS.c.created_at, CALLS.c.id)
            ).all()
            turns_of: dict[int, list[Any]] = {}
            for chunk in chunks([c.id for c in calls], 500):
                for t in s.execute(
                    sa.select(TURNS.c.call_id, TURNS.c.speaker, TURNS.c.role, TURNS.c.text, TURNS.c.is_note)
                    .where(TURNS.c.call_id.in_(chunk))
                    .order_by(TURNS.c.call_id, TURNS.c.idx)
                ):
                    turns_of.setdefault(t.call_id, []).append(t)
        conversations = []
        for c in calls:
            turns = tuple(
                Turn(speaker=t.speaker or t.role, role=t.role, text=t.text)
                for t in turns_of.get(c.id, [])
                if not t.is_note and t.text and t.text.strip()
            )
            if not turns:
                continue
            conversations.append(
                Conversation(
                    id=f"call-{c.id}",
                    outcome=1 if c.status == "won" else 0,
                    turns=turns,
                    meta={
                        "deal": c.deal_name,
                        "deal_id": c.deal_id,
                        "call_id": c.id,
                        "source": c.source,
                        "format": c.format,
                        "model_id": c.model_id,
                        "scored_at": c.created_at.isoformat(),
                    },
                )
            )
        return conversations

    # ----------------------------------------------------------------------------- flags

    def add_flag(
        self,
        workspace_id: str,
        *,
        reason: str,
        deal_id: int | None = None,
        call_id: int | None = None,
        turn_index: int | None = None,
        flagged_by: str | None = None,
        channel_id: str | None = None,
        thread_ts: str | None = None,
    ) -> r.Flag:
        """Flag a call (and so its deal) or a deal for attention."""
        check_workspace(workspace_id)
        reason = without_invisible(reason or "").strip()
        if not reason:
            raise InvalidValue("a flag needs a reason")
        if deal_id is None and call_id is None:
            raise InvalidValue("a flag needs a deal or a call")
        with self._writing() as s:
            deal_id = self._check_targets(s, workspace_id, deal_id, call_id)
            flag_id = s.execute(
                sa.insert(FLAGS).values(
                    workspace_id=workspace_id, deal_id=deal_id, call_id=call_id, turn_index=turn_index,
                    reason=reason, flagged_by=flagged_by, channel_id=channel_id,
                    thread_ts=thread_ts, created_at=utcnow(),
                )
            ).inserted_primary_key[0]
        flag = self.get_flag(workspace_id, int(flag_id))
        assert flag is not None
        return flag

    def _check_targets(
        self, s: Session, workspace_id: str, deal_id: int | None, call_id: int | None
    ) -> int | None:
        """Raise NotFound unless the deal and call belong to the workspace; returns the deal id
        (the call's deal when only a call is given)."""
        if call_id is not None:
            call_deal = s.execute(
                sa.select(CALLS.c.deal_id).where(CALLS.c.id == call_id, CALLS.c.workspace_id == workspace_id)
            ).one_or_none()
            if call_deal is None:
                raise NotFound(f"no call with id {call_id} in this workspace")
            if deal_id is None:
                deal_id = call_deal.deal_id
        if deal_id is not None:
            found = s.execute(
                sa.select(DEALS.c.id).where(DEALS.c.id == deal_id, DEALS.c.workspace_id == workspace_id)
            ).scalar_one_or_none()
            if found is None:
                raise NotFound(f"no deal with id {deal_id} in this workspace")
        return deal_id

    def get_flag(self, workspace_id: str, flag_id: int) -> r.Flag | None:
        check_workspace(workspace_id)
        with self._reading() as s:
            row = s.execute(
                self._flags_query(workspace_id).where(FLAGS.c.id == flag_id)
            ).one_or_none()
        return flag_record(row) if row else None

    def set_flag_thread(self, workspace_id: str, flag_id: int, channel_id: str, thread_ts: str) -> None:
        """Remember the Slack thread where the flag was posted."""
        check_workspace(workspace_id)
        with self._writing() as s:
            done = s.execute(
                sa.update(FLAGS)
                .where(FLAGS.c.workspace_id == workspace_id, FLAGS.c.id == flag_id)
                .values(channel_id=channel_id, thread_ts=thread_ts)
            ).rowcount
        if not done:
            raise NotFound(f"no flag with id {flag_id} in this workspace")

    def find_flag_by_thread(self, workspace_id: str, channel_id: str, thread_ts: str) -> r.Flag | None:
        check_workspace(workspace_id)
        with self._reading() as s:
            row = s.execute(
                self._flags_query(workspace_id)
                .where(FLAGS.c.channel_id == channel_id, FLAGS.c.thread_ts == thread_ts)
                .order_by(FLAGS.c.id.desc())
                .limit(1)
            ).one_or_none()
        return flag_record(row) if row else None

    def clear_flag(
        self, workspace_id: str, flag_id: int, cleared_by: str | None = None, *, now: datetime | None = None
    ) -> bool:
        """Clear an open flag; False when it was already cleared. Raises NotFound for an unknown flag."""
        check_workspace(workspace_id)
        with self._writing() as s:
            exists = s.execute(
                sa.select(FLAGS.c.id).where(FLAGS.c.workspace_id == workspace_id, FLAGS.c.id == flag_id)
            ).scalar_one_or_none()
            if exists is None:
                raise NotFound(f"no flag with id {flag_id} in this workspace")
            return (
                s.execute(
                    sa.update(FLAGS)
                    .where(FLAGS.c.id == flag_id, FLAGS.c.cleared_at.is_(None))
                    .values(cleared_at=now or utcnow(), cleared_by=cleared_by)
                ).rowcount
                > 0
            )

    def list_open_flags(
        self,
        workspace_id: str,
        deal_id: int | None = None,
        *,
        owner_id: str | None = None,
        channel_ids: Sequence[str] | None = None,
    ) -> list[r.Flag]:
        """Flags not yet cleared, oldest first."""
        check_workspace(workspace_id)
        stmt = self._flags_query(workspace_id).where(FLAGS.c.cleared_at.is_(None))
        if deal_id is not None:
            stmt = stmt.where(FLAGS.c.deal_id == deal_id)
        stmt = deal_filters(stmt, owner_id, channel_ids)
        with self._reading() as s:
            rows = s.execute(stmt.order_by(FLAGS.c.created_at, FLAGS.c.id)).all()
        return [flag_record(x) for x in rows]

    def _flags_query(self, workspace_id: str) -> sa.Select:
        return (
            sa.select(FLAGS, DEALS.c.name.label("deal_name"))
            .outerjoin(DEALS, DEALS.c.id == FLAGS.c.deal_id)
            .where(FLAGS.c.workspace_id == workspace_id)
        )

    # ----------------------------------------------------------------------------- questions

    def add_question(
        self,
        workspace_id: str,
        text: str,
        *,
        call_id: int | None = None,
        deal_id: int | None = None,
        asked_by: str | None = None,
        channel_id: str | None = None,
        thread_ts: str | None = None,
    ) -> r.SavedQuestion:
        check_workspace(workspace_id)
        text = without_invisible(text or "").strip()
        if not text:
            raise InvalidValue("a question needs some text")
        with self._writing() as s:
            self._ensure_workspace_row(s, workspace_id)
            deal_id = self._check_targets(s, workspace_id, deal_id, call_id)
            qid = s.execute(
                sa.insert(QUESTIONS).values(
                    workspace_id=workspace_id, deal_id=deal_id, call_id=call_id, asked_by=asked_by,
                    text=text, channel_id=channel_id, thread_ts=thread_ts, created_at=utcnow(),
                )
            ).inserted_primary_key[0]
        question = self.get_question(workspace_id, int(qid))
        assert question is not None
        return question

    def add_answer(
        self, workspace_id: str, question_id: int, text: str, model_id: str | None = None
    ) -> r.SavedAnswer:
        check_workspace(workspace_id)
        if not text or not text.strip():
            raise InvalidValue("an answer needs some text")
        now = utcnow()
        with self._writing() as s:
            found = s.execute(
                sa.select(QUESTIONS.c.id).where(
                    QUESTIONS.c.workspace_id == workspace_id, QUESTIONS.c.id == question_id
                )
            ).scalar_one_or_none()
            if found is None:
                raise NotFound(f"no question with id {question_id} in this workspace")
            aid = s.execute(
                sa.insert(ANSWERS).values(question_id=question_id, text=text.strip(), model_id=model_id, created_at=now)
            ).inserted_primary_key[0]
        return r.SavedAnswer(id=int(aid), question_id=question_id, text=text.strip(), model_id=model_id, created_at=now)

    def get_question(self, workspace_id: str, question_id: int) -> r.SavedQuestion | None:
        found = self._questions(workspace_id, QUESTIONS.c.id == question_id)
        return found[0] if found else None

    def list_questions(
        self, workspace_id: str, *, call_id: int | None = None, deal_id: int | None = None
    ) -> list[r.SavedQuestion]:
        """Questions with their answers, oldest first; all of the workspace's when no call or deal is given."""
        conditions = []
        if call_id is not None:
            conditions.append(QUESTIONS.c.call_id == call_id)
        if deal_id is not None:
            conditions.append(QUESTIONS.c.deal_id == deal_id)
        return self._questions(workspace_id, *conditions)

    def _questions(self, workspace_id: str, *conditions: Any) -> list[r.SavedQuestion]:
        check_workspace(workspace_id)
        with self._reading() as s:
            rows = s.execute(
                sa.select(QUESTIONS)
                .where(QUESTIONS.c.workspace_id == workspace_id, *conditions)
                .order_by(QUESTIONS.c.created_at, QUESTIONS.c.id)
            ).all()
            answers: dict[int, list[r.SavedAnswer]] = {}
            for chunk in chunks([q.id for q in rows], 500):
                for a in s.execute(
                    sa.select(ANSWERS).where(ANSWERS.c.question_id.in_(chunk)).order_by(ANSWERS.c.id)
                ):
                    answers.setdefault(a.question_id, []).append(
                        r.SavedAnswer(id=a.id, question_id=a.question_id, text=a.text, model_id=a.model_id,
                                      created_at=a.created_at)
                    )
        return [
            r.SavedQuestion(
                id=q.id, workspace_id=q.workspace_id, deal_id=q.deal_id, call_id=q.call_id,
                asked_by=q.asked_by, text=q.text, channel_id=q.channel_id, thread_ts=q.thread_ts,
                created_at=q.created_at, answers=tuple(answers.get(q.id, ())),
            )
            for q in rows
        ]

    # ----------------------------------------------------------------------------- digest subscriptions

    def add_digest_subscription(
        self,
        workspace_id: str,
        channel_id: str,
        *,
        cadence: str = "weekly",
        weekday: int | None = 0,
        hour: int = 9,
        timezone: str = "UTC",
        owner_id: str | None = None,
        created_by: str | None = None,
    ) -> r.DigestSubscription:
        check_workspace(workspace_id)
        if not channel_id:
            raise InvalidValue("a digest needs a channel to post in")
        values = subscription_values(cadence=cadence, weekday=weekday, hour=hour, timezone=timezone)
        now = utcnow()
        with self._writing() as s:
            self._ensure_workspace_row(s, workspace_id)
            sid = s.execute(
                sa.insert(SUBSCRIPTIONS).values(
                    workspace_id=workspace_id, channel_id=channel_id, owner_id=owner_id,
                    created_by=created_by, active=True, created_at=now, updated_at=now, **values,
                )
            ).inserted_primary_key[0]
        sub = self.get_digest_subscription(workspace_id, int(sid))
        assert sub is not None
        return sub

    def get_digest_subscription(self, workspace_id: str, subscription_id: int) -> r.DigestSubscription | None:
        check_workspace(workspace_id)
        with self._reading() as s:
            row = s.execute(
                sa.select(SUBSCRIPTIONS).where(
                    SUBSCRIPTIONS.c.workspace_id == workspace_id, SUBSCRIPTIONS.c.id == subscription_id
                )
            ).one_or_none()
        return subscription_record(row) if row else None

    def list_digest_subscriptions(self, workspace_id: str, *, active_only: bool = True) -> list[r.DigestSubscription]:
        check_workspace(workspace_id)
        stmt = sa.select(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.workspace_id == workspace_id)
        if active_only:
            stmt = stmt.where(SUBSCRIPTIONS.c.active.is_(True))
        with self._reading() as s:
            return [subscription_record(x) for x in s.execute(stmt.order_by(SUBSCRIPTIONS.c.id)).all()]

    def update_digest_subscription(
        self,
        workspace_id: str,
        subscription_id: int,
        *,
        cadence: str = _UNSET,
        weekday: int | None = _UNSET,
        hour: int = _UNSET,
        timezone: str = _UNSET,
        owner_id: str | None = _UNSET,
        channel_id: str = _UNSET,
        active: bool = _UNSET,
    ) -> r.DigestSubscription:
        check_workspace(workspace_id)
        current = self.get_digest_subscription(workspace_id, subscription_id)
        if current is None:
            raise NotFound(f"no digest subscription with id {subscription_id} in this workspace")
        values = subscription_values(
            cadence=current.cadence if cadence is _UNSET else cadence,
            weekday=current.weekday if weekday is _UNSET else weekday,
            hour=current.hour if hour is _UNSET else hour,
            timezone=current.timezone if timezone is _UNSET else timezone,
        )
        for key, value in (("owner_id", owner_id), ("channel_id", channel_id), ("active", active)):
            if value is not _UNSET:
                values[key] = value
        values["updated_at"] = utcnow()
        with self._writing() as s:
            s.execute(
                sa.update(SUBSCRIPTIONS)
                .where(SUBSCRIPTIONS.c.workspace_id == workspace_id, SUBSCRIPTIONS.c.id == subscription_id)
                .values(**values)
            )
        updated = self.get_digest_subscription(workspace_id, subscription_id)
        if updated is None:
            raise NotFound(f"no digest subscription with id {subscription_id} in this workspace")
        return updated

    def delete_digest_subscription(self, workspace_id: str, subscription_id: int) -> bool:
        check_workspace(workspace_id)
        with self._writing() as s:
            return (
                s.execute(
                    sa.delete(SUBSCRIPTIONS).where(
                        SUBSCRIPTIONS.c.workspace_id == workspace_id, SUBSCRIPTIONS.c.id == subscription_id
                    )
                ).rowcount
                > 0
            )

    # ----------------------------------------------------------------------------- digest runs

    def claim_digest_run(
        self,
        workspace_id: str,
        subscription_id: int,
        period_key: str,
        *,
        lease: timedelta = DEFAULT_DIGEST_LEASE,
        now: datetime | None = None,
    ) -> bool:
        """True for exactly one caller per (subscription, period), across processes: that caller
        builds and posts the digest, then calls `mark_digest_posted`. A claim that was never
        marked posted (the process died) can be claimed again once `lease` has passed; a posted
        run is never claimed again. `lease` must comfortably exceed the time a post takes."""
        check_workspace(workspace_id)
        if not period_key:
            raise InvalidValue("a digest run needs a period key")
        now = now or utcnow()
        with self._writing() as s:
            owner = s.execute(
                sa.select(SUBSCRIPTIONS.c.id).where(
                    SUBSCRIPTIONS.c.workspace_id == workspace_id, SUBSCRIPTIONS.c.id == subscription_id
                )
            ).scalar_one_or_none()
            if owner is None:
                raise NotFound(f"no digest subscription with id {subscription_id} in this workspace")
            inserted = s.execute(
                self._insert(RUNS)
                .values(
                    workspace_id=workspace_id, subscription_id=subscription_id, period_key=period_key,
                    state="claimed", claimed_at=now, claim_count=1,
                )
                .on_conflict_do_nothing(index_elements=["subscription_id", "period_key"])
                .execution_options(preserve_rowcount=True)
            ).rowcount
            if inserted == 1:
                return True
            # Taken before: take it over only if it is an expired, unposted claim. One UPDATE
            # with the condition in its WHERE clause, so two processes cannot both win.
            retaken = s.execute(
                sa.update(RUNS)
                .where(
                    RUNS.c.subscription_id == subscription_id,
                    RUNS.c.period_key == period_key,
                    RUNS.c.state == "claimed",
                    RUNS.c.claimed_at <= now - lease,
                )
                .values(claimed_at=now, claim_count=RUNS.c.claim_count + 1)
            ).rowcount
        if retaken:
            log.warning(
                "digest run %s/%s reclaimed after an expired claim (a process died before posting)",
                subscription_id, period_key,
            )
        return retaken == 1

    def mark_digest_posted(
        self,
        workspace_id: str,
        subscription_id: int,
        period_key: str,
        message_ts: str | None = None,
        *,
        now: datetime | None = None,
    ) -> None:
        check_workspace(workspace_id)
        with self._writing() as s:
            done = s.execute(
                sa.update(RUNS)
                .where(
                    RUNS.c.workspace_id == workspace_id,
                    RUNS.c.subscription_id == subscription_id,
                    RUNS.c.period_key == period_key,
                )
                .values(state="posted", posted_at=now or utcnow(), message_ts=message_ts)
            ).rowcount
        if not done:
            raise NotFound(f"no digest run {period_key} claimed for subscription {subscription_id}")

    def release_digest_run(self, workspace_id: str, subscription_id: int, period_key: str) -> bool:
        """Give up a claim that could not be posted (e.g. Slack refused it), so it can be retried
        at once. A posted run is kept."""
        check_workspace(workspace_id)
        with self._writing() as s:
            return (
                s.execute(
                    sa.delete(RUNS).where(
                        RUNS.c.workspace_id == workspace_id,
                        RUNS.c.subscription_id == subscription_id,
                        RUNS.c.period_key == period_key,
                        RUNS.c.state == "claimed",
                    )
                ).rowcount
                > 0
            )

    def get_digest_run(self, workspace_id: str, subscription_id: int, period_key: str) -> r.DigestRun | None:
        check_workspace(workspace_id)
        with self._reading() as s:
            row = s.execute(
                sa.select(RUNS).where(
                    RUNS.c.workspace_id == workspace_id,
                    RUNS.c.subscription_id == subscription_id,
                    RUNS.c.period_key == period_key,
                )
            ).one_or_none()
        if row is None:
            return None
        return r.DigestRun(
            id=row.id, workspace_id=row.workspace_id, subscription_id=row.subscription_id,
            period_key=row.period_key, state=row.state, claimed_at=row.claimed_at,
            claim_count=row.claim_count, posted_at=row.posted_at, message_ts=row.message_ts,
        )

    # ----------------------------------------------------------------------------- Slack events

    def mark_event_processed(self, workspace_id: str, event_id: str, *, now: datetime | None = None) -> bool:
        """True the first time an event id is seen in the workspace, False for Slack's retries
        (in any process sharing the database)."""
        check_workspace(workspace_id)
        if not event_id:
            raise InvalidValue("an event needs an id")
        with self._writing() as s:
            self._ensure_workspace_row(s, workspace_id)
            return (
                s.execute(
                    self._insert(EVENTS)
                    .values(workspace_id=workspace_id, event_id=event_id, processed_at=now or utcnow())
                    .on_conflict_do_nothing(index_elements=["workspace_id", "event_id"])
                    .execution_options(preserve_rowcount=True)
                ).rowcount
                == 1
            )

    def prune_processed_events(self, older_than: timedelta = timedelta(days=7), *, now: datetime | None = None) -> int:
        """Forget event ids older than this (all workspaces; Slack retries within minutes)."""
        cutoff = (now or utcnow()) - older_than
        with self._writing() as s:
            return s.execute(sa.delete(EVENTS).where(EVENTS.c.processed_at < cutoff)).rowcount

    # ----------------------------------------------------------------------------- the HTTP edge

    def ping(self) -> None:
        """Raise DatabaseUnavailable unless the database answers a trivial query within about
        PING_TIMEOUT_S (a new connection each time: it proves the database takes connections)."""
        try:
            with self._ping_engine.connect() as conn:
                if self.dialect == "postgresql":
                    conn.exec_driver_sql(f"SET statement_timeout = {int(PING_TIMEOUT_S * 1000)}")
                    conn.exec_driver_sql("SELECT 1")
                else:  # SELECT 1 alone never opens the file; this reads its first page
                    conn.exec_driver_sql("SELECT count(*) FROM sqlite_master")
        except sa.exc.SQLAlchemyError as e:
            raise DatabaseUnavailable(f"database error on {self.url}: {first_line(e)}") from e

    def first_time_request(self, digest: str, *, now: datetime | None = None) -> bool:
        """True the first time a signed Slack request (the hash of its signature) is recorded, False
        for an exact copy, in any process sharing the database."""
        with self._writing() as s:
            return (
                s.execute(
                    self._insert(SEEN_REQUESTS)
                    .values(digest=digest, seen_at=now or utcnow())
                    .on_conflict_do_nothing(index_elements=["digest"])
                    .execution_options(preserve_rowcount=True)
                ).rowcount
                == 1
            )

    def forget_request(self, digest: str) -> None:
        """Forget a request recorded by `first_time_request`, so that a copy of it is taken again."""
        with self._writing() as s:
            s.execute(sa.delete(SEEN_REQUESTS).where(SEEN_REQUESTS.c.digest == digest))

    def prune_seen_requests(self, older_than: timedelta, *, now: datetime | None = None) -> int:
        """Forget requests recorded longer ago than this (their signatures no longer verify)."""
        cutoff = (now or utcnow()) - older_than
        with self._writing() as s:
            return s.execute(sa.delete(SEEN_REQUESTS).where(SEEN_REQUESTS.c.seen_at < cutoff)).rowcount

    # ----------------------------------------------------------------------------- digest queries

    def calls_between(
        self,
        workspace_id: str,
        since: datetime,
        until: datetime | None = None,
        *,
        owner_id: str | None = None,
        channel_ids: Sequence[str] | None = None,
    ) -> list[r.ScoredCallRow]:
        """Calls scored in [since, until), newest first, with their deal's name."""
        check_workspace(workspace_id)
        stmt = digest_queries.calls_between(workspace_id, since, until, owner_id=owner_id, channel_ids=channel_ids)
        with self._reading() as s:
            rows = s.execute(stmt).all()
        return [r.ScoredCallRow(*x) for x in rows]  # columns in the record's field order

    def deal_movers(
        self,
        workspace_id: str,
        since: datetime,
        *,
        owner_id: str | None = None,
        channel_ids: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> list[r.DealMove]:
        """Deals with calls since `since` and how far their probability moved: from the last
        call before the period (or the first turn of the period's first call) to the latest
        call. Largest moves first."""
        check_workspace(workspace_id)
        stmt = digest_queries.deal_movers(
            workspace_id, since, owner_id=owner_id, channel_ids=channel_ids, limit=limit
        )
        with self._reading() as s:
            rows = s.execute(stmt).all()
        return [r.DealMove(*x) for x in rows]  # columns in the record's field order

    def stale_deals(
        self,
        workspace_id: str,
        idle_days: int = 14,
        *,
        now: datetime | None = None,
        owner_id: str | None = None,
        channel_ids: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> list[r.Deal]:
        """Open deals with no activity (call, outcome, change) for `idle_days`, longest idle first."""
        check_workspace(workspace_id)
        cutoff = (now or utcnow()) - timedelta(days=idle_days)
        stmt = digest_queries.stale_deals(workspace_id, cutoff, owner_id=owner_id, channel_ids=channel_ids)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self._reading() as s:
            return [deal_record(x) for x in s.execute(stmt).all()]

    def calls_per_rep(
        self,
        workspace_id: str,
        since: datetime,
        until: datetime | None = None,
        *,
        owner_id: str | None = None,
        channel_ids: Sequence[str] | None = None,
    ) -> list[r.RepActivity]:
        """How many calls each rep had scored in the period (the rep who submitted the call,
        else the deal's owner), most calls first."""
        check_workspace(workspace_id)
        stmt = digest_queries.calls_per_rep(workspace_id, since, until, owner_id=owner_id, channel_ids=channel_ids)
        with self._reading() as s:
            rows = s.execute(stmt).all()
        names = self.user_names(workspace_id, [x.rep for x in rows if x.rep])
        out = [
            r.RepActivity(
                user_id=x.rep, display_name=names.get(x.rep) if x.rep else None, calls=int(x.n),
                average_final_probability=float(x.avg_p),
            )
            for x in rows
        ]
        return sorted(out, key=lambda a: (-a.calls, a.user_id or ""))

    def closed_deal_forecasts(self, workspace_id: str, since: datetime) -> list[r.ClosedDealForecast]:
        """Deals closed since `since` with the agent's last probability: calibration for the digest."""
        check_workspace(workspace_id)
        with self._reading() as s:
            rows = s.execute(digest_queries.closed_deal_forecasts(workspace_id, since)).all()
        return [
            r.ClosedDealForecast(
                deal_id=x.id, deal_name=x.name, won=x.status == "won",
                latest_probability=x.latest_probability, closed_at=x.closed_at,
            )
            for x in rows
        ]


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
) -> r.SavedCall:
    """Save a scored call under a deal, creating the deal if new (`salesrl score FILE --deal NAME`).

    The transcript text must already be redacted. Returns the call id and the deal as it is
    after the save (latest probability, trend, call count)."""
    deal = store.get_or_create_deal(workspace_id, deal_name, owner_id=user_id, channel_id=channel_id)
    call_id = store.save_call(
        workspace_id, deal.id, result, source, transcript_text,
        user_id=user_id, channel_id=channel_id, thread_ts=thread_ts,
    )
    saved = store.get_deal_by_id(workspace_id, deal.id)
    assert saved is not None
    return r.SavedCall(call_id=call_id, deal=saved)
