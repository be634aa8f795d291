"""A workspace's configuration of flags and live alerts, in the database: the part of `Store` behind
`/salesrl config`. Unset values (no row, or NULL) mean "the default", which the caller supplies
(bot.flags.thresholds), so changing a default in the settings reaches every workspace that never
chose its own.

Mixed into `bot.store.Store`; uses its transaction helpers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from bot.store.errors import InvalidValue
from bot.store.models import WorkspaceConfigRow, utcnow
from bot.store.rows import check_workspace

if TYPE_CHECKING:
    from bot.store.store import Store

CONFIGS = WorkspaceConfigRow.__table__
UNSET: Any = object()


@dataclass(frozen=True)
class WorkspaceConfig:
    workspace_id: str
    review_channel_id: str | None  # where flags are posted
    flag_threshold: float | None  # a call ending below this flags its deal; None: the default
    drop_threshold: float | None  # a drop this large within a few turns alerts and flags; None: the default
    updated_by: str | None
    updated_at: datetime | None


def _checked_fraction(value: float | None, name: str, *, zero_ok: bool) -> float | None:
    if value is None:
        return None
    value = float(value)
    low_ok = value >= 0 if zero_ok else value > 0
    if math.isnan(value) or not low_ok or value > 1:
        raise InvalidValue(f"the {name} must be between 0 and 100%")
    return value


class WorkspaceConfigStore:
    """The configuration methods of `Store` (see the module docstring)."""

    def get_workspace_config(self: "Store", workspace_id: str) -> WorkspaceConfig:
        check_workspace(workspace_id)
        with self._reading() as s:
            row = s.execute(sa.select(CONFIGS).where(CONFIGS.c.workspace_id == workspace_id)).one_or_none()
        if row is None:
            return WorkspaceConfig(workspace_id, None, None, None, None, None)
        return WorkspaceConfig(
            workspace_id=row.workspace_id, review_channel_id=row.review_channel_id,
            flag_threshold=row.flag_threshold, drop_threshold=row.drop_threshold,
            updated_by=row.updated_by, updated_at=row.updated_at,
        )

    def update_workspace_config(
        self: "Store",
        workspace_id: str,
        *,
        review_channel_id: str | None = UNSET,
        flag_threshold: float | None = UNSET,
        drop_threshold: float | None = UNSET,
        updated_by: str | None = None,
    ) -> WorkspaceConfig:
        """Set the given values (None goes back to the default); the others stay as they are."""
        check_workspace(workspace_id)
        values: dict[str, Any] = {}
        if review_channel_id is not UNSET:
            values["review_channel_id"] = review_channel_id or None
        if flag_threshold is not UNSET:
            values["flag_threshold"] = _checked_fraction(flag_threshold, "flag threshold", zero_ok=True)
        if drop_threshold is not UNSET:
            values["drop_threshold"] = _checked_fraction(drop_threshold, "drop threshold", zero_ok=False)
        values.update(updated_by=updated_by, updated_at=utcnow())
        with self._writing() as s:
            self._ensure_workspace_row(s, workspace_id)
            stmt = self._insert(CONFIGS).values(workspace_id=workspace_id, **values)
            s.execute(stmt.on_conflict_do_update(index_elements=["workspace_id"], set_=values))
        return self.get_workspace_config(workspace_id)
