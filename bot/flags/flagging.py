"""Raising and clearing flags on deals.

- By hand: `/salesrl flag DEAL reason`.
- Automatically, when a scored call (pasted, a file, or a live session) ends below the workspace's
  threshold or drops sharply (bot.flags.reasons).
- Cleared by `/salesrl unflag DEAL`, or when the deal closes, however its outcome is recorded (`/salesrl
  outcome`, `salesrl deals outcome`, a CRM's sync: bot.store.deals.write_outcome).

A deal flagged again while its flag is open gets the new reason in the existing flag's thread, so
the discussion stays in one place; otherwise the flag is posted to the review channel. A flag raised
by hand falls back to the channel it was raised in; an automatic flag is posted only when the
workspace has a review channel (without one it is recorded: digests, questions and `/salesrl deal`
still see it).

A flag's content (its reasons, the call's swing moments and chart) goes only into a channel whose
members all may see the deal; elsewhere the post is short (bot.flags.review), and whoever raised the
flag, or scored the call that raised it, is told so privately.

Flags are saved before they are posted, and posted through the delivery retries: a flag post that
Slack never takes is reported privately to whoever raised the flag or scored the call.
"""

from __future__ import annotations

import logging
from typing import Callable, Sequence

from slack_sdk import WebClient

from salesrl.bot.crm.config import CRM_NAMES
from salesrl.bot.sharing import is_private

from salesrl.agent.types import ScoreResult
from salesrl.bot.flags.reasons import call_flag
from salesrl.bot.flags.review import FlagPost, post_flag, post_in_flag_thread, where_flag_saved
from salesrl.bot.flags.thresholds import thresholds_for
from salesrl.bot.slack.asker import Asker
from salesrl.bot.slack.context import BotContext
from salesrl.bot.slack.outbox import Undelivered, reply_privately, tell_undelivered
from salesrl.bot.store import Deal, Flag

log = logging.getLogger(__name__)


def flag_deal(ctx: BotContext, client: WebClient, team: str, deal: Deal, reason: str, *,
              flagged_by: str | None = None, call_id: int | None = None, turn_index: int | None = None,
              origin_channel: str | None = None, automatic: bool = False) -> tuple[Flag, FlagPost | None]:
    """Record the flag and post it; returns it with where it was posted (None: nowhere)."""
    store = ctx.store
    open_before = store.flags.list_open(team, deal.id)
    flag = store.flags.add(team, reason=reason, deal_id=deal.id, call_id=call_id, turn_index=turn_index,
                          flagged_by=flagged_by)
    thread = next((f for f in reversed(open_before) if f.channel_id and f.thread_ts), None)
    if thread is not None:
        store.flags.set_thread(team, flag.id, thread.channel_id, thread.thread_ts)  # type: ignore[arg-type]
        full = post_in_flag_thread(ctx, client, thread, about=flag, kind="again", deal=deal, reason=reason,
                                   by=flagged_by)
        log.info("deal %s flagged again (flag %s) in its open flag's thread", deal.id, flag.id)
        return flag, FlagPost(thread.channel_id, thread.thread_ts, bool(full))  # type: ignore[arg-type]
    config = store.config.get(team)
    if automatic:
        # a private deal is never posted anywhere else automatically (bot.sharing)
        channels = [config.review_channel_id] if config.review_channel_id and not is_private(deal) else []
    else:
        channels = [c for c in (config.review_channel_id, origin_channel, deal.channel_id) if c]
    if not channels:
        log.info("deal %s flagged automatically (flag %s); no review channel to post it in", deal.id, flag.id)
        return flag, None
    fresh = store.deals.get_by_id(team, deal.id) or deal
    post: FlagPost | None = post_flag(ctx, client, team, fresh, open_before + [flag], flagged_by=flagged_by,
                                      channels=channels)
    if post is None:
        log.warning("deal %s flagged (flag %s) but no channel took the post", deal.id, flag.id)
        return flag, None
    store.flags.set_thread(team, flag.id, post.channel_id, post.ts)
    log.info("deal %s flagged (flag %s), posted in %s", deal.id, flag.id, post.channel_id)
    return flag, post


def flag_scored_call(ctx: BotContext, client: WebClient, asker: Asker, deal: Deal | None, call_id: int,
                     result: ScoreResult, *, origin_channel: str | None = None) -> None:
    """Flag the deal when the call `asker` scored ended below the threshold or dropped sharply. If the
    flag's post cannot be delivered, the asker is told where the saved flag is; if it was posted in
    its short form, they are told that."""
    if deal is None or deal.is_closed:
        return
    found = call_flag(result.points, thresholds_for(ctx.store, ctx.settings, asker.team_id))
    if found is None:
        return
    try:
        _, post = flag_deal(ctx, client, asker.team_id, deal, " ".join(found.reasons), call_id=call_id,
                            turn_index=found.turn_index, origin_channel=origin_channel, automatic=True)
    except Undelivered as e:
        tell_undelivered(client, ctx.templates, asker, e, where_flag_saved(deal.name))
        return
    if post is not None and not post.full:
        reply_privately(client, asker, ctx.templates.message(
            "slack/flag_done.json.j2", kind="flagged", deal_name=deal.name, channel=post.channel_id, full=False,
            review_channel_set=True,  # automatic flags are posted only in the review channel
            automatic=True, count=0))


def clear_flags(ctx: BotContext, client: WebClient, team: str, deal: Deal, *, cleared_by: str | None,
                why: str) -> int:
    """Clear every open flag of the deal, saying so in their threads; returns how many were open."""
    flags = ctx.store.flags.list_open(team, deal.id)
    cleared = [f for f in flags if ctx.store.flags.clear(team, f.id, cleared_by)]
    announce_cleared(ctx, client, team, deal, cleared, cleared_by=cleared_by, why=why)
    return len(cleared)


def announce_cleared(ctx: BotContext, client: WebClient, team: str, deal: Deal, cleared: list[Flag], *,
                     cleared_by: str | None, why: str) -> None:
    """Say in the threads of these cleared flags why they were cleared (once per thread: the notes are
    tagged, bot.flags.review)."""
    if not cleared:  # (a reopening, or a deal without open flags: nothing to read or say)
        return
    fresh = ctx.store.deals.get_by_id(team, deal.id) or deal
    for flag in {(f.channel_id, f.thread_ts): f for f in cleared if f.thread_ts}.values():
        # in the worker pool: the note's retries through a Slack outage must not hold up the command's answer
        ctx.workers.submit(lambda flag=flag: post_in_flag_thread(ctx, client, flag, about=flag, kind="cleared",
                                                                 deal=fresh, by=cleared_by, why_cleared=why))
    log.info("deal %s: %d flags cleared (%s)", deal.id, len(cleared), why)


def flags_of(ctx: BotContext, team: str, flag_ids: Sequence[int]) -> list[Flag]:
    """The flags of these ids (a closing's `cleared_flags`), those that still exist."""
    return [flag for flag_id in flag_ids if (flag := ctx.store.flags.get(team, flag_id)) is not None]


def crm_flag_notes(ctx: BotContext, clients: Callable[[str], WebClient | None]) -> Callable[[str, str, list[int]], None]:
    """What the CRM sync calls with the flags a deal's closing in the CRM cleared (bot.crm.sync): their
    threads are told, as when the outcome is typed in Slack."""
    def tell(team: str, crm: str, flag_ids: list[int]) -> None:
        client = clients(team)
        if client is None:
            return
        by_deal: dict[int, list[Flag]] = {}
        for flag in flags_of(ctx, team, flag_ids):
            if flag.deal_id is not None:
                by_deal.setdefault(flag.deal_id, []).append(flag)
        for deal_id, flags in by_deal.items():
            deal = ctx.store.deals.get_by_id(team, deal_id)
            if deal is not None:
                announce_cleared(ctx, client, team, deal, flags, cleared_by=None,
                                 why=f"the deal was {deal.status} in {CRM_NAMES.get(crm, crm)}")
    return tell
