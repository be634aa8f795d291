"""A deal that starts in a DM with the bot is its rep's own until the rep shares it.

Private deals (their channel is a DM) are never posted anywhere else automatically: no automatic flag
goes to the review channel, no digest names them outside the owner's DM. The rep shares one with a
channel by an explicit action: the "Share with…" menu under its result, a flag typed in that channel,
or a live session started there. From then on the deal belongs to that channel's audience, as if it
had started there, and the channel is told who shared it.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from salesrl.bot.slack.asker import Asker
from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.dispatch import UsageError
from salesrl.bot.slack.membership import Membership
from salesrl.bot.slack.outbox import Tag, post_tagged
from salesrl.bot.store import Deal

log = logging.getLogger(__name__)

SHARE_ACTION = "share_deal"
SHARED_EVENT = "salesrl_deal_shared"


def is_private(deal: Deal) -> bool:
    """A deal of a DM with the bot: its owner's alone."""
    return bool(deal.channel_id) and str(deal.channel_id).startswith("D")


def share_deal(ctx: BotContext, client: WebClient, asker: Asker, deal: Deal, channel: str) -> Deal:
    """File the private `deal` under `channel` at its owner's request; returns the deal as it is now.
    Raises UsageError (a one-line reason) when it cannot be shared there."""
    if not is_private(deal):
        raise UsageError(f"{deal.name} is shared with a channel already")
    if asker.user_id != deal.owner_id:
        raise UsageError(f"only the rep who owns {deal.name} can share it")
    if not channel or channel[0] not in "CG":
        raise UsageError("share it with a channel, not a DM")
    try:
        joined = bool(client.conversations_info(channel=channel)["channel"].get("is_member"))
    except SlackApiError as e:
        log.info("sharing deal %s: conversations.info of %s failed (%s)", deal.id, channel, e.response.get("error"))
        joined = False
    if not joined:
        raise UsageError("I'm not in that channel: invite me there with /invite @SalesRL, then share it again")
    if asker.user_id not in Membership().members(client, asker.team_id, channel):
        raise UsageError("you are not in that channel: share it with a channel you are in")
    shared = ctx.store.deals.update(asker.team_id, deal.name, channel_id=channel)
    log.info("deal %s shared by its owner with %s", deal.id, channel)
    post_tagged("the note that a deal was shared", client, channel,
                ctx.templates.message("slack/deal_shared.json.j2", deal=shared, by=asker.user_id),
                Tag(SHARED_EVENT, {"deal_id": deal.id, "channel": channel}))
    return shared
