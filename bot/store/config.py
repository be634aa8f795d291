"""A workspace's configuration of flags and live alerts, in the database: what is behind
`/salesrl config`. Unset values (no row, or NULL) mean "the default", which the caller supplies
(bot.flags.thresholds), so changing a default in the settings reaches every workspace that never
chose its own.

`admin_user_ids` names the workspace's SalesRL admins: people who may change these settings besides
the workspace's Slack admins and owners (bot.slack.subcommands.config decides who may).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable

import sqlalchemy as sa

from salesrl.bot.store.database import Database, check_workspace
from salesrl.bot.store.errors import InvalidValue
from salesrl.bot.store.tables import WORKSPACE_CONFIGS, WORKSPACES, utcnow

UNSET: Any = object()
MAX_ADMINS = 100
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")


@dataclass(frozen=True)
class WorkspaceConfig:
    workspace_id: str
    review_channel_id: str | None  # where flags are posted
    flag_threshold: float | None  # a call ending below this flags its deal; None: the default
    drop_threshold: float | None  # a drop this large within a few turns alerts and flags; None: the default
    admin_user_ids: tuple[str, ...]  # SalesRL admins: may change these settings besides Slack's admins
    updated_by: str | None
    updated_at: datetime | None
    crm_writeback: bool = False  # write the latest score and gaps back into the CRM (bot.crm.writeback)


def _checked_fraction(value: float | None, name: str, *, zero_ok: bool) -> float | None:
    if value is None:
        return None
    value = float(value)
    low_ok = value >= 0 if zero_ok else value > 0
    if math.isnan(value) or not low_ok or value > 1:
        raise InvalidValue(f"the {name} must be between 0 and 100%")
    return value


def _checked_admins(user_ids: Iterable[str]) -> list[str] | None:
    """Slack user ids, each once, in the order given; None for none."""
    admins = list(dict.fromkeys(str(u) for u in user_ids))
    bad = next((u for u in admins if not _USER_ID.match(u)), None)
    if bad is not None:
        raise InvalidValue(f"“{bad[:40]}” is not a Slack user id")
    if len(admins) > MAX_ADMINS:
        raise InvalidValue(f"a workspace has at most {MAX_ADMINS} SalesRL admins")
    return admins or None


class WorkspaceConfigs:
    """Each workspace's configuration (see the module docstring)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, workspace_id: str) -> WorkspaceConfig:
        check_workspace(workspace_id)
        with self._db.reading() as s:
            row = s.execute(sa.select(WORKSPACE_CONFIGS).where(WORKSPACE_CONFIGS.c.workspace_id == workspace_id)).one_or_none()
        if row is None:
            return WorkspaceConfig(workspace_id, None, None, None, (), None, None)
        return WorkspaceConfig(
            workspace_id=row.workspace_id, review_channel_id=row.review_channel_id,
            flag_threshold=row.flag_threshold, drop_threshold=row.drop_threshold,
            admin_user_ids=tuple(row.admin_user_ids or ()), updated_by=row.updated_by, updated_at=row.updated_at,
            crm_writeback=bool(row.crm_writeback),
        )

    def update(
        self,
        workspace_id: str,
        *,
        review_channel_id: str | None = UNSET,
        flag_threshold: float | None = UNSET,
        drop_threshold: float | None = UNSET,
        admin_user_ids: Iterable[str] = UNSET,
        crm_writeback: bool = UNSET,
        updated_by: str | None = None,
    ) -> WorkspaceConfig:
        """Set the given values (None goes back to the default, an empty `admin_user_ids` names
        none); the others stay as they are."""
        check_workspace(workspace_id)
        values: dict[str, Any] = {}
        if review_channel_id is not UNSET:
            values["review_channel_id"] = review_channel_id or None
        if flag_threshold is not UNSET:
            values["flag_threshold"] = _checked_fraction(flag_threshold, "flag threshold", zero_ok=True)
        if drop_threshold is not UNSET:
            values["drop_threshold"] = _checked_fraction(drop_threshold, "drop threshold", zero_ok=False)
        if admin_user_ids is not UNSET:
            values["admin_user_ids"] = _checked_admins(admin_user_ids)
        if crm_writeback is not UNSET:
            values["crm_writeback"] = bool(crm_writeback)
        values.update(updated_by=updated_by, updated_at=utcnow())
        with self._db.writing() as s:
            self._db.ensure_workspace_row(s, workspace_id)
            stmt = self._db.insert(WORKSPACE_CONFIGS).values(workspace_id=workspace_id, **values)
            s.execute(stmt.on_conflict_do_update(index_elements=["workspace_id"], set_=values))
        return self.get(workspace_id)

    def change_admins(self, workspace_id: str, *, add: Iterable[str] = (),
                                remove: Iterable[str] = (), updated_by: str | None = None) -> WorkspaceConfig:
        """Name SalesRL admins (`add`) or stop naming them (`remove`), in one transaction: two people
        changing the list at once both have their change kept."""
        check_workspace(workspace_id)
        removed = set(remove)
        with self._db.writing() as s:
            self._db.ensure_workspace_row(s, workspace_id)
            # the workspace row is the lock: a config row may not exist yet
            s.execute(sa.select(WORKSPACES.c.id).where(WORKSPACES.c.id == workspace_id).with_for_update())
            current = s.execute(sa.select(WORKSPACE_CONFIGS.c.admin_user_ids)
                                .where(WORKSPACE_CONFIGS.c.workspace_id == workspace_id)).scalar_one_or_none() or []
            admins = _checked_admins([u for u in [*current, *add] if u not in removed])
            values = {"admin_user_ids": admins, "updated_by": updated_by, "updated_at": utcnow()}
            stmt = self._db.insert(WORKSPACE_CONFIGS).values(workspace_id=workspace_id, **values)
            s.execute(stmt.on_conflict_do_update(index_elements=["workspace_id"], set_=values))
        return self.get(workspace_id)
