"""Workspaces (Slack teams, or "local" for the command line) and the names of their users.

A workspace's row is created on its first write (Database.ensure_workspace_row); every other row of
the workspace points at it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

import sqlalchemy as sa

from salesrl.bot.store.database import Database, check_workspace
from salesrl.bot.store.errors import InvalidValue
from salesrl.bot.store.tables import USERS, WORKSPACES, utcnow



@dataclass(frozen=True)
class Workspace:
    id: str
    name: str | None
    created_at: datetime


@dataclass(frozen=True)
class User:
    workspace_id: str
    id: str  # Slack user id
    display_name: str | None


class Workspaces:
    def __init__(self, db: Database) -> None:
        self._db = db

    def list(self) -> list[Workspace]:
        with self._db.reading() as s:
            rows = s.execute(sa.select(WORKSPACES).order_by(WORKSPACES.c.id)).all()
        return [Workspace(id=x.id, name=x.name, created_at=x.created_at) for x in rows]

    def ensure_user(self, workspace_id: str, user_id: str, display_name: str | None = None) -> User:
        check_workspace(workspace_id)
        if not user_id:
            raise InvalidValue("a user needs a Slack user id")
        with self._db.writing() as s:
            self._db.ensure_workspace_row(s, workspace_id)
            stmt = self._db.insert(USERS).values(
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
        return User(workspace_id=row.workspace_id, id=row.id, display_name=row.display_name)

    def user_names(self, workspace_id: str, user_ids: Iterable[str]) -> dict[str, str]:
        """Display names of the given users that have one."""
        check_workspace(workspace_id)
        ids = sorted({u for u in user_ids if u})
        if not ids:
            return {}
        with self._db.reading() as s:
            rows = s.execute(
                sa.select(USERS.c.id, USERS.c.display_name).where(
                    USERS.c.workspace_id == workspace_id, USERS.c.id.in_(ids)
                )
            ).all()
        return {x.id: x.display_name for x in rows if x.display_name}
