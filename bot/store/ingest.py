"""API tokens of `POST /ingest` (bot.ingest): each belongs to one workspace. Only a SHA-256 of a token
is stored; the token itself is shown once, when it is made. Tokens are random (256 bits), so a plain
hash is enough: nothing can be guessed from it."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from salesrl.bot.store.database import Database, check_workspace
from salesrl.bot.store.errors import NotFound
from salesrl.bot.store.tables import INGEST_TOKENS, utcnow

TOKEN_PREFIX = "srl_"


@dataclass(frozen=True)
class IngestToken:
    id: int
    workspace_id: str
    label: str
    created_at: datetime
    revoked_at: datetime | None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class IngestTokens:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, workspace_id: str, label: str = "") -> tuple[IngestToken, str]:
        """A new token for the workspace: its record, and the token (shown once, never stored)."""
        check_workspace(workspace_id)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = utcnow()
        with self._db.writing() as s:
            self._db.ensure_workspace_row(s, workspace_id)
            token_id = s.execute(sa.insert(INGEST_TOKENS).values(
                workspace_id=workspace_id, token_hash=_hash(token), label=label[:200], created_at=now,
            )).inserted_primary_key[0]  # type: ignore[index]
        return IngestToken(int(token_id), workspace_id, label[:200], now, None), token

    def workspace_of(self, token: str) -> str | None:
        """The workspace a live token belongs to; None for an unknown or revoked one."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        with self._db.reading() as s:
            return s.execute(sa.select(INGEST_TOKENS.c.workspace_id).where(
                INGEST_TOKENS.c.token_hash == _hash(token), INGEST_TOKENS.c.revoked_at.is_(None),
            )).scalar_one_or_none()

    def of_workspace(self, workspace_id: str) -> list[IngestToken]:
        check_workspace(workspace_id)
        with self._db.reading() as s:
            rows = s.execute(sa.select(
                INGEST_TOKENS.c.id, INGEST_TOKENS.c.workspace_id, INGEST_TOKENS.c.label,
                INGEST_TOKENS.c.created_at, INGEST_TOKENS.c.revoked_at,
            ).where(INGEST_TOKENS.c.workspace_id == workspace_id).order_by(INGEST_TOKENS.c.id)).all()
        return [IngestToken(*r) for r in rows]

    def revoke(self, workspace_id: str, token_id: int) -> None:
        check_workspace(workspace_id)
        with self._db.writing() as s:
            done = s.execute(sa.update(INGEST_TOKENS).where(
                INGEST_TOKENS.c.workspace_id == workspace_id, INGEST_TOKENS.c.id == token_id,
                INGEST_TOKENS.c.revoked_at.is_(None),
            ).values(revoked_at=utcnow())).rowcount  # type: ignore[attr-defined]
        if not done:
            raise NotFound(f"no live ingest token {token_id} in {workspace_id}")
