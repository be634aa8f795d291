"""`/salesrl digest ...`: subscribe a channel to the pipeline digest, list, unsubscribe, preview.

    /salesrl digest subscribe [#channel] [weekly|daily] [mon 09:00] [Europe/Paris]
    /salesrl digest list
    /salesrl digest unsubscribe [#channel]
    /salesrl digest preview [#channel]

Without a #channel, the channel the command was typed in. Without a time zone, the asker's own
(from their Slack profile). Only a member of a channel subscribes or unsubscribes it (read afresh
from Slack: conversations.members); a list shows each person the subscriptions of the channels they
are in (a private channel's name and schedule are its members' business), and a preview only what
the asker may see. Everything runs in the lazy `run` step: it reads the database and calls Slack;
the answer goes privately to the asker.
"""

from __future__ import annotations

import logging
from typing import Callable, Sequence

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from salesrl.bot.digest.content import build_digest
from salesrl.bot.digest.errors import DigestChannelError
from salesrl.bot.digest.periods import describe_schedule, describe_slot, next_slot, preview_period
from salesrl.bot.digest.rendering import render_digest
from salesrl.bot.digest.schedule_spec import parse_schedule
from salesrl.bot.slack.asker import Asker
from salesrl.bot.slack.channels import channel_id_of
from salesrl.bot.slack.profiles import users_timezone
from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.dispatch import CommandRequest, Subcommand, UsageError
from salesrl.bot.slack.membership import Membership, digest_audience_filter
from salesrl.bot.slack.outbox import CANNOT_POST_HERE
from salesrl.bot.slack.templates import SlackMessage
from salesrl.bot.store import Deal, DigestSubscription
from salesrl.bot.store.tables import utcnow

log = logging.getLogger(__name__)

USAGE = ("usage: /salesrl digest subscribe #channel [weekly|daily] [mon 09:00] [Europe/Paris] · "
         "/salesrl digest list · /salesrl digest unsubscribe #channel · /salesrl digest preview")


def subcommand() -> Subcommand:
    return Subcommand("digest", "digest subscribe #channel [weekly|daily] [mon 09:00] [tz] · list · unsubscribe · preview",
                      "A pipeline digest in a channel, on a schedule", run=run)


def run(req: CommandRequest, ctx: BotContext, client: WebClient) -> SlackMessage | None:
    words = req.args.split()
    action = words[0].lower() if words else ""
    rest = words[1:]
    if action == "subscribe":
        return subscribe(req.asker, rest, ctx, client)
    if action == "list":
        return listing(req.asker, ctx, client)
    if action in ("unsubscribe", "stop"):
        return unsubscribe(req.asker, rest, ctx, client)
    if action == "preview":
        return preview(req.asker, rest, ctx, client)
    raise UsageError(USAGE)


def channel_of(client: WebClient, words: Sequence[str], asker: Asker) -> tuple[str, list[str]]:
    """The channel named first in `words` (else the asker's), and the words after it."""
    if words and (channel := channel_id_of(client, words[0])):
        return channel, list(words[1:])
    if words and words[0].startswith("#"):
        raise UsageError(f"I can't tell which channel “{words[0][:40]}” is: pick it from the list Slack offers "
                         "as you type # (or run the command in that channel)")
    if not asker.channel_id:
        raise UsageError("name a channel: /salesrl digest subscribe #sales")
    return asker.channel_id, list(words)


def check_member(client: WebClient, asker: Asker, channel: str) -> None:
    """Only the people of a channel decide what is posted in it: raise DigestChannelError for anyone else."""
    if asker.user_id not in Membership().members(client, asker.team_id, channel):
        log.info("digest change of %s by %s refused: not a member", channel, asker.user_id)
        raise DigestChannelError("only people in that channel can change its digest "
                                 "(if you are in it, invite me there with /invite @SalesRL first)")


def subscribe(asker: Asker, words: Sequence[str], ctx: BotContext, client: WebClient) -> SlackMessage:
    channel, schedule_words = channel_of(client, words, asker)
    spec = parse_schedule(schedule_words)
    check_member(client, asker, channel)
    timezone = spec.timezone or users_timezone(client, asker.user_id)
    store, team = ctx.store, asker.team_id
    previous = _subscription_in(ctx, team, channel)
    if previous is None:
        sub = store.digests.add_subscription(team, channel, cadence=spec.cadence, weekday=spec.weekday,
                                            hour=spec.hour, timezone=timezone, created_by=asker.user_id)
    else:
        sub = store.digests.update_subscription(team, previous.id, cadence=spec.cadence, weekday=spec.weekday,
                                               hour=spec.hour, timezone=timezone, active=True)
    schedule, first = describe_schedule(sub), describe_slot(next_slot(sub, utcnow()), sub.timezone)
    try:
        client.chat_postMessage(channel=channel, unfurl_links=False, **ctx.templates.message(
            "digest/welcome.json.j2", user_id=asker.user_id, schedule=schedule, first=first).as_kwargs())
    except SlackApiError as e:
        error = e.response.get("error")
        if error not in CANNOT_POST_HERE:
            raise
        _undo(ctx, sub, previous)
        raise DigestChannelError(f"I can't post in that channel ({error}): add me with /invite @SalesRL there, "
                                 "then subscribe again") from None
    log.info("digest subscription %s: channel %s, %s", sub.id, channel, schedule)
    return _listing(ctx, client, asker, event="subscribed", channel=channel, schedule=schedule, first=first)


def listing(asker: Asker, ctx: BotContext, client: WebClient) -> SlackMessage:
    return _listing(ctx, client, asker)


def unsubscribe(asker: Asker, words: Sequence[str], ctx: BotContext, client: WebClient) -> SlackMessage:
    channel, extra = channel_of(client, words, asker)
    if extra:
        raise UsageError("usage: /salesrl digest unsubscribe #channel")
    check_member(client, asker, channel)
    subs = [s for s in ctx.store.digests.list_subscriptions(asker.team_id, active_only=False) if s.channel_id == channel]
    if not subs:
        raise DigestChannelError("that channel gets no digest; /salesrl digest list shows the ones that do")
    for sub in subs:
        ctx.store.digests.delete_subscription(asker.team_id, sub.id)
    log.info("digest subscriptions %s removed", [s.id for s in subs])
    return _listing(ctx, client, asker, event="unsubscribed", channel=channel)


def preview(asker: Asker, words: Sequence[str], ctx: BotContext, client: WebClient) -> SlackMessage:
    channel, extra = channel_of(client, words, asker) if words or asker.channel_id else ("", [])
    if extra:
        raise UsageError("usage: /salesrl digest preview [#channel]")
    sub = _subscription_in(ctx, asker.team_id, channel) if channel else None
    cadence = sub.cadence if sub else "weekly"
    timezone = sub.timezone if sub else users_timezone(client, asker.user_id)
    content = build_digest(ctx.store, asker.team_id, preview_period(cadence, timezone, utcnow()),
                           owner_id=sub.owner_id if sub else None, at_risk_below=ctx.settings.flag_threshold,
                           shown=_preview_filter(ctx, client, asker, channel))
    return render_digest(ctx.templates, content, preview=True)


def _preview_filter(ctx: BotContext, client: WebClient, asker: Asker, channel: str) -> Callable[[Deal], bool]:
    """A preview names only deals the asker may see, and of those only what the channel's digest would name."""
    membership = Membership()  # read afresh: a preview is rare, and someone may have just left a channel
    in_digest = digest_audience_filter(membership, client, asker.team_id, channel) if channel else None

    def shown(deal: Deal) -> bool:
        if in_digest is not None and not in_digest(deal):
            return False
        return not deal.channel_id or membership.can_see(client, asker.team_id, asker.user_id, deal)

    return shown


# ----------------------------------------------------------------------------------------------


def _subscription_in(ctx: BotContext, team: str, channel: str) -> DigestSubscription | None:
    found = [s for s in ctx.store.digests.list_subscriptions(team, active_only=False) if s.channel_id == channel]
    return found[0] if found else None


def _undo(ctx: BotContext, sub: DigestSubscription, previous: DigestSubscription | None) -> None:
    """Put things back as they were before a subscribe that cannot post in its channel."""
    if previous is None:
        ctx.store.digests.delete_subscription(sub.workspace_id, sub.id)
    else:
        ctx.store.digests.update_subscription(
            sub.workspace_id, sub.id, cadence=previous.cadence, weekday=previous.weekday, hour=previous.hour,
            timezone=previous.timezone, active=previous.active)


def _listing(ctx: BotContext, client: WebClient, asker: Asker, *, event: str | None = None,
             channel: str | None = None, schedule: str | None = None, first: str | None = None) -> SlackMessage:
    """The subscriptions of the channels the asker is in (members read afresh, each channel once)."""
    now, membership = utcnow(), Membership()
    rows = [(s, describe_schedule(s), describe_slot(next_slot(s, now), s.timezone))
            for s in ctx.store.digests.list_subscriptions(asker.team_id)
            if asker.user_id in membership.members(client, asker.team_id, s.channel_id)]
    return ctx.templates.message("digest/subscriptions.json.j2", event=event, channel=channel, schedule=schedule,
                                 first=first, subscriptions=rows)

