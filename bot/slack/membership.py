"""Who may see a deal's data: the members of the deal's channel, in the deal's workspace.

Before the bot answers a question about a deal or shows anything from its history, it checks that
the person asking is a member of the channel the deal lives in (`conversations.members` through the
Slack API, cached for `TTL_S` seconds per channel) and that they belong to the workspace the data
belongs to (a Slack Connect channel carries people of other organisations: their events say so).

A deal kept in a DM, or with no channel (made from the command line), is visible to its owner only.
Any failure to find out (the bot was removed from the channel, a missing scope) means no.

What the bot posts in a channel about a deal follows the same rule for everyone who reads that
channel: a digest names only deals every member may see (`digest_audience_filter`), and a flag or an
answer carries a deal's content only into a channel whose members all may see it (`everyone_may_see`).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from salesrl.agent.errors import SalesRLError
from salesrl.bot.slack.asker import Asker
from salesrl.bot.store import Deal

log = logging.getLogger(__name__)

TTL_S = 60.0
PAGE = 1000


def asker_team(event: dict[str, Any], workspace_id: str) -> str:
    """The workspace the person behind an event belongs to (another one in a Slack Connect channel)."""
    return str(event.get("user_team") or event.get("team") or workspace_id)


class Membership:
    """Channel members, cached briefly (a left member loses access within `ttl` seconds)."""

    def __init__(self, ttl: float = TTL_S) -> None:
        self.ttl = ttl
        self._cache: dict[tuple[str, str], tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def members(self, client: WebClient, workspace_id: str, channel_id: str) -> frozenset[str]:
        key = (workspace_id, channel_id)
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        found: set[str] = set()
        cursor = None
        try:
            while True:
                page = client.conversations_members(channel=channel_id, limit=PAGE, cursor=cursor)
                found.update(page.get("members") or ())
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
        except SlackApiError as e:
            log.info("conversations.members %s failed (%s): nobody is let in", channel_id, e.response.get("error"))
            found = set()
        members = frozenset(found)
        with self._lock:
            self._cache[key] = (now + self.ttl, members)
        return members

    def can_see(self, client: WebClient, workspace_id: str, user_id: str, deal: Deal, *,
                user_team: str | None = None) -> bool:
        """May `user_id`, asking in workspace `workspace_id`, see `deal`'s data?"""
        if deal.workspace_id != workspace_id or (user_team is not None and user_team != workspace_id):
            return False
        channel = deal.channel_id
        if not channel or channel.startswith("D"):
            return bool(user_id) and user_id == deal.owner_id
        return user_id in self.members(client, workspace_id, channel)


def digest_audience_filter(membership: Membership, client: WebClient, workspace_id: str, channel_id: str,
                           *, bot_user_id: str | None = None) -> "Callable[[Deal], bool]":
    """Which deals a digest posted in `channel_id` may name: those every member of that channel may
    see (`Membership.can_see` for each). Deals made outside Slack (no channel: the command line,
    imports) belong to the whole workspace and are shown. When the channel's members cannot be
    read, or it has nobody in it but the bot, no deal of a channel is shown."""
    audience = membership.members(client, workspace_id, channel_id) - {bot_user_id}
    if not audience:
        return lambda deal: deal.workspace_id == workspace_id and not deal.channel_id
    verdicts: dict[str | None, bool] = {}

    def shown(deal: Deal) -> bool:
        if deal.workspace_id != workspace_id:
            return False
        channel = deal.channel_id
        if not channel:
            return True
        if channel.startswith("D"):  # a DM deal: its owner's eyes only
            return audience == {deal.owner_id}
        if channel not in verdicts:
            verdicts[channel] = channel == channel_id or audience <= membership.members(client, workspace_id, channel)
        return verdicts[channel]

    return shown


_bot_user_ids: dict[str | None, str] = {}  # bot token -> the bot's user id: it never changes for a token


def bot_user_id(client: WebClient) -> str | None:
    """The bot's own user id (auth.test, asked once per bot token): a member of every channel it posts
    in, and no reader. None when Slack can't say; the bot then counts as a reader, which only holds
    back more."""
    known = _bot_user_ids.get(client.token)
    if known is not None:
        return known
    try:
        found = str(client.auth_test()["user_id"])
    except Exception as e:  # a failure here must not stop a post, only make it more careful
        log.info("auth.test failed (%s)", type(e).__name__)
        return None
    _bot_user_ids[client.token] = found
    return found


def everyone_may_see(client: WebClient, workspace_id: str, channel_id: str, deal: Deal, *,
                     membership: Membership | None = None) -> bool:
    """May every member of `channel_id` see `deal`? The digests' rule (`digest_audience_filter`) for
    one deal: a DM deal only in its owner's DM with the bot, a channel's deal in that channel or where
    everyone is also in it. Members are read afresh unless a `membership` is shared."""
    try:
        shown = digest_audience_filter(membership or Membership(), client, workspace_id, channel_id,
                                       bot_user_id=bot_user_id(client))
        return shown(deal)
    except Exception as e:  # Slack unreachable: the post still goes out, without the deal's content
        log.info("the members of %s could not be read (%s): not everyone there may see deal %s",
                 channel_id, type(e).__name__, deal.id)
        return False


class NotShared(SalesRLError):
    """The deal lives in a channel the asker is not a member of."""


def may_see(client: WebClient, asker: Asker, deal: Deal, membership: Membership | None = None) -> bool:
    """`Membership.can_see`, the one rule for every command. Commands are rare, so unless the caller
    passes a `membership` to share between deals, the channel's members are read afresh: someone who
    left the channel a second ago no longer sees its deals."""
    return (membership or Membership()).can_see(client, asker.team_id, asker.user_id, deal)


def check_visible(client: WebClient, asker: Asker, deal: Deal) -> Deal:
    """`deal` when the asker may see it; a one-line NotShared otherwise. For commands that would add to
    a deal named by the asker, or make it (score, live): deal names are unique in a workspace, so
    there the answer cannot hide that the name is taken. Commands that only look a deal up answer
    as for no deal at all (bot.slack.subcommands.deals.visible_deal)."""
    if not may_see(client, asker, deal):
        raise NotShared(f"“{deal.name}” is a deal of a channel you are not in, so I can't show or change it here: "
                        "ask someone in that channel, or use another name")
    return deal
