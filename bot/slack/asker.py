"""Who asked for something in Slack, and where the answer goes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Asker:
    """Who asked for something, and where the answer goes."""

    team_id: str
    user_id: str
    channel_id: str | None  # where the request came from (a channel, a DM, or none for App Home)
    response_url: str | None = None  # for ephemeral replies to commands, shortcuts and modals
    thread_ts: str | None = None  # reply inside this thread (file shares, message shortcuts)
