"""Which workspace a request belongs to, and handling each Slack event once."""

from __future__ import annotations

import logging
from typing import Any, Callable

from slack_bolt import BoltContext, BoltResponse

from salesrl.bot.slack.context import BotContext
from salesrl.bot.store import DatabaseUnavailable

log = logging.getLogger(__name__)


def workspace_id(context: BoltContext, body: dict[str, Any] | None = None) -> str:
    """The Slack team (or, for an org-wide install, the enterprise) a request comes from."""
    team = context.team_id or context.enterprise_id
    if not team and body:
        team = body.get("team_id") or (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id")
    return str(team or "unknown")


def once_per_event(ctx: BotContext) -> Callable[..., BoltResponse | None]:
    """Listener middleware: Slack retries an event it thinks was lost, with the same event_id. The
    database decides which delivery is handled (in whichever process it reaches), so a retry, here
    or in another process behind the load balancer, is acknowledged and dropped."""

    def middleware(body: dict[str, Any], context: BoltContext, next: Callable[[], None]) -> BoltResponse | None:
        event_id = body.get("event_id")
        try:
            first = not event_id or ctx.store.events.mark_processed(workspace_id(context, body), str(event_id))
        except DatabaseUnavailable:  # handled all the same: the listener tells the asker what it cannot do
            first = True
        if first:
            next()
            return None
        log.info("event %s already handled; dropping the retry", event_id)
        return BoltResponse(status=200, body="")

    return middleware
